// Package web owns the HTTP edge of borderwatch: the JSON/GeoJSON API
// under /api/v1/, its OpenAPI document, the live stream (Server-Sent
// Events) and the embedded, build-free map UI. It is the only place where
// domain error codes become HTTP statuses.
//
// New returns an http.Handler; the caller owns the http.Server and its
// timeouts (the stream clears its own write deadline).
package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/borderwatch/borderwatch"
	"github.com/borderwatch/borderwatch/internal/live"
	"github.com/borderwatch/borderwatch/internal/metrics"
)

// Principal is who is calling, as established by Options.Authenticate.
type Principal struct {
	Subject string             `json:"subject"`
	Agency  borderwatch.Agency `json:"agency"`
	Roles   []string           `json:"roles,omitempty"`
}

// Options configures the handler. Live is required; everything else has
// a documented default.
type Options struct {
	Logger *slog.Logger
	// Live is the live picture the API and the stream read.
	Live *live.Picture
	// Deployment is the loaded deployment; /api/v1/deployment renders it
	// as GeoJSON unless DeploymentGeoJSON is set. Both nil: 503.
	Deployment *borderwatch.Deployment
	// DeploymentGeoJSON, when set, supplies the deployment GeoJSON
	// instead (e.g. the deployment package's export).
	DeploymentGeoJSON func() ([]byte, error)
	// Metrics serves /metrics (Prometheus text); nil: 404.
	Metrics http.Handler
	// Registry receives the handler's own counters; nil: a private one.
	Registry *metrics.Registry
	// Ingest takes a validated batch from POST /api/v1/observations and
	// returns once it is accepted (logged); nil: 503.
	Ingest func(ctx context.Context, obs []borderwatch.Observation) error
	// Authenticate establishes the caller. nil means NO authentication:
	// every request is an anonymous principal that sees every record
	// (a development mode; New logs a warning).
	Authenticate func(*http.Request) (Principal, bool)
	// Releasable is the releasability policy: what p may see. Default:
	// everything for the anonymous principal of the no-authentication
	// mode, otherwise Label.ReleasableToAgency(p.Agency).
	Releasable func(p Principal) func(borderwatch.Label) bool
	// AlertAction records an operator's decision on an alert (state is
	// acknowledged or dismissed). nil: the state changes in the live
	// picture only.
	AlertAction func(ctx context.Context, p Principal, alertID string, state borderwatch.AlertState) error
	// Login and Logout, when set, serve POST /api/v1/login and
	// /api/v1/logout (the security work's sessions) instead of the interim
	// API-token cookie. A login response may carry "csrf_token": the UI
	// then sends it as the X-CSRF-Token header on every POST.
	Login, Logout http.Handler
	// MaxBodyBytes bounds a POST body (default 4 MiB); MaxBatch bounds the
	// observations in one POST (default 10,000).
	MaxBodyBytes int64
	MaxBatch     int
	// StreamMaxHz caps a viewer's batch rate (default 4); StreamHeartbeat
	// is the keep-alive interval (default 15 s).
	StreamMaxHz     float64
	StreamHeartbeat time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Context, when set, ends every live stream once it is done: cancel it
	// before http.Server.Shutdown, which otherwise waits for streams that
	// never go idle.
	Context context.Context
}

// route is one API endpoint; the table drives the mux, the OpenAPI test
// and the authentication wrapper.
type route struct {
	method, pattern string
	auth            bool // requires an authenticated principal
	h               func(*handler, http.ResponseWriter, *http.Request, Principal)
}

