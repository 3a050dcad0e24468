package geo

import (
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
