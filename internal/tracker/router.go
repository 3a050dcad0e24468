package tracker

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/borderwatch/borderwatch"
	"github.com/borderwatch/borderwatch/internal/geo"
)

// RouterSector is one sector of a Router: its tracker options and its area
// (a closed polygon ring; the areas should tile the border without gaps).
type RouterSector struct {
	Options SectorOptions
	Area    []borderwatch.LatLon
}

// Router partitions tracking by sector: one goroutine owns each Sector
// (no locks on the hot path; work moves over channels), observations go to
// the sector that owns the track they most likely belong to, else to the
// sector containing them, and a track that moves into a neighbour's area
// is handed over (full filter state, same track ID) before Observe returns,
// so every track lives in exactly one sector between calls: no duplicate,
// no gap.
//
// Observe, Expire and Tracks may be called from one goroutine at a time.
type Router struct {
	sectors []*routed
	snap    map[[2]int32][]snapEntry // confirmed tracks by ~1 km cell, rebuilt per call
	wg      sync.WaitGroup
	closed  bool
	epoch   time.Time
}

type routed struct {
	s    *Sector
	area []borderwatch.LatLon
	box  geo.BBox
	req  chan func()
	snap []snapEntry
}

// snapEntry is a confirmed track as other sectors see it for routing.
type snapEntry struct {
	pos    borderwatch.LatLon
	radius float64 // gate radius, metres
	sector int
}

// NewRouter starts one goroutine per sector. Close stops them.
func NewRouter(sectors []RouterSector) (*Router, error) {
	if len(sectors) == 0 {
		return nil, errors.New("tracker: router: no sectors")
	}
	r := &Router{}
	seen := map[string]bool{}
	for i, rs := range sectors {
		if len(rs.Area) < 3 {
			return nil, fmt.Errorf("tracker: router: sectors[%d] %q: area has %d vertices, need at least 3", i, rs.Options.ID, len(rs.Area))
		}
		if seen[rs.Options.ID] {
			return nil, fmt.Errorf("tracker: router: sectors[%d]: duplicate sector ID %q", i, rs.Options.ID)
		}
		seen[rs.Options.ID] = true
		s, err := NewSector(rs.Options)
		if err != nil {
			return nil, fmt.Errorf("tracker: router: sectors[%d]: %w", i, err)
		}
		r.sectors = append(r.sectors, &routed{s: s, area: rs.Area, box: geo.BBoxOf(rs.Area), req: make(chan func())})
	}
	for _, rt := range r.sectors {
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
			for f := range rt.req {
				f()
			}
		}()
	}
	return r, nil
}

// Close stops the sector goroutines and waits for them.
func (r *Router) Close() {
	if r.closed {
		return
	}
	r.closed = true
	for _, rt := range r.sectors {
		close(rt.req)
	}
	r.wg.Wait()
}

// run executes f(i) on the goroutine of every sector i in which, in
// parallel, and waits for all.
func (r *Router) run(which []int, f func(i int)) {
	var wg sync.WaitGroup
	for _, i := range which {
		wg.Add(1)
		r.sectors[i].req <- func() {
			defer wg.Done()
			f(i)
		}
	}
	wg.Wait()
}

func cellOf(p borderwatch.LatLon) [2]int32 {
	return [2]int32{int32(math.Floor(p.Lat / 0.01)), int32(math.Floor(p.Lon / 0.01))}
}

// owner returns the sector an observation goes to.
func (r *Router) owner(o *borderwatch.Observation) int {
	var p borderwatch.LatLon
	switch {
	case o.Position != nil:
		p = *o.Position
	case o.Bearing != nil:
		p = o.Bearing.Sensor
	default:
		return 0 // the sector reports the observation as invalid
	}
	if o.Position != nil {
		// The sector owning the nearest confirmed track whose gate holds it.
		c := cellOf(p)
		best, bd := -1, math.Inf(1)
		for dy := int32(-1); dy <= 1; dy++ {
			for dx := int32(-1); dx <= 1; dx++ {
				for _, e := range r.snap[[2]int32{c[0] + dy, c[1] + dx}] {
					if d := flatDistance(p, e.pos); d <= e.radius && d < bd {
						best, bd = e.sector, d
					}
				}
			}
		}
		if best >= 0 {
			return best
		}
	}
	return r.containing(p)
}

