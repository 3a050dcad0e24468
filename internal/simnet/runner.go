package simnet

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/borderwatch/borderwatch"
	"github.com/borderwatch/borderwatch/internal/sim"
)

// RunOptions configures a Runner.
type RunOptions struct {
	// Speed is simulated seconds per wall-clock second; default 1. Times
	// written in messages run at wall-clock pace (so that the server's
	// clock agrees), so at Speed 10 things move ten times faster.
	Speed float64
	// Duration is how much simulated time to run; 0 runs until the
	// context ends.
	Duration time.Duration
	// Tick is the wall time between sends; default 250 ms.
	Tick time.Duration
	// OnFrame sees every frame, under the runner's lock, before it is
	// sent (exercise scoring watches events here).
	OnFrame func(*sim.Frame)
	// Before runs before every step, under the runner's lock (exercises
	// inject their scripted actors here).
	Before func(*sim.Sim)
	Now    func() time.Time
	Logger *slog.Logger
}

// Runner drives a Sim against the wall clock and sends what it produces.
// It is the only user of the Sim while it runs: call Do, Dispatch, Task
// and Inject to touch it.
type Runner struct {
	o   RunOptions
	snd *Sender

	mu        sync.Mutex
	sim       *sim.Sim
	wallStart time.Time
	simStart  time.Time
	started   bool
}

// NewRunner returns a runner of s sending with snd (nil: nothing is sent).
func NewRunner(s *sim.Sim, snd *Sender, o RunOptions) (*Runner, error) {
	if o.Speed == 0 {
		o.Speed = 1
	}
	if !(o.Speed > 0 && o.Speed <= 10000) {
		return nil, fmt.Errorf("simnet: speed %v: must be within (0, 10000]", o.Speed)
	}
	if o.Tick == 0 {
		o.Tick = 250 * time.Millisecond
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return &Runner{o: o, snd: snd, sim: s, simStart: s.Now(), wallStart: o.Now()}, nil
}

// Stamp maps a simulated time to the wall-clock time written in messages.
func (r *Runner) Stamp(t time.Time) time.Time {
	return r.wallStart.Add(time.Duration(float64(t.Sub(r.simStart)) / r.o.Speed))
}

// SimTime maps a wall-clock time to simulated time.
func (r *Runner) SimTime(wall time.Time) time.Time {
	return r.simStart.Add(time.Duration(float64(wall.Sub(r.wallStart)) * r.o.Speed))
}

// Do runs f with exclusive use of the Sim.
func (r *Runner) Do(f func(*sim.Sim)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	f(r.sim)
}

// Dispatch sends a simulated unit (QRF, patrol) or drone to target: the
// hook the response loop calls.
func (r *Runner) Dispatch(unitID string, target borderwatch.LatLon) (err error) {
	r.Do(func(s *sim.Sim) { err = s.Dispatch(unitID, target) })
	return err
}

// Task sends a simulated drone to target (what a DO_REPOSITION does).
func (r *Runner) Task(droneID string, target borderwatch.LatLon) (err error) {
	r.Do(func(s *sim.Sim) { err = s.Task(droneID, target) })
	return err
}

// Inject adds an actor now.
func (r *Runner) Inject(spec sim.ActorSpec) (id string, err error) {
	r.Do(func(s *sim.Sim) { id, err = s.Inject(spec) })
	return id, err
}

// Run steps the Sim as the wall clock passes (times Speed) and sends each
// tick's output, until ctx ends (nil) or Duration of simulated time has
// passed (nil). It may run once.
func (r *Runner) Run(ctx context.Context) error {
	r.mu.Lock()
	if r.started {
		r.mu.Unlock()
		return errors.New("simnet: runner already ran")
	}
	r.started = true
	r.wallStart, r.simStart = r.o.Now(), r.sim.Now()
	r.mu.Unlock()
	end := time.Time{}
	if r.o.Duration > 0 {
		end = r.simStart.Add(r.o.Duration)
	}
	t := time.NewTicker(r.o.Tick)
	defer t.Stop()
	for {
		b, done := r.advance(r.SimTime(r.o.Now()), end)
		if r.snd != nil {
			r.snd.Send(ctx, b, r.Stamp)
		}
		if done {
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// maxStepsPerTick bounds the catch-up after a stall (a suspended laptop).
const maxStepsPerTick = 20000

func (r *Runner) advance(to, end time.Time) (*Batch, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	b := &Batch{}
	var drones []sim.DroneState
	for n := 0; !r.sim.Now().After(to) && n < maxStepsPerTick; n++ {
		if !end.IsZero() && !r.sim.Now().Before(end) {
			return finish(b, drones), true
		}
		if r.o.Before != nil {
			r.o.Before(r.sim)
		}
		f := r.sim.Step()
		if r.o.OnFrame != nil {
			r.o.OnFrame(f)
		}
		b.Detections = append(b.Detections, f.Detections...)
		b.Reports = append(b.Reports, f.Reports...)
		drones = append(drones[:0], f.Drones...)
	}
	return finish(b, drones), !end.IsZero() && !r.sim.Now().Before(end)
}

func finish(b *Batch, drones []sim.DroneState) *Batch {
	b.Drones = drones
	return b
}
