package metrics

import (
	"strings"
	"sync"
	"testing"
)

func TestExposition(t *testing.T) {
	r := NewRegistry()
	malformed := r.Counter("bw_ingest_malformed_total", "Malformed input dropped, by protocol and reason.", "protocol", "reason")
	malformed.With("cot", "bad \"xml\"").Add(2)
	malformed.With("cot", "too_large").Inc()
	r.Gauge("bw_tracks", "Live tracks.").With().Set(12.5)
	h := r.Histogram("bw_latency_seconds", "Latency.", []float64{0.01, 0.1}, "stage")
	h.With("alert").Observe(0.005)
	h.With("alert").Observe(0.05)
	h.With("alert").Observe(3)

	var b strings.Builder
	if _, err := r.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	want := `# HELP bw_ingest_malformed_total Malformed input dropped, by protocol and reason.
# TYPE bw_ingest_malformed_total counter
bw_ingest_malformed_total{protocol="cot",reason="bad \"xml\""} 2
bw_ingest_malformed_total{protocol="cot",reason="too_large"} 1
# HELP bw_latency_seconds Latency.
# TYPE bw_latency_seconds histogram
bw_latency_seconds_bucket{stage="alert",le="0.01"} 1
bw_latency_seconds_bucket{stage="alert",le="0.1"} 2
bw_latency_seconds_bucket{stage="alert",le="+Inf"} 3
bw_latency_seconds_sum{stage="alert"} 3.055
bw_latency_seconds_count{stage="alert"} 3
# HELP bw_tracks Live tracks.
# TYPE bw_tracks gauge
bw_tracks 12.5
`
	if got := b.String(); got != want {
		t.Fatalf("exposition:\n%s\nwant:\n%s", got, want)
	}
}

func TestConcurrentIncrements(t *testing.T) {
	r := NewRegistry()
	cv := r.Counter("c_total", "c", "k")
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 1000; j++ {
				cv.With("a").Inc()
			}
		}()
	}
	wg.Wait()
	if got := cv.With("a").Value(); got != 8000 {
		t.Fatalf("count = %d, want 8000", got)
	}
}

func TestRegistrationErrors(t *testing.T) {
	for name, f := range map[string]func(r *Registry){
		"duplicate":    func(r *Registry) { r.Counter("x", ""); r.Gauge("x", "") },
		"bad name":     func(r *Registry) { r.Counter("1x", "") },
		"bad label":    func(r *Registry) { r.Counter("x", "", "a-b") },
		"label arity":  func(r *Registry) { r.Counter("x", "", "a").With() },
		"bucket order": func(r *Registry) { r.Histogram("h", "", []float64{2, 1}) },
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatal("no panic")
				}
			}()
			f(NewRegistry())
		})
	}
}
