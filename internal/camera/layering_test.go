package camera

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestLayering keeps the package pure: only the standard library (no
// network or I/O packages) and the domain.
func TestLayering(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	banned := []string{"net", "net/http", "os", "database/sql", "github.com/nats-io", "github.com/borderwatch/borderwatch/internal"}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		pf, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range pf.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			for _, b := range banned {
				if path == b || strings.HasPrefix(path, b+"/") {
					t.Errorf("%s imports %s: camera must stay pure", f, path)
				}
			}
			if strings.Contains(path, ".") && path != "github.com/borderwatch/borderwatch" {
				t.Errorf("%s imports %s: only the standard library and the domain", f, path)
			}
		}
	}
}
