package geo

import (
	"math"
	"testing"
)

// wrapLatLon maps any float pair onto a valid position.
func wrapLatLon(lat, lon float64) (float64, float64, bool) {
	if math.IsNaN(lat) || math.IsNaN(lon) || math.IsInf(lat, 0) || math.IsInf(lon, 0) {
		return 0, 0, false
	}
	return math.Mod(lat, 90), math.Mod(lon, 180), true
}

// FuzzInverse checks Inverse and Direct on arbitrary positions: no panic,
// distances within [0, half a meridian], symmetry, and Direct lands where
// Inverse says.
func FuzzInverse(f *testing.F) {
	for _, c := range geodCases {
		f.Add(c[0], c[1], c[3], c[4])
	}
	f.Add(0.0, 0.0, 0.0, 180.0)
	f.Add(-30.0, 0.0, 29.9, 179.8)
	f.Add(90.0, 0.0, -90.0, 0.0)
	f.Add(37.109984, 42.357238, 37.109984, 42.3572381)
	f.Fuzz(func(t *testing.T, lat1, lon1, lat2, lon2 float64) {
		var ok1, ok2 bool
		lat1, lon1, ok1 = wrapLatLon(lat1, lon1)
		lat2, lon2, ok2 = wrapLatLon(lat2, lon2)
		if !ok1 || !ok2 {
			return
		}
		a, b := ll(lat1, lon1), ll(lat2, lon2)
		s, az1, _ := Inverse(a, b)
		if !(s >= 0 && s <= 20003931.46) {
			t.Fatalf("Inverse(%v, %v) = %v m", a, b, s)
		}
		if r := Distance(b, a); math.Abs(r-s) > 1e-7 {
			t.Fatalf("Distance not symmetric: %v vs %v", s, r)
		}
		if d := Distance(Direct(a, az1, s), b); d > 1e-6 {
			t.Fatalf("Direct(%v, %v, %v) lands %v m from %v", a, az1, s, d, b)
		}
	})
}
