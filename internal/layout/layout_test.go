package layout_test

import (
	"bytes"
	"errors"
	"io/fs"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/borderwatch/borderwatch"
	"github.com/borderwatch/borderwatch/deployments"
	"github.com/borderwatch/borderwatch/internal/deployment"
	"github.com/borderwatch/borderwatch/internal/layout"
)

// TestShippedLayoutIsGenerated is the contract of layout.gen.yaml: it is
// exactly what the rules generate at density 1.
func TestShippedLayoutIsGenerated(t *testing.T) {
	res, err := layout.FromFolder(deployments.FS, deployments.Reference, deployment.Options{}, 1)
	if err != nil {
		t.Fatal(err)
	}
	shipped, err := fs.ReadFile(deployments.FS, deployments.Reference+"/"+res.File)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(shipped, res.Data) {
		t.Fatalf("deployments/iraq-syria/%s differs from what layout.yaml generates; run\n\tborderwatch deployment layout --deployment deployments/iraq-syria --write", res.File)
	}
}

func TestGenerateDensity(t *testing.T) {
	f, err := deployment.Open(deployments.FS, deployments.Reference, deployment.Options{SkipLayout: true})
	if err != nil {
		t.Fatal(err)
	}
	rules := parse(t, nil)
	var prev layout.SectorStats
	for i, density := range []float64{1, 1.5, 2, 3} {
		l, err := layout.Generate(f.Deployment, f.Line, rules, density)
		if err != nil {
			t.Fatalf("density %g: %v", density, err)
		}
		tot := l.Totals()
		t.Logf("density %g: %+v", density, tot)
		if i > 0 && (tot.Towers <= prev.Towers || tot.GroundSensors <= prev.GroundSensors) {
			t.Errorf("density %g: %d towers, %d ground sensors; not more than at the lower density (%d, %d)", density, tot.Towers, tot.GroundSensors, prev.Towers, prev.GroundSensors)
		}
		if math.Abs(tot.LengthKm-f.Deployment.Border.LengthKm) > 1e-6 {
			t.Errorf("sectors cover %.3f km of %.3f", tot.LengthKm, f.Deployment.Border.LengthKm)
		}
		prev = tot
	}
}

func TestGenerateTooSparse(t *testing.T) {
	f, err := deployment.Open(deployments.FS, deployments.Reference, deployment.Options{SkipLayout: true})
	if err != nil {
		t.Fatal(err)
	}
	_, err = layout.Generate(f.Deployment, f.Line, parse(t, nil), 0.5)
	if err == nil || !strings.Contains(err.Error(), "the camera's night range for vehicle is 12000 m: reduce spacing_km (20 / density 0.5)") {
		t.Fatalf("want a coverage error, got %v", err)
	}
	for _, bad := range []float64{0, -1, math.NaN(), 50} {
		if _, err := layout.Generate(f.Deployment, f.Line, parse(t, nil), bad); err == nil {
			t.Errorf("density %g accepted", bad)
		}
	}
}

// TestGenerateGeometry checks the generated sites and sensors: towers on
// the configured side at the setback, cameras on their towers.
func TestGenerateGeometry(t *testing.T) {
	f, err := deployment.Open(deployments.FS, deployments.Reference, deployment.Options{SkipLayout: true})
	if err != nil {
		t.Fatal(err)
	}
	rules := parse(t, nil)
	l, err := layout.Generate(f.Deployment, f.Line, rules, 1)
	if err != nil {
		t.Fatal(err)
	}
	towers := map[string]borderwatch.Site{}
	for _, s := range l.Sites {
		towers[s.ID] = s
		st := f.Line.Locate(s.Position)
		if st.Offset > -rules.SetbackM*0.5 || st.Offset < -rules.SetbackM*1.5 {
			t.Errorf("tower %s is %.0f m from the line, want about -%g (left)", s.ID, st.Offset, rules.SetbackM)
		}
	}
	for _, s := range l.Sensors {
		if s.Site == "" {
			continue
		}
		tw, ok := towers[s.Site]
		if !ok || tw.Position != s.Position || tw.Sector != s.Sector {
			t.Errorf("sensor %s is not on its tower %s", s.ID, s.Site)
		}
		if s.HeadingDeg < 0 || s.HeadingDeg >= 360 {
			t.Errorf("sensor %s heading %v", s.ID, s.HeadingDeg)
		}
	}
}

