package tracker

import (
	"math"

	"github.com/borderwatch/borderwatch/internal/lsa"
)

// cluster is a connected set of tracks and detections linked by gated
// pairs; clusters are associated independently.
type cluster struct {
	tracks []int32
	dets   []int32
}

// clusterer groups tracks and detections into clusters with a union-find
// over gated pairs, reusing its buffers between scans.
type clusterer struct {
	parent []int32
	root   []int32 // root -> cluster index + 1
	tbuf   []int32
	dbuf   []int32
	list   []cluster
	sizes  []int32
}

func (c *clusterer) find(i int32) int32 {
	for c.parent[i] != i {
		c.parent[i] = c.parent[c.parent[i]]
		i = c.parent[i]
	}
	return i
}

func (c *clusterer) build(nt, nd int, pairs []pair, pstart []int32) {
	n := nt + nd
	c.parent = grow(c.parent, n)
	for i := range c.parent {
		c.parent[i] = int32(i)
	}
	for _, p := range pairs {
		a, b := c.find(p.ti), c.find(int32(nt)+p.dj)
		if a != b {
			// Root at the smaller index so the result is order-independent.
			if a < b {
				c.parent[b] = a
			} else {
				c.parent[a] = b
			}
		}
	}
	// Count members per root (tracks with pairs, detections with pairs).
	c.root = grow(c.root, n)
	clear(c.root)
	c.list = c.list[:0]
	c.sizes = c.sizes[:0]
	var nclusters int32
	for i := 0; i < nt; i++ {
		if pstart[i] == pstart[i+1] {
			continue
		}
		r := c.find(int32(i))
		if c.root[r] == 0 {
			nclusters++
			c.root[r] = nclusters
			c.sizes = append(c.sizes, 0, 0)
		}
		c.sizes[2*(c.root[r]-1)]++
	}
	// Detections: count each paired detection once.
	seen := c.dbuf[:0]
	seen = grow(seen, nd)
	clear(seen)
	for _, p := range pairs {
		if seen[p.dj] == 0 {
			seen[p.dj] = 1
			r := c.find(int32(nt) + p.dj)
			c.sizes[2*(c.root[r]-1)+1]++
		}
	}
	// Offsets.
	total := 0
	for k := int32(0); k < nclusters; k++ {
		total += int(c.sizes[2*k]) + int(c.sizes[2*k+1])
	}
	buf := make([]int32, 0, total)
	if cap(c.tbuf) >= total {
		buf = c.tbuf[:0]
	}
	c.list = grow(c.list, int(nclusters))
	off := 0
	for k := int32(0); k < nclusters; k++ {
		nT, nD := int(c.sizes[2*k]), int(c.sizes[2*k+1])
		c.list[k] = cluster{tracks: buf[off : off : off+nT], dets: buf[off+nT : off+nT : off+nT+nD]}
		off += nT + nD
	}
	buf = buf[:total]
	for i := 0; i < nt; i++ {
		if pstart[i] == pstart[i+1] {
			continue
		}
		k := c.root[c.find(int32(i))] - 1
		c.list[k].tracks = append(c.list[k].tracks, int32(i))
	}
	for j := 0; j < nd; j++ {
		if seen[j] == 0 {
			continue
		}
		k := c.root[c.find(int32(nt+j))] - 1
		c.list[k].dets = append(c.list[k].dets, int32(j))
	}
	c.tbuf = buf
	c.dbuf = seen
}

// scratch is per-worker space for cluster association.
type scratch struct {
	cost   []float64
	cols   map[int32]int32
	lsa    lsa.Solver
	mu, nu []float64
	s      []float64
	t      []float64
	firm   []int32
	soft   []int32
	local  []int32 // exact JPDA: pair -> local detection index
	base   []int32 // exact JPDA: track -> first pair
	stack  []int32
	events int
}

