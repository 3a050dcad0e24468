// Package camera decodes camera analytics into observations: the canonical
// detection JSON (c2.detection/v1, docs/protocols/mqtt.md), Axis scene
// frames and AXIS Object Analytics events, and ONVIF rule-engine events in
// their JSON (Profile M "onvif-ej") form. A detection given as a bearing
// (and range) or as a pixel box is placed on the ground through the
// camera's pose with a covariance that grows with range.
//
// It is pure: no I/O, no clock (event times come from the messages).
package camera

import (
	"bytes"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/borderwatch/borderwatch"
)

// Errors, by reason. Decode wraps one of them; Reason names it for
// metrics.
var (
	ErrSyntax      = errors.New("camera: malformed JSON")
	ErrInvalid     = errors.New("camera: invalid detection")
	ErrUnsupported = errors.New("camera: unsupported message")
	ErrNoPose      = errors.New("camera: no pose for camera")
	ErrNoLocation  = errors.New("camera: no location")
)

// Reason returns a short metric label for a Decode error.
func Reason(err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, ErrSyntax):
		return "syntax"
	case errors.Is(err, ErrInvalid):
		return "invalid"
	case errors.Is(err, ErrUnsupported):
		return "unsupported"
	case errors.Is(err, ErrNoPose):
		return "no_pose"
	case errors.Is(err, ErrNoLocation):
		return "no_location"
	}
	return "other"
}

// Options configures a Decoder.
type Options struct {
	// Pose returns a camera's pose by id (from the deployment). A pose in
	// the message itself (canonical sensor_pose) takes precedence, since a
	// PTZ camera's pose at frame time is what matters.
	Pose func(cameraID string) (Pose, bool)
	// Label returns the label of a camera's observations; nil leaves it
	// empty for the ingest pipeline to fill.
	Label func(cameraID string) borderwatch.Label
	// MaxDetections bounds the observations one message may yield;
	// default 1024.
	MaxDetections int
}

// Decoder turns MQTT camera messages into observations. It is safe for
// concurrent use.
type Decoder struct {
	opts Options
}

// New returns a Decoder.
func New(opts Options) *Decoder {
	if opts.MaxDetections <= 0 {
		opts.MaxDetections = 1024
	}
	return &Decoder{opts: opts}
}

// MaxPayload is the largest message Decode accepts.
const MaxPayload = 1 << 20

// Decode recognises the shape of payload, decodes it and appends the
// observations to dst. topic supplies the camera id when the payload has
// none (borderwatch/cameras/<id>/..., axis/<serial>/event/...,
// <device>/onvif-ej/...). A message that is valid but reports nothing to
// log (an object leaving a field, an empty frame) yields no observation
// and no error. On error dst is returned unchanged.
func (d *Decoder) Decode(topic string, payload []byte, dst []borderwatch.Observation) ([]borderwatch.Observation, error) {
	if len(payload) > MaxPayload {
		return dst, fmt.Errorf("%w: %d bytes, limit %d", ErrInvalid, len(payload), MaxPayload)
	}
	p := bytes.TrimLeft(payload, " \t\r\n")
	if len(p) == 0 {
		return dst, fmt.Errorf("%w: empty payload", ErrSyntax)
	}
	cam := TopicCamera(topic)
	n := len(dst)
	var err error
	switch {
	case p[0] == '[':
		dst, err = d.DecodeDetection(cam, p, dst)
	case p[0] != '{':
		return dst, fmt.Errorf("%w: want a JSON object or array", ErrSyntax)
	case bytes.Contains(p, []byte(`"c2.detection/`)):
		dst, err = d.DecodeDetection(cam, p, dst)
	case bytes.Contains(p, []byte(`"UtcTime"`)):
		dst, err = d.DecodeONVIFEvent(cam, topic, p, dst)
	case bytes.Contains(p, []byte(`"message"`)) && bytes.Contains(p, []byte(`"axis:`)):
		dst, err = d.DecodeAxisEvent(cam, p, dst)
	case bytes.Contains(p, []byte(`"detections"`)) || bytes.Contains(p, []byte(`"observations"`)):
		dst, err = d.DecodeAxisFrame(cam, p, dst)
	default:
		return dst, fmt.Errorf("%w: not a c2.detection, Axis scene frame or event, or ONVIF event", ErrUnsupported)
	}
	if err != nil {
		return dst[:n], err
	}
	return dst, nil
}

