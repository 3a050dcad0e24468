package simnet

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/borderwatch/borderwatch/internal/cot"
	"github.com/borderwatch/borderwatch/internal/sim"
)

func detections(t testing.TB) []sim.Detection {
	s, err := sim.New(sim.Options{Deployment: reference(t), Seed: 1, Start: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), Activity: 20, Warmup: 2 * time.Hour, NoUnits: true})
	if err != nil {
		t.Fatal(err)
	}
	var ds []sim.Detection
	for len(ds) < 200 {
		ds = append(ds, s.Step().Detections...)
	}
	return ds[:200]
}

// BenchmarkCanonical encodes one camera message of 20 detections (the
// hot path of the MQTT sender).
func BenchmarkCanonical(b *testing.B) {
	ds := detections(b)[:20]
	id := func(t time.Time) time.Time { return t }
	b.ReportAllocs()
	for range b.N {
		if _, err := Canonical("run", ds, id); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkObservationJSON is the baseline: the same detections as domain
// observations through encoding/json (what --via http posts).
func BenchmarkObservationJSON(b *testing.B) {
	ds := detections(b)[:20]
	b.ReportAllocs()
	for range b.N {
		obs := make([]any, 0, len(ds))
		for i := range ds {
			obs = append(obs, ds[i].Observation())
		}
		if _, err := json.Marshal(obs); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSelfReport encodes a phone's position report as CoT XML.
func BenchmarkSelfReport(b *testing.B) {
	r := sim.Report{UnitID: "ibg-rabia-patrol-1", Callsign: "Rabia", Kind: sim.KindPatrol, Status: "patrolling"}
	at := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	var buf []byte
	b.ReportAllocs()
	for range b.N {
		ev := SelfReport(&r, at)
		buf = cot.AppendXMLFrame(buf[:0], &ev)
	}
}

func TestCanonicalDecodes(t *testing.T) {
	ds := detections(t)
	b, err := Canonical("run", ds, func(t time.Time) time.Time { return t })
	if err != nil {
		t.Fatal(err)
	}
	var back []map[string]any
	if err := json.Unmarshal(b, &back); err != nil || len(back) != len(ds) {
		t.Fatalf("%d of %d back: %v", len(back), len(ds), err)
	}
	for i, m := range back {
		if m["schema"] != "c2.detection/v1" || m["source"].(map[string]any)["id"] != ds[i].Sensor {
			t.Fatalf("message %d: %v", i, m)
		}
		_, pos := m["position"]
		_, brg := m["bearing"]
		if pos == brg {
			t.Fatalf("message %d: want a position or a bearing: %v", i, m)
		}
	}
}
