package replay

import (
	"context"
	"testing"
	"time"

	"github.com/borderwatch/borderwatch"
)

var t0 = time.Date(2026, 11, 21, 23, 0, 0, 0, time.UTC)

func states(n int, every time.Duration) []borderwatch.Track {
	var ts []borderwatch.Track
	for i := n - 1; i >= 0; i-- { // reverse order on purpose
		ts = append(ts, borderwatch.Track{ID: "t", Time: t0.Add(time.Duration(i) * every)})
	}
	return ts
}

func TestPacedReplayDeliversEveryStateInOrderAtSpeed(t *testing.T) {
	var slept time.Duration
	var frames []Frame
	o := Options{From: t0, To: t0.Add(time.Minute), Speed: 30, Sleep: func(_ context.Context, d time.Duration) error { slept += d; return nil }}
	alerts := []borderwatch.Alert{{ID: "a", Time: t0.Add(30 * time.Second)}, {ID: "before", Time: t0.Add(-time.Second)}}
	err := Run(context.Background(), o, states(120, 500*time.Millisecond), alerts, func(f Frame) error {
		frames = append(frames, f)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(frames) != 60 {
		t.Fatalf("%d frames for a minute in 1 s steps, want 60", len(frames))
	}
	if slept != 2*time.Second {
		t.Fatalf("paced %v for a minute at 30x, want 2s", slept)
	}
	n, last := 0, time.Time{}
	for _, f := range frames {
		for _, tr := range f.Tracks {
			if tr.Time.Before(last) || !tr.Time.Before(f.Time) {
				t.Fatalf("state at %v out of order or after its frame %v", tr.Time, f.Time)
			}
			last = tr.Time
			n++
		}
	}
	if n != 120 {
		t.Fatalf("%d states delivered, want 120", n)
	}
	if len(frames[30].Alerts) != 1 || frames[30].Alerts[0].ID != "a" {
		t.Fatalf("alert in frame 30: %+v (the one before the window must not appear)", frames[30].Alerts)
	}
}

func TestFullSpeedSkipsEmptyFramesAndHonoursCancel(t *testing.T) {
	var frames int
	err := Run(context.Background(), Options{From: t0, To: t0.Add(time.Hour)}, states(10, time.Minute), nil, func(Frame) error {
		frames++
		return nil
	})
	if err != nil || frames != 10 {
		t.Fatalf("frames %d err %v, want 10 non-empty frames", frames, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Run(ctx, Options{From: t0, To: t0.Add(time.Hour)}, nil, nil, func(Frame) error { return nil }); err == nil {
		t.Fatal("a cancelled replay must stop with the context's error")
	}
}

func TestValidate(t *testing.T) {
	for name, o := range map[string]Options{
		"no window": {},
		"reversed":  {From: t0, To: t0.Add(-time.Second)},
		"too fast":  {From: t0, To: t0.Add(time.Hour), Speed: 61},
		"too slow":  {From: t0, To: t0.Add(time.Hour), Speed: 0.5},
		"too long":  {From: t0, To: t0.Add(25 * time.Hour)},
	} {
		t.Run(name, func(t *testing.T) {
			if err := o.Validate(); borderwatch.ErrorCodeOf(err) != borderwatch.EINVALID {
				t.Fatalf("Validate = %v, want an invalid error", err)
			}
		})
	}
}
