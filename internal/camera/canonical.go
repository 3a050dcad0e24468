package camera

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/borderwatch/borderwatch"
)

// SchemaV1 is the schema value of the canonical detection.
const SchemaV1 = "c2.detection/v1"

// detectionJSON is the canonical detection (docs/protocols/mqtt.md).
type detectionJSON struct {
	Schema string    `json:"schema"`
	ID     string    `json:"id"`
	Time   time.Time `json:"time"`
	Source struct {
		ID     string `json:"id"`
		Type   string `json:"type"`
		Vendor string `json:"vendor"`
	} `json:"source"`
	TrackID    string                     `json:"track_id"`
	Class      string                     `json:"class"`
	Confidence *float64                   `json:"confidence"`
	Position   *positionJSON              `json:"position"`
	Bearing    *bearingJSON               `json:"bearing"`
	Range      *rangeJSON                 `json:"range"`
	Image      *imageJSON                 `json:"image"`
	SensorPose *poseJSON                  `json:"sensor_pose"`
	Velocity   *velocityJSON              `json:"velocity"`
	State      string                     `json:"state"`
	Rule       string                     `json:"rule"`
	Zone       string                     `json:"zone"`
	Attributes map[string]json.RawMessage `json:"attributes"`
}

type positionJSON struct {
	Lat   *float64       `json:"lat"`
	Lon   *float64       `json:"lon"`
	AltM  *float64       `json:"alt_m"`
	CovNE *[2][2]float64 `json:"cov_ne_m2"`
	CE95  float64        `json:"ce95_m"`
}

type bearingJSON struct {
	AzDeg      *float64 `json:"az_deg"`
	ElDeg      *float64 `json:"el_deg"`
	SigmaAzDeg float64  `json:"sigma_az_deg"`
	SigmaElDeg float64  `json:"sigma_el_deg"`
}

type rangeJSON struct {
	M      float64 `json:"m"`
	SigmaM float64 `json:"sigma_m"`
}

type imageJSON struct {
	Width  int       `json:"width"`
	Height int       `json:"height"`
	BBox   *bboxJSON `json:"bbox"`
}

type bboxJSON struct {
	X float64 `json:"x"`
	Y float64 `json:"y"`
	W float64 `json:"w"`
	H float64 `json:"h"`
}

type poseJSON struct {
	Lat        *float64 `json:"lat"`
	Lon        *float64 `json:"lon"`
	HeightAGLM float64  `json:"height_agl_m"`
	HeadingDeg float64  `json:"heading_deg"`
	TiltDeg    float64  `json:"tilt_deg"`
	HFOVDeg    float64  `json:"hfov_deg"`
	VFOVDeg    float64  `json:"vfov_deg"`
	MaxRangeM  float64  `json:"max_range_m"`
}

type velocityJSON struct {
	SpeedMPS  float64 `json:"speed_mps"`
	CourseDeg float64 `json:"course_deg"`
}

// DecodeDetection decodes one canonical detection object or an array of
// them. cameraID (from the topic) is used when source.id is empty.
func (d *Decoder) DecodeDetection(cameraID string, payload []byte, dst []borderwatch.Observation) ([]borderwatch.Observation, error) {
	s := scanner{b: payload}
	n := len(dst)
	if s.peek() == '[' {
		i := 0
		var err error
		s.array(func() {
			var j detectionJSON
			parseDetection(&s, &j)
			if s.err != nil || err != nil {
				return
			}
			if i++; i > d.opts.MaxDetections {
				err = fmt.Errorf("%w: more than %d detections in one message", ErrInvalid, d.opts.MaxDetections)
				s.fail()
				return
			}
			var o borderwatch.Observation
			if o, err = d.canonical(cameraID, &j); err != nil {
				err = fmt.Errorf("detection %d: %w", i-1, err)
				s.fail()
				return
			}
			dst = append(dst, o)
		})
		s.end()
		if err != nil {
			return dst[:n], err
		}
		if s.err != nil {
			return dst[:n], fmt.Errorf("%w: canonical detection array near byte %d", ErrSyntax, s.i)
		}
		return dst, nil
	}
	var j detectionJSON
	parseDetection(&s, &j)
	s.end()
	if s.err != nil {
		return dst, fmt.Errorf("%w: canonical detection near byte %d", ErrSyntax, s.i)
	}
	o, err := d.canonical(cameraID, &j)
	if err != nil {
		return dst, err
	}
	return append(dst, o), nil
}

