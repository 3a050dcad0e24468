package geo

import (
	"fmt"
	"math"
	"sort"

	"github.com/borderwatch/borderwatch"
)

// Side is a side of a line relative to its direction of travel (from the
// first vertex to the last).
type Side string

// Sides. On the Iraq–Syria border (north→south) Iraq is Left and Syria is
// Right.
const (
	Left  Side = "left"
	Right Side = "right"
)

// Opposite returns the other side ("" for an unknown side).
func (s Side) Opposite() Side {
	switch s {
	case Left:
		return Right
	case Right:
		return Left
	}
	return ""
}

// Station locates a point relative to a line.
type Station struct {
	// Chainage is the distance along the line, in km from its first
	// vertex, of the point on the line nearest to the located point,
	// clamped to [0, Length].
	Chainage float64 `json:"chainage_km"`
	// Offset is the signed distance in metres from that nearest point:
	// positive to the right of the direction of travel, negative to the
	// left. Its sign always agrees with Side.
	Offset float64 `json:"offset_m"`
	// Point is the nearest point on the line.
	Point borderwatch.LatLon `json:"point"`
	// Segment is the index of the segment holding Point (segment i runs
	// from vertex i to vertex i+1).
	Segment int `json:"segment"`
}

// Crossing is where a movement crosses a line.
type Crossing struct {
	Point    borderwatch.LatLon `json:"point"`
	Chainage float64            `json:"chainage_km"`
	// Direction is the side the movement moved into.
	Direction Side `json:"direction"`
	// Segment is the index of the segment crossed.
	Segment int `json:"segment"`
}

// Line is a polyline of geodesic segments with chainage, such as a border.
// It is immutable and safe for concurrent use.
//
// Geometry: each segment is the WGS84 geodesic between its vertices;
// chainage and PointAt are exact geodesic lengths. Side, Locate and Cross
// use the segment's plane section (see the package doc), which stays within
// 1 mm of the geodesic for segments up to 100 km (see the package doc).
//
// Beyond its ends a line extends along the continuation of its first and
// last segments: Side is decided by that continuation, and Locate clamps
// the chainage to the end and measures the offset to the end vertex.
type Line struct {
	pts  []borderwatch.LatLon
	ev   []vec3    // ECEF of the vertices
	cum  []float64 // chainage of each vertex, km
	ix   *Index    // segment i of the line is segment i of the index
	cand candidates
}

// lineCellDeg is the grid cell size of a line's index: about 2 km, so a
// movement of up to a few hundred metres touches one cell (rarely two or
// four) and a cell holds one or two segments. Lines spanning more than
// lineMaxCells such cells get coarser cells.
const (
	lineCellDeg  = 0.02
	lineMaxCells = 1 << 20
)

// NewLine returns the line through pts (at least two vertices). Vertices
// must be valid WGS84 positions, consecutive vertices distinct and less
// than 1000 km apart; the line must not cross the antimeridian. The line
// keeps its own copy of pts.
func NewLine(pts []borderwatch.LatLon) (*Line, error) {
	if len(pts) < 2 {
		return nil, fmt.Errorf("geo: line: %d vertices, need at least 2", len(pts))
	}
	for i, p := range pts {
		if !validLatLon(p) {
			return nil, fmt.Errorf("geo: line: vertex %d: invalid position (lat %v, lon %v)", i, p.Lat, p.Lon)
		}
	}
	for i := range pts[1:] {
		if err := checkSegment(pts[i], pts[i+1]); err != nil {
			return nil, fmt.Errorf("geo: line: segment %d (vertex %d→%d): %w", i, i, i+1, err)
		}
	}
	box := BBoxOf(pts).Pad(0.05)
	cell := lineCellDeg
	for (box.MaxLat-box.MinLat)*(box.MaxLon-box.MinLon)/(cell*cell) > lineMaxCells {
		cell *= 2
	}
	l := &Line{
		pts: append([]borderwatch.LatLon(nil), pts...),
		ev:  make([]vec3, len(pts)),
		cum: make([]float64, len(pts)),
		ix:  NewIndex(cell),
	}
	if err := l.ix.reserve(box); err != nil {
		return nil, fmt.Errorf("geo: line: %w", err)
	}
	for i := range pts {
		l.ev[i] = ecef(pts[i])
		if i == 0 {
			continue
		}
		id, err := l.ix.AddSegment(pts[i-1], pts[i])
		if err != nil {
			return nil, fmt.Errorf("geo: line: %w", err)
		}
		l.cum[i] = l.cum[i-1] + l.ix.segs[id].lenM/1000
	}
	l.buildCandidates()
	return l, nil
}

