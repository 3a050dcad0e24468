package live

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/borderwatch/borderwatch"
)

var t0 = time.Date(2025, 3, 1, 2, 0, 0, 0, time.UTC)

func fixedNow() time.Time { return t0 }

func track(id string, lat, lon float64, owner borderwatch.Agency) borderwatch.Track {
	return borderwatch.Track{
		ID: id, Status: borderwatch.TrackConfirmed, Time: t0,
		Position:    borderwatch.LatLon{Lat: lat, Lon: lon},
		Class:       borderwatch.ClassPerson,
		Affiliation: borderwatch.AffUnknown,
		Label:       borderwatch.Label{Owner: owner},
	}
}

// viewer is a model browser: it applies batches and holds what it was sent.
type viewer struct {
	held   map[string]string // "kind/id" -> data JSON
	lastID string
}

type wireBatch struct {
	Seq     uint64 `json:"seq"`
	Reset   bool   `json:"reset"`
	Changes []struct {
		Op   string          `json:"op"`
		Kind Kind            `json:"kind"`
		ID   string          `json:"id"`
		Data json.RawMessage `json:"data"`
	} `json:"changes"`
}

func (v *viewer) apply(t *testing.T, b Batch) wireBatch {
	t.Helper()
	if v.held == nil {
		v.held = map[string]string{}
	}
	var w wireBatch
	if b.Data == nil {
		return w
	}
	if err := json.Unmarshal(b.Data, &w); err != nil {
		t.Fatalf("batch is not JSON: %v\n%s", err, b.Data)
	}
	if w.Seq != b.Seq || w.Reset != b.Reset || len(w.Changes) != b.Changes {
		t.Fatalf("batch header %+v disagrees with its data %s", b, b.Data)
	}
	if w.Reset {
		clear(v.held)
	}
	seen := map[string]bool{}
	for _, c := range w.Changes {
		k := string(c.Kind) + "/" + c.ID
		if seen[k] {
			t.Fatalf("batch not coalesced: %s twice in %s", k, b.Data)
		}
		seen[k] = true
		switch c.Op {
		case "upsert":
			v.held[k] = string(c.Data)
		case "delete":
			delete(v.held, k)
		default:
			t.Fatalf("unknown op %q", c.Op)
		}
	}
	v.lastID = b.ID
	return w
}

func (v *viewer) ids() []string {
	var out []string
	for k := range v.held {
		out = append(out, k)
	}
	return out
}

func TestSubscriptionFiltersAndCoalesces(t *testing.T) {
	box := &BBox{W: 40, S: 33, E: 42, N: 35}
	ibgOnly := func(l borderwatch.Label) bool { return l.ReleasableToAgency("ibg") }
	tests := []struct {
		name   string
		filter Filter
		ops    func(p *Picture)
		want   []string
	}{
		{"coalesces three updates into the latest", Filter{}, func(p *Picture) {
			for i := range 3 {
				must(t, p.PutTracks(track("T1", 34, 41+float64(i)*0.1, "ibg")))
			}
		}, []string{"track/T1"}},
		{"viewport keeps outside tracks out", Filter{BBox: box}, func(p *Picture) {
			must(t, p.PutTracks(track("in", 34, 41, "ibg"), track("out", 36, 41, "ibg")))
		}, []string{"track/in"}},
		{"alerts ignore the viewport", Filter{BBox: box}, func(p *Picture) {
			must(t, p.PutAlerts(borderwatch.Alert{ID: "A1", Severity: borderwatch.SeverityHigh, State: borderwatch.AlertOpen, Position: borderwatch.LatLon{Lat: 37, Lon: 42}, Label: borderwatch.Label{Owner: "ibg"}}))
		}, []string{"alert/A1"}},
		{"releasability hides other agencies' records", Filter{Allow: ibgOnly}, func(p *Picture) {
			must(t, p.PutTracks(track("mine", 34, 41, "ibg"), track("theirs", 34, 41, "army")))
			shared := track("shared", 34, 41, "army")
			shared.Label.ReleasableTo = []borderwatch.Agency{"ibg"}
			must(t, p.PutTracks(shared))
		}, []string{"track/mine", "track/shared"}},
		{"tentative and deleted tracks are not shown", Filter{}, func(p *Picture) {
			tt := track("tent", 34, 41, "ibg")
			tt.Status = borderwatch.TrackTentative
			must(t, p.PutTracks(track("gone", 34, 41, "ibg"), tt))
			p.DeleteTracks("gone")
		}, nil},
		{"dismissed alerts leave the queue", Filter{}, func(p *Picture) {
			a := borderwatch.Alert{ID: "A1", Severity: borderwatch.SeverityLow, State: borderwatch.AlertOpen}
			must(t, p.PutAlerts(a))
			a.State = borderwatch.AlertDismissed
			must(t, p.PutAlerts(a))
		}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := New(Options{Now: fixedNow})
			s := p.Subscribe(tc.filter, "")
			defer s.Close()
			var v viewer
			v.apply(t, s.Next()) // empty snapshot
			tc.ops(p)
			v.apply(t, s.Next())
			assertSet(t, v.ids(), tc.want)
		})
	}
}

