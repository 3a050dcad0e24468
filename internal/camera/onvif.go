package camera

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/borderwatch/borderwatch"
)

// onvifEvent is an ONVIF event in its JSON form (ONVIF Core "event broker",
// Profile M): published on <prefix>/onvif-ej/<topic without tns1:>[/&<source
// values>] as {"UtcTime":..., "Source":{...}, "Key":{...}, "Data":{...}}.
// Camera bridges that republish PullPoint events add the topic in the
// payload ("Topic":"tns1:RuleEngine/..."); both are accepted.
type onvifEvent struct {
	Topic             string                     `json:"Topic"`
	UtcTime           flexTime                   `json:"UtcTime"`
	PropertyOperation string                     `json:"PropertyOperation"`
	Source            map[string]flexString      `json:"Source"`
	Key               map[string]flexString      `json:"Key"`
	Data              map[string]json.RawMessage `json:"Data"`
}

// ONVIF rule-engine topics this decoder maps to detections.
const (
	ONVIFFieldDetector = "RuleEngine/FieldDetector/ObjectsInside"
	ONVIFLineCrossed   = "RuleEngine/LineDetector/Crossed"
	ONVIFMotionRegion  = "RuleEngine/MotionRegionDetector/Motion"
	ONVIFCellMotion    = "RuleEngine/CellMotionDetector/Motion"
	ONVIFTemperature   = "RuleEngine/Radiometry/TemperatureAlarm"
)

// DecodeONVIFEvent decodes an ONVIF rule-engine event. The rule topic is
// taken from the payload's Topic or from the MQTT topic after "onvif-ej/".
//
// FieldDetector/ObjectsInside with IsInside true, LineDetector/Crossed, and
// MotionRegionDetector (State true) / CellMotionDetector (IsMotion true)
// motion become a detection somewhere in the camera's field of view (a
// bearing along the boresight, the field of view as its spread), class
// from Data ClassTypes/ObjectType if present. A radiometry
// TemperatureAlarm with AlarmGeoLocation is placed there. The end of a
// state (false) yields nothing; other topics are ErrUnsupported.
func (d *Decoder) DecodeONVIFEvent(cameraID, mqttTopic string, payload []byte, dst []borderwatch.Observation) ([]borderwatch.Observation, error) {
	var e onvifEvent
	if err := json.Unmarshal(payload, &e); err != nil {
		return dst, fmt.Errorf("%w: onvif event: %v", ErrSyntax, err)
	}
	topic := onvifRuleTopic(e.Topic, mqttTopic)
	x := det{camera: cameraID, time: e.UtcTime.Time, kind: borderwatch.SourceThermalCamera,
		class: borderwatch.ClassUnknown, conf: DefaultConfidence, confDefault: true}
	data := func(k string) flexString {
		raw, ok := e.Data[k]
		if !ok {
			return ""
		}
		var f flexString
		if json.Unmarshal(raw, &f) != nil {
			return ""
		}
		return f
	}
	switch topic {
	case ONVIFFieldDetector:
		if !data("IsInside").bool() {
			return dst, nil
		}
		x.fov = true
	case ONVIFLineCrossed:
		x.fov = true
	case ONVIFMotionRegion:
		if !data("State").bool() {
			return dst, nil
		}
		x.fov, x.conf = true, MotionConfidence
	case ONVIFCellMotion:
		if !data("IsMotion").bool() {
			return dst, nil
		}
		x.fov, x.conf = true, MotionConfidence
	case ONVIFTemperature:
		raw, ok := e.Data["AlarmGeoLocation"]
		if !ok {
			return dst, fmt.Errorf("%w: %s without AlarmGeoLocation", ErrNoLocation, topic)
		}
		var g struct {
			Lat flexString `json:"lat"`
			Lon flexString `json:"lon"`
		}
		if err := json.Unmarshal(raw, &g); err != nil {
			return dst, fmt.Errorf("%w: %s AlarmGeoLocation: %v", ErrInvalid, topic, err)
		}
		lat, ok1 := g.Lat.float()
		lon, ok2 := g.Lon.float()
		if !ok1 || !ok2 {
			return dst, fmt.Errorf("%w: %s AlarmGeoLocation lat %q lon %q", ErrInvalid, topic, g.Lat, g.Lon)
		}
		x.pos = &borderwatch.LatLon{Lat: lat, Lon: lon}
	default:
		return dst, fmt.Errorf("%w: onvif topic %q", ErrUnsupported, topic)
	}
	for _, k := range []string{"ClassTypes", "ObjectType", "Class"} {
		if f := strings.Fields(string(data(k))); len(f) > 0 {
			x.class, x.vendorClass = mapClass(f[0]), string(data(k))
			break
		}
	}
	if v, ok := data("Likelihood").float(); ok && v >= 0 && v <= 1 {
		x.conf, x.confDefault = v, false
	}
	x.trackID = string(e.Key["ObjectId"])
	if x.trackID == "" {
		x.trackID = string(data("ObjectId"))
	}
	rule := string(e.Source["Rule"])
	x.attr("rule", rule)
	x.attr("onvif_topic", topic)
	x.attr("video_source", firstOf(e.Source, "VideoSource", "VideoSourceConfigurationToken"))
	x.id = cameraID + "/" + hashID(cameraID, topic, rule, x.trackID, x.time)
	o, err := d.build(&x)
	if err != nil {
		return dst, err
	}
	return append(dst, o), nil
}

// MotionConfidence is the confidence of a bare motion event: motion is
// often wind or heat, not an object.
const MotionConfidence = 0.3

func onvifRuleTopic(payloadTopic, mqttTopic string) string {
	t := payloadTopic
	if t == "" {
		if i := strings.Index(mqttTopic, "onvif-ej/"); i >= 0 {
			t = mqttTopic[i+len("onvif-ej/"):]
		}
		// Source values follow as "/&v1/v2/...".
		if i := strings.Index(t, "/&"); i >= 0 {
			t = t[:i]
		}
	}
	// Drop a namespace prefix (tns1:, tt:) from each level.
	if strings.Contains(t, ":") {
		parts := strings.Split(t, "/")
		for i, p := range parts {
			if j := strings.LastIndexByte(p, ':'); j >= 0 {
				parts[i] = p[j+1:]
			}
		}
		t = strings.Join(parts, "/")
	}
	return strings.Trim(t, "/")
}

func firstOf(m map[string]flexString, keys ...string) string {
	for _, k := range keys {
		if v := m[k]; v != "" {
			return string(v)
		}
	}
	return ""
}
