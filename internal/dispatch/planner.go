// Package dispatch owns the response recommendation: which available
// patrol or QRF reaches a target first by estimated time of arrival, which
// drone gets there first within its battery, and when a dispatched unit
// has acknowledged, is en route and is on scene, judged from its own
// position reports.
//
// The ETA model is deliberately simple and documented with its error in
// docs/dispatch.md: straight-line legs stretched by a circuity factor,
// speed by the terrain class of the sector each kilometre lies in (the
// unit's own speed table from the deployment), and barriers and rivers as
// obstacles crossed through a gate or bridge (a detour) or at a delay.
//
// The package is pure: no I/O, no clocks; positions and times come in.
package dispatch

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"time"

	"github.com/borderwatch/borderwatch"
	"github.com/borderwatch/borderwatch/internal/geo"
)

// River is a river polyline that units cross only at a bridge (or, with
// no bridge known, at RiverDelay).
type River struct {
	Name    string               `json:"name"`
	Line    []borderwatch.LatLon `json:"line"`
	Bridges []borderwatch.LatLon `json:"bridges,omitempty"`
}

// Options configure a Planner. Zero fields take the defaults.
type Options struct {
	// Circuity stretches straight-line distance into path length (tracks
	// wind, wadis and fields are skirted). Default 1.3.
	Circuity float64
	// ErrorFactor bounds the ETA: the true time is taken to lie within
	// [ETA/ErrorFactor, ETA×ErrorFactor]. Default 1.5 (see docs/dispatch.md).
	ErrorFactor float64
	// SampleM is the step at which terrain is sampled along a leg; default
	// 2000 m.
	SampleM float64
	// Rivers are obstacles besides the deployment's barriers.
	Rivers []River
	// Gates are extra points where units pass barriers (besides barrier
	// ends and crossings).
	Gates []borderwatch.LatLon
	// RiverDelay is the cost of crossing a river with no bridge known;
	// default 30 min.
	RiverDelay time.Duration
	// StandOffM: a target within this distance beyond a barrier is reached
	// at the barrier (the strip between a barrier and the line is watched
	// and intercepted from the barrier). Default 500 m.
	StandOffM float64
	// OnStation is the least time a drone must be able to stay over the
	// target; Reserve the share of battery kept for the return. Defaults
	// 5 min and 0.2.
	OnStation time.Duration
	Reserve   float64
}

type obstacle struct {
	id      string
	kind    string // barrier kind or "river"
	pts     []borderwatch.LatLon
	gates   []borderwatch.LatLon
	foot    time.Duration // cost of crossing without a gate; -1 = never
	vehicle time.Duration
	// breachFoot and breachVehicle are charged when the search budget is
	// spent (a wall's breach time: a pessimistic bound, never a choice).
	breachFoot, breachVehicle time.Duration
	bbox                      [4]float64 // s, w, n, e
	isBarrier                 bool
}

// Planner ranks units and drones for a target. It is immutable after New
// and safe for concurrent use.
type Planner struct {
	dep       *borderwatch.Deployment
	line      *geo.Line
	opts      Options
	obstacles []obstacle
	sites     map[string]borderwatch.LatLon
}

