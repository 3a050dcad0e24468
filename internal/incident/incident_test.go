package incident

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/borderwatch/borderwatch"
)

var t0 = time.Date(2025, 6, 16, 1, 0, 0, 0, time.UTC)

func alert(id string, kind borderwatch.AlertKind, sev borderwatch.Severity, lat float64, tm time.Time, tracks ...string) borderwatch.Alert {
	return borderwatch.Alert{
		ID: id, Kind: kind, Severity: sev, State: borderwatch.AlertOpen, Time: tm, Sector: "north",
		Position: borderwatch.LatLon{Lat: lat, Lon: 41}, Chainage: 12.3, TrackIDs: tracks, Message: string(kind) + " " + id,
		Label: borderwatch.Label{Owner: "ibg", ReleasableTo: []borderwatch.Agency{"army"}},
	}
}

func newService(t *testing.T, o Options) *Service {
	t.Helper()
	s, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestAlertOpensAndCorrelates(t *testing.T) {
	s := newService(t, Options{})
	inc, ok, err := s.Alert(alert("a1", borderwatch.AlertCrossing, borderwatch.SeverityCritical, 34.5, t0, "T1"), t0.Add(40*time.Millisecond))
	if err != nil || !ok || inc.State != borderwatch.IncidentNew || inc.Kind != borderwatch.AlertCrossing || !slices.Equal(inc.AlertIDs, []string{"a1"}) {
		t.Fatalf("open: %+v %v %v", inc, ok, err)
	}
	if inc.Checklist.Current != "verify" || inc.Times.Detected != t0 || inc.Times.Alerted != t0.Add(40*time.Millisecond) {
		t.Fatalf("checklist/times: %+v %+v", inc.Checklist, inc.Times)
	}
	tests := []struct {
		name   string
		a      borderwatch.Alert
		wantOK bool
		wantID string
	}{
		{"same track joins", alert("a2", borderwatch.AlertApproach, borderwatch.SeverityMedium, 34.9, t0.Add(time.Minute), "T1"), true, inc.ID},
		{"nearby joins", alert("a3", borderwatch.AlertBreach, borderwatch.SeverityHigh, 34.5005, t0.Add(2*time.Minute)), true, inc.ID},
		{"far and low stays an alert", alert("a4", borderwatch.AlertLoiter, borderwatch.SeverityMedium, 34.9, t0.Add(3*time.Minute), "T9"), false, ""},
		{"far and high opens another", alert("a5", borderwatch.AlertBreach, borderwatch.SeverityHigh, 34.9, t0.Add(3*time.Minute)), true, ""},
		{"nearby but after the window opens another", alert("a6", borderwatch.AlertCrossing, borderwatch.SeverityCritical, 34.5, t0.Add(time.Hour)), true, ""},
		{"update of a known alert", alert("a1", borderwatch.AlertCrossing, borderwatch.SeverityCritical, 34.5, t0, "T1", "T2"), true, inc.ID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok, err := s.Alert(tt.a, tt.a.Time)
			if err != nil || ok != tt.wantOK {
				t.Fatalf("ok %v err %v", ok, err)
			}
			if tt.wantID != "" && got.ID != tt.wantID {
				t.Fatalf("joined %s, want %s", got.ID, tt.wantID)
			}
			if tt.wantOK && tt.wantID == "" && got.ID == inc.ID {
				t.Fatalf("joined the first incident")
			}
		})
	}
	got, _ := s.Get(inc.ID)
	if !slices.Equal(got.AlertIDs, []string{"a1", "a2", "a3"}) || !slices.Equal(got.TrackIDs, []string{"T1", "T2"}) {
		t.Fatalf("incident %+v", got)
	}
	st := s.Stats()
	if st.Alerts != 6 || st.Incidents != 3 || st.AlertsInIncidents != 5 || st.IncidentsPerAlert != 0.5 {
		t.Fatalf("stats %+v", st)
	}
	if _, ok, _ := s.Alert(borderwatch.Alert{ID: "s1", State: borderwatch.AlertSuppressed, Severity: borderwatch.SeverityCritical}, t0); ok {
		t.Fatal("suppressed alert opened an incident")
	}
	m := newService(t, Options{ManualOnly: true})
	if _, ok, _ := m.Alert(alert("a1", borderwatch.AlertCrossing, borderwatch.SeverityCritical, 34.5, t0), t0); ok {
		t.Fatal("manual only")
	}
}

