package tracker

import (
	"math"
	"math/rand/v2"
	"testing"
)

// spd reports whether p is symmetric and positive definite (Cholesky).
func spd(p *Cov) bool {
	for i := 0; i < 4; i++ {
		for j := 0; j < 4; j++ {
			if math.IsNaN(p[i][j]) || math.Abs(p[i][j]-p[j][i]) > 1e-9*(1+math.Abs(p[i][j])) {
				return false
			}
		}
	}
	var l [4][4]float64
	for j := 0; j < 4; j++ {
		s := p[j][j]
		for k := 0; k < j; k++ {
			s -= l[j][k] * l[j][k]
		}
		if !(s > 0) {
			return false
		}
		l[j][j] = math.Sqrt(s)
		for i := j + 1; i < 4; i++ {
			v := p[i][j]
			for k := 0; k < j; k++ {
				v -= l[i][k] * l[j][k]
			}
			l[i][j] = v / l[j][j]
		}
	}
	return true
}

func randDetection(rng *rand.Rand, x *State) Detection {
	switch rng.IntN(4) {
	case 0:
		sx, sy := x[0]+rng.NormFloat64()*500, x[1]+rng.NormFloat64()*500
		return Detection{Kind: MeasBearing, SX: sx, SY: sy, Az: math.Atan2(x[0]-sx, x[1]-sy) + rng.NormFloat64()*0.02, AzSigma: 0.001 + rng.Float64()*0.05}
	case 1:
		sx, sy := x[0]+rng.NormFloat64()*500, x[1]+rng.NormFloat64()*500
		return Detection{Kind: MeasBearingRange, SX: sx, SY: sy, Az: math.Atan2(x[0]-sx, x[1]-sy), AzSigma: 0.01,
			Range: math.Hypot(x[0]-sx, x[1]-sy) + rng.NormFloat64()*5, RangeSigma: 0.5 + rng.Float64()*20}
	}
	a, b := 0.01+rng.Float64()*400, 0.01+rng.Float64()*400
	c := (rng.Float64()*2 - 1) * math.Sqrt(a*b) * 0.99
	return Detection{X: x[0] + rng.NormFloat64()*10, Y: x[1] + rng.NormFloat64()*10, R: Cov2{XX: a, XY: c, YY: b}}
}

// TestCovarianceStaysSPD drives the filter operations (predict, Kalman,
// PDA, extended bearing updates, out-of-sequence updates, IMM mixing and
// moment matching) with random inputs, including very precise and very
// poor measurements, and checks every covariance stays symmetric positive
// definite.
func TestCovarianceStaysSPD(t *testing.T) {
	for seed := uint64(0); seed < 200; seed++ {
		rng := rand.New(rand.NewPCG(seed, 42))
		x := State{rng.NormFloat64() * 1000, rng.NormFloat64() * 1000, rng.NormFloat64() * 5, rng.NormFloat64() * 5}
		var p Cov
		p[0][0], p[1][1], p[2][2], p[3][3] = 100, 100, 25, 25
		x2, p2 := x, p
		for step := 0; step < 200; step++ {
			dt := rng.ExpFloat64()
			q := math.Pow(10, rng.Float64()*4-3)
			switch op := rng.IntN(6); op {
			case 0, 1:
				predict(&x, &p, dt, q)
			case 2:
				d := randDetection(rng, &x)
				applyDetection(&x, &p, &d)
			case 3:
				// PDA with two detections and a miss weight.
				r := Cov2{XX: 25, YY: 25}
				si, _ := posCov(&p, r).inv()
				b0 := rng.Float64()
				w := rng.Float64() * (1 - b0)
				updatePDA(&x, &p, si, b0, []float64{w, 1 - b0 - w},
					[]float64{rng.NormFloat64() * 5, rng.NormFloat64() * 5}, []float64{rng.NormFloat64() * 5, rng.NormFloat64() * 5})
			case 4:
				d := randDetection(rng, &x)
				oosm(&x, &p, -dt, q, &d)
			case 5:
				predict(&x2, &p2, dt, q*10)
				wa := rng.Float64()
				x, p = mix2(&x, &x2, &p, &p2, wa, 1-wa)
				x2, p2 = x, p
			}
			if !spd(&p) {
				t.Fatalf("seed %d step %d: covariance not SPD: %v", seed, step, p)
			}
			for i := range x {
				if math.IsNaN(x[i]) || math.IsInf(x[i], 0) {
					t.Fatalf("seed %d step %d: state %v", seed, step, x)
				}
			}
		}
	}
}

