// Package postgres is the scaled-out record store: a store.Store on
// PostgreSQL 15 with PostGIS 3 through pgx. Track history is loaded with
// COPY; spatial queries run in the database on a geography column with a
// GiST index (ST_DWithin on the WGS84 spheroid).
package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/borderwatch/borderwatch"
	"github.com/borderwatch/borderwatch/internal/store"
)

// DB is a PostgreSQL store.
type DB struct {
	pool *pgxpool.Pool
}

var _ store.Store = (*DB)(nil)

// migrations are applied in order, each once, under an advisory lock so
// that several nodes starting together do not race; never edit a released
// one. PostGIS must be installable by the connecting role or present.
var migrations = []string{
	`CREATE EXTENSION IF NOT EXISTS postgis;
	CREATE TABLE cursors (stream text PRIMARY KEY, seq bigint NOT NULL);
	CREATE TABLE track_points (
		track_id text NOT NULL, t timestamptz NOT NULL, sector text NOT NULL, status text NOT NULL,
		lat double precision NOT NULL, lon double precision NOT NULL,
		ve double precision NOT NULL, vn double precision NOT NULL,
		class text NOT NULL, affiliation text NOT NULL, unit_id text NOT NULL,
		chainage double precision NOT NULL, offset_m double precision NOT NULL,
		owner text NOT NULL, releasable text[] NOT NULL, exercise boolean NOT NULL,
		geog geography(Point, 4326) GENERATED ALWAYS AS (ST_SetSRID(ST_MakePoint(lon, lat), 4326)::geography) STORED);
	CREATE INDEX track_points_t ON track_points (t);
	CREATE INDEX track_points_id_t ON track_points (track_id, t);
	CREATE INDEX track_points_geog ON track_points USING gist (geog);
	CREATE TABLE records (
		kind text NOT NULL, id text NOT NULL, sector text NOT NULL, t timestamptz NOT NULL,
		lat double precision, lon double precision, owner text NOT NULL, releasable text[] NOT NULL,
		handling text NOT NULL, exercise boolean NOT NULL, doc jsonb NOT NULL, PRIMARY KEY (kind, id));
	CREATE INDEX records_kind_t ON records (kind, t);`,
}

const migrationLock = 0x626f72646572 // "border"

// Open connects to url (a postgres:// URL) and applies pending migrations.
func Open(ctx context.Context, url string) (*DB, error) {
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("postgres: connect: %w", err)
	}
	s := &DB{pool: pool}
	if err := s.migrate(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: %w", err)
	}
	return s, nil
}

