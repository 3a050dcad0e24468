package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/borderwatch/borderwatch"
	"github.com/borderwatch/borderwatch/internal/deployment"
	"github.com/borderwatch/borderwatch/internal/geo"
	"github.com/borderwatch/borderwatch/internal/live"
	"github.com/borderwatch/borderwatch/internal/server"
	"github.com/borderwatch/borderwatch/internal/servertest"
	"github.com/borderwatch/borderwatch/internal/web/webtest"
)

// startServer starts a whole node in-process on loopback port 0 with a
// temporary data directory and the embedded reference deployment.
func startServer(t *testing.T) *server.Server {
	t.Helper()
	return servertest.Start(t, nil)
}

// newOperator has the bootstrap administrator create a commander account
// (it may dispatch and replay) and returns its one-time password.
func newOperator(t *testing.T, s *server.Server, hc *http.Client, base, name string) string {
	t.Helper()
	adminPW := s.BootstrapPassword()
	if adminPW == "" {
		t.Fatal("no bootstrap administrator password")
	}
	admin := signIn(t, hc, base, "admin", adminPW, "night-shift-e2e-pass-7")
	var created struct {
		OneTime string `json:"one_time_password"`
	}
	must(t, json.Unmarshal(admin.do("POST", "/api/v1/users", map[string]any{"name": name, "agency": s.Deployment().Agencies[0].ID,
		"roles": []string{"commander"}}, 201), &created))
	return created.OneTime
}

// browserSignIn signs in on the sign-in page the map sent the browser to:
// the one-time password, then the user's own (screenshot of that form to
// shot, if set); it returns once the map is ready.
func browserSignIn(ctx context.Context, p *webtest.Page, user, oneTime, own, shot string) {
	p.T.Helper()
	p.WaitFor(ctx, "sent to sign in", `location.pathname === '/login.html' && document.querySelector('#login button[type=submit]').textContent.length > 0`)
	p.MustEval(ctx, `(document.querySelector('[name=username]').value = `+strconv.Quote(user)+`, document.querySelector('[name=password]').value = `+strconv.Quote(oneTime)+
		`, document.querySelector('#login button[type=submit]').click(), true)`, nil)
	p.WaitFor(ctx, "asked for a new password", `!document.getElementById('change').hidden`)
	p.MustEval(ctx, `(document.querySelector('[name=new]').value = `+strconv.Quote(own)+`, document.querySelector('[name=repeat]').value = `+strconv.Quote(own)+`, true)`, nil)
	if shot != "" {
		p.Screenshot(ctx, shot)
	}
	p.MustEval(ctx, `(document.querySelector('#change button[type=submit]').click(), true)`, nil)
	p.WaitFor(ctx, "the map", `location.pathname === '/' && window.bw && window.bw.ready`)
}

// trust returns an HTTP client that trusts the node's CA (the web UI is
// HTTPS by default, with a certificate from the node's own CA) and the
// browser flag that trusts the node's key: the base64 SHA-256 of the
// served certificate's public key, for --ignore-certificate-errors-spki-list.
func trust(t *testing.T, s *server.Server) (*http.Client, string) {
	t.Helper()
	ca, err := s.CA()
	must(t, err)
	cfg := &tls.Config{RootCAs: ca.Pool(), ServerName: "127.0.0.1"}
	conn, err := tls.Dial("tcp", s.HTTPAddr(), cfg)
	if err != nil {
		t.Fatalf("TLS to the node with its CA: %v", err)
	}
	leaf := conn.ConnectionState().PeerCertificates[0]
	conn.Close()
	spki := sha256.Sum256(leaf.RawSubjectPublicKeyInfo)
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: cfg}},
		"--ignore-certificate-errors-spki-list=" + base64.StdEncoding.EncodeToString(spki[:])
}

// client is a signed-in API session (cookie and CSRF token), as a browser
// has after the sign-in page.
type client struct {
	t    *testing.T
	base string
	hc   *http.Client
	csrf string
}

func (c *client) do(method, path string, body any, want int) []byte {
	c.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, c.base+path, rd)
	req.Header.Set("Content-Type", "application/json")
	if c.csrf != "" {
		req.Header.Set("X-CSRF-Token", c.csrf)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		c.t.Fatalf("%s %s: %d %s, want %d", method, path, resp.StatusCode, data, want)
	}
	return data
}

