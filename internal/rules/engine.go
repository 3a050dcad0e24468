package rules

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/borderwatch/borderwatch"
	"github.com/borderwatch/borderwatch/internal/geo"
)

// Engine evaluates the rules. It is not safe for concurrent use: like a
// sector's tracker it is single-threaded and deterministic — the same
// inputs in the same order give the same events with the same ids. Run one
// Engine per partition, or serialise calls.
//
// Every input method returns the events it produced in a slice owned by
// the engine and valid until the next call; the alerts inside are copies
// the caller may keep.
type Engine struct {
	dep  *borderwatch.Deployment
	opts Options
	loc  *time.Location
	line *geo.Line
	g    *grid

	sectors   []sectorState
	crossings []crossingState
	barriers  []borderwatch.Barrier
	zones     []zoneState
	herding   []herdingState
	intoLeft  string // "into_iraq"
	intoRight string // "into_syria"

	sources     map[string]*sourceState
	sourceOrder []*sourceState
	units       map[string]*unitState
	unitOrder   []*unitState
	siteOf      map[string]string
	tracks      map[string]*trackState
	active      []*activeAlert
	buckets     map[string]*bucket
	coverage    map[coverageKey][]KmRange
	firstTick   int64
	ticked      bool

	out     []Event
	scratch []int32
	stats   Stats
}

type sectorState struct {
	s           borderwatch.Sector
	mid         borderwatch.LatLon
	day, night  Params
	nightMinute int64
	nightCached bool
	isNight     bool
}

type crossingState struct {
	c      borderwatch.Crossing
	minute int64
	open   bool
	valid  bool
}

type zoneState struct {
	zone     borderwatch.Zone
	rule     ZoneRule
	triggers uint8
	classes  []borderwatch.Class
}

type herdingState struct {
	area   HerdingArea
	months uint16
}

type trackState struct {
	pos  borderwatch.LatLon
	t    int64
	has  bool
	side int8

	approachFired bool
	approachLast  int64
	atBarrier     bool
	barrierSince  int64
	loiterFired   bool
	closedX       int32
	closedFired   bool
	pending       *finding
	zones         []zoneVisit
}

type zoneVisit struct {
	zone       int32
	since      int64
	dwellFired bool
}

