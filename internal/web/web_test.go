package web

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/borderwatch/borderwatch"
	"github.com/borderwatch/borderwatch/internal/live"
)

type env struct {
	srv     *httptest.Server
	pic     *live.Picture
	ingest  chan []borderwatch.Observation
	failing error
}

// tokens maps bearer tokens to principals for the test authenticator.
var tokens = map[string]Principal{
	"ibg-token":  {Subject: "op1", Agency: "ibg"},
	"army-token": {Subject: "op2", Agency: "army"},
}

func bearerAuth(r *http.Request) (Principal, bool) {
	p, ok := tokens[strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")]
	return p, ok
}

func newEnv(t *testing.T, auth bool) *env {
	t.Helper()
	e := &env{pic: newTestPicture(), ingest: make(chan []borderwatch.Observation, 10)}
	o := Options{
		Live: e.pic, Deployment: testDeployment(t),
		Metrics: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "# metrics\n") }),
		Ingest: func(ctx context.Context, obs []borderwatch.Observation) error {
			if e.failing != nil {
				return e.failing
			}
			e.ingest <- obs
			return nil
		},
		MaxBodyBytes: 64 << 10,
		StreamMaxHz:  50,
	}
	if auth {
		o.Authenticate = bearerAuth
	}
	h, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	e.srv = httptest.NewServer(h)
	t.Cleanup(e.srv.Close)
	return e
}

// reply is a response whose body do has read and closed.
type reply struct {
	StatusCode int
	Header     http.Header
	cookies    []*http.Cookie
}

func (r *reply) Cookies() []*http.Cookie { return r.cookies }

func (e *env) do(t *testing.T, method, path, token, ctype, body string) (*reply, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, e.srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return &reply{StatusCode: resp.StatusCode, Header: resp.Header, cookies: resp.Cookies()}, data
}

// serverRoutes are the API routes the whole node (internal/server) serves
// in front of web's handler: they are documented in web's openapi.json.
// internal/e2e checks against the running node that every documented
// route is served (TestEveryDocumentedRouteIsServed).
var serverRoutes = []string{
	"GET /api/v1/incidents", "POST /api/v1/incidents", "GET /api/v1/incidents/{id}",
	"POST /api/v1/incidents/{id}/acknowledge", "GET /api/v1/incidents/{id}/recommendation",
	"POST /api/v1/incidents/{id}/dispatch", "POST /api/v1/incidents/{id}/sop", "POST /api/v1/incidents/{id}/notes",
	"POST /api/v1/incidents/{id}/resolve", "GET /api/v1/dashboard",
	"GET /api/v1/replay", "GET /api/v1/history/tracks", "GET /api/v1/export",
}

func routeKeys() []string {
	var ks []string
	for _, r := range routes {
		ks = append(ks, r.method+" "+r.pattern)
	}
	return ks
}

func TestOpenAPIListsEveryRoute(t *testing.T) {
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(openAPIDoc, &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("openapi version %q, want 3.x", doc.OpenAPI)
	}
	documented := map[string]bool{}
	for p, ops := range doc.Paths {
		for m := range ops {
			documented[strings.ToUpper(m)+" "+p] = true
		}
	}
	served := map[string]bool{}
	for _, k := range append(routeKeys(), serverRoutes...) {
		served[k] = true
		if !documented[k] {
			t.Errorf("route %s is not in openapi.json", k)
		}
	}
	for k := range documented {
		if !served[k] {
			t.Errorf("openapi.json documents %s, which no route serves", k)
		}
	}
}

func TestSecurityHeaders(t *testing.T) {
	e := newEnv(t, false)
	for _, path := range []string{"/", "/api/v1/tracks", "/healthz", "/nope"} {
		t.Run(path, func(t *testing.T) {
			resp, _ := e.do(t, "GET", path, "", "", "")
			h := resp.Header
			if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") || !strings.Contains(csp, "frame-ancestors 'none'") {
				t.Errorf("CSP = %q", csp)
			}
			for k, want := range map[string]string{"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY"} {
				if got := h.Get(k); got != want {
					t.Errorf("%s = %q, want %q", k, got, want)
				}
			}
		})
	}
}

