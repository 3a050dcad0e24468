package sim

import (
	"bufio"
	"bytes"
	_ "embed"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/borderwatch/borderwatch"
)

// etopo5 is the ETOPO5 5-arc-minute relief grid (NOAA, public domain)
// clipped to 37.5–44.5°E, 31.5–38°N: 85×79 nodes about 9 km apart, as an
// ESRI ASCII grid, rows north to south. A copy of shared/data.
//
//go:embed etopo5.asc
var etopo5 []byte

// Terrain is an elevation grid. It answers heights and line-of-sight
// questions; at 5′ (≈9 km) it knows ridges such as Jebel Sinjar but not the
// wadis, berms and villages that hide a walker at 2 km, so occlusion is
// modelled only where the data allows: long lines of sight over real
// relief.
type Terrain struct {
	ncols, nrows int
	x0, yTop     float64 // centre of the first column, centre of the top row
	cell         float64
	z            []float64 // row-major, north row first
}

// DefaultTerrain parses the embedded ETOPO5 grid.
func DefaultTerrain() (*Terrain, error) { return ParseASCIIGrid(etopo5) }

// ParseASCIIGrid reads an ESRI ASCII grid with xllcenter/yllcenter.
func ParseASCIIGrid(b []byte) (*Terrain, error) {
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	hdr := map[string]float64{}
	t := &Terrain{}
	line := 0
	for len(hdr) < 6 && sc.Scan() {
		line++
		k, v, ok := strings.Cut(strings.TrimSpace(sc.Text()), " ")
		if !ok {
			return nil, fmt.Errorf("terrain grid: line %d: want a header \"key value\"", line)
		}
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil {
			return nil, fmt.Errorf("terrain grid: line %d: %s %q: %w", line, k, v, err)
		}
		hdr[strings.ToLower(k)] = f
	}
	t.ncols, t.nrows, t.cell = int(hdr["ncols"]), int(hdr["nrows"]), hdr["cellsize"]
	if t.ncols < 2 || t.nrows < 2 || !(t.cell > 0) {
		return nil, fmt.Errorf("terrain grid: header: ncols %d, nrows %d, cellsize %v: want at least 2x2 and a positive cell", t.ncols, t.nrows, t.cell)
	}
	t.x0 = hdr["xllcenter"]
	t.yTop = hdr["yllcenter"] + float64(t.nrows-1)*t.cell
	nodata := hdr["nodata_value"]
	t.z = make([]float64, 0, t.ncols*t.nrows)
	for sc.Scan() {
		line++
		for _, f := range strings.Fields(sc.Text()) {
			v, err := strconv.ParseFloat(f, 64)
			if err != nil {
				return nil, fmt.Errorf("terrain grid: line %d: %q: %w", line, f, err)
			}
			if v == nodata {
				v = 0
			}
			t.z = append(t.z, v)
		}
	}
	if len(t.z) != t.ncols*t.nrows {
		return nil, fmt.Errorf("terrain grid: %d values, want %d x %d", len(t.z), t.ncols, t.nrows)
	}
	return t, nil
}

// Elevation returns the ground height in metres at p, bilinear between
// grid nodes; outside the grid it holds the edge value.
func (t *Terrain) Elevation(p borderwatch.LatLon) float64 {
	fx := (p.Lon - t.x0) / t.cell
	fy := (t.yTop - p.Lat) / t.cell
	fx = math.Max(0, math.Min(float64(t.ncols-1)-1e-9, fx))
	fy = math.Max(0, math.Min(float64(t.nrows-1)-1e-9, fy))
	c, r := int(fx), int(fy)
	dx, dy := fx-float64(c), fy-float64(r)
	i := r*t.ncols + c
	z00, z01 := t.z[i], t.z[i+1]
	z10, z11 := t.z[i+t.ncols], t.z[i+t.ncols+1]
	return (z00*(1-dx)+z01*dx)*(1-dy) + (z10*(1-dx)+z11*dx)*dy
}

// effectiveRadius is the earth radius bent by standard refraction (k = 4/3).
const effectiveRadius = 6371000.0 * 4 / 3

// Visible reports whether a point hTo metres above the ground at to is in
// line of sight of a point hFrom metres above the ground at from, over the
// grid's terrain and the earth's curvature, sampled every 500 m.
func (t *Terrain) Visible(from borderwatch.LatLon, hFrom float64, to borderwatch.LatLon, hTo float64) bool {
	e, n := delta(from, to)
	d := math.Hypot(e, n)
	if d < 1000 {
		return true
	}
	za := t.Elevation(from) + hFrom
	zb := t.Elevation(to) + hTo
	steps := int(d / 500)
	for i := 1; i < steps; i++ {
		f := float64(i) / float64(steps)
		s := f * d
		ray := za + (zb-za)*f - s*(d-s)/(2*effectiveRadius)
		if t.Elevation(offset(from, e*f, n*f)) > ray {
			return false
		}
	}
	return true
}