// New builds an engine for the deployment. The deployment must be loaded
// and validated (internal/deployment); the engine keeps a pointer to it
// and does not modify it. Options are validated: an error names the field,
// the value and the reason.
func New(dep *borderwatch.Deployment, opts Options) (*Engine, error) {
	if dep == nil {
		return nil, fmt.Errorf("rules: nil deployment")
	}
	line, err := geo.NewLine(dep.Border.Line)
	if err != nil {
		return nil, fmt.Errorf("rules: deployment %s: border: %w", dep.Name, err)
	}
	e := &Engine{
		dep: dep, opts: opts, line: line,
		sources:  map[string]*sourceState{},
		units:    map[string]*unitState{},
		siteOf:   map[string]string{},
		tracks:   map[string]*trackState{},
		buckets:  map[string]*bucket{},
		coverage: map[coverageKey][]KmRange{},
		out:      make([]Event, 0, 16),
		stats: Stats{
			RaisedByKind: map[borderwatch.AlertKind]uint64{},
			SuppressedBy: map[SuppressionReason]uint64{},
		},
	}
	e.intoLeft = "into_" + countryWord(dep.Border.Left)
	e.intoRight = "into_" + countryWord(dep.Border.Right)
	if e.opts.Location != nil {
		e.loc = e.opts.Location
	} else if dep.TimeZone != "" {
		if e.loc, err = time.LoadLocation(dep.TimeZone); err != nil {
			return nil, fmt.Errorf("rules: deployment %s: time_zone %q: %w", dep.Name, dep.TimeZone, err)
		}
	} else {
		e.loc = time.UTC
	}
	if e.opts.TrackTTL == 0 {
		e.opts.TrackTTL = 10 * time.Minute
	}
	if e.opts.Rearm == 0 {
		e.opts.Rearm = 2 * time.Minute
	}
	if e.opts.Correlation.DistanceM == 0 {
		e.opts.Correlation.DistanceM = 500
	}
	if e.opts.Correlation.Window == 0 {
		e.opts.Correlation.Window = 2 * time.Minute
	}
	if e.opts.RateLimit.Burst == 0 {
		e.opts.RateLimit.Burst = math.Max(1, e.opts.RateLimit.PerMinute)
	}
	if e.opts.Monitor == "" {
		e.opts.Monitor = MonitorSeen
	}
	if e.opts.Night.SunBelowDeg == 0 && e.opts.Night.Hours == "" {
		e.opts.Night.SunBelowDeg = -6
	}
	if err := e.validateOptions(); err != nil {
		return nil, err
	}

	// Sectors and their parameters.
	def := DayNight{
		Day:   opts.Default.Day.withDefaults(DefaultParams),
		Night: opts.Default.Night.withDefaults(DefaultNightParams),
	}
	if err := def.Day.validate("default.day"); err != nil {
		return nil, err
	}
	if err := def.Night.validate("default.night"); err != nil {
		return nil, err
	}
	known := map[string]bool{}
	for _, s := range dep.Sectors {
		known[s.ID] = true
		dn := opts.Sectors[s.ID]
		st := sectorState{
			s:   s,
			mid: line.PointAt((s.FromKm + s.ToKm) / 2),
			day: dn.Day.withDefaults(def.Day), night: dn.Night.withDefaults(def.Night),
		}
		if err := st.day.validate("sectors." + s.ID + ".day"); err != nil {
			return nil, err
		}
		if err := st.night.validate("sectors." + s.ID + ".night"); err != nil {
			return nil, err
		}
		e.sectors = append(e.sectors, st)
	}
	for id := range opts.Sectors {
		if !known[id] {
			return nil, fmt.Errorf("rules: sectors.%s: no such sector in deployment %s", id, dep.Name)
		}
	}
	if len(e.sectors) == 0 {
		e.sectors = []sectorState{{s: borderwatch.Sector{ID: "", FromKm: 0, ToKm: line.Length()}, mid: line.PointAt(line.Length() / 2), day: def.Day, night: def.Night}}
	}
	sort.SliceStable(e.sectors, func(i, j int) bool { return e.sectors[i].s.FromKm < e.sectors[j].s.FromKm })
	reach, loiterM, crossingM := 0.0, 0.0, 0.0
	for _, s := range e.sectors {
		for _, p := range [2]Params{s.day, s.night} {
			reach = max(reach, p.ApproachKm*1000)
			loiterM = max(loiterM, p.LoiterM)
			crossingM = max(crossingM, p.CrossingRadiusM)
		}
	}

	// The border, densified along its geodesics.
	segs := densifyLine(line, dep.Border.Line)

	// Barriers.
	var barSegs []barSeg
	for i, b := range dep.Barriers {
		pts := line.OffsetSlice(b.FromKm, b.ToKm, b.OffsetM)
		for _, s := range densify(pts) {
			barSegs = append(barSegs, barSeg{a: s[0], b: s[1], barrier: int32(i)})
		}
		e.barriers = append(e.barriers, b)
	}

	// Crossings.
	xpos := make([]borderwatch.LatLon, len(dep.Crossings))
	for i, c := range dep.Crossings {
		e.crossings = append(e.crossings, crossingState{c: c})
		xpos[i] = c.Position
	}

	// Zones with rules.
	rules := opts.Zones
	if rules == nil {
		rules = defaultZoneRules(dep)
	}
	zoneByID := map[string]int{}
	for i, z := range dep.Zones {
		zoneByID[z.ID] = i
	}
	rings := make([][]borderwatch.LatLon, 0, len(rules))
	for i, r := range rules {
		zi, ok := zoneByID[r.Zone]
		if !ok {
			return nil, fmt.Errorf("rules: zones[%d].zone = %q: no such zone in deployment %s", i, r.Zone, dep.Name)
		}
		zs := zoneState{zone: dep.Zones[zi], rule: r, classes: r.Classes}
		if zs.rule.Severity == "" {
			zs.rule.Severity = borderwatch.SeverityMedium
		}
		if zs.rule.Severity.Rank() == 0 {
			return nil, fmt.Errorf("rules: zones[%d].severity = %q: unknown severity", i, r.Severity)
		}
		if len(r.Triggers) == 0 {
			return nil, fmt.Errorf("rules: zones[%d].triggers: empty, want some of enter, exit, inside, cross, dwell", i)
		}
		for _, t := range r.Triggers {
			b, ok := triggerBits[t]
			if !ok {
				return nil, fmt.Errorf("rules: zones[%d].triggers: %q: unknown trigger, want enter, exit, inside, cross or dwell", i, t)
			}
			zs.triggers |= b
		}
		if zs.triggers&bitDwell != 0 && r.Dwell <= 0 {
			return nil, fmt.Errorf("rules: zones[%d].dwell = %v: the dwell trigger needs a positive dwell", i, r.Dwell)
		}
		if len(zs.zone.Ring) < 4 {
			return nil, fmt.Errorf("rules: zones[%d]: zone %s has %d ring points, need at least 4", i, r.Zone, len(zs.zone.Ring))
		}
		e.zones = append(e.zones, zs)
		rings = append(rings, zs.zone.Ring)
	}

	// Herding areas.
	for i, h := range opts.Herding {
		hs := herdingState{area: h}
		if len(h.Months) == 0 {
			return nil, fmt.Errorf("rules: herding[%d] (%s).months: empty", i, h.ID)
		}
		for _, m := range h.Months {
			if m < time.January || m > time.December {
				return nil, fmt.Errorf("rules: herding[%d] (%s).months: %d: not a month 1-12", i, h.ID, m)
			}
			hs.months |= 1 << uint(m)
		}
		if len(h.Ring) == 0 && !(h.ToKm > h.FromKm) {
			return nil, fmt.Errorf("rules: herding[%d] (%s): needs a ring or from_km < to_km", i, h.ID)
		}
		if len(h.Ring) > 0 && len(h.Ring) < 4 {
			return nil, fmt.Errorf("rules: herding[%d] (%s).ring: %d points, need at least 4 (closed)", i, h.ID, len(h.Ring))
		}
		e.herding = append(e.herding, hs)
	}

	e.g = buildGrid(gridInput{
		segs: segs, reachM: reach + 500,
		barSegs: barSegs, loiterM: loiterM,
		crossings: xpos, crossingM: crossingM,
		zones: rings,
	})

	// Sensors, drones, units.
	for i := range dep.Sensors {
		s := &dep.Sensors[i]
		st := &sourceState{id: s.ID, sensor: s, pos: s.Position, posKnown: true}
		st.sector = e.sectorIndex(e.g.locateOrLine(line, s.Position).km)
		e.sources[s.ID] = st
		e.sourceOrder = append(e.sourceOrder, st)
		if s.Site != "" {
			e.siteOf[s.ID] = s.Site
		}
	}
	for i := range dep.Drones {
		d := &dep.Drones[i]
		st := &sourceState{id: d.ID, drone: d}
		if base, ok := dep.Site(d.Base); ok {
			st.pos, st.posKnown = base.Position, true
			st.sector = e.sectorIndex(e.g.locateOrLine(line, base.Position).km)
		}
		e.sources[d.ID] = st
		e.sourceOrder = append(e.sourceOrder, st)
	}
	sectorIdx := map[string]int{}
	for i, s := range e.sectors {
		sectorIdx[s.s.ID] = i
	}
	for i := range dep.Units {
		u := &dep.Units[i]
		us := &unitState{u: u, sector: sectorIdx[u.Sector]}
		if base, ok := dep.Site(u.Base); ok {
			us.pos = base.Position
		}
		e.units[u.ID] = us
		e.unitOrder = append(e.unitOrder, us)
	}
	return e, nil
}

