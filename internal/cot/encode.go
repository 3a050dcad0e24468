package cot

import (
	"math"
	"strconv"
	"time"
)

// xmlProlog precedes every XML event a TAK sender writes on a stream.
const xmlProlog = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n"

// AppendXML appends ev as one CoT XML <event> element, with no prolog and
// nothing after </event>. Times are written in UTC with milliseconds.
// Modelled detail children are written first, in a fixed order, then the
// verbatim children of Detail.XML.
func AppendXML(dst []byte, ev *Event) []byte {
	dst = append(dst, `<event version="`...)
	if ev.Version == "" {
		dst = append(dst, defaultVersion...)
	} else {
		dst = appendEscaped(dst, ev.Version)
	}
	dst = append(dst, '"')
	dst = appendAttr(dst, "uid", ev.UID)
	dst = appendAttr(dst, "type", ev.Type)
	dst = appendAttr(dst, "how", ev.How)
	dst = appendTimeAttr(dst, "time", ev.Time)
	dst = appendTimeAttr(dst, "start", ev.Start)
	dst = appendTimeAttr(dst, "stale", ev.Stale)
	dst = appendOptAttr(dst, "access", ev.Access)
	dst = appendOptAttr(dst, "qos", ev.QoS)
	dst = appendOptAttr(dst, "opex", ev.Opex)
	dst = appendOptAttr(dst, "caveat", ev.Caveat)
	dst = appendOptAttr(dst, "releasableTo", ev.ReleasableTo)
	dst = append(dst, `><point lat="`...)
	dst = appendFloat(dst, ev.Point.Lat)
	dst = append(dst, `" lon="`...)
	dst = appendFloat(dst, ev.Point.Lon)
	dst = append(dst, `" hae="`...)
	dst = appendFloat(dst, ev.Point.HAE)
	dst = append(dst, `" ce="`...)
	dst = appendFloat(dst, ev.Point.CE)
	dst = append(dst, `" le="`...)
	dst = appendFloat(dst, ev.Point.LE)
	dst = append(dst, `"/>`...)
	if ev.Detail.Has&^ev.Detail.Raw != 0 || ev.Detail.XML != "" {
		dst = append(dst, "<detail>"...)
		dst = appendDetailXML(dst, &ev.Detail, false)
		dst = append(dst, "</detail>"...)
	}
	return append(dst, "</event>"...)
}

// AppendXMLFrame appends ev as a streaming XML message: the XML prolog, a
// newline and the <event>, as TAK senders write them.
func AppendXMLFrame(dst []byte, ev *Event) []byte {
	dst = append(dst, xmlProlog...)
	return AppendXML(dst, ev)
}

// protoTyped are the children TAK protobuf carries as typed messages.
const protoTyped = ElemContact | ElemGroup | ElemPrecisionLocation | ElemStatus | ElemTakv | ElemTrack

