package web

import (
	"encoding/json"
	"fmt"
	"math"

	"github.com/borderwatch/borderwatch"
	"github.com/borderwatch/borderwatch/internal/geo"
)

// The deployment GeoJSON the UI draws. Every feature's properties carry
// "layer": border, sector, hotspot, barrier, crossing, site, sensor,
// coverage or zone, and the record's own fields (see docs/ui.md).

type feature struct {
	Type       string         `json:"type"`
	Geometry   geometry       `json:"geometry"`
	Properties map[string]any `json:"properties"`
}

type geometry struct {
	Type        string `json:"type"`
	Coordinates any    `json:"coordinates"`
}

func lonLat(p borderwatch.LatLon) [2]float64 {
	return [2]float64{math.Round(p.Lon*1e6) / 1e6, math.Round(p.Lat*1e6) / 1e6}
}

func lineCoords(ps []borderwatch.LatLon) [][2]float64 {
	out := make([][2]float64, len(ps))
	for i, p := range ps {
		out[i] = lonLat(p)
	}
	return out
}

// chainLine is the border with cumulative chainage for slicing by km.
type chainLine struct {
	pts []borderwatch.LatLon
	km  []float64
}

func newChainLine(pts []borderwatch.LatLon) *chainLine {
	c := &chainLine{pts: pts, km: make([]float64, len(pts))}
	for i := 1; i < len(pts); i++ {
		c.km[i] = c.km[i-1] + geo.Distance(pts[i-1], pts[i])/1000
	}
	return c
}

func (c *chainLine) length() float64 { return c.km[len(c.km)-1] }

// at interpolates the point at chainage km within segment i.
func (c *chainLine) at(km float64) (borderwatch.LatLon, int) {
	km = min(max(km, 0), c.length())
	i := 1
	for i < len(c.km)-1 && c.km[i] < km {
		i++
	}
	d := c.km[i] - c.km[i-1]
	t := 0.0
	if d > 0 {
		t = (km - c.km[i-1]) / d
	}
	a, b := c.pts[i-1], c.pts[i]
	return borderwatch.LatLon{Lat: a.Lat + t*(b.Lat-a.Lat), Lon: a.Lon + t*(b.Lon-a.Lon)}, i
}

// slice returns the line between two chainages, shifted offsetM metres
// to the right of the direction of travel (a local planar offset: ample
// for drawing).
func (c *chainLine) slice(fromKm, toKm, offsetM float64) []borderwatch.LatLon {
	if toKm < fromKm {
		fromKm, toKm = toKm, fromKm
	}
	a, ia := c.at(fromKm)
	b, ib := c.at(toKm)
	pts := []borderwatch.LatLon{a}
	for i := ia; i < ib; i++ {
		pts = append(pts, c.pts[i])
	}
	pts = append(pts, b)
	if offsetM == 0 || len(pts) < 2 {
		return pts
	}
	out := make([]borderwatch.LatLon, len(pts))
	for i, p := range pts {
		// direction: average of adjacent segments, in local metres
		var de, dn float64
		for _, j := range [2]int{i - 1, i} {
			if j < 0 || j+1 >= len(pts) {
				continue
			}
			e := (pts[j+1].Lon - pts[j].Lon) * math.Cos(p.Lat*math.Pi/180)
			n := pts[j+1].Lat - pts[j].Lat
			l := math.Hypot(e, n)
			if l > 0 {
				de += e / l
				dn += n / l
			}
		}
		l := math.Hypot(de, dn)
		if l == 0 {
			out[i] = p
			continue
		}
		de, dn = de/l, dn/l
		// right normal of (de, dn) is (dn, -de)
		const mPerDeg = 111320.0
		out[i] = borderwatch.LatLon{
			Lat: p.Lat + (-de*offsetM)/mPerDeg,
			Lon: p.Lon + (dn*offsetM)/(mPerDeg*math.Cos(p.Lat*math.Pi/180)),
		}
	}
	return out
}

// footprint is a sensor's coverage polygon ring.
func footprint(pos borderwatch.LatLon, heading, fov, rangeM float64) []borderwatch.LatLon {
	if rangeM <= 0 {
		return nil
	}
	var ring []borderwatch.LatLon
	if fov >= 360 || fov <= 0 {
		for i := 0; i <= 48; i++ {
			ring = append(ring, geo.Direct(pos, float64(i)*7.5, rangeM))
		}
		return ring
	}
	ring = append(ring, pos)
	steps := max(4, int(fov/5))
	for i := 0; i <= steps; i++ {
		az := heading - fov/2 + fov*float64(i)/float64(steps)
		ring = append(ring, geo.Direct(pos, az, rangeM))
	}
	return append(ring, pos)
}

