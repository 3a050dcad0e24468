package sim

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/borderwatch/borderwatch"
)

// process is a non-homogeneous Poisson arrival process, drawn by
// thinning: candidates at rate max, each kept with probability
// accept(t) in [0, 1].
type process struct {
	next   time.Time
	rate   float64 // per second, the maximum
	accept func(s *Sim) float64
	spawn  func(s *Sim)
}

func (p *process) run(s *Sim) {
	if p.rate <= 0 {
		return
	}
	for !p.next.After(s.now) {
		if s.rArrive.Float64() < p.accept(s) {
			p.spawn(s)
		}
		p.next = p.next.Add(time.Duration(s.rArrive.ExpFloat64() / p.rate * float64(time.Second)))
	}
}

func (s *Sim) addProcess(perSecond float64, accept func(*Sim) float64, spawn func(*Sim)) {
	if perSecond <= 0 {
		return
	}
	p := &process{rate: perSecond, accept: accept, spawn: spawn}
	p.next = s.now.Add(time.Duration(s.rArrive.ExpFloat64() / perSecond * float64(time.Second)))
	s.arrivals = append(s.arrivals, p)
}

// nightShare turns the share of arrivals that should cross at night into
// an acceptance probability, judged at the expected crossing time.
func nightShare(share float64, lead time.Duration) func(*Sim) float64 {
	const nightFrac = 0.45 // of a day, averaged over the year at 35°N
	night, day := share/nightFrac, (1-share)/(1-nightFrac)
	top := math.Max(night, day)
	return func(s *Sim) float64 {
		// The sun at the crossing time, lead after spawning.
		el := s.sunMid
		if lead > 0 {
			el = sunAfter(s, lead)
		}
		if el < nightElevation {
			return night / top
		}
		return day / top
	}
}

func sunAfter(s *Sim, lead time.Duration) float64 {
	p := s.line.PointAt(s.line.Length() / 2)
	return sunElevation(p, s.now.Add(lead))
}

func (s *Sim) buildArrivals() {
	r, k := s.o.Rates, s.o.Activity
	const meanGroup = 5.0
	day := 86400.0
	if groups := r.InfiltratorsPerMonth / 30 / meanGroup / day * k; groups > 0 {
		share := nightShare(r.InfiltratorNightShare, 90*time.Minute)
		top := math.Max(r.InfiltratorNightShare/0.45, (1-r.InfiltratorNightShare)/0.55)
		s.addProcess(groups*top, share, func(s *Sim) { s.spawnInfiltrators() })
	}
	if runs := r.SmugglingRunsPerDay / day * k; runs > 0 {
		share := nightShare(r.SmugglingNightShare, 30*time.Minute)
		top := math.Max(r.SmugglingNightShare/0.45, (1-r.SmugglingNightShare)/0.55)
		s.addProcess(runs*top, share, func(s *Sim) { s.spawnSmuggler() })
	}
	// Herds and traffic grow with the square root of the activity: a busy
	// demo border, not a traffic jam.
	if herds := r.HerdsPerDay / day * math.Sqrt(k); herds > 0 {
		// Herds go out in daylight only: about half the day.
		s.addProcess(herds*2, func(s *Sim) float64 {
			if s.sunMid > 5 {
				return 1
			}
			return 0
		}, func(s *Sim) { s.spawnHerd() })
	}
	for i := range s.dep.Crossings {
		c := s.dep.Crossings[i]
		if c.Status == borderwatch.CrossingClosed {
			continue
		}
		rate := r.TrafficPerHour / 3600 * math.Sqrt(k)
		if !c.Official || c.Status == borderwatch.CrossingRestricted {
			rate /= 2
		}
		s.addProcess(rate, func(s *Sim) float64 {
			// Traffic arrives 10 minutes before it reaches the gate.
			if c.OpenAt(s.now.Add(10 * time.Minute).In(s.o.Location)) {
				return 1
			}
			return 0
		}, func(s *Sim) { s.spawnTraffic(c) })
	}
}

