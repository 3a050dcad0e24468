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
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/borderwatch/borderwatch"
	"github.com/borderwatch/borderwatch/internal/deployment"
	"github.com/borderwatch/borderwatch/internal/geo"
	"github.com/borderwatch/borderwatch/internal/live"
)

// phone is a TAK phone on the CoT TCP listener: it sends its unit's
// self-reports and keeps everything the server sends it.
type phone struct {
	t    *testing.T
	unit string
	conn net.Conn
	mu   sync.Mutex
	got  bytes.Buffer
}

// dialPhone connects a phone over plain CoT TCP: it may report, and is
// released nothing (anonymous).
func dialPhone(t *testing.T, s *Server, unit string) *phone {
	t.Helper()
	c, err := net.Dial("tcp", s.CoTTCPAddr())
	if err != nil {
		t.Fatal(err)
	}
	return newPhone(t, unit, c)
}

// dialEnrolledPhone connects a phone over CoT mutual TLS with a device
// certificate of agency: it receives what the policy releases to it.
func dialEnrolledPhone(t *testing.T, s *Server, unit string, agency borderwatch.Agency) *phone {
	t.Helper()
	ca := sec(t, s).ca
	certPEM, keyPEM, _, err := ca.IssueDevice(unit, agency, 0)
	if err != nil {
		t.Fatal(err)
	}
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca.CertPEM())
	c, err := tls.Dial("tcp", s.CoTTLSAddr(), &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{pair}, ServerName: "127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	return newPhone(t, unit, c)
}

func newPhone(t *testing.T, unit string, c net.Conn) *phone {
	p := &phone{t: t, unit: unit, conn: c}
	go func() {
		buf := make([]byte, 32<<10)
		for {
			n, err := c.Read(buf)
			p.mu.Lock()
			p.got.Write(buf[:n])
			p.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	t.Cleanup(func() { c.Close() })
	return p
}

func (p *phone) report(pos borderwatch.LatLon, at time.Time) {
	p.t.Helper()
	stale := time.Now().Add(time.Minute).UTC().Format(time.RFC3339Nano)
	ts := at.UTC().Format(time.RFC3339Nano)
	msg := fmt.Sprintf(`<event version="2.0" uid="%s" type="a-f-G-U-C" how="m-g" time="%s" start="%s" stale="%s"><point lat="%.7f" lon="%.7f" hae="300" ce="5" le="9999999.0"/><detail><contact callsign="%s"/><__group name="Cyan" role="Team Member"/></detail></event>`,
		p.unit, ts, ts, stale, pos.Lat, pos.Lon, p.unit)
	if _, err := io.WriteString(p.conn, msg); err != nil {
		p.t.Fatal(err)
	}
}

func (p *phone) received() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.got.String()
}

// droneEmulator runs the node-mavlink vehicle (internal/mavlink's
// independent peer) against the server's MAVLink listener.
type droneEmulator struct {
	cmd *exec.Cmd
	mu  sync.Mutex
	out bytes.Buffer
}

func startDroneEmulator(t *testing.T, s *Server, at borderwatch.LatLon) *droneEmulator {
	t.Helper()
	dir, err := filepath.Abs(filepath.Join("..", "mavlink", "testdata", "emulator"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "node-mavlink")); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("node-mavlink is not installed in %s (scripts/test.sh runs npm ci there)", dir)
		}
		t.Skipf("node-mavlink is not installed in %s: run npm ci there", dir)
	}
	cmd := exec.Command("node", "vehicle.js", "--gcs", s.MAVLinkAddr(), "--lat", fmt.Sprint(at.Lat), "--lon", fmt.Sprint(at.Lon), "--speed", "100")
	cmd.Dir = dir
	e := &droneEmulator{cmd: cmd}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			e.mu.Lock()
			e.out.WriteString(sc.Text() + "\n")
			e.mu.Unlock()
		}
	}()
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	return e
}

func (e *droneEmulator) output() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.out.String()
}

// callAPI calls the HTTP API with the node's token.
func callAPI(t *testing.T, s *Server, method, path string, body, out any) int {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, "http://"+s.HTTPAddr()+path, rd)
	req.Header.Set("Authorization", "Bearer "+commanderToken(t, s))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode/100 == 2 {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %v\n%s", method, path, err, b)
		}
	}
	if resp.StatusCode/100 != 2 {
		t.Logf("%s %s: %d %s", method, path, resp.StatusCode, b)
	}
	return resp.StatusCode
}

