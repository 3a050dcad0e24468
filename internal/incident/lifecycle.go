package incident

import (
	"fmt"
	"slices"
	"time"

	"github.com/borderwatch/borderwatch"
)

// transitions lists the allowed moves: forward one step, assigned straight
// to on scene (a unit whose position reports are sparse), and any
// unresolved state to resolved (a false alarm closed before dispatch).
var transitions = map[borderwatch.IncidentState][]borderwatch.IncidentState{
	borderwatch.IncidentNew:          {borderwatch.IncidentAcknowledged, borderwatch.IncidentResolved},
	borderwatch.IncidentAcknowledged: {borderwatch.IncidentAssigned, borderwatch.IncidentResolved},
	borderwatch.IncidentAssigned:     {borderwatch.IncidentEnRoute, borderwatch.IncidentOnScene, borderwatch.IncidentResolved},
	borderwatch.IncidentEnRoute:      {borderwatch.IncidentOnScene, borderwatch.IncidentResolved},
	borderwatch.IncidentOnScene:      {borderwatch.IncidentResolved},
}

// CanTransition reports whether an incident may go from one state to the
// other.
func CanTransition(from, to borderwatch.IncidentState) bool {
	return slices.Contains(transitions[from], to)
}

func order(s borderwatch.IncidentState) int {
	switch s {
	case borderwatch.IncidentNew:
		return 0
	case borderwatch.IncidentAcknowledged:
		return 1
	case borderwatch.IncidentAssigned:
		return 2
	case borderwatch.IncidentEnRoute:
		return 3
	case borderwatch.IncidentOnScene:
		return 4
	}
	return 5
}

// transition moves inc to state to, or returns an ECONFLICT error.
func (s *Service) transition(inc *borderwatch.Incident, to borderwatch.IncidentState, actor, unit, detail string, at time.Time) error {
	if !CanTransition(inc.State, to) {
		return borderwatch.Errorf(borderwatch.ECONFLICT, "incident %s: cannot go from %s to %s", inc.ID, inc.State, to)
	}
	from := inc.State
	inc.State = to
	t := &inc.Times
	switch to {
	case borderwatch.IncidentAcknowledged:
		t.Acknowledged = at
	case borderwatch.IncidentAssigned:
		t.Dispatched = at
	case borderwatch.IncidentEnRoute:
		t.EnRoute = at
	case borderwatch.IncidentOnScene:
		if t.EnRoute.IsZero() {
			t.EnRoute = at
		}
		t.OnScene = at
	case borderwatch.IncidentResolved:
		t.Resolved = at
	}
	s.log(inc, borderwatch.TimelineEntry{Time: at, Actor: actor, Action: borderwatch.ActionTransition, From: from, To: to, UnitID: unit, Detail: detail})
	return nil
}

func (s *Service) do(id string, f func(inc *borderwatch.Incident) error) (borderwatch.Incident, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	inc, err := s.get(id)
	if err != nil {
		return borderwatch.Incident{}, err
	}
	if err := f(inc); err != nil {
		return borderwatch.Incident{}, err
	}
	return clone(inc), nil
}

// Acknowledge records that an operator took the incident.
func (s *Service) Acknowledge(id, actor string, at time.Time) (borderwatch.Incident, error) {
	return s.do(id, func(inc *borderwatch.Incident) error {
		return s.transition(inc, borderwatch.IncidentAcknowledged, actor, "", "", at)
	})
}

