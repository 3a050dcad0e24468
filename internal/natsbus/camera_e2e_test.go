package natsbus_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/borderwatch/borderwatch"
	"github.com/borderwatch/borderwatch/internal/camera"
	"github.com/borderwatch/borderwatch/internal/natsbus"
)

// TestMQTTCameraShapes publishes each camera sample (internal/camera's
// testdata) with Debian's MQTT client on the topic a real device would use, and
// checks that each arrives in the log decoded by internal/camera: topic
// mapping, publish permissions and decoding together.
func TestMQTTCameraShapes(t *testing.T) {
	needTool(t, toolPub)
	l := mqttLog(t, t.TempDir())
	defer l.Close()
	pose := camera.Pose{Position: borderwatch.LatLon{Lat: 34.3822, Lon: 40.9431}, HeightM: 10, HeadingDeg: 90,
		TiltDeg: 1, HFOVDeg: 18, VFOVDeg: 14.4, Width: 640, Height: 512, MaxRangeM: 3000}
	dec := camera.New(camera.Options{Pose: func(string) (camera.Pose, bool) { return pose, true }})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready := make(chan struct{})
	errs := make(chan error, 1)
	dropped := make(chan string, 16)
	go func() {
		errs <- l.IngestMQTT(ctx, natsbus.IngestOptions{
			Decode:  dec.Decode,
			Reason:  camera.Reason,
			OnError: func(topic string, err error) { dropped <- topic + ": " + err.Error() },
			Started: func() { close(ready) },
		})
	}()
	<-ready
	tests := []struct{ file, topic, source string }{
		{"canonical_pixel.json", "borderwatch/cameras/cam-07/detections", "pixel_projection"},
		{"axis_frame.json", "borderwatch/cameras/cam-axis-3/scene", "pixel_projection"},
		{"axis_event_aoa.json", "axis/B8A44F941234/event/CameraApplicationPlatform/ObjectAnalytics/Device1Scenario1", "field_of_view"},
		{"onvif_field.json", "gate-cam/onvif-ej/RuleEngine/FieldDetector/ObjectsInside/&1/1/BermZoneNorth", "field_of_view"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			payload, err := os.ReadFile(filepath.Join("..", "camera", "testdata", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			want, err := dec.Decode(tt.topic, payload, nil)
			if err != nil || len(want) == 0 {
				t.Fatalf("decode locally: %v", err)
			}
			if out, err := mosquittoPub(t, l.MQTTAddr(), "-u", "cam-user", "-P", "s3cret", "-q", "1", "-t", tt.topic, "-m", string(payload)); err != nil {
				t.Fatalf("%s: %v: %s", toolPub, err, out)
			}
			select {
			case d := <-dropped:
				t.Fatalf("dropped: %s", d)
			default:
			}
			got := waitForIDs(t, l, want[0].ID)[want[0].ID]
			if got.Attrs["position_source"] != tt.source || fmtObs(got) != fmtObs(want[0]) {
				t.Fatalf("logged %s\nwant   %s", fmtObs(got), fmtObs(want[0]))
			}
		})
	}
}
