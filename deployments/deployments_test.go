package deployments_test

import (
	"errors"
	"io/fs"
	"math"
	"strings"
	"testing"

	"github.com/borderwatch/borderwatch"
	"github.com/borderwatch/borderwatch/deployments"
	"github.com/borderwatch/borderwatch/internal/deployment"
	"github.com/borderwatch/borderwatch/internal/geo"
	"github.com/borderwatch/borderwatch/internal/layout"
)

func load(t *testing.T) *deployment.Folder {
	t.Helper()
	f, err := deployment.Open(deployments.FS, deployments.Reference, deployment.Options{})
	if err != nil {
		t.Fatalf("the reference deployment does not load:\n%v", err)
	}
	return f
}

func TestReferenceBorder(t *testing.T) {
	d := load(t).Deployment
	// CIA World Factbook: 599 km.
	if got := d.Border.LengthKm; math.Abs(got-599)/599 > 0.01 {
		t.Errorf("border length %.2f km, want within 1%% of 599 km", got)
	}
	if d.Border.Left.Code != "IRQ" || d.Border.Right.Code != "SYR" {
		t.Errorf("sides %s/%s, want Iraq left, Syria right", d.Border.Left.Code, d.Border.Right.Code)
	}
}

func TestReferenceSectors(t *testing.T) {
	d := load(t).Deployment
	at := func(id string) borderwatch.Sector {
		c, ok := d.Crossing(id)
		if !ok {
			t.Fatalf("no crossing %s", id)
		}
		s, ok := d.SectorAt(c.Chainage)
		if !ok {
			t.Fatalf("crossing %s at km %.1f is in no sector", id, c.Chainage)
		}
		return s
	}
	for _, tt := range []struct {
		crossing, region string
		agencies         []borderwatch.Agency
	}{
		{"semalka", "Duhok", []borderwatch.Agency{"krg"}},
		{"rabia", "Ninewa", []borderwatch.Agency{"ibg", "army"}},
		{"al-qaim", "Anbar", []borderwatch.Agency{"ibg"}},
		{"al-walid", "Anbar", []borderwatch.Agency{"ibg"}},
	} {
		s := at(tt.crossing)
		if s.Region != tt.region || !contains(tt.agencies, s.Agency) {
			t.Errorf("crossing %s lies in sector %s (%s, %s), want region %s held by %v", tt.crossing, s.ID, s.Region, s.Agency, tt.region, tt.agencies)
		}
	}
	regions := map[string]bool{}
	for _, s := range d.Sectors {
		regions[s.Region] = true
	}
	for _, r := range []string{"Duhok", "Ninewa", "Anbar"} {
		if !regions[r] {
			t.Errorf("no sector in %s", r)
		}
	}
}

func contains[T comparable](s []T, v T) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func TestReferenceBarriers(t *testing.T) {
	d := load(t).Deployment
	km := map[borderwatch.BarrierKind]float64{}
	for _, b := range d.Barriers {
		km[b.Kind] += b.ToKm - b.FromKm
		if b.Kind == borderwatch.BarrierWall && !inHotspot(d, b.FromKm, b.ToKm) {
			t.Errorf("wall %s (km %.1f–%.1f) is not in a hotspot", b.ID, b.FromKm, b.ToKm)
		}
		if b.Kind == borderwatch.BarrierTrench && (b.DepthM != 3 || b.WidthM != 3) {
			t.Errorf("trench %s is %gx%g m, want 3x3 m", b.ID, b.DepthM, b.WidthM)
		}
	}
	if math.Abs(km[borderwatch.BarrierWall]-160) > 0.01 {
		t.Errorf("wall: %.2f km, want 160 km", km[borderwatch.BarrierWall])
	}
	if km[borderwatch.BarrierTrench] < 300 {
		t.Errorf("trench: %.1f km, want hundreds of km", km[borderwatch.BarrierTrench])
	}
	if km[borderwatch.BarrierBerm] == 0 {
		t.Error("no berms")
	}
}

func inHotspot(d *borderwatch.Deployment, from, to float64) bool {
	for _, h := range d.Hotspots {
		if from >= h.FromKm && to <= h.ToKm {
			return true
		}
	}
	return false
}

func TestReferenceCrossings(t *testing.T) {
	f := load(t)
	want := map[string]bool{"rabia": true, "al-qaim": true, "al-walid": true, "semalka": false}
	for id, official := range want {
		c, ok := f.Deployment.Crossing(id)
		if !ok {
			t.Errorf("no crossing %s", id)
			continue
		}
		if c.Official != official {
			t.Errorf("crossing %s official = %v, want %v", id, c.Official, official)
		}
		// Published coordinates lie up to 1.9 km from the NE line.
		if math.Abs(c.OffsetM) > 2500 {
			t.Errorf("crossing %s lies %.0f m from the line", id, c.OffsetM)
		}
	}
	if n := len(f.Deployment.Crossings); n != len(want) {
		t.Errorf("%d crossings, want %d", n, len(want))
	}
}

