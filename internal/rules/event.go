package rules

import (
	"time"

	"github.com/borderwatch/borderwatch"
)

// EventType says what happened to an alert.
type EventType string

// Event types.
const (
	// EventRaised is a new alert.
	EventRaised EventType = "raised"
	// EventUpdated is an open alert that gained tracks or sources from a
	// correlated finding.
	EventUpdated EventType = "updated"
	// EventEscalated is an open alert whose severity went up: a second
	// independent sensor confirmed it, or a more severe finding joined it.
	EventEscalated EventType = "escalated"
	// EventCleared says the alert's condition ended: the sensor reports
	// again, the patrol checked in, the drone's battery was replaced. The
	// alert stays in the operators' queue; clearing is information.
	EventCleared EventType = "cleared"
	// EventSuppressed is a finding that did not become an alert; the
	// Suppression says why, for review.
	EventSuppressed EventType = "suppressed"
)

// KmRange is a stretch of the border, FromKm ≤ ToKm.
type KmRange struct {
	FromKm float64 `json:"from_km"`
	ToKm   float64 `json:"to_km"`
}

// Coverage is what a dark sensor or drone no longer watches.
type Coverage struct {
	SourceID string `json:"source_id"`
	// Blinded is the border the source's footprint covered.
	Blinded []KmRange `json:"blinded"`
	// Uncovered is the part of Blinded that no other live sensor's
	// footprint covers: the hole.
	Uncovered []KmRange `json:"uncovered"`
}

// SuppressionReason says why a finding did not become an alert.
type SuppressionReason string

// Suppression reasons.
const (
	// SuppressFriendly: a friendly unit did what would alarm for anyone else
	// (crossed the line). Friendly tracks never alarm; the record lets a
	// supervisor spot a spoofed or mislabelled friend.
	SuppressFriendly SuppressionReason = "friendly"
	// SuppressHerding: an animal track in a herding area in season.
	SuppressHerding SuppressionReason = "herding_area"
	// SuppressRateLimit: the sensors the finding is charged to exhausted
	// their alert budget.
	SuppressRateLimit SuppressionReason = "rate_limited"
	// SuppressOpenCrossing: a track heading for an open crossing.
	SuppressOpenCrossing SuppressionReason = "open_crossing"
)

// Suppression is the reviewable record of a finding that did not become
// an alert.
type Suppression struct {
	ID     string            `json:"id"`
	Time   time.Time         `json:"time"`
	Reason SuppressionReason `json:"reason"`
	// Rule names what suppressed it: the herding area, the sensor whose
	// budget ran out, the crossing, the friendly unit.
	Rule   string `json:"rule,omitempty"`
	Detail string `json:"detail"`
	// Alert is the alert that would have been raised, State suppressed.
	Alert borderwatch.Alert `json:"alert"`
}

// Event is one output of the engine: an alert raised, updated, escalated
// or cleared, or a finding suppressed.
type Event struct {
	Type EventType `json:"type"`
	// Time is when it happened (event time of the input).
	Time time.Time `json:"time"`
	// Alert is the alert's full current state. Its slices belong to the
	// receiver.
	Alert borderwatch.Alert `json:"alert"`
	// Contact is the predicted border contact of an approach alert.
	Contact *borderwatch.BorderContact `json:"contact,omitempty"`
	// Coverage is set on sensor_dark alerts.
	Coverage *Coverage `json:"coverage,omitempty"`
	// Suppression is set on EventSuppressed.
	Suppression *Suppression `json:"suppression,omitempty"`
}

// Stats counts what the engine did since it was built.
type Stats struct {
	TrackUpdates uint64 `json:"track_updates"`
	Raised       uint64 `json:"raised"`
	Updated      uint64 `json:"updated"`
	Escalated    uint64 `json:"escalated"`
	Cleared      uint64 `json:"cleared"`
	Suppressed   uint64 `json:"suppressed"`
	// Correlated counts findings that joined an open alert instead of
	// raising a new one.
	Correlated uint64 `json:"correlated"`
	// LegalCrossings counts line crossings at an open crossing.
	LegalCrossings uint64 `json:"legal_crossings"`
	// UnknownSources counts health reports from ids not in the deployment.
	UnknownSources uint64                           `json:"unknown_sources"`
	RaisedByKind   map[borderwatch.AlertKind]uint64 `json:"raised_by_kind"`
	SuppressedBy   map[SuppressionReason]uint64     `json:"suppressed_by"`
	Tracks         int                              `json:"tracks"`
	OpenAlerts     int                              `json:"open_alerts"` // held for correlation
	DarkSources    int                              `json:"dark_sources"`
}
