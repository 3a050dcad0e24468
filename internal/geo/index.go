package geo

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/borderwatch/borderwatch"
)

// BBox is a latitude/longitude box in degrees. Boxes do not wrap the
// antimeridian.
type BBox struct {
	MinLat, MinLon, MaxLat, MaxLon float64
}

// BBoxOf returns the smallest box holding pts (the zero box for none).
func BBoxOf(pts []borderwatch.LatLon) BBox {
	if len(pts) == 0 {
		return BBox{}
	}
	b := BBox{MinLat: pts[0].Lat, MaxLat: pts[0].Lat, MinLon: pts[0].Lon, MaxLon: pts[0].Lon}
	for _, p := range pts[1:] {
		b.MinLat = math.Min(b.MinLat, p.Lat)
		b.MaxLat = math.Max(b.MaxLat, p.Lat)
		b.MinLon = math.Min(b.MinLon, p.Lon)
		b.MaxLon = math.Max(b.MaxLon, p.Lon)
	}
	return b
}

// BBoxAround returns a box holding every point within radiusM metres of p
// (slightly larger: it uses the smallest radius of curvature). Boxes do
// not wrap, so a circle that reaches a pole or the antimeridian gets every
// longitude.
func BBoxAround(p borderwatch.LatLon, radiusM float64) BBox {
	const minRadius = EarthA * (1 - EarthF) * (1 - EarthF) // a(1-e²): the smallest radius of curvature (meridian, equator)
	dlat := radiusM / minRadius * rad2deg
	b := BBox{MinLat: math.Max(-90, p.Lat-dlat), MaxLat: math.Min(90, p.Lat+dlat), MinLon: -180, MaxLon: 180}
	if math.Abs(p.Lat)+dlat >= 89.9 {
		return b // holds a pole: every longitude
	}
	dlon := dlat / math.Cos((math.Abs(p.Lat)+dlat)*deg2rad)
	if p.Lon-dlon >= -180 && p.Lon+dlon <= 180 {
		b.MinLon, b.MaxLon = p.Lon-dlon, p.Lon+dlon
	}
	return b
}

// Pad returns b grown by d degrees on every side.
func (b BBox) Pad(d float64) BBox {
	return BBox{MinLat: b.MinLat - d, MinLon: b.MinLon - d, MaxLat: b.MaxLat + d, MaxLon: b.MaxLon + d}
}

// Union returns the smallest box holding b and o.
func (b BBox) Union(o BBox) BBox {
	return BBox{MinLat: math.Min(b.MinLat, o.MinLat), MinLon: math.Min(b.MinLon, o.MinLon),
		MaxLat: math.Max(b.MaxLat, o.MaxLat), MaxLon: math.Max(b.MaxLon, o.MaxLon)}
}

// Intersects reports whether b and o share at least one point (edges
// included).
func (b BBox) Intersects(o BBox) bool {
	return b.MinLat <= o.MaxLat && o.MinLat <= b.MaxLat && b.MinLon <= o.MaxLon && o.MinLon <= b.MaxLon
}

// Contains reports whether p lies in b (edges included).
func (b BBox) Contains(p borderwatch.LatLon) bool {
	return p.Lat >= b.MinLat && p.Lat <= b.MaxLat && p.Lon >= b.MinLon && p.Lon <= b.MaxLon
}

// Index is a spatial index over geodesic segments and zones (polygons):
// a uniform latitude/longitude grid whose cells list the items whose box
// overlaps them.
//
// A uniform grid rather than an R-tree: the items are a border line and
// zones along it, spread evenly over a known region, so a grid cell lookup
// is two multiplications and a slice index, with no tree descent and no
// pointer chasing, and a query for a short movement touches one cell
// (rarely two or four). The trade-off is memory for empty cells
// (24 bytes each) and a cell size to choose: about the length of a typical
// query (a few km) is right. The grid grows when items are added outside
// it; it is limited to maxIndexCells cells.
//
// Add items first, then query: the Add methods must not run concurrently
// with anything else; queries may run concurrently with each other. Query
// methods append item ids to dst and return it, so a caller that reuses
// dst queries without allocating. Ids are dense: the n-th segment added has
// id n-1, and the same for zones.
type Index struct {
	cellDeg, inv float64
	lat0, lon0   float64 // south-west corner of the grid
	rows, cols   int
	cells        [][]int32 // per cell: segment id s as s, zone id z as ^z
	// Sines and cosines of each row's centre latitude and each column's
	// centre longitude, for position.
	rowSin, rowCos, colSin, colCos []float64
	bulge                          float64 // see movementBox
	segs                           []arc
	segCell                        [][2]int32 // first (row, col) of each segment's box
	zones                          []zone
	zoneCell                       [][2]int32
}

