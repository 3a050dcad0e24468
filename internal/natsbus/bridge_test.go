package natsbus_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/borderwatch/borderwatch"
	"github.com/borderwatch/borderwatch/internal/natsbus"
)

// startMosquitto runs Debian's MQTT broker on a loopback port with a
// password file and returns its address.
func startMosquitto(t *testing.T) string {
	t.Helper()
	bin := needTool(t, toolBroker)
	passwd := needTool(t, toolPasswd)
	dir := t.TempDir()
	pwFile := filepath.Join(dir, "passwd")
	if out, err := exec.Command(passwd, "-c", "-b", pwFile, "site", "site-pw").CombinedOutput(); err != nil {
		t.Fatalf("%s: %v: %s", toolPasswd, err, out)
	}
	for attempt := 0; ; attempt++ {
		// The broker cannot pick its own port: take a free one and hand it over.
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := ln.Addr().(*net.TCPAddr).Port
		ln.Close()
		conf := filepath.Join(dir, "broker.conf")
		cfg := fmt.Sprintf("listener %d 127.0.0.1\nallow_anonymous false\npassword_file %s\npersistence false\nlog_dest stderr\n", port, pwFile)
		if os.Geteuid() == 0 {
			// Started as root, the broker drops to its own user, which
			// cannot read the test's private temp dir.
			cfg += "user root\n"
		}
		if err := os.WriteFile(conf, []byte(cfg), 0o600); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(bin, "-c", conf)
		var logs strings.Builder
		cmd.Stderr = &logs
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		addr := "127.0.0.1:" + strconv.Itoa(port)
		// Ready when it accepts connections (or exited: port taken).
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) {
			select {
			case <-exited:
				goto retry
			default:
			}
			if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
				c.Close()
				t.Cleanup(func() {
					_ = cmd.Process.Kill()
					<-exited
				})
				return addr
			}
			time.Sleep(20 * time.Millisecond) // waiting for a child process to listen
		}
		_ = cmd.Process.Kill()
		<-exited
	retry:
		if attempt == 3 {
			t.Fatalf("%s did not start: %s", toolBroker, logs.String())
		}
	}
}

func runBridge(t *testing.T, l *natsbus.Log, url string) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	connected := make(chan struct{}, 8)
	done := make(chan error, 1)
	go func() {
		done <- l.BridgeMQTT(ctx, natsbus.BridgeOptions{
			URL:       url,
			ClientID:  "borderwatch-test",
			Topics:    []string{"borderwatch/cameras/#"},
			OnConnect: func() { connected <- struct{}{} },
			Ingest: natsbus.IngestOptions{
				Decode: testDecode,
				Sector: func(*borderwatch.Observation) string { return "s1" },
			},
		})
	}()
	select {
	case <-connected:
	case err := <-done:
		t.Fatalf("bridge: %v", err)
	case <-time.After(20 * time.Second):
		t.Fatal("bridge did not connect")
	}
	return func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}

// TestBridgeMosquitto subscribes to an external broker (Debian's):
// detections published there arrive in the log, including QoS 1 ones
// published while the bridge was away (persistent session).
func TestBridgeMosquitto(t *testing.T) {
	addr := startMosquitto(t)
	l := openEmbedded(t, t.TempDir(), nil)
	defer l.Close()
	url := "mqtt://site:site-pw@" + addr

	stop := runBridge(t, l, url)
	out, err := mosquittoPub(t, addr, "-u", "site", "-P", "site-pw", "-q", "1",
		"-t", "borderwatch/cameras/cam-5/detections", "-m", `{"id":"ext-1","lat":34.2,"lon":41.0}`)
	if err != nil {
		t.Fatalf("%s: %v: %s", toolPub, err, out)
	}
	if got := waitForIDs(t, l, "ext-1")["ext-1"]; got.Source.ID != "cam-5" {
		t.Fatalf("got %+v", got)
	}
	stop()

	// While the bridge is down the broker queues QoS 1 for its session.
	for i := range 3 {
		out, err := mosquittoPub(t, addr, "-u", "site", "-P", "site-pw", "-q", "1",
			"-t", "borderwatch/cameras/cam-6/detections", "-m", `{"id":"ext-away-`+strconv.Itoa(i)+`","lat":34.2,"lon":41.0}`)
		if err != nil {
			t.Fatalf("%s: %v: %s", toolPub, err, out)
		}
	}
	stop = runBridge(t, l, url)
	defer stop()
	waitForIDs(t, l, "ext-away-0", "ext-away-1", "ext-away-2")
}

func TestBridgeOptions(t *testing.T) {
	l := openEmbedded(t, t.TempDir(), nil)
	defer l.Close()
	tests := []struct {
		name string
		o    natsbus.BridgeOptions
		want string
	}{
		{"bad scheme", natsbus.BridgeOptions{URL: "http://x:1883", ClientID: "a", Ingest: natsbus.IngestOptions{Decode: testDecode}}, "bridge url"},
		{"no client id", natsbus.BridgeOptions{URL: "mqtt://x:1883", Ingest: natsbus.IngestOptions{Decode: testDecode}}, "ClientID"},
		{"no decoder", natsbus.BridgeOptions{URL: "mqtt://x:1883", ClientID: "a"}, "Decode"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := l.BridgeMQTT(context.Background(), tt.o)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err %v, want %q", err, tt.want)
			}
		})
	}
}
