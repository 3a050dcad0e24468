package simnet

import (
	"context"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/borderwatch/borderwatch"
	"github.com/borderwatch/borderwatch/internal/live"
	"github.com/borderwatch/borderwatch/internal/mavlink"
	"github.com/borderwatch/borderwatch/internal/server"
	"github.com/borderwatch/borderwatch/internal/servertest"
	"github.com/borderwatch/borderwatch/internal/sim"
)

// startServer starts borderwatch in-process on loopback port 0 with a
// temporary data directory and the embedded reference deployment.
func startServer(t *testing.T) *server.Server {
	t.Helper()
	return servertest.Start(t, nil)
}

func waitFor(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	servertest.WaitFor(t, what, d, cond)
}

// runAgainst starts a busy simulation sending to srv and returns the
// runner and sender; both stop with the test.
func runAgainst(t *testing.T, srv *server.Server, speed float64) (*Runner, *Sender) {
	t.Helper()
	user, pwFile := srv.MQTTCredentials()
	pw, err := os.ReadFile(pwFile)
	if err != nil {
		t.Fatal(err)
	}
	s, err := sim.New(sim.Options{Deployment: srv.Deployment(), Seed: 7, Start: time.Now(), Activity: 40, Warmup: 90 * time.Minute, Respond: true})
	if err != nil {
		t.Fatal(err)
	}
	var r *Runner
	snd, err := NewSender(Options{CoTAddr: srv.CoTTCPAddr(), MAVLinkAddr: srv.MAVLinkAddr(), MQTTAddr: srv.MQTTAddr(),
		MQTTUser: user, MQTTPassword: strings.TrimSpace(string(pw)),
		OnGoTo: func(id string, p borderwatch.LatLon) error { return r.Task(id, p) }})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := snd.Start(ctx); err != nil {
		t.Fatal(err)
	}
	r, err = NewRunner(s, snd, RunOptions{Speed: speed})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); _ = r.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		wg.Wait()
		snd.Close()
	})
	return r, snd
}

// TestAllProtocolsReachTheServer drives the server through CoT (phones and
// spot reports), MAVLink (drones) and MQTT (cameras) and checks each
// shows up in its live picture.
func TestAllProtocolsReachTheServer(t *testing.T) {
	srv := startServer(t)
	_, snd := runAgainst(t, srv, 5)
	units := map[string]bool{}
	for _, u := range srv.Deployment().Units {
		units[u.ID] = true
	}
	cams := map[string]bool{}
	for _, sn := range srv.Deployment().Sensors {
		cams[sn.ID] = true
	}
	waitFor(t, "patrol phones (CoT) in the live picture", 20*time.Second, func() bool {
		for _, u := range srv.Live().Units(live.Filter{}) {
			if units[u.ID] {
				return true
			}
		}
		return false
	})
	waitFor(t, "drones (MAVLink) in the live picture", 20*time.Second, func() bool {
		return len(srv.Live().Drones(live.Filter{})) > 0
	})
	waitFor(t, "a track from a camera or radar (MQTT)", 30*time.Second, func() bool {
		for _, tr := range srv.Live().Tracks(live.Filter{}) {
			for _, src := range tr.Sources {
				if cams[src] {
					return true
				}
			}
		}
		return false
	})
	st := snd.Stats()
	if st.CoTEvents == 0 || st.MAVLinkFrames == 0 || st.MQTTItems == 0 {
		t.Fatalf("stats %+v: every protocol should have carried traffic", st)
	}
	t.Logf("sent: %+v; live: %d tracks, %d units, %d drones, %d alerts", st,
		len(srv.Live().Tracks(live.Filter{})), len(srv.Live().Units(live.Filter{})), len(srv.Live().Drones(live.Filter{})), len(srv.Live().Alerts(live.Filter{})))
}

// TestDroneAnswersGoTo tasks a simulated drone through a real MAVLink
// ground station: the drone acknowledges and flies to the point.
func TestDroneAnswersGoTo(t *testing.T) {
	gcs, err := mavlink.New(mavlink.Options{Addr: "127.0.0.1:0", CommandTimeout: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := gcs.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer gcs.Close()
	dep := reference(t)
	s, err := sim.New(sim.Options{Deployment: dep, Seed: 3, Start: time.Now(), NoAmbient: true})
	if err != nil {
		t.Fatal(err)
	}
	var r *Runner
	snd, err := NewSender(Options{MAVLinkAddr: gcs.Addr().String(), OnGoTo: func(id string, p borderwatch.LatLon) error { return r.Task(id, p) }})
	if err != nil {
		t.Fatal(err)
	}
	if err := snd.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer snd.Close()
	r, err = NewRunner(s, snd, RunOptions{Speed: 20, Tick: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); _ = r.Run(ctx) }()
	defer func() { cancel(); <-done }()

	// The first drone of the deployment is system id 1, on the ground.
	var id string
	waitFor(t, "drone 1 online", 10*time.Second, func() bool {
		for _, d := range gcs.Drones() {
			if d.SystemID == 1 && d.Online && d.HasPosition {
				id = d.ID
				return true
			}
		}
		return false
	})
	var from borderwatch.LatLon
	for _, d := range gcs.Drones() {
		if d.ID == id {
			from = d.Position
		}
	}
	target := borderwatch.LatLon{Lat: from.Lat + 0.02, Lon: from.Lon}
	res, err := gcs.GoTo(ctx, id, target, 100)
	if err != nil {
		t.Fatalf("goto: %v (%+v)", err, res)
	}
	if res.Ack != mavlink.AckAccepted {
		t.Fatalf("ack %s", res.Ack)
	}
	waitFor(t, "the drone to reach the target", 20*time.Second, func() bool {
		for _, d := range gcs.Drones() {
			if d.ID == id && d.Target != nil && abs(d.Position.Lat-target.Lat) < 0.001 && abs(d.Position.Lon-target.Lon) < 0.001 {
				return true
			}
		}
		return false
	})
	// An impossible target is refused.
	if _, err := gcs.GoTo(ctx, id, borderwatch.LatLon{Lat: 91, Lon: 0}, 100); err == nil {
		t.Fatal("goto to lat 91 accepted")
	}
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}
