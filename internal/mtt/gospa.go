package mtt

import (
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"strconv"

	"github.com/borderwatch/borderwatch/internal/lsa"
)

// Point is a 2-D position, metres.
type Point struct{ X, Y float64 }

// GOSPA is the generalised optimal sub-pattern assignment metric (alpha = 2)
// between truth and estimates at one scan, with its parts.
type GOSPA struct {
	Value  float64 // (Loc + c^p/2 (Missed + False))^(1/p)
	Loc    float64 // sum of d^p over assigned pairs (d < c)
	Missed int     // truths left unassigned
	False  int     // estimates left unassigned
}

// Scorer computes GOSPA with cut-off C and order P, exactly as
// shared/bench/gospa.py does: an optimal assignment on min(d, c)^p. It
// splits the problem into connected components of pairs closer than c
// (pairs at >= c cost exactly what leaving both unassigned costs, so the
// split is exact) and solves each with the Hungarian method. A Scorer keeps
// scratch space between calls and is not safe for concurrent use.
type Scorer struct {
	C, P float64

	order  []int
	parent []int
	comp   map[int][]int
	cost   []float64
	lsa    lsa.Solver
}

// NewScorer returns a scorer with cut-off c metres and order p >= 1.
func NewScorer(c, p float64) *Scorer {
	return &Scorer{C: c, P: p, comp: map[int][]int{}}
}

func (s *Scorer) find(i int) int {
	for s.parent[i] != i {
		s.parent[i] = s.parent[s.parent[i]]
		i = s.parent[i]
	}
	return i
}

// Score returns the GOSPA between truth x and estimates y.
func (s *Scorer) Score(x, y []Point) GOSPA {
	c, p := s.C, s.P
	cp := math.Pow(c, p)
	nx, ny := len(x), len(y)
	s.parent = s.parent[:0]
	for i := 0; i < nx+ny; i++ {
		s.parent = append(s.parent, i)
	}
	// Estimates sorted by x; each truth looks at the slab [x-c, x+c].
	s.order = s.order[:0]
	for j := range y {
		s.order = append(s.order, j)
	}
	slices.SortFunc(s.order, func(a, b int) int {
		switch {
		case y[a].X < y[b].X:
			return -1
		case y[a].X > y[b].X:
			return 1
		}
		return a - b
	})
	edges := 0
	for i, t := range x {
		lo := sort.Search(len(s.order), func(k int) bool { return y[s.order[k]].X > t.X-c })
		for k := lo; k < len(s.order); k++ {
			j := s.order[k]
			if y[j].X >= t.X+c {
				break
			}
			if dist(t.X-y[j].X, t.Y-y[j].Y) < c {
				edges++
				a, b := s.find(i), s.find(nx+j)
				if a != b {
					s.parent[a] = b
				}
			}
		}
	}
	var g GOSPA
	if edges == 0 {
		g.Missed, g.False = nx, ny
		g.Value = math.Pow(cp/2*float64(nx+ny), 1/p)
		return g
	}
	clear(s.comp)
	for i := 0; i < nx+ny; i++ {
		r := s.find(i)
		s.comp[r] = append(s.comp[r], i)
	}
	roots := make([]int, 0, len(s.comp))
	for r := range s.comp {
		roots = append(roots, r)
	}
	slices.Sort(roots) // deterministic summation order
	for _, r := range roots {
		members := s.comp[r]
		var rows, cols []int
		for _, m := range members {
			if m < nx {
				rows = append(rows, m)
			} else {
				cols = append(cols, m-nx)
			}
		}
		if len(rows) == 0 || len(cols) == 0 {
			g.Missed += len(rows)
			g.False += len(cols)
			continue
		}
		// Orient so that the smaller side is the row side.
		swap := len(rows) > len(cols)
		if swap {
			rows, cols = cols, rows
		}
		n, m := len(rows), len(cols)
		s.cost = s.cost[:0]
		for _, a := range rows {
			for _, b := range cols {
				var d float64
				if swap {
					d = dist(x[b].X-y[a].X, x[b].Y-y[a].Y)
				} else {
					d = dist(x[a].X-y[b].X, x[a].Y-y[b].Y)
				}
				s.cost = append(s.cost, math.Pow(math.Min(d, c), p))
			}
		}
		assign := s.lsa.Solve(s.cost, n, m)
		good := 0
		for a, b := range assign {
			var d float64
			if swap {
				d = dist(x[cols[b]].X-y[rows[a]].X, x[cols[b]].Y-y[rows[a]].Y)
			} else {
				d = dist(x[rows[a]].X-y[cols[b]].X, x[rows[a]].Y-y[cols[b]].Y)
			}
			if d < c {
				good++
				g.Loc += math.Pow(d, p)
			}
		}
		if swap {
			g.Missed += m - good
			g.False += n - good
		} else {
			g.Missed += n - good
			g.False += m - good
		}
	}
	g.Value = math.Pow(g.Loc+cp/2*float64(g.Missed+g.False), 1/p)
	return g
}

