package rules

import (
	"testing"
	"time"

	"github.com/borderwatch/borderwatch"
	"github.com/borderwatch/borderwatch/internal/geo"
)

// The test border runs north→south along ≈41°E from 35.0°N to 34.0°N with a
// gentle bend; Iraq on the left (east), Syria on the right (west), like the
// real one. ≈111 km.
var testLine = []borderwatch.LatLon{{Lat: 35.0, Lon: 41.0}, {Lat: 34.5, Lon: 41.05}, {Lat: 34.0, Lon: 41.0}}

var (
	baghdad, _ = time.LoadLocation("Asia/Baghdad")
	// day is 12:00 local on 15 June 2025; night is 01:00 local on 16 June.
	day   = time.Date(2025, 6, 15, 12, 0, 0, 0, baghdad)
	night = time.Date(2025, 6, 16, 1, 0, 0, 0, baghdad)
)

func mustLine(t testing.TB) *geo.Line {
	t.Helper()
	l, err := geo.NewLine(testLine)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// at returns the point at chainage km, offset metres to the right (west,
// Syria) of the line; negative offsets are on the left (east, Iraq).
func at(l *geo.Line, km, offsetM float64) borderwatch.LatLon {
	a, b := l.PointAt(km-0.05), l.PointAt(km+0.05)
	_, az, _ := geo.Inverse(a, b)
	return geo.Direct(l.PointAt(km), az+90, offsetM)
}

func testDeployment(t testing.TB) *borderwatch.Deployment {
	t.Helper()
	l := mustLine(t)
	zone := []borderwatch.LatLon{at(l, 58, -4000), at(l, 58, -6000), at(l, 62, -6000), at(l, 62, -4000), at(l, 58, -4000)}
	return &borderwatch.Deployment{
		Name: "test", TimeZone: "Asia/Baghdad",
		Border: borderwatch.Border{
			Line: testLine, Left: borderwatch.Country{Code: "IRQ", Name: "Iraq"}, Right: borderwatch.Country{Code: "SYR", Name: "Syria"},
			LengthKm: l.Length(),
		},
		Agencies: []borderwatch.AgencyInfo{{ID: "ibg", Name: "Iraqi Border Guard", Country: "IRQ", ReleasableTo: []borderwatch.Agency{"army"}}, {ID: "army", Country: "IRQ"}},
		Sectors: []borderwatch.Sector{
			{ID: "north", FromKm: 0, ToKm: 55, Agency: "ibg", Unit: "p1", Terrain: borderwatch.TerrainSteppe},
			{ID: "south", FromKm: 55, ToKm: l.Length(), Agency: "ibg", Unit: "p2", Terrain: borderwatch.TerrainDesert},
		},
		Zones: []borderwatch.Zone{{ID: "restricted-1", Name: "ammunition depot", Kind: borderwatch.ZoneRestricted, Ring: zone}},
		Barriers: []borderwatch.Barrier{
			{ID: "wall-1", Kind: borderwatch.BarrierWall, FromKm: 25, ToKm: 35, OffsetM: -150, DelayFoot: 10 * time.Minute, DelayVehicle: time.Hour},
		},
		Crossings: []borderwatch.Crossing{
			{ID: "x-day", Name: "Day crossing", Position: l.PointAt(20), Status: borderwatch.CrossingOpen, Hours: "06:00-18:00", Official: true, Agency: "ibg"},
			{ID: "x-closed", Name: "Closed crossing", Position: l.PointAt(40), Status: borderwatch.CrossingClosed, Agency: "ibg"},
			{ID: "x-night", Name: "Night crossing", Position: l.PointAt(80), Status: borderwatch.CrossingOpen, Hours: "20:00-06:00", Agency: "ibg"},
		},
		Sites: []borderwatch.Site{
			{ID: "tower-1", Kind: borderwatch.SiteWatchtower, Position: at(l, 12, -800), Agency: "ibg"},
			{ID: "tower-2", Kind: borderwatch.SiteWatchtower, Position: at(l, 13, -900), Agency: "ibg"},
			{ID: "db-1", Kind: borderwatch.SiteDroneBase, Position: at(l, 30, -5000), Agency: "ibg"},
			{ID: "base-1", Kind: borderwatch.SitePost, Position: at(l, 10, -3000), Agency: "ibg"},
		},
		Sensors: []borderwatch.Sensor{
			{ID: "cam-a", Kind: borderwatch.SourceThermalCamera, Position: at(l, 12, -800), HeadingDeg: 270, FOVDeg: 90, Site: "tower-1", Agency: "ibg",
				Range: map[borderwatch.Class]borderwatch.DetectionRange{borderwatch.ClassPerson: {DayM: 3000, NightM: 2500}}},
			{ID: "cam-b", Kind: borderwatch.SourceThermalCamera, Position: at(l, 12, -800), HeadingDeg: 300, FOVDeg: 60, Site: "tower-1", Agency: "ibg",
				Range: map[borderwatch.Class]borderwatch.DetectionRange{borderwatch.ClassPerson: {DayM: 2000, NightM: 1500}}},
			{ID: "cam-c", Kind: borderwatch.SourceThermalCamera, Position: at(l, 13, -900), HeadingDeg: 270, FOVDeg: 90, Site: "tower-2", Agency: "ibg",
				Range: map[borderwatch.Class]borderwatch.DetectionRange{borderwatch.ClassPerson: {DayM: 3000, NightM: 2500}}},
			{ID: "cam-far", Kind: borderwatch.SourceThermalCamera, Position: at(l, 90, -500), HeadingDeg: 270, FOVDeg: 90, Agency: "ibg",
				Range: map[borderwatch.Class]borderwatch.DetectionRange{borderwatch.ClassPerson: {DayM: 2000, NightM: 1500}}},
			{ID: "fence-1", Kind: borderwatch.SourceFence, Position: at(l, 30, -150), FOVDeg: 360, Agency: "ibg",
				Range: map[borderwatch.Class]borderwatch.DetectionRange{borderwatch.ClassPerson: {DayM: 100, NightM: 100}}},
		},
		Drones: []borderwatch.Drone{{ID: "uav-1", Base: "db-1", Endurance: 40 * time.Minute, SpeedMS: 15, FootprintM: 500, Agency: "ibg"}},
		Units: []borderwatch.Unit{
			{ID: "p1", Kind: borderwatch.UnitPatrol, Base: "base-1", Mode: borderwatch.ModeVehicle, Agency: "ibg", Sector: "north",
				SpeedMS: map[borderwatch.Terrain]float64{borderwatch.TerrainSteppe: 8, borderwatch.TerrainDesert: 10}},
			{ID: "p2", Kind: borderwatch.UnitPatrol, Base: "base-1", Mode: borderwatch.ModeVehicle, Agency: "ibg", Sector: "south",
				SpeedMS: map[borderwatch.Terrain]float64{borderwatch.TerrainSteppe: 8, borderwatch.TerrainDesert: 10}},
		},
	}
}

func newEngine(t testing.TB, o Options) (*Engine, *geo.Line) {
	t.Helper()
	e, err := New(testDeployment(t), o)
	if err != nil {
		t.Fatal(err)
	}
	return e, mustLine(t)
}

type trackOpt func(*borderwatch.Track)

func friend(unit string) trackOpt {
	return func(t *borderwatch.Track) { t.Affiliation, t.UnitID = borderwatch.AffFriend, unit }
}
func class(c borderwatch.Class) trackOpt { return func(t *borderwatch.Track) { t.Class = c } }
func sources(s ...string) trackOpt       { return func(t *borderwatch.Track) { t.Sources = s } }
func status(s borderwatch.TrackStatus) trackOpt {
	return func(t *borderwatch.Track) { t.Status = s }
}
func vel(east, north float64) trackOpt {
	return func(t *borderwatch.Track) { t.Velocity = borderwatch.Velocity{East: east, North: north} }
}
func aff(a borderwatch.Affiliation) trackOpt { return func(t *borderwatch.Track) { t.Affiliation = a } }

func track(id string, p borderwatch.LatLon, tm time.Time, opts ...trackOpt) *borderwatch.Track {
	t := &borderwatch.Track{
		ID: id, Time: tm, Status: borderwatch.TrackConfirmed, Position: p,
		Class: borderwatch.ClassPerson, Affiliation: borderwatch.AffUnknown, Sources: []string{"cam-a"},
	}
	for _, o := range opts {
		o(t)
	}
	return t
}

// collect keeps copies of events across calls.
type collect []Event

func (c *collect) add(evs []Event) { *c = append(*c, evs...) }

func (c collect) of(typ EventType) []Event {
	var out []Event
	for _, e := range c {
		if e.Type == typ {
			out = append(out, e)
		}
	}
	return out
}

func (c collect) kinds() []string {
	var out []string
	for _, e := range c {
		out = append(out, string(e.Type)+":"+string(e.Alert.Kind))
	}
	return out
}
