package camera

import (
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/borderwatch/borderwatch"
)

// The deployment pose of the test cameras: the reference example's camera
// (10 m mast looking east, 18°×14.4° thermal lens, 640×512).
var testPose = Pose{
	Position: borderwatch.LatLon{Lat: 34.3822, Lon: 40.9431},
	HeightM:  10, HeadingDeg: 90, TiltDeg: 1, HFOVDeg: 18, VFOVDeg: 14.4,
	Width: 640, Height: 512, MaxRangeM: 3000,
}

func testDecoder() *Decoder {
	return New(Options{
		Pose: func(id string) (Pose, bool) {
			switch id {
			case "cam-07", "cam-09", "cam-41", "cam-axis-3", "B8A44F941234", "gate-cam":
				return testPose, true
			}
			return Pose{}, false
		},
		Label: func(id string) borderwatch.Label { return borderwatch.Label{Owner: "ibg"} },
	})
}

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// distAz returns the flat-earth distance (m) and azimuth (deg) from a to b,
// an independent check of offset() at these ranges.
func distAz(a, b borderwatch.LatLon) (float64, float64) {
	const r = 6371008.8
	dn := (b.Lat - a.Lat) * deg * r
	de := (b.Lon - a.Lon) * deg * r * math.Cos(a.Lat*deg)
	return math.Hypot(de, dn), normAz(math.Atan2(de, dn) / deg)
}

type want struct {
	n        int
	id       string
	camera   string
	class    borderwatch.Class
	conf     float64
	source   string  // attrs position_source
	rangeM   float64 // expected distance from the camera (0: not checked)
	az       float64 // expected azimuth from the camera
	bearing  bool    // bearing-only
	alongSig float64 // expected σ along range, m (0: not checked)
}