// Length returns the line's length in km.
func (l *Line) Length() float64 { return l.cum[len(l.cum)-1] }

// Vertices returns a copy of the line's vertices.
func (l *Line) Vertices() []borderwatch.LatLon { return append([]borderwatch.LatLon(nil), l.pts...) }

// VertexChainage returns the chainage of vertex i in km.
func (l *Line) VertexChainage(i int) float64 { return l.cum[i] }

// PointAt returns the point at chainage km, clamped to [0, Length].
func (l *Line) PointAt(km float64) borderwatch.LatLon {
	p, _ := l.pointAz(km, false)
	return p
}

// pointAz returns the point at chainage km and the line's azimuth there.
// At a vertex the azimuth is that of the outgoing segment, or of the
// incoming one if incoming is set (and always at the last vertex).
func (l *Line) pointAz(km float64, incoming bool) (borderwatch.LatLon, float64) {
	last := len(l.pts) - 1
	switch {
	case !(km > 0): // also NaN
		return l.pts[0], l.ix.segs[0].az1
	case km >= l.Length():
		return l.pts[last], l.ix.segs[last-1].az2
	}
	// Segment i holds km: cum[i] <= km < cum[i+1].
	i := sort.SearchFloat64s(l.cum, km)
	if i < len(l.cum) && l.cum[i] == km {
		if incoming {
			return l.pts[i], l.ix.segs[i-1].az2
		}
		return l.pts[i], l.ix.segs[i].az1
	}
	i--
	s := &l.ix.segs[i]
	return DirectAz(s.a, s.az1, (km-l.cum[i])*1000)
}

// Slice returns the part of the line between two chainages (clamped to
// [0, Length]): the point at fromKm, the vertices strictly between, the
// point at toKm. If fromKm > toKm the points run backwards. It always has
// at least two points.
func (l *Line) Slice(fromKm, toKm float64) []borderwatch.LatLon {
	reverse := fromKm > toKm
	if reverse {
		fromKm, toKm = toKm, fromKm
	}
	fromKm = clampKm(fromKm, l.Length())
	toKm = clampKm(toKm, l.Length())
	out := []borderwatch.LatLon{l.PointAt(fromKm)}
	for i, c := range l.cum {
		if c > fromKm && c < toKm {
			out = append(out, l.pts[i])
		}
	}
	out = append(out, l.PointAt(toKm))
	if reverse {
		for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
			out[i], out[j] = out[j], out[i]
		}
	}
	return out
}

