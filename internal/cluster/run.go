package cluster

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// runner is the state of one Run, owned by its goroutine.
type runner struct {
	m             *Membership
	nodes, leases jetstream.KeyValue
	onAcquire     func(string, uint64, uint64)
	onRelease     func(string)

	// lastSeen is when each node's latest heartbeat reached this node;
	// lastSelf is the same for this node's own. A node is dead when this
	// node has heard itself for longer than LeaseTTL since hearing it: a
	// stalled watch stalls both, so it never kills anyone.
	lastSeen map[string]time.Time
	beats    map[string]heartbeat
	lastSelf time.Time

	// Watches and their initial snapshots.
	nodeW, leaseW             jetstream.KeyWatcher
	nodesSynced, leasesSynced bool
	initial                   map[string]time.Time // node -> server time, during the nodes snapshot
	cancelWatch               context.CancelFunc
	watchReady                chan watchPair
	watchWG                   sync.WaitGroup
	gen                       uint64
	watchStarted              time.Time

	stopHB context.CancelFunc
	hbWG   sync.WaitGroup

	records map[string]record // by sector, newest revision seen
	// syncedAt is when the nodes snapshot last completed.
	syncedAt time.Time

	liveKey string
	assign  map[string]string

	// warned limits repeated warnings per sector.
	warned map[string]string
	fatal  error
}

type record struct {
	l       lease
	rev     uint64
	present bool // the key exists (else: never acquired)
	bad     bool // undecodable: left alone
}

func (r *runner) ttl() time.Duration { return r.m.opts.LeaseTTL }
func (r *runner) now() time.Time     { return r.m.opts.Now() }
func (r *runner) self() string       { return r.m.opts.NodeID }
func (r *runner) synced() bool       { return r.nodesSynced && r.leasesSynced && !r.lastSelf.IsZero() }

// healthy: this node's heartbeats are being stored. A node whose last
// stored heartbeat began 5/8 of LeaseTTL ago stops processing (checked
// every LeaseTTL/10), before anyone can have declared it dead: they wait
// a full LeaseTTL after the last heartbeat they saw, which was written
// after the one timed here began.
func (r *runner) healthy() bool {
	t := r.m.lastPut.Load()
	return t != 0 && r.now().Sub(time.Unix(0, t)) < r.ttl()*5/8
}

// alive: n's heartbeats are arriving, whatever its sector list.
func (r *runner) alive(n string) bool {
	if n == r.self() {
		return r.healthy()
	}
	seen, ok := r.lastSeen[n]
	return ok && r.lastSelf.Sub(seen) <= r.ttl()
}

// member: n is alive and shares this node's sector list, so it takes part
// in the assignment. A live node with another list (a rolling change of
// the deployment) gets no sectors from this node's view but keeps those it
// holds until it stops.
func (r *runner) member(n string) bool {
	return r.alive(n) && (n == r.self() || r.beats[n].Sectors == r.m.digest)
}

// presumedAlive is alive, except that an owner this node has never heard
// of counts as alive for the first LeaseTTL after the watch synced: its
// heartbeat may be just behind the snapshot.
func (r *runner) presumedAlive(n string) bool {
	if r.alive(n) {
		return true
	}
	_, known := r.lastSeen[n]
	return !known && r.now().Sub(r.syncedAt) <= r.ttl()
}

