package cluster_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/borderwatch/borderwatch"
	"github.com/borderwatch/borderwatch/internal/cluster"
)

// TestSoak (opt-in: BORDERWATCH_CLUSTER_SOAK=<kills>) kills a node with
// SIGKILL again and again under load, restarting it each time with the
// same node ID, and reports the failover times; then it measures how fast
// the nodes drain a backlog. It writes the figures of
// docs/performance/cluster.md. BORDERWATCH_CLUSTER_SOAK_TTL sets the
// lease TTL (default cluster.DefaultLeaseTTL).
func TestSoak(t *testing.T) {
	kills, _ := strconv.Atoi(os.Getenv("BORDERWATCH_CLUSTER_SOAK"))
	if kills <= 0 {
		t.Skip("set BORDERWATCH_CLUSTER_SOAK=<number of kills> to run the soak test")
	}
	ttl := cluster.DefaultLeaseTTL
	if v := os.Getenv("BORDERWATCH_CLUSTER_SOAK_TTL"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			t.Fatal(err)
		}
		ttl = d
	}
	r := newRig(t, 12)
	urls := r.nats.URLs()
	ids := []string{"n1", "n2", "n3"}
	nodes := make([]*nodeProc, 3)
	for i, id := range ids {
		nodes[i] = startNode(t, id, urls, r.sectors, ttl, 3)
	}
	waitNodes(t, 60*time.Second, "spread 4/4/4", func() bool { return nodesBalanced(r.sectors, nodes...) }, nodes...)

	feedCtx, stopFeed := context.WithCancel(context.Background())
	fed := make(chan struct{})
	go func() { defer close(fed); r.feed(feedCtx, 100*time.Millisecond) }()

	var failovers, rebalances []time.Duration
	for k := 0; k < kills; k++ {
		i := k % 3
		victim := nodes[i]
		lost := victim.Owned()
		survivors := slices.Delete(slices.Clone(nodes), i, i+1)
		killed := time.Now()
		victim.kill()
		waitNodes(t, 30*time.Second, "survivors own every sector", func() bool { return nodesBalanced(r.sectors, survivors...) }, survivors...)
		worst := time.Duration(0)
		for s := range lost {
			for _, n := range survivors {
				if at, ok := n.acquiredAfter(killed)[s]; ok {
					worst = max(worst, at.Sub(killed))
				}
			}
		}
		failovers = append(failovers, worst)
		back := time.Now()
		nodes[i] = startNode(t, ids[i], urls, r.sectors, ttl, 3)
		waitNodes(t, 60*time.Second, "restarted node gets its share", func() bool { return nodesBalanced(r.sectors, nodes...) }, nodes...)
		rebalances = append(rebalances, time.Since(back))
		t.Logf("kill %d of %s: failover %v, back to 4/4/4 %v after restart", k+1, victim.id, worst.Round(time.Millisecond), rebalances[k].Round(time.Millisecond))
	}
	stopFeed()
	<-fed
	waitNodes(t, 120*time.Second, "drained", func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return r.drained(ctx)
	}, nodes...)
	batches, uncommitted := r.verify()
	med, hi := stats(failovers)
	rmed, rhi := stats(rebalances)
	t.Logf("FIGURES failover over %d SIGKILLs (LeaseTTL %v): median %v, max %v; rejoin after restart: median %v, max %v; %d batches exactly once, %d uncommitted attempts",
		kills, ttl, med, hi, rmed, rhi, batches, uncommitted)

}

// TestThroughput (opt-in: BORDERWATCH_CLUSTER_THROUGHPUT=<batches per
// sector>) logs a backlog
// of big batches first, then starts one node, and later three nodes on a
// second backlog, and reports how fast they process it: read the batch,
// write its outputs (here: its observation IDs) to a replicated stream,
// commit. It writes the throughput figures of docs/performance/cluster.md.
func TestThroughput(t *testing.T) {
	perSector, _ := strconv.Atoi(os.Getenv("BORDERWATCH_CLUSTER_THROUGHPUT"))
	if perSector <= 0 {
		t.Skip("set BORDERWATCH_CLUSTER_THROUGHPUT=<batches per sector> to measure processing throughput")
	}
	r := newRig(t, 12)
	urls := r.nats.URLs()
	for _, tc := range []struct {
		prefix string
		nodes  int
	}{{"one", 1}, {"three", 3}} {
		t.Run(fmt.Sprintf("%d node(s)", tc.nodes), func(t *testing.T) {
			r.sectors = nil
			for i := 1; i <= 12; i++ {
				r.sectors = append(r.sectors, fmt.Sprintf("%s%02d", tc.prefix, i))
			}
			const obsPerBatch = 500
			start := time.Now()
			appendBacklog(t, r, perSector, obsPerBatch)
			appended := time.Since(start)
			var nodes []*nodeProc
			begin := time.Now()
			for i := 1; i <= tc.nodes; i++ {
				nodes = append(nodes, startNode(t, fmt.Sprintf("%s-%d", tc.prefix, i), urls, r.sectors, cluster.DefaultLeaseTTL, 3))
			}
			waitNodes(t, 300*time.Second, "backlog drained", func() bool {
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				return r.drained(ctx)
			}, nodes...)
			// From the first acquisition: process start-up (connecting,
			// creating the log's streams) is not processing.
			first := time.Now()
			for _, n := range nodes {
				for _, at := range n.acquiredAfter(begin) {
					if at.Before(first) {
						first = at
					}
				}
			}
			took := time.Since(first)
			t.Logf("start-up until the first acquisition: %v", first.Sub(begin).Round(time.Millisecond))
			total := len(r.sectors) * perSector
			t.Logf("FIGURES %d node(s): %d batches of %d observations (logged in %v) processed in %v: %.0f batches/s, %.0f observations/s per node",
				tc.nodes, total, obsPerBatch, appended.Round(time.Millisecond), took.Round(time.Millisecond),
				float64(total)/took.Seconds()/float64(tc.nodes), float64(total*obsPerBatch)/took.Seconds()/float64(tc.nodes))
			for _, n := range nodes {
				n.stop()
			}
		})
	}
}

func appendBacklog(t *testing.T, r *rig, perSector, obsPerBatch int) {
	t.Helper()
	var wg sync.WaitGroup
	t0 := time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)
	for _, s := range r.sectors {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := 0; b < perSector; b++ {
				obs := make([]borderwatch.Observation, obsPerBatch)
				for k := range obs {
					p := borderwatch.LatLon{Lat: 34 + float64(k)*1e-6, Lon: 41}
					obs[k] = borderwatch.Observation{ID: fmt.Sprintf("%s-bulk-%d-%d", s, b, k), Time: t0,
						Source: borderwatch.Source{ID: "cam", Kind: borderwatch.SourceThermalCamera}, Position: &p,
						Cov: borderwatch.Isotropic(25), Class: borderwatch.ClassPerson, Confidence: 0.9}
				}
				ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
				if err := r.bus.AppendObservations(ctx, s, obs); err != nil {
					t.Error(err)
				}
				cancel()
			}
		}()
	}
	wg.Wait()
}

func stats(ds []time.Duration) (median, maximum time.Duration) {
	if len(ds) == 0 {
		return 0, 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2].Round(time.Millisecond), s[len(s)-1].Round(time.Millisecond)
}
