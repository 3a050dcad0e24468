package cot

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/borderwatch/borderwatch"
)

const waitLimit = 10 * time.Second

// clock is a settable time source for stale checks.
type clock struct{ ns atomic.Int64 }

func newClock(t time.Time) *clock {
	c := &clock{}
	c.ns.Store(t.UnixNano())
	return c
}
func (c *clock) Now() time.Time          { return time.Unix(0, c.ns.Load()).UTC() }
func (c *clock) Set(t time.Time)         { c.ns.Store(t.UnixNano()) }
func (c *clock) Add(d time.Duration)     { c.ns.Add(int64(d)) }
func captureTime(t testing.TB) time.Time { return mustTime(t, "2026-11-22T08:14:05Z") }

// sink collects what the Handler receives.
type sink struct {
	ch chan borderwatch.Observation
}

func newSink() *sink { return &sink{ch: make(chan borderwatch.Observation, 4096)} }

func (k *sink) handle(_ context.Context, obs []borderwatch.Observation) error {
	for _, o := range obs {
		k.ch <- o
	}
	return nil
}

func (k *sink) next(t *testing.T) borderwatch.Observation {
	t.Helper()
	select {
	case o := <-k.ch:
		return o
	case <-time.After(waitLimit):
		t.Fatal("no observation delivered")
	}
	return borderwatch.Observation{}
}

func startServer(t *testing.T, opts Options) *Server {
	t.Helper()
	if opts.TCPAddr == "" {
		opts.TCPAddr = "127.0.0.1:0"
	}
	s, err := NewServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
		defer cancel()
		if err := s.Shutdown(ctx); err != nil {
			t.Error(err)
		}
	})
	return s
}

// tak is a test TAK client on a real socket.
type tak struct {
	t    *testing.T
	conn net.Conn
	in   chan received
}

type received struct {
	format Format
	ev     Event
}

