package simnet

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/borderwatch/borderwatch"
	"github.com/borderwatch/borderwatch/internal/mqtt"
	"github.com/borderwatch/borderwatch/internal/sim"
)

// Options configures a Sender. An empty address skips that protocol.
type Options struct {
	// CoTAddr is the server's CoT TCP address (phones, spot reports).
	CoTAddr string
	// MAVLinkAddr is the server's MAVLink UDP address (drones).
	MAVLinkAddr string
	// MQTTAddr, MQTTUser and MQTTPassword reach the camera broker.
	MQTTAddr, MQTTUser, MQTTPassword string
	// MQTTQoS is the QoS of camera messages; default 1 (acknowledged).
	MQTTQoS byte
	// HTTPURL and Token reach the HTTP API (http://host:port). With
	// DetectionsViaHTTP, sensor detections are posted as observations
	// there instead of MQTT, and spot reports too when CoTAddr is empty.
	HTTPURL, Token    string
	DetectionsViaHTTP bool
	// RunID makes message ids unique per run (default: from the clock).
	RunID string
	// OnGoTo is called when a drone accepts a DO_REPOSITION; an error
	// makes the drone answer DENIED.
	OnGoTo func(droneID string, target borderwatch.LatLon) error
	Logger *slog.Logger
	// Now is the wall clock (heartbeat pacing); default time.Now.
	Now func() time.Time
	// HTTPClient for the API; default a client with a 10 s timeout.
	HTTPClient *http.Client
}

// Batch is what the Runner collected from one or more sim steps.
type Batch struct {
	Detections []sim.Detection
	Reports    []sim.Report
	// Drones holds the latest state of each drone.
	Drones []sim.DroneState
}

// Stats counts what a Sender sent, by protocol.
type Stats struct {
	CoTEvents, CoTConns     uint64
	MAVLinkFrames           uint64
	MQTTMessages, MQTTItems uint64
	HTTPObservations        uint64
	Errors                  uint64
}

// Sender sends sim output to one server.
type Sender struct {
	o   Options
	log *slog.Logger

	mqtt *mqtt.Client

	cot    *cotSender
	drones *mavSender

	mu    sync.Mutex
	stats Stats
	// lastErr keeps the last error per protocol for Err.
	lastErr map[string]error
}

