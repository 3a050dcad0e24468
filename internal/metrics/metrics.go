// Package metrics owns the process's counters, gauges and histograms and
// writes them in the Prometheus text exposition format (version 0.0.4).
//
// It is deliberately small: no dependency, lock-free increments on the hot
// path (atomics on a child resolved once with With), and a registry that
// renders every family in name order.
package metrics

import (
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// Registry holds metric families. The zero value is not usable; call
// NewRegistry.
type Registry struct {
	mu       sync.Mutex
	families map[string]family
}

type family interface {
	write(w *strings.Builder)
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	return &Registry{families: make(map[string]family)}
}

func (r *Registry) register(name string, f family) {
	if !validName(name) {
		panic("metrics: invalid metric name " + strconv.Quote(name))
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, dup := r.families[name]; dup {
		panic("metrics: duplicate metric " + name)
	}
	r.families[name] = f
}

// WriteTo writes every family in the Prometheus text format.
func (r *Registry) WriteTo(w io.Writer) (int64, error) {
	r.mu.Lock()
	names := make([]string, 0, len(r.families))
	for n := range r.families {
		names = append(names, n)
	}
	fams := make([]family, len(names))
	sort.Strings(names)
	for i, n := range names {
		fams[i] = r.families[n]
	}
	r.mu.Unlock()
	var b strings.Builder
	for _, f := range fams {
		f.write(&b)
	}
	n, err := io.WriteString(w, b.String())
	return int64(n), err
}

// vec is the label-keyed child table shared by all families.
type vec[T any] struct {
	name, help, typ string
	labels          []string
	mu              sync.RWMutex
	children        map[string]*child[T]
	newChild        func() *T
}

type child[T any] struct {
	values []string
	m      *T
}

func newVec[T any](name, help, typ string, labels []string, mk func() *T) *vec[T] {
	for _, l := range labels {
		if !validName(l) || strings.HasPrefix(l, "__") {
			panic("metrics: invalid label name " + strconv.Quote(l))
		}
	}
	return &vec[T]{name: name, help: help, typ: typ, labels: labels, children: make(map[string]*child[T]), newChild: mk}
}

func (v *vec[T]) with(values []string) *T {
	if len(values) != len(v.labels) {
		panic(fmt.Sprintf("metrics: %s wants %d label values, got %d", v.name, len(v.labels), len(values)))
	}
	key := strings.Join(values, "\xff")
	v.mu.RLock()
	c, ok := v.children[key]
	v.mu.RUnlock()
	if ok {
		return c.m
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if c, ok := v.children[key]; ok {
		return c.m
	}
	c = &child[T]{values: append([]string(nil), values...), m: v.newChild()}
	v.children[key] = c
	return c.m
}

func (v *vec[T]) sorted() []*child[T] {
	v.mu.RLock()
	out := make([]*child[T], 0, len(v.children))
	for _, c := range v.children {
		out = append(out, c)
	}
	v.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool {
		return strings.Join(out[i].values, "\xff") < strings.Join(out[j].values, "\xff")
	})
	return out
}

func (v *vec[T]) header(b *strings.Builder) {
	fmt.Fprintf(b, "# HELP %s %s\n# TYPE %s %s\n", v.name, escapeHelp(v.help), v.name, v.typ)
}

func labelString(names, values []string, extraName, extraValue string) string {
	if len(names) == 0 && extraName == "" {
		return ""
	}
	var b strings.Builder
	b.WriteByte('{')
	for i, n := range names {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(n)
		b.WriteString(`="`)
		b.WriteString(escapeValue(values[i]))
		b.WriteByte('"')
	}
	if extraName != "" {
		if len(names) > 0 {
			b.WriteByte(',')
		}
		b.WriteString(extraName)
		b.WriteString(`="`)
		b.WriteString(extraValue)
		b.WriteByte('"')
	}
	b.WriteByte('}')
	return b.String()
}

// Counter is a monotonically increasing count.
type Counter struct{ v atomic.Uint64 }

// Inc adds one.
func (c *Counter) Inc() { c.v.Add(1) }

// Add adds n.
func (c *Counter) Add(n uint64) { c.v.Add(n) }

// Value returns the current count.
func (c *Counter) Value() uint64 { return c.v.Load() }

// CounterVec is a counter family partitioned by labels.
type CounterVec struct{ v *vec[Counter] }

// Counter registers a counter family.
func (r *Registry) Counter(name, help string, labels ...string) *CounterVec {
	cv := &CounterVec{v: newVec(name, help, "counter", labels, func() *Counter { return new(Counter) })}
	r.register(name, cv)
	return cv
}

// With returns the child for the label values, creating it on first use.
// Resolve children once outside hot loops.
func (cv *CounterVec) With(values ...string) *Counter { return cv.v.with(values) }

func (cv *CounterVec) write(b *strings.Builder) {
	cv.v.header(b)
	for _, c := range cv.v.sorted() {
		fmt.Fprintf(b, "%s%s %d\n", cv.v.name, labelString(cv.v.labels, c.values, "", ""), c.m.Value())
	}
}

// Gauge is a value that goes up and down.
type Gauge struct{ bits atomic.Uint64 }

// Set sets the value.
func (g *Gauge) Set(v float64) { g.bits.Store(math.Float64bits(v)) }

// Add adds d (which may be negative).
func (g *Gauge) Add(d float64) {
	for {
		old := g.bits.Load()
		if g.bits.CompareAndSwap(old, math.Float64bits(math.Float64frombits(old)+d)) {
			return
		}
	}
}

// Value returns the current value.
func (g *Gauge) Value() float64 { return math.Float64frombits(g.bits.Load()) }

// GaugeVec is a gauge family partitioned by labels.
type GaugeVec struct{ v *vec[Gauge] }

// Gauge registers a gauge family.
func (r *Registry) Gauge(name, help string, labels ...string) *GaugeVec {
	gv := &GaugeVec{v: newVec(name, help, "gauge", labels, func() *Gauge { return new(Gauge) })}
	r.register(name, gv)
	return gv
}

// With returns the child for the label values.
func (gv *GaugeVec) With(values ...string) *Gauge { return gv.v.with(values) }

func (gv *GaugeVec) write(b *strings.Builder) {
	gv.v.header(b)
	for _, c := range gv.v.sorted() {
		fmt.Fprintf(b, "%s%s %s\n", gv.v.name, labelString(gv.v.labels, c.values, "", ""), formatFloat(c.m.Value()))
	}
}

// Histogram counts observations into cumulative buckets.
type Histogram struct {
	upper  []float64
	counts []atomic.Uint64 // one per bucket plus +Inf
	sum    Gauge
	count  atomic.Uint64
}

// Observe records one value.
func (h *Histogram) Observe(v float64) {
	i := sort.SearchFloat64s(h.upper, v)
	h.counts[i].Add(1)
	h.sum.Add(v)
	h.count.Add(1)
}

// Count returns the number of observations.
func (h *Histogram) Count() uint64 { return h.count.Load() }

// HistogramVec is a histogram family partitioned by labels.
type HistogramVec struct {
	v       *vec[Histogram]
	buckets []float64
}

// Histogram registers a histogram family with the given ascending upper
// bounds (the +Inf bucket is implicit).
func (r *Registry) Histogram(name, help string, buckets []float64, labels ...string) *HistogramVec {
	if !sort.Float64sAreSorted(buckets) {
		panic("metrics: histogram buckets must ascend: " + name)
	}
	b := append([]float64(nil), buckets...)
	hv := &HistogramVec{buckets: b, v: newVec(name, help, "histogram", labels, func() *Histogram {
		return &Histogram{upper: b, counts: make([]atomic.Uint64, len(b)+1)}
	})}
	r.register(name, hv)
	return hv
}

// With returns the child for the label values.
func (hv *HistogramVec) With(values ...string) *Histogram { return hv.v.with(values) }

func (hv *HistogramVec) write(b *strings.Builder) {
	hv.v.header(b)
	for _, c := range hv.v.sorted() {
		var cum uint64
		for i, ub := range hv.buckets {
			cum += c.m.counts[i].Load()
			fmt.Fprintf(b, "%s_bucket%s %d\n", hv.v.name, labelString(hv.v.labels, c.values, "le", formatFloat(ub)), cum)
		}
		cum += c.m.counts[len(hv.buckets)].Load()
		fmt.Fprintf(b, "%s_bucket%s %d\n", hv.v.name, labelString(hv.v.labels, c.values, "le", "+Inf"), cum)
		ls := labelString(hv.v.labels, c.values, "", "")
		fmt.Fprintf(b, "%s_sum%s %s\n%s_count%s %d\n", hv.v.name, ls, formatFloat(c.m.sum.Value()), hv.v.name, ls, c.m.count.Load())
	}
}

// ExponentialBuckets returns n upper bounds start, start*factor, ...
func ExponentialBuckets(start, factor float64, n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = start
		start *= factor
	}
	return out
}

func formatFloat(v float64) string {
	switch {
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	case math.IsNaN(v):
		return "NaN"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

func escapeHelp(s string) string {
	return strings.NewReplacer(`\`, `\\`, "\n", `\n`).Replace(s)
}

func escapeValue(s string) string {
	return strings.NewReplacer(`\`, `\\`, "\n", `\n`, `"`, `\"`).Replace(s)
}

func validName(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		switch {
		case r == '_' || r == ':' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z'):
		case r >= '0' && r <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

// ContentType is the media type of the text exposition format.
const ContentType = "text/plain; version=0.0.4; charset=utf-8"
