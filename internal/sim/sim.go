package sim

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strconv"
	"time"
	_ "time/tzdata" // crossing hours must not depend on the host's zone files

	"github.com/borderwatch/borderwatch"
	"github.com/borderwatch/borderwatch/internal/geo"
	"github.com/borderwatch/borderwatch/internal/rules"
)

// Sim is one simulated border.
type Sim struct {
	o       Options
	dep     *borderwatch.Deployment
	line    *geo.Line
	terrain *Terrain
	now     time.Time
	silent  bool // warming up: no detections, frames or statistics

	// Independent random streams, so that a change in one part of the
	// model does not reshuffle the others.
	rArrive, rMove, rDetect, rSystem *rand.Rand

	sectors   []borderwatch.Sector // by FromKm
	hotspots  []borderwatch.Hotspot
	sensors   []*sensor // by km
	near, far []*sensor // split by reach, each by km
	sites     map[string]*outage
	weak      []float64 // trench weak points (km) where vehicles cross fast
	gaps      [][2]float64

	actors  []*actor // alive, in creation order
	records []*record
	nextID  int
	nextDet int

	arrivals []*process
	drones   []*drone
	pending  []pendingResponse

	// own is the sign of the offsets on the deployment's own side: -1
	// when its agencies' country is on the line's left.
	own float64
	// nextSystem is the earliest outage change of any sensor or site.
	nextSystem time.Time

	dust []outage // dust storms per sector

	sunAt  time.Time
	sun    []float64 // sun elevation per sector centre
	sunMid float64

	frame  Frame
	inStep bool
	queued []Event // events of calls between steps, for the next frame
}

// New builds a Sim and, with Options.Warmup, runs it silently up to Start.
func New(o Options) (*Sim, error) {
	if err := o.fill(); err != nil {
		return nil, err
	}
	line, err := geo.NewLine(o.Deployment.Border.Line)
	if err != nil {
		return nil, fmt.Errorf("sim: border line: %w", err)
	}
	t := o.Terrain
	if t == nil {
		if t, err = DefaultTerrain(); err != nil {
			return nil, fmt.Errorf("sim: %w", err)
		}
	}
	s := &Sim{
		o: o, dep: o.Deployment, line: line, terrain: t,
		now:     o.Start.UTC().Add(-o.Warmup),
		rArrive: rand.New(rand.NewPCG(o.Seed, 1)),
		rMove:   rand.New(rand.NewPCG(o.Seed, 2)),
		rDetect: rand.New(rand.NewPCG(o.Seed, 3)),
		rSystem: rand.New(rand.NewPCG(o.Seed, 4)),
		sites:   map[string]*outage{},
	}
	s.sectors = append(s.sectors, s.dep.Sectors...)
	sort.Slice(s.sectors, func(i, j int) bool { return s.sectors[i].FromKm < s.sectors[j].FromKm })
	s.hotspots = s.dep.Hotspots
	s.own = -1
	if len(s.dep.Agencies) > 0 && s.dep.Agencies[0].Country == s.dep.Border.Right.Code {
		s.own = 1
	}
	s.buildSensors()
	s.dust = make([]outage, len(s.sectors))
	for i := range s.dust {
		s.dust[i].start(s, dustEvery, dustLasts)
	}
	s.buildBarriers()
	s.updateSun()
	if !o.NoUnits {
		s.buildUnits()
		s.buildDrones()
	}
	if !o.NoAmbient {
		s.buildArrivals()
	}
	if o.Warmup > 0 {
		s.silent = true
		for s.now.Before(o.Start) {
			s.step()
		}
		s.silent = false
		s.now = o.Start.UTC()
	}
	return s, nil
}

// Now is the simulated time of the next step.
func (s *Sim) Now() time.Time { return s.now }

// Line is the border line the simulation runs on.
func (s *Sim) Line() *geo.Line { return s.line }

