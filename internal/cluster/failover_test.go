package cluster_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/borderwatch/borderwatch"
	"github.com/borderwatch/borderwatch/internal/cluster"
	"github.com/borderwatch/borderwatch/internal/natsbus"
)

// procTTL is the lease TTL of the node processes: short enough for a
// quick test, long enough for race-instrumented processes on a busy
// 2-core machine.
const procTTL = 3 * time.Second

// rig is a 3-node NATS cluster with the log's streams, a results stream,
// a feeder and node processes.
type rig struct {
	t       *testing.T
	nats    *natsCluster
	nc      *nats.Conn
	js      jetstream.JetStream
	bus     *natsbus.Log
	sectors []string

	mu    sync.Mutex
	acked map[string]bool // observation IDs the log acknowledged
	sent  int
}

func newRig(t *testing.T, sectors int) *rig {
	c := startNATSCluster(t, 3)
	r := &rig{t: t, nats: c, sectors: sectorNames(sectors), acked: map[string]bool{}}
	nc, err := nats.Connect(strings.Join(c.URLs(), ","), nats.MaxReconnects(-1), nats.ReconnectWait(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	r.nc = nc
	if r.js, err = jetstream.New(nc); err != nil {
		t.Fatal(err)
	}
	// Right after start-up the cluster may not place an R3 stream yet
	// ("no suitable peers for placement").
	retry(t, "create the results stream", func(ctx context.Context) error {
		_, err := r.js.CreateStream(ctx, jetstream.StreamConfig{
			Name: resultsStream, Subjects: []string{"res.>"}, Storage: jetstream.FileStorage, Replicas: 3,
		})
		return err
	})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	r.bus, err = natsbus.New(natsbus.Options{URLs: c.URLs(), Replicas: 3, Retention: smallRetention()})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.bus.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.bus.Close() })
	return r
}

