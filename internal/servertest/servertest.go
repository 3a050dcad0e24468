// Package servertest starts a whole borderwatch node in-process for the
// tests of other packages (end-to-end, simulator, MQTT client): every
// listener on a loopback port chosen by the kernel, a temporary data
// directory, the embedded reference deployment. internal/server's own
// tests have their own helper (a package cannot import its own test
// helper).
package servertest

import (
	"context"
	"testing"
	"time"

	"github.com/borderwatch/borderwatch/internal/server"
)

// Start starts a node with HTTP, CoT TCP/UDP, MAVLink and MQTT on
// 127.0.0.1:0 (CoT over TLS off), lets mod change the options, and stops
// it when the test ends.
func Start(t testing.TB, mod func(*server.Options)) *server.Server {
	t.Helper()
	o := server.Defaults()
	o.DataDir = t.TempDir()
	for _, a := range []*string{&o.HTTPAddr, &o.CoTTCPAddr, &o.CoTUDPAddr, &o.MAVLinkAddr, &o.MQTTAddr} {
		*a = "127.0.0.1:0"
	}
	o.CoTTLSAddr = ""
	if mod != nil {
		mod(&o)
	}
	s, err := server.New(o)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := s.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	<-s.Ready()
	return s
}

// WaitFor polls cond every 20 ms until it holds, failing the test after d.
func WaitFor(t testing.TB, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
