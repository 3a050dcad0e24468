package camera

import (
	"encoding/json"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/borderwatch/borderwatch"
)

// BenchmarkDecode measures one core decoding each shape; one op is one
// message, and detections/s counts the observations produced.
func BenchmarkDecode(b *testing.B) {
	d := testDecoder()
	frame10 := axisFrameN(10)
	for _, c := range []struct {
		name, file, topic string
		payload           []byte
	}{
		{name: "canonical/pixel", file: "canonical_pixel.json", topic: "borderwatch/cameras/cam-07/detections"},
		{name: "canonical/bearing_range", file: "canonical_bearing_range.json", topic: "borderwatch/cameras/cam-07/detections"},
		{name: "canonical/position", file: "canonical_position.json", topic: "borderwatch/cameras/cam-41/detections"},
		{name: "axis/frame10", topic: "borderwatch/cameras/cam-axis-3/scene", payload: frame10},
		{name: "onvif/field", file: "onvif_field.json", topic: "gate-cam/onvif-ej/RuleEngine/FieldDetector/ObjectsInside/&1/1/BermZoneNorth"},
	} {
		b.Run(c.name, func(b *testing.B) {
			p := c.payload
			if p == nil {
				p = readTestdata(b, c.file)
			}
			dst := make([]borderwatch.Observation, 0, 16)
			n := 0
			b.SetBytes(int64(len(p)))
			b.ReportAllocs()
			start, cpu0 := time.Now(), cpuTime()
			for b.Loop() {
				var err error
				dst, err = d.Decode(c.topic, p, dst[:0])
				if err != nil {
					b.Fatal(err)
				}
				n += len(dst)
			}
			cpu := cpuTime() - cpu0
			b.ReportMetric(float64(n)/time.Since(start).Seconds(), "detections/s")
			// Process CPU per op: the cost on one core even when other
			// processes share the machine.
			b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
			b.ReportMetric(float64(n)/cpu.Seconds(), "detections/cpu-s")
		})
	}
}

// BenchmarkDecodeNaive is the baseline: decode into a generic map and pick
// fields out of it, as a first version might.
func BenchmarkDecodeNaive(b *testing.B) {
	p := readTestdata(b, "canonical_pixel.json")
	b.ReportAllocs()
	cpu0 := cpuTime()
	defer func() { b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/op") }()
	for b.Loop() {
		var m map[string]any
		if err := json.Unmarshal(p, &m); err != nil {
			b.Fatal(err)
		}
		_, _ = m["source"].(map[string]any)["id"].(string)
		_, _ = m["image"].(map[string]any)["bbox"].(map[string]any)["x"].(float64)
	}
}

// cpuTime is this process's user+system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func axisFrameN(n int) []byte {
	var sb strings.Builder
	sb.WriteString(`{"channel_id":1,"timestamp":"2026-11-22T01:14:49.123456Z","detections":[`)
	for i := range n {
		if i > 0 {
			sb.WriteByte(',')
		}
		sb.WriteString(`{"track_id":"47` + string(rune('0'+i%10)) + `","bounding_box":{"left":0.70,"top":0.46,"right":0.72,"bottom":0.5133},"class":{"type":"Human","score":0.87}}`)
	}
	sb.WriteString(`]}`)
	return []byte(sb.String())
}