func (r *runner) run(ctx context.Context) error {
	r.warned = map[string]string{}
	// The first heartbeat is written before the watch starts, so the
	// snapshot already shows this incarnation.
	// A bucket just created may still be electing its leader: retry.
	for deadline := r.now().Add(bucketPatience); ; {
		err := r.beat(ctx)
		if err == nil {
			break
		}
		if ctx.Err() != nil || r.now().After(deadline) {
			return fmt.Errorf("cluster: node %s: first heartbeat: %w", r.self(), err)
		}
		select {
		case <-ctx.Done():
		case <-time.After(r.ttl() / 4):
		}
	}
	hbCtx, stopHB := context.WithCancel(context.WithoutCancel(ctx))
	r.hbWG.Add(1)
	go func() {
		defer r.hbWG.Done()
		r.heartbeats(hbCtx)
	}()
	r.stopHB = stopHB
	defer r.stopHeartbeats()

	r.watchReady = make(chan watchPair)
	r.startWatch(ctx)
	defer func() {
		r.cancelWatch()
		r.watchWG.Wait()
	}()

	tick := time.NewTicker(max(r.ttl()/10, 10*time.Millisecond))
	defer tick.Stop()
	for {
		sector, full := "", false
		select {
		case <-ctx.Done():
			r.shutdown()
			return nil
		case w := <-r.watchReady:
			if w.gen != r.gen {
				_, _ = w.nodes.Stop(), w.leases.Stop()
				continue
			}
			r.nodeW, r.leaseW = w.nodes, w.leases
			continue
		case e, ok := <-r.nodeW.Updates():
			if !ok {
				r.startWatch(ctx)
				continue
			}
			r.nodeEntry(e)
		case e, ok := <-r.leaseW.Updates():
			if !ok {
				r.startWatch(ctx)
				continue
			}
			sector = r.leaseEntry(e)
			full = e == nil
		case s := <-r.m.lost:
			if r.healthy() {
				r.refresh(ctx, s)
			}
			sector = s
		case <-tick.C:
			r.releaseIfUnhealthy()
			if r.synced() && r.healthy() && r.now().Sub(r.lastSelf) > r.ttl() {
				// Our own heartbeats are stored but no longer reach us:
				// the watch is stuck. Start it again.
				r.m.log.Warn("heartbeat watch stalled; restarting it", "since", r.lastSelf)
				r.startWatch(ctx)
				continue
			}
			if !r.synced() && r.now().Sub(r.watchStarted) > max(2*r.ttl(), watchPatience) {
				// The snapshot never came (its consumer may sit on a dead
				// server): start again.
				r.m.log.Warn("watch not synced; restarting it", "since", r.watchStarted)
				r.startWatch(ctx)
				continue
			}
			full = true
		}
		if r.fatal != nil {
			r.shutdown()
			return r.fatal
		}
		r.step(ctx, sector, full)
	}
}

// step reconciles after an event: every sector when the live set changed
// or full is set, else only sector (if any).
func (r *runner) step(ctx context.Context, sector string, full bool) {
	if !r.synced() {
		r.releaseIfUnhealthy()
		return
	}
	live := r.liveNodes()
	key := strings.Join(live, ",")
	if key != r.liveKey || r.assign == nil {
		if r.assign != nil {
			r.m.log.Info("cluster membership changed", "live", live)
		}
		r.liveKey = key
		r.assign = Assign(r.m.opts.Sectors, live)
		r.m.mu.Lock()
		r.m.live = live
		r.m.mu.Unlock()
		r.m.m.live.Set(float64(len(live)))
		full = true
	}
	if full {
		for _, s := range r.m.opts.Sectors {
			r.reconcileSector(ctx, s)
		}
		return
	}
	if sector != "" {
		r.reconcileSector(ctx, sector)
	}
}

func (r *runner) stopHeartbeats() {
	if r.stopHB != nil {
		r.stopHB()
		r.hbWG.Wait()
		r.stopHB = nil
	}
}

func (r *runner) beat(ctx context.Context) error {
	start := r.now()
	cctx, cancel := context.WithTimeout(ctx, r.ttl()*3/8)
	defer cancel()
	_, err := r.nodes.Put(cctx, r.self(), encodeHeartbeat(heartbeat{Node: r.self(), Incarnation: r.m.inc, Sectors: r.m.digest}))
	if err != nil {
		return err
	}
	r.m.lastPut.Store(start.UnixNano())
	return nil
}

func (r *runner) heartbeats(ctx context.Context) {
	t := time.NewTicker(r.ttl() / 4)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := r.beat(ctx); err != nil && ctx.Err() == nil {
			r.m.log.Warn("heartbeat not stored", "err", err)
		}
	}
}