func (d *Decoder) canonical(cameraID string, j *detectionJSON) (borderwatch.Observation, error) {
	if j.Schema != SchemaV1 {
		return borderwatch.Observation{}, fmt.Errorf("%w: schema %q, want %q", ErrInvalid, j.Schema, SchemaV1)
	}
	x := det{
		camera:  j.Source.ID,
		id:      j.ID,
		time:    j.Time,
		trackID: j.TrackID,
		class:   mapClass(j.Class),
	}
	if x.camera == "" {
		x.camera = cameraID
	}
	if j.Class == "" {
		return borderwatch.Observation{}, fmt.Errorf("%w: camera %s: no class", ErrInvalid, x.camera)
	}
	if string(x.class) != j.Class {
		x.vendorClass = j.Class
	}
	if j.Confidence != nil {
		x.conf = *j.Confidence
	} else {
		x.conf, x.confDefault = DefaultConfidence, true
	}
	if k := borderwatch.SourceKind(j.Source.Type); k != "" && validKind(k) {
		x.kind = k
	} else {
		x.attr("source_type", j.Source.Type)
	}
	x.attr("vendor", j.Source.Vendor)
	x.attr("state", j.State)
	x.attr("rule", j.Rule)
	x.attr("zone", j.Zone)
	if p := j.Position; p != nil {
		if p.Lat == nil || p.Lon == nil {
			return borderwatch.Observation{}, fmt.Errorf("%w: camera %s: position without lat/lon", ErrInvalid, x.camera)
		}
		x.pos = &borderwatch.LatLon{Lat: *p.Lat, Lon: *p.Lon}
		x.alt = p.AltM
		switch {
		case p.CovNE != nil:
			c := p.CovNE
			x.cov = borderwatch.Cov2{EE: c[0][0], EN: c[0][1], NN: c[1][1]}
			if !x.cov.Valid() || c[0][1] != c[1][0] {
				return borderwatch.Observation{}, fmt.Errorf("%w: camera %s: cov_ne_m2 %v not a symmetric positive-definite matrix", ErrInvalid, x.camera, *c)
			}
		case p.CE95 > 0:
			// CE95 of a circular Gaussian: r95 = 2.448 σ.
			x.cov = borderwatch.Isotropic(p.CE95 / 2.448)
		}
	}
	if b := j.Bearing; b != nil && b.AzDeg != nil {
		if !finite(*b.AzDeg) || !(b.SigmaAzDeg >= 0 && b.SigmaAzDeg < 90) || !(b.SigmaElDeg >= 0 && b.SigmaElDeg < 90) {
			return borderwatch.Observation{}, fmt.Errorf("%w: camera %s: bearing %v", ErrInvalid, x.camera, *b.AzDeg)
		}
		x.hasAz, x.az, x.sAz = true, normAz(*b.AzDeg), b.SigmaAzDeg
		if b.ElDeg != nil {
			if *b.ElDeg < -90 || *b.ElDeg > 90 {
				return borderwatch.Observation{}, fmt.Errorf("%w: camera %s: el_deg %v", ErrInvalid, x.camera, *b.ElDeg)
			}
			x.hasEl, x.el, x.sEl = true, *b.ElDeg, b.SigmaElDeg
		}
	}
	if r := j.Range; r != nil {
		if r.M < 0 || r.SigmaM < 0 {
			return borderwatch.Observation{}, fmt.Errorf("%w: camera %s: range %v ± %v", ErrInvalid, x.camera, r.M, r.SigmaM)
		}
		x.rangeM, x.sRange = r.M, r.SigmaM
	}
	if img := j.Image; img != nil && img.BBox != nil {
		b := img.BBox
		if !(b.X >= 0 && b.Y >= 0 && b.W >= 0 && b.H >= 0 && b.X+b.W <= 1.0001 && b.Y+b.H <= 1.0001) {
			return borderwatch.Observation{}, fmt.Errorf("%w: camera %s: bbox %+v outside the unit frame", ErrInvalid, x.camera, *b)
		}
		x.hasBox, x.nx, x.ny = true, b.X+b.W/2, b.Y+b.H
	}
	if sp := j.SensorPose; sp != nil && sp.Lat != nil && sp.Lon != nil {
		p := Pose{
			Position:   borderwatch.LatLon{Lat: *sp.Lat, Lon: *sp.Lon},
			HeightM:    sp.HeightAGLM,
			HeadingDeg: sp.HeadingDeg,
			TiltDeg:    sp.TiltDeg,
			HFOVDeg:    sp.HFOVDeg,
			VFOVDeg:    sp.VFOVDeg,
			MaxRangeM:  sp.MaxRangeM,
		}
		// Fill what the message leaves out from the deployment's pose.
		if d.opts.Pose != nil {
			if dp, ok := d.opts.Pose(x.camera); ok {
				p.SigmaAzDeg, p.SigmaElDeg, p.SigmaHM = dp.SigmaAzDeg, dp.SigmaElDeg, dp.SigmaHM
				if p.MaxRangeM == 0 {
					p.MaxRangeM = dp.MaxRangeM
				}
			}
		}
		if img := j.Image; img != nil {
			p.Width, p.Height = img.Width, img.Height
		}
		x.pose = &p
	}
	if v := j.Velocity; v != nil {
		c := v.CourseDeg * deg
		x.vel = &borderwatch.Velocity{East: v.SpeedMPS * math.Sin(c), North: v.SpeedMPS * math.Cos(c)}
	}
	for k, raw := range j.Attributes {
		x.attr(k, rawString(raw))
	}
	return d.build(&x)
}

