package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/borderwatch/borderwatch"
	"github.com/borderwatch/borderwatch/internal/deployment"
	"github.com/borderwatch/borderwatch/internal/geo"
	"github.com/borderwatch/borderwatch/internal/live"
)

// startServer starts a node in-process on loopback port 0 with a
// temporary data directory and the embedded reference deployment.
func startServer(t *testing.T, mod func(*Options)) *Server {
	t.Helper()
	o := Defaults()
	o.DataDir = t.TempDir()
	for _, a := range []*string{&o.HTTPAddr, &o.CoTTCPAddr, &o.CoTUDPAddr, &o.MAVLinkAddr, &o.MQTTAddr} {
		*a = "127.0.0.1:0"
	}
	o.CoTTLSAddr = ""
	o.WebTLS = "off"
	if mod != nil {
		mod(&o)
	}
	s, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := s.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	<-s.Ready()
	return s
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestStartServesHealthMetricsAndRefusesAnonymousAPI(t *testing.T) {
	s := startServer(t, nil)
	base := "http://" + s.HTTPAddr()
	for path, want := range map[string]int{"/healthz": 200, "/metrics": 401, "/api/v1/openapi.json": 200, "/api/v1/tracks": 401} {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("GET %s = %d, want %d", path, resp.StatusCode, want)
		}
	}
	tok, file := s.APIToken()
	if tok == "" {
		t.Fatal("no API token generated")
	}
	if fi, err := os.Stat(file); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("token file %s: %v %v, want mode 0600", file, fi.Mode(), err)
	}
}

// crossing returns positions of a vehicle driving across the border at
// chainage km from the Syrian side (right) to the Iraqi side, one a second.
func crossing(t *testing.T, s *Server, km float64, start time.Time, n int) []borderwatch.Observation {
	t.Helper()
	return crossingAt(s.folder.Line, km, start, n)
}

func crossingAt(line *geo.Line, km float64, start time.Time, n int) []borderwatch.Observation {
	var obs []borderwatch.Observation
	for i := range n {
		off := 600 - 15*float64(i) // 15 m/s toward and past the line
		p := deployment.StationPoint(line, km, off)
		obs = append(obs, borderwatch.Observation{
			Time:     start.Add(time.Duration(i) * time.Second),
			Source:   borderwatch.Source{ID: "ext-radar-1", Kind: borderwatch.SourceRadar},
			Position: &p, Cov: borderwatch.Isotropic(10), Class: borderwatch.ClassVehicle, Confidence: 0.9,
		})
	}
	return obs
}

func postObservations(t *testing.T, s *Server, obs []borderwatch.Observation) {
	t.Helper()
	body, _ := json.Marshal(obs)
	req, _ := http.NewRequest(http.MethodPost, "http://"+s.HTTPAddr()+"/api/v1/observations", bytes.NewReader(body))
	tok, _ := s.APIToken()
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		var b bytes.Buffer
		b.ReadFrom(resp.Body)
		t.Fatalf("POST observations: %d %s", resp.StatusCode, b.String())
	}
}

func TestCrossingOverHTTPRaisesOneCriticalAlertAtTheRightChainage(t *testing.T) {
	s := startServer(t, nil)
	start := time.Now().Add(-70 * time.Second).Truncate(time.Second)
	postObservations(t, s, crossing(t, s, 200, start, 70))

	var got []borderwatch.Alert
	waitFor(t, "a crossing alert", 15*time.Second, func() bool {
		got = got[:0]
		for _, a := range s.Live().Alerts(live.Filter{}) {
			if a.Kind == borderwatch.AlertCrossing {
				got = append(got, a)
			}
		}
		return len(got) > 0
	})
	if len(got) != 1 {
		t.Fatalf("%d crossing alerts, want 1: %+v", len(got), got)
	}
	a := got[0]
	if a.Severity != borderwatch.SeverityCritical {
		t.Errorf("severity %s, want critical", a.Severity)
	}
	if d := a.Chainage - 200; d < -0.5 || d > 0.5 {
		t.Errorf("chainage %.2f km, want 200 ± 0.5", a.Chainage)
	}
	if a.Sector != "ninewa-baaj" {
		t.Errorf("sector %q, want ninewa-baaj", a.Sector)
	}
	if !strings.Contains(a.Direction, "iraq") {
		t.Errorf("direction %q, want into Iraq", a.Direction)
	}
	// The alert reaches the store through the log.
	waitFor(t, "the alert in the store", 10*time.Second, func() bool {
		r, err := s.Store().Record(context.Background(), "alert", a.ID)
		return err == nil && r.ID == a.ID
	})
}

