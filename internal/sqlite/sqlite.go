// Package sqlite is the embedded record store: a store.Store on SQLite
// through the pure-Go modernc.org/sqlite driver, in WAL mode in the data
// directory. Spatial queries prefilter on a latitude/longitude box in SQL
// and finish with the WGS84 geodesic distance.
package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	_ "modernc.org/sqlite" // the database/sql driver "sqlite"

	"github.com/borderwatch/borderwatch"
	"github.com/borderwatch/borderwatch/internal/geo"
	"github.com/borderwatch/borderwatch/internal/store"
)

// DB is a SQLite store.
type DB struct {
	db *sql.DB
}

var _ store.Store = (*DB)(nil)

// migrations are applied in order, each once; never edit a released one.
var migrations = []string{
	`CREATE TABLE cursors (stream TEXT PRIMARY KEY, seq INTEGER NOT NULL);
	CREATE TABLE track_points (
		track_id TEXT NOT NULL, t INTEGER NOT NULL, sector TEXT NOT NULL, status TEXT NOT NULL,
		lat REAL NOT NULL, lon REAL NOT NULL, ve REAL NOT NULL, vn REAL NOT NULL,
		class TEXT NOT NULL, affiliation TEXT NOT NULL, unit_id TEXT NOT NULL,
		chainage REAL NOT NULL, offset_m REAL NOT NULL,
		owner TEXT NOT NULL, releasable TEXT NOT NULL, exercise INTEGER NOT NULL);
	CREATE INDEX track_points_t ON track_points (t);
	CREATE INDEX track_points_id_t ON track_points (track_id, t);
	CREATE TABLE records (
		kind TEXT NOT NULL, id TEXT NOT NULL, sector TEXT NOT NULL, t INTEGER NOT NULL,
		lat REAL, lon REAL, owner TEXT NOT NULL, releasable TEXT NOT NULL, handling TEXT NOT NULL,
		exercise INTEGER NOT NULL, doc TEXT NOT NULL, PRIMARY KEY (kind, id));
	CREATE INDEX records_kind_t ON records (kind, t);`,
}

// Open opens (creating if needed) the store at path and applies pending
// migrations.
func Open(ctx context.Context, path string) (*DB, error) {
	dsn := "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	db.SetMaxOpenConns(1) // one writer; SQLite serialises writes anyway
	s := &DB{db: db}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: %s: %w", path, err)
	}
	return s, nil
}

func (s *DB) migrate(ctx context.Context) error {
	if _, err := s.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)`); err != nil {
		return fmt.Errorf("migrations table: %w", err)
	}
	var have int
	if err := s.db.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&have); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if have > len(migrations) {
		return fmt.Errorf("schema version %d is newer than this binary knows (%d)", have, len(migrations))
	}
	for v := have + 1; v <= len(migrations); v++ {
		tx, err := s.db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, migrations[v-1]); err != nil {
			_ = tx.Rollback()
			return fmt.Errorf("migration %d: %w", v, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations VALUES (?, ?)`, v, time.Now().UTC().Format(time.RFC3339)); err != nil {
			_ = tx.Rollback()
			return fmt.Errorf("migration %d: %w", v, err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("migration %d: %w", v, err)
		}
	}
	return nil
}

// Close closes the database.
func (s *DB) Close() error { return s.db.Close() }