func TestLifecycle(t *testing.T) {
	type step struct {
		op   string
		unit string
		want borderwatch.ErrorCode
		st   borderwatch.IncidentState
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"full loop", []step{
			{"ack", "", "", borderwatch.IncidentAcknowledged},
			{"assign", "qrf-1", "", borderwatch.IncidentAssigned},
			{"enroute", "qrf-1", "", borderwatch.IncidentEnRoute},
			{"onscene", "qrf-1", "", borderwatch.IncidentOnScene},
			{"resolve", "", "", borderwatch.IncidentResolved},
		}},
		{"unit acknowledges", []step{{"ack", "", "", borderwatch.IncidentAcknowledged}, {"assign", "qrf-1", "", borderwatch.IncidentAssigned}, {"unitack", "qrf-1", "", borderwatch.IncidentAssigned}, {"unitack", "p-9", borderwatch.EINVALID, borderwatch.IncidentAssigned}}},
		{"assign before ack", []step{{"assign", "qrf-1", borderwatch.ECONFLICT, borderwatch.IncidentNew}}},
		{"en route without assignment", []step{{"ack", "", "", borderwatch.IncidentAcknowledged}, {"enroute", "qrf-1", borderwatch.EINVALID, borderwatch.IncidentAcknowledged}}},
		{"ack twice", []step{{"ack", "", "", borderwatch.IncidentAcknowledged}, {"ack", "", borderwatch.ECONFLICT, borderwatch.IncidentAcknowledged}}},
		{"sparse reports: assigned to on scene", []step{{"ack", "", "", borderwatch.IncidentAcknowledged}, {"assign", "qrf-1", "", borderwatch.IncidentAssigned}, {"onscene", "qrf-1", "", borderwatch.IncidentOnScene}}},
		{"second unit arrives later", []step{{"ack", "", "", borderwatch.IncidentAcknowledged}, {"assign", "qrf-1", "", borderwatch.IncidentAssigned}, {"assign", "p-2", "", borderwatch.IncidentAssigned},
			{"onscene", "qrf-1", "", borderwatch.IncidentOnScene}, {"enroute", "p-2", "", borderwatch.IncidentOnScene}}},
		{"assign twice", []step{{"ack", "", "", borderwatch.IncidentAcknowledged}, {"assign", "qrf-1", "", borderwatch.IncidentAssigned}, {"assign", "qrf-1", borderwatch.ECONFLICT, borderwatch.IncidentAssigned}}},
		{"false alarm from new", []step{{"resolve", "", "", borderwatch.IncidentResolved}, {"ack", "", borderwatch.ECONFLICT, borderwatch.IncidentResolved}, {"resolve", "", borderwatch.ECONFLICT, borderwatch.IncidentResolved}}},
		{"unknown incident", []step{{"ghost", "", borderwatch.ENOTFOUND, borderwatch.IncidentNew}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newService(t, Options{})
			inc, _, _ := s.Alert(alert("a1", borderwatch.AlertCrossing, borderwatch.SeverityCritical, 34.5, t0, "T1"), t0)
			tm := t0
			for i, st := range tt.steps {
				tm = tm.Add(time.Minute)
				var err error
				switch st.op {
				case "ack":
					_, err = s.Acknowledge(inc.ID, "op-1", tm)
				case "assign":
					_, err = s.Assign(inc.ID, st.unit, "op-1", tm)
				case "unitack":
					_, err = s.UnitAcknowledged(inc.ID, st.unit, tm)
				case "enroute":
					_, err = s.EnRoute(inc.ID, st.unit, tm)
				case "onscene":
					_, err = s.OnScene(inc.ID, st.unit, tm)
				case "resolve":
					_, err = s.Resolve(inc.ID, borderwatch.Outcome{Kind: borderwatch.OutcomeFalseAlarm}, "op-1", tm)
				case "ghost":
					_, err = s.Acknowledge("inc-nope", "op-1", tm)
				}
				if got := borderwatch.ErrorCodeOf(err); got != st.want {
					t.Fatalf("step %d %s: error %v, want code %q", i, st.op, err, st.want)
				}
				cur, _ := s.Get(inc.ID)
				if cur.State != st.st {
					t.Fatalf("step %d %s: state %s, want %s", i, st.op, cur.State, st.st)
				}
			}
			cur, _ := s.Get(inc.ID)
			for i, e := range cur.Timeline {
				if e.Seq != i+1 || e.Time.IsZero() || e.Actor == "" {
					t.Fatalf("timeline entry %d: %+v", i, e)
				}
			}
		})
	}
}

