package incident

import (
	"slices"
	"sort"
	"time"

	"github.com/borderwatch/borderwatch"
)

// Stats counts incidents and the alerts offered to the service.
type Stats struct {
	// Alerts is the number of distinct alerts offered (Alert, Open, Attach).
	Alerts uint64 `json:"alerts"`
	// AlertsInIncidents is how many of them became part of an incident.
	AlertsInIncidents uint64                            `json:"alerts_in_incidents"`
	Incidents         int                               `json:"incidents"`
	Open              int                               `json:"open"`
	ByState           map[borderwatch.IncidentState]int `json:"by_state"`
	ByOutcome         map[borderwatch.OutcomeKind]int   `json:"by_outcome"`
	Persons           int                               `json:"persons_apprehended"`
	SeizureValueUSD   float64                           `json:"seizure_value_usd"`
	SkippedMandatory  int                               `json:"skipped_mandatory"`
	// IncidentsPerAlert is the alert-to-incident ratio, Incidents/Alerts:
	// the share of alerts worth a response. ApprehensionsPerAlert is the
	// share that ended in an arrest (audits of border sensor networks
	// found it under 1 %).
	IncidentsPerAlert     float64 `json:"incidents_per_alert"`
	ApprehensionsPerAlert float64 `json:"apprehensions_per_alert"`
	// FalseAlarmShare is the share of resolved incidents that were false
	// alarms.
	FalseAlarmShare float64 `json:"false_alarm_share"`
}

// Stats returns the counters.
func (s *Service) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := Stats{
		Alerts: s.alerts, AlertsInIncidents: s.inAlerts, Incidents: len(s.order),
		ByState: map[borderwatch.IncidentState]int{}, ByOutcome: map[borderwatch.OutcomeKind]int{},
	}
	resolved, apprehended := 0, 0
	for _, inc := range s.order {
		st.ByState[inc.State]++
		st.SkippedMandatory += inc.Checklist.SkippedMandatory
		if inc.State != borderwatch.IncidentResolved {
			st.Open++
			continue
		}
		resolved++
		if o := inc.Outcome; o != nil {
			st.ByOutcome[o.Kind]++
			st.Persons += o.Persons
			st.SeizureValueUSD += o.SeizureValueUSD()
			if o.Persons > 0 {
				apprehended++
			}
		}
	}
	if st.Alerts > 0 {
		st.IncidentsPerAlert = float64(st.Incidents) / float64(st.Alerts)
		st.ApprehensionsPerAlert = float64(apprehended) / float64(st.Alerts)
	}
	if resolved > 0 {
		st.FalseAlarmShare = float64(st.ByOutcome[borderwatch.OutcomeFalseAlarm]) / float64(resolved)
	}
	return st
}

// Durations summarises one response interval over incidents.
type Durations struct {
	N    int           `json:"n"`
	Mean time.Duration `json:"mean"`
	P50  time.Duration `json:"p50"`
	P90  time.Duration `json:"p90"`
	Max  time.Duration `json:"max"`
}

func summarise(ds []time.Duration) Durations {
	if len(ds) == 0 {
		return Durations{}
	}
	slices.Sort(ds)
	var sum time.Duration
	for _, d := range ds {
		sum += d
	}
	q := func(p float64) time.Duration { return ds[min(len(ds)-1, int(p*float64(len(ds))))] }
	return Durations{N: len(ds), Mean: sum / time.Duration(len(ds)), P50: q(0.5), P90: q(0.9), Max: ds[len(ds)-1]}
}

// Response holds the response times of one sector's incidents.
type Response struct {
	Sector    string `json:"sector"`
	Incidents int    `json:"incidents"`
	// DetectToAlert: first alert's event time → incident raised.
	DetectToAlert Durations `json:"detect_to_alert"`
	// AlertToDispatch: raised → first unit assigned.
	AlertToDispatch Durations `json:"alert_to_dispatch"`
	// DispatchToOnScene: first unit assigned → first unit on scene.
	DispatchToOnScene Durations `json:"dispatch_to_on_scene"`
	// DetectToOnScene: the whole loop.
	DetectToOnScene Durations `json:"detect_to_on_scene"`
}

// Intervals returns an incident's response intervals; ok is false for
// those whose moments have not both happened.
func Intervals(t borderwatch.ResponseTimes) (detectToAlert, alertToDispatch, dispatchToOnScene, detectToOnScene time.Duration, ok [4]bool) {
	span := func(a, b time.Time) (time.Duration, bool) {
		if a.IsZero() || b.IsZero() {
			return 0, false
		}
		return b.Sub(a), true
	}
	detectToAlert, ok[0] = span(t.Detected, t.Alerted)
	alertToDispatch, ok[1] = span(t.Alerted, t.Dispatched)
	dispatchToOnScene, ok[2] = span(t.Dispatched, t.OnScene)
	detectToOnScene, ok[3] = span(t.Detected, t.OnScene)
	return
}

// ResponseBySector aggregates response times per sector, sectors sorted
// by id. Exercise incidents are left out.
func (s *Service) ResponseBySector() []Response {
	s.mu.Lock()
	defer s.mu.Unlock()
	type acc struct {
		n          int
		a, b, c, d []time.Duration
	}
	by := map[string]*acc{}
	for _, inc := range s.order {
		if inc.Exercise {
			continue
		}
		x := by[inc.Sector]
		if x == nil {
			x = &acc{}
			by[inc.Sector] = x
		}
		x.n++
		a, b, c, d, ok := Intervals(inc.Times)
		if ok[0] {
			x.a = append(x.a, a)
		}
		if ok[1] {
			x.b = append(x.b, b)
		}
		if ok[2] {
			x.c = append(x.c, c)
		}
		if ok[3] {
			x.d = append(x.d, d)
		}
	}
	out := make([]Response, 0, len(by))
	for sec, x := range by {
		out = append(out, Response{Sector: sec, Incidents: x.n,
			DetectToAlert: summarise(x.a), AlertToDispatch: summarise(x.b), DispatchToOnScene: summarise(x.c), DetectToOnScene: summarise(x.d)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Sector < out[j].Sector })
	return out
}
