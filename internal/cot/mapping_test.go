package cot

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/borderwatch/borderwatch"
)

func TestClassify(t *testing.T) {
	tests := []struct {
		typ      string
		producer string
		want     Kind
	}{
		{"a-f-G-U-C", "", KindFriendly},
		{"a-f-A-M-F-Q", "", KindFriendly},
		{"a-f-G-U-C", "SELF", KindFriendly},  // a producer link to itself
		{"a-f-G", "ANDROID-other", KindNone}, // a friendly marker someone placed
		{"a-h-G-E-V-C", "", KindDetection},
		{"a-u-G", "", KindDetection},
		{"a-s-G;x", "", KindDetection},
		{"a-n-G", "", KindDetection},
		{"b-d-m", "", KindDetection},
		{"b-d", "", KindDetection},
		{"b-dx", "", KindNone},
		{"t-x-c-t", "", KindControl},
		{"b-t-f", "", KindNone},
		{"u-d-f", "", KindNone},
		{"a-", "", KindNone},
	}
	for _, tt := range tests {
		t.Run(tt.typ+"/"+tt.producer, func(t *testing.T) {
			ev := Event{UID: "SELF", Type: tt.typ}
			if tt.producer != "" {
				ev.Detail.Links = []Link{{UID: tt.producer, Type: "a-f-G-U-C", Relation: "p-p"}}
			}
			if got := Classify(&ev); got != tt.want {
				t.Fatalf("Classify = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestClassOf(t *testing.T) {
	tests := []struct {
		typ  string
		want borderwatch.Class
	}{
		{"a-h-G-E-V-C", borderwatch.ClassVehicle},
		{"a-u-G-E-V", borderwatch.ClassVehicle},
		{"a-h-G-U-C-I", borderwatch.ClassPerson},
		{"a-u-G-U-U-L", borderwatch.ClassPerson},
		{"a-u-A", borderwatch.ClassAircraft},
		{"a-h-A-M-F-Q", borderwatch.ClassAircraft},
		{"a-u-G", borderwatch.ClassUnknown},
		{"a-u-G-E-S", borderwatch.ClassUnknown},
		{"a-u-S-C-P", borderwatch.ClassUnknown},
		{"b-d-m", borderwatch.ClassUnknown},
	}
	for _, tt := range tests {
		t.Run(tt.typ, func(t *testing.T) {
			got, conf := ClassOf(tt.typ)
			if got != tt.want || (got == borderwatch.ClassUnknown) != (conf == 0) {
				t.Fatalf("ClassOf = %s %v, want %s", got, conf, tt.want)
			}
		})
	}
}

func TestObservationSensorHit(t *testing.T) {
	var ev Event
	if err := DecodeXML(readCapture(t, "sensor-hit.xml"), &ev); err != nil {
		t.Fatal(err)
	}
	var m Mapper
	var o borderwatch.Observation
	client := ClientInfo{Label: borderwatch.Label{Owner: "ibg"}}
	if err := m.Observation(&ev, &client, &o); err != nil {
		t.Fatal(err)
	}
	if o.ID != "cot:tower-17.hit.000431@"+itoa(int(ev.Time.UnixMilli())) || o.Friendly || !o.Exercise ||
		o.Source != (borderwatch.Source{ID: "tower-17.hit.000431", Kind: borderwatch.SourceGroundSensor}) ||
		o.Cov != borderwatch.Isotropic(60) || o.Alt == nil || *o.Alt != 175 || o.Attrs["remarks"] != "IR motion, AB 2 objects" ||
		!o.Stale.Equal(ev.Stale) || o.Label.Owner != "ibg" {
		t.Fatalf("observation %+v", o)
	}
	ev.Point.Lat = 91
	if err := m.Observation(&ev, &client, &o); ReasonOf(err) != ReasonBadPoint {
		t.Fatalf("lat 91: %v", err)
	}
	ev.Point.Lat, ev.Point.CE = 34, Unknown
	if err := m.Observation(&ev, &client, &o); err != nil || o.Cov != borderwatch.Isotropic(DefaultSigma) {
		t.Fatalf("unknown ce: %v %+v", err, o.Cov)
	}
}

func TestFromTrack(t *testing.T) {
	now := captureTime(t)
	tests := []struct {
		name    string
		track   borderwatch.Track
		uid     string
		typ     string
		course  float64
		speed   float64
		ce      float64
		remarks string
	}{
		{
			name: "unknown person walking west",
			track: borderwatch.Track{ID: "T17", Time: now, Affiliation: borderwatch.AffUnknown, Class: borderwatch.ClassPerson,
				Position: borderwatch.LatLon{Lat: 34.45, Lon: 40.93}, Velocity: borderwatch.Velocity{East: -1.5},
				Cov: borderwatch.Isotropic(20), Status: borderwatch.TrackConfirmed, Chainage: 41.2, Offset: -120,
				ClassProbs: [4]float64{0.82, 0.1, 0.05, 0.03}},
			uid: TrackUIDPrefix + "T17", typ: "a-u-G", course: 270, speed: 1.5, ce: 20,
			remarks: "person p=0.82, confirmed, border km 41.2 offset -120 m",
		},
		{
			name: "hostile vehicle heading north-east",
			track: borderwatch.Track{ID: "T18", Time: now, Affiliation: borderwatch.AffHostile, Class: borderwatch.ClassVehicle,
				Velocity: borderwatch.Velocity{East: 10, North: 10}, Status: borderwatch.TrackCoasting},
			uid: TrackUIDPrefix + "T18", typ: "a-h-G-E-V", course: 45, speed: 14.14, ce: Unknown,
		},
		{
			name: "friendly patrol",
			track: borderwatch.Track{ID: "T19", Time: now, Affiliation: borderwatch.AffFriend, Class: borderwatch.ClassPerson,
				UnitID: "IBG-P12", Cov: borderwatch.Cov2{EE: 9, NN: 16}},
			uid: UnitUIDPrefix + "IBG-P12", typ: "a-f-G-U-C", ce: math.Sqrt(12.5),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := FromTrack(&tt.track, 2*time.Minute)
			var got Event
			if err := DecodeXML(AppendXML(nil, &ev), &got); err != nil {
				t.Fatal(err)
			}
			if got.UID != tt.uid || got.Type != tt.typ || got.How != "m-f" || !got.Stale.Equal(now.Add(2*time.Minute)) ||
				got.Point.CE != tt.ce || got.Detail.Track.Course != tt.course || got.Detail.Track.Speed != tt.speed {
				t.Fatalf("event %+v", got)
			}
			if !strings.HasPrefix(got.Detail.Remarks.Text, tt.remarks) {
				t.Fatalf("remarks %q, want prefix %q", got.Detail.Remarks.Text, tt.remarks)
			}
		})
	}
}

func TestFromAlert(t *testing.T) {
	now := captureTime(t)
	a := borderwatch.Alert{ID: "A5", Kind: borderwatch.AlertCrossing, Severity: borderwatch.SeverityCritical, Time: now,
		Position: borderwatch.LatLon{Lat: 34.44, Lon: 40.95}, Chainage: 41.3, Direction: "into_iraq",
		TrackIDs: []string{"T17"}, Message: "Crossing outside an open crossing point"}
	ev := FromAlert(&a, 30*time.Minute)
	for _, enc := range []struct {
		name   string
		decode func(*Event) (Event, error)
	}{
		{"xml", func(e *Event) (Event, error) { var g Event; return g, DecodeXML(AppendXML(nil, e), &g) }},
		{"proto", func(e *Event) (Event, error) { var g Event; return g, DecodeProto(AppendProto(nil, e), &g) }},
	} {
		t.Run(enc.name, func(t *testing.T) {
			got, err := enc.decode(&ev)
			if err != nil {
				t.Fatal(err)
			}
			want := "[critical] Crossing outside an open crossing point (border km 41.3) into iraq"
			if got.UID != AlertUIDPrefix+"A5" || got.Type != TypeSpotMarker || got.Detail.Contact.Callsign != "ALERT CROSSING" ||
				got.Detail.Remarks.Text != want || got.Detail.XML != `<color argb="-65536"/>` ||
				len(got.Detail.Links) != 1 || got.Detail.Links[0].UID != TrackUIDPrefix+"T17" {
				t.Fatalf("event %+v", got)
			}
		})
	}
}
