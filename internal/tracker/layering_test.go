package tracker

import (
	"os/exec"
	"strings"
	"testing"
)

// TestLayering keeps the tracker pure: no database driver, bus, network
// or other adapter in its dependencies.
func TestLayering(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".", "../mtt").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	forbidden := []string{"net/http", "database/sql", "nats-io", "pgx", "sqlite", "/internal/cot", "/internal/natsbus",
		"/internal/postgres", "/internal/sqlite", "/internal/server", "/internal/web", "/internal/mqtt", "/internal/mavlink", "log/slog"}
	for _, dep := range strings.Fields(string(out)) {
		for _, f := range forbidden {
			if strings.Contains(dep, f) {
				t.Errorf("tracker depends on %s", dep)
			}
		}
	}
}