func (s *DB) migrate(ctx context.Context) error {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, migrationLock); err != nil {
		return fmt.Errorf("migrate: lock: %w", err)
	}
	defer func() { _, _ = conn.Exec(context.Background(), `SELECT pg_advisory_unlock($1)`, migrationLock) }()
	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version int PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return fmt.Errorf("migrations table: %w", err)
	}
	var have int
	if err := conn.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&have); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if have > len(migrations) {
		return fmt.Errorf("schema version %d is newer than this binary knows (%d)", have, len(migrations))
	}
	for v := have + 1; v <= len(migrations); v++ {
		err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, migrations[v-1]); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version) VALUES ($1)`, v)
			return err
		})
		if err != nil {
			return fmt.Errorf("migration %d: %w", v, err)
		}
	}
	return nil
}

// Close closes the pool.
func (s *DB) Close() error { s.pool.Close(); return nil }

// advance moves stream's cursor to upto inside tx (row-locked) and reports
// whether the batch is new.
func advance(ctx context.Context, tx pgx.Tx, stream string, upto uint64) (bool, error) {
	if _, err := tx.Exec(ctx, `INSERT INTO cursors (stream, seq) VALUES ($1, 0) ON CONFLICT DO NOTHING`, stream); err != nil {
		return false, err
	}
	var cur int64
	if err := tx.QueryRow(ctx, `SELECT seq FROM cursors WHERE stream = $1 FOR UPDATE`, stream).Scan(&cur); err != nil {
		return false, err
	}
	if upto <= uint64(cur) {
		return false, nil
	}
	_, err := tx.Exec(ctx, `UPDATE cursors SET seq = $2 WHERE stream = $1`, stream, int64(upto))
	return err == nil, err
}

var trackColumns = []string{"track_id", "t", "sector", "status", "lat", "lon", "ve", "vn", "class", "affiliation",
	"unit_id", "chainage", "offset_m", "owner", "releasable", "exercise"}

// AppendTracks implements store.Store with COPY.
func (s *DB) AppendTracks(ctx context.Context, stream string, upto uint64, tracks []borderwatch.Track) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		fresh, err := advance(ctx, tx, stream, upto)
		if err != nil || !fresh {
			return err
		}
		i := 0
		_, err = tx.CopyFrom(ctx, pgx.Identifier{"track_points"}, trackColumns, pgx.CopyFromFunc(func() ([]any, error) {
			if i == len(tracks) {
				return nil, nil
			}
			t := &tracks[i]
			i++
			return []any{t.ID, t.Time, t.Sector, string(t.Status), t.Position.Lat, t.Position.Lon,
				t.Velocity.East, t.Velocity.North, string(t.Class), string(t.Affiliation), t.UnitID,
				t.Chainage, t.Offset, string(t.Label.Owner), agencies(t.Label.ReleasableTo), t.Exercise}, nil
		}))
		return err
	})
	if err != nil {
		return fmt.Errorf("postgres: append %d tracks: %w", len(tracks), err)
	}
	return nil
}

// PutRecords implements store.Store.
func (s *DB) PutRecords(ctx context.Context, stream string, upto uint64, recs []store.Record) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		fresh, err := advance(ctx, tx, stream, upto)
		if err != nil || !fresh {
			return err
		}
		var b pgx.Batch
		for _, r := range recs {
			var lat, lon *float64
			if r.Position != nil {
				lat, lon = &r.Position.Lat, &r.Position.Lon
			}
			b.Queue(`INSERT INTO records VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11)
				ON CONFLICT (kind, id) DO UPDATE SET sector = excluded.sector, t = excluded.t, lat = excluded.lat,
				lon = excluded.lon, owner = excluded.owner, releasable = excluded.releasable,
				handling = excluded.handling, exercise = excluded.exercise, doc = excluded.doc
				WHERE excluded.t >= records.t`,
				r.Kind, r.ID, r.Sector, r.Time, lat, lon, string(r.Label.Owner), agencies(r.Label.ReleasableTo),
				r.Label.Handling, r.Exercise, []byte(r.Doc))
		}
		return tx.SendBatch(ctx, &b).Close()
	})
	if err != nil {
		return fmt.Errorf("postgres: put %d records: %w", len(recs), err)
	}
	return nil
}

// Cursor implements store.Store.
func (s *DB) Cursor(ctx context.Context, stream string) (uint64, error) {
	var cur int64
	err := s.pool.QueryRow(ctx, `SELECT seq FROM cursors WHERE stream = $1`, stream).Scan(&cur)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("postgres: cursor %s: %w", stream, err)
	}
	return uint64(cur), nil
}

const trackSelect = `SELECT track_id, t, sector, status, lat, lon, ve, vn, class, affiliation, unit_id,
	chainage, offset_m, owner, releasable, exercise FROM track_points `

// TracksWithin implements store.Store; the distance test runs in PostGIS
// on the spheroid, using the GiST index.
func (s *DB) TracksWithin(ctx context.Context, c borderwatch.LatLon, radiusM float64, from, to time.Time) ([]borderwatch.Track, error) {
	rows, err := s.pool.Query(ctx, trackSelect+`WHERE ST_DWithin(geog, ST_SetSRID(ST_MakePoint($1, $2), 4326)::geography, $3)
		AND t >= $4 AND t < $5 ORDER BY t, track_id`, c.Lon, c.Lat, radiusM, from, to)
	if err != nil {
		return nil, fmt.Errorf("postgres: tracks within: %w", err)
	}
	return scanTracks(rows)
}

// TrackHistory implements store.Store.
func (s *DB) TrackHistory(ctx context.Context, id string, from, to time.Time) ([]borderwatch.Track, error) {
	rows, err := s.pool.Query(ctx, trackSelect+`WHERE track_id = $1 AND t >= $2 AND t < $3 ORDER BY t`, id, from, to)
	if err != nil {
		return nil, fmt.Errorf("postgres: track history %s: %w", id, err)
	}
	return scanTracks(rows)
}

// Tracks implements store.Store.
func (s *DB) Tracks(ctx context.Context, from, to time.Time, limit int) ([]borderwatch.Track, error) {
	var lim any // NULL = no limit
	if limit > 0 {
		lim = limit
	}
	rows, err := s.pool.Query(ctx, trackSelect+`WHERE t >= $1 AND t < $2 ORDER BY t, track_id LIMIT $3`, from, to, lim)
	if err != nil {
		return nil, fmt.Errorf("postgres: tracks: %w", err)
	}
	return scanTracks(rows)
}

func scanTracks(rows pgx.Rows) ([]borderwatch.Track, error) {
	defer rows.Close()
	var out []borderwatch.Track
	for rows.Next() {
		var (
			t                         borderwatch.Track
			status, class, aff, owner string
			rel                       []string
		)
		if err := rows.Scan(&t.ID, &t.Time, &t.Sector, &status, &t.Position.Lat, &t.Position.Lon,
			&t.Velocity.East, &t.Velocity.North, &class, &aff, &t.UnitID, &t.Chainage, &t.Offset,
			&owner, &rel, &t.Exercise); err != nil {
			return nil, fmt.Errorf("postgres: scan track: %w", err)
		}
		t.Time = t.Time.UTC()
		t.Status, t.Class, t.Affiliation = borderwatch.TrackStatus(status), borderwatch.Class(class), borderwatch.Affiliation(aff)
		t.Label = borderwatch.Label{Owner: borderwatch.Agency(owner), ReleasableTo: toAgencies(rel)}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: tracks: %w", err)
	}
	return out, nil
}

const recordSelect = `SELECT kind, id, sector, t, lat, lon, owner, releasable, handling, exercise, doc FROM records `

// Records implements store.Store.
func (s *DB) Records(ctx context.Context, q store.RecordQuery) ([]store.Record, error) {
	where, args := []string{"kind = $1"}, []any{q.Kind}
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, fmt.Sprintf(cond, len(args)))
	}
	if q.Sector != "" {
		add("sector = $%d", q.Sector)
	}
	if !q.From.IsZero() {
		add("t >= $%d", q.From)
	}
	if !q.To.IsZero() {
		add("t < $%d", q.To)
	}
	limit := q.Limit
	if limit <= 0 {
		limit = store.DefaultLimit
	}
	args = append(args, limit)
	rows, err := s.pool.Query(ctx, recordSelect+`WHERE `+strings.Join(where, " AND ")+
		fmt.Sprintf(` ORDER BY t DESC, id LIMIT $%d`, len(args)), args...)
	if err != nil {
		return nil, fmt.Errorf("postgres: records %s: %w", q.Kind, err)
	}
	defer rows.Close()
	var out []store.Record
	for rows.Next() {
		r, err := scanRecord(rows)
		if err != nil {
			return nil, fmt.Errorf("postgres: records %s: %w", q.Kind, err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Record implements store.Store.
func (s *DB) Record(ctx context.Context, kind, id string) (store.Record, error) {
	r, err := scanRecord(s.pool.QueryRow(ctx, recordSelect+`WHERE kind = $1 AND id = $2`, kind, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return r, borderwatch.Errorf(borderwatch.ENOTFOUND, "%s %s not found", kind, id)
	}
	if err != nil {
		return r, fmt.Errorf("postgres: %s %s: %w", kind, id, err)
	}
	return r, nil
}

func scanRecord(row pgx.Row) (store.Record, error) {
	var (
		r        store.Record
		lat, lon *float64
		owner    string
		rel      []string
		doc      []byte
	)
	if err := row.Scan(&r.Kind, &r.ID, &r.Sector, &r.Time, &lat, &lon, &owner, &rel, &r.Label.Handling, &r.Exercise, &doc); err != nil {
		return r, err
	}
	r.Time = r.Time.UTC()
	if lat != nil && lon != nil {
		r.Position = &borderwatch.LatLon{Lat: *lat, Lon: *lon}
	}
	r.Label.Owner, r.Label.ReleasableTo = borderwatch.Agency(owner), toAgencies(rel)
	r.Doc = json.RawMessage(doc)
	return r, nil
}

func agencies(as []borderwatch.Agency) []string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = string(a)
	}
	return out
}

func toAgencies(ss []string) []borderwatch.Agency {
	if len(ss) == 0 {
		return nil
	}
	out := make([]borderwatch.Agency, len(ss))
	for i, s := range ss {
		out[i] = borderwatch.Agency(s)
	}
	return out
}