// containing returns the sector whose area contains p, else the one whose
// bounding box is nearest.
func (r *Router) containing(p borderwatch.LatLon) int {
	for i, rt := range r.sectors {
		if rt.box.Contains(p) && geo.PolygonContains(rt.area, p) {
			return i
		}
	}
	best, bd := 0, math.Inf(1)
	for i, rt := range r.sectors {
		c := borderwatch.LatLon{Lat: math.Max(rt.box.MinLat, math.Min(rt.box.MaxLat, p.Lat)), Lon: math.Max(rt.box.MinLon, math.Min(rt.box.MaxLon, p.Lon))}
		if d := flatDistance(p, c); d < bd {
			best, bd = i, d
		}
	}
	return best
}

// flatDistance is an equirectangular distance in metres, good to a fraction
// of a percent over the few kilometres routing looks at.
func flatDistance(a, b borderwatch.LatLon) float64 {
	const m = 6371008.8 * math.Pi / 180
	dy := (a.Lat - b.Lat) * m
	dx := (a.Lon - b.Lon) * m * math.Cos((a.Lat+b.Lat)/2*math.Pi/180)
	return math.Hypot(dx, dy)
}

// export is a track leaving a sector.
type export struct {
	h      *Handover
	m      *meta
	target int
}

// Observe routes observations to their sectors, runs the sectors in
// parallel, hands over tracks that left their sector, and returns the
// changed tracks (as Sector.Observe does), sorted by ID.
func (r *Router) Observe(obs []borderwatch.Observation) ([]borderwatch.Track, error) {
	if r.closed {
		return nil, errors.New("tracker: router is closed")
	}
	if r.epoch.IsZero() && len(obs) > 0 {
		// One time scale for all sectors, so handed-over tracks keep their
		// times. The goroutines are idle; the channel sends that follow
		// publish the write.
		r.epoch = obs[0].Time
		for _, o := range obs {
			if o.Time.Before(r.epoch) {
				r.epoch = o.Time
			}
		}
		r.epoch = r.epoch.Truncate(time.Hour)
		for _, rt := range r.sectors {
			if rt.s.epoch.IsZero() {
				rt.s.epoch = r.epoch
			}
		}
	}
	batches := make([][]borderwatch.Observation, len(r.sectors))
	for i := range obs {
		k := r.owner(&obs[i])
		batches[k] = append(batches[k], obs[i])
	}
	var active []int
	for i, b := range batches {
		if len(b) > 0 {
			active = append(active, i)
		}
	}
	outs := make([][]borderwatch.Track, len(r.sectors))
	errs := make([]error, len(r.sectors))
	exports := make([][]export, len(r.sectors))
	r.run(active, func(i int) {
		rt := r.sectors[i]
		outs[i], errs[i] = rt.s.Observe(batches[i])
		exports[i] = r.leaving(i)
		rt.snap = rt.s.snapshot(i)
	})
	// Hand over: every import into a sector runs on that sector's goroutine.
	imports := make([][]export, len(r.sectors))
	var targets []int
	for _, ex := range exports {
		for _, e := range ex {
			if len(imports[e.target]) == 0 {
				targets = append(targets, e.target)
			}
			imports[e.target] = append(imports[e.target], e)
		}
	}
	moved := map[string]borderwatch.Track{}
	var mu sync.Mutex // guards moved: written once per handover, not per observation
	r.run(targets, func(i int) {
		rt := r.sectors[i]
		for _, e := range imports[i] {
			t := rt.s.importTrack(e.h, e.m)
			mu.Lock()
			moved[t.ID] = t
			mu.Unlock()
		}
		rt.snap = rt.s.snapshot(i)
	})
	var out []borderwatch.Track
	for _, o := range outs {
		for _, t := range o {
			if m, ok := moved[t.ID]; ok {
				t = m
				delete(moved, t.ID)
			}
			out = append(out, t)
		}
	}
	for _, t := range moved {
		out = append(out, t)
	}
	slices.SortFunc(out, func(a, b borderwatch.Track) int { return cmpString(a.ID, b.ID) })
	r.rebuildSnap()
	return out, errors.Join(errs...)
}

