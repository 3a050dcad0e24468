package server

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"testing"
	"time"

	"github.com/borderwatch/borderwatch"
	"github.com/borderwatch/borderwatch/internal/replay"
	"github.com/borderwatch/borderwatch/internal/sqlite"
)

// BenchmarkReplayHour replays one hour of a busy border from the embedded
// store at full speed: 200 tracks updated every second (720,000 states,
// several times the demo day's live tracks), read, filtered by
// releasability, paced into one-second frames and encoded as the SSE
// stream's JSON. The bar (issue 8): one hour in under 5 s.
func BenchmarkReplayHour(b *testing.B) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "bw.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	t0 := time.Date(2026, 11, 21, 22, 0, 0, 0, time.UTC)
	const tracks, seconds = 200, 3600
	lbl := borderwatch.Label{Owner: "ibg", ReleasableTo: []borderwatch.Agency{"army"}}
	batch := make([]borderwatch.Track, 0, tracks*60)
	seq := uint64(0)
	for s := range seconds {
		for i := range tracks {
			batch = append(batch, borderwatch.Track{ID: fmt.Sprintf("s-%d", i), Sector: "anbar-qaim", Time: t0.Add(time.Duration(s) * time.Second),
				Status: borderwatch.TrackConfirmed, Position: borderwatch.LatLon{Lat: 34 + float64(i)*0.001, Lon: 41 + float64(s)*1e-5},
				Class: borderwatch.ClassPerson, Affiliation: borderwatch.AffUnknown, Label: lbl})
		}
		if len(batch) >= tracks*60 {
			seq++
			if err := st.AppendTracks(ctx, "tracks", seq, batch); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	allow := func(l borderwatch.Label) bool { return l.ReleasableToAgency("army") }
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		ts, err := st.Tracks(ctx, t0, t0.Add(time.Hour), maxHistoryRows)
		if err != nil {
			b.Fatal(err)
		}
		vis := ts[:0]
		for _, t := range ts {
			if allow(t.Label) {
				vis = append(vis, t)
			}
		}
		frames := 0
		err = replay.Run(ctx, replay.Options{From: t0, To: t0.Add(time.Hour)}, vis, nil, func(f replay.Frame) error {
			frames++
			return json.NewEncoder(io.Discard).Encode(f)
		})
		if err != nil || frames != seconds {
			b.Fatalf("%d frames, err %v", frames, err)
		}
		b.ReportMetric(time.Since(start).Seconds(), "s/hour")
	}
	b.ReportMetric(float64(tracks*seconds), "states/hour")
}