func TestDecodeSamples(t *testing.T) {
	tests := []struct {
		file, topic string
		want        want
	}{
		{"canonical_pixel.json", "borderwatch/cameras/cam-07/detections",
			want{n: 1, id: "0f8e9d2a-6c1b-4b7e-9a51-3c2d1e0f4a77", camera: "cam-07", class: borderwatch.ClassPerson, conf: 0.87,
				source: "pixel_projection", rangeM: 482, az: 93.9, alongSig: 50}},
		{"canonical_bearing_range.json", "borderwatch/cameras/cam-07/detections",
			want{n: 1, camera: "cam-07", class: borderwatch.ClassVehicle, conf: 0.74, source: "bearing_range", rangeM: 480, az: 93.9, alongSig: 40}},
		{"canonical_position.json", "borderwatch/cameras/cam-41/detections",
			want{n: 1, camera: "cam-41", class: borderwatch.ClassAnimal, conf: 0.61, source: "sensor"}},
		{"canonical_array.json", "borderwatch/cameras/cam-09/detections",
			want{n: 2, camera: "cam-09", class: borderwatch.ClassPerson, conf: 0.5, source: "bearing_only", bearing: true, az: 271.5}},
		{"axis_frame.json", "borderwatch/cameras/cam-axis-3/scene",
			want{n: 2, camera: "cam-axis-3", class: borderwatch.ClassPerson, conf: 0.87, source: "pixel_projection", rangeM: 482, az: 93.9}},
		{"axis_frame_beta.json", "borderwatch/cameras/cam-axis-3/scene",
			want{n: 1, camera: "cam-axis-3", class: borderwatch.ClassPerson, conf: 0.6, source: "pixel_projection"}},
		{"axis_event_aoa.json", "axis/B8A44F941234/event/CameraApplicationPlatform/ObjectAnalytics/Device1Scenario1",
			want{n: 1, camera: "B8A44F941234", class: borderwatch.ClassPerson, conf: 0.5, source: "field_of_view", bearing: true, az: 90}},
		{"onvif_field.json", "gate-cam/onvif-ej/RuleEngine/FieldDetector/ObjectsInside/&1/1/BermZoneNorth",
			want{n: 1, camera: "gate-cam", class: borderwatch.ClassPerson, conf: 0.5, source: "field_of_view", bearing: true, az: 90}},
		{"onvif_line.json", "gate-cam/onvif-ej/RuleEngine/LineDetector/Crossed/&1/2/MyImportantFence1",
			want{n: 1, camera: "gate-cam", class: borderwatch.ClassUnknown, conf: 0.5, source: "field_of_view", bearing: true, az: 90}},
		{"onvif_motion.json", "gate-cam/onvif-ej/RuleEngine/MotionRegionDetector/Motion/&1/MotionRegion1",
			want{n: 1, camera: "gate-cam", class: borderwatch.ClassUnknown, conf: MotionConfidence, source: "field_of_view", bearing: true, az: 90}},
		{"onvif_temperature.json", "gate-cam/onvif-ej/RuleEngine/Radiometry/TemperatureAlarm/&2/HotSpot",
			want{n: 1, camera: "gate-cam", class: borderwatch.ClassUnknown, conf: 0.5, source: "sensor"}},
		{"onvif_pullpoint_bridge.json", "borderwatch/cameras/cam-09/events",
			want{n: 1, camera: "cam-09", class: borderwatch.ClassUnknown, conf: 0.5, source: "field_of_view", bearing: true, az: 90}},
	}
	d := testDecoder()
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			obs, err := d.Decode(tt.topic, readTestdata(t, tt.file), nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(obs) != tt.want.n {
				t.Fatalf("%d observations, want %d", len(obs), tt.want.n)
			}
			for _, o := range obs {
				checkObservation(t, o)
			}
			o, w := obs[0], tt.want
			if w.id != "" && o.ID != w.id {
				t.Errorf("id %q, want %q", o.ID, w.id)
			}
			if o.Source.ID != w.camera || o.Class != w.class || math.Abs(o.Confidence-w.conf) > 1e-9 {
				t.Errorf("source %q class %q conf %v; want %q %q %v", o.Source.ID, o.Class, o.Confidence, w.camera, w.class, w.conf)
			}
			if o.Attrs["position_source"] != w.source {
				t.Errorf("position_source %q, want %q", o.Attrs["position_source"], w.source)
			}
			if o.Label.Owner != "ibg" {
				t.Errorf("label %+v", o.Label)
			}
			if w.bearing {
				if o.Bearing == nil || o.Position != nil {
					t.Fatalf("want bearing-only, got %+v", o)
				}
				if math.Abs(o.Bearing.Azimuth-w.az) > 0.05 {
					t.Errorf("azimuth %.2f, want %.2f", o.Bearing.Azimuth, w.az)
				}
				return
			}
			if o.Position == nil {
				t.Fatalf("no position: %+v", o)
			}
			if w.rangeM > 0 {
				r, az := distAz(testPose.Position, *o.Position)
				if math.Abs(r-w.rangeM) > 3 || math.Abs(az-w.az) > 0.1 {
					t.Errorf("at %.1f m az %.2f; want %.0f m az %.1f", r, az, w.rangeM, w.az)
				}
			}
			if w.alongSig > 0 {
				along := math.Sqrt(alongVar(o.Cov, w.az))
				if math.Abs(along-w.alongSig)/w.alongSig > 0.06 {
					t.Errorf("σ along range %.1f m, want ≈ %.0f", along, w.alongSig)
				}
			}
		})
	}
}

// alongVar is the variance of cov along azimuth az.
func alongVar(c borderwatch.Cov2, az float64) float64 {
	s, co := math.Sin(az*deg), math.Cos(az*deg)
	return c.EE*s*s + 2*c.EN*s*co + c.NN*co*co
}

// checkObservation asserts what every decoded observation must satisfy.
func checkObservation(t testing.TB, o borderwatch.Observation) {
	t.Helper()
	if err := o.Validate(); err != nil {
		t.Fatalf("domain validation: %v: %+v", err, o)
	}
	if o.ID == "" || o.Source.ID == "" || o.Time.IsZero() || !o.Class.Valid() {
		t.Fatalf("incomplete observation %+v", o)
	}
	if o.Confidence < 0 || o.Confidence > 1 || math.IsNaN(o.Confidence) {
		t.Fatalf("confidence %v", o.Confidence)
	}
	switch {
	case o.Position != nil:
		if !o.Position.Valid() || math.IsNaN(o.Position.Lat) || math.IsNaN(o.Position.Lon) || !o.Cov.Valid() {
			t.Fatalf("bad position/cov %+v %+v", *o.Position, o.Cov)
		}
	case o.Bearing != nil:
		b := o.Bearing
		if !b.Sensor.Valid() || b.Azimuth < 0 || b.Azimuth >= 360 || !(b.AzimuthSigma > 0) {
			t.Fatalf("bad bearing %+v", *b)
		}
	default:
		t.Fatalf("neither position nor bearing: %+v", o)
	}
}

