package cot

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/borderwatch/borderwatch"
)

// Handler receives the observations decoded from one read. It must
// return only once they are durably logged; an error means they were not
// (the TCP connection is then closed so the sender reconnects and sends
// its state again). A slow Handler applies backpressure: the connection
// is not read meanwhile. The slice is reused after Handler returns; keep
// copies of the values, not the slice.
type Handler func(ctx context.Context, obs []borderwatch.Observation) error

// ClientInfo describes a connected TAK client (or, for UDP, the
// listener's anonymous senders).
type ClientInfo struct {
	// ID is unique per connection in this process: "tcp-17".
	ID         string
	Transport  string // "tcp", "tls" or "udp"
	RemoteAddr string
	// Identity is the authenticated identity (e.g. a TLS certificate
	// subject); "" means anonymous.
	Identity string
	// Agency is the identity's agency; it decides what the client may see.
	Agency borderwatch.Agency
	// Label is stamped on every observation the client sends. When zero,
	// Options.Label is used.
	Label borderwatch.Label
}

// Counter names passed to Options.Count, with what their label value is.
const (
	MetricMessages     = "cot_messages_total"     // label: format, "xml" or "proto"
	MetricObservations = "cot_observations_total" // label: "friendly" or "detection"
	MetricDropped      = "cot_dropped_total"      // label: a Reason
	MetricConnections  = "cot_connections_total"  // label: transport
	MetricSent         = "cot_sent_total"         // label: format
)

// Defaults for zero Options fields.
const (
	DefaultMaxConns       = 1024
	DefaultRate           = 1000 // messages per second per connection
	DefaultBurst          = 5000
	DefaultIdleTimeout    = 5 * time.Minute
	DefaultMessageTimeout = 30 * time.Second
	DefaultWriteTimeout   = 10 * time.Second
	DefaultQueueSize      = 4096
	DefaultMaxBatch       = 1024
	DefaultMaxLatest      = 100000
	DefaultUDPSources     = 4096
)

// Options configures a Server. Zero values take the defaults above.
type Options struct {
	// TCPAddr is the streaming listener, e.g. ":8087"; "" means none.
	TCPAddr string
	// UDPAddr is the datagram listener, usually the same port; "" means none.
	UDPAddr string
	// Handler is required.
	Handler Handler
	Logger  *slog.Logger
	// Count, when set, receives every count (see the Metric* names). The
	// server also keeps its own totals: (*Server).Count.
	Count func(name, label string, n int)
	// Allow decides whether a client may see an item with a label. When
	// nil, anonymous clients (no Identity) see everything and identified
	// clients see what is releasable to their Agency. Control messages
	// (pong, negotiation) are always sent.
	Allow func(client ClientInfo, label borderwatch.Label) bool
	// Label is stamped on observations from clients whose ClientInfo has
	// no label (plain TCP and UDP).
	Label borderwatch.Label
	// Now is the clock for stale checks and control messages.
	Now func() time.Time
	// Sigma is the position error (m) assumed when ce is unknown.
	Sigma float64

	MaxXML   int // bytes per XML message
	MaxProto int // bytes per protobuf message
	MaxConns int // concurrent TCP connections, over all listeners
	// Rate and Burst limit messages per second per TCP connection (the
	// reader waits, so TCP pushes back) and per UDP source address
	// (excess datagrams are dropped). Rate < 0 means unlimited.
	Rate  float64
	Burst int
	// IdleTimeout drops a connection that sends nothing for this long.
	IdleTimeout time.Duration
	// MessageTimeout drops a connection that takes longer than this to
	// complete a message it started (slow drip).
	MessageTimeout time.Duration
	// WriteTimeout drops a client that does not take our bytes.
	WriteTimeout time.Duration
	// QueueSize bounds the uids pending per client.
	QueueSize int
	// MaxBatch bounds the observations per Handler call.
	MaxBatch int
	// MaxLatest bounds the latest-state cache replayed to new clients.
	MaxLatest int
	// NoNegotiate stops the server offering protobuf (t-x-takp-v) on
	// connect; it still answers requests.
	NoNegotiate bool
	// NoRelay stops relaying friendly position reports between clients.
	NoRelay bool
}

