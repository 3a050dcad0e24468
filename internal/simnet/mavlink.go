package simnet

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"net"
	"sync"
	"time"

	"github.com/borderwatch/borderwatch"
	"github.com/borderwatch/borderwatch/internal/mavlink"
	"github.com/borderwatch/borderwatch/internal/sim"
)

// MAVLink values the simulated vehicles use (common.xml).
const (
	autopilotPX4    = 12
	typeVTOLFixed   = 22 // MAV_TYPE_VTOL_FIXEDROTOR
	stateStandby    = 3
	stateActive     = 4
	landedOnGround  = 1
	landedInAir     = 2
	resultAccepted  = 0
	resultDenied    = 2
	resultUnsupport = 3
	compAutopilot   = 1
	// PX4 custom modes: main mode << 16 | sub mode << 24.
	px4Ready   = 4<<16 | 1<<24
	px4Hold    = 4<<16 | 3<<24
	px4Mission = 4<<16 | 4<<24
	px4Return  = 4<<16 | 5<<24
	// MAV_MODE_FLAG: custom, guided, auto, stabilize, armed.
	baseFlying = 1 | 8 | 4 | 16 | 128
)

// mavSender flies one UDP socket per drone, as real vehicles each have
// their own radio or modem address.
type mavSender struct {
	s    *Sender
	addr *net.UDPAddr
	mu   sync.Mutex
	v    map[uint8]*vehicle
	wg   sync.WaitGroup
}

type vehicle struct {
	id      string
	sys     uint8
	conn    *net.UDPConn
	seq     uint8
	lastHB  time.Time
	lastSys time.Time
	lastPos time.Time
	boot    time.Time
	mu      sync.Mutex // seq and writes
	buf     []byte
}

func newMAVSender(s *Sender) (*mavSender, error) {
	a, err := net.ResolveUDPAddr("udp", s.o.MAVLinkAddr)
	if err != nil {
		return nil, fmt.Errorf("simnet: mavlink address %q: %w", s.o.MAVLinkAddr, err)
	}
	return &mavSender{s: s, addr: a, v: map[uint8]*vehicle{}}, nil
}

func (m *mavSender) vehicle(d *sim.DroneState) (*vehicle, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if v := m.v[d.SystemID]; v != nil {
		return v, nil
	}
	conn, err := net.DialUDP("udp", nil, m.addr)
	if err != nil {
		return nil, fmt.Errorf("mavlink %s: %w", d.ID, err)
	}
	v := &vehicle{id: d.ID, sys: d.SystemID, conn: conn, boot: m.s.o.Now()}
	m.v[d.SystemID] = v
	m.wg.Add(1)
	go func() { defer m.wg.Done(); m.listen(v) }()
	return v, nil
}

// send sends each drone's telemetry: HEARTBEAT and EXTENDED_SYS_STATE once
// a second, GLOBAL_POSITION_INT up to four times a second, SYS_STATUS
// (battery) every five seconds and, when tasked, the position target.
func (m *mavSender) send(ds []sim.DroneState) {
	now := m.s.o.Now()
	for i := range ds {
		d := &ds[i]
		v, err := m.vehicle(d)
		if err != nil {
			m.s.fault("mavlink", err)
			continue
		}
		var msgs []mavlink.Message
		flying := d.Mode != sim.DroneLanded
		if now.Sub(v.lastHB) >= time.Second {
			v.lastHB = now
			hb := &mavlink.Heartbeat{Type: mavlink.TypeQuadrotor, Autopilot: autopilotPX4, BaseMode: 1, SystemStatus: stateStandby, MAVLinkVersion: 3, CustomMode: px4Ready}
			if d.FixedWing {
				hb.Type = typeVTOLFixed
			}
			if flying {
				hb.BaseMode, hb.SystemStatus = baseFlying, stateActive
				switch d.Mode {
				case sim.DronePatrol:
					hb.CustomMode = px4Mission
				case sim.DroneRTL:
					hb.CustomMode = px4Return
				default:
					hb.CustomMode = px4Hold
				}
			}
			landed := uint8(landedOnGround)
			if flying {
				landed = landedInAir
			}
			msgs = append(msgs, hb, &mavlink.ExtendedSysState{LandedState: landed})
		}
		if now.Sub(v.lastPos) >= 250*time.Millisecond {
			v.lastPos = now
			s, c := math.Sincos(d.Heading * math.Pi / 180)
			msgs = append(msgs, &mavlink.GlobalPositionInt{
				TimeBootMs: uint32(now.Sub(v.boot).Milliseconds()),
				Lat:        int32(math.Round(d.Position.Lat * 1e7)), Lon: int32(math.Round(d.Position.Lon * 1e7)),
				Alt: int32(math.Round(d.AltMSL * 1000)), RelativeAlt: int32(math.Round(d.AltRel * 1000)),
				VX: int16(math.Round(d.Speed * c * 100)), VY: int16(math.Round(d.Speed * s * 100)),
				Hdg: uint16(math.Round(d.Heading*100)) % 36000,
			})
			if d.Target != nil {
				msgs = append(msgs, &mavlink.PositionTargetGlobalInt{TimeBootMs: uint32(now.Sub(v.boot).Milliseconds()),
					LatInt: int32(math.Round(d.Target.Lat * 1e7)), LonInt: int32(math.Round(d.Target.Lon * 1e7)),
					Alt: float32(d.AltMSL), CoordinateFrame: mavlink.FrameGlobalInt})
			}
		}
		if now.Sub(v.lastSys) >= 5*time.Second {
			v.lastSys = now
			msgs = append(msgs, &mavlink.SysStatus{VoltageBattery: uint16(21000 + d.Battery*40), CurrentBattery: -1,
				BatteryRemaining: int8(math.Round(d.Battery))})
		}
		if len(msgs) == 0 {
			continue
		}
		if err := v.write(msgs...); err != nil {
			m.s.fault("mavlink", err)
			continue
		}
		m.s.count(func(st *Stats) { st.MAVLinkFrames += uint64(len(msgs)) })
	}
}