func (e *Engine) validateOptions() error {
	o := e.opts
	if o.Night.Hours != "" {
		if _, _, ok := borderwatch.ParseHours(o.Night.Hours); !ok {
			return fmt.Errorf("rules: night.hours = %q: want HH:MM-HH:MM", o.Night.Hours)
		}
	}
	if o.Night.SunBelowDeg < -18 || o.Night.SunBelowDeg > 10 {
		return fmt.Errorf("rules: night.sun_below_deg = %v: must be in [-18, 10]", o.Night.SunBelowDeg)
	}
	if o.RateLimit.PerMinute < 0 || o.RateLimit.Burst < 0 {
		return fmt.Errorf("rules: rate_limit = %+v: must not be negative", o.RateLimit)
	}
	if o.Correlation.DistanceM < 0 || o.Correlation.Window < 0 {
		return fmt.Errorf("rules: correlation = %+v: must not be negative", o.Correlation)
	}
	if o.Monitor != MonitorSeen && o.Monitor != MonitorAll {
		return fmt.Errorf("rules: monitor = %q: want seen or all", o.Monitor)
	}
	return nil
}

func countryWord(c borderwatch.Country) string {
	w := c.Name
	if w == "" {
		w = c.Code
	}
	return strings.ReplaceAll(strings.ToLower(w), " ", "_")
}

