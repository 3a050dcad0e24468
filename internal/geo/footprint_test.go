package geo

import (
	"math"
	"testing"

	"github.com/borderwatch/borderwatch"
)

func TestFootprint(t *testing.T) {
	pos := ll(34.4, 41.0)
	cases := []struct {
		name              string
		heading, fov, rng float64
		inside, outside   []borderwatch.LatLon
		wantLen           int
	}{
		{"sector 60° east 5 km", 90, 60, 5000,
			[]borderwatch.LatLon{Direct(pos, 90, 4000), Direct(pos, 65, 4900), Direct(pos, 115, 100)},
			[]borderwatch.LatLon{Direct(pos, 90, 5100), Direct(pos, 50, 1000), Direct(pos, 270, 10)}, 2 + 13},
		{"circle 2 km", 0, 360, 2000,
			[]borderwatch.LatLon{pos, Direct(pos, 123, 1990), Direct(pos, 300, 1500)},
			[]borderwatch.LatLon{Direct(pos, 10, 2010), Direct(pos, 200, 3000)}, 73},
		{"narrow 1° north 10 km", 0, 1, 10000,
			[]borderwatch.LatLon{Direct(pos, 0, 9000)},
			[]borderwatch.LatLon{Direct(pos, 2, 9000), Direct(pos, 0, 10100)}, 4},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ring := Footprint(pos, c.heading, c.fov, c.rng)
			if len(ring) != c.wantLen || ring[0] != ring[len(ring)-1] {
				t.Fatalf("ring of %d points (closed %v), want %d closed", len(ring), ring[0] == ring[len(ring)-1], c.wantLen)
			}
			for _, p := range ring {
				if d := Distance(pos, p); d > c.rng+1e-6 {
					t.Errorf("vertex %v is %v m away, beyond the range", p, d)
				}
			}
			for _, p := range c.inside {
				if !PolygonContains(ring, p) {
					t.Errorf("%v (%.0f m at %.1f°) not inside", p, Distance(pos, p), azimuth(pos, p))
				}
			}
			for _, p := range c.outside {
				if PolygonContains(ring, p) {
					t.Errorf("%v (%.0f m at %.1f°) inside", p, Distance(pos, p), azimuth(pos, p))
				}
			}
		})
	}
	for _, bad := range [][3]float64{{0, 0, 100}, {0, 90, 0}, {0, math.NaN(), 100}, {0, 90, math.Inf(1)}, {math.NaN(), 90, 100}} {
		if r := Footprint(pos, bad[0], bad[1], bad[2]); r != nil {
			t.Errorf("Footprint(%v) = %v, want nil", bad, r)
		}
	}
}

func azimuth(a, b borderwatch.LatLon) float64 {
	_, az, _ := Inverse(a, b)
	return az
}

func TestPolygonContains(t *testing.T) {
	square := []borderwatch.LatLon{ll(0, 0), ll(0, 1), ll(1, 1), ll(1, 0)}
	// A U shape: the notch between the arms is outside.
	u := []borderwatch.LatLon{ll(0, 0), ll(0, 3), ll(3, 3), ll(3, 2), ll(1, 2), ll(1, 1), ll(3, 1), ll(3, 0), ll(0, 0)}
	cases := []struct {
		name string
		ring []borderwatch.LatLon
		p    borderwatch.LatLon
		want bool
	}{
		{"square centre", square, ll(0.5, 0.5), true},
		{"square outside", square, ll(1.5, 0.5), false},
		{"square outside left", square, ll(0.5, -0.1), false},
		{"U arm", u, ll(2, 0.5), true},
		{"U notch", u, ll(2, 1.5), false},
		{"U base", u, ll(0.5, 1.5), true},
		{"degenerate", square[:2], ll(0, 0.5), false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := PolygonContains(c.ring, c.p); got != c.want {
				t.Errorf("PolygonContains(%v) = %v, want %v", c.p, got, c.want)
			}
		})
	}
}
