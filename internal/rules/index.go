package rules

import (
	"math"

	"github.com/borderwatch/borderwatch"
)

// The grid is the hot path's spatial index: a uniform lat/lon grid over the
// border region whose cells hold, in compressed (CSR) form, the border
// segments that can be nearest to any point of the cell, the barrier
// segments within loiter reach, the crossings within their zone radius and
// the zones whose bounding box overlaps the cell. Distances inside a cell
// are computed on a local equirectangular plane scaled at the cell's
// latitude; over the 1-15 km involved its error is below 0.2 % (see
// docs/performance/rules.md), and the border is densified so that each
// segment follows the geodesic within centimetres.

const (
	cellDeg   = 0.02   // ≈2.2 km north–south, ≈1.8 km east–west at 35°N
	maxSegKm  = 5.0    // border and barriers are densified to this length
	earthMdeg = 111320 // metres per degree, only for grid sizing
)

// metresPerDeg returns metres per degree of latitude and of longitude at
// latitude lat (WGS84 series).
func metresPerDeg(lat float64) (ky, kx float64) {
	φ := lat * math.Pi / 180
	ky = 111132.954 - 559.822*math.Cos(2*φ) + 1.175*math.Cos(4*φ)
	kx = 111412.84*math.Cos(φ) - 93.5*math.Cos(3*φ) + 0.118*math.Cos(5*φ)
	return ky, kx
}

// lineSeg is one densified segment of the border.
type lineSeg struct {
	a, b  borderwatch.LatLon
	km0   float64 // chainage at a
	lenKm float64
	// sideA is the side (+1 left, -1 right, 0 unknown) of a point whose
	// nearest border point is the vertex a: the outer side of the bend,
	// 0 at the first vertex of the line. sideB likewise for b.
	sideA, sideB int8
}

// barSeg is one densified segment of a barrier.
type barSeg struct {
	a, b    borderwatch.LatLon
	barrier int32
}

// csr is a compressed list of int32 items per cell.
type csr struct {
	off   []uint32 // len cells+1
	items []int32
}

func (c *csr) at(cell int) []int32 { return c.items[c.off[cell]:c.off[cell+1]] }

func buildCSR(n int, lists [][]int32) csr {
	c := csr{off: make([]uint32, n+1)}
	total := 0
	for i := 0; i < n; i++ {
		total += len(lists[i])
	}
	c.items = make([]int32, 0, total)
	for i := 0; i < n; i++ {
		c.off[i] = uint32(len(c.items))
		c.items = append(c.items, lists[i]...)
	}
	c.off[n] = uint32(len(c.items))
	return c
}

type grid struct {
	lat0, lon0 float64 // south-west corner
	nx, ny     int
	ky, kx     []float64 // metres per degree per row (at the row's centre latitude)

	segs      []lineSeg
	line      csr       // candidate nearest border segments, for cells within reach
	farSide   []int8    // side of cells beyond reach
	cellKm    []float32 // chainage of the cell centre's nearest border point
	barSegs   []barSeg
	barriers  csr
	crossings csr
	zones     csr
}

func (g *grid) cellOf(p borderwatch.LatLon) int {
	fy := (p.Lat - g.lat0) / cellDeg
	fx := (p.Lon - g.lon0) / cellDeg
	if !(fy >= 0 && fx >= 0) { // also catches NaN
		return -1
	}
	iy, ix := int(fy), int(fx)
	if iy >= g.ny || ix >= g.nx {
		return -1
	}
	return iy*g.nx + ix
}

func (g *grid) cellRect(c int) (s, w, n, e float64) {
	iy, ix := c/g.nx, c%g.nx
	s = g.lat0 + float64(iy)*cellDeg
	w = g.lon0 + float64(ix)*cellDeg
	return s, w, s + cellDeg, w + cellDeg
}

// loc is where a point lies relative to the border.
type loc struct {
	cell int
	near bool    // within reach of the border; dist, km, nx, ny are exact
	side int8    // +1 left, -1 right, 0 unknown (beyond an end of the line or off the grid)
	dist float64 // metres to the nearest border point
	km   float64 // chainage of the nearest border point
	// ux, uy is the unit vector (east, north) from the point towards its
	// nearest border point.
	ux, uy float64
}

// locate places p relative to the border. It does not allocate.
func (g *grid) locate(p borderwatch.LatLon) loc {
	c := g.cellOf(p)
	if c < 0 {
		return loc{cell: -1, dist: math.Inf(1)}
	}
	cands := g.line.at(c)
	if len(cands) == 0 {
		return loc{cell: c, side: g.farSide[c], dist: math.Inf(1), km: float64(g.cellKm[c])}
	}
	return g.locateAmong(p, c, cands, nil)
}

