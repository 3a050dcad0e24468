package mavlink

import (
	"bytes"
	"encoding/binary"
	"math"
)

// Message ids this package decodes or encodes (common.xml / minimal.xml).
const (
	IDHeartbeat               uint32 = 0
	IDSysStatus               uint32 = 1
	IDSetMode                 uint32 = 11
	IDGPSRawInt               uint32 = 24
	IDAttitude                uint32 = 30
	IDGlobalPositionInt       uint32 = 33
	IDVFRHUD                  uint32 = 74
	IDCommandInt              uint32 = 75
	IDCommandLong             uint32 = 76
	IDCommandAck              uint32 = 77
	IDPositionTargetGlobalInt uint32 = 87
	IDBatteryStatus           uint32 = 147
	IDExtendedSysState        uint32 = 245
	IDStatusText              uint32 = 253
)

// info is what framing needs to know about a message: its CRC_EXTRA (the
// checksum of its name and base fields, mixed into the frame CRC), its base
// wire length (MAVLink 1, no extensions) and its full length with
// extensions.
type info struct {
	crcExtra byte
	minLen   int
	maxLen   int
}

// The CRC_EXTRA values come from mavlink/mavlink message_definitions
// (common.xml, minimal.xml); TestCRCExtra recomputes them from the field
// lists and the emulator test checks them against node-mavlink.
var infos = map[uint32]info{
	IDHeartbeat:               {50, 9, 9},
	IDSysStatus:               {124, 31, 43},
	IDSetMode:                 {89, 6, 6},
	IDGPSRawInt:               {24, 30, 52},
	IDAttitude:                {39, 28, 28},
	IDGlobalPositionInt:       {104, 28, 28},
	IDVFRHUD:                  {20, 20, 20},
	IDCommandInt:              {158, 35, 35},
	IDCommandLong:             {152, 33, 33},
	IDCommandAck:              {143, 3, 10},
	IDPositionTargetGlobalInt: {150, 51, 51},
	IDBatteryStatus:           {154, 36, 54},
	IDExtendedSysState:        {130, 2, 2},
	IDStatusText:              {83, 51, 54},
}

// crcExtras is infos flattened for the hot path: ids below 256, -1 unknown.
var crcExtras = func() (t [256]int16) {
	for i := range t {
		t[i] = -1
	}
	for id, in := range infos {
		if id < 256 {
			t[id] = int16(in.crcExtra)
		}
	}
	return t
}()

func crcExtra(id uint32) (byte, bool) {
	if id < 256 {
		e := crcExtras[id]
		return byte(e), e >= 0
	}
	in, ok := infos[id]
	return in.crcExtra, ok
}

func messageInfo(id uint32) (info, bool) {
	in, ok := infos[id]
	return in, ok
}

// Message is a MAVLink message this package can encode.
type Message interface {
	MessageID() uint32
	// AppendPayload appends the full, untruncated wire payload (base
	// fields in wire order, then extensions).
	AppendPayload(dst []byte) []byte
}

// payload is a zero-extended view of a possibly truncated payload.
type payload struct {
	pad [maxPayloadLen]byte
}

// view returns p extended with zeros to at least n bytes.
func (s *payload) view(p []byte, n int) []byte {
	if len(p) >= n {
		return p
	}
	copy(s.pad[:], p)
	clear(s.pad[len(p):n])
	return s.pad[:n]
}

var le = binary.LittleEndian

func f32(b []byte) float32              { return math.Float32frombits(le.Uint32(b)) }
func putF32(b []byte, v float32) []byte { return le.AppendUint32(b, math.Float32bits(v)) }

// MAV_AUTOPILOT values.
const (
	mavAutopilotGeneric   uint8 = 0
	mavAutopilotArduPilot uint8 = 3
	mavAutopilotInvalid   uint8 = 8
	mavAutopilotPX4       uint8 = 12
)

// Bits of HEARTBEAT.base_mode (MAV_MODE_FLAG).
const (
	ModeFlagCustomModeEnabled uint8 = 1
	ModeFlagSafetyArmed       uint8 = 128
)