func TestFriendlyPatrolOverCoTCrossesWithoutAlert(t *testing.T) {
	s := startServer(t, nil)
	conn, err := net.Dial("tcp", s.CoTTCPAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	start := time.Now().Add(-60 * time.Second).UTC()
	var buf bytes.Buffer
	for i := range 60 {
		p := deployment.StationPoint(s.folder.Line, 230, 60-2*float64(i)) // walking 2 m/s across
		at := start.Add(time.Duration(i) * time.Second)
		fmt.Fprintf(&buf, `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><event version="2.0" uid="ANDROID-patrol-7" type="a-f-G-U-C" how="m-g" time="%s" start="%s" stale="%s"><point lat="%.7f" lon="%.7f" hae="300" ce="5" le="9999999.0"/><detail><contact callsign="BAAJ-7"/><__group name="Cyan" role="Team Member"/></detail></event>`,
			at.Format(time.RFC3339Nano), at.Format(time.RFC3339Nano), time.Now().Add(time.Minute).UTC().Format(time.RFC3339Nano), p.Lat, p.Lon)
	}
	if _, err := conn.Write(buf.Bytes()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the patrol in the live picture", 10*time.Second, func() bool {
		return len(s.Live().Units(live.Filter{})) > 0
	})
	// Let the core process everything that was logged, then check.
	waitFor(t, "all 60 reports logged", 10*time.Second, func() bool {
		return strings.Contains(metricsText(s), `borderwatch_observations_accepted_total{protocol="cot"} 60`)
	})
	waitFor(t, "the core to apply the last report", 10*time.Second, func() bool {
		us := s.Live().Units(live.Filter{})
		return len(us) == 1 && us[0].Time.Equal(start.Add(59*time.Second))
	})
	for _, a := range s.Live().Alerts(live.Filter{}) {
		t.Errorf("alert for a friendly patrol: %+v", a)
	}
}

func TestCameraDetectionOverMQTTBecomesATrack(t *testing.T) {
	if _, err := exec.LookPath("mosquitto_pub"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("mosquitto_pub missing (apt-get install mosquitto-clients)")
		}
		t.Skip("mosquitto_pub missing")
	}
	s := startServer(t, nil)
	cam := s.Deployment().Sensors[0]
	user, pwFile := s.MQTTCredentials()
	pw, err := os.ReadFile(pwFile)
	if err != nil {
		t.Fatal(err)
	}
	host, port, _ := net.SplitHostPort(s.MQTTAddr())
	target := deployment.StationPoint(s.folder.Line, cam.Chainage, 300)
	start := time.Now().Add(-20 * time.Second).UTC()
	for i := range 12 {
		msg := fmt.Sprintf(`{"schema":"c2.detection/v1","source":{"id":%q},"time":%q,"class":"person","confidence":0.9,"position":{"lat":%.7f,"lon":%.7f,"ce95_m":20}}`,
			cam.ID, start.Add(time.Duration(i)*time.Second).Format(time.RFC3339Nano), target.Lat+float64(i)*1e-5, target.Lon)
		out, err := exec.Command("mosquitto_pub", "-h", host, "-p", port, "-u", user, "-P", strings.TrimSpace(string(pw)),
			"-q", "1", "-t", "borderwatch/cameras/"+cam.ID+"/detections", "-m", msg).CombinedOutput()
		if err != nil {
			t.Fatalf("mosquitto_pub: %v\n%s", err, out)
		}
	}
	waitFor(t, "a track from the camera", 15*time.Second, func() bool {
		for _, tr := range s.Live().Tracks(live.Filter{}) {
			for _, src := range tr.Sources {
				if src == cam.ID {
					return true
				}
			}
		}
		return false
	})
}

func metricsText(s *Server) string {
	var b strings.Builder
	s.Metrics().WriteTo(&b)
	return b.String()
}

func TestReplayAndExportOfACrossing(t *testing.T) {
	s := startServer(t, nil)
	start := time.Now().Add(-70 * time.Second).Truncate(time.Second)
	postObservations(t, s, crossing(t, s, 250, start, 70))
	waitFor(t, "the crossing's track states in the store", 15*time.Second, func() bool {
		ts, err := s.Store().Tracks(context.Background(), start, start.Add(2*time.Minute), 0)
		return err == nil && len(ts) >= 60
	})
	tok := commanderToken(t, s)
	get := func(path string) (status int, body string) {
		req, _ := http.NewRequest(http.MethodGet, "http://"+s.HTTPAddr()+path, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var b bytes.Buffer
		b.ReadFrom(resp.Body)
		return resp.StatusCode, b.String()
	}
	from, to := start.Add(-time.Second).UTC().Format(time.RFC3339), start.Add(80*time.Second).UTC().Format(time.RFC3339)
	status, body := get("/api/v1/replay?speed=0&from=" + from + "&to=" + to)
	if status != 200 || !strings.Contains(body, "event: frame") || !strings.HasSuffix(strings.TrimSpace(body), "data: {}") {
		t.Fatalf("replay: %d\n%.500s", status, body)
	}
	if n := strings.Count(body, `"id":"ninewa-baaj-`); n < 60 {
		t.Errorf("replay carried %d track states, want >= 60", n)
	}
	status, body = get("/api/v1/export?kind=tracks&format=geojson&from=" + from + "&to=" + to)
	if status != 200 || !strings.Contains(body, `"LineString"`) {
		t.Fatalf("export: %d %.300s", status, body)
	}
	if status, _ = get("/api/v1/export?kind=tracks&format=shp&from=" + from + "&to=" + to); status != 400 {
		t.Fatalf("unknown format: %d, want 400", status)
	}
	req, _ := http.NewRequest(http.MethodGet, "http://"+s.HTTPAddr()+"/api/v1/export?kind=tracks&format=csv&from="+from+"&to="+to, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Fatalf("anonymous export: %s, want 401", resp.Status)
	}
}
