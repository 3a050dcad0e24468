package sim

import (
	"testing"
	"time"
)

// TestRealism is the realism report (docs/realism.md) as a regression
// test: the reference deployment, the reference rates, the simulated
// command responding, run faster than real time with no sockets. The
// tolerances are wide enough for the seed and the shorter run, narrow
// enough to catch a model that stops detecting, stops intercepting or
// drowns in false alarms.
func TestRealism(t *testing.T) {
	days := 7
	if raceEnabled {
		// The race detector makes the core ten times slower: run one day
		// for its data races, and leave the rates to the normal run.
		days = 1
	}
	s := newSim(t, func(o *Options) { o.Respond, o.IgnoreFriendly = true, true })
	run(s, time.Duration(days)*24*time.Hour, nil)
	stats := s.Stats()
	if len(stats) < days {
		t.Fatalf("%d days in the report, want %d", len(stats), days)
	}
	var inf, smu Counts
	herds, responses := 0, 0
	for _, d := range stats {
		t.Logf("%s infiltrators %+v smugglers %+v herds %d (%d responses)", d.Day, d.Infiltrators, d.Smugglers, d.Herds, d.HerdResponses)
		if d.Infiltrators.Attempted > 10 || d.Smugglers.Attempted > 12 {
			t.Errorf("%s: %d groups, %d smuggling runs: far above the reference rates", d.Day, d.Infiltrators.Attempted, d.Smugglers.Attempted)
		}
		inf, smu = inf.Plus(d.Infiltrators), smu.Plus(d.Smugglers)
		herds, responses = herds+d.Herds, responses+d.HerdResponses
	}
	perDay := func(n int) float64 { return float64(n) / float64(days) }
	all := inf.Plus(smu)
	ended := all.Intercepted + all.Escaped
	checks := []struct {
		name     string
		got      float64
		min, max float64
	}{
		// 250 people a month is 8.3 a day.
		{"infiltrators a day", perDay(inf.People), 3, 16},
		// "Smuggling daily": 3 runs a day.
		{"smuggling runs a day", perDay(smu.Attempted), 1.5, 5},
		{"herds a day", perDay(herds), 30, 50},
		{"share of crossers detected", float64(all.Detected) / float64(all.Attempted), 0.85, 1},
		{"share of ended attempts intercepted", float64(all.Intercepted) / float64(ended), 0.45, 0.95},
		{"share of herds the command sent a unit to", float64(responses) / float64(herds), 0.03, 0.3},
	}
	for _, c := range checks {
		if raceEnabled {
			break
		}
		if c.got < c.min || c.got > c.max {
			t.Errorf("%s: %.2f, want %.2f..%.2f", c.name, c.got, c.min, c.max)
		}
	}
	for reason := range all.Misses {
		if reason.rank() == 0 {
			t.Errorf("a miss without a known reason: %q", reason)
		}
	}
}
