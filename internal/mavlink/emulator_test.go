package mavlink

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"os/exec"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/borderwatch/borderwatch"
)

// emulator is a running testdata/emulator/vehicle.js.
type emulator struct {
	cmd    *exec.Cmd
	port   int
	id     string // the drone id the server gives it
	done   chan struct{}
	notify chan struct{}

	mu     sync.Mutex
	stderr bytes.Buffer
	log    []map[string]any // every event, in order
	taken  map[string]int   // per kind, how many next has returned
}

// startEmulator runs the node vehicle against s with the given arguments.
func startEmulator(t *testing.T, s *Server, args ...string) *emulator {
	t.Helper()
	dir := emulatorDir(t)
	args = append([]string{"vehicle.js", "--gcs", s.Addr().String()}, args...)
	cmd := exec.Command("node", args...)
	cmd.Dir = dir
	e := &emulator{cmd: cmd, done: make(chan struct{}), notify: make(chan struct{}, 1), taken: map[string]int{}}
	cmd.Stderr = &lockedWriter{mu: &e.mu, w: &e.stderr}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		defer close(e.done)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			var ev map[string]any
			if json.Unmarshal(sc.Bytes(), &ev) != nil {
				continue
			}
			e.mu.Lock()
			e.log = append(e.log, ev)
			e.mu.Unlock()
			select {
			case e.notify <- struct{}{}:
			default:
			}
		}
	}()
	t.Cleanup(func() { e.kill() })
	ready := e.next(t, "ready")
	e.port = int(ready["port"].(float64))
	sys := int(ready["sysid"].(float64))
	e.id = "mav:" + strconv.Itoa(sys) + "@127.0.0.1:" + strconv.Itoa(e.port)
	return e
}

func (e *emulator) kill() {
	if e.cmd.Process != nil {
		e.cmd.Process.Kill()
		e.cmd.Wait()
		<-e.done
	}
}

// next returns the emulator's next event of kind not returned before.
func (e *emulator) next(t *testing.T, kind string) map[string]any {
	t.Helper()
	deadline := time.After(waitLimit)
	for {
		e.mu.Lock()
		n := 0
		for _, ev := range e.log {
			if ev["event"] == "crc_error" && e.taken["crc_error"] == 0 {
				e.taken["crc_error"] = 1
				t.Errorf("node-mavlink reports a CRC error on our frame: %v", ev["hex"])
			}
			if ev["event"] != kind {
				continue
			}
			if n == e.taken[kind] {
				e.taken[kind]++
				e.mu.Unlock()
				return ev
			}
			n++
		}
		e.mu.Unlock()
		select {
		case <-e.notify:
		case <-e.done:
			e.mu.Lock()
			defer e.mu.Unlock()
			t.Fatalf("emulator exited waiting for %q: %s", kind, e.stderr.String())
		case <-deadline:
			t.Fatalf("emulator: no %q event", kind)
		}
	}
}

// waitCommand waits until the vehicle has reported command cmd via
// ("command_int", "command_long"); stdout may lag the UDP answer.
func (e *emulator) waitCommand(t *testing.T, cmd uint16, via string) {
	t.Helper()
	for {
		ev := e.next(t, "command")
		if ev["command"].(float64) == float64(cmd) && ev["via"] == via {
			return
		}
	}
}

// commands returns every command event of command cmd so far.
func (e *emulator) commands(cmd uint16) []map[string]any {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []map[string]any
	for _, ev := range e.log {
		if ev["event"] == "command" && ev["command"].(float64) == float64(cmd) {
			out = append(out, ev)
		}
	}
	return out
}

