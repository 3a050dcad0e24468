package cot

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/borderwatch/borderwatch"
)

// DefaultSigma is the 1-sigma position error, in metres, given to a
// report whose ce is missing or "unknown".
const DefaultSigma = 50.0

// Mapper turns CoT events into observations. The zero value uses
// DefaultSigma.
type Mapper struct {
	// Sigma is the position error assumed when ce is unknown.
	Sigma float64

	id []byte
}

// Kind says what an event maps to.
type Kind uint8

// Kinds of event.
const (
	KindNone      Kind = iota // maps to no observation
	KindFriendly              // a friendly unit's own position report
	KindDetection             // a spot report or sensor hit
	KindControl               // t-*: ping, negotiation, delete
)

// Classify says what an event is:
//
//	a-f-*  without a producer link (self SA)  KindFriendly
//	a-f-*  with a producer link (a marker)    KindNone
//	a-h-*, a-u-*, a-s-*, a-n-*, a-p-*, a-j-*, a-k-*, a-a-*, a-o-*, a-x-*  KindDetection
//	b-d-*  (sensor detections)                KindDetection
//	t-*                                       KindControl
//	anything else (chat, drawings, markers)   KindNone
func Classify(ev *Event) Kind {
	switch {
	case ev.IsAtom():
		if ev.Affiliation() == "f" {
			if p := ev.Detail.Producer(); p != "" && p != ev.UID {
				return KindNone
			}
			return KindFriendly
		}
		if ev.Affiliation() == "" {
			return KindNone
		}
		return KindDetection
	case strings.HasPrefix(ev.Type, detectionBitsPrefix) && (len(ev.Type) == 3 || ev.Type[3] == '-'):
		return KindDetection
	case IsControl(ev.Type):
		return KindControl
	}
	return KindNone
}

// ClassOf derives the object class from an atom's MIL-STD-2525 function:
// a-?-A-* is an aircraft, a-?-G-E-V* a vehicle, a-?-G-U-C* (combat unit,
// infantry: people on foot) and a-?-G-U-U* (law enforcement, civilians) a
// person. It returns ClassUnknown with confidence 0 otherwise.
func ClassOf(typ string) (borderwatch.Class, float64) {
	if len(typ) < 5 || typ[0] != 'a' {
		return borderwatch.ClassUnknown, 0
	}
	rest := typ[2:]
	i := strings.IndexByte(rest, '-')
	if i < 0 {
		return borderwatch.ClassUnknown, 0
	}
	rest = rest[i+1:]
	if j := strings.IndexByte(rest, ';'); j >= 0 {
		rest = rest[:j]
	}
	switch {
	case rest == "A" || strings.HasPrefix(rest, "A-"):
		return borderwatch.ClassAircraft, 0.8
	case strings.HasPrefix(rest, "G-E-V"):
		return borderwatch.ClassVehicle, 0.8
	case strings.HasPrefix(rest, "G-U-C"), strings.HasPrefix(rest, "G-U-U"):
		return borderwatch.ClassPerson, 0.7
	}
	return borderwatch.ClassUnknown, 0
}

// obsExtra holds the pointed-to parts of an observation in one
// allocation.
type obsExtra struct {
	pos borderwatch.LatLon
	alt float64
	vel borderwatch.Velocity
}

