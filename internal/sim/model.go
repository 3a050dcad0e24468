package sim

import (
	"time"

	"github.com/borderwatch/borderwatch"
)

// ActorKind is what an actor is.
type ActorKind string

// Actor kinds.
const (
	KindInfiltrators ActorKind = "infiltrators" // a group of 2–8 people on foot
	KindSmuggler     ActorKind = "smuggler"     // a smuggling vehicle (or porters on foot)
	KindHerd         ActorKind = "herd"         // herders with their animals
	KindTraffic      ActorKind = "traffic"      // legitimate traffic through an open crossing
	KindPatrol       ActorKind = "patrol"       // a friendly patrol with a TAK phone
	KindQRF          ActorKind = "qrf"          // a friendly quick reaction force
)

// Illegal reports whether actors of kind k cross the border illegally.
func (k ActorKind) Illegal() bool { return k == KindInfiltrators || k == KindSmuggler }

// Friendly reports whether actors of kind k are friendly units.
func (k ActorKind) Friendly() bool { return k == KindPatrol || k == KindQRF }

// Detection is one report of one sensor about one thing it believes it
// sees: a real actor or, when Actor is "", a false alarm.
type Detection struct {
	// ID is unique within a run ("d" and a sequence number).
	ID   string
	Time time.Time
	// Sensor is the deployment sensor, site (watchtower observer), drone
	// or unit (a patrol's phone) that reports it.
	Sensor string
	Kind   borderwatch.SourceKind
	// SensorPos is where the sensor was.
	SensorPos borderwatch.LatLon
	// Actor is the ground truth ("" for a false alarm).
	Actor      string
	Class      borderwatch.Class
	Confidence float64
	// Position and CE95 (95 % circle radius, metres) when the sensor
	// places the detection itself (cameras, drones, ground sensors,
	// observers).
	Position borderwatch.LatLon
	CE95     float64
	// HasBearing marks a bearing-and-range measurement (radars): Azimuth
	// degrees true and Range metres from SensorPos, with their 1σ errors.
	HasBearing            bool
	Azimuth, AzimuthSigma float64
	Range, RangeSigma     float64
	// Count is how many people or animals the sensor reports.
	Count int
	// Hostile marks a spot report the observer judged hostile (a-h-G);
	// others are unknown (a-u-G).
	Hostile bool
	// Velocity is the actor's ground velocity when the sensor measures it.
	Velocity *borderwatch.Velocity
	Exercise bool
}

// Report is a friendly unit's self-report from its TAK phone.
type Report struct {
	Time     time.Time
	UnitID   string
	Callsign string
	Kind     ActorKind
	Mode     borderwatch.Mode
	Position borderwatch.LatLon
	Velocity borderwatch.Velocity
	// Status is "patrolling", "available", "dispatched", "pursuing",
	// "returning".
	Status   string
	Exercise bool
}

// DroneMode is what a drone is doing.
type DroneMode string

// Drone modes.
const (
	DroneLanded DroneMode = "landed"
	DronePatrol DroneMode = "patrol" // flying its orbit along the line
	DroneGoTo   DroneMode = "goto"   // flying to a tasked point
	DroneLoiter DroneMode = "loiter" // circling the tasked point
	DroneRTL    DroneMode = "rtl"    // returning to its base
)

// DroneState is one drone's telemetry.
type DroneState struct {
	ID string
	// SystemID is the drone's MAVLink system id: its index in the
	// deployment's drone list plus one.
	SystemID uint8
	Time     time.Time
	Position borderwatch.LatLon
	// AltMSL is metres above mean sea level (terrain + AltRel); AltRel
	// metres above its base.
	AltMSL, AltRel float64
	Heading        float64 // degrees true
	Speed          float64 // m/s over ground
	Battery        float64 // percent
	Mode           DroneMode
	Target         *borderwatch.LatLon
	// FixedWing tells a fixed-wing VTOL aircraft from a multirotor.
	FixedWing bool
}

// EventKind names a ground-truth event.
type EventKind string