func TestReferenceSensorsAndUnits(t *testing.T) {
	d := load(t).Deployment
	count := map[string]int{}
	for _, s := range d.Sites {
		count[string(s.Kind)]++
	}
	for _, s := range d.Sensors {
		count[string(s.Kind)]++
	}
	for _, u := range d.Units {
		count[string(u.Kind)]++
	}
	for kind, least := range map[string]int{"watchtower": 30, "thermal_camera": 200, "radar": 1, "ground_sensor": 1, "qrf_base": 3, "drone_base": 3, "patrol": 7, "qrf": 3} {
		if count[kind] < least {
			t.Errorf("%d %s, want at least %d", count[kind], kind, least)
		}
	}
	if len(d.Drones) < 40 {
		t.Errorf("%d drones, want a fleet of at least 40", len(d.Drones))
	}
	patrolled := map[string]bool{}
	for _, u := range d.Units {
		if u.Kind == borderwatch.UnitPatrol {
			patrolled[u.Sector] = true
		}
	}
	for _, s := range d.Sectors {
		if !patrolled[s.ID] {
			t.Errorf("sector %s has no patrol unit", s.ID)
		}
	}
}

// TestReferenceCameraDensity checks that hotspots get more cameras per km
// than the rest of the line.
func TestReferenceCameraDensity(t *testing.T) {
	d := load(t).Deployment
	var hotKm, hotCams, otherCams float64
	for _, h := range d.Hotspots {
		hotKm += h.ToKm - h.FromKm
	}
	for _, s := range d.Sensors {
		if s.Kind != borderwatch.SourceThermalCamera || !s.Generated {
			continue
		}
		if inHotspot(d, s.Chainage, s.Chainage) {
			hotCams++
		} else {
			otherCams++
		}
	}
	hot, other := hotCams/hotKm, otherCams/(d.Border.LengthKm-hotKm)
	t.Logf("cameras per km: hotspots %.2f, elsewhere %.2f", hot, other)
	if hot < 1.2*other {
		t.Errorf("hotspots have %.2f cameras/km, elsewhere %.2f: want denser hotspots", hot, other)
	}
}

// TestReferenceCoverage walks the line every 500 m and checks that some
// thermal camera sees the point at night at the range of the stretch's
// design class (layout.yaml): person in hotspots and populated sectors,
// vehicle in the open desert.
func TestReferenceCoverage(t *testing.T) {
	f := load(t)
	d := f.Deployment
	b, err := fs.ReadFile(deployments.FS, deployments.Reference+"/"+f.LayoutRules)
	if err != nil {
		t.Fatal(err)
	}
	rules, err := layout.ParseRules(f.LayoutRules, b)
	if err != nil {
		t.Fatal(err)
	}
	var cams []borderwatch.Sensor
	for _, s := range d.Sensors {
		if s.Kind == borderwatch.SourceThermalCamera {
			cams = append(cams, s)
		}
	}
	uncovered := 0
	for km := 0.0; km <= d.Border.LengthKm; km += 0.5 {
		sec, _ := d.SectorAt(km)
		class := rules.Sectors[layout.DefaultSector].DesignClass
		if sp, ok := rules.Sectors[sec.ID]; ok {
			class = sp.DesignClass
		}
		if inHotspot(d, km, km) {
			class = rules.Hotspot.DesignClass
		}
		if !seen(cams, f.Line.PointAt(km), km, class) {
			uncovered++
			if uncovered <= 5 {
				t.Errorf("border km %.1f (%s) is seen by no camera at night (%s)", km, sec.ID, class)
			}
		}
	}
	if uncovered > 0 {
		t.Errorf("%d points uncovered", uncovered)
	}
}

func seen(cams []borderwatch.Sensor, p borderwatch.LatLon, km float64, class borderwatch.Class) bool {
	for _, c := range cams {
		if math.Abs(c.Chainage-km) > 25 {
			continue
		}
		dist, az, _ := geo.Inverse(c.Position, p)
		if dist > c.RangeM(class, true) {
			continue
		}
		if math.Abs(math.Remainder(az-c.HeadingDeg, 360)) <= c.FOVDeg/2+1e-6 {
			return true
		}
	}
	return false
}

// TestReferenceProvenance checks that the folder documents where its data
// comes from and does not ship the LGPL alternative lines.
func TestReferenceProvenance(t *testing.T) {
	readme, err := fs.ReadFile(deployments.FS, deployments.Reference+"/README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Natural Earth", "public domain", "599", "160", "Provenance", "Licence"} {
		if !strings.Contains(string(readme), want) {
			t.Errorf("README.md does not mention %q", want)
		}
	}
	_, err = fs.Stat(deployments.FS, deployments.Reference+"/iraq_syria_border_alternatives.geojson")
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the LGPL alternatives file must not be shipped (stat: %v)", err)
	}
}