// densifyLine cuts every border segment into geodesic pieces of at most
// maxSegKm and gives each vertex its side rule.
func densifyLine(line *geo.Line, pts []borderwatch.LatLon) []lineSeg {
	var segs []lineSeg
	for i := 1; i < len(pts); i++ {
		a, b := pts[i-1], pts[i]
		d, az, _ := geo.Inverse(a, b)
		k := max(1, int(math.Ceil(d/1000/maxSegKm)))
		km0 := line.VertexChainage(i - 1)
		prev := a
		for j := 1; j <= k; j++ {
			next := b
			if j < k {
				next = geo.Direct(a, az, d*float64(j)/float64(k))
			}
			segs = append(segs, lineSeg{a: prev, b: next, km0: km0 + d/1000*float64(j-1)/float64(k), lenKm: d / 1000 / float64(k)})
			prev = next
		}
	}
	for i := range segs {
		if i == 0 {
			segs[i].sideA = 0
		} else {
			segs[i].sideA = vertexSide(segs[i-1], segs[i])
		}
		if i == len(segs)-1 {
			segs[i].sideB = 0
		} else {
			segs[i].sideB = vertexSide(segs[i], segs[i+1])
		}
	}
	return segs
}

// vertexSide is the side of the wedge of points nearest to the vertex
// between segments in and out: the outside of the turn.
func vertexSide(in, out lineSeg) int8 {
	ky, kx := metresPerDeg(in.b.Lat)
	ix, iy := (in.b.Lon-in.a.Lon)*kx, (in.b.Lat-in.a.Lat)*ky
	ox, oy := (out.b.Lon-out.a.Lon)*kx, (out.b.Lat-out.a.Lat)*ky
	cr := ix*oy - iy*ox
	switch {
	case cr > 1e-9*math.Hypot(ix, iy)*math.Hypot(ox, oy):
		return -1 // left turn: the wedge is on the right
	case cr < -1e-9*math.Hypot(ix, iy)*math.Hypot(ox, oy):
		return 1
	}
	return sideUseSegment
}

// densify cuts a polyline into straight pieces of at most maxSegKm.
func densify(pts []borderwatch.LatLon) [][2]borderwatch.LatLon {
	var out [][2]borderwatch.LatLon
	for i := 1; i < len(pts); i++ {
		a, b := pts[i-1], pts[i]
		k := max(1, int(math.Ceil(pointDist(a, b)/1000/maxSegKm)))
		prev := a
		for j := 1; j <= k; j++ {
			f := float64(j) / float64(k)
			next := borderwatch.LatLon{Lat: a.Lat + f*(b.Lat-a.Lat), Lon: a.Lon + f*(b.Lon-a.Lon)}
			out = append(out, [2]borderwatch.LatLon{prev, next})
			prev = next
		}
	}
	return out
}