// Heartbeat is HEARTBEAT (0).
type Heartbeat struct {
	CustomMode     uint32
	Type           uint8 // MAV_TYPE
	Autopilot      uint8 // MAV_AUTOPILOT
	BaseMode       uint8 // MAV_MODE_FLAG bits
	SystemStatus   uint8 // MAV_STATE
	MAVLinkVersion uint8
}

func (*Heartbeat) MessageID() uint32 { return IDHeartbeat }

func (m *Heartbeat) AppendPayload(b []byte) []byte {
	b = le.AppendUint32(b, m.CustomMode)
	return append(b, m.Type, m.Autopilot, m.BaseMode, m.SystemStatus, m.MAVLinkVersion)
}

func (m *Heartbeat) decode(s *payload, p []byte) {
	p = s.view(p, 9)
	*m = Heartbeat{le.Uint32(p), p[4], p[5], p[6], p[7], p[8]}
}

// SysStatus is SYS_STATUS (1), the fields borderwatch reads.
type SysStatus struct {
	Load             uint16 // d%
	VoltageBattery   uint16 // mV, UINT16_MAX unknown
	CurrentBattery   int16  // cA, -1 unknown
	DropRateComm     uint16 // c%
	BatteryRemaining int8   // %, -1 unknown
}

func (*SysStatus) MessageID() uint32 { return IDSysStatus }

func (m *SysStatus) AppendPayload(b []byte) []byte {
	b = append(b, make([]byte, 12)...) // sensor present/enabled/health
	b = le.AppendUint16(b, m.Load)
	b = le.AppendUint16(b, m.VoltageBattery)
	b = le.AppendUint16(b, uint16(m.CurrentBattery))
	b = le.AppendUint16(b, m.DropRateComm)
	b = append(b, make([]byte, 10)...) // errors_comm, errors_count1..4
	b = append(b, byte(m.BatteryRemaining))
	return append(b, make([]byte, 12)...) // extended sensor bitmasks
}

func (m *SysStatus) decode(s *payload, p []byte) {
	p = s.view(p, 31)
	*m = SysStatus{
		Load:             le.Uint16(p[12:]),
		VoltageBattery:   le.Uint16(p[14:]),
		CurrentBattery:   int16(le.Uint16(p[16:])),
		DropRateComm:     le.Uint16(p[18:]),
		BatteryRemaining: int8(p[30]),
	}
}

// GPSRawInt is GPS_RAW_INT (24).
type GPSRawInt struct {
	TimeUsec          uint64
	Lat, Lon          int32  // degE7
	Alt               int32  // mm MSL
	EPH, EPV          uint16 // HDOP/VDOP * 100, UINT16_MAX unknown
	Vel               uint16 // cm/s
	COG               uint16 // cdeg
	FixType           uint8  // GPS_FIX_TYPE
	SatellitesVisible uint8
	AltEllipsoid      int32  // mm above WGS84 (extension)
	HAcc, VAcc        uint32 // mm (extension), 0 unknown
}

func (*GPSRawInt) MessageID() uint32 { return IDGPSRawInt }

func (m *GPSRawInt) AppendPayload(b []byte) []byte {
	b = le.AppendUint64(b, m.TimeUsec)
	b = le.AppendUint32(b, uint32(m.Lat))
	b = le.AppendUint32(b, uint32(m.Lon))
	b = le.AppendUint32(b, uint32(m.Alt))
	b = le.AppendUint16(b, m.EPH)
	b = le.AppendUint16(b, m.EPV)
	b = le.AppendUint16(b, m.Vel)
	b = le.AppendUint16(b, m.COG)
	b = append(b, m.FixType, m.SatellitesVisible)
	b = le.AppendUint32(b, uint32(m.AltEllipsoid))
	b = le.AppendUint32(b, m.HAcc)
	b = le.AppendUint32(b, m.VAcc)
	return append(b, make([]byte, 10)...) // vel_acc, hdg_acc, yaw
}

