// Package layout owns the sensor-layout rules of a deployment: how far
// apart watchtowers stand in each sector and hotspot, how far back from
// the line, how many thermal cameras each tower carries so that their
// fields of view cover its stretch of line with the required overlap, and
// where radars and ground sensors go. Generate turns rules into sites and
// sensors; Encode writes them as the deployment's generated layout file,
// which the deployment loader reads like any other part of the folder.
//
// Generation is deterministic: the same deployment, rules and density give
// byte-identical output.
package layout

import (
	"fmt"
	"math"
	"sort"

	"github.com/borderwatch/borderwatch"
	"github.com/borderwatch/borderwatch/internal/deployment"
	"github.com/borderwatch/borderwatch/internal/deployment/yamlnode"
	"github.com/borderwatch/borderwatch/internal/geo"
)

// Rules are the layout rules of one deployment (its layout.yaml).
type Rules struct {
	// Side is the side of the line towers stand on: "left" or "right".
	Side string
	// SetbackM is the towers' distance from the line, > 0.
	SetbackM float64
	// Overlap is the fraction by which neighbouring towers' stretches and
	// neighbouring cameras' fields of view overlap, in [0, 0.5].
	Overlap float64
	Tower   Tower
	Camera  Equipment
	// Hotspot is the spacing inside hotspots; Sectors by sector id, with
	// "default" for sectors not listed.
	Hotspot Spacing
	Sectors map[string]Spacing
	// Radar and GroundSensors are optional.
	Radar         *Radar
	GroundSensors *GroundSensors
}

// Tower describes the generated watchtowers.
type Tower struct {
	HeightM float64
}

// Equipment is a sensor model as the rules place it.
type Equipment struct {
	Model        string
	MountHeightM float64
	FOVDeg       float64
	Range        map[borderwatch.Class]borderwatch.DetectionRange
}

// Spacing is the distance between towers and the class their cameras must
// detect at night at every point of each tower's stretch of line.
type Spacing struct {
	Km          float64
	DesignClass borderwatch.Class
}

// Radar places a ground surveillance radar on every n-th tower.
type Radar struct {
	Equipment
	EveryNthTower int
}

// GroundSensors places ground sensors along every hotspot.
type GroundSensors struct {
	Equipment
	SpacingKm float64
	OffsetM   float64
}

// DefaultSector is the key of Rules.Sectors that applies to sectors not
// listed by id.
const DefaultSector = "default"

// ParseRules decodes and validates layout rules; file names the file in
// errors. A failure returns deployment.Errors.
func ParseRules(file string, b []byte) (*Rules, error) {
	root, perr := yamlnode.Parse(file, b)
	if perr != nil {
		return nil, deployment.Errors{perr}
	}
	d := yamlnode.NewDecoder(file)
	m := d.Map(root, "")
	r := &Rules{Sectors: map[string]Spacing{}}
	r.Side = m.String("side", true)
	if r.Side != "" && r.Side != "left" && r.Side != "right" {
		m.Errorf("side", `must be "left" or "right" of the line's direction of travel`)
	}
	r.SetbackM = bounded(m, "setback_m", 1, 50_000)
	if v, ok := m.Float("overlap", true); ok {
		r.Overlap = v
		if v < 0 || v > 0.5 {
			m.Errorf("overlap", "must be in [0, 0.5]")
		}
	}
	if tm := m.Sub("tower", true); tm != nil {
		r.Tower.HeightM = bounded(tm, "height_m", 1, 100)
		tm.Done()
	}
	if cm := m.Sub("camera", true); cm != nil {
		r.Camera = equipment(cm, true)
		cm.Done()
	}
	if hm := m.Sub("hotspot", true); hm != nil {
		r.Hotspot = spacing(hm)
		hm.Done()
	}
	if sm := m.Sub("sectors", true); sm != nil {
		for _, k := range sm.Keys() {
			if ssm := sm.Sub(k, true); ssm != nil {
				r.Sectors[k] = spacing(ssm)
				ssm.Done()
			}
		}
		if _, ok := r.Sectors[DefaultSector]; !ok {
			m.Errorf("sectors", "must have a %q entry for sectors not listed by id", DefaultSector)
		}
		sm.Done()
	}
	if rm := m.Sub("radar", false); rm != nil {
		r.Radar = &Radar{Equipment: equipment(rm, true)}
		if n, ok := rm.Int("every_nth_tower", true); ok {
			r.Radar.EveryNthTower = n
			if n < 1 || n > 1000 {
				rm.Errorf("every_nth_tower", "must be between 1 and 1000")
			}
		}
		rm.Done()
	}
	if gm := m.Sub("ground_sensors", false); gm != nil {
		g := &GroundSensors{Equipment: equipment(gm, false)}
		g.SpacingKm = bounded(gm, "spacing_km", 0.05, 100)
		if v, ok := gm.Float("offset_m", true); ok {
			g.OffsetM = v
			if math.Abs(v) > 5000 {
				gm.Errorf("offset_m", "more than 5000 m from the line")
			}
		}
		r.GroundSensors = g
		gm.Done()
	}
	m.Done()
	if err := d.Errors().Err(); err != nil {
		return nil, err
	}
	return r, nil
}