// Observation fills obs from ev, sent by client. It returns ReasonBadPoint
// for an unusable position and ReasonUnsupported for events that are not
// observations (see Classify). The observation id is
// "cot:<uid>@<time in Unix ms>", so a replayed event gets the same id.
func (m *Mapper) Observation(ev *Event, client *ClientInfo, obs *borderwatch.Observation) error {
	kind := Classify(ev)
	if kind != KindFriendly && kind != KindDetection {
		return ReasonUnsupported
	}
	p := ev.Point
	if p.Lat != p.Lat || p.Lon != p.Lon || p.Lat < -90 || p.Lat > 90 || p.Lon < -180 || p.Lon > 180 {
		return ReasonBadPoint
	}
	*obs = borderwatch.Observation{}
	m.id = append(m.id[:0], "cot:"...)
	m.id = append(m.id, ev.UID...)
	m.id = append(m.id, '@')
	m.id = strconv.AppendInt(m.id, ev.Time.UnixMilli(), 10)
	obs.ID = string(m.id)
	obs.Time = ev.Time
	obs.Stale = ev.Stale

	x := &obsExtra{pos: borderwatch.LatLon{Lat: p.Lat, Lon: p.Lon}}
	obs.Position = &x.pos
	sigma := p.CE
	if IsUnknown(sigma) || sigma <= 0 {
		sigma = m.Sigma
		if sigma <= 0 {
			sigma = DefaultSigma
		}
	}
	obs.Cov = borderwatch.Isotropic(sigma)
	if !IsUnknown(p.HAE) {
		x.alt = p.HAE
		obs.Alt = &x.alt
	}
	if ev.Detail.Has&ElemTrack != 0 {
		t := ev.Detail.Track
		if t.Speed >= 0 && t.Speed < 1000 && t.Course >= -360 && t.Course <= 360 {
			s, c := math.Sincos(t.Course * math.Pi / 180)
			x.vel = borderwatch.Velocity{East: t.Speed * s, North: t.Speed * c}
			obs.Velocity = &x.vel
		}
	}
	obs.Label = client.Label
	obs.Exercise = ev.Opex != "" && (ev.Opex[0] == 'e' || ev.Opex[0] == 's')

	if kind == KindFriendly {
		obs.Friendly = true
		obs.Source = borderwatch.Source{ID: ev.UID, Kind: borderwatch.SourcePatrol}
		if strings.HasPrefix(ev.Type[2:], "f-A") {
			obs.Source.Kind = borderwatch.SourceDrone
		}
		obs.UnitID = ev.UID
		if ev.Detail.Contact.Callsign != "" {
			obs.UnitID = ev.Detail.Contact.Callsign
		}
		obs.Class, _ = ClassOf(ev.Type)
		if obs.Class == borderwatch.ClassUnknown {
			obs.Class = borderwatch.ClassPerson // a patrol on foot
		}
		obs.Confidence = 1
		return nil
	}

	obs.Class, obs.Confidence = ClassOf(ev.Type)
	src := ev.Detail.Producer()
	switch {
	case strings.HasPrefix(ev.Type, detectionBitsPrefix):
		obs.Source.Kind = borderwatch.SourceGroundSensor
	case strings.HasPrefix(ev.How, "h"):
		obs.Source.Kind = borderwatch.SourceWatchtower
	default:
		obs.Source.Kind = borderwatch.SourceExternal
	}
	if src == "" {
		src = client.Identity
	}
	if src == "" {
		src = ev.UID
	}
	obs.Source.ID = src
	obs.Attrs = map[string]string{"cot_type": ev.Type, "cot_uid": ev.UID}
	if ev.How != "" {
		obs.Attrs["cot_how"] = ev.How
	}
	if ev.Detail.Contact.Callsign != "" {
		obs.Attrs["callsign"] = ev.Detail.Contact.Callsign
	}
	if ev.Detail.Remarks.Text != "" {
		obs.Attrs["remarks"] = ev.Detail.Remarks.Text
	}
	return nil
}

// UID prefixes for what borderwatch publishes, so uids are stable and
// never collide with a phone's.
const (
	TrackUIDPrefix = "borderwatch.track."
	UnitUIDPrefix  = "borderwatch.unit."
	AlertUIDPrefix = "borderwatch.alert."
)

