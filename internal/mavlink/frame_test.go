package mavlink

import (
	"bytes"
	"errors"
	"flag"
	"math"
	"reflect"
	"slices"
	"testing"
)

func TestCRCCheckValue(t *testing.T) {
	// CRC-16/MCRF4XX check value over "123456789".
	if got := crcAccumulateBytes(crcInit, []byte("123456789")); got != 0x6F91 {
		t.Fatalf("crc = %#04x, want 0x6f91", got)
	}
	// The slicing-by-4 loop agrees with the bitwise one at every length.
	buf := make([]byte, 300)
	for i := range buf {
		buf[i] = byte(i*7 + i>>3)
	}
	for n := range len(buf) {
		naive := crcInit
		for _, c := range buf[:n] {
			naive = crcAccumulateNaive(naive, c)
		}
		if got := crcAccumulateBytes(crcInit, buf[:n]); got != naive {
			t.Fatalf("length %d: %#x, naive %#x", n, got, naive)
		}
	}
	for i := range 256 {
		for _, c := range []uint16{0, 0xFFFF, 0x1234, 0xBEEF} {
			if a, b := crcAccumulate(c, byte(i)), crcAccumulateNaive(c, byte(i)); a != b {
				t.Fatalf("table %#x != naive %#x for crc %#x byte %#x", a, b, c, i)
			}
		}
	}
}

// xmlField is a field as message_definitions declare it, in XML order.
type xmlField struct {
	typ  string // C type without the array suffix
	name string
	n    int // array length, 0 for scalars
}

func typeSize(t string) int {
	switch t {
	case "uint64_t", "int64_t", "double":
		return 8
	case "uint32_t", "int32_t", "float":
		return 4
	case "uint16_t", "int16_t":
		return 2
	}
	return 1
}

// crcExtraOf computes CRC_EXTRA as mavgen does: over the message name and,
// for every base field in wire order (stable by element size, largest
// first), its type, its name and its array length.
func crcExtraOf(name string, fields []xmlField) (extra byte, wireLen int) {
	ordered := slices.Clone(fields)
	slices.SortStableFunc(ordered, func(a, b xmlField) int { return typeSize(b.typ) - typeSize(a.typ) })
	crc := crcAccumulateBytes(crcInit, []byte(name+" "))
	for _, f := range ordered {
		crc = crcAccumulateBytes(crc, []byte(f.typ+" "))
		crc = crcAccumulateBytes(crc, []byte(f.name+" "))
		if f.n > 0 {
			crc = crcAccumulate(crc, byte(f.n))
		}
		wireLen += typeSize(f.typ) * max(f.n, 1)
	}
	return byte(crc&0xFF) ^ byte(crc>>8), wireLen
}