func (m *GPSRawInt) decode(s *payload, p []byte) {
	p = s.view(p, 42)
	*m = GPSRawInt{
		TimeUsec: le.Uint64(p), Lat: int32(le.Uint32(p[8:])), Lon: int32(le.Uint32(p[12:])),
		Alt: int32(le.Uint32(p[16:])), EPH: le.Uint16(p[20:]), EPV: le.Uint16(p[22:]),
		Vel: le.Uint16(p[24:]), COG: le.Uint16(p[26:]), FixType: p[28], SatellitesVisible: p[29],
		AltEllipsoid: int32(le.Uint32(p[30:])), HAcc: le.Uint32(p[34:]), VAcc: le.Uint32(p[38:]),
	}
}

// Attitude is ATTITUDE (30). Angles in radians, rates in rad/s.
type Attitude struct {
	TimeBootMs                      uint32
	Roll, Pitch, Yaw                float32
	RollSpeed, PitchSpeed, YawSpeed float32
}

func (*Attitude) MessageID() uint32 { return IDAttitude }

func (m *Attitude) AppendPayload(b []byte) []byte {
	b = le.AppendUint32(b, m.TimeBootMs)
	for _, v := range [...]float32{m.Roll, m.Pitch, m.Yaw, m.RollSpeed, m.PitchSpeed, m.YawSpeed} {
		b = putF32(b, v)
	}
	return b
}

func (m *Attitude) decode(s *payload, p []byte) {
	p = s.view(p, 28)
	*m = Attitude{le.Uint32(p), f32(p[4:]), f32(p[8:]), f32(p[12:]), f32(p[16:]), f32(p[20:]), f32(p[24:])}
}

// GlobalPositionInt is GLOBAL_POSITION_INT (33).
type GlobalPositionInt struct {
	TimeBootMs  uint32
	Lat, Lon    int32  // degE7
	Alt         int32  // mm MSL
	RelativeAlt int32  // mm above home
	VX, VY, VZ  int16  // cm/s north, east, down
	Hdg         uint16 // cdeg, UINT16_MAX unknown
}

func (*GlobalPositionInt) MessageID() uint32 { return IDGlobalPositionInt }

func (m *GlobalPositionInt) AppendPayload(b []byte) []byte {
	b = le.AppendUint32(b, m.TimeBootMs)
	b = le.AppendUint32(b, uint32(m.Lat))
	b = le.AppendUint32(b, uint32(m.Lon))
	b = le.AppendUint32(b, uint32(m.Alt))
	b = le.AppendUint32(b, uint32(m.RelativeAlt))
	b = le.AppendUint16(b, uint16(m.VX))
	b = le.AppendUint16(b, uint16(m.VY))
	b = le.AppendUint16(b, uint16(m.VZ))
	return le.AppendUint16(b, m.Hdg)
}

func (m *GlobalPositionInt) decode(s *payload, p []byte) {
	p = s.view(p, 28)
	*m = GlobalPositionInt{
		TimeBootMs: le.Uint32(p), Lat: int32(le.Uint32(p[4:])), Lon: int32(le.Uint32(p[8:])),
		Alt: int32(le.Uint32(p[12:])), RelativeAlt: int32(le.Uint32(p[16:])),
		VX: int16(le.Uint16(p[20:])), VY: int16(le.Uint16(p[22:])), VZ: int16(le.Uint16(p[24:])),
		Hdg: le.Uint16(p[26:]),
	}
}

// VFRHUD is VFR_HUD (74).
type VFRHUD struct {
	Airspeed, Groundspeed float32 // m/s
	Alt                   float32 // m MSL
	Climb                 float32 // m/s
	Heading               int16   // deg 0..360
	Throttle              uint16  // %
}

func (*VFRHUD) MessageID() uint32 { return IDVFRHUD }

func (m *VFRHUD) AppendPayload(b []byte) []byte {
	b = putF32(b, m.Airspeed)
	b = putF32(b, m.Groundspeed)
	b = putF32(b, m.Alt)
	b = putF32(b, m.Climb)
	b = le.AppendUint16(b, uint16(m.Heading))
	return le.AppendUint16(b, m.Throttle)
}

func (m *VFRHUD) decode(s *payload, p []byte) {
	p = s.view(p, 20)
	*m = VFRHUD{f32(p), f32(p[4:]), f32(p[8:]), f32(p[12:]), int16(le.Uint16(p[16:])), le.Uint16(p[18:])}
}