// Server is a CoT server: TCP and UDP ingest, and CoT out to every
// connected streaming client.
type Server struct {
	opts Options
	log  *slog.Logger
	now  func() time.Time

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu        sync.Mutex
	closed    bool
	clients   map[*client]struct{}
	listeners map[net.Listener]struct{}
	latest    map[string]*item
	tcp       net.Listener
	udp       *net.UDPConn

	conns  atomic.Int64
	nextID atomic.Uint64

	cmu    sync.Mutex
	counts map[countKey]int64
}

type countKey struct{ name, label string }

// NewServer validates opts and returns a Server that is not yet
// listening.
func NewServer(opts Options) (*Server, error) {
	if opts.Handler == nil {
		return nil, errors.New("cot: Options.Handler is required")
	}
	for _, v := range []struct {
		name string
		val  float64
	}{
		{"MaxXML", float64(opts.MaxXML)}, {"MaxProto", float64(opts.MaxProto)},
		{"MaxConns", float64(opts.MaxConns)}, {"Burst", float64(opts.Burst)},
		{"IdleTimeout", float64(opts.IdleTimeout)}, {"MessageTimeout", float64(opts.MessageTimeout)},
		{"WriteTimeout", float64(opts.WriteTimeout)}, {"QueueSize", float64(opts.QueueSize)},
		{"MaxBatch", float64(opts.MaxBatch)}, {"MaxLatest", float64(opts.MaxLatest)}, {"Sigma", opts.Sigma},
	} {
		if v.val < 0 {
			return nil, fmt.Errorf("cot: Options.%s is %v: must not be negative", v.name, v.val)
		}
	}
	setDefault(&opts.MaxXML, DefaultMaxXML)
	setDefault(&opts.MaxProto, DefaultMaxProto)
	setDefault(&opts.MaxConns, DefaultMaxConns)
	setDefault(&opts.Burst, DefaultBurst)
	setDefault(&opts.IdleTimeout, DefaultIdleTimeout)
	setDefault(&opts.MessageTimeout, DefaultMessageTimeout)
	setDefault(&opts.WriteTimeout, DefaultWriteTimeout)
	setDefault(&opts.QueueSize, DefaultQueueSize)
	setDefault(&opts.MaxBatch, DefaultMaxBatch)
	setDefault(&opts.MaxLatest, DefaultMaxLatest)
	setDefault(&opts.Sigma, DefaultSigma)
	if opts.Rate == 0 {
		opts.Rate = DefaultRate
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Server{
		opts:      opts,
		log:       opts.Logger,
		now:       opts.Now,
		clients:   make(map[*client]struct{}),
		listeners: make(map[net.Listener]struct{}),
		latest:    make(map[string]*item),
		counts:    make(map[countKey]int64),
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	return s, nil
}

func setDefault[T int | float64 | time.Duration](v *T, d T) {
	if *v == 0 {
		*v = d
	}
}

// Start opens the TCP and UDP listeners named in Options and serves them
// in the background until Shutdown or until ctx is done. It returns once
// both are listening.
func (s *Server) Start(ctx context.Context) error {
	if s.opts.TCPAddr != "" {
		ln, err := net.Listen("tcp", s.opts.TCPAddr)
		if err != nil {
			return fmt.Errorf("cot: listen tcp %s: %w", s.opts.TCPAddr, err)
		}
		s.mu.Lock()
		s.tcp = ln
		s.mu.Unlock()
		s.wg.Go(func() {
			if err := s.ServeListener(ln, nil); err != nil {
				s.log.Error("cot: tcp listener stopped", "addr", ln.Addr().String(), "err", err)
			}
		})
		s.log.Info("cot: listening", "transport", "tcp", "addr", ln.Addr().String())
	}
	if s.opts.UDPAddr != "" {
		addr, err := net.ResolveUDPAddr("udp", s.opts.UDPAddr)
		if err != nil {
			s.closeListeners()
			return fmt.Errorf("cot: udp address %q: %w", s.opts.UDPAddr, err)
		}
		pc, err := net.ListenUDP("udp", addr)
		if err != nil {
			s.closeListeners()
			return fmt.Errorf("cot: listen udp %s: %w", s.opts.UDPAddr, err)
		}
		s.mu.Lock()
		s.udp = pc
		s.mu.Unlock()
		s.wg.Go(func() { s.serveUDP(pc) })
		s.log.Info("cot: listening", "transport", "udp", "addr", pc.LocalAddr().String())
	}
	s.wg.Go(func() {
		select {
		case <-ctx.Done():
			s.stop()
		case <-s.ctx.Done():
		}
	})
	return nil
}

// TCPAddr returns the TCP listener's address, nil before Start.
func (s *Server) TCPAddr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tcp == nil {
		return nil
	}
	return s.tcp.Addr()
}

// UDPAddr returns the UDP listener's address, nil before Start.
func (s *Server) UDPAddr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.udp == nil {
		return nil
	}
	return s.udp.LocalAddr()
}

