package deployment_test

import (
	"errors"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/borderwatch/borderwatch/deployments"
	"github.com/borderwatch/borderwatch/internal/deployment"
)

// FuzzLoad feeds arbitrary manifests and border files to the loader. It
// must never panic; it returns either a deployment whose derived fields are
// consistent or a list of errors that each name their file.
func FuzzLoad(f *testing.F) {
	base := minimal(f, nil)
	manifest, border := base["d/deployment.yaml"].Data, base["d/border.geojson"].Data
	f.Add(manifest, border)
	ref, err := deployments.FS.ReadFile(deployments.Reference + "/deployment.yaml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(ref, border)
	f.Add([]byte(strings.Replace(string(manifest), "from_km: 10", "from_km: 1e400", 1)), border)
	f.Add([]byte("name: x\nborder: {file: border.geojson}\n"), []byte(`{"type":"FeatureCollection","features":[{"type":"Feature","geometry":{"type":"LineString","coordinates":[[0,0],[0,0.1]]}}]}`))
	f.Add([]byte("a: &x [1]\nb: *x\n"), []byte("{"))
	f.Fuzz(func(t *testing.T, manifest, border []byte) {
		fsys := fstest.MapFS{
			"d/deployment.yaml": &fstest.MapFile{Data: manifest},
			"d/border.geojson":  &fstest.MapFile{Data: border},
		}
		d, err := deployment.Load(fsys, "d")
		if err != nil {
			if d != nil {
				t.Fatal("a deployment and an error")
			}
			var es deployment.Errors
			if !errors.As(err, &es) || len(es) == 0 {
				t.Fatalf("error %T is not a deployment.Errors list: %v", err, err)
			}
			for _, e := range es {
				if !strings.HasPrefix(e.File, "d/") || e.Reason == "" {
					t.Fatalf("error without file or reason: %#v", e)
				}
			}
			return
		}
		for _, s := range d.Sites {
			if s.Sector == "" || !s.Position.Valid() {
				t.Fatalf("site %s: sector %q position %v", s.ID, s.Sector, s.Position)
			}
		}
		for _, s := range d.Sensors {
			if s.Sector == "" || !s.Position.Valid() {
				t.Fatalf("sensor %s: sector %q position %v", s.ID, s.Sector, s.Position)
			}
		}
		if _, err := deployment.Features(d); err != nil {
			t.Fatalf("a loaded deployment does not export: %v", err)
		}
	})
}