// New builds a planner for a loaded deployment.
func New(dep *borderwatch.Deployment, o Options) (*Planner, error) {
	if dep == nil {
		return nil, fmt.Errorf("dispatch: nil deployment")
	}
	if o.Circuity == 0 {
		o.Circuity = 1.3
	}
	if o.ErrorFactor == 0 {
		o.ErrorFactor = 1.5
	}
	if o.SampleM == 0 {
		o.SampleM = 2000
	}
	if o.RiverDelay == 0 {
		o.RiverDelay = 30 * time.Minute
	}
	if o.StandOffM == 0 {
		o.StandOffM = 500
	}
	if o.OnStation == 0 {
		o.OnStation = 5 * time.Minute
	}
	if o.Reserve == 0 {
		o.Reserve = 0.2
	}
	switch {
	case o.Circuity < 1 || o.Circuity > 5:
		return nil, fmt.Errorf("dispatch: circuity = %v: must be in [1, 5]", o.Circuity)
	case o.ErrorFactor < 1:
		return nil, fmt.Errorf("dispatch: error_factor = %v: must be ≥ 1", o.ErrorFactor)
	case o.SampleM < 50:
		return nil, fmt.Errorf("dispatch: sample_m = %v: must be ≥ 50", o.SampleM)
	case o.Reserve < 0 || o.Reserve >= 1:
		return nil, fmt.Errorf("dispatch: reserve = %v: must be in [0, 1)", o.Reserve)
	case o.StandOffM < 0 || o.RiverDelay < 0 || o.OnStation < 0:
		return nil, fmt.Errorf("dispatch: stand_off_m, river_delay and on_station must not be negative")
	}
	line, err := geo.NewLine(dep.Border.Line)
	if err != nil {
		return nil, fmt.Errorf("dispatch: deployment %s: border: %w", dep.Name, err)
	}
	p := &Planner{dep: dep, line: line, opts: o, sites: map[string]borderwatch.LatLon{}}
	for _, s := range dep.Sites {
		p.sites[s.ID] = s.Position
	}
	for _, b := range dep.Barriers {
		pts := line.OffsetSlice(b.FromKm, b.ToKm, b.OffsetM)
		ob := obstacle{id: b.ID, kind: string(b.Kind), pts: pts, foot: b.DelayFoot, vehicle: b.DelayVehicle,
			breachFoot: b.DelayFoot, breachVehicle: b.DelayVehicle, isBarrier: true}
		if b.Kind == borderwatch.BarrierWall {
			// Own forces do not breach their own wall: gates only.
			ob.foot, ob.vehicle = -1, -1
		}
		ob.gates = append(ob.gates, pts[0], pts[len(pts)-1])
		for _, c := range dep.Crossings {
			if c.Chainage >= b.FromKm-0.5 && c.Chainage <= b.ToKm+0.5 {
				ob.gates = append(ob.gates, line.OffsetSlice(c.Chainage, c.Chainage, b.OffsetM)[0])
			}
		}
		for _, g := range o.Gates {
			if nearPolyline(g, pts, 500) {
				ob.gates = append(ob.gates, g)
			}
		}
		ob.bbox = bboxOf(pts)
		p.obstacles = append(p.obstacles, ob)
	}
	for i, r := range o.Rivers {
		if len(r.Line) < 2 {
			return nil, fmt.Errorf("dispatch: rivers[%d] (%s).line: %d points, need 2", i, r.Name, len(r.Line))
		}
		ob := obstacle{id: r.Name, kind: "river", pts: r.Line, gates: r.Bridges, foot: o.RiverDelay, vehicle: o.RiverDelay,
			breachFoot: o.RiverDelay, breachVehicle: o.RiverDelay}
		ob.bbox = bboxOf(r.Line)
		p.obstacles = append(p.obstacles, ob)
	}
	return p, nil
}

func bboxOf(pts []borderwatch.LatLon) [4]float64 {
	b := [4]float64{math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)}
	for _, q := range pts {
		b[0], b[1] = math.Min(b[0], q.Lat), math.Min(b[1], q.Lon)
		b[2], b[3] = math.Max(b[2], q.Lat), math.Max(b[3], q.Lon)
	}
	return b
}

func nearPolyline(p borderwatch.LatLon, pts []borderwatch.LatLon, m float64) bool {
	for i := 1; i < len(pts); i++ {
		if segDist(p, pts[i-1], pts[i]) <= m {
			return true
		}
	}
	return false
}

// segDist is the planar distance in metres from p to segment ab.
func segDist(p, a, b borderwatch.LatLon) float64 {
	ky, kx := 111132.954, 111412.84*math.Cos(p.Lat*math.Pi/180)
	ax, ay := (a.Lon-p.Lon)*kx, (a.Lat-p.Lat)*ky
	bx, by := (b.Lon-p.Lon)*kx, (b.Lat-p.Lat)*ky
	dx, dy := bx-ax, by-ay
	t := 0.0
	if dd := dx*dx + dy*dy; dd > 0 {
		t = math.Min(1, math.Max(0, -(ax*dx+ay*dy)/dd))
	}
	return math.Hypot(ax+t*dx, ay+t*dy)
}

func orient(a, b, c borderwatch.LatLon) float64 {
	return (b.Lon-a.Lon)*(c.Lat-a.Lat) - (b.Lat-a.Lat)*(c.Lon-a.Lon)
}

// crossing returns where segment ab first crosses the obstacle, as the
// fraction along ab, or -1.
func (o *obstacle) crossing(a, b borderwatch.LatLon) float64 {
	if math.Max(a.Lat, b.Lat) < o.bbox[0] || math.Min(a.Lat, b.Lat) > o.bbox[2] ||
		math.Max(a.Lon, b.Lon) < o.bbox[1] || math.Min(a.Lon, b.Lon) > o.bbox[3] {
		return -1
	}
	best := -1.0
	for i := 1; i < len(o.pts); i++ {
		r, s := o.pts[i-1], o.pts[i]
		d1, d2 := orient(r, s, a), orient(r, s, b)
		d3, d4 := orient(a, b, r), orient(a, b, s)
		if ((d1 > 0 && d2 < 0) || (d1 < 0 && d2 > 0)) && ((d3 > 0 && d4 < 0) || (d3 < 0 && d4 > 0)) {
			t := d1 / (d1 - d2)
			if best < 0 || t < best {
				best = t
			}
		}
	}
	return best
}

