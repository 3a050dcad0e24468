// Package ingest is the front door every protocol adapter shares. It
// validates observations, stamps ids, arrival labels and the exercise
// mark, assigns each to its border sector, and appends them to the event
// log. Handle returns only after the log has durably stored the batch, so
// an adapter may acknowledge what Handle accepted; what it rejects is
// counted per protocol and reason and dropped.
package ingest

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/borderwatch/borderwatch"
	"github.com/borderwatch/borderwatch/internal/metrics"
)

// Log is where accepted observations go: the durable event log.
type Log interface {
	// AppendObservations returns once obs are durably stored.
	AppendObservations(ctx context.Context, sector string, obs []borderwatch.Observation) error
}

// Options configures a Pipeline.
type Options struct {
	Log Log
	// Sector returns the sector id of a position ("" outside every sector:
	// such observations go to the OutOfArea sector).
	Sector func(p borderwatch.LatLon) string
	// Label returns the default label for a source that sent none.
	Label func(src borderwatch.Source) borderwatch.Label
	// NodeID prefixes generated observation ids; it must be unique per node.
	NodeID  string
	Metrics *metrics.Registry
	Now     func() time.Time
	// MaxFuture rejects observations time-stamped further ahead than this
	// (clock faults); MaxAge rejects older ones. Zero disables the check.
	MaxFuture, MaxAge time.Duration
}

// OutOfArea is the sector of observations that fall in no sector.
const OutOfArea = "out"

// Pipeline validates and logs observations.
type Pipeline struct {
	opts     Options
	seq      atomic.Uint64
	prefix   string
	accepted *metrics.CounterVec
	dropped  *metrics.CounterVec
}

// New returns a pipeline; Log, Sector and Label are required.
func New(opts Options) (*Pipeline, error) {
	if opts.Log == nil || opts.Sector == nil || opts.Label == nil {
		return nil, errors.New("ingest: Log, Sector and Label are required")
	}
	if opts.Metrics == nil {
		opts.Metrics = metrics.NewRegistry()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.NodeID == "" {
		opts.NodeID = "n" + strconv.FormatInt(time.Now().UnixNano(), 36)
	}
	return &Pipeline{
		opts:     opts,
		prefix:   opts.NodeID + "-",
		accepted: opts.Metrics.Counter("borderwatch_observations_accepted_total", "Observations durably logged, by protocol.", "protocol"),
		dropped:  opts.Metrics.Counter("borderwatch_observations_dropped_total", "Observations rejected and dropped, by protocol and reason.", "protocol", "reason"),
	}, nil
}

// Rejection is one observation Check refused.
type Rejection struct {
	Index  int    `json:"index"`
	Reason string `json:"reason"`
}

// Check validates obs in place (stamping ids and labels) and returns the
// rejections; it logs nothing.
func (p *Pipeline) Check(obs []borderwatch.Observation) []Rejection {
	var rej []Rejection
	now := p.opts.Now()
	for i := range obs {
		o := &obs[i]
		if err := o.Validate(); err != nil {
			rej = append(rej, Rejection{Index: i, Reason: borderwatch.ErrorMessageOf(err)})
			continue
		}
		if p.opts.MaxFuture > 0 && o.Time.Sub(now) > p.opts.MaxFuture {
			rej = append(rej, Rejection{Index: i, Reason: fmt.Sprintf("time: %s is in the future", o.Time.Format(time.RFC3339))})
			continue
		}
		if p.opts.MaxAge > 0 && now.Sub(o.Time) > p.opts.MaxAge {
			rej = append(rej, Rejection{Index: i, Reason: fmt.Sprintf("time: %s is too old", o.Time.Format(time.RFC3339))})
			continue
		}
		if o.ID == "" {
			o.ID = p.prefix + strconv.FormatUint(p.seq.Add(1), 36)
		}
		if o.Class == "" {
			o.Class = borderwatch.ClassUnknown
		}
		if o.Label.Owner == "" {
			o.Label = p.opts.Label(o.Source)
		}
	}
	return rej
}

// Handle validates obs, drops and counts what is invalid, and appends the
// rest to the log grouped by sector. It returns after every group is
// durably logged; on error nothing may be acknowledged. obs is modified.
func (p *Pipeline) Handle(ctx context.Context, protocol string, obs []borderwatch.Observation) error {
	rej := p.Check(obs)
	for _, r := range rej {
		p.dropped.With(protocol, reasonLabel(r.Reason)).Inc()
	}
	if len(rej) > 0 {
		obs = without(obs, rej)
	}
	return p.Append(ctx, protocol, obs)
}

// Append logs already-checked observations grouped by sector.
func (p *Pipeline) Append(ctx context.Context, protocol string, obs []borderwatch.Observation) error {
	if len(obs) == 0 {
		return nil
	}
	groups := make(map[string][]borderwatch.Observation, 2)
	for _, o := range obs {
		pos, ok := Where(o)
		sector := OutOfArea
		if ok {
			if s := p.opts.Sector(pos); s != "" {
				sector = s
			}
		}
		groups[sector] = append(groups[sector], o)
	}
	for sector, g := range groups {
		if err := p.opts.Log.AppendObservations(ctx, sector, g); err != nil {
			return fmt.Errorf("ingest: log %d observations of sector %s: %w", len(g), sector, err)
		}
	}
	p.accepted.With(protocol).Add(uint64(len(obs)))
	return nil
}

// Where returns the position an observation concerns: its position, or
// for a bearing the sensor's position (the sensor's sector tracks it).
func Where(o borderwatch.Observation) (borderwatch.LatLon, bool) {
	switch {
	case o.Position != nil:
		return *o.Position, true
	case o.Bearing != nil:
		return o.Bearing.Sensor, true
	}
	return borderwatch.LatLon{}, false
}

func without(obs []borderwatch.Observation, rej []Rejection) []borderwatch.Observation {
	out := obs[:0]
	j := 0
	for i := range obs {
		if j < len(rej) && rej[j].Index == i {
			j++
			continue
		}
		out = append(out, obs[i])
	}
	return out
}

// reasonLabel keeps metric label cardinality bounded: the field name
// before the first colon.
func reasonLabel(reason string) string {
	if i := strings.IndexByte(reason, ':'); i > 0 {
		return reason[:i]
	}
	return "invalid"
}
