package server

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"time"
)

// Options configures a Server. Fill it with Defaults, then the environment
// (FromEnv), then flags; Validate before New. Every listener address is
// host:port; an empty address disables that listener.
type Options struct {
	// DataDir holds the event log, the embedded store and generated keys.
	DataDir string `json:"data_dir"`
	// Deployment is a deployment folder; empty means the reference
	// Iraq–Syria deployment embedded in the binary.
	Deployment string `json:"deployment"`

	HTTPAddr    string `json:"http_addr"`
	CoTTCPAddr  string `json:"cot_tcp_addr"`
	CoTUDPAddr  string `json:"cot_udp_addr"`
	CoTTLSAddr  string `json:"cot_tls_addr"`
	MAVLinkAddr string `json:"mavlink_addr"`
	MQTTAddr    string `json:"mqtt_addr"`

	// MQTTUser is the login cameras use; MQTTPasswordFile holds its
	// password. Without a file a random password is generated once into
	// DataDir/secrets/mqtt-password.
	MQTTUser         string `json:"mqtt_user"`
	MQTTPasswordFile string `json:"mqtt_password_file"`

	// APITokenFile holds the bearer token of the HTTP API; without it one
	// is generated once into DataDir/secrets/api-token.
	APITokenFile string `json:"api_token_file"`

	SecurityOptions

	// ShutdownTimeout bounds a graceful stop.
	ShutdownTimeout time.Duration `json:"shutdown_timeout"`

	Logger *slog.Logger     `json:"-"`
	Now    func() time.Time `json:"-"`
}

// Defaults returns the documented defaults: every listener on its standard
// port on all interfaces, data in ./borderwatch-data, the embedded
// reference deployment.
func Defaults() Options {
	return Options{
		DataDir:         "borderwatch-data",
		HTTPAddr:        ":8080",
		CoTTCPAddr:      ":8087",
		CoTUDPAddr:      ":8087",
		CoTTLSAddr:      ":8089",
		MAVLinkAddr:     ":14550",
		MQTTAddr:        ":1883",
		MQTTUser:        "camera",
		SecurityOptions: SecurityOptions{WebTLS: "auto"},
		ShutdownTimeout: 10 * time.Second,
	}
}

// Setting is one option as it appears in flags and the environment.
type Setting struct {
	Flag  string // flag name without dashes
	Env   string // BORDERWATCH_* variable
	Usage string
	Field func(o *Options) *string
	// Addr marks a listener address (validated as host:port; "" disables).
	Addr bool
}

// Settings lists the string options settable by flag and environment, in
// the order they are documented.
var Settings = []Setting{
	{"data", "BORDERWATCH_DATA", "data directory (event log, store, keys)", func(o *Options) *string { return &o.DataDir }, false},
	{"deployment", "BORDERWATCH_DEPLOYMENT", "deployment folder (default: the embedded Iraq–Syria reference)", func(o *Options) *string { return &o.Deployment }, false},
	{"http", "BORDERWATCH_HTTP", "web UI and HTTP API address", func(o *Options) *string { return &o.HTTPAddr }, true},
	{"cot-tcp", "BORDERWATCH_COT_TCP", "CoT/TAK streaming TCP address", func(o *Options) *string { return &o.CoTTCPAddr }, true},
	{"cot-udp", "BORDERWATCH_COT_UDP", "CoT/TAK UDP address (XML and mesh protobuf)", func(o *Options) *string { return &o.CoTUDPAddr }, true},
	{"cot-tls", "BORDERWATCH_COT_TLS", "CoT/TAK over mutual TLS address", func(o *Options) *string { return &o.CoTTLSAddr }, true},
	{"mavlink", "BORDERWATCH_MAVLINK", "MAVLink 2 UDP address (drones)", func(o *Options) *string { return &o.MAVLinkAddr }, true},
	{"mqtt", "BORDERWATCH_MQTT", "MQTT 3.1.1 address (camera analytics)", func(o *Options) *string { return &o.MQTTAddr }, true},
	{"api-token-file", "BORDERWATCH_API_TOKEN_FILE", "file holding the HTTP API bearer token (default: generated into DATA/secrets/api-token)", func(o *Options) *string { return &o.APITokenFile }, false},
	{"admin-password-file", "BORDERWATCH_ADMIN_PASSWORD_FILE", "file holding the first administrator's password (default: a one-time password printed once)", func(o *Options) *string { return &o.AdminPasswordFile }, false},
	{"web-tls", "BORDERWATCH_WEB_TLS", `web UI TLS: "auto" (the given certificate, else one from the node's CA) or "off"`, func(o *Options) *string { return &o.WebTLS }, false},
	{"tls-cert-file", "BORDERWATCH_TLS_CERT_FILE", "web UI certificate chain (PEM)", func(o *Options) *string { return &o.TLSCertFile }, false},
	{"tls-key-file", "BORDERWATCH_TLS_KEY_FILE", "web UI private key (PEM)", func(o *Options) *string { return &o.TLSKeyFile }, false},
	{"mqtt-user", "BORDERWATCH_MQTT_USER", "MQTT login of cameras", func(o *Options) *string { return &o.MQTTUser }, false},
	{"mqtt-password-file", "BORDERWATCH_MQTT_PASSWORD_FILE", "file holding the MQTT password (default: generated into DATA/secrets/mqtt-password)", func(o *Options) *string { return &o.MQTTPasswordFile }, false},
}

// FromEnv overrides o with every BORDERWATCH_* variable that is set, even
// to the empty string (which disables a listener).
func (o *Options) FromEnv(lookup func(string) (string, bool)) {
	for _, s := range Settings {
		if v, ok := lookup(s.Env); ok {
			*s.Field(o) = v
		}
	}
}

// Validate checks every field and returns all problems at once, each
// naming the field, its value and the reason.
func (o *Options) Validate() error {
	var errs []error
	if strings.TrimSpace(o.DataDir) == "" {
		errs = append(errs, fmt.Errorf("data (BORDERWATCH_DATA): empty: a data directory is required"))
	}
	for _, s := range Settings {
		if !s.Addr {
			continue
		}
		v := *s.Field(o)
		if v == "" {
			continue
		}
		if err := checkAddr(v); err != nil {
			errs = append(errs, fmt.Errorf("%s (%s): %q: %v", s.Flag, s.Env, v, err))
		}
	}
	if o.WebTLS != "auto" && o.WebTLS != "off" {
		errs = append(errs, fmt.Errorf("web-tls (BORDERWATCH_WEB_TLS): %q: want auto or off", o.WebTLS))
	}
	if (o.TLSCertFile == "") != (o.TLSKeyFile == "") {
		errs = append(errs, fmt.Errorf("tls-cert-file/tls-key-file: %q/%q: give both or neither", o.TLSCertFile, o.TLSKeyFile))
	}
	if o.ShutdownTimeout <= 0 {
		errs = append(errs, fmt.Errorf("shutdown_timeout: %v: must be positive", o.ShutdownTimeout))
	}
	return errors.Join(errs...)
}

func checkAddr(a string) error {
	_, port, err := net.SplitHostPort(a)
	if err != nil {
		return errors.New("want host:port, e.g. :8087 or 127.0.0.1:8087")
	}
	if port == "" {
		return errors.New("missing port")
	}
	if _, err := net.LookupPort("tcp", port); err != nil {
		return fmt.Errorf("bad port %q", port)
	}
	return nil
}