// TopicCamera returns the camera id a topic names, "" if none.
func TopicCamera(topic string) string {
	l0, rest, _ := strings.Cut(topic, "/")
	l1, rest, _ := strings.Cut(rest, "/")
	l2, _, _ := strings.Cut(rest, "/")
	switch {
	case l0 == "borderwatch" && l1 == "cameras":
		return l2
	case l0 == "axis" && l2 == "event":
		return l1
	case l1 == "onvif-ej":
		return l0
	}
	return ""
}

// det is one detection in the common form every shape maps to.
type det struct {
	camera      string
	id          string
	time        time.Time
	trackID     string
	class       borderwatch.Class
	vendorClass string
	conf        float64
	confDefault bool
	kind        borderwatch.SourceKind

	pos    *borderwatch.LatLon
	cov    borderwatch.Cov2
	alt    *float64
	hasAz  bool
	az     float64
	sAz    float64
	hasEl  bool
	el     float64
	sEl    float64
	rangeM float64
	sRange float64
	hasBox bool
	nx, ny float64 // bottom centre of the box, [0,1], y down
	pose   *Pose
	// fov: an event with no geometry: somewhere in the field of view.
	fov bool

	vel   *borderwatch.Velocity
	attrs map[string]string
}

func (x *det) attr(k, v string) {
	if v == "" {
		return
	}
	if x.attrs == nil {
		x.attrs = make(map[string]string, 8)
	}
	x.attrs[k] = v
}

// build resolves x's location and returns the observation.
func (d *Decoder) build(x *det) (borderwatch.Observation, error) {
	o := borderwatch.Observation{
		ID:         x.id,
		Time:       x.time.UTC(),
		Source:     borderwatch.Source{ID: x.camera, Kind: x.kind},
		Class:      x.class,
		Confidence: x.conf,
		Alt:        x.alt,
		Velocity:   x.vel,
	}
	if x.camera == "" {
		return o, fmt.Errorf("%w: no camera id (in the message or the topic)", ErrInvalid)
	}
	if x.time.IsZero() {
		return o, fmt.Errorf("%w: camera %s: no time", ErrInvalid, x.camera)
	}
	if o.Source.Kind == "" {
		o.Source.Kind = borderwatch.SourceThermalCamera
	}
	if x.confDefault {
		x.attr("confidence_defaulted", "true")
	}
	if x.conf < 0 || x.conf > 1 || math.IsNaN(x.conf) {
		return o, fmt.Errorf("%w: camera %s: confidence %v outside 0..1", ErrInvalid, x.camera, x.conf)
	}
	x.attr("vendor_class", x.vendorClass)
	x.attr("track_id", x.trackID)
	if o.ID == "" {
		o.ID = x.camera + "/" + hashID(x.camera, x.trackID, x.time, x.vendorClass)
	}
	if d.opts.Label != nil {
		o.Label = d.opts.Label(x.camera)
	}
	if err := d.locate(x, &o); err != nil {
		return o, err
	}
	o.Attrs = x.attrs
	return o, nil
}

func (d *Decoder) poseOf(x *det) (Pose, bool) {
	if x.pose != nil {
		return *x.pose, true
	}
	if d.opts.Pose != nil {
		return d.opts.Pose(x.camera)
	}
	return Pose{}, false
}

