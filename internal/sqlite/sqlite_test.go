package sqlite

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/borderwatch/borderwatch/internal/store"
	"github.com/borderwatch/borderwatch/internal/store/storetest"
)

func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		s, err := Open(context.Background(), filepath.Join(t.TempDir(), "bw.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}

func TestReopenKeepsDataAndSchema(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "bw.db")
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.AppendTracks(ctx, "tracks", 7, nil); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if c, _ := s.Cursor(ctx, "tracks"); c != 7 {
		t.Fatalf("cursor after reopen = %d, want 7", c)
	}
}
