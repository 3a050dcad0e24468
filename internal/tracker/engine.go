package tracker

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
)

// Mode selects the data association of an Engine.
type Mode string

// Association modes.
const (
	// ModeGNN assigns each detection to at most one track by a global
	// (per cluster) optimal assignment of log-likelihood ratios.
	ModeGNN Mode = "gnn"
	// ModeJPDA weights every gated detection by its marginal association
	// probability (joint integrated PDA, marginals by loopy belief
	// propagation), for dense clutter.
	ModeJPDA Mode = "jpda"
)

// MeasKind is the kind of a detection's measurement.
type MeasKind uint8

// Measurement kinds.
const (
	// MeasPosition is a position X, Y with covariance R.
	MeasPosition MeasKind = iota
	// MeasBearing is an azimuth Az from a sensor at SX, SY.
	MeasBearing
	// MeasBearingRange is an azimuth and a range from a sensor at SX, SY.
	MeasBearingRange
)

// Detection is one measurement of a scan in the local plane.
type Detection struct {
	Kind MeasKind
	// X, Y is the measured position (MeasPosition), metres.
	X, Y float64
	// R is the position covariance (MeasPosition), square metres.
	R Cov2
	// SX, SY is the sensor position (bearing kinds), metres.
	SX, SY float64
	// Az is the azimuth, radians clockwise from +Y (grid north);
	// AzSigma its standard deviation, radians.
	Az, AzSigma float64
	// Range and RangeSigma, metres (MeasBearingRange).
	Range, RangeSigma float64
}

// Rect is an axis-aligned region of the plane.
type Rect struct{ XMin, YMin, XMax, YMax float64 }

// Area returns the area of r, 0 when empty.
func (r Rect) Area() float64 {
	if r.XMax <= r.XMin || r.YMax <= r.YMin {
		return 0
	}
	return (r.XMax - r.XMin) * (r.YMax - r.YMin)
}

// Config parameterises an Engine. Zero fields take the defaults of
// DefaultConfig; see docs/tracker.md for the model behind each.
type Config struct {
	Mode Mode
	// PD is the probability that a covered target is detected in a scan.
	PD float64
	// ClutterDensity is the false-detection density per square metre per
	// scan. Zero estimates it online from detections no track explains,
	// over Region (which must then be set).
	ClutterDensity float64
	// BirthDensity is the density of new targets per square metre per scan.
	// Zero estimates it online from the rate at which tracks are confirmed,
	// over Region, starting from 1% of the clutter density.
	BirthDensity float64
	// Region is the surveillance region: targets outside it are not seen,
	// so a track predicted out of it loses existence. Zero means unbounded.
	Region Rect
	// Models are the IMM motion models (one or two).
	Models []Motion
	// Switch is the IMM model switching rate, per second.
	Switch float64
	// GateProb is the probability that a target's detection falls inside
	// its gate (chi-square, 2 degrees of freedom).
	GateProb float64
	// Report is the existence probability at which a track is confirmed
	// (reported). 0.5 minimises expected GOSPA: a reported track costs c/2
	// when false and saves c/2 minus its error when true.
	Report float64
	// Delete is the existence probability under which a track is dropped.
	Delete float64
	// Survival is the probability per second that a target persists
	// (before the Region test).
	Survival float64
	// MaxCoast deletes a track not updated for this many seconds; zero
	// disables it (existence alone decides).
	MaxCoast float64
	// MaxTentative deletes a never-confirmed track not updated for this
	// many seconds; zero disables it. Live sensors without a known
	// footprint give no negative evidence, so this is what clears clutter.
	MaxTentative float64
	// FriendExtent is the radius, metres, of a friendly unit (a patrol is
	// a group): detections that far from its track still join it.
	FriendExtent float64
	// FriendTimeout deletes a friendly unit's track after this many seconds
	// without an update; zero keeps it.
	FriendTimeout float64
	// BearingClutter is the false-bearing density per radian per scan.
	BearingClutter float64
	// MaxLag is how far back (seconds) a late detection is still used.
	MaxLag float64
	// Workers is the number of goroutines used per scan (1 = none).
	Workers int
	// CellSize is the gating grid cell, metres; zero adapts it to the
	// tracks' gates every scan.
	CellSize float64
}

// DefaultConfig returns the defaults: GNN, pd 0.9, pedestrian and vehicle
// models, 99.9% gates, report at existence 0.5.
func DefaultConfig() Config {
	return Config{
		Mode:     ModeGNN,
		PD:       0.9,
		Models:   DefaultModels(),
		Switch:   0.01,
		GateProb: 0.999,
		Report:   0.5,
		Delete:   1e-3,
		Survival: 0.999,
		MaxLag:   10,
		Workers:  1,

		BearingClutter: 0.1,
	}
}

// DefaultModels returns the two motion models of the border domain: people
// walking (slow, smooth) and vehicles (fast, manoeuvring).
func DefaultModels() []Motion {
	return []Motion{
		{Name: "walk", Q: 0.01, SpeedSigma: 1.5, Prior: 0.6},
		{Name: "drive", Q: 0.2, SpeedSigma: 12, Prior: 0.4},
	}
}

const maxModels = 2

