// Package natsbus owns the event log and the bus: NATS JetStream, embedded
// in-process by default (file store in the data directory, fsync before
// every acknowledgement) or an external cluster by URL.
//
// It keeps one stream per kind of event (observations, track changes,
// alerts, incidents, commands, audit) with subjects partitioned by sector,
// batches observations into compact binary messages with group commit on
// the hot path (AppendObservations), publishes and replays typed events,
// and runs the embedded server's MQTT 3.1.1 listener for camera analytics
// (IngestMQTT). It speaks domain types; decoding camera payloads is the
// caller's (internal/camera).
package natsbus

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/borderwatch/borderwatch/internal/metrics"
)

// Log is the event log. Create it with New, then Start; Close releases
// everything. All methods are safe for concurrent use after Start.
type Log struct {
	opts Options
	log  *slog.Logger

	srv *server.Server // nil with an external cluster
	nc  *nats.Conn
	js  jetstream.JetStream
	// connClosed is closed by the connection's ClosedHandler.
	connClosed chan struct{}
	// internalPassword authenticates in-process connections.
	internalPassword string

	c committer

	m logMetrics
}

type logMetrics struct {
	batches      *metrics.Counter
	observations *metrics.Counter
	bytes        *metrics.Counter
	retries      *metrics.Counter
	failures     *metrics.Counter
	mqttDropped  *metrics.CounterVec
	mqttObs      *metrics.CounterVec
}

const internalUser = "borderwatch-internal"

// New validates opts and returns a Log that is not yet started.
func New(opts Options) (*Log, error) {
	opts.setDefaults()
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	l := &Log{opts: opts, log: opts.Logger.With("component", "natsbus")}
	r := opts.Metrics
	l.m = logMetrics{
		batches:      r.Counter("borderwatch_log_batches_total", "Observation batch messages durably appended to the log.").With(),
		observations: r.Counter("borderwatch_log_observations_total", "Observations durably appended to the log.").With(),
		bytes:        r.Counter("borderwatch_log_batch_bytes_total", "Bytes of observation batch messages appended to the log.").With(),
		retries:      r.Counter("borderwatch_log_publish_retries_total", "Batch publishes retried with the same message id.").With(),
		failures:     r.Counter("borderwatch_log_publish_failures_total", "Batch publishes that failed after retries.").With(),
		mqttDropped:  r.Counter("borderwatch_mqtt_dropped_total", "MQTT messages dropped, by reason.", "reason"),
		mqttObs:      r.Counter("borderwatch_mqtt_observations_total", "Observations ingested from MQTT, by QoS path.", "qos"),
	}
	return l, nil
}

// Start starts the embedded server (or connects to the external cluster),
// creates or updates the streams and starts the group committer.
func (l *Log) Start(ctx context.Context) error {
	if len(l.opts.URLs) == 0 {
		pw, err := randomSecret()
		if err != nil {
			return err
		}
		l.internalPassword = pw
		if err := l.startServer(pw); err != nil {
			return err
		}
	}
	nc, closed, err := l.dial("borderwatch")
	if err != nil {
		l.stopServer()
		return err
	}
	l.connClosed = closed
	l.nc = nc
	js, err := jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(4096))
	if err != nil {
		l.closeConn()
		return fmt.Errorf("natsbus: jetstream: %w", err)
	}
	l.js = js
	if err := l.ensureStreams(ctx); err != nil {
		l.closeConn()
		return err
	}
	if mp := int(nc.MaxPayload()); mp > 0 && l.opts.MaxBatchBytes > mp-1024 {
		l.opts.MaxBatchBytes = mp - 1024
	}
	l.c.start(l)
	l.log.Info("event log started", "where", l.where(), "mqtt", l.MQTTAddr())
	return nil
}

