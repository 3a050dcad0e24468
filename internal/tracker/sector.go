package tracker

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/borderwatch/borderwatch"
	"github.com/borderwatch/borderwatch/internal/geo"
)

// Border is the line tracks are located against and whose crossing is
// predicted. *geo.Line implements it.
type Border interface {
	Locate(p borderwatch.LatLon) geo.Station
	Cross(a, b borderwatch.LatLon) (geo.Crossing, bool)
}

// SectorOptions configure a Sector. Zero fields take the defaults listed.
type SectorOptions struct {
	// ID names the sector; it is stamped on tracks and prefixes their IDs.
	ID string
	// Origin is the tangent-plane origin, near the sector's centre.
	Origin borderwatch.LatLon
	// Border, if set, locates tracks (chainage, offset) and predicts their
	// border contact.
	Border Border
	// Engine configures the filter and association. Defaults for live use:
	// GNN, pd 0.8, clutter 1e-7 /m² (0.1 false detection per km² per
	// scan), birth 1e-8 /m², MaxCoast 60 s, MaxTentative 10 s,
	// FriendTimeout 600 s.
	Engine Config
	// Coverage returns the footprint of a source at a time, for missed-
	// detection evidence: a confirmed track inside the footprint of a
	// sensor that reported without seeing it loses existence. nil, or a nil
	// result, means unknown footprint: no negative evidence.
	Coverage func(src borderwatch.Source, t time.Time) func(borderwatch.LatLon) bool
	// DefaultSigma is the position error, metres, of an observation
	// without a valid covariance (25).
	DefaultSigma float64
	// Horizon is how far ahead border contact is predicted (15 min).
	Horizon time.Duration
	// MinContactSpeed is the speed, m/s, under which no contact is
	// predicted (0.3).
	MinContactSpeed float64
	// CoastAfter marks a confirmed track coasting when it has had no
	// update for this long (10 s).
	CoastAfter time.Duration
	// SourceWindow is how long a source counts in Track.Sources (60 s).
	SourceWindow time.Duration
	// Epoch is the origin of the engine's time scale; zero takes the hour
	// of the first observation. Sectors that hand tracks over share one
	// (Router sets it).
	Epoch time.Time
}

func (o *SectorOptions) fill() error {
	if o.ID == "" {
		return errors.New("tracker: sector options: ID is empty")
	}
	if !o.Origin.Valid() {
		return fmt.Errorf("tracker: sector %s: origin %+v is not a valid position", o.ID, o.Origin)
	}
	c := &o.Engine
	if c.PD == 0 {
		c.PD = 0.8
	}
	if c.ClutterDensity == 0 && c.Region.Area() == 0 {
		c.ClutterDensity = 1e-7
	}
	if c.BirthDensity == 0 && c.Region.Area() == 0 {
		c.BirthDensity = 1e-8
	}
	if c.MaxCoast == 0 {
		c.MaxCoast = 60
	}
	if c.MaxTentative == 0 {
		c.MaxTentative = 10
	}
	if c.FriendTimeout == 0 {
		c.FriendTimeout = 600
	}
	if o.DefaultSigma == 0 {
		o.DefaultSigma = 25
	}
	if o.Horizon == 0 {
		o.Horizon = 15 * time.Minute
	}
	if o.MinContactSpeed == 0 {
		o.MinContactSpeed = 0.3
	}
	if o.CoastAfter == 0 {
		o.CoastAfter = 10 * time.Second
	}
	if o.SourceWindow == 0 {
		o.SourceWindow = time.Minute
	}
	return nil
}

// meta is what a Sector keeps per track beyond the filter state.
type meta struct {
	id       string
	probs    [len(borderwatch.Classes)]float64
	unit     string
	sources  map[string]time.Time
	label    borderwatch.Label
	exercise bool
}

// Sector tracks one sector: it turns borderwatch.Observations into
// borderwatch.Tracks through an Engine working in the sector's tangent
// plane. A Sector is not safe for concurrent use: one goroutine owns it
// (see Router for many sectors in parallel).
type Sector struct {
	o      SectorOptions
	plane  *geo.Plane
	eng    *Engine
	epoch  time.Time
	meta   map[int64]*meta // by engine track ID
	units  map[string]int64
	serial int64

	dets    []Detection
	touched map[int64]bool
	out     []borderwatch.Track
	ests    []Estimate
}

