package ingest

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/borderwatch/borderwatch"
	"github.com/borderwatch/borderwatch/internal/metrics"
)

type recordLog struct {
	got  map[string][]borderwatch.Observation
	fail error
}

func (l *recordLog) AppendObservations(_ context.Context, sector string, obs []borderwatch.Observation) error {
	if l.fail != nil {
		return l.fail
	}
	l.got[sector] = append(l.got[sector], obs...)
	return nil
}

func newPipeline(t *testing.T, log *recordLog, reg *metrics.Registry, now time.Time) *Pipeline {
	t.Helper()
	p, err := New(Options{
		Log: log,
		Sector: func(p borderwatch.LatLon) string {
			if p.Lat > 35 {
				return "north"
			}
			if p.Lat > 33 {
				return "south"
			}
			return ""
		},
		Label:     func(src borderwatch.Source) borderwatch.Label { return borderwatch.Label{Owner: "ibg"} },
		NodeID:    "t",
		Metrics:   reg,
		Now:       func() time.Time { return now },
		MaxFuture: time.Minute,
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestHandleGroupsBySectorAndDropsInvalid(t *testing.T) {
	now := time.Date(2026, 11, 22, 2, 0, 0, 0, time.UTC)
	log := &recordLog{got: map[string][]borderwatch.Observation{}}
	reg := metrics.NewRegistry()
	p := newPipeline(t, log, reg, now)
	obs := func(lat float64) borderwatch.Observation {
		return borderwatch.Observation{Time: now, Source: borderwatch.Source{ID: "c", Kind: borderwatch.SourceThermalCamera},
			Position: &borderwatch.LatLon{Lat: lat, Lon: 41}}
	}
	bad := obs(36)
	bad.Source.ID = ""
	future := obs(36)
	future.Time = now.Add(time.Hour)
	batch := []borderwatch.Observation{obs(36), bad, obs(34), obs(20), future, obs(36.5)}
	if err := p.Handle(context.Background(), "http", batch); err != nil {
		t.Fatal(err)
	}
	if n := len(log.got["north"]); n != 2 {
		t.Errorf("north: %d observations, want 2", n)
	}
	if n := len(log.got["south"]); n != 1 {
		t.Errorf("south: %d, want 1", n)
	}
	if n := len(log.got[OutOfArea]); n != 1 {
		t.Errorf("out of area: %d, want 1", n)
	}
	seen := map[string]bool{}
	for _, g := range log.got {
		for _, o := range g {
			if o.ID == "" || seen[o.ID] {
				t.Errorf("id %q empty or duplicate", o.ID)
			}
			seen[o.ID] = true
			if o.Label.Owner != "ibg" || o.Class != borderwatch.ClassUnknown {
				t.Errorf("defaults not stamped: %+v", o)
			}
		}
	}
	var b strings.Builder
	reg.WriteTo(&b)
	for _, want := range []string{
		`borderwatch_observations_accepted_total{protocol="http"} 4`,
		`borderwatch_observations_dropped_total{protocol="http",reason="source.id"} 1`,
		`borderwatch_observations_dropped_total{protocol="http",reason="time"} 1`,
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("metrics lack %s:\n%s", want, b.String())
		}
	}
}

func TestHandleReportsLogFailure(t *testing.T) {
	now := time.Now()
	boom := errors.New("disk full")
	p := newPipeline(t, &recordLog{got: map[string][]borderwatch.Observation{}, fail: boom}, metrics.NewRegistry(), now)
	err := p.Handle(context.Background(), "cot", []borderwatch.Observation{{Time: now,
		Source: borderwatch.Source{ID: "c", Kind: borderwatch.SourcePatrol}, Position: &borderwatch.LatLon{Lat: 36, Lon: 41}}})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want wrapping %v", err, boom)
	}
}
