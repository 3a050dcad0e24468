package lsa

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestSolveMatchesBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	var h Solver
	for trial := 0; trial < 300; trial++ {
		n := 1 + rng.IntN(5)
		m := n + rng.IntN(4)
		a := make([]float64, n*m)
		for i := range a {
			a[i] = rng.NormFloat64() * 10
			if rng.IntN(4) == 0 {
				a[i] = 1e9
			}
		}
		got := h.Solve(a, n, m)
		var sum float64
		used := map[int]bool{}
		for i, j := range got {
			if used[j] {
				t.Fatalf("column %d used twice", j)
			}
			used[j] = true
			sum += a[i*m+j]
		}
		best := math.Inf(1)
		var rec func(i int, used []bool, s float64)
		rec = func(i int, used []bool, s float64) {
			if i == n {
				best = math.Min(best, s)
				return
			}
			for j := 0; j < m; j++ {
				if !used[j] {
					used[j] = true
					rec(i+1, used, s+a[i*m+j])
					used[j] = false
				}
			}
		}
		rec(0, make([]bool, m), 0)
		if math.Abs(sum-best) > 1e-6*math.Max(1, math.Abs(best)) {
			t.Fatalf("trial %d: cost %v, optimum %v", trial, sum, best)
		}
	}
}
