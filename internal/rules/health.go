package rules

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/borderwatch/borderwatch"
	"github.com/borderwatch/borderwatch/internal/geo"
)

// sourceState is the health of a fixed sensor or a drone.
type sourceState struct {
	id     string
	sensor *borderwatch.Sensor
	drone  *borderwatch.Drone
	sector int

	seen      bool
	last      int64
	dark      bool
	darkAlert borderwatch.Alert
	darkSince time.Time

	pos      borderwatch.LatLon
	posKnown bool

	low      bool
	lowAlert borderwatch.Alert
}

// Health is a health report of a sensor or drone.
type Health struct {
	SourceID string    `json:"source_id"`
	Time     time.Time `json:"time"`
	// OK false means the source reports itself failed (or its link
	// reports it lost): it is dark at once, without waiting for silence.
	OK     bool   `json:"ok"`
	Reason string `json:"reason,omitempty"`
	// Position is a drone's position, when the report carries one.
	Position *borderwatch.LatLon `json:"position,omitempty"`
}

// Heartbeat records that a sensor or drone is alive at t: call it for
// every observation and telemetry message (a map lookup; ids not in the
// deployment are counted and ignored). A dark source that reports again
// is restored (EventCleared).
func (e *Engine) Heartbeat(sourceID string, t time.Time) []Event {
	return e.Health(Health{SourceID: sourceID, Time: t, OK: true})
}

// Health applies a health report.
func (e *Engine) Health(h Health) []Event {
	e.out = e.out[:0]
	st := e.sources[h.SourceID]
	if st == nil {
		e.stats.UnknownSources++
		return e.out
	}
	if h.Position != nil && st.drone != nil {
		st.pos, st.posKnown = *h.Position, true
	}
	tn := h.Time.UnixNano()
	if !h.OK {
		if !st.dark {
			reason := h.Reason
			if reason == "" {
				reason = "reported failed"
			}
			e.goDark(st, h.Time, reason)
		}
		return e.out
	}
	st.seen = true
	if tn > st.last {
		st.last = tn
	}
	if st.dark {
		st.dark = false
		delete(e.coverage, coverageKey{st.id, false})
		delete(e.coverage, coverageKey{st.id, true})
		a := st.darkAlert
		a.Message = fmt.Sprintf("%s restored after %s", st.id, h.Time.Sub(st.darkSince).Round(time.Second))
		e.stats.Cleared++
		e.emit(EventCleared, h.Time, &a, nil)
	}
	return e.out
}

type coverageKey struct {
	id    string
	night bool
}

// footprint returns the ground a source watches: a sensor's field of view
// out to its person range (by day or night), a drone's camera footprint
// around its last known position.
func (e *Engine) footprint(st *sourceState, night bool) []borderwatch.LatLon {
	switch {
	case st.sensor != nil:
		s := st.sensor
		r := s.RangeM(borderwatch.ClassPerson, night)
		if r == 0 {
			r = s.MaxRangeM()
		}
		fov := s.FOVDeg
		if fov <= 0 {
			fov = 360
		}
		if s.Kind == borderwatch.SourceFence || s.Kind == borderwatch.SourceGroundSensor {
			r = max(r, 50)
		}
		return geo.Footprint(s.Position, s.HeadingDeg, fov, r)
	case st.drone != nil && st.posKnown:
		return geo.Footprint(st.pos, 0, 360, math.Max(st.drone.FootprintM, 1))
	}
	return nil
}

// blinded returns the border km inside the source's footprint, sampled
// every 50 m (cached per source and day/night while the source is live).
func (e *Engine) blinded(st *sourceState, night bool) []KmRange {
	key := coverageKey{st.id, night}
	if r, ok := e.coverage[key]; ok && st.sensor != nil {
		return r
	}
	ring := e.footprint(st, night)
	var out []KmRange
	if len(ring) > 0 {
		bb := bboxOf(ring)
		// Chainage window: the footprint's extent around its nearest border km.
		km := e.line.Locate(st.pos).Chainage
		extent := pointDist(borderwatch.LatLon{Lat: bb.s, Lon: bb.w}, borderwatch.LatLon{Lat: bb.n, Lon: bb.e}) / 1000
		from, to := math.Max(0, km-extent-0.1), math.Min(e.line.Length(), km+extent+0.1)
		const step = 0.05
		in := false
		for k := from; k <= to+step/2; k += step {
			kk := math.Min(k, to)
			p := e.line.PointAt(kk)
			c := p.Lat >= bb.s && p.Lat <= bb.n && p.Lon >= bb.w && p.Lon <= bb.e && geo.PolygonContains(ring, p)
			switch {
			case c && !in:
				out = append(out, KmRange{FromKm: kk, ToKm: kk})
				in = true
			case c:
				out[len(out)-1].ToKm = kk
			default:
				in = false
			}
		}
	}
	if st.sensor != nil {
		e.coverage[key] = out
	}
	return out
}

