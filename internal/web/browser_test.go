package web

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/borderwatch/borderwatch"
	"github.com/borderwatch/borderwatch/internal/live"
)

// serveUI starts the real handler on 127.0.0.1:0 with the test deployment.
func serveUI(t *testing.T, pic *live.Picture) string {
	t.Helper()
	h, err := New(Options{Live: pic, Deployment: testDeployment(t), StreamMaxHz: 10})
	if err != nil {
		t.Fatal(err)
	}
	return serveHandler(t, h)
}

// serveHandler serves h on 127.0.0.1:0 until the test ends.
func serveHandler(t *testing.T, h http.Handler) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	done := make(chan struct{})
	go func() { defer close(done); srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		srv.Shutdown(ctx) // open streams end with the browser
		srv.Close()
		<-done
	})
	return ln.Addr().String()
}

// TestBrowserCOP drives the real UI in headless Chromium: the map loads with
// the border, live tracks, units and drones appear, a critical crossing alert
// reaches the queue and the operator acknowledges it from the keyboard; the
// same page in Arabic (right-to-left) and at night; a tablet. No request may
// leave the test server, and the page may log no errors or CSP violations.
func TestBrowserCOP(t *testing.T) {
	bin := needChromium(t)
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	dir := artefacts(t)

	pic := newTestPicture()
	must(t, pic.PutTracks(movingTracks(300, 0)...))
	contact := movingTracks(1, 0)[0]
	contact.ID, contact.Affiliation = "T-contact", borderwatch.AffSuspect
	contact.Position = borderwatch.LatLon{Lat: 34.52, Lon: 41.12}
	contact.Velocity = borderwatch.Velocity{East: -1.2, North: 0.3}
	contact.Contact = &borderwatch.BorderContact{Chainage: 322.1, Point: borderwatch.LatLon{Lat: 34.53, Lon: 41.05}, Time: t0.Add(20 * time.Minute)}
	must(t, pic.PutTracks(contact))
	ibg := borderwatch.Label{Owner: "ibg"}
	must(t, pic.PutUnits(
		live.Unit{ID: "ptl-7", Name: "Patrol 7", Type: "patrol", Position: borderwatch.LatLon{Lat: 34.45, Lon: 41.2}, Status: "available", Time: t0, Label: ibg},
		live.Unit{ID: "qrf-2", Name: "QRF 2", Type: "qrf", Position: borderwatch.LatLon{Lat: 34.37, Lon: 41.1}, Status: "available", Time: t0, Label: ibg},
	))
	must(t, pic.PutDrones(live.Drone{ID: "uav-3", Name: "UAV 3", Position: borderwatch.LatLon{Lat: 34.6, Lon: 41.0}, Battery: 0.64, Link: live.LinkOK, Mode: "loiter", Time: t0, Label: ibg}))
	must(t, pic.PutSensors(live.SensorStatus{ID: "radar-1", Health: live.HealthDark, Time: t0, Label: ibg}))

	addr := serveUI(t, pic)
	b := launch(t, bin)
	p := b.OpenPage(ctx, t, addr, 1366, 768)
	p.Navigate(ctx, "http://"+addr+"/")

	t.Run("map loads with the border drawn", func(t *testing.T) {
		p.T = t
		p.WaitFor(ctx, "UI ready", "window.bw && window.bw.ready")
		p.WaitFor(ctx, "border path", `document.querySelector('path.bw-border') && document.querySelector('path.bw-border').getAttribute('d').length > 100`)
		var km float64
		p.MustEval(ctx, "window.bw.border.km", &km)
		if km < 598.5 || km > 599.3 {
			t.Fatalf("border length in the UI %.2f km, want ≈598.9", km)
		}
		p.WaitFor(ctx, "km posts", `document.querySelectorAll('.bw-km').length >= 12`)
		p.WaitFor(ctx, "relief image", `[...document.querySelectorAll('img.bw-relief')].some(i => i.complete && i.naturalWidth === 700)`)
	})
	t.Run("live tracks, units and drones appear", func(t *testing.T) {
		p.T = t
		p.WaitFor(ctx, "stream live", "window.bw.conn === 'live'")
		p.WaitFor(ctx, "301 tracks", "window.bw.stores.tracks.size === 301 && window.bw.stores.units.size === 2 && window.bw.stores.drones.size === 1")
		p.WaitFor(ctx, "drawn", "window.bw.live.frames > 0")
		// a later move reaches the page
		moved := movingTracks(300, 5)
		must(t, pic.PutTracks(moved[:10]...))
		p.WaitFor(ctx, "moved track", fmt.Sprintf("Math.abs(window.bw.stores.tracks.items.get('T00003').data.position.lon - %v) < 1e-9", moved[3].Position.Lon))
	})
	t.Run("an alert appears in the queue and is acknowledged", func(t *testing.T) {
		p.T = t
		must(t, pic.PutAlerts(
			borderwatch.Alert{ID: "al-1", Kind: borderwatch.AlertCrossing, Severity: borderwatch.SeverityCritical, State: borderwatch.AlertOpen,
				Time: time.Now().Add(-95 * time.Second), Sector: "south", Position: borderwatch.LatLon{Lat: 34.52, Lon: 41.07}, Chainage: 322.4,
				Direction: "into_iraq", TrackIDs: []string{"T-contact"}, Message: "Group of 4 on foot crossed at km 322.4 into Iraq", Label: ibg},
			borderwatch.Alert{ID: "al-2", Kind: borderwatch.AlertSensorDark, Severity: borderwatch.SeverityMedium, State: borderwatch.AlertOpen,
				Time: time.Now().Add(-10 * time.Minute), Sector: "north", Position: borderwatch.LatLon{Lat: 34.9, Lon: 41.3}, Chainage: 280, Message: "radar-1 silent for 10 min", Label: ibg},
		))
		p.WaitFor(ctx, "alert in queue", `document.querySelector('#alert-list li[data-id="al-1"]')`)
		p.WaitFor(ctx, "alerts on the map", "window.bw.alertMarkers === 2")
		var order []string
		p.MustEval(ctx, "window.bw.alertIds", &order)
		if strings.Join(order, ",") != "al-1,al-2" {
			t.Fatalf("queue order %v, want critical first", order)
		}
		p.Key(ctx, "j") // select the first alert
		p.Key(ctx, "Enter")
		p.WaitFor(ctx, "alert selected", `document.querySelector('#alert-list li.selected[data-id="al-1"]')`)
		p.WaitFor(ctx, "map flew to the alert", `window.bw.map.getZoom() >= 11 && window.bw.map.getBounds().contains([34.52, 41.07])`)
		p.Screenshot(ctx, filepath.Join(dir, "cop-en-alert.png"))
		p.Key(ctx, "a")
		p.WaitFor(ctx, "acknowledged", `document.querySelector('#alert-list li.state-acknowledged[data-id="al-1"]')`)
		if a, _ := pic.Alert("al-1"); a.State != borderwatch.AlertAcknowledged {
			t.Fatalf("server state %s, want acknowledged", a.State)
		}
	})
	t.Run("overview in English", func(t *testing.T) {
		p.T = t
		p.MustEval(ctx, "window.bw.map.fitBounds([[33.2, 38.6], [37.2, 42.6]], {animate: false}), true", nil)
		p.WaitFor(ctx, "redrawn", "window.bw.live.frames > 2")
		p.MustEval(ctx, "new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))", nil)
		p.Screenshot(ctx, filepath.Join(dir, "cop-en.png"))
	})
	t.Run("Arabic right-to-left", func(t *testing.T) {
		p.T = t
		p.Key(ctx, "l")
		p.WaitFor(ctx, "rtl", `document.documentElement.dir === 'rtl' && document.querySelector('#alerts-h span').textContent === 'الإنذارات'`)
		var name string
		p.MustEval(ctx, `[...document.querySelectorAll('.bw-place')].map(e => e.textContent).find(s => s === 'الموصل') || ''`, &name)
		if name != "الموصل" {
			t.Fatalf("Mosul is not labelled in Arabic")
		}
		var sideLeft bool
		p.MustEval(ctx, `document.getElementById('side').getBoundingClientRect().left < document.getElementById('map').getBoundingClientRect().left`, &sideLeft)
		if !sideLeft {
			t.Fatalf("in RTL the alert panel should be on the left of the map")
		}
		p.MustEval(ctx, "new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))", nil)
		p.Screenshot(ctx, filepath.Join(dir, "cop-ar.png"))
	})
	t.Run("night theme", func(t *testing.T) {
		p.T = t
		p.Key(ctx, "n")
		p.WaitFor(ctx, "night", `document.documentElement.dataset.theme === 'night'`)
		p.MustEval(ctx, "new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))", nil)
		p.Screenshot(ctx, filepath.Join(dir, "cop-ar-night.png"))
		p.Key(ctx, "n")
		p.Key(ctx, "l")
	})
	t.Run("search finds border km and units", func(t *testing.T) {
		p.T = t
		var got []string
		p.MustEval(ctx, "window.bw.search('km 312.4')", &got)
		if len(got) == 0 || !strings.Contains(got[0], "312.4") {
			t.Fatalf("search km 312.4: %v", got)
		}
		p.MustEval(ctx, "window.bw.search('ptl-7')", &got)
		if len(got) == 0 || !strings.Contains(got[0], "Patrol 7") {
			t.Fatalf("search ptl-7: %v", got)
		}
	})
	t.Run("without the whole node the workflow parts say they are unavailable", func(t *testing.T) {
		p.T = t
		for _, c := range []struct{ key, want string }{
			{"i", "Incidents are not available on this server"},
			{"p", "Replay is not available on this server"},
			{"g", "The dashboard is not available on this server"},
		} {
			p.MustEval(ctx, "(document.getElementById('toast').hidden = true, true)", nil)
			p.Key(ctx, c.key)
			p.WaitFor(ctx, c.key+" answered", fmt.Sprintf(`!document.getElementById('toast').hidden && document.getElementById('toast').textContent === %q`, c.want))
		}
		var help string
		p.MustEval(ctx, "document.getElementById('help').textContent", &help)
		for _, want := range []string{"Record the outcome", "Skip checklist step", "Replay / back to live", "Dashboard"} {
			if !strings.Contains(help, want) {
				t.Errorf("keyboard help lacks %q", want)
			}
		}
	})
	t.Run("tablet", func(t *testing.T) {
		p.T = t
		if _, err := p.Call(ctx, "Emulation.setDeviceMetricsOverride", map[string]any{"width": 800, "height": 1280, "deviceScaleFactor": 1, "mobile": true}, true); err != nil {
			t.Fatal(err)
		}
		p.MustEval(ctx, "window.bw.map.invalidateSize(), window.bw.map.fitBounds([[33.2, 38.6], [37.2, 42.6]], {animate: false}), true", nil)
		p.MustEval(ctx, "new Promise(r => setTimeout(() => requestAnimationFrame(() => requestAnimationFrame(r)), 100))", nil)
		var fits bool
		p.MustEval(ctx, `document.documentElement.scrollWidth <= 800 && document.getElementById('side').getBoundingClientRect().top > document.getElementById('map').getBoundingClientRect().top`, &fits)
		if !fits {
			t.Fatalf("tablet layout: page wider than the screen or alert panel not below the map")
		}
		p.Screenshot(ctx, filepath.Join(dir, "cop-tablet.png"))
	})
	t.Run("no request left localhost and no page errors", func(t *testing.T) {
		p.T = t
		outside, total := p.OutsideRequests()
		if len(outside) > 0 {
			t.Fatalf("%d of %d requests left the test server: %v", len(outside), total, outside)
		}
		if total < 10 {
			t.Fatalf("only %d requests intercepted: interception is not working", total)
		}
		if c := p.ConsoleLines(); len(c) > 0 {
			t.Fatalf("page errors: %v", c)
		}
	})
}