// startWatch (re)starts both watches in the background: creating a
// consumer can block while the bus is unreachable, and the loop must keep
// fencing itself meanwhile. The loop installs them from r.watchReady.
func (r *runner) startWatch(ctx context.Context) {
	if r.cancelWatch != nil {
		r.cancelWatch()
	}
	r.gen++
	gen := r.gen
	r.watchStarted = r.now()
	wctx, cancel := context.WithCancel(ctx)
	r.cancelWatch = cancel
	r.nodeW, r.leaseW = closedWatcher{}, closedWatcher{}
	r.nodesSynced, r.leasesSynced = false, false
	clear(r.initial)
	r.watchWG.Add(1)
	go func() {
		defer r.watchWG.Done()
		for {
			// The context is the watches' lifetime, so it cannot carry a
			// deadline; a timer bounds their creation instead.
			actx, cancelAttempt := context.WithCancel(wctx)
			timer := time.AfterFunc(watchPatience, cancelAttempt)
			nw, err := r.nodes.WatchAll(actx)
			if err == nil {
				var lw jetstream.KeyWatcher
				if lw, err = r.leases.WatchAll(actx); err == nil {
					if timer.Stop() {
						select {
						case r.watchReady <- watchPair{gen: gen, nodes: nw, leases: lw}:
						case <-wctx.Done():
						}
						return
					}
					_ = lw.Stop()
					err = fmt.Errorf("watches not created within %v", watchPatience)
				}
				_ = nw.Stop()
			}
			timer.Stop()
			cancelAttempt()
			if wctx.Err() != nil {
				return
			}
			r.m.log.Warn("cannot watch the cluster buckets; retrying", "err", err)
			select {
			case <-wctx.Done():
				return
			case <-time.After(r.ttl() / 4):
			}
		}
	}()
}

// watchPatience is the least time a watch gets to deliver its snapshot.
const watchPatience = 10 * time.Second

type watchPair struct {
	gen           uint64
	nodes, leases jetstream.KeyWatcher
}

func (r *runner) nodeEntry(e jetstream.KeyValueEntry) {
	if e == nil {
		// End of the snapshot: a node's age is how much older its
		// heartbeat is than the newest one (server time, one stream).
		var newest time.Time
		for _, t := range r.initial {
			if t.After(newest) {
				newest = t
			}
		}
		now := r.now()
		for n, t := range r.initial {
			seen := now.Add(-newest.Sub(t))
			if seen.After(r.lastSeen[n]) {
				r.lastSeen[n] = seen
			}
		}
		clear(r.initial)
		r.nodesSynced = true
		r.syncedAt = now
		if r.beats[r.self()].Incarnation == r.m.inc {
			r.lastSelf = now
		}
		return
	}
	n := e.Key()
	if e.Operation() != jetstream.KeyValuePut {
		delete(r.lastSeen, n)
		delete(r.beats, n)
		return
	}
	h, err := decodeHeartbeat(n, e.Value())
	if err != nil {
		r.warnOnce("node:"+n, "ignoring a bad heartbeat", "err", err)
		return
	}
	if h.Node == r.self() && h.Incarnation != r.m.inc {
		if r.nodesSynced {
			r.fatal = fmt.Errorf("cluster: node ID %q is used by another live process (incarnation %s; this one is %s)", n, h.Incarnation, r.m.inc)
		}
		return
	}
	if h.Sectors != r.m.digest && r.beats[n].Sectors != h.Sectors {
		r.m.log.Warn("node has a different sector list (a rolling change?): it gets no sectors from this node but keeps those it holds", "other", n)
	}
	r.beats[n] = h
	if !r.nodesSynced {
		r.initial[n] = e.Created()
		return
	}
	now := r.now()
	r.lastSeen[n] = now
	if n == r.self() {
		r.lastSelf = now
	}
}

// leaseEntry records a lease update and returns its sector ("" when it is
// not one of ours or nothing changed).
func (r *runner) leaseEntry(e jetstream.KeyValueEntry) string {
	if e == nil {
		r.leasesSynced = true
		return ""
	}
	s, ok := r.m.secOf[e.Key()]
	if !ok {
		return ""
	}
	r.setRecord(s, e)
	return s
}