// Base fields of the messages we use, transcribed from
// mavlink/mavlink message_definitions/v1.0/{minimal,common}.xml.
var xmlMessages = map[uint32]struct {
	name   string
	fields []xmlField
}{
	IDHeartbeat: {"HEARTBEAT", []xmlField{{"uint8_t", "type", 0}, {"uint8_t", "autopilot", 0}, {"uint8_t", "base_mode", 0},
		{"uint32_t", "custom_mode", 0}, {"uint8_t", "system_status", 0}, {"uint8_t", "mavlink_version", 0}}},
	IDSysStatus: {"SYS_STATUS", []xmlField{{"uint32_t", "onboard_control_sensors_present", 0},
		{"uint32_t", "onboard_control_sensors_enabled", 0}, {"uint32_t", "onboard_control_sensors_health", 0},
		{"uint16_t", "load", 0}, {"uint16_t", "voltage_battery", 0}, {"int16_t", "current_battery", 0},
		{"int8_t", "battery_remaining", 0}, {"uint16_t", "drop_rate_comm", 0}, {"uint16_t", "errors_comm", 0},
		{"uint16_t", "errors_count1", 0}, {"uint16_t", "errors_count2", 0}, {"uint16_t", "errors_count3", 0},
		{"uint16_t", "errors_count4", 0}}},
	IDSetMode: {"SET_MODE", []xmlField{{"uint8_t", "target_system", 0}, {"uint8_t", "base_mode", 0}, {"uint32_t", "custom_mode", 0}}},
	IDGPSRawInt: {"GPS_RAW_INT", []xmlField{{"uint64_t", "time_usec", 0}, {"uint8_t", "fix_type", 0}, {"int32_t", "lat", 0},
		{"int32_t", "lon", 0}, {"int32_t", "alt", 0}, {"uint16_t", "eph", 0}, {"uint16_t", "epv", 0}, {"uint16_t", "vel", 0},
		{"uint16_t", "cog", 0}, {"uint8_t", "satellites_visible", 0}}},
	IDAttitude: {"ATTITUDE", []xmlField{{"uint32_t", "time_boot_ms", 0}, {"float", "roll", 0}, {"float", "pitch", 0},
		{"float", "yaw", 0}, {"float", "rollspeed", 0}, {"float", "pitchspeed", 0}, {"float", "yawspeed", 0}}},
	IDGlobalPositionInt: {"GLOBAL_POSITION_INT", []xmlField{{"uint32_t", "time_boot_ms", 0}, {"int32_t", "lat", 0},
		{"int32_t", "lon", 0}, {"int32_t", "alt", 0}, {"int32_t", "relative_alt", 0}, {"int16_t", "vx", 0},
		{"int16_t", "vy", 0}, {"int16_t", "vz", 0}, {"uint16_t", "hdg", 0}}},
	IDVFRHUD: {"VFR_HUD", []xmlField{{"float", "airspeed", 0}, {"float", "groundspeed", 0}, {"int16_t", "heading", 0},
		{"uint16_t", "throttle", 0}, {"float", "alt", 0}, {"float", "climb", 0}}},
	IDCommandInt: {"COMMAND_INT", []xmlField{{"uint8_t", "target_system", 0}, {"uint8_t", "target_component", 0},
		{"uint8_t", "frame", 0}, {"uint16_t", "command", 0}, {"uint8_t", "current", 0}, {"uint8_t", "autocontinue", 0},
		{"float", "param1", 0}, {"float", "param2", 0}, {"float", "param3", 0}, {"float", "param4", 0},
		{"int32_t", "x", 0}, {"int32_t", "y", 0}, {"float", "z", 0}}},
	IDCommandLong: {"COMMAND_LONG", []xmlField{{"uint8_t", "target_system", 0}, {"uint8_t", "target_component", 0},
		{"uint16_t", "command", 0}, {"uint8_t", "confirmation", 0}, {"float", "param1", 0}, {"float", "param2", 0},
		{"float", "param3", 0}, {"float", "param4", 0}, {"float", "param5", 0}, {"float", "param6", 0}, {"float", "param7", 0}}},
	IDCommandAck: {"COMMAND_ACK", []xmlField{{"uint16_t", "command", 0}, {"uint8_t", "result", 0}}},
	IDPositionTargetGlobalInt: {"POSITION_TARGET_GLOBAL_INT", []xmlField{{"uint32_t", "time_boot_ms", 0},
		{"uint8_t", "coordinate_frame", 0}, {"uint16_t", "type_mask", 0}, {"int32_t", "lat_int", 0}, {"int32_t", "lon_int", 0},
		{"float", "alt", 0}, {"float", "vx", 0}, {"float", "vy", 0}, {"float", "vz", 0}, {"float", "afx", 0},
		{"float", "afy", 0}, {"float", "afz", 0}, {"float", "yaw", 0}, {"float", "yaw_rate", 0}}},
	IDBatteryStatus: {"BATTERY_STATUS", []xmlField{{"uint8_t", "id", 0}, {"uint8_t", "battery_function", 0},
		{"uint8_t", "type", 0}, {"int16_t", "temperature", 0}, {"uint16_t", "voltages", 10}, {"int16_t", "current_battery", 0},
		{"int32_t", "current_consumed", 0}, {"int32_t", "energy_consumed", 0}, {"int8_t", "battery_remaining", 0}}},
	IDExtendedSysState: {"EXTENDED_SYS_STATE", []xmlField{{"uint8_t", "vtol_state", 0}, {"uint8_t", "landed_state", 0}}},
	IDStatusText:       {"STATUSTEXT", []xmlField{{"uint8_t", "severity", 0}, {"char", "text", 50}}},
}

func TestCRCExtra(t *testing.T) {
	for id, in := range infos {
		x, ok := xmlMessages[id]
		if !ok {
			t.Errorf("message %d: no field list to check", id)
			continue
		}
		t.Run(x.name, func(t *testing.T) {
			extra, n := crcExtraOf(x.name, x.fields)
			if extra != in.crcExtra {
				t.Errorf("CRC_EXTRA = %d, table has %d", extra, in.crcExtra)
			}
			if n != in.minLen {
				t.Errorf("base length = %d, table has %d", n, in.minLen)
			}
		})
	}
}