func TestEncodeLoads(t *testing.T) {
	res, err := layout.FromFolder(deployments.FS, deployments.Reference, deployment.Options{}, 2)
	if err != nil {
		t.Fatal(err)
	}
	// Put the generated file into a copy of the folder and load it.
	dir := t.TempDir()
	if err := os.CopyFS(dir, mustSub(t, deployments.FS, deployments.Reference)); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dir+"/"+res.File, res.Data, 0o644); err != nil {
		t.Fatal(err)
	}
	d, err := deployment.Load(os.DirFS(dir), ".")
	if err != nil {
		t.Fatalf("generated layout does not load: %v", err)
	}
	var gen int
	for _, s := range d.Sensors {
		if s.Generated {
			gen++
		}
	}
	if gen != len(res.Layout.Sensors) {
		t.Errorf("loaded %d generated sensors, generated %d", gen, len(res.Layout.Sensors))
	}
}

func mustSub(t *testing.T, fsys fs.FS, dir string) fs.FS {
	sub, err := fs.Sub(fsys, dir)
	if err != nil {
		t.Fatal(err)
	}
	return sub
}

func parse(t testing.TB, edit func(string) string) *layout.Rules {
	t.Helper()
	b, err := os.ReadFile("testdata/rules.yaml")
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	if edit != nil {
		s = edit(s)
	}
	r, err := layout.ParseRules("rules.yaml", []byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestParseRulesBroken(t *testing.T) {
	b, err := os.ReadFile("testdata/rules.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct{ name, old, new, want string }{
		{"side", "side: left", "side: west", `side = "west": must be "left" or "right"`},
		{"setback", "setback_m: 2000", "setback_m: -2000", `setback_m = "-2000": must be between 1 and 50000`},
		{"overlap", "overlap: 0.15", "overlap: 0.9", `overlap = "0.9": must be in [0, 0.5]`},
		{"fov", "fov_deg: 35", "fov_deg: 0", `camera.fov_deg = "0": must be between 1 and 360`},
		{"no default sector", "  default: {spacing_km: 7.5, design_class: person}\n", "", `sectors: must have a "default" entry`},
		{"class", "design_class: person\nsectors", "design_class: ghost\nsectors", `hotspot.design_class = "ghost": unknown class`},
		{"radar n", "every_nth_tower: 3", "every_nth_tower: 0", "radar.every_nth_tower"},
		{"unknown", "overlap: 0.15", "overlap: 0.15\noverlapp: 1", "overlapp: unknown field"},
		{"spacing missing", "  spacing_km: 2\n", "", "ground_sensors.spacing_km: required field is missing"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := strings.Replace(string(b), c.old, c.new, 1)
			if s == string(b) {
				t.Fatalf("edit %q not applied", c.old)
			}
			_, err := layout.ParseRules("rules.yaml", []byte(s))
			var es deployment.Errors
			if !errors.As(err, &es) || !strings.Contains(err.Error(), c.want) || !strings.HasPrefix(err.Error(), "rules.yaml:") {
				t.Fatalf("want an error containing %q, got %v", c.want, err)
			}
		})
	}
}

func FuzzParseRules(f *testing.F) {
	b, err := os.ReadFile("testdata/rules.yaml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte("side: left\nsetback_m: 1\n"))
	f.Add([]byte("camera: {range: {person: {day_m: .inf}}}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := layout.ParseRules("rules.yaml", data)
		if (r == nil) == (err == nil) {
			t.Fatalf("rules %v with error %v", r, err)
		}
	})
}

func BenchmarkGenerate(b *testing.B) {
	f, err := deployment.Open(deployments.FS, deployments.Reference, deployment.Options{SkipLayout: true})
	if err != nil {
		b.Fatal(err)
	}
	rules := parse(b, nil)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := layout.Generate(f.Deployment, f.Line, rules, 1); err != nil {
			b.Fatal(err)
		}
	}
}