var routes = []route{
	{"GET", "/healthz", false, (*handler).healthz},
	{"GET", "/metrics", false, (*handler).metrics},
	{"GET", "/api/v1/openapi.json", false, (*handler).openapi},
	{"GET", "/api/v1/me", true, (*handler).me},
	{"POST", "/api/v1/login", false, (*handler).login},
	{"POST", "/api/v1/logout", false, (*handler).logout},
	{"GET", "/api/v1/deployment", true, (*handler).deployment},
	{"GET", "/api/v1/tracks", true, (*handler).tracks},
	{"GET", "/api/v1/alerts", true, (*handler).alerts},
	{"POST", "/api/v1/alerts/{id}/{action}", true, (*handler).alertAction},
	{"GET", "/api/v1/units", true, (*handler).units},
	{"GET", "/api/v1/drones", true, (*handler).drones},
	{"GET", "/api/v1/sensors", true, (*handler).sensors},
	{"GET", "/api/v1/stream", true, (*handler).stream},
	{"POST", "/api/v1/stream/{id}/view", true, (*handler).streamView},
	{"POST", "/api/v1/observations", true, (*handler).observations},
}

type handler struct {
	o      Options
	log    *slog.Logger
	static *staticFiles
	geo    struct {
		once sync.Once
		data []byte
		err  error
	}

	mu      sync.Mutex
	streams map[string]*stream

	requests *metrics.CounterVec
	clients  *metrics.Gauge
	batches  *metrics.Counter
	bytes    *metrics.Counter
}

// New returns the HTTP handler for the API, the stream and the UI.
func New(o Options) (http.Handler, error) {
	if o.Live == nil {
		return nil, errors.New("web: Options.Live is required")
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Registry == nil {
		o.Registry = metrics.NewRegistry()
	}
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = 4 << 20
	}
	if o.MaxBatch <= 0 {
		o.MaxBatch = 10000
	}
	if o.StreamMaxHz <= 0 {
		o.StreamMaxHz = 4
	}
	if o.StreamHeartbeat <= 0 {
		o.StreamHeartbeat = 15 * time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Authenticate == nil {
		o.Logger.Warn("web: no authentication configured: every caller sees every record and may post observations")
	}
	if o.Releasable == nil {
		open := o.Authenticate == nil
		o.Releasable = func(p Principal) func(borderwatch.Label) bool {
			if open {
				return nil
			}
			return func(l borderwatch.Label) bool { return l.ReleasableToAgency(p.Agency) }
		}
	}
	st, err := newStaticFiles()
	if err != nil {
		return nil, err
	}
	h := &handler{
		o:        o,
		log:      o.Logger,
		static:   st,
		streams:  make(map[string]*stream),
		requests: o.Registry.Counter("borderwatch_http_requests_total", "HTTP API requests by route and status code.", "route", "code"),
		clients:  o.Registry.Gauge("borderwatch_stream_clients", "Live stream viewers connected.").With(),
		batches:  o.Registry.Counter("borderwatch_stream_batches_total", "Live stream batches sent.").With(),
		bytes:    o.Registry.Counter("borderwatch_stream_bytes_total", "Live stream bytes sent.").With(),
	}
	mux := http.NewServeMux()
	for _, rt := range routes {
		mux.Handle(rt.method+" "+rt.pattern, h.wrap(rt))
	}
	mux.Handle("GET /", st)
	return securityHeaders(mux), nil
}

// securityHeaders sets the headers every response carries.
func securityHeaders(next http.Handler) http.Handler {
	const csp = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
		"connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("Content-Security-Policy", csp)
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Referrer-Policy", "no-referrer")
		hd.Set("Cross-Origin-Opener-Policy", "same-origin")
		hd.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
		next.ServeHTTP(w, r)
	})
}

// StatusWriter remembers the status a handler wrote (for request
// counters and the audit log); it passes everything through.
type StatusWriter struct {
	http.ResponseWriter
	code int
}

