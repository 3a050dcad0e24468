package natsbus

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/borderwatch/borderwatch/internal/metrics"
)

// Stream names one of the log's JetStream streams.
type Stream string

// The log's streams. Each holds one kind of event, partitioned by sector in
// its subjects: <prefix>.<sector>, e.g. bw.obs.s3.
const (
	StreamObservations Stream = "OBSERVATIONS"
	StreamTracks       Stream = "TRACKS"
	StreamAlerts       Stream = "ALERTS"
	StreamIncidents    Stream = "INCIDENTS"
	StreamCommands     Stream = "COMMANDS"
	StreamAudit        Stream = "AUDIT"
)

// Streams lists every stream in a fixed order.
var Streams = [...]Stream{StreamObservations, StreamTracks, StreamAlerts, StreamIncidents, StreamCommands, StreamAudit}

// SubjectPrefix returns the subject prefix of s ("bw.obs" for
// observations); a message's subject is SubjectPrefix + "." + sector.
func (s Stream) SubjectPrefix() string {
	switch s {
	case StreamObservations:
		return "bw.obs"
	case StreamTracks:
		return "bw.trk"
	case StreamAlerts:
		return "bw.alert"
	case StreamIncidents:
		return "bw.incident"
	case StreamCommands:
		return "bw.cmd"
	case StreamAudit:
		return "bw.audit"
	}
	return ""
}

// Subject returns the subject of s for one sector.
func (s Stream) Subject(sector string) string { return s.SubjectPrefix() + "." + sectorToken(sector) }

// Unsectored is the subject token used for an empty sector: events the
// caller could not place in a sector.
const Unsectored = "_"

func sectorToken(sector string) string {
	if sector == "" {
		return Unsectored
	}
	return sector
}

// ValidSector reports whether sector can be a subject token: no dots,
// wildcards or white space. The empty sector is valid (Unsectored).
func ValidSector(sector string) bool {
	return !strings.ContainsAny(sector, ".*> \t\r\n")
}

// Retention bounds one stream; zero values mean unlimited.
type Retention struct {
	MaxAge   time.Duration `json:"max_age"`
	MaxBytes int64         `json:"max_bytes"`
}

// DefaultRetention returns the documented default bounds: observations a
// week (8 GiB), track changes 30 days (4 GiB), alerts, incidents and
// commands a year (1 GiB each), audit unbounded. The oldest messages go
// first when a bound is hit.
func DefaultRetention() map[Stream]Retention {
	const gib = 1 << 30
	const day = 24 * time.Hour
	return map[Stream]Retention{
		StreamObservations: {MaxAge: 7 * day, MaxBytes: 8 * gib},
		StreamTracks:       {MaxAge: 30 * day, MaxBytes: 4 * gib},
		StreamAlerts:       {MaxAge: 365 * day, MaxBytes: gib},
		StreamIncidents:    {MaxAge: 365 * day, MaxBytes: gib},
		StreamCommands:     {MaxAge: 365 * day, MaxBytes: gib},
		StreamAudit:        {},
	}
}

// User is a login for MQTT clients (cameras) of the embedded server. Such
// users may only publish camera analytics (see MQTTPublishSubjects) and
// may not subscribe to anything.
type User struct {
	Username string `json:"username"`
	Password string `json:"-"`
}

// Options configures a Log. The zero value plus DataDir is a working
// embedded log with no network listener.
type Options struct {
	// DataDir holds the embedded server's JetStream file store (in
	// DataDir/jetstream). Required unless URLs is set.
	DataDir string
	// URLs of an external NATS cluster (nats://host:port). When set, no
	// server is embedded and DataDir, ListenAddr and MQTT are ignored.
	URLs []string
	// User and Password authenticate to the external cluster; CredsFile is
	// the alternative (a NATS .creds file).
	User, Password, CredsFile string
	// Replicas of every stream (1 embedded; 3 on a 3-node cluster).
	Replicas int

	// ServerName of the embedded server (also its MQTT identity).
	ServerName string
	// ListenAddr is an optional NATS client listener of the embedded server
	// (host:port, port 0 picks one); empty means in-process only.
	ListenAddr string
	// MQTTAddr is the embedded server's MQTT 3.1.1 listener (host:port,
	// port 0 picks one); empty disables MQTT.
	MQTTAddr string
	// MQTTUsers may connect over MQTT. Anonymous access is never allowed,
	// so MQTTAddr requires at least one user.
	MQTTUsers []User
	// MaxConnections bounds the embedded server's client connections
	// (MQTT cameras included); 0 means the nats-server default (65,536).
	MaxConnections int
	// NoSync turns off fsync-before-acknowledge in the embedded server
	// (JetStream sync_interval: always). Only for tests that measure
	// something else; an acknowledged observation may then be lost on
	// power failure.
	NoSync bool
	// Configure, when set, may adjust the embedded server's options last
	// (leaf nodes, cluster routes, TLS).
	Configure func(*server.Options)

	// Retention per stream; missing streams get DefaultRetention.
	Retention map[Stream]Retention
	// DuplicateWindow is how long JetStream remembers message ids
	// (Nats-Msg-Id) to drop retried publishes; default 2 minutes.
	DuplicateWindow time.Duration

	// MaxBatchBytes caps one observation batch message; default 256 KiB
	// (and never more than the server's max_payload).
	MaxBatchBytes int
	// MaxInflight is how many batch messages may await acknowledgement at
	// once; default 2.
	MaxInflight int
	// PublishTimeout bounds the wait for one acknowledgement before a
	// retry; default 10 s.
	PublishTimeout time.Duration

	Logger  *slog.Logger
	Metrics *metrics.Registry
}