// OffsetSlice is Slice moved sideways by offsetM metres: positive to the
// right of the line's direction of travel (whatever the slice's order),
// negative to the left. Each point moves along the geodesic perpendicular
// to the line; at a vertex it moves along the bisector by offset/cos(half
// the turn), limited to 4×offset at sharp turns (a mitred join); interior
// points that would end up nearer than 99% of the offset to the line (inside
// turns tighter than the offset) are dropped. It suits barriers drawn at a
// few metres to a few km from the line.
func (l *Line) OffsetSlice(fromKm, toKm, offsetM float64) []borderwatch.LatLon {
	reverse := fromKm > toKm
	if reverse {
		fromKm, toKm = toKm, fromKm
	}
	fromKm = clampKm(fromKm, l.Length())
	toKm = clampKm(toKm, l.Length())
	shift := func(p borderwatch.LatLon, az float64) borderwatch.LatLon {
		if offsetM == 0 {
			return p
		}
		return Direct(p, az+90, offsetM)
	}
	p, az := l.pointAz(fromKm, false)
	out := []borderwatch.LatLon{shift(p, az)}
	for i, c := range l.cum {
		if !(c > fromKm && c < toKm) {
			continue
		}
		in, outAz := l.ix.segs[i-1].az2, l.ix.segs[i].az1
		turn := angDiff(in, outAz)
		k := 1 / math.Cos(turn/2*deg2rad)
		if k > 4 {
			k = 4
		}
		if offsetM == 0 {
			out = append(out, l.pts[i])
		} else {
			out = append(out, Direct(l.pts[i], in+turn/2+90, offsetM*k))
		}
	}
	p, az = l.pointAz(toKm, true)
	out = append(out, shift(p, az))
	if offsetM != 0 {
		// Drop interior points that came out nearer than the offset to
		// the line (or on its other side): the inside of a turn tighter
		// than the offset, or segments shorter than it.
		kept := out[:1]
		for _, q := range out[1 : len(out)-1] {
			if o := l.Locate(q).Offset; math.Signbit(o) == math.Signbit(offsetM) && math.Abs(o) >= 0.99*math.Abs(offsetM) {
				kept = append(kept, q)
			}
		}
		out = append(kept, out[len(out)-1])
	}
	if reverse {
		for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
			out[i], out[j] = out[j], out[i]
		}
	}
	return out
}

func clampKm(km, length float64) float64 {
	if !(km > 0) {
		return 0
	}
	return math.Min(km, length)
}

// nearest is the feature of a line nearest to a point: a segment's
// interior (vertex < 0) or a vertex; signed is the side function there
// (> 0 right).
type nearest struct {
	seg, vertex   int
	dist2, signed float64
}

// nearest finds the segment interior or vertex nearest to p (at e; by 3-D
// distance) and the signed side value there. At an interior vertex the side
// is the sum of both segments' signed distances: a point whose nearest
// feature is a vertex lies in the wedge on the outside of the turn, where
// both segments agree. At an end vertex the end segment's continuation
// decides.
//
// Within a degree of the line it checks only the candidates precomputed for
// p's cell of the candidate grid (see buildCandidates); farther out it checks
// every segment, skipping those whose bounding sphere is too far.
func (l *Line) nearest(p borderwatch.LatLon, e vec3) nearest {
	best := nearest{dist2: math.Inf(1), vertex: -1}
	if k, ok := l.cand.cellOf(p); ok {
		for _, i := range l.cand.ids[l.cand.start[k]:l.cand.start[k+1]] {
			l.consider(int(i), e, &best)
		}
		return best
	}
	bestD := math.Inf(1)
	for i := range l.ix.segs {
		s := &l.ix.segs[i]
		if d := e.sub(s.centre); d.dot(d) > sq(bestD+s.radius) {
			continue
		}
		before := best.dist2
		l.consider(i, e, &best)
		if best.dist2 != before {
			bestD = math.Sqrt(best.dist2)
		}
	}
	return best
}

// candidates is a coarse grid listing, for each cell, the segments that
// can hold the nearest feature of some point of the cell (compressed:
// the ids of cell k are ids[start[k]:start[k+1]]).
type candidates struct {
	lat0, lon0, cell, inv float64
	rows, cols            int
	start                 []int32
	ids                   []int32
}

// candidateMaxCells bounds the candidate grid; its cells are at least
// 8×lineCellDeg (about 18 km) and grow for large lines.
const candidateMaxCells = 4096

func (g *candidates) cellOf(p borderwatch.LatLon) (int, bool) {
	fr := (p.Lat - g.lat0) * g.inv
	fc := (p.Lon - g.lon0) * g.inv
	if !(fr >= 0 && fc >= 0 && fr < float64(g.rows) && fc < float64(g.cols)) {
		return 0, false
	}
	return int(fr)*g.cols + int(fc), true
}

