package mavlink

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/borderwatch/borderwatch"
	"github.com/borderwatch/borderwatch/internal/metrics"
)

// DefaultAddr is where vehicles and telemetry radios send by convention.
const DefaultAddr = ":14550"

// Handler receives a batch of observations. The slice is reused once the
// handler returns; the observations it holds are not. An error is logged
// and the batch counted as dropped (MAVLink has no acknowledgement to
// withhold).
type Handler func(ctx context.Context, obs []borderwatch.Observation) error

// Options configures a Server. Zero values take the documented defaults.
type Options struct {
	// Addr is the UDP address to listen on: "host:port", optionally as
	// "mavlink+udp://host:port". Default DefaultAddr. Use 127.0.0.1:0 in
	// tests.
	Addr string
	// Handler receives the friendly self-report observations; nil drops
	// them (the drone state is still kept).
	Handler Handler
	// OnEvent is told of drone state changes (online, offline, mode,
	// armed, disarmed). It runs on the listener's goroutines and must not
	// block.
	OnEvent func(Event)
	// Now is the clock for all state times; default time.Now.
	Now    func() time.Time
	Logger *slog.Logger
	// Metrics is the registry the server's counters go into (one Server
	// per registry: the names are fixed); nil keeps them private (Stats
	// still works).
	Metrics *metrics.Registry
	// Label is put on every observation (the agency owning the drones).
	Label borderwatch.Label
	// UnitID maps a vehicle to the deployment unit it is; default: the
	// drone's ID.
	UnitID func(sysID uint8, remote netip.AddrPort) string

	// HeartbeatTimeout without a HEARTBEAT marks a drone offline; default 3s.
	HeartbeatTimeout time.Duration
	// ForgetAfter removes a drone that has been offline this long; default 1h.
	ForgetAfter time.Duration

	// SystemID and ComponentID are ours as a ground station; default 255
	// and 190 (MAV_COMP_ID_MISSIONPLANNER).
	SystemID, ComponentID uint8
	// GCSHeartbeat is how often we send our HEARTBEAT to each online
	// vehicle (ArduPilot's GCS failsafe watches it); default 1s, negative
	// disables.
	GCSHeartbeat time.Duration
	// StreamRate is the rate in Hz asked of ArduPilot vehicles for
	// GLOBAL_POSITION_INT, SYS_STATUS, VFR_HUD and GPS_RAW_INT
	// (MAV_CMD_SET_MESSAGE_INTERVAL) when they come online; default 4,
	// negative disables. PX4 streams by default and is not asked.
	StreamRate float64

	// CommandTimeout is how long to wait for a COMMAND_ACK before resending;
	// default 1.5s. CommandAttempts is how often a command is sent as
	// COMMAND_INT, and again as COMMAND_LONG when that fails; default 3.
	CommandTimeout  time.Duration
	CommandAttempts int
	// SetGuidedFirst makes GoTo on ArduPilot send DO_SET_MODE GUIDED (and
	// wait for its ACK) before DO_REPOSITION when the vehicle is not in
	// GUIDED already. DO_REPOSITION with the change-mode flag does that
	// itself on ArduPilot 4.1 and later, so it is off by default.
	SetGuidedFirst bool
	// LoiterRadius in metres is sent as DO_REPOSITION param3 (fixed-wing
	// loiter radius); 0 leaves the vehicle's default.
	LoiterRadius float64

	// MaxVehicles bounds tracked vehicles, MaxChannels the remote addresses
	// with parser state; defaults 256 and 1024. MaxRate is frames per
	// second accepted per channel; default 5000, negative unlimited.
	MaxVehicles int
	MaxChannels int
	MaxRate     int
	// MaxBacklog bounds observations waiting for a slow Handler; beyond it
	// new ones are dropped and counted. Default 65536.
	MaxBacklog int
	// FlushInterval is the longest an observation waits before the
	// Handler is called (sooner when 256 are waiting); default 10ms.
	FlushInterval time.Duration
	// ReadBuffer is the socket receive buffer asked of the kernel; default 4 MiB.
	ReadBuffer int
}

