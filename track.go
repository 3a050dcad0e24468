package borderwatch

import "time"

// Affiliation is whose side a track is on.
type Affiliation string

// Affiliations, as in CoT and MIL-STD-2525.
const (
	AffUnknown Affiliation = "unknown"
	AffFriend  Affiliation = "friend"
	AffNeutral Affiliation = "neutral"
	AffSuspect Affiliation = "suspect"
	AffHostile Affiliation = "hostile"
)

// TrackStatus is where a track is in its life.
type TrackStatus string

// Track statuses. Only confirmed and coasting tracks are shown to operators.
const (
	TrackTentative TrackStatus = "tentative"
	TrackConfirmed TrackStatus = "confirmed"
	TrackCoasting  TrackStatus = "coasting"
	TrackDeleted   TrackStatus = "deleted"
)

// BorderContact is where and when a track is predicted to reach the border
// line if it keeps its course and speed.
type BorderContact struct {
	// Chainage is the border kilometre of the predicted contact point.
	Chainage float64   `json:"chainage_km"`
	Point    LatLon    `json:"point"`
	Time     time.Time `json:"time"`
}

// Track is a fused estimate of one object: a person, a group, a vehicle or
// an animal, or a friendly unit.
type Track struct {
	ID     string      `json:"id"`
	Sector string      `json:"sector"`
	Time   time.Time   `json:"time"` // time of the estimate
	Status TrackStatus `json:"status"`

	Position LatLon   `json:"position"`
	Velocity Velocity `json:"velocity"`
	Cov      Cov2     `json:"cov"`

	Class Class `json:"class"`
	// ClassProbs holds the fused probability of each class in Classes order.
	ClassProbs  [len(Classes)]float64 `json:"class_probs"`
	Affiliation Affiliation           `json:"affiliation"`
	// UnitID names the friendly unit a friend track is.
	UnitID string `json:"unit_id,omitempty"`

	// Chainage and Offset locate the track along the border: border km and
	// signed lateral offset in metres (positive on the right of the line's
	// direction of travel).
	Chainage float64 `json:"chainage_km"`
	Offset   float64 `json:"offset_m"`
	// Contact is set when the track is heading for the line.
	Contact *BorderContact `json:"contact,omitempty"`

	// Sources counts the distinct sources that contributed recently.
	Sources []string `json:"sources,omitempty"`
	Updates int      `json:"updates"`

	Label    Label `json:"label"`
	Exercise bool  `json:"exercise,omitempty"`
}