func TestSOPBranching(t *testing.T) {
	type ans struct{ step, answer string }
	tests := []struct {
		name        string
		answers     []ans
		wantActions []string
		wantCurrent string
	}{
		{"armed: request army support", []ans{{"verify", "confirmed"}, {"armed", "yes"}, {"army", "done"}, {"intercept", "done"}, {"partner", "yes"}},
			[]string{"request_army_support", "notify_partner"}, ""},
		{"unarmed: straight to intercept", []ans{{"verify", "confirmed"}, {"armed", "no"}}, nil, "intercept"},
		{"not seen: drone search", []ans{{"verify", "not_seen"}, {"search", "no"}}, []string{"task_drone_search", "close_escaped"}, ""},
		{"false alarm ends it", []ans{{"verify", "false_alarm"}}, []string{"close_false_alarm"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newService(t, Options{})
			inc, _, _ := s.Alert(alert("a1", borderwatch.AlertCrossing, borderwatch.SeverityCritical, 34.5, t0), t0)
			var err error
			for i, a := range tt.answers {
				if inc, err = s.Answer(inc.ID, a.step, a.answer, "op-1", t0.Add(time.Duration(i+1)*time.Minute)); err != nil {
					t.Fatal(err)
				}
			}
			if !slices.Equal(inc.Checklist.Actions, tt.wantActions) || inc.Checklist.Current != tt.wantCurrent {
				t.Fatalf("actions %v current %q", inc.Checklist.Actions, inc.Checklist.Current)
			}
		})
	}
	s := newService(t, Options{})
	inc, _, _ := s.Alert(alert("a1", borderwatch.AlertCrossing, borderwatch.SeverityCritical, 34.5, t0), t0)
	for _, bad := range []struct {
		step, answer string
		code         borderwatch.ErrorCode
	}{{"armed", "yes", borderwatch.ECONFLICT}, {"verify", "maybe", borderwatch.EINVALID}} {
		if _, err := s.Answer(inc.ID, bad.step, bad.answer, "op-1", t0); borderwatch.ErrorCodeOf(err) != bad.code {
			t.Errorf("Answer(%s, %s) = %v, want %s", bad.step, bad.answer, err, bad.code)
		}
	}
	// Skipping a mandatory step is allowed, recorded and counted.
	inc, err := s.Skip(inc.ID, "verify", "camera down, drone grounded by wind", "op-1", t0.Add(time.Minute))
	if err != nil || inc.Checklist.SkippedMandatory != 1 || inc.Checklist.Current != "armed" {
		t.Fatalf("skip: %+v %v", inc.Checklist, err)
	}
	last := inc.Timeline[len(inc.Timeline)-1]
	if last.Action != borderwatch.ActionSkipped || !strings.HasPrefix(last.Detail, "mandatory step skipped") {
		t.Fatalf("timeline %+v", last)
	}
	if _, err := s.Skip(inc.ID, "armed", "", "op-1", t0); borderwatch.ErrorCodeOf(err) != borderwatch.EINVALID {
		t.Fatalf("skip without reason: %v", err)
	}
	// Resolving with mandatory steps open records them.
	inc, _ = s.Answer(inc.ID, "armed", "yes", "op-1", t0.Add(2*time.Minute))
	inc, err = s.Resolve(inc.ID, borderwatch.Outcome{Kind: borderwatch.OutcomeEscaped}, "op-1", t0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	// Open at resolution: army and intercept (both mandatory).
	if inc.Checklist.SkippedMandatory != 3 || inc.Checklist.Current != "" {
		t.Fatalf("checklist %+v", inc.Checklist)
	}
	n := 0
	for _, e := range inc.Timeline {
		if e.Action == borderwatch.ActionMandatoryNA {
			n++
		}
	}
	if n != 2 || s.Stats().SkippedMandatory != 3 {
		t.Fatalf("mandatory-unanswered entries %d", n)
	}
}

func TestOutcomes(t *testing.T) {
	tests := []struct {
		name string
		o    borderwatch.Outcome
		want borderwatch.ErrorCode
	}{
		{"apprehended", borderwatch.Outcome{Kind: borderwatch.OutcomeApprehended, Persons: 4}, ""},
		{"apprehended nobody", borderwatch.Outcome{Kind: borderwatch.OutcomeApprehended}, borderwatch.EINVALID},
		{"seizure", borderwatch.Outcome{Kind: borderwatch.OutcomeSeizure, Persons: 2, Seizures: []borderwatch.Seizure{{Goods: "captagon", Quantity: 12, Unit: "kg", ValueUSD: 240000}, {Goods: "cigarettes", Quantity: 300, Unit: "cartons", ValueUSD: 4500}}}, ""},
		{"seizure of nothing", borderwatch.Outcome{Kind: borderwatch.OutcomeSeizure}, borderwatch.EINVALID},
		{"handed over", borderwatch.Outcome{Kind: borderwatch.OutcomeHandedOver, Partner: "army"}, ""},
		{"handed over to nobody", borderwatch.Outcome{Kind: borderwatch.OutcomeHandedOver}, borderwatch.EINVALID},
		{"escaped", borderwatch.Outcome{Kind: borderwatch.OutcomeEscaped}, ""},
		{"unknown", borderwatch.Outcome{Kind: "vanished"}, borderwatch.EINVALID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newService(t, Options{})
			inc, _, _ := s.Alert(alert("a1", borderwatch.AlertCrossing, borderwatch.SeverityCritical, 34.5, t0), t0)
			got, err := s.Resolve(inc.ID, tt.o, "op-1", t0.Add(time.Hour))
			if borderwatch.ErrorCodeOf(err) != tt.want {
				t.Fatalf("err %v, want %q", err, tt.want)
			}
			if err == nil && (got.Outcome == nil || got.Outcome.Kind != tt.o.Kind || got.Timeline[len(got.Timeline)-1].Action != borderwatch.ActionOutcome) {
				t.Fatalf("incident %+v", got)
			}
		})
	}
	s := newService(t, Options{})
	inc, _, _ := s.Alert(alert("a1", borderwatch.AlertCrossing, borderwatch.SeverityCritical, 34.5, t0), t0)
	s.Resolve(inc.ID, borderwatch.Outcome{Kind: borderwatch.OutcomeSeizure, Persons: 2, Seizures: []borderwatch.Seizure{{Goods: "captagon", ValueUSD: 240000}}}, "op-1", t0)
	inc2, _, _ := s.Alert(alert("b1", borderwatch.AlertCrossing, borderwatch.SeverityCritical, 34.0, t0), t0)
	s.Resolve(inc2.ID, borderwatch.Outcome{Kind: borderwatch.OutcomeFalseAlarm}, "op-1", t0)
	st := s.Stats()
	if st.Persons != 2 || st.SeizureValueUSD != 240000 || st.FalseAlarmShare != 0.5 || st.ApprehensionsPerAlert != 0.5 || st.ByOutcome[borderwatch.OutcomeSeizure] != 1 {
		t.Fatalf("stats %+v", st)
	}
}