func (o *Options) setDefaults() error {
	if o.Addr == "" {
		o.Addr = DefaultAddr
	}
	for _, p := range []string{"mavlink+udp://", "udp://"} {
		o.Addr = strings.TrimPrefix(o.Addr, p)
	}
	if _, _, err := net.SplitHostPort(o.Addr); err != nil {
		return fmt.Errorf("mavlink: options: addr %q: %w", o.Addr, err)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.HeartbeatTimeout == 0 {
		o.HeartbeatTimeout = 3 * time.Second
	}
	if o.ForgetAfter == 0 {
		o.ForgetAfter = time.Hour
	}
	if o.SystemID == 0 {
		o.SystemID = 255
	}
	if o.ComponentID == 0 {
		o.ComponentID = 190
	}
	if o.GCSHeartbeat == 0 {
		o.GCSHeartbeat = time.Second
	}
	if o.StreamRate == 0 {
		o.StreamRate = 4
	}
	if o.CommandTimeout == 0 {
		o.CommandTimeout = 1500 * time.Millisecond
	}
	if o.CommandAttempts == 0 {
		o.CommandAttempts = 3
	}
	if o.MaxVehicles == 0 {
		o.MaxVehicles = 256
	}
	if o.MaxChannels == 0 {
		o.MaxChannels = 1024
	}
	if o.MaxRate == 0 {
		o.MaxRate = 5000
	}
	if o.MaxBacklog == 0 {
		o.MaxBacklog = 65536
	}
	if o.FlushInterval <= 0 {
		o.FlushInterval = 10 * time.Millisecond
	}
	if o.ReadBuffer == 0 {
		o.ReadBuffer = 4 << 20
	}
	switch {
	case o.HeartbeatTimeout < 0:
		return fmt.Errorf("mavlink: options: heartbeat timeout %v: must be positive", o.HeartbeatTimeout)
	case o.CommandTimeout < 0:
		return fmt.Errorf("mavlink: options: command timeout %v: must be positive", o.CommandTimeout)
	case o.CommandAttempts < 0:
		return fmt.Errorf("mavlink: options: command attempts %d: must be positive", o.CommandAttempts)
	case o.MaxVehicles < 0 || o.MaxChannels < 0 || o.MaxBacklog < 0:
		return errors.New("mavlink: options: limits must be positive")
	case math.IsNaN(o.LoiterRadius) || o.LoiterRadius < 0:
		return fmt.Errorf("mavlink: options: loiter radius %v: must be >= 0", o.LoiterRadius)
	}
	return nil
}

// Stats are the server's running totals (also in Options.Metrics).
type Stats struct {
	Frames uint64 // valid frames decoded
	// Dropped counts input dropped by reason: malformed frames, limits,
	// telemetry before a HEARTBEAT.
	Dropped             map[Reason]uint64
	Observations        uint64 // observations the Handler accepted
	ObservationsDropped uint64 // backlog full or handler error
}

// Server listens for MAVLink over UDP and keeps the drones it hears.
type Server struct {
	opts Options
	log  *slog.Logger

	conn  *net.UDPConn
	laddr netip.AddrPort

	mu       sync.Mutex
	channels map[netip.AddrPort]*channel
	byID     map[string]*vehicle
	nveh     int
	pending  []borderwatch.Observation // waiting for the handler
	spare    []borderwatch.Observation
	obsSeq   uint64
	obsBase  string
	idBuf    []byte
	slab     []obsValues
	// Reader-goroutine state, guarded by mu while a datagram is handled.
	cur      *channel
	curNow   time.Time
	events   []Event
	outbox   []outFrame
	frameFn  func(*Frame)
	dropFn   func(Reason)
	scratch  payload
	curFrame int

	txSeq uint8
	txMu  sync.Mutex
	// singleReads turns recvmmsg off: the benchmarks' naive baseline.
	singleReads bool
	signal      chan struct{}

	m *serverMetrics

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

type serverMetrics struct {
	frames       *metrics.Counter
	malformed    *metrics.CounterVec
	byReason     sync.Map // Reason -> *metrics.Counter
	observations *metrics.Counter
	dropped      *metrics.Counter
	commands     *metrics.CounterVec
	online       *metrics.Gauge
	reg          *metrics.Registry
}

func newServerMetrics(r *metrics.Registry) *serverMetrics {
	if r == nil {
		r = metrics.NewRegistry()
	}
	m := &serverMetrics{reg: r}
	m.frames = r.Counter("borderwatch_mavlink_frames_total", "Valid MAVLink frames received.").With()
	m.malformed = r.Counter("borderwatch_mavlink_input_dropped_total", "MAVLink input dropped, by reason: malformed frames, limits, telemetry before a heartbeat.", "reason")
	m.observations = r.Counter("borderwatch_mavlink_observations_total", "Drone self-report observations handed to ingest.").With()
	m.dropped = r.Counter("borderwatch_mavlink_observations_dropped_total", "Drone observations dropped: backlog full or handler error.").With()
	m.commands = r.Counter("borderwatch_mavlink_commands_total", "Commands sent to drones, by command and outcome.", "command", "result")
	m.online = r.Gauge("borderwatch_mavlink_drones_online", "Drones currently heard.").With()
	return m
}

func (m *serverMetrics) malformedCounter(r Reason) *metrics.Counter {
	if c, ok := m.byReason.Load(r); ok {
		return c.(*metrics.Counter)
	}
	c := m.malformed.With(string(r))
	m.byReason.Store(r, c)
	return c
}

// channel is one remote UDP address: its stream parser, rate window and
// the vehicles (system ids) behind it.
type channel struct {
	addr        netip.AddrPort
	parser      Parser
	vehicles    []*vehicle
	windowStart time.Time
	windowCount int
	lastSeen    time.Time
}

type outFrame struct {
	to  netip.AddrPort
	buf []byte
}

// New validates opts; nothing listens until Start.
func New(opts Options) (*Server, error) {
	if err := opts.setDefaults(); err != nil {
		return nil, err
	}
	s := &Server{
		opts:     opts,
		log:      opts.Logger,
		channels: make(map[netip.AddrPort]*channel),
		byID:     make(map[string]*vehicle),
		signal:   make(chan struct{}, 1),
		m:        newServerMetrics(opts.Metrics),
		obsBase:  "mav-" + strconv.FormatInt(opts.Now().UnixNano(), 36) + "-",
	}
	s.frameFn = s.onFrame
	s.dropFn = s.drop
	return s, nil
}

// Start binds the UDP socket and starts the listener; it returns once
// Addr is valid. Cancelling ctx stops the server like Close.
func (s *Server) Start(ctx context.Context) error {
	ua, err := net.ResolveUDPAddr("udp", s.opts.Addr)
	if err != nil {
		return fmt.Errorf("mavlink: listen %s: %w", s.opts.Addr, err)
	}
	conn, err := net.ListenUDP("udp", ua)
	if err != nil {
		return fmt.Errorf("mavlink: listen %s: %w", s.opts.Addr, err)
	}
	if err := conn.SetReadBuffer(s.opts.ReadBuffer); err != nil {
		s.log.Warn("mavlink: cannot set socket receive buffer", "bytes", s.opts.ReadBuffer, "err", err)
	}
	s.conn = conn
	s.laddr = conn.LocalAddr().(*net.UDPAddr).AddrPort()
	s.ctx, s.cancel = context.WithCancel(ctx)
	s.wg.Add(3)
	go s.readLoop()
	go s.deliverLoop()
	go s.tickLoop()
	go func() {
		<-s.ctx.Done()
		s.conn.Close()
	}()
	s.log.Info("mavlink: listening", "addr", s.laddr.String())
	return nil
}

// Addr is the bound local address.
func (s *Server) Addr() netip.AddrPort { return s.laddr }

// Close stops the listener, hands the remaining observations to the
// Handler and waits for the server's goroutines.
func (s *Server) Close() error {
	if s.cancel == nil {
		return nil
	}
	s.cancel()
	s.wg.Wait()
	return nil
}

// Drones returns a snapshot of every known drone, sorted by ID.
func (s *Server) Drones() []Drone {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Drone, 0, len(s.byID))
	for _, v := range s.byID {
		out = append(out, v.snapshot())
	}
	sortDrones(out)
	return out
}

// Drone returns the drone with id.
func (s *Server) Drone(id string) (Drone, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.byID[id]
	if !ok {
		return Drone{}, false
	}
	return v.snapshot(), true
}

// Stats returns the running totals.
func (s *Server) Stats() Stats {
	st := Stats{
		Frames:              s.m.frames.Value(),
		Observations:        s.m.observations.Value(),
		ObservationsDropped: s.m.dropped.Value(),
		Dropped:             map[Reason]uint64{},
	}
	s.m.byReason.Range(func(k, v any) bool {
		st.Dropped[k.(Reason)] = v.(*metrics.Counter).Value()
		return true
	})
	return st
}

func (s *Server) readLoop() {
	defer s.wg.Done()
	var r *batchReader
	var err error
	if !s.singleReads {
		if r, err = newBatchReader(s.conn); err != nil {
			s.log.Info("mavlink: batch reads unavailable; reading one datagram per call", "err", err)
			r = nil
		}
	}
	var one [1]datagram
	buf := make([]byte, 65536)
	for {
		var batch []datagram
		if r != nil {
			batch, err = r.read()
		} else {
			var n int
			var addr netip.AddrPort
			n, addr, err = s.conn.ReadFromUDPAddrPort(buf)
			one[0] = datagram{from: addr, b: buf[:n], tooLarge: n > MaxDatagram}
			batch = one[:]
		}
		if err != nil {
			if s.ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return
			}
			s.log.Warn("mavlink: read", "err", err)
			continue
		}
		s.handleBatch(batch)
	}
}

