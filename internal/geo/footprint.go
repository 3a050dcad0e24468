package geo

import (
	"math"

	"github.com/borderwatch/borderwatch"
)

// footprintStepDeg is the angular step between the arc points of a
// footprint. The polygon's edges are chords of the true arc: at range r they
// cut inside it by at most r·(1-cos 2.5°) ≈ r/1000 (10 m at 10 km).
const footprintStepDeg = 5.0

// Footprint returns the area a sensor at pos covers out to rangeM metres
// within a field of view of fovDeg degrees centred on headingDeg, as a
// closed ring (first point == last). The arc points are at geodesic
// distance rangeM, one every 5° or less, the ends of the arc included; a
// sector's ring starts and ends at pos. A field of view of 360° or more is
// a circle (72 points). A non-positive or NaN range or field of view gives
// nil.
func Footprint(pos borderwatch.LatLon, headingDeg, fovDeg, rangeM float64) []borderwatch.LatLon {
	if !(rangeM > 0) || !(fovDeg > 0) || math.IsInf(rangeM, 0) || math.IsNaN(headingDeg) || math.IsInf(headingDeg, 0) {
		return nil
	}
	if fovDeg >= 360 {
		n := int(360 / footprintStepDeg)
		ring := make([]borderwatch.LatLon, 0, n+1)
		for i := range n {
			ring = append(ring, Direct(pos, headingDeg+float64(i)*footprintStepDeg, rangeM))
		}
		return append(ring, ring[0])
	}
	steps := int(math.Ceil(fovDeg / footprintStepDeg))
	step := fovDeg / float64(steps)
	start := headingDeg - fovDeg/2
	ring := make([]borderwatch.LatLon, 0, steps+3)
	ring = append(ring, pos)
	for i := 0; i <= steps; i++ {
		ring = append(ring, Direct(pos, start+float64(i)*step, rangeM))
	}
	return append(ring, pos)
}

// PolygonContains reports whether p lies inside the polygon ring (closed or
// not) by the even–odd rule. Edges are straight lines in latitude/longitude,
// which for footprints and zones of a few tens of km lies within metres of
// the geodesic; rings must not cross the antimeridian or enclose a pole. A
// point exactly on an edge may be reported either way.
func PolygonContains(ring []borderwatch.LatLon, p borderwatch.LatLon) bool {
	n := len(ring)
	if n > 1 && ring[0] == ring[n-1] {
		n--
	}
	if n < 3 {
		return false
	}
	inside := false
	j := n - 1
	for i := 0; i < n; i++ {
		a, b := ring[i], ring[j]
		// Does the edge straddle the horizontal line through p, and is the
		// crossing east of p?
		if (a.Lat > p.Lat) != (b.Lat > p.Lat) {
			x := a.Lon + (p.Lat-a.Lat)*(b.Lon-a.Lon)/(b.Lat-a.Lat)
			if p.Lon < x {
				inside = !inside
			}
		}
		j = i
	}
	return inside
}