func dial(t *testing.T, s *Server) *tak {
	t.Helper()
	conn, err := net.Dial("tcp", s.TCPAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	c := &tak{t: t, conn: conn, in: make(chan received, 8192)}
	done := make(chan struct{})
	go func() {
		defer close(done)
		readInto(t, c)
	}()
	t.Cleanup(func() {
		conn.Close()
		<-done
	})
	return c
}

func (c *tak) send(b []byte) {
	c.t.Helper()
	if _, err := c.conn.Write(b); err != nil {
		c.t.Fatal(err)
	}
}

// next returns the next event received whose type is not in skip.
func (c *tak) next(skip ...string) received {
	c.t.Helper()
	timeout := time.After(waitLimit)
	for {
		select {
		case r, ok := <-c.in:
			if !ok {
				c.t.Fatal("connection closed")
			}
			if contains(skip, r.ev.Type) {
				continue
			}
			return r
		case <-timeout:
			c.t.Fatal("nothing received")
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// event builds a test event with times around now.
func testEvent(uid, typ string, now time.Time) Event {
	ev := Event{
		UID: uid, Type: typ, How: "m-g",
		Time: now, Start: now, Stale: now.Add(time.Minute),
		Point: Point{Lat: 34.45, Lon: 40.92, HAE: 180, CE: 5, LE: Unknown},
	}
	ev.Detail.Has = ElemContact
	ev.Detail.Contact.Callsign = "CS-" + uid
	return ev
}

func TestServerTCPXML(t *testing.T) {
	k := newSink()
	clk := newClock(captureTime(t))
	s := startServer(t, Options{Handler: k.handle, Now: clk.Now, Label: borderwatch.Label{Owner: "ibg"}})
	c := dial(t, s)
	if r := c.next(); r.ev.Type != TypeProtocolSupport || r.format != FormatXML ||
		attrOf(r.ev.Detail.XML, "TakProtocolSupport", "version") != "1" {
		t.Fatalf("first message %+v, want the t-x-takp-v offer", r)
	}
	// Two messages in one write, then the spot report split in two writes.
	spot := readCapture(t, "spot.xml")
	c.send(append(readCapture(t, "atak-sa.xml"), spot[:100]...))
	c.send(spot[100:])

	fr := k.next(t)
	if !fr.Friendly || fr.UnitID != "IBG-P12" || fr.Source.ID != "ANDROID-6f3a9c21d4e8b7a0" ||
		fr.Source.Kind != borderwatch.SourcePatrol || fr.Label.Owner != "ibg" || fr.Velocity == nil ||
		fr.Alt == nil || *fr.Alt != 181.3 || fr.Cov != borderwatch.Isotropic(4.9) {
		t.Errorf("friendly observation %+v", fr)
	}
	det := k.next(t)
	if det.Friendly || det.Class != borderwatch.ClassVehicle || det.Source.ID != "ANDROID-6f3a9c21d4e8b7a0" ||
		det.Cov != borderwatch.Isotropic(35) || det.Alt != nil || det.Attrs["cot_type"] != "a-h-G-E-V-C" ||
		!strings.HasPrefix(det.Attrs["remarks"], "Pickup truck") {
		t.Errorf("detection %+v", det)
	}
	if got := s.Count(MetricMessages, "xml"); got != 2 {
		t.Errorf("xml messages counted %d, want 2", got)
	}
}

func TestServerNegotiatedProto(t *testing.T) {
	k := newSink()
	clk := newClock(captureTime(t))
	s := startServer(t, Options{Handler: k.handle, Now: clk.Now})
	c := dial(t, s)
	c.next() // the offer
	c.send(readCapture(t, "takp-q.xml"))
	r := c.next()
	if r.ev.Type != TypeProtocolResponse || r.format != FormatXML || r.ev.UID != "protouid" ||
		attrOf(r.ev.Detail.XML, "TakResponse", "status") != "true" {
		t.Fatalf("negotiation response %+v", r)
	}
	// From here both directions speak protobuf stream frames.
	var sa, ping Event
	if err := DecodeXML(readCapture(t, "atak-sa.xml"), &sa); err != nil {
		t.Fatal(err)
	}
	if err := DecodeXML(readCapture(t, "ping.xml"), &ping); err != nil {
		t.Fatal(err)
	}
	frames := AppendStreamFrame(nil, &sa)
	frames = AppendStreamFrame(frames, &ping)
	// Write byte by byte: frames split across reads at every offset.
	for i := range frames {
		c.send(frames[i : i+1])
	}
	o := k.next(t)
	if !o.Friendly || o.UnitID != "IBG-P12" {
		t.Fatalf("observation %+v", o)
	}
	pong := c.next()
	if pong.ev.Type != TypePong || pong.format != FormatProto {
		t.Fatalf("got %+v, want a protobuf pong", pong)
	}
	if got := s.Count(MetricMessages, "proto"); got != 2 {
		t.Errorf("proto messages %d, want 2", got)
	}
}

func TestServerPing(t *testing.T) {
	clk := newClock(captureTime(t))
	s := startServer(t, Options{Handler: newSink().handle, Now: clk.Now, NoNegotiate: true})
	c := dial(t, s)
	c.send(readCapture(t, "ping.xml"))
	r := c.next()
	if r.ev.Type != TypePong || r.ev.UID != "takPong" || r.format != FormatXML || !r.ev.Stale.After(clk.Now()) {
		t.Fatalf("got %+v, want a pong", r)
	}
}

func TestServerUDP(t *testing.T) {
	var sa Event
	if err := DecodeXML(readCapture(t, "atak-sa.xml"), &sa); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		datagram []byte
	}{
		{"xml", readCapture(t, "atak-sa.xml")},
		{"mesh protobuf", AppendMeshFrame(nil, &sa)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := newSink()
			clk := newClock(captureTime(t))
			s := startServer(t, Options{Handler: k.handle, Now: clk.Now, UDPAddr: "127.0.0.1:0"})
			conn, err := net.Dial("udp", s.UDPAddr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			// A bad datagram first: counted and dropped, the listener carries on.
			if _, err := conn.Write([]byte{Magic, 0x02, Magic, 1, 2}); err != nil {
				t.Fatal(err)
			}
			if _, err := conn.Write(tt.datagram); err != nil {
				t.Fatal(err)
			}
			o := k.next(t)
			if !o.Friendly || o.UnitID != "IBG-P12" {
				t.Fatalf("observation %+v", o)
			}
			if got := s.Count(MetricDropped, string(ReasonBadMagic)); got != 1 {
				t.Errorf("bad_magic counted %d, want 1", got)
			}
		})
	}
}

func TestServerRelayPreservesUnknownDetail(t *testing.T) {
	clk := newClock(captureTime(t))
	s := startServer(t, Options{Handler: newSink().handle, Now: clk.Now, NoNegotiate: true})
	a, b := dial(t, s), dial(t, s)
	waitClients(t, s, 2)
	sa := readCapture(t, "atak-sa.xml")
	a.send(sa)
	r := b.next()
	out := AppendXML(nil, &r.ev)
	for _, keep := range []string{
		`<contact endpoint='*:-1:stcp' phone='+9647701234567' callsign='IBG-P12'/>`,
		`<uid Droid='IBG-P12'/>`,
		`<__group name="Cyan" role="Team Lead"/>`,
	} {
		if !bytes.Contains(out, []byte(keep)) {
			t.Errorf("relayed event lost %s:\n%s", keep, out)
		}
	}
	var orig Event
	if err := DecodeXML(sa, &orig); err != nil {
		t.Fatal(err)
	}
	if r.ev.Detail.XML != orig.Detail.XML {
		t.Errorf("unknown detail %q, want %q", r.ev.Detail.XML, orig.Detail.XML)
	}
}

func waitClients(t *testing.T, s *Server, n int) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for len(s.Clients()) < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d clients connected, want %d", len(s.Clients()), n)
		}
		time.Sleep(time.Millisecond) // polling for a state, not asserting on time
	}
}