// MaxDatagram is the largest datagram accepted; larger ones are dropped
// (too_large). MAVLink frames are at most 280 bytes and senders keep
// datagrams within an Ethernet MTU.
const MaxDatagram = 8192

// datagram is one received datagram.
type datagram struct {
	from     netip.AddrPort
	b        []byte
	tooLarge bool
}

// handleDatagram parses one datagram from addr and applies its frames.
func (s *Server) handleDatagram(addr netip.AddrPort, b []byte) {
	s.handleBatch([]datagram{{from: addr, b: b, tooLarge: len(b) > MaxDatagram}})
}

// handleBatch applies datagrams read together: one lock, one clock
// reading, one wake-up of the handler goroutine for the whole batch.
func (s *Server) handleBatch(batch []datagram) {
	nframes, signal, events, outbox := s.apply(batch)
	if nframes > 0 {
		s.m.frames.Add(uint64(nframes))
	}
	if signal {
		select {
		case s.signal <- struct{}{}:
		default:
		}
	}
	for _, o := range outbox {
		if err := s.send(o.to, o.buf); err != nil {
			s.log.Warn("mavlink: stream request", "err", err)
		}
	}
	s.emit(events)
}

// apply runs each datagram through its channel's parser with mu held.
func (s *Server) apply(batch []datagram) (nframes int, signal bool, events []Event, outbox []outFrame) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.opts.Now()
	s.curFrame = 0
	for i := range batch {
		s.applyOne(&batch[i], now)
	}
	events, outbox = s.events, s.outbox
	s.events, s.outbox = s.events[:0], s.outbox[:0]
	return s.curFrame, len(s.pending) >= flushBatch, events, outbox
}