// NewSector returns a sector tracker.
func NewSector(o SectorOptions) (*Sector, error) {
	if err := o.fill(); err != nil {
		return nil, err
	}
	eng, err := NewEngine(o.Engine)
	if err != nil {
		return nil, fmt.Errorf("tracker: sector %s: %w", o.ID, err)
	}
	return &Sector{
		o: o, plane: geo.NewPlane(o.Origin), eng: eng, epoch: o.Epoch,
		meta: map[int64]*meta{}, units: map[string]int64{}, touched: map[int64]bool{},
	}, nil
}

// ID returns the sector's ID.
func (s *Sector) ID() string { return s.o.ID }

// Engine returns the sector's engine (for statistics).
func (s *Sector) Engine() *Engine { return s.eng }

func (s *Sector) secs(t time.Time) float64 {
	if s.epoch.IsZero() {
		s.epoch = t.Truncate(time.Hour)
	}
	return t.Sub(s.epoch).Seconds()
}

func (s *Sector) at(sec float64) time.Time {
	return s.epoch.Add(time.Duration(math.Round(sec * 1e9)))
}

// detection converts an observation into the sector's plane.
func (s *Sector) detection(o *borderwatch.Observation) (Detection, error) {
	switch {
	case o.Position != nil:
		if !o.Position.Valid() || math.IsNaN(o.Position.Lat) || math.IsNaN(o.Position.Lon) {
			return Detection{}, fmt.Errorf("position %+v is not valid", *o.Position)
		}
		x, y := s.plane.Forward(*o.Position)
		r := Cov2{XX: o.Cov.EE, XY: o.Cov.EN, YY: o.Cov.NN}
		if !o.Cov.Valid() {
			v := s.o.DefaultSigma * s.o.DefaultSigma
			r = Cov2{XX: v, YY: v}
		}
		return Detection{Kind: MeasPosition, X: x, Y: y, R: r}, nil
	case o.Bearing != nil:
		b := o.Bearing
		if !b.Sensor.Valid() || !(b.AzimuthSigma > 0) || !finite(b.Azimuth) {
			return Detection{}, fmt.Errorf("bearing %+v is not valid", *b)
		}
		sx, sy := s.plane.Forward(b.Sensor)
		// Grid north differs from true north away from the origin.
		nx, ny := s.plane.Forward(borderwatch.LatLon{Lat: b.Sensor.Lat + 0.001, Lon: b.Sensor.Lon})
		conv := math.Atan2(nx-sx, ny-sy)
		d := Detection{Kind: MeasBearing, SX: sx, SY: sy,
			Az: wrapAngle(b.Azimuth*math.Pi/180 + conv), AzSigma: b.AzimuthSigma * math.Pi / 180}
		if b.Range > 0 {
			if !(b.RangeSigma > 0) {
				return Detection{}, fmt.Errorf("bearing range %v without a positive range sigma", b.Range)
			}
			d.Kind, d.Range, d.RangeSigma = MeasBearingRange, b.Range, b.RangeSigma
		}
		return d, nil
	}
	return Detection{}, errors.New("neither position nor bearing")
}