// Leg is one straight part of a unit's route.
type Leg struct {
	From, To  borderwatch.LatLon
	DistanceM float64       // path length: straight distance × circuity
	Time      time.Duration // including any crossing delay at its end
	// Via says how the leg ends: "" (at the target), "gate of <barrier>",
	// "bridge over <river>", "across <barrier> (delay)", "stand-off at <barrier>".
	Via string
}

// Route is an estimated route of one unit to a target.
type Route struct {
	ETA       time.Duration `json:"eta"`
	ETALow    time.Duration `json:"eta_low"`
	ETAHigh   time.Duration `json:"eta_high"`
	DistanceM float64       `json:"distance_m"`
	Legs      []Leg         `json:"legs"`
	// Reachable is false when the unit cannot get there: terrain missing
	// from its speed table, or a wall with no gate.
	Reachable bool   `json:"reachable"`
	Reason    string `json:"reason,omitempty"`
}

// speedAt returns the unit's speed at p from the terrain of the sector
// holding p's chainage (0 if the unit cannot move there).
func (p *Planner) speedAt(u *borderwatch.Unit, q borderwatch.LatLon) (float64, borderwatch.Terrain) {
	km := p.line.Locate(q).Chainage
	s, ok := p.dep.SectorAt(km)
	if !ok {
		return 0, ""
	}
	return u.SpeedMS[s.Terrain], s.Terrain
}

// legTime is the time to travel straight from a to b over sampled terrain.
func (p *Planner) legTime(u *borderwatch.Unit, a, b borderwatch.LatLon) (time.Duration, float64, string) {
	d, az, _ := geo.Inverse(a, b)
	if d == 0 {
		return 0, 0, ""
	}
	n := max(1, int(math.Ceil(d/p.opts.SampleM)))
	step := d / float64(n)
	secs := 0.0
	for i := 0; i < n; i++ {
		mid := geo.Direct(a, az, step*(float64(i)+0.5))
		v, terr := p.speedAt(u, mid)
		if !(v > 0) {
			return -1, d * p.opts.Circuity, fmt.Sprintf("unit %s cannot move on %s", u.ID, terr)
		}
		secs += step * p.opts.Circuity / v
	}
	return time.Duration(secs * float64(time.Second)), d * p.opts.Circuity, ""
}