func bounded(m *yamlnode.Map, key string, lo, hi float64) float64 {
	v, ok := m.Float(key, true)
	if ok && (v < lo || v > hi) {
		m.Errorf(key, "must be between %g and %g", lo, hi)
	}
	return v
}

// equipment decodes model, mount_height_m, range and, withFOV, fov_deg;
// without it the sensor is all-round (360).
func equipment(m *yamlnode.Map, withFOV bool) Equipment {
	e := Equipment{Model: m.String("model", true)}
	if v, ok := m.Float("mount_height_m", true); ok {
		e.MountHeightM = v
		if v < 0 || v > 100 {
			m.Errorf("mount_height_m", "must be in [0, 100]")
		}
	}
	if withFOV {
		e.FOVDeg = bounded(m, "fov_deg", 1, 360)
	} else {
		e.FOVDeg = 360
	}
	e.Range = deployment.Ranges(m)
	return e
}

func spacing(m *yamlnode.Map) Spacing {
	s := Spacing{Km: bounded(m, "spacing_km", 0.1, 200)}
	s.DesignClass = borderwatch.Class(m.String("design_class", true))
	if s.DesignClass != "" && !s.DesignClass.Valid() {
		m.Errorf("design_class", "unknown class; one of person, vehicle, animal")
	}
	return s
}

// Layout is what the rules generate.
type Layout struct {
	Density float64
	Sites   []borderwatch.Site
	Sensors []borderwatch.Sensor
	Stats   []SectorStats
}

// SectorStats summarises the layout of one sector.
type SectorStats struct {
	Sector        string
	LengthKm      float64
	Towers        int
	Cameras       int
	Radars        int
	GroundSensors int
	// MaxRangeM is the longest distance from a tower to a point of the line
	// it must cover; the design class's night range must reach it.
	MaxRangeM float64
}

// Totals sums the sector statistics.
func (l *Layout) Totals() SectorStats {
	t := SectorStats{Sector: "total"}
	for _, s := range l.Stats {
		t.LengthKm += s.LengthKm
		t.Towers += s.Towers
		t.Cameras += s.Cameras
		t.Radars += s.Radars
		t.GroundSensors += s.GroundSensors
		t.MaxRangeM = math.Max(t.MaxRangeM, s.MaxRangeM)
	}
	return t
}

// run is a stretch of line with one spacing.
type run struct {
	from, to float64
	sp       Spacing
}

