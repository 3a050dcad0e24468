package cluster_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/borderwatch/borderwatch/internal/cluster"
)

// startEmbedded runs an in-process nats-server with JetStream on a
// loopback port and returns its client URL.
func startEmbedded(t testing.TB) string {
	t.Helper()
	s, err := server.NewServer(&server.Options{
		Host:       "127.0.0.1",
		Port:       server.RANDOM_PORT,
		JetStream:  true,
		StoreDir:   filepath.Join(t.TempDir(), "js"),
		NoSigs:     true,
		NoLog:      true,
		ServerName: "embedded",
	})
	if err != nil {
		t.Fatal(err)
	}
	s.Start()
	if !s.ReadyForConnections(20 * time.Second) {
		t.Fatal("embedded nats-server not ready")
	}
	t.Cleanup(func() { s.Shutdown(); s.WaitForShutdown() })
	return s.ClientURL()
}

func connect(t testing.TB, url string) (*nats.Conn, jetstream.JetStream) {
	t.Helper()
	nc, err := nats.Connect(url, nats.MaxReconnects(-1), nats.ReconnectWait(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return nc, js
}

// ledger records what every member did with every sector: per epoch, the
// sequence it started from, the last one whose Commit it attempted and the
// last one whose Commit it saw succeed. A Commit that failed without
// ErrFenced (the link cut mid-call) may or may not be stored; the next
// epoch's start tells which.
type ledger struct {
	t       testing.TB
	mu      sync.Mutex
	spans   map[string]map[uint64]*span // sector -> epoch -> span
	okCount map[string]int
	events  []event
	changed chan struct{}
}

type span struct {
	node              string
	from, tried, done uint64 // done: last confirmed commit (0: none)
}

type event struct {
	kind           string // acquire, release
	node, sector   string
	epoch, fromSeq uint64
	at             time.Time
}

func newLedger(t testing.TB) *ledger {
	return &ledger{t: t, spans: map[string]map[uint64]*span{}, okCount: map[string]int{}, changed: make(chan struct{}, 1)}
}

func (l *ledger) notify() {
	select {
	case l.changed <- struct{}{}:
	default:
	}
}

func (l *ledger) span(sector string, epoch uint64) *span {
	m := l.spans[sector]
	if m == nil {
		m = map[uint64]*span{}
		l.spans[sector] = m
	}
	sp := m[epoch]
	if sp == nil {
		sp = &span{}
		m[epoch] = sp
	}
	return sp
}

func (l *ledger) tried(sector string, epoch, seq uint64) {
	l.mu.Lock()
	l.span(sector, epoch).tried = seq
	l.mu.Unlock()
}

func (l *ledger) committed(sector string, epoch, seq uint64) {
	l.mu.Lock()
	l.span(sector, epoch).done = seq
	l.okCount[sector]++
	l.mu.Unlock()
	l.notify()
}

func (l *ledger) event(e event) {
	l.mu.Lock()
	e.at = time.Now()
	l.events = append(l.events, e)
	if e.kind == "acquire" {
		sp := l.span(e.sector, e.epoch)
		sp.node, sp.from = e.node, e.fromSeq
	}
	l.mu.Unlock()
	l.notify()
}

func (l *ledger) commits(sector string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.okCount[sector]
}

// check asserts exactly-once across owners: each epoch starts right
// after a sequence the previous epoch attempted (nothing skipped) and
// after every sequence it saw committed (nothing committed twice).
func (l *ledger) check(t testing.TB) {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	for sector, m := range l.spans {
		var epochs []uint64
		for e := range m {
			epochs = append(epochs, e)
		}
		slices.Sort(epochs)
		for i := 1; i < len(epochs); i++ {
			pe, ne := epochs[i-1], epochs[i]
			if ne != pe+1 {
				continue // an epoch nobody here recorded lies between
			}
			prev, next := m[pe], m[ne]
			last := prev.tried
			if last < prev.from {
				last = prev.from - 1 // attempted nothing
			}
			if next.from > last+1 {
				t.Errorf("sector %s: epoch %d (%s) started at %d but epoch %d (%s) attempted only up to %d: skipped", sector, ne, next.node, next.from, pe, prev.node, last)
			}
			if prev.done != 0 && next.from <= prev.done {
				t.Errorf("sector %s: epoch %d (%s) started at %d but epoch %d (%s) had committed %d: processed twice", sector, ne, next.node, next.from, pe, prev.node, prev.done)
			}
		}
	}
}

// member runs one Membership in-process with a toy processor per owned
// sector that commits the next sequence every few milliseconds.
type member struct {
	id     string
	m      *cluster.Membership
	nc     *nats.Conn
	cancel context.CancelFunc
	done   chan error

	mu    sync.Mutex
	procs map[string]*proc

	stopOnce sync.Once
	err      error
}

type proc struct {
	stop chan struct{}
	done chan struct{}
}

func startMember(t testing.TB, url, id string, sectors []string, ttl time.Duration, l *ledger) *member {
	t.Helper()
	nc, js := connect(t, url)
	m, err := cluster.New(js, cluster.Options{
		NodeID: id, Sectors: sectors, LeaseTTL: ttl,
		Logger: slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelInfo})).With("test_node", id),
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	mb := &member{id: id, m: m, nc: nc, cancel: cancel, done: make(chan error, 1), procs: map[string]*proc{}}
	go func() {
		mb.done <- m.Run(ctx,
			func(sector string, fromSeq, epoch uint64) {
				l.event(event{kind: "acquire", node: id, sector: sector, epoch: epoch, fromSeq: fromSeq})
				p := &proc{stop: make(chan struct{}), done: make(chan struct{})}
				mb.mu.Lock()
				mb.procs[sector] = p
				mb.mu.Unlock()
				go mb.process(l, p, sector, fromSeq, epoch)
			},
			func(sector string) {
				mb.mu.Lock()
				p := mb.procs[sector]
				delete(mb.procs, sector)
				mb.mu.Unlock()
				if p != nil {
					close(p.stop)
					<-p.done
				}
				l.event(event{kind: "release", node: id, sector: sector})
			})
	}()
	t.Cleanup(mb.stop)
	return mb
}

func (mb *member) process(l *ledger, p *proc, sector string, seq, epoch uint64) {
	defer close(p.done)
	// onRelease must not wait for a Commit stuck on a cut link: stopping
	// cancels it (its outcome is then unknown, which is allowed).
	stopCtx, cancelStop := context.WithCancel(context.Background())
	defer cancelStop()
	go func() {
		select {
		case <-p.stop:
			cancelStop()
		case <-stopCtx.Done():
		}
	}()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-tick.C:
		}
		l.tried(sector, epoch, seq)
		// Retry a Commit of unknown outcome until it succeeds or is
		// fenced; a stop request ends the retries (the outcome stays
		// unknown, which the next owner's start settles).
		for {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			stopped := context.AfterFunc(stopCtx, cancel)
			err := mb.m.Commit(ctx, sector, epoch, seq)
			stopped()
			cancel()
			if err == nil {
				break
			}
			if errors.Is(err, cluster.ErrFenced) {
				return
			}
			select {
			case <-p.stop:
				return
			case <-time.After(50 * time.Millisecond):
			}
		}
		l.committed(sector, epoch, seq)
		seq++
	}
}