// DeploymentGeoJSON renders a deployment as the GeoJSON FeatureCollection
// the UI draws (properties.layer says which layer a feature belongs to).
func DeploymentGeoJSON(d *borderwatch.Deployment) ([]byte, error) {
	if len(d.Border.Line) < 2 {
		return nil, fmt.Errorf("web: deployment %q: border line has %d points, want at least 2", d.Name, len(d.Border.Line))
	}
	line := newChainLine(d.Border.Line)
	var fs []feature
	add := func(typ string, coords any, props map[string]any) {
		fs = append(fs, feature{Type: "Feature", Geometry: geometry{typ, coords}, Properties: props})
	}
	add("LineString", lineCoords(d.Border.Line), map[string]any{
		"layer": "border", "name": d.Title, "length_km": line.length(),
		"left": d.Border.Left, "right": d.Border.Right, "source": d.Border.Source,
	})
	agencies := map[borderwatch.Agency]string{}
	for _, a := range d.Agencies {
		agencies[a.ID] = a.Name
	}
	for _, s := range d.Sectors {
		add("LineString", lineCoords(line.slice(s.FromKm, s.ToKm, 0)), map[string]any{
			"layer": "sector", "id": s.ID, "name": s.Name, "agency": s.Agency, "agency_name": agencies[s.Agency],
			"unit": s.Unit, "terrain": s.Terrain, "region": s.Region, "from_km": s.FromKm, "to_km": s.ToKm,
		})
	}
	for _, h := range d.Hotspots {
		add("LineString", lineCoords(line.slice(h.FromKm, h.ToKm, 0)), map[string]any{
			"layer": "hotspot", "id": h.ID, "name": h.Name, "from_km": h.FromKm, "to_km": h.ToKm, "reason": h.Reason,
		})
	}
	for _, b := range d.Barriers {
		add("LineString", lineCoords(line.slice(b.FromKm, b.ToKm, b.OffsetM)), map[string]any{
			"layer": "barrier", "id": b.ID, "name": b.Name, "kind": b.Kind, "from_km": b.FromKm, "to_km": b.ToKm,
			"offset_m": b.OffsetM, "sensored": b.Sensored, "agency": b.Agency,
		})
	}
	for _, z := range d.Zones {
		add("Polygon", [][][2]float64{lineCoords(z.Ring)}, map[string]any{
			"layer": "zone", "id": z.ID, "name": z.Name, "kind": z.Kind, "agency": z.Agency,
		})
	}
	for _, c := range d.Crossings {
		add("Point", lonLat(c.Position), map[string]any{
			"layer": "crossing", "id": c.ID, "name": c.Name, "status": c.Status, "official": c.Official,
			"hours": c.Hours, "chainage_km": c.Chainage, "left_name": c.LeftName, "right_name": c.RightName, "agency": c.Agency,
		})
	}
	for _, s := range d.Sites {
		add("Point", lonLat(s.Position), map[string]any{
			"layer": "site", "id": s.ID, "name": s.Name, "kind": s.Kind, "agency": s.Agency,
			"sector": s.Sector, "chainage_km": s.Chainage,
		})
	}
	for _, s := range d.Sensors {
		props := map[string]any{
			"layer": "sensor", "id": s.ID, "kind": s.Kind, "model": s.Model, "agency": s.Agency, "site": s.Site,
			"sector": s.Sector, "chainage_km": s.Chainage, "heading_deg": s.HeadingDeg, "fov_deg": s.FOVDeg, "range_m": s.MaxRangeM(),
		}
		add("Point", lonLat(s.Position), props)
		if ring := footprint(s.Position, s.HeadingDeg, s.FOVDeg, s.MaxRangeM()); ring != nil {
			add("Polygon", [][][2]float64{lineCoords(ring)}, map[string]any{"layer": "coverage", "id": s.ID, "kind": s.Kind, "agency": s.Agency})
		}
	}
	fc := struct {
		Type     string    `json:"type"`
		Name     string    `json:"name"`
		Title    string    `json:"title"`
		Features []feature `json:"features"`
	}{"FeatureCollection", d.Name, d.Title, fs}
	return json.Marshal(fc)
}
