package tracker

import "math"

// grid is a uniform spatial hash of a scan's detections for gating:
// detections are bucketed by cell with an open-addressing table (no maps,
// no allocation once warm). Bearing detections have no position and are
// offered to every query.
type grid struct {
	cell  float64
	keys  []uint64 // per detection
	isPos []bool   // per detection: has a position (is in a cell)
	slots []slot
	mask  uint64
	idx   []int32 // detection indices grouped by cell
	any   []int32 // bearing detections
	maxR  float64 // largest position variance of a detection
}

type slot struct {
	key      uint64
	start, n int32
	fill     int32
	used     bool
}

func cellKey(cx, cy int64) uint64 { return uint64(uint32(int32(cx)))<<32 | uint64(uint32(int32(cy))) }

func hashKey(k uint64) uint64 {
	k ^= k >> 33
	k *= 0xff51afd7ed558ccd
	k ^= k >> 33
	return k
}

func (g *grid) build(dets []Detection, cell float64) {
	g.cell = cell
	g.keys = grow(g.keys, len(dets))
	g.isPos = grow(g.isPos, len(dets))
	g.any = g.any[:0]
	g.maxR = 0
	size := 16
	for size < 2*len(dets) {
		size *= 2
	}
	g.slots = grow(g.slots, size)
	clear(g.slots)
	g.mask = uint64(size - 1)
	for j := range dets {
		d := &dets[j]
		g.isPos[j] = d.Kind == MeasPosition
		if !g.isPos[j] {
			g.any = append(g.any, int32(j))
			continue
		}
		g.maxR = math.Max(g.maxR, math.Max(d.R.XX, d.R.YY))
		k := cellKey(int64(math.Floor(d.X/cell)), int64(math.Floor(d.Y/cell)))
		g.keys[j] = k
		s := g.find(k)
		if !s.used {
			s.used, s.key = true, k
		}
		s.n++
	}
	var off int32
	for i := range g.slots {
		s := &g.slots[i]
		if s.used {
			s.start = off
			off += s.n
		}
	}
	g.idx = grow(g.idx, int(off))
	for j, k := range g.keys {
		if !g.isPos[j] {
			continue
		}
		s := g.find(k)
		g.idx[s.start+s.fill] = int32(j)
		s.fill++
	}
}

func (g *grid) find(k uint64) *slot {
	h := hashKey(k) & g.mask
	for {
		s := &g.slots[h]
		if !s.used || s.key == k {
			return s
		}
		h = (h + 1) & g.mask
	}
}

// query calls f for every detection in the cells overlapping the box, and
// for every bearing detection.
func (g *grid) query(x0, y0, x1, y1 float64, f func(j int32)) {
	cx0, cx1 := int64(math.Floor(x0/g.cell)), int64(math.Floor(x1/g.cell))
	cy0, cy1 := int64(math.Floor(y0/g.cell)), int64(math.Floor(y1/g.cell))
	if (cx1-cx0+1)*(cy1-cy0+1) > int64(len(g.slots)) {
		// A huge gate: scan everything.
		for j := range g.keys {
			if g.isPos[j] {
				f(int32(j))
			}
		}
	} else {
		for cx := cx0; cx <= cx1; cx++ {
			for cy := cy0; cy <= cy1; cy++ {
				s := g.find(cellKey(cx, cy))
				if !s.used {
					continue
				}
				for _, j := range g.idx[s.start : s.start+s.n] {
					f(j)
				}
			}
		}
	}
	for _, j := range g.any {
		f(j)
	}
}