func (c *Config) fill() error {
	d := DefaultConfig()
	if c.Mode == "" {
		c.Mode = d.Mode
	}
	if c.Mode != ModeGNN && c.Mode != ModeJPDA {
		return fmt.Errorf("tracker: config mode %q: want %q or %q", c.Mode, ModeGNN, ModeJPDA)
	}
	if c.PD == 0 {
		c.PD = d.PD
	}
	if !(c.PD > 0 && c.PD <= 1) {
		return fmt.Errorf("tracker: config pd %v: must be in (0, 1]", c.PD)
	}
	if len(c.Models) == 0 {
		c.Models = d.Models
	}
	if len(c.Models) > maxModels {
		return fmt.Errorf("tracker: config models: %d given, at most %d", len(c.Models), maxModels)
	}
	var prior float64
	for i, m := range c.Models {
		if !(m.Q > 0) || !(m.SpeedSigma > 0) || !(m.Prior > 0) {
			return fmt.Errorf("tracker: config models[%d] %q: q, speed sigma and prior must be positive", i, m.Name)
		}
		prior += m.Prior
	}
	for i := range c.Models {
		c.Models[i].Prior /= prior
	}
	if c.Switch == 0 {
		c.Switch = d.Switch
	}
	if c.GateProb == 0 {
		c.GateProb = d.GateProb
	}
	if !(c.GateProb > 0 && c.GateProb < 1) {
		return fmt.Errorf("tracker: config gate probability %v: must be in (0, 1)", c.GateProb)
	}
	if c.Report == 0 {
		c.Report = d.Report
	}
	if c.Delete == 0 {
		c.Delete = d.Delete
	}
	if !(c.Delete > 0 && c.Delete < c.Report && c.Report < 1) {
		return fmt.Errorf("tracker: config delete %v / report %v: want 0 < delete < report < 1", c.Delete, c.Report)
	}
	if c.Survival == 0 {
		c.Survival = d.Survival
	}
	if c.BearingClutter == 0 {
		c.BearingClutter = d.BearingClutter
	}
	if c.FriendExtent == 0 {
		c.FriendExtent = 15
	}
	if c.MaxLag == 0 {
		c.MaxLag = d.MaxLag
	}
	if c.Workers <= 0 {
		c.Workers = 1
	}
	if c.ClutterDensity < 0 || c.BirthDensity < 0 {
		return errors.New("tracker: config clutter and birth densities must be >= 0")
	}
	if (c.ClutterDensity == 0 || c.BirthDensity == 0) && c.Region.Area() == 0 {
		return errors.New("tracker: config: clutter and birth densities must be given when no region is set")
	}
	return nil
}

// track is the internal state of one track.
type track struct {
	id       int64
	x        [maxModels]State
	p        [maxModels]Cov
	mu       [maxModels]float64
	r        float64 // existence probability
	r0       float64 // existence at birth
	t        float64 // time of the estimate
	lastHit  float64
	hits     int32
	friendly bool
	shown    bool  // has been confirmed at least once
	drop     bool  // to be deleted at this scan's prune
	user     int64 // the caller's tag (friendly unit index etc.)

	// Per-scan scratch.
	rp   float64 // predicted existence
	pdg  float64 // pd * gate probability (0 when not covered)
	xc   State   // combined predicted state
	pc   Cov2    // position block of the combined predicted covariance
	sinv Cov2    // inverse combined position innovation covariance (nominal R)
}

// combine returns the moment-matched mixture of the model estimates.
func (t *track) combine(n int) (State, Cov) {
	if n == 1 {
		return t.x[0], t.p[0]
	}
	if n == 2 {
		return mix2(&t.x[0], &t.x[1], &t.p[0], &t.p[1], t.mu[0], t.mu[1])
	}
	var x State
	for m := 0; m < n; m++ {
		for i := range x {
			x[i] += t.mu[m] * t.x[m][i]
		}
	}
	var p Cov
	for m := 0; m < n; m++ {
		var d State
		for i := range d {
			d[i] = t.x[m][i] - x[i]
		}
		for i := 0; i < 4; i++ {
			for j := 0; j < 4; j++ {
				p[i][j] += t.mu[m] * (t.p[m][i][j] + d[i]*d[j])
			}
		}
	}
	return x, p
}

// Estimate is a track as the engine reports it.
type Estimate struct {
	ID int64
	// Time is the time of the estimate, seconds.
	Time float64
	X    State
	P    Cov
	// Existence is the probability that the track is a real target.
	Existence float64
	// Confirmed reports Existence >= Config.Report.
	Confirmed bool
	// ModelProbs are the IMM model probabilities, in Config.Models order.
	ModelProbs [maxModels]float64
	Hits       int
	LastHit    float64
	Friendly   bool
	// Tag is the caller's value given to SetTag.
	Tag int64
}

// pair is one gated (track, detection) candidate.
type pair struct {
	ti, dj int32
	g      float64            // mixture likelihood (per unit of measurement space)
	gm     [maxModels]float64 // per-model likelihoods
}

// Engine is a deterministic multi-target tracker in a local plane. Feed it
// scans of detections in time order with Step; read tracks with Tracks.
// An Engine is not safe for concurrent use; it uses Config.Workers
// goroutines inside Step.
type Engine struct {
	cfg     Config
	gate    float64 // chi-square gate
	pg      float64
	now     float64
	prev    float64 // time of the scan before now
	nextID  int64
	started bool

	tracks []track

	// Online density estimates.
	clutter, birth float64

	// Per-scan scratch.
	grid       grid
	pairs      []pair
	wpairs     [][]pair
	pstart     []int32   // per track: start in pairs (CSR), len = tracks+1
	assigned   []int32   // per detection: track index or -1
	unexpl     []float64 // per detection: probability it is from no existing track
	hyp        []hyp     // per track: association outcome
	hw         []float64 // JPDA weights per pair (aligned with pairs)
	clusters   clusterer
	assoc      []int64
	nearFriend []int32 // per detection: friendly track index + 1, or 0
	deleted    []int64 // confirmed tracks deleted by the last Step
	spawn      []int32 // detections starting tracks this scan
	friends    int     // number of friendly tracks

	forceLBP bool // tests: skip exact enumeration

	scratch []scratch    // per worker, association
	mix     []mixScratch // per worker, updates
	counts  []int        // per worker, gated pairs

	// Confirmed tracks indexed for duplicate checks, per prune.
	shownIndexed bool
	shownIdx     []int32
	shownPos     []Detection
	shownGrid    grid

	// Stats.
	Stats Stats
}

