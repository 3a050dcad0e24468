// Package server is the one place that wires borderwatch together: it turns
// validated Options into the deployment, the event log, the ingest
// pipeline, the protocol listeners, the tracker and rules, the store
// projection and the web UI, and stops them in order. Tests start it
// in-process on port 0 with a temporary data directory.
package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/borderwatch/borderwatch"
	"github.com/borderwatch/borderwatch/internal/camera"
	"github.com/borderwatch/borderwatch/internal/cot"
	"github.com/borderwatch/borderwatch/internal/deployment"
	"github.com/borderwatch/borderwatch/internal/ingest"
	"github.com/borderwatch/borderwatch/internal/live"
	"github.com/borderwatch/borderwatch/internal/mavlink"
	"github.com/borderwatch/borderwatch/internal/metrics"
	"github.com/borderwatch/borderwatch/internal/natsbus"
	"github.com/borderwatch/borderwatch/internal/rules"
	"github.com/borderwatch/borderwatch/internal/sqlite"
	"github.com/borderwatch/borderwatch/internal/store"
	"github.com/borderwatch/borderwatch/internal/tracker"
)

// Server is a running borderwatch node.
type Server struct {
	opts    Options
	log     *slog.Logger
	metrics *metrics.Registry
	nodeID  string

	folder  *deployment.Folder
	dep     *borderwatch.Deployment
	sectors *sectorIndex
	units   map[string]borderwatch.Unit

	bus   *natsbus.Log
	pipe  *ingest.Pipeline
	live  *live.Picture
	store store.Store
	core  *core
	out   *writer
	resp  *response
	sec   *security
	cot   *cot.Server
	mav   *mavlink.Server

	httpSrv *http.Server
	httpLn  net.Listener
	httpsOn bool
	// streamCtx ends the web's long-lived streams before the HTTP server
	// shuts down (Shutdown waits for them otherwise).
	streamCtx    context.Context
	cancelStream context.CancelFunc

	apiToken, apiTokenPath string

	// MQTTUser and MQTTPasswordPath say how cameras log in.
	mqttUser, mqttPasswordPath string

	projectErrs *metrics.Counter

	ready    chan struct{}
	serveErr chan error
	cancel   context.CancelFunc
	wg       sync.WaitGroup

	mu      sync.Mutex
	started bool
	stopped bool
}

