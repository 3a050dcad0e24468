package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/borderwatch/borderwatch/deployments"
)

func testEnv(getenv map[string]string) (*Env, *bytes.Buffer, *bytes.Buffer) {
	var out, errb bytes.Buffer
	return &Env{
		Stdin:  strings.NewReader(""),
		Stdout: &out,
		Stderr: &errb,
		Getenv: func(k string) string { return getenv[k] },
		Logger: slog.New(slog.NewTextHandler(&errb, nil)),
	}, &out, &errb
}

// copyReference copies the embedded reference deployment to a temporary
// folder and returns its path.
func copyReference(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "iraq-syria")
	sub, err := fs.Sub(deployments.FS, deployments.Reference)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.CopyFS(dir, sub); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestDeploymentCommand(t *testing.T) {
	ctx := context.Background()
	t.Run("validate embedded", func(t *testing.T) {
		env, out, _ := testEnv(nil)
		if code := Run(ctx, env, []string{"deployment", "validate"}); code != 0 {
			t.Fatalf("exit %d", code)
		}
		if !strings.Contains(out.String(), "embedded iraq-syria: valid: 598.89 km border, 7 sectors") {
			t.Errorf("output: %s", out)
		}
	})
	t.Run("validate broken folder", func(t *testing.T) {
		dir := copyReference(t)
		p := filepath.Join(dir, "deployment.yaml")
		b, _ := os.ReadFile(p)
		b = bytes.Replace(b, []byte("time_zone: Asia/Baghdad"), []byte("time_zone: Mars/Olympus"), 1)
		b = bytes.Replace(b, []byte("status: closed"), []byte("status: shut"), 1)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		env, _, errb := testEnv(map[string]string{"BORDERWATCH_DEPLOYMENT": dir})
		if code := Run(ctx, env, []string{"deployment", "validate"}); code != 1 {
			t.Fatalf("exit %d, want 1", code)
		}
		for _, want := range []string{
			dir + `/deployment.yaml:15: time_zone = "Mars/Olympus": not an IANA time zone`,
			`crossings[0].status = "shut": unknown status`,
			"borderwatch deployment: 2 problems",
		} {
			if !strings.Contains(errb.String(), want) {
				t.Errorf("stderr lacks %q:\n%s", want, errb)
			}
		}
	})
	t.Run("show json", func(t *testing.T) {
		env, out, _ := testEnv(nil)
		if code := Run(ctx, env, []string{"deployment", "show", "--format", "json"}); code != 0 {
			t.Fatalf("exit %d", code)
		}
		var d struct {
			Name    string `json:"name"`
			Sensors []any  `json:"sensors"`
		}
		if err := json.Unmarshal(out.Bytes(), &d); err != nil || d.Name != "iraq-syria" || len(d.Sensors) < 200 {
			t.Fatalf("json: %v %+v", err, d.Name)
		}
	})
	t.Run("show text", func(t *testing.T) {
		env, out, _ := testEnv(nil)
		if code := Run(ctx, env, []string{"deployment", "show"}); code != 0 {
			t.Fatalf("exit %d", code)
		}
		for _, want := range []string{"wall 160.0 km", "Semalka – Faysh Khabur bridge", "unofficial (de facto)", "krg-faysh-khabur"} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("show lacks %q:\n%s", want, out)
			}
		}
	})
	t.Run("export to file", func(t *testing.T) {
		for _, format := range []string{"geojson", "kml"} {
			env, _, _ := testEnv(nil)
			file := filepath.Join(t.TempDir(), "out."+format)
			if code := Run(ctx, env, []string{"deployment", "export", "--format", format, "--out", file}); code != 0 {
				t.Fatalf("%s: exit %d", format, code)
			}
			b, err := os.ReadFile(file)
			if err != nil || len(b) < 100_000 {
				t.Fatalf("%s: %d bytes, %v", format, len(b), err)
			}
		}
	})
	t.Run("usage errors", func(t *testing.T) {
		for _, args := range [][]string{
			{"deployment"},
			{"deployment", "frobnicate"},
			{"deployment", "export", "--format", "shp"},
			{"deployment", "show", "--format", "xml"},
			{"deployment", "layout", "--write"},
			{"deployment", "validate", "extra"},
		} {
			env, _, _ := testEnv(nil)
			if code := Run(ctx, env, args); code != 2 {
				t.Errorf("%v: exit %d, want 2", args, code)
			}
		}
	})
	t.Run("layout write regenerates the shipped file", func(t *testing.T) {
		dir := copyReference(t)
		gen := filepath.Join(dir, "layout.gen.yaml")
		shipped, _ := os.ReadFile(gen)
		if err := os.WriteFile(gen, []byte("sites: []\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		env, out, errb := testEnv(nil)
		if code := Run(ctx, env, []string{"deployment", "layout", "--deployment", dir, "--write"}); code != 0 {
			t.Fatalf("exit %d: %s", code, errb)
		}
		got, _ := os.ReadFile(gen)
		if !bytes.Equal(got, shipped) {
			t.Error("layout --write did not regenerate the shipped layout.gen.yaml")
		}
		if !strings.Contains(out.String(), "total") || !strings.Contains(out.String(), "wrote "+gen) {
			t.Errorf("output:\n%s", out)
		}
	})
	t.Run("layout denser", func(t *testing.T) {
		env, out, _ := testEnv(nil)
		file := filepath.Join(t.TempDir(), "dense.yaml")
		if code := Run(ctx, env, []string{"deployment", "layout", "--density", "2", "--out", file}); code != 0 {
			t.Fatalf("exit %d", code)
		}
		if !strings.Contains(out.String(), "layout at density 2") {
			t.Errorf("output:\n%s", out)
		}
	})
	t.Run("layout too sparse", func(t *testing.T) {
		env, _, errb := testEnv(nil)
		if code := Run(ctx, env, []string{"deployment", "layout", "--density", "0.5"}); code != 1 {
			t.Fatalf("exit %d, want 1", code)
		}
		if !strings.Contains(errb.String(), "reduce spacing_km") {
			t.Errorf("stderr:\n%s", errb)
		}
	})
}