func TestStaticUI(t *testing.T) {
	e := newEnv(t, true)
	tests := []struct {
		path, ctype string
		code        int
	}{
		{"/", "text/html; charset=utf-8", 200},
		{"/login", "text/html; charset=utf-8", 200},
		{"/js/app.js", "text/javascript; charset=utf-8", 200},
		{"/vendor/leaflet/leaflet.js", "text/javascript; charset=utf-8", 200},
		{"/geo/iraq_syria_border.geojson", "application/geo+json", 200},
		{"/geo/terrain_relief_etopo5_webmercator.png", "image/png", 200},
		{"/missing.js", "", 404},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			resp, _ := e.do(t, "GET", tc.path, "", "", "") // the UI itself needs no token
			if resp.StatusCode != tc.code {
				t.Fatalf("status %d, want %d", resp.StatusCode, tc.code)
			}
			if tc.code == 200 && resp.Header.Get("Content-Type") != tc.ctype {
				t.Fatalf("Content-Type %q, want %q", resp.Header.Get("Content-Type"), tc.ctype)
			}
		})
	}
	t.Run("etag revalidates", func(t *testing.T) {
		resp, _ := e.do(t, "GET", "/js/app.js", "", "", "")
		req, _ := http.NewRequest("GET", e.srv.URL+"/js/app.js", nil)
		req.Header.Set("If-None-Match", resp.Header.Get("ETag"))
		r2, err := e.srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		r2.Body.Close()
		if r2.StatusCode != http.StatusNotModified {
			t.Fatalf("revalidation status %d, want 304", r2.StatusCode)
		}
	})
}

func TestAuthAndReleasability(t *testing.T) {
	e := newEnv(t, true)
	mine := movingTracks(1, 0)[0]
	mine.ID, mine.Label = "ibg-only", borderwatch.Label{Owner: "ibg"}
	shared := movingTracks(1, 0)[0]
	shared.ID = "shared"
	must(t, e.pic.PutTracks(mine, shared))
	tests := []struct {
		name, token string
		code        int
		want        []string
	}{
		{"no token", "", 401, nil},
		{"bad token", "forged", 401, nil},
		{"owner sees both", "ibg-token", 200, []string{"ibg-only", "shared"}},
		{"other agency sees the released one", "army-token", 200, []string{"shared"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := e.do(t, "GET", "/api/v1/tracks", tc.token, "", "")
			if resp.StatusCode != tc.code {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.code, body)
			}
			if tc.code != 200 {
				var eb map[string]apiError
				if err := json.Unmarshal(body, &eb); err != nil || eb["error"].Code != borderwatch.EUNAUTHORIZED {
					t.Fatalf("error body %s", body)
				}
				return
			}
			var ts []borderwatch.Track
			must(t, json.Unmarshal(body, &ts))
			var ids []string
			for _, tr := range ts {
				ids = append(ids, tr.ID)
			}
			if !slices.Equal(ids, tc.want) {
				t.Fatalf("ids %v, want %v", ids, tc.want)
			}
		})
	}
	t.Run("healthz and openapi need no token", func(t *testing.T) {
		for _, p := range []string{"/healthz", "/api/v1/openapi.json", "/metrics"} {
			if resp, _ := e.do(t, "GET", p, "", "", ""); resp.StatusCode != 200 {
				t.Errorf("%s: status %d", p, resp.StatusCode)
			}
		}
	})
}

func TestListsFilterByViewport(t *testing.T) {
	e := newEnv(t, false)
	must(t, e.pic.PutTracks(movingTracks(100, 0)...))
	must(t, e.pic.PutAlerts(borderwatch.Alert{ID: "a1", Severity: borderwatch.SeverityCritical, State: borderwatch.AlertOpen, Position: borderwatch.LatLon{Lat: 37, Lon: 42}}))
	tests := []struct {
		path string
		code int
		n    int
	}{
		{"/api/v1/tracks", 200, 100},
		{"/api/v1/tracks?bbox=40,33,42,35", 200, -1},
		{"/api/v1/tracks?bbox=0,0,1,1", 200, 0},
		{"/api/v1/alerts?bbox=0,0,1,1", 200, 1}, // the queue ignores the viewport
		{"/api/v1/units", 200, 0},
		{"/api/v1/drones", 200, 0},
		{"/api/v1/sensors", 200, 0},
		{"/api/v1/tracks?bbox=1,2,3", 400, 0},
		{"/api/v1/tracks?bbox=5,0,1,1", 400, 0},
		{"/api/v1/tracks?bbox=a,0,1,1", 400, 0},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			resp, body := e.do(t, "GET", tc.path, "", "", "")
			if resp.StatusCode != tc.code {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.code, body)
			}
			if tc.code != 200 {
				if !strings.Contains(string(body), "bbox") {
					t.Fatalf("error does not name bbox: %s", body)
				}
				return
			}
			var items []json.RawMessage
			must(t, json.Unmarshal(body, &items))
			if tc.n >= 0 && len(items) != tc.n {
				t.Fatalf("%d items, want %d", len(items), tc.n)
			}
			if tc.n < 0 && (len(items) == 0 || len(items) == 100) {
				t.Fatalf("viewport kept %d of 100", len(items))
			}
		})
	}
}

