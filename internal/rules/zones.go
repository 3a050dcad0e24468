package rules

import (
	"fmt"
	"slices"

	"github.com/borderwatch/borderwatch"
)

const (
	bitEnter uint8 = 1 << iota
	bitExit
	bitInside
	bitCross
	bitDwell
)

var triggerBits = map[Trigger]uint8{
	TriggerEnter: bitEnter, TriggerExit: bitExit, TriggerInside: bitInside, TriggerCross: bitCross, TriggerDwell: bitDwell,
}

func (z *zoneState) applies(c borderwatch.Class) bool {
	return len(z.classes) == 0 || slices.Contains(z.classes, c)
}

// zoneRules evaluates the geofence triggers of the zones the track is in
// or near. Zones the track is in are re-checked whatever cell it is in, so
// an exit is never missed; cross is tested against the zones listed in the
// cells of both ends of the move (moves between updates are short next to
// the 2-km cells).
func (e *Engine) zoneRules(t *borderwatch.Track, ts *trackState, l loc, si int, now int64, fire bool) {
	p := t.Position
	for i := 0; i < len(ts.zones); {
		v := &ts.zones[i]
		z := &e.zones[v.zone]
		if ringContains(z.zone.Ring, p) {
			if z.triggers&bitDwell != 0 && !v.dwellFired && fire && now-v.since >= int64(z.rule.Dwell) && z.applies(t.Class) {
				v.dwellFired = true
				e.zoneAlert(t, si, z, TriggerDwell)
			}
			i++
			continue
		}
		if z.triggers&bitExit != 0 && fire && z.applies(t.Class) {
			e.zoneAlert(t, si, z, TriggerExit)
		}
		ts.zones[i] = ts.zones[len(ts.zones)-1]
		ts.zones = ts.zones[:len(ts.zones)-1]
	}
	if l.cell < 0 {
		return
	}
	cands := e.g.zones.at(l.cell)
	for _, zi := range cands {
		if ts.inZone(zi) {
			continue
		}
		z := &e.zones[zi]
		if ringContains(z.zone.Ring, p) {
			ts.zones = append(ts.zones, zoneVisit{zone: zi, since: now})
			if !fire || !z.applies(t.Class) {
				continue
			}
			switch {
			case ts.has && z.triggers&bitEnter != 0:
				e.zoneAlert(t, si, z, TriggerEnter)
			case z.triggers&bitInside != 0:
				e.zoneAlert(t, si, z, TriggerInside)
			}
			continue
		}
		if ts.has && fire && z.triggers&bitCross != 0 && z.applies(t.Class) && ringCrosses(z.zone.Ring, ts.pos, p) {
			e.zoneAlert(t, si, z, TriggerCross)
		}
	}
	if !ts.has || !fire {
		return
	}
	// A move that leaves its cell may pass through zones listed in neither
	// end's cell: test the zones of every cell of the move's box.
	if pc := e.g.cellOf(ts.pos); pc >= 0 && pc != l.cell {
		seen := e.scratch[:0]
		e.g.cellsOfMove(ts.pos, p, func(c int) {
			for _, zi := range e.g.zones.at(c) {
				if slices.Contains(cands, zi) || slices.Contains(seen, zi) {
					continue
				}
				seen = append(seen, zi)
				z := &e.zones[zi]
				if ts.inZone(zi) || z.triggers&bitCross == 0 || !z.applies(t.Class) {
					continue
				}
				if !ringContains(z.zone.Ring, p) && ringCrosses(z.zone.Ring, ts.pos, p) {
					e.zoneAlert(t, si, z, TriggerCross)
				}
			}
		})
		e.scratch = seen[:0]
	}
}

func (ts *trackState) inZone(zi int32) bool {
	for i := range ts.zones {
		if ts.zones[i].zone == zi {
			return true
		}
	}
	return false
}

func (e *Engine) zoneAlert(t *borderwatch.Track, si int, z *zoneState, trig Trigger) {
	f := e.trackFinding(borderwatch.AlertZone, z.rule.Severity, t, si)
	f.ref = z.zone.ID + "/" + string(trig)
	st := e.g.locateOrLine(e.line, t.Position)
	f.km = st.km
	name := z.zone.Name
	if name == "" {
		name = z.zone.ID
	}
	f.msg = fmt.Sprintf("zone %s (%s): %s by %s %s track %s", name, z.zone.Kind, trig, t.Affiliation, t.Class, t.ID)
	e.raise(&f)
}
