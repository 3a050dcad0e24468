package deployment_test

import (
	"errors"
	"fmt"
	"math"
	"os"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/borderwatch/borderwatch"
	"github.com/borderwatch/borderwatch/internal/deployment"
)

// minimal returns the files of testdata/minimal as an in-memory folder
// "d", after applying edits to deployment.yaml.
func minimal(t testing.TB, edit func(string) string) fstest.MapFS {
	t.Helper()
	fsys := fstest.MapFS{}
	for _, name := range []string{"deployment.yaml", "border.geojson"} {
		b, err := os.ReadFile("testdata/minimal/" + name)
		if err != nil {
			t.Fatal(err)
		}
		fsys["d/"+name] = &fstest.MapFile{Data: b}
	}
	if edit != nil {
		fsys["d/deployment.yaml"].Data = []byte(edit(string(fsys["d/deployment.yaml"].Data)))
	}
	return fsys
}

// replace replaces the n-th (1-based) occurrence of old, failing if absent.
func replace(t testing.TB, s, old, new string, n int) string {
	t.Helper()
	at := -1
	for i := 0; i < n; i++ {
		j := strings.Index(s[at+1:], old)
		if j < 0 {
			t.Fatalf("edit: occurrence %d of %q not found", n, old)
		}
		at += 1 + j
	}
	return s[:at] + new + s[at+len(old):]
}

// lineOf returns the 1-based line of the n-th line containing marker.
func lineOf(t testing.TB, s, marker string, n int) int {
	t.Helper()
	seen := 0
	for i, l := range strings.Split(s, "\n") {
		if strings.Contains(l, marker) {
			seen++
			if seen == n {
				return i + 1
			}
		}
	}
	t.Fatalf("marker %q (%d) not found", marker, n)
	return 0
}

func TestLoadMinimal(t *testing.T) {
	d, err := deployment.Load(minimal(t, nil), "d")
	if err != nil {
		t.Fatal(err)
	}
	if got := d.Border.LengthKm; math.Abs(got-30.58) > 0.01 {
		t.Errorf("length = %.3f km, want 30.58", got)
	}
	if got := d.Sectors[1].ToKm; got != d.Border.LengthKm {
		t.Errorf("to_km: end = %v, want the line length %v", got, d.Border.LengthKm)
	}
	cam, _ := d.Sensor("cam1")
	tower, _ := d.Site("tower1")
	if cam.Position != tower.Position || cam.Chainage != 8 || cam.OffsetM != -1500 || cam.Sector != "north" {
		t.Errorf("mounted camera = %+v, want at tower1 %+v", cam, tower)
	}
	x, _ := d.Crossing("x1")
	if math.Abs(x.Chainage-5.7) > 0.01 || math.Abs(x.OffsetM) > 1 {
		t.Errorf("crossing at km %.3f offset %.1f m, want on the line at km 5.70", x.Chainage, x.OffsetM)
	}
	gs, _ := d.Sensor("gs1")
	if gs.Chainage != 4 || gs.OffsetM != -30 || gs.Sector != "north" {
		t.Errorf("ground sensor = %+v", gs)
	}
	b := d.Barriers[0]
	if b.DelayVehicle.Hours() != 2 || b.HeightM != 3.5 {
		t.Errorf("wall = %+v", b)
	}
}