// Observe feeds observations (any order; times may differ and may be
// late by up to Engine.MaxLag seconds) and returns the tracks they changed:
// confirmed and coasting tracks that were updated, and once-confirmed
// tracks that were deleted (Status deleted), sorted by ID. Observations of
// one source at one time form one scan. Invalid observations are skipped
// and reported in the returned error; the others are still applied.
func (s *Sector) Observe(obs []borderwatch.Observation) ([]borderwatch.Track, error) {
	clear(s.touched)
	var errs []error
	idx := make([]int, 0, len(obs))
	for i := range obs {
		idx = append(idx, i)
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		if c := obs[a].Time.Compare(obs[b].Time); c != 0 {
			return c
		}
		return cmpString(obs[a].Source.ID, obs[b].Source.ID)
	})
	var deleted []int64
	for k := 0; k < len(idx); {
		// One scan: same source, same time.
		first := &obs[idx[k]]
		end := k + 1
		for end < len(idx) && obs[idx[end]].Time.Equal(first.Time) && obs[idx[end]].Source.ID == first.Source.ID && !obs[idx[end]].Friendly {
			end++
		}
		if first.Friendly {
			end = k + 1
		}
		batch := idx[k:end]
		k = end
		t := s.secs(first.Time)
		if first.Friendly && first.UnitID != "" {
			if err := s.selfReport(first, t); err != nil {
				errs = append(errs, fmt.Errorf("observation %s: %w", first.ID, err))
			}
			continue
		}
		s.dets = s.dets[:0]
		used := make([]*borderwatch.Observation, 0, len(batch))
		for _, i := range batch {
			d, err := s.detection(&obs[i])
			if err != nil {
				errs = append(errs, fmt.Errorf("observation %s: %w", obs[i].ID, err))
				continue
			}
			s.dets = append(s.dets, d)
			used = append(used, &obs[i])
		}
		if len(s.dets) == 0 {
			continue
		}
		var assoc []int64
		if t < s.eng.Now() {
			a, err := s.eng.Late(t, s.dets)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			assoc = a
		} else {
			covered := func(float64, float64) bool { return false }
			if s.o.Coverage != nil {
				if in := s.o.Coverage(first.Source, first.Time); in != nil {
					covered = func(x, y float64) bool { return in(s.plane.Inverse(x, y)) }
				}
			}
			if err := s.eng.Step(t, s.dets, covered); err != nil {
				errs = append(errs, err)
				continue
			}
			assoc = s.eng.Assoc()
			deleted = append(deleted, s.eng.Deleted()...)
		}
		for j, id := range assoc {
			if id != 0 {
				s.absorb(id, used[j])
			}
		}
	}
	out := s.emit(deleted)
	return out, errors.Join(errs...)
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// selfReport applies a friendly unit's report of its own position.
func (s *Sector) selfReport(o *borderwatch.Observation, t float64) error {
	d, err := s.detection(o)
	if err != nil {
		return err
	}
	if id, ok := s.units[o.UnitID]; ok && s.eng.Has(id) {
		if err := s.eng.Update(id, t, d); err != nil {
			return err
		}
		s.absorb(id, o)
		return nil
	}
	id, err := s.eng.Spawn(t, d, true, 0)
	if err != nil {
		return err
	}
	s.units[o.UnitID] = id
	s.absorb(id, o)
	s.meta[id].unit = o.UnitID
	return nil
}

// absorb records an observation's contribution to a track: class
// evidence, source, label.
func (s *Sector) absorb(id int64, o *borderwatch.Observation) {
	m := s.meta[id]
	if m == nil {
		s.serial++
		m = &meta{id: s.o.ID + "-" + strconv.FormatInt(s.serial, 10), sources: map[string]time.Time{}}
		for i := range m.probs {
			m.probs[i] = 1 / float64(len(m.probs))
		}
		s.meta[id] = m
	}
	fuseClass(&m.probs, o.Class, o.Confidence)
	m.sources[o.Source.ID] = o.Time
	m.label = o.Label
	m.exercise = m.exercise || o.Exercise
	s.touched[id] = true
}

// fuseClass is a Bayes update of class probabilities with a classifier
// report: the reported class has likelihood conf, each other class
// (1-conf)/(K-1). Unknown or aircraft reports carry no evidence.
func fuseClass(p *[len(borderwatch.Classes)]float64, c borderwatch.Class, conf float64) {
	k := slices.Index(borderwatch.Classes[:], c)
	if k < 0 || c == borderwatch.ClassUnknown {
		return
	}
	if !(conf > 0 && conf < 1) {
		conf = 0.6
	}
	conf = math.Min(conf, 0.99)
	other := (1 - conf) / float64(len(p)-1)
	var sum float64
	for i := range p {
		l := other
		if i == k {
			l = conf
		}
		p[i] = math.Max(p[i]*l, 1e-6)
		sum += p[i]
	}
	for i := range p {
		p[i] /= sum
	}
}

// emit builds the output of an Observe call.
func (s *Sector) emit(deleted []int64) []borderwatch.Track {
	s.out = s.out[:0]
	s.ests = s.eng.Tracks(s.ests[:0], true)
	for i := range s.ests {
		e := &s.ests[i]
		if !s.touched[e.ID] || !(e.Confirmed || e.Friendly) {
			continue
		}
		s.out = append(s.out, s.track(e))
	}
	for _, id := range deleted {
		if m := s.meta[id]; m != nil {
			s.out = append(s.out, borderwatch.Track{ID: m.id, Sector: s.o.ID, Status: borderwatch.TrackDeleted, UnitID: m.unit, Label: m.label, Exercise: m.exercise})
		}
	}
	s.gc()
	return slices.Clone(s.out)
}