// buildCandidates fills l.cand over the line's box plus a degree. For a
// cell with centre c and half-diagonal h, every point x of the cell has
// its nearest feature within D+h, where D is the distance from c to the
// nearest segment, and a segment at distance d from c is at least d-h from
// x; so segments with d > D+2h cannot be nearest for any point of the
// cell. The distance to a segment is 1-Lipschitz up to metres (the plane
// distance and the end distances meet continuously within the curve's
// height above its chord); 1% and 100 m of slack cover that.
func (l *Line) buildCandidates() {
	box := BBoxOf(l.pts).Pad(1)
	cell := 8 * l.ix.cellDeg
	for (box.MaxLat-box.MinLat)*(box.MaxLon-box.MinLon)/(cell*cell) > candidateMaxCells {
		cell *= 2
	}
	g := &l.cand
	g.cell, g.inv = cell, 1/cell
	g.lat0 = math.Floor(box.MinLat/cell) * cell
	g.lon0 = math.Floor(box.MinLon/cell) * cell
	g.rows = int(math.Ceil((box.MaxLat - g.lat0) / cell))
	g.cols = int(math.Ceil((box.MaxLon - g.lon0) / cell))
	// Half the diagonal of a cell, with the largest radius of curvature
	// (at the poles, a/sqrt(1-e²) < 6,400 km).
	h := 0.5 * math.Sqrt2 * cell * deg2rad * 6.4e6
	g.start = make([]int32, 0, g.rows*g.cols+1)
	d := make([]float64, len(l.ix.segs))
	for r := range g.rows {
		for c := range g.cols {
			g.start = append(g.start, int32(len(g.ids)))
			lat := math.Max(-90, math.Min(90, g.lat0+(float64(r)+0.5)*cell))
			lon := g.lon0 + (float64(c)+0.5)*cell
			centre := ecef(borderwatch.LatLon{Lat: lat, Lon: lon})
			nearestD := math.Inf(1)
			for i := range l.ix.segs {
				d[i] = math.Sqrt(l.featureDist2(i, centre))
				nearestD = math.Min(nearestD, d[i])
			}
			limit := (nearestD+2*h)*1.01 + 100
			for i, di := range d {
				if di <= limit {
					g.ids = append(g.ids, int32(i))
				}
			}
		}
	}
	g.start = append(g.start, int32(len(g.ids)))
}

// featureDist2 is the squared 3-D distance from e to segment i's interior
// (if e lies between its ends) or nearer end: the metric of consider.
func (l *Line) featureDist2(i int, e vec3) float64 {
	s := &l.ix.segs[i]
	d2 := math.Min(e.sub(s.ea).dot(e.sub(s.ea)), e.sub(s.eb).dot(e.sub(s.eb)))
	if s.within(e) {
		d2 = math.Min(d2, sq(s.signed(e)))
	}
	return d2
}

// consider updates best with segment i's interior and its two vertices.
// Ties go to the lower segment, then to the interior, so the result does
// not depend on the order segments are considered in.
func (l *Line) consider(i int, e vec3, best *nearest) {
	segs := l.ix.segs
	s := &segs[i]
	take := func(c nearest) {
		if c.dist2 < best.dist2 || c.dist2 == best.dist2 &&
			(c.seg < best.seg || c.seg == best.seg && c.vertex < best.vertex) {
			*best = c
		}
	}
	if s.within(e) {
		g := s.signed(e)
		take(nearest{seg: i, vertex: -1, dist2: g * g, signed: g})
	}
	last := len(l.ev) - 1
	for _, v := range [2]int{i, i + 1} {
		d := e.sub(l.ev[v])
		d2 := d.dot(d)
		if d2 > best.dist2 {
			continue
		}
		var g float64
		switch v {
		case 0:
			g = segs[0].signed(e)
		case last:
			g = segs[last-1].signed(e)
		default:
			g = segs[v-1].signed(e) + segs[v].signed(e)
		}
		take(nearest{seg: min(v, last-1), vertex: v, dist2: d2, signed: g})
	}
}

