package natsbus

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nuid"

	"github.com/borderwatch/borderwatch"
)

// Group commit. Callers encode their observations into records (in their
// own goroutine), then append the records to the open batch of their
// sector under a short lock and wait on that batch's done channel. One
// committer goroutine takes every open batch, publishes each as one
// JetStream message with a unique Nats-Msg-Id, and hands the pending acks
// to an acker goroutine; while up to MaxInflight batches await their
// acknowledgement the next batches fill up. With fsync before every
// acknowledgement the batch size therefore grows with the load: each
// fsync makes all the observations that arrived during the previous one
// durable.

// Headers of log messages.
const (
	// HeaderType names the event type of a message ("observations",
	// "track", "alert", ...).
	HeaderType = "Bw-Type"
	// HeaderCount is the number of observations in a batch.
	HeaderCount = "Bw-Count"
	// TypeObservations is the HeaderType of observation batches.
	TypeObservations = "observations"
)

type batch struct {
	sector  string
	buf     []byte
	wire    []byte // what is published: buf, compressed when large
	n       int
	done    chan struct{}
	err     error
	cbs     []func(error)
	id      string
	future  jetstream.PubAckFuture
	pubErr  error
	started time.Time
}

type committer struct {
	l        *Log
	mu       sync.Mutex
	open     map[string]*batch
	ready    []*batch
	closed   bool
	wake     chan struct{}
	inflight chan []*batch
	quit     chan struct{}
	wg       sync.WaitGroup
	prefix   string
	seq      atomic.Uint64
	pool     sync.Pool
}

func (c *committer) start(l *Log) {
	c.l = l
	c.open = make(map[string]*batch)
	c.wake = make(chan struct{}, 1)
	c.inflight = make(chan []*batch, l.opts.MaxInflight)
	c.quit = make(chan struct{})
	// A fresh prefix per process: message ids never collide with an
	// earlier run's within the duplicate window.
	c.prefix = nuid.Next() + "-"
	c.wg.Add(2)
	go c.commitLoop()
	go c.ackLoop()
}

func (c *committer) stop() {
	c.mu.Lock()
	if c.quit == nil || c.closed {
		c.mu.Unlock()
		return
	}
	c.closed = true
	c.mu.Unlock()
	close(c.quit)
	c.wg.Wait()
}

