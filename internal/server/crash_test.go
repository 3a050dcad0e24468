package server

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/borderwatch/borderwatch"
	"github.com/borderwatch/borderwatch/internal/natsbus"
)

// TestCrashSafety kills a real borderwatch process with SIGKILL while
// integrators post observations over HTTP and cameras publish over MQTT
// (QoS 1), several times over one data directory. Afterwards every
// observation acknowledged over HTTP (202) is in the log exactly once, and
// the store has caught up with every alert in the log.
func TestCrashSafety(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills a real process")
	}
	bin := filepath.Join(t.TempDir(), "borderwatch")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/borderwatch/borderwatch/cmd/borderwatch").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	data := t.TempDir()
	folder, err := loadDeployment("")
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	var acked, mqttAcked []string
	const cycles = 5
	for cycle := range cycles {
		p := startProcess(t, bin, data)
		// A vehicle crossing the line, so that alerts are raised and logged.
		postTo(t, p, crossingAt(folder.Line, 150+20*float64(cycle), time.Now().Add(-70*time.Second), 70))
		ids, mqttIDs := loadUntilKilled(t, p, cycle, time.Duration(300+rng.IntN(700))*time.Millisecond)
		acked = append(acked, ids...)
		mqttAcked = append(mqttAcked, mqttIDs...)
	}
	if len(acked) < 100 {
		t.Fatalf("only %d observations acknowledged across %d cycles: the load did not run", len(acked), cycles)
	}

	// Reopen the data directory in-process and check the log and store.
	s := startServer(t, func(o *Options) { o.DataDir = data })
	counts := map[string]int{}
	err = s.Log().ReadObservations(context.Background(), natsbus.ReadOptions{}, func(_ natsbus.Msg, obs []borderwatch.Observation) error {
		for _, o := range obs {
			counts[o.ID]++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range acked {
		switch counts[id] {
		case 1:
		case 0:
			t.Errorf("acknowledged observation %s lost", id)
		default:
			t.Errorf("acknowledged observation %s logged %d times", id, counts[id])
		}
	}
	t.Logf("%d HTTP observations acknowledged over %d kills, all logged once", len(acked), cycles)
	// MQTT QoS 1: nats-server acknowledges a camera's PUBLISH before the
	// observation is in the log, so a kill can lose or (on a client's
	// retry) repeat one. Known gap (docs/protocols/mqtt.md); measured, not
	// asserted, until ingest acknowledges after the log.
	lost, dup := 0, 0
	for _, id := range mqttAcked {
		switch c := counts[id]; {
		case c == 0:
			lost++
		case c > 1:
			dup++
		}
	}
	t.Logf("MQTT QoS 1: %d acknowledged, %d lost, %d logged more than once", len(mqttAcked), lost, dup)

	// Every alert in the log reaches the store after the restart.
	var alertIDs []string
	last, err := s.Log().LastSeq(context.Background(), natsbus.StreamAlerts)
	if err != nil {
		t.Fatal(err)
	}
	err = s.Log().Read(context.Background(), natsbus.StreamAlerts, natsbus.ReadOptions{}, func(m natsbus.Msg) error {
		if m.Type == typeAlertEvent {
			var ev struct{ Alert borderwatch.Alert }
			if err := json.Unmarshal(m.Data, &ev); err != nil {
				return err
			}
			alertIDs = append(alertIDs, ev.Alert.ID)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the store to catch up with the alerts stream", 20*time.Second, func() bool {
		c, err := s.Store().Cursor(context.Background(), string(natsbus.StreamAlerts))
		return err == nil && c >= last
	})
	if len(alertIDs) < cycles {
		t.Errorf("%d alert events in the log, want at least one per crossing (%d)", len(alertIDs), cycles)
	}
	for _, id := range alertIDs {
		if _, err := s.Store().Record(context.Background(), "alert", id); err != nil {
			t.Errorf("alert %s in the log but not in the store: %v", id, err)
		}
	}
	t.Logf("%d alert events in the log, all in the store", len(alertIDs))
}

func postTo(t *testing.T, p *process, obs []borderwatch.Observation) {
	t.Helper()
	body, _ := json.Marshal(obs)
	req, _ := http.NewRequest(http.MethodPost, "http://"+p.http+"/api/v1/observations", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+p.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("POST observations: %s", resp.Status)
	}
}

type process struct {
	cmd             *exec.Cmd
	http, mqtt      string
	token, mqttPass string
}

var listenRE = regexp.MustCompile(`msg=listening listener=(\S+) addr=(\S+)`)

func startProcess(t *testing.T, bin, data string) *process {
	t.Helper()
	cmd := exec.Command(bin, "serve", "--data", data, "--http", "127.0.0.1:0", "--mqtt", "127.0.0.1:0",
		"--cot-tcp", "", "--cot-udp", "", "--cot-tls", "", "--mavlink", "", "--web-tls", "off")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	p := &process{cmd: cmd}
	found := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stderr)
		closed := false
		for sc.Scan() {
			if m := listenRE.FindStringSubmatch(sc.Text()); m != nil {
				switch m[1] {
				case "http":
					p.http = m[2]
				case "mqtt":
					p.mqtt = m[2]
				}
				if p.http != "" && p.mqtt != "" && !closed {
					closed = true
					close(found)
				}
			}
		}
		io.Copy(io.Discard, stderr)
	}()
	select {
	case <-found:
	case <-time.After(60 * time.Second):
		t.Fatal("server process did not start listening within 60 s")
	}
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join(data, "secrets", name))
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(string(b))
	}
	p.token, p.mqttPass = read("api-token"), read("mqtt-password")
	return p
}

