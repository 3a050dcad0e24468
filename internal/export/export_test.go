package export

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/borderwatch/borderwatch"
)

var t0 = time.Date(2026, 11, 21, 23, 0, 0, 0, time.UTC)

func sample() []Feature {
	lbl := borderwatch.Label{Owner: "ibg", ReleasableTo: []borderwatch.Agency{"army"}}
	var states []borderwatch.Track
	for i := range 3 {
		states = append(states,
			borderwatch.Track{ID: "t1", Time: t0.Add(time.Duration(i) * time.Second), Position: borderwatch.LatLon{Lat: 34.4 + float64(i)*1e-4, Lon: 40.9},
				Class: borderwatch.ClassPerson, Affiliation: borderwatch.AffUnknown, Sector: "anbar-qaim", Label: lbl},
			borderwatch.Track{ID: "t2", Time: t0.Add(time.Duration(i) * time.Second), Position: borderwatch.LatLon{Lat: 34.5, Lon: 40.9 + float64(i)*1e-4},
				Class: borderwatch.ClassVehicle, Affiliation: borderwatch.AffSuspect, Sector: "anbar-qaim", Label: lbl, Exercise: true})
	}
	fs := Tracks(states)
	fs = append(fs, Alerts([]borderwatch.Alert{{ID: "a1", Kind: borderwatch.AlertCrossing, Severity: borderwatch.SeverityCritical,
		Time: t0, Position: borderwatch.LatLon{Lat: 34.41, Lon: 40.91}, Chainage: 371.2, Direction: "into_iraq",
		Message: `crossing at km 371.2, "outside" <Al-Qaim>`, TrackIDs: []string{"t1"}, Label: lbl}})...)
	fs = append(fs, Incidents([]borderwatch.Incident{{ID: "i1", Kind: borderwatch.AlertCrossing, Title: "Crossing km 371",
		Position: borderwatch.LatLon{Lat: 34.41, Lon: 40.91}, State: borderwatch.IncidentResolved,
		Outcome: &borderwatch.Outcome{Kind: borderwatch.OutcomeSeizure, Persons: 3, Seizures: []borderwatch.Seizure{{Goods: "cigarettes", ValueUSD: 12000}}},
		Label:   lbl, Exercise: true}})...)
	return fs
}

func TestTracksBecomeTrailsInTimeOrder(t *testing.T) {
	fs := Tracks([]borderwatch.Track{
		{ID: "x", Time: t0.Add(2 * time.Second), Position: borderwatch.LatLon{Lat: 3, Lon: 3}},
		{ID: "x", Time: t0, Position: borderwatch.LatLon{Lat: 1, Lon: 1}},
		{ID: "y", Time: t0, Position: borderwatch.LatLon{Lat: 5, Lon: 5}},
		{ID: "x", Time: t0.Add(time.Second), Position: borderwatch.LatLon{Lat: 2, Lon: 2}},
	})
	if len(fs) != 2 || fs[0].ID != "x" || fs[1].ID != "y" {
		t.Fatalf("features %+v", fs)
	}
	if g := fs[0].Geometry; g.Type != LineString || len(g.Coords) != 3 || g.Coords[0].Lat != 1 || g.Coords[2].Lat != 3 {
		t.Fatalf("trail %+v, want three points in time order", g)
	}
	if fs[1].Geometry.Type != Point || fs[0].Props["states"] != 3 {
		t.Fatalf("single state must be a point; states prop %v", fs[0].Props["states"])
	}
}

func TestExerciseIsMarkedInEveryFormat(t *testing.T) {
	fs := sample()
	var gj, kml, cs bytes.Buffer
	if err := WriteGeoJSON(&gj, "test", fs); err != nil {
		t.Fatal(err)
	}
	if err := WriteKML(&kml, "test", fs, nil); err != nil {
		t.Fatal(err)
	}
	if err := WriteCSV(&cs, fs); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Features []struct {
			Properties map[string]any
		}
	}
	if err := json.Unmarshal(gj.Bytes(), &doc); err != nil {
		t.Fatalf("geojson does not parse: %v", err)
	}
	ex := 0
	for _, f := range doc.Features {
		if f.Properties["exercise"] == true {
			ex++
			if !strings.HasPrefix(f.Properties["name"].(string), "EXERCISE ") {
				t.Errorf("exercise feature named %q", f.Properties["name"])
			}
		}
	}
	if ex != 2 {
		t.Errorf("%d exercise features in GeoJSON, want 2", ex)
	}
	if n := strings.Count(kml.String(), "<name>EXERCISE "); n != 2 {
		t.Errorf("%d EXERCISE names in KML, want 2", n)
	}
	rows, err := csv.NewReader(bytes.NewReader(cs.Bytes())).ReadAll()
	if err != nil {
		t.Fatalf("csv does not parse: %v", err)
	}
	if len(rows) != 1+len(fs) || rows[0][0] != "WKT" {
		t.Fatalf("csv has %d rows, header %v", len(rows), rows[0])
	}
	if !strings.Contains(cs.String(), "EXERCISE ") {
		t.Error("csv lacks the EXERCISE mark")
	}
}

// TestGDALOpensEveryFormat runs ogrinfo (Debian gdal-bin) on each export.
func TestGDALOpensEveryFormat(t *testing.T) {
	if _, err := exec.LookPath("ogrinfo"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("ogrinfo missing (apt-get install gdal-bin)")
		}
		t.Skip("ogrinfo missing")
	}
	fs := sample()
	dir := t.TempDir()
	for _, c := range []struct {
		file  string
		write func(*bytes.Buffer) error
		want  []string
	}{
		{"x.geojson", func(b *bytes.Buffer) error { return WriteGeoJSON(b, "x", fs) }, []string{"Feature Count: 4"}},
		{"x.kml", func(b *bytes.Buffer) error { return WriteKML(b, "x", fs, map[string]string{"track": "ff0000ff"}) },
			[]string{"Layer name: track", "Layer name: alert", "Layer name: incident"}},
		{"x.csv", func(b *bytes.Buffer) error { return WriteCSV(b, fs) }, []string{"Feature Count: 4", "Geometry: Unknown (any)"}},
	} {
		t.Run(c.file, func(t *testing.T) {
			var b bytes.Buffer
			if err := c.write(&b); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, c.file)
			if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			out, err := exec.Command("ogrinfo", "-ro", "-al", "-so", path).CombinedOutput()
			if err != nil || strings.Contains(string(out), "ERROR") {
				t.Fatalf("ogrinfo %s: %v\n%s", c.file, err, out)
			}
			for _, w := range c.want {
				if !strings.Contains(string(out), w) {
					t.Errorf("ogrinfo %s lacks %q:\n%s", c.file, w, out)
				}
			}
		})
	}
}