// gnn assigns detections to the tracks of one cluster by maximising the
// product of association weights given that the tracks exist (pd g /
// lambda for a detection, 1 - pd pg for a miss) over one-to-one
// assignments. Existence is then updated with the existence-weighted
// odds of the chosen detection against a miss, as in IPDA: deciding with
// existence-weighted weights instead would never let a tentative track
// (existence ~ birth/clutter density) take its second detection.
func (e *Engine) gnnHyp(ti, k int32, dets []Detection) hyp {
	bw, w0 := e.pairWeight(k, dets), e.missWeight(ti)
	return hyp{p0: w0 / (bw + w0), sum: bw / (bw + w0), det: k}
}
func (e *Engine) gnn(c *cluster, dets []Detection, sc *scratch) {
	if len(c.tracks) == 1 {
		ti := c.tracks[0]
		best, bw := int32(-1), 0.0
		for k := e.pstart[ti]; k < e.pstart[ti+1]; k++ {
			if w := e.pairWeight(k, dets) / e.tracks[ti].rp; w > bw {
				best, bw = k, w
			}
		}
		if best < 0 || bw <= e.missGiven(ti) {
			e.hyp[ti] = hyp{p0: 1, det: -1}
			return
		}
		e.hyp[ti] = e.gnnHyp(ti, best, dets)
		dj := e.pairs[best].dj
		e.assigned[dj] = ti
		e.unexpl[dj] = 0
		return
	}
	// Confirmed tracks choose first; tentative ones take what is left, so
	// a tentative track can never steal a confirmed track's detection.
	sc.firm, sc.soft = sc.firm[:0], sc.soft[:0]
	for _, ti := range c.tracks {
		if tr := &e.tracks[ti]; tr.shown || tr.friendly {
			sc.firm = append(sc.firm, ti)
		} else {
			sc.soft = append(sc.soft, ti)
		}
	}
	if len(sc.firm) > 0 && len(sc.soft) > 0 {
		e.gnnRows(sc.firm, c.dets, dets, sc)
		e.gnnRows(sc.soft, c.dets, dets, sc)
		return
	}
	e.gnnRows(c.tracks, c.dets, dets, sc)
}

// gnnRows solves the assignment of the given tracks to the cluster's
// detections not yet assigned.
func (e *Engine) gnnRows(rows, cdets []int32, dets []Detection, sc *scratch) {
	n, m := len(rows), len(cdets)
	c := cluster{tracks: rows, dets: cdets}
	if sc.cols == nil {
		sc.cols = map[int32]int32{}
	}
	clear(sc.cols)
	for k, j := range c.dets {
		sc.cols[j] = int32(k)
	}
	w := m + n
	sc.cost = grow(sc.cost, n*w)
	const forbidden = 1e9
	for i := range sc.cost {
		sc.cost[i] = forbidden
	}
	for r, ti := range c.tracks {
		row := sc.cost[r*w : (r+1)*w]
		row[m+r] = -math.Log(e.missGiven(ti))
		for k := e.pstart[ti]; k < e.pstart[ti+1]; k++ {
			if e.assigned[e.pairs[k].dj] >= 0 {
				continue // taken by a confirmed track
			}
			if wt := e.pairWeight(k, dets) / e.tracks[ti].rp; wt > 0 {
				row[sc.cols[e.pairs[k].dj]] = -math.Log(wt)
			}
		}
	}
	assign := sc.lsa.Solve(sc.cost, n, w)
	for r, ti := range c.tracks {
		col := assign[r]
		if col >= m {
			e.hyp[ti] = hyp{p0: 1, det: -1}
			continue
		}
		dj := c.dets[col]
		var bk int32 = -1
		for k := e.pstart[ti]; k < e.pstart[ti+1]; k++ {
			if e.pairs[k].dj == dj {
				bk = k
				break
			}
		}
		if bk < 0 || sc.cost[r*w+col] >= forbidden {
			e.hyp[ti] = hyp{p0: 1, det: -1}
			continue
		}
		e.hyp[ti] = e.gnnHyp(ti, bk, dets)
		e.assigned[dj] = ti
		e.unexpl[dj] = 0
	}
}