func TestServerStale(t *testing.T) {
	k := newSink()
	t0 := captureTime(t)
	clk := newClock(t0)
	s := startServer(t, Options{Handler: k.handle, Now: clk.Now, NoNegotiate: true})

	t.Run("in", func(t *testing.T) {
		c := dial(t, s)
		old := testEvent("old", "a-f-G-U-C", t0.Add(-2*time.Minute)) // stale a minute ago
		fresh := testEvent("fresh", "a-f-G-U-C", t0)
		c.send(AppendXMLFrame(AppendXMLFrame(nil, &old), &fresh))
		if o := k.next(t); o.Source.ID != "fresh" {
			t.Fatalf("got %s, want only the fresh event", o.Source.ID)
		}
		if got := s.Count(MetricDropped, string(ReasonStale)); got != 1 {
			t.Errorf("stale counted %d, want 1", got)
		}
	})
	t.Run("out", func(t *testing.T) {
		ev := testEvent("track-1", "a-u-G", t0) // stale at t0+1m
		s.Publish(&ev, borderwatch.Label{})
		c1 := dial(t, s)
		if r := c1.next("a-f-G-U-C"); r.ev.UID != "track-1" {
			t.Fatalf("got %s, want track-1 replayed", r.ev.UID)
		}
		clk.Add(2 * time.Minute)
		c2 := dial(t, s)
		// Replayed state is queued at connect, before the answer to a ping.
		c2.send(readCapture(t, "ping.xml"))
		if r := c2.next("a-f-G-U-C"); r.ev.Type != TypePong {
			t.Fatalf("got %s %s: a stale item was replayed", r.ev.Type, r.ev.UID)
		}
	})
}

func TestServerSlowClientDoesNotStallFast(t *testing.T) {
	clk := newClock(captureTime(t))
	s := startServer(t, Options{
		Handler: newSink().handle, Now: clk.Now, NoNegotiate: true,
		QueueSize: 16, WriteTimeout: 300 * time.Millisecond,
	})
	slow, err := net.Dial("tcp", s.TCPAddr().String()) // never reads
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	if tc, ok := slow.(*net.TCPConn); ok {
		tc.SetReadBuffer(4096)
	}
	fast := dial(t, s)
	waitClients(t, s, 2)

	const n = 3000
	remarks := strings.Repeat("x", 4000) // ~4 KiB per event: 12 MB, far over socket buffers
	var got sync.WaitGroup
	got.Add(1)
	go func() {
		defer got.Done()
		for {
			r := fast.next()
			if r.ev.UID == "last" {
				return
			}
		}
	}()
	for i := range n {
		uid := "u" + string(rune('a'+i%26)) + "-" + itoa(i)
		if i == n-1 {
			uid = "last"
		}
		ev := testEvent(uid, "a-u-G", clk.Now())
		ev.Detail.Has |= ElemRemarks
		ev.Detail.Remarks.Text = remarks
		s.Publish(&ev, borderwatch.Label{})
	}
	got.Wait()
	// The slow client either had its queue coalesced/trimmed or was cut off.
	if s.Count(MetricDropped, string(ReasonQueueFull)) == 0 && s.Count(MetricDropped, string(ReasonWriteTimeout)) == 0 {
		t.Error("the slow client neither lost queued items nor timed out")
	}
}

func itoa(i int) string {
	var b []byte
	b = appendInt(b, i)
	return string(b)
}

func appendInt(b []byte, i int) []byte {
	if i >= 10 {
		b = appendInt(b, i/10)
	}
	return append(b, byte('0'+i%10))
}