// Side returns the side of the line p lies on: the side of its nearest
// segment (or of the wedge at its nearest vertex), so it stays right far
// from the line; beyond the ends the end segments' continuations divide
// the sides. A point exactly on the line is Left; an invalid position (NaN,
// out of range) has no side ("").
func (l *Line) Side(p borderwatch.LatLon) Side {
	if !validLatLon(p) {
		return ""
	}
	if l.nearest(p, l.ix.position(p)).signed > 0 {
		return Right
	}
	return Left
}

// Locate returns p's station: its chainage, its signed offset and the
// nearest point of the line. An invalid position gets NaN chainage and
// offset.
func (l *Line) Locate(p borderwatch.LatLon) Station {
	if !validLatLon(p) {
		return Station{Chainage: math.NaN(), Offset: math.NaN(), Point: p}
	}
	e := l.ix.position(p)
	nr := l.nearest(p, e)
	sign := -1.0
	if nr.signed > 0 {
		sign = 1
	}
	if nr.vertex >= 0 {
		v := l.pts[nr.vertex]
		return Station{Chainage: l.cum[nr.vertex], Offset: sign * surfaceDistance(p, e, v, l.ev[nr.vertex]), Point: v, Segment: nr.seg}
	}
	s := &l.ix.segs[nr.seg]
	foot := geodetic(e.mulAdd(-nr.signed, s.n))
	ef := ecef(foot)
	// The distance along the segment from its start, from the chord and
	// the radius of curvature along the segment (exact to 0.1 mm for
	// chords below 50 km, see TestLocateMatchesGeodesic), else by a
	// geodesic.
	var along float64
	if c := ef.sub(s.ea).norm(); c < 50e3 {
		along = chordToArc(c, s.rAlong)
	} else {
		along = Distance(s.a, foot)
	}
	ch := math.Min(l.cum[nr.seg]+along/1000, l.cum[nr.seg+1])
	return Station{Chainage: ch, Offset: sign * surfaceDistance(p, e, foot, ef), Point: foot, Segment: nr.seg}
}

// surfaceDistance is the geodesic distance between surface points p and q
// (at ECEF ep and eq). Below 20 km it converts the chord with the Gaussian
// mean radius of curvature at q: the chord-to-arc correction is at most
// 8 mm there and the radius is right to 1.2%, so the error stays below
// 0.1 mm. Farther, it solves the geodesic.
func surfaceDistance(p borderwatch.LatLon, ep vec3, q borderwatch.LatLon, eq vec3) float64 {
	c := ep.sub(eq).norm()
	if c >= 20e3 {
		return Distance(p, q)
	}
	m, n := principalRadii(q.Lat)
	return chordToArc(c, math.Sqrt(m*n))
}

// Cross reports whether the movement a→b crosses the line and, if so,
// where: the first crossing from a. A movement crossing twice (in and out
// again near a sharp turn) reports the first. Direction is the side moved
// into, decided by the same predicate as Side, so for a single crossing
// Side(b) == Direction and Side(a) == Direction.Opposite(). Crossing a
// continuation beyond the line's ends is not a crossing; a movement from or
// to an invalid position does not cross. It uses the line's spatial index
// and does not allocate.
func (l *Line) Cross(a, b borderwatch.LatLon) (Crossing, bool) {
	if !validLatLon(a) || !validLatLon(b) {
		return Crossing{}, false
	}
	seg, x, into, ok := l.ix.firstCrossing(a, b)
	if !ok {
		return Crossing{}, false
	}
	pt := surfaceLatLon(x)
	s := &l.ix.segs[seg]
	var along float64
	if c := ecef(pt).sub(s.ea).norm(); c < 50e3 {
		along = chordToArc(c, s.rAlong) // as in Locate
	} else {
		along = Distance(s.a, pt)
	}
	ch := math.Min(l.cum[seg]+along/1000, l.cum[seg+1])
	return Crossing{Point: pt, Chainage: ch, Direction: into, Segment: seg}, true
}
