package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/borderwatch/borderwatch"
	"github.com/borderwatch/borderwatch/internal/cot"
	"github.com/borderwatch/borderwatch/internal/live"
	"github.com/borderwatch/borderwatch/internal/metrics"
	"github.com/borderwatch/borderwatch/internal/natsbus"
	"github.com/borderwatch/borderwatch/internal/rules"
	"github.com/borderwatch/borderwatch/internal/tracker"
)

// core owns the single-threaded heart of a node: the tracker router and
// the rules engine. Everything that touches them runs on its goroutine:
// observation batches read from the log, the clock tick, and actions
// queued with do.
type core struct {
	s      *Server
	router *tracker.Router
	rules  *rules.Engine

	obs   chan obsBatch
	calls chan func()
	out   *writer

	tracksOut  *metrics.Counter
	alertsOut  *metrics.CounterVec
	latency    *metrics.Histogram
	trackErrs  *metrics.Counter
	liveTracks *metrics.Gauge
}

type obsBatch struct {
	seq uint64
	obs []borderwatch.Observation
}

func newCore(s *Server, router *tracker.Router, eng *rules.Engine, out *writer) *core {
	reg := s.metrics
	return &core{
		s: s, router: router, rules: eng, out: out,
		obs:        make(chan obsBatch, 64),
		calls:      make(chan func(), 256),
		tracksOut:  reg.Counter("borderwatch_track_updates_total", "Track updates produced by the tracker.").With(),
		alertsOut:  reg.Counter("borderwatch_alert_events_total", "Alert events from the rules, by type.", "type"),
		trackErrs:  reg.Counter("borderwatch_tracker_rejected_total", "Observations the tracker could not use.").With(),
		liveTracks: reg.Gauge("borderwatch_live_tracks", "Tracks in the live picture.").With(),
		latency: reg.Histogram("borderwatch_observation_to_alert_seconds",
			"From an observation's arrival in the tracker to the alert it raised being published live.",
			metrics.ExponentialBuckets(0.0005, 2, 14)).With(),
	}
}

