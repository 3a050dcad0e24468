package borderwatch

import "time"

// IncidentState is an incident's place in the response loop.
type IncidentState string

// Incident states in lifecycle order. An incident moves forward one step
// at a time (assigned may go straight to on_scene when a unit's position
// reports are sparse) and may be resolved from any unresolved state.
const (
	IncidentNew          IncidentState = "new"
	IncidentAcknowledged IncidentState = "acknowledged"
	IncidentAssigned     IncidentState = "assigned"
	IncidentEnRoute      IncidentState = "en_route"
	IncidentOnScene      IncidentState = "on_scene"
	IncidentResolved     IncidentState = "resolved"
)

// Valid reports whether s is a known incident state.
func (s IncidentState) Valid() bool {
	switch s {
	case IncidentNew, IncidentAcknowledged, IncidentAssigned, IncidentEnRoute, IncidentOnScene, IncidentResolved:
		return true
	}
	return false
}

// OutcomeKind is how an incident ended.
type OutcomeKind string

// Outcome kinds.
const (
	OutcomeApprehended OutcomeKind = "apprehended" // Persons detained
	OutcomeSeizure     OutcomeKind = "seizure"     // goods seized, see Seizures
	OutcomeFalseAlarm  OutcomeKind = "false_alarm"
	OutcomeEscaped     OutcomeKind = "escaped"
	OutcomeHandedOver  OutcomeKind = "handed_over" // handed to a partner force, see Partner
)

// Valid reports whether k is a known outcome kind.
func (k OutcomeKind) Valid() bool {
	switch k {
	case OutcomeApprehended, OutcomeSeizure, OutcomeFalseAlarm, OutcomeEscaped, OutcomeHandedOver:
		return true
	}
	return false
}

// Seizure is one kind of goods seized.
type Seizure struct {
	Goods    string  `json:"goods"`              // e.g. "cigarettes", "captagon", "weapons"
	Quantity float64 `json:"quantity,omitempty"` // in Unit
	Unit     string  `json:"unit,omitempty"`     // e.g. "cartons", "kg", "pieces"
	// ValueUSD is the estimated value in US dollars.
	ValueUSD float64 `json:"value_usd,omitempty"`
}

// Outcome records how an incident ended. Kind is the primary outcome;
// Persons and Seizures may both be filled (an apprehension with a seizure).
type Outcome struct {
	Kind     OutcomeKind `json:"kind"`
	Persons  int         `json:"persons,omitempty"`
	Seizures []Seizure   `json:"seizures,omitempty"`
	// Partner is the agency the case was handed to.
	Partner Agency `json:"partner,omitempty"`
	Notes   string `json:"notes,omitempty"`
}

// SeizureValueUSD is the total estimated value of the seizures.
func (o Outcome) SeizureValueUSD() float64 {
	v := 0.0
	for _, s := range o.Seizures {
		v += s.ValueUSD
	}
	return v
}

// TimelineAction names one step of an incident's timeline.
type TimelineAction string

// Timeline actions.
const (
	ActionOpened      TimelineAction = "opened"
	ActionAlertAdded  TimelineAction = "alert_added"
	ActionTransition  TimelineAction = "transition"
	ActionAssigned    TimelineAction = "assigned"          // a unit was tasked (may repeat)
	ActionUnitAck     TimelineAction = "unit_acknowledged" // a tasked unit acknowledged
	ActionAnswered    TimelineAction = "sop_answered"
	ActionSkipped     TimelineAction = "sop_skipped"
	ActionSOPAction   TimelineAction = "sop_action" // an SOP answer requested an action
	ActionOutcome     TimelineAction = "outcome"
	ActionNote        TimelineAction = "note"
	ActionMandatoryNA TimelineAction = "sop_mandatory_unanswered" // resolved with a mandatory step open
)

// TimelineEntry is one step of an incident: who did what, when.
type TimelineEntry struct {
	Seq    int            `json:"seq"` // 1-based position in the timeline
	Time   time.Time      `json:"time"`
	Actor  string         `json:"actor"` // operator or unit id, "system" for automatic steps
	Action TimelineAction `json:"action"`
	From   IncidentState  `json:"from,omitempty"`
	To     IncidentState  `json:"to,omitempty"`
	UnitID string         `json:"unit_id,omitempty"`
	// AlertID names the alert added by ActionAlertAdded.
	AlertID string `json:"alert_id,omitempty"`
	// StepID and Answer belong to SOP actions.
	StepID string `json:"step_id,omitempty"`
	Answer string `json:"answer,omitempty"`
	Detail string `json:"detail,omitempty"`
}