// buildBarriers finds the gaps in the barrier line and chooses the
// trench's weak points: stretches where the ditch has been filled or has
// collapsed, one every 20–40 km, where a vehicle gets across in minutes.
func (s *Sim) buildBarriers() {
	type iv struct{ a, b float64 }
	var cov []iv
	for _, b := range s.dep.Barriers {
		cov = append(cov, iv{b.FromKm, b.ToKm})
		if b.Kind == borderwatch.BarrierTrench {
			for km := b.FromKm + uniform(s.rSystem, 5, 30); km < b.ToKm-1; km += uniform(s.rSystem, 20, 40) {
				s.weak = append(s.weak, km)
			}
		}
	}
	sort.Slice(cov, func(i, j int) bool { return cov[i].a < cov[j].a })
	at := 0.0
	for _, c := range cov {
		if c.a > at+0.2 {
			s.gaps = append(s.gaps, [2]float64{at, c.a})
		}
		at = math.Max(at, c.b)
	}
	if l := s.line.Length(); l > at+0.2 {
		s.gaps = append(s.gaps, [2]float64{at, l})
	}
	sort.Float64s(s.weak)
}

// barriersAt returns the barriers at chainage km, in the order a crosser
// moving into the left side meets them (largest offset first).
func (s *Sim) barriersAt(km float64) []borderwatch.Barrier {
	var out []borderwatch.Barrier
	for _, b := range s.dep.Barriers {
		if km >= b.FromKm && km <= b.ToKm {
			out = append(out, b)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].OffsetM > out[j].OffsetM })
	return out
}

func (s *Sim) weakPoint(km float64) bool {
	i := sort.SearchFloat64s(s.weak, km-0.3)
	return i < len(s.weak) && s.weak[i] <= km+0.3
}

// nearCrossing reports whether km is within d km of a crossing.
func (s *Sim) nearCrossing(km, d float64) bool {
	for _, c := range s.dep.Crossings {
		if math.Abs(c.Chainage-km) < d {
			return true
		}
	}
	return false
}

// crossingKm chooses where a group crosses: in a hotspot most of the
// time; among a few candidates, the one fewest sensors watch at night,
// when the group knows (70 %).
func (s *Sim) crossingKm(class borderwatch.Class) float64 {
	r := s.rArrive
	pick := s.pickKm
	const k = 6
	best, bestExp := -1.0, math.Inf(1)
	var cands [k]float64
	for i := range cands {
		km := pick()
		for tries := 0; tries < 10 && s.nearCrossing(km, 2); tries++ {
			km = pick()
		}
		cands[i] = km
		if e := s.exposure(km, class); e < bestExp {
			best, bestExp = km, e
		}
	}
	if r.Float64() < 0.7 {
		return best
	}
	return cands[r.IntN(k)]
}

// pickKm draws a chainage: a hotspot 60 % of the time, else anywhere.
func (s *Sim) pickKm() float64 {
	r := s.rArrive
	if len(s.hotspots) > 0 && r.Float64() < 0.6 {
		total := 0.0
		for _, h := range s.hotspots {
			total += h.ToKm - h.FromKm
		}
		x := r.Float64() * total
		for _, h := range s.hotspots {
			w := h.ToKm - h.FromKm
			if x < w {
				return h.FromKm + x
			}
			x -= w
		}
	}
	return uniform(r, 1, s.line.Length()-1)
}

// exposure counts the sensors that watch the line at km at night for class.
func (s *Sim) exposure(km float64, class borderwatch.Class) float64 {
	p := station(s.line, km, 0)
	ci := classIndex(class)
	n := 0.0
	for _, sn := range s.window(s.far, km, 20) {
		if sn.kind == borderwatch.SourceGroundSensor {
			continue
		}
		r := dist(sn.pos, p)
		if r <= sn.rng[ci].NightM && sn.inFOV(azimuth(sn.pos, p)) {
			n++
		}
	}
	return n
}

func (s *Sim) spawnInfiltrators() {
	r := s.rArrive
	km := s.crossingKm(borderwatch.ClassPerson)
	spec := ActorSpec{Kind: KindInfiltrators, Size: 2 + r.IntN(7), CrossKm: km,
		FromOffsetM: uniform(r, 2000, 6000), ToOffsetM: -uniform(r, 8000, 20000), DriftKm: uniform(r, -6, 6)}
	s.inject(spec)
}

var goodsKinds = []string{"fuel", "cigarettes", "weapons", "narcotics"}

