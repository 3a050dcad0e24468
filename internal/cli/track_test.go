package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestTrackAndEval runs `borderwatch track` on the shared S10 scenario and
// scores the result with `borderwatch eval`: the mean GOSPA must be at or
// below the reference tracker's 64.36.
func TestTrackAndEval(t *testing.T) {
	scenario := filepath.Join("..", "mtt", "testdata", "s10.jsonl.gz")
	run := func(args ...string) (int, string, string) {
		var o, e bytes.Buffer
		code := Run(context.Background(), &Env{Stdout: &o, Stderr: &e, Getenv: func(string) string { return "" }}, args)
		return code, o.String(), e.String()
	}
	for _, mode := range []string{"gnn", "jpda"} {
		t.Run(mode, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "tracks.jsonl")
			if code, _, e := run("track", "--in", scenario, "--out", out, "--mode", mode); code != 0 {
				t.Fatalf("track: exit %d: %s", code, e)
			}
			code, o, e := run("eval", "--scenario", scenario, "--tracks", out)
			if code != 0 {
				t.Fatalf("eval: exit %d: %s", code, e)
			}
			var mean float64
			for _, line := range strings.Split(o, "\n") {
				if v, ok := strings.CutPrefix(line, "mean GOSPA "); ok {
					mean, _ = strconv.ParseFloat(v, 64)
				}
			}
			if !strings.Contains(o, "scans scored 300") || mean == 0 || mean > 64.36 {
				t.Fatalf("eval output %q: want 300 scans scored and mean GOSPA <= 64.36", o)
			}
		})
	}
}

func TestTrackErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.jsonl")
	os.WriteFile(bad, []byte(`{"header": {"format": "mtt-jsonl/1", "pd": 0.9, "clutter_density": 1e-6, "sensors": {"s1": {"sigma": 10}}}}`+"\n"+`{"t": 0, "detections": [{"x": 1}]}`+"\n"), 0o644)
	cases := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no-args", []string{"track"}, 2, "--in"},
		{"bad-mode", []string{"track", "--in", bad, "--out", filepath.Join(dir, "o"), "--mode", "mht"}, 2, "--mode"},
		{"missing-file", []string{"track", "--in", filepath.Join(dir, "nope"), "--out", filepath.Join(dir, "o")}, 1, "nope"},
		{"bad-line", []string{"track", "--in", bad, "--out", filepath.Join(dir, "o")}, 1, "line 2"},
		{"eval-no-args", []string{"eval"}, 2, "--scenario"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var o, e bytes.Buffer
			code := Run(context.Background(), &Env{Stdout: &o, Stderr: &e, Getenv: func(string) string { return "" }}, c.args)
			if code != c.code || !strings.Contains(e.String(), c.want) {
				t.Fatalf("exit %d, stderr %q: want exit %d mentioning %q", code, e.String(), c.code, c.want)
			}
		})
	}
}