func TestPostObservations(t *testing.T) {
	read := func(name string) string {
		data, err := os.ReadFile(filepath.Join("testdata", "observations", name))
		must(t, err)
		return string(data)
	}
	tests := []struct {
		name, token, ctype, body string
		failing                  error
		code                     int
		wantItems                []int  // indices reported bad
		wantText                 string // in the body
		accepted                 int
	}{
		{"valid batch", "ibg-token", "application/json", read("valid.json"), nil, 202, nil, `"accepted":2`, 2},
		{"envelope", "ibg-token", "application/json; charset=utf-8", read("envelope.json"), nil, 202, nil, `"accepted":1`, 1},
		{"bad items listed by index", "ibg-token", "application/json", read("mixed.json"), nil, 400, []int{1, 2, 3, 4}, "4 of 5 observations are invalid", 0},
		{"truncated", "ibg-token", "application/json", read("truncated.json"), nil, 400, nil, "malformed JSON", 0},
		{"empty array", "ibg-token", "application/json", "[]", nil, 400, nil, "no observations", 0},
		{"not json", "ibg-token", "application/json", "hello", nil, 400, nil, "JSON array", 0},
		{"wrong content type", "ibg-token", "text/plain", read("valid.json"), nil, 415, nil, "application/json", 0},
		{"too large", "ibg-token", "application/json", "[" + strings.Repeat(" ", 70<<10) + "]", nil, 413, nil, "larger than", 0},
		{"unauthenticated", "", "application/json", read("valid.json"), nil, 401, nil, "authentication required", 0},
		{"ingest unavailable", "ibg-token", "application/json", read("valid.json"), borderwatch.Errorf(borderwatch.EUNAVAILABLE, "log is down"), 503, nil, "log is down", 0},
		{"ingest internal error hides details", "ibg-token", "application/json", read("valid.json"), errors.New("disk /var/x: EIO"), 500, nil, `"message":"internal error"`, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, true)
			e.failing = tc.failing
			resp, body := e.do(t, "POST", "/api/v1/observations", tc.token, tc.ctype, tc.body)
			if resp.StatusCode != tc.code {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.code, body)
			}
			if !strings.Contains(string(body), tc.wantText) {
				t.Fatalf("body %s lacks %q", body, tc.wantText)
			}
			if strings.Contains(string(body), "EIO") {
				t.Fatalf("internal details leaked: %s", body)
			}
			if tc.wantItems != nil {
				var eb map[string]apiError
				must(t, json.Unmarshal(body, &eb))
				var idx []int
				for _, it := range eb["error"].Items {
					idx = append(idx, it.Index)
					if it.Reason == "" {
						t.Errorf("item %d has no reason", it.Index)
					}
				}
				if !slices.Equal(idx, tc.wantItems) {
					t.Fatalf("bad items %v, want %v: %s", idx, tc.wantItems, body)
				}
			}
			select {
			case obs := <-e.ingest:
				if len(obs) != tc.accepted {
					t.Fatalf("ingested %d, want %d", len(obs), tc.accepted)
				}
			default:
				if tc.accepted > 0 {
					t.Fatalf("nothing ingested, want %d", tc.accepted)
				}
			}
		})
	}
}