// Result is the mean of GOSPA over the scored scans.
type Result struct {
	Scans      int
	GOSPA      float64
	Loc        float64
	Missed     float64
	False      float64
	MeanTruths float64
	MeanTracks float64
	C, P       float64
}

// PerTruth is the mean GOSPA divided by the mean number of truths.
func (r Result) PerTruth() float64 { return r.GOSPA / math.Max(r.MeanTruths, 1e-9) }

// String formats r as gospa.py prints it.
func (r Result) String() string {
	return fmt.Sprintf("scans scored %d  GOSPA(c=%s, p=%s, alpha=2) mean/scan %.2f  (per truth %.3f)  loc %.2f  missed %.2f  false %.2f  truths %.1f  tracks %.1f",
		r.Scans, strconv.FormatFloat(r.C, 'g', -1, 64), strconv.FormatFloat(r.P, 'g', -1, 64),
		r.GOSPA, r.PerTruth(), r.Loc, r.Missed, r.False, r.MeanTruths, r.MeanTracks)
}

// scanKey rounds a scan time to 6 decimals the way Python's round(t, 6)
// does (correctly rounded), so scans match on the same keys as gospa.py.
func scanKey(t float64) float64 {
	k, _ := strconv.ParseFloat(strconv.FormatFloat(t, 'f', 6, 64), 64)
	if k == 0 {
		return 0 // -0 and 0 are one key
	}
	return k
}

// Evaluate scores a tracks file against a scenario: every scan present in
// the tracks file is scored against the scenario's truth at the same time
// (no truth if the scenario lacks that time); a later line with the same
// time replaces an earlier one, as in gospa.py.
func Evaluate(scenario, tracks io.Reader, c, p float64) (Result, error) {
	sr, err := NewScenarioReader(scenario, true)
	if err != nil {
		return Result{}, fmt.Errorf("scenario: %w", err)
	}
	truth := map[float64][]Point{}
	var s Scan
	for {
		if err := sr.Next(&s); err != nil {
			if err == io.EOF {
				break
			}
			return Result{}, fmt.Errorf("scenario: %w", err)
		}
		pts := make([]Point, len(s.Truth))
		for i, g := range s.Truth {
			pts[i] = Point{g.X, g.Y}
		}
		truth[scanKey(s.T)] = pts
	}
	est := map[float64][]Point{}
	tr := NewTracksReader(tracks)
	var ts TrackScan
	for {
		if err := tr.Next(&ts); err != nil {
			if err == io.EOF {
				break
			}
			return Result{}, fmt.Errorf("tracks: %w", err)
		}
		pts := make([]Point, len(ts.Tracks))
		for i, e := range ts.Tracks {
			pts[i] = Point{e.X, e.Y}
		}
		est[scanKey(ts.T)] = pts
	}
	keys := make([]float64, 0, len(est))
	for k := range est {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	sc := NewScorer(c, p)
	r := Result{Scans: len(keys), C: c, P: p}
	var nt, ne int
	for _, k := range keys {
		g := sc.Score(truth[k], est[k])
		r.GOSPA += g.Value
		r.Loc += g.Loc
		r.Missed += float64(g.Missed)
		r.False += float64(g.False)
		nt += len(truth[k])
		ne += len(est[k])
	}
	n := float64(max(len(keys), 1))
	r.GOSPA /= n
	r.Loc /= n
	r.Missed /= n
	r.False /= n
	r.MeanTruths = float64(nt) / n
	r.MeanTracks = float64(ne) / n
	return r, nil
}

// dist is the Euclidean norm computed as scipy's cdist does.
func dist(dx, dy float64) float64 { return math.Sqrt(dx*dx + dy*dy) }
