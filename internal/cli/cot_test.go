package cli

import (
	"bytes"
	"context"
	"crypto/tls"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestCoTEnrolListRevoke(t *testing.T) {
	data, out := t.TempDir(), t.TempDir()
	run := func(args ...string) (int, string) {
		var o, e bytes.Buffer
		code := Run(context.Background(), &Env{Stdout: &o, Stderr: &e, Getenv: func(string) string { return "" }}, args)
		return code, o.String() + e.String()
	}
	code, msg := run("cot", "enrol", "--data", data, "--device", "IBG-P12", "--agency", "ibg", "--out", out)
	if code != 0 {
		t.Fatalf("enrol: %d %s", code, msg)
	}
	if _, err := tls.LoadX509KeyPair(filepath.Join(out, "IBG-P12.pem"), filepath.Join(out, "IBG-P12-key.pem")); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(filepath.Join(out, "IBG-P12-key.pem")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key mode %v %v", fi.Mode(), err)
	}
	serial := regexp.MustCompile(`serial ([0-9a-f]+)`).FindStringSubmatch(msg)
	if serial == nil {
		t.Fatalf("no serial in %q", msg)
	}
	if code, msg := run("cot", "list", "--data", data); code != 0 || !strings.Contains(msg, "IBG-P12") || !strings.Contains(msg, serial[1]) {
		t.Fatalf("list: %d %s", code, msg)
	}
	if code, msg := run("cot", "revoke", "--data", data, "--serial", serial[1]); code != 0 {
		t.Fatalf("revoke: %d %s", code, msg)
	}
	for _, bad := range [][]string{
		{"cot", "enrol", "--data", data, "--device", "../x", "--agency", "ibg"},
		{"cot", "enrol", "--data", data, "--device", "ok"},
		{"cot", "frob"},
	} {
		if code, _ := run(bad...); code != 2 {
			t.Errorf("%v: exit %d, want 2", bad, code)
		}
	}
}
