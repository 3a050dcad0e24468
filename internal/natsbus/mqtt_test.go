package natsbus_test

import (
	"context"
	"encoding/json"
	"errors"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/borderwatch/borderwatch"
	"github.com/borderwatch/borderwatch/internal/natsbus"
)

// testDecode is a stand-in for internal/camera: {"id","lat","lon"}.
func testDecode(topic string, payload []byte, dst []borderwatch.Observation) ([]borderwatch.Observation, error) {
	var d struct {
		ID       string
		Lat, Lon float64
	}
	var raw map[string]any
	if err := json.Unmarshal(payload, &raw); err != nil {
		return dst, err
	}
	d.ID, _ = raw["id"].(string)
	d.Lat, _ = raw["lat"].(float64)
	d.Lon, _ = raw["lon"].(float64)
	if d.ID == "" {
		return dst, errors.New("no id")
	}
	cam := strings.Split(topic, "/")[2]
	p := borderwatch.LatLon{Lat: d.Lat, Lon: d.Lon}
	return append(dst, borderwatch.Observation{
		ID: d.ID, Time: t0, Source: borderwatch.Source{ID: cam, Kind: borderwatch.SourceThermalCamera},
		Position: &p, Cov: borderwatch.Isotropic(10), Class: borderwatch.ClassPerson, Confidence: 0.9,
		Attrs: map[string]string{"topic": topic},
	}), nil
}

func mqttLog(t *testing.T, dir string) *natsbus.Log {
	return openEmbedded(t, dir, func(o *natsbus.Options) {
		o.MQTTAddr = "127.0.0.1:0"
		o.MQTTUsers = []natsbus.User{{Username: "cam-user", Password: "s3cret"}}
	})
}

// runIngest runs IngestMQTT until the returned stop func is called.
func runIngest(t *testing.T, l *natsbus.Log, dropped chan<- string) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	ready := make(chan struct{})
	go func() {
		done <- l.IngestMQTT(ctx, natsbus.IngestOptions{
			Decode: func(topic string, p []byte, dst []borderwatch.Observation) ([]borderwatch.Observation, error) {
				return testDecode(topic, p, dst)
			},
			Sector: func(*borderwatch.Observation) string { return "s1" },
			OnError: func(topic string, err error) {
				if dropped != nil {
					dropped <- topic
				}
			},
			Started: func() { close(ready) },
		})
	}()
	select {
	case <-ready:
	case err := <-done:
		t.Fatalf("ingest: %v", err)
	}
	return func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("ingest: %v", err)
		}
	}
}

func mosquittoPub(t *testing.T, addr string, args ...string) (string, error) {
	bin := needTool(t, toolPub)
	host, port, _ := strings.Cut(addr, ":")
	full := append([]string{"-h", host, "-p", port, "-V", "mqttv311"}, args...)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, full...).CombinedOutput()
	return string(out), err
}

// waitForIDs follows the observations stream until every id arrived.
func waitForIDs(t *testing.T, l *natsbus.Log, ids ...string) map[string]borderwatch.Observation {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	want := map[string]bool{}
	for _, id := range ids {
		want[id] = true
	}
	got := map[string]borderwatch.Observation{}
	errDone := errors.New("done")
	err := l.ReadObservations(ctx, natsbus.ReadOptions{Follow: true}, func(m natsbus.Msg, obs []borderwatch.Observation) error {
		for _, o := range obs {
			if want[o.ID] {
				got[o.ID] = o
			}
		}
		if len(got) == len(want) {
			return errDone
		}
		return nil
	})
	if !errors.Is(err, errDone) {
		t.Fatalf("waiting for %v: got %d of them: %v", ids, len(got), err)
	}
	return got
}

