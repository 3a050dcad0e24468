package mqtt

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/borderwatch/borderwatch/internal/live"
	"github.com/borderwatch/borderwatch/internal/server"
	"github.com/borderwatch/borderwatch/internal/servertest"
)

// startServer starts borderwatch in-process with only its MQTT listener
// (the embedded nats-server broker) and HTTP off.
func startServer(t *testing.T) *server.Server {
	t.Helper()
	return servertest.Start(t, func(o *server.Options) {
		o.HTTPAddr, o.CoTTCPAddr, o.CoTUDPAddr, o.MAVLinkAddr = "", "", "", ""
	})
}

func waitFor(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	servertest.WaitFor(t, what, d, cond)
}

func TestEmbeddedBroker(t *testing.T) {
	s := startServer(t)
	user, pwFile := s.MQTTCredentials()
	pw, err := os.ReadFile(pwFile)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()

	t.Run("wrong password is refused", func(t *testing.T) {
		_, err := Dial(ctx, s.MQTTAddr(), Options{ClientID: "x", Username: user, Password: "wrong"})
		var ce *ConnectError
		if !errors.As(err, &ce) || (ce.Code != 4 && ce.Code != 5) {
			t.Fatalf("err %v, want a CONNACK refusal 4 or 5", err)
		}
	})

	cam := s.Deployment().Sensors[0]
	c, err := Dial(ctx, s.MQTTAddr(), Options{ClientID: cam.ID, Username: user, Password: strings.TrimSpace(string(pw)), KeepAlive: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	t.Run("qos1 detections become a track", func(t *testing.T) {
		start := time.Now().Add(-20 * time.Second).UTC()
		for i := range 12 {
			msg := fmt.Sprintf(`{"schema":"c2.detection/v1","source":{"id":%q},"time":%q,"class":"person","confidence":0.9,"position":{"lat":%.7f,"lon":%.7f,"ce95_m":20}}`,
				cam.ID, start.Add(time.Duration(i)*time.Second).Format(time.RFC3339Nano), cam.Position.Lat+0.01+float64(i)*1e-5, cam.Position.Lon)
			if err := c.Publish(ctx, "borderwatch/cameras/"+cam.ID+"/detections", []byte(msg), 1); err != nil {
				t.Fatal(err)
			}
		}
		waitFor(t, "a track from the camera", 15*time.Second, func() bool {
			for _, tr := range s.Live().Tracks(live.Filter{}) {
				for _, src := range tr.Sources {
					if src == cam.ID {
						return true
					}
				}
			}
			return false
		})
	})

	t.Run("ping", func(t *testing.T) {
		if err := c.Ping(ctx); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("a camera may not subscribe", func(t *testing.T) {
		g, err := c.Subscribe(ctx, "borderwatch/#", 1, func(Message) {})
		// nats-server answers a forbidden filter with 0x80.
		if err == nil || g != 0x80 {
			t.Fatalf("granted %#x err %v, want a refusal", g, err)
		}
	})
}

// mosquitto starts Debian's mosquitto broker with a password file on a
// free loopback port and returns its address.
func mosquitto(t *testing.T, user, password string) string {
	t.Helper()
	bin, err := exec.LookPath("mosquitto")
	if err != nil {
		bin = "/usr/sbin/mosquitto"
		if _, err := os.Stat(bin); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatal("mosquitto missing (apt-get install mosquitto)")
			}
			t.Skip("mosquitto missing (apt-get install mosquitto)")
		}
	}
	passwd, err := exec.LookPath("mosquitto_passwd")
	if err != nil {
		t.Skip("mosquitto_passwd missing")
	}
	dir := t.TempDir()
	pwFile := filepath.Join(dir, "passwd")
	if out, err := exec.Command(passwd, "-c", "-b", pwFile, user, password).CombinedOutput(); err != nil {
		t.Fatalf("mosquitto_passwd: %v\n%s", err, out)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	_, port, _ := net.SplitHostPort(addr)
	conf := filepath.Join(dir, "mosquitto.conf")
	cfg := fmt.Sprintf("listener %s 127.0.0.1\nallow_anonymous false\npassword_file %s\npersistence false\n", port, pwFile)
	if os.Geteuid() == 0 {
		// As root, mosquitto drops to its own user, who cannot read our
		// temporary password file.
		cfg += "user root\n"
	}
	if err := os.WriteFile(conf, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-c", conf)
	out := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	waitFor(t, "mosquitto to listen: "+out.String(), 10*time.Second, func() bool {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
		}
		return err == nil
	})
	return addr
}

func TestMosquitto(t *testing.T) {
	addr := mosquitto(t, "cam", "pw-1")
	ctx := context.Background()

	t.Run("anonymous and wrong password are refused", func(t *testing.T) {
		for _, o := range []Options{{ClientID: "a"}, {ClientID: "b", Username: "cam", Password: "nope"}} {
			_, err := Dial(ctx, addr, o)
			var ce *ConnectError
			if !errors.As(err, &ce) || (ce.Code != 4 && ce.Code != 5) {
				t.Fatalf("%+v: err %v, want a CONNACK refusal", o, err)
			}
		}
	})

	sub, err := Dial(ctx, addr, Options{ClientID: "sub", Username: "cam", Password: "pw-1"})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	var mu sync.Mutex
	got := map[string]Message{}
	for _, q := range []byte{0, 1} {
		g, err := sub.Subscribe(ctx, fmt.Sprintf("bw/q%d/+", q), q, func(m Message) {
			mu.Lock()
			got[m.Topic] = m
			mu.Unlock()
		})
		if err != nil || g != q {
			t.Fatalf("subscribe qos %d: granted %d, %v", q, g, err)
		}
	}
	pub, err := Dial(ctx, addr, Options{ClientID: "pub", Username: "cam", Password: "pw-1", KeepAlive: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()
	big := strings.Repeat("x", 300_000)
	for _, tt := range []struct {
		topic, payload string
		qos            byte
	}{{"bw/q0/a", "zero", 0}, {"bw/q1/a", "one", 1}, {"bw/q1/big", big, 1}} {
		if err := pub.Publish(ctx, tt.topic, []byte(tt.payload), tt.qos); err != nil {
			t.Fatal(err)
		}
		waitFor(t, tt.topic, 10*time.Second, func() bool {
			mu.Lock()
			defer mu.Unlock()
			m, ok := got[tt.topic]
			return ok && string(m.Payload) == tt.payload && m.QoS == tt.qos
		})
	}
	if err := pub.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	if err := pub.Publish(ctx, "bw/+/x", nil, 0); err == nil {
		t.Fatal("published to a wildcard topic")
	}
	// The broker going away ends the connection with an error.
	pub.conn.Close()
	select {
	case <-pub.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("no Done after the connection dropped")
	}
	if err := pub.Publish(ctx, "bw/q0/a", []byte("late"), 1); !errors.Is(err, ErrClosed) {
		t.Fatalf("publish after close: %v, want ErrClosed", err)
	}
}

type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