// locateOrLine is locate, falling back to the exact line for points
// beyond the grid's reach (cold path).
func (g *grid) locateOrLine(line *geo.Line, p borderwatch.LatLon) loc {
	l := g.locate(p)
	if l.near {
		return l
	}
	st := line.Locate(p)
	l.km = st.Chainage
	l.dist = math.Abs(st.Offset)
	return l
}

// sectorIndex returns the index of the sector holding chainage km,
// clamping to the first and last sector.
func (e *Engine) sectorIndex(km float64) int {
	s := e.sectors
	// Sectors are few (≈10): a linear scan beats a binary search.
	for i := range s {
		if km < s[i].s.ToKm {
			return i
		}
	}
	return len(s) - 1
}

// params returns the parameters of sector i at time tn (Unix ns).
func (e *Engine) params(i int, tn int64) *Params {
	s := &e.sectors[i]
	minute := tn / int64(time.Minute)
	if !s.nightCached || minute != s.nightMinute {
		s.nightMinute, s.nightCached = minute, true
		s.isNight = e.isNight(s.mid, time.Unix(0, tn))
	}
	if s.isNight {
		return &s.night
	}
	return &s.day
}

func (e *Engine) isNight(p borderwatch.LatLon, t time.Time) bool {
	if e.opts.Night.Hours != "" {
		c := borderwatch.Crossing{Status: borderwatch.CrossingOpen, Hours: e.opts.Night.Hours}
		return c.OpenAt(t.In(e.loc))
	}
	return SunElevation(p.Lat, p.Lon, t) < e.opts.Night.SunBelowDeg
}

// Night reports whether rules treat sector id as at night at t.
func (e *Engine) Night(sector string, t time.Time) bool {
	for i := range e.sectors {
		if e.sectors[i].s.ID == sector {
			return e.params(i, t.UnixNano()) == &e.sectors[i].night
		}
	}
	return false
}

// crossingOpen reports whether crossing i is open at t, caching per minute.
func (e *Engine) crossingOpen(i int32, t time.Time) bool {
	c := &e.crossings[i]
	minute := t.Unix() / 60
	if !c.valid || c.minute != minute {
		c.minute, c.valid = minute, true
		c.open = c.c.OpenAt(t.In(e.loc))
	}
	return c.open
}

// SetCrossing changes a crossing's status and hours at run time (a
// decision of the authorities, a security closure). hours as in
// borderwatch.Crossing: "24h", "HH:MM-HH:MM" or "" for closed.
func (e *Engine) SetCrossing(id string, status borderwatch.CrossingStatus, hours string) error {
	if !status.Valid() {
		return borderwatch.Errorf(borderwatch.EINVALID, "crossing %s: status %q: want open, restricted or closed", id, status)
	}
	if status != borderwatch.CrossingClosed {
		if _, _, ok := borderwatch.ParseHours(hours); !ok {
			return borderwatch.Errorf(borderwatch.EINVALID, "crossing %s: hours %q: want 24h or HH:MM-HH:MM", id, hours)
		}
	}
	for i := range e.crossings {
		if e.crossings[i].c.ID == id {
			e.crossings[i].c.Status, e.crossings[i].c.Hours = status, hours
			e.crossings[i].valid = false
			return nil
		}
	}
	return borderwatch.Errorf(borderwatch.ENOTFOUND, "crossing %s: not in the deployment", id)
}

