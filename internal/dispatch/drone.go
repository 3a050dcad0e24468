package dispatch

import (
	"fmt"
	"sort"
	"time"

	"github.com/borderwatch/borderwatch"
	"github.com/borderwatch/borderwatch/internal/geo"
)

// DroneState is what the caller knows of a drone now.
type DroneState struct {
	ID       string             `json:"id"`
	Position borderwatch.LatLon `json:"position"`
	// BatteryPct is the remaining charge in percent; a negative value means
	// unknown, taken as full for a drone on the ground at its base and as
	// unusable in the air.
	BatteryPct float64 `json:"battery_pct"`
	Airborne   bool    `json:"airborne"`
	Available  bool    `json:"available"`
}

// DroneCandidate is a drone ranked for a target.
type DroneCandidate struct {
	DroneID string `json:"drone_id"`
	// Flight is the time to fly to the target (straight line at cruise
	// speed, no wind).
	Flight    time.Duration `json:"flight"`
	DistanceM float64       `json:"distance_m"`
	// OnStation is how long it could stay over the target and still get
	// back to base with the reserve.
	OnStation time.Duration `json:"on_station"`
	Feasible  bool          `json:"feasible"`
	Reason    string        `json:"reason,omitempty"`
}

// Drones ranks available drones by flight time to target: feasible ones
// first (enough battery to fly out, stay OnStation and return to base
// keeping the Reserve), then the others with the reason. Ties are broken
// by id; ids not in the deployment are left out.
func (p *Planner) Drones(target borderwatch.LatLon, drones []DroneState) []DroneCandidate {
	var out []DroneCandidate
	for _, s := range drones {
		if !s.Available {
			continue
		}
		var d *borderwatch.Drone
		for i := range p.dep.Drones {
			if p.dep.Drones[i].ID == s.ID {
				d = &p.dep.Drones[i]
			}
		}
		if d == nil {
			continue
		}
		c := DroneCandidate{DroneID: d.ID}
		if !(d.SpeedMS > 0) {
			c.Reason = "no cruise speed"
			out = append(out, c)
			continue
		}
		c.DistanceM = geo.Distance(s.Position, target)
		c.Flight = time.Duration(c.DistanceM / d.SpeedMS * float64(time.Second))
		base, hasBase := p.sites[d.Base]
		back := time.Duration(0)
		if hasBase {
			back = time.Duration(geo.Distance(target, base) / d.SpeedMS * float64(time.Second))
		}
		pct := s.BatteryPct
		if pct < 0 {
			pct = 0
			if !s.Airborne {
				pct = 100
			}
		}
		usable := time.Duration(pct / 100 * (1 - p.opts.Reserve) * float64(d.Endurance))
		c.OnStation = usable - c.Flight - back
		switch {
		case c.OnStation >= p.opts.OnStation:
			c.Feasible = true
		case c.OnStation < 0:
			c.OnStation = 0
			c.Reason = fmt.Sprintf("battery %.0f%%: %s usable, %s out and back", pct, usable.Round(time.Second), (c.Flight + back).Round(time.Second))
		default:
			c.Reason = fmt.Sprintf("battery %.0f%%: only %s on station", pct, c.OnStation.Round(time.Second))
		}
		out = append(out, c)
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Feasible != b.Feasible {
			return a.Feasible
		}
		if a.Flight != b.Flight {
			return a.Flight < b.Flight
		}
		return a.DroneID < b.DroneID
	})
	return out
}

// Phase is how far a dispatched unit has got, judged from its reports.
type Phase string

// Phases in order.
const (
	PhaseDispatched   Phase = "dispatched"
	PhaseAcknowledged Phase = "acknowledged"
	PhaseEnRoute      Phase = "en_route"
	PhaseOnScene      Phase = "on_scene"
)

func (ph Phase) rank() int {
	switch ph {
	case PhaseAcknowledged:
		return 1
	case PhaseEnRoute:
		return 2
	case PhaseOnScene:
		return 3
	}
	return 0
}

// Arrival watches one dispatched unit's position reports. Phases only move
// forward:
//   - acknowledged: an explicit acknowledgement (Ack), or the unit has
//     closed AckM on the target since dispatch (it reacted);
//   - en route: it has closed EnRouteM, or a tenth of the distance;
//   - on scene: a report within RadiusM of the target.
//
// It is not safe for concurrent use.
type Arrival struct {
	Target   borderwatch.LatLon
	RadiusM  float64
	AckM     float64
	EnRouteM float64

	phase Phase
	start float64 // distance at the first report
	has   bool
	at    time.Time
}

// NewArrival watches a unit dispatched to target; radiusM ≤ 0 means 200 m.
func NewArrival(target borderwatch.LatLon, radiusM float64) *Arrival {
	if radiusM <= 0 {
		radiusM = 200
	}
	return &Arrival{Target: target, RadiusM: radiusM, AckM: 50, EnRouteM: 300, phase: PhaseDispatched}
}

// Phase returns the current phase and when it was reached.
func (a *Arrival) Phase() (Phase, time.Time) { return a.phase, a.at }

func (a *Arrival) advance(ph Phase, t time.Time) (Phase, bool) {
	if ph.rank() <= a.phase.rank() {
		return a.phase, false
	}
	a.phase, a.at = ph, t
	return ph, true
}

// Ack records the unit's explicit acknowledgement (a CoT ack or chat).
func (a *Arrival) Ack(t time.Time) (Phase, bool) { return a.advance(PhaseAcknowledged, t) }

// Position feeds a position report of the unit; it returns the phase and
// whether it changed. Reports must come in time order.
func (a *Arrival) Position(p borderwatch.LatLon, t time.Time) (Phase, bool) {
	d := geo.Distance(p, a.Target)
	if d <= a.RadiusM {
		return a.advance(PhaseOnScene, t)
	}
	if !a.has {
		a.start, a.has = d, true
		return a.phase, false
	}
	closed := a.start - d
	switch {
	case closed >= a.EnRouteM || (a.start > 0 && closed >= a.start/10 && closed >= a.AckM):
		return a.advance(PhaseEnRoute, t)
	case closed >= a.AckM:
		return a.advance(PhaseAcknowledged, t)
	}
	return a.phase, false
}
