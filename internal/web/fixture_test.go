package web

import (
	"encoding/json"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/borderwatch/borderwatch"
	"github.com/borderwatch/borderwatch/internal/live"
)

var t0 = time.Date(2025, 3, 1, 22, 0, 0, 0, time.UTC)

// testBorder is the shipped Iraq–Syria line (north→south, Iraq on the left).
func testBorder(t testing.TB) []borderwatch.LatLon {
	t.Helper()
	data, err := ui.ReadFile("ui/geo/iraq_syria_border.geojson")
	if err != nil {
		t.Fatal(err)
	}
	var fc struct {
		Features []struct {
			Geometry struct {
				Coordinates [][2]float64 `json:"coordinates"`
			} `json:"geometry"`
		} `json:"features"`
	}
	if err := json.Unmarshal(data, &fc); err != nil {
		t.Fatal(err)
	}
	var out []borderwatch.LatLon
	for _, c := range fc.Features[0].Geometry.Coordinates {
		out = append(out, borderwatch.LatLon{Lat: c[1], Lon: c[0]})
	}
	return out
}

// testDeployment is a small deployment on the real line: two sectors of
// two agencies, a wall and a trench, the three official crossings, a few
// sites and sensors (one all-round radar).
func testDeployment(t testing.TB) *borderwatch.Deployment {
	line := testBorder(t)
	return &borderwatch.Deployment{
		Name: "test", Title: "Iraq–Syria (test)",
		Border:   borderwatch.Border{Line: line, Left: borderwatch.Country{Code: "IRQ", Name: "Iraq"}, Right: borderwatch.Country{Code: "SYR", Name: "Syria"}},
		Agencies: []borderwatch.AgencyInfo{{ID: "ibg", Name: "Iraqi Border Guard"}, {ID: "army", Name: "Iraqi Army"}},
		Sectors: []borderwatch.Sector{
			{ID: "north", Name: "North", FromKm: 0, ToKm: 300, Agency: "ibg", Terrain: borderwatch.TerrainSteppe},
			{ID: "south", Name: "South", FromKm: 300, ToKm: 599, Agency: "army", Terrain: borderwatch.TerrainDesert},
		},
		Barriers: []borderwatch.Barrier{
			{ID: "w1", Name: "T-wall", Kind: borderwatch.BarrierWall, FromKm: 150, ToKm: 310, OffsetM: -800},
			{ID: "t1", Kind: borderwatch.BarrierTrench, FromKm: 310, ToKm: 590, OffsetM: -1500},
		},
		Crossings: []borderwatch.Crossing{
			{ID: "rabia", Name: "Rabia – al-Yarubiyah crossing (official)", Position: borderwatch.LatLon{Lat: 36.810808, Lon: 42.06825}, Status: borderwatch.CrossingClosed},
			{ID: "qaim", Name: "Al-Qaim – Albu Kamal crossing (official)", Position: borderwatch.LatLon{Lat: 34.3975, Lon: 40.977}, Status: borderwatch.CrossingOpen, Hours: "08:00-16:00"},
			{ID: "walid", Name: "Al-Walid – al-Tanf crossing (official)", Position: borderwatch.LatLon{Lat: 33.4332, Lon: 38.9374}, Status: borderwatch.CrossingRestricted, Hours: "24h"},
		},
		Sites: []borderwatch.Site{
			{ID: "tw-1", Name: "Tower 1", Kind: borderwatch.SiteWatchtower, Position: borderwatch.LatLon{Lat: 34.43, Lon: 41.02}},
			{ID: "qrf-qaim", Name: "QRF al-Qaim", Kind: borderwatch.SiteQRFBase, Position: borderwatch.LatLon{Lat: 34.37, Lon: 41.10}},
		},
		Sensors: []borderwatch.Sensor{
			{ID: "cam-1", Kind: borderwatch.SourceThermalCamera, Position: borderwatch.LatLon{Lat: 34.43, Lon: 41.02}, HeadingDeg: 270, FOVDeg: 40,
				Range: map[borderwatch.Class]borderwatch.DetectionRange{borderwatch.ClassPerson: {DayM: 6000, NightM: 4000}}},
			{ID: "radar-1", Kind: borderwatch.SourceRadar, Position: borderwatch.LatLon{Lat: 34.9, Lon: 41.3}, FOVDeg: 360,
				Range: map[borderwatch.Class]borderwatch.DetectionRange{borderwatch.ClassVehicle: {DayM: 12000, NightM: 12000}}},
		},
	}
}

// movingTracks returns n tracks near the line at time step k (1 Hz),
// deterministic.
func movingTracks(n, k int) []borderwatch.Track {
	ts := make([]borderwatch.Track, n)
	affs := []borderwatch.Affiliation{borderwatch.AffUnknown, borderwatch.AffUnknown, borderwatch.AffSuspect, borderwatch.AffHostile, borderwatch.AffFriend, borderwatch.AffNeutral}
	for i := range ts {
		f := float64(i) / float64(n)
		lat := 33.4 + 3.4*f + 0.05*math.Sin(float64(i)*7.1)
		lon := 41.9 - 3.0*f + 0.05*math.Cos(float64(i)*3.3) + 0.0004*float64(k)*math.Sin(float64(i))
		ts[i] = borderwatch.Track{
			ID: fmt.Sprintf("T%05d", i), Sector: "north", Time: t0.Add(time.Duration(k) * time.Second), Status: borderwatch.TrackConfirmed,
			Position: borderwatch.LatLon{Lat: lat, Lon: lon}, Velocity: borderwatch.Velocity{East: 3 * math.Sin(float64(i)), North: 1},
			Class: borderwatch.ClassPerson, Affiliation: affs[i%len(affs)], Updates: k,
			Label: borderwatch.Label{Owner: "ibg", ReleasableTo: []borderwatch.Agency{borderwatch.AllAgencies}},
		}
	}
	return ts
}

func newTestPicture() *live.Picture {
	return live.New(live.Options{Now: func() time.Time { return t0 }})
}
