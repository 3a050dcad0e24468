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

// bruteNearest is nearest without the grid.
func bruteNearest(l *Line, e vec3) nearest {
	best := nearest{dist2: math.Inf(1), vertex: -1}
	for i := range l.ix.segs {
		l.consider(i, e, &best)
	}
	return best
}

// TestNearestMatchesBruteForce is a property test of the grid search in
// nearest: it finds the same feature as checking every segment, near the
// line (ring search) and far from it (fallback).
func TestNearestMatchesBruteForce(t *testing.T) {
	l := border(t)
	for _, band := range [][2]float64{{0, 100}, {100, 3000}, {3000, 8000}, {8000, 200e3}} {
		for i, m := range movements(l, 3000, band[0], band[1], 11) {
			e := l.ix.position(m.a)
			got, want := l.nearest(m.a, e), bruteNearest(l, e)
			if got != want {
				t.Fatalf("band %v, point %d %v: nearest %+v, brute force %+v", band, i, m.a, got, want)
			}
		}
	}
}

// TestCrossProperties checks, on random track steps near the real border:
// the indexed Cross finds what the naive all-segments test finds; a→b and
// b→a report the same crossing with opposite directions; and Cross agrees
// with Side (a single crossing goes from Side(a) into Side(b); no crossing
// leaves the side unchanged).
func TestCrossProperties(t *testing.T) {
	l := border(t)
	rng := rand.New(rand.NewPCG(12, 13))
	crossings := 0
	for i := range 20000 {
		// Stay 10 km clear of the ends, whose continuations divide the
		// sides without being part of the line.
		km := 10 + rng.Float64()*(l.Length()-20)
		p, az := l.pointAz(km, false)
		off := (rng.Float64()*2 - 1) * []float64{5, 50, 500, 3000}[i%4]
		a := Direct(p, az+90, off)
		step := 1 + rng.Float64()*29
		if i%10 == 0 {
			step = rng.Float64() * 2000 // occasionally a long jump
		}
		b := Direct(a, rng.Float64()*360, step)

		c, ok := l.Cross(a, b)
		seg, into, nok := naiveCross(l, a, b)
		if ok != nok || ok && (c.Segment != seg || c.Direction != into) {
			t.Fatalf("step %d %v→%v: Cross %+v %v, naive seg %d %s %v", i, a, b, c, ok, seg, into, nok)
		}
		r, rok := l.Cross(b, a)
		if ok != rok {
			t.Fatalf("step %d: a→b crosses %v, b→a %v", i, ok, rok)
		}
		n := len(l.ix.SegmentsCrossing(nil, a, b))
		sa, sb := l.Side(a), l.Side(b)
		if !ok {
			if sa != sb {
				t.Fatalf("step %d %v→%v: no crossing but sides %s→%s", i, a, b, sa, sb)
			}
			continue
		}
		crossings++
		if n == 1 {
			if r.Direction != c.Direction.Opposite() || math.Abs(r.Chainage-c.Chainage) > 1e-9 || Distance(r.Point, c.Point) > 1e-6 {
				t.Fatalf("step %d: a→b %+v, b→a %+v", i, c, r)
			}
			if sa != c.Direction.Opposite() || sb != c.Direction {
				t.Fatalf("step %d %v→%v: crossed into %s but sides %s→%s", i, a, b, c.Direction, sa, sb)
			}
		}
		// The crossing point is on the line, at its chainage.
		if st := l.Locate(c.Point); math.Abs(st.Offset) > 1e-3 || math.Abs(st.Chainage-c.Chainage) > 1e-6 {
			t.Fatalf("step %d: crossing %+v located at %+v", i, c, st)
		}
	}
	if crossings < 500 {
		t.Errorf("only %d crossings in the sample", crossings)
	}
}

// TestSideFarFromLine checks Side stays coherent far from the line: along
// perpendiculars out to 300 km the side never flips.
func TestSideFarFromLine(t *testing.T) {
	l := border(t)
	for km := 5.0; km < l.Length()-5; km += 7.3 {
		p, az := l.pointAz(km, false)
		for _, d := range []float64{1, 100, 1e3, 10e3, 50e3, 100e3, 300e3} {
			if s := l.Side(Direct(p, az-90, d)); s != Left {
				t.Errorf("km %.1f, %v m left of the line: Side = %s", km, d, s)
			}
			if s := l.Side(Direct(p, az+90, d)); s != Right {
				t.Errorf("km %.1f, %v m right of the line: Side = %s", km, d, s)
			}
		}
	}
}

func pathKm(pts []borderwatch.LatLon) float64 {
	s := 0.0
	for i := 1; i < len(pts); i++ {
		s += Distance(pts[i-1], pts[i])
	}
	return s / 1000
}