func validKind(k borderwatch.SourceKind) bool {
	switch k {
	case borderwatch.SourceThermalCamera, borderwatch.SourceRadar, borderwatch.SourceGroundSensor,
		borderwatch.SourceFence, borderwatch.SourceDrone, borderwatch.SourceWatchtower, borderwatch.SourceExternal:
		return true
	}
	return false
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

// rawString renders a JSON value as an attribute string: strings unquoted,
// anything else as its JSON text.
func rawString(raw json.RawMessage) string {
	if len(raw) > 0 && raw[0] == '"' {
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return s
		}
	}
	return string(raw)
}

// flexString accepts a JSON string, number or boolean as text (ONVIF and
// Axis send values as strings, numbers and booleans interchangeably).
type flexString string

func (f *flexString) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = flexString(s)
		return nil
	}
	if len(b) > 0 && (b[0] == '{' || b[0] == '[') {
		*f = flexString(b)
		return nil
	}
	if string(b) == "null" {
		*f = ""
		return nil
	}
	*f = flexString(b)
	return nil
}

func (f flexString) bool() bool {
	switch string(f) {
	case "true", "1", "True", "TRUE", "on":
		return true
	}
	return false
}

func (f flexString) float() (float64, bool) {
	v, err := strconv.ParseFloat(string(f), 64)
	return v, err == nil && finite(v)
}

// flexTime accepts an RFC 3339 string or epoch milliseconds (seconds if
// the number is below 1e11).
type flexTime struct{ time.Time }

func (t *flexTime) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		return t.Time.UnmarshalJSON(b)
	}
	if string(b) == "null" {
		return nil
	}
	v, err := strconv.ParseFloat(string(b), 64)
	if err != nil || !finite(v) || v < 0 || v > 1e14 {
		return fmt.Errorf("time %s: want RFC 3339 or epoch milliseconds", b)
	}
	if v < 1e11 {
		v *= 1000
	}
	ms := int64(v)
	t.Time = time.UnixMilli(ms).UTC()
	return nil
}