// Assign tasks a unit. The first assignment moves an acknowledged incident
// to assigned (the dispatch moment); later ones add reinforcements without
// a state change. Assigning to a new (unacknowledged) or resolved incident
// is an ECONFLICT error.
func (s *Service) Assign(id, unitID, actor string, at time.Time) (borderwatch.Incident, error) {
	if unitID == "" {
		return borderwatch.Incident{}, borderwatch.Errorf(borderwatch.EINVALID, "incident %s: assign: empty unit id", id)
	}
	return s.do(id, func(inc *borderwatch.Incident) error {
		if slices.Contains(inc.Units, unitID) {
			return borderwatch.Errorf(borderwatch.ECONFLICT, "incident %s: unit %s already assigned", inc.ID, unitID)
		}
		switch inc.State {
		case borderwatch.IncidentAcknowledged:
			if err := s.transition(inc, borderwatch.IncidentAssigned, actor, unitID, "", at); err != nil {
				return err
			}
		case borderwatch.IncidentAssigned, borderwatch.IncidentEnRoute, borderwatch.IncidentOnScene:
		default:
			return borderwatch.Errorf(borderwatch.ECONFLICT, "incident %s: cannot assign a unit when %s", inc.ID, inc.State)
		}
		inc.Units = append(inc.Units, unitID)
		s.log(inc, borderwatch.TimelineEntry{Time: at, Actor: actor, Action: borderwatch.ActionAssigned, UnitID: unitID})
		return nil
	})
}

// unitPhase moves the incident forward when an assigned unit reports a
// phase; a later unit reaching a phase the incident already passed is
// recorded as a note.
func (s *Service) unitPhase(id, unitID string, to borderwatch.IncidentState, at time.Time) (borderwatch.Incident, error) {
	return s.do(id, func(inc *borderwatch.Incident) error {
		if !slices.Contains(inc.Units, unitID) {
			return borderwatch.Errorf(borderwatch.EINVALID, "incident %s: unit %s is not assigned", inc.ID, unitID)
		}
		if inc.State != borderwatch.IncidentResolved && order(inc.State) >= order(to) {
			s.log(inc, borderwatch.TimelineEntry{Time: at, Actor: unitID, Action: borderwatch.ActionNote, UnitID: unitID, Detail: fmt.Sprintf("unit %s %s", unitID, to)})
			return nil
		}
		return s.transition(inc, to, unitID, unitID, "", at)
	})
}

// UnitAcknowledged records that an assigned unit acknowledged its task
// (explicitly, or by reacting in its position reports). It does not change
// the state.
func (s *Service) UnitAcknowledged(id, unitID string, at time.Time) (borderwatch.Incident, error) {
	return s.do(id, func(inc *borderwatch.Incident) error {
		if !slices.Contains(inc.Units, unitID) {
			return borderwatch.Errorf(borderwatch.EINVALID, "incident %s: unit %s is not assigned", inc.ID, unitID)
		}
		s.log(inc, borderwatch.TimelineEntry{Time: at, Actor: unitID, Action: borderwatch.ActionUnitAck, UnitID: unitID})
		return nil
	})
}

// EnRoute records that an assigned unit is moving to the scene (from its
// acknowledgement or its position reports).
func (s *Service) EnRoute(id, unitID string, at time.Time) (borderwatch.Incident, error) {
	return s.unitPhase(id, unitID, borderwatch.IncidentEnRoute, at)
}

// OnScene records that an assigned unit arrived.
func (s *Service) OnScene(id, unitID string, at time.Time) (borderwatch.Incident, error) {
	return s.unitPhase(id, unitID, borderwatch.IncidentOnScene, at)
}

// ValidateOutcome checks an outcome's fields against its kind.
func ValidateOutcome(o borderwatch.Outcome) error {
	switch {
	case !o.Kind.Valid():
		return borderwatch.Errorf(borderwatch.EINVALID, "outcome kind %q: want apprehended, seizure, false_alarm, escaped or handed_over", o.Kind)
	case o.Persons < 0:
		return borderwatch.Errorf(borderwatch.EINVALID, "outcome persons %d: must not be negative", o.Persons)
	case o.Kind == borderwatch.OutcomeApprehended && o.Persons == 0:
		return borderwatch.Errorf(borderwatch.EINVALID, "outcome apprehended: persons must be at least 1")
	case o.Kind == borderwatch.OutcomeSeizure && len(o.Seizures) == 0:
		return borderwatch.Errorf(borderwatch.EINVALID, "outcome seizure: list the goods seized")
	case o.Kind == borderwatch.OutcomeHandedOver && o.Partner == "":
		return borderwatch.Errorf(borderwatch.EINVALID, "outcome handed_over: name the partner agency")
	}
	for i, z := range o.Seizures {
		if z.Goods == "" || z.Quantity < 0 || z.ValueUSD < 0 {
			return borderwatch.Errorf(borderwatch.EINVALID, "outcome seizures[%d]: goods required, quantity and value not negative", i)
		}
	}
	return nil
}