func (mb *member) stop() {
	mb.stopOnce.Do(func() {
		mb.cancel()
		select {
		case mb.err = <-mb.done:
		case <-time.After(30 * time.Second):
			mb.err = errors.New("Run did not return within 30s")
		}
	})
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t testing.TB, l *ledger, within time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	deadline := time.NewTimer(within)
	defer deadline.Stop()
	poll := time.NewTicker(20 * time.Millisecond)
	defer poll.Stop()
	for !cond() {
		var changed <-chan struct{}
		if l != nil {
			changed = l.changed
		}
		select {
		case <-deadline.C:
			t.Fatalf("not within %v: %s", within, what)
		case <-changed:
		case <-poll.C:
		}
	}
	return time.Since(start)
}

// owners maps each sector to the members that hold it now.
func owners(ms ...*member) map[string][]string {
	out := map[string][]string{}
	for _, mb := range ms {
		for s := range mb.m.Owned() {
			out[s] = append(out[s], mb.id)
		}
	}
	return out
}

// balanced: every sector owned by exactly one member, counts within one.
func balanced(sectors []string, ms ...*member) bool {
	o := owners(ms...)
	for _, s := range sectors {
		if len(o[s]) != 1 {
			return false
		}
	}
	lo, hi := len(sectors), 0
	for _, mb := range ms {
		n := len(mb.m.Owned())
		lo, hi = min(lo, n), max(hi, n)
	}
	return hi-lo <= 1
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	if testing.Verbose() || os.Getenv("BORDERWATCH_TEST_LOG") != "" {
		w.t.Log(string(p))
	}
	return len(p), nil
}

func sectorNames(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("s%02d", i+1)
	}
	return out
}