type lockedWriter struct {
	mu *sync.Mutex
	w  *bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// metres between two nearby points (equirectangular; fine below 10 km).
func metres(a, b borderwatch.LatLon) float64 {
	const r = 6371000.0
	x := (b.Lon - a.Lon) * math.Pi / 180 * math.Cos((a.Lat+b.Lat)/2*math.Pi/180)
	y := (b.Lat - a.Lat) * math.Pi / 180
	return r * math.Hypot(x, y)
}

func emulatorOptions() Options {
	return Options{
		HeartbeatTimeout: time.Second,
		CommandTimeout:   200 * time.Millisecond,
		CommandAttempts:  3,
		GCSHeartbeat:     100 * time.Millisecond,
	}
}

func TestEmulatorTelemetry(t *testing.T) {
	t.Parallel()
	tests := []struct {
		autopilot Autopilot
		mode      string
	}{
		{ArduPilot, "LOITER"},
		{PX4, "Position"},
	}
	for _, tt := range tests {
		t.Run(string(tt.autopilot), func(t *testing.T) {
			t.Parallel()
			h := startServer(t, emulatorOptions())
			e := startEmulator(t, h.s, "--autopilot", string(tt.autopilot), "--sysid", "3", "--lat", "33.3", "--lon", "41.1",
				"--alt", "100", "--home-amsl", "250", "--battery", "87")
			ev := h.nextEvent(t, EventOnline, e.id)
			if ev.Drone.Autopilot != tt.autopilot || ev.Drone.Mode != tt.mode || !ev.Drone.Armed || ev.Drone.SystemID != 3 {
				t.Fatalf("online: %+v", ev.Drone)
			}
			o := h.nextObs(t, "a position with battery", func(o borderwatch.Observation) bool {
				return o.Source.ID == e.id && o.Attrs[AttrBattery] == "87"
			})
			if d := metres(*o.Position, borderwatch.LatLon{Lat: 33.3, Lon: 41.1}); d > 0.05 {
				t.Fatalf("position %v is %.2f m off", *o.Position, d)
			}
			if o.Attrs[AttrAltRel] != "100.0" || o.Alt == nil || math.Abs(*o.Alt-330) > 0.01 {
				t.Fatalf("altitudes: attrs %v alt %v", o.Attrs, o.Alt)
			}
			if o.Attrs[AttrMode] != tt.mode || !o.Friendly || o.UnitID != e.id {
				t.Fatalf("observation %+v", o)
			}
			d, _ := h.s.Drone(e.id)
			if d.Battery != 87 || d.Heading != 90 || d.GPSFix != 3 || d.Satellites != 15 || d.Link.Received == 0 {
				t.Fatalf("drone %+v", d)
			}
			// The vehicle hears our heartbeat, framed so node-mavlink accepts it.
			hb := e.next(t, "gcs_heartbeat")
			if hb["sysid"].(float64) != 255 || hb["compid"].(float64) != 190 || hb["type"].(float64) != TypeGCS {
				t.Fatalf("gcs heartbeat %v", hb)
			}
			if tt.autopilot == ArduPilot {
				// ArduPilot is asked for its streams (4 Hz by default).
				iv := e.next(t, "interval")
				if iv["us"].(float64) != 250000 {
					t.Fatalf("interval request %v", iv)
				}
			}
		})
	}
}

func TestEmulatorGoTo(t *testing.T) {
	t.Parallel()
	target := borderwatch.LatLon{Lat: 33.302, Lon: 41.102}
	tests := []struct {
		name      string
		args      []string
		setGuided bool
		wantMode  string
		wantVia   string
		wantFrame float64 // of the COMMAND_INT the vehicle received
	}{
		{"ardupilot", []string{"--autopilot", "ardupilot"}, false, "GUIDED", "command_int", 6},
		{"ardupilot set guided first", []string{"--autopilot", "ardupilot"}, true, "GUIDED", "command_int", 6},
		{"px4", []string{"--autopilot", "px4"}, false, "Hold", "command_int", 5},
		{"px4 command_long fallback", []string{"--autopilot", "px4", "--on-reposition", "int-unsupported"}, false, "Hold", "command_long", 5},
		{"ardupilot command_long fallback", []string{"--autopilot", "ardupilot", "--on-reposition", "int-unsupported"}, false, "GUIDED", "command_long", 6},
		{"mavlink 1 vehicle", []string{"--autopilot", "ardupilot", "--v1"}, false, "GUIDED", "command_int", 6},
		{"signed vehicle", []string{"--autopilot", "px4", "--signed"}, false, "Hold", "command_int", 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			opts := emulatorOptions()
			opts.SetGuidedFirst = tt.setGuided
			h := startServer(t, opts)
			e := startEmulator(t, h.s, append([]string{"--home-amsl", "250", "--alt", "60"}, tt.args...)...)
			h.nextObs(t, "first position", func(o borderwatch.Observation) bool { return o.Source.ID == e.id })

			res, err := h.s.GoTo(t.Context(), e.id, target, 120)
			if err != nil {
				t.Fatalf("GoTo: %v", err)
			}
			if res.Ack != AckAccepted || res.Via != tt.wantVia || res.ModeSet != tt.setGuided {
				t.Fatalf("result %+v", res)
			}
			// The drone flies there and holds at 120 m above home.
			o := h.nextObs(t, "position at the target", func(o borderwatch.Observation) bool {
				return o.Source.ID == e.id && metres(*o.Position, target) < 1 && o.Attrs[AttrAltRel] == "120.0"
			})
			if o.Attrs[AttrMode] != tt.wantMode {
				t.Fatalf("mode at the target %q, want %q", o.Attrs[AttrMode], tt.wantMode)
			}
			e.waitCommand(t, CmdDoReposition, tt.wantVia)
			cmds := e.commands(CmdDoReposition)
			if modes := e.commands(CmdDoSetMode); len(modes) > 0 != tt.setGuided {
				t.Errorf("DO_SET_MODE sent: %v, SetGuidedFirst %v", modes, tt.setGuided)
			} else if tt.setGuided && modes[0]["params"].([]any)[1].(float64) != 4 {
				t.Errorf("want DO_SET_MODE GUIDED (4): %v", modes)
			}
			var sawInt bool
			for _, c := range cmds {
				if c["via"] == "command_int" {
					sawInt = true
					p := c["params"].([]any)
					if c["frame"].(float64) != tt.wantFrame || p[1].(float64) != 1 || p[3] != "NaN" ||
						c["target_system"].(float64) != 1 || c["from_system"].(float64) != 255 {
						t.Errorf("COMMAND_INT as the vehicle saw it: %v", c)
					}
				}
			}
			if !sawInt {
				t.Errorf("vehicle saw no COMMAND_INT: %v", cmds)
			}
		})
	}
}