// AppendObservations appends obs to the log under sector and returns once
// they are durably acknowledged by JetStream (fsynced on the embedded
// server; on a cluster, stored by a quorum of replicas). Concurrent callers
// share messages (group commit). On error none, some or all of obs may
// have been stored: a caller that retries relies on observation ids to
// drop duplicates downstream. obs is not retained after the call.
func (l *Log) AppendObservations(ctx context.Context, sector string, obs []borderwatch.Observation) error {
	if len(obs) == 0 {
		return nil
	}
	bs, err := l.c.add(sector, obs, nil)
	if err != nil {
		return err
	}
	var errs []error
	wait := func(b *batch) error {
		select {
		case <-b.done:
			if b.err != nil {
				errs = append(errs, b.err)
			}
			return nil
		case <-ctx.Done():
			return fmt.Errorf("natsbus: append %d observations to sector %q: %w (they may still be stored)", len(obs), sector, ctx.Err())
		}
	}
	if err := wait(bs.first); err != nil {
		return err
	}
	for _, b := range bs.more {
		if err := wait(b); err != nil {
			return err
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("natsbus: append %d observations to sector %q: %w", len(obs), sector, errors.Join(errs...))
	}
	return nil
}

// AppendObservationsAsync appends obs like AppendObservations but returns
// at once; done (which may be nil) is called exactly once: from the log's
// goroutine when every observation is durable or has failed, or before
// AppendObservationsAsync returns if obs is refused up front (invalid
// sector, oversize observation, closed log). done must not block. obs is
// not retained after the call returns.
func (l *Log) AppendObservationsAsync(sector string, obs []borderwatch.Observation, done func(error)) {
	if len(obs) == 0 {
		if done != nil {
			done(nil)
		}
		return
	}
	if _, err := l.c.add(sector, obs, done); err != nil && done != nil {
		done(err)
	}
}

// batchSet holds the (usually one) batches a call landed in without
// allocating for the common case.
type batchSet struct {
	first *batch
	more  []*batch
}

func (s *batchSet) push(b *batch) {
	if s.first == nil {
		s.first = b
		return
	}
	if b == s.first || (len(s.more) > 0 && s.more[len(s.more)-1] == b) {
		return
	}
	s.more = append(s.more, b)
}

func (s *batchSet) list() []*batch {
	if s.first == nil {
		return nil
	}
	if len(s.more) == 0 {
		return []*batch{s.first}
	}
	return append([]*batch{s.first}, s.more...)
}

type scratch struct {
	buf  []byte
	ends []int
}

func (c *committer) add(sector string, obs []borderwatch.Observation, cb func(error)) (batchSet, error) {
	var set batchSet
	if !ValidSector(sector) {
		return set, borderwatch.Errorf(borderwatch.EINVALID, "sector %q: not a valid subject token (no dots, wildcards or spaces)", sector)
	}
	sector = sectorToken(sector)
	// Encode outside the lock so callers encode in parallel.
	sc, _ := c.pool.Get().(*scratch)
	if sc == nil {
		sc = &scratch{}
	}
	sc.buf, sc.ends = sc.buf[:0], sc.ends[:0]
	limit := c.l.opts.MaxBatchBytes - batchHeader
	for i := range obs {
		sc.buf = appendRecord(sc.buf, &obs[i])
		end := len(sc.buf)
		prev := 0
		if len(sc.ends) > 0 {
			prev = sc.ends[len(sc.ends)-1]
		}
		if end-prev > limit {
			c.pool.Put(sc)
			return set, borderwatch.Errorf(borderwatch.EINVALID, "observation %q: encodes to %d bytes, more than a batch (%d)", obs[i].ID, end-prev, limit)
		}
		sc.ends = append(sc.ends, end)
	}

	c.mu.Lock()
	if c.closed || c.quit == nil {
		c.mu.Unlock()
		c.pool.Put(sc)
		return set, ErrClosed
	}
	b := c.open[sector]
	start := 0
	for i, end := range sc.ends {
		if b == nil || len(b.buf)+(end-start) > c.l.opts.MaxBatchBytes {
			if b != nil {
				c.flushRangeLocked(b, sc, &start, i)
				c.ready = append(c.ready, b)
			}
			b = c.newBatch(sector)
			c.open[sector] = b
		}
		b.n++
		set.push(b)
		if i == len(sc.ends)-1 {
			c.flushRangeLocked(b, sc, &start, i+1)
		}
	}
	if cb != nil {
		// One callback per batch touched; the last one to finish calls cb.
		list := set.list()
		if len(list) == 1 {
			list[0].cbs = append(list[0].cbs, cb)
		} else {
			j := &joined{left: int32(len(list)), cb: cb}
			for _, x := range list {
				x.cbs = append(x.cbs, j.done)
			}
		}
	}
	c.mu.Unlock()
	c.pool.Put(sc)
	select {
	case c.wake <- struct{}{}:
	default:
	}
	return set, nil
}

// flushRangeLocked copies the records from *start up to record i (exclusive
// end offset ends[i-1]) into b.
func (c *committer) flushRangeLocked(b *batch, sc *scratch, start *int, i int) {
	if i == 0 {
		return
	}
	end := sc.ends[i-1]
	if end > *start {
		b.buf = append(b.buf, sc.buf[*start:end]...)
		*start = end
	}
}

type joined struct {
	left int32
	mu   sync.Mutex
	err  error
	cb   func(error)
}

func (j *joined) done(err error) {
	j.mu.Lock()
	if err != nil && j.err == nil {
		j.err = err
	}
	j.left--
	last := j.left == 0
	e := j.err
	j.mu.Unlock()
	if last {
		j.cb(e)
	}
}

func (c *committer) newBatch(sector string) *batch {
	b := &batch{sector: sector, done: make(chan struct{})}
	b.buf = appendBatchHeader(make([]byte, 0, 4096))
	return b
}

func (c *committer) commitLoop() {
	defer c.wg.Done()
	defer close(c.inflight)
	for {
		select {
		case <-c.wake:
		case <-c.quit:
			// Publish what was accepted before Close, then stop.
			if bs := c.take(); len(bs) > 0 {
				c.publish(bs)
				c.inflight <- bs
			}
			return
		}
		bs := c.take()
		if len(bs) == 0 {
			continue
		}
		c.publish(bs)
		select {
		case c.inflight <- bs:
		case <-c.quit:
			c.inflight <- bs
			if bs := c.take(); len(bs) > 0 {
				c.publish(bs)
				c.inflight <- bs
			}
			return
		}
	}
}

func (c *committer) take() []*batch {
	c.mu.Lock()
	defer c.mu.Unlock()
	bs := c.ready
	c.ready = nil
	for s, b := range c.open {
		bs = append(bs, b)
		delete(c.open, s)
	}
	return bs
}

func (c *committer) publish(bs []*batch) {
	for _, b := range bs {
		b.wire = b.buf
		if len(b.buf) >= compressMin {
			b.wire = CompressObservations(b.buf)
		}
		b.id = c.prefix + strconv.FormatUint(c.seq.Add(1), 10)
		b.started = time.Now()
		b.future, b.pubErr = c.l.js.PublishMsgAsync(c.msg(b), jetstream.WithMsgID(b.id), jetstream.WithExpectStream(string(StreamObservations)))
	}
}

func (c *committer) msg(b *batch) *nats.Msg {
	m := nats.NewMsg(StreamObservations.Subject(b.sector))
	m.Data = b.wire
	m.Header.Set(HeaderType, TypeObservations)
	m.Header.Set(HeaderCount, strconv.Itoa(b.n))
	return m
}

func (c *committer) ackLoop() {
	defer c.wg.Done()
	for bs := range c.inflight {
		for _, b := range bs {
			c.finish(b, c.await(b))
		}
	}
}

// await waits for b's acknowledgement and retries with the same message id
// (so JetStream drops a duplicate if the first attempt was stored).
func (c *committer) await(b *batch) error {
	timeout := c.l.opts.PublishTimeout
	err := b.pubErr
	if err == nil {
		t := time.NewTimer(timeout)
		select {
		case <-b.future.Ok():
			t.Stop()
			return nil
		case err = <-b.future.Err():
		case <-t.C:
			err = fmt.Errorf("no acknowledgement within %v", timeout)
		}
		t.Stop()
	}
	for attempt := 1; attempt <= 3; attempt++ {
		c.l.m.retries.Inc()
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		_, err2 := c.l.js.PublishMsg(ctx, c.msg(b), jetstream.WithMsgID(b.id), jetstream.WithExpectStream(string(StreamObservations)))
		cancel()
		if err2 == nil {
			return nil
		}
		err = err2
		select {
		case <-c.quit:
			attempt = 3
		case <-time.After(time.Duration(attempt) * 100 * time.Millisecond):
		}
	}
	c.l.m.failures.Inc()
	return fmt.Errorf("publish batch %s (%d observations, sector %q): %w", b.id, b.n, b.sector, err)
}

func (c *committer) finish(b *batch, err error) {
	if err == nil {
		c.l.m.batches.Inc()
		c.l.m.observations.Add(uint64(b.n))
		c.l.m.bytes.Add(uint64(len(b.wire)))
	}
	b.err = err
	c.mu.Lock()
	cbs := b.cbs
	b.cbs = nil
	c.mu.Unlock()
	close(b.done)
	for _, cb := range cbs {
		cb(err)
	}
	b.buf, b.wire = nil, nil
}

// compressMin: smaller batches are published uncompressed (the fsync, not
// the bytes, dominates them).
const compressMin = 4 << 10
