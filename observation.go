package borderwatch

import "time"

// Class is what a detected object is believed to be.
type Class string

// Object classes. Unknown is the class of a detection that says nothing.
const (
	ClassUnknown  Class = "unknown"
	ClassPerson   Class = "person"
	ClassVehicle  Class = "vehicle"
	ClassAnimal   Class = "animal"
	ClassAircraft Class = "aircraft"
)

// Classes lists the classes a tracker fuses over, in a fixed order.
var Classes = [...]Class{ClassPerson, ClassVehicle, ClassAnimal, ClassUnknown}

// Valid reports whether c is one of the known classes.
func (c Class) Valid() bool {
	switch c {
	case ClassUnknown, ClassPerson, ClassVehicle, ClassAnimal, ClassAircraft:
		return true
	}
	return false
}

// SourceKind is the kind of thing that produced an observation.
type SourceKind string

// Source kinds.
const (
	SourceThermalCamera SourceKind = "thermal_camera"
	SourceRadar         SourceKind = "radar"
	SourceGroundSensor  SourceKind = "ground_sensor"
	SourceFence         SourceKind = "fence_sensor"
	SourceDrone         SourceKind = "drone"
	SourcePatrol        SourceKind = "patrol"     // a unit's TAK phone
	SourceWatchtower    SourceKind = "watchtower" // an observer's spot report
	SourceIntel         SourceKind = "intel"      // a human report, informant, partner force
	SourceExternal      SourceKind = "external"   // an integrator over HTTP
)

// Source identifies the sensor or unit an observation came from.
type Source struct {
	ID   string     `json:"id"`
	Kind SourceKind `json:"kind"`
}

// Bearing is a measurement relative to a known sensor pose: an azimuth and
// optionally a range. It is used when a sensor cannot place a detection on
// the ground itself (a camera without ranging, an acoustic sensor).
type Bearing struct {
	// Sensor is the sensor's position when it measured.
	Sensor LatLon `json:"sensor"`
	// Azimuth is degrees clockwise from true north, [0, 360).
	Azimuth float64 `json:"azimuth"`
	// AzimuthSigma is the 1-sigma azimuth error in degrees, > 0.
	AzimuthSigma float64 `json:"azimuth_sigma"`
	// Range in metres; zero means bearing-only.
	Range float64 `json:"range,omitempty"`
	// RangeSigma is the 1-sigma range error in metres; required with Range.
	RangeSigma float64 `json:"range_sigma,omitempty"`
}

// Observation is the one canonical input of the system: everything a
// sensor, patrol phone, drone or integrator tells us becomes one.
//
// An observation carries either a Position (with Cov) or a Bearing. A
// Friendly observation is a unit's report of its own position (a patrol's
// phone, a drone's telemetry); every other observation is a detection of
// something that may or may not be friendly.
type Observation struct {
	// ID is unique per observation; ingest assigns one when the source did not.
	ID string `json:"id"`
	// Time is the event time, when the source saw it (not arrival time).
	Time   time.Time `json:"time"`
	Source Source    `json:"source"`

	Position *LatLon  `json:"position,omitempty"`
	Cov      Cov2     `json:"cov,omitzero"`
	Bearing  *Bearing `json:"bearing,omitempty"`
	// Alt is metres above the WGS84 ellipsoid, when known.
	Alt      *float64  `json:"alt,omitempty"`
	Velocity *Velocity `json:"velocity,omitempty"`

	Class      Class   `json:"class"`
	Confidence float64 `json:"confidence"` // of Class, 0..1

	// Friendly marks a self-report by a friendly unit; UnitID names it.
	Friendly bool   `json:"friendly,omitempty"`
	UnitID   string `json:"unit_id,omitempty"`

	// Stale is when the information stops being current (CoT stale); zero
	// means the receiver decides.
	Stale time.Time `json:"stale,omitzero"`

	Attrs map[string]string `json:"attrs,omitempty"`
	Label Label             `json:"label"`
	// Exercise marks injected training traffic; it must never be mistaken
	// for real activity anywhere it is shown or exported.
	Exercise bool `json:"exercise,omitempty"`
}