// flushBatch observations wake the handler goroutine at once; fewer wait
// for Options.FlushInterval. Under load the handler gets full batches and
// the reader does not pay a wake-up per datagram.
const flushBatch = 256

// applyOne parses one datagram; mu is held. A panic (a bug, not the
// sender's fault) drops the datagram and the listener carries on.
func (s *Server) applyOne(d *datagram, now time.Time) {
	addr := netip.AddrPortFrom(d.from.Addr().Unmap(), d.from.Port())
	defer func() {
		if r := recover(); r != nil {
			if s.cur != nil {
				s.cur.parser = Parser{Drop: s.dropFn}
			}
			s.cur = nil
			s.drop(ReasonPanic)
			s.log.Error("mavlink: panic handling datagram", "remote", addr.String(), "panic", r)
		}
	}()
	if d.tooLarge {
		s.drop(ReasonTooLarge)
		return
	}
	ch := s.channels[addr]
	if ch == nil {
		if len(s.channels) >= s.opts.MaxChannels {
			s.drop(ReasonTooManyChannels)
			return
		}
		ch = &channel{addr: addr}
		ch.parser.Drop = s.dropFn
		s.channels[addr] = ch
	}
	ch.lastSeen = now
	s.cur, s.curNow = ch, now
	ch.parser.Parse(d.b, s.frameFn)
	s.cur = nil
}