// feed appends numbered observations to every sector, one batch of five
// per sector every period, until ctx ends.
func (r *rig) feed(ctx context.Context, period time.Duration) {
	tick := time.NewTicker(period)
	defer tick.Stop()
	t0 := time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)
	for round := 0; ; round++ {
		var wg sync.WaitGroup
		for _, s := range r.sectors {
			obs := make([]borderwatch.Observation, 5)
			for k := range obs {
				p := borderwatch.LatLon{Lat: 34 + float64(round)*1e-5, Lon: 41 + float64(k)*1e-5}
				obs[k] = borderwatch.Observation{
					ID: fmt.Sprintf("%s-%d-%d", s, round, k), Time: t0.Add(time.Duration(round) * time.Second),
					Source:   borderwatch.Source{ID: "cam-" + s, Kind: borderwatch.SourceThermalCamera},
					Position: &p, Cov: borderwatch.Isotropic(25), Class: borderwatch.ClassPerson, Confidence: 0.9,
				}
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				actx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer cancel()
				err := r.bus.AppendObservations(actx, s, obs)
				r.mu.Lock()
				r.sent += len(obs)
				if err == nil {
					for _, o := range obs {
						r.acked[o.ID] = true
					}
				}
				r.mu.Unlock()
			}()
		}
		wg.Wait()
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// committedSeq is the sequence a sector's lease says was processed.
func (r *rig) committedSeq(ctx context.Context, kv jetstream.KeyValue, sector string) uint64 {
	e, err := kv.Get(ctx, sector)
	if err != nil {
		return 0
	}
	var l struct{ Seq uint64 }
	_ = json.Unmarshal(e.Value(), &l)
	return l.Seq
}

// drained: every sector's lease has committed its last logged sequence,
// and every replica of the observations and results streams is current
// (a reader on a replica still catching up would see holes).
func (r *rig) drained(ctx context.Context) bool {
	for _, name := range []string{string(natsbus.StreamObservations), resultsStream} {
		st, err := r.js.Stream(ctx, name)
		if err != nil {
			return false
		}
		info, err := st.Info(ctx)
		if err != nil || info.Cluster == nil {
			return false
		}
		for _, p := range info.Cluster.Replicas {
			if !p.Current || p.Offline || p.Lag > 0 {
				return false
			}
		}
	}
	kv, err := r.js.KeyValue(ctx, cluster.DefaultBucket+"-leases")
	if err != nil {
		return false
	}
	st, err := r.js.Stream(ctx, string(natsbus.StreamObservations))
	if err != nil {
		return false
	}
	for _, s := range r.sectors {
		m, err := st.GetLastMsgForSubject(ctx, natsbus.StreamObservations.Subject(s))
		if err != nil {
			return false
		}
		if r.committedSeq(ctx, kv, s) != m.Sequence {
			return false
		}
	}
	return true
}

// lag describes the sectors whose committed sequence is behind the log.
func (r *rig) lag(ctx context.Context) string {
	kv, err := r.js.KeyValue(ctx, cluster.DefaultBucket+"-leases")
	if err != nil {
		return err.Error()
	}
	st, err := r.js.Stream(ctx, string(natsbus.StreamObservations))
	if err != nil {
		return err.Error()
	}
	var b strings.Builder
	for _, s := range r.sectors {
		m, err := st.GetLastMsgForSubject(ctx, natsbus.StreamObservations.Subject(s))
		e, kerr := kv.Get(ctx, s)
		if err != nil || kerr != nil {
			fmt.Fprintf(&b, "%s: %v %v; ", s, err, kerr)
			continue
		}
		if c := r.committedSeq(ctx, kv, s); c != m.Sequence {
			fmt.Fprintf(&b, "%s: lease %s, last %d; ", s, e.Value(), m.Sequence)
		}
	}
	return b.String()
}

type logged struct {
	sector string
	ids    []string
}

type outRecord struct {
	node  string
	epoch uint64
	seq   uint64
	ids   []string
}

type acqRecord struct {
	node string
	from uint64
}

// verify reads the log and the results and checks, per sector, that every
// logged batch was processed exactly once by the owner of the epoch whose
// range holds it. Epoch e's range runs from its start to the next epoch's
// start; an output of epoch e beyond that range is an attempt whose
// Commit never happened (at most one per epoch: the batch in flight when
// the node died or lost the lease) and is not counted.
func (r *rig) verify() (batches, uncommitted int) {
	t := r.t
	t.Helper()
	var log map[uint64]logged
	var bySector map[string][]uint64
	// With a server down, creating a reader's consumer can time out when
	// it is placed on the dead peer: try again.
	retry(t, "read observations", func(ctx context.Context) error {
		log, bySector = map[uint64]logged{}, map[string][]uint64{}
		return r.bus.ReadObservations(ctx, natsbus.ReadOptions{}, func(m natsbus.Msg, obs []borderwatch.Observation) error {
			ids := make([]string, len(obs))
			for i := range obs {
				ids[i] = obs[i].ID
			}
			log[m.Seq] = logged{sector: m.Sector, ids: ids}
			bySector[m.Sector] = append(bySector[m.Sector], m.Seq)
			return nil
		})
	})
	inLog := map[string]bool{}
	for _, l := range log {
		for _, id := range l.ids {
			inLog[id] = true
		}
	}
	r.mu.Lock()
	for id := range r.acked {
		if !inLog[id] {
			t.Errorf("acknowledged observation %s is not in the log", id)
		}
	}
	r.mu.Unlock()

	var acqs map[string]map[uint64]acqRecord
	var outs map[string][]outRecord
	retry(t, "read results", func(ctx context.Context) error {
		acqs, outs = map[string]map[uint64]acqRecord{}, map[string][]outRecord{}
		return r.readResults(ctx, acqs, outs)
	})
	for _, s := range r.sectors {
		var epochs []uint64
		for e := range acqs[s] {
			epochs = append(epochs, e)
		}
		slices.Sort(epochs)
		end := map[uint64]uint64{} // epoch -> first seq of the next epoch (0: open)
		for i, e := range epochs {
			if i+1 < len(epochs) {
				next := acqs[s][epochs[i+1]].from
				if next < acqs[s][e].from {
					t.Errorf("sector %s: epoch %d starts at %d, before epoch %d's start %d", s, epochs[i+1], next, e, acqs[s][e].from)
				}
				end[e] = next
			}
		}
		effective := map[uint64]int{}
		perEpochBeyond := map[uint64]int{}
		for _, o := range outs[s] {
			a, ok := acqs[s][o.epoch]
			if !ok {
				t.Errorf("sector %s: output for seq %d from epoch %d (%s) with no acquisition record", s, o.seq, o.epoch, o.node)
				continue
			}
			if o.seq < a.from {
				t.Errorf("sector %s: epoch %d (%s) processed seq %d before its start %d", s, o.epoch, o.node, o.seq, a.from)
				continue
			}
			if e := end[o.epoch]; e != 0 && o.seq >= e {
				perEpochBeyond[o.epoch]++
				uncommitted++
				continue
			}
			l, ok := log[o.seq]
			if !ok || l.sector != s {
				t.Errorf("sector %s: epoch %d processed seq %d, which is not a batch of this sector", s, o.epoch, o.seq)
				continue
			}
			if !slices.Equal(l.ids, o.ids) {
				t.Errorf("sector %s seq %d: processed %d ids, logged %d", s, o.seq, len(o.ids), len(l.ids))
			}
			effective[o.seq]++
		}
		for e, n := range perEpochBeyond {
			if n > 1 {
				t.Errorf("sector %s epoch %d: %d outputs beyond its range, want at most 1 (the batch in flight)", s, e, n)
			}
		}
		for _, seq := range bySector[s] {
			batches++
			switch n := effective[seq]; {
			case n == 0:
				t.Errorf("sector %s seq %d: never processed", s, seq)
			case n > 1:
				var by []string
				for _, o := range outs[s] {
					if o.seq == seq {
						by = append(by, fmt.Sprintf("%s@%d", o.node, o.epoch))
					}
				}
				t.Errorf("sector %s seq %d: processed %d times: %v (acquisitions %v)", s, seq, n, by, acqs[s])
			}
		}
	}
	return batches, uncommitted
}

// TestFailover runs three node processes on a 3-node NATS cluster fed
// with numbered observations, kills one node with SIGKILL (its sectors
// must move to the survivors within 10 s), then kills one NATS server
// (processing must go on: every stream is R3), and checks that every
// logged batch was processed exactly once.
func TestFailover(t *testing.T) {
	r := newRig(t, 12)
	urls := r.nats.URLs()
	nodes := []*nodeProc{
		startNode(t, "n1", urls, r.sectors, procTTL, 3),
		startNode(t, "n2", urls, r.sectors, procTTL, 3),
		startNode(t, "n3", urls, r.sectors, procTTL, 3),
	}
	waitNodes(t, 60*time.Second, "12 sectors spread 4/4/4", func() bool { return nodesBalanced(r.sectors, nodes...) }, nodes...)

	feedCtx, stopFeed := context.WithCancel(context.Background())
	fed := make(chan struct{})
	go func() { defer close(fed); r.feed(feedCtx, 100*time.Millisecond) }()
	defer func() { stopFeed(); <-fed }()
	waitProgress(t, r, 60)

	t.Run("kill a node", func(t *testing.T) {
		victim := nodes[1]
		lost := victim.Owned()
		killed := time.Now()
		victim.kill()
		waitNodes(t, 15*time.Second, "survivors own every sector 6/6", func() bool { return nodesBalanced(r.sectors, nodes[0], nodes[2]) }, nodes[0], nodes[2])
		worst := time.Duration(0)
		for s := range lost {
			var at time.Time
			for _, n := range []*nodeProc{nodes[0], nodes[2]} {
				if a, ok := n.acquiredAfter(killed)[s]; ok {
					at = a
				}
			}
			worst = max(worst, at.Sub(killed))
		}
		t.Logf("SIGKILL of %s: its %d sectors moved to the survivors in %v (LeaseTTL %v)", victim.id, len(lost), worst, procTTL)
		if worst > 10*time.Second {
			t.Errorf("failover took %v, want ≤ 10s", worst)
		}
	})

	t.Run("kill a NATS server", func(t *testing.T) {
		before := r.processed()
		killed := time.Now()
		r.nats.servers[1].kill()
		// Processing goes on: more batches get processed after the kill.
		waitProgressFrom(t, r, before+120, 60*time.Second)
		t.Logf("SIGKILL of %s: 120 more batches processed within %v", r.nats.servers[1].name, time.Since(killed).Round(time.Millisecond))
		// Bring it back, as an operator would, and let it catch up.
		if err := r.nats.servers[1].start(); err != nil {
			t.Fatal(err)
		}
	})

	stopFeed()
	<-fed
	defer func() {
		if t.Failed() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			t.Logf("lag at the end: %s", r.lag(ctx))
		}
	}()
	waitNodes(t, 60*time.Second, "every logged batch committed", func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return r.drained(ctx)
	}, nodes[0], nodes[2])
	batches, uncommitted := r.verify()
	r.mu.Lock()
	t.Logf("%d batches (%d observations sent, %d acknowledged) processed exactly once; %d uncommitted attempts discarded", batches, r.sent, len(r.acked), uncommitted)
	r.mu.Unlock()
}

