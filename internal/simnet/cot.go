package simnet

import (
	"context"
	"fmt"
	"io"
	"math"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/borderwatch/borderwatch"
	"github.com/borderwatch/borderwatch/internal/cot"
	"github.com/borderwatch/borderwatch/internal/sim"
)

// towerNet is the connection the watchtowers' spot reports share (their
// observers' reports reach the server through one gateway).
const towerNet = "tower-net"

// cotSender keeps one TCP connection per TAK phone (and one for the
// towers), dialled on first use and again after a failure.
type cotSender struct {
	s     *Sender
	mu    sync.Mutex
	conns map[string]*cotConn
	wg    sync.WaitGroup
}

type cotConn struct {
	c      net.Conn
	failed time.Time
}

func newCoTSender(s *Sender) *cotSender { return &cotSender{s: s, conns: map[string]*cotConn{}} }

// PhoneUID is the CoT uid of a unit's phone.
func PhoneUID(unitID string) string { return "ANDROID-" + unitID }

// SelfReport is a unit's phone position report.
func SelfReport(r *sim.Report, at time.Time) cot.Event {
	typ := "a-f-G-U-C"
	if r.Mode == borderwatch.ModeVehicle {
		typ = "a-f-G-E-V"
	}
	ev := cot.Event{UID: PhoneUID(r.UnitID), Type: typ, How: "m-g", Time: at, Start: at, Stale: at.Add(2 * time.Minute),
		Point: cot.Point{Lat: r.Position.Lat, Lon: r.Position.Lon, HAE: cot.Unknown, CE: 5, LE: cot.Unknown}}
	ev.Detail.Has = cot.ElemContact | cot.ElemGroup | cot.ElemTrack | cot.ElemRemarks
	// The callsign is the deployment unit id: the server names the unit by it.
	ev.Detail.Contact.Callsign = r.UnitID
	ev.Detail.Group = cot.Group{Name: "Cyan", Role: "Team Member"}
	ev.Detail.Track = cot.Track{Speed: math.Round(math.Hypot(r.Velocity.East, r.Velocity.North)*100) / 100,
		Course: math.Round(math.Mod(math.Atan2(r.Velocity.East, r.Velocity.North)*180/math.Pi+360, 360)*10) / 10}
	ev.Detail.Remarks.Text = r.Callsign + ": " + r.Status
	if r.Exercise {
		ev.Opex = "e"
	}
	return ev
}

// SpotReport is an observer's report of what it sees: a-h-G (hostile) or
// a-u-G (unknown), -U-C for people and -E-V for vehicles, linked to its
// producer (the tower or the phone).
func SpotReport(runID string, d *sim.Detection, at time.Time) (cot.Event, bool) {
	aff := "u"
	if d.Hostile {
		aff = "h"
	}
	var fn string
	switch d.Class {
	case borderwatch.ClassPerson:
		fn = "-U-C"
	case borderwatch.ClassVehicle:
		fn = "-E-V"
	default:
		return cot.Event{}, false // observers do not report animals
	}
	producer := d.Sensor
	if d.Kind == borderwatch.SourcePatrol {
		producer = PhoneUID(d.Sensor)
	}
	ev := cot.Event{UID: producer + ".spot." + cameraTrack(runID, d)[len(d.Sensor)+1:], Type: "a-" + aff + "-G" + fn, How: "h-e",
		Time: at, Start: at, Stale: at.Add(5 * time.Minute),
		Point: cot.Point{Lat: d.Position.Lat, Lon: d.Position.Lon, HAE: cot.Unknown, CE: math.Round(d.CE95/2.448*10) / 10, LE: cot.Unknown}}
	ev.Detail.Has = cot.ElemLink | cot.ElemRemarks
	ev.Detail.Links = []cot.Link{{UID: producer, Type: "a-f-G-U-C", Relation: "p-p"}}
	what := "people"
	if d.Class == borderwatch.ClassVehicle {
		what = "vehicles"
	}
	ev.Detail.Remarks.Text = "SPOTREP " + strconv.Itoa(max(d.Count, 1)) + " " + what + " seen from " + d.Sensor
	if d.Exercise {
		ev.Opex = "e"
		ev.Detail.Remarks.Text = "EXERCISE " + ev.Detail.Remarks.Text
	}
	return ev, true
}

func (c *cotSender) send(ctx context.Context, reports []sim.Report, spots []sim.Detection, stamp func(time.Time) time.Time) {
	bufs := map[string][]byte{}
	var order []string
	add := func(conn string, ev *cot.Event) {
		if _, ok := bufs[conn]; !ok {
			order = append(order, conn)
		}
		bufs[conn] = cot.AppendXMLFrame(bufs[conn], ev)
	}
	for i := range reports {
		ev := SelfReport(&reports[i], stamp(reports[i].Time))
		add(reports[i].UnitID, &ev)
	}
	for i := range spots {
		d := &spots[i]
		ev, ok := SpotReport(c.s.o.RunID, d, stamp(d.Time))
		if !ok {
			continue
		}
		conn := towerNet
		if d.Kind == borderwatch.SourcePatrol {
			conn = d.Sensor
		}
		add(conn, &ev)
	}
	for _, name := range order {
		n, err := c.write(ctx, name, bufs[name])
		if err != nil {
			c.s.fault("cot", err)
			continue
		}
		c.s.count(func(st *Stats) { st.CoTEvents += uint64(n) })
	}
}

// write sends b on the named connection, dialling it when needed. It
// returns the number of events sent.
func (c *cotSender) write(ctx context.Context, name string, b []byte) (int, error) {
	c.mu.Lock()
	cc := c.conns[name]
	if cc == nil {
		cc = &cotConn{}
		c.conns[name] = cc
	}
	c.mu.Unlock()
	if cc.c == nil {
		if !cc.failed.IsZero() && time.Since(cc.failed) < 2*time.Second {
			return 0, nil // back off; what it would have sent is dropped
		}
		d := net.Dialer{Timeout: 5 * time.Second}
		conn, err := d.DialContext(ctx, "tcp", c.s.o.CoTAddr)
		if err != nil {
			cc.failed = time.Now()
			return 0, fmt.Errorf("cot %s: dial %s: %w", name, c.s.o.CoTAddr, err)
		}
		cc.c, cc.failed = conn, time.Time{}
		c.s.count(func(st *Stats) { st.CoTConns++ })
		// The server streams CoT out (tracks, alerts, other units) to
		// every phone; read and discard it so it never blocks.
		c.wg.Add(1)
		go func() { defer c.wg.Done(); _, _ = io.Copy(io.Discard, conn) }()
	}
	_ = cc.c.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if _, err := cc.c.Write(b); err != nil {
		cc.c.Close()
		cc.c, cc.failed = nil, time.Now()
		return 0, fmt.Errorf("cot %s: write: %w", name, err)
	}
	return countEvents(b), nil
}

func countEvents(b []byte) int {
	n := 0
	for i := 0; i+6 <= len(b); i++ {
		if b[i] == '<' && string(b[i:i+6]) == "<event" {
			n++
		}
	}
	return n
}

func (c *cotSender) close() {
	c.mu.Lock()
	for _, cc := range c.conns {
		if cc.c != nil {
			cc.c.Close()
		}
	}
	c.mu.Unlock()
	c.wg.Wait()
}