func (s *Sim) spawnSmuggler() {
	r := s.rArrive
	goods := goodsKinds[r.IntN(len(goodsKinds))]
	var km float64
	switch x := r.Float64(); {
	case x < 0.4 && len(s.gaps) > 0:
		g := s.gaps[r.IntN(len(s.gaps))]
		km = uniform(r, g[0]+0.05, g[1]-0.05)
	case x < 0.8 && len(s.weak) > 0:
		km = s.weak[r.IntN(len(s.weak))] + uniform(r, -0.2, 0.2)
	default:
		km = s.crossingKm(borderwatch.ClassVehicle)
	}
	from, to := uniform(r, 3000, 10000), -uniform(r, 10000, 25000)
	// Fuel flows to Syria, narcotics (captagon) to Iraq; the rest both ways.
	if goods == "fuel" || (goods != "narcotics" && r.Float64() < 0.4) {
		from, to = -from, -to
	}
	s.inject(ActorSpec{Kind: KindSmuggler, Goods: goods, Vehicle: true, Size: 2, CrossKm: km,
		FromOffsetM: from, ToOffsetM: to, DriftKm: uniform(r, -5, 5)})
}

func (s *Sim) spawnHerd() {
	r := s.rArrive
	// Herds graze the steppe and river valleys more than the hamad.
	var km float64
	for {
		km = uniform(r, 0, s.line.Length())
		w := 0.3
		switch s.terrainAt(km) {
		case borderwatch.TerrainSteppe, borderwatch.TerrainRiverValley:
			w = 1
		case borderwatch.TerrainHills:
			w = 0.6
		case borderwatch.TerrainMountain:
			w = 0.2
		}
		if r.Float64() < w {
			break
		}
	}
	side := 1.0
	if r.Float64() < 0.5 {
		side = -1
	}
	off := side * uniform(r, 300, 5000)
	a := &actor{id: s.newID("h"), kind: KindHerd, class: borderwatch.ClassAnimal, size: 20 + r.IntN(130),
		mode: borderwatch.ModeFoot, pos: station(s.line, km, off)}
	p := a.pos
	n := 4 + r.IntN(6)
	for i := 0; i < n; i++ {
		az := uniform(r, 0, 360)
		q := toward(p, az, uniform(r, 300, 1500))
		// Herders keep to their side; a few graze right up to the line.
		if _, o := s.locate(q); o*side < 50 {
			q = toward(p, az+180, uniform(r, 300, 1000))
		}
		a.route = append(a.route, waypoint{p: q, dwell: time.Duration(uniform(r, 5, 25) * float64(time.Minute))})
		p = q
	}
	a.route = append(a.route, waypoint{p: a.pos})
	a.rec = &record{ID: a.id, Kind: KindHerd, Size: a.size}
	s.addActor(a)
}

func (s *Sim) spawnTraffic(c borderwatch.Crossing) {
	r := s.rArrive
	side := 1.0
	if r.Float64() < 0.5 {
		side = -1
	}
	a := &actor{id: s.newID("t"), kind: KindTraffic, class: borderwatch.ClassVehicle, size: 1 + r.IntN(3),
		mode: borderwatch.ModeVehicle, pos: station(s.line, c.Chainage, side*6000), fixedSpeed: uniform(r, 12, 20)}
	a.route = []waypoint{
		{p: station(s.line, c.Chainage, side*300)},
		{p: c.Position, dwell: time.Duration(uniform(r, 15, 45) * float64(time.Minute))},
		{p: station(s.line, c.Chainage, -side*300)},
		{p: station(s.line, c.Chainage+uniform(r, -1, 1), -side*6000)},
	}
	s.addActor(a)
}

// ActorSpec describes an actor to inject: who crosses where.
type ActorSpec struct {
	// ID names the actor; "" assigns one.
	ID   string
	Kind ActorKind // infiltrators, smuggler or herd
	// Size is the number of people (animals for a herd); default 4.
	Size  int
	Goods string
	// Vehicle makes the actor drive (smugglers default to a vehicle).
	Vehicle bool
	// CrossKm is the chainage where the actor crosses the line.
	CrossKm float64
	// FromOffsetM and ToOffsetM are where the route starts and ends,
	// metres from the line, positive on its right. Their signs decide the
	// direction; both on one side means the actor approaches the line and
	// turns back (a herd, a probe).
	FromOffsetM, ToOffsetM float64
	// DriftKm moves the start and end along the line (half each way).
	DriftKm float64
	// SpeedMS overrides the terrain speed when positive.
	SpeedMS  float64
	Exercise bool
}