// Shutdown stops accepting, closes every connection, and waits for the
// server's goroutines (including running Handler calls) until ctx is done.
func (s *Server) Shutdown(ctx context.Context) error {
	s.stop()
	done := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("cot: shutdown: %w", ctx.Err())
	}
}

// stop closes the listeners and connections and cancels Handler calls.
func (s *Server) stop() {
	s.closeListeners()
	s.mu.Lock()
	s.closed = true
	clients := make([]*client, 0, len(s.clients))
	for c := range s.clients {
		clients = append(clients, c)
	}
	s.mu.Unlock()
	for _, c := range clients {
		c.close()
	}
	s.cancel()
}

// Close is Shutdown without a deadline.
func (s *Server) Close() error { return s.Shutdown(context.Background()) }

func (s *Server) closeListeners() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for ln := range s.listeners {
		ln.Close()
	}
	if s.udp != nil {
		s.udp.Close()
	}
}

// ServeListener serves streaming CoT on ln until ln is closed or the
// server shuts down, and returns nil then. It is how a TLS listener (port
// 8089, mutual TLS) is served: identity is called for each new connection
// (after a TLS handshake it can read the peer certificate) and returns
// the ClientInfo to use or an error to refuse the connection; nil
// identity means anonymous clients on "tcp". ServeListener may be called
// before or after Start, for any number of listeners.
func (s *Server) ServeListener(ln net.Listener, identity func(net.Conn) (ClientInfo, error)) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		ln.Close()
		return nil
	}
	s.listeners[ln] = struct{}{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.listeners, ln)
		s.mu.Unlock()
	}()
	backoff := 5 * time.Millisecond
	for {
		conn, err := ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) || s.ctx.Err() != nil {
				return nil
			}
			// Out of file descriptors and the like: wait and keep accepting.
			s.log.Warn("cot: accept failed", "addr", ln.Addr().String(), "err", err)
			select {
			case <-time.After(backoff):
			case <-s.ctx.Done():
				return nil
			}
			backoff = min(2*backoff, time.Second)
			continue
		}
		backoff = 5 * time.Millisecond
		if s.conns.Add(1) > int64(s.opts.MaxConns) {
			s.conns.Add(-1)
			s.count(MetricDropped, string(ReasonConnLimit), 1)
			conn.Close()
			continue
		}
		s.wg.Go(func() {
			defer s.conns.Add(-1)
			s.serveConn(conn, identity)
		})
	}
}

// Publish sends ev to every connected client allowed to see label, and
// keeps it as the latest state of its uid for clients that connect
// before it goes stale. A newer event for the same uid replaces a pending
// one in each client's queue. Publish never blocks on a client.
func (s *Server) Publish(ev *Event, label borderwatch.Label) {
	s.publish(newItem(ev, label))
}

// Delete tells every client to remove uid (a t-x-d-d event) and forgets
// its latest state.
func (s *Server) Delete(uid string, label borderwatch.Label) {
	now := s.now()
	ev := Event{
		UID: uid + ".delete", Type: TypeDelete, How: "m-g",
		Time: now, Start: now, Stale: now.Add(time.Minute),
		Point: Point{HAE: Unknown, CE: Unknown, LE: Unknown},
	}
	ev.Detail.Has = ElemLink
	ev.Detail.Links = []Link{{UID: uid, Type: "none", Relation: "none"}}
	it := newItem(&ev, label)
	s.mu.Lock()
	delete(s.latest, uid)
	s.mu.Unlock()
	it.control = true
	s.publish(it)
}