// TestLoadStationRoundTrip checks that a position given as chainage and
// offset lies where Locate finds it: the loader places it exactly.
func TestLoadStationRoundTrip(t *testing.T) {
	f, err := deployment.Open(minimal(t, nil), "d", deployment.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range f.Deployment.Sites {
		st := f.Line.Locate(s.Position)
		if math.Abs(st.Chainage-s.Chainage) > 0.005 || math.Abs(st.Offset-s.OffsetM) > 5 {
			t.Errorf("%s: given km %.3f offset %.0f, located km %.3f offset %.0f", s.ID, s.Chainage, s.OffsetM, st.Chainage, st.Offset)
		}
	}
}

func TestLoadBroken(t *testing.T) {
	type tc struct {
		name string
		edit func(t testing.TB, s string) string
		// want are substrings of one error message; line is the marker
		// whose line the message must name (occurrence 1), "" for none.
		file   string
		marker string
		nth    int
		want   []string
	}
	rep := func(old, new string, n int) func(testing.TB, string) string {
		return func(t testing.TB, s string) string { return replace(t, s, old, new, n) }
	}
	cases := []tc{
		{"missing name", rep("name: minimal\n", "", 1), "deployment.yaml", "", 0, []string{"name: required field is missing"}},
		{"bad name", rep("name: minimal", "name: Minimal Border", 1), "deployment.yaml", "name: Minimal", 1, []string{`name = "Minimal Border": must be lower-case`}},
		{"bad time zone", rep("Asia/Baghdad", "Asia/Mosul", 1), "deployment.yaml", "time_zone", 1, []string{`time_zone = "Asia/Mosul": not an IANA time zone`}},
		{"unknown top-level field", rep("title:", "titel: x\ntitle:", 1), "deployment.yaml", "titel", 1, []string{"titel: unknown field"}},
		{"duplicate key", rep("title: Minimal test border", "title: Minimal test border\ntitle: again", 1), "deployment.yaml", "title: again", 1, []string{"title: duplicate key (first at line 4)"}},
		{"yaml syntax", rep("agencies:", "agencies: [", 1), "deployment.yaml", "", 0, []string{"YAML syntax"}},
		{"alias refused", rep("  - id: ibg\n", "  - &a\n    id: ibg\n", 1), "deployment.yaml", "&a", 1, []string{"anchors and aliases are not supported"}},
		{"border file missing", rep("file: border.geojson", "file: nowhere.geojson", 1), "deployment.yaml", "nowhere", 1, []string{`border.file = "nowhere.geojson": file does not exist`}},
		{"border file escapes folder", rep("file: border.geojson", "file: ../border.geojson", 1), "deployment.yaml", "../border", 1, []string{"must be a file name inside the deployment folder"}},
		{"bad country code", rep("code: SYR", "code: Syria", 1), "deployment.yaml", "code: Syria", 1, []string{`border.right.code = "Syria": must be an ISO 3166-1 alpha-3`}},
		{"same country both sides", rep("code: SYR", "code: IRQ", 1), "deployment.yaml", "", 0, []string{"must differ from the one on the left (IRQ)"}},
		{"agency releasable to unknown", rep("releasable_to: [army]", "releasable_to: [navy]", 1), "deployment.yaml", "releasable_to", 1, []string{`"navy" is not an agency`}},
		{"sector gap", rep("from_km: 10", "from_km: 11", 1), "deployment.yaml", "from_km: 11", 1, []string{`sectors[1].from_km = "11": must equal the previous sector's to_km (10)`}},
		{"first sector not at 0", rep("from_km: 0\n    to_km: 10", "from_km: 1\n    to_km: 10", 1), "deployment.yaml", "from_km: 1", 1, []string{"the first sector must start at 0"}},
		{"last sector short", rep("to_km: end", "to_km: 25", 1), "deployment.yaml", "to_km: 25", 1, []string{"the last sector must end at the end of the line (30.578 km); write to_km: end"}},
		{"sector beyond line", rep("to_km: end", "to_km: 70", 1), "deployment.yaml", "to_km: 70", 1, []string{"chainage outside the border line [0, 30.578] km"}},
		{"sector to before from", rep("to_km: 10", "to_km: -1", 1), "deployment.yaml", "to_km: -1", 1, []string{"chainage outside the border line"}},
		{"sector string km", rep("to_km: 10", "to_km: ten", 1), "deployment.yaml", "to_km: ten", 1, []string{`sectors[0].to_km = "ten": must be a number`}},
		{"sector unknown terrain", rep("terrain: steppe", "terrain: swamp", 1), "deployment.yaml", "terrain: swamp", 1, []string{`sectors[0].terrain = "swamp": unknown terrain; one of desert, steppe`}},
		{"sector unknown agency", rep("agency: army\n    unit: p2", "agency: navy\n    unit: p2", 1), "deployment.yaml", "agency: navy", 1, []string{`sectors[1].agency = "navy": not an agency of the deployment`}},
		{"sector unknown unit", rep("unit: p1", "unit: p9", 1), "deployment.yaml", "unit: p9", 1, []string{`sectors[0].unit = "p9": no unit with this id`}},
		{"sector unit elsewhere", rep("unit: p1", "unit: p2", 1), "deployment.yaml", "unit: p2", 1, []string{`unit p2 is assigned to sector "south", not this one`}},
		{"duplicate id", rep("id: hs1", "id: north", 1), "deployment.yaml", "id: north", 2, []string{`hotspots[0].id = "north": duplicate id (first used by sectors[0]`}},
		{"id with space", rep("id: hs1", "id: hot spot", 1), "deployment.yaml", "hot spot", 1, []string{"must be letters, digits"}},
		{"numeric id", rep("id: hs1", "id: 12", 1), "deployment.yaml", "id: 12", 1, []string{`hotspots[0].id = "12": must be a string, got a int; quote it`}},
		{"hotspot missing reason", rep("    reason: test ford\n", "", 1), "deployment.yaml", "", 0, []string{"hotspots[0].reason: required field is missing"}},
		{"barrier unknown kind", rep("kind: wall", "kind: moat", 1), "deployment.yaml", "kind: moat", 1, []string{`barriers[0].kind = "moat": unknown barrier kind`}},
		{"wall without height", rep("    height_m: 3.5\n", "", 1), "deployment.yaml", "", 0, []string{"barriers[0].height_m: required field is missing"}},
		{"trench with height", rep("depth_m: 3", "height_m: 3", 1), "deployment.yaml", "height_m: 3", 2, []string{"barriers[1].height_m", "a trench has depth_m, not height_m"}},
		{"wall with depth", rep("height_m: 3.5", "height_m: 3.5\n    depth_m: 2", 1), "deployment.yaml", "depth_m: 2", 1, []string{"a wall has height_m, not depth_m"}},
		{"negative height", rep("height_m: 3.5", "height_m: -3.5", 1), "deployment.yaml", "height_m: -3.5", 1, []string{`barriers[0].height_m = "-3.5": must be greater than 0 and at most 30`}},
		{"delay without unit", rep("delay_foot: 5m", "delay_foot: 300", 1), "deployment.yaml", "delay_foot: 300", 1, []string{`barriers[0].delay_foot = "300": must be a duration with units`}},
		{"negative delay", rep("delay_foot: 5m", "delay_foot: -5m", 1), "deployment.yaml", "delay_foot: -5m", 1, []string{"must not be negative"}},
		{"missing delay", rep("    delay_vehicle: 2h\n", "", 1), "deployment.yaml", "", 0, []string{"barriers[0].delay_vehicle: required field is missing"}},
		{"barrier far offset", rep("offset_m: -100", "offset_m: -9000", 1), "deployment.yaml", "offset_m: -9000", 1, []string{"more than 5000 m from the line"}},
		{"barrier nan", rep("offset_m: -100", "offset_m: .nan", 1), "deployment.yaml", "offset_m: .nan", 1, []string{"must be a finite number"}},
		{"crossing bad status", rep("status: open", "status: ajar", 1), "deployment.yaml", "status: ajar", 1, []string{`crossings[0].status = "ajar": unknown status`}},
		{"crossing bad hours", rep(`hours: "08:00-16:00"`, `hours: "8-16"`, 1), "deployment.yaml", `hours: "8-16"`, 1, []string{`crossings[0].hours = "8-16": must be "24h" or "HH:MM-HH:MM"`}},
		{"crossing missing hours", rep("    hours: \"08:00-16:00\"\n", "", 1), "deployment.yaml", "", 0, []string{"crossings[0].hours: required field is missing"}},
		{"closed crossing with hours", rep("status: open", "status: closed", 1), "deployment.yaml", "hours:", 1, []string{"a closed crossing has no hours"}},
		{"crossing official not bool", rep("official: true", "official: maybe", 1), "deployment.yaml", "official: maybe", 1, []string{`crossings[0].official = "maybe": must be true or false`}},
		{"crossing lat lon swapped", rep("lat: 37.062235\n      lon: 42.377186", "lat: 42.377186\n      lon: 37.062235", 1), "deployment.yaml", "position:", 1, []string{"crossings[0].position", "from the border line, more than 10 km; latitude and longitude look swapped"}},
		{"crossing bad latitude", rep("lat: 37.062235", "lat: 137.062235", 1), "deployment.yaml", "lat: 137", 1, []string{`crossings[0].position.lat = "137.062235": latitude must be in [-90, 90]`}},
		{"position and at", rep("    position:\n      lat: 37.062235", "    at: {km: 5, offset_m: 0}\n    position:\n      lat: 37.062235", 1), "deployment.yaml", "at: {km: 5", 1, []string{"give either position or at, not both"}},
		{"site missing position", rep("    at:\n      km: 3\n      offset_m: -1000\n", "", 1), "deployment.yaml", "", 0, []string{"sites[0].position: required field is missing"}},
		{"site at beyond line", rep("km: 3", "km: 300", 1), "deployment.yaml", "at:", 2, []string{"sites[0].at", "km 300 is outside the border line"}},
		{"site missing offset", rep("      offset_m: -1000\n", "", 1), "deployment.yaml", "", 0, []string{"sites[0].at.offset_m: required field is missing"}},
		{"watchtower without height", rep("    height_m: 12\n", "", 1), "deployment.yaml", "", 0, []string{"sites[1].height_m: required field is missing"}},
		{"site unknown kind", rep("kind: post", "kind: castle", 1), "deployment.yaml", "kind: castle", 1, []string{"unknown site kind"}},
		{"sensor unknown site", rep("site: tower1", "site: tower9", 1), "deployment.yaml", "site: tower9", 1, []string{`sensors[0].site = "tower9": no site with this id`}},
		{"sensor unknown kind", rep("kind: thermal_camera", "kind: lidar", 1), "deployment.yaml", "kind: lidar", 1, []string{"unknown sensor kind"}},
		{"sensor fov too wide", rep("fov_deg: 30", "fov_deg: 400", 1), "deployment.yaml", "fov_deg: 400", 1, []string{`sensors[0].fov_deg = "400": must be in (0, 360]`}},
		{"sensor heading 360", rep("heading_deg: 270", "heading_deg: 360", 1), "deployment.yaml", "heading_deg: 360", 1, []string{"must be in [0, 360)"}},
		{"sensor above tower", rep("mount_height_m: 11", "mount_height_m: 40", 1), "deployment.yaml", "mount_height_m: 40", 1, []string{"higher than its site (12 m) by more than 10 m"}},
		{"sensor unknown class", rep("      person:\n        day_m: 5000", "      camel:\n        day_m: 5000", 1), "deployment.yaml", "camel", 1, []string{"sensors[0].range.camel", "unknown target class"}},
		{"sensor missing night range", rep("        night_m: 4000\n", "", 1), "deployment.yaml", "", 0, []string{"sensors[0].range.person.night_m: required field is missing"}},
		{"sensor empty range", rep("    range:\n      person:\n        day_m: 5000\n        night_m: 4000\n", "    range: {}\n", 1), "deployment.yaml", "range: {}", 1, []string{"must give the detection range of at least one target class"}},
		{"sensor range is list", rep("    range:\n      person:\n        day_m: 5000\n        night_m: 4000\n", "    range: [5000]\n", 1), "deployment.yaml", "range: [5000]", 1, []string{"sensors[0].range: must be a mapping of keys to values, got a list"}},
		{"sensor far from its site", rep("    site: tower1\n", "    site: tower1\n    at: {km: 20, offset_m: -1500}\n", 1), "deployment.yaml", "site: tower1", 1, []string{"the sensor stands", "from its site"}},
		{"drone base not a drone base", rep("base: db1", "base: post1", 1), "deployment.yaml", "base: post1", 1, []string{"site is a post; a drone flies from a drone_base"}},
		{"drone zero endurance", rep("endurance: 45m", "endurance: 0s", 1), "deployment.yaml", "endurance: 0s", 1, []string{"must be more than 0 and at most 48h"}},
		{"drone too fast", rep("speed_ms: 15\n", "speed_ms: 1500\n", 1), "deployment.yaml", "speed_ms: 1500", 1, []string{"must be greater than 0 and at most 150"}},
		{"unit unknown kind", rep("kind: patrol", "kind: army", 1), "deployment.yaml", "kind: army", 1, []string{"unknown unit kind"}},
		{"unit bad mode", rep("mode: foot", "mode: horse", 1), "deployment.yaml", "mode: horse", 1, []string{"unknown mode"}},
		{"foot unit too fast", rep("steppe: 1.3", "steppe: 13", 1), "deployment.yaml", "steppe: 13", 1, []string{`units[0].speed_ms.steppe = "13": must be more than 0 and at most 4 m/s for a unit on foot`}},
		{"unit unknown terrain", rep("steppe: 1.3", "swamp: 1.3", 1), "deployment.yaml", "swamp: 1.3", 1, []string{"units[0].speed_ms.swamp", "unknown terrain"}},
		{"unit fractional strength", rep("strength: 6", "strength: 6.5", 1), "deployment.yaml", "strength: 6.5", 1, []string{"must be an integer"}},
		{"qrf at a post", rep("base: qrf1", "base: post1", 1), "deployment.yaml", "base: post1", 3, []string{"a QRF stands by at a qrf_base"}},
		{"unit unknown sector", rep("sector: north", "sector: east", 1), "deployment.yaml", "sector: east", 1, []string{"no sector with this id"}},
		{"null required", rep("title: Minimal test border", "title: ~", 1), "deployment.yaml", "title: ~", 1, []string{"title: required, but null"}},
		{"empty list", rep("agencies:", "agencies: []\nagenciesX:", 1), "deployment.yaml", "agencies: []", 1, []string{"agencies: required, but the list is empty"}},
		{"two documents", func(t testing.TB, s string) string { return s + "---\nname: x\n" }, "deployment.yaml", "", 0, []string{"more than one YAML document"}},
		{"empty file", func(t testing.TB, s string) string { return "" }, "deployment.yaml", "", 0, []string{"empty document"}},
		{"not a mapping", func(t testing.TB, s string) string { return "- a\n- b\n" }, "deployment.yaml", "", 0, []string{"the document must be a mapping"}},
		{"zones file missing", rep("agencies:", "zones_file: zones.geojson\nagencies:", 1), "deployment.yaml", "zones_file", 1, []string{"file does not exist"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var edited string
			fsys := minimal(t, func(s string) string { edited = c.edit(t, s); return edited })
			_, err := deployment.Load(fsys, "d")
			if err == nil {
				t.Fatal("loaded a broken deployment without error")
			}
			var es deployment.Errors
			if !errors.As(err, &es) {
				t.Fatalf("error is %T, want deployment.Errors: %v", err, err)
			}
			prefix := "d/" + c.file
			if c.marker != "" {
				prefix = fmt.Sprintf("d/%s:%d: ", c.file, lineOf(t, edited, c.marker, max(c.nth, 1)))
			}
			for _, e := range es {
				msg := e.Error()
				if !strings.HasPrefix(msg, prefix) {
					continue
				}
				ok := true
				for _, w := range c.want {
					ok = ok && strings.Contains(msg, w)
				}
				if ok {
					return
				}
			}
			t.Errorf("no error starting %q and containing %q; got:\n%v", prefix, c.want, err)
		})
	}
}

// TestLoadCollectsAllErrors breaks several files and fields at once and
// expects each to be reported, in file and line order.
func TestLoadCollectsAllErrors(t *testing.T) {
	fsys := minimal(t, func(s string) string {
		s = replace(t, s, "fov_deg: 30", "fov_deg: 0", 1)
		s = replace(t, s, "strength: 6", "strength: -1", 1)
		s = replace(t, s, "terrain: steppe", "terrain: tundra", 1)
		return s
	})
	_, err := deployment.Load(fsys, "d")
	var es deployment.Errors
	if !errors.As(err, &es) || len(es) != 3 {
		t.Fatalf("want 3 errors, got %v", err)
	}
	for i := 1; i < len(es); i++ {
		if es[i].Line < es[i-1].Line {
			t.Errorf("errors not in line order: %v", err)
		}
	}
}

func TestLoadBrokenGeoJSON(t *testing.T) {
	cases := []struct {
		name, border string
		want         string
	}{
		{"syntax", "{\"type\": \"FeatureCollection\",\n\"features\": [\n}", "d/border.geojson:3: not valid GeoJSON"},
		{"not a collection", `{"type": "Feature"}`, `d/border.geojson: type = "Feature": must be "FeatureCollection"`},
		{"two features", `{"type": "FeatureCollection", "features": [{"type":"Feature"},{"type":"Feature"}]}`, "must hold exactly one feature"},
		{"multilinestring", `{"type": "FeatureCollection", "features": [{"type":"Feature","geometry":{"type":"MultiLineString","coordinates":[]}}]}`, `features[0].geometry.type = "MultiLineString": must be "LineString"`},
		{"lat lon order", `{"type": "FeatureCollection", "features": [{"type":"Feature","geometry":{"type":"LineString","coordinates":[[37.1,42.3],[37.1,142.3]]}}]}`, "coordinates[1]"},
		{"one point", `{"type": "FeatureCollection", "features": [{"type":"Feature","geometry":{"type":"LineString","coordinates":[[42.3,37.1]]}}]}`, "a border line needs at least 2 positions"},
		{"duplicate vertex", `{"type": "FeatureCollection", "features": [{"type":"Feature","geometry":{"type":"LineString","coordinates":[[42.3,37.1],[42.3,37.1],[42.2,37.0]]}}]}`, "repeats the previous position"},
		{"bad position", `{"type": "FeatureCollection", "features": [{"type":"Feature","geometry":{"type":"LineString","coordinates":[[42.3],[42.2,37.0]]}}]}`, "a position is [lon, lat]"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fsys := minimal(t, nil)
			fsys["d/border.geojson"] = &fstest.MapFile{Data: []byte(c.border)}
			_, err := deployment.Load(fsys, "d")
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("want error containing %q, got %v", c.want, err)
			}
		})
	}
}

