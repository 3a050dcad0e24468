package camera

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/borderwatch/borderwatch"
)

// axisFrame is an Axis scene frame (Analytics Data Format,
// com.axis.scene.frame.v1) as published over MQTT: per frame, the objects
// the tracker sees. The deprecated beta format wrapped a frame in "frame"
// and called the list "observations"; both are accepted.
type axisFrame struct {
	ChannelID    flexString      `json:"channel_id"`
	Timestamp    flexTime        `json:"timestamp"`
	Detections   []axisDetection `json:"detections"`
	Observations []axisDetection `json:"observations"`
	Frame        *axisFrame      `json:"frame"`
}

type axisDetection struct {
	TrackID     flexString  `json:"track_id"`
	ID          flexString  `json:"id"`
	Timestamp   flexTime    `json:"timestamp"`
	BoundingBox *boxJSON    `json:"bounding_box"`
	Class       *axisClass  `json:"class"`
	Classes     []axisClass `json:"classes"`
	Geo         *axisGeo    `json:"geographic_position"`
	GeoAlt      *axisGeo    `json:"geoposition"`
}

type boxJSON struct {
	Left   float64 `json:"left"`
	Top    float64 `json:"top"`
	Right  float64 `json:"right"`
	Bottom float64 `json:"bottom"`
}

type axisClass struct {
	Type  string   `json:"type"`
	Score *float64 `json:"score"`
}

type axisGeo struct {
	Latitude  *float64 `json:"latitude"`
	Longitude *float64 `json:"longitude"`
	Elevation *float64 `json:"elevation"`
}

// DecodeAxisFrame decodes an Axis scene frame: one observation per
// detection, placed by its geographic position when the device is
// geo-calibrated (radar-video fusion) and otherwise by projecting the
// bottom centre of its bounding box (normalised 0..1, y down) through the
// camera's pose. The camera id comes from the topic (or channel).
func (d *Decoder) DecodeAxisFrame(cameraID string, payload []byte, dst []borderwatch.Observation) ([]borderwatch.Observation, error) {
	var f axisFrame
	s := scanner{b: payload}
	parseAxisFrame(&s, &f)
	s.end()
	if s.err != nil {
		return dst, fmt.Errorf("%w: axis scene frame near byte %d", ErrSyntax, s.i)
	}
	if f.Frame != nil {
		inner := *f.Frame
		if inner.Timestamp.IsZero() {
			inner.Timestamp = f.Timestamp
		}
		f = inner
	}
	list := f.Detections
	if len(list) == 0 {
		list = f.Observations
	}
	if len(list) > d.opts.MaxDetections {
		return dst, fmt.Errorf("%w: %d detections in one frame, limit %d", ErrInvalid, len(list), d.opts.MaxDetections)
	}
	if cameraID == "" && f.ChannelID != "" {
		return dst, fmt.Errorf("%w: axis scene frame: no camera id in the topic (channel %s)", ErrInvalid, f.ChannelID)
	}
	for i := range list {
		a := &list[i]
		x := det{camera: cameraID, time: f.Timestamp.Time, kind: borderwatch.SourceThermalCamera}
		if !a.Timestamp.IsZero() {
			x.time = a.Timestamp.Time
		}
		x.trackID = string(a.TrackID)
		if x.trackID == "" {
			x.trackID = string(a.ID)
		}
		c := a.Class
		if c == nil && len(a.Classes) > 0 {
			c = &a.Classes[0]
			for j := range a.Classes {
				if a.Classes[j].Score != nil && (c.Score == nil || *a.Classes[j].Score > *c.Score) {
					c = &a.Classes[j]
				}
			}
		}
		x.class = borderwatch.ClassUnknown
		if c != nil {
			x.class, x.vendorClass = mapClass(c.Type), c.Type
		}
		if c != nil && c.Score != nil {
			x.conf = *c.Score
		} else {
			x.conf, x.confDefault = DefaultConfidence, true
		}
		geo := a.Geo
		if geo == nil {
			geo = a.GeoAlt
		}
		if geo != nil && geo.Latitude != nil && geo.Longitude != nil {
			x.pos = &borderwatch.LatLon{Lat: *geo.Latitude, Lon: *geo.Longitude}
			x.alt = geo.Elevation
		}
		if b := a.BoundingBox; b != nil {
			if !(b.Left >= 0 && b.Right <= 1.0001 && b.Left <= b.Right && b.Top >= 0 && b.Bottom <= 1.0001 && b.Top <= b.Bottom) {
				return dst, fmt.Errorf("%w: camera %s: axis bounding box %+v outside the unit frame", ErrInvalid, cameraID, *b)
			}
			x.hasBox, x.nx, x.ny = true, (b.Left+b.Right)/2, b.Bottom
		}
		o, err := d.build(&x)
		if err != nil {
			return dst, fmt.Errorf("axis detection %d: %w", i, err)
		}
		dst = append(dst, o)
	}
	return dst, nil
}

