package postgres

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/borderwatch/borderwatch"
	"github.com/borderwatch/borderwatch/internal/store/storetest"
)

// BenchmarkAppendTracks measures the projection's COPY path: batches of
// 5,000 track states per transaction (with the cursor update), reported
// as rows/s.
func BenchmarkAppendTracks(b *testing.B) {
	ctx := context.Background()
	s, err := Open(ctx, testURL(b))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	const batch = 5000
	tracks := make([]borderwatch.Track, batch)
	for i := range tracks {
		tracks[i] = storetest.Track(fmt.Sprintf("t%04d", i%1000), i, borderwatch.LatLon{Lat: 34 + float64(i%100)*0.01, Lon: 41})
	}
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		if err := s.AppendTracks(ctx, "tracks", uint64(i+1), tracks); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*batch)/time.Since(start).Seconds(), "rows/s")
}
