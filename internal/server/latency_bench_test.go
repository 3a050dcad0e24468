package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/borderwatch/borderwatch"
	"github.com/borderwatch/borderwatch/internal/deployment"
	"github.com/borderwatch/borderwatch/internal/live"
	"github.com/borderwatch/borderwatch/internal/policy"
)

// BenchmarkAlertLatencyUnderLoad measures observation in → alert out while
// integrators post 20,000 observations/s over HTTP (4 posters, 50
// observations every 10 ms: 2,000 people walking 1–5 km from the line,
// each reported every 100 ms). One probe vehicle after another is tracked live closing on
// the line from the Syrian side, then reported across it; the latency is from the start of the
// POST carrying its crossing report to the crossing alert in the live
// picture (what the map and CoT out publish). Bar (issue 5): p99 <= 50 ms.
func BenchmarkAlertLatencyUnderLoad(b *testing.B) {
	s := startBenchServer(b)
	line := s.folder.Line
	// One token per poster, as each integrator has its own (the API rate
	// limit is per principal).
	tokens := make([]string, 5)
	for i := range tokens {
		tok, err := s.IssueToken(fmt.Sprintf("load-%d", i), "ibg", policy.RoleSensor)
		if err != nil {
			b.Fatal(err)
		}
		tokens[i] = tok
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}}
	post := func(tok string, obs []borderwatch.Observation) error {
		body, _ := json.Marshal(obs)
		req, _ := http.NewRequest(http.MethodPost, "http://"+s.HTTPAddr()+"/api/v1/observations", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusAccepted {
			return fmt.Errorf("POST: %s", resp.Status)
		}
		return nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	var sent atomic.Int64
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 7))
			// 500 people per poster walking along the line, each reported
			// every 100 ms: the load is tracked targets, not births.
			type target struct{ km, off float64 }
			targets := make([]target, 500)
			for i := range targets {
				targets[i] = target{km: 20 + rng.Float64()*560, off: 1000 + rng.Float64()*4000}
				if rng.IntN(2) == 0 {
					targets[i].off = -targets[i].off
				}
			}
			tick := time.NewTicker(10 * time.Millisecond)
			defer tick.Stop()
			for n := 0; ; n++ {
				select {
				case <-ctx.Done():
					return
				case <-tick.C:
				}
				now := time.Now().UTC()
				obs := make([]borderwatch.Observation, 50)
				for i := range obs {
					tg := &targets[(n*50+i)%len(targets)]
					tg.km += 0.00014 // 1.4 m/s along the line
					p := deployment.StationPoint(line, tg.km, tg.off+rng.NormFloat64()*5)
					obs[i] = borderwatch.Observation{Time: now, Source: borderwatch.Source{ID: fmt.Sprintf("load-%d", w), Kind: borderwatch.SourceRadar},
						Position: &p, Cov: borderwatch.Isotropic(20), Class: borderwatch.ClassPerson, Confidence: 0.5}
				}
				if post(tokens[w], obs) == nil {
					sent.Add(int64(len(obs)))
				}
			}
		}()
	}
	var lat []time.Duration
	start := time.Now()
	b.ResetTimer()
	for probe := range 20 {
		km := 30 + float64(probe)*25
		// The approach, reported live: a vehicle at 30 m/s closing on the
		// line, one report every 100 ms from 60 m to 3 m on the Syrian side.
		for i := range 20 {
			p := deployment.StationPoint(line, km, 60-3*float64(i))
			obs := []borderwatch.Observation{{Time: time.Now().UTC(),
				Source: borderwatch.Source{ID: fmt.Sprintf("probe-%d", probe), Kind: borderwatch.SourceRadar}, Position: &p, Cov: borderwatch.Isotropic(2),
				Class: borderwatch.ClassVehicle, Confidence: 0.9}}
			if err := post(tokens[4], obs); err != nil {
				b.Fatal(err)
			}
			time.Sleep(100 * time.Millisecond)
		}
		// Across: the vehicle goes on reporting every 100 ms. The alert
		// carries the event time of the report that fired it, which was
		// stamped just before its POST: latency = seen - alert time.
		src := fmt.Sprintf("probe-%d", probe)
		var found *borderwatch.Alert
		var seen time.Time
		deadline := time.Now().Add(5 * time.Second)
		for i := 1; found == nil; i++ {
			if time.Now().After(deadline) {
				for _, tr := range s.Live().Tracks(live.Filter{}) {
					for _, sid := range tr.Sources {
						if sid == src {
							b.Logf("probe track %s km %.3f off %.1f status %s", tr.ID, tr.Chainage, tr.Offset, tr.Status)
						}
					}
				}
				b.Fatalf("probe %d at km %.0f: no crossing alert within 5 s", probe, km)
			}
			p := deployment.StationPoint(line, km, -3*float64(i))
			if err := post(tokens[4], []borderwatch.Observation{{Time: time.Now().UTC(), Source: borderwatch.Source{ID: src, Kind: borderwatch.SourceRadar},
				Position: &p, Cov: borderwatch.Isotropic(2), Class: borderwatch.ClassVehicle, Confidence: 0.9}}); err != nil {
				b.Fatal(err)
			}
			for wait := time.Now().Add(100 * time.Millisecond); found == nil && time.Now().Before(wait); {
				for _, a := range s.Live().Alerts(live.Filter{}) {
					if a.Kind == borderwatch.AlertCrossing && slices.Contains(a.SourceIDs, src) {
						found, seen = &a, time.Now()
						break
					}
				}
				time.Sleep(200 * time.Microsecond)
			}
		}
		lat = append(lat, seen.Sub(found.Time))
		time.Sleep(100 * time.Millisecond)
	}
	elapsed := time.Since(start)
	cancel()
	wg.Wait()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	p := func(q float64) time.Duration { return lat[min(len(lat)-1, int(q*float64(len(lat))))] }
	b.ReportMetric(float64(sent.Load())/elapsed.Seconds(), "obs/s")
	b.ReportMetric(float64(p(0.5).Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(p(0.99).Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(lat[len(lat)-1].Microseconds())/1000, "max-ms")
}

func startBenchServer(b *testing.B) *Server {
	o := Defaults()
	o.DataDir = b.TempDir()
	o.HTTPAddr = "127.0.0.1:0"
	o.CoTTCPAddr, o.CoTUDPAddr, o.CoTTLSAddr, o.MAVLinkAddr, o.MQTTAddr = "", "", "", "", ""
	o.WebTLS = "off"
	s, err := New(o)
	if err != nil {
		b.Fatal(err)
	}
	if err := s.Start(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = s.Shutdown(ctx)
	})
	return s
}