func TestSubscriptionViewportMoves(t *testing.T) {
	p := New(Options{Now: fixedNow})
	s := p.Subscribe(Filter{BBox: &BBox{W: 40, S: 33, E: 42, N: 35}}, "")
	defer s.Close()
	var v viewer
	must(t, p.PutTracks(track("T1", 34, 41, "ibg"), track("T2", 36, 41, "ibg")))
	if w := v.apply(t, s.Next()); !w.Reset {
		t.Fatalf("first batch is not a snapshot")
	}
	assertSet(t, v.ids(), []string{"track/T1"})

	must(t, p.PutTracks(track("T1", 36, 41, "ibg"))) // leaves the viewport
	v.apply(t, s.Next())
	assertSet(t, v.ids(), nil)

	s.SetView(&BBox{W: 40, S: 35, E: 42, N: 37}) // the viewer pans north
	v.apply(t, s.Next())
	assertSet(t, v.ids(), []string{"track/T1", "track/T2"})

	if b := s.Next(); b.Data != nil {
		t.Fatalf("nothing changed, got %s", b.Data)
	}
}

func TestSubscribeResume(t *testing.T) {
	tests := []struct {
		name      string
		id        func(p *Picture, last string) string
		wantReset bool
	}{
		{"same picture resumes", func(p *Picture, last string) string { return last }, false},
		{"no id gets a snapshot", func(p *Picture, last string) string { return "" }, true},
		{"other epoch gets a snapshot", func(p *Picture, last string) string { return "zzz" + last[strings.Index(last, "-"):] }, true},
		{"future seq gets a snapshot", func(p *Picture, last string) string {
			parts := strings.Split(last, "-")
			return parts[0] + "-999-" + parts[2]
		}, true},
		{"other view gets a snapshot", func(p *Picture, last string) string { return last + "x" }, true},
		{"garbage gets a snapshot", func(p *Picture, last string) string { return p.Epoch() + "-x-y" }, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := New(Options{Now: fixedNow})
			must(t, p.PutTracks(track("T1", 34, 41, "ibg"), track("T2", 34, 41, "ibg")))
			s := p.Subscribe(Filter{}, "")
			var v viewer
			v.apply(t, s.Next())
			s.Close()
			// While disconnected: one moves, one goes, one comes.
			must(t, p.PutTracks(track("T1", 34.1, 41, "ibg"), track("T3", 34, 41, "ibg")))
			p.DeleteTracks("T2")

			s2 := p.Subscribe(Filter{}, tc.id(p, v.lastID))
			defer s2.Close()
			w := v.apply(t, s2.Next())
			if w.Reset != tc.wantReset {
				t.Fatalf("reset = %v, want %v", w.Reset, tc.wantReset)
			}
			if !tc.wantReset && len(w.Changes) != 3 {
				t.Fatalf("resume sent %d changes, want 3 (T1 moved, T2 deleted, T3 new)", len(w.Changes))
			}
			assertSet(t, v.ids(), []string{"track/T1", "track/T3"})
		})
	}
}