type zone struct {
	ring []borderwatch.LatLon
	box  BBox
}

// maxIndexCells bounds the grid (24 bytes per cell: 48 MiB).
const maxIndexCells = 1 << 21

// DefaultCellDeg is the cell size NewIndex uses for a non-positive size:
// 0.05° (about 5.5 km north–south).
const DefaultCellDeg = 0.05

// NewIndex returns an empty index whose grid cells are cellDeg degrees on a
// side (DefaultCellDeg if cellDeg is not positive).
func NewIndex(cellDeg float64) *Index {
	if !(cellDeg > 0) || math.IsInf(cellDeg, 0) {
		cellDeg = DefaultCellDeg
	}
	return &Index{cellDeg: cellDeg, inv: 1 / cellDeg}
}

// CellDeg returns the grid cell size in degrees.
func (ix *Index) CellDeg() float64 { return ix.cellDeg }

// NumSegments returns the number of segments added.
func (ix *Index) NumSegments() int { return len(ix.segs) }

// NumZones returns the number of zones added.
func (ix *Index) NumZones() int { return len(ix.zones) }

// Segment returns the ends of segment id.
func (ix *Index) Segment(id int) (a, b borderwatch.LatLon) { return ix.segs[id].a, ix.segs[id].b }

// Zone returns the ring of zone id, without the closing vertex (do not
// modify it).
func (ix *Index) Zone(id int) []borderwatch.LatLon { return ix.zones[id].ring }

// AddSegment adds the geodesic segment a→b and returns its id. The ends
// must be valid, distinct and less than 1000 km apart.
func (ix *Index) AddSegment(a, b borderwatch.LatLon) (int, error) {
	if err := checkSegment(a, b); err != nil {
		return 0, fmt.Errorf("geo: index: segment %d: %w", len(ix.segs), err)
	}
	s := newArc(a, b)
	if err := ix.cover(s.box); err != nil {
		return 0, fmt.Errorf("geo: index: segment %d: %w", len(ix.segs), err)
	}
	id := len(ix.segs)
	ix.segs = append(ix.segs, s)
	ix.segCell = append(ix.segCell, [2]int32{})
	ix.placeSegment(id)
	return id, nil
}

// AddZone adds a polygon given as a ring of at least three distinct
// vertices (closed or not; edges are straight in latitude/longitude, see
// PolygonContains) and returns its id. The index keeps its own copy.
func (ix *Index) AddZone(ring []borderwatch.LatLon) (int, error) {
	id := len(ix.zones)
	if len(ring) > 1 && ring[0] == ring[len(ring)-1] {
		ring = ring[:len(ring)-1]
	}
	if len(ring) < 3 {
		return 0, fmt.Errorf("geo: index: zone %d: ring has %d distinct vertices, need at least 3", id, len(ring))
	}
	for i, p := range ring {
		if !validLatLon(p) {
			return 0, fmt.Errorf("geo: index: zone %d: vertex %d: invalid position %v", id, i, p)
		}
	}
	z := zone{ring: slices.Clone(ring), box: BBoxOf(ring)}
	if err := ix.cover(z.box); err != nil {
		return 0, fmt.Errorf("geo: index: zone %d: %w", id, err)
	}
	ix.zones = append(ix.zones, z)
	ix.zoneCell = append(ix.zoneCell, [2]int32{})
	ix.placeZone(id)
	return id, nil
}

// SegmentsIn appends to dst the ids of the segments whose curve may pass
// through box (their bounding boxes intersect), each once, in no
// particular order.
func (ix *Index) SegmentsIn(dst []int, box BBox) []int {
	r0, c0, r1, c1, ok := ix.cellRange(box)
	if !ok {
		return dst
	}
	for r := r0; r <= r1; r++ {
		for c := c0; c <= c1; c++ {
			for _, v := range ix.cells[r*ix.cols+c] {
				if v < 0 {
					continue
				}
				if !firstShared(ix.segCell[v], r0, c0, r, c) {
					continue
				}
				if ix.segs[v].box.Intersects(box) {
					dst = append(dst, int(v))
				}
			}
		}
	}
	return dst
}

