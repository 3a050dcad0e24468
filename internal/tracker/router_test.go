package tracker

import (
	"math/rand/v2"
	"testing"

	"github.com/borderwatch/borderwatch"
)

// twoSectors splits the plane at x = 0: W holds x < 0, E holds x >= 0.
func twoSectors(t *testing.T) *Router {
	t.Helper()
	ring := func(x0, x1 float64) []borderwatch.LatLon {
		return []borderwatch.LatLon{at(x0, -5000), at(x1, -5000), at(x1, 5000), at(x0, 5000), at(x0, -5000)}
	}
	r, err := NewRouter([]RouterSector{
		{Options: SectorOptions{ID: "W", Origin: at(-2500, 0)}, Area: ring(-5000, 0)},
		{Options: SectorOptions{ID: "E", Origin: at(2500, 0)}, Area: ring(0, 5000)},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Close)
	return r
}

func TestRouterHandover(t *testing.T) {
	for _, c := range []struct {
		name  string
		speed float64
		y     float64
	}{{"walker-eastward", 1.5, 0}, {"vehicle-westward", -15, 300}} {
		t.Run(c.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(8, 8))
			r := twoSectors(t)
			start := -c.speed * 60 // crosses x = 0 at k = 60
			var id string
			sectors := []string{}
			for k := 0.0; k <= 120; k++ {
				out, err := r.Observe([]borderwatch.Observation{detect(rng, "radar", k, start+c.speed*k, c.y, 4)})
				if err != nil {
					t.Fatal(err)
				}
				var confirmed []borderwatch.Track
				for _, tr := range out {
					if tr.Status == borderwatch.TrackDeleted {
						t.Fatalf("k=%v: track %s deleted", k, tr.ID)
					}
					if tr.Status != borderwatch.TrackTentative {
						confirmed = append(confirmed, tr)
					}
				}
				all := r.Tracks()
				if k < 10 {
					continue
				}
				// No gap: the track is reported in every call; no duplicate:
				// exactly one track exists across both sectors.
				if len(confirmed) != 1 || len(all) != 1 {
					t.Fatalf("k=%v: %d tracks reported, %d held: %+v", k, len(confirmed), len(all), all)
				}
				tr := confirmed[0]
				if id == "" {
					id = tr.ID
				}
				if tr.ID != id {
					t.Fatalf("k=%v: track ID changed from %s to %s", k, id, tr.ID)
				}
				if len(sectors) == 0 || sectors[len(sectors)-1] != tr.Sector {
					sectors = append(sectors, tr.Sector)
				}
				x, _ := xy(tr.Position)
				if want := start + c.speed*k; x-want > 10 || want-x > 10 {
					t.Fatalf("k=%v: track at x=%.1f, target at %.1f", k, x, want)
				}
			}
			want := []string{"W", "E"}
			if c.speed < 0 {
				want = []string{"E", "W"}
			}
			if len(sectors) != 2 || sectors[0] != want[0] || sectors[1] != want[1] {
				t.Errorf("sectors over time %v, want %v (one handover)", sectors, want)
			}
		})
	}
}

func TestRouterRoutesToOwner(t *testing.T) {
	// A target walking along the boundary, its detections scattering to
	// both sides, stays one track in one sector.
	rng := rand.New(rand.NewPCG(9, 9))
	r := twoSectors(t)
	for k := 0.0; k <= 90; k++ {
		if _, err := r.Observe([]borderwatch.Observation{detect(rng, "radar", k, 1, 1.4*k, 5)}); err != nil {
			t.Fatal(err)
		}
		if all := r.Tracks(); k > 10 && len(all) != 1 {
			t.Fatalf("k=%v: %d tracks along the boundary, want 1: %+v", k, len(all), all)
		}
	}
}

func TestRouterRejectsBadSectors(t *testing.T) {
	cases := []struct {
		name    string
		sectors []RouterSector
	}{
		{"none", nil},
		{"tiny-area", []RouterSector{{Options: SectorOptions{ID: "A", Origin: origin}, Area: []borderwatch.LatLon{origin, origin}}}},
		{"duplicate", []RouterSector{
			{Options: SectorOptions{ID: "A", Origin: origin}, Area: []borderwatch.LatLon{at(0, 0), at(1, 0), at(1, 1), at(0, 0)}},
			{Options: SectorOptions{ID: "A", Origin: origin}, Area: []borderwatch.LatLon{at(0, 0), at(1, 0), at(1, 1), at(0, 0)}},
		}},
		{"no-id", []RouterSector{{Options: SectorOptions{Origin: origin}, Area: []borderwatch.LatLon{at(0, 0), at(1, 0), at(1, 1), at(0, 0)}}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if r, err := NewRouter(c.sectors); err == nil {
				r.Close()
				t.Fatal("want an error")
			}
		})
	}
}