// CommandInt is COMMAND_INT (75).
type CommandInt struct {
	Param1, Param2, Param3, Param4 float32
	X, Y                           int32 // lat, lon degE7 in global frames
	Z                              float32
	Command                        uint16 // MAV_CMD
	TargetSystem, TargetComponent  uint8
	Frame                          uint8 // MAV_FRAME
	Current, Autocontinue          uint8
}

func (*CommandInt) MessageID() uint32 { return IDCommandInt }

func (m *CommandInt) AppendPayload(b []byte) []byte {
	b = putF32(b, m.Param1)
	b = putF32(b, m.Param2)
	b = putF32(b, m.Param3)
	b = putF32(b, m.Param4)
	b = le.AppendUint32(b, uint32(m.X))
	b = le.AppendUint32(b, uint32(m.Y))
	b = putF32(b, m.Z)
	b = le.AppendUint16(b, m.Command)
	return append(b, m.TargetSystem, m.TargetComponent, m.Frame, m.Current, m.Autocontinue)
}

func (m *CommandInt) decode(s *payload, p []byte) {
	p = s.view(p, 35)
	*m = CommandInt{
		f32(p), f32(p[4:]), f32(p[8:]), f32(p[12:]),
		int32(le.Uint32(p[16:])), int32(le.Uint32(p[20:])), f32(p[24:]),
		le.Uint16(p[28:]), p[30], p[31], p[32], p[33], p[34],
	}
}

// CommandLong is COMMAND_LONG (76).
type CommandLong struct {
	Param                         [7]float32
	Command                       uint16
	TargetSystem, TargetComponent uint8
	Confirmation                  uint8 // 0 first send, incremented on each resend
}

func (*CommandLong) MessageID() uint32 { return IDCommandLong }

func (m *CommandLong) AppendPayload(b []byte) []byte {
	for _, v := range m.Param {
		b = putF32(b, v)
	}
	b = le.AppendUint16(b, m.Command)
	return append(b, m.TargetSystem, m.TargetComponent, m.Confirmation)
}

func (m *CommandLong) decode(s *payload, p []byte) {
	p = s.view(p, 33)
	for i := range m.Param {
		m.Param[i] = f32(p[4*i:])
	}
	m.Command = le.Uint16(p[28:])
	m.TargetSystem, m.TargetComponent, m.Confirmation = p[30], p[31], p[32]
}

// CommandAck is COMMAND_ACK (77).
type CommandAck struct {
	Command      uint16
	Result       uint8 // MAV_RESULT
	Progress     uint8 // extension
	ResultParam2 int32 // extension
	// TargetSystem and TargetComponent (extensions) name the sender of the
	// command; zero when the vehicle did not fill them.
	TargetSystem, TargetComponent uint8
}

func (*CommandAck) MessageID() uint32 { return IDCommandAck }

func (m *CommandAck) AppendPayload(b []byte) []byte {
	b = le.AppendUint16(b, m.Command)
	b = append(b, m.Result, m.Progress)
	b = le.AppendUint32(b, uint32(m.ResultParam2))
	return append(b, m.TargetSystem, m.TargetComponent)
}

func (m *CommandAck) decode(s *payload, p []byte) {
	p = s.view(p, 10)
	*m = CommandAck{le.Uint16(p), p[2], p[3], int32(le.Uint32(p[4:])), p[8], p[9]}
}

// PositionTargetGlobalInt is POSITION_TARGET_GLOBAL_INT (87): the target
// an ArduPilot vehicle in GUIDED is flying to.
type PositionTargetGlobalInt struct {
	TimeBootMs      uint32
	LatInt, LonInt  int32   // degE7
	Alt             float32 // m in CoordinateFrame
	TypeMask        uint16
	CoordinateFrame uint8
}

func (*PositionTargetGlobalInt) MessageID() uint32 { return IDPositionTargetGlobalInt }