// locateAmong places p relative to the candidate segments of segs (g.segs
// when nil); a nil cands means every segment.
func (g *grid) locateAmong(p borderwatch.LatLon, c int, cands []int32, segs []lineSeg) loc {
	if segs == nil {
		segs = g.segs
	}
	ky, kx := g.ky[c/g.nx], g.kx[c/g.nx]
	best := math.Inf(1)
	var l loc
	l.cell, l.near = c, true
	n := len(cands)
	if cands == nil {
		n = len(segs)
	}
	for i := 0; i < n; i++ {
		si := int32(i)
		if cands != nil {
			si = cands[i]
		}
		s := &segs[si]
		ax, ay := (s.a.Lon-p.Lon)*kx, (s.a.Lat-p.Lat)*ky
		bx, by := (s.b.Lon-p.Lon)*kx, (s.b.Lat-p.Lat)*ky
		dx, dy := bx-ax, by-ay
		dd := dx*dx + dy*dy
		t := 0.0
		if dd > 0 {
			t = -(ax*dx + ay*dy) / dd
		}
		side := sideUseSegment
		switch {
		case t <= 0:
			t = 0
			side = s.sideA
		case t >= 1:
			t = 1
			side = s.sideB
		}
		if side == sideUseSegment {
			// cross(d, p-a) with p at the origin: p-a = (-ax, -ay).
			side = 0
			if cr := dy*ax - dx*ay; cr > 0 {
				side = 1
			} else if cr < 0 {
				side = -1
			}
		}
		cx, cy := ax+t*dx, ay+t*dy
		d2 := cx*cx + cy*cy
		if d2 < best {
			best = d2
			l.side = side
			l.km = s.km0 + t*s.lenKm
			l.ux, l.uy = cx, cy
		}
	}
	l.dist = math.Sqrt(best)
	if l.dist > 0 {
		l.ux /= l.dist
		l.uy /= l.dist
	}
	return l
}

// sideUseSegment marks a vertex where the line runs straight on: the side
// is decided by the segment's own cross product.
const sideUseSegment int8 = 2

// cellsOfMove calls f for each cell of the bounding box of the move a→b,
// up to 256 cells (a longer jump is not a move; its ends are still
// evaluated).
func (g *grid) cellsOfMove(a, b borderwatch.LatLon, f func(c int)) {
	iy0, iy1 := int((min(a.Lat, b.Lat)-g.lat0)/cellDeg), int((max(a.Lat, b.Lat)-g.lat0)/cellDeg)
	ix0, ix1 := int((min(a.Lon, b.Lon)-g.lon0)/cellDeg), int((max(a.Lon, b.Lon)-g.lon0)/cellDeg)
	iy0, ix0 = max(0, iy0), max(0, ix0)
	iy1, ix1 = min(g.ny-1, iy1), min(g.nx-1, ix1)
	if (iy1-iy0+1)*(ix1-ix0+1) > 256 {
		return
	}
	for iy := iy0; iy <= iy1; iy++ {
		for ix := ix0; ix <= ix1; ix++ {
			f(iy*g.nx + ix)
		}
	}
}

// barrierDist returns the distance in metres from p to the nearest barrier
// listed in cell c and that barrier's index, or (+Inf, -1).
func (g *grid) barrierDist(c int, p borderwatch.LatLon) (float64, int32) {
	if c < 0 {
		return math.Inf(1), -1
	}
	cands := g.barriers.at(c)
	if len(cands) == 0 {
		return math.Inf(1), -1
	}
	ky, kx := g.ky[c/g.nx], g.kx[c/g.nx]
	best, bi := math.Inf(1), int32(-1)
	for _, si := range cands {
		s := &g.barSegs[si]
		d2 := segDist2(p, s.a, s.b, ky, kx)
		if d2 < best {
			best, bi = d2, s.barrier
		}
	}
	return math.Sqrt(best), bi
}

// segDist2 is the squared planar distance in m² from p to segment ab.
func segDist2(p, a, b borderwatch.LatLon, ky, kx float64) float64 {
	ax, ay := (a.Lon-p.Lon)*kx, (a.Lat-p.Lat)*ky
	bx, by := (b.Lon-p.Lon)*kx, (b.Lat-p.Lat)*ky
	dx, dy := bx-ax, by-ay
	dd := dx*dx + dy*dy
	t := 0.0
	if dd > 0 {
		t = min(1, max(0, -(ax*dx+ay*dy)/dd))
	}
	cx, cy := ax+t*dx, ay+t*dy
	return cx*cx + cy*cy
}

// pointDist returns the planar distance in metres between two nearby
// points.
func pointDist(p, q borderwatch.LatLon) float64 {
	ky, kx := metresPerDeg((p.Lat + q.Lat) / 2)
	dx, dy := (q.Lon-p.Lon)*kx, (q.Lat-p.Lat)*ky
	return math.Sqrt(dx*dx + dy*dy)
}