// jpda computes the marginal association probabilities of one cluster by
// loopy belief propagation over the bipartite association graph (Williams
// and Lau, 2014), with track existence in the miss weight (JIPDA).
func (e *Engine) jpda(c *cluster, dets []Detection, sc *scratch) {
	if len(c.tracks) == 1 {
		// One track: the marginals are exact in closed form.
		ti := c.tracks[0]
		s := e.missWeight(ti)
		for k := e.pstart[ti]; k < e.pstart[ti+1]; k++ {
			e.hw[k] = e.pairWeight(k, dets)
			s += e.hw[k]
		}
		h := hyp{p0: e.missWeight(ti) / s, det: -1}
		for k := e.pstart[ti]; k < e.pstart[ti+1]; k++ {
			e.hw[k] /= s
			h.sum += e.hw[k]
			dj := e.pairs[k].dj
			e.unexpl[dj] = 1 - e.hw[k]
			e.assigned[dj] = ti
		}
		e.hyp[ti] = h
		return
	}
	if len(c.dets) <= 64 && !e.forceLBP && e.smallCluster(c) && e.exactJPDA(c, dets, sc) {
		return
	}
	// Pairs of the cluster are e.pairs[pstart[ti]:pstart[ti+1]] for its tracks.
	np := 0
	for _, ti := range c.tracks {
		np += int(e.pstart[ti+1] - e.pstart[ti])
	}
	sc.mu = grow(sc.mu, np)
	sc.nu = grow(sc.nu, np)
	sc.s = grow(sc.s, len(c.tracks))
	sc.t = grow(sc.t, len(c.dets))
	if sc.cols == nil {
		sc.cols = map[int32]int32{}
	}
	clear(sc.cols)
	for k, j := range c.dets {
		sc.cols[j] = int32(k)
	}
	// Local pair index p runs over the cluster's tracks' pairs in order;
	// weights go to e.hw (indexed by global pair), messages to mu/nu.
	p := 0
	for _, ti := range c.tracks {
		for k := e.pstart[ti]; k < e.pstart[ti+1]; k++ {
			e.hw[k] = e.pairWeight(k, dets)
			sc.mu[p] = 1
			p++
		}
	}
	for iter := 0; iter < 100; iter++ {
		// Track to detection.
		p = 0
		for r, ti := range c.tracks {
			s := e.missWeight(ti)
			for k := e.pstart[ti]; k < e.pstart[ti+1]; k++ {
				s += e.hw[k] * sc.mu[p+int(k-e.pstart[ti])]
			}
			sc.s[r] = s
			for k := e.pstart[ti]; k < e.pstart[ti+1]; k++ {
				wm := e.hw[k] * sc.mu[p]
				sc.nu[p] = e.hw[k] / math.Max(s-wm, 1e-300)
				p++
			}
		}
		// Detection to track.
		for k := range sc.t {
			sc.t[k] = 1
		}
		p = 0
		for _, ti := range c.tracks {
			for k := e.pstart[ti]; k < e.pstart[ti+1]; k++ {
				sc.t[sc.cols[e.pairs[k].dj]] += sc.nu[p]
				p++
			}
		}
		var change float64
		p = 0
		for _, ti := range c.tracks {
			for k := e.pstart[ti]; k < e.pstart[ti+1]; k++ {
				v := 1 / (sc.t[sc.cols[e.pairs[k].dj]] - sc.nu[p])
				change = math.Max(change, math.Abs(v-sc.mu[p]))
				sc.mu[p] = v
				p++
			}
		}
		if change < 1e-7 || len(c.tracks) == 1 {
			break
		}
	}
	// Marginals.
	p = 0
	for r, ti := range c.tracks {
		s := e.missWeight(ti)
		for k := e.pstart[ti]; k < e.pstart[ti+1]; k++ {
			s += e.hw[k] * sc.mu[p+int(k-e.pstart[ti])]
		}
		sc.s[r] = s
		h := hyp{p0: e.missWeight(ti) / s, det: -1}
		for k := e.pstart[ti]; k < e.pstart[ti+1]; k++ {
			e.hw[k] = e.hw[k] * sc.mu[p] / s
			h.sum += e.hw[k]
			p++
		}
		e.hyp[ti] = h
	}
	// Per detection: probability of no track, and the most probable track.
	for k, j := range c.dets {
		e.unexpl[j] = 1 / sc.t[k]
	}
	for _, ti := range c.tracks {
		for k := e.pstart[ti]; k < e.pstart[ti+1]; k++ {
			dj := e.pairs[k].dj
			a := e.assigned[dj]
			if a < 0 || e.hw[k] > e.hwOf(a, dj) {
				e.assigned[dj] = ti
			}
		}
	}
}