func (s *Server) publish(it *item) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !it.control {
		if _, ok := s.latest[it.uid]; ok || len(s.latest) < s.opts.MaxLatest {
			s.latest[it.uid] = it
		}
	}
	for c := range s.clients {
		if c == it.origin || !s.allowed(c, it.label) {
			continue
		}
		it.queued = true
		if c.q.push(it) {
			s.count(MetricDropped, string(ReasonQueueFull), 1)
		}
	}
}

// relay publishes a friendly position report from a client to the
// others. When the uid's previous report was never queued to anyone (no
// other client connected), its memory is reused: relaying then costs no
// allocation.
func (s *Server) relay(ev *Event, label borderwatch.Label, origin *client) {
	s.mu.Lock()
	if old := s.latest[ev.UID]; old != nil && !old.queued && !old.control {
		links := old.ev.Detail.Links[:0]
		old.ev = *ev
		old.ev.Detail.Links = append(links, ev.Detail.Links...)
		old.label, old.stale, old.origin = label, ev.Stale, origin
		s.mu.Unlock()
		return
	}
	s.mu.Unlock()
	it := newItem(ev, label)
	it.origin = origin
	s.publish(it)
}

func (s *Server) allowed(c *client, label borderwatch.Label) bool {
	if s.opts.Allow != nil {
		return s.opts.Allow(c.info, label)
	}
	if c.info.Identity == "" {
		return true
	}
	return label.ReleasableToAgency(c.info.Agency)
}

// Clients returns the connected streaming clients.
func (s *Server) Clients() []ClientInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]ClientInfo, 0, len(s.clients))
	for c := range s.clients {
		out = append(out, c.info)
	}
	return out
}

// Count returns the server's total for a counter name and label.
func (s *Server) Count(name, label string) int64 {
	s.cmu.Lock()
	defer s.cmu.Unlock()
	return s.counts[countKey{name, label}]
}

func (s *Server) count(name, label string, n int) {
	if n == 0 {
		return
	}
	s.cmu.Lock()
	s.counts[countKey{name, label}] += int64(n)
	s.cmu.Unlock()
	if s.opts.Count != nil {
		s.opts.Count(name, label, n)
	}
}

// client is one streaming connection.
type client struct {
	s      *Server
	info   ClientInfo
	conn   net.Conn
	q      *queue
	format atomic.Uint32 // Format we send in
	done   chan struct{}
	once   sync.Once
}

func (c *client) close() {
	c.once.Do(func() {
		close(c.done)
		c.q.close()
		c.conn.Close()
	})
}

func (c *client) outFormat() Format { return Format(c.format.Load()) }

func (s *Server) serveConn(conn net.Conn, identity func(net.Conn) (ClientInfo, error)) {
	id := fmt.Sprintf("tcp-%d", s.nextID.Add(1))
	info := ClientInfo{Transport: "tcp"}
	if identity != nil {
		err := conn.SetDeadline(time.Now().Add(s.opts.MessageTimeout))
		if err == nil {
			info, err = identity(conn)
		}
		if err == nil {
			err = conn.SetDeadline(time.Time{})
		}
		if err != nil {
			s.log.Warn("cot: connection refused", "remote", conn.RemoteAddr().String(), "err", err)
			s.count(MetricDropped, "identity", 1)
			conn.Close()
			return
		}
	}
	info.ID = id
	if info.Transport == "" {
		info.Transport = "tls"
	}
	if info.RemoteAddr == "" {
		info.RemoteAddr = conn.RemoteAddr().String()
	}
	if info.Label.Owner == "" && len(info.Label.ReleasableTo) == 0 {
		info.Label = s.opts.Label
	}
	c := &client{s: s, info: info, conn: conn, q: newQueue(s.opts.QueueSize), done: make(chan struct{})}
	c.format.Store(uint32(FormatXML))

	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		conn.Close()
		return
	}
	s.clients[c] = struct{}{}
	if !s.opts.NoNegotiate {
		c.q.push(s.announce(c))
	}
	now := s.now()
	for uid, it := range s.latest {
		if !it.stale.IsZero() && !it.stale.After(now) {
			delete(s.latest, uid)
			continue
		}
		if s.allowed(c, it.label) {
			it.queued = true
			c.q.push(it)
		}
	}
	s.mu.Unlock()
	s.count(MetricConnections, info.Transport, 1)
	s.log.Debug("cot: client connected", "client", id, "remote", info.RemoteAddr, "identity", info.Identity)

	s.wg.Go(func() { s.writeLoop(c) })
	defer func() {
		if r := recover(); r != nil {
			s.count(MetricDropped, string(ReasonPanic), 1)
			s.log.Error("cot: connection handler panicked", "client", id, "panic", fmt.Sprint(r))
		}
		c.close()
		s.mu.Lock()
		delete(s.clients, c)
		s.mu.Unlock()
		s.log.Debug("cot: client disconnected", "client", id)
	}()
	s.readLoop(c)
}

