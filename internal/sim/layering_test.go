package sim

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestPureImports keeps the core pure: no network, files, clock reads,
// logging or adapters; time and randomness are inputs.
func TestPureImports(t *testing.T) {
	forbidden := []string{"os", "net", "log", "syscall", "database", "os/exec", "github.com/nats-io", "internal/cot",
		"internal/mavlink", "internal/mqtt", "internal/natsbus", "internal/server", "internal/web", "internal/simnet"}
	files, _ := filepath.Glob("*.go")
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		f, err := parser.ParseFile(token.NewFileSet(), name, src, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			for _, bad := range forbidden {
				if path == bad || strings.HasPrefix(path, bad+"/") || strings.HasSuffix(path, bad) {
					t.Errorf("%s imports %s: the simulation core is pure", name, path)
				}
			}
		}
		if strings.Contains(string(src), "time.Now()") {
			t.Errorf("%s reads the clock", name)
		}
	}
}
