package sim

import (
	"math"
	"time"

	"github.com/borderwatch/borderwatch"
	"github.com/borderwatch/borderwatch/internal/geo"
)

// waypoint is a point of a route and how long to stay there.
type waypoint struct {
	p     borderwatch.LatLon
	dwell time.Duration
	// barrier names the obstacle crossed here, "" for a plain waypoint.
	barrier string
}

type actor struct {
	id       string
	kind     ActorKind
	class    borderwatch.Class
	size     int
	goods    string
	mode     borderwatch.Mode
	exercise bool

	pos      borderwatch.LatLon
	ve, vn   float64 // m/s
	km, off  float64 // cached station, refreshed every locateEvery
	locateAt time.Time
	kx, ky   float64 // metres per degree of longitude and latitude, refreshed with km

	route      []waypoint
	wi         int
	dwellUntil time.Time
	dwelling   bool
	speedScale float64 // multiplies the terrain speed
	fixedSpeed float64 // m/s, overrides terrain speeds when > 0
	done       bool

	unit *unit // friendly units only

	rec *record // illegal crossers, herds and injected actors

	// Sensing bookkeeping.
	dets         [3]time.Time // last three detection times
	ndets        int
	votes        [3]int // person, vehicle, animal classifications
	lastSeen     time.Time
	seenPos      borderwatch.LatLon
	los          map[int32]losEntry
	cands        []*sensor // sensors that could reach it
	candAt       time.Time
	candPos      borderwatch.LatLon
	lastRep      map[int32]time.Time // per reporting sensor, for slow reporters
	best         MissReason
	hash         uint64 // of id, for per-pair draws
	pending      bool   // a response decision is queued
	scatterTried bool   // a unit has reached it once
	// responder is the unit sent after this actor, "" if none.
	responder string
}

type losEntry struct {
	p   borderwatch.LatLon
	vis bool
}

// record is the lasting account of an actor, for the realism report and
// exercise scoring; it outlives the actor.
type record struct {
	ID          string
	Kind        ActorKind
	Size        int
	Goods       string
	Exercise    bool
	Spawned     time.Time
	Crossed     time.Time // zero if it never crossed
	CrossKm     float64
	IntoLeft    bool // crossed into the line's left side (Iraq)
	FirstDet    time.Time
	Detected    time.Time // confirmed
	Dispatched  time.Time
	Intercepted time.Time
	Escaped     time.Time
	Finished    time.Time
	Unit        string
	Miss        MissReason
	Scattered   bool // escaped from the unit that reached it
}

// locateEvery is how often an actor's chainage is refreshed; between
// refreshes it is known to within a few hundred metres.
const locateEvery = 10 * time.Second

func (s *Sim) addActor(a *actor) {
	s.relocate(a)
	if a.speedScale == 0 {
		a.speedScale = 1
	}
	s.actors = append(s.actors, a)
	if a.rec != nil {
		a.rec.Spawned = s.now
		s.records = append(s.records, a.rec)
	}
	s.event(Event{Time: s.now, Kind: EventSpawned, Actor: a.id, ActorKind: a.kind, Position: a.pos, Km: a.km, Exercise: a.exercise})
}

// Speeds in m/s by terrain.
var (
	footSpeed = map[borderwatch.Terrain]float64{
		borderwatch.TerrainDesert: 1.3, borderwatch.TerrainSteppe: 1.3, borderwatch.TerrainHills: 1.0,
		borderwatch.TerrainMountain: 0.6, borderwatch.TerrainRiverValley: 0.9, borderwatch.TerrainUrban: 1.2, borderwatch.TerrainRoad: 1.4,
	}
	offroadSpeed = map[borderwatch.Terrain]float64{
		borderwatch.TerrainDesert: 14, borderwatch.TerrainSteppe: 10, borderwatch.TerrainHills: 4,
		borderwatch.TerrainMountain: 2, borderwatch.TerrainRiverValley: 5, borderwatch.TerrainUrban: 6, borderwatch.TerrainRoad: 20,
	}
)

func (s *Sim) speed(a *actor) float64 {
	if a.fixedSpeed > 0 {
		return a.fixedSpeed
	}
	t := s.terrainAt(a.km)
	if u := a.unit; u != nil {
		v := u.cfg.SpeedMS[t]
		// Units drive roads behind the line and go cross-country near it.
		if r := u.cfg.SpeedMS[borderwatch.TerrainRoad]; r > 0 && a.off < -3000 {
			v = max(v, r*0.7)
		}
		if v == 0 {
			v = 1
		}
		return v * a.speedScale
	}
	var v float64
	switch {
	case a.kind == KindHerd:
		v = 0.35
	case a.mode == borderwatch.ModeVehicle:
		v = offroadSpeed[t]
	default:
		v = footSpeed[t]
		if s.night(a.km) {
			v *= 0.85
		}
	}
	return v * a.speedScale
}

