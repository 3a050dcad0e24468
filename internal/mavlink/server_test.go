package mavlink

import (
	"context"
	"errors"
	"math"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/borderwatch/borderwatch"
	"github.com/borderwatch/borderwatch/internal/metrics"
)

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
	return c.t
}

// harness is a started server with its observations and events on channels.
type harness struct {
	s   *Server
	obs chan borderwatch.Observation
	ev  chan Event
}

const waitLimit = 10 * time.Second

func startServer(t *testing.T, opts Options) *harness {
	t.Helper()
	h := &harness{obs: make(chan borderwatch.Observation, 4096), ev: make(chan Event, 256)}
	if opts.Addr == "" {
		opts.Addr = "127.0.0.1:0"
	}
	opts.Handler = func(_ context.Context, obs []borderwatch.Observation) error {
		for _, o := range obs {
			select {
			case h.obs <- o:
			default: // a test that does not read them
			}
		}
		return nil
	}
	opts.OnEvent = func(e Event) {
		select {
		case h.ev <- e:
		default:
		}
	}
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	h.s = s
	return h
}

// nextObs waits for an observation that satisfies ok.
func (h *harness) nextObs(t *testing.T, what string, ok func(borderwatch.Observation) bool) borderwatch.Observation {
	t.Helper()
	deadline := time.After(waitLimit)
	for {
		select {
		case o := <-h.obs:
			if ok(o) {
				return o
			}
		case <-deadline:
			t.Fatalf("no observation: %s", what)
		}
	}
}

// nextEvent waits for an event of kind for drone id ("" any).
func (h *harness) nextEvent(t *testing.T, kind EventKind, id string) Event {
	t.Helper()
	deadline := time.After(waitLimit)
	for {
		select {
		case e := <-h.ev:
			if e.Kind == kind && (id == "" || e.Drone.ID == id) {
				return e
			}
		case <-deadline:
			t.Fatalf("no %s event for %q", kind, id)
		}
	}
}

// goVehicle is a MAVLink sender built on this package's encoder, for unit
// tests of the server (the independent peer is the node emulator).
type goVehicle struct {
	t    *testing.T
	conn *net.UDPConn
	sys  uint8
	seq  uint8
}