// TestCrossingToQRFOnScene drives the response loop end to end through
// the real protocols: a patrol's TAK phone walking across the line (no
// alert), camera detections over MQTT of a vehicle crossing it (one
// critical alert at the right chainage within the latency bar), the
// incident it opens dispatched to the sector's QRF (its phone gets the CoT
// task) with the node-mavlink drone sent a go-to, arrival detected from
// the QRF's own reports, the outcome recorded.
func TestCrossingToQRFOnScene(t *testing.T) {
	if _, err := exec.LookPath("mosquitto_pub"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("mosquitto_pub missing")
		}
		t.Skip("mosquitto_pub missing")
	}
	s := startServer(t, func(o *Options) { o.CoTTLSAddr = "127.0.0.1:0" })
	line := s.folder.Line
	const km = 200.0
	scene := deployment.StationPoint(line, km, 0)

	// The drone waits 3 km from the scene; the QRF's phone reports at its base.
	drone := startDroneEmulator(t, s, geo.Direct(scene, 90, 3000))
	qrf := dialEnrolledPhone(t, s, "ibg-baaj-qrf", "ibg")
	qrfBase, _ := s.Deployment().Site("qrf-baaj")
	qrf.report(qrfBase.Position, time.Now())

	// A friendly patrol walks across the line 10 km further on.
	patrol := dialPhone(t, s, "ibg-baaj-patrol-1")
	start := time.Now().Add(-40 * time.Second)
	for i := range 40 {
		patrol.report(deployment.StationPoint(line, km+10, 40-2*float64(i)), start.Add(time.Duration(i)*time.Second))
	}

	// A camera near km 200 sees a vehicle drive from Syria into Iraq.
	cam := nearestCamera(s, km)
	user, pwFile := s.MQTTCredentials()
	pw, _ := os.ReadFile(pwFile)
	host, port, _ := net.SplitHostPort(s.MQTTAddr())
	for i := range 40 {
		p := deployment.StationPoint(line, km, 300-15*float64(i))
		msg := fmt.Sprintf(`{"schema":"c2.detection/v1","source":{"id":%q},"time":%q,"class":"vehicle","confidence":0.9,"position":{"lat":%.7f,"lon":%.7f,"ce95_m":20}}`,
			cam, start.Add(time.Duration(i)*time.Second).UTC().Format(time.RFC3339Nano), p.Lat, p.Lon)
		if out, err := exec.Command("mosquitto_pub", "-h", host, "-p", port, "-u", user, "-P", strings.TrimSpace(string(pw)),
			"-q", "1", "-t", "borderwatch/cameras/"+cam+"/detections", "-m", msg).CombinedOutput(); err != nil {
			t.Fatalf("mosquitto_pub: %v %s", err, out)
		}
	}

	var alert borderwatch.Alert
	waitFor(t, "the crossing alert", 20*time.Second, func() bool {
		for _, a := range s.Live().Alerts(live.Filter{}) {
			if a.Kind == borderwatch.AlertCrossing {
				alert = a
				return true
			}
		}
		return false
	})
	if alert.Severity != borderwatch.SeverityCritical || alert.Chainage < km-0.5 || alert.Chainage > km+0.5 {
		t.Fatalf("crossing alert %s at km %.2f, want critical at km %.0f ± 0.5", alert.Severity, alert.Chainage, km)
	}
	for _, a := range s.Live().Alerts(live.Filter{}) {
		if a.Kind == borderwatch.AlertCrossing && a.ID != alert.ID {
			t.Errorf("a second crossing alert (the patrol's?): %+v", a)
		}
	}
	if p99 := alertLatencyP99(t, s); p99 > 0.050 {
		t.Errorf("observation to alert p99 %.1f ms, want <= 50 ms", p99*1000)
	}

	// The critical alert opened an incident.
	var inc borderwatch.Incident
	waitFor(t, "the incident", 10*time.Second, func() bool {
		var list []borderwatch.Incident
		callAPI(t, s, "GET", "/api/v1/incidents?open=true", nil, &list)
		for _, in := range list {
			for _, id := range in.AlertIDs {
				if id == alert.ID {
					inc = in
					return true
				}
			}
		}
		return false
	})

	// The recommendation puts the sector's QRF first among QRFs, with an ETA.
	var rec Recommendation
	if code := callAPI(t, s, "GET", "/api/v1/incidents/"+inc.ID+"/recommendation", nil, &rec); code != 200 {
		t.Fatalf("recommendation: %d", code)
	}
	var firstQRF *UnitETA
	for i := range rec.Units {
		if rec.Units[i].Kind == borderwatch.UnitQRF && rec.Units[i].Available {
			firstQRF = &rec.Units[i]
			break
		}
	}
	if firstQRF == nil || firstQRF.UnitID != "ibg-baaj-qrf" || firstQRF.ETA <= 0 {
		t.Fatalf("first QRF %+v, want ibg-baaj-qrf with an ETA", firstQRF)
	}
	waitFor(t, "the drone online", 10*time.Second, func() bool { return len(s.mav.Drones()) > 0 })
	droneID := s.mav.Drones()[0].UnitID
	if code := callAPI(t, s, "POST", "/api/v1/incidents/"+inc.ID+"/dispatch", map[string]string{"unit_id": "ibg-baaj-qrf", "drone_id": droneID}, &inc); code != 200 {
		t.Fatalf("dispatch: %d", code)
	}
	if inc.State != borderwatch.IncidentAssigned {
		t.Fatalf("state after dispatch %s, want assigned", inc.State)
	}
	waitFor(t, "the CoT task on the QRF's phone", 10*time.Second, func() bool {
		return strings.Contains(qrf.received(), `uid="borderwatch.task.`+inc.ID+`.ibg-baaj-qrf"`)
	})
	waitFor(t, "the drone's go-to", 20*time.Second, func() bool {
		return strings.Contains(drone.output(), `"command":192`) || strings.Contains(drone.output(), "DO_REPOSITION")
	})

	// The QRF drives to the scene; its own reports move the incident on.
	from := qrfBase.Position
	dist, az, _ := geo.Inverse(from, scene)
	now := time.Now()
	for i := 1; i <= 10; i++ {
		qrf.report(geo.Direct(from, az, dist*float64(i)/10), now.Add(time.Duration(i)*time.Second))
	}
	waitFor(t, "the QRF on scene", 10*time.Second, func() bool {
		callAPI(t, s, "GET", "/api/v1/incidents/"+inc.ID, nil, &inc)
		return inc.State == borderwatch.IncidentOnScene
	})
	outcome := borderwatch.Outcome{Kind: borderwatch.OutcomeSeizure, Persons: 2,
		Seizures: []borderwatch.Seizure{{Goods: "cigarettes", Quantity: 400, Unit: "cartons", ValueUSD: 6000}}}
	if code := callAPI(t, s, "POST", "/api/v1/incidents/"+inc.ID+"/resolve", outcome, &inc); code != 200 {
		t.Fatalf("resolve: %d", code)
	}
	if inc.State != borderwatch.IncidentResolved || inc.Outcome == nil || inc.Outcome.Persons != 2 {
		t.Fatalf("resolved incident %+v", inc)
	}
	if inc.Times.OnScene.IsZero() || inc.Times.Dispatched.IsZero() {
		t.Fatalf("response times not recorded: %+v", inc.Times)
	}
	waitFor(t, "the resolved incident in the store", 10*time.Second, func() bool {
		r, err := s.Store().Record(context.Background(), "incident", inc.ID)
		return err == nil && strings.Contains(string(r.Doc), `"resolved"`)
	})
}

