package simnet

import (
	"context"
	"encoding/json"
	"hash/fnv"
	"math"
	"strconv"
	"sync"
	"time"

	"github.com/borderwatch/borderwatch/internal/sim"
)

// canonical is the c2.detection/v1 message (docs/protocols/mqtt.md).
type canonical struct {
	Schema     string         `json:"schema"`
	ID         string         `json:"id"`
	Time       string         `json:"time"`
	Source     canonSource    `json:"source"`
	TrackID    string         `json:"track_id,omitempty"`
	Class      string         `json:"class"`
	Confidence float64        `json:"confidence"`
	Position   *canonPosition `json:"position,omitempty"`
	Bearing    *canonBearing  `json:"bearing,omitempty"`
	Range      *canonRange    `json:"range,omitempty"`
	Velocity   *canonVelocity `json:"velocity,omitempty"`
	// Exercise marks injected training traffic. The canonical decoder
	// (internal/camera) does not map it to Observation.Exercise yet; it
	// is also sent as the attribute "exercise".
	Exercise   bool           `json:"exercise,omitempty"`
	Attributes map[string]any `json:"attributes,omitempty"`
}

type canonSource struct {
	ID     string `json:"id"`
	Type   string `json:"type"`
	Vendor string `json:"vendor"`
}

type canonPosition struct {
	Lat  float64 `json:"lat"`
	Lon  float64 `json:"lon"`
	CE95 float64 `json:"ce95_m"`
}

type canonBearing struct {
	Az      float64 `json:"az_deg"`
	SigmaAz float64 `json:"sigma_az_deg"`
}

type canonRange struct {
	M      float64 `json:"m"`
	SigmaM float64 `json:"sigma_m"`
}

type canonVelocity struct {
	Speed  float64 `json:"speed_mps"`
	Course float64 `json:"course_deg"`
}

// Canonical encodes detections of one sensor as a c2.detection/v1 array.
func Canonical(runID string, ds []sim.Detection, stamp func(time.Time) time.Time) ([]byte, error) {
	out := make([]canonical, 0, len(ds))
	for i := range ds {
		d := &ds[i]
		c := canonical{Schema: "c2.detection/v1", ID: runID + "-" + d.ID, Time: stamp(d.Time).UTC().Format(time.RFC3339Nano),
			Source: canonSource{ID: d.Sensor, Type: string(d.Kind), Vendor: "borderwatch-sim"}, Class: string(d.Class),
			Confidence: d.Confidence, TrackID: cameraTrack(runID, d), Exercise: d.Exercise}
		if d.HasBearing {
			c.Bearing = &canonBearing{Az: d.Azimuth, SigmaAz: d.AzimuthSigma}
			c.Range = &canonRange{M: d.Range, SigmaM: d.RangeSigma}
		} else {
			c.Position = &canonPosition{Lat: d.Position.Lat, Lon: d.Position.Lon, CE95: d.CE95}
		}
		if v := d.Velocity; v != nil {
			c.Velocity = &canonVelocity{Speed: math.Round(math.Hypot(v.East, v.North)*100) / 100,
				Course: math.Round(math.Mod(math.Atan2(v.East, v.North)*180/math.Pi+360, 360)*10) / 10}
		}
		if d.Count > 1 || d.Exercise {
			c.Attributes = map[string]any{}
			if d.Count > 1 {
				c.Attributes["count"] = d.Count
			}
			if d.Exercise {
				c.Attributes["exercise"] = true
			}
		}
		out = append(out, c)
	}
	return json.Marshal(out)
}

// cameraTrack is the camera's own track id: stable per object in view,
// unrelated to the simulator's actor ids.
func cameraTrack(runID string, d *sim.Detection) string {
	if d.Actor == "" {
		return d.Sensor + "/fa" + d.ID
	}
	h := fnv.New32a()
	h.Write([]byte(runID))
	h.Write([]byte(d.Sensor))
	h.Write([]byte(d.Actor))
	return d.Sensor + "/" + strconv.FormatUint(uint64(h.Sum32()%1_000_000), 10)
}

// publishCameras publishes one message per sensor, in parallel.
func (s *Sender) publishCameras(ctx context.Context, ds []sim.Detection, stamp func(time.Time) time.Time) {
	if len(ds) == 0 {
		return
	}
	var order []string
	by := map[string][]sim.Detection{}
	for _, d := range ds {
		if _, ok := by[d.Sensor]; !ok {
			order = append(order, d.Sensor)
		}
		by[d.Sensor] = append(by[d.Sensor], d)
	}
	sem := make(chan struct{}, 16)
	var wg sync.WaitGroup
	for _, id := range order {
		group := by[id]
		payload, err := Canonical(s.o.RunID, group, stamp)
		if err != nil {
			s.fault("mqtt", err)
			continue
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if err := s.mqtt.Publish(ctx, "borderwatch/cameras/"+id+"/detections", payload, s.o.MQTTQoS); err != nil {
				s.fault("mqtt", err)
				return
			}
			s.count(func(st *Stats) { st.MQTTMessages++; st.MQTTItems += uint64(len(group)) })
		}()
	}
	wg.Wait()
}