// do runs f on the core goroutine; it blocks while the queue is full.
func (c *core) do(ctx context.Context, f func()) error {
	select {
	case c.calls <- f:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// readLog follows the observations stream from start and feeds the core.
func (c *core) readLog(ctx context.Context, start time.Time) error {
	err := c.s.bus.ReadObservations(ctx, natsbus.ReadOptions{StartTime: start, Follow: true},
		func(m natsbus.Msg, obs []borderwatch.Observation) error {
			b := obsBatch{seq: m.Seq, obs: append([]borderwatch.Observation(nil), obs...)}
			select {
			case c.obs <- b:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

// run is the core loop; it returns when ctx ends.
func (c *core) run(ctx context.Context) {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	defer c.router.Close()
	for {
		select {
		case <-ctx.Done():
			return
		case b := <-c.obs:
			c.observe(b)
		case f := <-c.calls:
			f()
		case <-tick.C:
			now := c.s.opts.Now()
			c.publishTracks(c.router.Expire(now))
			c.alerts(c.rules.Tick(now), time.Time{})
		}
	}
}

// observe runs one logged batch through the tracker and the rules. A
// batch may span minutes (an integrator posting a trajectory, a sensor
// catching up): it is fed in time order, one scan window at a time, so
// that the rules see every step of every track and not only its last.
func (c *core) observe(b obsBatch) {
	arrived := time.Now()
	obs := b.obs
	sort.SliceStable(obs, func(i, j int) bool { return obs[i].Time.Before(obs[j].Time) })
	c.units(obs)
	c.heartbeats(obs)
	for len(obs) > 0 {
		n := 1
		for n < len(obs) && obs[n].Time.Sub(obs[0].Time) < scanWindow {
			n++
		}
		tracks, err := c.router.Observe(obs[:n])
		if err != nil {
			c.trackErrs.Inc()
		}
		c.publishTracks(tracks)
		for i := range tracks {
			c.alerts(c.rules.Track(&tracks[i]), arrived)
		}
		obs = obs[n:]
	}
}

// scanWindow is the span of event time fed to the tracker at once.
const scanWindow = time.Second

// heartbeats tells the rules that each reporting source is alive, once
// per source per batch (its latest report).
func (c *core) heartbeats(obs []borderwatch.Observation) {
	last := make(map[string]time.Time, 4)
	for i := range obs {
		if t, ok := last[obs[i].Source.ID]; !ok || obs[i].Time.After(t) {
			last[obs[i].Source.ID] = obs[i].Time
		}
	}
	for id, t := range last {
		c.alerts(c.rules.Heartbeat(id, t), time.Time{})
	}
}

// units puts friendly self-reports from phones into the live picture.
// Drones come from their MAVLink state instead.
func (c *core) units(obs []borderwatch.Observation) {
	var us []live.Unit
	for i := range obs {
		o := &obs[i]
		if !o.Friendly || o.Position == nil || o.Source.Kind == borderwatch.SourceDrone {
			continue
		}
		u := live.Unit{ID: o.UnitID, Name: o.Attrs["callsign"], Type: string(o.Source.Kind), Position: *o.Position,
			Time: o.Time, Label: o.Label, Exercise: o.Exercise, Sector: c.s.sectors.of(*o.Position), Status: "available"}
		if info, ok := c.s.units[o.UnitID]; ok {
			u.Type = string(info.Kind)
			if u.Name == "" {
				u.Name = info.Name
			}
		}
		if v := o.Velocity; v != nil {
			u.Speed, u.Heading = speedHeading(*v)
		}
		us = append(us, u)
		c.rules.CheckIn(o.UnitID, o.Time)
		if c.s.resp != nil {
			c.s.resp.unitReport(o.UnitID, *o.Position, o.Time)
		}
	}
	if len(us) > 0 {
		_ = c.s.live.PutUnits(us...)
	}
}

func (c *core) publishTracks(tracks []borderwatch.Track) {
	if len(tracks) == 0 {
		return
	}
	c.tracksOut.Add(uint64(len(tracks)))
	var show []borderwatch.Track
	var gone []string
	for i := range tracks {
		t := &tracks[i]
		switch {
		case t.Status == borderwatch.TrackDeleted:
			gone = append(gone, t.ID)
			c.rules.Forget(t.ID)
			if c.s.cot != nil {
				c.s.cot.Delete(cot.TrackUIDPrefix+t.ID, t.Label)
			}
		case t.Affiliation == borderwatch.AffFriend:
			// A friendly unit is shown as the unit, from its own reports.
		default:
			show = append(show, *t)
			if c.s.cot != nil {
				ev := cot.FromTrack(t, 3*time.Minute)
				c.s.cot.Publish(&ev, t.Label)
			}
		}
	}
	if len(gone) > 0 {
		c.s.live.DeleteTracks(gone...)
	}
	if len(show) > 0 {
		_ = c.s.live.PutTracks(show...)
	}
	c.liveTracks.Set(float64(c.s.live.Stats().Records[live.KindTrack]))
	c.out.tracks(tracks)
}

// alerts publishes rule events: live picture, CoT out, the log.
func (c *core) alerts(evs []rules.Event, arrived time.Time) {
	for i := range evs {
		ev := &evs[i]
		c.alertsOut.With(string(ev.Type)).Inc()
		// The engine owns ev and what it points to until the next call:
		// what goes to the writer goroutine is encoded here.
		doc, err := json.Marshal(ev)
		if err != nil {
			c.s.log.Error("alert event not encodable", "alert", ev.Alert.ID, "err", err)
			continue
		}
		if ev.Type == rules.EventSuppressed {
			c.out.event(natsbus.StreamAlerts, ev.Alert.Sector, typeSuppression, json.RawMessage(doc))
			continue
		}
		a := ev.Alert
		if ev.Type != rules.EventCleared && c.s.resp != nil {
			c.s.resp.alert(&a)
		}
		_ = c.s.live.PutAlerts(a)
		if c.s.cot != nil && ev.Type != rules.EventCleared {
			m := cot.FromAlert(&a, 30*time.Minute)
			c.s.cot.Publish(&m, a.Label)
		}
		if !arrived.IsZero() && ev.Type == rules.EventRaised {
			c.latency.Observe(time.Since(arrived).Seconds())
		}
		c.out.event(natsbus.StreamAlerts, a.Sector, typeAlertEvent, json.RawMessage(doc))
	}
}

// writer appends what the core produced to the log off the core's
// goroutine, coalescing whatever queued up while the previous durable
// append was in flight into one message per stream and sector.
type writer struct {
	s     *Server
	queue chan logItem
	fails *metrics.Counter
}

type logItem struct {
	stream natsbus.Stream
	sector string
	typ    string
	tracks []borderwatch.Track
	v      any
}

// Log message types the server writes.
const (
	typeTrackBatch  = "track_batch" // []borderwatch.Track
	typeAlertEvent  = "alert"       // rules.Event
	typeIncident    = "incident"    // borderwatch.Incident
	typeSuppression = "suppression" // rules.Event with a Suppression: the review queue
)

func newWriter(s *Server) *writer {
	return &writer{s: s, queue: make(chan logItem, 4096),
		fails: s.metrics.Counter("borderwatch_log_write_failures_total", "Derived events (tracks, alerts) the log refused.").With()}
}

func (w *writer) tracks(ts []borderwatch.Track) {
	w.queue <- logItem{stream: natsbus.StreamTracks, typ: typeTrackBatch, tracks: append([]borderwatch.Track(nil), ts...)}
}

func (w *writer) event(stream natsbus.Stream, sector, typ string, v any) {
	w.queue <- logItem{stream: stream, sector: sector, typ: typ, v: v}
}

func (w *writer) run(ctx context.Context) {
	var seq uint64
	for {
		var first logItem
		select {
		case first = <-w.queue:
		case <-ctx.Done():
			// Drain what is queued so a clean shutdown loses nothing.
			for {
				select {
				case it := <-w.queue:
					w.flush(context.Background(), []logItem{it}, &seq)
				default:
					return
				}
			}
		}
		items := []logItem{first}
	more:
		for len(items) < 1024 {
			select {
			case it := <-w.queue:
				items = append(items, it)
			default:
				break more
			}
		}
		w.flush(ctx, items, &seq)
	}
}

func (w *writer) flush(ctx context.Context, items []logItem, seq *uint64) {
	bySector := map[string][]borderwatch.Track{}
	for _, it := range items {
		if it.stream != natsbus.StreamTracks {
			*seq++
			if err := w.publish(ctx, it.stream, sectorToken(it.sector), it.typ, it.v, *seq); err != nil {
				w.fails.Inc()
				w.s.log.Warn("log write failed", "stream", it.stream, "err", err)
			}
			continue
		}
		for _, t := range it.tracks {
			bySector[t.Sector] = append(bySector[t.Sector], t)
		}
	}
	for sector, ts := range bySector {
		*seq++
		if err := w.publish(ctx, natsbus.StreamTracks, sectorToken(sector), typeTrackBatch, ts, *seq); err != nil {
			w.fails.Inc()
			w.s.log.Warn("log write failed", "stream", natsbus.StreamTracks, "err", err)
		}
	}
}

func (w *writer) publish(ctx context.Context, stream natsbus.Stream, sector, typ string, v any, seq uint64) error {
	id := w.s.nodeID + "-" + strconv.FormatUint(seq, 36)
	if _, err := w.s.bus.Publish(ctx, stream, sector, typ, id, v); err != nil {
		return fmt.Errorf("%s %s: %w", stream, typ, err)
	}
	return nil
}

func sectorToken(s string) string {
	if s == "" || !natsbus.ValidSector(s) {
		return natsbus.Unsectored
	}
	return s
}