// axisEvent is an AXIS OS MQTT event bridge message, e.g. an AXIS Object
// Analytics scenario trigger:
// {"topic":"axis:CameraApplicationPlatform/ObjectAnalytics/Device1Scenario1",
// "timestamp":1763774089123,"serial":"B8A44F941234",
// "message":{"source":{},"key":{},"data":{"active":"1"}}}.
type axisEvent struct {
	Topic     string   `json:"topic"`
	Timestamp flexTime `json:"timestamp"`
	Serial    string   `json:"serial"`
	Message   struct {
		Source map[string]flexString `json:"source"`
		Key    map[string]flexString `json:"key"`
		Data   map[string]flexString `json:"data"`
	} `json:"message"`
}

// DecodeAxisEvent decodes an Axis event bridge message. An object-analytics
// or motion trigger that becomes active (data.active = "1") is a detection
// somewhere in the camera's field of view: a bearing along the boresight
// with the field of view as its spread. An inactive trigger or any other
// status event yields nothing.
func (d *Decoder) DecodeAxisEvent(cameraID string, payload []byte, dst []borderwatch.Observation) ([]borderwatch.Observation, error) {
	var e axisEvent
	if err := json.Unmarshal(payload, &e); err != nil {
		return dst, fmt.Errorf("%w: axis event: %v", ErrSyntax, err)
	}
	if e.Serial != "" && cameraID == "" {
		cameraID = e.Serial
	}
	topic := strings.TrimPrefix(e.Topic, "axis:")
	if !strings.Contains(topic, "ObjectAnalytics") && !strings.Contains(topic, "MotionDetection") &&
		!strings.Contains(topic, "VMD") && !strings.Contains(topic, "RuleEngine") {
		return dst, fmt.Errorf("%w: axis event topic %q", ErrUnsupported, e.Topic)
	}
	active, ok := e.Message.Data["active"]
	if !ok {
		active, ok = e.Message.Data["state"]
	}
	if !ok {
		return dst, fmt.Errorf("%w: axis event %q: no data.active", ErrInvalid, e.Topic)
	}
	if !active.bool() {
		return dst, nil
	}
	x := det{camera: cameraID, time: e.Timestamp.Time, kind: borderwatch.SourceThermalCamera, fov: true,
		class: borderwatch.ClassUnknown, conf: DefaultConfidence, confDefault: true}
	if ct := e.Message.Data["classTypes"]; ct != "" {
		x.class, x.vendorClass = mapClass(strings.Split(string(ct), ",")[0]), string(ct)
	}
	x.trackID = string(e.Message.Data["objectId"])
	x.attr("rule", topic)
	x.id = cameraID + "/" + hashID(cameraID, topic, x.trackID, x.time)
	o, err := d.build(&x)
	if err != nil {
		return dst, err
	}
	return append(dst, o), nil
}