// Track evaluates one track update. Friendly tracks never alarm; tentative
// tracks update their state but raise nothing until confirmed (a line
// crossing seen while tentative is raised on confirmation, and dropped if
// the track is deleted first). A track with Status deleted is forgotten.
//
// For a track update that fires nothing this does not allocate.
func (e *Engine) Track(t *borderwatch.Track) []Event {
	e.out = e.out[:0]
	e.stats.TrackUpdates++
	if t.Status == borderwatch.TrackDeleted {
		delete(e.tracks, t.ID)
		return e.out
	}
	ts := e.tracks[t.ID]
	if ts == nil {
		ts = &trackState{closedX: -1}
		e.tracks[t.ID] = ts
	}
	now := t.Time.UnixNano()
	p := t.Position
	l := e.g.locate(p)
	si := e.sectorIndex(l.km)
	prm := e.params(si, now)
	friendly := t.Affiliation == borderwatch.AffFriend
	fire := !friendly && t.Status != borderwatch.TrackTentative

	if friendly && t.UnitID != "" {
		e.noteAsset(t.UnitID, p)
	}
	if l.side != 0 {
		if ts.has && ts.side != 0 && l.side != ts.side {
			e.lineCrossed(t, ts, l, prm, friendly)
		}
		ts.side = l.side
	}
	if !friendly {
		if fire && ts.pending != nil {
			f := *ts.pending
			ts.pending = nil
			e.raise(&f)
		}
		e.approach(t, ts, l, si, prm, now, fire)
		e.loiter(t, ts, l, si, prm, now, fire)
		e.closedCrossing(t, ts, l, si, prm, fire)
		if len(e.zones) > 0 {
			e.zoneRules(t, ts, l, si, now, fire)
		}
	}
	ts.pos, ts.t, ts.has = p, now, true
	return e.out
}

func (e *Engine) direction(side int8) string {
	switch side {
	case 1:
		return e.intoLeft
	case -1:
		return e.intoRight
	}
	return ""
}

// trackFinding fills the parts of a finding that come from a track.
func (e *Engine) trackFinding(kind borderwatch.AlertKind, sev borderwatch.Severity, t *borderwatch.Track, si int) finding {
	return finding{
		kind: kind, sev: sev, t: t.Time, pos: t.Position, sector: si,
		trackID: t.ID, sources: t.Sources, class: t.Class, subject: t.ID,
		label: e.labelFor(t.Label, si), exercise: t.Exercise,
		correlate: true, limit: true,
	}
}

func (e *Engine) labelFor(l borderwatch.Label, si int) borderwatch.Label {
	if l.Owner != "" {
		return l
	}
	if a, ok := e.dep.Agency(e.sectors[si].s.Agency); ok {
		return a.Label()
	}
	return borderwatch.Label{Owner: e.sectors[si].s.Agency}
}

func (e *Engine) lineCrossed(t *borderwatch.Track, ts *trackState, l loc, prm *Params, friendly bool) {
	pt, km, side := t.Position, l.km, l.side
	if cr, ok := e.line.Cross(ts.pos, t.Position); ok {
		pt, km = cr.Point, cr.Chainage
		if cr.Direction == geo.Left {
			side = 1
		} else {
			side = -1
		}
	} else if !l.near {
		km = e.line.Locate(t.Position).Chainage
	}
	si := e.sectorIndex(km)
	if xi, open := e.nearCrossing(pt, prm.CrossingRadiusM, t.Time); xi >= 0 && open {
		e.stats.LegalCrossings++
		return
	}
	f := e.trackFinding(borderwatch.AlertCrossing, borderwatch.SeverityCritical, t, si)
	f.pos, f.km, f.dir = pt, km, e.direction(side)
	f.msg = fmt.Sprintf("%s %s track %s crossed the border at km %.1f %s", t.Affiliation, t.Class, t.ID, km, f.dir)
	if xi, _ := e.nearCrossing(pt, prm.CrossingRadiusM, t.Time); xi >= 0 {
		f.msg += " at closed crossing " + e.crossings[xi].c.Name
	}
	if friendly {
		e.suppress(&f, SuppressFriendly, t.UnitID, "friendly unit "+t.UnitID+" crossed the line")
		return
	}
	if t.Status == borderwatch.TrackTentative {
		ts.pending = &f
		return
	}
	e.raise(&f)
}