func TestSlice(t *testing.T) {
	l := border(t)
	all := l.Slice(0, l.Length())
	if len(all) != 75 || all[0] != l.pts[0] || all[74] != l.pts[74] {
		t.Errorf("Slice(0, Length) has %d points from %v to %v", len(all), all[0], all[len(all)-1])
	}
	if c := l.Slice(-5, 1e9); len(c) != len(all) || c[0] != all[0] || c[len(c)-1] != all[len(all)-1] {
		t.Errorf("Slice is not clamped: %d points", len(c))
	}
	cases := []struct{ from, to float64 }{{100, 200}, {0, 0.5}, {300.1, 300.2}, {597, l.Length()}, {250, 250}}
	for _, c := range cases {
		s := l.Slice(c.from, c.to)
		if len(s) < 2 {
			t.Fatalf("Slice(%v, %v) has %d points", c.from, c.to, len(s))
		}
		if Distance(s[0], l.PointAt(c.from)) > 1e-9 || Distance(s[len(s)-1], l.PointAt(c.to)) > 1e-9 {
			t.Errorf("Slice(%v, %v) runs %v → %v", c.from, c.to, s[0], s[len(s)-1])
		}
		if got := pathKm(s); math.Abs(got-(c.to-c.from)) > 1e-6 {
			t.Errorf("Slice(%v, %v) is %.9f km long", c.from, c.to, got)
		}
		r := l.Slice(c.to, c.from)
		for i := range s {
			if r[len(r)-1-i] != s[i] {
				t.Fatalf("Slice(%v, %v) is not Slice(%v, %v) reversed", c.to, c.from, c.from, c.to)
			}
		}
	}
}

func TestOffsetSlice(t *testing.T) {
	l := border(t)
	for _, off := range []float64{-2000, -50, 0, 30, 500} {
		s := l.OffsetSlice(120, 260, off)
		plain := l.Slice(120, 260)
		if off == 0 && len(s) != len(plain) || len(s) < len(plain)/2 {
			t.Fatalf("offset %v: %d points, Slice has %d", off, len(s), len(plain))
		}
		for i, p := range s {
			st := l.Locate(p)
			if off == 0 {
				if p != plain[i] {
					t.Errorf("offset 0: point %d %v, Slice has %v", i, p, plain[i])
				}
				continue
			}
			// Along a segment the point is |off| away; at a vertex's outer
			// side the mitre puts it up to 4|off| from the vertex.
			if math.Signbit(st.Offset) != math.Signbit(off) || math.Abs(st.Offset) < 0.99*math.Abs(off) || math.Abs(st.Offset) > 4*math.Abs(off) {
				t.Errorf("offset %v: point %d located at %+v", off, i, st)
			}
			if i == 0 || i == len(s)-1 {
				if math.Abs(st.Offset-off) > 0.01 {
					t.Errorf("offset %v: end point %d at offset %v", off, i, st.Offset)
				}
			}
		}
	}
}

func TestCrossThroughVertex(t *testing.T) {
	l := border(t)
	for v := 1; v < len(l.pts)-1; v += 7 {
		in, out := l.ix.segs[v-1].az2, l.ix.segs[v].az1
		bis := in + angDiff(in, out)/2
		a := Direct(l.pts[v], bis-90, 10)
		b := Direct(l.pts[v], bis+90, 10)
		c, ok := l.Cross(a, b)
		if !ok || c.Direction != Right || Distance(c.Point, l.pts[v]) > 1e-3 || math.Abs(c.Chainage-l.cum[v]) > 1e-6 {
			t.Errorf("vertex %d: Cross through the vertex = %+v, %v", v, c, ok)
		}
		if n := len(l.ix.SegmentsCrossing(nil, a, b)); n < 1 || n > 2 {
			t.Errorf("vertex %d: %d segments crossed", v, n)
		}
	}
}

// TestLocateMatchesGeodesic checks Locate's fast distances (chords
// converted with radii of curvature) against geodesics: chainage and
// offset within 1 mm of the geodesic values, near and far from the line.
func TestLocateMatchesGeodesic(t *testing.T) {
	l := border(t)
	worstCh, worstOff := 0.0, 0.0
	for _, m := range movements(l, 3000, 0, 60e3, 31) {
		st := l.Locate(m.a)
		var wantCh float64
		if v := st.Point; v == l.pts[st.Segment] || st.Segment+1 < len(l.pts) && v == l.pts[st.Segment+1] {
			wantCh = st.Chainage // at a vertex: exact by construction
		} else {
			s := &l.ix.segs[st.Segment]
			wantCh = l.cum[st.Segment] + Distance(s.a, st.Point)/1000
		}
		wantOff := Distance(m.a, st.Point)
		worstCh = math.Max(worstCh, math.Abs(st.Chainage-wantCh)*1000)
		worstOff = math.Max(worstOff, math.Abs(math.Abs(st.Offset)-wantOff))
	}
	t.Logf("worst chainage error %.3g m, worst offset error %.3g m", worstCh, worstOff)
	if worstCh > 1e-3 || worstOff > 1e-3 {
		t.Errorf("worst chainage error %.3g m, offset error %.3g m", worstCh, worstOff)
	}
}

