package camera

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
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

// FuzzScanner checks the purpose-built parser against encoding/json: on
// any input it must not panic, and whatever encoding/json reads into the
// canonical detection or Axis frame structs, re-encoded, the scanner must
// read to the same value.
func FuzzScanner(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, _ string, in []byte) {
		var fastD detectionJSON
		s := scanner{b: in}
		parseDetection(&s, &fastD)
		var fastF axisFrame
		s = scanner{b: in}
		parseAxisFrame(&s, &fastF)

		var stdD detectionJSON
		if json.Unmarshal(in, &stdD) == nil {
			canon, err := json.Marshal(&stdD)
			if err != nil {
				t.Fatal(err)
			}
			var got detectionJSON
			s := scanner{b: canon}
			parseDetection(&s, &got)
			s.end()
			if s.err != nil {
				t.Fatalf("scanner rejects %s", canon)
			}
			stdD.Time, got.Time = stdD.Time.UTC(), got.Time.UTC()
			if !reflect.DeepEqual(stdD, got) {
				t.Fatalf("detection differs for %s:\nstd  %+v\nfast %+v", canon, stdD, got)
			}
		}
		var stdF axisFrame
		if json.Unmarshal(in, &stdF) == nil {
			canon, err := json.Marshal(&stdF)
			if err != nil {
				t.Fatal(err)
			}
			var std2 axisFrame // the canonical form as encoding/json reads it
			if err := json.Unmarshal(canon, &std2); err != nil {
				return // e.g. a zero flexTime marshals to a year-1 string: both sides agree elsewhere
			}
			var got axisFrame
			s := scanner{b: canon}
			parseAxisFrame(&s, &got)
			s.end()
			if s.err != nil {
				t.Fatalf("scanner rejects %s", canon)
			}
			normFrame(&std2)
			normFrame(&got)
			if !reflect.DeepEqual(std2, got) {
				t.Fatalf("frame differs for %s:\nstd  %+v\nfast %+v", canon, std2, got)
			}
		}
	})
}

func normFrame(f *axisFrame) {
	f.Timestamp.Time = f.Timestamp.UTC()
	if len(f.Detections) == 0 {
		f.Detections = nil
	}
	if len(f.Observations) == 0 {
		f.Observations = nil
	}
	for _, l := range [][]axisDetection{f.Detections, f.Observations} {
		for i := range l {
			if len(l[i].Classes) == 0 {
				l[i].Classes = nil
			}
		}
	}
	for _, l := range [][]axisDetection{f.Detections, f.Observations} {
		for i := range l {
			l[i].Timestamp.Time = l[i].Timestamp.UTC()
		}
	}
	if f.Frame != nil {
		normFrame(f.Frame)
	}
}