func TestDecodeNothingToLog(t *testing.T) {
	tests := []struct{ name, topic, payload string }{
		{"object left the field", "gate-cam/onvif-ej/RuleEngine/FieldDetector/ObjectsInside", `{"UtcTime":"2026-11-22T01:14:49Z","Source":{"Rule":"Z"},"Key":{"ObjectId":"5"},"Data":{"IsInside":"false"}}`},
		{"motion ended", "gate-cam/onvif-ej/RuleEngine/CellMotionDetector/Motion", `{"UtcTime":"2026-11-22T01:14:49Z","Data":{"IsMotion":false}}`},
		{"aoa inactive", "axis/B8A44F941234/event/x", `{"topic":"axis:CameraApplicationPlatform/ObjectAnalytics/Device1Scenario1","timestamp":1763774089123,"message":{"data":{"active":"0"}}}`},
		{"empty frame", "borderwatch/cameras/cam-07/scene", `{"channel_id":1,"timestamp":"2026-11-22T01:14:49Z","detections":[]}`},
	}
	d := testDecoder()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			obs, err := d.Decode(tt.topic, []byte(tt.payload), nil)
			if err != nil || len(obs) != 0 {
				t.Fatalf("got %v, %v; want nothing and no error", obs, err)
			}
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name, topic, payload string
		want                 error
	}{
		{"not json", "borderwatch/cameras/cam-07/detections", `{"schema":"c2.detection/v1",`, ErrSyntax},
		{"binary", "borderwatch/cameras/cam-07/detections", "\x00\x01", ErrSyntax},
		{"empty", "borderwatch/cameras/cam-07/detections", "  ", ErrSyntax},
		{"unknown shape", "borderwatch/cameras/cam-07/detections", `{"hello":"world"}`, ErrUnsupported},
		{"wrong schema", "borderwatch/cameras/cam-07/detections", `[{"schema":"c2.detection/v9","time":"2026-11-22T01:14:49Z","class":"human"}]`, ErrInvalid},
		{"no time", "borderwatch/cameras/cam-07/detections", `{"schema":"c2.detection/v1","source":{"id":"cam-07"},"class":"human","bearing":{"az_deg":10}}`, ErrInvalid},
		{"no class", "borderwatch/cameras/cam-07/detections", `{"schema":"c2.detection/v1","time":"2026-11-22T01:14:49Z","bearing":{"az_deg":10}}`, ErrInvalid},
		{"confidence > 1", "borderwatch/cameras/cam-07/detections", `{"schema":"c2.detection/v1","time":"2026-11-22T01:14:49Z","class":"human","confidence":1.5,"bearing":{"az_deg":10}}`, ErrInvalid},
		{"no location", "borderwatch/cameras/cam-07/detections", `{"schema":"c2.detection/v1","time":"2026-11-22T01:14:49Z","class":"human"}`, ErrNoLocation},
		{"unknown camera", "borderwatch/cameras/cam-x/detections", `{"schema":"c2.detection/v1","time":"2026-11-22T01:14:49Z","class":"human","bearing":{"az_deg":10}}`, ErrNoPose},
		{"no camera id", "other/topic", `{"schema":"c2.detection/v1","time":"2026-11-22T01:14:49Z","class":"human","position":{"lat":34,"lon":41}}`, ErrInvalid},
		{"position out of range", "borderwatch/cameras/cam-07/detections", `{"schema":"c2.detection/v1","time":"2026-11-22T01:14:49Z","class":"human","position":{"lat":134,"lon":41}}`, ErrInvalid},
		{"non-symmetric cov", "borderwatch/cameras/cam-07/detections", `{"schema":"c2.detection/v1","time":"2026-11-22T01:14:49Z","class":"human","position":{"lat":34,"lon":41,"cov_ne_m2":[[1,2],[3,4]]}}`, ErrInvalid},
		{"bbox outside frame", "borderwatch/cameras/cam-07/detections", `{"schema":"c2.detection/v1","time":"2026-11-22T01:14:49Z","class":"human","image":{"bbox":{"x":0.9,"y":0.1,"w":0.5,"h":0.1}}}`, ErrInvalid},
		{"range beyond max", "borderwatch/cameras/cam-07/detections", `{"schema":"c2.detection/v1","time":"2026-11-22T01:14:49Z","class":"human","bearing":{"az_deg":10},"range":{"m":90000}}`, ErrInvalid},
		{"onvif vendor topic", "gate-cam/onvif-ej/Device/Trigger/DigitalInput", `{"UtcTime":"2026-11-22T01:14:49Z","Data":{"LogicalState":"true"}}`, ErrUnsupported},
		{"onvif bad time", "gate-cam/onvif-ej/RuleEngine/LineDetector/Crossed", `{"UtcTime":"yesterday","Data":{}}`, ErrSyntax},
		{"temperature without geo", "gate-cam/onvif-ej/RuleEngine/Radiometry/TemperatureAlarm", `{"UtcTime":"2026-11-22T01:14:49Z","Data":{"AlarmActive":true}}`, ErrNoLocation},
		{"axis status event", "axis/B8A44F941234/event/Device/Status", `{"topic":"axis:Device/Status/Temperature/Above","timestamp":1,"message":{"data":{"sensor_level":"1"}}}`, ErrUnsupported},
	}
	d := testDecoder()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dst := make([]borderwatch.Observation, 1, 4)
			got, err := d.Decode(tt.topic, []byte(tt.payload), dst)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err %v, want %v", err, tt.want)
			}
			if len(got) != 1 {
				t.Fatalf("dst changed on error: %d", len(got))
			}
			if Reason(err) == "" || Reason(err) == "other" {
				t.Fatalf("reason %q", Reason(err))
			}
		})
	}
}