func TestEngineCovariancesStaySPD(t *testing.T) {
	// The same property through the whole engine, both modes, in clutter.
	for _, mode := range []Mode{ModeGNN, ModeJPDA} {
		t.Run(string(mode), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(11, 11))
			e, err := NewEngine(Config{Mode: mode, Region: Rect{0, 0, 2000, 2000}, ClutterDensity: 1e-5})
			if err != nil {
				t.Fatal(err)
			}
			var dets []Detection
			for k := 0; k < 100; k++ {
				dets = dets[:0]
				for i := 0; i < 10; i++ {
					dets = append(dets, Detection{X: 200*float64(i) + 1.5*float64(k) + rng.NormFloat64()*8, Y: 1000 + rng.NormFloat64()*8, R: Cov2{XX: 64, YY: 64}})
				}
				for i := 0; i < 40; i++ {
					dets = append(dets, Detection{X: rng.Float64() * 2000, Y: rng.Float64() * 2000, R: Cov2{XX: 64, YY: 64}})
				}
				if err := e.Step(float64(k), dets, nil); err != nil {
					t.Fatal(err)
				}
				for i := range e.tracks {
					for m := range e.cfg.Models {
						if !spd(&e.tracks[i].p[m]) {
							t.Fatalf("scan %d track %d model %d: %v", k, e.tracks[i].id, m, e.tracks[i].p[m])
						}
					}
				}
			}
			if n := len(e.Tracks(nil, false)); n < 9 || n > 12 {
				t.Errorf("%d confirmed tracks for 10 targets", n)
			}
		})
	}
}

// TestJPDAMarginals compares the engine's marginals with a brute-force
// enumeration of joint association events on small clusters: exactly for
// the enumeration the engine uses on small clusters, and within 0.15 for
// the loopy belief propagation it uses on big ones (its worst case is a
// tiny, densely connected cluster like these).
func TestJPDAMarginals(t *testing.T) {
	for _, c := range []struct {
		name string
		lbp  bool
		tol  float64
	}{{"exact", false, 1e-9}, {"lbp", true, 0.15}} {
		t.Run(c.name, func(t *testing.T) { testJPDAMarginals(t, c.lbp, c.tol) })
	}
}

func testJPDAMarginals(t *testing.T, lbp bool, tol float64) {
	rng := rand.New(rand.NewPCG(6, 6))
	for trial := 0; trial < 100; trial++ {
		e, err := NewEngine(Config{Mode: ModeJPDA, ClutterDensity: 1e-4, BirthDensity: 1e-6})
		if err != nil {
			t.Fatal(err)
		}
		e.forceLBP = lbp
		nt, nd := 2+rng.IntN(2), 2+rng.IntN(3)
		e.tracks = make([]track, nt)
		e.hyp = make([]hyp, nt)
		e.pstart = make([]int32, nt+1)
		e.pairs = e.pairs[:0]
		for i := 0; i < nt; i++ {
			e.tracks[i] = track{rp: 0.2 + 0.8*rng.Float64(), pdg: 0.9}
			e.pstart[i] = int32(len(e.pairs))
			for j := 0; j < nd; j++ {
				if rng.IntN(3) > 0 {
					e.pairs = append(e.pairs, pair{ti: int32(i), dj: int32(j), g: rng.Float64() * 1e-3})
				}
			}
		}
		e.pstart[nt] = int32(len(e.pairs))
		dets := make([]Detection, nd)
		e.hw = make([]float64, len(e.pairs))
		e.assigned = make([]int32, nd)
		e.unexpl = make([]float64, nd)
		for j := range e.assigned {
			e.assigned[j] = -1
		}
		c := cluster{}
		for i := 0; i < nt; i++ {
			c.tracks = append(c.tracks, int32(i))
		}
		for j := 0; j < nd; j++ {
			c.dets = append(c.dets, int32(j))
		}
		var sc scratch
		e.jpda(&c, dets, &sc)
		// Exact: sum over one-to-one assignments of prod of weights.
		exact := make([]float64, len(e.pairs))
		var z float64
		var rec func(i int, used []bool, w float64, chosen []int)
		rec = func(i int, used []bool, w float64, chosen []int) {
			if i == nt {
				z += w
				for _, k := range chosen {
					exact[k] += w
				}
				return
			}
			rec(i+1, used, w*e.missWeight(int32(i)), chosen)
			for k := e.pstart[i]; k < e.pstart[i+1]; k++ {
				j := e.pairs[k].dj
				if !used[j] {
					used[j] = true
					rec(i+1, used, w*e.pairWeight(k, dets), append(chosen, int(k)))
					used[j] = false
				}
			}
		}
		rec(0, make([]bool, nd), 1, nil)
		for k := range exact {
			if d := math.Abs(exact[k]/z - e.hw[k]); d > tol {
				t.Errorf("trial %d pair %d: LBP %.4f, exact %.4f", trial, k, e.hw[k], exact[k]/z)
			}
		}
	}
}

