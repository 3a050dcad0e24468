package geo

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/borderwatch/borderwatch"
)

// loadBorder reads the Iraq–Syria reference line (Natural Earth 1:10m,
// 75 vertices, north→south, Iraq on the left; see testdata/README.md).
func loadBorder(tb testing.TB) []borderwatch.LatLon {
	tb.Helper()
	raw, err := os.ReadFile("testdata/iraq_syria_border.geojson")
	if err != nil {
		tb.Fatal(err)
	}
	var fc struct {
		Features []struct {
			Geometry struct {
				Coordinates [][2]float64 `json:"coordinates"`
			} `json:"geometry"`
		} `json:"features"`
	}
	if err := json.Unmarshal(raw, &fc); err != nil {
		tb.Fatalf("testdata/iraq_syria_border.geojson: %v", err)
	}
	var pts []borderwatch.LatLon
	for _, c := range fc.Features[0].Geometry.Coordinates {
		pts = append(pts, borderwatch.LatLon{Lat: c[1], Lon: c[0]})
	}
	return pts
}

func border(tb testing.TB) *Line {
	tb.Helper()
	l, err := NewLine(loadBorder(tb))
	if err != nil {
		tb.Fatal(err)
	}
	return l
}

func ll(lat, lon float64) borderwatch.LatLon { return borderwatch.LatLon{Lat: lat, Lon: lon} }

func TestBorderLength(t *testing.T) {
	l := border(t)
	// The shared data README: 598.89 km geodesic on WGS84 (GeographicLib,
	// cross-checked with pyproj); the Factbook gives 599 km.
	if math.Abs(l.Length()-598.89) > 0.005 {
		t.Errorf("Length = %.4f km, want 598.89", l.Length())
	}
	if n := len(l.Vertices()); n != 75 {
		t.Errorf("%d vertices, want 75", n)
	}
}

func TestNewLineErrors(t *testing.T) {
	cases := []struct {
		name string
		pts  []borderwatch.LatLon
	}{
		{"empty", nil},
		{"one vertex", []borderwatch.LatLon{ll(34, 41)}},
		{"latitude out of range", []borderwatch.LatLon{ll(34, 41), ll(91, 41)}},
		{"NaN", []borderwatch.LatLon{ll(34, 41), ll(math.NaN(), 41)}},
		{"repeated vertex", []borderwatch.LatLon{ll(34, 41), ll(35, 41), ll(35, 41)}},
		{"segment too long", []borderwatch.LatLon{ll(0, 0), ll(0, 20)}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if l, err := NewLine(c.pts); err == nil {
				t.Errorf("NewLine accepted %v (length %v)", c.pts, l.Length())
			}
		})
	}
}

func TestSideOfKnownPlaces(t *testing.T) {
	l := border(t)
	cases := []struct {
		name string
		p    borderwatch.LatLon
		want Side
	}{
		// Iraq, from the shared border_points data and well-known cities.
		{"Sinjar", ll(36.3225, 41.86417), Left},
		{"Al-Ba'aj", ll(36.05, 41.716667), Left},
		{"Tal Afar", ll(36.375982, 42.44975), Left},
		{"Mosul", ll(36.346948, 43.143059), Left},
		{"Rutba", ll(33.03846, 40.284456), Left},
		{"Ramadi", ll(33.420013, 43.299982), Left},
		{"Baghdad", ll(33.315, 44.366), Left},
		{"Al-Qa'im", ll(34.36694, 41.13889), Left},
		// Syria.
		{"Al-Tanf", ll(33.50583, 38.61778), Right},
		{"Deir ez-Zor", ll(35.336, 40.141), Right},
		{"Al-Hasakah", ll(36.5, 40.75), Right},
		{"Qamishli", ll(37.05, 41.22), Right},
		{"Palmyra", ll(34.56, 38.28), Right},
		{"Damascus", ll(33.51, 36.29), Right},
		{"Aleppo", ll(36.2, 37.16), Right},
		// Beyond the ends the end segments' continuations divide: Saudi
		// Arabia's Arar lies south-east, on Iraq's side of the extension.
		{"Arar (beyond the south end, east)", ll(30.97, 41.04), Left},
		{"Amman (beyond the south end, west)", ll(31.95, 35.93), Right},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := l.Side(c.p); got != c.want {
				t.Errorf("Side(%v) = %s, want %s (station %+v)", c.p, got, c.want, l.Locate(c.p))
			}
			st := l.Locate(c.p)
			if (st.Offset > 0) != (c.want == Right) {
				t.Errorf("Locate(%v).Offset = %v disagrees with side %s", c.p, st.Offset, c.want)
			}
		})
	}
}

func TestCrossKnown(t *testing.T) {
	l := border(t)
	for _, km := range []float64{0.5, 12.3, 100, 300, 301.7, 450, 598} {
		p, az := l.pointAz(km, false)
		iraq := Direct(p, az-90, 15)
		syria := Direct(p, az+90, 15)
		c, ok := l.Cross(iraq, syria)
		if !ok || c.Direction != Right || math.Abs(c.Chainage-km) > 1e-5 || Distance(c.Point, p) > 0.01 {
			t.Errorf("km %v: Cross(Iraq→Syria) = %+v, %v; want Right at %v (%v)", km, c, ok, km, p)
		}
		c2, ok2 := l.Cross(syria, iraq)
		if !ok2 || c2.Direction != Left || math.Abs(c2.Chainage-c.Chainage) > 1e-9 {
			t.Errorf("km %v: Cross(Syria→Iraq) = %+v, %v", km, c2, ok2)
		}
		if _, ok := l.Cross(iraq, Direct(iraq, az, 30)); ok {
			t.Errorf("km %v: a movement parallel to the line crosses it", km)
		}
	}
}

func TestLocatePointAtRoundTrip(t *testing.T) {
	l := border(t)
	rng := rand.New(rand.NewPCG(3, 4))
	for range 2000 {
		km := rng.Float64() * l.Length()
		p := l.PointAt(km)
		st := l.Locate(p)
		if math.Abs(st.Chainage-km) > 1e-6 || math.Abs(st.Offset) > 1e-3 {
			t.Fatalf("Locate(PointAt(%v)) = %+v", km, st)
		}
	}
}