// readLoop reads and handles messages until the connection fails or must
// be dropped.
func (s *Server) readLoop(c *client) {
	r := ingest{s: s, client: c, info: &c.info, m: Mapper{Sigma: s.opts.Sigma}}
	sp := NewSplitter(c.conn, s.opts.MaxXML, s.opts.MaxProto)
	lim := newLimiter(s.opts.Rate, s.opts.Burst, time.Now())
	var partialSince time.Time
	for {
		n := 0
		for {
			f, msg, ok, err := sp.Next()
			if err != nil {
				reason := ReasonOf(err)
				s.count(MetricDropped, string(reason), 1)
				if reason == ReasonTooLarge {
					return
				}
				continue
			}
			if !ok {
				break
			}
			n++
			r.message(f, msg)
			if len(r.batch) >= s.opts.MaxBatch && !r.flush() {
				return
			}
		}
		if !r.flush() {
			return
		}
		now := time.Now()
		if wait := lim.take(now, n); wait > 0 {
			select {
			case <-time.After(wait):
			case <-c.done:
				return
			}
			now = time.Now()
		}
		deadline := now.Add(s.opts.IdleTimeout)
		slow := false
		if sp.Buffered() > 0 {
			if n > 0 || partialSince.IsZero() {
				partialSince = now
			}
			if d := partialSince.Add(s.opts.MessageTimeout); d.Before(deadline) {
				deadline, slow = d, true
			}
		} else {
			partialSince = time.Time{}
		}
		if err := c.conn.SetReadDeadline(deadline); err != nil {
			return
		}
		if _, err := sp.Fill(); err != nil {
			var ne net.Error
			switch {
			case errors.As(err, &ne) && ne.Timeout():
				if slow {
					s.count(MetricDropped, string(ReasonSlow), 1)
				} else {
					s.count(MetricDropped, string(ReasonIdle), 1)
				}
			case errors.Is(err, ReasonTooLarge):
				s.count(MetricDropped, string(ReasonTooLarge), 1)
			case errors.Is(err, io.EOF), errors.Is(err, net.ErrClosed):
			}
			return
		}
	}
}

// ingest decodes messages from one source and batches observations.
type ingest struct {
	s      *Server
	client *client // nil for UDP
	info   *ClientInfo
	dec    Decoder
	ev     Event
	m      Mapper
	batch  []borderwatch.Observation
	nXML   int
	nProto int
	nFr    int
	nDet   int
}

// message handles one framed message.
func (r *ingest) message(f Format, msg []byte) {
	s := r.s
	var err error
	if f == FormatProto {
		r.nProto++
		err = r.dec.DecodeProto(msg, &r.ev)
		if r.client != nil && r.client.outFormat() != FormatProto {
			// A client that sends protobuf unasked (pytak TAK_PROTO=1) reads it too.
			r.client.format.Store(uint32(FormatProto))
		}
	} else {
		r.nXML++
		err = r.dec.Decode(msg, &r.ev)
	}
	if err != nil {
		s.count(MetricDropped, string(ReasonOf(err)), 1)
		return
	}
	ev := &r.ev
	kind := Classify(ev)
	if kind == KindControl {
		if r.client != nil {
			s.control(r.client, ev)
		}
		return
	}
	if !ev.Stale.IsZero() && !ev.Stale.After(s.now()) {
		s.count(MetricDropped, string(ReasonStale), 1)
		return
	}
	if kind == KindFriendly && !s.opts.NoRelay {
		s.relay(ev, r.info.Label, r.client)
	}
	if kind == KindNone {
		s.count(MetricDropped, string(ReasonUnsupported), 1)
		return
	}
	r.batch = append(r.batch, borderwatch.Observation{})
	if err := r.m.Observation(ev, r.info, &r.batch[len(r.batch)-1]); err != nil {
		r.batch = r.batch[:len(r.batch)-1]
		s.count(MetricDropped, string(ReasonOf(err)), 1)
		return
	}
	if kind == KindFriendly {
		r.nFr++
	} else {
		r.nDet++
	}
}