func (s *Server) emit(events []Event) {
	for _, e := range events {
		switch e.Kind {
		case EventOnline:
			s.m.online.Add(1)
		case EventOffline:
			s.m.online.Add(-1)
		}
		if s.opts.OnEvent != nil {
			s.opts.OnEvent(e)
		}
	}
}

func (s *Server) drop(r Reason) {
	s.m.malformedCounter(r).Inc()
}

// onFrame applies one frame of the current channel; mu is held.
func (s *Server) onFrame(f *Frame) {
	ch, now := s.cur, s.curNow
	if s.opts.MaxRate > 0 {
		if now.Sub(ch.windowStart) >= time.Second || now.Before(ch.windowStart) {
			ch.windowStart, ch.windowCount = now, 0
		}
		ch.windowCount++
		if ch.windowCount > s.opts.MaxRate {
			s.drop(ReasonRateLimited)
			return
		}
	}
	s.curFrame++
	if f.SystemID == s.opts.SystemID && f.ComponentID == s.opts.ComponentID {
		return // our own frames echoed back by a router
	}
	var v *vehicle
	for _, c := range ch.vehicles {
		if c.d.SystemID == f.SystemID {
			v = c
			break
		}
	}
	if v == nil {
		if f.MessageID != IDHeartbeat {
			s.drop(ReasonNoHeartbeat)
			return
		}
		var hb Heartbeat
		hb.decode(&s.scratch, f.Payload)
		if hb.Autopilot == mavAutopilotInvalid || hb.Type == TypeGCS {
			return // another ground station, a camera, a companion computer
		}
		if s.nveh >= s.opts.MaxVehicles {
			s.drop(ReasonTooManyVehicles)
			return
		}
		v = s.newVehicle(ch, f, now)
		ch.vehicles = append(ch.vehicles, v)
		s.byID[v.d.ID] = v
		s.nveh++
	}
	v.account(f, now)
	switch f.MessageID {
	case IDCommandAck:
		var ack CommandAck
		ack.decode(&s.scratch, f.Payload)
		v.deliverAck(ack, s.opts.SystemID, s.opts.ComponentID)
		return
	case IDStatusText:
		var st StatusText
		st.decode(&s.scratch, f.Payload)
		v.d.StatusText = st.String()
		return
	}
	if f.ComponentID != v.d.ComponentID {
		return // telemetry from a gimbal, camera or companion: not the vehicle's own
	}
	switch f.MessageID {
	case IDHeartbeat:
		var hb Heartbeat
		hb.decode(&s.scratch, f.Payload)
		if hb.Autopilot == mavAutopilotInvalid {
			return
		}
		s.onHeartbeat(v, &hb, now)
	case IDGlobalPositionInt:
		var m GlobalPositionInt
		m.decode(&s.scratch, f.Payload)
		s.onPosition(v, &m, now)
	case IDSysStatus:
		var m SysStatus
		m.decode(&s.scratch, f.Payload)
		v.onSysStatus(&m)
	case IDBatteryStatus:
		var m BatteryStatus
		m.decode(&s.scratch, f.Payload)
		v.onBatteryStatus(&m)
	case IDVFRHUD:
		var m VFRHUD
		m.decode(&s.scratch, f.Payload)
		v.onVFRHUD(&m)
	case IDAttitude:
		var m Attitude
		m.decode(&s.scratch, f.Payload)
		v.onAttitude(&m)
	case IDGPSRawInt:
		var m GPSRawInt
		m.decode(&s.scratch, f.Payload)
		v.onGPS(&m)
	case IDExtendedSysState:
		var m ExtendedSysState
		m.decode(&s.scratch, f.Payload)
		v.d.LandedState = landedStateName(m.LandedState)
	case IDPositionTargetGlobalInt:
		var m PositionTargetGlobalInt
		m.decode(&s.scratch, f.Payload)
		if m.LatInt != 0 || m.LonInt != 0 {
			v.d.Target = &borderwatch.LatLon{Lat: float64(m.LatInt) / 1e7, Lon: float64(m.LonInt) / 1e7}
		}
	}
}

