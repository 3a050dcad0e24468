package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/borderwatch/borderwatch"
	"github.com/borderwatch/borderwatch/internal/natsbus"
	"github.com/borderwatch/borderwatch/internal/rules"
	"github.com/borderwatch/borderwatch/internal/store"
)

// project keeps the store a projection of the log: it reads a stream from
// the store's cursor and applies it in batches, each write carrying the
// sequence it reaches, so a restart resumes exactly where it stopped.
func (s *Server) project(ctx context.Context, stream natsbus.Stream) error {
	cursor, err := s.store.Cursor(ctx, string(stream))
	if err != nil {
		return err
	}
	var (
		tracks []borderwatch.Track
		recs   []store.Record
		upto   uint64
		last   = time.Now()
	)
	flush := func() error {
		if upto == 0 {
			return nil
		}
		var err error
		if stream == natsbus.StreamTracks {
			err = s.store.AppendTracks(ctx, string(stream), upto, tracks)
		} else {
			err = s.store.PutRecords(ctx, string(stream), upto, recs)
		}
		tracks, recs, upto, last = tracks[:0], recs[:0], 0, time.Now()
		return err
	}
	// Read delivers stored messages, then follows; a flush happens every
	// 2,000 rows or when a message arrives more than 200 ms after the last
	// flush. An idle stream is flushed by the timer below.
	msgs := make(chan natsbus.Msg, 256)
	readErr := make(chan error, 1)
	go func() {
		readErr <- s.bus.Read(ctx, stream, natsbus.ReadOptions{StartSeq: cursor + 1, Follow: true}, func(m natsbus.Msg) error {
			select {
			case msgs <- m:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
	}()
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-readErr:
			if errors.Is(err, context.Canceled) || ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("project %s: read: %w", stream, err)
		case <-tick.C:
			if time.Since(last) >= 200*time.Millisecond {
				if err := flush(); err != nil {
					return fmt.Errorf("project %s: %w", stream, err)
				}
			}
		case m := <-msgs:
			if err := s.apply(m, &tracks, &recs); err != nil {
				s.projectErrs.Inc()
				s.log.Warn("projection skipped a message", "stream", stream, "seq", m.Seq, "err", err)
			}
			upto = m.Seq
			if len(tracks)+len(recs) >= 2000 || time.Since(last) > 200*time.Millisecond {
				if err := flush(); err != nil {
					return fmt.Errorf("project %s: %w", stream, err)
				}
			}
		}
	}
}

func (s *Server) apply(m natsbus.Msg, tracks *[]borderwatch.Track, recs *[]store.Record) error {
	switch m.Type {
	case typeTrackBatch:
		var ts []borderwatch.Track
		if err := json.Unmarshal(m.Data, &ts); err != nil {
			return err
		}
		*tracks = append(*tracks, ts...)
	case typeAlertEvent:
		var ev rules.Event
		if err := json.Unmarshal(m.Data, &ev); err != nil {
			return err
		}
		a := ev.Alert
		doc, err := json.Marshal(a)
		if err != nil {
			return err
		}
		pos := a.Position
		*recs = append(*recs, store.Record{Kind: store.KindAlert, ID: a.ID, Sector: a.Sector, Time: m.Time,
			Position: &pos, Label: a.Label, Exercise: a.Exercise, Doc: doc})
	case typeSuppression:
		var ev rules.Event
		if err := json.Unmarshal(m.Data, &ev); err != nil {
			return err
		}
		pos := ev.Alert.Position
		id := ev.Alert.ID
		if id == "" {
			id = fmt.Sprintf("suppression-%d", m.Seq)
		}
		*recs = append(*recs, store.Record{Kind: store.KindSuppression, ID: id, Sector: ev.Alert.Sector, Time: m.Time,
			Position: &pos, Label: ev.Alert.Label, Exercise: ev.Alert.Exercise, Doc: m.Data})
	case typeIncident:
		var in borderwatch.Incident
		if err := json.Unmarshal(m.Data, &in); err != nil {
			return err
		}
		pos := in.Position
		*recs = append(*recs, store.Record{Kind: store.KindIncident, ID: in.ID, Sector: in.Sector, Time: m.Time,
			Position: &pos, Label: in.Label, Exercise: in.Exercise, Doc: m.Data})
	}
	return nil
}

// speedHeading turns a velocity into speed (m/s) and heading (degrees
// from true north).
func speedHeading(v borderwatch.Velocity) (speed, heading float64) {
	speed = math.Hypot(v.East, v.North)
	heading = math.Mod(math.Atan2(v.East, v.North)*180/math.Pi+360, 360)
	return speed, heading
}