// New validates opts and loads the deployment; nothing listens until
// Start.
func New(opts Options) (*Server, error) {
	if err := opts.Validate(); err != nil {
		return nil, fmt.Errorf("server: invalid options:\n%w", err)
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	folder, err := loadDeployment(opts.Deployment)
	if err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	s := &Server{
		opts:     opts,
		log:      opts.Logger,
		metrics:  metrics.NewRegistry(),
		nodeID:   "n" + randomToken(6),
		folder:   folder,
		dep:      folder.Deployment,
		sectors:  newSectorIndex(folder.Line, folder.Deployment),
		units:    map[string]borderwatch.Unit{},
		ready:    make(chan struct{}),
		serveErr: make(chan error, 8),
	}
	for _, u := range s.dep.Units {
		s.units[u.ID] = u
	}
	s.projectErrs = s.metrics.Counter("borderwatch_projection_skipped_total", "Log messages the store projection could not apply.").With()
	return s, nil
}

// Deployment is the loaded deployment.
func (s *Server) Deployment() *borderwatch.Deployment { return s.dep }

// Start opens the data directory, the log and every configured listener,
// then returns; Ready is closed once all accept. A failure stops what was
// started and returns the error.
func (s *Server) Start(ctx context.Context) (err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started {
		return errors.New("server: already started")
	}
	s.started = true
	defer func() {
		if err != nil {
			_ = s.stopLocked(context.Background()) // the start error is the one to report
		}
	}()
	if err := os.MkdirAll(s.opts.DataDir, 0o750); err != nil {
		return fmt.Errorf("server: data directory: %w", err)
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s.cancel = cancel
	s.streamCtx, s.cancelStream = context.WithCancel(runCtx)

	if s.opts.HTTPAddr != "" {
		if s.apiToken, s.apiTokenPath, err = s.secret(s.opts.APITokenFile, "api-token"); err != nil {
			return fmt.Errorf("server: api token: %w", err)
		}
	}
	if err := s.startLog(runCtx); err != nil {
		return err
	}
	s.live = live.New(live.Options{Now: s.opts.Now})
	s.seedLive()
	pipe, err := ingest.New(ingest.Options{
		Log:     s.bus,
		Sector:  s.sectors.of,
		Label:   s.defaultLabel,
		NodeID:  s.nodeID,
		Metrics: s.metrics,
		Now:     s.opts.Now,
	})
	if err != nil {
		return fmt.Errorf("server: %w", err)
	}
	s.pipe = pipe

	st, err := sqlite.Open(runCtx, filepath.Join(s.opts.DataDir, "borderwatch.db"))
	if err != nil {
		return fmt.Errorf("server: store: %w", err)
	}
	s.store = st

	router, err := tracker.NewRouter(routerSectors(s.folder.Line, s.dep))
	if err != nil {
		return fmt.Errorf("server: tracker: %w", err)
	}
	eng, err := rules.New(s.dep, rules.Options{})
	if err != nil {
		router.Close()
		return fmt.Errorf("server: rules: %w", err)
	}
	s.out = newWriter(s)
	s.core = newCore(s, router, eng, s.out)
	if s.resp, err = newResponse(s); err != nil {
		return fmt.Errorf("server: %w", err)
	}
	if err := s.resp.restore(runCtx); err != nil {
		return fmt.Errorf("server: restore incidents: %w", err)
	}

	if err := s.startCoT(runCtx); err != nil {
		return err
	}
	if err := s.startCoTTLS(); err != nil {
		return err
	}
	if err := s.startMAVLink(runCtx); err != nil {
		return err
	}
	if err := s.startMQTTIngest(runCtx); err != nil {
		return err
	}
	if err := s.startHTTP(); err != nil {
		return err
	}

	// The core re-reads the last few minutes of observations so tracks
	// come back after a restart; the projections resume from their cursors.
	s.goRun("writer", func() error { s.out.run(runCtx); return nil })
	s.goRun("core", func() error { s.core.run(runCtx); return nil })
	s.goRun("core-log", func() error { return s.core.readLog(runCtx, s.opts.Now().Add(-2*time.Minute)) })
	s.goRun("project-tracks", func() error { return s.project(runCtx, natsbus.StreamTracks) })
	s.goRun("project-alerts", func() error { return s.project(runCtx, natsbus.StreamAlerts) })
	s.goRun("project-incidents", func() error { return s.project(runCtx, natsbus.StreamIncidents) })
	if s.mav != nil {
		s.goRun("drones", func() error { s.pollDrones(runCtx); return nil })
	}
	close(s.ready)
	return nil
}

func (s *Server) goRun(name string, f func() error) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if err := f(); err != nil {
			s.log.Error("component failed", "component", name, "err", err)
			select {
			case s.serveErr <- fmt.Errorf("server: %s: %w", name, err):
			default:
			}
		}
	}()
}

func (s *Server) startLog(ctx context.Context) error {
	o := natsbus.Options{
		DataDir:    filepath.Join(s.opts.DataDir, "log"),
		ServerName: "borderwatch-" + s.nodeID,
		Logger:     s.log,
		Metrics:    s.metrics,
	}
	if s.opts.MQTTAddr != "" {
		pw, path, err := s.secret(s.opts.MQTTPasswordFile, "mqtt-password")
		if err != nil {
			return fmt.Errorf("server: mqtt: %w", err)
		}
		o.MQTTAddr = s.opts.MQTTAddr
		o.MQTTUsers = []natsbus.User{{Username: s.opts.MQTTUser, Password: pw}}
		s.mqttUser, s.mqttPasswordPath = s.opts.MQTTUser, path
	}
	bus, err := natsbus.New(o)
	if err != nil {
		return fmt.Errorf("server: log: %w", err)
	}
	if err := bus.Start(ctx); err != nil {
		return fmt.Errorf("server: log: %w", err)
	}
	s.bus = bus
	s.log.Info("event log ready", "dir", o.DataDir)
	if o.MQTTAddr != "" {
		s.log.Info("listening", "listener", "mqtt", "addr", bus.MQTTAddr(), "user", s.mqttUser, "password_file", s.mqttPasswordPath)
	}
	return nil
}