// Stats counts what an engine has done.
type Stats struct {
	Scans, Detections, Pairs, Clusters, MaxCluster int64
	Born, Confirmed, Deleted, Late, LateDropped    int64
}

type hyp struct {
	p0  float64 // probability of "no detection from this track" (incl. non-existence)
	sum float64 // sum of detection probabilities
	det int32   // GNN: assigned detection or -1
}

// NewEngine returns an engine with cfg (zero fields defaulted).
func NewEngine(cfg Config) (*Engine, error) {
	if err := cfg.fill(); err != nil {
		return nil, err
	}
	e := &Engine{cfg: cfg, nextID: 1}
	e.pg = cfg.GateProb
	e.gate = -2 * math.Log(1-cfg.GateProb)
	e.clutter = cfg.ClutterDensity
	e.birth = cfg.BirthDensity
	return e, nil
}

// Config returns the engine's configuration with defaults filled in.
func (e *Engine) Config() Config { return e.cfg }

// Now returns the time of the last scan.
func (e *Engine) Now() float64 { return e.now }

// ClutterDensity returns the clutter density in use (given or estimated).
func (e *Engine) ClutterDensity() float64 { return e.clutter }

// BirthDensity returns the birth density in use (given or estimated).
func (e *Engine) BirthDensity() float64 { return e.birth }

// Len returns the number of live tracks, tentative ones included.
func (e *Engine) Len() int { return len(e.tracks) }

// Assoc returns, after Step, the ID of the track each detection of the
// scan was associated with (most probably, in JPDA mode) or started, and 0
// for a detection that was deemed clutter. The slice is reused.
func (e *Engine) Assoc() []int64 { return e.assoc }

// Deleted returns the IDs of once-confirmed tracks that the last Step
// deleted. The slice is reused.
func (e *Engine) Deleted() []int64 { return e.deleted }

// Tracks appends the confirmed tracks (all tracks with all true) to dst in
// ID order and returns it.
func (e *Engine) Tracks(dst []Estimate, all bool) []Estimate {
	start := len(dst)
	defer func() {
		slices.SortFunc(dst[start:], func(a, b Estimate) int { return cmp.Compare(a.ID, b.ID) })
	}()
	n := len(e.cfg.Models)
	for i := range e.tracks {
		t := &e.tracks[i]
		conf := t.r >= e.cfg.Report
		if !conf && !all {
			continue
		}
		x, p := t.combine(n)
		dst = append(dst, Estimate{ID: t.id, Time: t.t, X: x, P: p, Existence: t.r, Confirmed: conf,
			ModelProbs: t.mu, Hits: int(t.hits), LastHit: t.lastHit, Friendly: t.friendly, Tag: t.user})
	}
	return dst
}

// Positions appends the IDs and combined states of the confirmed tracks;
// it is Tracks without covariances, for hot output paths.
func (e *Engine) Positions(ids []int64, xs [][4]float64) ([]int64, [][4]float64) {
	n := len(e.cfg.Models)
	for i := range e.tracks {
		t := &e.tracks[i]
		if t.r < e.cfg.Report {
			continue
		}
		var x State
		if n == 1 {
			x = t.x[0]
		} else {
			for m := 0; m < n; m++ {
				for k := range x {
					x[k] += t.mu[m] * t.x[m][k]
				}
			}
		}
		ids = append(ids, t.id)
		xs = append(xs, x)
	}
	return ids, xs
}

// Step processes one scan: all detections measured at time t (seconds),
// with t not before the previous scan (see Late for older detections).
// covered reports whether a position is inside the sensors' footprint for
// this scan: a covered track that is not detected loses existence. nil
// means everything is covered.
func (e *Engine) Step(t float64, dets []Detection, covered func(x, y float64) bool) error {
	if e.started && t < e.now {
		return fmt.Errorf("tracker: scan at %v is before the previous scan at %v (use Late)", t, e.now)
	}
	for i := range dets {
		if err := checkDetection(&dets[i]); err != nil {
			return fmt.Errorf("tracker: detection %d: %w", i, err)
		}
	}
	if !e.started {
		e.prev = t
	} else {
		e.prev = e.now
	}
	e.started = true
	e.now = t
	e.Stats.Scans++
	e.Stats.Detections += int64(len(dets))
	if e.clutter == 0 {
		e.clutter = float64(len(dets)) / e.cfg.Region.Area()
		if e.clutter == 0 {
			e.clutter = 1e-9
		}
	}
	if e.birth == 0 {
		e.birth = 0.01 * e.clutter
	}
	e.deleted = e.deleted[:0]
	e.predict(t, covered)
	e.gateAll(dets)
	e.associate(dets)
	e.update(t, dets)
	e.initiate(t, dets)
	e.prune(t)
	return nil
}

