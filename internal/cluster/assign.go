package cluster

import (
	"slices"
	"strings"
)

// Assign returns the owner of every sector when nodes are the live members:
// a balanced rendezvous assignment. It is a pure function of its inputs
// (the order of nodes does not matter; duplicate nodes count once), so every
// member that sees the same live set computes the same owners without
// talking to the others.
//
// Each sector ranks the nodes by a stable hash of (sector, node), highest
// first (rendezvous hashing). Each node may own ⌊S/N⌋ or ⌈S/N⌉ of the S
// sectors: the S mod N nodes most sectors rank first get the larger
// quota, ties to the smaller node ID. Sectors then propose to nodes in
// their rank order and a full node keeps the sectors that rank it highest
// (deferred acceptance), so the counts never differ by more than one and,
// as in plain rendezvous hashing, a node's death moves its own sectors and
// rarely any other. With no nodes the result is empty; sectors missing
// from the result have no owner.
func Assign(sectors, nodes []string) map[string]string {
	out := make(map[string]string, len(sectors))
	ns := slices.Clone(nodes)
	slices.Sort(ns)
	ns = slices.Compact(ns)
	if len(ns) == 0 || len(sectors) == 0 {
		return out
	}
	S, N := len(sectors), len(ns)

	// ranks[i] lists node indexes by descending score for sector i.
	ranks := make([][]int, S)
	scores := make([][]uint64, S)
	demand := make([]int, N)
	for i, s := range sectors {
		sc := make([]uint64, N)
		r := make([]int, N)
		for j, n := range ns {
			sc[j] = score(s, n)
			r[j] = j
		}
		slices.SortFunc(r, func(a, b int) int {
			if sc[a] != sc[b] {
				if sc[a] > sc[b] {
					return -1
				}
				return 1
			}
			return a - b
		})
		ranks[i], scores[i] = r, sc
		demand[r[0]]++
	}

	quota := make([]int, N)
	byDemand := make([]int, N)
	for j := range byDemand {
		byDemand[j] = j
	}
	slices.SortStableFunc(byDemand, func(a, b int) int { return demand[b] - demand[a] })
	q, r := S/N, S%N
	for k, j := range byDemand {
		quota[j] = q
		if k < r {
			quota[j]++
		}
	}

	held := make([][]int, N) // sectors held by each node
	next := make([]int, S)   // next rank each sector proposes to
	free := make([]int, 0, S)
	for i := S - 1; i >= 0; i-- {
		free = append(free, i)
	}
	for len(free) > 0 {
		i := free[len(free)-1]
		free = free[:len(free)-1]
		for next[i] < N {
			j := ranks[i][next[i]]
			next[i]++
			if quota[j] == 0 {
				continue
			}
			if len(held[j]) < quota[j] {
				held[j] = append(held[j], i)
				break
			}
			// Full: keep the sectors that score this node highest.
			worst := 0
			for k, h := range held[j] {
				if less(scores[h][j], sectors[h], scores[held[j][worst]][j], sectors[held[j][worst]]) {
					worst = k
				}
			}
			w := held[j][worst]
			if less(scores[w][j], sectors[w], scores[i][j], sectors[i]) {
				held[j][worst] = i
				i = w
			}
		}
	}
	for j, hs := range held {
		for _, i := range hs {
			out[sectors[i]] = ns[j]
		}
	}
	return out
}

// less orders (score, sector) pairs; the sector name breaks score ties.
func less(sa uint64, a string, sb uint64, b string) bool {
	if sa != sb {
		return sa < sb
	}
	return strings.Compare(a, b) > 0
}

// score is the rendezvous weight of node for sector: FNV-1a over both
// names, finished with the splitmix64 mixer so that similar names spread.
// It must never change: every node of a cluster relies on the same value.
func score(sector, node string) uint64 {
	const (
		offset = 14695981039346656037
		prime  = 1099511628211
	)
	h := uint64(offset)
	for i := 0; i < len(sector); i++ {
		h ^= uint64(sector[i])
		h *= prime
	}
	h ^= 0xff // separator: ("ab","c") and ("a","bc") differ
	h *= prime
	for i := 0; i < len(node); i++ {
		h ^= uint64(node[i])
		h *= prime
	}
	h ^= h >> 30
	h *= 0xbf58476d1ce4e5b9
	h ^= h >> 27
	h *= 0x94d049bb133111eb
	h ^= h >> 31
	return h
}
