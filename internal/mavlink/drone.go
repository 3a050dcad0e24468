package mavlink

import (
	"net/netip"
	"time"

	"github.com/borderwatch/borderwatch"
)

// Drone is a snapshot of one vehicle: a (channel, system id) pair that has
// sent a HEARTBEAT from an autopilot.
type Drone struct {
	// ID is "mav:<sysid>@<remote addr:port>", stable while the vehicle
	// keeps its UDP source address.
	ID string `json:"id"`
	// UnitID is the deployment unit (Options.UnitID), ID by default.
	UnitID      string         `json:"unit_id"`
	Remote      netip.AddrPort `json:"remote"`
	SystemID    uint8          `json:"system_id"`
	ComponentID uint8          `json:"component_id"` // the autopilot's
	Autopilot   Autopilot      `json:"autopilot"`
	VehicleType string         `json:"vehicle_type"` // MAV_TYPE, lowercase
	// Mode is the decoded flight mode ("GUIDED", "Hold", ...), CustomMode
	// the raw HEARTBEAT.custom_mode.
	Mode         string `json:"mode"`
	CustomMode   uint32 `json:"custom_mode"`
	Armed        bool   `json:"armed"`
	SystemStatus string `json:"system_status"`          // MAV_STATE: standby, active, critical...
	LandedState  string `json:"landed_state,omitempty"` // on_ground, in_air, takeoff, landing
	// Online is false once no HEARTBEAT arrived for Options.HeartbeatTimeout.
	Online bool `json:"online"`

	HasPosition bool               `json:"has_position"`
	Position    borderwatch.LatLon `json:"position"`
	AltMSL      float64            `json:"alt_msl_m"` // metres above mean sea level
	AltRel      float64            `json:"alt_rel_m"` // metres above home
	// Heading is degrees from true north [0, 360); -1 when unknown.
	Heading     float64              `json:"heading_deg"`
	GroundSpeed float64              `json:"ground_speed_mps"`
	ClimbRate   float64              `json:"climb_mps"`
	Velocity    borderwatch.Velocity `json:"velocity"`
	// Battery is the remaining charge in percent; -1 when unknown.
	Battery        float64 `json:"battery_pct"`
	BatteryVoltage float64 `json:"battery_v,omitempty"`
	GPSFix         uint8   `json:"gps_fix"` // GPS_FIX_TYPE: 0-1 none, 2 2D, 3 3D, 4+ DGPS/RTK
	Satellites     uint8   `json:"satellites"`
	// Target is the position target the vehicle reports it is flying to
	// (POSITION_TARGET_GLOBAL_INT), when it reports one.
	Target     *borderwatch.LatLon `json:"target,omitempty"`
	StatusText string              `json:"status_text,omitempty"` // last STATUSTEXT

	Link      LinkHealth `json:"link"`
	FirstSeen time.Time  `json:"first_seen"`
}

// LinkHealth describes how well a vehicle is heard.
type LinkHealth struct {
	LastHeartbeat time.Time `json:"last_heartbeat"`
	LastMessage   time.Time `json:"last_message"`
	// MessageRate is frames per second over the last full one-second window.
	MessageRate float64 `json:"message_rate"`
	// Received counts frames from the vehicle (all its components); Lost
	// counts frames missing by sequence number; Loss is
	// Lost/(Received+Lost).
	Received uint64  `json:"received"`
	Lost     uint64  `json:"lost"`
	Loss     float64 `json:"loss"`
}

// EventKind names a change of a drone's state.
type EventKind string

// Event kinds.
const (
	EventOnline   EventKind = "online"  // first HEARTBEAT, or HEARTBEAT after loss
	EventOffline  EventKind = "offline" // no HEARTBEAT for Options.HeartbeatTimeout
	EventMode     EventKind = "mode"    // flight mode changed
	EventArmed    EventKind = "armed"
	EventDisarmed EventKind = "disarmed"
)

// Event is a state change of a drone, with the snapshot after it.
type Event struct {
	Kind  EventKind `json:"kind"`
	Time  time.Time `json:"time"`
	Drone Drone     `json:"drone"`
}