// WriteHeader records code and writes it.
func (w *StatusWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

// Write records an implicit 200 and writes b.
func (w *StatusWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap gives http.ResponseController the underlying writer.
func (w *StatusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Status is the status written, 200 when nothing was written yet.
func (w *StatusWriter) Status() int { return max(w.code, http.StatusOK) }

func (h *handler) wrap(rt route) http.Handler {
	name := rt.method + " " + rt.pattern
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &StatusWriter{ResponseWriter: w}
		defer func() { h.requests.With(name, strconv.Itoa(sw.Status())).Inc() }()
		var p Principal
		if h.o.Authenticate != nil && rt.auth {
			ar, viaCookie := withCookieAuth(r)
			var ok bool
			p, ok = h.o.Authenticate(ar)
			if !ok {
				h.error(sw, r, borderwatch.Errorf(borderwatch.EUNAUTHORIZED, "authentication required"))
				return
			}
			if viaCookie && r.Method != http.MethodGet && !sameOrigin(r) {
				h.error(sw, r, borderwatch.Errorf(borderwatch.EFORBIDDEN, "cross-origin request refused"))
				return
			}
		}
		if strings.HasPrefix(rt.pattern, "/api/") {
			sw.Header().Set("Cache-Control", "no-store")
		}
		rt.h(h, sw, r, p)
	})
}

// status maps a domain error code to an HTTP status; this is the only
// place that does.
func status(code borderwatch.ErrorCode) int {
	switch code {
	case borderwatch.EINVALID:
		return http.StatusBadRequest
	case borderwatch.EUNAUTHORIZED:
		return http.StatusUnauthorized
	case borderwatch.EFORBIDDEN:
		return http.StatusForbidden
	case borderwatch.ENOTFOUND:
		return http.StatusNotFound
	case borderwatch.ECONFLICT:
		return http.StatusConflict
	case borderwatch.EUNAVAILABLE:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// apiError is the JSON error body: {"error":{"code":...,"message":...}}.
type apiError struct {
	Code    borderwatch.ErrorCode `json:"code"`
	Message string                `json:"message"`
	Items   []ItemError           `json:"items,omitempty"`
}

func (h *handler) error(w http.ResponseWriter, r *http.Request, err error) {
	code := borderwatch.ErrorCodeOf(err)
	if code == borderwatch.EINTERNAL {
		h.log.Error("web: request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	if code == borderwatch.EUNAUTHORIZED {
		w.Header().Set("WWW-Authenticate", `Bearer realm="borderwatch"`)
	}
	body := apiError{Code: code, Message: borderwatch.ErrorMessageOf(err)}
	var ie *itemsError
	if errors.As(err, &ie) {
		body.Items = ie.items
	}
	writeJSON(w, status(code), map[string]apiError{"error": body})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.Encode(v) // the client may be gone; nothing to do about it
}

func (h *handler) healthz(w http.ResponseWriter, r *http.Request, _ Principal) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (h *handler) metrics(w http.ResponseWriter, r *http.Request, _ Principal) {
	if h.o.Metrics == nil {
		h.error(w, r, borderwatch.Errorf(borderwatch.ENOTFOUND, "metrics are not enabled"))
		return
	}
	h.o.Metrics.ServeHTTP(w, r)
}

func (h *handler) openapi(w http.ResponseWriter, r *http.Request, _ Principal) {
	w.Header().Set("Content-Type", "application/json")
	w.Write(openAPIDoc)
}

func (h *handler) me(w http.ResponseWriter, r *http.Request, p Principal) {
	writeJSON(w, http.StatusOK, struct {
		Principal
		Authenticated bool `json:"authenticated"`
	}{p, h.o.Authenticate != nil})
}

func (h *handler) deployment(w http.ResponseWriter, r *http.Request, _ Principal) {
	h.geo.once.Do(func() {
		switch {
		case h.o.DeploymentGeoJSON != nil:
			h.geo.data, h.geo.err = h.o.DeploymentGeoJSON()
		case h.o.Deployment != nil:
			h.geo.data, h.geo.err = DeploymentGeoJSON(h.o.Deployment)
		default:
			h.geo.err = borderwatch.Errorf(borderwatch.EUNAVAILABLE, "no deployment loaded")
		}
	})
	if h.geo.err != nil {
		h.error(w, r, h.geo.err)
		return
	}
	w.Header().Set("Content-Type", "application/geo+json")
	w.Write(h.geo.data)
}

// filter reads ?bbox=w,s,e,n and applies p's releasability.
func (h *handler) filter(r *http.Request, p Principal) (live.Filter, error) {
	f := live.Filter{Allow: h.o.Releasable(p), Policy: string(p.Agency)}
	if s := r.URL.Query().Get("bbox"); s != "" {
		b, err := parseBBox(s)
		if err != nil {
			return f, err
		}
		f.BBox = &b
	}
	return f, nil
}

func parseBBox(s string) (live.BBox, error) {
	parts := strings.Split(s, ",")
	if len(parts) != 4 {
		return live.BBox{}, borderwatch.Errorf(borderwatch.EINVALID, "bbox: %q: want west,south,east,north in degrees", s)
	}
	var v [4]float64
	for i, p := range parts {
		f, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || f != f {
			return live.BBox{}, borderwatch.Errorf(borderwatch.EINVALID, "bbox: %q: %q is not a number", s, p)
		}
		v[i] = f
	}
	b := live.BBox{W: v[0], S: v[1], E: v[2], N: v[3]}
	if !b.Valid() {
		return live.BBox{}, borderwatch.Errorf(borderwatch.EINVALID, "bbox: %q: want west<=east, south<=north, within ±180/±90", s)
	}
	return b, nil
}

func list[T any](h *handler, w http.ResponseWriter, r *http.Request, p Principal, get func(live.Filter) []T) {
	f, err := h.filter(r, p)
	if err != nil {
		h.error(w, r, err)
		return
	}
	items := get(f)
	if items == nil {
		items = []T{}
	}
	writeJSON(w, http.StatusOK, items)
}

func (h *handler) tracks(w http.ResponseWriter, r *http.Request, p Principal) {
	list(h, w, r, p, h.o.Live.Tracks)
}

func (h *handler) alerts(w http.ResponseWriter, r *http.Request, p Principal) {
	list(h, w, r, p, h.o.Live.Alerts)
}

func (h *handler) units(w http.ResponseWriter, r *http.Request, p Principal) {
	list(h, w, r, p, h.o.Live.Units)
}

func (h *handler) drones(w http.ResponseWriter, r *http.Request, p Principal) {
	list(h, w, r, p, h.o.Live.Drones)
}

func (h *handler) sensors(w http.ResponseWriter, r *http.Request, p Principal) {
	list(h, w, r, p, h.o.Live.Sensors)
}

func (h *handler) alertAction(w http.ResponseWriter, r *http.Request, p Principal) {
	id := r.PathValue("id")
	var state borderwatch.AlertState
	switch r.PathValue("action") {
	case "acknowledge":
		state = borderwatch.AlertAcknowledged
	case "dismiss":
		state = borderwatch.AlertDismissed
	default:
		h.error(w, r, borderwatch.Errorf(borderwatch.ENOTFOUND, "unknown alert action %q: want acknowledge or dismiss", r.PathValue("action")))
		return
	}
	a, ok := h.o.Live.Alert(id)
	if allow := h.o.Releasable(p); !ok || (allow != nil && !allow(a.Label)) {
		h.error(w, r, borderwatch.Errorf(borderwatch.ENOTFOUND, "alert %q not found", id))
		return
	}
	if h.o.AlertAction != nil {
		if err := h.o.AlertAction(r.Context(), p, id, state); err != nil {
			h.error(w, r, fmt.Errorf("web: alert %s %s: %w", id, state, err))
			return
		}
	} else {
		a.State = state
		if err := h.o.Live.PutAlerts(a); err != nil {
			h.error(w, r, err)
			return
		}
	}
	a.State = state
	writeJSON(w, http.StatusOK, a)
}