func (o *Options) setDefaults() {
	if o.Replicas == 0 {
		o.Replicas = 1
	}
	if o.ServerName == "" {
		o.ServerName = "borderwatch"
	}
	if o.DuplicateWindow == 0 {
		o.DuplicateWindow = 2 * time.Minute
	}
	if o.MaxBatchBytes == 0 {
		o.MaxBatchBytes = 256 << 10
	}
	if o.MaxInflight == 0 {
		o.MaxInflight = 2
	}
	if o.PublishTimeout == 0 {
		o.PublishTimeout = 10 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Metrics == nil {
		o.Metrics = metrics.NewRegistry()
	}
	def := DefaultRetention()
	r := make(map[Stream]Retention, len(def))
	for s, v := range def {
		r[s] = v
	}
	for s, v := range o.Retention {
		r[s] = v
	}
	o.Retention = r
}

// Validate returns every problem with o, each naming the field, the value
// and the reason.
func (o *Options) Validate() error {
	var errs []error
	embedded := len(o.URLs) == 0
	if embedded && strings.TrimSpace(o.DataDir) == "" {
		errs = append(errs, errors.New("natsbus: data_dir: empty: required for the embedded server (or set urls)"))
	}
	for i, u := range o.URLs {
		if !strings.Contains(u, "://") {
			errs = append(errs, fmt.Errorf("natsbus: urls[%d]: %q: want nats://host:port", i, u))
		}
	}
	if embedded {
		for _, f := range []struct{ name, v string }{{"listen_addr", o.ListenAddr}, {"mqtt_addr", o.MQTTAddr}} {
			if f.v == "" {
				continue
			}
			if _, _, err := splitHostPort(f.v); err != nil {
				errs = append(errs, fmt.Errorf("natsbus: %s: %q: %v", f.name, f.v, err))
			}
		}
		if o.MQTTAddr != "" && len(o.MQTTUsers) == 0 {
			errs = append(errs, fmt.Errorf("natsbus: mqtt_users: empty: MQTT at %q needs at least one user (no anonymous access)", o.MQTTAddr))
		}
		for i, u := range o.MQTTUsers {
			if u.Username == "" || u.Password == "" {
				errs = append(errs, fmt.Errorf("natsbus: mqtt_users[%d]: %q: username and password are required", i, u.Username))
			}
			if u.Username == internalUser {
				errs = append(errs, fmt.Errorf("natsbus: mqtt_users[%d]: %q: reserved name", i, u.Username))
			}
		}
	}
	for s, r := range o.Retention {
		if s.SubjectPrefix() == "" {
			errs = append(errs, fmt.Errorf("natsbus: retention: %q: unknown stream", s))
		}
		if r.MaxAge < 0 || r.MaxBytes < 0 {
			errs = append(errs, fmt.Errorf("natsbus: retention.%s: %+v: negative bound", s, r))
		}
	}
	if o.Replicas < 0 || o.Replicas > 5 {
		errs = append(errs, fmt.Errorf("natsbus: replicas: %d: want 1..5", o.Replicas))
	}
	if o.MaxBatchBytes < 0 || o.MaxInflight < 0 || o.PublishTimeout < 0 {
		errs = append(errs, errors.New("natsbus: max_batch_bytes, max_inflight, publish_timeout: must not be negative"))
	}
	return errors.Join(errs...)
}

func splitHostPort(a string) (string, int, error) {
	host, port, err := net.SplitHostPort(a)
	if err != nil {
		return "", 0, errors.New("want host:port, e.g. :1883 or 127.0.0.1:0")
	}
	p, err := net.LookupPort("tcp", port)
	if err != nil {
		return "", 0, fmt.Errorf("bad port %q", port)
	}
	return host, p, nil
}
