// Package lsa solves the rectangular linear sum assignment problem — n
// rows to m >= n columns at the least total cost — with the Hungarian
// method in its shortest-augmenting-path form with potentials, O(n² m).
// The tracker's global nearest-neighbour association and the GOSPA
// scorer both use it. A Solver keeps its work arrays between calls, so a
// hot loop allocates nothing.
package lsa

import "math"

// Solver solves assignment problems; the zero value is ready. It is not
// safe for concurrent use.
type Solver struct {
	u, v, minv []float64
	p, way     []int
	used       []bool
	out        []int
}

func grow[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

// Solve returns, for each of the n rows of the row-major n×m cost matrix
// a (n <= m), the column assigned to it. The result is reused by the next
// call.
func (l *Solver) Solve(a []float64, n, m int) []int {
	l.u = grow(l.u, n+1)
	l.v = grow(l.v, m+1)
	l.minv = grow(l.minv, m+1)
	l.p = grow(l.p, m+1)
	l.way = grow(l.way, m+1)
	l.used = grow(l.used, m+1)
	clear(l.u)
	clear(l.v)
	clear(l.p)
	clear(l.way)
	for i := 1; i <= n; i++ {
		l.p[0] = i
		j0 := 0
		for j := range l.minv {
			l.minv[j] = math.Inf(1)
			l.used[j] = false
		}
		for {
			l.used[j0] = true
			i0 := l.p[j0]
			delta := math.Inf(1)
			j1 := 0
			row := a[(i0-1)*m : i0*m]
			for j := 1; j <= m; j++ {
				if l.used[j] {
					continue
				}
				cur := row[j-1] - l.u[i0] - l.v[j]
				if cur < l.minv[j] {
					l.minv[j] = cur
					l.way[j] = j0
				}
				if l.minv[j] < delta {
					delta = l.minv[j]
					j1 = j
				}
			}
			for j := 0; j <= m; j++ {
				if l.used[j] {
					l.u[l.p[j]] += delta
					l.v[j] -= delta
				} else {
					l.minv[j] -= delta
				}
			}
			j0 = j1
			if l.p[j0] == 0 {
				break
			}
		}
		for j0 != 0 {
			j1 := l.way[j0]
			l.p[j0] = l.p[j1]
			j0 = j1
		}
	}
	l.out = grow(l.out, n)
	for j := 1; j <= m; j++ {
		if l.p[j] != 0 {
			l.out[l.p[j]-1] = j - 1
		}
	}
	return l.out
}
