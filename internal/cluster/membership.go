// Package cluster owns sector ownership in a multi-node deployment: which
// live borderwatch node processes which sector of the observations log,
// from which stream sequence, under which epoch.
//
// Nodes share one NATS JetStream (cluster) and two key-value buckets:
// <Bucket>-nodes holds one heartbeat per node, rewritten every LeaseTTL/4;
// <Bucket>-leases holds one lease record per sector (owner, epoch, last
// committed stream sequence). Every node computes the same balanced
// rendezvous assignment (Assign) over the nodes it sees alive, acquires
// the sectors assigned to it with a compare-and-set on the record's KV
// revision, and commits its progress after each processed batch with
// another compare-and-set. A node whose heartbeat stops is considered dead
// LeaseTTL later; its sectors go to the survivors, which resume at the
// sequence after the last one it committed. A node that lost a lease can
// no longer commit (ErrFenced), so a batch's commit happens exactly once
// even while a stalled node still believes it owns the sector.
//
// See docs/scaleout.md for the protocol, its guarantees and its limits.
package cluster

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/borderwatch/borderwatch"
	"github.com/borderwatch/borderwatch/internal/metrics"
)

// ErrFenced is returned (wrapped) by Commit when the node no longer holds
// the sector's lease at that epoch: another node took it over, or this
// node released it. The caller must stop processing the sector and drop
// what it produced from the uncommitted batch.
var ErrFenced = &borderwatch.Error{Code: borderwatch.ECONFLICT, Message: "sector lease lost (fenced)"}

// Options configures a Membership.
type Options struct {
	// NodeID names this node in the cluster: unique and stable across
	// restarts (ValidNodeID). A restarted node with the same ID takes its
	// sectors back at once instead of after LeaseTTL.
	NodeID string
	// Sectors are every sector of the deployment, the same list on every
	// node (nodes announcing a different list are ignored).
	Sectors []string
	// Bucket prefixes the two KV buckets; default "borderwatch-cluster".
	Bucket string
	// Replicas of the buckets: 3 on a 3-node NATS cluster; default 1.
	Replicas int
	// LeaseTTL is how long a silent node keeps its sectors; default 5 s.
	// Heartbeats go every LeaseTTL/4. Takeover after a crash takes between
	// 3/4 and about 4/3 of LeaseTTL (≤ 7 s by default). Every node must use
	// the same value.
	LeaseTTL time.Duration
	Logger   *slog.Logger
	Metrics  *metrics.Registry
	// Now is the clock for liveness decisions; default time.Now.
	Now func() time.Time
}

// Defaults.
const (
	DefaultBucket   = "borderwatch-cluster"
	DefaultLeaseTTL = 5 * time.Second
)

var bucketRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,200}$`)

func (o *Options) setDefaults() {
	if o.Bucket == "" {
		o.Bucket = DefaultBucket
	}
	if o.Replicas == 0 {
		o.Replicas = 1
	}
	if o.LeaseTTL == 0 {
		o.LeaseTTL = DefaultLeaseTTL
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Metrics == nil {
		o.Metrics = metrics.NewRegistry()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

// Validate returns every problem with o, each naming the field, the value
// and the reason.
func (o *Options) Validate() error {
	var errs []error
	if !ValidNodeID(o.NodeID) {
		errs = append(errs, fmt.Errorf("cluster: node_id: %q: want 1-64 letters, digits, '-' or '_'", o.NodeID))
	}
	if len(o.Sectors) == 0 {
		errs = append(errs, errors.New("cluster: sectors: empty: at least one sector is required"))
	}
	seen := map[string]int{}
	keys := map[string]int{}
	for i, s := range o.Sectors {
		if s == "" {
			errs = append(errs, fmt.Errorf("cluster: sectors[%d]: empty sector name", i))
			continue
		}
		if j, ok := seen[s]; ok {
			errs = append(errs, fmt.Errorf("cluster: sectors[%d]: %q: duplicate of sectors[%d]", i, s, j))
			continue
		}
		seen[s] = i
		k := sectorKey(s)
		if j, ok := keys[k]; ok {
			errs = append(errs, fmt.Errorf("cluster: sectors[%d]: %q: same lease key as sectors[%d]", i, s, j))
		}
		keys[k] = i
	}
	if o.Bucket != "" && !bucketRE.MatchString(o.Bucket) {
		errs = append(errs, fmt.Errorf("cluster: bucket: %q: want letters, digits, '-' or '_'", o.Bucket))
	}
	if o.Replicas < 0 || o.Replicas > 5 {
		errs = append(errs, fmt.Errorf("cluster: replicas: %d: want 1..5", o.Replicas))
	}
	if o.LeaseTTL != 0 && o.LeaseTTL < 100*time.Millisecond {
		errs = append(errs, fmt.Errorf("cluster: lease_ttl: %v: want at least 100ms", o.LeaseTTL))
	}
	return errors.Join(errs...)
}

// Membership is one node's view of and claim on sector ownership. Create
// it with New, then call Run once; Commit and the accessors are safe for
// concurrent use.
type Membership struct {
	opts   Options
	js     jetstream.JetStream
	log    *slog.Logger
	inc    string
	digest string
	keyOf  map[string]string // sector -> lease key
	secOf  map[string]string // lease key -> sector

	running atomic.Bool
	leases  atomic.Pointer[jetstream.KeyValue]
	// lastPut is the start time (UnixNano) of the last heartbeat write
	// that was acknowledged; 0 before the first.
	lastPut atomic.Int64

	mu   sync.Mutex
	held map[string]*holding
	live []string
	// lost receives sectors whose Commit found the lease taken.
	lost chan string

	m membershipMetrics
}

type holding struct {
	epoch, rev, seq uint64
}

type membershipMetrics struct {
	acquired *metrics.Counter
	released *metrics.CounterVec
	commits  *metrics.Counter
	fenced   *metrics.Counter
	owned    *metrics.Gauge
	live     *metrics.Gauge
}

// New validates opts; nothing touches the bus until Run.
func New(js jetstream.JetStream, opts Options) (*Membership, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	if js == nil {
		return nil, errors.New("cluster: no JetStream context")
	}
	opts.setDefaults()
	opts.Sectors = slices.Clone(opts.Sectors)
	inc, err := randomID()
	if err != nil {
		return nil, err
	}
	m := &Membership{
		opts:   opts,
		js:     js,
		log:    opts.Logger.With("component", "cluster", "node", opts.NodeID),
		inc:    inc,
		digest: sectorsDigest(opts.Sectors),
		keyOf:  make(map[string]string, len(opts.Sectors)),
		secOf:  make(map[string]string, len(opts.Sectors)),
		held:   map[string]*holding{},
		lost:   make(chan string, len(opts.Sectors)),
	}
	for _, s := range opts.Sectors {
		k := sectorKey(s)
		m.keyOf[s], m.secOf[k] = k, s
	}
	r := opts.Metrics
	m.m = membershipMetrics{
		acquired: r.Counter("borderwatch_cluster_acquisitions_total", "Sector leases this node acquired.").With(),
		released: r.Counter("borderwatch_cluster_releases_total", "Sector leases this node gave up, by reason (handover, lost, fenced, shutdown, unhealthy).", "reason"),
		commits:  r.Counter("borderwatch_cluster_commits_total", "Batch commits (compare-and-set of a sector's sequence).").With(),
		fenced:   r.Counter("borderwatch_cluster_fenced_total", "Commits refused because the lease was lost.").With(),
		owned:    r.Gauge("borderwatch_cluster_owned_sectors", "Sectors this node owns.").With(),
		live:     r.Gauge("borderwatch_cluster_live_nodes", "Nodes this node sees alive, itself included.").With(),
	}
	return m, nil
}

func randomID() (string, error) {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("cluster: random incarnation: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

func sectorsDigest(sectors []string) string {
	s := slices.Clone(sectors)
	slices.Sort(s)
	h := sha256.Sum256([]byte(strings.Join(s, "\n")))
	return hex.EncodeToString(h[:8])
}

// NodeID is this node's ID.
func (m *Membership) NodeID() string { return m.opts.NodeID }

// Owned returns the sectors this node holds, with their epochs.
func (m *Membership) Owned() map[string]uint64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make(map[string]uint64, len(m.held))
	for s, h := range m.held {
		out[s] = h.epoch
	}
	return out
}

// Live returns the nodes this node saw alive at its last reconciliation,
// sorted, itself included when healthy.
func (m *Membership) Live() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.live)
}

// Commit records that the sector's messages up to stream sequence seq are
// processed, by a compare-and-set on the lease's KV revision. It fails
// with ErrFenced when this node no longer holds the sector at epoch (the
// caller must stop processing it) and with an EINVALID error when seq is
// not after the last commit. Other errors (the bus unreachable) leave the
// lease in place: the caller may retry the same Commit. Calls for one
// sector must not overlap.
func (m *Membership) Commit(ctx context.Context, sector string, epoch, seq uint64) error {
	kvp := m.leases.Load()
	m.mu.Lock()
	h, ok := m.held[sector]
	if !ok || h.epoch != epoch || kvp == nil {
		m.mu.Unlock()
		m.m.fenced.Inc()
		return fmt.Errorf("cluster: commit sector %q epoch %d seq %d: %w", sector, epoch, seq, ErrFenced)
	}
	if seq <= h.seq {
		m.mu.Unlock()
		return borderwatch.Errorf(borderwatch.EINVALID, "commit sector %q epoch %d: seq %d is not after the committed %d", sector, epoch, seq, h.seq)
	}
	rev := h.rev
	m.mu.Unlock()

	kv := *kvp
	key := m.keyOf[sector]
	val := encodeLease(lease{Owner: m.opts.NodeID, Epoch: epoch, Seq: seq})
	for attempt := 0; ; attempt++ {
		newRev, err := kv.Update(ctx, key, val, rev)
		if err == nil {
			m.mu.Lock()
			if m.held[sector] == h {
				h.rev, h.seq = newRev, seq
			}
			m.mu.Unlock()
			m.m.commits.Inc()
			return nil
		}
		if !errors.Is(err, jetstream.ErrKeyRevisionMismatch) || attempt > 0 {
			if errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
				err = ErrFenced
			}
			return m.commitFailed(sector, epoch, seq, err)
		}
		// The revision moved. Either an earlier Commit that timed out was
		// stored after all (the record is still ours), or another node
		// took the lease.
		e, gerr := kv.Get(ctx, key)
		if gerr != nil {
			return fmt.Errorf("cluster: commit sector %q epoch %d seq %d: re-read: %w", sector, epoch, seq, gerr)
		}
		cur, derr := decodeLease(e.Value())
		if derr != nil || cur.Owner != m.opts.NodeID || cur.Epoch != epoch {
			return m.commitFailed(sector, epoch, seq, ErrFenced)
		}
		m.mu.Lock()
		if m.held[sector] == h {
			h.rev, h.seq = e.Revision(), cur.Seq
		}
		m.mu.Unlock()
		if cur.Seq >= seq {
			return nil
		}
		rev = e.Revision()
	}
}

func (m *Membership) commitFailed(sector string, epoch, seq uint64, err error) error {
	if errors.Is(err, ErrFenced) {
		m.m.fenced.Inc()
		select {
		case m.lost <- sector:
		default:
		}
	}
	return fmt.Errorf("cluster: commit sector %q epoch %d seq %d: %w", sector, epoch, seq, err)
}

// Run joins the cluster and keeps this node's share of the sectors until
// ctx ends, then hands its sectors back and leaves (the others take them
// over at once). It calls onAcquire when the node gains a sector: process
// its messages from stream sequence fromSeq (1 when nothing was ever
// committed) under epoch, and Commit after each batch. It calls onRelease
// when the node must stop processing a sector (handed over, taken over,
// unhealthy, shutting down); onRelease must return only once the sector's
// processing has stopped and no Commit for it is in flight, and may be
// called for a sector whose processing already stopped on ErrFenced. Both
// run on Run's goroutine, one at a time, so both must be quick: onAcquire
// starts the sector's consumer and returns; onRelease cancels it (which
// aborts an in-flight Commit) and waits for the batch in hand only, not
// for the reader's teardown. A batch whose Commit was aborted is processed
// again by the next owner. Run returns nil after ctx ends, or an
// error when the buckets cannot be opened or another live process uses
// the same node ID.
func (m *Membership) Run(ctx context.Context, onAcquire func(sector string, fromSeq, epoch uint64), onRelease func(sector string)) error {
	if !m.running.CompareAndSwap(false, true) {
		return errors.New("cluster: Run called twice")
	}
	nodes, leases, err := m.open(ctx)
	if err != nil {
		return err
	}
	m.leases.Store(&leases)
	r := &runner{
		m: m, nodes: nodes, leases: leases, onAcquire: onAcquire, onRelease: onRelease,
		lastSeen: map[string]time.Time{}, beats: map[string]heartbeat{}, records: map[string]record{},
		initial: map[string]time.Time{},
	}
	return r.run(ctx)
}

func (m *Membership) open(ctx context.Context) (nodes, leases jetstream.KeyValue, err error) {
	o := m.opts
	nodes, err = m.bucket(ctx, jetstream.KeyValueConfig{
		Bucket:      o.Bucket + "-nodes",
		Description: "borderwatch node heartbeats",
		History:     1,
		// Only collects the keys of nodes gone for good; liveness is
		// judged from heartbeat arrivals, not from expiry.
		TTL:      time.Hour,
		Storage:  jetstream.FileStorage,
		Replicas: o.Replicas,
	})
	if err != nil {
		return nil, nil, err
	}
	leases, err = m.bucket(ctx, jetstream.KeyValueConfig{
		Bucket:      o.Bucket + "-leases",
		Description: "borderwatch sector leases and committed sequences",
		History:     1,
		Storage:     jetstream.FileStorage,
		Replicas:    o.Replicas,
	})
	if err != nil {
		return nil, nil, err
	}
	return nodes, leases, nil
}

func (m *Membership) bucket(ctx context.Context, cfg jetstream.KeyValueConfig) (jetstream.KeyValue, error) {
	// A JetStream cluster that is still electing its leaders (or several
	// nodes creating the bucket at once) answers slowly: retry for a while.
	deadline := m.opts.Now().Add(bucketPatience)
	for {
		kv, err := m.openBucket(ctx, cfg)
		if err == nil {
			return kv, nil
		}
		if ctx.Err() != nil || m.opts.Now().After(deadline) {
			return nil, err
		}
		m.log.Warn("bucket not ready; retrying", "bucket", cfg.Bucket, "err", err)
		select {
		case <-ctx.Done():
			return nil, err
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// bucketPatience bounds the retries of opening a bucket.
const bucketPatience = 60 * time.Second

func (m *Membership) openBucket(ctx context.Context, cfg jetstream.KeyValueConfig) (jetstream.KeyValue, error) {
	kv, err := m.js.KeyValue(ctx, cfg.Bucket)
	if err == nil {
		return kv, nil
	}
	if !errors.Is(err, jetstream.ErrBucketNotFound) {
		return nil, fmt.Errorf("cluster: bucket %s: %w", cfg.Bucket, err)
	}
	kv, err = m.js.CreateKeyValue(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("cluster: create bucket %s (replicas %d): %w", cfg.Bucket, cfg.Replicas, err)
	}
	return kv, nil
}
