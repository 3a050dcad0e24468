package cli

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestSimOutIsDeterministic: the same seed writes the same bytes.
func TestSimOutIsDeterministic(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, seed string) []byte {
		out := &syncBuffer{}
		path := filepath.Join(dir, name)
		if err := runSim(context.Background(), quietEnv(out), []string{"--out", path, "--hours", "0.1", "--seed", seed, "--activity", "20"}); err != nil {
			t.Fatalf("sim --out: %v\n%s", err, out.String())
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	a, b, c := write("a.jsonl", "9"), write("b.jsonl", "9"), write("c.jsonl", "10")
	if !bytes.Equal(a, b) {
		t.Fatal("the same seed wrote different files")
	}
	if bytes.Equal(a, c) {
		t.Fatal("different seeds wrote the same file")
	}
	if !bytes.HasPrefix(a, []byte(`{"header":{"format":"borderwatch-sim-jsonl/1"`)) {
		t.Fatalf("header: %.120s", a)
	}
}

func TestSimUsage(t *testing.T) {
	for _, args := range [][]string{
		{}, // nowhere to send
		{"--speed", "0", "--out", "x"},
		{"--mqtt", "127.0.0.1:1"}, // no password file
		{"--via", "carrier-pigeon", "--cot", "127.0.0.1:1"},
		{"--out", "x", "--hours", "-1"},
		{"--realism", "1000"},
		{"stray"},
	} {
		err := runSim(context.Background(), quietEnv(&syncBuffer{}), args)
		if !errors.Is(err, ErrUsage) {
			t.Errorf("sim %s: %v, want a usage error", strings.Join(args, " "), err)
		}
	}
	for _, args := range [][]string{{}, {"walk"}, {"run"}, {"run", "x.yaml"}, {"run", "x.yaml", "--server-http", "http://x", "--token-file", "t", "--speed", "0"}} {
		if err := runExercise(context.Background(), quietEnv(&syncBuffer{}), args); !errors.Is(err, ErrUsage) {
			t.Errorf("exercise %s: %v, want a usage error", strings.Join(args, " "), err)
		}
	}
}

func TestRealismReport(t *testing.T) {
	out := &syncBuffer{}
	d, err := loadSimDeployment("")
	if err != nil {
		t.Fatal(err)
	}
	// Six hours keep the test fast (the core is slow under -race).
	if err := realismReport(out, d, 1, time.Date(2026, 3, 1, 0, 0, 0, 0, time.FixedZone("+03", 3*3600)), 6*time.Hour, false); err != nil {
		t.Fatal(err)
	}
	if s := out.String(); !strings.Contains(s, "2026-03-01") || !strings.Contains(s, "total") || !strings.Contains(s, "undetected escapes by reason") {
		t.Fatalf("report:\n%s", s)
	}
}