// ZonesIn appends to dst the ids of the zones whose bounding box intersects
// box, each once.
func (ix *Index) ZonesIn(dst []int, box BBox) []int {
	r0, c0, r1, c1, ok := ix.cellRange(box)
	if !ok {
		return dst
	}
	for r := r0; r <= r1; r++ {
		for c := c0; c <= c1; c++ {
			for _, v := range ix.cells[r*ix.cols+c] {
				if v >= 0 {
					continue
				}
				id := ^v
				if !firstShared(ix.zoneCell[id], r0, c0, r, c) {
					continue
				}
				if ix.zones[id].box.Intersects(box) {
					dst = append(dst, int(id))
				}
			}
		}
	}
	return dst
}

// ZonesAt appends to dst the ids of the zones that contain p
// (PolygonContains), each once.
func (ix *Index) ZonesAt(dst []int, p borderwatch.LatLon) []int {
	r, c, ok := ix.cellOf(p)
	if !ok {
		return dst
	}
	for _, v := range ix.cells[r*ix.cols+c] {
		if v >= 0 {
			continue
		}
		z := &ix.zones[^v]
		if z.box.Contains(p) && PolygonContains(z.ring, p) {
			dst = append(dst, int(^v))
		}
	}
	return dst
}

// SegmentsCrossing appends to dst the ids of the segments that the
// movement a→b crosses (passes from one side to the other), each once. A
// point exactly on a segment counts as being on its left, as in Line.Side.
func (ix *Index) SegmentsCrossing(dst []int, a, b borderwatch.LatLon) []int {
	box := ix.movementBox(a, b)
	r0, c0, r1, c1, ok := ix.cellRange(box)
	if !ok {
		return dst
	}
	ea, eb := ix.position(a), ix.position(b)
	for r := r0; r <= r1; r++ {
		for c := c0; c <= c1; c++ {
			for _, v := range ix.cells[r*ix.cols+c] {
				if v < 0 {
					continue
				}
				if !firstShared(ix.segCell[v], r0, c0, r, c) {
					continue
				}
				s := &ix.segs[v]
				if !s.box.Intersects(box) {
					continue
				}
				if _, _, _, hit := s.crossing(ea, eb); hit {
					dst = append(dst, int(v))
				}
			}
		}
	}
	return dst
}

// position returns the ECEF position of p. Inside the grid it expands
// sin and cos about the centre of p's cell (an angle of at most a few
// hundredths of a radian, where a degree-8 Taylor polynomial is exact to
// round-off) instead of calling math.Sincos twice: the same value to
// ~1e-16, four times faster. It depends on p alone, so every query sees the
// same position for the same point.
func (ix *Index) position(p borderwatch.LatLon) vec3 {
	r, c, ok := ix.cellOf(p)
	if !ok || ix.cellDeg > 1 {
		return ecef(p)
	}
	latc := ix.lat0 + (float64(r)+0.5)*ix.cellDeg
	lonc := ix.lon0 + (float64(c)+0.5)*ix.cellDeg
	sd, cd := sincosSmall((p.Lat - latc) * deg2rad)
	sl, cl := sincosSmall((p.Lon - lonc) * deg2rad)
	sphi := ix.rowSin[r]*cd + ix.rowCos[r]*sd
	cphi := ix.rowCos[r]*cd - ix.rowSin[r]*sd
	slam := ix.colSin[c]*cl + ix.colCos[c]*sl
	clam := ix.colCos[c]*cl - ix.colSin[c]*sl
	n := EarthA / math.Sqrt(1-wgs84.e2*sphi*sphi)
	return vec3{n * cphi * clam, n * cphi * slam, n * (1 - wgs84.e2) * sphi}
}

// sincosSmall is sin and cos of |x| <= 0.01 by their Taylor polynomials
// (truncation below 1e-21).
func sincosSmall(x float64) (s, c float64) {
	x2 := x * x
	s = x * (1 - x2/6*(1-x2/20*(1-x2/42)))
	c = 1 - x2/2*(1-x2/12*(1-x2/30*(1-x2/56)))
	return s, c
}

// movementBox is the lat/lon box of the geodesic a→b: the ends' box padded
// by a bound on the geodesic's departure from the straight lat/lon chord,
// Δ²·(1+tan|φ|)/4 radians for a span of Δ radians, with tan|φ| taken at
// the grid's highest latitude.
func (ix *Index) movementBox(a, b borderwatch.LatLon) BBox {
	box := BBox{MinLat: math.Min(a.Lat, b.Lat), MaxLat: math.Max(a.Lat, b.Lat),
		MinLon: math.Min(a.Lon, b.Lon), MaxLon: math.Max(a.Lon, b.Lon)}
	dlat, dlon := box.MaxLat-box.MinLat, box.MaxLon-box.MinLon
	return box.Pad((dlat*dlat+dlon*dlon)*ix.bulge + 1e-7)
}

