package mavlink

import "strconv"

// Autopilot is the flight stack of a vehicle, from HEARTBEAT.autopilot.
type Autopilot string

// Autopilots. Tasking follows the ArduPilot or PX4 convention; any other
// autopilot is tasked the PX4 way (plain MAVLink: DO_REPOSITION with the
// change-mode flag).
const (
	ArduPilot      Autopilot = "ardupilot"
	PX4            Autopilot = "px4"
	Generic        Autopilot = "generic"
	OtherAutopilot Autopilot = "other"
)

func autopilotName(a uint8) Autopilot {
	switch a {
	case mavAutopilotArduPilot:
		return ArduPilot
	case mavAutopilotPX4:
		return PX4
	case mavAutopilotGeneric:
		return Generic
	}
	return OtherAutopilot
}

// MAV_TYPE values that matter for mode tables and tasking.
const (
	TypeFixedWing = 1
	TypeQuadrotor = 2
	TypeGCS       = 6
	TypeRover     = 10
	TypeBoat      = 11
)

var vehicleTypes = [...]string{
	0: "generic", 1: "fixed_wing", 2: "quadrotor", 3: "coaxial", 4: "helicopter",
	5: "antenna_tracker", 6: "gcs", 7: "airship", 8: "free_balloon", 9: "rocket",
	10: "ground_rover", 11: "surface_boat", 12: "submarine", 13: "hexarotor",
	14: "octorotor", 15: "tricopter", 16: "flapping_wing", 17: "kite",
	18: "onboard_controller", 19: "vtol_tailsitter_duorotor", 20: "vtol_tailsitter_quadrotor",
	21: "vtol_tiltrotor", 22: "vtol_fixedrotor", 23: "vtol_tailsitter", 24: "vtol_tiltwing",
	25: "vtol_reserved5", 26: "gimbal", 27: "adsb", 28: "parafoil", 29: "dodecarotor",
	30: "camera", 31: "charging_station", 32: "flarm", 33: "servo", 34: "odid",
	35: "decarotor", 36: "battery", 37: "parachute", 38: "log", 39: "osd", 40: "imu",
	41: "gps", 42: "winch", 43: "generic_multirotor",
}

// VehicleTypeName returns the lowercase MAV_TYPE name of t, or "type_<t>".
func VehicleTypeName(t uint8) string {
	if int(t) < len(vehicleTypes) {
		return vehicleTypes[t]
	}
	return "type_" + strconv.Itoa(int(t))
}

type modeFamily int

const (
	familyCopter modeFamily = iota
	familyPlane
	familyRover
)

func arduFamily(mavType uint8) modeFamily {
	switch mavType {
	case TypeFixedWing, 19, 20, 21, 22, 23, 24, 25:
		return familyPlane
	case TypeRover, TypeBoat:
		return familyRover
	}
	return familyCopter
}

// ArduPilot custom_mode numbers (ardupilotmega.xml COPTER_MODE, PLANE_MODE,
// ROVER_MODE).
var (
	copterModes = map[uint32]string{
		0: "STABILIZE", 1: "ACRO", 2: "ALT_HOLD", 3: "AUTO", 4: "GUIDED", 5: "LOITER",
		6: "RTL", 7: "CIRCLE", 9: "LAND", 11: "DRIFT", 13: "SPORT", 14: "FLIP",
		15: "AUTOTUNE", 16: "POSHOLD", 17: "BRAKE", 18: "THROW", 19: "AVOID_ADSB",
		20: "GUIDED_NOGPS", 21: "SMART_RTL", 22: "FLOWHOLD", 23: "FOLLOW", 24: "ZIGZAG",
		25: "SYSTEMID", 26: "AUTOROTATE", 27: "AUTO_RTL", 28: "TURTLE",
	}
	planeModes = map[uint32]string{
		0: "MANUAL", 1: "CIRCLE", 2: "STABILIZE", 3: "TRAINING", 4: "ACRO",
		5: "FBWA", 6: "FBWB", 7: "CRUISE", 8: "AUTOTUNE", 10: "AUTO", 11: "RTL",
		12: "LOITER", 13: "TAKEOFF", 14: "AVOID_ADSB", 15: "GUIDED", 16: "INITIALISING",
		17: "QSTABILIZE", 18: "QHOVER", 19: "QLOITER", 20: "QLAND", 21: "QRTL",
		22: "QAUTOTUNE", 23: "QACRO", 24: "THERMAL", 25: "LOITER_ALT_QLAND",
	}
	roverModes = map[uint32]string{
		0: "MANUAL", 1: "ACRO", 3: "STEERING", 4: "HOLD", 5: "LOITER", 6: "FOLLOW",
		7: "SIMPLE", 8: "DOCK", 9: "CIRCLE", 10: "AUTO", 11: "RTL", 12: "SMART_RTL",
		15: "GUIDED", 16: "INITIALISING",
	}
)

