package camera

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/borderwatch/borderwatch"
)

// seedTopics gives each testdata sample the topic it arrives on.
var seedTopics = map[string]string{
	"canonical_pixel.json":         "borderwatch/cameras/cam-07/detections",
	"canonical_bearing_range.json": "borderwatch/cameras/cam-07/detections",
	"canonical_position.json":      "borderwatch/cameras/cam-41/detections",
	"canonical_array.json":         "borderwatch/cameras/cam-09/detections",
	"axis_frame.json":              "borderwatch/cameras/cam-axis-3/scene",
	"axis_frame_beta.json":         "borderwatch/cameras/cam-axis-3/scene",
	"axis_event_aoa.json":          "axis/B8A44F941234/event/CameraApplicationPlatform/ObjectAnalytics/Device1Scenario1",
	"onvif_field.json":             "gate-cam/onvif-ej/RuleEngine/FieldDetector/ObjectsInside/&1/1/BermZoneNorth",
	"onvif_line.json":              "gate-cam/onvif-ej/RuleEngine/LineDetector/Crossed/&1/2/MyImportantFence1",
	"onvif_motion.json":            "gate-cam/onvif-ej/RuleEngine/MotionRegionDetector/Motion/&1/MotionRegion1",
	"onvif_temperature.json":       "gate-cam/onvif-ej/RuleEngine/Radiometry/TemperatureAlarm/&2/HotSpot",
	"onvif_pullpoint_bridge.json":  "borderwatch/cameras/cam-09/events",
}

func addSeeds(f *testing.F) {
	f.Helper()
	names, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	if err != nil || len(names) == 0 {
		f.Fatalf("no testdata: %v", err)
	}
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			f.Fatal(err)
		}
		topic := seedTopics[filepath.Base(n)]
		f.Add(topic, b)
		// Truncated copies: a message cut short by a broken link.
		f.Add(topic, b[:len(b)/2])
	}
}

// FuzzDecode feeds arbitrary topics and payloads to the decoder: it must
// never panic, must leave dst alone on error, and whatever it returns must
// be a well-formed observation.
func FuzzDecode(f *testing.F) {
	addSeeds(f)
	d := testDecoder()
	f.Fuzz(func(t *testing.T, topic string, payload []byte) {
		dst := make([]borderwatch.Observation, 1, 2)
		obs, err := d.Decode(topic, payload, dst)
		if err != nil {
			if len(obs) != 1 {
				t.Fatalf("dst changed on error %v", err)
			}
			if Reason(err) == "other" {
				t.Fatalf("error without reason: %v", err)
			}
			return
		}
		for _, o := range obs[1:] {
			checkObservation(t, o)
			// Everything decoded must survive the JSON of the API.
			if _, err := json.Marshal(o); err != nil {
				t.Fatalf("observation does not marshal: %v", err)
			}
		}
	})
}

// FuzzDecodeDetection targets the canonical shape directly with varied
// numbers, the place where geometry could produce NaN or ±Inf.
func FuzzDecodeDetection(f *testing.F) {
	f.Add(0.7093, 0.4633, 0.012, 0.05, 10.0, 1.0, 93.9, 480.0)
	f.Add(0.5, 0.999, 0.0, 0.001, 0.0, 89.0, 0.0, 0.0)
	f.Add(0.0, 0.0, 1.0, 1.0, 1e9, -90.0, -720.0, 1e-9)
	d := testDecoder()
	f.Fuzz(func(t *testing.T, x, y, w, h, mast, tilt, az, rng float64) {
		num := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
		for _, p := range []string{
			`{"schema":"c2.detection/v1","time":"2026-11-22T01:14:49Z","source":{"id":"cam-07"},"class":"human",` +
				`"image":{"width":640,"height":512,"bbox":{"x":` + num(x) + `,"y":` + num(y) + `,"w":` + num(w) + `,"h":` + num(h) + `}},` +
				`"sensor_pose":{"lat":34.38,"lon":40.94,"height_agl_m":` + num(mast) + `,"heading_deg":` + num(az) + `,"tilt_deg":` + num(tilt) + `,"hfov_deg":18,"vfov_deg":14.4}}`,
			`{"schema":"c2.detection/v1","time":"2026-11-22T01:14:49Z","source":{"id":"cam-07"},"class":"human",` +
				`"bearing":{"az_deg":` + num(az) + `,"el_deg":` + num(tilt) + `},"range":{"m":` + num(rng) + `}}`,
		} {
			obs, err := d.Decode("borderwatch/cameras/cam-07/detections", []byte(p), nil)
			if err != nil {
				continue // non-finite numbers are not JSON; out-of-range values are refused
			}
			for _, o := range obs {
				checkObservation(t, o)
			}
		}
	})
}
