package dispatch

import (
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/borderwatch/borderwatch"
	"github.com/borderwatch/borderwatch/deployments"
	"github.com/borderwatch/borderwatch/internal/deployment"
	"github.com/borderwatch/borderwatch/internal/geo"
)

// A straight test border along 41°E from 35°N to 34°N (≈111 km); Iraq on
// the left (east). North half steppe, south half desert.
var testLine = []borderwatch.LatLon{{Lat: 35.0, Lon: 41.0}, {Lat: 34.0, Lon: 41.0}}

func line(t testing.TB) *geo.Line {
	l, err := geo.NewLine(testLine)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// at is the point at chainage km, offsetM to the right (west); negative is
// east (Iraq).
func at(l *geo.Line, km, offsetM float64) borderwatch.LatLon {
	a, b := l.PointAt(km-0.05), l.PointAt(km+0.05)
	_, az, _ := geo.Inverse(a, b)
	return geo.Direct(l.PointAt(km), az+90, offsetM)
}

func testDeployment(t testing.TB) *borderwatch.Deployment {
	l := line(t)
	speeds := map[borderwatch.Terrain]float64{borderwatch.TerrainSteppe: 8, borderwatch.TerrainDesert: 10}
	return &borderwatch.Deployment{
		Name:   "test",
		Border: borderwatch.Border{Line: testLine, Left: borderwatch.Country{Name: "Iraq"}, Right: borderwatch.Country{Name: "Syria"}, LengthKm: l.Length()},
		Sectors: []borderwatch.Sector{
			{ID: "north", FromKm: 0, ToKm: 55, Terrain: borderwatch.TerrainSteppe},
			{ID: "south", FromKm: 55, ToKm: l.Length(), Terrain: borderwatch.TerrainDesert},
		},
		Barriers: []borderwatch.Barrier{
			{ID: "wall-1", Kind: borderwatch.BarrierWall, FromKm: 20, ToKm: 30, OffsetM: -150, DelayFoot: 6 * time.Minute, DelayVehicle: 2 * time.Hour},
			{ID: "trench-1", Kind: borderwatch.BarrierTrench, FromKm: 35, ToKm: 50, OffsetM: -100, DelayFoot: 3 * time.Minute, DelayVehicle: 10 * time.Minute},
		},
		Sites: []borderwatch.Site{
			{ID: "qrf-base", Kind: borderwatch.SiteQRFBase, Position: at(l, 25, -10000)},
			{ID: "db", Kind: borderwatch.SiteDroneBase, Position: at(l, 60, -3000)},
		},
		Drones: []borderwatch.Drone{
			{ID: "uav-near", Base: "db", Endurance: 40 * time.Minute, SpeedMS: 15},
			{ID: "uav-far", Base: "db", Endurance: 40 * time.Minute, SpeedMS: 15},
			{ID: "uav-fast", Base: "db", Endurance: 90 * time.Minute, SpeedMS: 30},
		},
		Units: []borderwatch.Unit{
			{ID: "qrf-1", Kind: borderwatch.UnitQRF, Base: "qrf-base", Mode: borderwatch.ModeVehicle, SpeedMS: speeds},
			{ID: "patrol-1", Kind: borderwatch.UnitPatrol, Base: "qrf-base", Mode: borderwatch.ModeVehicle, SpeedMS: speeds},
			{ID: "patrol-steppe", Kind: borderwatch.UnitPatrol, Base: "qrf-base", Mode: borderwatch.ModeVehicle, SpeedMS: map[borderwatch.Terrain]float64{borderwatch.TerrainSteppe: 8}},
			{ID: "foot-1", Kind: borderwatch.UnitPatrol, Base: "qrf-base", Mode: borderwatch.ModeFoot, SpeedMS: map[borderwatch.Terrain]float64{borderwatch.TerrainSteppe: 1.2, borderwatch.TerrainDesert: 1.4}},
		},
	}
}

func planner(t testing.TB, o Options) (*Planner, *geo.Line) {
	p, err := New(testDeployment(t), o)
	if err != nil {
		t.Fatal(err)
	}
	return p, line(t)
}

func TestRoute(t *testing.T) {
	p, l := planner(t, Options{})
	unit := func(id string) *borderwatch.Unit { u, _ := p.dep.Unit(id); return &u }
	tests := []struct {
		name          string
		unit          string
		from, to      borderwatch.LatLon
		wantETA       time.Duration // ±3 %
		wantVia       string        // substring of a leg's Via
		wantReachable bool
	}{
		// 10 km × 1.3 circuity / 8 m/s.
		{"open steppe", "qrf-1", at(l, 10, -10000), at(l, 10, -20000), 1625 * time.Second, "", true},
		{"open desert is faster", "qrf-1", at(l, 80, -10000), at(l, 80, -20000), 1300 * time.Second, "", true},
		{"terrain missing from the unit's table", "patrol-steppe", at(l, 80, -10000), at(l, 80, -20000), 0, "", false},
		// Target 150 m beyond the wall: stand-off at the wall, 4850 m.
		{"stand-off at a wall", "qrf-1", at(l, 25, -5000), at(l, 25, 0), 788 * time.Second, "stand-off at wall-1", true},
		// Target 2 km into Syria behind the wall: round a wall end 5 km away.
		{"round the wall", "qrf-1", at(l, 25, -5000), at(l, 25, 2000), 2020 * time.Second, "gate of wall-1", true},
		// Behind the trench, far from its ends: across at its 10-min delay.
		{"across a trench", "qrf-1", at(l, 42, -5000), at(l, 42, 2000), 1137500*time.Millisecond + 10*time.Minute, "across trench-1", true},
		// On foot the trench costs 3 min.
		{"across a trench on foot", "foot-1", at(l, 42, -2000), at(l, 42, 2000), 4333*time.Second + 3*time.Minute, "across trench-1", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := p.Route(unit(tt.unit), tt.from, tt.to)
			if r.Reachable != tt.wantReachable {
				t.Fatalf("reachable %v (%s), want %v", r.Reachable, r.Reason, tt.wantReachable)
			}
			if !r.Reachable {
				if r.Reason == "" || r.ETA >= 0 {
					t.Fatalf("route %+v", r)
				}
				return
			}
			if math.Abs(float64(r.ETA-tt.wantETA)) > 0.03*float64(tt.wantETA) {
				t.Fatalf("ETA %s, want ≈%s; legs %+v", r.ETA.Round(time.Second), tt.wantETA.Round(time.Second), r.Legs)
			}
			if r.ETALow > r.ETA || r.ETAHigh < r.ETA || r.ETAHigh != time.Duration(float64(r.ETA)*1.5) {
				t.Fatalf("bounds %s %s %s", r.ETALow, r.ETA, r.ETAHigh)
			}
			if tt.wantVia != "" && !slices.ContainsFunc(r.Legs, func(g Leg) bool { return strings.Contains(g.Via, tt.wantVia) }) {
				t.Fatalf("legs %+v, want via %q", r.Legs, tt.wantVia)
			}
		})
	}
}