// Generate applies the rules to the deployment's sectors and hotspots.
// density multiplies the number of towers and ground sensors per km (1 is
// the rules as written; 2 halves the spacing). A stretch the cameras
// cannot cover (the design class's night range is too short for the
// spacing and setback) is an error naming the sector and the numbers.
func Generate(dep *borderwatch.Deployment, line *geo.Line, r *Rules, density float64) (*Layout, error) {
	if !(density > 0 && density <= 20) {
		return nil, fmt.Errorf("layout: density %g must be greater than 0 and at most 20", density)
	}
	sign := -1.0
	if r.Side == "right" {
		sign = 1
	}
	off := sign * r.SetbackM
	out := &Layout{Density: density}
	var errs []error
	towerN := 0
	for _, sec := range dep.Sectors {
		sp, ok := r.Sectors[sec.ID]
		if !ok {
			sp = r.Sectors[DefaultSector]
		}
		st := SectorStats{Sector: sec.ID, LengthKm: sec.ToKm - sec.FromKm}
		n := 0
		for _, ru := range runs(sec, dep.Hotspots, sp, r.Hotspot) {
			towers := int(math.Ceil((ru.to-ru.from)*density/ru.sp.Km - 1e-9))
			cell := (ru.to - ru.from) / float64(towers)
			for i := range towers {
				n++
				towerN++
				km := round(ru.from+(float64(i)+0.5)*cell, 3)
				tw := borderwatch.Site{
					ID:        fmt.Sprintf("tw-%s-%02d", sec.ID, n),
					Kind:      borderwatch.SiteWatchtower,
					Position:  deployment.StationPoint(line, km, off),
					Chainage:  km,
					OffsetM:   off,
					HeightM:   r.Tower.HeightM,
					Agency:    sec.Agency,
					Sector:    sec.ID,
					Generated: true,
				}
				out.Sites = append(out.Sites, tw)
				half := cell / 2 * (1 + r.Overlap)
				fan, maxD := fanOut(line, tw.Position, km-half, km+half, r.Camera.FOVDeg, r.Overlap)
				st.MaxRangeM = math.Max(st.MaxRangeM, maxD)
				if need := r.Camera.Range[ru.sp.DesignClass].NightM; maxD > need {
					errs = append(errs, fmt.Errorf("layout: sector %s: tower %s at km %.3f must see %.0f m to cover its stretch, but the camera's night range for %s is %.0f m: reduce spacing_km (%g / density %g) or setback_m (%g)",
						sec.ID, tw.ID, km, maxD, ru.sp.DesignClass, need, ru.sp.Km, density, r.SetbackM))
				}
				for j, h := range fan {
					out.Sensors = append(out.Sensors, borderwatch.Sensor{
						ID:           fmt.Sprintf("tc-%s-%02d-%d", sec.ID, n, j+1),
						Kind:         borderwatch.SourceThermalCamera,
						Model:        r.Camera.Model,
						Position:     tw.Position,
						Chainage:     km,
						OffsetM:      off,
						MountHeightM: r.Camera.MountHeightM,
						HeadingDeg:   h,
						FOVDeg:       r.Camera.FOVDeg,
						Range:        r.Camera.Range,
						Agency:       sec.Agency,
						Site:         tw.ID,
						Sector:       sec.ID,
						Generated:    true,
					})
					st.Cameras++
				}
				if r.Radar != nil && (towerN-1)%r.Radar.EveryNthTower == 0 {
					out.Sensors = append(out.Sensors, borderwatch.Sensor{
						ID:           fmt.Sprintf("rd-%s-%02d", sec.ID, n),
						Kind:         borderwatch.SourceRadar,
						Model:        r.Radar.Model,
						Position:     tw.Position,
						Chainage:     km,
						OffsetM:      off,
						MountHeightM: r.Radar.MountHeightM,
						HeadingDeg:   heading(deployment.Bearing(line, km) - sign*90),
						FOVDeg:       r.Radar.FOVDeg,
						Range:        r.Radar.Range,
						Agency:       sec.Agency,
						Site:         tw.ID,
						Sector:       sec.ID,
						Generated:    true,
					})
					st.Radars++
				}
			}
		}
		st.Towers = n
		out.Stats = append(out.Stats, st)
	}
	if g := r.GroundSensors; g != nil {
		for _, h := range dep.Hotspots {
			count := int(math.Ceil((h.ToKm-h.FromKm)*density/g.SpacingKm - 1e-9))
			step := (h.ToKm - h.FromKm) / float64(count)
			for i := range count {
				km := round(h.FromKm+(float64(i)+0.5)*step, 3)
				sec, _ := dep.SectorAt(km)
				out.Sensors = append(out.Sensors, borderwatch.Sensor{
					ID:           fmt.Sprintf("gs-%s-%03d", h.ID, i+1),
					Kind:         borderwatch.SourceGroundSensor,
					Model:        g.Model,
					Position:     deployment.StationPoint(line, km, g.OffsetM),
					Chainage:     km,
					OffsetM:      g.OffsetM,
					MountHeightM: g.MountHeightM,
					HeadingDeg:   0,
					FOVDeg:       360,
					Range:        g.Range,
					Agency:       sec.Agency,
					Sector:       sec.ID,
					Generated:    true,
				})
				for k := range out.Stats {
					if out.Stats[k].Sector == sec.ID {
						out.Stats[k].GroundSensors++
					}
				}
			}
		}
	}
	if len(errs) > 0 {
		return out, fmt.Errorf("layout: %d stretches not covered:\n%w", len(errs), joinErrs(errs))
	}
	return out, nil
}

