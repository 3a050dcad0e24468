package live

import (
	"context"
	"encoding/binary"
	"hash/fnv"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Batch is what one flush delivers to a viewer: every change since the
// previous batch, coalesced by record (the latest version only), filtered
// by the viewer's viewport and releasability.
type Batch struct {
	// ID is the event id to resume from: "<epoch>-<seq>-<view>", where
	// view fingerprints the viewport and policy the batch was cut for: a
	// viewer resumes only into the same view, else it gets a snapshot.
	ID  string
	Seq uint64
	// Reset tells the viewer to drop everything it holds first: the batch
	// is a full snapshot.
	Reset bool
	// Changes counts the operations in Data.
	Changes int
	// Data is the JSON object {"seq":N,"reset":bool,"changes":[op,...]}
	// where op is {"op":"upsert","kind":K,"id":I,"data":{...}} or
	// {"op":"delete","kind":K,"id":I}. It is valid until the next call of
	// Next on the same subscription.
	Data []byte
}

type mode int

const (
	modeIncremental mode = iota
	modeSnapshot         // viewer holds nothing: send all visible, Reset
	modeResume           // viewer holds an unknown subset as of cursor
	modeResync           // viewer holds exactly sent, as of cursor
)

// Subscription is one viewer's feed. Next and Run must be called from one
// goroutine; SetView and Close may be called from any.
type Subscription struct {
	p      *Picture
	allowF Filter // Allow only; the box lives in view
	policy string

	mu      sync.Mutex
	view    *BBox
	pending mode // a resync requested by SetView
	closed  bool
	kick    chan struct{}

	cursor  uint64
	mode    mode
	sent    map[*slot]struct{}
	scratch []*entry
	buf     []byte
}

// Subscribe starts a feed. lastEventID is the id of the last batch the
// viewer received (the SSE Last-Event-ID), or "" for a fresh viewer. The
// first batch is then either the changes since that id, or a snapshot
// (Reset) when the id is from another picture instance, from the future,
// or older than the oldest remembered deletion.
func (p *Picture) Subscribe(f Filter, lastEventID string) *Subscription {
	s := &Subscription{
		p:      p,
		allowF: Filter{Allow: f.Allow},
		policy: f.Policy,
		view:   f.BBox,
		kick:   make(chan struct{}, 1),
		sent:   make(map[*slot]struct{}),
		mode:   modeSnapshot,
	}
	p.mu.Lock()
	p.subs++
	if seq, ok := p.parseID(lastEventID, viewHash(f.BBox, f.Policy)); ok && seq <= p.seq && seq >= p.horizon {
		s.cursor = seq
		s.mode = modeResume
	}
	p.mu.Unlock()
	return s
}

// parseID reads "<epoch>-<seq>-<view>" for this picture and view.
func (p *Picture) parseID(id, view string) (uint64, bool) {
	parts := strings.Split(id, "-")
	if len(parts) != 3 || parts[0] != p.epoch || parts[2] != view {
		return 0, false
	}
	n, err := strconv.ParseUint(parts[1], 10, 64)
	return n, err == nil
}

// viewHash fingerprints a viewport and a policy name.
func viewHash(b *BBox, policy string) string {
	h := fnv.New64a()
	if b != nil {
		var buf [32]byte
		binary.LittleEndian.PutUint64(buf[0:], math.Float64bits(b.W))
		binary.LittleEndian.PutUint64(buf[8:], math.Float64bits(b.S))
		binary.LittleEndian.PutUint64(buf[16:], math.Float64bits(b.E))
		binary.LittleEndian.PutUint64(buf[24:], math.Float64bits(b.N))
		h.Write(buf[:])
	} else {
		h.Write([]byte("*"))
	}
	h.Write([]byte(policy))
	return strconv.FormatUint(h.Sum64(), 36)
}

// SetView changes the viewport (nil means everywhere). The next batch adds
// what came into view and removes what left it.
func (s *Subscription) SetView(b *BBox) {
	s.mu.Lock()
	s.view = b
	s.pending = modeResync
	s.mu.Unlock()
	s.wake()
}

// Close ends the feed: Run returns and the picture forgets the viewer.
// Close is idempotent.
func (s *Subscription) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	s.mu.Unlock()
	s.p.mu.Lock()
	s.p.subs--
	s.p.mu.Unlock()
	s.wake()
}

