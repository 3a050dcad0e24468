package cot

import (
	"sync"
	"time"

	"github.com/borderwatch/borderwatch"
)

// item is one event to send, encoded at most once per format and shared
// by every client queue it is in. It is immutable once published.
type item struct {
	uid   string
	label borderwatch.Label
	stale time.Time
	ev    Event
	// origin is the client an item relayed from, which does not get it back.
	origin *client
	// switchTo, when set, switches the client's output format after the
	// item is written (the negotiation response).
	switchTo Format
	// control items bypass the Allow filter and the latest-state cache.
	control bool
	// queued is set (under Server.mu) once any client queue holds the
	// item; until then the relay may overwrite it in place.
	queued bool

	xmlOnce, protoOnce sync.Once
	xml, proto         []byte
}

func newItem(ev *Event, label borderwatch.Label) *item {
	return &item{uid: ev.UID, label: label, stale: ev.Stale, ev: ev.Clone()}
}

// frame returns the item's bytes in format f: an XML message (prolog,
// newline, event) or a protobuf stream frame.
func (it *item) frame(f Format) []byte {
	if f == FormatProto {
		it.protoOnce.Do(func() { it.proto = AppendStreamFrame(nil, &it.ev) })
		return it.proto
	}
	it.xmlOnce.Do(func() { it.xml = AppendXMLFrame(nil, &it.ev) })
	return it.xml
}

// queue is a client's bounded send queue. It holds at most one pending
// item per uid: a newer item for a uid replaces the pending one in place
// (CoT's latest-wins rule), so a slow reader gets the latest picture, not
// a backlog. When max uids are pending, the oldest is dropped.
type queue struct {
	mu      sync.Mutex
	pending map[string]*item
	order   []string
	head    int
	max     int
	closed  bool
	ready   chan struct{} // has a token when there is something to pop
}

func newQueue(max int) *queue {
	return &queue{pending: make(map[string]*item), max: max, ready: make(chan struct{}, 1)}
}

// push queues it, coalescing by uid. It reports whether an older pending
// item had to be dropped to make room. It never blocks.
func (q *queue) push(it *item) (dropped bool) {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return false
	}
	if _, ok := q.pending[it.uid]; ok {
		q.pending[it.uid] = it
	} else {
		if len(q.pending) >= q.max {
			old := q.order[q.head]
			q.order[q.head] = ""
			q.head++
			delete(q.pending, old)
			dropped = true
		}
		if q.head > 0 && q.head >= len(q.order)/2 {
			n := copy(q.order, q.order[q.head:])
			clear(q.order[n:])
			q.order = q.order[:n]
			q.head = 0
		}
		q.order = append(q.order, it.uid)
		q.pending[it.uid] = it
	}
	q.mu.Unlock()
	select {
	case q.ready <- struct{}{}:
	default:
	}
	return dropped
}

// popAll appends all pending items to dst in queue order and empties
// the queue.
func (q *queue) popAll(dst []*item) []*item {
	q.mu.Lock()
	for _, uid := range q.order[q.head:] {
		dst = append(dst, q.pending[uid])
		delete(q.pending, uid)
	}
	clear(q.order)
	q.order = q.order[:0]
	q.head = 0
	q.mu.Unlock()
	return dst
}

func (q *queue) len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.pending)
}

func (q *queue) close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
}