func TestServerSlowDripDropped(t *testing.T) {
	s := startServer(t, Options{Handler: newSink().handle, NoNegotiate: true, MessageTimeout: 200 * time.Millisecond})
	conn, err := net.Dial("tcp", s.TCPAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte(`<event version="2.0" uid="slow`)); err != nil {
		t.Fatal(err)
	}
	conn.SetReadDeadline(time.Now().Add(waitLimit))
	if _, err := io.ReadAll(conn); err != nil {
		t.Fatalf("want the server to close the connection, got %v", err)
	}
	if got := s.Count(MetricDropped, string(ReasonSlow)); got != 1 {
		t.Errorf("slow_sender counted %d, want 1", got)
	}
}

func TestServerBadInput(t *testing.T) {
	k := newSink()
	clk := newClock(captureTime(t))
	s := startServer(t, Options{Handler: k.handle, Now: clk.Now, NoNegotiate: true, MaxXML: 4096})
	good := testEvent("good", "a-f-G-U-C", clk.Now())
	tests := []struct {
		name   string
		input  []byte
		reason Reason
		closes bool
	}{
		{"junk", []byte("GET / HTTP/1.1\r\n\r\n"), ReasonJunk, false},
		{"bad xml", []byte(`<event uid="x" type="a-f-G"><point lat="x" lon="1"/></event>`), ReasonBadNumber, false},
		{"no point", []byte(`<event uid="x" type="a-f-G"></event>`), ReasonNoPoint, false},
		{"bad proto", []byte{Magic, 3, 0x12, 0x05, 0x0a}, ReasonProto, false},
		{"proto no event", []byte{Magic, 2, 0x08, 0x01}, ReasonProtoNoEvent, false},
		{"huge xml", append([]byte("<event "), bytes.Repeat([]byte("a"), 8192)...), ReasonTooLarge, true},
		{"huge proto", []byte{Magic, 0xff, 0xff, 0xff, 0xff, 0x0f}, ReasonTooLarge, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := s.Count(MetricDropped, string(tt.reason))
			c := dial(t, s)
			c.send(tt.input)
			if tt.closes {
				for range c.in {
				}
			} else {
				c.send(AppendXMLFrame(nil, &good))
				if o := k.next(t); o.Source.ID != "good" {
					t.Fatalf("got %+v", o)
				}
			}
			if got := s.Count(MetricDropped, string(tt.reason)) - before; got != 1 {
				t.Errorf("%s counted %d, want 1", tt.reason, got)
			}
		})
	}
	// After all that the listener still accepts.
	c := dial(t, s)
	c.send(AppendXMLFrame(nil, &good))
	k.next(t)
}

