package cluster_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/borderwatch/borderwatch/internal/cluster"
)

const testTTL = 1500 * time.Millisecond

// TestSpreadCommitLeave: three nodes share twelve sectors four each; each
// sequence is committed once; a node that leaves hands its sectors over
// at once (well under LeaseTTL) and they continue where it stopped.
func TestSpreadCommitLeave(t *testing.T) {
	url := startEmbedded(t)
	l := newLedger(t)
	sectors := sectorNames(12)
	a := startMember(t, url, "a", sectors, testTTL, l)
	b := startMember(t, url, "b", sectors, testTTL, l)
	c := startMember(t, url, "c", sectors, testTTL, l)

	waitFor(t, l, 15*time.Second, "12 sectors spread 4/4/4", func() bool { return balanced(sectors, a, b, c) })
	for _, mb := range []*member{a, b, c} {
		if n := len(mb.m.Owned()); n != 4 {
			t.Errorf("%s owns %d sectors, want 4", mb.id, n)
		}
	}
	progressed := func(n int) func() bool {
		return func() bool {
			for _, s := range sectors {
				if l.commits(s) < n {
					return false
				}
			}
			return true
		}
	}
	waitFor(t, l, 10*time.Second, "5 commits per sector", progressed(5))

	left := c.m.Owned()
	c.stop()
	took := waitFor(t, l, 10*time.Second, "a and b own everything after c left", func() bool { return balanced(sectors, a, b) })
	if took > testTTL {
		t.Errorf("handover after a graceful leave took %v, want < LeaseTTL %v", took, testTTL)
	}
	t.Logf("graceful leave: %d sectors handed over in %v", len(left), took)
	waitFor(t, l, 10*time.Second, "15 commits per sector", progressed(15))
	a.stop()
	b.stop()
	l.check(t)
}

// TestPartitionFailover: a node cut off from NATS stops processing before
// the survivors take its sectors (within LeaseTTL + a little), which
// resume right after its last commit; when the link returns it gets its
// share back.
func TestPartitionFailover(t *testing.T) {
	url := startEmbedded(t)
	p := newLinkProxy(t, strings.TrimPrefix(url, "nats://"))
	l := newLedger(t)
	sectors := sectorNames(9)
	a := startMember(t, "nats://"+p.Addr(), "a", sectors, testTTL, l)
	b := startMember(t, url, "b", sectors, testTTL, l)
	c := startMember(t, url, "c", sectors, testTTL, l)
	waitFor(t, l, 15*time.Second, "9 sectors spread 3/3/3", func() bool { return balanced(sectors, a, b, c) })
	lostSectors := a.m.Owned()

	cutAt := time.Now()
	p.Cut()
	took := waitFor(t, l, 10*time.Second, "b and c own a's sectors", func() bool {
		o := owners(b, c)
		for s := range lostSectors {
			if len(o[s]) != 1 {
				return false
			}
		}
		return true
	})
	t.Logf("partition: %d sectors moved %v after the cut (LeaseTTL %v)", len(lostSectors), took, testTTL)

	// a released each sector before anyone else acquired it.
	l.mu.Lock()
	released := map[string]time.Time{}
	for _, e := range l.events {
		if e.at.Before(cutAt) {
			continue
		}
		switch {
		case e.kind == "release" && e.node == "a":
			released[e.sector] = e.at
		case e.kind == "acquire" && e.node != "a":
			if _, was := lostSectors[e.sector]; !was {
				continue
			}
			r, ok := released[e.sector]
			if !ok || !r.Before(e.at) {
				t.Errorf("sector %s acquired by %s at %v before a released it (%v)", e.sector, e.node, e.at.Sub(cutAt), r.Sub(cutAt))
			}
		}
	}
	l.mu.Unlock()

	p.Restore()
	waitFor(t, l, 20*time.Second, "a back with its share", func() bool { return balanced(sectors, a, b, c) && len(a.m.Owned()) == 3 })
	a.stop()
	b.stop()
	c.stop()
	l.check(t)
}