// TestBrowserLogin checks the sign-in page: with no authentication on the
// server it offers the way to the map; with authentication, the map sends
// the browser to sign in, a wrong token is refused, the API token signs in
// (a session cookie) and the map and the live stream work with it.
func TestBrowserLogin(t *testing.T) {
	bin := needChromium(t)
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	dir := artefacts(t)
	b := launch(t, bin)

	t.Run("no authentication", func(t *testing.T) {
		addr := serveUI(t, newTestPicture())
		p := b.OpenPage(ctx, t, addr, 1366, 768)
		p.Navigate(ctx, "http://"+addr+"/login")
		p.WaitFor(ctx, "form", `document.querySelector('#login button[type=submit]') && document.querySelector('#login button[type=submit]').textContent.length > 0`)
		p.MustEval(ctx, `(document.querySelector('[name=username]').value = 'op1', document.querySelector('[name=password]').value = 'x', document.querySelector('#login button[type=submit]').click(), true)`, nil)
		p.WaitFor(ctx, "no-auth message", `document.querySelector('#login-msg a')`)
		if outside, _ := p.OutsideRequests(); len(outside) > 0 {
			t.Fatalf("requests left the test server: %v", outside)
		}
		for _, l := range p.ConsoleLines() {
			if !strings.Contains(l, "/api/v1/login") { // its 404 is the answer
				t.Fatalf("page error: %s", l)
			}
		}
	})
	t.Run("token sign-in", func(t *testing.T) {
		pic := newTestPicture()
		must(t, pic.PutTracks(movingTracks(20, 0)...))
		h, err := New(Options{Live: pic, Deployment: testDeployment(t), Authenticate: bearerAuth})
		must(t, err)
		addr := serveHandler(t, h)
		p := b.OpenPage(ctx, t, addr, 1366, 768)
		p.Navigate(ctx, "http://"+addr+"/")
		p.WaitFor(ctx, "sent to sign in", `location.pathname === '/login.html' && document.querySelector('#login button[type=submit]').textContent.length > 0`)
		submit := func(tok string) {
			p.MustEval(ctx, `(document.querySelector('[name=token]').value = `+strconvQuote(tok)+`, document.querySelector('#login button[type=submit]').click(), true)`, nil)
		}
		submit("forged")
		p.WaitFor(ctx, "refused", `document.getElementById('login-msg').textContent.length > 0`)
		p.Screenshot(ctx, filepath.Join(dir, "login.png"))
		submit("ibg-token")
		p.WaitFor(ctx, "map", `window.bw && window.bw.ready`)
		p.WaitFor(ctx, "stream with the cookie", `window.bw.conn === 'live' && window.bw.stores.tracks.size === 20`)
		if outside, _ := p.OutsideRequests(); len(outside) > 0 {
			t.Fatalf("requests left the test server: %v", outside)
		}
		for _, l := range p.ConsoleLines() {
			if !strings.Contains(l, "/api/v1/login") && !strings.Contains(l, "/api/v1/me") { // the 401s that led here
				t.Fatalf("page error: %s", l)
			}
		}
	})
}

func strconvQuote(s string) string { return strconv.Quote(s) }
