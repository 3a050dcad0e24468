package mavlink

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// Captures are datagrams a node-mavlink vehicle sent, recorded with
// `go test -run TestCapture -update`: each is a 2-byte big-endian length and
// the datagram. They seed the fuzz targets and the benchmarks.

var captures = []struct {
	name string
	args []string
}{
	{"ardupilot", []string{"--autopilot", "ardupilot", "--sysid", "1"}},
	{"px4", []string{"--autopilot", "px4", "--sysid", "2"}},
	{"ardupilot_v1", []string{"--autopilot", "ardupilot", "--sysid", "3", "--v1"}},
	{"px4_signed", []string{"--autopilot", "px4", "--sysid", "4", "--signed"}},
}

func capturePath(name string) string {
	return filepath.Join("testdata", "captures", name+".dgrams")
}

func readCapture(t testing.TB, name string) [][]byte {
	t.Helper()
	b, err := os.ReadFile(capturePath(name))
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	for len(b) >= 2 {
		n := int(binary.BigEndian.Uint16(b))
		if len(b) < 2+n {
			t.Fatalf("%s: truncated", capturePath(name))
		}
		out = append(out, b[2:2+n])
		b = b[2+n:]
	}
	return out
}

func TestCapture(t *testing.T) {
	if *update {
		for _, c := range captures {
			recordCapture(t, c.name, c.args)
		}
	}
	for _, c := range captures {
		t.Run(c.name, func(t *testing.T) {
			dgrams := readCapture(t, c.name)
			seen := map[uint32]int{}
			var p Parser
			p.Drop = func(r Reason) { t.Errorf("dropped: %s", r) }
			for i, d := range dgrams {
				n := 0
				p.Parse(d, func(f *Frame) { seen[f.MessageID]++; n++ })
				if n == 0 {
					t.Errorf("datagram %d: no frame in % x", i, d)
				}
			}
			for _, id := range []uint32{IDHeartbeat, IDSysStatus, IDGPSRawInt, IDGlobalPositionInt, IDVFRHUD, IDCommandAck} {
				if seen[id] == 0 {
					t.Errorf("no message %d in the capture: %v", id, seen)
				}
			}
		})
	}
}

// recordCapture runs the emulator against a bare socket for about two
// seconds, sending it one DO_REPOSITION so the capture holds an ack and
// motion.
func recordCapture(t *testing.T, name string, args []string) {
	conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fake := &Server{laddr: conn.LocalAddr().(*net.UDPAddr).AddrPort()}
	e := startEmulator(t, fake, args...)
	defer e.kill()
	var out []byte
	buf := make([]byte, 65536)
	end := time.Now().Add(2 * time.Second)
	sentCmd := false
	sys := uint8(0)
	for time.Now().Before(end) {
		conn.SetReadDeadline(end)
		n, from, err := conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				break
			}
			t.Fatal(err)
		}
		out = binary.BigEndian.AppendUint16(out, uint16(n))
		out = append(out, buf[:n]...)
		if sys == 0 {
			var p Parser
			p.Parse(buf[:n], func(f *Frame) { sys = f.SystemID })
		}
		if !sentCmd && sys != 0 {
			sentCmd = true
			b, _ := AppendFrame(nil, Header{SystemID: 255, ComponentID: 190}, &CommandInt{
				Param1: -1, Param2: 1, X: 333020000, Y: 411020000, Z: 120, Command: CmdDoReposition,
				Frame: FrameGlobalRelativeAltInt, TargetSystem: sys, TargetComponent: 1,
			})
			conn.WriteToUDPAddrPort(b, from)
		}
	}
	if err := os.MkdirAll(filepath.Dir(capturePath(name)), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(capturePath(name), out, 0o644); err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(os.Stderr, "recorded %s: %d bytes\n", capturePath(name), len(out))
}
