package borderwatch

import "time"

// Severity ranks alerts; operators see critical first.
type Severity string

// Severities, lowest to highest.
const (
	SeverityInfo     Severity = "info"
	SeverityLow      Severity = "low"
	SeverityMedium   Severity = "medium"
	SeverityHigh     Severity = "high"
	SeverityCritical Severity = "critical"
)

// Rank orders severities: a higher rank is more severe; unknown is 0.
func (s Severity) Rank() int {
	switch s {
	case SeverityInfo:
		return 1
	case SeverityLow:
		return 2
	case SeverityMedium:
		return 3
	case SeverityHigh:
		return 4
	case SeverityCritical:
		return 5
	}
	return 0
}

// AlertKind names the rule that raised an alert.
type AlertKind string

// Alert kinds.
const (
	AlertCrossing       AlertKind = "crossing"        // the line crossed outside an open crossing
	AlertApproach       AlertKind = "approach"        // an unknown track heading for the line
	AlertLoiter         AlertKind = "loiter"          // dwelling at a barrier
	AlertBreach         AlertKind = "breach"          // a fence or ground sensor reports a breach
	AlertClosedCrossing AlertKind = "closed_crossing" // movement at a closed crossing
	AlertSensorDark     AlertKind = "sensor_dark"     // heartbeat or health lost: a coverage hole
	AlertLowBattery     AlertKind = "low_battery"
	AlertPatrolOverdue  AlertKind = "patrol_overdue"
	AlertZone           AlertKind = "zone"
)

// AlertState is an alert's place in the operator's queue.
type AlertState string

// Alert states.
const (
	AlertOpen         AlertState = "open"
	AlertAcknowledged AlertState = "acknowledged"
	AlertDismissed    AlertState = "dismissed"
	AlertSuppressed   AlertState = "suppressed"
	AlertIncident     AlertState = "incident" // became (part of) an incident
)

// Alert is a rule firing on a track, a sensor, a barrier or a crossing.
type Alert struct {
	ID       string     `json:"id"`
	Kind     AlertKind  `json:"kind"`
	Severity Severity   `json:"severity"`
	State    AlertState `json:"state"`
	Time     time.Time  `json:"time"`   // when the rule fired (event time)
	Sector   string     `json:"sector"` // sector id
	Position LatLon     `json:"position"`
	// Chainage is the border km the alert concerns.
	Chainage float64 `json:"chainage_km"`
	// Direction is "into_iraq", "into_syria" or "" for crossings.
	Direction string   `json:"direction,omitempty"`
	TrackIDs  []string `json:"track_ids,omitempty"`
	SourceIDs []string `json:"source_ids,omitempty"`
	Message   string   `json:"message"`
	// IncidentID is set once the alert is part of an incident.
	IncidentID string `json:"incident_id,omitempty"`
	Label      Label  `json:"label"`
	Exercise   bool   `json:"exercise,omitempty"`
}