// plan returns the best route a→b avoiding obstacles, recursing through
// gates up to depth levels; exclude names obstacles the legs touch at
// their ends (the gate being passed).
func (p *Planner) plan(u *borderwatch.Unit, a, b borderwatch.LatLon, depth int, exclude map[int]bool, final bool) (Route, bool) {
	first, ft := -1, 2.0
	for i := range p.obstacles {
		if exclude[i] {
			continue
		}
		if t := p.obstacles[i].crossing(a, b); t >= 0 && t < ft {
			first, ft = i, t
		}
	}
	if first < 0 || depth == 0 {
		t, d, why := p.legTime(u, a, b)
		if t < 0 {
			return Route{Reason: why}, false
		}
		leg := Leg{From: a, To: b, DistanceM: d, Time: t}
		if first >= 0 {
			// Search budget spent: charge every obstacle left on the leg
			// its crossing delay (a wall's breach time).
			for i := range p.obstacles {
				ob := &p.obstacles[i]
				if exclude[i] || ob.crossing(a, b) < 0 {
					continue
				}
				d := ob.breachVehicle
				if u.Mode == borderwatch.ModeFoot {
					d = ob.breachFoot
				}
				leg.Time += d
				leg.Via += "across " + ob.id + " "
			}
		}
		return Route{ETA: leg.Time, DistanceM: d, Legs: []Leg{leg}, Reachable: true}, true
	}
	ob := &p.obstacles[first]
	x := borderwatch.LatLon{Lat: a.Lat + ft*(b.Lat-a.Lat), Lon: a.Lon + ft*(b.Lon-a.Lon)}
	ex := func() map[int]bool {
		m := map[int]bool{first: true}
		for k := range exclude {
			m[k] = true
		}
		return m
	}
	var best Route
	ok := false
	consider := func(r Route, good bool) {
		if good && (!ok || r.ETA < best.ETA) {
			best, ok = r, true
		}
	}
	// Stand-off: the target lies just beyond a barrier.
	if final && ob.isBarrier && geo.Distance(x, b) <= p.opts.StandOffM {
		r, good := p.plan(u, a, x, depth-1, ex(), false)
		if good {
			r.Legs[len(r.Legs)-1].Via = "stand-off at " + ob.id
		}
		consider(r, good)
	}
	// Through a gate or bridge: the three nearest to the straight route.
	if len(ob.gates) > 0 {
		gates := slices.Clone(ob.gates)
		sort.Slice(gates, func(i, j int) bool {
			return geo.Distance(a, gates[i])+geo.Distance(gates[i], b) < geo.Distance(a, gates[j])+geo.Distance(gates[j], b)
		})
		for _, g := range gates[:min(3, len(gates))] {
			r1, ok1 := p.plan(u, a, g, depth-1, ex(), false)
			r2, ok2 := p.plan(u, g, b, depth-1, ex(), final)
			if !ok1 || !ok2 {
				continue
			}
			via := "gate of " + ob.id
			if ob.kind == "river" {
				via = "bridge over " + ob.id
			}
			r1.Legs[len(r1.Legs)-1].Via = via
			consider(Route{ETA: r1.ETA + r2.ETA, DistanceM: r1.DistanceM + r2.DistanceM, Legs: append(r1.Legs, r2.Legs...), Reachable: true}, true)
		}
	}
	// Across, at the obstacle's delay.
	delay := ob.vehicle
	if u.Mode == borderwatch.ModeFoot {
		delay = ob.foot
	}
	if delay >= 0 {
		r1, ok1 := p.plan(u, a, x, depth-1, ex(), false)
		r2, ok2 := p.plan(u, x, b, depth-1, ex(), final)
		if ok1 && ok2 {
			r1.Legs[len(r1.Legs)-1].Via = fmt.Sprintf("across %s (%s)", ob.id, delay)
			r1.Legs[len(r1.Legs)-1].Time += delay
			consider(Route{ETA: r1.ETA + delay + r2.ETA, DistanceM: r1.DistanceM + r2.DistanceM, Legs: append(r1.Legs, r2.Legs...), Reachable: true}, true)
		}
	}
	if !ok {
		return Route{Reason: fmt.Sprintf("%s %s blocks the way and no gate is reachable", ob.kind, ob.id)}, false
	}
	return best, true
}

// Route estimates how long unit u takes from from to target.
func (p *Planner) Route(u *borderwatch.Unit, from, target borderwatch.LatLon) Route {
	r, ok := p.plan(u, from, target, 2, nil, true)
	if !ok {
		r.Reachable = false
		r.ETA, r.ETALow, r.ETAHigh = -1, -1, -1
		return r
	}
	r.ETALow = time.Duration(float64(r.ETA) / p.opts.ErrorFactor)
	r.ETAHigh = time.Duration(float64(r.ETA) * p.opts.ErrorFactor)
	return r
}

// UnitState is what the caller knows of a unit now.
type UnitState struct {
	ID        string             `json:"id"`
	Position  borderwatch.LatLon `json:"position"`
	Available bool               `json:"available"`
}

// Candidate is a unit ranked for a target.
type Candidate struct {
	UnitID string               `json:"unit_id"`
	Kind   borderwatch.UnitKind `json:"kind"`
	Route
}

// Units ranks the available units by ETA to target, fastest first; units
// that cannot reach it come last (sorted by id), unavailable units and ids
// not in the deployment are left out. Ties are broken by unit id.
func (p *Planner) Units(target borderwatch.LatLon, units []UnitState) []Candidate {
	var out []Candidate
	for _, s := range units {
		if !s.Available {
			continue
		}
		u, ok := p.dep.Unit(s.ID)
		if !ok {
			continue
		}
		out = append(out, Candidate{UnitID: u.ID, Kind: u.Kind, Route: p.Route(&u, s.Position, target)})
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Reachable != b.Reachable {
			return a.Reachable
		}
		if a.Reachable && a.ETA != b.ETA {
			return a.ETA < b.ETA
		}
		return a.UnitID < b.UnitID
	})
	return out
}

// Unplaced returns the deployment's units at their bases, all available:
// a starting point for Units when live positions are unknown.
func (p *Planner) Unplaced() []UnitState {
	out := make([]UnitState, 0, len(p.dep.Units))
	for _, u := range p.dep.Units {
		out = append(out, UnitState{ID: u.ID, Position: p.sites[u.Base], Available: true})
	}
	return out
}
