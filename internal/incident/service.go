// Package incident owns the response loop after an alert: incidents built
// from one or more correlated alerts, their lifecycle (new → acknowledged
// → assigned → en route → on scene → resolved), outcomes, a timeline of
// every step, the SOP checklist of each incident (a small decision tree
// per alert kind that branches on the operator's answers and records
// skipped mandatory steps), response times per incident and per sector,
// and the alert-to-incident ratio.
//
// The package is pure: no I/O and no clocks — every method takes the time
// of the action. A Service holds incidents in memory; the caller persists
// each returned Incident (or its last timeline entries) as events and can
// rebuild a Service with Restore.
package incident

import (
	"fmt"
	"hash/fnv"
	"math"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/borderwatch/borderwatch"
	"github.com/borderwatch/borderwatch/internal/geo"
)

// System is the actor of automatic steps.
const System = "system"

// Options configure a Service.
type Options struct {
	// SOPs maps alert kinds to their procedure; nil means DefaultSOPs.
	// Kinds without a procedure get an empty checklist.
	SOPs map[borderwatch.AlertKind]borderwatch.SOP
	// AutoOpen is the lowest severity at which an alert opens an incident
	// by itself; default high. ManualOnly disables automatic opening.
	AutoOpen   borderwatch.Severity
	ManualOnly bool
	// DistanceM and Window: an alert joins an unresolved incident that
	// shares one of its tracks, or lies within DistanceM, and whose last
	// alert is within Window. Defaults 1000 m and 15 min.
	DistanceM float64
	Window    time.Duration
}

// Service holds incidents. It is safe for concurrent use.
type Service struct {
	mu        sync.Mutex
	opts      Options
	byID      map[string]*borderwatch.Incident
	order     []*borderwatch.Incident
	alertInc  map[string]string // alert id → incident id
	lastAlert map[string]time.Time
	seen      map[string]int64 // alert id → first seen (Unix s), for Stats
	alerts    uint64
	inAlerts  uint64
}

// New returns a Service; the SOPs are validated.
func New(o Options) (*Service, error) {
	if o.SOPs == nil {
		o.SOPs = DefaultSOPs()
	}
	for k, s := range o.SOPs {
		if err := validateSOP(k, s); err != nil {
			return nil, err
		}
	}
	if o.AutoOpen == "" {
		o.AutoOpen = borderwatch.SeverityHigh
	}
	if o.AutoOpen.Rank() == 0 {
		return nil, fmt.Errorf("incident: auto_open = %q: unknown severity", o.AutoOpen)
	}
	if o.DistanceM == 0 {
		o.DistanceM = 1000
	}
	if o.Window == 0 {
		o.Window = 15 * time.Minute
	}
	if o.DistanceM < 0 || o.Window < 0 {
		return nil, fmt.Errorf("incident: distance_m %v / window %v: must not be negative", o.DistanceM, o.Window)
	}
	return &Service{
		opts: o, byID: map[string]*borderwatch.Incident{}, alertInc: map[string]string{},
		lastAlert: map[string]time.Time{}, seen: map[string]int64{},
	}, nil
}

func notFound(id string) error {
	return borderwatch.Errorf(borderwatch.ENOTFOUND, "incident %s: not found", id)
}

// clone returns a deep copy the caller may keep.
func clone(in *borderwatch.Incident) borderwatch.Incident {
	c := *in
	c.AlertIDs = slices.Clone(in.AlertIDs)
	c.TrackIDs = slices.Clone(in.TrackIDs)
	c.Units = slices.Clone(in.Units)
	c.Timeline = slices.Clone(in.Timeline)
	c.Checklist.Records = slices.Clone(in.Checklist.Records)
	c.Checklist.Actions = slices.Clone(in.Checklist.Actions)
	if in.Outcome != nil {
		o := *in.Outcome
		o.Seizures = slices.Clone(in.Outcome.Seizures)
		c.Outcome = &o
	}
	c.Label.ReleasableTo = slices.Clone(in.Label.ReleasableTo)
	return c
}

func (s *Service) log(inc *borderwatch.Incident, e borderwatch.TimelineEntry) {
	e.Seq = len(inc.Timeline) + 1
	inc.Timeline = append(inc.Timeline, e)
}