func TestRivers(t *testing.T) {
	l := line(t)
	river := []borderwatch.LatLon{at(l, 70, -1000), at(l, 70, -30000)} // runs east from the line at km 70
	from, to := at(l, 65, -10000), at(l, 75, -10000)                   // 10 km apart across the river, desert
	tests := []struct {
		name    string
		rivers  []River
		wantVia string
		minETA  time.Duration
		maxETA  time.Duration
	}{
		// 10 km × 1.3 / 10 m/s = 1300 s.
		{"no river", nil, "", 1250 * time.Second, 1350 * time.Second},
		// Two legs of √(5² + 6²) km: 15.6 km × 1.3 / 10 m/s = 2030 s.
		{"river with a bridge 6 km off", []River{{Name: "Khabur", Line: river, Bridges: []borderwatch.LatLon{at(l, 70, -16000)}}}, "bridge over Khabur", 1980 * time.Second, 2080 * time.Second},
		{"river with no bridge", []River{{Name: "Khabur", Line: river}}, "across Khabur", 1250*time.Second + 30*time.Minute, 1350*time.Second + 30*time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, _ := planner(t, Options{Rivers: tt.rivers})
			u, _ := p.dep.Unit("qrf-1")
			r := p.Route(&u, from, to)
			if !r.Reachable || r.ETA < tt.minETA || r.ETA > tt.maxETA {
				t.Fatalf("ETA %s, want in [%s, %s]; %+v", r.ETA.Round(time.Second), tt.minETA, tt.maxETA, r.Legs)
			}
			if tt.wantVia != "" && !slices.ContainsFunc(r.Legs, func(g Leg) bool { return strings.Contains(g.Via, tt.wantVia) }) {
				t.Fatalf("legs %+v, want via %q", r.Legs, tt.wantVia)
			}
		})
	}
}

func TestUnitsOrdering(t *testing.T) {
	p, l := planner(t, Options{})
	target := at(l, 10, -2000)
	got := p.Units(target, []UnitState{
		{ID: "patrol-1", Position: at(l, 30, -2000), Available: true},       // 20 km
		{ID: "qrf-1", Position: at(l, 15, -2000), Available: true},          // 5 km
		{ID: "foot-1", Position: at(l, 11, -2000), Available: true},         // 1 km on foot
		{ID: "patrol-steppe", Position: at(l, 12, -2000), Available: false}, // unavailable
		{ID: "ghost", Position: at(l, 10, -2000), Available: true},          // unknown
	})
	ids := make([]string, len(got))
	for i, c := range got {
		ids[i] = c.UnitID
	}
	// foot-1: 1000×1.3/1.2 = 1083 s; qrf-1: 5000×1.3/8 = 812 s; patrol-1: 3250 s.
	if !slices.Equal(ids, []string{"qrf-1", "foot-1", "patrol-1"}) {
		t.Fatalf("order %v", ids)
	}
	if got[0].Kind != borderwatch.UnitQRF || !got[0].Reachable {
		t.Fatalf("first %+v", got[0])
	}
	if len(p.Unplaced()) != 4 {
		t.Fatal("unplaced units")
	}
}