func TestResumeAfterForgottenDeletionsIsSnapshot(t *testing.T) {
	p := New(Options{Now: fixedNow, MaxTombstones: 2})
	must(t, p.PutTracks(track("T1", 34, 41, "ibg")))
	s := p.Subscribe(Filter{}, "")
	var v viewer
	v.apply(t, s.Next())
	s.Close()
	for i := range 5 {
		id := fmt.Sprint("X", i)
		must(t, p.PutTracks(track(id, 34, 41, "ibg")))
		p.DeleteTracks(id)
	}
	s2 := p.Subscribe(Filter{}, v.lastID)
	defer s2.Close()
	if w := v.apply(t, s2.Next()); !w.Reset {
		t.Fatalf("resume across forgotten deletions must be a snapshot")
	}
	assertSet(t, v.ids(), []string{"track/T1"})
}

// TestModel drives random puts, deletes, viewport changes, slow viewers and
// reconnects against a small change log and tombstone budget, and checks
// after every batch that the viewer holds exactly what it may see.
func TestModel(t *testing.T) {
	for seed := range uint64(20) {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 7))
			p := New(Options{Now: fixedNow, LogSize: 16, MaxTombstones: 4})
			allow := func(l borderwatch.Label) bool { return l.Owner != "secret" }
			randBox := func() *BBox {
				if rng.IntN(4) == 0 {
					return nil
				}
				w, s := 38+rng.Float64()*4, 32+rng.Float64()*4
				return &BBox{W: w, S: s, E: w + 2, N: s + 2}
			}
			box := randBox()
			s := p.Subscribe(Filter{BBox: box, Allow: allow}, "")
			var v viewer
			for step := range 300 {
				switch r := rng.IntN(20); {
				case r < 10:
					owner := borderwatch.Agency("ibg")
					if rng.IntN(5) == 0 {
						owner = "secret"
					}
					must(t, p.PutTracks(track(fmt.Sprint("T", rng.IntN(12)), 32+rng.Float64()*6, 38+rng.Float64()*6, owner)))
				case r < 12:
					must(t, p.PutUnits(Unit{ID: fmt.Sprint("U", rng.IntN(4)), Position: borderwatch.LatLon{Lat: 32 + rng.Float64()*6, Lon: 38 + rng.Float64()*6}, Label: borderwatch.Label{Owner: "ibg"}}))
				case r < 15:
					p.DeleteTracks(fmt.Sprint("T", rng.IntN(12)))
				case r < 16:
					box = randBox()
					s.SetView(box)
				case r < 17:
					s.Close()
					box = randBox()
					s = p.Subscribe(Filter{BBox: box, Allow: allow}, v.lastID)
				}
				if rng.IntN(3) == 0 {
					v.apply(t, s.Next())
					check(t, step, p, Filter{BBox: box, Allow: allow}, &v)
				}
			}
			s.Close()
		})
	}
}

func check(t *testing.T, step int, p *Picture, f Filter, v *viewer) {
	t.Helper()
	p.mu.RLock()
	defer p.mu.RUnlock()
	want := map[string]*entry{}
	for _, sl := range p.items {
		if e := sl.cur; f.visible(e) {
			want[string(e.key.kind)+"/"+e.key.id] = e
		}
	}
	for k, e := range want {
		got, ok := v.held[k]
		if !ok {
			t.Fatalf("step %d: viewer lacks visible %s", step, k)
		}
		if !bytes.HasSuffix(e.upsert, []byte(`"data":`+got+`}`)) {
			t.Fatalf("step %d: viewer holds stale %s: %s, picture %s", step, k, got, e.upsert)
		}
	}
	for k := range v.held {
		if _, ok := want[k]; ok {
			continue
		}
		t.Fatalf("step %d: viewer holds %s it should not", step, k)
	}
}

func TestAlertsQueueOrder(t *testing.T) {
	p := New(Options{Now: fixedNow})
	mk := func(id string, sev borderwatch.Severity, ago time.Duration) borderwatch.Alert {
		return borderwatch.Alert{ID: id, Severity: sev, State: borderwatch.AlertOpen, Time: t0.Add(-ago)}
	}
	must(t, p.PutAlerts(mk("low-old", borderwatch.SeverityLow, time.Hour), mk("crit-new", borderwatch.SeverityCritical, time.Minute),
		mk("crit-old", borderwatch.SeverityCritical, time.Hour), mk("high", borderwatch.SeverityHigh, 0)))
	var got []string
	for _, a := range p.Alerts(Filter{}) {
		got = append(got, a.ID)
	}
	want := []string{"crit-old", "crit-new", "high", "low-old"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("queue order %v, want %v", got, want)
	}
}