// allMessages has one populated value of every message, for round trips.
func allMessages() []Message {
	var st StatusText
	copy(st.Text[:], "PreArm: GPS not healthy")
	st.Severity = 4
	return []Message{
		&Heartbeat{CustomMode: 4, Type: 2, Autopilot: 3, BaseMode: 217, SystemStatus: 4, MAVLinkVersion: 3},
		&SysStatus{Load: 250, VoltageBattery: 12600, CurrentBattery: 1520, DropRateComm: 3, BatteryRemaining: 87},
		&GPSRawInt{TimeUsec: 123456789, Lat: 341234567, Lon: 414567890, Alt: 210000, EPH: 80, EPV: 120, Vel: 1200,
			COG: 9000, FixType: 3, SatellitesVisible: 14, AltEllipsoid: 190000, HAcc: 1200, VAcc: 2000},
		&Attitude{TimeBootMs: 5000, Roll: 0.01, Pitch: -0.02, Yaw: 1.5, RollSpeed: 0.1, PitchSpeed: 0.2, YawSpeed: 0.3},
		&GlobalPositionInt{TimeBootMs: 5000, Lat: 341234567, Lon: 414567890, Alt: 250000, RelativeAlt: 100000,
			VX: 500, VY: -250, VZ: 10, Hdg: 27000},
		&VFRHUD{Airspeed: 12, Groundspeed: 11.5, Alt: 250, Climb: -0.5, Heading: 270, Throttle: 45},
		&CommandInt{Param1: -1, Param2: 1, Param4: float32(math.NaN()), X: 341000000, Y: 414000000, Z: 120,
			Command: CmdDoReposition, TargetSystem: 1, TargetComponent: 1, Frame: FrameGlobalRelativeAltInt},
		&CommandLong{Param: [7]float32{1, 4}, Command: CmdDoSetMode, TargetSystem: 1, TargetComponent: 1, Confirmation: 2},
		&CommandAck{Command: CmdDoReposition, Result: 2, Progress: 0, ResultParam2: -7, TargetSystem: 255, TargetComponent: 190},
		&PositionTargetGlobalInt{TimeBootMs: 7, LatInt: 341000000, LonInt: 414000000, Alt: 120, TypeMask: 0xDF8, CoordinateFrame: 6},
		&BatteryStatus{CurrentConsumed: 1200, Temperature: 3100, Voltage1: 12600, CurrentBattery: 1500, ID: 0,
			BatteryRemaining: 86, TimeRemaining: 900},
		&ExtendedSysState{VTOLState: 0, LandedState: 2},
		&st,
	}
}

// decodeMessage decodes a frame's payload into a new value of m's type.
func decodeMessage(f *Frame) Message {
	var s payload
	var m interface {
		Message
		decode(*payload, []byte)
	}
	switch f.MessageID {
	case IDHeartbeat:
		m = new(Heartbeat)
	case IDSysStatus:
		m = new(SysStatus)
	case IDGPSRawInt:
		m = new(GPSRawInt)
	case IDAttitude:
		m = new(Attitude)
	case IDGlobalPositionInt:
		m = new(GlobalPositionInt)
	case IDVFRHUD:
		m = new(VFRHUD)
	case IDCommandInt:
		m = new(CommandInt)
	case IDCommandLong:
		m = new(CommandLong)
	case IDCommandAck:
		m = new(CommandAck)
	case IDPositionTargetGlobalInt:
		m = new(PositionTargetGlobalInt)
	case IDBatteryStatus:
		m = new(BatteryStatus)
	case IDExtendedSysState:
		m = new(ExtendedSysState)
	case IDStatusText:
		m = new(StatusText)
	default:
		return nil
	}
	m.decode(&s, f.Payload)
	return m
}

func TestRoundTrip(t *testing.T) {
	for _, m := range allMessages() {
		in := infos[m.MessageID()]
		if got := len(m.AppendPayload(nil)); got != in.maxLen {
			t.Errorf("message %d: payload %d bytes, want %d", m.MessageID(), got, in.maxLen)
		}
		for _, ver := range []uint8{2, 1} {
			t.Run(reflect.TypeOf(m).Elem().Name()+"/v"+string('0'+ver), func(t *testing.T) {
				b, err := AppendFrame([]byte{0xAA}, Header{Version: ver, Seq: 9, SystemID: 1, ComponentID: 1}, m)
				if err != nil {
					t.Fatal(err)
				}
				f, n, err := Decode(b[1:])
				if err != nil {
					t.Fatalf("decode: %v", err)
				}
				if n != len(b)-1 || f.Version != ver || f.Seq != 9 || f.SystemID != 1 || f.MessageID != m.MessageID() {
					t.Fatalf("frame = %+v n=%d", f, n)
				}
				got := decodeMessage(&f)
				want := m
				if ver == 1 {
					// MAVLink 1 carries no extensions: compare with them zeroed.
					want = decodeMessage(&Frame{MessageID: m.MessageID(), Payload: m.AppendPayload(nil)[:infos[m.MessageID()].minLen]})
				}
				if !equalMessages(got, want) {
					t.Fatalf("got  %+v\nwant %+v", got, want)
				}
			})
		}
	}
}