func (v *vehicle) write(msgs ...mavlink.Message) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	b := v.buf[:0]
	for _, msg := range msgs {
		var err error
		b, err = mavlink.AppendFrame(b, mavlink.Header{Seq: v.seq, SystemID: v.sys, ComponentID: compAutopilot}, msg)
		if err != nil {
			return err
		}
		v.seq++
	}
	v.buf = b
	if _, err := v.conn.Write(b); err != nil {
		return fmt.Errorf("mavlink %s: %w", v.id, err)
	}
	return nil
}

// listen answers the ground station: DO_REPOSITION (as COMMAND_INT or
// COMMAND_LONG) goes to Options.OnGoTo and is acknowledged with its
// result; other commands are acknowledged UNSUPPORTED.
func (m *mavSender) listen(v *vehicle) {
	var p mavlink.Parser
	buf := make([]byte, 2048)
	for {
		n, err := v.conn.Read(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue // ICMP port unreachable while the server restarts
		}
		p.Parse(buf[:n], func(f *mavlink.Frame) {
			cmd, target, ok := decodeCommand(f)
			if !ok {
				return
			}
			result := uint8(resultUnsupport)
			if cmd == mavlink.CmdDoReposition {
				result = resultDenied
				if target.Valid() && m.s.o.OnGoTo != nil {
					if err := m.s.o.OnGoTo(v.id, target); err == nil {
						result = resultAccepted
					} else {
						m.s.log.Info("simulator: drone refused go-to", "drone", v.id, "err", err)
					}
				}
			}
			_ = v.write(&mavlink.CommandAck{Command: cmd, Result: result, TargetSystem: f.SystemID, TargetComponent: f.ComponentID})
		})
	}
}

// decodeCommand reads COMMAND_INT or COMMAND_LONG addressed to anyone;
// for DO_REPOSITION it returns the target position.
func decodeCommand(f *mavlink.Frame) (cmd uint16, target borderwatch.LatLon, ok bool) {
	p := f.Payload
	get := func(n int) []byte { // zero-extend a truncated MAVLink 2 payload
		if len(p) >= n {
			return p
		}
		q := make([]byte, n)
		copy(q, p)
		return q
	}
	le := binary.LittleEndian
	switch f.MessageID {
	case mavlink.IDCommandInt:
		p = get(35)
		cmd = le.Uint16(p[28:])
		x, y := int32(le.Uint32(p[16:])), int32(le.Uint32(p[20:]))
		return cmd, borderwatch.LatLon{Lat: float64(x) / 1e7, Lon: float64(y) / 1e7}, true
	case mavlink.IDCommandLong:
		p = get(33)
		cmd = le.Uint16(p[28:])
		lat, lon := math.Float32frombits(le.Uint32(p[16:])), math.Float32frombits(le.Uint32(p[20:]))
		return cmd, borderwatch.LatLon{Lat: float64(lat), Lon: float64(lon)}, true
	}
	return 0, borderwatch.LatLon{}, false
}

func (m *mavSender) close() {
	m.mu.Lock()
	for _, v := range m.v {
		v.conn.Close()
	}
	m.mu.Unlock()
	m.wg.Wait()
}