// nearCrossing returns the nearest crossing within radius of p and whether
// it is open at t, or -1.
func (e *Engine) nearCrossing(p borderwatch.LatLon, radius float64, t time.Time) (int32, bool) {
	best, bd := int32(-1), math.Inf(1)
	for i := range e.crossings {
		if d := pointDist(p, e.crossings[i].c.Position); d <= radius && d < bd {
			best, bd = int32(i), d
		}
	}
	if best < 0 {
		return -1, false
	}
	return best, e.crossingOpen(best, t)
}

func unknownish(a borderwatch.Affiliation) bool {
	return a == borderwatch.AffUnknown || a == borderwatch.AffSuspect || a == borderwatch.AffHostile || a == ""
}

func (e *Engine) approach(t *borderwatch.Track, ts *trackState, l loc, si int, prm *Params, now int64, fire bool) {
	approaching := false
	if l.near && l.side != 0 && l.dist <= prm.ApproachKm*1000 && l.dist > 0 && unknownish(t.Affiliation) {
		closing := t.Velocity.East*l.ux + t.Velocity.North*l.uy
		if closing >= prm.ApproachMinSpeedMS && l.dist/closing <= prm.ApproachHorizon.Seconds() {
			approaching = true
			ts.approachLast = now
			if fire && !ts.approachFired {
				ts.approachFired = true
				e.approachAlert(t, l, si, closing)
			}
		}
	}
	if !approaching && ts.approachFired && now-ts.approachLast > int64(e.opts.Rearm) {
		ts.approachFired = false
	}
}

func (e *Engine) approachAlert(t *borderwatch.Track, l loc, si int, closing float64) {
	c := t.Contact
	if c == nil {
		ttc := l.dist / closing
		ky, kx := metresPerDeg(t.Position.Lat)
		ahead := borderwatch.LatLon{
			Lat: t.Position.Lat + t.Velocity.North*ttc/ky,
			Lon: t.Position.Lon + t.Velocity.East*ttc/kx,
		}
		st := e.line.Locate(ahead)
		c = &borderwatch.BorderContact{Chainage: st.Chainage, Point: st.Point, Time: t.Time.Add(time.Duration(ttc * float64(time.Second)))}
	} else {
		cc := *c
		c = &cc
	}
	f := e.trackFinding(borderwatch.AlertApproach, borderwatch.SeverityMedium, t, si)
	f.km, f.dir, f.contact, f.offsetM = c.Chainage, e.direction(-l.side), c, l.dist
	f.msg = fmt.Sprintf("%s %s track %s %.1f km from the line heading for km %.1f, contact in %s", t.Affiliation, t.Class, t.ID,
		l.dist/1000, c.Chainage, c.Time.Sub(t.Time).Round(time.Second))
	prm := e.params(si, t.Time.UnixNano())
	if xi, open := e.nearCrossing(c.Point, prm.CrossingRadiusM, c.Time); xi >= 0 && open {
		e.suppress(&f, SuppressOpenCrossing, e.crossings[xi].c.ID, "heading for open crossing "+e.crossings[xi].c.Name)
		return
	}
	e.raise(&f)
}

func (e *Engine) loiter(t *borderwatch.Track, ts *trackState, l loc, si int, prm *Params, now int64, fire bool) {
	d, bi := e.g.barrierDist(l.cell, t.Position)
	if d > prm.LoiterM {
		ts.atBarrier, ts.loiterFired = false, false
		return
	}
	if !ts.atBarrier {
		ts.atBarrier, ts.barrierSince = true, now
	}
	if fire && !ts.loiterFired && now-ts.barrierSince >= int64(prm.LoiterDwell) {
		ts.loiterFired = true
		b := &e.barriers[bi]
		f := e.trackFinding(borderwatch.AlertLoiter, borderwatch.SeverityMedium, t, si)
		f.km, f.ref = l.km, b.ID
		f.msg = fmt.Sprintf("%s %s track %s loitering %.0f m from %s %s for %s", t.Affiliation, t.Class, t.ID, d, b.Kind, b.ID,
			time.Duration(now-ts.barrierSince).Round(time.Second))
		e.raise(&f)
	}
}

