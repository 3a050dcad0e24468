package cot

import (
	"strings"
	"time"
)

// Unknown is the value CoT senders write for an unknown hae, ce or le.
// TAK Server documents 999999; both are treated as unknown on input.
const Unknown = 9999999.0

// IsUnknown reports whether a point value means "unknown": the sentinels
// 9999999 and 999999, NaN and anything implausibly large.
func IsUnknown(v float64) bool {
	return v != v || v >= 999999 || v <= -999999
}

// Event is one CoT event: the <event> attributes, its <point> and the
// parts of <detail> borderwatch uses. Detail children this package does
// not model are kept verbatim in Detail.XML and written back unchanged.
//
// Decoders reuse an Event: strings are replaced, slices are truncated and
// refilled, so a caller that keeps an Event must Clone it.
type Event struct {
	Version string // "2.0" when empty on output
	UID     string
	Type    string
	How     string
	Time    time.Time
	Start   time.Time
	Stale   time.Time

	Access       string
	QoS          string
	Opex         string
	Caveat       string
	ReleasableTo string

	Point  Point
	Detail Detail
}

// Point is the CoT <point>: WGS-84 degrees, height above the ellipsoid and
// 1-sigma circular and linear errors in metres.
type Point struct {
	Lat, Lon, HAE, CE, LE float64
}

// Elem is a bit set naming the modelled <detail> children.
type Elem uint16

// Modelled <detail> children.
const (
	ElemContact Elem = 1 << iota
	ElemGroup
	ElemPrecisionLocation
	ElemStatus
	ElemTakv
	ElemTrack
	ElemRemarks
	ElemLink
)

// Detail is the CoT <detail> element.
//
// Has says which modelled children are present. Raw says which of those
// are also kept, whole, in XML because they carry attributes or content
// the typed field does not model (a <contact phone=...>, a <status
// readiness=...>): the encoder then writes the raw copy and not the typed
// one, so nothing is lost and nothing is written twice. This is the rule
// TAK's detail.proto states: an element is typed only when the typed form
// holds all of it, and on receive xmlDetail wins.
type Detail struct {
	Has Elem
	Raw Elem

	Contact           Contact
	Group             Group
	PrecisionLocation PrecisionLocation
	Status            Status
	Takv              Takv
	Track             Track
	Remarks           Remarks
	Links             []Link

	// XML holds the children that are not typed, verbatim and in their
	// original order, without the <detail> wrapper.
	XML string
}

// Contact is <contact callsign endpoint>.
type Contact struct {
	Callsign string
	Endpoint string
}

// Group is <__group name role>: team colour and role (display only).
type Group struct {
	Name string
	Role string
}

// PrecisionLocation is <precisionlocation geopointsrc altsrc>.
type PrecisionLocation struct {
	GeoPointSrc string
	AltSrc      string
}

// Status is <status battery>; Battery is percent.
type Status struct {
	Battery uint32
}

// Takv is <takv device platform os version>: the client software.
type Takv struct {
	Device   string
	Platform string
	OS       string
	Version  string
}

// Track is <track course speed>: degrees true and metres per second.
type Track struct {
	Course float64
	Speed  float64
}

// Remarks is <remarks>: free text (entities and CDATA decoded).
type Remarks struct {
	Text string
}

// Link is <link uid type relation>. A link with other attributes (a
// route's point, a parent_callsign) is kept verbatim in Detail.XML and
// also listed here so Producer works; inXML marks it.
type Link struct {
	UID      string
	Type     string
	Relation string

	inXML bool
}

// Clone returns a deep copy of e that shares nothing mutable with it.
func (e *Event) Clone() Event {
	c := *e
	if e.Detail.Links != nil {
		c.Detail.Links = append([]Link(nil), e.Detail.Links...)
	}
	return c
}

// Reset clears e for reuse, keeping the Links capacity.
func (e *Event) Reset() {
	links := e.Detail.Links[:0]
	*e = Event{}
	e.Detail.Links = links
}

// Affiliation returns the second field of an atom type ("f" in
// "a-f-G-U-C") and "" for other types.
func (e *Event) Affiliation() string {
	t := e.Type
	if len(t) < 3 || t[0] != 'a' || t[1] != '-' {
		return ""
	}
	t = t[2:]
	if i := strings.IndexAny(t, "-;"); i >= 0 {
		t = t[:i]
	}
	return t
}

// IsAtom reports whether the type is an atom ("a-..."), a real thing.
func (e *Event) IsAtom() bool { return strings.HasPrefix(e.Type, "a-") }

// Producer returns the uid of the first <link relation="p-p"> (the
// device that produced this event, e.g. the phone that placed a spot
// report) and "" when there is none.
func (d *Detail) Producer() string {
	for i := range d.Links {
		if d.Links[i].Relation == "p-p" {
			return d.Links[i].UID
		}
	}
	return ""
}

// Control types that a server answers or acts on and never relays.
const (
	TypePing              = "t-x-c-t"
	TypePong              = "t-x-c-t-r"
	TypeProtocolSupport   = "t-x-takp-v"
	TypeProtocolRequest   = "t-x-takp-q"
	TypeProtocolResponse  = "t-x-takp-r"
	TypeDelete            = "t-x-d-d"
	TypeSpotMarker        = "b-m-p-s-m"
	TypeChat              = "b-t-f"
	defaultVersion        = "2.0"
	controlTypePrefix     = "t-"
	detectionBitsPrefix   = "b-d"
	maxLinks              = 256
	maxDetailDepth        = 64
	maxAttrsPerElement    = 64
	maxFractionTimeDigits = 9
)

// IsControl reports whether the type is a tasking/control message
// (t-...): pings, negotiation, deletes. These are never relayed.
func IsControl(typ string) bool { return strings.HasPrefix(typ, controlTypePrefix) }