func TestServerConnLimit(t *testing.T) {
	s := startServer(t, Options{Handler: newSink().handle, NoNegotiate: true, MaxConns: 1})
	dial(t, s)
	waitClients(t, s, 1)
	conn, err := net.Dial("tcp", s.TCPAddr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetReadDeadline(time.Now().Add(waitLimit))
	if _, err := conn.Read(make([]byte, 1)); !errors.Is(err, io.EOF) {
		t.Fatalf("read %v, want EOF from a refused connection", err)
	}
	if got := s.Count(MetricDropped, string(ReasonConnLimit)); got != 1 {
		t.Errorf("conn_limit counted %d", got)
	}
}

func TestServerAllowFilter(t *testing.T) {
	clk := newClock(captureTime(t))
	s := startServer(t, Options{
		Handler: newSink().handle, Now: clk.Now, NoNegotiate: true,
		Allow: func(_ ClientInfo, l borderwatch.Label) bool { return l.Owner != "secret" },
	})
	c := dial(t, s)
	waitClients(t, s, 1)
	hidden := testEvent("hidden", "a-u-G", clk.Now())
	shown := testEvent("shown", "a-u-G", clk.Now())
	s.Publish(&hidden, borderwatch.Label{Owner: "secret"})
	s.Publish(&shown, borderwatch.Label{Owner: "ibg"})
	if r := c.next(); r.ev.UID != "shown" {
		t.Fatalf("got %s, want only the releasable item", r.ev.UID)
	}
}

func TestServerHandlerErrorClosesConnection(t *testing.T) {
	clk := newClock(captureTime(t))
	s := startServer(t, Options{
		Handler: func(context.Context, []borderwatch.Observation) error { return errors.New("log full") },
		Now:     clk.Now, NoNegotiate: true,
	})
	c := dial(t, s)
	ev := testEvent("x", "a-f-G-U-C", clk.Now())
	c.send(AppendXMLFrame(nil, &ev))
	for range c.in {
	}
	if got := s.Count(MetricDropped, string(ReasonHandler)); got != 1 {
		t.Errorf("handler_error counted %d", got)
	}
}

func TestQueueCoalesces(t *testing.T) {
	q := newQueue(3)
	mk := func(uid string, n int) *item {
		return &item{uid: uid, ev: Event{UID: uid, Point: Point{Lat: float64(n)}}}
	}
	q.push(mk("a", 1))
	q.push(mk("b", 1))
	q.push(mk("a", 2)) // replaces a in place
	q.push(mk("c", 1))
	if dropped := q.push(mk("d", 1)); !dropped { // full: oldest (a) goes
		t.Error("push over the limit did not report a drop")
	}
	var got []string
	for _, it := range q.popAll(nil) {
		got = append(got, it.uid+":"+itoa(int(it.ev.Point.Lat)))
	}
	if want := "b:1 c:1 d:1"; strings.Join(got, " ") != want {
		t.Fatalf("queue %v, want %s", got, want)
	}
	if q.len() != 0 {
		t.Fatal("popAll left items")
	}
}

func TestLimiter(t *testing.T) {
	t0 := captureTime(t)
	l := newLimiter(10, 5, t0)
	if d := l.take(t0, 5); d != 0 {
		t.Fatalf("burst: wait %v", d)
	}
	if d := l.take(t0, 10); d != time.Second {
		t.Fatalf("wait %v, want 1s for 10 over at 10/s", d)
	}
	if l.allow(t0.Add(500 * time.Millisecond)) {
		t.Fatal("allowed while in debt")
	}
	if !l.allow(t0.Add(2 * time.Second)) {
		t.Fatal("refused after refilling")
	}
}

func TestNewServerValidates(t *testing.T) {
	if _, err := NewServer(Options{}); err == nil {
		t.Error("no Handler accepted")
	}
	if _, err := NewServer(Options{Handler: newSink().handle, MaxConns: -1}); err == nil || !strings.Contains(err.Error(), "MaxConns") {
		t.Errorf("negative MaxConns: %v", err)
	}
}

func TestServerReplaysLatestSA(t *testing.T) {
	k := newSink()
	clk := newClock(captureTime(t))
	s := startServer(t, Options{Handler: k.handle, Now: clk.Now, NoNegotiate: true})
	a := dial(t, s)
	for i := range 3 {
		ev := testEvent("phone-1", "a-f-G-U-C", clk.Now())
		ev.Point.Lat = 34 + float64(i)
		a.send(AppendXMLFrame(nil, &ev))
		k.next(t) // logged before the next is sent
	}
	b := dial(t, s)
	if r := b.next(); r.ev.UID != "phone-1" || r.ev.Point.Lat != 36 {
		t.Fatalf("replayed %s at lat %v, want phone-1 at 36", r.ev.UID, r.ev.Point.Lat)
	}
}

// TestServerBusyConnectionKeepsOrder sends reads big enough to be decoded
// on two goroutines and checks that observations, relays and replies keep
// message order.
func TestServerBusyConnectionKeepsOrder(t *testing.T) {
	k := newSink()
	clk := newClock(captureTime(t))
	s := startServer(t, Options{Handler: k.handle, Now: clk.Now, NoNegotiate: true, MaxBatch: 50})
	c := dial(t, s)
	const n = 600
	var stream []byte
	for i := range n {
		ev := testEvent("u"+itoa(i), "a-f-G-U-C", clk.Now())
		if i == 10 || i == 590 {
			ev.UID = "phone"
			ev.Point.Lat = float64(i) / 10
		}
		stream = AppendXMLFrame(stream, &ev)
		if i == 300 {
			stream = append(stream, readCapture(t, "ping.xml")...)
		}
	}
	c.send(stream)
	for i := range n {
		o := k.next(t)
		want := "u" + itoa(i)
		if i == 10 || i == 590 {
			want = "phone"
		}
		if o.Source.ID != want {
			t.Fatalf("observation %d from %s, want %s", i, o.Source.ID, want)
		}
	}
	if r := c.next(); r.ev.Type != TypePong {
		t.Fatalf("got %s, want the pong", r.ev.Type)
	}
	late := dial(t, s)
	for {
		r := late.next()
		if r.ev.UID == "phone" {
			if r.ev.Point.Lat != 59 {
				t.Fatalf("replayed phone at lat %v, want the later report (59)", r.ev.Point.Lat)
			}
			break
		}
	}
}
