package geo

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestPureImports keeps the package pure: its non-test files import only
// the standard library (no I/O, clocks, logging or system calls) and the
// root domain package.
func TestPureImports(t *testing.T) {
	forbidden := []string{"os", "io", "net", "database", "log", "syscall", "time", "unsafe", "os/exec", "runtime", "embed", "crypto"}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		f, err := parser.ParseFile(fset, name, src, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if path == "github.com/borderwatch/borderwatch" {
				continue
			}
			first, _, _ := strings.Cut(path, "/")
			if strings.Contains(first, ".") {
				t.Errorf("%s imports %s: only the standard library and the root package are allowed", name, path)
			}
			for _, f := range forbidden {
				if path == f || strings.HasPrefix(path, f+"/") {
					t.Errorf("%s imports %s: geo is pure (no I/O, clocks, logging)", name, path)
				}
			}
		}
	}
}