// TestRangeErrorGrowth checks the error model against the reference table
// (flat earth, σ_el = σ_az = 0.1°, σ_h = 0.5 m): σ along range by mast
// height and range.
func TestRangeErrorGrowth(t *testing.T) {
	tests := []struct{ h, r, sigma float64 }{
		{5, 250, 33}, {5, 500, 101}, {5, 1000, 363},
		{10, 250, 17}, {10, 500, 50}, {10, 1000, 182}, {10, 2000, 705},
		{30, 500, 17}, {30, 1000, 61}, {30, 2000, 235},
	}
	for _, tt := range tests {
		p := Pose{Position: testPose.Position, HeightM: tt.h, SigmaAzDeg: 0.1, SigmaElDeg: 0.1, SigmaHM: 0.5, MaxRangeM: 10000}
		el := -math.Atan(tt.h/tt.r) / deg
		f := p.groundFromElevation(0, el, 0.1, 0.1)
		got := math.Sqrt(f.cov.NN - 1) // heading north: NN is along range (minus the floor)
		if math.Abs(got-tt.sigma)/tt.sigma > 0.03 {
			t.Errorf("h %v m, R %v m: σ_range %.1f m, want %.0f", tt.h, tt.r, got, tt.sigma)
		}
		cross := math.Sqrt(f.cov.EE - 1)
		if want := tt.r * 0.1 * deg; math.Abs(cross-want) > 0.05 {
			t.Errorf("h %v, R %v: cross-range σ %.2f, want %.2f", tt.h, tt.r, cross, want)
		}
	}
}

