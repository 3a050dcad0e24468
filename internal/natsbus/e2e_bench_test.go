package natsbus_test

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/borderwatch/borderwatch"
	"github.com/borderwatch/borderwatch/internal/camera"
	"github.com/borderwatch/borderwatch/internal/natsbus"
)

// mqttConn is a minimal MQTT 3.1.1 publisher (CONNECT, PUBLISH QoS 0,
// PINGREQ) for load generation in benchmarks.
type mqttConn struct {
	c net.Conn
	w *bufio.Writer
	r *bufio.Reader
}

func appendMQTTString(b []byte, s string) []byte {
	b = binary.BigEndian.AppendUint16(b, uint16(len(s)))
	return append(b, s...)
}

func appendRemaining(b []byte, n int) []byte {
	for {
		d := byte(n % 128)
		n /= 128
		if n > 0 {
			d |= 0x80
		}
		b = append(b, d)
		if n == 0 {
			return b
		}
	}
}

func dialMQTT(addr, clientID, user, pass string) (*mqttConn, error) {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return nil, err
	}
	var body []byte
	body = appendMQTTString(body, "MQTT")
	body = append(body, 4, 0x80|0x40|0x02, 0, 60)
	body = appendMQTTString(body, clientID)
	body = appendMQTTString(body, user)
	body = appendMQTTString(body, pass)
	pkt := appendRemaining([]byte{0x10}, len(body))
	pkt = append(pkt, body...)
	m := &mqttConn{c: c, w: bufio.NewWriterSize(c, 1<<20), r: bufio.NewReader(c)}
	if _, err := c.Write(pkt); err != nil {
		c.Close()
		return nil, err
	}
	var ack [4]byte
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.ReadFull(m.r, ack[:]); err != nil {
		c.Close()
		return nil, err
	}
	_ = c.SetReadDeadline(time.Time{})
	if ack[0] != 0x20 || ack[3] != 0 {
		c.Close()
		return nil, fmt.Errorf("CONNACK % x", ack)
	}
	return m, nil
}

func publishPacket(topic string, payload []byte) []byte {
	n := 2 + len(topic) + len(payload)
	p := appendRemaining([]byte{0x30}, n)
	p = appendMQTTString(p, topic)
	return append(p, payload...)
}

// ping flushes and waits for PINGRESP: the server has read everything sent.
func (m *mqttConn) ping() error {
	if _, err := m.w.Write([]byte{0xC0, 0}); err != nil {
		return err
	}
	if err := m.w.Flush(); err != nil {
		return err
	}
	var resp [2]byte
	_, err := io.ReadFull(m.r, resp[:])
	if err == nil && resp[0] != 0xD0 {
		err = fmt.Errorf("PINGRESP % x", resp)
	}
	return err
}

// BenchmarkMQTTEndToEnd: canonical detections published over MQTT (QoS 0,
// 4 cameras on 4 connections) into the embedded broker, decoded by
// internal/camera and durably appended to the log. One op is one
// detection; the clock stops when the last one is acknowledged by
// JetStream.
func BenchmarkMQTTEndToEnd(b *testing.B) {
	l := openEmbedded(b, b.TempDir(), func(o *natsbus.Options) {
		o.MQTTAddr = "127.0.0.1:0"
		o.MQTTUsers = []natsbus.User{{Username: "cam", Password: "pw"}}
	})
	defer l.Close()
	pose := camera.Pose{Position: borderwatch.LatLon{Lat: 34.3822, Lon: 40.9431}, HeightM: 10, HeadingDeg: 90,
		TiltDeg: 1, HFOVDeg: 18, VFOVDeg: 14.4, Width: 640, Height: 512}
	dec := camera.New(camera.Options{Pose: func(string) (camera.Pose, bool) { return pose, true }})
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- l.IngestMQTT(ctx, natsbus.IngestOptions{
			Decode:  dec.Decode,
			Sector:  func(o *borderwatch.Observation) string { return "s1" },
			OnError: func(topic string, err error) { b.Error(topic, err) },
			Started: func() { close(ready) },
		})
	}()
	<-ready
	defer func() {
		cancel()
		<-done
	}()
	const conns = 4
	var cs [conns]*mqttConn
	for i := range cs {
		c, err := dialMQTT(l.MQTTAddr(), "bench-cam-"+strconv.Itoa(i), "cam", "pw")
		if err != nil {
			b.Fatal(err)
		}
		defer c.c.Close()
		cs[i] = c
	}
	msg := func(cam, i int) []byte {
		return publishPacket("borderwatch/cameras/cam-"+strconv.Itoa(cam)+"/detections", []byte(
			`{"schema":"c2.detection/v1","id":"e2e-`+strconv.Itoa(cam)+`-`+strconv.Itoa(i)+`","time":"2026-11-22T01:14:49.123Z",`+
				`"source":{"id":"cam-`+strconv.Itoa(cam)+`","type":"thermal_camera"},"track_id":"4711","class":"human","confidence":0.87,`+
				`"image":{"width":640,"height":512,"bbox":{"x":0.7093,"y":0.4633,"w":0.012,"h":0.05}}}`))
	}
	// Pre-encode the packets so the clock measures the server side.
	per := b.N/conns + 1
	bufs := make([][]byte, conns)
	for c := range conns {
		for i := range per {
			bufs[c] = append(bufs[c], msg(c, i)...)
		}
	}
	before, batches0 := l.Stats().Observations, l.Stats().Batches
	want := before + uint64(per*conns)
	b.ReportAllocs()
	b.ResetTimer()
	start, cpu0 := time.Now(), cpuTime()
	errs := make(chan error, conns)
	for c := range conns {
		go func() {
			if _, err := cs[c].w.Write(bufs[c]); err != nil {
				errs <- err
				return
			}
			errs <- cs[c].ping()
		}()
	}
	for range conns {
		if err := <-errs; err != nil {
			b.Fatal(err)
		}
	}
	deadline := time.Now().Add(60 * time.Second)
	for l.Stats().Observations < want {
		if time.Now().After(deadline) {
			b.Fatalf("only %d of %d detections logged", l.Stats().Observations-before, per*conns)
		}
		time.Sleep(time.Millisecond) // polling a counter to stop the clock, not an assertion
	}
	el := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(per*conns)/el.Seconds(), "detections/s")
	b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/float64(per*conns), "cpu-ns/detection")
	if nb := l.Stats().Batches - batches0; nb > 0 {
		b.ReportMetric(float64(per*conns)/float64(nb), "obs/msg")
	}
}