// dial opens a connection to the embedded server (in-process) or the
// external cluster; closed is closed once the connection is.
func (l *Log) dial(name string) (*nats.Conn, chan struct{}, error) {
	closed := make(chan struct{})
	opts := []nats.Option{
		nats.Name(name),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(250 * time.Millisecond),
		nats.ReconnectBufSize(64 << 20),
		nats.ClosedHandler(func(*nats.Conn) { close(closed) }),
	}
	url := ""
	if l.srv != nil {
		opts = append(opts, nats.InProcessServer(l.srv), nats.UserInfo(internalUser, l.internalPassword))
	} else {
		url = joinURLs(l.opts.URLs)
		if l.opts.User != "" {
			opts = append(opts, nats.UserInfo(l.opts.User, l.opts.Password))
		}
		if l.opts.CredsFile != "" {
			opts = append(opts, nats.UserCredentials(l.opts.CredsFile))
		}
	}
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		return nil, nil, fmt.Errorf("natsbus: connect %s: %w", l.where(), err)
	}
	return nc, closed, nil
}

func (l *Log) where() string {
	if len(l.opts.URLs) > 0 {
		return joinURLs(l.opts.URLs)
	}
	return "embedded:" + filepath.Join(l.opts.DataDir, "jetstream")
}

func joinURLs(u []string) string {
	s := ""
	for i, x := range u {
		if i > 0 {
			s += ","
		}
		s += x
	}
	return s
}

// Close stops accepting appends, waits for in-flight batches (failing the
// ones it cannot finish), drains the connection and shuts the embedded
// server down. It is safe to call more than once.
func (l *Log) Close() error {
	l.c.stop()
	l.closeConn()
	l.stopServer()
	return nil
}

func (l *Log) closeConn() {
	if l.nc != nil {
		// Drain is asynchronous; the ClosedHandler reports its end.
		if err := l.nc.Drain(); err != nil {
			l.nc.Close()
		}
		<-l.connClosed
		l.nc = nil
	}
}

func (l *Log) stopServer() {
	if l.srv != nil {
		l.srv.Shutdown()
		l.srv.WaitForShutdown()
		l.srv = nil
	}
}

// Stats are the log's running totals since Start.
type Stats struct {
	Batches, Observations, Bytes, Retries, Failures uint64
}

// Stats returns the running totals (also exported as metrics).
func (l *Log) Stats() Stats {
	return Stats{
		Batches:      l.m.batches.Value(),
		Observations: l.m.observations.Value(),
		Bytes:        l.m.bytes.Value(),
		Retries:      l.m.retries.Value(),
		Failures:     l.m.failures.Value(),
	}
}

// Conn returns the log's NATS connection for components that need the
// bus directly (e.g. sector ownership); nil before Start.
func (l *Log) Conn() *nats.Conn { return l.nc }

// JetStream returns the log's JetStream context; nil before Start.
func (l *Log) JetStream() jetstream.JetStream { return l.js }

// Server returns the embedded server, nil with an external cluster.
func (l *Log) Server() *server.Server { return l.srv }

// MQTTAddr returns the address the embedded MQTT listener is bound to, or
// "" when MQTT is off.
func (l *Log) MQTTAddr() string {
	if l.srv == nil || l.opts.MQTTAddr == "" {
		return ""
	}
	v, err := l.srv.Varz(nil)
	if err != nil || v.MQTT.Port <= 0 {
		return ""
	}
	host := v.MQTT.Host
	if host == "" {
		host = "0.0.0.0"
	}
	return net.JoinHostPort(host, strconv.Itoa(v.MQTT.Port))
}

// ClientURL returns the embedded server's NATS client URL when ListenAddr
// is set, "" otherwise.
func (l *Log) ClientURL() string {
	if l.srv == nil || l.opts.ListenAddr == "" {
		return ""
	}
	return l.srv.ClientURL()
}

