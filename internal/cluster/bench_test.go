package cluster_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/borderwatch/borderwatch/internal/cluster"
)

// BenchmarkCommit measures the per-batch cost of ownership: one fenced
// commit (compare-and-set of the sector's sequence), against a plain
// unconditional KV put as the naive baseline, on the embedded server (R1)
// and on a 3-node nats-server cluster (R3). "parallel" commits twelve
// sectors at once, one goroutine each, as a node owning them does.
func BenchmarkCommit(b *testing.B) {
	for _, where := range []string{"embedded-R1", "cluster-R3"} {
		b.Run(where, func(b *testing.B) {
			var urls []string
			replicas := 1
			if where == "cluster-R3" {
				urls = startNATSCluster(b, 3).URLs()
				replicas = 3
			} else {
				urls = []string{startEmbedded(b)}
			}
			url := strings.Join(urls, ",")
			sectors := sectorNames(12)
			_, js := connect(b, url)
			m, err := cluster.New(js, cluster.Options{NodeID: "bench", Sectors: sectors, Replicas: replicas, LeaseTTL: 5 * time.Second})
			if err != nil {
				b.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			var runWG sync.WaitGroup
			runWG.Add(1)
			epochs := make(chan [2]any, len(sectors))
			go func() {
				defer runWG.Done()
				_ = m.Run(ctx, func(s string, _, e uint64) { epochs <- [2]any{s, e} }, func(string) {})
			}()
			defer func() { cancel(); runWG.Wait() }()
			epoch := map[string]uint64{}
			for len(epoch) < len(sectors) {
				select {
				case x := <-epochs:
					epoch[x[0].(string)] = x[1].(uint64)
				case <-time.After(60 * time.Second):
					b.Fatal("sectors not acquired")
				}
			}
			kv, err := js.KeyValue(ctx, cluster.DefaultBucket+"-leases")
			if err != nil {
				b.Fatal(err)
			}
			seqs := map[string]*atomic.Uint64{}
			for _, s := range sectors {
				seqs[s] = &atomic.Uint64{}
			}
			b.Run("fenced/serial", func(b *testing.B) {
				b.ReportAllocs()
				s := sectors[0]
				for b.Loop() {
					if err := m.Commit(ctx, s, epoch[s], seqs[s].Add(1)); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("naive-put/serial", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if _, err := kv.Put(ctx, "baseline", []byte(`{"owner":"bench","epoch":1,"seq":1}`)); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.Run("fenced/parallel-12", func(b *testing.B) {
				b.ReportAllocs()
				parallelSectors(b, sectors, func(s string) error { return m.Commit(ctx, s, epoch[s], seqs[s].Add(1)) })
			})
			b.Run("naive-put/parallel-12", func(b *testing.B) {
				b.ReportAllocs()
				parallelSectors(b, sectors, func(s string) error {
					_, err := kv.Put(ctx, "baseline-"+s, []byte(`{"owner":"bench","epoch":1,"seq":1}`))
					return err
				})
			})
		})
	}
}

// parallelSectors runs b.N calls of f spread over one goroutine per
// sector and reports commits per second.
func parallelSectors(b *testing.B, sectors []string, f func(sector string) error) {
	var next atomic.Int64
	n := int64(b.N)
	start := time.Now()
	var wg sync.WaitGroup
	var failed atomic.Value
	for _, s := range sectors {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= n {
				if err := f(s); err != nil {
					failed.Store(fmt.Errorf("sector %s: %w", s, err))
					return
				}
			}
		}()
	}
	wg.Wait()
	if err, _ := failed.Load().(error); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "commits/s")
}