// readResults reads the whole results stream into acqs and outs.
func (r *rig) readResults(ctx context.Context, acqs map[string]map[uint64]acqRecord, outs map[string][]outRecord) error {
	st, err := r.js.Stream(ctx, resultsStream)
	if err != nil {
		return err
	}
	info, err := st.Info(ctx)
	if err != nil {
		return err
	}
	if info.State.LastSeq == 0 {
		return nil
	}
	cons, err := r.js.OrderedConsumer(ctx, resultsStream, jetstream.OrderedConsumerConfig{})
	if err != nil {
		return err
	}
	for {
		batch, err := cons.Fetch(500, jetstream.FetchMaxWait(5*time.Second))
		if err != nil {
			return err
		}
		n := 0
		for m := range batch.Messages() {
			n++
			meta, err := m.Metadata()
			if err != nil {
				return err
			}
			h := m.Headers()
			epoch, _ := strconv.ParseUint(h.Get("Bw-Epoch"), 10, 64)
			switch {
			case strings.HasPrefix(m.Subject(), acqPrefix):
				s := strings.TrimPrefix(m.Subject(), acqPrefix)
				from, _ := strconv.ParseUint(h.Get("Bw-From"), 10, 64)
				if acqs[s] == nil {
					acqs[s] = map[uint64]acqRecord{}
				}
				if prev, dup := acqs[s][epoch]; dup {
					r.t.Errorf("sector %s epoch %d acquired twice: by %s and %s", s, epoch, prev.node, h.Get("Bw-Node"))
				}
				acqs[s][epoch] = acqRecord{node: h.Get("Bw-Node"), from: from}
			case strings.HasPrefix(m.Subject(), outPrefix):
				s := strings.TrimPrefix(m.Subject(), outPrefix)
				seq, _ := strconv.ParseUint(h.Get("Bw-Seq"), 10, 64)
				outs[s] = append(outs[s], outRecord{node: h.Get("Bw-Node"), epoch: epoch, seq: seq, ids: strings.Split(string(m.Data()), "\n")})
			}
			if meta.Sequence.Stream >= info.State.LastSeq {
				return nil
			}
		}
		if n == 0 {
			if err := batch.Error(); err != nil {
				return err
			}
			return fmt.Errorf("results: nothing delivered before seq %d", info.State.LastSeq)
		}
	}
}

