package postgres

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/borderwatch/borderwatch/internal/store"
	"github.com/borderwatch/borderwatch/internal/store/storetest"
)

var schemaSeq atomic.Int64

// testURL returns a URL to a fresh schema of the test database named by
// BORDERWATCH_TEST_POSTGRES_URL (scripts/test.sh starts one).
func testURL(t testing.TB) string {
	t.Helper()
	base := os.Getenv("BORDERWATCH_TEST_POSTGRES_URL")
	if base == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("BORDERWATCH_TEST_POSTGRES_URL is not set; scripts/test.sh starts PostgreSQL and sets it")
		}
		t.Skip("BORDERWATCH_TEST_POSTGRES_URL is not set (run scripts/test.sh)")
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("connect %s: %v", base, err)
	}
	defer conn.Close(ctx)
	// PostGIS lives in public, once per database; each test gets its own schema.
	if _, err := conn.Exec(ctx, `CREATE EXTENSION IF NOT EXISTS postgis`); err != nil {
		t.Fatalf("postgis: %v", err)
	}
	schema := fmt.Sprintf("bwtest_%d_%d", time.Now().UnixNano(), schemaSeq.Add(1))
	if _, err := conn.Exec(ctx, `CREATE SCHEMA `+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(context.Background(), base)
		if err == nil {
			c.Exec(context.Background(), `DROP SCHEMA `+schema+` CASCADE`)
			c.Close(context.Background())
		}
	})
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	return base + sep + "search_path=" + schema + ",public"
}

func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		s, err := Open(context.Background(), testURL(t))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}

func TestSpatialQueryUsesGiSTIndex(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, testURL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// An empty table would be scanned sequentially whatever the indexes;
	// forbid that to see which index the query can use.
	var plan strings.Builder
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	conn.Exec(ctx, `SET enable_seqscan = off`)
	rows, err := conn.Query(ctx, `EXPLAIN (COSTS OFF) SELECT track_id FROM track_points
		WHERE ST_DWithin(geog, ST_SetSRID(ST_MakePoint(41.0, 34.4), 4326)::geography, 5000)`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var line string
		rows.Scan(&line)
		plan.WriteString(line + "\n")
	}
	rows.Close()
	if !strings.Contains(plan.String(), "track_points_geog") {
		t.Fatalf("spatial query does not use the GiST index:\n%s", plan.String())
	}
}
