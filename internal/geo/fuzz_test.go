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

// FuzzCross checks Cross on arbitrary movements around the real border:
// the index finds what the naive test finds, reversing the movement reverses
// the direction, and a single crossing agrees with Side.
func FuzzCross(f *testing.F) {
	l := border(f)
	f.Add(36.0, 41.3, 36.0, 41.2)
	f.Add(34.4, 40.99, 34.41, 40.97)
	f.Add(33.3716, 38.7745, 33.3717, 38.7746)
	f.Add(37.109984, 42.357238, 37.1, 42.3)
	f.Fuzz(func(t *testing.T, lat1, lon1, lat2, lon2 float64) {
		for _, v := range []float64{lat1, lon1, lat2, lon2} {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return
			}
		}
		// Fold into the border's region: 33–38°N, 38–43°E.
		a := ll(33+math.Abs(math.Mod(lat1, 5)), 38+math.Abs(math.Mod(lon1, 5)))
		b := ll(33+math.Abs(math.Mod(lat2, 5)), 38+math.Abs(math.Mod(lon2, 5)))
		c, ok := l.Cross(a, b)
		seg, into, nok := naiveCross(l, a, b)
		if ok != nok || ok && (c.Segment != seg || c.Direction != into) {
			t.Fatalf("%v→%v: Cross %+v %v, naive %d %s %v", a, b, c, ok, seg, into, nok)
		}
		r, rok := l.Cross(b, a)
		if rok != ok {
			t.Fatalf("%v→%v crosses %v, reversed %v", a, b, ok, rok)
		}
		if ok && len(l.ix.SegmentsCrossing(nil, a, b)) == 1 {
			if r.Direction != c.Direction.Opposite() {
				t.Fatalf("%v→%v into %s, reversed into %s", a, b, c.Direction, r.Direction)
			}
			if l.Side(b) != c.Direction && l.Locate(b).Chainage > 0 && l.Locate(b).Chainage < l.Length() &&
				l.Locate(a).Chainage > 0 && l.Locate(a).Chainage < l.Length() {
				t.Fatalf("%v→%v into %s but Side(b) = %s", a, b, c.Direction, l.Side(b))
			}
		}
	})
}
