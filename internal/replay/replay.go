// Package replay paces recorded events back out at a chosen speed, for
// after-action review: a window of track states and alerts, read from the
// store, is delivered in event-time order, frame by frame, at 1–60× real
// time (or as fast as the reader takes it). The clock is an input, so a
// replay is tested without waiting.
package replay

import (
	"context"
	"errors"
	"sort"
	"time"

	"github.com/borderwatch/borderwatch"
)

// Frame is what happened in one step of replay time.
type Frame struct {
	// Time is the replay clock at the end of the frame.
	Time   time.Time           `json:"time"`
	Tracks []borderwatch.Track `json:"tracks,omitempty"`
	Alerts []borderwatch.Alert `json:"alerts,omitempty"`
}

// Options controls a replay.
type Options struct {
	From, To time.Time
	// Speed is the multiple of real time, 1–60; 0 means as fast as
	// possible (an export or a benchmark).
	Speed float64
	// Step is the replay time one frame covers; default 1 s.
	Step time.Duration
	// Sleep waits for d or until ctx ends; default a timer.
	Sleep func(ctx context.Context, d time.Duration) error
}

// MaxSpeed is the fastest paced replay.
const MaxSpeed = 60

// Validate checks the window and speed.
func (o *Options) Validate() error {
	switch {
	case o.From.IsZero() || o.To.IsZero():
		return borderwatch.Errorf(borderwatch.EINVALID, "from and to are required")
	case !o.To.After(o.From):
		return borderwatch.Errorf(borderwatch.EINVALID, "to must be after from")
	case o.Speed < 0 || o.Speed > MaxSpeed || (o.Speed > 0 && o.Speed < 1):
		return borderwatch.Errorf(borderwatch.EINVALID, "speed %v: want 1 to %d, or 0 for as fast as possible", o.Speed, MaxSpeed)
	case o.To.Sub(o.From) > 24*time.Hour:
		return borderwatch.Errorf(borderwatch.EINVALID, "window longer than 24 h")
	}
	return nil
}

// Run delivers the tracks and alerts falling in [From, To) to emit in
// frames of Step replay time, in time order, pacing frames at Speed. The
// slices need not be sorted. It stops at the first emit error.
func Run(ctx context.Context, o Options, tracks []borderwatch.Track, alerts []borderwatch.Alert, emit func(Frame) error) error {
	if err := o.Validate(); err != nil {
		return err
	}
	if o.Step <= 0 {
		o.Step = time.Second
	}
	if o.Sleep == nil {
		o.Sleep = sleep
	}
	sort.SliceStable(tracks, func(i, j int) bool { return tracks[i].Time.Before(tracks[j].Time) })
	sort.SliceStable(alerts, func(i, j int) bool { return alerts[i].Time.Before(alerts[j].Time) })
	ti, ai := 0, 0
	for ti < len(tracks) && tracks[ti].Time.Before(o.From) {
		ti++
	}
	for ai < len(alerts) && alerts[ai].Time.Before(o.From) {
		ai++
	}
	paced := o.Speed > 0
	var slept time.Duration // total pause so far: frames follow one schedule, no drift
	for k, at := 1, o.From; at.Before(o.To); k, at = k+1, at.Add(o.Step) {
		end := at.Add(o.Step)
		if end.After(o.To) {
			end = o.To
		}
		f := Frame{Time: end}
		for ti < len(tracks) && tracks[ti].Time.Before(end) {
			f.Tracks = append(f.Tracks, tracks[ti])
			ti++
		}
		for ai < len(alerts) && alerts[ai].Time.Before(end) {
			f.Alerts = append(f.Alerts, alerts[ai])
			ai++
		}
		// At full speed, empty frames are skipped; paced, every frame is
		// sent so the viewer's clock keeps moving.
		if paced || len(f.Tracks)+len(f.Alerts) > 0 {
			if err := emit(f); err != nil {
				return err
			}
		}
		if paced {
			due := time.Duration(float64(k) * float64(o.Step) / o.Speed)
			if err := o.Sleep(ctx, due-slept); err != nil {
				return err
			}
			slept = due
		} else if err := ctx.Err(); err != nil {
			return err
		}
	}
	return nil
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// ErrStop may be returned by emit to end a replay early without error.
var ErrStop = errors.New("replay: stopped")