func randomSecret() (string, error) {
	var b [24]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("natsbus: random secret: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

func (l *Log) startServer(internalPassword string) error {
	o := l.opts
	so := &server.Options{
		ServerName: o.ServerName,
		JetStream:  true,
		StoreDir:   filepath.Join(o.DataDir, "jetstream"),
		SyncAlways: !o.NoSync,
		NoSigs:     true,
		DontListen: o.ListenAddr == "",
		// Batches are ≤ 256 KiB and camera messages ≤ 1 MiB; an MQTT
		// client sending more is disconnected.
		MaxPayload: 2 << 20,
		MaxConn:    o.MaxConnections,
		// A burst of camera messages must not make the log's own
		// in-process connection a "slow consumer".
		MaxPending: 512 << 20,
		Users: []*server.User{{
			Username: internalUser,
			Password: internalPassword,
		}},
	}
	if o.ListenAddr != "" {
		host, port, _ := splitHostPort(o.ListenAddr)
		if port == 0 {
			port = server.RANDOM_PORT
		}
		so.Host, so.Port = host, port
	}
	if o.MQTTAddr != "" {
		host, port, _ := splitHostPort(o.MQTTAddr)
		if port == 0 {
			port = server.RANDOM_PORT
		}
		so.MQTT.Host, so.MQTT.Port = host, port
		for _, u := range o.MQTTUsers {
			so.Users = append(so.Users, &server.User{
				Username: u.Username,
				Password: u.Password,
				Permissions: &server.Permissions{
					Publish:   &server.SubjectPermission{Allow: MQTTPublishSubjects()},
					Subscribe: &server.SubjectPermission{Deny: []string{">"}},
				},
			})
		}
	}
	if o.Configure != nil {
		o.Configure(so)
	}
	s, err := server.NewServer(so)
	if err != nil {
		return fmt.Errorf("natsbus: embedded server in %s: %w", so.StoreDir, err)
	}
	s.SetLoggerV2(slogAdapter{l.log.With("component", "nats-server")}, false, false, false)
	s.Start()
	if !s.ReadyForConnections(30 * time.Second) {
		s.Shutdown()
		s.WaitForShutdown()
		return fmt.Errorf("natsbus: embedded server in %s (mqtt %q, listen %q): not ready within 30s (port in use or store unreadable; see the log)",
			so.StoreDir, o.MQTTAddr, o.ListenAddr)
	}
	l.srv = s
	return nil
}

func (l *Log) ensureStreams(ctx context.Context) error {
	for _, s := range Streams {
		r := l.opts.Retention[s]
		cfg := jetstream.StreamConfig{
			Name:       string(s),
			Subjects:   []string{s.SubjectPrefix() + ".>"},
			Storage:    jetstream.FileStorage,
			Retention:  jetstream.LimitsPolicy,
			Discard:    jetstream.DiscardOld,
			MaxAge:     r.MaxAge,
			MaxBytes:   r.MaxBytes,
			Replicas:   l.opts.Replicas,
			Duplicates: l.opts.DuplicateWindow,
		}
		if cfg.MaxBytes == 0 {
			cfg.MaxBytes = -1
		}
		if _, err := l.js.CreateOrUpdateStream(ctx, cfg); err != nil {
			return fmt.Errorf("natsbus: stream %s (subjects %s, max_age %v, max_bytes %d): %w",
				s, cfg.Subjects[0], r.MaxAge, r.MaxBytes, err)
		}
	}
	return nil
}

// slogAdapter routes nats-server's log lines to slog. Fatalf never exits.
type slogAdapter struct{ l *slog.Logger }

func (a slogAdapter) Noticef(f string, v ...any) { a.l.Info(fmt.Sprintf(f, v...)) }
func (a slogAdapter) Warnf(f string, v ...any)   { a.l.Warn(fmt.Sprintf(f, v...)) }
func (a slogAdapter) Fatalf(f string, v ...any)  { a.l.Error(fmt.Sprintf(f, v...)) }
func (a slogAdapter) Errorf(f string, v ...any)  { a.l.Error(fmt.Sprintf(f, v...)) }
func (a slogAdapter) Debugf(f string, v ...any)  { a.l.Debug(fmt.Sprintf(f, v...)) }
func (a slogAdapter) Tracef(f string, v ...any)  { a.l.Debug(fmt.Sprintf(f, v...)) }

// ErrClosed is returned by appends and publishes after Close.
var ErrClosed = errors.New("natsbus: log closed")
