package borderwatch

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestCrossingOpenAt(t *testing.T) {
	at := func(h, m int) time.Time { return time.Date(2025, 3, 1, h, m, 0, 0, time.UTC) }
	tests := []struct {
		name   string
		status CrossingStatus
		hours  string
		t      time.Time
		want   bool
	}{
		{"24h open", CrossingOpen, "24h", at(3, 0), true},
		{"day window inside", CrossingOpen, "08:00-16:00", at(8, 0), true},
		{"day window closing minute", CrossingOpen, "08:00-16:00", at(16, 0), false},
		{"day window before", CrossingRestricted, "08:00-16:00", at(7, 59), false},
		{"overnight late", CrossingOpen, "20:00-06:00", at(23, 30), true},
		{"overnight early", CrossingOpen, "20:00-06:00", at(5, 59), true},
		{"overnight midday", CrossingOpen, "20:00-06:00", at(12, 0), false},
		{"closed ignores hours", CrossingClosed, "24h", at(12, 0), false},
		{"malformed", CrossingOpen, "8-16", at(12, 0), false},
		{"empty", CrossingOpen, "", at(12, 0), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Crossing{Status: tt.status, Hours: tt.hours}
			if got := c.OpenAt(tt.t); got != tt.want {
				t.Fatalf("OpenAt(%v) = %v, want %v", tt.t, got, tt.want)
			}
		})
	}
}

func TestParseHours(t *testing.T) {
	tests := []struct {
		in       string
		from, to int
		ok       bool
	}{
		{"24h", 0, 0, true},
		{"06:30-18:15", 390, 1095, true},
		{"00:00-23:59", 0, 1439, true},
		{"06:00-06:00", 0, 0, false},
		{"24:00-06:00", 0, 0, false},
		{"06:60-07:00", 0, 0, false},
		{"6:00-07:00", 0, 0, false},
		{"06:00", 0, 0, false},
		{"", 0, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			from, to, ok := ParseHours(tt.in)
			if from != tt.from || to != tt.to || ok != tt.ok {
				t.Fatalf("ParseHours(%q) = %d, %d, %v; want %d, %d, %v", tt.in, from, to, ok, tt.from, tt.to, tt.ok)
			}
		})
	}
}

func TestSectorAt(t *testing.T) {
	d := &Deployment{Sectors: []Sector{{ID: "a", FromKm: 0, ToKm: 10}, {ID: "b", FromKm: 10, ToKm: 20}}}
	for _, tt := range []struct {
		km   float64
		want string
		ok   bool
	}{{0, "a", true}, {9.99, "a", true}, {10, "b", true}, {20, "b", true}, {20.01, "", false}, {-1, "", false}} {
		s, ok := d.SectorAt(tt.km)
		if s.ID != tt.want || ok != tt.ok {
			t.Errorf("SectorAt(%v) = %q, %v; want %q, %v", tt.km, s.ID, ok, tt.want, tt.ok)
		}
	}
}

func TestSensorRange(t *testing.T) {
	s := Sensor{Range: map[Class]DetectionRange{ClassPerson: {DayM: 3000, NightM: 2500}, ClassVehicle: {DayM: 8000, NightM: 6000}}}
	if got := s.RangeM(ClassPerson, true); got != 2500 {
		t.Errorf("night person = %v", got)
	}
	if got := s.RangeM(ClassAnimal, false); got != 0 {
		t.Errorf("animal = %v", got)
	}
	if got := s.MaxRangeM(); got != 8000 {
		t.Errorf("max = %v", got)
	}
}

func TestDeploymentJSONSnakeCase(t *testing.T) {
	d := Deployment{
		Name:     "x",
		Barriers: []Barrier{{ID: "w", Kind: BarrierWall, DelayFoot: time.Minute}},
		Sensors:  []Sensor{{ID: "c", Kind: SourceThermalCamera, MountHeightM: 10, Range: map[Class]DetectionRange{ClassPerson: {DayM: 1}}}},
		Units:    []Unit{{ID: "u", SpeedMS: map[Terrain]float64{TerrainDesert: 1.4}}},
	}
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"delay_foot_ns":60000000000`, `"mount_height_m":10`, `"range":{"person":{"day_m":1,"night_m":0}}`, `"speed_ms":{"desert":1.4}`, `"time_zone"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("JSON lacks %s:\n%s", want, b)
		}
	}
}

func TestEnumsValid(t *testing.T) {
	for _, k := range Terrains {
		if !k.Valid() {
			t.Errorf("terrain %q not valid", k)
		}
	}
	if Terrain("swamp").Valid() || BarrierKind("moat").Valid() || SiteKind("castle").Valid() ||
		CrossingStatus("ajar").Valid() || UnitKind("army").Valid() || Mode("horse").Valid() || ZoneKind("x").Valid() {
		t.Error("unknown enum value reported valid")
	}
}