// firstCrossing returns the segment crossed first by the movement a→b (the
// smallest fraction t along it). It is the hot path of Line.Cross: no
// allocation, no trigonometry unless a segment's box is near the movement.
func (ix *Index) firstCrossing(a, b borderwatch.LatLon) (seg int, x vec3, into Side, ok bool) {
	box := ix.movementBox(a, b)
	r0, c0, r1, c1, inGrid := ix.cellRange(box)
	if !inGrid {
		return 0, vec3{}, "", false
	}
	var ea, eb vec3
	converted := false
	best := math.Inf(1)
	for r := r0; r <= r1; r++ {
		row := ix.cells[r*ix.cols : (r+1)*ix.cols]
		for c := c0; c <= c1; c++ {
			for _, v := range row[c] {
				if v < 0 {
					continue
				}
				s := &ix.segs[v]
				if !s.box.Intersects(box) {
					continue
				}
				if !converted {
					ea, eb = ix.position(a), ix.position(b)
					converted = true
				}
				t, xv, side, hit := s.crossing(ea, eb)
				if hit && (t < best || t == best && int(v) < seg) {
					best, seg, x, into, ok = t, int(v), xv, side, true
				}
			}
		}
	}
	return seg, x, into, ok
}

// cellOf returns the cell holding p.
func (ix *Index) cellOf(p borderwatch.LatLon) (r, c int, ok bool) {
	if ix.rows == 0 {
		return 0, 0, false
	}
	fr := (p.Lat - ix.lat0) * ix.inv
	fc := (p.Lon - ix.lon0) * ix.inv
	if !(fr >= 0 && fc >= 0 && fr < float64(ix.rows) && fc < float64(ix.cols)) {
		return 0, 0, false
	}
	return int(fr), int(fc), true
}

// cellRange returns the cells overlapped by box, clamped to the grid, and
// false if the box misses the grid.
func (ix *Index) cellRange(box BBox) (r0, c0, r1, c1 int, ok bool) {
	if ix.rows == 0 {
		return 0, 0, 0, 0, false
	}
	fr0 := (box.MinLat - ix.lat0) * ix.inv
	fr1 := (box.MaxLat - ix.lat0) * ix.inv
	fc0 := (box.MinLon - ix.lon0) * ix.inv
	fc1 := (box.MaxLon - ix.lon0) * ix.inv
	rows, cols := float64(ix.rows), float64(ix.cols)
	if !(fr1 >= 0 && fc1 >= 0 && fr0 < rows && fc0 < cols) {
		return 0, 0, 0, 0, false // also rejects NaN
	}
	r0, c0 = int(math.Max(fr0, 0)), int(math.Max(fc0, 0))
	r1, c1 = int(math.Min(fr1, rows-1)), int(math.Min(fc1, cols-1))
	return r0, c0, r1, c1, true
}

// cover makes sure the grid covers box, growing (and refilling) it if not.
func (ix *Index) cover(box BBox) error {
	if ix.rows > 0 {
		grid := BBox{MinLat: ix.lat0, MinLon: ix.lon0,
			MaxLat: ix.lat0 + float64(ix.rows)*ix.cellDeg, MaxLon: ix.lon0 + float64(ix.cols)*ix.cellDeg}
		if box.MinLat >= grid.MinLat && box.MaxLat < grid.MaxLat && box.MinLon >= grid.MinLon && box.MaxLon < grid.MaxLon {
			return nil
		}
		box = box.Union(grid)
		// Grow by a quarter of the span on each side so that a sequence of
		// adds outside the grid refills it only O(log n) times.
		span := math.Max(box.MaxLat-box.MinLat, box.MaxLon-box.MinLon)
		if err := ix.resize(box.Pad(span / 4)); err == nil {
			return nil
		}
	}
	return ix.resize(box)
}

// reserve sizes the grid for box exactly (plus one cell), for callers that
// know the extent of everything they will add.
func (ix *Index) reserve(box BBox) error {
	if ix.rows > 0 {
		return ix.cover(box)
	}
	return ix.resize(box.Pad(ix.cellDeg))
}