func TestAlertActions(t *testing.T) {
	e := newEnv(t, true)
	must(t, e.pic.PutAlerts(borderwatch.Alert{ID: "a1", Kind: borderwatch.AlertCrossing, Severity: borderwatch.SeverityCritical, State: borderwatch.AlertOpen, Label: borderwatch.Label{Owner: "ibg"}}))
	tests := []struct {
		name, path, token string
		code              int
		state             borderwatch.AlertState
	}{
		{"other agency cannot see it", "/api/v1/alerts/a1/acknowledge", "army-token", 404, borderwatch.AlertOpen},
		{"unknown action", "/api/v1/alerts/a1/explode", "ibg-token", 404, borderwatch.AlertOpen},
		{"unknown alert", "/api/v1/alerts/zz/acknowledge", "ibg-token", 404, borderwatch.AlertOpen},
		{"acknowledge", "/api/v1/alerts/a1/acknowledge", "ibg-token", 200, borderwatch.AlertAcknowledged},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := e.do(t, "POST", tc.path, tc.token, "", "")
			if resp.StatusCode != tc.code {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.code, body)
			}
			if a, _ := e.pic.Alert("a1"); a.State != tc.state {
				t.Fatalf("state %s, want %s", a.State, tc.state)
			}
		})
	}
	resp, _ := e.do(t, "POST", "/api/v1/alerts/a1/dismiss", "ibg-token", "", "")
	if _, ok := e.pic.Alert("a1"); resp.StatusCode != 200 || ok {
		t.Fatalf("dismiss: status %d, still in queue %v", resp.StatusCode, ok)
	}
}

func TestDeploymentGeoJSON(t *testing.T) {
	e := newEnv(t, false)
	resp, body := e.do(t, "GET", "/api/v1/deployment", "", "", "")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/geo+json" {
		t.Fatalf("status %d, type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	var fc struct {
		Type     string `json:"type"`
		Features []struct {
			Geometry struct {
				Type        string          `json:"type"`
				Coordinates json.RawMessage `json:"coordinates"`
			} `json:"geometry"`
			Properties map[string]any `json:"properties"`
		} `json:"features"`
	}
	must(t, json.Unmarshal(body, &fc))
	count := map[string]int{}
	for _, f := range fc.Features {
		count[f.Properties["layer"].(string)]++
		if f.Properties["layer"] == "border" {
			if km := f.Properties["length_km"].(float64); km < 598.5 || km > 599.3 {
				t.Errorf("border length %.2f km, want ≈598.9", km)
			}
		}
	}
	want := map[string]int{"border": 1, "sector": 2, "barrier": 2, "crossing": 3, "site": 2, "sensor": 2, "coverage": 2}
	for k, n := range want {
		if count[k] != n {
			t.Errorf("%d %s features, want %d (all: %v)", count[k], k, n, count)
		}
	}
	t.Run("no deployment is 503", func(t *testing.T) {
		h, err := New(Options{Live: newTestPicture()})
		must(t, err)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/api/v1/deployment", nil))
		if rec.Code != 503 {
			t.Fatalf("status %d, want 503", rec.Code)
		}
	})
}

func TestStatusMapping(t *testing.T) {
	for code, want := range map[borderwatch.ErrorCode]int{
		borderwatch.EINVALID: 400, borderwatch.EUNAUTHORIZED: 401, borderwatch.EFORBIDDEN: 403, borderwatch.ENOTFOUND: 404,
		borderwatch.ECONFLICT: 409, borderwatch.EUNAVAILABLE: 503, borderwatch.EINTERNAL: 500, "weird": 500,
	} {
		t.Run(string(code), func(t *testing.T) {
			if got := status(code); got != want {
				t.Fatalf("status(%s) = %d, want %d", code, got, want)
			}
		})
	}
}

// sse reads Server-Sent Events from a live response.
type sse struct {
	r *bufio.Reader
}

type event struct{ id, name, data string }

func (s *sse) next(t *testing.T) event {
	t.Helper()
	var ev event
	for {
		line, err := s.r.ReadString('\n')
		if err != nil {
			t.Fatalf("stream: %v", err)
		}
		line = strings.TrimRight(line, "\n")
		switch {
		case line == "":
			if ev.name != "" || ev.data != "" {
				return ev
			}
		case strings.HasPrefix(line, "id: "):
			ev.id = line[4:]
		case strings.HasPrefix(line, "event: "):
			ev.name = line[7:]
		case strings.HasPrefix(line, "data: "):
			ev.data = line[6:]
		}
	}
}

