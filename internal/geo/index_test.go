package geo

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/borderwatch/borderwatch"
)

func TestIndexQueries(t *testing.T) {
	ix := NewIndex(0.1)
	s0, _ := ix.AddSegment(ll(34, 40), ll(34, 41))         // east–west, 92 km
	s1, _ := ix.AddSegment(ll(33.5, 40.5), ll(34.5, 40.5)) // north–south, crosses s0
	s2, _ := ix.AddSegment(ll(36, 42), ll(36.1, 42.1))     // far away
	z0, err := ix.AddZone([]borderwatch.LatLon{ll(33.9, 40.4), ll(33.9, 40.6), ll(34.1, 40.6), ll(34.1, 40.4)})
	if err != nil {
		t.Fatal(err)
	}
	z1, _ := ix.AddZone(Footprint(ll(36, 42), 0, 360, 5000))

	got := ix.SegmentsIn(nil, BBox{MinLat: 33.95, MinLon: 40.45, MaxLat: 34.05, MaxLon: 40.55})
	slices.Sort(got)
	if !slices.Equal(got, []int{s0, s1}) {
		t.Errorf("SegmentsIn(centre) = %v, want [%d %d]", got, s0, s1)
	}
	if got := ix.SegmentsIn(nil, BBox{MinLat: 30, MinLon: 30, MaxLat: 31, MaxLon: 31}); len(got) != 0 {
		t.Errorf("SegmentsIn(outside) = %v", got)
	}
	got = ix.SegmentsIn(nil, BBox{MinLat: 30, MinLon: 30, MaxLat: 40, MaxLon: 50})
	slices.Sort(got)
	if !slices.Equal(got, []int{s0, s1, s2}) {
		t.Errorf("SegmentsIn(all) = %v", got)
	}
	if got := ix.ZonesAt(nil, ll(34, 40.5)); !slices.Equal(got, []int{z0}) {
		t.Errorf("ZonesAt = %v, want [%d]", got, z0)
	}
	if got := ix.ZonesAt(nil, ll(36.01, 42.01)); !slices.Equal(got, []int{z1}) {
		t.Errorf("ZonesAt = %v, want [%d]", got, z1)
	}
	if got := ix.ZonesAt(nil, ll(34.2, 40.5)); len(got) != 0 {
		t.Errorf("ZonesAt(outside) = %v", got)
	}
	got = ix.ZonesIn(nil, BBox{MinLat: 30, MinLon: 30, MaxLat: 40, MaxLon: 50})
	slices.Sort(got)
	if !slices.Equal(got, []int{z0, z1}) {
		t.Errorf("ZonesIn(all) = %v", got)
	}
	// A movement crossing both s0 and s1 near their intersection.
	if got := ix.SegmentsCrossing(nil, ll(33.99, 40.49), ll(34.01, 40.51)); len(got) != 2 {
		t.Errorf("SegmentsCrossing = %v, want both", got)
	}
	if got := ix.SegmentsCrossing(nil, ll(34.01, 40.6), ll(34.02, 40.6)); len(got) != 0 {
		t.Errorf("SegmentsCrossing(no crossing) = %v", got)
	}
}

// TestIndexGrows adds items far apart, forcing the grid to grow and refill,
// and checks every item is still found.
func TestIndexGrows(t *testing.T) {
	ix := NewIndex(0.05)
	var want []int
	for i := range 40 {
		lat, lon := 10+float64(i)*0.7, 20+float64(i)*0.6
		id, err := ix.AddSegment(ll(lat, lon), ll(lat+0.1, lon+0.1))
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, id)
	}
	for i, id := range want {
		lat, lon := 10+float64(i)*0.7, 20+float64(i)*0.6
		got := ix.SegmentsIn(nil, BBox{MinLat: lat + 0.04, MinLon: lon + 0.04, MaxLat: lat + 0.06, MaxLon: lon + 0.06})
		if !slices.Equal(got, []int{id}) {
			t.Errorf("segment %d: SegmentsIn = %v", id, got)
		}
	}
	if _, err := NewIndex(0.001).AddZone([]borderwatch.LatLon{ll(-80, -170), ll(-80, 170), ll(80, 0)}); err == nil {
		t.Error("a world-sized zone in 0.001° cells was accepted")
	}
	for _, bad := range [][]borderwatch.LatLon{{ll(0, 0), ll(1, 1)}, {ll(0, 0), ll(1, 1), ll(95, 1)}} {
		if _, err := ix.AddZone(bad); err == nil {
			t.Errorf("AddZone(%v) accepted", bad)
		}
	}
	if _, err := ix.AddSegment(ll(1, 1), ll(1, 1)); err == nil {
		t.Error("AddSegment accepted a zero-length segment")
	}
}

// TestIndexSegmentsInMatchesScan is a property test: SegmentsIn returns
// exactly the segments whose box intersects the query, each once.
func TestIndexSegmentsInMatchesScan(t *testing.T) {
	l := border(t)
	ix := l.ix
	for i, m := range movements(l, 2000, 0, 30000, 21) {
		box := BBoxAround(m.a, float64(i%7)*1500)
		got := ix.SegmentsIn(nil, box)
		slices.Sort(got)
		var want []int
		for id := range ix.segs {
			if ix.segs[id].box.Intersects(box) {
				want = append(want, id)
			}
		}
		if !slices.Equal(got, want) {
			t.Fatalf("box %+v: SegmentsIn %v, scan %v", box, got, want)
		}
	}
}

func BenchmarkSegmentsIn(b *testing.B) {
	l := border(b)
	ix := l.ix
	box := BBoxAround(l.PointAt(300), 2000)
	dst := make([]int, 0, 16)
	b.ReportAllocs()
	cpu0 := processCPU()
	for b.Loop() {
		dst = ix.SegmentsIn(dst[:0], box)
	}
	reportCPU(b, cpu0)
}

func BenchmarkZonesAt(b *testing.B) {
	ix := NewIndex(0.05)
	l := border(b)
	for km := 0.0; km < l.Length(); km += 3 {
		p, az := l.pointAz(km, false)
		if _, err := ix.AddZone(Footprint(p, az+90, 60, 4000)); err != nil {
			b.Fatal(err)
		}
	}
	ms := movements(l, 1<<12, 0, 5000, 3)
	dst := make([]int, 0, 16)
	b.ReportAllocs()
	i := 0
	cpu0 := processCPU()
	for b.Loop() {
		dst = ix.ZonesAt(dst[:0], ms[i&(len(ms)-1)].a)
		i++
	}
	reportCPU(b, cpu0)
}

func TestBBoxAround(t *testing.T) {
	rng := rand.New(rand.NewPCG(61, 62))
	for range 2000 {
		p := ll(rng.Float64()*170-85, rng.Float64()*340-170)
		r := math.Pow(10, 1+rng.Float64()*5) // 10 m .. 1000 km
		box := BBoxAround(p, r)
		for range 8 {
			q := Direct(p, rng.Float64()*360, r*rng.Float64())
			if !box.Contains(q) {
				t.Fatalf("BBoxAround(%v, %v) = %+v misses %v", p, r, box, q)
			}
		}
	}
}