func TestLoadCountrySides(t *testing.T) {
	countries, err := os.ReadFile("../../deployments/iraq-syria/countries.geojson")
	if err != nil {
		t.Fatal(err)
	}
	withCountries := func(s string) string {
		return replace(t, s, "file: border.geojson", "file: border.geojson\n  countries_file: countries.geojson", 1)
	}
	fsys := minimal(t, withCountries)
	fsys["d/countries.geojson"] = &fstest.MapFile{Data: countries}
	if _, err := deployment.Load(fsys, "d"); err != nil {
		t.Fatalf("correct sides rejected: %v", err)
	}
	fsys = minimal(t, func(s string) string {
		s = withCountries(s)
		s = replace(t, s, "code: IRQ\n    name: Iraq", "code: SYR\n    name: Syria", 1)
		return replace(t, s, "code: SYR\n    name: Syria", "code: IRQ\n    name: Iraq", 2)
	})
	fsys["d/countries.geojson"] = &fstest.MapFile{Data: countries}
	_, err = deployment.Load(fsys, "d")
	if err == nil || !strings.Contains(err.Error(), "are left and right swapped") {
		t.Fatalf("swapped sides: want an error, got %v", err)
	}
}

func TestLoadSkipLayout(t *testing.T) {
	fsys := minimal(t, func(s string) string {
		return replace(t, s, "agencies:", "layout:\n  rules: layout.yaml\n  generated: layout.gen.yaml\nagencies:", 1)
	})
	fsys["d/layout.yaml"] = &fstest.MapFile{Data: []byte("side: left\n")}
	fsys["d/layout.gen.yaml"] = &fstest.MapFile{Data: []byte("sites:\n  - {id: tw1, kind: watchtower, at: {km: 20, offset_m: -2000}, height_m: 15, agency: ibg}\n")}
	full, err := deployment.Load(fsys, "d")
	if err != nil {
		t.Fatal(err)
	}
	s, ok := full.Site("tw1")
	if !ok || !s.Generated || s.Sector != "south" {
		t.Fatalf("generated site = %+v, %v", s, ok)
	}
	f, err := deployment.Open(fsys, "d", deployment.Options{SkipLayout: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := f.Deployment.Site("tw1"); ok || f.LayoutRules != "layout.yaml" || f.LayoutGenerated != "layout.gen.yaml" {
		t.Fatalf("SkipLayout: folder = %+v", f)
	}
	// A broken generated file names its own file and line.
	fsys["d/layout.gen.yaml"] = &fstest.MapFile{Data: []byte("sites:\n  - {id: tw1, kind: watchtower, at: {km: 20, offset_m: -2000}, agency: ibg}\n")}
	_, err = deployment.Load(fsys, "d")
	if err == nil || !strings.Contains(err.Error(), "d/layout.gen.yaml:2: sites[0].height_m: required field is missing") {
		t.Fatalf("want an error in layout.gen.yaml, got %v", err)
	}
}

func TestLoadDisplayDir(t *testing.T) {
	fsys := minimal(t, func(s string) string { return replace(t, s, "fov_deg: 30", "fov_deg: 0", 1) })
	_, err := deployment.Open(fsys, "d", deployment.Options{DisplayDir: "/srv/border"})
	if err == nil || !strings.HasPrefix(err.Error(), "/srv/border/deployment.yaml:") {
		t.Fatalf("want the display dir in the message, got %v", err)
	}
}

var _ = borderwatch.ClassPerson

// TestDocExampleLoads keeps the example in docs/deployment.md true.
func TestDocExampleLoads(t *testing.T) {
	doc, err := os.ReadFile("../../docs/deployment.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(doc), "## Example")
	if !ok {
		t.Fatal("docs/deployment.md has no Example section")
	}
	_, rest, _ = strings.Cut(rest, "```yaml\n")
	example, _, ok := strings.Cut(rest, "```")
	if !ok {
		t.Fatal("no yaml block in the Example section")
	}
	fsys := minimal(t, func(string) string { return example })
	d, err := deployment.Load(fsys, "d")
	if err != nil {
		t.Fatalf("the documented example does not load:\n%v", err)
	}
	want, err := deployment.Load(minimal(t, nil), "d")
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Sensors) != len(want.Sensors) || len(d.Units) != len(want.Units) || d.Sectors[1] != want.Sectors[1] {
		t.Errorf("the documented example differs from testdata/minimal")
	}
}