func (s *Server) newVehicle(ch *channel, f *Frame, now time.Time) *vehicle {
	id := "mav:" + strconv.Itoa(int(f.SystemID)) + "@" + ch.addr.String()
	unit := id
	if s.opts.UnitID != nil {
		if u := s.opts.UnitID(f.SystemID, ch.addr); u != "" {
			unit = u
		}
	}
	v := &vehicle{
		ch:   ch,
		task: make(chan struct{}, 1),
		d: Drone{
			ID: id, UnitID: unit, Remote: ch.addr,
			SystemID: f.SystemID, ComponentID: f.ComponentID,
			Heading: -1, Battery: -1, FirstSeen: now,
		},
	}
	v.rateStart = now
	return v
}

func (s *Server) onHeartbeat(v *vehicle, hb *Heartbeat, now time.Time) {
	d := &v.d
	wasOnline := d.Online
	prevMode, prevArmed, hadMode := d.Mode, d.Armed, d.Mode != ""
	d.Autopilot = autopilotName(hb.Autopilot)
	d.VehicleType = VehicleTypeName(hb.Type)
	d.CustomMode = hb.CustomMode
	d.Mode = ModeName(hb.Autopilot, hb.Type, hb.BaseMode, hb.CustomMode)
	d.Armed = hb.BaseMode&ModeFlagSafetyArmed != 0
	d.SystemStatus = systemStatusName(hb.SystemStatus)
	d.Link.LastHeartbeat = now
	v.mavType, v.autopilot = hb.Type, hb.Autopilot
	if !wasOnline {
		d.Online = true
		s.events = append(s.events, Event{Kind: EventOnline, Time: now, Drone: v.snapshot()})
		if hb.Autopilot == mavAutopilotArduPilot && s.opts.StreamRate > 0 {
			s.requestStreams(v)
		}
	}
	if hadMode && d.Mode != prevMode {
		s.events = append(s.events, Event{Kind: EventMode, Time: now, Drone: v.snapshot()})
	}
	if hadMode && d.Armed != prevArmed {
		k := EventDisarmed
		if d.Armed {
			k = EventArmed
		}
		s.events = append(s.events, Event{Kind: k, Time: now, Drone: v.snapshot()})
	}
}

// requestStreams asks an ArduPilot vehicle for the telemetry we read;
// mu is held, the frames go out after the datagram is handled.
func (s *Server) requestStreams(v *vehicle) {
	interval := float32(1e6 / s.opts.StreamRate)
	for _, id := range [...]uint32{IDGlobalPositionInt, IDSysStatus, IDVFRHUD, IDGPSRawInt} {
		cmd := &CommandLong{
			Command: CmdSetMessageInterval, TargetSystem: v.d.SystemID, TargetComponent: v.d.ComponentID,
			Param: [7]float32{float32(id), interval},
		}
		s.outbox = append(s.outbox, outFrame{to: v.ch.addr, buf: s.encode(cmd)})
	}
}