type joined []error

func (j joined) Error() string {
	s := ""
	for i, e := range j {
		if i > 0 {
			s += "\n"
		}
		s += e.Error()
	}
	return s
}

func (j joined) Unwrap() []error { return j }

func joinErrs(errs []error) error { return joined(errs) }

// runs splits a sector into stretches inside and outside hotspots.
func runs(sec borderwatch.Sector, hotspots []borderwatch.Hotspot, normal, hot Spacing) []run {
	type iv struct{ a, b float64 }
	var hs []iv
	for _, h := range hotspots {
		a, b := math.Max(h.FromKm, sec.FromKm), math.Min(h.ToKm, sec.ToKm)
		if b > a {
			hs = append(hs, iv{a, b})
		}
	}
	sort.Slice(hs, func(i, j int) bool { return hs[i].a < hs[j].a })
	var out []run
	at := sec.FromKm
	for _, h := range hs {
		if h.b <= at {
			continue
		}
		a := math.Max(h.a, at)
		if a > at {
			out = append(out, run{at, a, normal})
		}
		out = append(out, run{a, h.b, hot})
		at = h.b
	}
	if sec.ToKm > at {
		out = append(out, run{at, sec.ToKm, normal})
	}
	// Drop slivers shorter than 100 m: they would get a tower of their own.
	var kept []run
	for _, r := range out {
		if r.to-r.from < 0.1 && len(kept) > 0 {
			kept[len(kept)-1].to = r.to
			continue
		}
		kept = append(kept, r)
	}
	return kept
}

// fanOut returns the headings of cameras with fov degrees that together
// see the line from chainage fromKm to toKm from the tower at p, each
// overlapping its neighbour by the overlap fraction, and the longest
// distance from p to a point of that stretch.
func fanOut(line *geo.Line, p borderwatch.LatLon, fromKm, toKm, fov, overlap float64) ([]float64, float64) {
	fromKm, toKm = math.Max(0, fromKm), math.Min(line.Length(), toKm)
	mid := (fromKm + toKm) / 2
	_, ref, _ := geo.Inverse(p, line.PointAt(mid))
	lo, hi, maxD := math.Inf(1), math.Inf(-1), 0.0
	const step = 0.1 // km
	for km := fromKm; ; km += step {
		if km > toKm {
			km = toKm
		}
		d, az, _ := geo.Inverse(p, line.PointAt(km))
		rel := math.Remainder(az-ref, 360)
		lo, hi, maxD = math.Min(lo, rel), math.Max(hi, rel), math.Max(maxD, d)
		if km >= toKm {
			break
		}
	}
	// Headings are rounded to 0.1°: widen the fan by that much each side so
	// that rounding never uncovers the ends of the stretch.
	lo, hi = lo-0.1, hi+0.1
	span := hi - lo
	if span <= fov {
		return []float64{heading(ref + (lo+hi)/2)}, maxD
	}
	n := int(math.Ceil((span-fov)/(fov*(1-overlap))-1e-9)) + 1
	stepDeg := (span - fov) / float64(n-1)
	hs := make([]float64, n)
	for j := range hs {
		hs[j] = heading(ref + lo + fov/2 + float64(j)*stepDeg)
	}
	return hs, maxD
}

// heading normalises an azimuth to [0, 360) at 0.1° resolution.
func heading(a float64) float64 {
	a = round(math.Mod(a, 360), 1)
	if a < 0 {
		a += 360
	}
	if a >= 360 {
		a -= 360
	}
	return a
}

func round(v float64, digits int) float64 {
	p := math.Pow10(digits)
	return math.Round(v*p) / p
}
