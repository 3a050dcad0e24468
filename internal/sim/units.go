package sim

import (
	"math"
	"time"

	"github.com/borderwatch/borderwatch"
)

type unitState int

const (
	unitIdle       unitState = iota // a QRF in its base
	unitPatrol                      // a patrol on its rounds
	unitDispatched                  // sent to a point
	unitSearch                      // at the point, looking
	unitPursuit                     // closing on something it sees
	unitHolding                     // with what it caught
	unitReturning
)

func (st unitState) String() string {
	return [...]string{"available", "patrolling", "dispatched", "searching", "pursuing", "holding", "returning"}[st]
}

type unit struct {
	cfg      borderwatch.Unit
	idx      int32
	base     borderwatch.LatLon
	sector   borderwatch.Sector
	state    unitState
	chase    *actor // what it was sent after or pursues
	until    time.Time
	lastRep  time.Time
	callsign string
}

func (u *unit) status() string { return u.state.String() }

// Eye ranges of a unit: binoculars by day, night-vision by night.
var eyeRange = [3]borderwatch.DetectionRange{{DayM: 1500, NightM: 500}, {DayM: 4000, NightM: 1500}, {DayM: 1000, NightM: 300}}

// interceptM is how close a friendly unit must come to stop a crosser.
const interceptM = 100

func (s *Sim) buildUnits() {
	r := s.rMove
	for i, cfg := range s.dep.Units {
		site, ok := s.dep.Site(cfg.Base)
		if !ok {
			continue
		}
		u := &unit{cfg: cfg, idx: int32(i), base: site.Position, callsign: cfg.Callsign}
		if u.callsign == "" {
			u.callsign = cfg.Name
		}
		if u.callsign == "" {
			u.callsign = cfg.ID
		}
		for _, sc := range s.sectors {
			if sc.ID == cfg.Sector {
				u.sector = sc
			}
		}
		if u.sector.ID == "" {
			km, _ := s.locate(site.Position)
			u.sector = s.sectors[s.sectorIndex(km)]
		}
		class := borderwatch.ClassPerson
		if cfg.Mode == borderwatch.ModeVehicle {
			class = borderwatch.ClassVehicle
		}
		a := &actor{id: cfg.ID, kind: KindQRF, class: class, size: cfg.Strength, mode: cfg.Mode, pos: site.Position, unit: u}
		u.state = unitIdle
		if cfg.Kind == borderwatch.UnitPatrol {
			a.kind, u.state = KindPatrol, unitPatrol
			// Start somewhere on the rounds, already under way.
			a.pos = s.patrolPoint(u)
			s.patrolLeg(a)
		}
		u.lastRep = s.now.Add(-time.Duration(r.IntN(5000)) * time.Millisecond)
		s.addActor(a)
	}
}

// patrolPoint is a random point of a patrol's rounds.
func (s *Sim) patrolPoint(u *unit) borderwatch.LatLon {
	r := s.rMove
	sc := u.sector
	if u.cfg.Mode == borderwatch.ModeFoot {
		bkm, _ := s.locate(u.base)
		km := clamp(bkm+uniform(r, -5, 5), sc.FromKm, sc.ToKm)
		return station(s.line, km, -uniform(r, 300, 1500))
	}
	return station(s.line, uniform(r, sc.FromKm, sc.ToKm), -uniform(r, 800, 3000))
}

func (s *Sim) patrolLeg(a *actor) {
	a.route = append(a.route[:0], waypoint{p: s.patrolPoint(a.unit), dwell: time.Duration(uniform(s.rMove, 10, 30) * float64(time.Minute))})
	a.wi, a.dwelling = 0, false
}

func (s *Sim) goTo(a *actor, p borderwatch.LatLon) {
	a.route = append(a.route[:0], waypoint{p: p})
	a.wi, a.dwelling = 0, false
}

func (s *Sim) unitRouteEnd(a *actor) {
	u := a.unit
	switch u.state {
	case unitPatrol:
		s.patrolLeg(a)
	case unitDispatched:
		u.state, u.until = unitSearch, s.now.Add(30*time.Minute)
	case unitReturning:
		if u.cfg.Kind == borderwatch.UnitPatrol {
			u.state = unitPatrol
			s.patrolLeg(a)
		} else {
			u.state = unitIdle
		}
	}
}