// uncovered subtracts from r what live sensors other than st cover.
func (e *Engine) uncovered(st *sourceState, r []KmRange, night bool) []KmRange {
	if len(r) == 0 {
		return nil
	}
	lo, hi := r[0].FromKm, r[len(r)-1].ToKm
	var cover []KmRange
	for _, o := range e.sourceOrder {
		if o == st || o.dark || (o.sensor == nil && !o.seen) || !o.posKnown {
			continue
		}
		if o.sensor != nil {
			reach := o.sensor.MaxRangeM() / 1000
			if reach == 0 || math.Abs(e.g.locateOrLine(e.line, o.pos).km-(lo+hi)/2) > (hi-lo)/2+reach+1 {
				continue
			}
		} else if pointDist(o.pos, st.pos) > 50000 {
			continue
		}
		cover = append(cover, e.blinded(o, night)...)
	}
	sort.Slice(cover, func(i, j int) bool { return cover[i].FromKm < cover[j].FromKm })
	var out []KmRange
	for _, x := range r {
		cur := x.FromKm
		for _, c := range cover {
			if c.ToKm < cur || c.FromKm > x.ToKm {
				continue
			}
			if c.FromKm > cur {
				out = append(out, KmRange{FromKm: cur, ToKm: c.FromKm})
			}
			cur = math.Max(cur, c.ToKm)
		}
		if cur < x.ToKm {
			out = append(out, KmRange{FromKm: cur, ToKm: x.ToKm})
		}
	}
	return out
}

func kmList(r []KmRange) string {
	if len(r) == 0 {
		return "none"
	}
	parts := make([]string, len(r))
	for i, x := range r {
		parts[i] = fmt.Sprintf("%.1f–%.1f", x.FromKm, x.ToKm)
	}
	return strings.Join(parts, ", ")
}

func (e *Engine) goDark(st *sourceState, now time.Time, reason string) {
	st.dark, st.darkSince = true, now
	night := e.params(st.sector, now.UnixNano()) == &e.sectors[st.sector].night
	blind := e.blinded(st, night)
	hole := e.uncovered(st, blind, night)
	cov := &Coverage{SourceID: st.id, Blinded: blind, Uncovered: hole}
	kind, agency := "drone", borderwatch.Agency("")
	if st.sensor != nil {
		kind, agency = string(st.sensor.Kind), st.sensor.Agency
	} else {
		agency = st.drone.Agency
	}
	f := finding{
		kind: borderwatch.AlertSensorDark, sev: borderwatch.SeverityMedium, t: now, pos: st.pos,
		sector: st.sector, sources: []string{st.id}, subject: st.id, coverage: cov,
		label: e.agencyLabel(agency, st.sector),
	}
	if len(hole) > 0 {
		f.sev = borderwatch.SeverityHigh
	}
	if len(blind) > 0 {
		f.km = (blind[0].FromKm + blind[len(blind)-1].ToKm) / 2
	} else if st.posKnown {
		f.km = e.g.locateOrLine(e.line, st.pos).km
	}
	where := ""
	if !st.posKnown {
		where = " (position unknown)"
	}
	f.msg = fmt.Sprintf("%s %s dark: %s%s; blinds border km %s; uncovered km %s", kind, st.id, reason, where, kmList(blind), kmList(hole))
	if a := e.raise(&f); a != nil {
		st.darkAlert = *a
	}
}

func (e *Engine) agencyLabel(id borderwatch.Agency, si int) borderwatch.Label {
	if a, ok := e.dep.Agency(id); ok {
		return a.Label()
	}
	return e.labelFor(borderwatch.Label{}, si)
}

