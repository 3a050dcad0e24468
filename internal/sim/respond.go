package sim

import (
	"math"
	"time"

	"github.com/borderwatch/borderwatch"
)

type pendingResponse struct {
	at    time.Time
	actor *actor
}

// confirmed is called once when an actor's detections first confirm.
// With Options.Respond the simulated command decides after
// DecisionDelay whether to send a QRF: for anything classified as people
// or a vehicle more often than as animals, away from open crossings'
// lanes and not friendly.
func (s *Sim) confirmed(a *actor) {
	if !s.o.Respond || a.unit != nil || a.kind == KindTraffic || a.pending || a.responder != "" {
		return
	}
	if a.votes[0]+a.votes[1] <= a.votes[2] {
		return // the operator sees animals
	}
	a.pending = true
	s.pending = append(s.pending, pendingResponse{at: s.now.Add(s.o.DecisionDelay), actor: a})
}

// retryAfter is how long the command waits for a unit to come free.
const retryAfter = 5 * time.Minute

func (s *Sim) respond() {
	n := 0
	for _, p := range s.pending {
		if p.at.After(s.now) {
			s.pending[n] = p
			n++
			continue
		}
		a := p.actor
		a.pending = false
		if a.done || a.responder != "" {
			continue
		}
		target := a.seenPos
		// The nearest available QRF (or a patrol of the sector).
		var best *actor
		bestD := 80_000.0
		for _, f := range s.actors {
			u := f.unit
			if u == nil || f.done {
				continue
			}
			ok := u.state == unitIdle || u.state == unitReturning ||
				(u.state == unitPatrol && u.cfg.Mode == borderwatch.ModeVehicle && u.sector.Contains(a.km))
			if !ok {
				continue
			}
			if d := dist(f.pos, target); d < bestD {
				best, bestD = f, d
			}
		}
		if best == nil {
			// Nobody free: ask again later.
			a.pending = true
			s.pending[n] = pendingResponse{at: s.now.Add(retryAfter), actor: a}
			n++
			continue
		}
		a.responder = best.unit.cfg.ID
		if r := a.rec; r != nil {
			r.Dispatched, r.Unit = s.now, best.unit.cfg.ID
		}
		s.dispatch(best, target, a)
		// And the drone that gets there first.
		var bd *drone
		bestT := math.Inf(1)
		for _, d := range s.drones {
			if d.mode != DroneLanded && d.mode != DronePatrol || d.battery < 60 {
				continue
			}
			reach := d.cfg.Endurance.Seconds() * d.cfg.SpeedMS * 0.35
			dd := dist(d.pos, target)
			if dd > reach {
				continue
			}
			if t := dd / math.Max(d.cfg.SpeedMS, 1); t < bestT {
				bd, bestT = d, t
			}
		}
		if bd != nil {
			s.task(bd, target, a)
		}
	}
	clear(s.pending[n:])
	s.pending = s.pending[:n]
}