func TestPredictMatchesMatrixForm(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	for trial := 0; trial < 100; trial++ {
		var a [4][4]float64
		for i := range a {
			for j := range a {
				a[i][j] = rng.NormFloat64()
			}
		}
		var p Cov // A A' + I: SPD
		for i := 0; i < 4; i++ {
			for j := 0; j < 4; j++ {
				for k := 0; k < 4; k++ {
					p[i][j] += a[i][k] * a[j][k]
				}
			}
			p[i][i]++
		}
		dt, q := rng.Float64()*3, rng.Float64()
		f := [4][4]float64{{1, 0, dt, 0}, {0, 1, 0, dt}, {0, 0, 1, 0}, {0, 0, 0, 1}}
		qm := [4][4]float64{{q * dt * dt * dt / 3, 0, q * dt * dt / 2, 0}, {0, q * dt * dt * dt / 3, 0, q * dt * dt / 2},
			{q * dt * dt / 2, 0, q * dt, 0}, {0, q * dt * dt / 2, 0, q * dt}}
		var want Cov
		for i := 0; i < 4; i++ {
			for j := 0; j < 4; j++ {
				for k := 0; k < 4; k++ {
					for l := 0; l < 4; l++ {
						want[i][j] += f[i][k] * p[k][l] * f[j][l]
					}
				}
				want[i][j] += qm[i][j]
			}
		}
		x := State{1, 2, 3, 4}
		predict(&x, &p, dt, q)
		for i := 0; i < 4; i++ {
			for j := 0; j < 4; j++ {
				if math.Abs(p[i][j]-want[i][j]) > 1e-9*(1+math.Abs(want[i][j])) {
					t.Fatalf("trial %d: P[%d][%d] = %v, want %v", trial, i, j, p[i][j], want[i][j])
				}
			}
		}
		if x != (State{1 + 3*dt, 2 + 4*dt, 3, 4}) {
			t.Fatalf("state %v", x)
		}
	}
}

// TestGridFindsEveryDetection compares grid queries with a linear scan,
// with cells around the origin (negative keys included).
func TestGridFindsEveryDetection(t *testing.T) {
	rng := rand.New(rand.NewPCG(12, 12))
	for trial := 0; trial < 200; trial++ {
		cell := []float64{1, 10, 130, 1000}[trial%4]
		n := rng.IntN(50)
		dets := make([]Detection, n)
		for j := range dets {
			dets[j] = Detection{X: rng.NormFloat64() * 300, Y: rng.NormFloat64() * 300, R: Cov2{XX: 1, YY: 1}}
			if rng.IntN(10) == 0 {
				dets[j] = Detection{Kind: MeasBearing, AzSigma: 0.1}
			}
		}
		var g grid
		g.build(dets, cell)
		x0, y0 := rng.NormFloat64()*300, rng.NormFloat64()*300
		x1, y1 := x0+rng.Float64()*400, y0+rng.Float64()*400
		got := map[int32]int{}
		g.query(x0, y0, x1, y1, func(j int32) { got[j]++ })
		for j, d := range dets {
			in := d.Kind != MeasPosition || (d.X >= x0 && d.X <= x1 && d.Y >= y0 && d.Y <= y1)
			if got[int32(j)] > 1 {
				t.Fatalf("trial %d: detection %d reported %d times", trial, j, got[int32(j)])
			}
			if in && got[int32(j)] == 0 {
				t.Fatalf("trial %d (cell %v): detection %d %+v inside the box was not reported", trial, cell, j, d)
			}
		}
	}
}