// flush hands the batch to the Handler and reports whether it succeeded.
func (r *ingest) flush() bool {
	s := r.s
	s.count(MetricMessages, "xml", r.nXML)
	s.count(MetricMessages, "proto", r.nProto)
	r.nXML, r.nProto = 0, 0
	if len(r.batch) == 0 {
		return true
	}
	err := s.opts.Handler(s.ctx, r.batch)
	n := len(r.batch)
	clear(r.batch)
	r.batch = r.batch[:0]
	if err != nil {
		s.count(MetricDropped, string(ReasonHandler), n)
		r.nFr, r.nDet = 0, 0
		if s.ctx.Err() == nil {
			s.log.Warn("cot: handler failed, dropping the source", "client", r.info.ID, "observations", n, "err", err)
		}
		return false
	}
	s.count(MetricObservations, "friendly", r.nFr)
	s.count(MetricObservations, "detection", r.nDet)
	r.nFr, r.nDet = 0, 0
	return true
}

// control answers pings and protocol requests.
func (s *Server) control(c *client, ev *Event) {
	now := s.now()
	switch ev.Type {
	case TypePing:
		pong := Event{
			UID: "takPong", Type: TypePong, How: "h-g-i-g-o",
			Time: now, Start: now, Stale: now.Add(20 * time.Second),
			Point: Point{HAE: 0, CE: Unknown, LE: Unknown},
		}
		it := newItem(&pong, borderwatch.Label{})
		it.control = true
		c.q.push(it)
	case TypeProtocolRequest:
		ok := attrOf(ev.Detail.XML, "TakRequest", "version") == "1"
		status := "false"
		if ok {
			status = "true"
		}
		resp := Event{
			UID: ev.UID, Type: TypeProtocolResponse, How: "m-g",
			Time: now, Start: now, Stale: now.Add(time.Minute),
			Point: Point{HAE: 0, CE: 999999, LE: 999999},
		}
		resp.Detail.XML = `<TakControl><TakResponse status="` + status + `"/></TakControl>`
		it := newItem(&resp, borderwatch.Label{})
		it.control = true
		if ok {
			it.switchTo = FormatProto
		}
		c.q.push(it)
	}
}

// announce is the t-x-takp-v event offering TAK protocol version 1.
func (s *Server) announce(c *client) *item {
	now := s.now()
	var b [8]byte
	rand.Read(b[:])
	ev := Event{
		UID: "borderwatch-takp-" + hex.EncodeToString(b[:]), Type: TypeProtocolSupport, How: "m-g",
		Time: now, Start: now, Stale: now.Add(time.Minute),
		Point: Point{HAE: 0, CE: 999999, LE: 999999},
	}
	ev.Detail.XML = `<TakControl><TakProtocolSupport version="1"/></TakControl>`
	it := newItem(&ev, borderwatch.Label{})
	it.control = true
	return it
}

// attrOf returns attribute attrName of the first element named elem
// anywhere in a detail XML fragment, "" when absent.
func attrOf(fragment, elem, attrName string) string {
	s := xscan{b: []byte(fragment)}
	for s.i < len(s.b) {
		if s.skipText(); s.i >= len(s.b) {
			break
		}
		if skipped, err := s.skipSpecial(); err != nil {
			return ""
		} else if skipped {
			continue
		}
		if s.hasPrefix("</") {
			s.i += 2
			s.name()
			if s.endTagClose() != nil {
				return ""
			}
			continue
		}
		s.i++
		name, _, err := s.startTag(&s.attrs)
		if err != nil {
			return ""
		}
		if string(name) == elem {
			for _, at := range s.attrs {
				if a := s.view(at); string(a.name) == attrName {
					var d Decoder
					v, err := d.str(a.value, "")
					if err != nil {
						return ""
					}
					return v
				}
			}
		}
	}
	return ""
}