func dialVehicle(t *testing.T, s *Server, sys uint8) *goVehicle {
	t.Helper()
	c, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(s.Addr()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &goVehicle{t: t, conn: c, sys: sys}
}

func (v *goVehicle) id() string {
	return "mav:" + itoa(int(v.sys)) + "@" + v.conn.LocalAddr().(*net.UDPAddr).AddrPort().String()
}

func itoa(i int) string { return strconv.Itoa(i) }

// frames encodes msgs as consecutive frames of one datagram.
func (v *goVehicle) frames(msgs ...Message) []byte {
	var b []byte
	for _, m := range msgs {
		var err error
		b, err = AppendFrame(b, Header{Seq: v.seq, SystemID: v.sys, ComponentID: 1}, m)
		if err != nil {
			v.t.Fatal(err)
		}
		v.seq++
	}
	return b
}

func (v *goVehicle) send(msgs ...Message) {
	v.t.Helper()
	v.write(v.frames(msgs...))
}

func (v *goVehicle) write(b []byte) {
	v.t.Helper()
	if _, err := v.conn.Write(b); err != nil {
		v.t.Fatal(err)
	}
}

func copterHeartbeat(mode uint32, armed bool) *Heartbeat {
	base := ModeFlagCustomModeEnabled
	if armed {
		base |= ModeFlagSafetyArmed
	}
	return &Heartbeat{CustomMode: mode, Type: TypeQuadrotor, Autopilot: mavAutopilotArduPilot, BaseMode: base, SystemStatus: 4, MAVLinkVersion: 3}
}

func TestServerTelemetry(t *testing.T) {
	clk := newFakeClock()
	h := startServer(t, Options{Now: clk.Now, Label: borderwatch.Label{Owner: "ibg"}, StreamRate: -1, GCSHeartbeat: -1,
		UnitID: func(sys uint8, _ netip.AddrPort) string { return "uav-" + itoa(int(sys)) }})
	v := dialVehicle(t, h.s, 7)
	// One datagram with several frames, as bridges and routers send them.
	v.send(
		copterHeartbeat(arduCopterGuided, true),
		&SysStatus{VoltageBattery: 15800, BatteryRemaining: 64, CurrentBattery: 900},
		&GPSRawInt{Lat: 333000000, Lon: 411000000, Alt: 350000, AltEllipsoid: 330000, FixType: 3, HAcc: 2000, EPH: 90},
		&VFRHUD{Groundspeed: 12.5, Heading: 45},
		&GlobalPositionInt{Lat: 333000000, Lon: 411000000, Alt: 350000, RelativeAlt: 100000, VX: 300, VY: 400, Hdg: 9000},
	)
	e := h.nextEvent(t, EventOnline, v.id())
	if e.Drone.Mode != "GUIDED" || !e.Drone.Armed || e.Drone.Autopilot != ArduPilot || e.Drone.UnitID != "uav-7" {
		t.Fatalf("online event drone = %+v", e.Drone)
	}
	o := h.nextObs(t, "position", func(borderwatch.Observation) bool { return true })
	want := borderwatch.LatLon{Lat: 33.3, Lon: 41.1}
	switch {
	case o.Position == nil || math.Abs(o.Position.Lat-want.Lat) > 1e-9 || math.Abs(o.Position.Lon-want.Lon) > 1e-9:
		t.Fatalf("position %v, want %v", o.Position, want)
	case o.Alt == nil || math.Abs(*o.Alt-330) > 1e-9: // 350 m MSL, ellipsoid 20 m below the geoid
		t.Fatalf("alt %v, want 330 (ellipsoid)", o.Alt)
	case o.Velocity == nil || *o.Velocity != (borderwatch.Velocity{East: 4, North: 3}):
		t.Fatalf("velocity %v", o.Velocity)
	case !o.Friendly || o.UnitID != "uav-7" || o.Source != (borderwatch.Source{ID: v.id(), Kind: borderwatch.SourceDrone}):
		t.Fatalf("identity: friendly %v unit %q source %+v", o.Friendly, o.UnitID, o.Source)
	case o.Class != borderwatch.ClassAircraft || o.Label.Owner != "ibg" || !o.Time.Equal(clk.Now()):
		t.Fatalf("class %q label %+v time %v", o.Class, o.Label, o.Time)
	case o.Cov != borderwatch.Isotropic(2):
		t.Fatalf("cov %+v, want isotropic 2 m (h_acc)", o.Cov)
	case o.Attrs[AttrMode] != "GUIDED" || o.Attrs[AttrBattery] != "64" || o.Attrs[AttrAltRel] != "100.0" || o.Attrs[AttrAltMSL] != "" || o.Attrs[AttrArmed] != "true":
		t.Fatalf("attrs %v", o.Attrs)
	case o.ID == "" || !o.Stale.Equal(clk.Now().Add(3*time.Second)):
		t.Fatalf("id %q stale %v", o.ID, o.Stale)
	}
	d, ok := h.s.Drone(v.id())
	if !ok {
		t.Fatalf("drone %s not listed: %v", v.id(), h.s.Drones())
	}
	if d.Battery != 64 || d.BatteryVoltage != 15.8 || d.Heading != 90 || d.GroundSpeed != 12.5 || d.AltRel != 100 ||
		d.AltMSL != 350 || !d.Online || d.GPSFix != 3 || d.Link.Received != 5 || d.Link.Lost != 0 {
		t.Fatalf("drone = %+v", d)
	}
}

func TestServerLinkHealth(t *testing.T) {
	clk := newFakeClock()
	h := startServer(t, Options{Now: clk.Now, StreamRate: -1, GCSHeartbeat: -1, HeartbeatTimeout: 3 * time.Second})
	v := dialVehicle(t, h.s, 1)
	v.send(copterHeartbeat(5, false))
	id := v.id()
	h.nextEvent(t, EventOnline, id)
	v.seq += 4 // four frames lost
	v.send(copterHeartbeat(arduCopterGuided, true))
	if e := h.nextEvent(t, EventMode, id); e.Drone.Mode != "GUIDED" {
		t.Fatalf("mode event %+v", e.Drone)
	}
	if e := h.nextEvent(t, EventArmed, id); e.Drone.Link.Lost != 4 || e.Drone.Link.Received != 2 || e.Drone.Link.Loss != 4.0/6 {
		t.Fatalf("link %+v", e.Drone.Link)
	}

	// Heartbeat loss: nothing changes until the timeout has passed.
	if ev := h.s.sweep(clk.Advance(3 * time.Second)); len(ev) != 0 {
		t.Fatalf("events at the timeout: %v", ev)
	}
	ev := h.s.sweep(clk.Advance(time.Millisecond))
	if len(ev) != 1 || ev[0].Kind != EventOffline || ev[0].Drone.Online {
		t.Fatalf("events after the timeout: %+v", ev)
	}
	if d, _ := h.s.Drone(id); d.Online {
		t.Fatal("drone still online")
	}
	if _, err := h.s.GoTo(t.Context(), id, borderwatch.LatLon{Lat: 1, Lon: 1}, 50); borderwatch.ErrorCodeOf(err) != borderwatch.EUNAVAILABLE {
		t.Fatalf("GoTo offline drone: %v", err)
	}
	v.send(copterHeartbeat(arduCopterGuided, true))
	h.nextEvent(t, EventOnline, id)
	// Long gone drones are forgotten.
	h.s.sweep(clk.Advance(4 * time.Second))
	h.s.sweep(clk.Advance(2 * time.Hour))
	if _, ok := h.s.Drone(id); ok {
		t.Fatal("drone not forgotten after ForgetAfter")
	}
}

func TestServerBadInput(t *testing.T) {
	reg := metrics.NewRegistry()
	h := startServer(t, Options{Metrics: reg, StreamRate: -1, GCSHeartbeat: -1})
	v := dialVehicle(t, h.s, 3)
	good := v.frames(&GlobalPositionInt{Lat: 1e7, Lon: 1e7})
	bad := slices.Clone(good)
	bad[14] ^= 0xFF
	unknown := slices.Clone(good)
	unknown[7] = 250
	v.write(good) // before any heartbeat: ignored and counted
	v.write([]byte("GET / HTTP/1.1\r\n\r\n"))
	v.write(bad)
	v.write(unknown)
	v.write([]byte{MagicV2, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 0}) // unknown incompat flag
	v.write(nil)
	v.write(make([]byte, MaxDatagram+1)) // too large
	v.send(copterHeartbeat(5, true), &GlobalPositionInt{Lat: 2e7, Lon: 2e7})
	h.nextObs(t, "position after the garbage", func(o borderwatch.Observation) bool { return o.Position.Lat == 2 })
	st := h.s.Stats()
	for _, r := range []Reason{ReasonNoHeartbeat, ReasonGarbage, ReasonCRC, ReasonUnknown, ReasonFlags, ReasonTooLarge} {
		if st.Dropped[r] == 0 {
			t.Errorf("reason %s not counted: %v", r, st.Dropped)
		}
	}
	var sb stringsBuilder
	reg.WriteTo(&sb)
	if !sb.contains(`borderwatch_mavlink_input_dropped_total{reason="bad_crc"} 1`) {
		t.Errorf("metrics:\n%s", sb.s)
	}
}

type stringsBuilder struct{ s string }

func (b *stringsBuilder) Write(p []byte) (int, error) { b.s += string(p); return len(p), nil }
func (b *stringsBuilder) contains(s string) bool {
	return len(b.s) >= len(s) && slices.ContainsFunc(splitLines(b.s), func(l string) bool { return l == s })
}

func splitLines(s string) []string {
	var out []string
	for len(s) > 0 {
		i := 0
		for i < len(s) && s[i] != '\n' {
			i++
		}
		out = append(out, s[:i])
		if i < len(s) {
			i++
		}
		s = s[i:]
	}
	return out
}

func TestServerIPv6(t *testing.T) {
	if c, err := net.ListenUDP("udp6", &net.UDPAddr{IP: net.IPv6loopback}); err != nil {
		t.Skipf("no IPv6 loopback here: %v", err)
	} else {
		c.Close()
	}
	h := startServer(t, Options{Addr: "[::1]:0", StreamRate: -1, GCSHeartbeat: -1})
	v := dialVehicle(t, h.s, 9)
	v.send(copterHeartbeat(5, true))
	e := h.nextEvent(t, EventOnline, "")
	if e.Drone.ID != v.id() || !e.Drone.Remote.Addr().Is6() || e.Drone.ID[:12] != "mav:9@[::1]:" {
		t.Fatalf("drone id %q, remote %v, want %q", e.Drone.ID, e.Drone.Remote, v.id())
	}
}

func TestServerLimits(t *testing.T) {
	h := startServer(t, Options{MaxVehicles: 1, MaxRate: 3, StreamRate: -1, GCSHeartbeat: -1, Now: newFakeClock().Now})
	a := dialVehicle(t, h.s, 1)
	a.send(copterHeartbeat(5, true))
	h.nextEvent(t, EventOnline, a.id())
	b := dialVehicle(t, h.s, 2)
	b.send(copterHeartbeat(5, true)) // a second vehicle: over MaxVehicles
	// Four more frames from a within one (fake, frozen) second: over MaxRate 3.
	a.send(&GlobalPositionInt{Lat: 1e7, Lon: 1e7}, &GlobalPositionInt{Lat: 1e7, Lon: 1e7},
		&GlobalPositionInt{Lat: 1e7, Lon: 1e7}, &GlobalPositionInt{Lat: 1e7, Lon: 1e7})
	h.nextObs(t, "a position", func(borderwatch.Observation) bool { return true })
	st := h.s.Stats()
	if st.Dropped[ReasonTooManyVehicles] != 1 || st.Dropped[ReasonRateLimited] != 2 {
		t.Fatalf("malformed %v", st.Dropped)
	}
	if n := len(h.s.Drones()); n != 1 {
		t.Fatalf("%d drones", n)
	}
}

// received is a command a goVehicle got.
type received struct {
	via          string // command_int or command_long
	frame        uint8
	confirmation uint8
	z            float32
}

// respond answers DO_REPOSITION commands: the i-th command received gets
// the acks of replies[i] (none when i is past the end). It reports each
// command on the returned channel and stops when the connection closes.
func (v *goVehicle) respond(replies [][]CommandAck) <-chan received {
	out := make(chan received, 64)
	go func() {
		defer close(out)
		buf := make([]byte, 2048)
		var p Parser
		var s payload
		n := 0
		for {
			k, err := v.conn.Read(buf)
			if err != nil {
				return
			}
			p.Parse(buf[:k], func(f *Frame) {
				var r received
				switch f.MessageID {
				case IDCommandInt:
					var c CommandInt
					c.decode(&s, f.Payload)
					if c.Command != CmdDoReposition {
						return
					}
					r = received{via: "command_int", frame: c.Frame, z: c.Z}
				case IDCommandLong:
					var c CommandLong
					c.decode(&s, f.Payload)
					if c.Command != CmdDoReposition {
						return
					}
					r = received{via: "command_long", confirmation: c.Confirmation, z: c.Param[6]}
				default:
					return
				}
				out <- r
				if n < len(replies) {
					for _, a := range replies[n] {
						b, _ := AppendFrame(nil, Header{Seq: v.seq, SystemID: v.sys, ComponentID: 1}, &a)
						v.seq++
						v.conn.Write(b)
					}
				}
				n++
			})
		}
	}()
	return out
}

// TestGoToAcks drives GoTo against a vehicle written with this package, for
// the acknowledgement paths the node emulator does not take.
func TestGoToAcks(t *testing.T) {
	ack := func(r uint8) CommandAck {
		return CommandAck{Command: CmdDoReposition, Result: r, TargetSystem: 255, TargetComponent: 190}
	}
	tests := []struct {
		name      string
		autopilot uint8
		replies   [][]CommandAck
		wantErr   error
		wantAck   AckResult
		wantVia   []string
		wantFrame uint8
	}{
		{"in progress then accepted", mavAutopilotArduPilot, [][]CommandAck{{ack(5), ack(0)}}, nil, AckAccepted,
			[]string{"command_int"}, FrameGlobalRelativeAltInt},
		{"temporarily rejected then accepted", mavAutopilotArduPilot, [][]CommandAck{{ack(1)}, {ack(0)}}, nil, AckAccepted,
			[]string{"command_int", "command_int"}, FrameGlobalRelativeAltInt},
		{"unsupported frame: AMSL retry", mavAutopilotArduPilot, [][]CommandAck{{ack(9)}, {ack(0)}}, nil, AckAccepted,
			[]string{"command_int", "command_int"}, FrameGlobalInt},
		{"ack for another GCS is not ours", mavAutopilotPX4, [][]CommandAck{{{Command: CmdDoReposition, TargetSystem: 42}}}, ErrTimeout, AckTimeout,
			[]string{"command_int", "command_int", "command_int", "command_long", "command_long", "command_long"}, FrameGlobalInt},
		{"failed", mavAutopilotPX4, [][]CommandAck{{ack(4)}}, ErrRejected, AckFailed, []string{"command_int"}, FrameGlobalInt},
		{"command long only", mavAutopilotPX4, [][]CommandAck{{ack(7)}, {ack(0)}}, nil, AckAccepted,
			[]string{"command_int", "command_long"}, FrameGlobalInt},
		{"untargeted ack", mavAutopilotPX4, [][]CommandAck{{{Command: CmdDoReposition}}}, nil, AckAccepted, []string{"command_int"}, FrameGlobalInt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := startServer(t, Options{StreamRate: -1, GCSHeartbeat: -1, CommandTimeout: 100 * time.Millisecond, CommandAttempts: 3})
			v := dialVehicle(t, h.s, 1)
			v.send(&Heartbeat{CustomMode: 3 << 16, Type: TypeQuadrotor, Autopilot: tt.autopilot, BaseMode: 129},
				&GlobalPositionInt{Lat: 33e7, Lon: 41e7, Alt: 300000, RelativeAlt: 50000})
			h.nextObs(t, "position", func(borderwatch.Observation) bool { return true })
			got := v.respond(tt.replies)
			res, err := h.s.GoTo(t.Context(), v.id(), borderwatch.LatLon{Lat: 33.01, Lon: 41.01}, 80)
			if tt.wantErr == nil && err != nil || tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			var ce *CommandError
			if err != nil && (!errors.As(err, &ce) || ce.Ack != tt.wantAck) {
				t.Fatalf("err %v: want a CommandError with %s", err, tt.wantAck)
			}
			if err == nil && (res.Ack != tt.wantAck || res.Via != tt.wantVia[len(tt.wantVia)-1] || res.Frame != tt.wantFrame) {
				t.Fatalf("result %+v", res)
			}
			v.conn.Close()
			var vias []string
			for r := range got {
				vias = append(vias, r.via)
				wantZ := float32(80)
				if tt.wantFrame == FrameGlobalInt && (r.frame == FrameGlobalInt || r.via == "command_long") {
					wantZ = 330 // home 250 m AMSL + 80
				}
				if r.z != wantZ {
					t.Errorf("%s frame %d: altitude %v, want %v", r.via, r.frame, r.z, wantZ)
				}
			}
			if !slices.Equal(vias, tt.wantVia) {
				t.Fatalf("vehicle received %v, want %v", vias, tt.wantVia)
			}
		})
	}
}