// leaving exports, on sector i's goroutine, its confirmed tracks that are
// now inside another sector's area.
func (r *Router) leaving(i int) []export {
	rt := r.sectors[i]
	var out []export
	ests := rt.s.eng.Tracks(nil, false)
	for k := range ests {
		e := &ests[k]
		p := rt.s.plane.Inverse(e.X[0], e.X[1])
		if geo.PolygonContains(rt.area, p) {
			continue
		}
		target := -1
		for j, o := range r.sectors {
			if j != i && o.box.Contains(p) && geo.PolygonContains(o.area, p) {
				target = j
				break
			}
		}
		if target < 0 {
			continue // outside every sector: it stays and coasts out
		}
		from, to := rt.s.plane, r.sectors[target].s.plane
		h, ok := rt.s.eng.Export(e.ID, func(x, y float64) (float64, float64) { return to.Forward(from.Inverse(x, y)) })
		if !ok {
			continue
		}
		m := rt.s.meta[e.ID]
		delete(rt.s.meta, e.ID)
		if m != nil && m.unit != "" {
			delete(rt.s.units, m.unit)
		}
		out = append(out, export{h: h, m: m, target: target})
	}
	return out
}

// importTrack adds a handed-over track to s and returns it as a Track.
func (s *Sector) importTrack(h *Handover, m *meta) borderwatch.Track {
	id := s.eng.Import(h)
	if m != nil {
		s.meta[id] = m
		if m.unit != "" {
			s.units[m.unit] = id
		}
	}
	for _, e := range s.eng.Tracks(nil, true) {
		if e.ID == id {
			return s.track(&e)
		}
	}
	return borderwatch.Track{}
}

// snapshot lists s's confirmed tracks for routing.
func (s *Sector) snapshot(sector int) []snapEntry {
	ests := s.eng.Tracks(nil, false)
	out := make([]snapEntry, 0, len(ests))
	g := s.eng.gate
	for k := range ests {
		e := &ests[k]
		rad := math.Sqrt(g * (e.P[0][0] + e.P[1][1] + 2*s.o.DefaultSigma*s.o.DefaultSigma))
		out = append(out, snapEntry{pos: s.plane.Inverse(e.X[0], e.X[1]), radius: math.Min(rad, 500), sector: sector})
	}
	return out
}

func (r *Router) rebuildSnap() {
	if r.snap == nil {
		r.snap = map[[2]int32][]snapEntry{}
	}
	clear(r.snap)
	for _, rt := range r.sectors {
		for _, e := range rt.snap {
			c := cellOf(e.pos)
			r.snap[c] = append(r.snap[c], e)
		}
	}
}

// Expire runs Sector.Expire on every sector in parallel.
func (r *Router) Expire(now time.Time) []borderwatch.Track {
	outs := make([][]borderwatch.Track, len(r.sectors))
	all := make([]int, len(r.sectors))
	for i := range all {
		all[i] = i
	}
	r.run(all, func(i int) {
		outs[i] = r.sectors[i].s.Expire(now)
		r.sectors[i].snap = r.sectors[i].s.snapshot(i)
	})
	r.rebuildSnap()
	return slices.Concat(outs...)
}

// Tracks returns every sector's confirmed tracks.
func (r *Router) Tracks() []borderwatch.Track {
	outs := make([][]borderwatch.Track, len(r.sectors))
	all := make([]int, len(r.sectors))
	for i := range all {
		all[i] = i
	}
	r.run(all, func(i int) { outs[i] = r.sectors[i].s.Tracks() })
	out := slices.Concat(outs...)
	slices.SortFunc(out, func(a, b borderwatch.Track) int { return cmpString(a.ID, b.ID) })
	return out
}
