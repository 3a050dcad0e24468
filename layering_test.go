package borderwatch_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestLayering keeps the domain and the pure logic packages free of I/O
// technologies: they may not import a database driver, NATS, net/http or
// any adapter package. It asks the go command for each package's full
// dependency list, so an indirect import fails it too.
func TestLayering(t *testing.T) {
	pure := []string{
		".",
		"./internal/geo",
		"./internal/tracker",
		"./internal/rules",
		"./internal/incident",
		"./internal/dispatch",
		"./internal/camera",
		"./internal/layout",
		"./internal/live",
		"./internal/replay",
		"./internal/lsa",
		"./internal/export",
		"./internal/ingest",
		"./internal/sim",
	}
	forbidden := []string{
		"net/http", "database/sql", "os/exec",
		"github.com/nats-io/", "github.com/jackc/", "modernc.org/sqlite",
		"github.com/borderwatch/borderwatch/internal/cot",
		"github.com/borderwatch/borderwatch/internal/mavlink",
		"github.com/borderwatch/borderwatch/internal/natsbus",
		"github.com/borderwatch/borderwatch/internal/web",
		"github.com/borderwatch/borderwatch/internal/server",
		"github.com/borderwatch/borderwatch/internal/store",
		"github.com/borderwatch/borderwatch/internal/sqlite",
		"github.com/borderwatch/borderwatch/internal/postgres",
	}
	for _, pkg := range pure {
		t.Run(pkg, func(t *testing.T) {
			out, err := exec.Command("go", "list", "-deps", pkg).CombinedOutput()
			if err != nil {
				if strings.Contains(string(out), "no Go files") || strings.Contains(string(out), "cannot find") ||
					strings.Contains(string(out), "directory not found") {
					t.Skipf("%s does not exist yet", pkg)
				}
				t.Fatalf("go list %s: %v\n%s", pkg, err, out)
			}
			for _, dep := range strings.Fields(string(out)) {
				for _, f := range forbidden {
					if dep == f || (strings.HasSuffix(f, "/") && strings.HasPrefix(dep, f)) || strings.HasPrefix(dep, f+"/") {
						t.Errorf("%s imports %s (directly or not): pure packages must not", pkg, dep)
					}
				}
			}
		})
	}
}