// On the real deployment: for a crossing at al-Qaim the al-Qaim QRF is
// recommended before any unit of the far north.
func TestReferenceOrdering(t *testing.T) {
	dep, err := deployment.Load(deployments.FS, deployments.Reference)
	if err != nil {
		t.Fatal(err)
	}
	p, err := New(dep, Options{})
	if err != nil {
		t.Fatal(err)
	}
	qaim, _ := dep.Crossing("al-qaim")
	start := time.Now()
	got := p.Units(qaim.Position, p.Unplaced())
	elapsed := time.Since(start)
	if len(got) != len(dep.Units) {
		t.Fatalf("%d candidates", len(got))
	}
	for i := 1; i < len(got); i++ {
		if got[i-1].Reachable && got[i].Reachable && got[i-1].ETA > got[i].ETA {
			t.Fatalf("not sorted at %d", i)
		}
	}
	first, _ := dep.Unit(got[0].UnitID)
	if first.Sector != "anbar-qaim" {
		t.Fatalf("first %s of sector %s (ETA %s); all %+v", first.ID, first.Sector, got[0].ETA, got)
	}
	t.Logf("ranked %d units in %s; first %s ETA %s", len(got), elapsed, got[0].UnitID, got[0].ETA.Round(time.Second))
}

func TestDrones(t *testing.T) {
	p, l := planner(t, Options{})
	target := at(l, 60, -1000)
	got := p.Drones(target, []DroneState{
		{ID: "uav-far", Position: at(l, 80, -3000), BatteryPct: 100, Airborne: true, Available: true},  // 20 km
		{ID: "uav-near", Position: at(l, 61, -3000), BatteryPct: 8, Airborne: true, Available: true},   // near but flat
		{ID: "uav-fast", Position: at(l, 90, -3000), BatteryPct: -1, Airborne: false, Available: true}, // 30 km at 30 m/s
	})
	ids := []string{got[0].DroneID, got[1].DroneID, got[2].DroneID}
	// uav-far 20 km/15 = 1333 s; uav-fast 30 km/30 = 1000 s; uav-near infeasible.
	if !slices.Equal(ids, []string{"uav-fast", "uav-far", "uav-near"}) || got[2].Feasible || got[2].Reason == "" || !got[0].Feasible {
		t.Fatalf("drones %+v", got)
	}
	if math.Abs(got[0].Flight.Seconds()-1000) > 20 {
		t.Fatalf("flight %s", got[0].Flight)
	}
}

func TestArrival(t *testing.T) {
	l := line(t)
	target := at(l, 10, 0)
	tests := []struct {
		name  string
		ack   bool
		dists []float64 // metres from the target, one report a minute
		want  []Phase   // phase after each report
	}{
		{"drives in", false, []float64{5000, 4960, 4500, 2000, 150}, []Phase{PhaseDispatched, PhaseDispatched, PhaseEnRoute, PhaseEnRoute, PhaseOnScene}},
		{"reacts then drives", false, []float64{5000, 4900, 4600}, []Phase{PhaseDispatched, PhaseAcknowledged, PhaseEnRoute}},
		{"explicit ack", true, []float64{5000, 5000}, []Phase{PhaseAcknowledged, PhaseAcknowledged}},
		{"already there", false, []float64{100}, []Phase{PhaseOnScene}},
		{"drives away", false, []float64{5000, 6000, 7000}, []Phase{PhaseDispatched, PhaseDispatched, PhaseDispatched}},
		{"short trip", false, []float64{600, 520, 250}, []Phase{PhaseDispatched, PhaseEnRoute, PhaseEnRoute}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := NewArrival(target, 200)
			t0 := time.Date(2025, 6, 16, 1, 0, 0, 0, time.UTC)
			if tt.ack {
				if ph, ch := a.Ack(t0); ph != PhaseAcknowledged || !ch {
					t.Fatal("ack")
				}
			}
			for i, d := range tt.dists {
				ph, _ := a.Position(at(l, 10, -d), t0.Add(time.Duration(i+1)*time.Minute))
				if ph != tt.want[i] {
					t.Fatalf("report %d (%.0f m): %s, want %s", i, d, ph, tt.want[i])
				}
			}
		})
	}
}

func TestOptionsErrors(t *testing.T) {
	for _, o := range []Options{{Circuity: 0.5}, {ErrorFactor: 0.9}, {Reserve: 1}, {SampleM: 10}, {Rivers: []River{{Name: "x"}}}} {
		if _, err := New(testDeployment(t), o); err == nil || !strings.HasPrefix(err.Error(), "dispatch: ") {
			t.Errorf("New(%+v) = %v", o, err)
		}
	}
}

func BenchmarkUnits(b *testing.B) {
	dep, err := deployment.Load(deployments.FS, deployments.Reference)
	if err != nil {
		b.Fatal(err)
	}
	p, _ := New(dep, Options{})
	qaim, _ := dep.Crossing("al-qaim")
	units := p.Unplaced()
	b.ReportAllocs()
	for b.Loop() {
		p.Units(qaim.Position, units)
	}
}