func (ix *Index) resize(box BBox) error {
	box.MinLat = math.Max(box.MinLat, -90-ix.cellDeg)
	box.MaxLat = math.Min(box.MaxLat, 90+ix.cellDeg)
	box.MinLon = math.Max(box.MinLon, -180-ix.cellDeg)
	box.MaxLon = math.Min(box.MaxLon, 180+ix.cellDeg)
	lat0 := math.Floor(box.MinLat*ix.inv) * ix.cellDeg
	lon0 := math.Floor(box.MinLon*ix.inv) * ix.cellDeg
	rows := int(math.Floor((box.MaxLat-lat0)*ix.inv)) + 1
	cols := int(math.Floor((box.MaxLon-lon0)*ix.inv)) + 1
	if rows <= 0 || cols <= 0 || rows > maxIndexCells || cols > maxIndexCells || rows*cols > maxIndexCells {
		return fmt.Errorf("%w: %d×%d cells of %g° needed for %.4g..%.4g°N %.4g..%.4g°E", errGridTooLarge,
			rows, cols, ix.cellDeg, box.MinLat, box.MaxLat, box.MinLon, box.MaxLon)
	}
	ix.lat0, ix.lon0, ix.rows, ix.cols = lat0, lon0, rows, cols
	ix.cells = make([][]int32, rows*cols)
	ix.rowSin, ix.rowCos = make([]float64, rows), make([]float64, rows)
	for r := range rows {
		ix.rowSin[r], ix.rowCos[r] = math.Sincos((lat0 + (float64(r)+0.5)*ix.cellDeg) * deg2rad)
	}
	ix.colSin, ix.colCos = make([]float64, cols), make([]float64, cols)
	for c := range cols {
		ix.colSin[c], ix.colCos[c] = math.Sincos((lon0 + (float64(c)+0.5)*ix.cellDeg) * deg2rad)
	}
	maxLat := math.Min(89, math.Max(math.Abs(lat0), math.Abs(lat0+float64(rows)*ix.cellDeg)))
	ix.bulge = deg2rad * (1 + math.Tan(maxLat*deg2rad)) / 4
	for id := range ix.segs {
		ix.placeSegment(id)
	}
	for id := range ix.zones {
		ix.placeZone(id)
	}
	return nil
}

var errGridTooLarge = errors.New("grid too large (use larger cells)")

func (ix *Index) placeSegment(id int) {
	r0, c0, r1, c1, _ := ix.cellRange(ix.segs[id].box)
	ix.segCell[id] = [2]int32{int32(r0), int32(c0)}
	for r := r0; r <= r1; r++ {
		for c := c0; c <= c1; c++ {
			ix.cells[r*ix.cols+c] = append(ix.cells[r*ix.cols+c], int32(id))
		}
	}
}

func (ix *Index) placeZone(id int) {
	r0, c0, r1, c1, _ := ix.cellRange(ix.zones[id].box)
	ix.zoneCell[id] = [2]int32{int32(r0), int32(c0)}
	for r := r0; r <= r1; r++ {
		for c := c0; c <= c1; c++ {
			ix.cells[r*ix.cols+c] = append(ix.cells[r*ix.cols+c], ^int32(id))
		}
	}
}

// firstShared reports whether cell (r, c) is the first (south-west) cell
// shared by a query starting at cell (r0, c0) and an item starting at cell
// ref: reporting an item only there reports it once, without a "seen" set.
func firstShared(ref [2]int32, r0, c0, r, c int) bool {
	return r == max(r0, int(ref[0])) && c == max(c0, int(ref[1]))
}

func validLatLon(p borderwatch.LatLon) bool {
	return p.Lat >= -90 && p.Lat <= 90 && p.Lon >= -180 && p.Lon <= 180
}

// maxSegmentM bounds segment length: beyond it the plane-section
// approximation of a geodesic (see arc) drifts past a metre.
const maxSegmentM = 1000e3

func checkSegment(a, b borderwatch.LatLon) error {
	if !validLatLon(a) {
		return fmt.Errorf("invalid start %v", a)
	}
	if !validLatLon(b) {
		return fmt.Errorf("invalid end %v", b)
	}
	d := Distance(a, b)
	if d == 0 {
		return fmt.Errorf("zero length (both ends at %v)", a)
	}
	if d > maxSegmentM {
		return fmt.Errorf("%.0f m long, the limit is %.0f m", d, maxSegmentM)
	}
	return nil
}