// FromTrack returns the CoT event for a fused track: uid
// "borderwatch.track.<id>" (a friendly unit's track is
// "borderwatch.unit.<unit id>"), type from affiliation and class
// (a-u-G, a-h-G-E-V, a-f-G-U-C ...), how m-f, ce from the covariance,
// course and speed from the velocity, and stale staleAfter after the
// estimate.
func FromTrack(t *borderwatch.Track, staleAfter time.Duration) Event {
	aff := "u"
	switch t.Affiliation {
	case borderwatch.AffFriend:
		aff = "f"
	case borderwatch.AffNeutral:
		aff = "n"
	case borderwatch.AffSuspect:
		aff = "s"
	case borderwatch.AffHostile:
		aff = "h"
	}
	typ := "a-" + aff + "-G"
	switch t.Class {
	case borderwatch.ClassVehicle:
		typ += "-E-V"
	case borderwatch.ClassAircraft:
		typ = "a-" + aff + "-A"
	case borderwatch.ClassPerson:
		if aff == "f" {
			typ += "-U-C"
		}
	}
	ev := Event{
		UID:   TrackUIDPrefix + t.ID,
		Type:  typ,
		How:   "m-f",
		Time:  t.Time,
		Start: t.Time,
		Stale: t.Time.Add(staleAfter),
		Point: Point{Lat: t.Position.Lat, Lon: t.Position.Lon, HAE: Unknown, CE: Unknown, LE: Unknown},
	}
	callsign := t.ID
	if aff == "f" && t.UnitID != "" {
		ev.UID = UnitUIDPrefix + t.UnitID
		callsign = t.UnitID
	}
	if t.Cov.Valid() {
		ev.Point.CE = math.Sqrt((t.Cov.EE + t.Cov.NN) / 2)
	}
	if t.Exercise {
		ev.Opex = "e"
	}
	d := &ev.Detail
	d.Has = ElemContact | ElemTrack | ElemRemarks
	d.Contact.Callsign = callsign
	speed := math.Hypot(t.Velocity.East, t.Velocity.North)
	course := math.Atan2(t.Velocity.East, t.Velocity.North) * 180 / math.Pi
	if course < 0 {
		course += 360
	}
	d.Track = Track{Course: round(course, 1), Speed: round(speed, 2)}
	var b strings.Builder
	b.WriteString(string(t.Class))
	if i := classIndex(t.Class); i >= 0 && t.ClassProbs[i] > 0 {
		b.WriteString(" p=")
		b.WriteString(strconv.FormatFloat(t.ClassProbs[i], 'f', 2, 64))
	}
	b.WriteString(", ")
	b.WriteString(string(t.Status))
	if t.Sector != "" {
		b.WriteString(", sector ")
		b.WriteString(t.Sector)
	}
	b.WriteString(", border km ")
	b.WriteString(strconv.FormatFloat(t.Chainage, 'f', 1, 64))
	b.WriteString(" offset ")
	b.WriteString(strconv.FormatFloat(t.Offset, 'f', 0, 64))
	b.WriteString(" m")
	if t.Contact != nil {
		b.WriteString(", reaches the line at km ")
		b.WriteString(strconv.FormatFloat(t.Contact.Chainage, 'f', 1, 64))
		b.WriteString(" at ")
		b.WriteString(t.Contact.Time.UTC().Format("15:04:05Z"))
	}
	d.Remarks.Text = b.String()
	return ev
}

func classIndex(c borderwatch.Class) int {
	for i, k := range borderwatch.Classes {
		if k == c {
			return i
		}
	}
	return -1
}

func round(v float64, places int) float64 {
	p := math.Pow(10, float64(places))
	return math.Round(v*p) / p
}

// FromAlert returns the CoT event for an alert: a spot-map marker
// (b-m-p-s-m) with uid "borderwatch.alert.<id>", callsign
// "ALERT <kind>", the message in remarks and a colour by severity (red
// for high and critical, orange for medium, yellow otherwise). It stays
// on the map for staleAfter; a closed alert should be removed with
// (*Server).Delete.
func FromAlert(a *borderwatch.Alert, staleAfter time.Duration) Event {
	ev := Event{
		UID:   AlertUIDPrefix + a.ID,
		Type:  TypeSpotMarker,
		How:   "m-f",
		Time:  a.Time,
		Start: a.Time,
		Stale: a.Time.Add(staleAfter),
		Point: Point{Lat: a.Position.Lat, Lon: a.Position.Lon, HAE: Unknown, CE: Unknown, LE: Unknown},
	}
	if a.Exercise {
		ev.Opex = "e"
	}
	d := &ev.Detail
	d.Has = ElemContact | ElemRemarks
	d.Contact.Callsign = "ALERT " + strings.ToUpper(strings.ReplaceAll(string(a.Kind), "_", " "))
	var b strings.Builder
	b.WriteString("[")
	b.WriteString(string(a.Severity))
	b.WriteString("] ")
	b.WriteString(a.Message)
	if a.Chainage != 0 {
		b.WriteString(" (border km ")
		b.WriteString(strconv.FormatFloat(a.Chainage, 'f', 1, 64))
		b.WriteString(")")
	}
	if a.Direction != "" {
		b.WriteString(" ")
		b.WriteString(strings.ReplaceAll(a.Direction, "_", " "))
	}
	d.Remarks.Text = b.String()
	color := "-256" // yellow, ARGB as a signed int
	switch a.Severity {
	case borderwatch.SeverityHigh, borderwatch.SeverityCritical:
		color = "-65536" // red
	case borderwatch.SeverityMedium:
		color = "-23296" // orange
	}
	d.XML = `<color argb="` + color + `"/>`
	for _, id := range a.TrackIDs {
		d.Has |= ElemLink
		d.Links = append(d.Links, Link{UID: TrackUIDPrefix + id, Type: "a-u-G", Relation: "c-c"})
	}
	return ev
}