func nearestCamera(s *Server, km float64) string {
	best, bd := "", 1e9
	for _, sn := range s.Deployment().Sensors {
		if sn.Kind == borderwatch.SourceThermalCamera {
			if d := sn.Chainage - km; d*d < bd {
				best, bd = sn.ID, d*d
			}
		}
	}
	return best
}

// alertLatencyP99 reads the observation-to-alert histogram and returns
// the upper bound of the bucket holding its 99th percentile.
func alertLatencyP99(t *testing.T, s *Server) float64 {
	t.Helper()
	var bounds []float64
	var counts []float64
	for _, l := range strings.Split(metricsText(s), "\n") {
		if !strings.HasPrefix(l, "borderwatch_observation_to_alert_seconds_bucket") {
			continue
		}
		var le string
		var n float64
		if i := strings.Index(l, `le="`); i >= 0 {
			le = l[i+4 : i+4+strings.IndexByte(l[i+4:], '"')]
		}
		fmt.Sscanf(l[strings.LastIndexByte(l, ' ')+1:], "%g", &n)
		var b float64
		if le == "+Inf" {
			b = 1e9
		} else {
			fmt.Sscanf(le, "%g", &b)
		}
		bounds, counts = append(bounds, b), append(counts, n)
	}
	if len(counts) == 0 || counts[len(counts)-1] == 0 {
		t.Fatal("no observation-to-alert latency recorded")
	}
	total := counts[len(counts)-1]
	for i, c := range counts {
		if c >= 0.99*total {
			return bounds[i]
		}
	}
	return bounds[len(bounds)-1]
}