// Inject adds an actor now and returns its id. Injected actors are
// counted like ambient ones; with Exercise set everything they cause is
// marked as exercise.
func (s *Sim) Inject(spec ActorSpec) (string, error) {
	switch spec.Kind {
	case KindInfiltrators, KindSmuggler, KindHerd:
	default:
		return "", fmt.Errorf("sim: inject: kind %q: want infiltrators, smuggler or herd", spec.Kind)
	}
	if !(spec.CrossKm >= 0 && spec.CrossKm <= s.line.Length()) {
		return "", fmt.Errorf("sim: inject: cross_km %v: not on the line (0..%.1f)", spec.CrossKm, s.line.Length())
	}
	if spec.FromOffsetM == spec.ToOffsetM {
		return "", errors.New("sim: inject: from_offset_m and to_offset_m are equal: the actor would not move")
	}
	if spec.ID != "" {
		for _, a := range s.actors {
			if a.id == spec.ID {
				return "", fmt.Errorf("sim: inject: id %q already in use", spec.ID)
			}
		}
	}
	return s.inject(spec).id, nil
}

func (s *Sim) inject(spec ActorSpec) *actor {
	if spec.Size <= 0 {
		spec.Size = 4
	}
	a := &actor{id: spec.ID, kind: spec.Kind, size: spec.Size, goods: spec.Goods, exercise: spec.Exercise,
		class: borderwatch.ClassPerson, mode: borderwatch.ModeFoot, fixedSpeed: spec.SpeedMS}
	if a.id == "" {
		prefix := map[ActorKind]string{KindInfiltrators: "i", KindSmuggler: "s", KindHerd: "h"}[spec.Kind]
		if spec.Exercise {
			prefix = "x" + prefix
		}
		a.id = s.newID(prefix)
	}
	if spec.Kind == KindHerd {
		a.class = borderwatch.ClassAnimal
	}
	if spec.Vehicle || (spec.Kind == KindSmuggler && spec.Goods != "porters") {
		a.mode, a.class = borderwatch.ModeVehicle, borderwatch.ClassVehicle
	}
	km := spec.CrossKm
	from, to := spec.FromOffsetM, spec.ToOffsetM
	a.pos = station(s.line, km-spec.DriftKm/2, from)
	dir := 1.0 // +1: right to left (into Iraq on the reference)
	if from < 0 {
		dir = -1
	}
	crosses := from*to < 0
	route := []waypoint{{p: station(s.line, km, dir*400)}}
	if crosses {
		bs := s.barriersAt(km)
		if dir < 0 {
			for i, j := 0, len(bs)-1; i < j; i, j = i+1, j-1 {
				bs[i], bs[j] = bs[j], bs[i]
			}
		}
		route = append(route, waypoint{p: station(s.line, km, 0)})
		for _, b := range bs {
			d := b.DelayFoot
			if a.mode == borderwatch.ModeVehicle {
				d = b.DelayVehicle
				if b.Kind == borderwatch.BarrierTrench && s.weakPoint(km) {
					d = 5 * time.Minute
				}
			}
			d = time.Duration(float64(d) * uniform(s.rMove, 0.7, 1.3))
			route = append(route, waypoint{p: station(s.line, km, b.OffsetM), dwell: d, barrier: b.ID})
		}
		if math.Abs(to) > 1500 {
			route = append(route, waypoint{p: station(s.line, km, -dir*1500)})
		}
	} else {
		// A probe: approach, wait, go back.
		route[0].dwell = time.Duration(uniform(s.rMove, 5, 20) * float64(time.Minute))
	}
	route = append(route, waypoint{p: station(s.line, km+spec.DriftKm/2, to)})
	a.route = route
	a.rec = &record{ID: a.id, Kind: a.kind, Size: a.size, Goods: a.goods, Exercise: a.exercise}
	s.addActor(a)
	return a
}