func (s *Server) writeLoop(c *client) {
	var items []*item
	buf := make([]byte, 0, 64<<10)
	for {
		select {
		case <-c.q.ready:
		case <-c.done:
			return
		}
		items = c.q.popAll(items[:0])
		now := s.now()
		buf = buf[:0]
		sent := [3]int{}
		for i, it := range items {
			items[i] = nil
			if !it.control && !it.stale.IsZero() && !it.stale.After(now) {
				s.count(MetricDropped, string(ReasonStale), 1)
				continue
			}
			f := c.outFormat()
			buf = append(buf, it.frame(f)...)
			sent[f]++
			if it.switchTo != 0 {
				c.format.Store(uint32(it.switchTo))
			}
			if len(buf) >= 64<<10 {
				if !s.write(c, buf) {
					return
				}
				buf = buf[:0]
			}
		}
		if len(buf) > 0 && !s.write(c, buf) {
			return
		}
		s.count(MetricSent, "xml", sent[FormatXML])
		s.count(MetricSent, "proto", sent[FormatProto])
	}
}

func (s *Server) write(c *client, b []byte) bool {
	err := c.conn.SetWriteDeadline(time.Now().Add(s.opts.WriteTimeout))
	if err == nil {
		_, err = c.conn.Write(b)
	}
	if err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			s.count(MetricDropped, string(ReasonWriteTimeout), 1)
			s.log.Warn("cot: client not reading, dropped", "client", c.info.ID, "remote", c.info.RemoteAddr)
		}
		c.close()
		return false
	}
	return true
}

// serveUDP reads datagrams: each is one XML event or one mesh protobuf
// message.
func (s *Server) serveUDP(pc *net.UDPConn) {
	info := ClientInfo{ID: "udp", Transport: "udp", RemoteAddr: pc.LocalAddr().String(), Label: s.opts.Label}
	r := ingest{s: s, info: &info, m: Mapper{Sigma: s.opts.Sigma}}
	buf := make([]byte, 64<<10)
	limits := make(map[netip.Addr]*limiter)
	for {
		n, from, err := pc.ReadFromUDPAddrPort(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) || s.ctx.Err() != nil {
				return
			}
			s.log.Warn("cot: udp read failed", "err", err)
			continue
		}
		if s.opts.Rate > 0 {
			now := time.Now()
			lim := limits[from.Addr()]
			if lim == nil {
				if len(limits) >= DefaultUDPSources {
					clear(limits)
				}
				lim = newLimiter(s.opts.Rate, s.opts.Burst, now)
				limits[from.Addr()] = lim
			}
			if !lim.allow(now) {
				s.count(MetricDropped, string(ReasonRate), 1)
				continue
			}
		}
		if n > max(s.opts.MaxXML, s.opts.MaxProto) {
			s.count(MetricDropped, string(ReasonTooLarge), 1)
			continue
		}
		f, payload, err := SplitDatagram(buf[:n])
		if err != nil {
			s.count(MetricDropped, string(ReasonOf(err)), 1)
			continue
		}
		func() {
			defer func() {
				if p := recover(); p != nil {
					s.count(MetricDropped, string(ReasonPanic), 1)
					s.log.Error("cot: udp handler panicked", "panic", fmt.Sprint(p))
				}
			}()
			r.message(f, payload)
			r.flush()
		}()
	}
}

// limiter is a token bucket.
type limiter struct {
	rate, burst, tokens float64
	last                time.Time
}

func newLimiter(rate float64, burst int, now time.Time) *limiter {
	return &limiter{rate: rate, burst: float64(burst), tokens: float64(burst), last: now}
}

func (l *limiter) refill(now time.Time) {
	if l.rate < 0 {
		return
	}
	if dt := now.Sub(l.last).Seconds(); dt > 0 {
		l.tokens = min(l.burst, l.tokens+dt*l.rate)
	}
	l.last = now
}

// take spends n tokens and returns how long to wait until the balance is
// no longer negative.
func (l *limiter) take(now time.Time, n int) time.Duration {
	if l.rate < 0 || n == 0 {
		return 0
	}
	l.refill(now)
	l.tokens -= float64(n)
	if l.tokens >= 0 {
		return 0
	}
	return time.Duration(-l.tokens / l.rate * float64(time.Second))
}

// allow spends one token if there is one.
func (l *limiter) allow(now time.Time) bool {
	if l.rate < 0 {
		return true
	}
	l.refill(now)
	if l.tokens < 1 {
		return false
	}
	l.tokens--
	return true
}
