package server

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/borderwatch/borderwatch"
	"github.com/borderwatch/borderwatch/internal/audit"
	"github.com/borderwatch/borderwatch/internal/auth"
	"github.com/borderwatch/borderwatch/internal/cot"
	"github.com/borderwatch/borderwatch/internal/live"
	"github.com/borderwatch/borderwatch/internal/pki"
	"github.com/borderwatch/borderwatch/internal/policy"
)

// The labels the matrix walks: an agency's default releasability, owner
// only, a protected (informant) record released to another agency, a
// record released to all, a partner's record, and no label at all.
var matrixLabels = map[string]borderwatch.Label{
	"ibgdefault": {Owner: "ibg", ReleasableTo: []borderwatch.Agency{"army", "bpc", "krg"}},
	"armyonly":   {Owner: "army"},
	"informant":  {Owner: "krg", ReleasableTo: []borderwatch.Agency{"ibg"}, Handling: "source protection: informant reporting"},
	"toall":      {Owner: "bpc", ReleasableTo: []borderwatch.Agency{borderwatch.AllAgencies}},
	"partner":    {Owner: "coalition", ReleasableTo: []borderwatch.Agency{"ibg", "army"}},
	"none":       {},
}

var matrixAgencies = []borderwatch.Agency{"ibg", "army", "krg", "bpc", "coalition"}

