package rules

import (
	"fmt"
	"hash/fnv"
	"math"
	"slices"
	"time"

	"github.com/borderwatch/borderwatch"
)

// finding is a rule firing, before false-alarm control decides whether it
// becomes a new alert, joins an open one or is suppressed.
type finding struct {
	kind     borderwatch.AlertKind
	sev      borderwatch.Severity
	t        time.Time
	pos      borderwatch.LatLon
	km       float64
	offsetM  float64 // distance from the line, when known
	dir      string
	sector   int
	trackID  string
	sources  []string
	class    borderwatch.Class
	subject  string // what the alert is about: track, sensor, unit id
	ref      string // the zone, barrier or crossing it concerns
	msg      string
	label    borderwatch.Label
	exercise bool
	contact  *borderwatch.BorderContact
	coverage *Coverage
	// correlate lets the finding join an open alert; limit charges it to
	// its sources' rate limits.
	correlate, limit bool
}

// activeAlert is an open alert held for correlation.
type activeAlert struct {
	a         borderwatch.Alert
	ref       string
	last      int64 // Unix ns of the last finding that joined it
	escalated bool
}

// correlates reports whether findings of kinds a and b may be one event:
// the same kind, or a fence/ground-sensor breach and a line crossing.
func correlates(a, b borderwatch.AlertKind) bool {
	if a == b {
		return true
	}
	return (a == borderwatch.AlertBreach && b == borderwatch.AlertCrossing) ||
		(a == borderwatch.AlertCrossing && b == borderwatch.AlertBreach)
}

func up(s borderwatch.Severity) borderwatch.Severity {
	switch s {
	case borderwatch.SeverityInfo:
		return borderwatch.SeverityLow
	case borderwatch.SeverityLow:
		return borderwatch.SeverityMedium
	case borderwatch.SeverityMedium:
		return borderwatch.SeverityHigh
	}
	return borderwatch.SeverityCritical
}

// alertID is stable: the same finding always gets the same id.
func alertID(prefix string, kind borderwatch.AlertKind, subject, ref string, t time.Time) string {
	h := fnv.New64a()
	fmt.Fprintf(h, "%s|%s|%s|%d", kind, subject, ref, t.UnixNano())
	return fmt.Sprintf("%s-%s-%016x", prefix, kind, h.Sum64())
}

// independent reports whether srcs hold two sources that fail
// independently: different ids not mounted on the same site.
func (e *Engine) independent(srcs []string) bool {
	for i := range srcs {
		for j := i + 1; j < len(srcs); j++ {
			a, b := srcs[i], srcs[j]
			if a == b {
				continue
			}
			sa, sb := e.siteOf[a], e.siteOf[b]
			if sa == "" || sa != sb {
				return true
			}
		}
	}
	return false
}

func (e *Engine) alertOf(f *finding, id string, state borderwatch.AlertState) borderwatch.Alert {
	a := borderwatch.Alert{
		ID: id, Kind: f.kind, Severity: f.sev, State: state, Time: f.t,
		Sector: e.sectors[f.sector].s.ID, Position: f.pos, Chainage: f.km, Direction: f.dir,
		SourceIDs: slices.Clone(f.sources), Message: f.msg, Label: f.label, Exercise: f.exercise,
	}
	if f.trackID != "" {
		a.TrackIDs = []string{f.trackID}
	}
	return a
}

func (e *Engine) emit(typ EventType, t time.Time, a *borderwatch.Alert, f *finding) {
	ev := Event{Type: typ, Time: t, Alert: *a}
	ev.Alert.TrackIDs = slices.Clone(a.TrackIDs)
	ev.Alert.SourceIDs = slices.Clone(a.SourceIDs)
	if f != nil {
		ev.Contact, ev.Coverage = f.contact, f.coverage
	}
	e.out = append(e.out, ev)
}

// raise runs a finding through false-alarm control: class-aware
// suppression, correlation with open alerts, rate limits and escalation.
func (e *Engine) raise(f *finding) *borderwatch.Alert {
	prm := e.params(f.sector, f.t.UnixNano())
	if f.class == borderwatch.ClassAnimal {
		if h := e.herdingAt(f); h != nil {
			e.suppress(f, SuppressHerding, h.area.ID, fmt.Sprintf("animal in herding area %s in season (%s)", h.area.Name, f.t.In(e.loc).Month()))
			return nil
		}
		if f.sev.Rank() > prm.AnimalMaxSeverity.Rank() {
			f.sev = prm.AnimalMaxSeverity
		}
	}
	tn := f.t.UnixNano()
	if f.correlate {
		if a := e.correlate(f, tn); a != nil {
			return &a.a
		}
	}
	if f.limit && e.opts.RateLimit.PerMinute > 0 && len(f.sources) > 0 &&
		(f.sev != borderwatch.SeverityCritical || e.opts.RateLimit.LimitCritical) {
		if !e.takeToken(f.sources, tn) {
			e.suppress(f, SuppressRateLimit, f.sources[0], fmt.Sprintf("sources %v over %.0f alerts/min", f.sources, e.opts.RateLimit.PerMinute))
			return nil
		}
	}
	escalated := false
	if e.independent(f.sources) {
		f.sev, escalated = up(f.sev), true
		if f.class == borderwatch.ClassAnimal && f.sev.Rank() > prm.AnimalMaxSeverity.Rank() {
			f.sev = prm.AnimalMaxSeverity
		}
	}
	a := e.alertOf(f, alertID("al", f.kind, f.subject, f.ref, f.t), borderwatch.AlertOpen)
	e.stats.Raised++
	e.stats.RaisedByKind[f.kind]++
	e.emit(EventRaised, f.t, &a, f)
	if f.correlate {
		if len(e.active) >= 4096 {
			e.pruneActive(tn)
		}
		e.active = append(e.active, &activeAlert{a: a, ref: f.ref, last: tn, escalated: escalated})
		return &e.active[len(e.active)-1].a
	}
	return &a
}