func (s *Server) startMQTTIngest(ctx context.Context) error {
	if s.opts.MQTTAddr == "" {
		return nil
	}
	poses := map[string]camera.Pose{}
	labels := map[string]borderwatch.Label{}
	for _, sn := range s.dep.Sensors {
		poses[sn.ID] = camera.PoseFromSensor(sn)
		labels[sn.ID] = s.agencyLabel(sn.Agency)
	}
	dec := camera.New(camera.Options{
		Pose:  func(id string) (camera.Pose, bool) { p, ok := poses[id]; return p, ok },
		Label: func(id string) borderwatch.Label { return labels[id] },
	})
	started := make(chan struct{})
	s.goRun("mqtt-ingest", func() error {
		err := s.bus.IngestMQTT(ctx, natsbus.IngestOptions{
			Decode: dec.Decode,
			Sector: func(o *borderwatch.Observation) string {
				if p, ok := ingest.Where(*o); ok {
					return sectorToken(s.sectors.of(p))
				}
				return natsbus.Unsectored
			},
			Started: func() { close(started) },
		})
		if errors.Is(err, context.Canceled) {
			return nil
		}
		return err
	})
	select {
	case <-started:
		return nil
	case err := <-s.serveErr:
		return err
	case <-time.After(10 * time.Second):
		return errors.New("server: mqtt ingest did not start within 10 s")
	}
}

func (s *Server) startCoT(ctx context.Context) error {
	if s.opts.CoTTCPAddr == "" && s.opts.CoTUDPAddr == "" && s.opts.CoTTLSAddr == "" {
		return nil
	}
	srv, err := cot.NewServer(cot.Options{
		TCPAddr: s.opts.CoTTCPAddr,
		UDPAddr: s.opts.CoTUDPAddr,
		Handler: func(ctx context.Context, obs []borderwatch.Observation) error { return s.pipe.Handle(ctx, "cot", obs) },
		Logger:  s.log,
		Count:   s.cotCounter(),
		Label:   s.defaultLabel(borderwatch.Source{Kind: borderwatch.SourcePatrol}),
		Now:     s.opts.Now,
		Allow:   s.cotAllow,
	})
	if err != nil {
		return fmt.Errorf("server: cot: %w", err)
	}
	if err := srv.Start(ctx); err != nil {
		return fmt.Errorf("server: cot: %w", err)
	}
	s.cot = srv
	if a := srv.TCPAddr(); a != nil {
		s.log.Info("listening", "listener", "cot-tcp", "addr", a.String(), "auth", "none (plain CoT has no authentication; use cot-tls for identified clients)")
	}
	if a := srv.UDPAddr(); a != nil {
		s.log.Info("listening", "listener", "cot-udp", "addr", a.String(), "auth", "none (CoT over UDP has no authentication)")
	}
	return nil
}

func (s *Server) cotCounter() func(name, label string, n int) {
	vec := s.metrics.Counter("borderwatch_cot_events_total", "CoT server counts (messages, malformed by reason, drops), by name and label.", "name", "label")
	return func(name, label string, n int) { vec.With(name, label).Add(uint64(n)) }
}

func (s *Server) startMAVLink(ctx context.Context) error {
	if s.opts.MAVLinkAddr == "" {
		return nil
	}
	owner := borderwatch.Label{}
	if len(s.dep.Drones) > 0 {
		owner = s.agencyLabel(s.dep.Drones[0].Agency)
	}
	srv, err := mavlink.New(mavlink.Options{
		Addr:   s.opts.MAVLinkAddr,
		UnitID: s.droneUnit,
		Handler: func(ctx context.Context, obs []borderwatch.Observation) error {
			return s.pipe.Handle(ctx, "mavlink", obs)
		},
		OnEvent: s.droneEvent,
		Now:     s.opts.Now,
		Logger:  s.log,
		Metrics: s.metrics,
		Label:   owner,
	})
	if err != nil {
		return fmt.Errorf("server: mavlink: %w", err)
	}
	if err := srv.Start(ctx); err != nil {
		return fmt.Errorf("server: mavlink: %w", err)
	}
	s.mav = srv
	s.log.Info("listening", "listener", "mavlink", "addr", srv.Addr().String(), "auth", "none (MAVLink 2 unsigned has no authentication)")
	return nil
}

// droneEvent turns drone state changes into health input for the rules.
// It runs on the MAVLink listener and must not block: the core call is
// queued, or dropped and counted when the core is saturated.
func (s *Server) droneEvent(ev mavlink.Event) {
	var h *rules.Health
	switch ev.Kind {
	case mavlink.EventOffline:
		h = &rules.Health{SourceID: ev.Drone.UnitID, Time: ev.Time, OK: false, Reason: "heartbeat lost"}
	case mavlink.EventOnline:
		h = &rules.Health{SourceID: ev.Drone.UnitID, Time: ev.Time, OK: true}
	default:
		return
	}
	if ev.Drone.HasPosition {
		p := ev.Drone.Position
		h.Position = &p
	}
	select {
	case s.core.calls <- func() { s.core.alerts(s.core.rules.Health(*h), time.Time{}) }:
	default:
		s.log.Warn("core saturated: drone health event dropped", "drone", ev.Drone.ID, "kind", ev.Kind)
	}
}

