package exercise

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/borderwatch/borderwatch"
	"github.com/borderwatch/borderwatch/internal/sim"
	"github.com/borderwatch/borderwatch/internal/simnet"
)

// Options configures a run.
type Options struct {
	Scenario   *Scenario
	Deployment *borderwatch.Deployment
	// Server is the borderwatch base URL (http://host:port) and Token its
	// API bearer token: the score is read from /api/v1/tracks, /alerts,
	// /units and /drones.
	Server, Token string
	// Send says how the sensors' reports reach the server. Without
	// addresses, detections are posted over the HTTP API (which carries
	// the exercise mark today).
	Send simnet.Options
	// Speed is simulated seconds per wall-clock second; default 1.
	Speed float64
	// Poll is the wall time between API reads; default 1 s.
	Poll   time.Duration
	Logger *slog.Logger
	Now    func() time.Time
	HTTP   *http.Client
}

// Run injects the scenario into a simulation sending to the server and
// scores the server's response. It returns when every event has ended
// (intercepted or escaped), the scenario's duration has passed, or ctx
// ends (with the score so far).
func Run(ctx context.Context, o Options) (*Score, error) {
	sc := o.Scenario
	if sc == nil || o.Deployment == nil || o.Server == "" {
		return nil, errors.New("exercise: scenario, deployment and server are required")
	}
	if o.Speed == 0 {
		o.Speed = 1
	}
	if o.Poll == 0 {
		o.Poll = time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.HTTP == nil {
		o.HTTP = &http.Client{Timeout: 10 * time.Second}
	}
	o.Server = strings.TrimSuffix(o.Server, "/")
	so := o.Send
	so.HTTPURL, so.Token = o.Server, o.Token
	if so.MQTTAddr == "" {
		so.DetectionsViaHTTP = true
	}
	so.MAVLinkAddr = "" // the exercise has no drones of its own
	so.Logger = o.Logger
	so.RunID = "ex" + fmt.Sprint(o.Now().UnixMilli()%1e9)

	s, err := sim.New(sim.Options{Deployment: o.Deployment, Seed: sc.Seed, Start: o.Now(), NoAmbient: true, NoUnits: true, Exercise: true})
	if err != nil {
		return nil, err
	}
	snd, err := simnet.NewSender(so)
	if err != nil {
		return nil, err
	}
	if err := snd.Start(ctx); err != nil {
		return nil, err
	}
	defer snd.Close()

	score := newScore(sc, o.Speed)
	start := s.Now()
	next := 0
	var mu sync.Mutex // guards score's event records against the poller
	before := func(s *sim.Sim) {
		mu.Lock()
		defer mu.Unlock()
		for next < len(sc.Events) && !s.Now().Before(start.Add(sc.Events[next].At)) {
			e := &sc.Events[next]
			if _, err := s.Inject(e.Spec()); err != nil {
				o.Logger.Warn("exercise: inject failed", "event", e.ID, "err", err)
				score.Events[next].ended = s.Now()
			}
			score.Events[next].Started = s.Now()
			next++
		}
	}
	onFrame := func(f *sim.Frame) {
		mu.Lock()
		defer mu.Unlock()
		for _, ev := range f.Events {
			es := score.event(ev.Actor)
			if es == nil {
				continue
			}
			switch ev.Kind {
			case sim.EventCrossed:
				es.Crossed, es.crossedAt = true, ev.Time
			case sim.EventEscaped, sim.EventFinished:
				es.Outcome, es.ended = OutcomeEscaped, ev.Time
			case sim.EventIntercepted:
				es.Outcome, es.ended = OutcomeIntercepted, ev.Time
			}
		}
	}
	r, err := simnet.NewRunner(s, snd, simnet.RunOptions{Speed: o.Speed, Before: before, OnFrame: onFrame, Logger: o.Logger, Now: o.Now})
	if err != nil {
		return nil, err
	}
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	done := make(chan error, 1)
	go func() { done <- r.Run(runCtx) }()

	limit := sc.Duration
	if limit == 0 {
		limit = 6 * time.Hour
	}
	own := s.OwnSide()
	t := time.NewTicker(o.Poll)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			stop()
			err := <-done
			score.finish()
			return score, err
		case err := <-done:
			score.finish()
			return score, err
		case <-t.C:
		}
		p, err := readPicture(ctx, o)
		if err != nil {
			o.Logger.Warn("exercise: reading the server failed", "err", err)
			continue
		}
		var truths []sim.Truth
		var simNow time.Time
		r.Do(func(s *sim.Sim) {
			simNow = s.Now()
			for _, e := range sc.Events {
				if tr, ok := s.Actor(e.ID); ok {
					truths = append(truths, tr)
				}
			}
		})
		mu.Lock()
		for _, tr := range truths {
			es := score.event(tr.ID)
			if es == nil || !es.ended.IsZero() {
				continue
			}
			if unit := score.judge(es, tr, p, simNow, own); unit != "" {
				es.Outcome, es.ended = OutcomeIntercepted, simNow
				r.Do(func(s *sim.Sim) { _ = s.Apprehend(tr.ID, unit) })
			}
		}
		all := next == len(sc.Events)
		for i := range score.Events {
			if score.Events[i].ended.IsZero() {
				all = false
			}
		}
		mu.Unlock()
		if all || simNow.Sub(start) >= limit {
			stop()
			err := <-done
			score.finish()
			return score, err
		}
	}
}