func (e *Engine) closedCrossing(t *borderwatch.Track, ts *trackState, l loc, si int, prm *Params, fire bool) {
	in := int32(-1)
	if l.cell >= 0 {
		for _, xi := range e.g.crossings.at(l.cell) {
			if pointDist(t.Position, e.crossings[xi].c.Position) <= prm.CrossingRadiusM {
				in = xi
				break
			}
		}
	}
	if in != ts.closedX {
		ts.closedX, ts.closedFired = in, false
	}
	if in < 0 || !fire || ts.closedFired {
		return
	}
	if math.Hypot(t.Velocity.East, t.Velocity.North) < prm.ClosedMinSpeedMS || e.crossingOpen(in, t.Time) {
		return
	}
	ts.closedFired = true
	c := &e.crossings[in].c
	f := e.trackFinding(borderwatch.AlertClosedCrossing, borderwatch.SeverityHigh, t, si)
	f.km, f.ref = l.km, c.ID
	f.msg = fmt.Sprintf("%s %s track %s moving at closed crossing %s (%s, hours %q)", t.Affiliation, t.Class, t.ID, c.Name, c.Status, c.Hours)
	e.raise(&f)
}

// noteAsset records the position of a friendly unit or drone from its
// track.
func (e *Engine) noteAsset(id string, p borderwatch.LatLon) {
	if u := e.units[id]; u != nil {
		u.pos = p
		return
	}
	if s := e.sources[id]; s != nil && s.drone != nil {
		s.pos, s.posKnown = p, true
	}
}

// Forget drops a track's state (the tracker deleted it).
func (e *Engine) Forget(trackID string) { delete(e.tracks, trackID) }

// Tick runs the time-driven rules at now: sensors and drones gone silent,
// patrols overdue at a check-in; it also forgets tracks not updated for
// TrackTTL and ends correlation windows. Call it about once a second with
// the event-time clock.
func (e *Engine) Tick(now time.Time) []Event {
	e.out = e.out[:0]
	tn := now.UnixNano()
	if !e.ticked {
		e.ticked, e.firstTick = true, tn
	}
	for _, st := range e.sourceOrder {
		if st.dark {
			continue
		}
		last := st.last
		if !st.seen {
			if e.opts.Monitor != MonitorAll || st.sensor == nil {
				continue
			}
			last = e.firstTick
		}
		prm := e.params(st.sector, tn)
		if tn-last > int64(prm.HeartbeatTimeout) {
			e.goDark(st, now, fmt.Sprintf("silent for %s", time.Duration(tn-last).Round(time.Second)))
		}
	}
	for _, us := range e.unitOrder {
		e.checkOverdue(us, now)
	}
	ttl := int64(e.opts.TrackTTL)
	for id, ts := range e.tracks {
		if tn-ts.t > ttl {
			delete(e.tracks, id)
		}
	}
	e.pruneActive(tn)
	return e.out
}

// Stats returns the counters; the maps are copies.
func (e *Engine) Stats() Stats {
	s := e.stats
	s.RaisedByKind = make(map[borderwatch.AlertKind]uint64, len(e.stats.RaisedByKind))
	for k, v := range e.stats.RaisedByKind {
		s.RaisedByKind[k] = v
	}
	s.SuppressedBy = make(map[SuppressionReason]uint64, len(e.stats.SuppressedBy))
	for k, v := range e.stats.SuppressedBy {
		s.SuppressedBy[k] = v
	}
	s.Tracks = len(e.tracks)
	s.OpenAlerts = len(e.active)
	for _, st := range e.sourceOrder {
		if st.dark {
			s.DarkSources++
		}
	}
	return s
}