// appendDetailXML appends the detail children. With forProto it leaves
// out the children that the protobuf Detail carries typed.
func appendDetailXML(dst []byte, d *Detail, forProto bool) []byte {
	typed := d.Has &^ d.Raw
	if forProto {
		typed &^= protoTyped
	}
	if typed&ElemContact != 0 {
		dst = append(dst, "<contact"...)
		if d.Contact.Endpoint != "" {
			dst = appendAttr(dst, "endpoint", d.Contact.Endpoint)
		}
		dst = appendAttr(dst, "callsign", d.Contact.Callsign)
		dst = append(dst, "/>"...)
	}
	if typed&ElemGroup != 0 {
		dst = append(dst, "<__group"...)
		dst = appendAttr(dst, "name", d.Group.Name)
		dst = appendAttr(dst, "role", d.Group.Role)
		dst = append(dst, "/>"...)
	}
	if typed&ElemPrecisionLocation != 0 {
		dst = append(dst, "<precisionlocation"...)
		dst = appendAttr(dst, "geopointsrc", d.PrecisionLocation.GeoPointSrc)
		dst = appendAttr(dst, "altsrc", d.PrecisionLocation.AltSrc)
		dst = append(dst, "/>"...)
	}
	if typed&ElemStatus != 0 {
		dst = append(dst, `<status battery="`...)
		dst = strconv.AppendUint(dst, uint64(d.Status.Battery), 10)
		dst = append(dst, `"/>`...)
	}
	if typed&ElemTakv != 0 {
		dst = append(dst, "<takv"...)
		dst = appendAttr(dst, "device", d.Takv.Device)
		dst = appendAttr(dst, "platform", d.Takv.Platform)
		dst = appendAttr(dst, "os", d.Takv.OS)
		dst = appendAttr(dst, "version", d.Takv.Version)
		dst = append(dst, "/>"...)
	}
	if typed&ElemTrack != 0 {
		dst = append(dst, `<track course="`...)
		dst = appendFloat(dst, d.Track.Course)
		dst = append(dst, `" speed="`...)
		dst = appendFloat(dst, d.Track.Speed)
		dst = append(dst, `"/>`...)
	}
	if typed&ElemRemarks != 0 {
		if d.Remarks.Text == "" {
			dst = append(dst, "<remarks/>"...)
		} else {
			dst = append(dst, "<remarks>"...)
			dst = appendEscaped(dst, d.Remarks.Text)
			dst = append(dst, "</remarks>"...)
		}
	}
	for i := range d.Links {
		l := &d.Links[i]
		if l.inXML {
			continue
		}
		dst = append(dst, "<link"...)
		dst = appendAttr(dst, "uid", l.UID)
		dst = appendAttr(dst, "type", l.Type)
		dst = appendAttr(dst, "relation", l.Relation)
		dst = append(dst, "/>"...)
	}
	return append(dst, d.XML...)
}

func appendAttr(dst []byte, name, v string) []byte {
	dst = append(dst, ' ')
	dst = append(dst, name...)
	dst = append(dst, `="`...)
	dst = appendEscaped(dst, v)
	return append(dst, '"')
}

func appendOptAttr(dst []byte, name, v string) []byte {
	if v == "" {
		return dst
	}
	return appendAttr(dst, name, v)
}

func appendTimeAttr(dst []byte, name string, t time.Time) []byte {
	dst = append(dst, ' ')
	dst = append(dst, name...)
	dst = append(dst, `="`...)
	dst = appendTime(dst, t)
	return append(dst, '"')
}

// appendFloat writes the shortest decimal that reads back as f, with an
// exponent only for very large or small values. NaN and infinities, which
// CoT cannot carry, become the unknown sentinel.
func appendFloat(dst []byte, f float64) []byte {
	if f != f || math.IsInf(f, 0) {
		f = Unknown
	}
	if a := math.Abs(f); f == 0 || a >= 1e-5 && a < 1e15 {
		return strconv.AppendFloat(dst, f, 'f', -1, 64)
	}
	return strconv.AppendFloat(dst, f, 'g', -1, 64)
}

// appendEscaped appends s escaped for an attribute value or text.
func appendEscaped(dst []byte, s string) []byte {
	last := 0
	for i := 0; i < len(s); i++ {
		var esc string
		switch s[i] {
		case '<':
			esc = "&lt;"
		case '>':
			esc = "&gt;"
		case '&':
			esc = "&amp;"
		case '"':
			esc = "&quot;"
		case '\'':
			esc = "&apos;"
		case '\n':
			esc = "&#10;"
		case '\r':
			esc = "&#13;"
		case '\t':
			esc = "&#9;"
		default:
			if s[i] < 0x20 {
				// Not representable in XML 1.0: drop it.
				dst = append(dst, s[last:i]...)
				last = i + 1
			}
			continue
		}
		dst = append(dst, s[last:i]...)
		dst = append(dst, esc...)
		last = i + 1
	}
	return append(dst, s[last:]...)
}