// pollDrones copies the MAVLink drone states into the live picture and
// feeds battery levels to the rules once a second.
func (s *Server) pollDrones(ctx context.Context) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		ds := s.mav.Drones()
		out := make([]live.Drone, 0, len(ds))
		for _, d := range ds {
			if !d.HasPosition {
				continue
			}
			ld := live.Drone{ID: d.UnitID, Name: d.UnitID, Position: d.Position, Alt: d.AltMSL, Heading: max(d.Heading, 0),
				Speed: d.GroundSpeed, Battery: max(d.Battery, 0) / 100, Link: live.LinkOK, Mode: d.Mode, Target: d.Target,
				Time: d.Link.LastHeartbeat, Label: s.agencyLabel(s.droneAgency(d.UnitID))}
			if !d.Online {
				ld.Link = live.LinkLost
			}
			out = append(out, ld)
			if d.Battery >= 0 {
				id, pct, at, pos := d.UnitID, d.Battery, s.opts.Now(), d.Position
				_ = s.core.do(ctx, func() { s.core.alerts(s.core.rules.Battery(id, pct, at, &pos), time.Time{}) })
			}
		}
		if len(out) > 0 {
			_ = s.live.PutDrones(out...)
		}
	}
}

// droneUnit names a MAVLink vehicle after the deployment drone whose
// position in the list matches its system id (system id n is the n-th
// drone, as drones are numbered when they are set up); other vehicles keep
// their channel name.
func (s *Server) droneUnit(sys uint8, remote netip.AddrPort) string {
	if i := int(sys) - 1; i >= 0 && i < len(s.dep.Drones) {
		return s.dep.Drones[i].ID
	}
	return fmt.Sprintf("mav:%d@%s", sys, remote)
}

func (s *Server) droneAgency(id string) borderwatch.Agency {
	for _, d := range s.dep.Drones {
		if d.ID == id {
			return d.Agency
		}
	}
	if len(s.dep.Drones) > 0 {
		return s.dep.Drones[0].Agency
	}
	return ""
}

// seedLive puts every deployed sensor into the live picture as healthy.
func (s *Server) seedLive() {
	now := s.opts.Now()
	ss := make([]live.SensorStatus, 0, len(s.dep.Sensors))
	for _, sn := range s.dep.Sensors {
		ss = append(ss, live.SensorStatus{ID: sn.ID, Health: live.HealthOK, Time: now, Label: s.agencyLabel(sn.Agency)})
	}
	_ = s.live.PutSensors(ss...)
}

// agencyLabel is the default label of an agency's records.
func (s *Server) agencyLabel(a borderwatch.Agency) borderwatch.Label {
	for _, ai := range s.dep.Agencies {
		if ai.ID == a {
			return ai.Label()
		}
	}
	return borderwatch.Label{Owner: a}
}

// defaultLabel labels an observation that came without one: the agency
// of the deployed sensor or unit that sent it, else the first agency.
func (s *Server) defaultLabel(src borderwatch.Source) borderwatch.Label {
	for _, sn := range s.dep.Sensors {
		if sn.ID == src.ID {
			return s.agencyLabel(sn.Agency)
		}
	}
	if u, ok := s.units[src.ID]; ok {
		return s.agencyLabel(u.Agency)
	}
	if len(s.dep.Agencies) > 0 {
		return s.dep.Agencies[0].Label()
	}
	return borderwatch.Label{}
}

func (s *Server) startHTTP() error {
	if s.opts.HTTPAddr == "" {
		return nil
	}
	h, err := s.handler()
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", s.opts.HTTPAddr)
	if err != nil {
		return fmt.Errorf("server: http listener %s: %w", s.opts.HTTPAddr, err)
	}
	cfg, err := s.webTLSConfig()
	if err != nil {
		ln.Close()
		return err
	}
	if cfg != nil {
		ln = tls.NewListener(ln, cfg)
		s.httpsOn = true
	}
	s.httpLn = ln
	s.httpSrv = &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if err := s.httpSrv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.serveErr <- fmt.Errorf("server: http: %w", err)
		}
	}()
	s.log.Info("listening", "listener", "http", "addr", ln.Addr().String(), "tls", s.httpsOn)
	return nil
}