// Event kinds.
const (
	EventSpawned     EventKind = "spawned"     // an actor appeared
	EventCrossed     EventKind = "crossed"     // an actor crossed the border line
	EventDetected    EventKind = "detected"    // first confirmed detection (3 within 15 s)
	EventDispatched  EventKind = "dispatched"  // a unit was sent
	EventIntercepted EventKind = "intercepted" // a friendly unit reached an illegal crosser
	EventEscaped     EventKind = "escaped"     // an illegal crosser reached its destination
	EventFinished    EventKind = "finished"    // any other actor left the simulation
	EventChecked     EventKind = "checked"     // a unit reached a false alarm (herders) and cleared it
)

// Event is a ground-truth event, for scoring and the realism report.
type Event struct {
	Time      time.Time `json:"time"`
	Kind      EventKind `json:"kind"`
	Actor     string    `json:"actor,omitempty"`
	ActorKind ActorKind `json:"actor_kind,omitempty"`
	// Unit names the friendly unit (dispatched, intercepted, checked).
	Unit     string             `json:"unit,omitempty"`
	Position borderwatch.LatLon `json:"position"`
	Km       float64            `json:"km"`
	// Reason says why an escaped crosser was never detected (a MissReason).
	Reason   string `json:"reason,omitempty"`
	Exercise bool   `json:"exercise,omitempty"`
}

// Frame is what one Step produced.
type Frame struct {
	Time       time.Time
	Detections []Detection
	Reports    []Report
	Drones     []DroneState
	Events     []Event
}

// Truth is an actor's true state.
type Truth struct {
	ID       string               `json:"id"`
	Kind     ActorKind            `json:"kind"`
	Class    borderwatch.Class    `json:"class"`
	Size     int                  `json:"size,omitempty"`
	Goods    string               `json:"goods,omitempty"`
	Position borderwatch.LatLon   `json:"position"`
	Velocity borderwatch.Velocity `json:"velocity"`
	Km       float64              `json:"km"`
	OffsetM  float64              `json:"offset_m"`
	State    string               `json:"state,omitempty"`
	UnitID   string               `json:"unit_id,omitempty"`
	Exercise bool                 `json:"exercise,omitempty"`
	Done     bool                 `json:"done,omitempty"`
}

// MissReason says why a crosser was not detected, ordered from "nothing
// could have seen it" to "it was seen, but too briefly".
type MissReason string

// Miss reasons, in increasing order of how close the crosser came to
// being detected.
const (
	MissNoCoverage MissReason = "no_coverage"   // never within 1.5× any sensor's range for its class
	MissOutOfRange MissReason = "out_of_range"  // near sensors but beyond their range
	MissNightRange MissReason = "night_range"   // within day range, beyond night range, at night
	MissVisibility MissReason = "visibility"    // a dust storm cut the range that would have seen it
	MissOutOfFOV   MissReason = "out_of_fov"    // within range, outside every field of view
	MissNotMoving  MissReason = "not_moving"    // only a radar could see it and it stood still
	MissOccluded   MissReason = "occluded"      // terrain (the grid, or dead ground it cannot resolve) hid it
	MissOutage     MissReason = "sensor_outage" // the sensor that would have seen it was down
	MissPdMiss     MissReason = "pd_miss"       // seen by geometry, missed by chance every scan
	MissTooFew     MissReason = "too_few"       // detected, but never 3 times within 15 s
	missNone       MissReason = ""
)

// rank orders reasons: a higher rank came closer to a detection.
func (m MissReason) rank() int {
	switch m {
	case MissNoCoverage:
		return 1
	case MissOutOfRange:
		return 2
	case MissNightRange:
		return 3
	case MissVisibility:
		return 4
	case MissOutOfFOV:
		return 5
	case MissNotMoving:
		return 6
	case MissOccluded:
		return 7
	case MissOutage:
		return 8
	case MissPdMiss:
		return 9
	case MissTooFew:
		return 10
	}
	return 0
}

// MissReasons lists the reasons in order.
var MissReasons = []MissReason{MissNoCoverage, MissOutOfRange, MissNightRange, MissVisibility, MissOutOfFOV, MissNotMoving, MissOccluded, MissOutage, MissPdMiss, MissTooFew}