// picture is what the server shows.
type picture struct {
	tracks []borderwatch.Track
	alerts []borderwatch.Alert
	units  []struct {
		ID       string             `json:"id"`
		Position borderwatch.LatLon `json:"position"`
		Exercise bool               `json:"exercise"`
	}
	drones []struct {
		ID       string              `json:"id"`
		Position borderwatch.LatLon  `json:"position"`
		Target   *borderwatch.LatLon `json:"target"`
	}
}

func readPicture(ctx context.Context, o Options) (*picture, error) {
	var p picture
	for _, q := range []struct {
		path string
		out  any
	}{{"/api/v1/tracks", &p.tracks}, {"/api/v1/alerts", &p.alerts}, {"/api/v1/units", &p.units}, {"/api/v1/drones", &p.drones}} {
		if err := simnet.GetJSON(ctx, o.HTTP, o.Server+q.path, o.Token, q.out); err != nil {
			return nil, err
		}
	}
	return &p, nil
}

// judge updates one live event from the server's picture; it returns the
// unit that stopped the crosser, if one did.
func (sc *Score) judge(es *EventScore, tr sim.Truth, p *picture, now time.Time, own float64) string {
	if es.Started.IsZero() {
		return ""
	}
	if es.detectedAt.IsZero() {
		for _, t := range p.tracks {
			if t.Affiliation != borderwatch.AffFriend && t.Status != borderwatch.TrackDeleted && near(t.Position, tr.Position, sc.detectR) {
				es.detectedAt, es.DetectedBy = now, "track "+t.ID
				break
			}
		}
		for _, a := range p.alerts {
			if es.detectedAt.IsZero() && near(a.Position, tr.Position, sc.detectR) {
				es.detectedAt, es.DetectedBy = now, "alert "+a.ID
			}
		}
	}
	if !es.detectedAt.IsZero() && es.nearAtDetect == nil {
		// Units already near when it was detected do not count as a
		// response by being there.
		es.nearAtDetect = map[string]bool{}
		for _, u := range p.units {
			if near(u.Position, tr.Position, sc.respondR) {
				es.nearAtDetect[u.ID] = true
			}
		}
	}
	for _, a := range p.alerts {
		if near(a.Position, tr.Position, sc.detectR) {
			es.alerted = true
			if es.respondedAt.IsZero() && a.State != borderwatch.AlertOpen {
				es.respondedAt, es.RespondedBy = now, "alert "+a.ID+" "+string(a.State)
			}
		}
	}
	if es.respondedAt.IsZero() && !es.detectedAt.IsZero() {
		for _, d := range p.drones {
			if d.Target != nil && near(*d.Target, tr.Position, sc.respondR) || near(d.Position, tr.Position, sc.respondR/4) {
				es.respondedAt, es.RespondedBy = now, "drone "+d.ID
				break
			}
		}
		for _, u := range p.units {
			if es.respondedAt.IsZero() && !es.nearAtDetect[u.ID] && near(u.Position, tr.Position, sc.respondR) {
				es.respondedAt, es.RespondedBy = now, "unit "+u.ID
			}
		}
	}
	if tr.OffsetM*own > 0 {
		for _, u := range p.units {
			if near(u.Position, tr.Position, sc.interceptR) {
				es.InterceptedBy = u.ID
				return u.ID
			}
		}
	}
	return ""
}

func near(a, b borderwatch.LatLon, r float64) bool {
	const m = 111_320.0
	dn := (a.Lat - b.Lat) * m
	de := (a.Lon - b.Lon) * m * math.Cos((a.Lat+b.Lat)/2*math.Pi/180)
	return dn*dn+de*de <= r*r
}