func TestGoToInvalid(t *testing.T) {
	h := startServer(t, Options{StreamRate: -1, GCSHeartbeat: -1})
	tests := []struct {
		name   string
		id     string
		target borderwatch.LatLon
		alt    float64
		code   borderwatch.ErrorCode
	}{
		{"unknown drone", "mav:9@127.0.0.1:1", borderwatch.LatLon{Lat: 1, Lon: 1}, 50, borderwatch.ENOTFOUND},
		{"latitude out of range", "x", borderwatch.LatLon{Lat: 91, Lon: 1}, 50, borderwatch.EINVALID},
		{"NaN longitude", "x", borderwatch.LatLon{Lat: 1, Lon: math.NaN()}, 50, borderwatch.EINVALID},
		{"NaN altitude", "x", borderwatch.LatLon{Lat: 1, Lon: 1}, math.NaN(), borderwatch.EINVALID},
		{"altitude too high", "x", borderwatch.LatLon{Lat: 1, Lon: 1}, 20000, borderwatch.EINVALID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := h.s.GoTo(t.Context(), tt.id, tt.target, tt.alt)
			if c := borderwatch.ErrorCodeOf(err); c != tt.code {
				t.Fatalf("err %v: code %q, want %q", err, c, tt.code)
			}
		})
	}
}

func TestOptions(t *testing.T) {
	tests := []struct {
		name string
		opts Options
		ok   bool
		addr string
	}{
		{"defaults", Options{}, true, ":14550"},
		{"url", Options{Addr: "mavlink+udp://127.0.0.1:14551"}, true, "127.0.0.1:14551"},
		{"no port", Options{Addr: "localhost"}, false, ""},
		{"negative timeout", Options{HeartbeatTimeout: -time.Second}, false, ""},
		{"NaN radius", Options{LoiterRadius: math.NaN()}, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := New(tt.opts)
			if (err == nil) != tt.ok {
				t.Fatalf("err = %v, want ok=%v", err, tt.ok)
			}
			if err == nil && s.opts.Addr != tt.addr {
				t.Fatalf("addr %q, want %q", s.opts.Addr, tt.addr)
			}
		})
	}
}