// seed puts one track, alert, unit and drone per label into the live
// picture; alerts in two sectors so that sector scope shows.
func seed(t *testing.T, s *Server) {
	t.Helper()
	now := time.Now()
	pos := borderwatch.LatLon{Lat: 35.0, Lon: 41.6}
	for name, l := range matrixLabels {
		tr := borderwatch.Track{ID: "t-" + name, Sector: "ninewa-baaj", Time: now, Status: borderwatch.TrackConfirmed, Position: pos,
			Class: borderwatch.ClassVehicle, Affiliation: borderwatch.AffUnknown, Label: l}
		if err := s.live.PutTracks(tr); err != nil {
			t.Fatal(err)
		}
		for _, sector := range []string{"ninewa-baaj", "anbar-qaim"} {
			a := borderwatch.Alert{ID: "a-" + name + "-" + sector, Kind: borderwatch.AlertCrossing, Severity: borderwatch.SeverityHigh,
				State: borderwatch.AlertOpen, Time: now, Sector: sector, Position: pos, Message: "test", Label: l}
			if err := s.live.PutAlerts(a); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.live.PutUnits(live.Unit{ID: "u-" + name, Position: pos, Time: now, Label: l}); err != nil {
			t.Fatal(err)
		}
		if err := s.live.PutDrones(live.Drone{ID: "d-" + name, Position: pos, Time: now, Label: l, Link: live.LinkOK}); err != nil {
			t.Fatal(err)
		}
	}
}

// pclient is a client of one principal.
type pclient struct {
	t      *testing.T
	base   string
	c      *http.Client
	header http.Header
}

func (a *pclient) do(method, path string, body any) (int, []byte) {
	a.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, a.base+path, rd)
	if err != nil {
		a.t.Fatal(err)
	}
	for k, v := range a.header {
		req.Header[k] = v
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := a.c.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func tokenAPI(t *testing.T, s *Server, secret string) *pclient {
	return &pclient{t: t, base: "http://" + s.HTTPAddr(), c: http.DefaultClient, header: http.Header{"Authorization": {"Bearer " + secret}}}
}

func sec(t *testing.T, s *Server) *security {
	t.Helper()
	sc, err := s.security()
	if err != nil {
		t.Fatal(err)
	}
	return sc
}

func startSecure(t *testing.T, mod func(*Options)) *Server {
	return startServer(t, func(o *Options) {
		o.CoTTLSAddr = "127.0.0.1:0"
		if mod != nil {
			mod(o)
		}
	})
}

type item struct {
	ID    string            `json:"id"`
	Label borderwatch.Label `json:"label"`
}

var commanderTokens sync.Map // *Server -> string

// commanderToken is a token of an ibg commander for tests that read and
// act through the API (replay, export, incidents, dispatch).
func commanderToken(t *testing.T, s *Server) string {
	t.Helper()
	if v, ok := commanderTokens.Load(s); ok {
		return v.(string)
	}
	tok, err := s.IssueToken("test-commander", "ibg", policy.RoleCommander)
	if err != nil {
		t.Fatal(err)
	}
	commanderTokens.Store(s, tok)
	return tok
}

// TestAuthorizationMatrix walks every role × agency over every endpoint
// and the live stream, and checks each answer against the policy: the
// status, that every record shown is one the policy releases (no leak),
// and that every seeded record it releases is shown (no loss).
func TestAuthorizationMatrix(t *testing.T) {
	s := startSecure(t, nil)
	seed(t, s)
	sc := sec(t, s)
	for _, role := range policy.AllRoles {
		for _, ag := range matrixAgencies {
			t.Run(string(role)+"/"+string(ag), func(t *testing.T) {
				p := policy.Principal{Agency: ag, Roles: []policy.Role{role}, Sectors: []string{"ninewa-baaj"}}
				secret, tok, err := sc.auth.CreateToken(auth.Spec{Name: string(role) + "-" + string(ag), Agency: ag, Roles: p.Roles, Sectors: p.Sectors}, "test")
				if err != nil {
					t.Fatal(err)
				}
				p.Subject = "token:" + tok.Name
				checkPrincipal(t, s, tokenAPI(t, s, secret), p)
			})
		}
	}
}

func checkPrincipal(t *testing.T, s *Server, a *pclient, p policy.Principal) {
	t.Helper()
	now := time.Now().UTC()
	window := "from=" + now.Add(-time.Hour).Format(time.RFC3339) + "&to=" + now.Format(time.RFC3339)
	status := func(act policy.Action, ok int) int {
		if policy.RolesGrant(p.Roles, act) {
			return ok
		}
		return http.StatusForbidden
	}
	lists := map[string]string{"/api/v1/tracks": "t-", "/api/v1/alerts": "a-", "/api/v1/units": "u-", "/api/v1/drones": "d-", "/api/v1/sensors": ""}
	for path, prefix := range lists {
		code, body := a.do("GET", path, nil)
		if want := status(policy.ActView, 200); code != want {
			t.Errorf("GET %s = %d, want %d: %s", path, code, want, body)
			continue
		}
		if code != 200 {
			continue
		}
		var items []item
		if err := json.Unmarshal(body, &items); err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		checkItems(t, "GET "+path, p, items, prefix)
	}
	// The live stream's first batch is a snapshot of what p may see.
	if policy.RolesGrant(p.Roles, policy.ActView) {
		checkItems(t, "stream", p, streamSnapshot(t, a), "")
	} else if code, _ := a.do("GET", "/api/v1/stream", nil); code != http.StatusForbidden {
		t.Errorf("GET /api/v1/stream = %d, want 403", code)
	}
	for _, c := range []struct {
		method, path string
		act          policy.Action
		ok           int
	}{
		{"GET", "/api/v1/deployment", policy.ActViewDeployment, 200},
		{"GET", "/api/v1/users", policy.ActAdminister, 200},
		{"GET", "/api/v1/tokens", policy.ActAdminister, 200},
		{"GET", "/api/v1/devices", policy.ActAdminister, 200},
		{"GET", "/api/v1/audit", policy.ActAuditReview, 200},
		{"GET", "/api/v1/audit/verify", policy.ActAuditReview, 200},
		{"GET", "/metrics", policy.ActMetrics, 200},
		{"GET", "/api/v1/export?kind=tracks&format=geojson&" + window, policy.ActExport, 200},
		{"GET", "/api/v1/history/tracks?" + window, policy.ActReplay, 200},
	} {
		if code, body := a.do(c.method, c.path, nil); code != status(c.act, c.ok) {
			t.Errorf("%s %s = %d, want %d: %.200s", c.method, c.path, code, status(c.act, c.ok), body)
		}
	}
	code, body := a.do("GET", "/api/v1/me", nil)
	var me meBody
	json.Unmarshal(body, &me)
	if code != 200 || me.Agency != p.Agency || !slices.Equal(me.Roles, p.Roles) {
		t.Errorf("GET /api/v1/me = %d %s", code, body)
	}
	obs := []borderwatch.Observation{{Time: time.Now(), Source: borderwatch.Source{ID: "ext-" + p.Subject, Kind: borderwatch.SourceExternal},
		Position: &borderwatch.LatLon{Lat: 10, Lon: 10}, Class: borderwatch.ClassPerson, Confidence: 0.5}}
	if code, body := a.do("POST", "/api/v1/observations", obs); code != status(policy.ActIngest, 202) {
		t.Errorf("POST observations = %d, want %d: %s", code, status(policy.ActIngest, 202), body)
	}
	// Posting as another agency's record is refused.
	obs[0].Label = borderwatch.Label{Owner: "somebody-else"}
	if code, _ := a.do("POST", "/api/v1/observations", obs); code != status(policy.ActIngest, 403) {
		t.Errorf("POST observations labelled for another owner = %d, want 403", code)
	}
	// Acknowledging alerts: invisible ones do not exist (404), visible
	// ones need the role, the owning agency and the sector.
	for name, l := range matrixLabels {
		for _, sector := range []string{"ninewa-baaj", "anbar-qaim"} {
			id := "a-" + name + "-" + sector
			rec := policy.Record{Label: l, Sector: sector}
			want := 200
			switch {
			case !policy.Allowed(p, policy.ActView, rec):
				want = 404
				if !policy.RolesGrant(p.Roles, policy.ActAcknowledge) {
					want = 403
				}
			case !policy.Allowed(p, policy.ActAcknowledge, rec):
				want = 403
			}
			if code, body := a.do("POST", "/api/v1/alerts/"+id+"/acknowledge", nil); code != want {
				t.Errorf("acknowledge %s = %d, want %d: %s", id, code, want, body)
			}
		}
	}
}

func checkItems(t *testing.T, what string, p policy.Principal, items []item, prefix string) {
	t.Helper()
	shown := map[string]bool{}
	for _, it := range items {
		shown[it.ID] = true
		if !policy.Allowed(p, policy.ActView, policy.Record{Label: it.Label}) {
			t.Errorf("%s: LEAK: %s (label %+v) shown to %s of %s", what, it.ID, it.Label, p.Roles, p.Agency)
		}
	}
	if prefix == "" && what != "stream" {
		return
	}
	prefixes := []string{prefix}
	if what == "stream" {
		prefixes = []string{"t-", "a-", "u-", "d-"}
	}
	for name, l := range matrixLabels {
		if !policy.Allowed(p, policy.ActView, policy.Record{Label: l}) {
			continue
		}
		for _, pre := range prefixes {
			ids := []string{pre + name}
			if pre == "a-" {
				ids = []string{"a-" + name + "-ninewa-baaj", "a-" + name + "-anbar-qaim"}
			}
			for _, id := range ids {
				if !shown[id] {
					t.Errorf("%s: %s (releasable) missing for %s of %s", what, id, p.Roles, p.Agency)
				}
			}
		}
	}
}

// streamSnapshot reads the first batch of the live stream.
func streamSnapshot(t *testing.T, a *pclient) []item {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", a.base+"/api/v1/stream", nil)
	for k, v := range a.header {
		req.Header[k] = v
	}
	resp, err := a.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("stream: %d %s", resp.StatusCode, b)
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 16<<20)
	batch := false
	for sc.Scan() {
		line := sc.Text()
		if line == "event: batch" {
			batch = true
			continue
		}
		data, ok := strings.CutPrefix(line, "data: ")
		if !ok || !batch {
			continue
		}
		var b struct {
			Reset   bool `json:"reset"`
			Changes []struct {
				Op   string `json:"op"`
				Kind string `json:"kind"`
				ID   string `json:"id"`
				Data item   `json:"data"`
			} `json:"changes"`
		}
		if err := json.Unmarshal([]byte(data), &b); err != nil {
			t.Fatalf("stream batch: %v", err)
		}
		var items []item
		for _, c := range b.Changes {
			if c.Op == "upsert" {
				c.Data.ID = c.ID
				items = append(items, c.Data)
			}
		}
		return items
	}
	t.Fatalf("stream ended without a batch: %v", sc.Err())
	return nil
}

// TestCoTOutOverMutualTLS connects a device of each agency with a
// certificate from the node's CA and checks that CoT out carries exactly
// what the policy releases to a device of that agency; a client without
// a certificate, or with one from another CA, is refused; an anonymous
// plain-TCP client is released nothing.
func TestCoTOutOverMutualTLS(t *testing.T) {
	s := startSecure(t, nil)
	if s.CoTTLSAddr() == "" {
		t.Fatal("no CoT TLS listener")
	}
	ca := sec(t, s).ca
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca.CertPEM())
	type dev struct {
		agency borderwatch.Agency
		conn   *tls.Conn
		got    chan string
	}
	var devs []*dev
	for _, ag := range matrixAgencies {
		certPEM, keyPEM, _, err := ca.IssueDevice("phone-"+string(ag), ag, 0)
		if err != nil {
			t.Fatal(err)
		}
		pair, _ := tls.X509KeyPair(certPEM, keyPEM)
		conn, err := tls.Dial("tcp", s.CoTTLSAddr(), &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{pair}, ServerName: "127.0.0.1"})
		if err != nil {
			t.Fatalf("device of %s: %v", ag, err)
		}
		t.Cleanup(func() { conn.Close() })
		d := &dev{agency: ag, conn: conn, got: make(chan string, 256)}
		go readUIDs(conn, d.got)
		devs = append(devs, d)
	}
	waitFor(t, "devices connected", 10*time.Second, func() bool { return len(s.cot.Clients()) >= len(devs) })

	// Refused: no certificate; a certificate from another CA.
	if err := tlsRefused(s.CoTTLSAddr(), pool, nil); err != nil {
		t.Errorf("no certificate: %v", err)
	}
	other := selfSignedClient(t)
	if err := tlsRefused(s.CoTTLSAddr(), pool, []tls.Certificate{other}); err != nil {
		t.Errorf("foreign certificate: %v", err)
	}

	now := time.Now()
	for name, l := range matrixLabels {
		tr := borderwatch.Track{ID: "cot-" + name, Time: now, Status: borderwatch.TrackConfirmed, Position: borderwatch.LatLon{Lat: 35, Lon: 41.6}, Label: l}
		ev := cot.FromTrack(&tr, time.Minute)
		s.cot.Publish(&ev, l)
	}
	for _, d := range devs {
		tr := borderwatch.Track{ID: "sentinel-" + string(d.agency), Time: now, Position: borderwatch.LatLon{Lat: 35, Lon: 41.6}, Label: borderwatch.Label{Owner: d.agency}}
		ev := cot.FromTrack(&tr, time.Minute)
		s.cot.Publish(&ev, tr.Label)
	}
	for _, d := range devs {
		p := policy.Principal{Subject: "phone-" + string(d.agency), Agency: d.agency, Roles: []policy.Role{policy.RoleDevice}}
		got := map[string]bool{}
		timeout := time.After(10 * time.Second)
	read:
		for {
			select {
			case uid := <-d.got:
				if uid == cot.TrackUIDPrefix+"sentinel-"+string(d.agency) {
					break read
				}
				got[uid] = true
			case <-timeout:
				t.Fatalf("device of %s: no sentinel", d.agency)
			}
		}
		for name, l := range matrixLabels {
			uid := cot.TrackUIDPrefix + "cot-" + name
			want := policy.Allowed(p, policy.ActView, policy.Record{Label: l})
			if got[uid] != want {
				t.Errorf("device of %s: %s (label %+v) received %v, policy says %v (a leak means cot.Options.Allow is not (*Server).cotAllow: docs/security.md, Wiring)", d.agency, uid, l, got[uid], want)
			}
		}
		for uid := range got {
			if strings.HasPrefix(uid, cot.TrackUIDPrefix+"sentinel-") {
				t.Errorf("device of %s received %s", d.agency, uid)
			}
		}
	}
	// Anonymous CoT clients (plain TCP, UDP) are released nothing.
	for _, l := range matrixLabels {
		if s.cotAllow(cot.ClientInfo{Transport: "tcp"}, l) {
			t.Errorf("anonymous CoT client allowed %+v", l)
		}
	}
}