// signIn signs in with a password over the API; a one-time password is
// changed to newPassword first, as the sign-in page does.
func signIn(t *testing.T, hc *http.Client, base, user, password, newPassword string) *client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &client{t: t, base: base, hc: &http.Client{Jar: jar, Timeout: hc.Timeout, Transport: hc.Transport}}
	var me struct {
		CSRF       string `json:"csrf_token"`
		MustChange bool   `json:"must_change_password"`
	}
	must(t, json.Unmarshal(c.do("POST", "/api/v1/login", map[string]string{"username": user, "password": password}, 200), &me))
	c.csrf = me.CSRF
	if me.MustChange {
		c.do("POST", "/api/v1/password", map[string]string{"old": password, "new": newPassword}, 200)
	}
	return c
}

// crossing returns positions of a vehicle driving across the border at
// chainage km from the Syrian side to the Iraqi side, one a second (as
// internal/server's tests do).
func crossing(line *geo.Line, km float64, start time.Time, n int) []borderwatch.Observation {
	var obs []borderwatch.Observation
	for i := range n {
		p := deployment.StationPoint(line, km, 600-15*float64(i))
		obs = append(obs, borderwatch.Observation{
			Time:     start.Add(time.Duration(i) * time.Second),
			Source:   borderwatch.Source{ID: "ext-radar-1", Kind: borderwatch.SourceRadar},
			Position: &p, Cov: borderwatch.Isotropic(10), Class: borderwatch.ClassVehicle, Confidence: 0.9,
		})
	}
	return obs
}