// Step advances the world by one step and returns what happened during
// it. The frame and its slices are reused by the next Step.
func (s *Sim) Step() *Frame {
	s.frame.Detections = s.frame.Detections[:0]
	s.frame.Reports = s.frame.Reports[:0]
	s.frame.Drones = s.frame.Drones[:0]
	// Events from calls between steps (Apprehend, Dispatch) come first.
	s.frame.Events = append(s.frame.Events[:0], s.queued...)
	clear(s.queued)
	s.queued = s.queued[:0]
	s.frame.Time = s.now
	s.inStep = true
	s.step()
	s.inStep = false
	return &s.frame
}

func (s *Sim) step() {
	dt := s.o.Step.Seconds()
	if s.now.Sub(s.sunAt) >= time.Minute {
		s.updateSun()
	}
	for _, p := range s.arrivals {
		p.run(s)
	}
	if !s.now.Before(s.nextSystem) {
		s.systemEvents()
	}
	for i := range s.dust {
		s.dust[i].advance(s)
	}
	for _, a := range s.actors {
		s.move(a, dt)
	}
	s.flyDrones(dt)
	if !s.silent {
		s.sense()
		s.falseAlarms()
	}
	s.unitsAct()
	s.respond()
	s.reports()
	// Drop finished actors, keeping the order.
	n := 0
	for _, a := range s.actors {
		if !a.done {
			s.actors[n] = a
			n++
		}
	}
	clear(s.actors[n:])
	s.actors = s.actors[:n]
	s.now = s.now.Add(s.o.Step)
}

func (s *Sim) event(e Event) {
	switch {
	case s.silent:
	case s.inStep:
		s.frame.Events = append(s.frame.Events, e)
	default:
		s.queued = append(s.queued, e)
	}
}

func (s *Sim) newID(prefix string) string {
	s.nextID++
	return prefix + strconv.Itoa(s.nextID)
}

// updateSun caches the sun's elevation at each sector's centre.
func (s *Sim) updateSun() {
	s.sunAt = s.now
	s.sun = s.sun[:0]
	for _, sc := range s.sectors {
		p := s.line.PointAt((sc.FromKm + sc.ToKm) / 2)
		s.sun = append(s.sun, rules.SunElevation(p.Lat, p.Lon, s.now))
	}
	p := s.line.PointAt(s.line.Length() / 2)
	s.sunMid = rules.SunElevation(p.Lat, p.Lon, s.now)
}

// nightElevation is the sun elevation below which sensors work at their
// night ranges (nautical twilight is -12°; thermal contrast changes well
// before that).
const nightElevation = -4.0

// sectorIndex returns the index of the sector containing km (clamped).
func (s *Sim) sectorIndex(km float64) int {
	i := sort.Search(len(s.sectors), func(i int) bool { return s.sectors[i].ToKm > km })
	if i == len(s.sectors) {
		i = len(s.sectors) - 1
	}
	return max(i, 0)
}

func (s *Sim) night(km float64) bool {
	if len(s.sun) == 0 {
		return s.sunMid < nightElevation
	}
	return s.sun[s.sectorIndex(km)] < nightElevation
}

func (s *Sim) terrainAt(km float64) borderwatch.Terrain {
	if len(s.sectors) == 0 {
		return borderwatch.TerrainDesert
	}
	return s.sectors[s.sectorIndex(km)].Terrain
}

// locate returns the chainage and offset of p.
func (s *Sim) locate(p borderwatch.LatLon) (km, off float64) {
	st := s.line.Locate(p)
	return st.Chainage, st.Offset
}

// exp draws an exponential duration with the given mean.
func exp(r *rand.Rand, mean time.Duration) time.Duration {
	return time.Duration(r.ExpFloat64() * float64(mean))
}

func uniform(r *rand.Rand, a, b float64) float64 { return a + (b-a)*r.Float64() }

func clamp(x, lo, hi float64) float64 { return math.Max(lo, math.Min(hi, x)) }