// exactBudget caps the joint association events exactJPDA enumerates;
// bigger clusters use loopy belief propagation.
const exactBudget = 5000

// smallCluster bounds the number of joint events by the product of (1 +
// gated detections) over the tracks, to skip enumeration early.
func (e *Engine) smallCluster(c *cluster) bool {
	n := 1
	for _, ti := range c.tracks {
		n *= 1 + int(e.pstart[ti+1]-e.pstart[ti])
		if n > 4*exactBudget {
			return false
		}
	}
	return true
}

// exactJPDA computes the marginals of a small cluster by enumerating every
// joint association event. It returns false, leaving no trace, when the
// cluster has more than exactBudget events.
func (e *Engine) exactJPDA(c *cluster, dets []Detection, sc *scratch) bool {
	if sc.cols == nil {
		sc.cols = map[int32]int32{}
	}
	clear(sc.cols)
	for k, j := range c.dets {
		sc.cols[j] = int32(k)
	}
	np := 0
	for _, ti := range c.tracks {
		np += int(e.pstart[ti+1] - e.pstart[ti])
	}
	sc.mu = grow(sc.mu, np) // pair weights
	sc.nu = grow(sc.nu, np) // marginal sums
	sc.s = grow(sc.s, len(c.tracks))
	sc.local = grow(sc.local, np)
	sc.base = grow(sc.base, len(c.tracks)+1)
	p := 0
	for r, ti := range c.tracks {
		sc.base[r] = int32(p)
		sc.s[r] = e.missWeight(ti)
		for k := e.pstart[ti]; k < e.pstart[ti+1]; k++ {
			sc.mu[p] = e.pairWeight(k, dets)
			sc.nu[p] = 0
			sc.local[p] = sc.cols[e.pairs[k].dj]
			p++
		}
	}
	sc.base[len(c.tracks)] = int32(p)
	sc.events = 0
	sc.stack = sc.stack[:0]
	z := e.enumerate(0, 0, 1, sc)
	if sc.events > exactBudget || !(z > 0) {
		return false
	}
	for j := range c.dets {
		e.unexpl[c.dets[j]] = 1
	}
	p = 0
	for r, ti := range c.tracks {
		h := hyp{det: -1}
		var sum float64
		for k := e.pstart[ti]; k < e.pstart[ti+1]; k++ {
			e.hw[k] = sc.nu[p] / z
			sum += e.hw[k]
			dj := e.pairs[k].dj
			e.unexpl[dj] -= e.hw[k]
			if a := e.assigned[dj]; a < 0 || e.hw[k] > e.hwOf(a, dj) {
				e.assigned[dj] = ti
			}
			p++
		}
		_ = r
		h.sum = sum
		h.p0 = math.Max(0, 1-sum)
		e.hyp[ti] = h
	}
	return true
}

// enumerate sums the weights of all joint events of tracks r.. given the
// detections in used, adding each event's weight to its pairs' sums.
func (e *Engine) enumerate(r int, used uint64, w float64, sc *scratch) float64 {
	if sc.events > exactBudget {
		return 0
	}
	if r == len(sc.s) {
		sc.events++
		for _, p := range sc.stack {
			sc.nu[p] += w
		}
		return w
	}
	z := e.enumerate(r+1, used, w*sc.s[r], sc)
	for p := sc.base[r]; p < sc.base[r+1]; p++ {
		bit := uint64(1) << uint(sc.local[p])
		if used&bit != 0 || sc.mu[p] <= 0 {
			continue
		}
		sc.stack = append(sc.stack, p)
		z += e.enumerate(r+1, used|bit, w*sc.mu[p], sc)
		sc.stack = sc.stack[:len(sc.stack)-1]
	}
	return z
}

// hwOf returns the JPDA weight of track ti for detection dj.
func (e *Engine) hwOf(ti, dj int32) float64 {
	for k := e.pstart[ti]; k < e.pstart[ti+1]; k++ {
		if e.pairs[k].dj == dj {
			return e.hw[k]
		}
	}
	return 0
}