func postObservations(t *testing.T, hc *http.Client, base string, s *server.Server, obs []borderwatch.Observation) {
	t.Helper()
	body, _ := json.Marshal(obs)
	req, _ := http.NewRequest(http.MethodPost, base+"/api/v1/observations", bytes.NewReader(body))
	tok, _ := s.APIToken()
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("POST observations: %d %s", resp.StatusCode, b)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestOperatorWorkflow drives the whole node through its UI in headless
// chromium: an operator signs in on the real sign-in page (one-time
// password, then their own); the map loads with the border; a vehicle
// crossing posted as observations raises a critical alert that reaches
// the queue and the map; the operator opens its incident from the
// keyboard, dispatches the recommended QRF (listed with its ETA), walks
// the SOP checklist (answers and a skip with a reason) and records the
// outcome; the incident board, the dashboard (English, Arabic at night)
// and a tablet are screenshot; replay shows the crossing's track. No
// request may leave the node and the page may log no errors.
func TestOperatorWorkflow(t *testing.T) {
	bin := webtest.NeedChromium(t)
	ctx, cancel := context.WithTimeout(t.Context(), 120*time.Second)
	defer cancel()
	dir := webtest.Artefacts(t)

	s := startServer(t)
	base := "https://" + s.HTTPAddr()
	hc, trustFlag := trust(t, s)
	oneTime := newOperator(t, s, hc, base, "op1")

	line, err := geo.NewLine(s.Deployment().Border.Line)
	must(t, err)

	b := webtest.LaunchWith(t, bin, trustFlag)
	p := b.OpenPage(ctx, t, s.HTTPAddr(), 1366, 768)
	p.Navigate(ctx, base+"/")

	t.Run("sign in with a one-time password, then one's own", func(t *testing.T) {
		p.T = t
		browserSignIn(ctx, p, "op1", oneTime, "border-watch-pass-9", filepath.Join(dir, "e2e-password-change.png"))
	})

	t.Run("the map loads with the border drawn", func(t *testing.T) {
		p.T = t
		p.WaitFor(ctx, "border path", `document.querySelector('path.bw-border') && document.querySelector('path.bw-border').getAttribute('d').length > 100`)
		p.WaitFor(ctx, "stream live", "window.bw.conn === 'live'")
		var perms []string
		p.MustEval(ctx, "window.bw.who.permissions", &perms)
		if !strings.Contains(strings.Join(perms, ","), "dispatch") {
			t.Fatalf("operator permissions %v, want dispatch", perms)
		}
	})

	start := time.Now().Add(-70 * time.Second).Truncate(time.Second)
	var alert borderwatch.Alert
	t.Run("a simulated crossing raises an alert in the queue and on the map", func(t *testing.T) {
		p.T = t
		postObservations(t, hc, base, s, crossing(line, 200, start, 70))
		deadline := time.Now().Add(20 * time.Second)
		for alert.ID == "" {
			for _, a := range s.Live().Alerts(live.Filter{}) {
				if a.Kind == borderwatch.AlertCrossing {
					alert = a
				}
			}
			if time.Now().After(deadline) {
				t.Fatal("no crossing alert within 20 s")
			}
			time.Sleep(50 * time.Millisecond) // polling the server's state, not asserting on time
		}
		p.WaitFor(ctx, "alert in queue", fmt.Sprintf(`document.querySelector('#alert-list li[data-id=%q]')`, alert.ID))
		p.WaitFor(ctx, "alert ring on the map", "window.bw.alertMarkers >= 1")
		p.WaitFor(ctx, "the crossing's track on the map", "window.bw.stores.tracks.size >= 1")
	})

	var incID string
	t.Run("open the incident from the keyboard; the map flies to it", func(t *testing.T) {
		p.T = t
		p.Key(ctx, "j")
		p.WaitFor(ctx, "alert selected", fmt.Sprintf(`document.querySelector('#alert-list li.selected[data-id=%q]')`, alert.ID))
		p.Key(ctx, "i")
		p.WaitFor(ctx, "incident panel", `document.getElementById('details').dataset.kind === 'incident'`)
		p.MustEval(ctx, "window.bw.incidents.focused()", &incID)
		p.WaitFor(ctx, "map at the incident", fmt.Sprintf(`window.bw.map.getZoom() >= 11 && window.bw.map.getBounds().contains([%f, %f])`, alert.Position.Lat, alert.Position.Lon))
		p.WaitFor(ctx, "incident on the board and the map", fmt.Sprintf(`document.querySelector('#incident-list li[data-id=%q]') && window.bw.incidents.markers >= 1`, incID))
		var state string
		p.MustEval(ctx, fmt.Sprintf(`window.bw.incidents.incidents.get(%q).state`, incID), &state)
		if state == "new" {
			p.Key(ctx, "a")
			p.WaitFor(ctx, "acknowledged", fmt.Sprintf(`window.bw.incidents.incidents.get(%q).state === 'acknowledged'`, incID))
		}
	})

	t.Run("dispatch the recommended QRF with its ETA", func(t *testing.T) {
		p.T = t
		p.Key(ctx, "d")
		p.WaitFor(ctx, "recommendation", `window.bw.incidents.recommendation && document.querySelector('.dispatch li[data-unit]')`)
		var rec struct {
			Units []struct {
				UnitID    string  `json:"unit_id"`
				Kind      string  `json:"kind"`
				ETA       float64 `json:"eta_s"`
				Available bool    `json:"available"`
			} `json:"units"`
		}
		p.MustEval(ctx, "window.bw.incidents.recommendation", &rec)
		qrf := -1
		for i, u := range rec.Units {
			if u.Kind == "qrf" && u.Available && u.ETA > 0 && qrf < 0 && i < 9 {
				qrf = i
			}
		}
		if qrf < 0 {
			t.Fatalf("recommendation lists no available QRF with an ETA in its first nine: %+v", rec.Units)
		}
		var text string
		p.MustEval(ctx, fmt.Sprintf(`document.querySelectorAll('.dispatch li[data-unit]')[%d].textContent`, qrf), &text)
		if !strings.Contains(text, "ETA") {
			t.Fatalf("dispatch row %q does not show the ETA", text)
		}
		p.Key(ctx, strconv.Itoa(qrf+1))
		p.WaitFor(ctx, "QRF chosen", fmt.Sprintf(`document.querySelectorAll('.dispatch li[data-unit]')[%d].classList.contains('selected')`, qrf))
		p.Screenshot(ctx, filepath.Join(dir, "e2e-dispatch.png"))
		p.Key(ctx, "Enter")
		p.WaitFor(ctx, "assigned", fmt.Sprintf(`(i => i.state !== 'new' && i.state !== 'acknowledged' && (i.units || []).includes(%q))(window.bw.incidents.incidents.get(%q))`, rec.Units[qrf].UnitID, incID))
	})

	t.Run("follow the SOP checklist: answer and skip with a reason", func(t *testing.T) {
		p.T = t
		cur := func() string {
			var s string
			p.MustEval(ctx, fmt.Sprintf(`window.bw.incidents.incidents.get(%q).checklist.current || ''`, incID), &s)
			return s
		}
		answer := func(key, from string) {
			p.Key(ctx, key)
			p.WaitFor(ctx, "step "+from+" answered", fmt.Sprintf(`(window.bw.incidents.incidents.get(%q).checklist.current || '') !== %q`, incID, from))
		}
		if c := cur(); c != "verify" {
			t.Fatalf("first step %q, want verify (crossing SOP)", c)
		}
		answer("1", "verify") // confirmed → armed
		answer("2", "armed")  // no → intercept
		answer("1", "intercept")
		if c := cur(); c != "partner" {
			t.Fatalf("step after intercept %q, want partner", c)
		}
		p.Key(ctx, "s")
		p.WaitFor(ctx, "reason field focused", `document.activeElement && document.activeElement.name === 'text'`)
		p.Type(ctx, "partner liaison line down")
		p.MustEval(ctx, `(document.getElementById('text-form').requestSubmit(), true)`, nil)
		p.WaitFor(ctx, "checklist complete", fmt.Sprintf(`!window.bw.incidents.incidents.get(%q).checklist.current`, incID))
		var skipped bool
		p.MustEval(ctx, fmt.Sprintf(`window.bw.incidents.incidents.get(%q).checklist.records.some(r => r.skipped && r.reason === 'partner liaison line down')`, incID), &skipped)
		if !skipped {
			t.Fatal("the skipped step and its reason are not in the checklist")
		}
		p.WaitFor(ctx, "incident board (opening an incident shows it)", `!document.getElementById('incident-board').hidden`)
		p.Key(ctx, "b")
		p.WaitFor(ctx, "alert queue", `!document.getElementById('alerts').hidden && document.getElementById('incident-board').hidden`)
		p.Key(ctx, "b")
		p.WaitFor(ctx, "incident board again", `!document.getElementById('incident-board').hidden`)
		p.Frames(ctx)
		p.Screenshot(ctx, filepath.Join(dir, "e2e-incident-board.png"))
	})

	t.Run("record the outcome", func(t *testing.T) {
		p.T = t
		p.Key(ctx, "o")
		p.WaitFor(ctx, "outcome form", `document.getElementById('resolve-form')`)
		p.Key(ctx, "1") // apprehended
		p.MustEval(ctx, `(f => { f.persons.value = '3'; const z = f.querySelector('.seizure');
			z.querySelector('[name=goods]').value = 'cigarettes'; z.querySelector('[name=quantity]').value = '40';
			z.querySelector('[name=unit]').value = 'cartons'; z.querySelector('[name=value_usd]').value = '2000'; return true; })(document.getElementById('resolve-form'))`, nil)
		p.Screenshot(ctx, filepath.Join(dir, "e2e-outcome-form.png"))
		p.Key(ctx, "Enter")
		p.WaitFor(ctx, "resolved", fmt.Sprintf(`window.bw.incidents.incidents.get(%q).state === 'resolved'`, incID))
		var o borderwatch.Outcome
		p.MustEval(ctx, fmt.Sprintf(`window.bw.incidents.incidents.get(%q).outcome`, incID), &o)
		if o.Kind != borderwatch.OutcomeApprehended || o.Persons != 3 || o.SeizureValueUSD() != 2000 {
			t.Fatalf("outcome %+v, want apprehended, 3 persons, $2000 seized", o)
		}
		// The server holds the same.
		op := signIn(t, hc, base, "op1", "border-watch-pass-9", "")
		var inc borderwatch.Incident
		must(t, json.Unmarshal(op.do("GET", "/api/v1/incidents/"+incID, nil, 200), &inc))
		if inc.State != borderwatch.IncidentResolved || inc.Outcome == nil || inc.Outcome.Persons != 3 {
			t.Fatalf("server incident %s state %s outcome %+v", inc.ID, inc.State, inc.Outcome)
		}
		p.Frames(ctx)
		p.Screenshot(ctx, filepath.Join(dir, "e2e-resolved.png"))
	})

	t.Run("open an incident from an alert the node did not open one for, close it as a false alarm", func(t *testing.T) {
		p.T = t
		// A vehicle heading for the line at km 320 without crossing: a
		// medium "approach" alert, below the node's automatic opening.
		var obs []borderwatch.Observation
		at := time.Now().Add(-60 * time.Second).Truncate(time.Second)
		for i := range 60 {
			pt := deployment.StationPoint(line, 320, 2500-10*float64(i))
			obs = append(obs, borderwatch.Observation{Time: at.Add(time.Duration(i) * time.Second),
				Source: borderwatch.Source{ID: "ext-radar-2", Kind: borderwatch.SourceRadar}, Position: &pt,
				Cov: borderwatch.Isotropic(10), Class: borderwatch.ClassVehicle, Confidence: 0.9})
		}
		postObservations(t, hc, base, s, obs)
		var approach borderwatch.Alert
		deadline := time.Now().Add(20 * time.Second)
		for approach.ID == "" {
			for _, a := range s.Live().Alerts(live.Filter{}) {
				if a.Kind == borderwatch.AlertApproach && a.Chainage > 315 && a.Chainage < 325 {
					approach = a
				}
			}
			if time.Now().After(deadline) {
				t.Fatal("no approach alert at km 320 within 20 s")
			}
			time.Sleep(50 * time.Millisecond) // polling the server's state
		}
		if approach.IncidentID != "" {
			t.Fatalf("approach alert %s already in incident %s", approach.ID, approach.IncidentID)
		}
		p.WaitFor(ctx, "approach alert in the queue", fmt.Sprintf(`document.querySelector('#alert-list li[data-id=%q]')`, approach.ID))
		p.MustEval(ctx, fmt.Sprintf(`(window.bw.selectAlert(%q), true)`, approach.ID), nil)
		p.Key(ctx, "i")
		p.WaitFor(ctx, "a new incident from the alert", fmt.Sprintf(`(id => id && id !== %q && (window.bw.incidents.incidents.get(id).alert_ids || []).includes(%q))(window.bw.incidents.focused())`, incID, approach.ID))
		var opened struct {
			ID    string `json:"id"`
			Actor string `json:"actor"`
		}
		p.MustEval(ctx, `(i => ({id: i.id, actor: i.timeline[0].actor}))(window.bw.incidents.incidents.get(window.bw.incidents.focused()))`, &opened)
		if opened.Actor != "op1" {
			t.Fatalf("incident %s opened by %q, want the operator op1", opened.ID, opened.Actor)
		}
		p.Key(ctx, "e")
		p.WaitFor(ctx, "note field", `document.activeElement && document.activeElement.name === 'text'`)
		p.Type(ctx, "camera 12 shows a shepherd's pickup")
		p.MustEval(ctx, `(document.getElementById('text-form').requestSubmit(), true)`, nil)
		p.WaitFor(ctx, "note on the timeline", fmt.Sprintf(`window.bw.incidents.incidents.get(%q).timeline.some(e => e.action === 'note')`, opened.ID))
		p.Key(ctx, "o")
		p.WaitFor(ctx, "outcome form", `document.getElementById('resolve-form')`)
		p.Key(ctx, "3") // false alarm
		p.Key(ctx, "Enter")
		p.WaitFor(ctx, "closed as a false alarm", fmt.Sprintf(`(i => i.state === 'resolved' && i.outcome.kind === 'false_alarm')(window.bw.incidents.incidents.get(%q))`, opened.ID))
	})

	t.Run("dashboard in English, and in Arabic at night", func(t *testing.T) {
		p.T = t
		p.Key(ctx, "g")
		p.WaitFor(ctx, "charts", `window.bw.dashboard.loads >= 1 && window.bw.dashboard.charts >= 5`)
		var holes, sectors int
		p.MustEval(ctx, `document.querySelectorAll('#dashboard svg.chart').length`, &holes)
		p.MustEval(ctx, `window.bw.dashboard.st.data.sectors.length`, &sectors)
		if sectors == 0 {
			t.Fatal("dashboard has no sectors")
		}
		p.Frames(ctx)
		p.Screenshot(ctx, filepath.Join(dir, "e2e-dashboard.png"))
		p.Key(ctx, "l")
		p.Key(ctx, "n")
		p.WaitFor(ctx, "Arabic night", `document.documentElement.dir === 'rtl' && document.documentElement.dataset.theme === 'night' && document.querySelector('#dashboard h3').textContent === 'لوحة المؤشرات'`)
		p.Frames(ctx)
		p.Screenshot(ctx, filepath.Join(dir, "e2e-dashboard-ar-night.png"))
		p.Key(ctx, "Escape")
		p.WaitFor(ctx, "dashboard closed", `document.getElementById('dashboard').hidden`)
		p.MustEval(ctx, fmt.Sprintf(`(window.bw.incidents.focus(%q, false), true)`, incID), nil)
		p.Frames(ctx)
		p.Screenshot(ctx, filepath.Join(dir, "e2e-incident-ar-night.png"))
		p.Key(ctx, "l")
		p.Key(ctx, "n")
	})

	t.Run("tablet", func(t *testing.T) {
		p.T = t
		p.SetViewport(ctx, 800, 1280, true)
		p.MustEval(ctx, "window.bw.map.invalidateSize(), true", nil)
		p.Frames(ctx)
		var fits bool
		p.MustEval(ctx, `document.documentElement.scrollWidth <= 800`, &fits)
		if !fits {
			t.Fatal("tablet: the page is wider than the screen")
		}
		p.Screenshot(ctx, filepath.Join(dir, "e2e-tablet.png"))
		p.SetViewport(ctx, 1366, 768, false)
		p.MustEval(ctx, "window.bw.map.invalidateSize(), true", nil)
	})

	t.Run("replay shows the crossing's track", func(t *testing.T) {
		p.T = t
		deadline := time.Now().Add(20 * time.Second)
		for {
			ts, err := s.Store().Tracks(context.Background(), start, start.Add(2*time.Minute), 0)
			if err == nil && len(ts) >= 30 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("track states not in the store within 20 s (%d, %v)", len(ts), err)
			}
			time.Sleep(50 * time.Millisecond) // polling the store
		}
		p.MustEval(ctx, fmt.Sprintf(`(window.bw.replay.enter(%d, %d), true)`, start.Add(-10*time.Second).UnixMilli(), start.Add(90*time.Second).UnixMilli()), nil)
		p.WaitFor(ctx, "replay mode", `document.body.classList.contains('replaying') && window.bw.replay.active()`)
		p.WaitFor(ctx, "the track with its trail", `window.bw.replay.stores.tracks.size >= 1 && [...window.bw.replay.stores.tracks.items.values()].some(o => o.n >= 3) && window.bw.live.stores === window.bw.replay.stores`)
		p.Key(ctx, " ") // play
		var at0 float64
		p.MustEval(ctx, "window.bw.replay.cur", &at0)
		p.WaitFor(ctx, "replay playing", fmt.Sprintf(`window.bw.replay.cur > %f + 3000`, at0))
		p.WaitFor(ctx, "the alert of that time in the queue", fmt.Sprintf(`document.querySelector('#alert-list li[data-id=%q]') || window.bw.replay.cur < %d`, alert.ID, alert.Time.UnixMilli()))
		var tr struct{ Lat, Lon float64 }
		p.MustEval(ctx, `(o => ({lat: o.data.position.lat, lon: o.data.position.lon}))([...window.bw.replay.stores.tracks.items.values()][0])`, &tr)
		p.MustEval(ctx, fmt.Sprintf(`(window.bw.map.setView([%f, %f], 13, {animate: false}), true)`, tr.Lat, tr.Lon), nil)
		p.Frames(ctx)
		p.Screenshot(ctx, filepath.Join(dir, "e2e-replay.png"))
		p.Key(ctx, "Escape")
		p.WaitFor(ctx, "back to live", `!document.body.classList.contains('replaying') && window.bw.live.stores === window.bw.stores`)
	})

	t.Run("no request left the node and no page errors", func(t *testing.T) {
		p.T = t
		outside, total := p.OutsideRequests()
		if len(outside) > 0 {
			t.Fatalf("%d of %d requests left the node: %v", len(outside), total, outside)
		}
		if total < 20 {
			t.Fatalf("only %d requests intercepted: interception is not working", total)
		}
		for _, l := range p.ConsoleLines() {
			if !strings.Contains(l, "/api/v1/me") { // the 401 that led to the sign-in page
				t.Errorf("page error: %s", l)
			}
		}
	})
}