// Resolve closes the incident with its outcome. Mandatory SOP steps still
// open are recorded on the timeline and counted as skipped.
func (s *Service) Resolve(id string, o borderwatch.Outcome, actor string, at time.Time) (borderwatch.Incident, error) {
	if err := ValidateOutcome(o); err != nil {
		return borderwatch.Incident{}, err
	}
	return s.do(id, func(inc *borderwatch.Incident) error {
		if err := s.transition(inc, borderwatch.IncidentResolved, actor, "", "", at); err != nil {
			return err
		}
		s.closeChecklist(inc, actor, at)
		oc := o
		oc.Seizures = slices.Clone(o.Seizures)
		inc.Outcome = &oc
		detail := string(o.Kind)
		switch {
		case o.Persons > 0 && len(o.Seizures) > 0:
			detail = fmt.Sprintf("%s: %d persons, seizure worth $%.0f", o.Kind, o.Persons, o.SeizureValueUSD())
		case o.Persons > 0:
			detail = fmt.Sprintf("%s: %d persons", o.Kind, o.Persons)
		case len(o.Seizures) > 0:
			detail = fmt.Sprintf("%s: worth $%.0f", o.Kind, o.SeizureValueUSD())
		case o.Partner != "":
			detail = fmt.Sprintf("%s to %s", o.Kind, o.Partner)
		}
		s.log(inc, borderwatch.TimelineEntry{Time: at, Actor: actor, Action: borderwatch.ActionOutcome, Detail: detail})
		return nil
	})
}

// Note adds free text to the timeline.
func (s *Service) Note(id, text, actor string, at time.Time) (borderwatch.Incident, error) {
	return s.do(id, func(inc *borderwatch.Incident) error {
		s.log(inc, borderwatch.TimelineEntry{Time: at, Actor: actor, Action: borderwatch.ActionNote, Detail: text})
		return nil
	})
}

// Answer answers the checklist's current step. Answering another step is
// an ECONFLICT error (the checklist is a path, not a form); an answer not
// among the step's choices is EINVALID. A step without choices takes the
// answer "done".
func (s *Service) Answer(id, stepID, answer, actor string, at time.Time) (borderwatch.Incident, error) {
	return s.do(id, func(inc *borderwatch.Incident) error {
		st, err := s.current(inc, stepID)
		if err != nil {
			return err
		}
		next, action := st.Next, ""
		if len(st.Choices) == 0 {
			if answer != "done" {
				return borderwatch.Errorf(borderwatch.EINVALID, "incident %s: step %s is a confirmation: answer \"done\", not %q", inc.ID, st.ID, answer)
			}
		} else {
			i := slices.IndexFunc(st.Choices, func(c borderwatch.SOPChoice) bool { return c.Answer == answer })
			if i < 0 {
				want := make([]string, len(st.Choices))
				for j, c := range st.Choices {
					want[j] = c.Answer
				}
				return borderwatch.Errorf(borderwatch.EINVALID, "incident %s: step %s: answer %q: want one of %v", inc.ID, st.ID, answer, want)
			}
			next, action = st.Choices[i].Next, st.Choices[i].Action
		}
		cl := &inc.Checklist
		cl.Records = append(cl.Records, borderwatch.ChecklistRecord{StepID: st.ID, Prompt: st.Prompt, Mandatory: st.Mandatory, Answer: answer, Action: action, Actor: actor, Time: at})
		s.log(inc, borderwatch.TimelineEntry{Time: at, Actor: actor, Action: borderwatch.ActionAnswered, StepID: st.ID, Answer: answer, Detail: st.Prompt})
		if action != "" {
			cl.Actions = append(cl.Actions, action)
			s.log(inc, borderwatch.TimelineEntry{Time: at, Actor: actor, Action: borderwatch.ActionSOPAction, StepID: st.ID, Detail: action})
		}
		cl.Current = next
		return nil
	})
}