// SOPChoice is one answer to an SOP step and where it leads.
type SOPChoice struct {
	Answer string `json:"answer"` // e.g. "yes", "no"
	// Next is the id of the following step; "" ends the checklist.
	Next string `json:"next,omitempty"`
	// Action is what the answer requires, e.g. "request_army_support";
	// it is recorded on the timeline and the checklist.
	Action string `json:"action,omitempty"`
}

// SOPStep is one question or instruction of a standard operating
// procedure. A step without Choices is a confirmation whose only answer is
// "done" and which continues at Next.
type SOPStep struct {
	ID        string      `json:"id"`
	Prompt    string      `json:"prompt"`
	Mandatory bool        `json:"mandatory,omitempty"`
	Choices   []SOPChoice `json:"choices,omitempty"`
	Next      string      `json:"next,omitempty"`
}

// SOP is a small decision tree for one kind of incident: the checklist
// starts at Start and each answer picks the next step.
type SOP struct {
	Kind  AlertKind `json:"kind"`
	Name  string    `json:"name"`
	Start string    `json:"start"`
	Steps []SOPStep `json:"steps"`
}

// Step returns the step with the given id.
func (s *SOP) Step(id string) (SOPStep, bool) {
	for _, st := range s.Steps {
		if st.ID == id {
			return st, true
		}
	}
	return SOPStep{}, false
}

// ChecklistRecord is what happened to one SOP step of an incident.
type ChecklistRecord struct {
	StepID    string    `json:"step_id"`
	Prompt    string    `json:"prompt"`
	Mandatory bool      `json:"mandatory,omitempty"`
	Answer    string    `json:"answer,omitempty"`
	Action    string    `json:"action,omitempty"`
	Skipped   bool      `json:"skipped,omitempty"`
	Reason    string    `json:"reason,omitempty"` // why it was skipped
	Actor     string    `json:"actor"`
	Time      time.Time `json:"time"`
}

// Checklist is an incident's walk through its SOP.
type Checklist struct {
	SOP string `json:"sop"` // the SOP's name
	// Current is the id of the step waiting for an answer; "" when the
	// checklist is complete.
	Current string            `json:"current,omitempty"`
	Records []ChecklistRecord `json:"records,omitempty"`
	// Actions lists the actions answers asked for, in order.
	Actions []string `json:"actions,omitempty"`
	// SkippedMandatory counts mandatory steps skipped or left open at
	// resolution.
	SkippedMandatory int `json:"skipped_mandatory,omitempty"`
}

// ResponseTimes are the moments of the response loop; a zero time means
// the moment has not happened.
type ResponseTimes struct {
	Detected     time.Time `json:"detected"`              // the earliest alert's event time
	Alerted      time.Time `json:"alerted"`               // the incident was raised to operators
	Acknowledged time.Time `json:"acknowledged,omitzero"` // an operator acknowledged it
	Dispatched   time.Time `json:"dispatched,omitzero"`   // the first unit was assigned
	EnRoute      time.Time `json:"en_route,omitzero"`     // the first unit moved towards the scene
	OnScene      time.Time `json:"on_scene,omitzero"`     // the first unit arrived
	Resolved     time.Time `json:"resolved,omitzero"`
}

// Incident is the response to one or more correlated alerts.
type Incident struct {
	ID       string        `json:"id"`
	Kind     AlertKind     `json:"kind"` // the kind of the alert that opened it
	Severity Severity      `json:"severity"`
	State    IncidentState `json:"state"`
	Sector   string        `json:"sector"`
	Position LatLon        `json:"position"`
	Chainage float64       `json:"chainage_km"`
	Title    string        `json:"title"`

	AlertIDs []string `json:"alert_ids"`
	TrackIDs []string `json:"track_ids,omitempty"`
	// Units lists the units assigned, first assigned first.
	Units []string `json:"units,omitempty"`

	Outcome   *Outcome        `json:"outcome,omitempty"`
	Timeline  []TimelineEntry `json:"timeline"`
	Checklist Checklist       `json:"checklist"`
	Times     ResponseTimes   `json:"times"`

	Label    Label `json:"label"`
	Exercise bool  `json:"exercise,omitempty"`
}
