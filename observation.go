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

// Validate checks an observation as it arrives from outside and returns
// the first problem as an EINVALID domain error naming the field.
func (o *Observation) Validate() error {
	switch {
	case o.Time.IsZero():
		return Errorf(EINVALID, "time: missing")
	case o.Source.ID == "":
		return Errorf(EINVALID, "source.id: missing")
	case o.Source.Kind == "":
		return Errorf(EINVALID, "source.kind: missing")
	case o.Position == nil && o.Bearing == nil:
		return Errorf(EINVALID, "position: missing (give a position or a bearing)")
	case o.Position != nil && o.Bearing != nil:
		return Errorf(EINVALID, "position: give a position or a bearing, not both")
	case o.Class != "" && !o.Class.Valid():
		return Errorf(EINVALID, "class: %q is not one of person, vehicle, animal, aircraft, unknown", o.Class)
	case o.Confidence < 0 || o.Confidence > 1 || o.Confidence != o.Confidence:
		return Errorf(EINVALID, "confidence: %v not in [0, 1]", o.Confidence)
	case o.Friendly && o.UnitID == "":
		return Errorf(EINVALID, "unit_id: a friendly self-report must name its unit")
	}
	if p := o.Position; p != nil {
		if !p.Valid() {
			return Errorf(EINVALID, "position: %v,%v out of range", p.Lat, p.Lon)
		}
		if o.Cov != (Cov2{}) && !o.Cov.Valid() {
			return Errorf(EINVALID, "cov: not positive definite")
		}
	}
	if b := o.Bearing; b != nil {
		switch {
		case !b.Sensor.Valid():
			return Errorf(EINVALID, "bearing.sensor: %v,%v out of range", b.Sensor.Lat, b.Sensor.Lon)
		case !(b.Azimuth >= 0 && b.Azimuth < 360):
			return Errorf(EINVALID, "bearing.azimuth: %v not in [0, 360)", b.Azimuth)
		case !(b.AzimuthSigma > 0 && b.AzimuthSigma < 180):
			return Errorf(EINVALID, "bearing.azimuth_sigma: %v not in (0, 180)", b.AzimuthSigma)
		case b.Range < 0 || b.Range != b.Range:
			return Errorf(EINVALID, "bearing.range: %v negative", b.Range)
		case b.Range > 0 && !(b.RangeSigma > 0):
			return Errorf(EINVALID, "bearing.range_sigma: required and positive with a range")
		}
	}
	return nil
}