func (s *Subscription) wake() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// Next returns the changes since the previous batch; Changes is 0 (and
// Data nil) when there is nothing to send.
func (s *Subscription) Next() Batch {
	s.mu.Lock()
	f := Filter{Allow: s.allowF.Allow, BBox: s.view}
	if s.pending != modeIncremental && s.mode == modeIncremental {
		s.mode = s.pending
	}
	s.pending = modeIncremental
	s.mu.Unlock()

	p := s.p
	old := s.cursor
	m := s.mode
	s.scratch = s.scratch[:0]
	p.mu.RLock()
	head := p.seq
	if m == modeIncremental && (head-old > p.logSize || old < p.horizon) {
		m = modeResync // fell off the change log or missed forgotten deletions
	}
	if m == modeResume && old < p.horizon {
		m = modeSnapshot // deletions it needs were forgotten meanwhile
	}
	if m == modeIncremental {
		for seq := old + 1; seq <= head; seq++ {
			c := p.ring[seq%p.logSize]
			if e := c.slot.cur; e.seq == seq {
				s.scratch = append(s.scratch, e) // only the latest version of each record
			}
		}
	} else {
		for _, sl := range p.items {
			s.scratch = append(s.scratch, sl.cur)
		}
	}
	p.mu.RUnlock()
	s.cursor = head
	s.mode = modeIncremental
	if m == modeResume {
		// A record whose label changed since old to one this viewer may
		// not see: it may hold the old version, but a delete would leak
		// the id if it never could see it. Start afresh instead.
		for _, e := range s.scratch {
			if e.labelSince > old && f.Allow != nil && !f.Allow(e.label) {
				m = modeSnapshot
				break
			}
		}
	}

	s.buf = s.buf[:0]
	s.buf = append(s.buf, `{"seq":`...)
	s.buf = strconv.AppendUint(s.buf, head, 10)
	s.buf = append(s.buf, `,"reset":`...)
	s.buf = strconv.AppendBool(s.buf, m == modeSnapshot)
	s.buf = append(s.buf, `,"changes":[`...)
	n := 0
	emit := func(op []byte) {
		if n > 0 {
			s.buf = append(s.buf, ',')
		}
		s.buf = append(s.buf, op...)
		n++
	}
	remove := func(k key) {
		if n > 0 {
			s.buf = append(s.buf, ',')
		}
		s.buf = appendRemove(s.buf, k)
		n++
	}
	switch m {
	case modeIncremental:
		for _, e := range s.scratch {
			_, had := s.sent[e.slot]
			if f.visible(e) {
				emit(e.upsert)
				if !had {
					s.sent[e.slot] = struct{}{}
				}
			} else if had {
				remove(e.key)
				delete(s.sent, e.slot)
			}
		}
	case modeSnapshot:
		clear(s.sent)
		for _, e := range s.scratch {
			if f.visible(e) {
				emit(e.upsert)
				s.sent[e.slot] = struct{}{}
			}
		}
	case modeResume:
		// The viewer holds exactly what was visible to this same view as
		// of old (the event id carries the view's fingerprint): send what
		// changed since, deleting what changed out of view (only records it
		// was allowed to see, so no ids leak).
		clear(s.sent)
		for _, e := range s.scratch {
			vis := f.visible(e)
			if vis {
				s.sent[e.slot] = struct{}{}
			}
			if e.seq <= old {
				continue
			}
			if vis {
				emit(e.upsert)
			} else if f.Allow == nil || f.Allow(e.label) {
				remove(e.key)
			}
		}
	case modeResync:
		next := make(map[*slot]struct{}, len(s.sent))
		for _, e := range s.scratch {
			_, had := s.sent[e.slot]
			if f.visible(e) {
				next[e.slot] = struct{}{}
				if !had || e.seq > old {
					emit(e.upsert)
				}
			} else if had {
				remove(e.key)
			}
			delete(s.sent, e.slot)
		}
		if len(s.sent) > 0 {
			// Left over: records whose deletion was forgotten (their slot is
			// gone). Remove them, unless the same kind and id was created
			// again and is visible: its upsert above already replaced it.
			again := make(map[key]bool)
			for _, e := range s.scratch {
				if _, ok := next[e.slot]; ok {
					again[e.key] = true
				}
			}
			for sl := range s.sent {
				if !again[sl.key] {
					remove(sl.key)
				}
			}
		}
		s.sent = next
	}
	s.buf = append(s.buf, "]}"...)
	clear(s.scratch) // drop references to old versions
	s.scratch = s.scratch[:0]

	b := Batch{Seq: head, ID: p.epoch + "-" + strconv.FormatUint(head, 10) + "-" + viewHash(f.BBox, s.policy), Reset: m == modeSnapshot, Changes: n}
	if n > 0 || b.Reset {
		b.Data = s.buf
	}
	return b
}

// RunOptions tunes Run.
type RunOptions struct {
	// MinInterval is the least time between two batches: the per-viewer
	// throttle (1/MinInterval is the maximum rate). Changes in between
	// are coalesced. Default 500 ms.
	MinInterval time.Duration
	// Heartbeat, when positive, calls emit with an empty Batch after that
	// long without a batch, so the caller can keep a connection alive.
	Heartbeat time.Duration
}

// Run drives the feed on the caller's goroutine: it calls emit with each
// non-empty batch, at most once per MinInterval, until ctx is done, the
// subscription is closed or emit fails. It returns emit's error, ctx's
// error, or nil after Close.
func (s *Subscription) Run(ctx context.Context, o RunOptions, emit func(Batch) error) error {
	if o.MinInterval <= 0 {
		o.MinInterval = 500 * time.Millisecond
	}
	throttle := time.NewTimer(0)
	defer throttle.Stop()
	var beat *time.Timer
	var beatC <-chan time.Time
	if o.Heartbeat > 0 {
		beat = time.NewTimer(o.Heartbeat)
		defer beat.Stop()
		beatC = beat.C
	}
	for {
		s.mu.Lock()
		closed := s.closed
		s.mu.Unlock()
		if closed {
			return nil
		}
		changed := s.p.changedChan()
		b := s.Next()
		if b.Data != nil {
			if err := emit(b); err != nil {
				return err
			}
			if beat != nil {
				beat.Reset(o.Heartbeat)
			}
			throttle.Reset(o.MinInterval)
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-throttle.C:
			}
			continue
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-changed:
		case <-s.kick:
		case <-beatC:
			if err := emit(Batch{}); err != nil {
				return err
			}
			beat.Reset(o.Heartbeat)
		}
	}
}