// ArduPilot GUIDED custom modes by family.
const (
	arduCopterGuided = 4
	arduPlaneGuided  = 15
	arduRoverGuided  = 15
)

func arduGuided(mavType uint8) uint32 {
	switch arduFamily(mavType) {
	case familyPlane:
		return arduPlaneGuided
	case familyRover:
		return arduRoverGuided
	}
	return arduCopterGuided
}

// PX4 custom_mode layout: main mode in bits 16..23, sub mode in 24..31.
const (
	px4MainAuto     = 4
	px4SubAutoHold  = 3 // AUTO_LOITER, shown as "Hold"
	px4MainPosCtl   = 3
	px4ModeHold     = px4MainAuto<<16 | px4SubAutoHold<<24 // 0x03040000
	px4ModeMission  = px4MainAuto<<16 | 4<<24
	px4ModeOffboard = 6 << 16
)

var (
	px4Main = [...]string{1: "Manual", 2: "Altitude", 3: "Position", 4: "Auto", 5: "Acro",
		6: "Offboard", 7: "Stabilized", 8: "Rattitude", 9: "Termination"}
	px4Auto = [...]string{1: "Ready", 2: "Takeoff", 3: "Hold", 4: "Mission", 5: "Return",
		6: "Land", 7: "Return to Ground Station", 8: "Follow Me", 9: "Precision Land",
		10: "VTOL Takeoff"}
	px4PosCtl = [...]string{0: "Position", 1: "Orbit", 2: "Position Slow"}
)

// ModeName decodes a HEARTBEAT's custom_mode into the name the autopilot's
// own ground station shows: ArduPilot upper-case mode names by vehicle
// family ("GUIDED", "LOITER"), PX4 QGroundControl names ("Hold",
// "Mission", "Position"). Unknown numbers read "MODE_<n>" (ArduPilot) or
// "PX4_<main>_<sub>".
func ModeName(autopilot, mavType uint8, baseMode uint8, customMode uint32) string {
	switch autopilot {
	case mavAutopilotArduPilot:
		var t map[uint32]string
		switch arduFamily(mavType) {
		case familyPlane:
			t = planeModes
		case familyRover:
			t = roverModes
		default:
			t = copterModes
		}
		if s, ok := t[customMode]; ok {
			return s
		}
		return "MODE_" + strconv.FormatUint(uint64(customMode), 10)
	case mavAutopilotPX4:
		main, sub := int(customMode>>16&0xFF), int(customMode>>24)
		switch {
		case main == px4MainAuto && sub < len(px4Auto) && px4Auto[sub] != "":
			return px4Auto[sub]
		case main == px4MainPosCtl && sub < len(px4PosCtl):
			return px4PosCtl[sub]
		case main != px4MainAuto && main != px4MainPosCtl && main < len(px4Main) && px4Main[main] != "":
			return px4Main[main]
		}
		return "PX4_" + strconv.Itoa(main) + "_" + strconv.Itoa(sub)
	}
	if baseMode&ModeFlagCustomModeEnabled != 0 {
		return "CUSTOM_" + strconv.FormatUint(uint64(customMode), 10)
	}
	return "BASE_" + strconv.Itoa(int(baseMode&^ModeFlagSafetyArmed))
}

// systemStatusName names MAV_STATE.
func systemStatusName(s uint8) string {
	switch s {
	case 0:
		return "uninit"
	case 1:
		return "boot"
	case 2:
		return "calibrating"
	case 3:
		return "standby"
	case 4:
		return "active"
	case 5:
		return "critical"
	case 6:
		return "emergency"
	case 7:
		return "poweroff"
	case 8:
		return "flight_termination"
	}
	return "state_" + strconv.Itoa(int(s))
}

// landedStateName names MAV_LANDED_STATE.
func landedStateName(s uint8) string {
	switch s {
	case 1:
		return "on_ground"
	case 2:
		return "in_air"
	case 3:
		return "takeoff"
	case 4:
		return "landing"
	}
	return "" // undefined
}