func (s *Sim) returnUnit(a *actor) {
	u := a.unit
	u.chase = nil
	if u.cfg.Kind == borderwatch.UnitPatrol {
		u.state = unitPatrol
		s.patrolLeg(a)
		return
	}
	u.state = unitReturning
	s.goTo(a, u.base)
}

// unitsAct runs the friendly units' eyes, pursuits and interceptions.
func (s *Sim) unitsAct() {
	for _, f := range s.actors {
		u := f.unit
		if u == nil || f.done || u.state == unitIdle {
			continue
		}
		night := s.night(f.km)
		for _, x := range s.actors {
			if x.done || x.unit != nil || x.kind == KindTraffic || math.Abs(x.km-f.km) > 5 {
				continue
			}
			e, n := delta(f.pos, x.pos)
			r := math.Hypot(e, n)
			if x.kind.Illegal() && r <= interceptM && x.off*s.own > 0 && !x.scatterTried {
				// A group on foot may scatter when the unit closes in.
				x.scatterTried = true
				p := scatterDay
				if night {
					p = scatterNight
				}
				if x.mode == borderwatch.ModeFoot && s.rMove.Float64() < p {
					s.scatter(x, f)
					continue
				}
				s.intercept(x, f)
				continue
			}
			ci := classIndex(x.class)
			R := eyeRange[ci].DayM
			if night {
				R = eyeRange[ci].NightM
			}
			if r > R {
				continue
			}
			key := int32(1<<20) + u.idx
			if t, ok := x.lastRep[key]; !ok || s.now.Sub(t) >= 30*time.Second {
				if s.rDetect.Float64() < 0.5*pd(r, R) {
					if x.lastRep == nil {
						x.lastRep = map[int32]time.Time{}
					}
					x.lastRep[key] = s.now
					if !s.silent {
						s.detect(u.cfg.ID, borderwatch.SourcePatrol, f.pos, x, r, normDeg(math.Atan2(e, n)/deg), R, night)
					}
					if x.kind.Illegal() && u.state != unitPursuit && u.state != unitHolding {
						u.state, u.chase, u.until = unitPursuit, x, s.now.Add(30*time.Minute)
					}
				}
			}
		}
		switch u.state {
		case unitPursuit:
			x := u.chase
			if x == nil || x.done || s.now.After(u.until) || dist(f.pos, x.pos) > 5000 {
				s.returnUnit(f)
				continue
			}
			s.goTo(f, s.ownSide(x.pos))
		case unitDispatched:
			if x := u.chase; x != nil {
				if x.done {
					s.returnUnit(f)
					continue
				}
				if x.kind == KindHerd && dist(f.pos, x.pos) < 300 {
					s.event(Event{Time: s.now, Kind: EventChecked, Actor: x.id, ActorKind: x.kind, Unit: u.cfg.ID, Position: x.pos, Km: x.km, Exercise: x.exercise})
					s.returnUnit(f)
					continue
				}
				if s.now.Sub(x.lastSeen) < 2*time.Minute {
					s.goTo(f, s.ownSide(x.seenPos))
				}
			}
		case unitSearch, unitHolding:
			if s.now.After(u.until) {
				s.returnUnit(f)
			}
		}
	}
}

// The chance that a group on foot scatters into the dark (or the
// wadis) when a unit reaches it, and gets away: a planning assumption.
const (
	scatterNight = 0.25
	scatterDay   = 0.1
)

// scatter ends a group that slipped away from unit f: it counts as
// escaped.
func (s *Sim) scatter(x, f *actor) {
	x.done = true
	if r := x.rec; r != nil {
		r.Escaped, r.Scattered, r.Unit = s.now, true, f.unit.cfg.ID
	}
	f.unit.chase = nil
	s.event(Event{Time: s.now, Kind: EventEscaped, Actor: x.id, ActorKind: x.kind, Unit: f.unit.cfg.ID, Position: x.pos, Km: x.km,
		Reason: "scattered", Exercise: x.exercise})
}

