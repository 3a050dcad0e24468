package cluster_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/borderwatch/borderwatch"
	"github.com/borderwatch/borderwatch/internal/cluster"
	"github.com/borderwatch/borderwatch/internal/natsbus"
)

// A node process is this test binary started again with these variables
// set: TestMain runs nodeMain instead of the tests.
const (
	envNode     = "BORDERWATCH_CLUSTER_TEST_NODE"
	envURLs     = "BORDERWATCH_CLUSTER_TEST_URLS"
	envSectors  = "BORDERWATCH_CLUSTER_TEST_SECTORS"
	envTTL      = "BORDERWATCH_CLUSTER_TEST_TTL"
	envReplicas = "BORDERWATCH_CLUSTER_TEST_REPLICAS"
)

// Subjects of the results stream the node processes write to: one record
// per acquisition, then one per processed batch (before its Commit).
const (
	resultsStream = "RESULTS"
	acqPrefix     = "res.acq."
	outPrefix     = "res.out."
)

func TestMain(m *testing.M) {
	if os.Getenv(envNode) != "" {
		os.Exit(nodeMain())
	}
	os.Exit(m.Run())
}

// smallRetention keeps the log's streams small on test servers (the
// defaults reserve 15 GiB per server).
func smallRetention() map[natsbus.Stream]natsbus.Retention {
	r := map[natsbus.Stream]natsbus.Retention{}
	for _, s := range natsbus.Streams {
		r[s] = natsbus.Retention{MaxAge: time.Hour, MaxBytes: 64 << 20}
	}
	return r
}

// nodeMain is a minimal borderwatch node: it joins the cluster and, for
// each sector it owns, reads the sector's observations from the sequence
// the lease gives, writes what it processed to the results stream and
// commits. It prints "acquire <sector> <epoch> <fromSeq>" and "release
// <sector>" on stdout. SIGTERM leaves gracefully; SIGKILL is a crash.
func nodeMain() int {
	id := os.Getenv(envNode)
	ttl, err := time.ParseDuration(os.Getenv(envTTL))
	if err != nil {
		fmt.Fprintln(os.Stderr, "bad TTL:", err)
		return 2
	}
	replicas, _ := strconv.Atoi(os.Getenv(envReplicas))
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo})).With("test_node", id)
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()

	bus, err := natsbus.New(natsbus.Options{URLs: strings.Split(os.Getenv(envURLs), ","), Replicas: replicas, Logger: logger, Retention: smallRetention()})
	if err == nil {
		err = bus.Start(ctx)
	}
	if err != nil {
		logger.Error("log", "err", err)
		return 1
	}
	defer bus.Close()
	m, err := cluster.New(bus.JetStream(), cluster.Options{
		NodeID: id, Sectors: strings.Split(os.Getenv(envSectors), ","), Replicas: replicas, LeaseTTL: ttl, Logger: logger,
	})
	if err != nil {
		logger.Error("cluster", "err", err)
		return 1
	}
	var outMu sync.Mutex
	say := func(f string, a ...any) {
		outMu.Lock()
		fmt.Printf(f+"\n", a...)
		outMu.Unlock()
	}
	consumers := map[string]*sectorWork{}
	say("started")
	var wg sync.WaitGroup // the consumers, stopped or still tearing down
	err = m.Run(ctx,
		func(sector string, fromSeq, epoch uint64) {
			say("acquire %s %d %d", sector, epoch, fromSeq)
			w := newSectorWork()
			consumers[sector] = w
			wg.Add(1)
			go func() {
				defer wg.Done()
				consume(w, bus, m, logger, id, sector, fromSeq, epoch)
			}()
		},
		func(sector string) {
			if w := consumers[sector]; w != nil {
				w.stop()
				delete(consumers, sector)
			}
			say("release %s", sector)
		})
	wg.Wait()
	if err != nil {
		logger.Error("run", "err", err)
		return 1
	}
	return 0
}

var errFenced = errors.New("fenced")

// sectorWork is one sector's processing. stop returns as soon as no batch
// is being processed and none will be: it does not wait for the reader's
// teardown (natsbus.Read deletes its consumer on return, which takes
// seconds while a NATS server is down), so releasing a sector is quick.
type sectorWork struct {
	ctx    context.Context
	cancel context.CancelFunc
	mu     sync.Mutex // held while a batch is processed
	done   bool
}

func newSectorWork() *sectorWork {
	ctx, cancel := context.WithCancel(context.Background())
	return &sectorWork{ctx: ctx, cancel: cancel}
}

func (w *sectorWork) stop() {
	w.cancel() // aborts an in-flight publish or Commit
	w.mu.Lock()
	w.done = true
	w.mu.Unlock()
}

// batch runs f unless the work was stopped; false means stopped.
func (w *sectorWork) batch(f func() error) (bool, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.done {
		return false, nil
	}
	return true, f()
}

