package cli

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"

	"github.com/borderwatch/borderwatch/internal/audit"
)

func TestAuditVerifyCommand(t *testing.T) {
	dir := t.TempDir()
	l, err := audit.Open(audit.PathIn(dir), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range []audit.Action{audit.ActSignIn, audit.ActAlertDismiss, audit.ActExport} {
		if _, err := l.Append(audit.Entry{Actor: "amal", Agency: "ibg", Action: a}); err != nil {
			t.Fatal(err)
		}
	}
	l.Close()
	run := func(args ...string) (int, string) {
		var out, errb bytes.Buffer
		env := &Env{Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }}
		code := Run(context.Background(), env, args)
		return code, out.String() + errb.String()
	}
	if code, out := run("audit", "verify", "--data", dir); code != 0 || !strings.Contains(out, "3 entries, chain intact") {
		t.Fatalf("intact: %d %s", code, out)
	}
	if code, out := run("audit", "show", "--data", dir, "--action", "alert_dismiss"); code != 0 || !strings.Contains(out, "alert_dismiss") || strings.Contains(out, "export") {
		t.Fatalf("show: %d %s", code, out)
	}
	b, _ := os.ReadFile(audit.PathIn(dir))
	os.WriteFile(audit.PathIn(dir), bytes.Replace(b, []byte(`"actor":"amal"`), []byte(`"actor":"omar"`), 1), 0o600)
	if code, out := run("audit", "verify", "--data", dir); code != 1 || !strings.Contains(out, "line 1") || !strings.Contains(out, "altered") {
		t.Fatalf("tampered: %d %s", code, out)
	}
	if code, _ := run("audit", "frob"); code != 2 {
		t.Fatalf("unknown command exit %d, want 2", code)
	}
}