// equalMessages compares encodings, so NaN parameters compare equal.
func equalMessages(a, b Message) bool {
	return bytes.Equal(a.AppendPayload(nil), b.AppendPayload(nil))
}

func TestTruncation(t *testing.T) {
	// An ack with no extension fields set ends in zeros: MAVLink 2 sends
	// only the first byte of command 192 (0xC0 0x00, result 0).
	b, err := AppendFrame(nil, Header{SystemID: 1, ComponentID: 1}, &CommandAck{Command: CmdDoReposition})
	if err != nil {
		t.Fatal(err)
	}
	if b[1] != 1 {
		t.Fatalf("payload length %d, want 1 (% x)", b[1], b)
	}
	f, _, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	var ack CommandAck
	ack.decode(new(payload), f.Payload)
	if ack != (CommandAck{Command: CmdDoReposition}) {
		t.Fatalf("ack = %+v", ack)
	}
	// An all-zero payload keeps one byte.
	b, _ = AppendFrame(nil, Header{}, &ExtendedSysState{})
	if b[1] != 1 {
		t.Fatalf("all-zero payload length %d, want 1", b[1])
	}
}

func TestDecodeErrors(t *testing.T) {
	good, _ := AppendFrame(nil, Header{SystemID: 1, ComponentID: 1}, &Heartbeat{Type: 2, Autopilot: 3})
	signed := signFrame(good)
	unknown := append([]byte(nil), good...)
	unknown[7] = 200 // msgid 200: not in our table
	badFlags := append([]byte(nil), good...)
	badFlags[2] = 0x02
	badCRC := append([]byte(nil), good...)
	badCRC[len(badCRC)-1] ^= 0xFF
	tests := []struct {
		name   string
		b      []byte
		short  bool
		reason Reason
		skip   int
	}{
		{"empty", nil, true, "", 0},
		{"header only", good[:5], true, "", 0},
		{"missing crc", good[:len(good)-1], true, "", 0},
		{"signed missing signature", signed[:len(signed)-3], true, "", 0},
		{"bad crc", badCRC, false, ReasonCRC, 1},
		{"bad flags", badFlags, false, ReasonFlags, 1},
		{"unknown message", unknown, false, ReasonUnknown, len(good)},
		{"not a start byte", []byte{0x00, 0x01}, false, ReasonGarbage, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := Decode(tt.b)
			if tt.short {
				if !errors.Is(err, ErrShort) {
					t.Fatalf("err = %v, want ErrShort", err)
				}
				return
			}
			var fe *FrameError
			if !errors.As(err, &fe) || fe.Reason != tt.reason || fe.Skip != tt.skip {
				t.Fatalf("err = %#v, want reason %s skip %d", err, tt.reason, tt.skip)
			}
		})
	}
	t.Run("signed", func(t *testing.T) {
		f, n, err := Decode(signed)
		if err != nil || n != len(signed) || !f.Signed() || len(f.Signature) != signatureLen {
			t.Fatalf("f=%+v n=%d err=%v", f, n, err)
		}
	})
}

// signFrame sets the signed flag on a MAVLink 2 frame, recomputes the CRC
// and appends a (meaningless) 13-byte signature block.
func signFrame(b []byte) []byte {
	out := append([]byte(nil), b...)
	out[2] |= incompatSigned
	end := len(out) - checksumLen
	extra, _ := crcExtra(uint32(out[7]) | uint32(out[8])<<8 | uint32(out[9])<<16)
	crc := crcAccumulate(crcAccumulateBytes(crcInit, out[1:end]), extra)
	out[end], out[end+1] = byte(crc), byte(crc>>8)
	return append(out, 1, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0xA1, 0xA2, 0xA3, 0xA4, 0xA5, 0xA6)
}

