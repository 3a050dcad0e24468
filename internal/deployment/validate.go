package deployment

import (
	"math"

	"github.com/borderwatch/borderwatch"
	"github.com/borderwatch/borderwatch/internal/geo"
)

// chainTolKm is how close chainages must be to count as equal (1 m).
const chainTolKm = 0.001

// validate checks cross references and geometry once every file is decoded,
// fills derived fields and moves the items into the deployment.
func (l *loader) validate() {
	dep := &l.dep
	agencies := map[borderwatch.Agency]bool{}
	for _, a := range l.agencies {
		agencies[a.v.ID] = true
	}
	for _, a := range l.agencies {
		for i, r := range a.v.ReleasableTo {
			if r != borderwatch.AllAgencies && !agencies[r] {
				a.m.Errorf("releasable_to", "entry %d %q is not an agency of the deployment (nor \"*\")", i, r)
			}
		}
		dep.Agencies = append(dep.Agencies, a.v)
	}
	checkAgency := func(m interface{ Errorf(string, string, ...any) }, a borderwatch.Agency) {
		if a != "" && !agencies[a] {
			m.Errorf("agency", "not an agency of the deployment (see agencies)")
		}
	}
	for _, z := range l.zones {
		if z.Agency != "" && !agencies[z.Agency] {
			l.fileErr(l.zonesFile, 0, "zone "+z.ID+".properties.agency", string(z.Agency), "not an agency of the deployment (see agencies)")
		}
	}

	length := math.NaN()
	if l.line != nil {
		length = l.line.Length()
	}
	inLine := func(m chainErrorf, key string, v float64) bool {
		if math.IsNaN(length) || math.IsNaN(v) {
			return true
		}
		if v < 0 || v > length+chainTolKm {
			m.Errorf(key, "chainage outside the border line [0, %.3f] km", length)
			return false
		}
		return true
	}
	span := func(m chainErrorf, from, to float64) {
		okF, okT := inLine(m, "from_km", from), inLine(m, "to_km", to)
		if okF && okT && !(to > from) {
			m.Errorf("to_km", "must be greater than from_km (%g)", from)
		}
	}

	// Sectors tile the line.
	units := map[string]item[borderwatch.Unit]{}
	for _, u := range l.units {
		units[u.v.ID] = u
	}
	sectors := map[string]bool{}
	for i := range l.sectors {
		s := &l.sectors[i]
		if l.sectorTo[i] {
			s.v.ToKm = length
		}
		sectors[s.v.ID] = true
		checkAgency(s.m, s.v.Agency)
		if s.v.Unit != "" {
			if _, ok := units[s.v.Unit]; !ok {
				s.m.Errorf("unit", "no unit with this id (see units)")
			}
		}
		span(s.m, s.v.FromKm, s.v.ToKm)
		if i == 0 && s.v.FromKm != 0 {
			s.m.Errorf("from_km", "the first sector must start at 0, the start of the line")
		}
		if i > 0 {
			prev := l.sectors[i-1].v
			if math.Abs(s.v.FromKm-prev.ToKm) > chainTolKm {
				s.m.Errorf("from_km", "must equal the previous sector's to_km (%g): sectors are listed in order and leave no gap or overlap", prev.ToKm)
			}
		}
		if i == len(l.sectors)-1 && !math.IsNaN(length) && !math.IsNaN(s.v.ToKm) && math.Abs(s.v.ToKm-length) > chainTolKm {
			s.m.Errorf("to_km", "the last sector must end at the end of the line (%.3f km); write to_km: end", length)
		}
		dep.Sectors = append(dep.Sectors, s.v)
	}

	for _, h := range l.hotspots {
		span(h.m, h.v.FromKm, h.v.ToKm)
		dep.Hotspots = append(dep.Hotspots, h.v)
	}
	for _, b := range l.barriers {
		span(b.m, b.v.FromKm, b.v.ToKm)
		checkAgency(b.m, b.v.Agency)
		dep.Barriers = append(dep.Barriers, b.v)
	}

	// Points: resolve positions, chainage, offset and sector.
	for _, c := range l.crossings {
		checkAgency(c.m, c.v.Agency)
		c.v.Position, c.v.Chainage, c.v.OffsetM = l.place(c.m, c.v.Position, c.at, maxCrossingOffsetM)
		dep.Crossings = append(dep.Crossings, c.v)
	}
	sites := map[string]borderwatch.Site{}
	for _, s := range l.sites {
		checkAgency(s.m, s.v.Agency)
		s.v.Position, s.v.Chainage, s.v.OffsetM = l.place(s.m, s.v.Position, s.at, maxSiteOffsetM)
		s.v.Sector = l.sectorOf(s.v.Chainage)
		sites[s.v.ID] = s.v
		dep.Sites = append(dep.Sites, s.v)
	}
	for _, s := range l.sensors {
		checkAgency(s.m, s.v.Agency)
		site, hasSite := sites[s.v.Site]
		if s.v.Site != "" && !hasSite {
			s.m.Errorf("site", "no site with this id (see sites)")
		}
		if math.IsNaN(s.v.Position.Lat) { // mounted: stands at its site
			s.v.Position = site.Position // zero if the site is unknown (reported above)
			if hasSite {
				s.v.Chainage, s.v.OffsetM = site.Chainage, site.OffsetM
			}
		} else {
			s.v.Position, s.v.Chainage, s.v.OffsetM = l.place(s.m, s.v.Position, s.at, maxSensorOffsetM)
			if hasSite {
				if d := geo.Distance(s.v.Position, site.Position); d > maxSensorFromSiteM {
					s.m.Errorf("site", "the sensor stands %.0f m from its site; a mounted sensor is within %d m", d, maxSensorFromSiteM)
				}
			}
		}
		if hasSite && site.HeightM > 0 && s.v.MountHeightM > site.HeightM+10 {
			s.m.Errorf("mount_height_m", "higher than its site (%g m) by more than 10 m", site.HeightM)
		}
		s.v.Sector = l.sectorOf(s.v.Chainage)
		dep.Sensors = append(dep.Sensors, s.v)
	}
	for _, d := range l.drones {
		checkAgency(d.m, d.v.Agency)
		if b, ok := sites[d.v.Base]; d.v.Base != "" && !ok {
			d.m.Errorf("base", "no site with this id (see sites)")
		} else if ok && b.Kind != borderwatch.SiteDroneBase {
			d.m.Errorf("base", "site is a %s; a drone flies from a drone_base", b.Kind)
		}
		dep.Drones = append(dep.Drones, d.v)
	}
	for _, u := range l.units {
		checkAgency(u.m, u.v.Agency)
		if b, ok := sites[u.v.Base]; u.v.Base != "" && !ok {
			u.m.Errorf("base", "no site with this id (see sites)")
		} else if ok && u.v.Kind == borderwatch.UnitQRF && b.Kind != borderwatch.SiteQRFBase {
			u.m.Errorf("base", "site is a %s; a QRF stands by at a qrf_base", b.Kind)
		}
		if u.v.Sector != "" && !sectors[u.v.Sector] {
			u.m.Errorf("sector", "no sector with this id (see sectors)")
		}
		dep.Units = append(dep.Units, u.v)
	}
	l.checkCoverage()
}