// move advances an actor along its route.
func (s *Sim) move(a *actor, dt float64) {
	if a.done {
		return
	}
	prev := a.pos
	a.ve, a.vn = 0, 0
	if a.dwelling {
		if s.now.Before(a.dwellUntil) {
			return
		}
		a.dwelling = false
		a.wi++
	}
	if a.wi >= len(a.route) {
		s.routeEnd(a)
		return
	}
	wp := a.route[a.wi]
	e, n := (wp.p.Lon-a.pos.Lon)*a.kx, (wp.p.Lat-a.pos.Lat)*a.ky
	d := math.Sqrt(e*e + n*n)
	step := s.speed(a) * dt
	if step >= d {
		a.pos = wp.p
		if d > 0 {
			a.ve, a.vn = e/dt, n/dt
		}
		if wp.dwell > 0 {
			a.dwelling, a.dwellUntil = true, s.now.Add(wp.dwell)
		} else {
			a.wi++
		}
	} else {
		f := step / d
		a.pos = borderwatch.LatLon{Lat: a.pos.Lat + n*f/a.ky, Lon: a.pos.Lon + e*f/a.kx}
		a.ve, a.vn = e*f/dt, n*f/dt
	}
	if a.rec != nil && a.rec.Crossed.IsZero() && a.kind != KindHerd {
		if c, ok := s.line.Cross(prev, a.pos); ok {
			a.rec.Crossed, a.rec.CrossKm = s.now, c.Chainage
			a.rec.IntoLeft = c.Direction == geo.Left
			s.event(Event{Time: s.now, Kind: EventCrossed, Actor: a.id, ActorKind: a.kind, Position: c.Point, Km: c.Chainage, Exercise: a.exercise})
		}
	}
	// Crossers are located every second (their crossing is an event),
	// everything else every locateEvery.
	if since := s.now.Sub(a.locateAt); since >= locateEvery || (a.kind.Illegal() && since >= time.Second) {
		s.relocate(a)
	}
}

// relocate refreshes an actor's chainage, offset and local scale.
func (s *Sim) relocate(a *actor) {
	a.km, a.off = s.locate(a.pos)
	a.locateAt = s.now
	m, n := radii(a.pos.Lat)
	a.kx, a.ky = n*math.Cos(a.pos.Lat*deg)*deg, m*deg
}

// routeEnd is called when an actor has walked its whole route.
func (s *Sim) routeEnd(a *actor) {
	if a.unit != nil {
		s.unitRouteEnd(a)
		return
	}
	a.done = true
	if r := a.rec; r != nil {
		if a.kind.Illegal() {
			r.Escaped = s.now
			if r.Detected.IsZero() {
				r.Miss = a.best
				if !r.FirstDet.IsZero() {
					r.Miss = MissTooFew
				} else if r.Miss == missNone {
					r.Miss = MissNoCoverage
				}
			}
			s.event(Event{Time: s.now, Kind: EventEscaped, Actor: a.id, ActorKind: a.kind, Position: a.pos, Km: a.km, Reason: string(r.Miss), Exercise: a.exercise})
			return
		}
		r.Finished = s.now
	}
	s.event(Event{Time: s.now, Kind: EventFinished, Actor: a.id, ActorKind: a.kind, Position: a.pos, Km: a.km, Exercise: a.exercise})
}

// truth returns an actor's true state.
func (a *actor) truth() Truth {
	t := Truth{ID: a.id, Kind: a.kind, Class: a.class, Size: a.size, Goods: a.goods, Position: a.pos,
		Velocity: borderwatch.Velocity{East: a.ve, North: a.vn}, Km: a.km, OffsetM: a.off, Exercise: a.exercise, Done: a.done}
	if a.unit != nil {
		t.UnitID, t.State = a.unit.cfg.ID, a.unit.status()
	} else if a.dwelling {
		t.State = "halted"
		if wp := a.route[a.wi]; wp.barrier != "" {
			t.State = "at " + wp.barrier
		}
	} else {
		t.State = "moving"
	}
	return t
}

// Truth appends the true state of every live actor (not drones) to dst.
func (s *Sim) Truth(dst []Truth) []Truth {
	for _, a := range s.actors {
		dst = append(dst, a.truth())
	}
	return dst
}

// Actor returns the true state of the actor with the given id; a finished
// actor is not found.
func (s *Sim) Actor(id string) (Truth, bool) {
	for _, a := range s.actors {
		if a.id == id {
			return a.truth(), true
		}
	}
	return Truth{}, false
}