func TestLocateBeyondEnds(t *testing.T) {
	l := border(t)
	first, last := l.pts[0], l.pts[len(l.pts)-1]
	north := Direct(first, l.ix.segs[0].az1+180, 20e3) // 20 km on along the continuation
	st := l.Locate(north)
	if st.Chainage != 0 || st.Point != first || math.Abs(math.Abs(st.Offset)-20e3) > 1e-3 {
		t.Errorf("Locate 20 km beyond the start = %+v", st)
	}
	south := Direct(last, l.ix.segs[len(l.ix.segs)-1].az2, 5e3)
	st = l.Locate(south)
	if st.Chainage != l.Length() || st.Point != last || math.Abs(math.Abs(st.Offset)-5e3) > 1e-3 {
		t.Errorf("Locate 5 km beyond the end = %+v", st)
	}
	// Crossing the continuation beyond an end is not a crossing, though
	// the side changes.
	az := l.ix.segs[len(l.ix.segs)-1].az2
	a, b := Direct(south, az-90, 100), Direct(south, az+90, 100)
	if c, ok := l.Cross(a, b); ok {
		t.Errorf("crossing the continuation beyond the end: %+v", c)
	}
	if l.Side(a) != Left || l.Side(b) != Right {
		t.Errorf("beyond the end: sides %s, %s", l.Side(a), l.Side(b))
	}
}

// TestLineConcurrent runs the read methods from several goroutines, for
// the race detector.
func TestLineConcurrent(t *testing.T) {
	l := border(t)
	ms := movements(l, 200, 0, 3000, 41)
	done := make(chan int)
	for g := range 4 {
		go func() {
			n := 0
			for _, m := range ms[g*50 : (g+1)*50] {
				if _, ok := l.Cross(m.a, m.b); ok {
					n++
				}
				_ = l.Side(m.b)
				_ = l.Locate(m.a)
			}
			done <- n
		}()
	}
	for range 4 {
		<-done
	}
}

func TestHotPathsDoNotAllocate(t *testing.T) {
	l := border(t)
	ms := movements(l, 64, 0, 300, 51)
	ix := l.ix
	dst := make([]int, 0, 8)
	i := 0
	for name, f := range map[string]func(){
		"Cross":            func() { l.Cross(ms[i%64].a, ms[i%64].b); i++ },
		"Side":             func() { l.Side(ms[i%64].a); i++ },
		"Locate":           func() { l.Locate(ms[i%64].a); i++ },
		"Inverse":          func() { Inverse(ms[i%64].a, ms[i%64].b); i++ },
		"Direct":           func() { Direct(ms[i%64].a, 12, 3456); i++ },
		"SegmentsCrossing": func() { dst = ix.SegmentsCrossing(dst[:0], ms[i%64].a, ms[i%64].b); i++ },
	} {
		if n := testing.AllocsPerRun(200, f); n != 0 {
			t.Errorf("%s allocates %v times per call", name, n)
		}
	}
}

// TestLongLine builds a 6,000 km line (coarser grid cells) and checks its
// basic invariants.
func TestLongLine(t *testing.T) {
	var pts []borderwatch.LatLon
	p := ll(10, -20)
	for i := range 13 {
		pts = append(pts, p)
		p = Direct(p, 60+float64(i%3)*10, 500e3)
	}
	l, err := NewLine(pts)
	if err != nil {
		t.Fatal(err)
	}
	if l.ix.CellDeg() <= lineCellDeg {
		t.Errorf("cell %v°, want coarser than %v°", l.ix.CellDeg(), lineCellDeg)
	}
	if math.Abs(l.Length()-6000) > 1e-6 {
		t.Errorf("Length = %v", l.Length())
	}
	for _, km := range []float64{1, 777, 2500.5, 5999} {
		q, az := l.pointAz(km, false)
		// 500 km segments: the plane section departs from the geodesic by
		// up to ~8 cm (it grows as the cube of the length).
		if st := l.Locate(q); math.Abs(st.Chainage-km) > 1e-6 || math.Abs(st.Offset) > 0.1 {
			t.Errorf("Locate(PointAt(%v)) = %+v", km, st)
		}
		c, ok := l.Cross(Direct(q, az+90, 20), Direct(q, az-90, 20))
		if !ok || c.Direction != Left || math.Abs(c.Chainage-km) > 1e-6 {
			t.Errorf("km %v: Cross = %+v %v", km, c, ok)
		}
	}
}

func TestInvalidPositions(t *testing.T) {
	l := border(t)
	for _, p := range []borderwatch.LatLon{ll(math.NaN(), 41), ll(34, math.Inf(1)), ll(95, 41), ll(34, -181)} {
		if s := l.Side(p); s != "" {
			t.Errorf("Side(%v) = %q, want none", p, s)
		}
		if st := l.Locate(p); !math.IsNaN(st.Chainage) || !math.IsNaN(st.Offset) {
			t.Errorf("Locate(%v) = %+v, want NaN", p, st)
		}
		if c, ok := l.Cross(p, l.PointAt(100)); ok {
			t.Errorf("Cross from %v = %+v", p, c)
		}
		if c, ok := l.Cross(l.PointAt(100), p); ok {
			t.Errorf("Cross to %v = %+v", p, c)
		}
	}
	if p := l.PointAt(math.NaN()); p != l.pts[0] {
		t.Errorf("PointAt(NaN) = %v, want the first vertex", p)
	}
}