type chainErrorf interface{ Errorf(string, string, ...any) }

// place resolves a position given either as coordinates or as a station
// on the line and returns the position, chainage and offset.
func (l *loader) place(m chainErrorf, p borderwatch.LatLon, at *station, maxOffsetM float64) (borderwatch.LatLon, float64, float64) {
	if l.line == nil {
		return p, 0, 0
	}
	length := l.line.Length()
	if at != nil {
		if at.km < 0 || at.km > length+chainTolKm {
			m.Errorf("at", "km %g is outside the border line [0, %.3f]", at.km, length)
			return p, 0, 0
		}
		if math.Abs(at.offsetM) > maxOffsetM {
			m.Errorf("at", "offset_m %g is more than %g m from the line", at.offsetM, maxOffsetM)
		}
		return StationPoint(l.line, at.km, at.offsetM), at.km, at.offsetM
	}
	if !p.Valid() || (p == borderwatch.LatLon{}) {
		return p, 0, 0
	}
	st := l.line.Locate(p)
	if math.Abs(st.Offset) > maxOffsetM {
		hint := ""
		if sw := (borderwatch.LatLon{Lat: p.Lon, Lon: p.Lat}); sw.Valid() && math.Abs(l.line.Locate(sw).Offset) <= maxOffsetM {
			hint = "; latitude and longitude look swapped"
		}
		m.Errorf("position", "lies %.1f km from the border line, more than %g km%s", math.Abs(st.Offset)/1000, maxOffsetM/1000, hint)
	}
	return p, st.Chainage, st.Offset
}

// StationPoint returns the point offsetM metres to the right (negative:
// left) of the line at chainage km, perpendicular to the line there.
func StationPoint(line *geo.Line, km, offsetM float64) borderwatch.LatLon {
	p := line.PointAt(km)
	if offsetM == 0 {
		return p
	}
	return geo.Direct(p, Bearing(line, km)+90, offsetM)
}

// Bearing returns the line's direction of travel at chainage km, in
// degrees clockwise from north, averaged over ±50 m so that a vertex gets
// the bisector of its two segments.
func Bearing(line *geo.Line, km float64) float64 {
	const h = 0.05
	a, b := math.Max(0, km-h), math.Min(line.Length(), km+h)
	_, az, _ := geo.Inverse(line.PointAt(a), line.PointAt(b))
	return az
}

func (l *loader) sectorOf(km float64) string {
	if s, ok := l.dep.SectorAt(km); ok {
		return s.ID
	}
	return ""
}

// checkCoverage reports a sector whose responsible unit is assigned to
// another sector.
func (l *loader) checkCoverage() {
	units := map[string]borderwatch.Unit{}
	for _, u := range l.dep.Units {
		units[u.ID] = u
	}
	for _, s := range l.sectors {
		if u, ok := units[s.v.Unit]; ok && u.Sector != s.v.ID {
			s.m.Errorf("unit", "unit %s is assigned to sector %q, not this one", u.ID, u.Sector)
		}
	}
}