// Ready is closed when every listener accepts connections.
func (s *Server) Ready() <-chan struct{} { return s.ready }

// Err delivers a fatal error from a component after Start.
func (s *Server) Err() <-chan error { return s.serveErr }

// HTTPAddr is the bound web address, or "" when disabled or not started.
func (s *Server) HTTPAddr() string {
	if s.httpLn == nil {
		return ""
	}
	return s.httpLn.Addr().String()
}

// URL is the address of the web UI a person opens.
func (s *Server) URL() string {
	if s.httpLn == nil {
		return ""
	}
	scheme := "http"
	if s.httpsOn {
		scheme = "https"
	}
	host, port, err := net.SplitHostPort(s.httpLn.Addr().String())
	if err != nil {
		return scheme + "://" + s.httpLn.Addr().String() + "/"
	}
	if host == "" || host == "::" || host == "0.0.0.0" {
		host = "localhost"
	}
	return scheme + "://" + net.JoinHostPort(host, port) + "/"
}

// CoTTCPAddr and CoTUDPAddr are the bound CoT addresses, "" when disabled.
func (s *Server) CoTTCPAddr() string {
	if s.cot == nil || s.cot.TCPAddr() == nil {
		return ""
	}
	return s.cot.TCPAddr().String()
}

// CoTUDPAddr is the bound CoT UDP address, "" when disabled.
func (s *Server) CoTUDPAddr() string {
	if s.cot == nil || s.cot.UDPAddr() == nil {
		return ""
	}
	return s.cot.UDPAddr().String()
}

// MAVLinkAddr is the bound MAVLink UDP address, "" when disabled.
func (s *Server) MAVLinkAddr() string {
	if s.mav == nil {
		return ""
	}
	return s.mav.Addr().String()
}

// MQTTAddr is the bound MQTT address, "" when disabled.
func (s *Server) MQTTAddr() string {
	if s.bus == nil || s.opts.MQTTAddr == "" {
		return ""
	}
	return s.bus.MQTTAddr()
}

// MQTTCredentials are the camera login: user and the file holding the
// password.
func (s *Server) MQTTCredentials() (user, passwordFile string) { return s.mqttUser, s.mqttPasswordPath }

// APIToken is the HTTP API bearer token and the file it is kept in.
func (s *Server) APIToken() (token, file string) { return s.apiToken, s.apiTokenPath }

// Metrics is the server's metric registry.
func (s *Server) Metrics() *metrics.Registry { return s.metrics }

// Live is the live picture.
func (s *Server) Live() *live.Picture { return s.live }

// Store is the record store.
func (s *Server) Store() store.Store { return s.store }

// Log is the event log.
func (s *Server) Log() *natsbus.Log { return s.bus }

// Ingest hands observations to the pipeline as protocol would.
func (s *Server) Ingest(ctx context.Context, protocol string, obs []borderwatch.Observation) error {
	return s.pipe.Handle(ctx, protocol, obs)
}

// Shutdown stops accepting, drains in-flight work within ctx and closes
// everything Start opened. It is safe to call more than once.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stopLocked(ctx)
}

func (s *Server) stopLocked(ctx context.Context) error {
	if s.stopped || !s.started {
		s.stopped = true
		return nil
	}
	s.stopped = true
	var errs []error
	if s.cancelStream != nil {
		s.cancelStream()
	}
	if s.httpSrv != nil {
		if err := s.httpSrv.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("server: http shutdown: %w", err))
		}
	}
	if s.cot != nil {
		if err := s.cot.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("server: cot shutdown: %w", err))
		}
	}
	if s.mav != nil {
		if err := s.mav.Close(); err != nil {
			errs = append(errs, fmt.Errorf("server: mavlink close: %w", err))
		}
	}
	if s.cancel != nil {
		s.cancel()
	}
	s.wg.Wait()
	if s.store != nil {
		if err := s.store.Close(); err != nil {
			errs = append(errs, fmt.Errorf("server: store close: %w", err))
		}
	}
	if s.bus != nil {
		if err := s.bus.Close(); err != nil {
			errs = append(errs, fmt.Errorf("server: log close: %w", err))
		}
	}
	if err := s.stopSecurity(); err != nil {
		errs = append(errs, fmt.Errorf("server: security close: %w", err))
	}
	return errors.Join(errs...)
}