func TestResponseTimes(t *testing.T) {
	s := newService(t, Options{})
	for i, sector := range []string{"north", "north", "south"} {
		a := alert("a"+string(rune('0'+i)), borderwatch.AlertCrossing, borderwatch.SeverityCritical, 34+float64(i), t0)
		a.Sector = sector
		inc, _, _ := s.Alert(a, t0.Add(30*time.Millisecond))
		s.Acknowledge(inc.ID, "op", t0.Add(time.Minute))
		s.Assign(inc.ID, "qrf", "op", t0.Add(time.Duration(2+i)*time.Minute))
		s.EnRoute(inc.ID, "qrf", t0.Add(time.Duration(3+i)*time.Minute))
		got, err := s.OnScene(inc.ID, "qrf", t0.Add(time.Duration(20+i)*time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		a2a, a2d, d2s, d2o, ok := Intervals(got.Times)
		if ok != [4]bool{true, true, true, true} || a2a != 30*time.Millisecond || a2d != time.Duration(2+i)*time.Minute-30*time.Millisecond || d2s != 18*time.Minute || d2o != time.Duration(20+i)*time.Minute {
			t.Fatalf("intervals %v %v %v %v %v", a2a, a2d, d2s, d2o, ok)
		}
	}
	r := s.ResponseBySector()
	if len(r) != 2 || r[0].Sector != "north" || r[0].Incidents != 2 || r[0].DetectToOnScene.N != 2 || r[0].DetectToOnScene.Max != 21*time.Minute ||
		r[0].DetectToOnScene.Mean != 20*time.Minute+30*time.Second || r[1].DispatchToOnScene.P50 != 18*time.Minute {
		t.Fatalf("response %+v", r)
	}
}

func TestOpenAttachRestore(t *testing.T) {
	s := newService(t, Options{ManualOnly: true})
	a1 := alert("a1", borderwatch.AlertLoiter, borderwatch.SeverityMedium, 34.5, t0, "T1")
	a2 := alert("a2", borderwatch.AlertLoiter, borderwatch.SeverityHigh, 34.6, t0.Add(time.Minute), "T2")
	inc, err := s.Open([]borderwatch.Alert{a1, a2}, "op-1", t0.Add(2*time.Minute))
	if err != nil || inc.Severity != borderwatch.SeverityHigh || len(inc.AlertIDs) != 2 || inc.Times.Detected != t0 {
		t.Fatalf("open %+v %v", inc, err)
	}
	if _, err := s.Open([]borderwatch.Alert{a1}, "op-1", t0); borderwatch.ErrorCodeOf(err) != borderwatch.ECONFLICT {
		t.Fatalf("reopen: %v", err)
	}
	a3 := alert("a3", borderwatch.AlertBreach, borderwatch.SeverityHigh, 30, t0)
	if inc, err = s.Attach(inc.ID, a3, "op-1", t0.Add(3*time.Minute)); err != nil || len(inc.AlertIDs) != 3 {
		t.Fatalf("attach %v", err)
	}
	r := newService(t, Options{})
	if err := r.Restore(inc); err != nil {
		t.Fatal(err)
	}
	if id, ok := r.IncidentOf("a3"); !ok || id != inc.ID {
		t.Fatal("restore lost the alert index")
	}
	// A correlated alert after a restore joins the restored incident.
	got, ok, _ := r.Alert(alert("a4", borderwatch.AlertLoiter, borderwatch.SeverityHigh, 34.6, t0.Add(4*time.Minute), "T2"), t0.Add(4*time.Minute))
	if !ok || got.ID != inc.ID {
		t.Fatalf("after restore: %v %s", ok, got.ID)
	}
	// Copies do not alias the service's state.
	got.AlertIDs[0] = "mutated"
	if again, _ := r.Get(inc.ID); again.AlertIDs[0] != "a1" {
		t.Fatal("Get returns aliased slices")
	}
}

func TestSOPValidation(t *testing.T) {
	step := func(id, next string, choices ...borderwatch.SOPChoice) borderwatch.SOPStep {
		return borderwatch.SOPStep{ID: id, Prompt: id, Next: next, Choices: choices}
	}
	tests := []struct {
		name string
		sop  borderwatch.SOP
		want string
	}{
		{"bad start", borderwatch.SOP{Start: "x", Steps: []borderwatch.SOPStep{step("a", "")}}, `incident: sops.crossing: start = "x": no such step`},
		{"bad next", borderwatch.SOP{Start: "a", Steps: []borderwatch.SOPStep{step("a", "b")}}, `incident: sops.crossing: steps[0] (a).next = "b": no such step`},
		{"cycle", borderwatch.SOP{Start: "a", Steps: []borderwatch.SOPStep{step("a", "", borderwatch.SOPChoice{Answer: "y", Next: "b"}), step("b", "a")}}, `incident: sops.crossing: steps: cycle through "a"`},
		{"duplicate answer", borderwatch.SOP{Start: "a", Steps: []borderwatch.SOPStep{step("a", "", borderwatch.SOPChoice{Answer: "y"}, borderwatch.SOPChoice{Answer: "y"})}}, `incident: sops.crossing: steps[0] (a).choices[1].answer = "y": empty or duplicate`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(Options{SOPs: map[borderwatch.AlertKind]borderwatch.SOP{borderwatch.AlertCrossing: tt.sop}})
			if err == nil || err.Error() != tt.want {
				t.Fatalf("err %v\nwant %s", err, tt.want)
			}
		})
	}
	for k, s := range DefaultSOPs() {
		if err := validateSOP(k, s); err != nil || s.Kind != k {
			t.Errorf("default SOP %s: %v", k, err)
		}
	}
}