func readUIDs(conn net.Conn, out chan<- string) {
	sp := cot.NewSplitter(conn, 0, 0)
	var dec cot.Decoder
	for {
		for {
			f, msg, ok, err := sp.Next()
			if err != nil || !ok {
				break
			}
			var ev cot.Event
			if f == cot.FormatXML {
				err = dec.Decode(msg, &ev)
			} else {
				err = dec.DecodeProto(msg, &ev)
			}
			if err == nil && !strings.HasPrefix(ev.Type, "t-") {
				out <- ev.UID
			}
		}
		if _, err := sp.Fill(); err != nil {
			close(out)
			return
		}
	}
}

// tlsRefused dials with certs and returns nil when the server refuses
// the connection (TLS 1.3 reports it on the first read).
func tlsRefused(addr string, pool *x509.CertPool, certs []tls.Certificate) error {
	c, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: pool, Certificates: certs, ServerName: "127.0.0.1"})
	if err != nil {
		return nil
	}
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Read(make([]byte, 1)); err != nil && !os.IsTimeout(err) {
		return nil
	}
	return fmt.Errorf("connection accepted")
}

// selfSignedClient is a device certificate from another node's CA.
func selfSignedClient(t *testing.T) tls.Certificate {
	t.Helper()
	ca, err := pki.Open(t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	c, k, _, err := ca.IssueDevice("intruder", "ibg", 0)
	if err != nil {
		t.Fatal(err)
	}
	pair, err := tls.X509KeyPair(c, k)
	if err != nil {
		t.Fatal(err)
	}
	return pair
}

// TestFirstStartGrantsOnlyTheOneTimePassword: a new node has one account,
// the administrator, whose password is shown once; guesses fail; the
// password works only to change itself; nothing else grants access.
func TestFirstStartGrantsOnlyTheOneTimePassword(t *testing.T) {
	var logs syncBuffer
	var offset atomic.Int64 // the test's clock runs ahead instead of sleeping
	s := startSecure(t, func(o *Options) {
		o.Now = func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }
		o.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	pw := s.BootstrapPassword()
	if len(pw) < 16 {
		t.Fatalf("one-time password %q", pw)
	}
	if again := s.BootstrapPassword(); again != "" {
		t.Fatal("the one-time password is shown twice")
	}
	base := "http://" + s.HTTPAddr()
	anon := &pclient{t: t, base: base, c: http.DefaultClient}
	for _, path := range []string{"/api/v1/tracks", "/api/v1/alerts", "/api/v1/units", "/api/v1/drones", "/api/v1/sensors", "/api/v1/stream",
		"/api/v1/deployment", "/api/v1/me", "/api/v1/users", "/api/v1/tokens", "/api/v1/audit", "/api/v1/devices", "/metrics"} {
		if code, _ := anon.do("GET", path, nil); code != http.StatusUnauthorized {
			t.Errorf("anonymous GET %s = %d, want 401", path, code)
		}
	}
	for _, p := range []string{"/api/v1/observations", "/api/v1/alerts/x/dismiss", "/api/v1/users", "/api/v1/tokens", "/api/v1/devices"} {
		if code, _ := anon.do("POST", p, map[string]string{}); code != http.StatusUnauthorized && code != http.StatusForbidden {
			t.Errorf("anonymous POST %s = %d, want 401", p, code)
		}
	}
	for _, guess := range []string{"admin", "password", "borderwatch", "changeme", ""} {
		if code, _ := anon.do("POST", "/api/v1/login", map[string]string{"username": "admin", "password": guess}); code != 401 && code != 429 {
			t.Errorf("admin/%q = %d, want 401", guess, code)
		}
	}
	for _, tok := range []string{"admin", "bwt_0000000000000000_x", "null"} {
		if code, _ := (&pclient{t: t, base: base, c: http.DefaultClient, header: http.Header{"Authorization": {"Bearer " + tok}}}).do("GET", "/api/v1/tracks", nil); code != 401 {
			t.Errorf("bearer %q = %d", tok, code)
		}
	}
	// The node's ingest token posts observations and nothing else.
	node, _ := s.APIToken()
	na := &pclient{t: t, base: base, c: http.DefaultClient, header: http.Header{"Authorization": {"Bearer " + node}}}
	if code, _ := na.do("GET", "/api/v1/tracks", nil); code != http.StatusForbidden {
		t.Errorf("node token GET tracks = %d, want 403", code)
	}

	// Sign in with the one-time password: only the password change is open.
	admin := sessionAPI(t, base)
	// The guesses above spent the admin's sign-in budget: a right
	// password is refused too until it refills.
	if code, _ := admin.login("admin", pw); code != http.StatusTooManyRequests {
		t.Fatalf("sign-in after five failures = %d, want 429", code)
	}
	offset.Add(int64(2 * time.Minute))
	if code, me := admin.login("admin", pw); code != 200 || !me.MustChangePassword {
		t.Fatalf("sign-in with the one-time password = %d %+v", code, me)
	}
	if code, body := admin.do("GET", "/api/v1/tracks", nil); code != http.StatusForbidden || !strings.Contains(string(body), "password change required") {
		t.Fatalf("before the change: %d %s", code, body)
	}
	admin.header.Del(csrfHeader)
	if code, _ := admin.do("POST", "/api/v1/password", map[string]string{"old": pw, "new": "a new pass phrase for me"}); code != http.StatusForbidden {
		t.Fatalf("password change without the CSRF token = %d, want 403", code)
	}
	admin.header.Set(csrfHeader, admin.csrf)
	if code, body := admin.do("POST", "/api/v1/password", map[string]string{"old": pw, "new": "a new pass phrase for me"}); code != 200 {
		t.Fatalf("password change: %d %s", code, body)
	}
	if code, body := admin.do("GET", "/api/v1/users", nil); code != 200 {
		t.Fatalf("after the change: %d %s", code, body)
	}
	// The one-time password is spent.
	if code, _ := sessionAPI(t, base).login("admin", pw); code != 401 && code != 429 {
		t.Fatalf("one-time password reused: %d", code)
	}
	// Admin issues a token and a user; neither secret may reach the log.
	code, body := admin.do("POST", "/api/v1/tokens", map[string]any{"name": "radar-gw", "agency": "ibg", "roles": []string{"sensor"}})
	var tokResp struct{ Secret string }
	json.Unmarshal(body, &tokResp)
	if code != 201 || tokResp.Secret == "" {
		t.Fatalf("create token: %d %s", code, body)
	}
	code, body = admin.do("POST", "/api/v1/users", map[string]any{"name": "amal", "agency": "ibg", "roles": []string{"operator"}, "sectors": []string{"ninewa-baaj"}})
	var userResp struct {
		OneTimePassword string `json:"one_time_password"`
	}
	json.Unmarshal(body, &userResp)
	if code != 201 || userResp.OneTimePassword == "" {
		t.Fatalf("create user: %d %s", code, body)
	}
	if code, _ := admin.do("POST", "/api/v1/logout", nil); code != 204 {
		t.Fatalf("logout %d", code)
	}
	if code, _ := admin.do("GET", "/api/v1/users", nil); code != 401 {
		t.Fatalf("after logout %d", code)
	}
	// Cookies are HttpOnly (session), SameSite=Strict.
	for _, c := range admin.setCookies {
		if !strings.Contains(c, "SameSite=Strict") || (strings.HasPrefix(c, sessionCookie+"=") && !strings.Contains(c, "HttpOnly")) {
			t.Errorf("cookie %q", c)
		}
	}
	for name, secret := range map[string]string{"one-time password": pw, "new password": "a new pass phrase for me",
		"token": tokResp.Secret, "user password": userResp.OneTimePassword, "csrf": admin.csrf, "node token": node} {
		if strings.Contains(logs.String(), secret) {
			t.Errorf("the log holds the %s", name)
		}
	}
	if !strings.Contains(logs.String(), "first administrator created") {
		t.Error("no log of the bootstrap (without the password)")
	}
	// The audit log recorded it all and is intact.
	rep, err := audit.VerifyFile(audit.PathIn(s.opts.DataDir))
	if err != nil || rep.Err() != nil {
		t.Fatalf("audit: %+v %v", rep, err)
	}
	es, _ := audit.Read(audit.PathIn(s.opts.DataDir), audit.Query{Limit: 1000})
	var acts []string
	for _, e := range es {
		acts = append(acts, string(e.Action)+"/"+e.Outcome)
		for _, secret := range []string{pw, tokResp.Secret, userResp.OneTimePassword} {
			if strings.Contains(e.Detail+e.Object+e.Actor, secret) {
				t.Errorf("audit entry %d holds a secret", e.Seq)
			}
		}
	}
	for _, want := range []string{"bootstrap/ok", "sign_in_failed/denied", "sign_in/ok", "password_change/ok", "token_create/ok", "user_create/ok", "sign_out/ok"} {
		if !slices.Contains(acts, want) {
			t.Errorf("audit lacks %s: %v", want, acts)
		}
	}
}

// sessionAPI is a browser-like client with a cookie jar.
type browser struct {
	*pclient
	csrf       string
	setCookies []string
}

func sessionAPI(t *testing.T, base string) *browser {
	jar, _ := cookiejar.New(nil)
	b := &browser{pclient: &pclient{t: t, base: base, header: http.Header{}}}
	b.c = &http.Client{Jar: jar, Transport: roundTripper(func(r *http.Request) (*http.Response, error) {
		resp, err := http.DefaultTransport.RoundTrip(r)
		if err == nil {
			b.setCookies = append(b.setCookies, resp.Header.Values("Set-Cookie")...)
		}
		return resp, err
	})}
	return b
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func (b *browser) login(user, pw string) (int, meBody) {
	code, body := b.do("POST", "/api/v1/login", map[string]string{"username": user, "password": pw})
	var me meBody
	json.Unmarshal(body, &me)
	if code == 200 {
		b.csrf = me.CSRFToken
		b.header.Set(csrfHeader, me.CSRFToken)
	}
	return code, me
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// TestSessionCSRFAndAlertAudit: an operator signs in, acknowledges and
// dismisses alerts of its sector (recorded), is refused outside it
// (recorded), cannot act without the CSRF token, and a protected record
// shown to it is recorded as viewed.
func TestSessionCSRFAndAlertAudit(t *testing.T) {
	s := startSecure(t, nil)
	seed(t, s)
	sc := sec(t, s)
	ctx := context.Background()
	pw, err := sc.auth.CreateUser(ctx, auth.Spec{Name: "amal", Agency: "ibg", Roles: []policy.Role{policy.RoleOperator}, Sectors: []string{"ninewa-baaj"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := sc.auth.ChangePassword(ctx, "amal", pw, "her own pass phrase here", "127.0.0.1", ""); err != nil {
		t.Fatal(err)
	}
	b := sessionAPI(t, "http://"+s.HTTPAddr())
	if code, me := b.login("amal", "her own pass phrase here"); code != 200 || me.MustChangePassword || me.CSRFToken == "" {
		t.Fatalf("login %d %+v", code, me)
	}
	b.header.Del(csrfHeader)
	if code, _ := b.do("POST", "/api/v1/alerts/a-ibgdefault-ninewa-baaj/dismiss", nil); code != http.StatusForbidden {
		t.Fatalf("dismiss without CSRF = %d", code)
	}
	b.header.Set(csrfHeader, "wrong")
	if code, _ := b.do("POST", "/api/v1/alerts/a-ibgdefault-ninewa-baaj/dismiss", nil); code != http.StatusForbidden {
		t.Fatalf("dismiss with a wrong CSRF token = %d", code)
	}
	b.header.Set(csrfHeader, b.csrf)
	if code, body := b.do("POST", "/api/v1/alerts/a-ibgdefault-ninewa-baaj/dismiss", nil); code != 200 {
		t.Fatalf("dismiss = %d %s", code, body)
	}
	if _, ok := s.live.Alert("a-ibgdefault-ninewa-baaj"); ok {
		t.Fatal("dismissed alert still in the live picture")
	}
	// The decision is in the log, and so in the store.
	waitFor(t, "the dismissal in the store", 10*time.Second, func() bool {
		r, err := s.Store().Record(context.Background(), "alert", "a-ibgdefault-ninewa-baaj")
		return err == nil && strings.Contains(string(r.Doc), `"state":"dismissed"`)
	})
	if code, _ := b.do("POST", "/api/v1/alerts/a-ibgdefault-anbar-qaim/dismiss", nil); code != http.StatusForbidden {
		t.Fatalf("dismiss outside the sector = %d", code)
	}
	if code, _ := b.do("GET", "/api/v1/tracks", nil); code != 200 {
		t.Fatal(code)
	}
	items := streamSnapshot(t, b.pclient)
	if len(items) == 0 {
		t.Fatal("empty stream")
	}
	es, _ := audit.Read(audit.PathIn(s.opts.DataDir), audit.Query{Limit: 1000})
	var got []string
	for _, e := range es {
		got = append(got, fmt.Sprintf("%s %s %s %s", e.Actor, e.Action, e.Object, e.Outcome))
	}
	for _, want := range []string{
		"amal sign_in  ok",
		"amal alert_dismiss alert:a-ibgdefault-ninewa-baaj ok",
		"amal alert_dismiss alert:a-ibgdefault-anbar-qaim denied",
		"amal view_protected tracks:t-informant ok",
		"amal view_protected track:t-informant ok",
	} {
		if !slices.Contains(got, want) {
			t.Errorf("audit lacks %q:\n%s", want, strings.Join(got, "\n"))
		}
	}
}

// TestHardening: request size limit, rate limit, security headers.
func TestHardening(t *testing.T) {
	s := startSecure(t, nil)
	base := "http://" + s.HTTPAddr()
	resp, err := http.Post(base+"/api/v1/login", "application/json", bytes.NewReader(bytes.Repeat([]byte("a"), 64<<10)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("oversized login = %d, want 400", resp.StatusCode)
	}
	for _, h := range []string{"X-Content-Type-Options", "X-Frame-Options", "Referrer-Policy", "Content-Security-Policy"} {
		if resp.Header.Get(h) == "" && h != "Content-Security-Policy" {
			t.Errorf("no %s", h)
		}
	}
	// Anonymous callers are limited per address: a burst, then 429.
	limited := false
	for range 400 {
		resp, err := http.Get(base + "/healthz")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusTooManyRequests {
			limited = resp.Header.Get("Retry-After") != ""
			break
		}
	}
	if !limited {
		t.Error("no rate limit on anonymous requests")
	}
}

func TestMetricsLabelsFilteredByPolicy(t *testing.T) {
	s := startSecure(t, nil)
	c := s.metrics.Counter("borderwatch_test_agency_total", "test", "agency")
	c.With("army").Inc()
	c.With("ibg").Inc()
	secret, _, err := sec(t, s).auth.CreateToken(auth.Spec{Name: "scraper", Agency: "ibg", Roles: []policy.Role{policy.RoleMonitor}}, "test")
	if err != nil {
		t.Fatal(err)
	}
	code, body := tokenAPI(t, s, secret).do("GET", "/metrics", nil)
	if code != 200 || !strings.Contains(string(body), `borderwatch_test_agency_total{agency="ibg"} 1`) || strings.Contains(string(body), `agency="army"`) {
		t.Fatalf("%d\n%s", code, body)
	}
}

func TestLabelValue(t *testing.T) {
	for _, c := range []struct{ line, name, want string }{
		{`m{agency="ibg",sector="x"} 1`, "agency", "ibg"},
		{`m{a="q\"uote",sector="x"} 1`, "sector", "x"},
		{`m{agency="ibg"} 1`, "sector", ""},
		{`m 1`, "agency", ""},
		{`m{broken 1`, "agency", ""},
	} {
		if got := labelValue([]byte(c.line), c.name); got != c.want {
			t.Errorf("labelValue(%q, %q) = %q, want %q", c.line, c.name, got, c.want)
		}
	}
}

// TestWebTLS serves the guarded handler over TLS with the certificate the
// node's CA generates when none is given: a client trusting ca.pem
// connects, and session cookies are Secure.
func TestWebTLS(t *testing.T) {
	s := startSecure(t, func(o *Options) { o.WebTLS = "auto" })
	if !strings.HasPrefix(s.URL(), "https://") {
		t.Fatalf("URL %s, want https", s.URL())
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(sec(t, s).ca.CertPEM())
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	resp, err := c.Get("https://" + s.HTTPAddr() + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("healthz over TLS: %s", resp.Status)
	}
	// Plain HTTP to the TLS port is refused.
	resp, err = http.Get("http://" + s.HTTPAddr() + "/healthz")
	if err == nil {
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			t.Fatal("plain HTTP served on the TLS port")
		}
	}
}