func TestParserResync(t *testing.T) {
	hb, _ := AppendFrame(nil, Header{Seq: 1, SystemID: 1, ComponentID: 1}, &Heartbeat{Type: 2, Autopilot: 3})
	pos, _ := AppendFrame(nil, Header{Seq: 2, SystemID: 1, ComponentID: 1}, &GlobalPositionInt{Lat: 1, Lon: 2})
	v1, _ := AppendFrame(nil, Header{Version: 1, Seq: 3, SystemID: 1, ComponentID: 1}, &SysStatus{BatteryRemaining: 50})
	badCRC := append([]byte(nil), pos...)
	badCRC[12] ^= 1
	var stream []byte
	stream = append(stream, 0x00, 0x13, 0x37) // garbage
	stream = append(stream, hb...)
	stream = append(stream, badCRC...)
	stream = append(stream, 0xFD, 0x05) // a start byte and a length, then a real frame
	stream = append(stream, pos...)
	stream = append(stream, signFrame(hb)...)
	stream = append(stream, v1...)
	want := []uint32{IDHeartbeat, IDGlobalPositionInt, IDHeartbeat, IDSysStatus}

	// Every split of the stream into two reads yields the same frames.
	for split := 0; split <= len(stream); split++ {
		var p Parser
		drops := map[Reason]int{}
		p.Drop = func(r Reason) { drops[r]++ }
		var got []uint32
		fn := func(f *Frame) { got = append(got, f.MessageID) }
		p.Parse(stream[:split], fn)
		p.Parse(stream[split:], fn)
		if !slices.Equal(got, want) {
			t.Fatalf("split %d: frames %v, want %v (drops %v)", split, got, want, drops)
		}
		if drops[ReasonGarbage] == 0 || drops[ReasonCRC] == 0 {
			t.Fatalf("split %d: drops %v, want garbage and bad_crc counted", split, drops)
		}
		if p.Pending() != 0 {
			t.Fatalf("split %d: %d bytes pending", split, p.Pending())
		}
	}
	// Byte by byte.
	var p Parser
	var got []uint32
	for i := range stream {
		p.Parse(stream[i:i+1], func(f *Frame) { got = append(got, f.MessageID) })
	}
	if !slices.Equal(got, want) {
		t.Fatalf("byte by byte: %v, want %v", got, want)
	}
	// A truncated tail is reported on Flush.
	var tr Reason
	p = Parser{Drop: func(r Reason) { tr = r }}
	p.Parse(hb[:7], func(*Frame) { t.Fatal("frame from a truncated stream") })
	p.Flush()
	if tr != ReasonTruncated {
		t.Fatalf("flush reason %q", tr)
	}
}

func TestModeName(t *testing.T) {
	tests := []struct {
		autopilot, typ, base uint8
		custom               uint32
		want                 string
	}{
		{mavAutopilotArduPilot, TypeQuadrotor, 1, 4, "GUIDED"},
		{mavAutopilotArduPilot, 13, 1, 5, "LOITER"},
		{mavAutopilotArduPilot, TypeFixedWing, 1, 15, "GUIDED"},
		{mavAutopilotArduPilot, TypeFixedWing, 1, 12, "LOITER"},
		{mavAutopilotArduPilot, 21, 1, 19, "QLOITER"},
		{mavAutopilotArduPilot, TypeRover, 1, 4, "HOLD"},
		{mavAutopilotArduPilot, TypeQuadrotor, 1, 99, "MODE_99"},
		{mavAutopilotPX4, TypeQuadrotor, 1, 0x03040000, "Hold"},
		{mavAutopilotPX4, TypeQuadrotor, 1, 67371008, "Mission"},
		{mavAutopilotPX4, TypeQuadrotor, 1, 84148224, "Return"},
		{mavAutopilotPX4, TypeQuadrotor, 1, 393216, "Offboard"},
		{mavAutopilotPX4, TypeQuadrotor, 1, 3 << 16, "Position"},
		{mavAutopilotPX4, TypeQuadrotor, 1, 3<<16 | 1<<24, "Orbit"},
		{mavAutopilotPX4, TypeQuadrotor, 1, 1 << 16, "Manual"},
		{mavAutopilotPX4, TypeQuadrotor, 1, 4<<16 | 42<<24, "PX4_4_42"},
		{mavAutopilotGeneric, TypeQuadrotor, 0xC0, 0, "BASE_64"},
		{mavAutopilotGeneric, TypeQuadrotor, 0x81, 7, "CUSTOM_7"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := ModeName(tt.autopilot, tt.typ, tt.base, tt.custom); got != tt.want {
				t.Fatalf("ModeName = %q, want %q", got, tt.want)
			}
		})
	}
}

var update = flag.Bool("update", false, "rewrite the golden and capture files under testdata")
