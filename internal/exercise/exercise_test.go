package exercise

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/borderwatch/borderwatch"
	"github.com/borderwatch/borderwatch/deployments"
	"github.com/borderwatch/borderwatch/internal/deployment"
	"github.com/borderwatch/borderwatch/internal/live"
	"github.com/borderwatch/borderwatch/internal/policy"
	"github.com/borderwatch/borderwatch/internal/server"
)

var (
	refOnce sync.Once
	refDep  *deployment.Folder
	refErr  error
)

func referenceDeployment(t testing.TB) *borderwatch.Deployment { return reference(t).Deployment }

func reference(t testing.TB) *deployment.Folder {
	t.Helper()
	refOnce.Do(func() { refDep, refErr = deployment.Open(deployments.FS, deployments.Reference, deployment.Options{}) })
	if refErr != nil {
		t.Fatal(refErr)
	}
	return refDep
}

func TestParse(t *testing.T) {
	d := reference(t).Deployment
	b, err := os.ReadFile("testdata/rabia-gap.yaml")
	if err != nil {
		t.Fatal(err)
	}
	sc, err := Parse("rabia-gap.yaml", b, d)
	if err != nil {
		t.Fatal(err)
	}
	if sc.Name != "Rabia gap probe" || len(sc.Events) != 2 || sc.Events[1].At != 15*time.Minute || sc.Duration != 2*time.Hour ||
		sc.DetectRadiusM != 2000 || sc.InterceptRadiusM != 300 || !sc.Events[0].Spec().Exercise {
		t.Fatalf("parsed %+v", sc)
	}

	b, err = os.ReadFile("testdata/bad.yaml")
	if err != nil {
		t.Fatal(err)
	}
	_, err = Parse("bad.yaml", b, d)
	if err == nil {
		t.Fatal("bad scenario accepted")
	}
	for _, want := range []string{
		`bad.yaml:3: events[0].kind: smugglers: want infiltrators, smuggler or herd`,
		`bad.yaml:3: events[0].cross_km: 900: not on the line`,
		`bad.yaml:3: events[0].to_offset_m: 100: equals from_offset_m`,
		`bad.yaml:8: events[1].id: a: used twice`,
		`bad.yaml:8: events[1].at: -5m0s: must not be negative`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
	for name, src := range map[string]string{
		"unknown field": "name: x\nevents:\n  - id: a\n    kind: herd\n    cross_km: 1\n    from_offset_m: 1\n    to_offset_m: 2\n    colour: red\n",
		"no events":     "name: x\n",
		"not yaml":      "events: [",
	} {
		if _, err := Parse(name, []byte(src), d); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// TestRunScoresAnExercise runs a two-event exercise against a real server
// in-process: the detections reach it over HTTP marked as exercise, a
// friendly patrol's phone reports over CoT from where the first group
// passes, and the score says detected and intercepted for it.
func TestRunScoresAnExercise(t *testing.T) {
	o := server.Defaults()
	o.DataDir = t.TempDir()
	for _, a := range []*string{&o.HTTPAddr, &o.CoTTCPAddr} {
		*a = "127.0.0.1:0"
	}
	o.CoTUDPAddr, o.CoTTLSAddr, o.MAVLinkAddr, o.MQTTAddr, o.WebTLS = "", "", "", "", "off"
	srv, err := server.New(o)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	if err := srv.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown(context.Background())
	<-srv.Ready()
	token, err := srv.IssueToken("exercise", "ibg", policy.RoleAnalyst, policy.RoleSensor)
	if err != nil {
		t.Fatal(err)
	}
	d := reference(t)
	b, _ := os.ReadFile("testdata/rabia-gap.yaml")
	sc, err := Parse("rabia-gap.yaml", b, d.Deployment)
	if err != nil {
		t.Fatal(err)
	}
	sc.Events = sc.Events[:1] // the smuggler would take too long here
	sc.Duration = 30 * time.Minute

	// A foot patrol waits on the group's way (it was there already, so it
	// intercepts without counting as a response), its phone reporting over CoT.
	stand := stationPoint(d, 45.0, -650)
	stop := phone(t, srv.CoTTCPAddr(), "ibg-rabia-foot-1", stand)
	defer stop()

	score, err := Run(ctx, Options{Scenario: sc, Deployment: d.Deployment, Server: "http://" + srv.HTTPAddr(), Token: token, Speed: 20,
		Poll: 250 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	var text bytes.Buffer
	score.WriteText(&text)
	t.Log("\n" + text.String())
	e := score.Events[0]
	if !e.Detected || e.TimeToDetect <= 0 || !e.Crossed {
		t.Errorf("event %+v: want crossed and detected", e)
	}
	if !e.Intercepted || e.InterceptedBy != "ibg-rabia-foot-1" || e.Outcome != OutcomeIntercepted {
		t.Errorf("event %+v: want intercepted by the patrol", e)
	}
	if score.Points < 70 {
		t.Errorf("points %.0f", score.Points)
	}
	// Everything the exercise caused is marked as exercise.
	for _, tr := range srv.Live().Tracks(live.Filter{}) {
		if !tr.Exercise && tr.Affiliation != borderwatch.AffFriend {
			t.Errorf("track %s is not marked as exercise", tr.ID)
		}
	}
}

func stationPoint(d *deployment.Folder, km, off float64) borderwatch.LatLon {
	return deployment.StationPoint(d.Line, km, off)
}

// phone reports a friendly unit standing at p over CoT every 500 ms until
// the returned func is called.
func phone(t *testing.T, addr, unit string, p borderwatch.LatLon) func() {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		var buf [4096]byte
		for {
			if _, err := c.Read(buf[:]); err != nil {
				return
			}
		}
	}()
	go func() {
		defer wg.Done()
		tick := time.NewTicker(500 * time.Millisecond)
		defer tick.Stop()
		for {
			now := time.Now().UTC()
			fmt.Fprintf(c, `<event version="2.0" uid="ANDROID-%s" type="a-f-G-U-C" how="m-g" time="%s" start="%s" stale="%s"><point lat="%.7f" lon="%.7f" hae="0" ce="5" le="9999999"/><detail><contact callsign="%s"/></detail></event>`,
				unit, now.Format(time.RFC3339Nano), now.Format(time.RFC3339Nano), now.Add(time.Minute).Format(time.RFC3339Nano), p.Lat, p.Lon, unit)
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	}()
	return func() { close(done); c.Close(); wg.Wait() }
}