// TestCovarianceMonteCarlo compares the linearised covariance with a seeded
// Monte-Carlo of the same geometry (the reference's check at 176 m).
func TestCovarianceMonteCarlo(t *testing.T) {
	p := Pose{Position: testPose.Position, HeightM: 10, SigmaAzDeg: 0.1, SigmaElDeg: 0.1, SigmaHM: 0.5, MaxRangeM: 10000}
	az, el := 35.0, -math.Atan(10.0/176)/deg
	f := p.groundFromElevation(az, el, 0.1, 0.1)
	rng := rand.New(rand.NewPCG(1, 2))
	const n = 50000
	var se, sn, see, snn, sen float64
	for range n {
		q := p
		q.HeightM += rng.NormFloat64() * 0.5
		a := az + rng.NormFloat64()*0.1
		e := el + rng.NormFloat64()*0.1
		r := q.HeightM / math.Tan(-e*deg)
		x, y := r*math.Sin(a*deg), r*math.Cos(a*deg)
		se, sn = se+x, sn+y
		see, snn, sen = see+x*x, snn+y*y, sen+x*y
	}
	me, mn := se/n, sn/n
	vee, vnn, ven := see/n-me*me, snn/n-mn*mn, sen/n-me*mn
	for _, c := range []struct {
		name      string
		got, want float64
	}{{"EE", f.cov.EE - 1, vee}, {"NN", f.cov.NN - 1, vnn}, {"EN", f.cov.EN, ven}} {
		if math.Abs(c.got-c.want) > 0.05*math.Max(math.Abs(vee), math.Abs(vnn)) {
			t.Errorf("%s: linearised %.2f, Monte-Carlo %.2f", c.name, c.got, c.want)
		}
	}
}

func TestProjectionLimits(t *testing.T) {
	p := testPose
	t.Run("above horizon is bearing-only", func(t *testing.T) {
		f := p.groundFromElevation(90, 0.5, 0.2, 0.1)
		if f.ground || f.source != "bearing_only" {
			t.Fatalf("%+v", f)
		}
	})
	t.Run("beyond max range is capped", func(t *testing.T) {
		p.MaxRangeM = 1500
		f := p.groundFromElevation(90, -0.5, 0.2, 0.1)   // 1146 m
		f2 := p.groundFromElevation(90, -0.25, 0.2, 0.1) // 2292 m
		if !f2.capped || f2.rangeM != p.MaxRangeM || math.Sqrt(f2.cov.EE) < p.MaxRangeM/2 {
			t.Fatalf("not capped: %+v", f2)
		}
		if f.capped {
			t.Fatalf("capped too early: %+v", f)
		}
	})
	t.Run("box from frame top reaches no ground", func(t *testing.T) {
		d := testDecoder()
		obs, err := d.Decode("borderwatch/cameras/cam-07/detections",
			[]byte(`{"schema":"c2.detection/v1","time":"2026-11-22T01:14:49Z","class":"human","image":{"bbox":{"x":0.5,"y":0.0,"w":0.01,"h":0.05}}}`), nil)
		if err != nil || len(obs) != 1 || obs[0].Bearing == nil {
			t.Fatalf("%+v %v", obs, err)
		}
	})
}

func TestTopicCamera(t *testing.T) {
	tests := []struct{ topic, want string }{
		{"borderwatch/cameras/cam-7/detections", "cam-7"},
		{"axis/B8A44F941234/event/CameraApplicationPlatform/ObjectAnalytics/Device1Scenario1", "B8A44F941234"},
		{"MyDevice/onvif-ej/RuleEngine/LineDetector/Crossed/&1/2/Fence", "MyDevice"},
		{"random/topic", ""},
		{"", ""},
	}
	for _, tt := range tests {
		if got := TopicCamera(tt.topic); got != tt.want {
			t.Errorf("TopicCamera(%q) = %q, want %q", tt.topic, got, tt.want)
		}
	}
}

func TestDeterministicIDs(t *testing.T) {
	d := testDecoder()
	payload := readTestdata(t, "axis_frame.json")
	a, err := d.Decode("borderwatch/cameras/cam-axis-3/scene", payload, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := d.Decode("borderwatch/cameras/cam-axis-3/scene", payload, nil)
	if a[0].ID != b[0].ID || a[0].ID == a[1].ID {
		t.Fatalf("ids %q %q / %q", a[0].ID, b[0].ID, a[1].ID)
	}
}