func checkDetection(d *Detection) error {
	switch d.Kind {
	case MeasPosition:
		if !finite(d.X) || !finite(d.Y) {
			return errors.New("position is not finite")
		}
		if !d.R.Valid() {
			return fmt.Errorf("covariance %+v is not positive definite", d.R)
		}
	case MeasBearing, MeasBearingRange:
		if !finite(d.SX) || !finite(d.SY) || !finite(d.Az) {
			return errors.New("bearing is not finite")
		}
		if !(d.AzSigma > 0) || math.IsInf(d.AzSigma, 0) {
			return fmt.Errorf("azimuth sigma %v: must be positive", d.AzSigma)
		}
		if d.Kind == MeasBearingRange && (!(d.Range > 0) || !(d.RangeSigma > 0) || math.IsInf(d.Range+d.RangeSigma, 0)) {
			return fmt.Errorf("range %v / sigma %v: must be positive", d.Range, d.RangeSigma)
		}
	default:
		return fmt.Errorf("unknown measurement kind %d", d.Kind)
	}
	return nil
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// parallel runs f over [0, n) in cfg.Workers contiguous chunks.
func (e *Engine) parallel(n int, f func(w, lo, hi int)) {
	w := e.cfg.Workers
	if w <= 1 || n < 256 {
		f(0, 0, n)
		return
	}
	var wg sync.WaitGroup
	chunk := (n + w - 1) / w
	for k := 0; k < w; k++ {
		lo, hi := k*chunk, min((k+1)*chunk, n)
		if lo >= hi {
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			f(k, lo, hi)
		}()
	}
	wg.Wait()
}

// predict mixes and propagates every track to time t and computes its
// gating quantities.
func (e *Engine) predict(t float64, covered func(x, y float64) bool) {
	nm := len(e.cfg.Models)
	// Most tracks were updated at the previous scan: share their survival.
	scanDT := t - e.prev
	scanSurvival := math.Pow(e.cfg.Survival, scanDT)
	scanSwitch := e.switchProb(scanDT)
	e.parallel(len(e.tracks), func(_, lo, hi int) {
		for i := lo; i < hi; i++ {
			tr := &e.tracks[i]
			dt := t - tr.t
			sw := scanSwitch
			if dt != scanDT {
				sw = -1
			}
			e.predictTrackSw(tr, dt, nm, sw)
			tr.t = t
			tr.xc, tr.pc = tr.combinedPos(nm)
			surv := scanSurvival
			if dt != scanDT {
				surv = math.Pow(e.cfg.Survival, dt)
			}
			tr.rp = tr.r * surv * e.inRegion(&tr.xc, tr.pc)
			tr.pdg = e.cfg.PD * e.pg
			if covered != nil && !covered(tr.xc[0], tr.xc[1]) {
				tr.pdg = 0
			}
		}
	})
}

func (e *Engine) predictTrack(tr *track, dt float64, nm int) {
	e.predictTrackSw(tr, dt, nm, -1)
}

// switchProb is the probability of having switched model after dt seconds
// (symmetric two-state Markov chain).
func (e *Engine) switchProb(dt float64) float64 { return 0.5 * (1 - math.Exp(-2*e.cfg.Switch*dt)) }

// predictTrackSw is predictTrack with the switching probability given
// (negative: compute it).
func (e *Engine) predictTrackSw(tr *track, dt float64, nm int, sw float64) {
	if nm == 2 && dt > 0 {
		// IMM mixing with a symmetric switching probability.
		if sw < 0 {
			sw = e.switchProb(dt)
		}
		c0 := (1-sw)*tr.mu[0] + sw*tr.mu[1]
		c1 := sw*tr.mu[0] + (1-sw)*tr.mu[1]
		x0, p0 := mix2(&tr.x[0], &tr.x[1], &tr.p[0], &tr.p[1], (1-sw)*tr.mu[0]/c0, sw*tr.mu[1]/c0)
		x1, p1 := mix2(&tr.x[0], &tr.x[1], &tr.p[0], &tr.p[1], sw*tr.mu[0]/c1, (1-sw)*tr.mu[1]/c1)
		tr.x[0], tr.p[0], tr.x[1], tr.p[1] = x0, p0, x1, p1
		tr.mu[0], tr.mu[1] = c0, c1
	}
	for m := 0; m < nm; m++ {
		predict(&tr.x[m], &tr.p[m], dt, e.cfg.Models[m].Q)
	}
}

// mix2 returns the moment-matched Gaussian of a two-component mixture
// with weights wa + wb = 1: P = wa Pa + wb Pb + wa wb (xa-xb)(xa-xb)'.
func mix2(xa, xb *State, pa, pb *Cov, wa, wb float64) (State, Cov) {
	var x State
	var d State
	for i := range x {
		x[i] = wa*xa[i] + wb*xb[i]
		d[i] = xa[i] - xb[i]
	}
	var p Cov
	ww := wa * wb
	for i := 0; i < 4; i++ {
		for j := i; j < 4; j++ {
			v := wa*pa[i][j] + wb*pb[i][j] + ww*d[i]*d[j]
			p[i][j] = v
			p[j][i] = v
		}
	}
	return x, p
}

// combinedPos returns the combined state and the position block of the
// combined covariance (all that gating needs).
func (t *track) combinedPos(n int) (State, Cov2) {
	if n == 1 {
		return t.x[0], Cov2{XX: t.p[0][0][0], XY: t.p[0][0][1], YY: t.p[0][1][1]}
	}
	wa, wb := t.mu[0], t.mu[1]
	var x State
	for i := range x {
		x[i] = wa*t.x[0][i] + wb*t.x[1][i]
	}
	dx, dy := t.x[0][0]-t.x[1][0], t.x[0][1]-t.x[1][1]
	ww := wa * wb
	return x, Cov2{
		XX: wa*t.p[0][0][0] + wb*t.p[1][0][0] + ww*dx*dx,
		XY: wa*t.p[0][0][1] + wb*t.p[1][0][1] + ww*dx*dy,
		YY: wa*t.p[0][1][1] + wb*t.p[1][1][1] + ww*dy*dy,
	}
}

// inRegion returns the probability that a target with the given estimate is
// inside the surveillance region.
func (e *Engine) inRegion(x *State, p Cov2) float64 {
	r := e.cfg.Region
	if r.Area() == 0 {
		return 1
	}
	sx, sy := math.Sqrt(p.XX), math.Sqrt(p.YY)
	const far = 8 // standard deviations: the probability outside is < 1e-15
	if x[0]-r.XMin > far*sx && r.XMax-x[0] > far*sx && x[1]-r.YMin > far*sy && r.YMax-x[1] > far*sy {
		return 1
	}
	px := normCDF((r.XMax-x[0])/sx) - normCDF((r.XMin-x[0])/sx)
	py := normCDF((r.YMax-x[1])/sy) - normCDF((r.YMin-x[1])/sy)
	return px * py
}

// cellSize returns Config.CellSize or, when zero, four times the mean gate
// half-width, so a typical gate touches one or two cells.
func (e *Engine) cellSize(dets []Detection) float64 {
	if e.cfg.CellSize > 0 {
		return e.cfg.CellSize
	}
	if len(e.tracks) == 0 {
		return 100
	}
	var rmax float64
	for i := range dets {
		if dets[i].Kind == MeasPosition {
			rmax = math.Max(rmax, math.Max(dets[i].R.XX, dets[i].R.YY))
		}
	}
	var sum float64
	for i := range e.tracks {
		sum += e.tracks[i].pc.XX + e.tracks[i].pc.YY
	}
	half := math.Sqrt(e.gate * (0.5*sum/float64(len(e.tracks)) + rmax))
	return min(max(4*half, 10), 5000)
}

// gateAll finds every (track, detection) pair inside the track's gate.
func (e *Engine) gateAll(dets []Detection) {
	e.grid.build(dets, e.cellSize(dets))
	nt := len(e.tracks)
	e.pstart = grow(e.pstart, nt+1)
	w := e.cfg.Workers
	if len(e.wpairs) < w {
		e.wpairs = make([][]pair, w)
	}
	e.counts = grow(e.counts, w+1)
	counts := e.counts
	e.parallel(nt, func(wk, lo, hi int) {
		buf := e.wpairs[wk][:0]
		for i := lo; i < hi; i++ {
			e.pstart[i] = int32(len(buf)) // relative; fixed below
			buf = e.gateTrack(int32(i), dets, buf)
		}
		e.wpairs[wk] = buf
		counts[wk+1] = len(buf)
	})
	// Concatenate worker buffers in track order.
	e.pairs = e.pairs[:0]
	if w <= 1 || nt < 256 {
		e.pairs = append(e.pairs, e.wpairs[0]...)
	} else {
		chunk := (nt + w - 1) / w
		for k := 0; k < w; k++ {
			lo, hi := k*chunk, min((k+1)*chunk, nt)
			off := int32(len(e.pairs))
			for i := lo; i < hi; i++ {
				e.pstart[i] += off
			}
			if lo < hi {
				e.pairs = append(e.pairs, e.wpairs[k]...)
			}
		}
	}
	e.pstart[nt] = int32(len(e.pairs))
	e.Stats.Pairs += int64(len(e.pairs))
}

func (e *Engine) gateTrack(ti int32, dets []Detection, buf []pair) []pair {
	tr := &e.tracks[ti]
	nm := len(e.cfg.Models)
	// Bounding box of the gate with the position-only part of the
	// covariance plus the largest plausible measurement noise.
	s := tr.pc
	rmax := e.grid.maxR
	hx := math.Sqrt(e.gate * (s.XX + rmax))
	hy := math.Sqrt(e.gate * (s.YY + rmax))
	var si [maxModels]Cov2
	var norm [maxModels]float64
	var lastR Cov2
	lastR.XX = -1
	e.grid.query(tr.xc[0]-hx, tr.xc[1]-hy, tr.xc[0]+hx, tr.xc[1]+hy, func(j int32) {
		d := &dets[j]
		var pr pair
		switch d.Kind {
		case MeasPosition:
			if d.R != lastR {
				lastR = d.R
				for m := 0; m < nm; m++ {
					sm := posCov(&tr.p[m], d.R)
					var det float64
					si[m], det = sm.inv()
					norm[m] = 1 / (2 * math.Pi * math.Sqrt(det))
				}
				sc := Cov2{XX: tr.pc.XX + d.R.XX, XY: tr.pc.XY + d.R.XY, YY: tr.pc.YY + d.R.YY}
				tr.sinv, _ = sc.inv()
			}
			dx, dy := d.X-tr.xc[0], d.Y-tr.xc[1]
			if tr.sinv.maha(dx, dy) > e.gate {
				return
			}
			for m := 0; m < nm; m++ {
				mx, my := d.X-tr.x[m][0], d.Y-tr.x[m][1]
				pr.gm[m] = norm[m] * math.Exp(-0.5*si[m].maha(mx, my))
				pr.g += tr.mu[m] * pr.gm[m]
			}
		default:
			ok := false
			for m := 0; m < nm; m++ {
				g, d2, valid := bearingLikelihood(d, &tr.x[m], &tr.p[m])
				if !valid {
					return
				}
				if d2 <= e.gate {
					ok = true
				}
				pr.gm[m] = g
				pr.g += tr.mu[m] * g
			}
			if !ok {
				return
			}
		}
		if !(pr.g > 0) {
			return
		}
		pr.ti, pr.dj = ti, j
		buf = append(buf, pr)
	})
	return buf
}

// clutterAt returns the clutter density in the detection's measurement space.
func (e *Engine) clutterAt(d *Detection) float64 {
	switch d.Kind {
	case MeasBearing:
		return e.cfg.BearingClutter
	case MeasBearingRange:
		return e.clutter * d.Range // per radian per metre
	}
	return e.clutter
}

// associate decides, per cluster of tracks sharing detections, which
// detections update which tracks.
func (e *Engine) associate(dets []Detection) {
	nt, nd := len(e.tracks), len(dets)
	e.hyp = grow(e.hyp, nt)
	e.assigned = grow(e.assigned, nd)
	e.unexpl = grow(e.unexpl, nd)
	e.hw = grow(e.hw, len(e.pairs))
	for j := range e.assigned {
		e.assigned[j] = -1
		e.unexpl[j] = 1
	}
	e.clusters.build(nt, nd, e.pairs, e.pstart)
	e.Stats.Clusters += int64(len(e.clusters.list))
	for _, c := range e.clusters.list {
		if int64(len(c.tracks)) > e.Stats.MaxCluster {
			e.Stats.MaxCluster = int64(len(c.tracks))
		}
	}
	e.scratch = grow(e.scratch, e.cfg.Workers)
	e.parallel(len(e.clusters.list), func(w, lo, hi int) {
		sc := &e.scratch[w]
		for k := lo; k < hi; k++ {
			c := &e.clusters.list[k]
			if e.cfg.Mode == ModeJPDA {
				e.jpda(c, dets, sc)
			} else {
				e.gnn(c, dets, sc)
			}
		}
	})
	// Tracks without any gated detection.
	for i := 0; i < nt; i++ {
		if e.pstart[i] == e.pstart[i+1] {
			e.hyp[i] = hyp{p0: 1, det: -1}
		}
	}
}

// weights returns the association weight of pair k and the miss weight of
// its track: w_ij = r pd g / lambda, w_i0 = 1 - r pd pg.
func (e *Engine) pairWeight(k int32, dets []Detection) float64 {
	pr := &e.pairs[k]
	tr := &e.tracks[pr.ti]
	pd := e.cfg.PD
	if tr.pdg == 0 {
		// Not covered by the sweep, yet a detection gated: the footprint
		// is approximate, so still allow the association.
		pd = e.cfg.PD
	}
	return tr.rp * pd * pr.g / e.clutterAt(&dets[pr.dj])
}

// missGiven is the miss weight of a track given that it exists.
func (e *Engine) missGiven(ti int32) float64 { return 1 - e.tracks[ti].pdg }

func (e *Engine) missWeight(ti int32) float64 {
	tr := &e.tracks[ti]
	return 1 - tr.rp*tr.pdg
}

// update applies the association outcome to every track's state, model
// probabilities and existence.
func (e *Engine) update(t float64, dets []Detection) {
	nm := len(e.cfg.Models)
	e.mix = grow(e.mix, e.cfg.Workers)
	e.parallel(len(e.tracks), func(w, lo, hi int) {
		sc := &e.mix[w]
		for i := lo; i < hi; i++ {
			e.updateTrack(int32(i), t, dets, nm, sc)
			e.tracks[i].drop = e.dropDecision(&e.tracks[i], t)
		}
	})
}

type mixScratch struct {
	w  []float64
	xs []State
	ps []Cov
}

func (e *Engine) updateTrack(ti int32, t float64, dets []Detection, nm int, sc *mixScratch) {
	tr := &e.tracks[ti]
	h := &e.hyp[ti]
	// Existence: the miss hypothesis splits into "exists, undetected" and
	// "does not exist".
	q := tr.rp * (1 - tr.pdg) / (1 - tr.rp*tr.pdg)
	r := h.sum + h.p0*q
	if r <= 0 || math.IsNaN(r) {
		tr.r = 0
		return
	}
	tr.r = min(r, 1-1e-12)
	if tr.friendly {
		tr.r = 1 - 1e-12 // a unit's self-reports, not detections, say it exists
	}
	if h.sum == 0 {
		return // coasting: the prediction stands
	}
	b0 := h.p0 * q / r
	// Collect the detection hypotheses with their weights conditional on existence.
	lo, hi := e.pstart[ti], e.pstart[ti+1]
	sc.w = sc.w[:0]
	sc.xs = sc.xs[:0]
	sc.ps = sc.ps[:0]
	var lam [maxModels]float64
	for m := 0; m < nm; m++ {
		lam[m] = b0
	}
	if e.cfg.Mode == ModeGNN {
		k := h.det
		pr := &e.pairs[k]
		for m := 0; m < nm; m++ {
			lam[m] = pr.gm[m] / pr.g
		}
		e.setModelProbs(tr, lam, nm)
		for m := 0; m < nm; m++ {
			applyDetection(&tr.x[m], &tr.p[m], &dets[pr.dj])
		}
		tr.hits++
		tr.lastHit = t
		return
	}
	for k := lo; k < hi; k++ {
		if e.hw[k] <= 0 {
			continue
		}
		pr := &e.pairs[k]
		bj := e.hw[k] / r
		for m := 0; m < nm; m++ {
			lam[m] += bj * pr.gm[m] / pr.g
		}
	}
	prior := tr.mu
	e.setModelProbs(tr, lam, nm)
	for m := 0; m < nm; m++ {
		// Model-conditional association weights.
		sc.w = append(sc.w[:0], b0/lam[m])
		sc.xs = append(sc.xs[:0], tr.x[m])
		sc.ps = append(sc.ps[:0], tr.p[m])
		for k := lo; k < hi; k++ {
			if e.hw[k] <= 0 {
				continue
			}
			pr := &e.pairs[k]
			x, p := tr.x[m], tr.p[m]
			applyDetection(&x, &p, &dets[pr.dj])
			sc.w = append(sc.w, e.hw[k]/r*pr.gm[m]/pr.g/lam[m])
			sc.xs = append(sc.xs, x)
			sc.ps = append(sc.ps, p)
		}
		tr.x[m], tr.p[m] = mixture(sc.w, sc.xs, sc.ps)
	}
	_ = prior
	if h.sum/r > 0.5 {
		tr.hits++
		tr.lastHit = t
	}
}

func (e *Engine) setModelProbs(tr *track, lam [maxModels]float64, nm int) {
	if nm == 1 {
		return
	}
	var s float64
	var mu [maxModels]float64
	for m := 0; m < nm; m++ {
		mu[m] = tr.mu[m] * lam[m]
		s += mu[m]
	}
	if !(s > 0) {
		return
	}
	for m := 0; m < nm; m++ {
		tr.mu[m] = max(mu[m]/s, 1e-6)
	}
	s = 0
	for m := 0; m < nm; m++ {
		s += tr.mu[m]
	}
	for m := 0; m < nm; m++ {
		tr.mu[m] /= s
	}
}

// mixture returns the moment-matched Gaussian of a weighted mixture.
func mixture(w []float64, xs []State, ps []Cov) (State, Cov) {
	var x State
	var s float64
	for k := range w {
		s += w[k]
	}
	for k := range w {
		w[k] /= s
		for i := range x {
			x[i] += w[k] * xs[k][i]
		}
	}
	var p Cov
	for k := range w {
		wk := w[k]
		if wk < 1e-12 {
			continue
		}
		var d State
		for i := range d {
			d[i] = xs[k][i] - x[i]
		}
		pk := &ps[k]
		for i := 0; i < 4; i++ {
			for j := i; j < 4; j++ {
				p[i][j] += wk * (pk[i][j] + d[i]*d[j])
			}
		}
	}
	for i := 0; i < 4; i++ {
		for j := i + 1; j < 4; j++ {
			p[j][i] = p[i][j]
		}
	}
	return x, p
}

// applyDetection is the Kalman (or extended Kalman) update of one model
// with one detection.
func applyDetection(x *State, p *Cov, d *Detection) {
	switch d.Kind {
	case MeasPosition:
		s := posCov(p, d.R)
		si, _ := s.inv()
		nx, ny := d.X-x[0], d.Y-x[1]
		updatePDA(x, p, si, 0, one[:], []float64{nx}, []float64{ny})
	default:
		h, nu, r, dim, ok := bearingModel(d, x)
		if ok {
			updateNonlinear(x, p, h, nu, r, dim)
			symmetrize(p)
		}
	}
}

var one = [1]float64{1}

// bearingModel linearises an azimuth(-range) measurement about x.
func bearingModel(d *Detection, x *State) (h [2][4]float64, nu, r [2]float64, dim int, ok bool) {
	dx, dy := x[0]-d.SX, x[1]-d.SY
	q := dx*dx + dy*dy
	if q < 1e-6 {
		return h, nu, r, 0, false
	}
	rng := math.Sqrt(q)
	// az = atan2(dx, dy): d az/dx = dy/q, d az/dy = -dx/q.
	h[0] = [4]float64{dy / q, -dx / q, 0, 0}
	nu[0] = wrapAngle(d.Az - math.Atan2(dx, dy))
	r[0] = d.AzSigma * d.AzSigma
	dim = 1
	if d.Kind == MeasBearingRange {
		h[1] = [4]float64{dx / rng, dy / rng, 0, 0}
		nu[1] = d.Range - rng
		r[1] = d.RangeSigma * d.RangeSigma
		dim = 2
	}
	return h, nu, r, dim, true
}

// bearingLikelihood returns the Gaussian likelihood of a bearing(-range)
// detection under one model and its squared Mahalanobis distance.
func bearingLikelihood(d *Detection, x *State, p *Cov) (g, d2 float64, ok bool) {
	h, nu, r, dim, ok := bearingModel(d, x)
	if !ok {
		return 0, 0, false
	}
	var s [2][2]float64
	for a := 0; a < dim; a++ {
		for b := 0; b < dim; b++ {
			var v float64
			for i := 0; i < 4; i++ {
				for j := 0; j < 4; j++ {
					v += h[a][i] * p[i][j] * h[b][j]
				}
			}
			s[a][b] = v
		}
		s[a][a] += r[a]
	}
	if dim == 1 {
		d2 = nu[0] * nu[0] / s[0][0]
		return math.Exp(-0.5*d2) / math.Sqrt(2*math.Pi*s[0][0]), d2, true
	}
	det := s[0][0]*s[1][1] - s[0][1]*s[1][0]
	if !(det > 0) {
		return 0, 0, false
	}
	si := Cov2{XX: s[1][1] / det, XY: -s[0][1] / det, YY: s[0][0] / det}
	d2 = si.maha(nu[0], nu[1])
	return math.Exp(-0.5*d2) / (2 * math.Pi * math.Sqrt(det)), d2, true
}

// initiate starts a tentative track on every detection no track explains.
func (e *Engine) initiate(t float64, dets []Detection) {
	e.assoc = grow(e.assoc, len(dets))
	for j := range dets {
		e.assoc[j] = 0
		if a := e.assigned[j]; a >= 0 {
			e.assoc[j] = e.tracks[a].id
		}
	}
	e.markFriends(dets)
	var unexplained float64
	e.spawn = e.spawn[:0]
	for j := range dets {
		u := e.unexpl[j]
		unexplained += u
		if u < 0.5 {
			continue
		}
		if f := e.nearFriend[j]; f > 0 {
			// Inside a friendly unit's gate: it is that unit, never a new
			// unknown track.
			e.assoc[j] = e.tracks[f-1].id
			continue
		}
		if dets[j].Kind == MeasBearing {
			continue // a bearing alone cannot place a track
		}
		e.spawn = append(e.spawn, int32(j))
		e.assoc[j] = e.nextID
		e.nextID++
	}
	// Fill the new tracks in parallel.
	base := len(e.tracks)
	if need := base + len(e.spawn); cap(e.tracks) < need {
		grown := make([]track, base, need+need/4)
		copy(grown, e.tracks)
		e.tracks = grown
	}
	e.tracks = e.tracks[:base+len(e.spawn)]
	e.Stats.Born += int64(len(e.spawn))
	e.parallel(len(e.spawn), func(_, lo, hi int) {
		for k := lo; k < hi; k++ {
			j := e.spawn[k]
			d := &dets[j]
			x, p, _ := initialState(d)
			lc := e.clutterAt(d)
			if d.Kind == MeasBearingRange {
				lc = e.clutter
			}
			r0 := e.unexpl[j] * e.cfg.PD * e.birth / (e.cfg.PD*e.birth + lc)
			tr := &e.tracks[base+k]
			*tr = track{id: e.assoc[j], r: r0, r0: r0, t: t, lastHit: t, hits: 1}
			for m, mo := range e.cfg.Models {
				tr.x[m] = x
				tr.p[m] = p
				v := mo.SpeedSigma * mo.SpeedSigma
				tr.p[m][2][2], tr.p[m][3][3] = v, v
				tr.mu[m] = mo.Prior
			}
		}
	})
	// Online clutter estimate from the detections no track explains.
	if e.cfg.ClutterDensity == 0 {
		e.clutter = max(0.95*e.clutter+0.05*unexplained/e.cfg.Region.Area(), 1e-12)
	}
}

// initialState places a track on a position or bearing-range detection.
func initialState(d *Detection) (State, Cov, bool) {
	var x State
	var p Cov
	switch d.Kind {
	case MeasPosition:
		x[0], x[1] = d.X, d.Y
		p[0][0], p[0][1], p[1][0], p[1][1] = d.R.XX, d.R.XY, d.R.XY, d.R.YY
	case MeasBearingRange:
		s, c := math.Sincos(d.Az)
		x[0], x[1] = d.SX+d.Range*s, d.SY+d.Range*c
		// J = d(x,y)/d(az,r) = [[r cos, sin], [-r sin, cos]].
		j := [2][2]float64{{d.Range * c, s}, {-d.Range * s, c}}
		va, vr := d.AzSigma*d.AzSigma, d.RangeSigma*d.RangeSigma
		p[0][0] = j[0][0]*j[0][0]*va + j[0][1]*j[0][1]*vr
		p[1][1] = j[1][0]*j[1][0]*va + j[1][1]*j[1][1]*vr
		p[0][1] = j[0][0]*j[1][0]*va + j[0][1]*j[1][1]*vr
		p[1][0] = p[0][1]
	default:
		return x, p, false
	}
	return x, p, true
}

// dupReach is how far (metres) duplicates looks for a confirmed track.
const dupReach = 300

// dropDecision reports whether a track is to be deleted at time t for
// reasons local to it (safe to call in parallel after the update).
func (e *Engine) dropDecision(tr *track, t float64) bool {
	if tr.friendly {
		return e.cfg.FriendTimeout > 0 && t-tr.lastHit > e.cfg.FriendTimeout
	}
	// Existence under Delete, or, for a track born less likely than that,
	// under a fifth of its birth existence: with pd 0.8 or more one miss
	// of a one-hit track does it, so clutter does not linger.
	if tr.r < min(e.cfg.Delete, 0.2*tr.r0) {
		return true
	}
	if e.cfg.MaxCoast > 0 && t-tr.lastHit > e.cfg.MaxCoast {
		return true
	}
	if !tr.shown && e.cfg.MaxTentative > 0 && t-tr.lastHit > e.cfg.MaxTentative {
		return true
	}
	// A tentative track inside a friendly unit's extent was started before
	// the unit was known, or by a member at the edge of the group: it is
	// the unit, not an unknown track.
	return !tr.shown && e.friends > 0 && e.nearFriendTrack(tr)
}

// duplicates reports whether a tentative track's position is inside the
// gate of a confirmed track (both covariances summed). The confirmed tracks
// are indexed in a grid on first use per scan.
func (e *Engine) duplicates(tr *track) bool {
	nm := len(e.cfg.Models)
	if !e.shownIndexed {
		e.shownIndexed = true
		e.shownIdx = e.shownIdx[:0]
		e.shownPos = e.shownPos[:0]
		for i := range e.tracks {
			if o := &e.tracks[i]; o.shown {
				x, _ := o.combinedPos(nm)
				e.shownIdx = append(e.shownIdx, int32(i))
				e.shownPos = append(e.shownPos, Detection{X: x[0], Y: x[1], R: Cov2{XX: 1, YY: 1}})
			}
		}
		e.shownGrid.build(e.shownPos, dupReach)
	}
	x, p := tr.combinedPos(nm)
	found := false
	e.shownGrid.query(x[0]-dupReach, x[1]-dupReach, x[0]+dupReach, x[1]+dupReach, func(k int32) {
		if found {
			return
		}
		o := &e.tracks[e.shownIdx[k]]
		if o == tr {
			return
		}
		ox, op := o.combinedPos(nm)
		s := Cov2{XX: p.XX + op.XX, XY: p.XY + op.XY, YY: p.YY + op.YY}
		si, _ := s.inv()
		if si.maha(ox[0]-x[0], ox[1]-x[1]) <= e.gate {
			found = true
		}
	})
	return found
}

// prune drops tracks whose existence fell below Delete and updates the
// online birth estimate.
func (e *Engine) prune(t float64) {
	confirmed, died := 0, 0
	e.shownIndexed = false
	// Swap-remove: order changes but stays deterministic, and surviving
	// tracks (hundreds of bytes each) are not shifted.
	n := len(e.tracks)
	for i := 0; i < n; {
		tr := &e.tracks[i]
		drop := tr.drop // decided in parallel by updateTrack
		if !drop && !tr.shown && tr.r >= e.cfg.Report {
			if e.duplicates(tr) {
				// About to be confirmed on the same object as a confirmed
				// track (a stray detection started it, then it shared the
				// track's detections): the confirmed track already is it.
				drop = true
			} else {
				tr.shown = true
				confirmed++
				e.Stats.Confirmed++
			}
		}
		if !drop {
			i++
			continue
		}
		e.Stats.Deleted++
		if tr.shown {
			died++
			e.deleted = append(e.deleted, tr.id)
		}
		if tr.friendly {
			e.friends--
		}
		n--
		e.tracks[i] = e.tracks[n] // tracks hold no pointers: no need to clear the tail
	}
	e.tracks = e.tracks[:n]
	if e.cfg.BirthDensity == 0 {
		// Births are counted by confirmations and, since in a steady
		// population every death makes room for a birth, by the deaths of
		// confirmed tracks: the second term keeps the estimate from
		// spiralling down when confirmations become rare.
		obs := 0.5 * float64(confirmed+died) / e.cfg.Region.Area()
		e.birth = max(0.98*e.birth+0.02*obs, 1e-4*e.clutter)
	}
}

func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n, n+n/4)
	}
	return s[:n]
}