// NewSender checks o; nothing is dialled until Start.
func NewSender(o Options) (*Sender, error) {
	if o.MQTTAddr != "" && o.MQTTUser == "" {
		return nil, errors.New("simnet: an MQTT address needs a user (--mqtt-user) and password")
	}
	if o.DetectionsViaHTTP && o.HTTPURL == "" {
		return nil, errors.New("simnet: detections over HTTP need the server's HTTP URL")
	}
	if o.MQTTQoS == 0 {
		o.MQTTQoS = 1
	}
	if o.MQTTQoS > 1 {
		return nil, fmt.Errorf("simnet: MQTT QoS %d: want 0 or 1", o.MQTTQoS)
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.RunID == "" {
		o.RunID = "sim" + fmt.Sprint(o.Now().UnixMilli()%1e9)
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	o.HTTPURL = strings.TrimSuffix(o.HTTPURL, "/")
	return &Sender{o: o, log: o.Logger, lastErr: map[string]error{}}, nil
}

// Start connects to the MQTT broker and opens the drones' sockets; CoT
// connections are opened per unit on first use.
func (s *Sender) Start(ctx context.Context) error {
	if s.o.MQTTAddr != "" && !s.o.DetectionsViaHTTP {
		c, err := mqtt.Dial(ctx, s.o.MQTTAddr, mqtt.Options{ClientID: "borderwatch-sim-" + s.o.RunID,
			Username: s.o.MQTTUser, Password: s.o.MQTTPassword})
		if err != nil {
			return fmt.Errorf("simnet: cameras: %w", err)
		}
		s.mqtt = c
	}
	if s.o.CoTAddr != "" {
		s.cot = newCoTSender(s)
	}
	if s.o.MAVLinkAddr != "" {
		m, err := newMAVSender(s)
		if err != nil {
			return err
		}
		s.drones = m
	}
	return nil
}

// Close closes every connection and waits for the senders' goroutines.
func (s *Sender) Close() error {
	var errs []error
	if s.mqtt != nil {
		errs = append(errs, s.mqtt.Close())
	}
	if s.cot != nil {
		s.cot.close()
	}
	if s.drones != nil {
		s.drones.close()
	}
	return errors.Join(errs...)
}

// Stats returns the running totals.
func (s *Sender) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
}

func (s *Sender) count(f func(*Stats)) {
	s.mu.Lock()
	f(&s.stats)
	s.mu.Unlock()
}

// fault notes an error of one protocol; it is logged once per new message
// and counted, never fatal: a simulator keeps going while a listener
// restarts.
func (s *Sender) fault(proto string, err error) {
	if errors.Is(err, context.Canceled) {
		return // shutting down
	}
	s.mu.Lock()
	s.stats.Errors++
	prev := s.lastErr[proto]
	s.lastErr[proto] = err
	s.mu.Unlock()
	if prev == nil || prev.Error() != err.Error() {
		s.log.Warn("simulator: send failed", "protocol", proto, "err", err)
	}
}

// Send sends a batch; stamp maps simulated times to the times written in
// the messages.
func (s *Sender) Send(ctx context.Context, b *Batch, stamp func(time.Time) time.Time) {
	var viaCoT, viaCam []sim.Detection
	for _, d := range b.Detections {
		switch d.Kind {
		case borderwatch.SourceWatchtower, borderwatch.SourcePatrol:
			viaCoT = append(viaCoT, d)
		default:
			viaCam = append(viaCam, d)
		}
	}
	var wg sync.WaitGroup
	if s.cot != nil {
		wg.Add(1)
		go func() { defer wg.Done(); s.cot.send(ctx, b.Reports, viaCoT, stamp) }()
	} else if s.o.DetectionsViaHTTP {
		viaCam = append(viaCam, viaCoT...)
	}
	switch {
	case s.o.DetectionsViaHTTP:
		wg.Add(1)
		go func() { defer wg.Done(); s.postHTTP(ctx, viaCam, stamp) }()
	case s.mqtt != nil:
		wg.Add(1)
		go func() { defer wg.Done(); s.publishCameras(ctx, viaCam, stamp) }()
	}
	if s.drones != nil {
		s.drones.send(b.Drones)
	}
	wg.Wait()
}

// postHTTP posts detections as observations to /api/v1/observations.
func (s *Sender) postHTTP(ctx context.Context, ds []sim.Detection, stamp func(time.Time) time.Time) {
	if len(ds) == 0 {
		return
	}
	obs := make([]borderwatch.Observation, 0, len(ds))
	for i := range ds {
		o := ds[i].Observation()
		o.ID = s.o.RunID + "-" + o.ID
		o.Time = stamp(o.Time)
		obs = append(obs, o)
	}
	body, err := json.Marshal(obs)
	if err != nil {
		s.fault("http", err)
		return
	}
	if err := PostJSON(ctx, s.o.HTTPClient, s.o.HTTPURL+"/api/v1/observations", s.o.Token, body, nil); err != nil {
		s.fault("http", err)
		return
	}
	s.count(func(st *Stats) { st.HTTPObservations += uint64(len(obs)) })
}

// PostJSON posts body with the bearer token and decodes a JSON answer
// into out (if not nil). A non-2xx status is an error with the body.
func PostJSON(ctx context.Context, c *http.Client, url, token string, body []byte, out any) error {
	return doJSON(ctx, c, http.MethodPost, url, token, body, out)
}

// GetJSON gets url with the bearer token and decodes the answer into out.
func GetJSON(ctx context.Context, c *http.Client, url, token string, out any) error {
	return doJSON(ctx, c, http.MethodGet, url, token, nil, out)
}

func doJSON(ctx context.Context, c *http.Client, method, url, token string, body []byte, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, url, err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		var b bytes.Buffer
		_, _ = b.ReadFrom(io.LimitReader(resp.Body, 4096))
		return fmt.Errorf("%s %s: %s: %s", method, url, resp.Status, strings.TrimSpace(b.String()))
	}
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			return fmt.Errorf("%s %s: decode answer: %w", method, url, err)
		}
	}
	return nil
}