func TestEmulatorDenied(t *testing.T) {
	t.Parallel()
	h := startServer(t, emulatorOptions())
	e := startEmulator(t, h.s, "--autopilot", "ardupilot", "--on-reposition", "deny")
	h.nextObs(t, "first position", func(o borderwatch.Observation) bool { return o.Source.ID == e.id })
	_, err := h.s.GoTo(t.Context(), e.id, borderwatch.LatLon{Lat: 33.31, Lon: 41.11}, 80)
	var ce *CommandError
	if !errors.As(err, &ce) || ce.Ack != AckDenied || ce.Attempts != 1 || !errors.Is(err, ErrRejected) {
		t.Fatalf("err = %v, want denied after one attempt", err)
	}
	if borderwatch.ErrorCodeOf(err) != borderwatch.ECONFLICT {
		t.Fatalf("code %q", borderwatch.ErrorCodeOf(err))
	}
	e.waitCommand(t, CmdDoReposition, "command_int")
	if n := len(e.commands(CmdDoReposition)); n != 1 {
		t.Fatalf("vehicle received %d commands, want 1", n)
	}
}

func TestEmulatorNoAnswer(t *testing.T) {
	t.Parallel()
	h := startServer(t, emulatorOptions())
	e := startEmulator(t, h.s, "--autopilot", "px4", "--on-reposition", "ignore")
	h.nextObs(t, "first position", func(o borderwatch.Observation) bool { return o.Source.ID == e.id })
	_, err := h.s.GoTo(t.Context(), e.id, borderwatch.LatLon{Lat: 33.31, Lon: 41.11}, 80)
	var ce *CommandError
	if !errors.As(err, &ce) || ce.Ack != AckTimeout || ce.Attempts != 6 || !errors.Is(err, ErrTimeout) {
		t.Fatalf("err = %v, want a timeout after 3 COMMAND_INT and 3 COMMAND_LONG", err)
	}
	if borderwatch.ErrorCodeOf(err) != borderwatch.EUNAVAILABLE {
		t.Fatalf("code %q", borderwatch.ErrorCodeOf(err))
	}
	// The vehicle saw every attempt, COMMAND_LONG with confirmation 0, 1, 2.
	var vias []string
	var confirmations []float64
	for range 6 {
		ev := e.next(t, "command")
		if ev["command"].(float64) != float64(CmdDoReposition) {
			continue
		}
		vias = append(vias, ev["via"].(string))
		if ev["via"] == "command_long" {
			confirmations = append(confirmations, ev["confirmation"].(float64))
		}
	}
	if !slices.Equal(vias, []string{"command_int", "command_int", "command_int", "command_long", "command_long", "command_long"}) ||
		!slices.Equal(confirmations, []float64{0, 1, 2}) {
		t.Fatalf("vehicle saw %v, confirmations %v", vias, confirmations)
	}
}

func TestEmulatorKilled(t *testing.T) {
	t.Parallel()
	opts := emulatorOptions()
	opts.HeartbeatTimeout = 600 * time.Millisecond
	h := startServer(t, opts)
	e := startEmulator(t, h.s, "--autopilot", "ardupilot")
	h.nextEvent(t, EventOnline, e.id)
	e.kill()
	ev := h.nextEvent(t, EventOffline, e.id)
	if ev.Drone.Online || ev.Time.Sub(ev.Drone.Link.LastHeartbeat) <= opts.HeartbeatTimeout {
		t.Fatalf("offline event %+v", ev)
	}
	if d, _ := h.s.Drone(e.id); d.Online {
		t.Fatal("drone still online")
	}
}