// consume processes one sector from fromSeq until its work is stopped or
// the lease is lost. Processing a batch = writing its observation IDs to
// the results stream, then committing its sequence.
func consume(w *sectorWork, bus *natsbus.Log, m *cluster.Membership, log *slog.Logger, node, sector string, fromSeq, epoch uint64) {
	ctx := w.ctx
	js := bus.JetStream()
	hdr := func(subject string) *nats.Msg {
		msg := nats.NewMsg(subject + sector)
		msg.Header.Set("Bw-Node", node)
		msg.Header.Set("Bw-Epoch", strconv.FormatUint(epoch, 10))
		return msg
	}
	// A publish that timed out may still have been stored: retries carry
	// the same message id (one per attempt: node, epoch, what).
	publish := func(msg *nats.Msg, id string) error {
		for attempt := 0; ctx.Err() == nil; attempt++ {
			pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			_, err := js.PublishMsg(pctx, msg, jetstream.WithExpectStream(resultsStream),
				jetstream.WithMsgID(fmt.Sprintf("%s/%s/%d/%s", node, sector, epoch, id)))
			cancel()
			if err == nil {
				return nil
			}
			if attempt%20 == 0 {
				log.Warn("result not stored; retrying", "sector", sector, "id", id, "attempt", attempt, "err", err)
			}
			select {
			case <-ctx.Done():
			case <-time.After(100 * time.Millisecond):
			}
		}
		return ctx.Err()
	}
	acq := hdr(acqPrefix)
	acq.Header.Set("Bw-From", strconv.FormatUint(fromSeq, 10))
	if publish(acq, "acquire") != nil {
		return
	}
	next := fromSeq
	var progress atomic.Int64 // UnixNano of the last processed batch or read start

	var obsStream jetstream.Stream // the observations stream's handle, for gap checks
	process := func(msg natsbus.Msg, obs []borderwatch.Observation) error {
		if msg.Seq < next {
			// Redelivered: an R1 memory consumer recreated when its NATS
			// server restarted starts over from its start sequence.
			// Already processed and committed: skip.
			return nil
		}
		if msg.Seq > next {
			// A reader on a replica that is catching up (an R1 consumer
			// recreated when its NATS server restarted) can skip messages:
			// ask the stream leader for the sector's first message at or
			// after next.
			first, err := firstSeqFrom(ctx, js, &obsStream, sector, next)
			if err != nil {
				return fmt.Errorf("gap check: %w", err)
			}
			if first < msg.Seq {
				return fmt.Errorf("%w: got seq %d, the sector has %d first", errGap, msg.Seq, first)
			}
		}
		ids := make([]string, len(obs))
		for i := range obs {
			ids[i] = obs[i].ID
		}
		out := hdr(outPrefix)
		out.Header.Set("Bw-Seq", strconv.FormatUint(msg.Seq, 10))
		out.Data = []byte(strings.Join(ids, "\n"))
		if err := publish(out, strconv.FormatUint(msg.Seq, 10)); err != nil {
			return err
		}
		for attempt := 0; ; attempt++ {
			err := m.Commit(ctx, sector, epoch, msg.Seq)
			if err == nil {
				break
			}
			if errors.Is(err, cluster.ErrFenced) {
				return errFenced
			}
			if attempt%20 == 0 {
				log.Warn("commit failed; retrying", "sector", sector, "seq", msg.Seq, "attempt", attempt, "err", err)
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(100 * time.Millisecond):
			}
		}
		next = msg.Seq + 1
		progress.Store(time.Now().UnixNano())
		return nil
	}

	for ctx.Err() == nil {
		rctx, stopRead := context.WithCancel(ctx)
		progress.Store(time.Now().UnixNano())
		// natsbus.Read does not report a consumer lost with a NATS server
		// (missing heartbeats are retried silently): restart a read that
		// makes no progress while the sector has messages after next.
		watchdog := make(chan struct{})
		go func() {
			defer close(watchdog)
			t := time.NewTicker(time.Second)
			defer t.Stop()
			for {
				select {
				case <-rctx.Done():
					return
				case <-t.C:
				}
				if time.Since(time.Unix(0, progress.Load())) < 5*time.Second {
					continue
				}
				if last := lastSeq(rctx, js, sector); last >= next {
					log.Warn("read stalled; restarting it", "sector", sector, "next", next, "last", last)
					stopRead()
					return
				}
			}
		}()
		err := bus.ReadObservations(rctx, natsbus.ReadOptions{Sectors: []string{sector}, StartSeq: next, Follow: true},
			func(msg natsbus.Msg, obs []borderwatch.Observation) error {
				ok, err := w.batch(func() error { return process(msg, obs) })
				if !ok {
					return context.Canceled
				}
				return err
			})
		stopRead()
		<-watchdog
		if errors.Is(err, errFenced) || ctx.Err() != nil {
			return
		}
		// The consumer's server went away, or similar: read again from
		// the first sequence not committed.
		log.Warn("read failed; resuming", "sector", sector, "from", next, "err", err)
		select {
		case <-ctx.Done():
		case <-time.After(200 * time.Millisecond):
		}
	}
}