// correlate joins f to an open alert of a correlating kind that shares its
// track, or lies within the correlation distance, within the window.
func (e *Engine) correlate(f *finding, tn int64) *activeAlert {
	win := int64(e.opts.Correlation.Window)
	var best *activeAlert
	bestD := math.Inf(1)
	for _, a := range e.active {
		if !correlates(a.a.Kind, f.kind) || a.ref != f.ref || tn-a.last > win || a.last-tn > win {
			continue
		}
		if f.trackID != "" && slices.Contains(a.a.TrackIDs, f.trackID) {
			best = a
			break
		}
		if d := pointDist(a.a.Position, f.pos); d <= e.opts.Correlation.DistanceM && d < bestD {
			best, bestD = a, d
		}
	}
	if best == nil {
		return nil
	}
	e.stats.Correlated++
	a := &best.a
	changed := false
	if f.trackID != "" && !slices.Contains(a.TrackIDs, f.trackID) {
		a.TrackIDs = append(a.TrackIDs, f.trackID)
		changed = true
	}
	for _, s := range f.sources {
		if !slices.Contains(a.SourceIDs, s) {
			a.SourceIDs = append(a.SourceIDs, s)
			changed = true
		}
	}
	if a.Direction == "" && f.dir != "" {
		a.Direction, a.Chainage, a.Position = f.dir, f.km, f.pos
		changed = true
	}
	best.last = max(best.last, tn)
	typ := EventUpdated
	if f.sev.Rank() > a.Severity.Rank() {
		a.Severity = f.sev
		typ = EventEscalated
	}
	if !best.escalated && e.independent(a.SourceIDs) {
		best.escalated = true
		a.Severity = up(a.Severity)
		typ = EventEscalated
	}
	if !changed && typ == EventUpdated {
		return best
	}
	if typ == EventEscalated {
		e.stats.Escalated++
	} else {
		e.stats.Updated++
	}
	e.emit(typ, f.t, a, f)
	return best
}

func (e *Engine) pruneActive(tn int64) {
	win := int64(e.opts.Correlation.Window)
	keep := e.active[:0]
	for _, a := range e.active {
		if tn-a.last <= win {
			keep = append(keep, a)
		}
	}
	clear(e.active[len(keep):])
	e.active = keep
}

func (e *Engine) suppress(f *finding, reason SuppressionReason, rule, detail string) {
	a := e.alertOf(f, alertID("al", f.kind, f.subject, f.ref, f.t), borderwatch.AlertSuppressed)
	s := &Suppression{
		ID:   alertID("sp", f.kind, f.subject, string(reason), f.t),
		Time: f.t, Reason: reason, Rule: rule, Detail: detail, Alert: a,
	}
	e.stats.Suppressed++
	e.stats.SuppressedBy[reason]++
	ev := Event{Type: EventSuppressed, Time: f.t, Alert: a, Suppression: s, Contact: f.contact}
	e.out = append(e.out, ev)
}

// herdingAt returns the herding area in season holding the finding.
func (e *Engine) herdingAt(f *finding) *herdingState {
	if len(e.herding) == 0 {
		return nil
	}
	month := f.t.In(e.loc).Month()
	for i := range e.herding {
		h := &e.herding[i]
		if h.months&(1<<uint(month)) == 0 {
			continue
		}
		ar := &h.area
		if len(ar.Ring) > 0 && !ringContains(ar.Ring, f.pos) {
			continue
		}
		if ar.ToKm > ar.FromKm {
			km, off := f.km, f.offsetM
			if f.offsetM == 0 {
				st := e.line.Locate(f.pos)
				km, off = st.Chainage, math.Abs(st.Offset)
			}
			if km < ar.FromKm || km > ar.ToKm || (ar.MaxOffsetM > 0 && off > ar.MaxOffsetM) {
				continue
			}
		}
		return h
	}
	return nil
}

// bucket is a token bucket; time is passed in.
type bucket struct {
	tokens float64
	last   int64
}

// takeToken takes one token from the first of srcs that has one.
func (e *Engine) takeToken(srcs []string, tn int64) bool {
	rate := e.opts.RateLimit.PerMinute / float64(time.Minute) // tokens per ns
	burst := e.opts.RateLimit.Burst
	for _, s := range srcs {
		b := e.buckets[s]
		if b == nil {
			b = &bucket{tokens: burst, last: tn}
			e.buckets[s] = b
		}
		if tn > b.last {
			b.tokens = math.Min(burst, b.tokens+float64(tn-b.last)*rate)
			b.last = tn
		}
		if b.tokens >= 1 {
			b.tokens--
			return true
		}
	}
	return false
}