// TestFencedCommit: once another node has taken the lease, the old owner's
// Commit fails with ErrFenced and its processing is released; when the
// taker turns out dead the sector comes back with a higher epoch, after
// the taker's sequence.
func TestFencedCommit(t *testing.T) {
	url := startEmbedded(t)
	l := newLedger(t)
	a := startMember(t, url, "a", []string{"only"}, testTTL, l)
	waitFor(t, l, 10*time.Second, "a owns the sector", func() bool { return len(a.m.Owned()) == 1 })
	epoch := a.m.Owned()["only"]

	_, js := connect(t, url)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	kv, err := js.KeyValue(ctx, cluster.DefaultBucket+"-leases")
	if err != nil {
		t.Fatal(err)
	}
	e, err := kv.Get(ctx, "only")
	if err != nil {
		t.Fatal(err)
	}
	var cur struct{ Seq uint64 }
	if err := json.Unmarshal(e.Value(), &cur); err != nil {
		t.Fatal(err)
	}
	// An intruder (a node that then dies at once) takes the lease and
	// claims to have processed ten more messages.
	stolen, _ := json.Marshal(map[string]any{"owner": "intruder", "epoch": epoch + 1, "seq": cur.Seq + 10})
	if _, err := kv.Update(ctx, "only", stolen, e.Revision()); err != nil {
		t.Fatal(err)
	}
	err = a.m.Commit(ctx, "only", epoch, cur.Seq+100)
	if !errors.Is(err, cluster.ErrFenced) {
		t.Fatalf("commit after takeover: %v, want ErrFenced", err)
	}
	var back event
	waitFor(t, l, 10*time.Second, "a takes the sector back from the dead intruder", func() bool {
		l.mu.Lock()
		defer l.mu.Unlock()
		for _, ev := range l.events {
			if ev.kind == "acquire" && ev.epoch == epoch+2 {
				back = ev
				return true
			}
		}
		return false
	})
	if back.fromSeq != cur.Seq+11 {
		t.Errorf("resumed at seq %d, want %d (after the intruder's commit)", back.fromSeq, cur.Seq+11)
	}
	if err := a.m.Commit(ctx, "only", epoch, cur.Seq+200); !errors.Is(err, cluster.ErrFenced) {
		t.Errorf("commit with the old epoch: %v, want ErrFenced", err)
	}
}

// TestDuplicateNodeID: two live processes claiming one node ID is a
// configuration error that stops one of them.
func TestDuplicateNodeID(t *testing.T) {
	url := startEmbedded(t)
	l := newLedger(t)
	x := startMember(t, url, "same", []string{"s1", "s2"}, testTTL, l)
	waitFor(t, l, 10*time.Second, "first process owns both sectors", func() bool { return len(x.m.Owned()) == 2 })
	y := startMember(t, url, "same", []string{"s1", "s2"}, testTTL, l)
	var err error
	select {
	case err = <-x.done:
		x.done <- err
	case err = <-y.done:
		y.done <- err
	case <-time.After(15 * time.Second):
		t.Fatal("neither process noticed the duplicate node ID")
	}
	if err == nil || !strings.Contains(err.Error(), "used by another live process") {
		t.Fatalf("Run: %v, want a duplicate node ID error", err)
	}
}

func TestNewRejectsBadOptions(t *testing.T) {
	_, js := connect(t, startEmbedded(t))
	for _, tc := range []struct {
		name string
		js   jetstream.JetStream
		o    cluster.Options
		err  string
	}{
		{"no jetstream", nil, cluster.Options{NodeID: "n", Sectors: []string{"a"}}, "no JetStream"},
		{"bad options", js, cluster.Options{NodeID: "", Sectors: []string{"a"}}, "node_id"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := cluster.New(tc.js, tc.o); err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("err = %v, want one containing %q", err, tc.err)
			}
		})
	}
}

// TestRollingSectorChange: during a rolling change of the deployment a
// node with the new sector list does not take sectors from a live node with
// the old list; it gets the new sector at once and the rest when the old
// node stops.
func TestRollingSectorChange(t *testing.T) {
	url := startEmbedded(t)
	l := newLedger(t)
	old := startMember(t, url, "old", []string{"s1", "s2", "s3"}, testTTL, l)
	waitFor(t, l, 10*time.Second, "old node owns its three sectors", func() bool { return len(old.m.Owned()) == 3 })
	upgraded := startMember(t, url, "new", []string{"s1", "s2", "s3", "s4"}, testTTL, l)
	waitFor(t, l, 10*time.Second, "new node owns the new sector", func() bool { return len(upgraded.m.Owned()) == 1 })
	// Two lease TTLs later nothing has moved.
	deadline := time.Now().Add(2 * testTTL)
	for time.Now().Before(deadline) {
		if o := owners(old, upgraded); len(o["s1"])+len(o["s2"])+len(o["s3"]) != 3 || len(old.m.Owned()) != 3 {
			t.Fatalf("sectors moved while the old node is alive: %v", o)
		}
		select {
		case <-l.changed:
		case <-time.After(50 * time.Millisecond):
		}
	}
	old.stop()
	waitFor(t, l, 10*time.Second, "new node owns all four", func() bool { return len(upgraded.m.Owned()) == 4 })
	upgraded.stop()
	l.check(t)
}