func openStream(t *testing.T, e *env, query, lastID string) (*sse, func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	req, _ := http.NewRequestWithContext(ctx, "GET", e.srv.URL+"/api/v1/stream"+query, nil)
	req.Header.Set("Authorization", "Bearer ibg-token")
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	resp, err := e.srv.Client().Do(req) //nolint:bodyclose // the returned stop func closes it
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("stream: status %d type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	return &sse{bufio.NewReader(resp.Body)}, func() { cancel(); resp.Body.Close() }
}

type batch struct {
	Seq     uint64 `json:"seq"`
	Reset   bool   `json:"reset"`
	Changes []struct {
		Op, Kind, ID string
	} `json:"changes"`
}

func decodeBatch(t *testing.T, ev event) batch {
	t.Helper()
	if ev.name != "batch" {
		t.Fatalf("event %q, want batch", ev.name)
	}
	var b batch
	must(t, json.Unmarshal([]byte(ev.data), &b))
	return b
}

func TestStream(t *testing.T) {
	e := newEnv(t, true)
	must(t, e.pic.PutTracks(movingTracks(10, 0)...))
	s, stop := openStream(t, e, "?bbox=38,33,43,38", "")
	hello := s.next(t)
	var h struct{ Stream string }
	if hello.name != "hello" || json.Unmarshal([]byte(hello.data), &h) != nil || h.Stream == "" {
		t.Fatalf("first event %+v, want hello with a stream id", hello)
	}
	snap := s.next(t)
	if b := decodeBatch(t, snap); !b.Reset || len(b.Changes) != 10 {
		t.Fatalf("snapshot: reset=%v, %d changes, want 10", b.Reset, len(b.Changes))
	}
	// An alert arrives: the next batch carries it.
	must(t, e.pic.PutAlerts(borderwatch.Alert{ID: "a1", Severity: borderwatch.SeverityCritical, State: borderwatch.AlertOpen, Label: borderwatch.Label{Owner: "ibg"}}))
	ev := s.next(t)
	if b := decodeBatch(t, ev); b.Reset || len(b.Changes) != 1 || b.Changes[0].Kind != "alert" {
		t.Fatalf("alert batch %+v", b)
	}
	// The viewer pans to an empty area: the tracks leave.
	resp, body := e.do(t, "POST", "/api/v1/stream/"+h.Stream+"/view", "ibg-token", "application/json", `{"bbox":[0,0,1,1]}`)
	if resp.StatusCode != 204 {
		t.Fatalf("view: %d %s", resp.StatusCode, body)
	}
	if b := decodeBatch(t, s.next(t)); len(b.Changes) != 10 || b.Changes[0].Op != "delete" {
		t.Fatalf("after panning away: %+v", b)
	}
	stop()

	t.Run("another principal cannot steer the stream", func(t *testing.T) {
		resp, _ := e.do(t, "POST", "/api/v1/stream/"+h.Stream+"/view", "army-token", "application/json", `{"bbox":null}`)
		if resp.StatusCode != 404 {
			t.Fatalf("status %d, want 404", resp.StatusCode)
		}
	})

	t.Run("reconnect resumes with Last-Event-ID", func(t *testing.T) {
		s, stop := openStream(t, e, "?bbox=38,33,43,38", "")
		s.next(t) // hello
		last := s.next(t).id
		stop()
		must(t, e.pic.PutTracks(movingTracks(10, 1)[:3]...)) // three move while away
		s, stop = openStream(t, e, "?bbox=38,33,43,38", last)
		defer stop()
		s.next(t)
		if b := decodeBatch(t, s.next(t)); b.Reset || len(b.Changes) != 3 {
			t.Fatalf("resume: reset=%v, %d changes, want 3", b.Reset, len(b.Changes))
		}
	})
	t.Run("bad query is 400", func(t *testing.T) {
		for _, q := range []string{"?bbox=x", "?hz=0", "?hz=abc"} {
			if resp, _ := e.do(t, "GET", "/api/v1/stream"+q, "ibg-token", "", ""); resp.StatusCode != 400 {
				t.Errorf("%s: status %d", q, resp.StatusCode)
			}
		}
	})
}

func TestStreamsEndWithOptionsContext(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	h, err := New(Options{Live: newTestPicture(), Context: ctx})
	must(t, err)
	srv := httptest.NewServer(h)
	defer srv.Close()
	resp, err := srv.Client().Get(srv.URL + "/api/v1/stream")
	must(t, err)
	defer resp.Body.Close()
	s := &sse{bufio.NewReader(resp.Body)}
	if ev := s.next(t); ev.name != "hello" {
		t.Fatalf("first event %q", ev.name)
	}
	s.next(t) // snapshot
	cancel()
	if _, err := io.ReadAll(resp.Body); err != nil {
		t.Fatalf("stream did not end cleanly: %v", err)
	}
}

func TestNewNeedsLive(t *testing.T) {
	if _, err := New(Options{}); err == nil {
		t.Fatal("New without Live succeeded")
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

var _ = time.Second

func TestLoginSetsSessionCookie(t *testing.T) {
	e := newEnv(t, true)
	post := func(body string, hdr map[string]string) *reply {
		req, _ := http.NewRequest("POST", e.srv.URL+"/api/v1/login", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, err := e.srv.Client().Do(req)
		must(t, err)
		resp.Body.Close()
		return &reply{StatusCode: resp.StatusCode, Header: resp.Header, cookies: resp.Cookies()}
	}
	tests := []struct {
		name, body string
		hdr        map[string]string
		code       int
		cookie     bool
	}{
		{"good token", `{"token":"ibg-token"}`, nil, 200, true},
		{"bad token", `{"token":"forged"}`, nil, 401, false},
		{"password not yet", `{"username":"op1","password":"x"}`, nil, 501, false},
		{"unknown field", `{"tok":"ibg-token"}`, nil, 400, false},
		{"cross-origin", `{"token":"ibg-token"}`, map[string]string{"Origin": "http://evil.example"}, 403, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp := post(tc.body, tc.hdr)
			if resp.StatusCode != tc.code {
				t.Fatalf("status %d, want %d", resp.StatusCode, tc.code)
			}
			var c *http.Cookie
			for _, x := range resp.Cookies() {
				if x.Name == sessionCookie {
					c = x
				}
			}
			if (c != nil) != tc.cookie {
				t.Fatalf("cookie %v, want %v", c, tc.cookie)
			}
			if c != nil && (!c.HttpOnly || c.SameSite != http.SameSiteStrictMode) {
				t.Fatalf("cookie not HttpOnly+SameSite=Strict: %+v", c)
			}
		})
	}
	t.Run("the cookie authenticates, but not cross-origin writes", func(t *testing.T) {
		must(t, e.pic.PutAlerts(borderwatch.Alert{ID: "a1", Severity: borderwatch.SeverityHigh, State: borderwatch.AlertOpen, Label: borderwatch.Label{Owner: "ibg"}}))
		do := func(method, path, origin string) int {
			req, _ := http.NewRequest(method, e.srv.URL+path, nil)
			req.AddCookie(&http.Cookie{Name: sessionCookie, Value: "ibg-token"})
			if origin != "" {
				req.Header.Set("Origin", origin)
			}
			resp, err := e.srv.Client().Do(req)
			must(t, err)
			resp.Body.Close()
			return resp.StatusCode
		}
		if c := do("GET", "/api/v1/me", ""); c != 200 {
			t.Fatalf("GET /me with cookie: %d", c)
		}
		if c := do("POST", "/api/v1/alerts/a1/acknowledge", "http://evil.example"); c != 403 {
			t.Fatalf("cross-origin POST with cookie: %d, want 403", c)
		}
		if c := do("POST", "/api/v1/alerts/a1/acknowledge", e.srv.URL); c != 200 {
			t.Fatalf("same-origin POST with cookie: %d, want 200", c)
		}
	})
	t.Run("no authentication: 404", func(t *testing.T) {
		e := newEnv(t, false)
		resp, _ := e.do(t, "POST", "/api/v1/login", "", "application/json", `{"token":"x"}`)
		if resp.StatusCode != 404 {
			t.Fatalf("status %d, want 404", resp.StatusCode)
		}
	})
	t.Run("logout clears the cookie", func(t *testing.T) {
		resp, _ := e.do(t, "POST", "/api/v1/logout", "", "", "")
		if resp.StatusCode != 204 || len(resp.Cookies()) != 1 || resp.Cookies()[0].MaxAge >= 0 {
			t.Fatalf("logout: %d %v", resp.StatusCode, resp.Cookies())
		}
	})
}

func TestLoginLogoutHooks(t *testing.T) {
	var hits []string
	hook := func(name string) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			hits = append(hits, name)
			w.WriteHeader(http.StatusTeapot)
		})
	}
	h, err := New(Options{Live: newTestPicture(), Authenticate: bearerAuth, Login: hook("login"), Logout: hook("logout")})
	must(t, err)
	for _, path := range []string{"/api/v1/login", "/api/v1/logout"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("POST", path, strings.NewReader(`{}`)))
		if rec.Code != http.StatusTeapot {
			t.Fatalf("%s: status %d, want the hook's 418", path, rec.Code)
		}
	}
	if strings.Join(hits, ",") != "login,logout" {
		t.Fatalf("hooks called %v", hits)
	}
}