func (s *Server) onPosition(v *vehicle, m *GlobalPositionInt, now time.Time) {
	d := &v.d
	d.HasPosition = true
	d.Position = borderwatch.LatLon{Lat: float64(m.Lat) / 1e7, Lon: float64(m.Lon) / 1e7}
	d.AltMSL = float64(m.Alt) / 1000
	d.AltRel = float64(m.RelativeAlt) / 1000
	d.Velocity = borderwatch.Velocity{East: float64(m.VY) / 100, North: float64(m.VX) / 100}
	d.ClimbRate = -float64(m.VZ) / 100
	if m.Hdg != math.MaxUint16 {
		v.setHeading(hdgPosition, float64(m.Hdg)/100)
	}
	if !v.hudSpeed {
		d.GroundSpeed = math.Hypot(d.Velocity.East, d.Velocity.North)
	}
	if !d.Position.Valid() || (m.Lat == 0 && m.Lon == 0) {
		return // no fix yet: keep state, report nothing
	}
	if len(s.pending) >= s.opts.MaxBacklog {
		s.m.dropped.Inc()
		return
	}
	s.pending = append(s.pending, s.observation(v, now))
}

// observation builds the self-report for v's latest position; mu is held.
func (s *Server) observation(v *vehicle, now time.Time) borderwatch.Observation {
	d := &v.d
	if len(s.slab) == 0 {
		s.slab = make([]obsValues, 64) // one allocation for 64 observations' values
	}
	x := &s.slab[0]
	s.slab = s.slab[1:]
	x.pos = d.Position
	x.vel = d.Velocity
	s.obsSeq++
	s.idBuf = strconv.AppendUint(append(s.idBuf[:0], s.obsBase...), s.obsSeq, 36)
	o := borderwatch.Observation{
		ID:         string(s.idBuf),
		Time:       now,
		Source:     borderwatch.Source{ID: d.ID, Kind: borderwatch.SourceDrone},
		Position:   &x.pos,
		Cov:        borderwatch.Isotropic(v.sigma()),
		Velocity:   &x.vel,
		Class:      borderwatch.ClassAircraft,
		Confidence: 1,
		Friendly:   true,
		UnitID:     d.UnitID,
		Stale:      now.Add(s.opts.HeartbeatTimeout),
		Label:      s.opts.Label,
	}
	o.Attrs = make(map[string]string, 5)
	o.Attrs[AttrMode] = d.Mode
	o.Attrs[AttrArmed] = strconv.FormatBool(d.Armed)
	if d.Battery >= 0 {
		if !v.batteryStrValid {
			v.batteryStr = strconv.FormatFloat(d.Battery, 'f', -1, 64)
			v.batteryStrValid = true
		}
		o.Attrs[AttrBattery] = v.batteryStr
	}
	o.Attrs[AttrAltRel] = strconv.FormatFloat(d.AltRel, 'f', 1, 64)
	if v.geoidKnown {
		x.alt = d.AltMSL + v.geoidSep
		o.Alt = &x.alt
	} else {
		o.Attrs[AttrAltMSL] = strconv.FormatFloat(d.AltMSL, 'f', 1, 64)
	}
	return o
}

// Observation attribute keys. Alt carries the ellipsoid height when the
// vehicle's GPS_RAW_INT gave the geoid separation; otherwise Alt is nil and
// AttrAltMSL has the height above mean sea level.
const (
	AttrMode    = "mavlink_mode"
	AttrArmed   = "armed"
	AttrBattery = "battery_pct"
	AttrAltRel  = "alt_rel_m" // above home
	AttrAltMSL  = "alt_msl_m"
)

type obsValues struct {
	pos borderwatch.LatLon
	vel borderwatch.Velocity
	alt float64
}

func (s *Server) deliverLoop() {
	defer s.wg.Done()
	t := time.NewTicker(s.opts.FlushInterval)
	defer t.Stop()
	for {
		select {
		case <-s.signal:
			s.flush(s.ctx)
		case <-t.C:
			s.flush(s.ctx)
		case <-s.ctx.Done():
			// Hand over what the reader left, unless the caller's context is
			// gone too: then the handler could not store it anyway.
			s.flush(context.WithoutCancel(s.ctx))
			return
		}
	}
}

