package deployment_test

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/borderwatch/borderwatch"
	"github.com/borderwatch/borderwatch/deployments"
	"github.com/borderwatch/borderwatch/internal/deployment"
)

func reference(t testing.TB) *borderwatch.Deployment {
	t.Helper()
	d, err := deployment.Load(deployments.FS, deployments.Reference)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// kindCounts counts the features of each kind the exporters must write.
func kindCounts(t testing.TB, d *borderwatch.Deployment) map[string]int {
	fs, err := deployment.Features(d)
	if err != nil {
		t.Fatal(err)
	}
	n := map[string]int{}
	for _, f := range fs {
		n[f.Kind]++
	}
	return n
}

func TestFeaturesKinds(t *testing.T) {
	n := kindCounts(t, reference(t))
	for _, k := range []string{"border", "sector", "hotspot", "zone", "wall", "trench", "berm", "fence", "crossing",
		"watchtower", "post", "qrf_base", "drone_base", "thermal_camera", "radar", "ground_sensor", "sensor_footprint", "drone", "patrol", "qrf"} {
		if n[k] == 0 {
			t.Errorf("no %s features", k)
		}
	}
	if n["border"] != 1 || n["sector"] != 7 || n["crossing"] != 4 || n["wall"] != 5 {
		t.Errorf("counts = %v", n)
	}
}

func TestWriteGeoJSON(t *testing.T) {
	d := reference(t)
	var buf bytes.Buffer
	if err := deployment.WriteGeoJSON(&buf, d); err != nil {
		t.Fatal(err)
	}
	var fc struct {
		Type     string `json:"type"`
		Features []struct {
			Type       string         `json:"type"`
			Properties map[string]any `json:"properties"`
			Geometry   struct {
				Type        string          `json:"type"`
				Coordinates json.RawMessage `json:"coordinates"`
			} `json:"geometry"`
		} `json:"features"`
	}
	if err := json.Unmarshal(buf.Bytes(), &fc); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	want := kindCounts(t, d)
	got := map[string]int{}
	for i, f := range fc.Features {
		k, _ := f.Properties["kind"].(string)
		if k == "" || f.Properties["id"] == "" {
			t.Fatalf("feature %d has no kind or id: %v", i, f.Properties)
		}
		got[k]++
	}
	if len(got) != len(want) {
		t.Errorf("kinds = %v, want %v", got, want)
	}
	for k, n := range want {
		if got[k] != n {
			t.Errorf("%s: %d features, want %d", k, got[k], n)
		}
	}
	// The border is written with the 6-decimal source coordinates, [lon, lat].
	if !bytes.Contains(buf.Bytes(), []byte("[42.357238,37.109984]")) {
		t.Error("border's first vertex not found as [lon,lat]")
	}
}

func TestWriteKMLWellFormed(t *testing.T) {
	var buf bytes.Buffer
	if err := deployment.WriteKML(&buf, reference(t)); err != nil {
		t.Fatal(err)
	}
	dec := xml.NewDecoder(&buf)
	placemarks := 0
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("KML is not well-formed XML: %v", err)
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "Placemark" {
			placemarks++
		}
	}
	total := 0
	for _, n := range kindCounts(t, reference(t)) {
		total += n
	}
	if placemarks != total {
		t.Errorf("%d placemarks, want %d", placemarks, total)
	}
}

// ogrinfo runs GDAL's ogrinfo -al -so on a file and returns the feature
// count of each layer. With CI=true a missing ogrinfo fails the test.
func ogrinfo(t *testing.T, file string) map[string]int {
	t.Helper()
	bin, err := exec.LookPath("ogrinfo")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("ogrinfo not found; CI must install gdal-bin")
		}
		t.Skip("ogrinfo not found; install gdal-bin (Debian) to run this test")
	}
	out, err := exec.Command(bin, "-al", "-so", file).CombinedOutput()
	if err != nil {
		t.Fatalf("ogrinfo %s: %v\n%s", file, err, out)
	}
	if bytes.Contains(out, []byte("ERROR")) || bytes.Contains(out, []byte("Warning")) {
		t.Fatalf("ogrinfo %s reported problems:\n%s", file, out)
	}
	layers := map[string]int{}
	layer := ""
	nameRE := regexp.MustCompile(`^Layer name: (.*)$`)
	countRE := regexp.MustCompile(`^Feature Count: (\d+)$`)
	for _, l := range strings.Split(string(out), "\n") {
		if m := nameRE.FindStringSubmatch(l); m != nil {
			layer = m[1]
		}
		if m := countRE.FindStringSubmatch(l); m != nil {
			layers[layer], _ = strconv.Atoi(m[1])
		}
	}
	return layers
}

func TestExportOpensInGDAL(t *testing.T) {
	d := reference(t)
	want := kindCounts(t, d)
	total := 0
	for _, n := range want {
		total += n
	}
	dir := t.TempDir()
	t.Run("geojson", func(t *testing.T) {
		file := filepath.Join(dir, "iraq-syria.geojson")
		writeFile(t, file, func(w io.Writer) error { return deployment.WriteGeoJSON(w, d) })
		layers := ogrinfo(t, file)
		if len(layers) != 1 || layers["iraq-syria"] != total {
			t.Fatalf("ogrinfo layers = %v, want one layer iraq-syria with %d features", layers, total)
		}
	})
	t.Run("kml", func(t *testing.T) {
		file := filepath.Join(dir, "iraq-syria.kml")
		writeFile(t, file, func(w io.Writer) error { return deployment.WriteKML(w, d) })
		layers := ogrinfo(t, file)
		if len(layers) != len(want) {
			t.Errorf("ogrinfo found %d layers, want one per kind (%d): %v", len(layers), len(want), layers)
		}
		for k, n := range want {
			if layers[k] != n {
				t.Errorf("layer %s: %d features, want %d", k, layers[k], n)
			}
		}
	})
}

func writeFile(t *testing.T, name string, write func(io.Writer) error) {
	t.Helper()
	f, err := os.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	if err := write(f); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

func BenchmarkLoadReference(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := deployment.Load(deployments.FS, deployments.Reference); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkWriteGeoJSON(b *testing.B) {
	d := reference(b)
	b.ReportAllocs()
	for b.Loop() {
		if err := deployment.WriteGeoJSON(io.Discard, d); err != nil {
			b.Fatal(err)
		}
	}
}
