package tracker

import (
	"io"
	"math"
	"slices"

	"github.com/borderwatch/borderwatch/internal/mtt"
)

// baseline is a naive tracker in the style of the reference tracker's
// tutorial configuration: one constant-velocity Kalman filter (q = 0.1),
// Mahalanobis gating, greedy nearest-neighbour assignment, confirmation
// after 3 hits, deletion after 3 consecutive misses. Tests use it as the
// bar our engine must beat on scenarios it was never tuned on, and the
// benchmarks as the naive baseline.
type baseline struct {
	tracks []btrack
	nextID int64
	r      float64
}

type btrack struct {
	id           int64
	x            State
	p            Cov
	hits, misses int
}

func (b *baseline) step(dt float64, dets []mtt.Detection) {
	const gate = 16.0 // chi-square 2 dof, 99.97%
	type cand struct {
		d2   float64
		i, j int
	}
	var cands []cand
	for i := range b.tracks {
		t := &b.tracks[i]
		predict(&t.x, &t.p, dt, 0.1)
		s := posCov(&t.p, Cov2{XX: b.r, YY: b.r})
		si, _ := s.inv()
		for j, d := range dets {
			if d2 := si.maha(d.X-t.x[0], d.Y-t.x[1]); d2 < gate {
				cands = append(cands, cand{d2, i, j})
			}
		}
	}
	slices.SortFunc(cands, func(a, c cand) int { return cmpFloat(a.d2, c.d2) })
	usedT := make([]bool, len(b.tracks))
	usedD := make([]bool, len(dets))
	for _, c := range cands {
		if usedT[c.i] || usedD[c.j] {
			continue
		}
		usedT[c.i], usedD[c.j] = true, true
		t := &b.tracks[c.i]
		applyDetection(&t.x, &t.p, &Detection{X: dets[c.j].X, Y: dets[c.j].Y, R: Cov2{XX: b.r, YY: b.r}})
		t.hits++
		t.misses = 0
	}
	out := b.tracks[:0]
	for i, t := range b.tracks {
		if !usedT[i] {
			t.misses++
			if t.misses >= 3 || (t.hits < 3 && t.misses >= 1) {
				continue
			}
		}
		out = append(out, t)
	}
	b.tracks = out
	for j, d := range dets {
		if usedD[j] {
			continue
		}
		t := btrack{id: b.nextID, hits: 1}
		b.nextID++
		t.x = State{d.X, d.Y, 0, 0}
		t.p[0][0], t.p[1][1], t.p[2][2], t.p[3][3] = b.r, b.r, 100, 100
		b.tracks = append(b.tracks, t)
	}
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// runBaseline tracks a scenario with the baseline and writes the tracks file.
func runBaseline(in io.Reader, out io.Writer) error {
	r, err := mtt.Open(in)
	if err != nil {
		return err
	}
	sr, err := mtt.NewScenarioReader(r, false)
	if err != nil {
		return err
	}
	h := sr.Header()
	sigma := h.Sensors[h.SensorIDs[0]].Sigma
	b := &baseline{r: sigma * sigma}
	w := mtt.NewTracksWriter(out)
	var s mtt.Scan
	last := math.NaN()
	for {
		if err := sr.Next(&s); err != nil {
			if err == io.EOF {
				break
			}
			return err
		}
		dt := 0.0
		if !math.IsNaN(last) {
			dt = s.T - last
		}
		last = s.T
		b.step(dt, s.Detections)
		var ids []int64
		var xs [][4]float64
		for _, t := range b.tracks {
			if t.hits >= 3 {
				ids = append(ids, t.id)
				xs = append(xs, t.x)
			}
		}
		if err := w.WriteInts(s.T, ids, xs); err != nil {
			return err
		}
	}
	return w.Flush()
}
