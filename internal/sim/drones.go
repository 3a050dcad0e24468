package sim

import (
	"math"
	"time"

	"github.com/borderwatch/borderwatch"
)

type drone struct {
	cfg       borderwatch.Drone
	sys       uint8
	base      borderwatch.LatLon
	baseElev  float64
	pos       borderwatch.LatLon
	alt       float64 // above the base
	heading   float64
	speed     float64
	battery   float64
	mode      DroneMode
	fixedWing bool
	orbit     [2]borderwatch.LatLon
	oi        int
	target    borderwatch.LatLon
	chase     *actor
	loiterAz  float64
	patrols   bool // holds its base's patrol slot
	km        float64
	kmAt      time.Time
}

func (s *Sim) buildDrones() {
	onPatrol := map[string]bool{}
	for i, cfg := range s.dep.Drones {
		site, ok := s.dep.Site(cfg.Base)
		if !ok || i >= 255 {
			continue
		}
		d := &drone{cfg: cfg, sys: uint8(i + 1), base: site.Position, pos: site.Position, battery: 100, mode: DroneLanded,
			fixedWing: cfg.Endurance >= time.Hour, baseElev: s.terrain.Elevation(site.Position)}
		km, _ := s.locate(site.Position)
		d.orbit = [2]borderwatch.LatLon{station(s.line, km-15, -2000), station(s.line, km+15, -2000)}
		if d.fixedWing && !onPatrol[cfg.Base] {
			onPatrol[cfg.Base] = true
			d.patrols, d.mode = true, DronePatrol
			d.battery = uniform(s.rMove, 50, 100)
			d.pos = station(s.line, km+uniform(s.rMove, -15, 15), -2000)
			d.alt = cfg.AltitudeM
			d.oi = s.rMove.IntN(2)
		}
		s.drones = append(s.drones, d)
	}
}

// Task sends a drone to target: it takes off if landed, flies there and
// circles (a multirotor hovers) until its battery calls it home.
func (s *Sim) Task(droneID string, target borderwatch.LatLon) error {
	if !target.Valid() {
		return borderwatch.Errorf(borderwatch.EINVALID, "target %v,%v: not a WGS84 position", target.Lat, target.Lon)
	}
	for _, d := range s.drones {
		if d.cfg.ID != droneID {
			continue
		}
		if d.battery < 30 {
			return borderwatch.Errorf(borderwatch.EUNAVAILABLE, "drone %s: battery %.0f%%", droneID, d.battery)
		}
		s.task(d, target, nil)
		return nil
	}
	return borderwatch.Errorf(borderwatch.ENOTFOUND, "drone %s not found", droneID)
}

func (s *Sim) task(d *drone, target borderwatch.LatLon, chase *actor) {
	d.mode, d.target, d.chase = DroneGoTo, target, chase
	d.patrols = false
}

// DroneBySystemID returns the id of the drone with MAVLink system id sys.
func (s *Sim) DroneBySystemID(sys uint8) (string, bool) {
	for _, d := range s.drones {
		if d.sys == sys {
			return d.cfg.ID, true
		}
	}
	return "", false
}

func (s *Sim) flyDrones(dt float64) {
	slot := map[string]bool{}
	for _, d := range s.drones {
		if d.patrols {
			slot[d.cfg.Base] = true
		}
	}
	for _, d := range s.drones {
		s.fly(d, dt, slot)
		if !s.silent {
			st := DroneState{ID: d.cfg.ID, SystemID: d.sys, Time: s.now, Position: roundLL(d.pos),
				AltMSL: round(d.baseElev+d.alt, 1), AltRel: round(d.alt, 1), Heading: round(d.heading, 1),
				Speed: round(d.speed, 2), Battery: math.Floor(d.battery), Mode: d.mode, FixedWing: d.fixedWing}
			if d.mode == DroneGoTo || d.mode == DroneLoiter {
				t := roundLL(d.target)
				st.Target = &t
			}
			s.frame.Drones = append(s.frame.Drones, st)
		}
	}
}