// rectSegDist returns the minimum and maximum distance in metres between
// the cell rectangle and segment ab. The maximum of the distance to a
// segment over a rectangle is reached at a corner (the distance is convex).
func rectSegDist(s, w, n, e float64, a, b borderwatch.LatLon) (lo, hi float64) {
	ky, kx := metresPerDeg((s + n) / 2)
	corners := [4]borderwatch.LatLon{{Lat: s, Lon: w}, {Lat: s, Lon: e}, {Lat: n, Lon: e}, {Lat: n, Lon: w}}
	hi = 0
	lo = math.Inf(1)
	for _, c := range corners {
		d := math.Sqrt(segDist2(c, a, b, ky, kx))
		hi = max(hi, d)
		lo = min(lo, d)
	}
	// The segment may come closer than any corner: through the rectangle or
	// past an edge. Its endpoints' distances to the rectangle and edge
	// crossings cover those cases.
	for _, q := range [2]borderwatch.LatLon{a, b} {
		cl := borderwatch.LatLon{Lat: min(n, max(s, q.Lat)), Lon: min(e, max(w, q.Lon))}
		lo = min(lo, math.Hypot((q.Lon-cl.Lon)*kx, (q.Lat-cl.Lat)*ky))
	}
	for i := 0; i < 4; i++ {
		c1, c2 := corners[i], corners[(i+1)%4]
		lo = min(lo, math.Sqrt(segDist2(a, c1, c2, ky, kx)), math.Sqrt(segDist2(b, c1, c2, ky, kx)))
		if segmentsIntersect(a, b, c1, c2) {
			lo = 0
		}
	}
	if a.Lat >= s && a.Lat <= n && a.Lon >= w && a.Lon <= e {
		lo = 0
	}
	return lo, hi
}

// segmentsIntersect reports whether segments pq and rs intersect (in the
// lat/lon plane; an affine scaling does not change the answer).
func segmentsIntersect(p, q, r, s borderwatch.LatLon) bool {
	d1 := orient(r, s, p)
	d2 := orient(r, s, q)
	d3 := orient(p, q, r)
	d4 := orient(p, q, s)
	return ((d1 > 0 && d2 < 0) || (d1 < 0 && d2 > 0)) && ((d3 > 0 && d4 < 0) || (d3 < 0 && d4 > 0))
}

func orient(a, b, c borderwatch.LatLon) float64 {
	return (b.Lon-a.Lon)*(c.Lat-a.Lat) - (b.Lat-a.Lat)*(c.Lon-a.Lon)
}

// ringContains is the crossing-number point-in-polygon test in the lat/lon
// plane. ring is closed (first == last).
func ringContains(ring []borderwatch.LatLon, p borderwatch.LatLon) bool {
	in := false
	for i := 1; i < len(ring); i++ {
		a, b := ring[i-1], ring[i]
		if (a.Lat > p.Lat) != (b.Lat > p.Lat) {
			x := a.Lon + (p.Lat-a.Lat)*(b.Lon-a.Lon)/(b.Lat-a.Lat)
			if p.Lon < x {
				in = !in
			}
		}
	}
	return in
}

// ringCrosses reports whether segment pq crosses an edge of ring.
func ringCrosses(ring []borderwatch.LatLon, p, q borderwatch.LatLon) bool {
	for i := 1; i < len(ring); i++ {
		if segmentsIntersect(p, q, ring[i-1], ring[i]) {
			return true
		}
	}
	return false
}

type bbox struct{ s, w, n, e float64 }

func bboxOf(pts []borderwatch.LatLon) bbox {
	b := bbox{s: math.Inf(1), w: math.Inf(1), n: math.Inf(-1), e: math.Inf(-1)}
	for _, p := range pts {
		b.s, b.n = min(b.s, p.Lat), max(b.n, p.Lat)
		b.w, b.e = min(b.w, p.Lon), max(b.e, p.Lon)
	}
	return b
}

// gridInput is what the grid is built from.
type gridInput struct {
	segs      []lineSeg
	reachM    float64 // border candidates are kept for cells within reach
	barSegs   []barSeg
	loiterM   float64 // barrier segments are kept for cells within this
	crossings []borderwatch.LatLon
	crossingM float64
	zones     [][]borderwatch.LatLon // rings; nil entries are skipped
}