// advance moves stream's cursor to upto inside tx and reports whether the
// batch is new (upto beyond the stored cursor).
func advance(ctx context.Context, tx *sql.Tx, stream string, upto uint64) (bool, error) {
	var cur int64
	err := tx.QueryRowContext(ctx, `SELECT seq FROM cursors WHERE stream = ?`, stream).Scan(&cur)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return false, err
	}
	if upto <= uint64(cur) {
		return false, nil
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO cursors (stream, seq) VALUES (?, ?) ON CONFLICT (stream) DO UPDATE SET seq = excluded.seq`, stream, int64(upto))
	return err == nil, err
}

// AppendTracks implements store.Store.
func (s *DB) AppendTracks(ctx context.Context, stream string, upto uint64, tracks []borderwatch.Track) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: append tracks: %w", err)
	}
	defer func() { _ = tx.Rollback() }() // a no-op after Commit
	fresh, err := advance(ctx, tx, stream, upto)
	if err != nil || !fresh {
		if err != nil {
			return fmt.Errorf("sqlite: append tracks: cursor: %w", err)
		}
		return nil
	}
	st, err := tx.PrepareContext(ctx, `INSERT INTO track_points VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`)
	if err != nil {
		return fmt.Errorf("sqlite: append tracks: %w", err)
	}
	defer st.Close()
	for _, t := range tracks {
		if _, err := st.ExecContext(ctx, t.ID, t.Time.UnixNano(), t.Sector, string(t.Status),
			t.Position.Lat, t.Position.Lon, t.Velocity.East, t.Velocity.North,
			string(t.Class), string(t.Affiliation), t.UnitID, t.Chainage, t.Offset,
			string(t.Label.Owner), agencies(t.Label.ReleasableTo), boolInt(t.Exercise)); err != nil {
			return fmt.Errorf("sqlite: append track %s: %w", t.ID, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: append tracks: commit: %w", err)
	}
	return nil
}

// PutRecords implements store.Store.
func (s *DB) PutRecords(ctx context.Context, stream string, upto uint64, recs []store.Record) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: put records: %w", err)
	}
	defer func() { _ = tx.Rollback() }() // a no-op after Commit
	fresh, err := advance(ctx, tx, stream, upto)
	if err != nil || !fresh {
		if err != nil {
			return fmt.Errorf("sqlite: put records: cursor: %w", err)
		}
		return nil
	}
	st, err := tx.PrepareContext(ctx, `INSERT INTO records VALUES (?,?,?,?,?,?,?,?,?,?,?)
		ON CONFLICT (kind, id) DO UPDATE SET sector = excluded.sector, t = excluded.t, lat = excluded.lat,
		lon = excluded.lon, owner = excluded.owner, releasable = excluded.releasable, handling = excluded.handling,
		exercise = excluded.exercise, doc = excluded.doc WHERE excluded.t >= records.t`)
	if err != nil {
		return fmt.Errorf("sqlite: put records: %w", err)
	}
	defer st.Close()
	for _, r := range recs {
		var lat, lon any
		if r.Position != nil {
			lat, lon = r.Position.Lat, r.Position.Lon
		}
		if _, err := st.ExecContext(ctx, r.Kind, r.ID, r.Sector, r.Time.UnixNano(), lat, lon,
			string(r.Label.Owner), agencies(r.Label.ReleasableTo), r.Label.Handling, boolInt(r.Exercise), string(r.Doc)); err != nil {
			return fmt.Errorf("sqlite: put %s %s: %w", r.Kind, r.ID, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: put records: commit: %w", err)
	}
	return nil
}

// Cursor implements store.Store.
func (s *DB) Cursor(ctx context.Context, stream string) (uint64, error) {
	var cur int64
	err := s.db.QueryRowContext(ctx, `SELECT seq FROM cursors WHERE stream = ?`, stream).Scan(&cur)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("sqlite: cursor %s: %w", stream, err)
	}
	return uint64(cur), nil
}

const trackCols = `track_id, t, sector, status, lat, lon, ve, vn, class, affiliation, unit_id, chainage, offset_m, owner, releasable, exercise`

// TracksWithin implements store.Store.
func (s *DB) TracksWithin(ctx context.Context, c borderwatch.LatLon, radiusM float64, from, to time.Time) ([]borderwatch.Track, error) {
	// A box safely larger than the circle (1° of latitude ≥ 110.5 km).
	dLat := radiusM/110_500 + 1e-6
	dLon := radiusM/(110_500*math.Max(math.Cos(c.Lat*math.Pi/180), 0.01)) + 1e-6
	rows, err := s.db.QueryContext(ctx, `SELECT `+trackCols+` FROM track_points
		WHERE t >= ? AND t < ? AND lat BETWEEN ? AND ? AND lon BETWEEN ? AND ? ORDER BY t, track_id`,
		from.UnixNano(), to.UnixNano(), c.Lat-dLat, c.Lat+dLat, c.Lon-dLon, c.Lon+dLon)
	if err != nil {
		return nil, fmt.Errorf("sqlite: tracks within: %w", err)
	}
	all, err := scanTracks(rows)
	if err != nil {
		return nil, fmt.Errorf("sqlite: tracks within: %w", err)
	}
	out := all[:0]
	for _, t := range all {
		if geo.Distance(c, t.Position) <= radiusM {
			out = append(out, t)
		}
	}
	return out, nil
}

// TrackHistory implements store.Store.
func (s *DB) TrackHistory(ctx context.Context, id string, from, to time.Time) ([]borderwatch.Track, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+trackCols+` FROM track_points
		WHERE track_id = ? AND t >= ? AND t < ? ORDER BY t`, id, from.UnixNano(), to.UnixNano())
	if err != nil {
		return nil, fmt.Errorf("sqlite: track history %s: %w", id, err)
	}
	return scanTracks(rows)
}

// Tracks implements store.Store.
func (s *DB) Tracks(ctx context.Context, from, to time.Time, limit int) ([]borderwatch.Track, error) {
	if limit <= 0 {
		limit = -1
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+trackCols+` FROM track_points
		WHERE t >= ? AND t < ? ORDER BY t, track_id LIMIT ?`, from.UnixNano(), to.UnixNano(), limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: tracks: %w", err)
	}
	return scanTracks(rows)
}

func scanTracks(rows *sql.Rows) ([]borderwatch.Track, error) {
	defer rows.Close()
	var out []borderwatch.Track
	for rows.Next() {
		var (
			t                              borderwatch.Track
			ns                             int64
			status, class, aff, owner, rel string
			exercise                       int
		)
		if err := rows.Scan(&t.ID, &ns, &t.Sector, &status, &t.Position.Lat, &t.Position.Lon,
			&t.Velocity.East, &t.Velocity.North, &class, &aff, &t.UnitID, &t.Chainage, &t.Offset,
			&owner, &rel, &exercise); err != nil {
			return nil, err
		}
		t.Time = time.Unix(0, ns).UTC()
		t.Status, t.Class, t.Affiliation = borderwatch.TrackStatus(status), borderwatch.Class(class), borderwatch.Affiliation(aff)
		t.Label = borderwatch.Label{Owner: borderwatch.Agency(owner), ReleasableTo: parseAgencies(rel)}
		t.Exercise = exercise != 0
		out = append(out, t)
	}
	return out, rows.Err()
}

const recordCols = `kind, id, sector, t, lat, lon, owner, releasable, handling, exercise, doc`

// Records implements store.Store.
func (s *DB) Records(ctx context.Context, q store.RecordQuery) ([]store.Record, error) {
	var (
		where = []string{"kind = ?"}
		args  = []any{q.Kind}
	)
	if q.Sector != "" {
		where, args = append(where, "sector = ?"), append(args, q.Sector)
	}
	if !q.From.IsZero() {
		where, args = append(where, "t >= ?"), append(args, q.From.UnixNano())
	}
	if !q.To.IsZero() {
		where, args = append(where, "t < ?"), append(args, q.To.UnixNano())
	}
	limit := q.Limit
	if limit <= 0 {
		limit = store.DefaultLimit
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+recordCols+` FROM records WHERE `+strings.Join(where, " AND ")+
		` ORDER BY t DESC, id LIMIT ?`, append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: records %s: %w", q.Kind, err)
	}
	defer rows.Close()
	var out []store.Record
	for rows.Next() {
		r, err := scanRecord(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: records %s: %w", q.Kind, err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Record implements store.Store.
func (s *DB) Record(ctx context.Context, kind, id string) (store.Record, error) {
	r, err := scanRecord(s.db.QueryRowContext(ctx, `SELECT `+recordCols+` FROM records WHERE kind = ? AND id = ?`, kind, id))
	if errors.Is(err, sql.ErrNoRows) {
		return r, borderwatch.Errorf(borderwatch.ENOTFOUND, "%s %s not found", kind, id)
	}
	if err != nil {
		return r, fmt.Errorf("sqlite: %s %s: %w", kind, id, err)
	}
	return r, nil
}

func scanRecord(row interface{ Scan(...any) error }) (store.Record, error) {
	var (
		r               store.Record
		ns              int64
		lat, lon        sql.NullFloat64
		owner, rel, doc string
		exercise        int
	)
	if err := row.Scan(&r.Kind, &r.ID, &r.Sector, &ns, &lat, &lon, &owner, &rel, &r.Label.Handling, &exercise, &doc); err != nil {
		return r, err
	}
	r.Time = time.Unix(0, ns).UTC()
	if lat.Valid && lon.Valid {
		r.Position = &borderwatch.LatLon{Lat: lat.Float64, Lon: lon.Float64}
	}
	r.Label.Owner, r.Label.ReleasableTo = borderwatch.Agency(owner), parseAgencies(rel)
	r.Exercise = exercise != 0
	r.Doc = json.RawMessage(doc)
	return r, nil
}

func agencies(as []borderwatch.Agency) string {
	b, _ := json.Marshal(as)
	return string(b)
}

func parseAgencies(s string) []borderwatch.Agency {
	var as []borderwatch.Agency
	if err := json.Unmarshal([]byte(s), &as); err != nil || len(as) == 0 {
		return nil
	}
	return as
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