func (s *Sim) fly(d *drone, dt float64, slot map[string]bool) {
	endurance := d.cfg.Endurance.Seconds()
	if endurance <= 0 {
		endurance = 1800
	}
	d.speed = 0
	if d.mode == DroneLanded {
		charge := 100.0 / 3600 // a battery swap queue: an hour to full
		if d.fixedWing {
			charge = 100.0 / 1800
		}
		d.battery = math.Min(100, d.battery+charge*dt)
		d.alt = 0
		if d.fixedWing && !slot[d.cfg.Base] && d.battery >= 95 {
			slot[d.cfg.Base] = true
			d.patrols, d.mode = true, DronePatrol
		}
		return
	}
	d.battery = math.Max(0, d.battery-100/endurance*dt)
	d.alt = math.Min(d.cfg.AltitudeM, d.alt+5*dt)
	home := dist(d.pos, d.base)
	reserve := 10 + home/math.Max(d.cfg.SpeedMS, 1)/endurance*100*1.3
	if d.mode != DroneRTL && d.battery < reserve {
		d.mode, d.chase, d.patrols = DroneRTL, nil, false
	}
	switch d.mode {
	case DronePatrol:
		if s.flyTo(d, d.orbit[d.oi], dt) {
			d.oi = 1 - d.oi
		}
	case DroneGoTo:
		if c := d.chase; c != nil && !c.done && s.now.Sub(c.lastSeen) < time.Minute {
			d.target = c.seenPos
		}
		if s.flyTo(d, d.target, dt) {
			d.mode = DroneLoiter
		}
	case DroneLoiter:
		if c := d.chase; c != nil && !c.done && s.now.Sub(c.lastSeen) < time.Minute && dist(c.seenPos, d.target) > 300 {
			d.target, d.mode = c.seenPos, DroneGoTo
			break
		}
		if d.fixedWing {
			// Circle at 300 m.
			d.loiterAz = normDeg(d.loiterAz + d.cfg.SpeedMS*dt/300/deg)
			s.flyTo(d, toward(d.target, d.loiterAz, 300), dt)
		}
	case DroneRTL:
		if s.flyTo(d, d.base, dt) {
			d.mode, d.alt = DroneLanded, 0
		}
	}
	if !s.silent && d.alt > 30 {
		s.droneSense(d)
	}
}

// flyTo moves a drone toward p and reports whether it got there.
func (s *Sim) flyTo(d *drone, p borderwatch.LatLon, dt float64) bool {
	e, n := delta(d.pos, p)
	r := math.Hypot(e, n)
	step := d.cfg.SpeedMS * dt
	if r > 0 {
		d.heading = normDeg(math.Atan2(e, n) / deg)
	}
	if step >= r {
		d.pos, d.speed = p, r/dt
		return true
	}
	d.pos, d.speed = offset(d.pos, e/r*step, n/r*step), d.cfg.SpeedMS
	return false
}

// droneSense is the drone's camera: everything within its range by class,
// all round (a gimbal), with a clear view from above.
func (s *Sim) droneSense(d *drone) {
	if s.now.Sub(d.kmAt) >= locateEvery {
		d.km, _ = s.locate(d.pos)
		d.kmAt = s.now
	}
	dkm := d.km
	for _, a := range s.actors {
		if a.done || math.Abs(a.km-dkm) > 10 || !s.detectable(a) {
			continue
		}
		ci := classIndex(a.class)
		night := s.night(a.km)
		R := d.cfg.Range[indexClass[ci]].DayM
		if night {
			R = d.cfg.Range[indexClass[ci]].NightM
		}
		e, n := delta(d.pos, a.pos)
		r := math.Hypot(e, n)
		if R <= 0 || r > 1.5*R {
			continue
		}
		if s.rDetect.Float64() >= pd(r, R) {
			if MissPdMiss.rank() > a.best.rank() {
				a.best = MissPdMiss
			}
			continue
		}
		s.detect(d.cfg.ID, borderwatch.SourceDrone, d.pos, a, r, normDeg(math.Atan2(e, n)/deg), R, night)
	}
}
