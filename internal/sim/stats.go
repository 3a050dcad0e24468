package sim

import (
	"sort"
	"time"
)

// Counts tallies illegal crossing attempts of one kind.
type Counts struct {
	// Attempted counts groups (vehicles) that set out; People the people
	// in them.
	Attempted int `json:"attempted"`
	People    int `json:"people"`
	// Crossed counts those that reached the line.
	Crossed int `json:"crossed"`
	// Detected counts those whose detections confirmed (3 within 15 s).
	Detected    int `json:"detected"`
	Dispatched  int `json:"dispatched"`
	Intercepted int `json:"intercepted"`
	Escaped     int `json:"escaped"`
	// InProgress counts those still under way when the tally was taken.
	InProgress int `json:"in_progress"`
	// Misses counts escaped and never-detected attempts by reason.
	Misses map[MissReason]int `json:"misses,omitempty"`
	// Of the detected attempts that escaped: NoUnit had no unit sent
	// (none available within reach), Outrun had one sent that did not
	// reach it in time.
	NoUnit int `json:"no_unit"`
	Outrun int `json:"outrun"`
	// Scattered counts groups that slipped away from the unit that
	// reached them (counted in Outrun too when detected).
	Scattered int `json:"scattered"`
}

func (c *Counts) add(r *record) {
	c.Attempted++
	c.People += r.Size
	if !r.Crossed.IsZero() {
		c.Crossed++
	}
	if !r.Detected.IsZero() {
		c.Detected++
	}
	if !r.Dispatched.IsZero() {
		c.Dispatched++
	}
	switch {
	case !r.Intercepted.IsZero():
		c.Intercepted++
	case !r.Escaped.IsZero():
		c.Escaped++
		switch {
		case !r.Detected.IsZero() && r.Dispatched.IsZero():
			c.NoUnit++
		case !r.Detected.IsZero():
			c.Outrun++
		}
		if r.Scattered {
			c.Scattered++
		}
		if r.Detected.IsZero() {
			if c.Misses == nil {
				c.Misses = map[MissReason]int{}
			}
			c.Misses[r.Miss]++
		}
	default:
		c.InProgress++
	}
}

// Plus returns the sum of two tallies.
func (c Counts) Plus(o Counts) Counts {
	out := Counts{Attempted: c.Attempted + o.Attempted, People: c.People + o.People, Crossed: c.Crossed + o.Crossed,
		Detected: c.Detected + o.Detected, Dispatched: c.Dispatched + o.Dispatched, Intercepted: c.Intercepted + o.Intercepted,
		Escaped: c.Escaped + o.Escaped, InProgress: c.InProgress + o.InProgress, NoUnit: c.NoUnit + o.NoUnit, Outrun: c.Outrun + o.Outrun, Scattered: c.Scattered + o.Scattered}
	for _, m := range []map[MissReason]int{c.Misses, o.Misses} {
		for k, v := range m {
			if out.Misses == nil {
				out.Misses = map[MissReason]int{}
			}
			out.Misses[k] += v
		}
	}
	return out
}

// DayStats is one day of the realism report; attempts count on the day
// they set out (the deployment's time zone).
type DayStats struct {
	Day          string `json:"day"`
	Infiltrators Counts `json:"infiltrators"`
	Smugglers    Counts `json:"smugglers"`
	// Herds counts herds out that day; HerdResponses how many the command
	// sent a unit to (false alarms).
	Herds         int `json:"herds"`
	HerdResponses int `json:"herd_responses"`
}

// Stats tallies every non-exercise actor by the day it appeared.
func (s *Sim) Stats() []DayStats {
	byDay := map[string]*DayStats{}
	for _, r := range s.records {
		if r.Exercise || r.Spawned.Before(s.o.Start) {
			continue
		}
		day := r.Spawned.In(s.o.Location).Format(time.DateOnly)
		d := byDay[day]
		if d == nil {
			d = &DayStats{Day: day}
			byDay[day] = d
		}
		switch r.Kind {
		case KindInfiltrators:
			d.Infiltrators.add(r)
		case KindSmuggler:
			d.Smugglers.add(r)
		case KindHerd:
			d.Herds++
			if !r.Dispatched.IsZero() {
				d.HerdResponses++
			}
		}
	}
	out := make([]DayStats, 0, len(byDay))
	for _, d := range byDay {
		out = append(out, *d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Day < out[j].Day })
	return out
}

// Outcome is the ground truth of one injected or ambient actor.
type Outcome struct {
	ID          string    `json:"id"`
	Kind        ActorKind `json:"kind"`
	Exercise    bool      `json:"exercise,omitempty"`
	Spawned     time.Time `json:"spawned"`
	Crossed     time.Time `json:"crossed,omitzero"`
	CrossKm     float64   `json:"cross_km,omitempty"`
	FirstDet    time.Time `json:"first_detection,omitzero"`
	Detected    time.Time `json:"detected,omitzero"`
	Dispatched  time.Time `json:"dispatched,omitzero"`
	Intercepted time.Time `json:"intercepted,omitzero"`
	Escaped     time.Time `json:"escaped,omitzero"`
	Unit        string    `json:"unit,omitempty"`
	Miss        string    `json:"miss,omitempty"`
}

// Outcome returns the record of actor id, alive or finished.
func (s *Sim) Outcome(id string) (Outcome, bool) {
	for _, r := range s.records {
		if r.ID == id {
			return Outcome{ID: r.ID, Kind: r.Kind, Exercise: r.Exercise, Spawned: r.Spawned, Crossed: r.Crossed, CrossKm: r.CrossKm,
				FirstDet: r.FirstDet, Detected: r.Detected, Dispatched: r.Dispatched, Intercepted: r.Intercepted,
				Escaped: r.Escaped, Unit: r.Unit, Miss: string(r.Miss)}, true
		}
	}
	return Outcome{}, false
}