func (m *PositionTargetGlobalInt) AppendPayload(b []byte) []byte {
	b = le.AppendUint32(b, m.TimeBootMs)
	b = le.AppendUint32(b, uint32(m.LatInt))
	b = le.AppendUint32(b, uint32(m.LonInt))
	b = putF32(b, m.Alt)
	b = append(b, make([]byte, 32)...) // velocity, acceleration, yaw, yaw rate
	b = le.AppendUint16(b, m.TypeMask)
	return append(b, m.CoordinateFrame)
}

func (m *PositionTargetGlobalInt) decode(s *payload, p []byte) {
	p = s.view(p, 51)
	*m = PositionTargetGlobalInt{
		le.Uint32(p), int32(le.Uint32(p[4:])), int32(le.Uint32(p[8:])), f32(p[12:]),
		le.Uint16(p[48:]), p[50],
	}
}

// BatteryStatus is BATTERY_STATUS (147), the fields borderwatch reads.
type BatteryStatus struct {
	CurrentConsumed  int32 // mAh, -1 unknown
	Temperature      int16 // cdegC, INT16_MAX unknown
	Voltage1         uint16
	CurrentBattery   int16 // cA
	ID               uint8
	BatteryRemaining int8  // %, -1 unknown
	TimeRemaining    int32 // s (extension), 0 unknown
}

func (*BatteryStatus) MessageID() uint32 { return IDBatteryStatus }

func (m *BatteryStatus) AppendPayload(b []byte) []byte {
	b = le.AppendUint32(b, uint32(m.CurrentConsumed))
	b = le.AppendUint32(b, 0xFFFFFFFF) // energy_consumed -1
	b = le.AppendUint16(b, uint16(m.Temperature))
	b = le.AppendUint16(b, m.Voltage1)
	for range 9 {
		b = le.AppendUint16(b, math.MaxUint16)
	}
	b = le.AppendUint16(b, uint16(m.CurrentBattery))
	b = append(b, m.ID, 0, 0, byte(m.BatteryRemaining))
	b = le.AppendUint32(b, uint32(m.TimeRemaining))
	return append(b, make([]byte, 14)...) // charge_state, voltages_ext, mode, fault_bitmask
}

func (m *BatteryStatus) decode(s *payload, p []byte) {
	p = s.view(p, 40)
	*m = BatteryStatus{
		CurrentConsumed: int32(le.Uint32(p)), Temperature: int16(le.Uint16(p[8:])),
		Voltage1: le.Uint16(p[10:]), CurrentBattery: int16(le.Uint16(p[30:])),
		ID: p[32], BatteryRemaining: int8(p[35]), TimeRemaining: int32(le.Uint32(p[36:])),
	}
}

// ExtendedSysState is EXTENDED_SYS_STATE (245).
type ExtendedSysState struct {
	VTOLState   uint8
	LandedState uint8 // MAV_LANDED_STATE: 1 on ground, 2 in air, 3 takeoff, 4 landing
}

func (*ExtendedSysState) MessageID() uint32 { return IDExtendedSysState }

func (m *ExtendedSysState) AppendPayload(b []byte) []byte {
	return append(b, m.VTOLState, m.LandedState)
}

func (m *ExtendedSysState) decode(s *payload, p []byte) {
	p = s.view(p, 2)
	*m = ExtendedSysState{p[0], p[1]}
}

// StatusText is STATUSTEXT (253), one chunk.
type StatusText struct {
	Severity uint8 // MAV_SEVERITY, 0 emergency .. 7 debug
	Text     [50]byte
}

func (*StatusText) MessageID() uint32 { return IDStatusText }

func (m *StatusText) AppendPayload(b []byte) []byte {
	b = append(b, m.Severity)
	b = append(b, m.Text[:]...)
	return append(b, 0, 0, 0) // id, chunk_seq
}

func (m *StatusText) decode(s *payload, p []byte) {
	p = s.view(p, 51)
	m.Severity = p[0]
	copy(m.Text[:], p[1:51])
}

// String returns the text up to its first NUL.
func (m *StatusText) String() string {
	t := m.Text[:]
	if i := bytes.IndexByte(t, 0); i >= 0 {
		t = t[:i]
	}
	return string(t)
}