func (r *runner) setRecord(s string, e jetstream.KeyValueEntry) {
	if cur, ok := r.records[s]; ok && cur.rev >= e.Revision() {
		return
	}
	rec := record{rev: e.Revision(), present: e.Operation() == jetstream.KeyValuePut}
	if rec.present {
		l, err := decodeLease(e.Value())
		if err != nil {
			rec.bad = true
			r.warnOnce("lease:"+s, "sector lease record unreadable: the sector is left unowned until it is repaired", "sector", s, "err", err)
		}
		rec.l = l
	}
	r.records[s] = rec
}

// refresh re-reads one sector's record (after a failed compare-and-set).
func (r *runner) refresh(ctx context.Context, s string) {
	cctx, cancel := context.WithTimeout(ctx, r.ttl()/2)
	defer cancel()
	e, err := r.leases.Get(cctx, r.m.keyOf[s])
	if err != nil {
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			delete(r.records, s)
		}
		return
	}
	r.setRecord(s, e)
}

func (r *runner) warnOnce(key, msg string, args ...any) {
	if r.warned[key] == msg {
		return
	}
	r.warned[key] = msg
	r.m.log.Warn(msg, args...)
}

// liveNodes is the sorted set of members alive now.
func (r *runner) liveNodes() []string {
	var out []string
	for n := range r.lastSeen {
		if n != r.self() && r.member(n) {
			out = append(out, n)
		}
	}
	if r.healthy() {
		out = append(out, r.self())
	}
	slices.Sort(out)
	return out
}

func (r *runner) releaseIfUnhealthy() {
	if r.healthy() {
		return
	}
	for _, s := range r.m.opts.Sectors {
		if _, ok := r.holding(s); ok {
			r.drop(s, "unhealthy")
		}
	}
}

// holding returns a copy of this node's hold on s, if any.
func (r *runner) holding(s string) (holding, bool) {
	r.m.mu.Lock()
	defer r.m.mu.Unlock()
	h := r.m.held[s]
	if h == nil {
		return holding{}, false
	}
	return *h, true
}

// reconcileSector moves one sector toward its assigned owner.
func (r *runner) reconcileSector(ctx context.Context, s string) {
	rec := r.records[s]
	target := r.assign[s]
	if h, ok := r.holding(s); ok {
		switch {
		case rec.present && rec.rev > h.rev && (rec.l.Owner != r.self() || rec.l.Epoch != h.epoch):
			r.m.log.Warn("sector lease taken over", "sector", s, "by", rec.l.Owner, "epoch", rec.l.Epoch)
			r.drop(s, "lost")
		case !r.healthy():
			r.drop(s, "unhealthy")
		case target != r.self():
			r.handOver(ctx, s)
		}
		return
	}
	if !r.healthy() || rec.bad {
		return
	}
	if rec.present && rec.l.Owner == r.self() {
		// Left by an earlier run of this node.
		if target == r.self() {
			r.acquire(ctx, s, rec)
		} else {
			r.free(ctx, s, rec.l, rec.rev)
		}
		return
	}
	if target != r.self() {
		return
	}
	if rec.present && rec.l.Owner != "" && r.presumedAlive(rec.l.Owner) {
		return // its owner hands it over when it sees the same assignment
	}
	r.acquire(ctx, s, rec)
}

func (r *runner) acquire(ctx context.Context, s string, rec record) {
	l := lease{Owner: r.self(), Epoch: rec.l.Epoch + 1, Seq: rec.l.Seq}
	cctx, cancel := context.WithTimeout(ctx, r.ttl()/2)
	defer cancel()
	var rev uint64
	var err error
	if rec.present || rec.rev > 0 {
		rev, err = r.leases.Update(cctx, r.m.keyOf[s], encodeLease(l), rec.rev)
	} else {
		rev, err = r.leases.Create(cctx, r.m.keyOf[s], encodeLease(l))
	}
	if err != nil {
		if errors.Is(err, jetstream.ErrKeyRevisionMismatch) || errors.Is(err, jetstream.ErrKeyExists) {
			r.refresh(ctx, s)
		} else {
			r.warnOnce("acquire:"+s, "cannot acquire sector lease", "sector", s, "err", err)
		}
		return
	}
	delete(r.warned, "acquire:"+s)
	r.records[s] = record{l: l, rev: rev, present: true}
	r.m.mu.Lock()
	r.m.held[s] = &holding{epoch: l.Epoch, rev: rev, seq: l.Seq}
	n := len(r.m.held)
	r.m.mu.Unlock()
	r.m.m.acquired.Inc()
	r.m.m.owned.Set(float64(n))
	prev := rec.l.Owner
	if prev == "" {
		prev = "none"
	}
	r.m.log.Info("sector acquired", "sector", s, "epoch", l.Epoch, "from_seq", l.Seq+1, "previous_owner", prev)
	r.onAcquire(s, l.Seq+1, l.Epoch)
}

