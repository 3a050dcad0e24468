// Package storetest is the contract suite every store.Store must pass.
// Each implementation's tests call Run with a function opening a fresh,
// empty store.
package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/borderwatch/borderwatch"
	"github.com/borderwatch/borderwatch/internal/store"
)

// T0 is the suite's reference time.
var T0 = time.Date(2026, 11, 21, 22, 0, 0, 0, time.UTC)

// Run runs the contract suite; open returns a fresh, empty store and
// arranges for it to be closed.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	t.Run("CursorAndExactlyOnce", func(t *testing.T) { testCursor(t, open(t)) })
	t.Run("TrackRoundTrip", func(t *testing.T) { testTrackRoundTrip(t, open(t)) })
	t.Run("TracksWithin", func(t *testing.T) { testTracksWithin(t, open(t)) })
	t.Run("RecordsUpsert", func(t *testing.T) { testRecords(t, open(t)) })
	t.Run("RecordNotFound", func(t *testing.T) { testNotFound(t, open(t)) })
}

// Track returns a fully populated track state for tests.
func Track(id string, i int, pos borderwatch.LatLon) borderwatch.Track {
	return borderwatch.Track{
		ID: id, Sector: "ninewa-1", Time: T0.Add(time.Duration(i) * time.Second), Status: borderwatch.TrackConfirmed,
		Position: pos, Velocity: borderwatch.Velocity{East: 1.25, North: -0.5},
		Class: borderwatch.ClassPerson, Affiliation: borderwatch.AffUnknown,
		Chainage: 300.125, Offset: -812.5,
		Label:    borderwatch.Label{Owner: "ibg", ReleasableTo: []borderwatch.Agency{"army", "krg"}},
		Exercise: i%2 == 1,
	}
}

func testCursor(t *testing.T, s store.Store) {
	ctx := context.Background()
	if c, err := s.Cursor(ctx, "tracks"); err != nil || c != 0 {
		t.Fatalf("fresh cursor = %d, %v; want 0, nil", c, err)
	}
	p := borderwatch.LatLon{Lat: 36.3, Lon: 41.6}
	batch := []borderwatch.Track{Track("a", 0, p), Track("a", 1, p), Track("b", 1, p)}
	must(t, s.AppendTracks(ctx, "tracks", 5, batch))
	if c, _ := s.Cursor(ctx, "tracks"); c != 5 {
		t.Fatalf("cursor = %d after upto 5", c)
	}
	// A replay of the same or an older batch changes nothing.
	must(t, s.AppendTracks(ctx, "tracks", 5, batch))
	must(t, s.AppendTracks(ctx, "tracks", 3, batch))
	got, err := s.Tracks(ctx, T0, T0.Add(time.Hour), 0)
	must(t, err)
	if len(got) != 3 {
		t.Fatalf("%d rows after replays, want 3 (exactly once)", len(got))
	}
	// Cursors are per stream.
	if c, _ := s.Cursor(ctx, "alerts"); c != 0 {
		t.Fatalf("alerts cursor = %d, want 0", c)
	}
	must(t, s.AppendTracks(ctx, "tracks", 6, []borderwatch.Track{Track("c", 2, p)}))
	if c, _ := s.Cursor(ctx, "tracks"); c != 6 {
		t.Fatalf("cursor = %d, want 6", c)
	}
	// Limit.
	got, err = s.Tracks(ctx, T0, T0.Add(time.Hour), 2)
	must(t, err)
	if len(got) != 2 {
		t.Fatalf("limit 2 gave %d", len(got))
	}
}

func testTrackRoundTrip(t *testing.T, s store.Store) {
	ctx := context.Background()
	p := borderwatch.LatLon{Lat: 34.383333, Lon: 40.977}
	var in []borderwatch.Track
	for i := range 5 {
		in = append(in, Track("x", 4-i, p)) // out of order on purpose
	}
	must(t, s.AppendTracks(ctx, "tracks", 1, in))
	got, err := s.TrackHistory(ctx, "x", T0.Add(time.Second), T0.Add(4*time.Second))
	must(t, err)
	if len(got) != 3 {
		t.Fatalf("history has %d states, want 3 (from inclusive, to exclusive)", len(got))
	}
	for i, tr := range got {
		want := Track("x", i+1, p)
		if !tr.Time.Equal(want.Time) {
			t.Fatalf("state %d at %v, want %v (time order)", i, tr.Time, want.Time)
		}
		tr.Time = want.Time // monotonic/location differences only
		if fmt.Sprint(tr) != fmt.Sprint(want) {
			t.Fatalf("round trip:\n got %+v\nwant %+v", tr, want)
		}
	}
}