func (s *Sim) intercept(x, f *actor) {
	x.done = true
	if r := x.rec; r != nil {
		r.Intercepted, r.Unit = s.now, f.unit.cfg.ID
		if r.Detected.IsZero() && r.FirstDet.IsZero() {
			r.Miss = x.best
		}
	}
	u := f.unit
	u.state, u.chase, u.until = unitHolding, nil, s.now.Add(20*time.Minute)
	f.route, f.wi, f.dwelling = f.route[:0], 0, false
	f.route = append(f.route, waypoint{p: f.pos})
	s.event(Event{Time: s.now, Kind: EventIntercepted, Actor: x.id, ActorKind: x.kind, Unit: u.cfg.ID, Position: x.pos, Km: x.km, Exercise: x.exercise})
}

// Dispatch sends a friendly unit (a QRF or a patrol) to target: it drives
// there, searches for 30 minutes, pursues and stops whatever illegal
// crosser it sees, and returns. A drone id is tasked instead (Task).
func (s *Sim) Dispatch(unitID string, target borderwatch.LatLon) error {
	if !target.Valid() {
		return borderwatch.Errorf(borderwatch.EINVALID, "target %v,%v: not a WGS84 position", target.Lat, target.Lon)
	}
	for _, a := range s.actors {
		if u := a.unit; u != nil && u.cfg.ID == unitID {
			s.dispatch(a, target, nil)
			return nil
		}
	}
	for _, d := range s.drones {
		if d.cfg.ID == unitID {
			return s.Task(unitID, target)
		}
	}
	return borderwatch.Errorf(borderwatch.ENOTFOUND, "unit %s not found", unitID)
}

func (s *Sim) dispatch(a *actor, target borderwatch.LatLon, chase *actor) {
	u := a.unit
	u.state, u.chase = unitDispatched, chase
	s.goTo(a, s.ownSide(target))
	km, _ := s.locate(target)
	e := Event{Time: s.now, Kind: EventDispatched, Unit: u.cfg.ID, Position: target, Km: km}
	if chase != nil {
		e.Actor, e.ActorKind, e.Exercise = chase.id, chase.kind, chase.exercise
	}
	s.event(e)
}

// Units lists the friendly units' ids and states.
func (s *Sim) Units() []Truth {
	var out []Truth
	for _, a := range s.actors {
		if a.unit != nil {
			out = append(out, a.truth())
		}
	}
	return out
}

// reports emits the TAK phones' self-reports: every 5 s on the move, every
// minute at rest in a base.
func (s *Sim) reports() {
	if s.silent {
		return
	}
	for _, a := range s.actors {
		u := a.unit
		if u == nil {
			continue
		}
		every := 5 * time.Second
		if u.state == unitIdle {
			every = time.Minute
		}
		if s.now.Sub(u.lastRep) < every {
			continue
		}
		u.lastRep = s.now
		s.frame.Reports = append(s.frame.Reports, Report{Time: s.now, UnitID: u.cfg.ID, Callsign: u.callsign, Kind: a.kind,
			Mode: u.cfg.Mode, Position: roundLL(a.pos), Velocity: borderwatch.Velocity{East: round(a.ve, 2), North: round(a.vn, 2)},
			Status: u.status(), Exercise: a.exercise || s.o.Exercise})
	}
}

// ownSide moves a point beyond the line back to 200 m inside the own side:
// units do not cross the border.
func (s *Sim) ownSide(p borderwatch.LatLon) borderwatch.LatLon {
	km, off := s.locate(p)
	if off*s.own >= 200 {
		return p
	}
	return station(s.line, km, s.own*200)
}

// OwnSide is the sign of the offsets on the deployment's own side of the
// line: -1 when its agencies' country lies on the left.
func (s *Sim) OwnSide() float64 { return s.own }

// Apprehend ends an actor as intercepted by unit: a live system's unit
// reached it (exercises).
func (s *Sim) Apprehend(actorID, unitID string) error {
	for _, a := range s.actors {
		if a.id != actorID || a.unit != nil {
			continue
		}
		a.done = true
		if r := a.rec; r != nil {
			r.Intercepted, r.Unit = s.now, unitID
		}
		s.event(Event{Time: s.now, Kind: EventIntercepted, Actor: a.id, ActorKind: a.kind, Unit: unitID, Position: a.pos, Km: a.km, Exercise: a.exercise})
		return nil
	}
	return borderwatch.Errorf(borderwatch.ENOTFOUND, "actor %s not found (finished?)", actorID)
}
