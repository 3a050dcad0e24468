// Package store defines the record store: the queryable projection of the
// event log (track history, alerts, incidents and other records) that the
// API, replay and exports read. Two implementations exist — internal/sqlite
// (embedded default) and internal/postgres (PostgreSQL + PostGIS, scaled
// out) — and both must pass the one contract suite in storetest.
//
// A store applies the log exactly once: every write carries the log
// stream and the sequence it reaches, stored in the same transaction as
// the rows, and a write at or below the stored cursor is a no-op. So a
// projection that crashes and re-reads the log from its cursor never
// duplicates a row.
package store

import (
	"context"
	"encoding/json"
	"time"

	"github.com/borderwatch/borderwatch"
)

// Store is the record store.
type Store interface {
	// AppendTracks stores track states read from stream up to log sequence
	// upto. It is a no-op when upto <= Cursor(stream).
	AppendTracks(ctx context.Context, stream string, upto uint64, tracks []borderwatch.Track) error
	// PutRecords upserts records read from stream up to upto: a record
	// replaces the stored one with the same Kind and ID unless the stored
	// one has a later Time. A no-op when upto <= Cursor(stream).
	PutRecords(ctx context.Context, stream string, upto uint64, recs []Record) error
	// Cursor is the last log sequence applied from stream, 0 if none.
	Cursor(ctx context.Context, stream string) (uint64, error)

	// TracksWithin returns the track states within radiusM metres of
	// center with from <= Time < to, ordered by time then track id.
	TracksWithin(ctx context.Context, center borderwatch.LatLon, radiusM float64, from, to time.Time) ([]borderwatch.Track, error)
	// TrackHistory returns one track's states with from <= Time < to in
	// time order.
	TrackHistory(ctx context.Context, id string, from, to time.Time) ([]borderwatch.Track, error)
	// Tracks returns every track state with from <= Time < to in time
	// order, at most limit rows (limit <= 0: no limit).
	Tracks(ctx context.Context, from, to time.Time, limit int) ([]borderwatch.Track, error)
	// Records returns records of a kind matching q, newest first.
	Records(ctx context.Context, q RecordQuery) ([]Record, error)
	// Record returns one record; a missing one is an ENOTFOUND error.
	Record(ctx context.Context, kind, id string) (Record, error)

	Close() error
}

// Record kinds.
const (
	KindAlert       = "alert"
	KindIncident    = "incident"
	KindSuppression = "suppression" // a finding the rules suppressed, kept for review
)

// Record is a document-shaped record (an alert, an incident) with the
// columns queries filter on.
type Record struct {
	Kind     string              `json:"kind"`
	ID       string              `json:"id"`
	Sector   string              `json:"sector"`
	Time     time.Time           `json:"time"`
	Position *borderwatch.LatLon `json:"position,omitempty"`
	Label    borderwatch.Label   `json:"label"`
	Exercise bool                `json:"exercise,omitempty"`
	// Doc is the record itself as JSON.
	Doc json.RawMessage `json:"doc"`
}

// RecordQuery selects records of Kind with From <= Time < To (zero bounds
// are open), optionally in one Sector, at most Limit (<= 0: 1000).
type RecordQuery struct {
	Kind     string
	Sector   string
	From, To time.Time
	Limit    int
}

// DefaultLimit bounds a record query without a limit.
const DefaultLimit = 1000