func buildGrid(in gridInput) *grid {
	all := make([]borderwatch.LatLon, 0, 2*len(in.segs))
	for _, s := range in.segs {
		all = append(all, s.a, s.b)
	}
	for _, z := range in.zones {
		all = append(all, z...)
	}
	all = append(all, in.crossings...)
	bb := bboxOf(all)
	marginDeg := (in.reachM+5000)/earthMdeg/math.Cos(math.Max(math.Abs(bb.s), math.Abs(bb.n))*math.Pi/180) + cellDeg
	g := &grid{
		lat0: math.Floor((bb.s-marginDeg)/cellDeg) * cellDeg,
		lon0: math.Floor((bb.w-marginDeg)/cellDeg) * cellDeg,
		segs: in.segs, barSegs: in.barSegs,
	}
	g.ny = int(math.Ceil((bb.n+marginDeg-g.lat0)/cellDeg)) + 1
	g.nx = int(math.Ceil((bb.e+marginDeg-g.lon0)/cellDeg)) + 1
	n := g.nx * g.ny
	g.ky, g.kx = make([]float64, g.ny), make([]float64, g.ny)
	for iy := 0; iy < g.ny; iy++ {
		g.ky[iy], g.kx[iy] = metresPerDeg(g.lat0 + (float64(iy)+0.5)*cellDeg)
	}

	// cellsNear calls f for every cell whose rectangle may lie within r
	// metres of the box.
	cellsNear := func(b bbox, r float64, f func(c int)) {
		ky, kx := metresPerDeg((b.s + b.n) / 2)
		kx = math.Max(kx, 1)
		dLat, dLon := r/ky, r/kx*1.05
		iy0 := max(0, int((b.s-dLat-g.lat0)/cellDeg))
		iy1 := min(g.ny-1, int((b.n+dLat-g.lat0)/cellDeg))
		ix0 := max(0, int((b.w-dLon-g.lon0)/cellDeg))
		ix1 := min(g.nx-1, int((b.e+dLon-g.lon0)/cellDeg))
		for iy := iy0; iy <= iy1; iy++ {
			for ix := ix0; ix <= ix1; ix++ {
				f(iy*g.nx + ix)
			}
		}
	}

	// Border: per cell, the segments within reach; then keep only those
	// that can be nearest for some point of the cell.
	type cand struct {
		seg    int32
		lo, hi float64
	}
	near := make(map[int][]cand)
	for i, s := range in.segs {
		cellsNear(bboxOf([]borderwatch.LatLon{s.a, s.b}), in.reachM+4000, func(c int) {
			cs, cw, cn, ce := g.cellRect(c)
			lo, hi := rectSegDist(cs, cw, cn, ce, s.a, s.b)
			near[c] = append(near[c], cand{int32(i), lo, hi})
		})
	}
	lineLists := make([][]int32, n)
	for c, cs := range near {
		bound, minLo := math.Inf(1), math.Inf(1)
		for _, k := range cs {
			bound = math.Min(bound, k.hi)
			minLo = math.Min(minLo, k.lo)
		}
		if minLo > in.reachM {
			continue
		}
		for _, k := range cs {
			if k.lo <= bound {
				lineLists[c] = append(lineLists[c], k.seg)
			}
		}
	}
	g.line = buildCSR(n, lineLists)

	// Far cells: side and chainage of the centre, from a brute-force
	// nearest segment over the densified line.
	g.farSide = make([]int8, n)
	g.cellKm = make([]float32, n)
	for c := 0; c < n; c++ {
		if len(lineLists[c]) > 0 {
			continue
		}
		cs, cw, cn, ce := g.cellRect(c)
		l := g.locateAmong(borderwatch.LatLon{Lat: (cs + cn) / 2, Lon: (cw + ce) / 2}, c, nil, nil)
		g.farSide[c] = l.side
		g.cellKm[c] = float32(l.km)
	}

	// Barriers.
	barLists := make([][]int32, n)
	for i, s := range in.barSegs {
		cellsNear(bboxOf([]borderwatch.LatLon{s.a, s.b}), in.loiterM, func(c int) {
			cs, cw, cn, ce := g.cellRect(c)
			if lo, _ := rectSegDist(cs, cw, cn, ce, s.a, s.b); lo <= in.loiterM {
				barLists[c] = append(barLists[c], int32(i))
			}
		})
	}
	g.barriers = buildCSR(n, barLists)

	// Crossings.
	xLists := make([][]int32, n)
	for i, p := range in.crossings {
		cellsNear(bbox{p.Lat, p.Lon, p.Lat, p.Lon}, in.crossingM, func(c int) {
			cs, cw, cn, ce := g.cellRect(c)
			cl := borderwatch.LatLon{Lat: min(cn, max(cs, p.Lat)), Lon: min(ce, max(cw, p.Lon))}
			if pointDist(p, cl) <= in.crossingM {
				xLists[c] = append(xLists[c], int32(i))
			}
		})
	}
	g.crossings = buildCSR(n, xLists)

	// Zones: bounding-box overlap.
	zLists := make([][]int32, n)
	for i, ring := range in.zones {
		if len(ring) == 0 {
			continue
		}
		cellsNear(bboxOf(ring), 0, func(c int) { zLists[c] = append(zLists[c], int32(i)) })
	}
	g.zones = buildCSR(n, zLists)
	return g
}