// drop stops processing a sector without touching its record.
func (r *runner) drop(s, reason string) {
	r.m.mu.Lock()
	delete(r.m.held, s)
	n := len(r.m.held)
	r.m.mu.Unlock()
	r.m.m.owned.Set(float64(n))
	r.m.m.released.With(reason).Inc()
	r.m.log.Info("sector released", "sector", s, "reason", reason)
	r.onRelease(s)
}

// handOver stops processing a sector, then frees its record for the
// assigned owner.
func (r *runner) handOver(ctx context.Context, s string) {
	r.onRelease(s) // waits for the last batch's Commit
	r.m.mu.Lock()
	h := r.m.held[s]
	delete(r.m.held, s)
	n := len(r.m.held)
	r.m.mu.Unlock()
	r.m.m.owned.Set(float64(n))
	r.m.m.released.With("handover").Inc()
	if h == nil {
		return
	}
	r.m.log.Info("sector handed over", "sector", s, "to", r.assign[s], "epoch", h.epoch, "seq", h.seq)
	r.free(ctx, s, lease{Owner: r.self(), Epoch: h.epoch, Seq: h.seq}, h.rev)
}

// free writes an unowned record over one of ours (same epoch and
// sequence), re-reading once if a late Commit of ours moved the revision.
func (r *runner) free(ctx context.Context, s string, l lease, rev uint64) {
	for attempt := 0; attempt < 2; attempt++ {
		// Short: this blocks the loop, and a failure is retried at the
		// next reconciliation (the record still names this node).
		cctx, cancel := context.WithTimeout(ctx, r.ttl()/4)
		nrev, err := r.leases.Update(cctx, r.m.keyOf[s], encodeLease(lease{Epoch: l.Epoch, Seq: l.Seq}), rev)
		cancel()
		if err == nil {
			r.records[s] = record{l: lease{Epoch: l.Epoch, Seq: l.Seq}, rev: nrev, present: true}
			return
		}
		if !errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
			r.warnOnce("free:"+s, "cannot free sector lease (its next owner waits for LeaseTTL)", "sector", s, "err", err)
			return
		}
		r.refresh(ctx, s)
		cur := r.records[s]
		if !cur.present || cur.l.Owner != r.self() || cur.l.Epoch != l.Epoch {
			return // someone else has it now
		}
		l, rev = cur.l, cur.rev
	}
}

// shutdown hands every sector back and removes the heartbeat, so the
// others take over without waiting for LeaseTTL.
func (r *runner) shutdown() {
	ctx, cancel := context.WithTimeout(context.Background(), max(r.ttl(), 2*time.Second))
	defer cancel()
	for _, s := range r.m.opts.Sectors {
		if _, ok := r.holding(s); !ok {
			continue
		}
		r.onRelease(s)
		r.m.mu.Lock()
		h := r.m.held[s]
		delete(r.m.held, s)
		r.m.mu.Unlock()
		r.m.m.released.With("shutdown").Inc()
		if h != nil && r.fatal == nil {
			r.free(ctx, s, lease{Owner: r.self(), Epoch: h.epoch, Seq: h.seq}, h.rev)
		}
	}
	r.m.m.owned.Set(0)
	r.stopHeartbeats()
	if r.fatal == nil {
		if err := r.nodes.Delete(ctx, r.self()); err != nil {
			r.m.log.Warn("cannot remove heartbeat on leaving", "err", err)
		}
	}
	r.m.log.Info("left the cluster")
}

// closedWatcher stands in for a watch after ctx ended.
type closedWatcher struct{}

func (closedWatcher) Updates() <-chan jetstream.KeyValueEntry { return nil }
func (closedWatcher) Stop() error                             { return nil }