func (d *Decoder) locate(x *det, o *borderwatch.Observation) error {
	if x.pos != nil {
		if !x.pos.Valid() {
			return fmt.Errorf("%w: camera %s: position %v", ErrInvalid, x.camera, *x.pos)
		}
		o.Position = x.pos
		o.Cov = x.cov
		if !o.Cov.Valid() {
			o.Cov = borderwatch.Isotropic(DefaultPositionSigmaM)
		}
		x.attr("position_source", "sensor")
		return nil
	}
	if !x.hasAz && !x.hasBox && !x.fov {
		return fmt.Errorf("%w: camera %s: neither position, bearing nor image box", ErrNoLocation, x.camera)
	}
	pose, ok := d.poseOf(x)
	if !ok {
		return fmt.Errorf("%w %s (needed for a bearing or image box)", ErrNoPose, x.camera)
	}
	if err := pose.validate(); err != nil {
		return fmt.Errorf("%w: camera %s: pose: %v", ErrInvalid, x.camera, err)
	}
	defAz, defEl, _ := pose.sigmas()
	var f fix
	switch {
	case x.hasAz && x.rangeM > 0:
		sAz := orDefault(x.sAz, defAz)
		sR := x.sRange
		if sR <= 0 {
			sR = math.Max(DefaultRangeSigmaM, DefaultRangeSigmaFrac*x.rangeM)
		}
		r := x.rangeM
		if max := pose.maxRange(); r > max*RangeSlack {
			return fmt.Errorf("%w: camera %s: range %.0f m beyond its maximum %.0f m", ErrInvalid, x.camera, r, max)
		}
		f = fix{az: x.az, sAz: sAz, rangeM: r, ground: true, source: "bearing_range"}
		f.pos, f.cov = pose.place(x.az, r, sR, sAz)
	case x.hasBox:
		if pose.HFOVDeg <= 0 || pose.VFOVDeg <= 0 {
			return fmt.Errorf("%w %s: fields of view unknown (needed for an image box)", ErrNoPose, x.camera)
		}
		az, el, sAz, sEl := pose.pixelRay(x.nx, x.ny)
		f = pose.groundFromElevation(az, el, sAz, sEl)
		if f.ground {
			f.source = "pixel_projection"
		}
	case x.hasAz && x.hasEl:
		f = pose.groundFromElevation(x.az, x.el, orDefault(x.sAz, defAz), orDefault(x.sEl, defEl))
		if f.ground {
			f.source = "bearing_elevation"
		}
	case x.hasAz:
		f = fix{az: x.az, sAz: orDefault(x.sAz, defAz), source: "bearing_only"}
	default: // fov
		s := FOVUnknownSigmaDeg
		if pose.HFOVDeg > 0 {
			s = pose.HFOVDeg / math.Sqrt(12)
		}
		f = fix{az: normAz(pose.HeadingDeg), sAz: s, source: "field_of_view"}
	}
	x.attr("position_source", f.source)
	if f.capped {
		x.attr("range_capped", "true")
	}
	if f.ground {
		o.Position = &f.pos
		o.Cov = f.cov
		return nil
	}
	o.Bearing = &borderwatch.Bearing{Sensor: pose.Position, Azimuth: normAz(f.az), AzimuthSigma: f.sAz}
	return nil
}

// Defaults for values a message leaves out.
const (
	// DefaultPositionSigmaM is the 1σ of a sensor-supplied position without
	// a covariance.
	DefaultPositionSigmaM = 25.0
	// DefaultRangeSigmaM / Frac: a range without σ gets max(10 m, 5 %).
	DefaultRangeSigmaM    = 10.0
	DefaultRangeSigmaFrac = 0.05
	// DefaultConfidence is used when a message carries none.
	DefaultConfidence = 0.5
	// FOVUnknownSigmaDeg is the azimuth σ of a field-of-view event from a
	// camera whose field of view is unknown.
	FOVUnknownSigmaDeg = 30.0
	// RangeSlack: a reported range may exceed the camera's maximum by this
	// factor before it is rejected as implausible.
	RangeSlack = 1.5
)

func orDefault(v, def float64) float64 {
	if v > 0 {
		return v
	}
	return def
}

// hashID derives a stable observation id, so a redelivered message maps to
// the same observation.
func hashID(parts ...any) string {
	h := fnv.New64a()
	var buf [32]byte
	for _, p := range parts {
		switch v := p.(type) {
		case string:
			_, _ = h.Write([]byte(v))
		case time.Time:
			_, _ = h.Write(strconv.AppendInt(buf[:0], v.UnixNano(), 10))
		}
		_, _ = h.Write([]byte{0})
	}
	return strconv.FormatUint(h.Sum64(), 36)
}

// mapClass maps a vendor class label to a domain class.
func mapClass(s string) borderwatch.Class {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "human", "person", "people", "pedestrian", "humanface", "face":
		return borderwatch.ClassPerson
	case "vehicle", "vehical", "car", "truck", "bus", "bike", "bicycle", "motorcycle", "motorcyclebicycle", "licenseplate":
		return borderwatch.ClassVehicle
	case "animal", "dog", "cat", "horse", "sheep", "cow", "camel":
		return borderwatch.ClassAnimal
	case "aircraft", "drone", "uav", "airplane", "helicopter":
		return borderwatch.ClassAircraft
	}
	return borderwatch.ClassUnknown
}
