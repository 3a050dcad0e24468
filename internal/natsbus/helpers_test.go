package natsbus_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/borderwatch/borderwatch"
	"github.com/borderwatch/borderwatch/internal/natsbus"
)

// Debian's MQTT tools (the broker and its clients' packages): proper
// names, not misspellings.
const (
	toolBroker = "mosquitto"        //nolint:misspell
	toolPub    = "mosquitto_pub"    //nolint:misspell
	toolPasswd = "mosquitto_passwd" //nolint:misspell
)

// needTool returns the path of a tool; a missing tool fails the test under
// CI=true and skips it otherwise.
func needTool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err == nil {
		return p
	}
	for _, dir := range []string{"/usr/sbin", "/usr/bin", "/usr/local/bin"} {
		if _, err := os.Stat(dir + "/" + name); err == nil {
			return dir + "/" + name
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s not found: install it (CI must run this test)", name)
	}
	t.Skipf("%s not installed; skipping (CI=true makes this a failure)", name)
	return ""
}

func openEmbedded(t testing.TB, dir string, mod func(*natsbus.Options)) *natsbus.Log {
	t.Helper()
	o := natsbus.Options{DataDir: dir}
	if mod != nil {
		mod(&o)
	}
	l, err := natsbus.New(o)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := l.Start(ctx); err != nil {
		t.Fatal(err)
	}
	return l
}

var listenRE = regexp.MustCompile(`Listening for client connections on [0-9.]+:(\d+)`)

// readyWriter watches nats-server's log for its port and readiness.
type readyWriter struct {
	mu    sync.Mutex
	buf   []byte
	port  string
	ready chan string
}

func (w *readyWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			break
		}
		line := string(w.buf[:i])
		w.buf = w.buf[i+1:]
		if m := listenRE.FindStringSubmatch(line); m != nil {
			w.port = m[1]
		}
		if w.port != "" && w.ready != nil && strings.Contains(line, "Server is ready") {
			w.ready <- "nats://127.0.0.1:" + w.port
			w.ready = nil
		}
	}
	return len(p), nil
}

// startExternal runs Debian's nats-server with JetStream in a temp dir on
// a loopback port chosen by the server and returns its URL.
func startExternal(t testing.TB) string {
	u, _ := startExternalProc(t)
	return u
}

// startExternalProc is startExternal that also returns the process.
func startExternalProc(t testing.TB) (string, *os.Process) {
	t.Helper()
	bin := needTool(t, "nats-server")
	dir := t.TempDir()
	ready := make(chan string, 1)
	cmd := exec.Command(bin, "-a", "127.0.0.1", "-p", "-1", "-js", "-sd", dir)
	cmd.Stderr = &readyWriter{ready: ready}
	cmd.Stdout = cmd.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
	})
	select {
	case u := <-ready:
		return u, cmd.Process
	case err := <-exited:
		t.Fatalf("nats-server exited before it was ready: %v", err)
	case <-time.After(20 * time.Second):
		t.Fatal("nats-server not ready within 20s")
	}
	return "", nil
}

func openExternal(t testing.TB, url string) *natsbus.Log {
	t.Helper()
	l, err := natsbus.New(natsbus.Options{URLs: []string{url}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := l.Start(ctx); err != nil {
		t.Fatal(err)
	}
	return l
}

var t0 = time.Date(2026, 11, 22, 1, 14, 49, 123000000, time.UTC)

// sampleObs returns n varied observations with ids prefix-i.
func sampleObs(prefix string, n int) []borderwatch.Observation {
	out := make([]borderwatch.Observation, n)
	for i := range out {
		p := borderwatch.LatLon{Lat: 34.1 + float64(i)*1e-5, Lon: 41.0 + float64(i%97)*1e-5}
		out[i] = borderwatch.Observation{
			ID:         prefix + "-" + strconv.Itoa(i),
			Time:       t0.Add(time.Duration(i) * time.Millisecond),
			Source:     borderwatch.Source{ID: "cam-" + strconv.Itoa(i%200), Kind: borderwatch.SourceThermalCamera},
			Position:   &p,
			Cov:        borderwatch.Isotropic(25),
			Class:      borderwatch.ClassPerson,
			Confidence: 0.87,
			Label:      borderwatch.Label{Owner: "ibg", ReleasableTo: []borderwatch.Agency{"army"}},
		}
	}
	return out
}

func fmtObs(o borderwatch.Observation) string {
	b, err := json.Marshal(o)
	if err != nil {
		panic(err)
	}
	return string(b)
}