func TestMQTTIngestMosquitto(t *testing.T) {
	needTool(t, toolPub)
	l := mqttLog(t, t.TempDir())
	defer l.Close()
	addr := l.MQTTAddr()
	if addr == "" {
		t.Fatal("no MQTT address")
	}
	dropped := make(chan string, 10)
	stop := runIngest(t, l, dropped)
	defer stop()

	tests := []struct {
		name, qos, id string
	}{
		{"qos0", "0", "det-q0"},
		{"qos1", "1", "det-q1"},
		{"qos2", "2", "det-q2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := mosquittoPub(t, addr, "-u", "cam-user", "-P", "s3cret", "-q", tt.qos, "-i", "cam-1-"+tt.name,
				"-t", "borderwatch/cameras/cam-1/detections", "-m", `{"id":"`+tt.id+`","lat":34.38,"lon":40.99}`)
			if err != nil {
				t.Fatalf("%s: %v: %s", toolPub, err, out)
			}
			got := waitForIDs(t, l, tt.id)[tt.id]
			if got.Source.ID != "cam-1" || got.Attrs["topic"] != "borderwatch/cameras/cam-1/detections" {
				t.Fatalf("observation %+v", got)
			}
		})
	}
	t.Run("each detection logged once", func(t *testing.T) {
		count := map[string]int{}
		if err := l.ReadObservations(context.Background(), natsbus.ReadOptions{}, func(m natsbus.Msg, obs []borderwatch.Observation) error {
			for _, o := range obs {
				count[o.ID]++
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if count["det-q0"] != 1 || count["det-q1"] != 1 || count["det-q2"] != 1 {
			t.Fatalf("counts %v", count)
		}
	})
	t.Run("malformed is dropped and counted", func(t *testing.T) {
		out, err := mosquittoPub(t, addr, "-u", "cam-user", "-P", "s3cret", "-q", "1",
			"-t", "borderwatch/cameras/cam-2/detections", "-m", `{not json`)
		if err != nil {
			t.Fatalf("%s: %v: %s", toolPub, err, out)
		}
		select {
		case topic := <-dropped:
			if topic != "borderwatch/cameras/cam-2/detections" {
				t.Fatalf("dropped topic %q", topic)
			}
		case <-time.After(20 * time.Second):
			t.Fatal("malformed message not reported")
		}
	})
	refused := []struct {
		name string
		args []string
	}{
		{"wrong password", []string{"-u", "cam-user", "-P", "wrong"}},
		{"unknown user", []string{"-u", "nobody", "-P", "s3cret"}},
		{"anonymous", nil},
	}
	for _, tt := range refused {
		t.Run(tt.name+" is refused", func(t *testing.T) {
			args := append(append([]string{}, tt.args...), "-t", "borderwatch/cameras/cam-1/detections", "-m", `{"id":"x"}`)
			out, err := mosquittoPub(t, addr, args...)
			if err == nil {
				t.Fatalf("%s succeeded: %s", toolPub, out)
			}
			if !strings.Contains(strings.ToLower(out), "not authori") {
				t.Fatalf("want a 'not authorised' refusal, got %v: %s", err, out)
			}
		})
	}
}

// TestMQTTQoS1SurvivesRestart: a QoS 1 detection that the broker
// acknowledged while nothing was ingesting is still delivered after the
// server is closed and reopened on the same directory.
func TestMQTTQoS1SurvivesRestart(t *testing.T) {
	needTool(t, toolPub)
	dir := t.TempDir()
	l := mqttLog(t, dir)
	stop := runIngest(t, l, nil) // creates the durable consumer
	stop()
	out, err := mosquittoPub(t, l.MQTTAddr(), "-u", "cam-user", "-P", "s3cret", "-q", "1",
		"-t", "borderwatch/cameras/cam-9/detections", "-m", `{"id":"det-acked","lat":34.1,"lon":41.2}`)
	if err != nil {
		t.Fatalf("%s: %v: %s", toolPub, err, out)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	l2 := mqttLog(t, dir)
	defer l2.Close()
	stop2 := runIngest(t, l2, nil)
	defer stop2()
	got := waitForIDs(t, l2, "det-acked")
	if got["det-acked"].Source.ID != "cam-9" {
		t.Fatalf("got %+v", got)
	}
}