// Battery applies a drone battery report: pct is the remaining charge in
// percent; pos, when non-nil, is the drone's position. It also counts as a
// heartbeat. At or below the sector's LowBatteryPct it raises low_battery
// once (medium at or below half of it); a charge 10 points above the
// threshold clears it.
func (e *Engine) Battery(droneID string, pct float64, at time.Time, pos *borderwatch.LatLon) []Event {
	e.Health(Health{SourceID: droneID, Time: at, OK: true, Position: pos})
	st := e.sources[droneID]
	if st == nil || st.drone == nil {
		return e.out
	}
	prm := e.params(st.sector, at.UnixNano())
	switch {
	case !st.low && pct <= prm.LowBatteryPct:
		st.low = true
		remain := time.Duration(pct / 100 * float64(st.drone.Endurance)).Round(time.Second)
		f := finding{
			kind: borderwatch.AlertLowBattery, sev: borderwatch.SeverityLow, t: at, pos: st.pos,
			sector: st.sector, sources: []string{st.id}, subject: st.id,
			label: e.agencyLabel(st.drone.Agency, st.sector),
			msg:   fmt.Sprintf("drone %s battery %.0f%% (≈%s of flight left)", st.id, pct, remain),
		}
		if st.posKnown {
			f.km = e.g.locateOrLine(e.line, st.pos).km
		}
		if pct <= prm.LowBatteryPct/2 {
			f.sev = borderwatch.SeverityMedium
		}
		if a := e.raise(&f); a != nil {
			st.lowAlert = *a
		}
	case st.low && pct >= prm.LowBatteryPct+10:
		st.low = false
		a := st.lowAlert
		a.Message = fmt.Sprintf("drone %s battery %.0f%%", st.id, pct)
		e.stats.Cleared++
		e.emit(EventCleared, at, &a, nil)
	}
	return e.out
}

// Breach is a fence or ground sensor's intrusion report.
type Breach struct {
	SensorID string    `json:"sensor_id"`
	Time     time.Time `json:"time"`
	// Position is where the sensor places the breach; nil means the
	// sensor's own position.
	Position   *borderwatch.LatLon `json:"position,omitempty"`
	Class      borderwatch.Class   `json:"class,omitempty"`
	Confidence float64             `json:"confidence,omitempty"`
	Label      borderwatch.Label   `json:"label"`
	Exercise   bool                `json:"exercise,omitempty"`
}

// Breach raises a barrier breach (high), correlated with other breaches
// and line crossings nearby: a camera's crossing and a fence's breach of
// one event become one alert, escalated as independently confirmed. It
// counts as a heartbeat of the sensor.
func (e *Engine) Breach(b Breach) []Event {
	e.Health(Health{SourceID: b.SensorID, Time: b.Time, OK: true})
	st := e.sources[b.SensorID]
	if st == nil || st.sensor == nil {
		return e.out
	}
	pos := st.sensor.Position
	if b.Position != nil {
		pos = *b.Position
	}
	l := e.g.locateOrLine(e.line, pos)
	si := e.sectorIndex(l.km)
	f := finding{
		kind: borderwatch.AlertBreach, sev: borderwatch.SeverityHigh, t: b.Time, pos: pos, km: l.km,
		offsetM: l.dist, sector: si, sources: []string{b.SensorID}, class: b.Class, subject: b.SensorID,
		label: e.labelFor(b.Label, si), exercise: b.Exercise, correlate: true, limit: true,
	}
	if f.label.Owner == "" {
		f.label = e.agencyLabel(st.sensor.Agency, si)
	}
	what := "barrier"
	if d, bi := e.g.barrierDist(l.cell, pos); bi >= 0 && d < 1000 {
		what = fmt.Sprintf("%s %s", e.barriers[bi].Kind, e.barriers[bi].ID)
	}
	f.msg = fmt.Sprintf("%s %s reports a breach of %s at km %.1f", st.sensor.Kind, b.SensorID, what, l.km)
	if b.Class != "" && b.Class != borderwatch.ClassUnknown {
		f.msg += fmt.Sprintf(" (%s, confidence %.2f)", b.Class, b.Confidence)
	}
	e.raise(&f)
	return e.out
}
