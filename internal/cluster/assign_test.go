package cluster

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

func names(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s%d", prefix, i+1)
	}
	return out
}

func counts(a map[string]string) map[string]int {
	c := map[string]int{}
	for _, n := range a {
		c[n]++
	}
	return c
}

func TestAssignBalanced(t *testing.T) {
	for _, tc := range []struct{ sectors, nodes int }{
		{1, 1}, {1, 3}, {2, 3}, {7, 3}, {12, 3}, {12, 2}, {10, 3}, {13, 4}, {100, 7}, {599, 9}, {5, 8},
	} {
		t.Run(fmt.Sprintf("%d sectors over %d nodes", tc.sectors, tc.nodes), func(t *testing.T) {
			sectors, nodes := names("s", tc.sectors), names("node-", tc.nodes)
			a := Assign(sectors, nodes)
			if len(a) != len(sectors) {
				t.Fatalf("%d of %d sectors assigned", len(a), len(sectors))
			}
			c := counts(a)
			lo, hi := len(sectors), 0
			for _, n := range nodes {
				lo, hi = min(lo, c[n]), max(hi, c[n])
			}
			if hi-lo > 1 {
				t.Errorf("unbalanced: %v", c)
			}
			// Any order of the node list, and duplicates, give the same owners.
			rev := slices.Clone(nodes)
			slices.Reverse(rev)
			rev = append(rev, nodes[0])
			b := Assign(sectors, rev)
			for s, n := range a {
				if b[s] != n {
					t.Fatalf("sector %s: %s with one node order, %s with another", s, n, b[s])
				}
			}
		})
	}
}

func TestAssignEmpty(t *testing.T) {
	if a := Assign([]string{"a", "b"}, nil); len(a) != 0 {
		t.Errorf("no nodes: got %v", a)
	}
	if a := Assign(nil, []string{"n1"}); len(a) != 0 {
		t.Errorf("no sectors: got %v", a)
	}
}

// TestAssignRemovalMovesFew: when a node dies its sectors move; of the
// survivors' sectors, strict balance moves at most about as many again
// (handed over between live nodes, which is quick).
func TestAssignRemovalMovesFew(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, tc := range []struct{ sectors, nodes, maxExtra int }{
		{7, 3, 1}, {12, 3, 1}, {30, 5, 6}, {100, 7, 15}, {599, 9, 67},
	} {
		t.Run(fmt.Sprintf("%d sectors, %d nodes", tc.sectors, tc.nodes), func(t *testing.T) {
			sectors := names("sector-", tc.sectors)
			nodes := names("n", tc.nodes)
			for trial := 0; trial < 20; trial++ {
				before := Assign(sectors, nodes)
				dead := nodes[rng.IntN(len(nodes))]
				var rest []string
				for _, n := range nodes {
					if n != dead {
						rest = append(rest, n)
					}
				}
				after := Assign(sectors, rest)
				extra := 0
				for s, n := range before {
					if n != dead && after[s] != n {
						extra++
					}
				}
				if extra > tc.maxExtra {
					t.Errorf("trial %d: %s died; %d survivors' sectors moved too (want ≤ %d)", trial, dead, extra, tc.maxExtra)
				}
			}
		})
	}
}

// naiveAssign is plain rendezvous hashing: each sector to its top node.
func naiveAssign(sectors, nodes []string) map[string]string {
	out := make(map[string]string, len(sectors))
	for _, s := range sectors {
		best, bs := "", uint64(0)
		for _, n := range nodes {
			if sc := score(s, n); best == "" || sc > bs {
				best, bs = n, sc
			}
		}
		out[s] = best
	}
	return out
}

func TestNaiveAssignIsUneven(t *testing.T) {
	// Why Assign bounds the load: plain rendezvous over 12 sectors and 3
	// nodes is often far from 4/4/4.
	worst := 0
	for i := 0; i < 50; i++ {
		c := counts(naiveAssign(names(fmt.Sprintf("d%d-s", i), 12), names("n", 3)))
		for _, v := range c {
			worst = max(worst, v)
		}
	}
	if worst < 6 {
		t.Logf("plain rendezvous never exceeded %d sectors on a node", worst)
	}
}

func BenchmarkAssign(b *testing.B) {
	for _, tc := range []struct{ sectors, nodes int }{{12, 3}, {600, 10}} {
		sectors, nodes := names("sector-", tc.sectors), names("node-", tc.nodes)
		b.Run(fmt.Sprintf("balanced/%dx%d", tc.sectors, tc.nodes), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				Assign(sectors, nodes)
			}
		})
		b.Run(fmt.Sprintf("naive/%dx%d", tc.sectors, tc.nodes), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				naiveAssign(sectors, nodes)
			}
		})
	}
}
