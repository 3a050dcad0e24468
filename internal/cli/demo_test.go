package cli

import (
	"context"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/borderwatch/borderwatch"
	"github.com/borderwatch/borderwatch/internal/live"
	"github.com/borderwatch/borderwatch/internal/server"
	"github.com/borderwatch/borderwatch/internal/simnet"
)

type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func quietEnv(out *syncBuffer) *Env {
	return &Env{Stdout: out, Stderr: out, Getenv: func(string) string { return "" },
		LookupEnv: func(string) (string, bool) { return "", false }, Logger: slog.New(slog.DiscardHandler)}
}

// TestDemoShowsALivingBorder starts `borderwatch demo` on loopback ports
// and checks that tracks, patrols and drones are in the live picture (what
// the map shows) within the demo's 30-second promise, here at 5x speed,
// and that the printed exercise token reads them over the API.
func TestDemoShowsALivingBorder(t *testing.T) {
	out := &syncBuffer{}
	got := make(chan *server.Server, 1)
	demoStarted = func(s *server.Server) { got <- s }
	defer func() { demoStarted = nil }()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	args := []string{"--data", t.TempDir(), "--http", "127.0.0.1:0", "--cot-tcp", "127.0.0.1:0", "--cot-udp", "", "--cot-tls", "",
		"--mavlink", "127.0.0.1:0", "--mqtt", "127.0.0.1:0", "--web-tls", "off", "--speed", "5", "--seed", "3"}
	began := time.Now()
	go func() { done <- runDemo(ctx, quietEnv(out), args) }()
	defer func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("demo: %v", err)
			}
		case <-time.After(20 * time.Second):
			t.Error("demo did not stop")
		}
	}()
	var srv *server.Server
	select {
	case srv = <-got:
	case err := <-done:
		t.Fatalf("demo ended: %v\n%s", err, out.String())
	case <-time.After(30 * time.Second):
		t.Fatalf("demo did not start\n%s", out.String())
	}
	waitUntil(t, "tracks, patrols and drones in the live picture", 30*time.Second, func() bool {
		f := live.Filter{}
		return len(srv.Live().Tracks(f)) > 0 && len(srv.Live().Units(f)) > 0 && len(srv.Live().Drones(f)) > 0
	})
	t.Logf("after %v: %d tracks, %d units, %d drones", time.Since(began).Round(time.Millisecond),
		len(srv.Live().Tracks(live.Filter{})), len(srv.Live().Units(live.Filter{})), len(srv.Live().Drones(live.Filter{})))
	m := regexp.MustCompile(`--server-http (\S+) --token-file (\S+)`).FindStringSubmatch(out.String())
	if m == nil || !strings.Contains(out.String(), "one-time password") {
		t.Fatalf("no login or exercise command printed:\n%s", out.String())
	}
	tok, err := readSecret("token-file", m[2])
	if err != nil {
		t.Fatal(err)
	}
	var tracks []borderwatch.Track
	if err := simnet.GetJSON(ctx, &http.Client{Timeout: 5 * time.Second}, m[1]+"/api/v1/tracks", tok, &tracks); err != nil {
		t.Fatalf("the exercise token cannot read tracks: %v", err)
	}
}

func TestSplitFlags(t *testing.T) {
	var sf simFlags
	fs := newSimFlagSet(&sf)
	mine, rest := splitFlags(fs, []string{"--speed", "3", "--http", ":1", "-respond=false", "--seed=4", "--data", "d", "--no-sim"})
	if strings.Join(mine, " ") != "--speed 3 -respond=false --seed=4 --no-sim" || strings.Join(rest, " ") != "--http :1 --data d" {
		t.Fatalf("mine %q rest %q", mine, rest)
	}
}

func waitUntil(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
