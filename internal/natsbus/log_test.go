package natsbus_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/borderwatch/borderwatch"
	"github.com/borderwatch/borderwatch/internal/natsbus"
)

// TestContract runs the same suite against the embedded server and against
// Debian's nats-server binary.
func TestContract(t *testing.T) {
	impls := []struct {
		name string
		open func(t *testing.T) *natsbus.Log
	}{
		{"embedded", func(t *testing.T) *natsbus.Log { return openEmbedded(t, t.TempDir(), nil) }},
		{"external", func(t *testing.T) *natsbus.Log { return openExternal(t, startExternal(t)) }},
	}
	for _, impl := range impls {
		t.Run(impl.name, func(t *testing.T) {
			t.Parallel()
			l := impl.open(t)
			t.Cleanup(func() { _ = l.Close() })
			for _, c := range contract {
				t.Run(c.name, func(t *testing.T) { c.run(t, l) })
			}
		})
	}
}

var contract = []struct {
	name string
	run  func(t *testing.T, l *natsbus.Log)
}{
	{"AppendConcurrentThenReadAll", testAppendConcurrent},
	{"ReadBySectorAndSequence", testReadBySector},
	{"PublishTypedEventsDedup", testPublishTyped},
	{"InvalidInput", testInvalid},
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func testAppendConcurrent(t *testing.T, l *natsbus.Log) {
	ctx := ctxT(t)
	start, err := l.LastSeq(ctx, natsbus.StreamObservations)
	if err != nil {
		t.Fatal(err)
	}
	const callers, per = 32, 50
	want := map[string]borderwatch.Observation{}
	var wg sync.WaitGroup
	errs := make(chan error, callers)
	for c := range callers {
		obs := sampleObs("conc"+strconv.Itoa(c), per)
		for _, o := range obs {
			want[o.ID] = o
		}
		wg.Go(func() {
			// Half append one at a time, half as one slice.
			if c%2 == 0 {
				errs <- l.AppendObservations(ctx, "s1", obs)
				return
			}
			for i := range obs {
				if err := l.AppendObservations(ctx, "s1", obs[i:i+1]); err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	got := map[string]borderwatch.Observation{}
	msgs := 0
	err = l.ReadObservations(ctx, natsbus.ReadOptions{StartSeq: start + 1}, func(m natsbus.Msg, obs []borderwatch.Observation) error {
		msgs++
		if m.Sector != "s1" || m.Type != natsbus.TypeObservations || m.MsgID == "" {
			t.Errorf("msg seq %d: sector %q type %q id %q", m.Seq, m.Sector, m.Type, m.MsgID)
		}
		for _, o := range obs {
			if _, dup := got[o.ID]; dup {
				t.Errorf("observation %s stored twice", o.ID)
			}
			got[o.ID] = o
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("read %d observations, appended %d", len(got), len(want))
	}
	for id, w := range want {
		if fmtObs(got[id]) != fmtObs(w) {
			t.Fatalf("observation %s:\n got %s\nwant %s", id, fmtObs(got[id]), fmtObs(w))
		}
	}
	if msgs >= callers*per {
		t.Errorf("%d messages for %d observations: no batching", msgs, callers*per)
	}
	t.Logf("%d observations in %d messages", len(got), msgs)
}

func testReadBySector(t *testing.T, l *natsbus.Log) {
	ctx := ctxT(t)
	start, err := l.LastSeq(ctx, natsbus.StreamObservations)
	if err != nil {
		t.Fatal(err)
	}
	for i, sector := range []string{"north", "south", "north"} {
		if err := l.AppendObservations(ctx, sector, sampleObs("rb"+strconv.Itoa(i), 3)); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name string
		opts natsbus.ReadOptions
		want []string
	}{
		{"north", natsbus.ReadOptions{Sectors: []string{"north"}, StartSeq: start + 1}, []string{"rb0-0", "rb2-0"}},
		{"south", natsbus.ReadOptions{Sectors: []string{"south"}, StartSeq: start + 1}, []string{"rb1-0"}},
		{"all from second", natsbus.ReadOptions{StartSeq: start + 2}, []string{"rb1-0", "rb2-0"}},
		{"none", natsbus.ReadOptions{Sectors: []string{"east"}, StartSeq: start + 1}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			err := l.ReadObservations(ctx, tt.opts, func(m natsbus.Msg, obs []borderwatch.Observation) error {
				got = append(got, obs[0].ID)
				if len(obs) != 3 {
					t.Errorf("batch of %d, want 3", len(obs))
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
	t.Run("follow", func(t *testing.T) {
		fctx, cancel := context.WithCancel(ctx)
		defer cancel()
		seen := make(chan string, 10)
		done := make(chan error, 1)
		go func() {
			done <- l.ReadObservations(fctx, natsbus.ReadOptions{Sectors: []string{"west"}, Follow: true}, func(m natsbus.Msg, obs []borderwatch.Observation) error {
				seen <- obs[0].ID
				return nil
			})
		}()
		if err := l.AppendObservations(ctx, "west", sampleObs("fw", 1)); err != nil {
			t.Fatal(err)
		}
		select {
		case id := <-seen:
			if id != "fw-0" {
				t.Fatalf("got %s", id)
			}
		case <-ctx.Done():
			t.Fatal("follow did not deliver")
		}
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Fatalf("follow ended with %v, want context.Canceled", err)
		}
	})
}

func testPublishTyped(t *testing.T, l *natsbus.Log) {
	ctx := ctxT(t)
	tr := borderwatch.Track{ID: "T-1", Sector: "s2", Time: t0, Status: borderwatch.TrackConfirmed,
		Position: borderwatch.LatLon{Lat: 34.5, Lon: 41.1}, Class: borderwatch.ClassPerson, Updates: 3,
		Label: borderwatch.Label{Owner: "ibg"}}
	al := borderwatch.Alert{ID: "A-1", Kind: borderwatch.AlertCrossing, Severity: borderwatch.SeverityHigh,
		State: borderwatch.AlertOpen, Time: t0, Sector: "s2", Message: "crossing at km 312.4", Label: borderwatch.Label{Owner: "ibg"}}
	for range 2 { // the second round is a retry: deduplicated
		if err := l.PublishTrack(ctx, tr); err != nil {
			t.Fatal(err)
		}
		if err := l.PublishAlert(ctx, al); err != nil {
			t.Fatal(err)
		}
	}
	var tracks []borderwatch.Track
	if err := l.Read(ctx, natsbus.StreamTracks, natsbus.ReadOptions{Sectors: []string{"s2"}}, func(m natsbus.Msg) error {
		var x borderwatch.Track
		if m.Type != natsbus.TypeTrack {
			t.Errorf("type %q", m.Type)
		}
		tracks = append(tracks, x)
		return m.Decode(&tracks[len(tracks)-1])
	}); err != nil {
		t.Fatal(err)
	}
	if len(tracks) != 1 || tracks[0].ID != "T-1" || !tracks[0].Time.Equal(t0) || tracks[0].Updates != 3 {
		t.Fatalf("tracks %+v", tracks)
	}
	var alerts []borderwatch.Alert
	if err := l.Read(ctx, natsbus.StreamAlerts, natsbus.ReadOptions{StartTime: time.Now().Add(-time.Minute)}, func(m natsbus.Msg) error {
		var a borderwatch.Alert
		if err := m.Decode(&a); err != nil {
			return err
		}
		alerts = append(alerts, a)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(alerts) != 1 || alerts[0].Message != al.Message {
		t.Fatalf("alerts %+v", alerts)
	}
	// A new state of the same alert is a new event.
	al.State = borderwatch.AlertAcknowledged
	if err := l.PublishAlert(ctx, al); err != nil {
		t.Fatal(err)
	}
	if n, err := l.LastSeq(ctx, natsbus.StreamAlerts); err != nil || n != 2 {
		t.Fatalf("alerts last seq %d, %v; want 2", n, err)
	}
	// Generic events on the other streams.
	for _, s := range []natsbus.Stream{natsbus.StreamIncidents, natsbus.StreamCommands, natsbus.StreamAudit} {
		if _, err := l.Publish(ctx, s, "s2", "test", "", map[string]string{"k": "v"}); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

func testInvalid(t *testing.T, l *natsbus.Log) {
	ctx := ctxT(t)
	tests := []struct {
		name string
		err  error
	}{
		{"dotted sector", l.AppendObservations(ctx, "a.b", sampleObs("x", 1))},
		{"wildcard sector", l.AppendObservations(ctx, "a*", sampleObs("x", 1))},
		{"observations via Publish", func() error { _, err := l.Publish(ctx, natsbus.StreamObservations, "s", "", "", 1); return err }()},
		{"unknown stream", func() error { _, err := l.Publish(ctx, "NOPE", "s", "", "", 1); return err }()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if borderwatch.ErrorCodeOf(tt.err) != borderwatch.EINVALID {
				t.Fatalf("err %v, want EINVALID", tt.err)
			}
		})
	}
	if err := l.AppendObservations(ctx, "s", nil); err != nil {
		t.Fatalf("empty append: %v", err)
	}
}

// TestRestart closes the embedded server and opens it again on the same
// directory: every acknowledged observation is still there.
func TestRestart(t *testing.T) {
	dir := t.TempDir()
	ctx := ctxT(t)
	l := openEmbedded(t, dir, nil)
	var wg sync.WaitGroup
	for c := range 8 {
		wg.Go(func() {
			if err := l.AppendObservations(ctx, "s"+strconv.Itoa(c%3), sampleObs("r"+strconv.Itoa(c), 100)); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if err := l.AppendObservations(ctx, "s0", sampleObs("late", 1)); !errors.Is(err, natsbus.ErrClosed) {
		t.Fatalf("append after close: %v, want ErrClosed", err)
	}
	l2 := openEmbedded(t, dir, nil)
	defer l2.Close()
	ids := map[string]bool{}
	if err := l2.ReadObservations(ctx, natsbus.ReadOptions{}, func(m natsbus.Msg, obs []borderwatch.Observation) error {
		for _, o := range obs {
			ids[o.ID] = true
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(ids) != 800 {
		t.Fatalf("after restart %d observations, want 800", len(ids))
	}
	// New appends after the restart do not collide with earlier message ids.
	if err := l2.AppendObservations(ctx, "s0", sampleObs("after", 1)); err != nil {
		t.Fatal(err)
	}
	n := 0
	if err := l2.ReadObservations(ctx, natsbus.ReadOptions{Sectors: []string{"s0"}}, func(m natsbus.Msg, obs []borderwatch.Observation) error {
		n += len(obs)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if n != 301 {
		t.Fatalf("sector s0 holds %d, want 301", n)
	}
}

func TestOptionsValidate(t *testing.T) {
	tests := []struct {
		name string
		o    natsbus.Options
		want string
	}{
		{"no data dir", natsbus.Options{}, "data_dir"},
		{"bad url", natsbus.Options{URLs: []string{"localhost:4222"}}, "urls[0]"},
		{"mqtt without users", natsbus.Options{DataDir: "x", MQTTAddr: ":1883"}, "mqtt_users"},
		{"user without password", natsbus.Options{DataDir: "x", MQTTAddr: ":1883", MQTTUsers: []natsbus.User{{Username: "cam"}}}, "mqtt_users[0]"},
		{"bad mqtt addr", natsbus.Options{DataDir: "x", MQTTAddr: "1883", MQTTUsers: []natsbus.User{{Username: "c", Password: "p"}}}, "mqtt_addr"},
		{"negative retention", natsbus.Options{DataDir: "x", Retention: map[natsbus.Stream]natsbus.Retention{natsbus.StreamTracks: {MaxAge: -1}}}, "retention.TRACKS"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := natsbus.New(tt.o)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err %v, want mention of %q", err, tt.want)
			}
		})
	}
}

// TestRetryDeduplicated freezes an external nats-server (SIGSTOP) while a
// batch awaits its acknowledgement: the log re-publishes it with the same
// message id, and once the server runs again every observation is stored
// exactly once.
func TestRetryDeduplicated(t *testing.T) {
	url, proc := startExternalProc(t)
	l, err := natsbus.New(natsbus.Options{URLs: []string{url}, PublishTimeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx := ctxT(t)
	if err := l.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if err := proc.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	stopped := true
	defer func() {
		if stopped {
			_ = proc.Signal(syscall.SIGCONT)
		}
	}()
	done := make(chan error, 1)
	go func() { done <- l.AppendObservations(ctx, "s1", sampleObs("retry", 50)) }()
	for l.Stats().Retries == 0 {
		select {
		case err := <-done:
			t.Fatalf("append finished while the server was stopped: %v", err)
		case <-ctx.Done():
			t.Fatal("no retry")
		case <-time.After(10 * time.Millisecond): // polling a counter, not an assertion
		}
	}
	if err := proc.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	stopped = false
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	if err := l.ReadObservations(ctx, natsbus.ReadOptions{}, func(m natsbus.Msg, obs []borderwatch.Observation) error {
		for _, o := range obs {
			count[o.ID]++
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(count) != 50 {
		t.Fatalf("%d distinct observations, want 50", len(count))
	}
	for id, n := range count {
		if n != 1 {
			t.Fatalf("%s stored %d times", id, n)
		}
	}
	t.Logf("retries: %d", l.Stats().Retries)
}

// TestSplitBatches appends more than one message holds: the call spans
// several batches, waits for all, and the async callback runs once.
func TestSplitBatches(t *testing.T) {
	ctx := ctxT(t)
	l := openEmbedded(t, t.TempDir(), func(o *natsbus.Options) { o.MaxBatchBytes = 1024 })
	defer l.Close()
	if err := l.AppendObservations(ctx, "s1", sampleObs("split", 100)); err != nil {
		t.Fatal(err)
	}
	calls := make(chan error, 10)
	l.AppendObservationsAsync("s1", sampleObs("async", 100), func(err error) { calls <- err })
	if err := <-calls; err != nil {
		t.Fatal(err)
	}
	msgs, n := 0, 0
	if err := l.ReadObservations(ctx, natsbus.ReadOptions{}, func(m natsbus.Msg, obs []borderwatch.Observation) error {
		msgs++
		n += len(obs)
		if len(m.Data) > 1024 {
			t.Errorf("message of %d bytes", len(m.Data))
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if n != 200 || msgs < 20 {
		t.Fatalf("%d observations in %d messages", n, msgs)
	}
	select {
	case err := <-calls:
		t.Fatalf("callback called twice (%v)", err)
	default:
	}
	huge := sampleObs("huge", 1)
	huge[0].Attrs = map[string]string{"blob": strings.Repeat("x", 2000)}
	if err := l.AppendObservations(ctx, "s1", huge); borderwatch.ErrorCodeOf(err) != borderwatch.EINVALID {
		t.Fatalf("oversize observation: %v, want EINVALID", err)
	}
}