// Alert offers an alert from the rules (raised, updated or escalated). If
// the alert is already part of an incident, the incident takes its new
// severity, tracks and sources. Otherwise it joins a correlated unresolved
// incident, or opens a new one when its severity is at least AutoOpen. It
// reports the incident and whether the alert belongs to one; at is when the
// alert reached the service (the "alerted" moment). Suppressed alerts are
// ignored.
func (s *Service) Alert(a borderwatch.Alert, at time.Time) (borderwatch.Incident, bool, error) {
	if a.ID == "" {
		return borderwatch.Incident{}, false, borderwatch.Errorf(borderwatch.EINVALID, "alert without id")
	}
	if a.State == borderwatch.AlertSuppressed || a.State == borderwatch.AlertDismissed {
		return borderwatch.Incident{}, false, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.noteAlert(a.ID, at)
	if id, ok := s.alertInc[a.ID]; ok {
		inc := s.byID[id]
		s.merge(inc, a)
		return clone(inc), true, nil
	}
	if inc := s.correlated(a); inc != nil {
		s.attach(inc, a, System, at)
		return clone(inc), true, nil
	}
	if s.opts.ManualOnly || a.Severity.Rank() < s.opts.AutoOpen.Rank() {
		return borderwatch.Incident{}, false, nil
	}
	inc := s.open([]borderwatch.Alert{a}, System, at)
	return clone(inc), true, nil
}

func (s *Service) noteAlert(id string, at time.Time) {
	if _, ok := s.seen[id]; ok {
		return
	}
	s.alerts++
	s.seen[id] = at.Unix()
	if len(s.seen) > 100000 { // forget alerts older than a day
		cut := at.Add(-24 * time.Hour).Unix()
		for k, v := range s.seen {
			if v < cut {
				delete(s.seen, k)
			}
		}
	}
}

func (s *Service) correlated(a borderwatch.Alert) *borderwatch.Incident {
	var best *borderwatch.Incident
	bestD := math.Inf(1)
	for _, inc := range s.order {
		if inc.State == borderwatch.IncidentResolved || inc.Exercise != a.Exercise {
			continue
		}
		last := s.lastAlert[inc.ID]
		if d := a.Time.Sub(last); d > s.opts.Window || d < -s.opts.Window {
			continue
		}
		for _, t := range a.TrackIDs {
			if slices.Contains(inc.TrackIDs, t) {
				return inc
			}
		}
		if d := geo.Distance(inc.Position, a.Position); d <= s.opts.DistanceM && d < bestD {
			best, bestD = inc, d
		}
	}
	return best
}

func (s *Service) merge(inc *borderwatch.Incident, a borderwatch.Alert) {
	if a.Severity.Rank() > inc.Severity.Rank() {
		inc.Severity = a.Severity
	}
	for _, t := range a.TrackIDs {
		if !slices.Contains(inc.TrackIDs, t) {
			inc.TrackIDs = append(inc.TrackIDs, t)
		}
	}
	if a.Time.After(s.lastAlert[inc.ID]) {
		s.lastAlert[inc.ID] = a.Time
	}
	if a.Time.Before(inc.Times.Detected) {
		inc.Times.Detected = a.Time
	}
}

func (s *Service) attach(inc *borderwatch.Incident, a borderwatch.Alert, actor string, at time.Time) {
	inc.AlertIDs = append(inc.AlertIDs, a.ID)
	s.alertInc[a.ID] = inc.ID
	s.inAlerts++
	s.merge(inc, a)
	s.log(inc, borderwatch.TimelineEntry{Time: at, Actor: actor, Action: borderwatch.ActionAlertAdded, AlertID: a.ID, Detail: a.Message})
}

func incidentID(first string) string {
	h := fnv.New64a()
	h.Write([]byte(first))
	return fmt.Sprintf("inc-%016x", h.Sum64())
}

func (s *Service) open(alerts []borderwatch.Alert, actor string, at time.Time) *borderwatch.Incident {
	sort.SliceStable(alerts, func(i, j int) bool { return alerts[i].Time.Before(alerts[j].Time) })
	first := alerts[0]
	primary := first
	for _, a := range alerts {
		if a.Severity.Rank() > primary.Severity.Rank() {
			primary = a
		}
	}
	inc := &borderwatch.Incident{
		ID: incidentID(first.ID), Kind: primary.Kind, Severity: primary.Severity, State: borderwatch.IncidentNew,
		Sector: primary.Sector, Position: primary.Position, Chainage: primary.Chainage, Title: primary.Message,
		Label: primary.Label, Exercise: primary.Exercise,
		Times: borderwatch.ResponseTimes{Detected: first.Time, Alerted: at},
	}
	inc.Label.ReleasableTo = slices.Clone(primary.Label.ReleasableTo)
	s.byID[inc.ID] = inc
	s.order = append(s.order, inc)
	s.lastAlert[inc.ID] = first.Time
	s.log(inc, borderwatch.TimelineEntry{Time: at, Actor: actor, Action: borderwatch.ActionOpened, To: borderwatch.IncidentNew,
		Detail: fmt.Sprintf("%s %s at km %.1f", primary.Severity, primary.Kind, primary.Chainage)})
	if sop, ok := s.opts.SOPs[primary.Kind]; ok {
		inc.Checklist = borderwatch.Checklist{SOP: sop.Name, Current: sop.Start}
	}
	for _, a := range alerts {
		s.attach(inc, a, actor, at)
	}
	return inc
}

// Open opens an incident from alerts an operator selected. An alert that
// already belongs to an incident is an ECONFLICT error.
func (s *Service) Open(alerts []borderwatch.Alert, actor string, at time.Time) (borderwatch.Incident, error) {
	if len(alerts) == 0 {
		return borderwatch.Incident{}, borderwatch.Errorf(borderwatch.EINVALID, "open an incident: no alerts")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, a := range alerts {
		if a.ID == "" {
			return borderwatch.Incident{}, borderwatch.Errorf(borderwatch.EINVALID, "open an incident: alert without id")
		}
		if id, ok := s.alertInc[a.ID]; ok {
			return borderwatch.Incident{}, borderwatch.Errorf(borderwatch.ECONFLICT, "alert %s already belongs to incident %s", a.ID, id)
		}
		s.noteAlert(a.ID, at)
	}
	if _, dup := s.byID[incidentID(alerts[0].ID)]; dup {
		return borderwatch.Incident{}, borderwatch.Errorf(borderwatch.ECONFLICT, "incident %s exists", incidentID(alerts[0].ID))
	}
	inc := s.open(slices.Clone(alerts), actor, at)
	return clone(inc), nil
}

// Attach adds an alert to an incident by an operator's decision.
func (s *Service) Attach(id string, a borderwatch.Alert, actor string, at time.Time) (borderwatch.Incident, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	inc, err := s.get(id)
	if err != nil {
		return borderwatch.Incident{}, err
	}
	if other, ok := s.alertInc[a.ID]; ok {
		return borderwatch.Incident{}, borderwatch.Errorf(borderwatch.ECONFLICT, "alert %s already belongs to incident %s", a.ID, other)
	}
	if inc.State == borderwatch.IncidentResolved {
		return borderwatch.Incident{}, borderwatch.Errorf(borderwatch.ECONFLICT, "incident %s is resolved", id)
	}
	s.noteAlert(a.ID, at)
	s.attach(inc, a, actor, at)
	return clone(inc), nil
}

func (s *Service) get(id string) (*borderwatch.Incident, error) {
	inc, ok := s.byID[id]
	if !ok {
		return nil, notFound(id)
	}
	return inc, nil
}

// Get returns a copy of an incident.
func (s *Service) Get(id string) (borderwatch.Incident, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	inc, ok := s.byID[id]
	if !ok {
		return borderwatch.Incident{}, false
	}
	return clone(inc), true
}

// IncidentOf returns the id of the incident an alert belongs to.
func (s *Service) IncidentOf(alertID string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id, ok := s.alertInc[alertID]
	return id, ok
}

// List returns copies of all incidents in the order they were opened;
// openOnly leaves out resolved ones.
func (s *Service) List(openOnly bool) []borderwatch.Incident {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]borderwatch.Incident, 0, len(s.order))
	for _, inc := range s.order {
		if openOnly && inc.State == borderwatch.IncidentResolved {
			continue
		}
		out = append(out, clone(inc))
	}
	return out
}

// Restore puts back an incident read from the store or the log (after a
// restart). An incident with the same id is replaced.
func (s *Service) Restore(inc borderwatch.Incident) error {
	if inc.ID == "" || !inc.State.Valid() {
		return borderwatch.Errorf(borderwatch.EINVALID, "restore incident %q: missing id or invalid state %q", inc.ID, inc.State)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c := clone(&inc)
	if old, ok := s.byID[inc.ID]; ok {
		for i, o := range s.order {
			if o == old {
				s.order[i] = &c
			}
		}
	} else {
		s.order = append(s.order, &c)
		s.inAlerts += uint64(len(c.AlertIDs))
	}
	s.byID[c.ID] = &c
	for _, a := range c.AlertIDs {
		s.alertInc[a] = c.ID
		if _, ok := s.seen[a]; !ok {
			s.seen[a] = c.Times.Alerted.Unix()
			s.alerts++
		}
	}
	last := c.Times.Detected
	for _, e := range c.Timeline {
		if e.Action == borderwatch.ActionAlertAdded && e.Time.After(last) {
			last = e.Time
		}
	}
	s.lastAlert[c.ID] = last
	return nil
}
