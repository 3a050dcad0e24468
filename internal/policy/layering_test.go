package policy

import (
	"os/exec"
	"strings"
	"testing"
)

// TestLayering keeps the policy pure: the standard library's non-I/O
// packages and the domain only.
func TestLayering(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, dep := range strings.Fields(string(out)) {
		if strings.HasPrefix(dep, "github.com/") && dep != "github.com/borderwatch/borderwatch" &&
			dep != "github.com/borderwatch/borderwatch/internal/policy" || dep == "net/http" || dep == "os/exec" || dep == "database/sql" {
			t.Errorf("policy imports %s", dep)
		}
	}
}