// loadUntilKilled posts observation batches from two goroutines and
// publishes camera detections with mosquitto_pub until it SIGKILLs the
// process after d; it returns the ids of acknowledged observations, over
// HTTP and over MQTT.
func loadUntilKilled(t *testing.T, p *process, cycle int, d time.Duration) (httpIDs, mqttIDs []string) {
	t.Helper()
	var (
		mu        sync.Mutex
		acked     []string
		mqttAcked []string
		wg        sync.WaitGroup
		stop      = make(chan struct{})
	)
	at := time.Now().UTC()
	post := func(worker int) {
		defer wg.Done()
		client := &http.Client{Timeout: 5 * time.Second}
		for n := 0; ; n++ {
			select {
			case <-stop:
				return
			default:
			}
			var obs []borderwatch.Observation
			for i := range 50 {
				pos := borderwatch.LatLon{Lat: 34.3 + float64(i)*0.001, Lon: 40.9 + float64(n%100)*0.001}
				obs = append(obs, borderwatch.Observation{
					ID:   fmt.Sprintf("crash-%d-%d-%d-%d", cycle, worker, n, i),
					Time: at.Add(time.Duration(n) * time.Second), Source: borderwatch.Source{ID: "load", Kind: borderwatch.SourceExternal},
					Position: &pos, Class: borderwatch.ClassPerson, Confidence: 0.5,
				})
			}
			body, _ := json.Marshal(obs)
			req, _ := http.NewRequest(http.MethodPost, "http://"+p.http+"/api/v1/observations", bytes.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+p.token)
			req.Header.Set("Content-Type", "application/json")
			resp, err := client.Do(req)
			if err != nil {
				return // the process is gone
			}
			resp.Body.Close()
			if resp.StatusCode == http.StatusAccepted || resp.StatusCode == http.StatusOK {
				mu.Lock()
				for _, o := range obs {
					acked = append(acked, o.ID)
				}
				mu.Unlock()
			}
		}
	}
	wg.Add(2)
	go post(0)
	go post(1)
	if _, err := exec.LookPath("mosquitto_pub"); err == nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			host, port, _ := strings.Cut(p.mqtt, ":")
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				id := fmt.Sprintf("crash-mqtt-%d-%d", cycle, n)
				msg := fmt.Sprintf(`{"schema":"c2.detection/v1","id":%q,"source":{"id":"cam-crash"},"time":%q,"class":"vehicle","confidence":0.8,"position":{"lat":34.4,"lon":41.0}}`,
					id, at.Format(time.RFC3339Nano))
				cmd := exec.Command("mosquitto_pub", "-h", host, "-p", port, "-u", "camera", "-P", p.mqttPass, "-q", "1",
					"-t", "borderwatch/cameras/cam-crash/detections", "-m", msg)
				if err := cmd.Run(); err != nil {
					return
				}
				mu.Lock()
				mqttAcked = append(mqttAcked, id)
				mu.Unlock()
			}
		}()
	}
	time.Sleep(d)
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	p.cmd.Wait()
	close(stop)
	wg.Wait()
	return acked, mqttAcked
}