func TestRunThrottlesAndCoalesces(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := New(Options{Now: fixedNow})
		s := p.Subscribe(Filter{}, "")
		ctx, cancel := context.WithCancel(t.Context())
		var times []time.Duration
		var changes []int
		start := time.Now()
		done := make(chan error, 1)
		go func() {
			done <- s.Run(ctx, RunOptions{MinInterval: time.Second, Heartbeat: 10 * time.Second}, func(b Batch) error {
				times = append(times, time.Since(start))
				changes = append(changes, b.Changes)
				return nil
			})
		}()
		// 10 updates of the same track per second for 3 s.
		for i := range 30 {
			must(t, p.PutTracks(track("T1", 34, 41+float64(i)/1000, "ibg")))
			time.Sleep(100 * time.Millisecond)
		}
		synctest.Wait()
		time.Sleep(15 * time.Second) // idle: one heartbeat
		synctest.Wait()
		s.Close()
		if err := <-done; err != nil {
			t.Fatalf("Run after Close = %v, want nil", err)
		}
		cancel()
		for i := 1; i < len(times); i++ {
			if d := times[i] - times[i-1]; d < time.Second {
				t.Fatalf("batches %d and %d only %v apart; throttle is 1 s: %v", i-1, i, d, times)
			}
		}
		// Snapshot at 0 (empty picture still sends a reset), then ≤ 1 batch/s
		// of one coalesced change, then a heartbeat.
		if len(times) < 4 || len(times) > 6 {
			t.Fatalf("got %d batches at %v (changes %v)", len(times), times, changes)
		}
		if changes[len(changes)-1] != 0 {
			t.Fatalf("last emit is not a heartbeat: %v", changes)
		}
		for _, c := range changes {
			if c > 1 {
				t.Fatalf("a batch carried %d changes of one track: %v", c, changes)
			}
		}
	})
}

func TestRunStopsOnEmitError(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := New(Options{Now: fixedNow})
		s := p.Subscribe(Filter{}, "")
		defer s.Close()
		boom := errors.New("client gone")
		err := s.Run(t.Context(), RunOptions{}, func(Batch) error { return boom })
		if !errors.Is(err, boom) {
			t.Fatalf("Run = %v, want %v", err, boom)
		}
		if got := p.Stats().Subscribers; got != 1 {
			t.Fatalf("subscribers = %d before Close", got)
		}
	})
}

func TestRecreatedAfterForgottenDeletion(t *testing.T) {
	p := New(Options{Now: fixedNow, MaxTombstones: 1})
	s := p.Subscribe(Filter{}, "")
	defer s.Close()
	var v viewer
	must(t, p.PutTracks(track(`T "1"\x`, 34, 41, "ibg")))
	v.apply(t, s.Next())
	p.DeleteTracks(`T "1"\x`)
	must(t, p.PutTracks(track("X", 34, 41, "ibg")))
	p.DeleteTracks("X") // forgets the first deletion
	must(t, p.PutTracks(track(`T "1"\x`, 35, 41, "ibg")))
	v.apply(t, s.Next())
	assertSet(t, v.ids(), []string{`track/T "1"\x`})
}

func TestPutRejectsEmptyID(t *testing.T) {
	p := New(Options{Now: fixedNow})
	err := p.PutUnits(Unit{})
	if borderwatch.ErrorCodeOf(err) != borderwatch.EINVALID {
		t.Fatalf("PutUnits without id = %v, want invalid", err)
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func assertSet(t *testing.T, got, want []string) {
	t.Helper()
	g := map[string]bool{}
	for _, x := range got {
		g[x] = true
	}
	if len(g) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for _, x := range want {
		if !g[x] {
			t.Fatalf("got %v, want %v", got, want)
		}
	}
}