// gc drops the metadata of tracks the engine no longer has.
func (s *Sector) gc() {
	if len(s.meta) <= 2*s.eng.Len()+64 {
		return
	}
	for id := range s.meta {
		if !s.eng.Has(id) {
			delete(s.meta, id)
		}
	}
	for u, id := range s.units {
		if !s.eng.Has(id) {
			delete(s.units, u)
		}
	}
}

// track converts an engine estimate into a borderwatch.Track.
func (s *Sector) track(e *Estimate) borderwatch.Track {
	m := s.meta[e.ID]
	if m == nil {
		m = &meta{id: s.o.ID + "-x" + strconv.FormatInt(e.ID, 10)}
	}
	t := s.at(e.Time)
	tr := borderwatch.Track{
		ID:          m.id,
		Sector:      s.o.ID,
		Time:        t,
		Status:      borderwatch.TrackConfirmed,
		Position:    s.plane.Inverse(e.X[0], e.X[1]),
		Velocity:    borderwatch.Velocity{East: e.X[2], North: e.X[3]},
		Cov:         borderwatch.Cov2{EE: e.P[0][0], EN: e.P[0][1], NN: e.P[1][1]},
		ClassProbs:  m.probs,
		Class:       borderwatch.ClassUnknown,
		Affiliation: borderwatch.AffUnknown,
		Updates:     e.Hits,
		Label:       m.label,
		Exercise:    m.exercise,
	}
	if !e.Confirmed && !e.Friendly {
		tr.Status = borderwatch.TrackTentative
	} else if e.Time-e.LastHit > s.o.CoastAfter.Seconds() {
		tr.Status = borderwatch.TrackCoasting
	}
	best := 0
	for i, p := range m.probs {
		if p > m.probs[best] {
			best = i
		}
	}
	if m.probs[best] > 0.5 {
		tr.Class = borderwatch.Classes[best]
	}
	if e.Friendly {
		tr.Affiliation = borderwatch.AffFriend
		tr.UnitID = m.unit
	}
	for src, at := range m.sources {
		if t.Sub(at) <= s.o.SourceWindow {
			tr.Sources = append(tr.Sources, src)
		}
	}
	slices.Sort(tr.Sources)
	if s.o.Border != nil {
		st := s.o.Border.Locate(tr.Position)
		tr.Chainage, tr.Offset = st.Chainage, st.Offset
		tr.Contact = s.contact(e, tr.Position, t)
	}
	return tr
}

// contact predicts where and when a track keeping its course and speed
// meets the border within the horizon.
func (s *Sector) contact(e *Estimate, pos borderwatch.LatLon, t time.Time) *borderwatch.BorderContact {
	vx, vy := e.X[2], e.X[3]
	speed := math.Hypot(vx, vy)
	if speed < s.o.MinContactSpeed {
		return nil
	}
	reach := speed * s.o.Horizon.Seconds()
	end := s.plane.Inverse(e.X[0]+vx/speed*reach, e.X[1]+vy/speed*reach)
	c, ok := s.o.Border.Cross(pos, end)
	if !ok {
		return nil
	}
	cx, cy := s.plane.Forward(c.Point)
	d := math.Hypot(cx-e.X[0], cy-e.X[1])
	return &borderwatch.BorderContact{Chainage: c.Chainage, Point: c.Point, Time: t.Add(time.Duration(d / speed * float64(time.Second)))}
}

// Tracks returns every confirmed (or friendly) track at its last estimate.
func (s *Sector) Tracks() []borderwatch.Track {
	s.ests = s.eng.Tracks(s.ests[:0], true)
	var out []borderwatch.Track
	for i := range s.ests {
		if s.ests[i].Confirmed || s.ests[i].Friendly {
			out = append(out, s.track(&s.ests[i]))
		}
	}
	return out
}

// Expire deletes tracks past their coasting limits at now and returns them
// with Status deleted. Call it on a timer (e.g. every second).
func (s *Sector) Expire(now time.Time) []borderwatch.Track {
	var out []borderwatch.Track
	if s.epoch.IsZero() {
		return nil
	}
	for _, id := range s.eng.Expire(s.secs(now)) {
		m := s.meta[id]
		if m == nil {
			continue
		}
		out = append(out, borderwatch.Track{ID: m.id, Sector: s.o.ID, Time: now, Status: borderwatch.TrackDeleted, UnitID: m.unit, Label: m.label, Exercise: m.exercise})
		delete(s.meta, id)
		if m.unit != "" {
			delete(s.units, m.unit)
		}
	}
	return out
}