func (s *Server) flush(ctx context.Context) {
	s.mu.Lock()
	if len(s.pending) == 0 {
		s.mu.Unlock()
		return
	}
	batch := s.pending
	s.pending = s.spare[:0]
	s.spare = nil
	s.mu.Unlock()
	if len(batch) > 0 {
		if s.opts.Handler == nil {
			s.m.dropped.Add(uint64(len(batch)))
		} else if err := s.opts.Handler(ctx, batch); err != nil {
			s.m.dropped.Add(uint64(len(batch)))
			s.log.Warn("mavlink: handler failed; observations dropped", "n", len(batch), "err", err)
		} else {
			s.m.observations.Add(uint64(len(batch)))
		}
	}
	clear(batch)
	s.mu.Lock()
	s.spare = batch[:0]
	s.mu.Unlock()
}

// tickLoop watches heartbeats, sends ours and forgets what went away.
func (s *Server) tickLoop() {
	defer s.wg.Done()
	every := min(s.opts.HeartbeatTimeout/4, 250*time.Millisecond)
	t := time.NewTicker(max(every, 5*time.Millisecond))
	defer t.Stop()
	var lastGCS time.Time
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-t.C:
		}
		now := s.opts.Now()
		s.emit(s.sweep(now))
		if s.opts.GCSHeartbeat > 0 && (now.Sub(lastGCS) >= s.opts.GCSHeartbeat || now.Before(lastGCS)) {
			lastGCS = now
			s.sendGCSHeartbeats()
		}
	}
}

// sweep marks drones offline whose heartbeat is older than the timeout,
// forgets long-gone drones and idle channels, and returns the events.
func (s *Server) sweep(now time.Time) []Event {
	var events []Event
	s.mu.Lock()
	defer s.mu.Unlock()
	for addr, ch := range s.channels {
		keep := ch.vehicles[:0]
		for _, v := range ch.vehicles {
			d := &v.d
			if d.Online && now.Sub(d.Link.LastHeartbeat) > s.opts.HeartbeatTimeout {
				d.Online = false
				d.Link.MessageRate = 0
				events = append(events, Event{Kind: EventOffline, Time: now, Drone: v.snapshot()})
			}
			if !d.Online && now.Sub(d.Link.LastMessage) > s.opts.ForgetAfter {
				delete(s.byID, d.ID)
				s.nveh--
				continue
			}
			if now.Sub(v.rateStart) >= 2*time.Second {
				v.rollRate(now) // a silent vehicle's rate decays
			}
			keep = append(keep, v)
		}
		clear(ch.vehicles[len(keep):])
		ch.vehicles = keep
		if len(ch.vehicles) == 0 && now.Sub(ch.lastSeen) > time.Minute {
			ch.parser.Flush()
			delete(s.channels, addr)
		}
	}
	return events
}

func (s *Server) sendGCSHeartbeats() {
	s.mu.Lock()
	var to []netip.AddrPort
	for _, ch := range s.channels {
		for _, v := range ch.vehicles {
			if v.d.Online {
				to = append(to, ch.addr)
				break
			}
		}
	}
	s.mu.Unlock()
	if len(to) == 0 {
		return
	}
	hb := &Heartbeat{Type: TypeGCS, Autopilot: mavAutopilotInvalid, SystemStatus: 4, MAVLinkVersion: 3}
	buf := s.encode(hb)
	for _, a := range to {
		_ = s.send(a, buf) // a lost heartbeat is retried next second
	}
}

// encode frames m as MAVLink 2 from our system with the next sequence.
func (s *Server) encode(m Message) []byte {
	s.txMu.Lock()
	seq := s.txSeq
	s.txSeq++
	s.txMu.Unlock()
	b, err := AppendFrame(make([]byte, 0, 64), Header{Seq: seq, SystemID: s.opts.SystemID, ComponentID: s.opts.ComponentID}, m)
	if err != nil {
		panic(err) // only messages this package defines are sent
	}
	return b
}

func (s *Server) send(to netip.AddrPort, b []byte) error {
	if _, err := s.conn.WriteToUDPAddrPort(b, to); err != nil {
		return fmt.Errorf("mavlink: send to %s: %w", to, err)
	}
	return nil
}