// retry runs f with a fresh 20 s context up to five times.
func retry(t testing.TB, what string, f func(ctx context.Context) error) {
	t.Helper()
	var err error
	for attempt := 0; attempt < 5; attempt++ {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		err = f(ctx)
		cancel()
		if err == nil {
			return
		}
		t.Logf("%s: attempt %d: %v", what, attempt+1, err)
	}
	t.Fatalf("%s: %v", what, err)
}

// processed counts the results stream's messages (acquisitions and
// outputs).
func (r *rig) processed() uint64 {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	st, err := r.js.Stream(ctx, resultsStream)
	if err != nil {
		return 0
	}
	info, err := st.Info(ctx)
	if err != nil {
		return 0
	}
	return info.State.Msgs
}

func waitProgress(t *testing.T, r *rig, n uint64) {
	t.Helper()
	waitProgressFrom(t, r, n, 60*time.Second)
}

func waitProgressFrom(t *testing.T, r *rig, n uint64, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for r.processed() < n {
		if time.Now().After(deadline) {
			t.Fatalf("fewer than %d results within %v (have %d)", n, within, r.processed())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// waitNodes waits for cond, checking whenever the first node prints a
// line and at least every 100 ms.
func waitNodes(t testing.TB, within time.Duration, what string, cond func() bool, nodes ...*nodeProc) {
	t.Helper()
	deadline := time.NewTimer(within)
	defer deadline.Stop()
	poll := time.NewTicker(100 * time.Millisecond)
	defer poll.Stop()
	var lines <-chan struct{}
	if len(nodes) > 0 {
		lines = nodes[0].notify
	}
	for !cond() {
		select {
		case <-deadline.C:
			t.Fatalf("not within %v: %s", within, what)
		case <-poll.C:
		case <-lines:
		}
	}
}