func testTracksWithin(t *testing.T, s store.Store) {
	ctx := context.Background()
	center := borderwatch.LatLon{Lat: 34.4, Lon: 41.0}
	// One degree of latitude here is about 110.9 km: 0.0441° ≈ 4.89 km, 0.0460° ≈ 5.10 km.
	near := borderwatch.LatLon{Lat: center.Lat + 0.0441, Lon: center.Lon}
	far := borderwatch.LatLon{Lat: center.Lat + 0.0460, Lon: center.Lon}
	east := borderwatch.LatLon{Lat: center.Lat, Lon: center.Lon + 0.0535} // ≈ 4.91 km east
	must(t, s.AppendTracks(ctx, "tracks", 1, []borderwatch.Track{
		Track("near", 10, near), Track("far", 10, far), Track("east", 20, east),
		Track("late", 3700, center), Track("early", -10, center),
	}))
	got, err := s.TracksWithin(ctx, center, 5000, T0, T0.Add(time.Hour))
	must(t, err)
	ids := make([]string, len(got))
	for i, tr := range got {
		ids[i] = tr.ID
	}
	if fmt.Sprint(ids) != "[near east]" {
		t.Fatalf("within 5 km in the hour: %v, want [near east]", ids)
	}
}

func record(kind, id, sector string, at time.Time, note string) store.Record {
	doc, _ := json.Marshal(map[string]string{"id": id, "note": note})
	return store.Record{Kind: kind, ID: id, Sector: sector, Time: at,
		Position: &borderwatch.LatLon{Lat: 36.5, Lon: 41.7},
		Label:    borderwatch.Label{Owner: "army", ReleasableTo: []borderwatch.Agency{"ibg"}, Handling: "no foreign release"},
		Exercise: note == "exercise", Doc: doc}
}

func testRecords(t *testing.T, s store.Store) {
	ctx := context.Background()
	must(t, s.PutRecords(ctx, "alerts", 1, []store.Record{
		record(store.KindAlert, "a1", "ninewa-1", T0, "first"),
		record(store.KindAlert, "a2", "anbar-1", T0.Add(time.Minute), "exercise"),
		record(store.KindIncident, "i1", "ninewa-1", T0, "incident"),
	}))
	// Newer replaces, older does not.
	must(t, s.PutRecords(ctx, "alerts", 2, []store.Record{record(store.KindAlert, "a1", "ninewa-1", T0.Add(2*time.Minute), "acknowledged")}))
	must(t, s.PutRecords(ctx, "alerts", 3, []store.Record{record(store.KindAlert, "a1", "ninewa-1", T0.Add(time.Minute), "stale")}))
	r, err := s.Record(ctx, store.KindAlert, "a1")
	must(t, err)
	var doc map[string]string
	must(t, json.Unmarshal(r.Doc, &doc))
	if doc["note"] != "acknowledged" || !r.Time.Equal(T0.Add(2*time.Minute)) {
		t.Fatalf("a1 = %s at %v, want the acknowledged version", r.Doc, r.Time)
	}
	if r.Label.Handling != "no foreign release" || len(r.Label.ReleasableTo) != 1 || r.Position == nil ||
		math.Abs(r.Position.Lat-36.5) > 1e-9 {
		t.Fatalf("a1 fields lost: %+v", r)
	}
	all, err := s.Records(ctx, store.RecordQuery{Kind: store.KindAlert})
	must(t, err)
	if len(all) != 2 || all[0].ID != "a1" || all[1].ID != "a2" {
		t.Fatalf("alerts newest first: %+v", ids(all))
	}
	if !all[1].Exercise {
		t.Fatal("exercise mark lost")
	}
	ninewa, err := s.Records(ctx, store.RecordQuery{Kind: store.KindAlert, Sector: "ninewa-1"})
	must(t, err)
	if len(ninewa) != 1 || ninewa[0].ID != "a1" {
		t.Fatalf("sector filter: %v", ids(ninewa))
	}
	window, err := s.Records(ctx, store.RecordQuery{Kind: store.KindAlert, From: T0, To: T0.Add(90 * time.Second)})
	must(t, err)
	if len(window) != 1 || window[0].ID != "a2" {
		t.Fatalf("time window: %v", ids(window))
	}
	inc, err := s.Records(ctx, store.RecordQuery{Kind: store.KindIncident, Limit: 5})
	must(t, err)
	if len(inc) != 1 {
		t.Fatalf("incidents: %v", ids(inc))
	}
	if c, _ := s.Cursor(ctx, "alerts"); c != 3 {
		t.Fatalf("alerts cursor %d, want 3", c)
	}
}

func testNotFound(t *testing.T, s store.Store) {
	_, err := s.Record(context.Background(), store.KindAlert, "nope")
	if borderwatch.ErrorCodeOf(err) != borderwatch.ENOTFOUND {
		t.Fatalf("missing record: %v, want not_found", err)
	}
}

func ids(rs []store.Record) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.ID
	}
	return out
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