// Skip skips the checklist's current step with a reason. Skipping a
// mandatory step is allowed — the operator may have to — but recorded and
// counted. The checklist continues at the step's Next, or for a decision
// step without one at its first choice's next step.
func (s *Service) Skip(id, stepID, reason, actor string, at time.Time) (borderwatch.Incident, error) {
	return s.do(id, func(inc *borderwatch.Incident) error {
		st, err := s.current(inc, stepID)
		if err != nil {
			return err
		}
		if reason == "" {
			return borderwatch.Errorf(borderwatch.EINVALID, "incident %s: skip step %s: give a reason", inc.ID, st.ID)
		}
		cl := &inc.Checklist
		cl.Records = append(cl.Records, borderwatch.ChecklistRecord{StepID: st.ID, Prompt: st.Prompt, Mandatory: st.Mandatory, Skipped: true, Reason: reason, Actor: actor, Time: at})
		detail := reason
		if st.Mandatory {
			cl.SkippedMandatory++
			detail = "mandatory step skipped: " + reason
		}
		s.log(inc, borderwatch.TimelineEntry{Time: at, Actor: actor, Action: borderwatch.ActionSkipped, StepID: st.ID, Detail: detail})
		next := st.Next
		if next == "" && len(st.Choices) > 0 {
			next = st.Choices[0].Next
		}
		cl.Current = next
		return nil
	})
}

func (s *Service) current(inc *borderwatch.Incident, stepID string) (borderwatch.SOPStep, error) {
	if inc.State == borderwatch.IncidentResolved {
		return borderwatch.SOPStep{}, borderwatch.Errorf(borderwatch.ECONFLICT, "incident %s is resolved", inc.ID)
	}
	sop, ok := s.opts.SOPs[inc.Kind]
	if !ok || inc.Checklist.Current == "" {
		return borderwatch.SOPStep{}, borderwatch.Errorf(borderwatch.ECONFLICT, "incident %s: checklist complete", inc.ID)
	}
	if stepID != inc.Checklist.Current {
		return borderwatch.SOPStep{}, borderwatch.Errorf(borderwatch.ECONFLICT, "incident %s: step %s is not current (current: %s)", inc.ID, stepID, inc.Checklist.Current)
	}
	st, ok := sop.Step(stepID)
	if !ok {
		return borderwatch.SOPStep{}, borderwatch.Errorf(borderwatch.EINTERNAL, "incident %s: step %s missing from SOP %s", inc.ID, stepID, sop.Name)
	}
	return st, nil
}

// closeChecklist records mandatory steps left on the path at resolution:
// the current step and the steps its default continuation reaches.
func (s *Service) closeChecklist(inc *borderwatch.Incident, actor string, at time.Time) {
	sop, ok := s.opts.SOPs[inc.Kind]
	if !ok {
		return
	}
	cl := &inc.Checklist
	visited := map[string]bool{}
	for id := cl.Current; id != "" && !visited[id]; {
		visited[id] = true
		st, ok := sop.Step(id)
		if !ok {
			break
		}
		if st.Mandatory {
			cl.SkippedMandatory++
			cl.Records = append(cl.Records, borderwatch.ChecklistRecord{StepID: st.ID, Prompt: st.Prompt, Mandatory: true, Skipped: true, Reason: "open at resolution", Actor: actor, Time: at})
			s.log(inc, borderwatch.TimelineEntry{Time: at, Actor: actor, Action: borderwatch.ActionMandatoryNA, StepID: st.ID, Detail: st.Prompt})
		}
		// Follow only unambiguous continuations: a decision step's branch
		// is unknown.
		if len(st.Choices) > 0 {
			break
		}
		id = st.Next
	}
	cl.Current = ""
}
