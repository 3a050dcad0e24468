package natsbus_test

import (
	"context"
	"encoding/json"
	"os"
	"strconv"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/borderwatch/borderwatch"
	"github.com/borderwatch/borderwatch/internal/natsbus"
)

// BenchmarkAppendObservations measures durably logged observations per
// second on the embedded server with fsync before every acknowledgement
// (the default). Callers append `per` observations per call from
// `callers` goroutines; every call returns only when its observations are
// acknowledged. One b.N is one observation.
var benchInflight = func() int {
	n, _ := strconv.Atoi(os.Getenv("BW_BENCH_INFLIGHT"))
	return n
}()

func BenchmarkAppendObservations(b *testing.B) {
	for _, c := range []struct{ callers, per int }{{256, 1}, {64, 16}, {16, 256}, {64, 256}} {
		b.Run("callers="+strconv.Itoa(c.callers)+"/per="+strconv.Itoa(c.per), func(b *testing.B) {
			l := openEmbedded(b, b.TempDir(), func(o *natsbus.Options) { o.MaxInflight = benchInflight })
			defer l.Close()
			ctx := context.Background()
			pool := make([][]borderwatch.Observation, c.callers)
			for i := range pool {
				pool[i] = sampleObs("b"+strconv.Itoa(i), c.per)
			}
			var next atomic.Int64
			calls := int64(b.N / c.per)
			if calls == 0 {
				calls = 1
			}
			b.ReportAllocs()
			b.ResetTimer()
			start, cpu0 := time.Now(), cpuTime()
			done := make(chan error, c.callers)
			for g := range c.callers {
				go func() {
					for next.Add(1) <= calls {
						if err := l.AppendObservations(ctx, "s"+strconv.Itoa(g%4), pool[g]); err != nil {
							done <- err
							return
						}
					}
					done <- nil
				}()
			}
			for range c.callers {
				if err := <-done; err != nil {
					b.Fatal(err)
				}
			}
			el := time.Since(start)
			b.StopTimer()
			n := calls * int64(c.per)
			b.ReportMetric(float64(n)/el.Seconds(), "obs/s")
			b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/float64(n), "cpu-ns/obs")
			msgs, _ := l.LastSeq(ctx, natsbus.StreamObservations)
			if msgs > 0 {
				b.ReportMetric(float64(n)/float64(msgs), "obs/msg")
			}
		})
	}
}

// BenchmarkAppendObservationsAsync is the shape of a protocol reader that
// does not wait per message (MQTT ingest): 2 goroutines append one
// observation at a time with AppendObservationsAsync and at most 16384
// outstanding; b.N observations are all durable when it ends.
func BenchmarkAppendObservationsAsync(b *testing.B) {
	l := openEmbedded(b, b.TempDir(), func(o *natsbus.Options) { o.MaxInflight = benchInflight })
	defer l.Close()
	pool := sampleObs("a", 1024)
	sem := make(chan struct{}, 16384)
	var failed atomic.Int64
	done := func(err error) {
		if err != nil {
			failed.Add(1)
		}
		<-sem
	}
	var next atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	start, cpu0 := time.Now(), cpuTime()
	fin := make(chan struct{}, 2)
	for g := range 2 {
		go func() {
			for {
				i := next.Add(1)
				if i > int64(b.N) {
					fin <- struct{}{}
					return
				}
				sem <- struct{}{}
				l.AppendObservationsAsync("s"+strconv.Itoa(g), pool[i%1024:i%1024+1], done)
			}
		}()
	}
	<-fin
	<-fin
	for range cap(sem) {
		sem <- struct{}{}
	}
	el := time.Since(start)
	b.StopTimer()
	if failed.Load() > 0 {
		b.Fatalf("%d appends failed", failed.Load())
	}
	b.ReportMetric(float64(b.N)/el.Seconds(), "obs/s")
	b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/obs")
}

// cpuTime is this process's user+system CPU time (server included: it is
// embedded).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkNaivePublish is the baseline: one JSON message per observation,
// each published synchronously (one fsync each).
func BenchmarkNaivePublish(b *testing.B) {
	l := openEmbedded(b, b.TempDir(), nil)
	defer l.Close()
	js := l.JetStream()
	obs := sampleObs("n", 1)[0]
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := range b.N {
		data, _ := json.Marshal(obs)
		m := nats.NewMsg(natsbus.StreamObservations.Subject("s1"))
		m.Data = data
		if _, err := js.PublishMsg(ctx, m, jetstream.WithMsgID("n"+strconv.Itoa(i))); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "obs/s")
}

func BenchmarkEncodeDecode(b *testing.B) {
	obs := sampleObs("e", 256)
	var buf []byte
	b.Run("json", func(b *testing.B) {
		b.ReportAllocs()
		for i := range b.N {
			data, _ := json.Marshal(&obs[i%len(obs)])
			var o borderwatch.Observation
			if err := json.Unmarshal(data, &o); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("bwob", func(b *testing.B) {
		dst := make([]borderwatch.Observation, 0, len(obs))
		b.ReportAllocs()
		for i := 0; i < b.N; i += len(obs) {
			buf = natsbus.EncodeObservations(buf[:0], obs)
			var err error
			dst, err = natsbus.DecodeObservations(buf, dst[:0])
			if err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkReadObservations measures replay: reading back and decoding
// observation batches from the start of the stream. One op is one
// observation.
func BenchmarkReadObservations(b *testing.B) {
	l := openEmbedded(b, b.TempDir(), func(o *natsbus.Options) { o.NoSync = true })
	defer l.Close()
	ctx := context.Background()
	batch := sampleObs("r", 512)
	for n := 0; n < b.N; n += len(batch) {
		if err := l.AppendObservations(ctx, "s"+strconv.Itoa(n%3), batch); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	start, cpu0 := time.Now(), cpuTime()
	got := 0
	if err := l.ReadObservations(ctx, natsbus.ReadOptions{}, func(m natsbus.Msg, obs []borderwatch.Observation) error {
		got += len(obs)
		return nil
	}); err != nil {
		b.Fatal(err)
	}
	el := time.Since(start)
	b.StopTimer()
	if got < b.N {
		b.Fatalf("read %d of %d", got, b.N)
	}
	b.ReportMetric(float64(got)/el.Seconds(), "obs/s")
	b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/float64(got), "cpu-ns/obs")
}