var errGap = errors.New("reader skipped messages")

// firstSeqFrom is the stream sequence of the sector's first observation
// batch at or after seq, asked of the stream leader (no direct get).
func firstSeqFrom(ctx context.Context, js jetstream.JetStream, st *jetstream.Stream, sector string, seq uint64) (uint64, error) {
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if *st == nil {
		s, err := js.Stream(cctx, string(natsbus.StreamObservations))
		if err != nil {
			return 0, err
		}
		*st = s
	}
	m, err := (*st).GetMsg(cctx, seq, jetstream.WithGetMsgSubject(natsbus.StreamObservations.Subject(sector)))
	if err != nil {
		return 0, err
	}
	return m.Sequence, nil
}

// lastSeq is the stream sequence of the sector's newest observation batch
// (0 if unknown).
func lastSeq(ctx context.Context, js jetstream.JetStream, sector string) uint64 {
	cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	st, err := js.Stream(cctx, string(natsbus.StreamObservations))
	if err != nil {
		return 0
	}
	m, err := st.GetLastMsgForSubject(cctx, natsbus.StreamObservations.Subject(sector))
	if err != nil {
		return 0
	}
	return m.Sequence
}

// nodeProc is a node process seen from the test.
type nodeProc struct {
	id     string
	cmd    *exec.Cmd
	exited chan struct{}
	stderr *syncBuffer

	mu     sync.Mutex
	events []nodeEvent
	owned  map[string]uint64
	notify chan struct{}
}

type nodeEvent struct {
	kind   string
	sector string
	epoch  uint64
	from   uint64
	at     time.Time
}

func startNode(t testing.TB, id string, urls, sectors []string, ttl time.Duration, replicas int) *nodeProc {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(),
		envNode+"="+id,
		envURLs+"="+strings.Join(urls, ","),
		envSectors+"="+strings.Join(sectors, ","),
		envTTL+"="+ttl.String(),
		envReplicas+"="+strconv.Itoa(replicas),
	)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := &nodeProc{id: id, cmd: cmd, exited: make(chan struct{}), stderr: &syncBuffer{ready: make(chan struct{})},
		owned: map[string]uint64{}, notify: make(chan struct{}, 1)}
	cmd.Stderr = p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			p.line(sc.Text())
		}
		_ = cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		p.stop()
		if t.Failed() {
			t.Logf("node %s stderr (tail):\n%s", id, tail(p.stderr.String(), 30000))
		}
	})
	return p
}

func (p *nodeProc) line(s string) {
	f := strings.Fields(s)
	if len(f) == 0 {
		return
	}
	e := nodeEvent{kind: f[0], at: time.Now()}
	if len(f) > 1 {
		e.sector = f[1]
	}
	if len(f) > 3 {
		e.epoch, _ = strconv.ParseUint(f[2], 10, 64)
		e.from, _ = strconv.ParseUint(f[3], 10, 64)
	}
	p.mu.Lock()
	p.events = append(p.events, e)
	switch e.kind {
	case "acquire":
		p.owned[e.sector] = e.epoch
	case "release":
		delete(p.owned, e.sector)
	}
	p.mu.Unlock()
	select {
	case p.notify <- struct{}{}:
	default:
	}
}

// Owned is what the node last reported owning.
func (p *nodeProc) Owned() map[string]uint64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[string]uint64, len(p.owned))
	for s, e := range p.owned {
		out[s] = e
	}
	return out
}

func (p *nodeProc) acquiredAfter(t0 time.Time) map[string]time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := map[string]time.Time{}
	for _, e := range p.events {
		if e.kind == "acquire" && e.at.After(t0) {
			out[e.sector] = e.at
		}
	}
	return out
}

// kill is a crash: SIGKILL, nothing handed over.
func (p *nodeProc) kill() {
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.exited
	p.mu.Lock()
	clear(p.owned)
	p.mu.Unlock()
}

// stop leaves gracefully (SIGTERM), then kills after a while.
func (p *nodeProc) stop() {
	select {
	case <-p.exited:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(15 * time.Second):
		p.kill()
	}
}

// nodesBalanced: every sector owned by exactly one of nodes, counts
// within one of each other.
func nodesBalanced(sectors []string, nodes ...*nodeProc) bool {
	count := map[string]int{}
	lo, hi := len(sectors), 0
	for _, n := range nodes {
		o := n.Owned()
		for s := range o {
			count[s]++
		}
		lo, hi = min(lo, len(o)), max(hi, len(o))
	}
	for _, s := range sectors {
		if count[s] != 1 {
			return false
		}
	}
	return hi-lo <= 1
}
