// Package export writes map features — the deployment, track trails,
// alerts, incidents — as GeoJSON (RFC 7946), KML 2.2 and CSV with a WKT
// geometry column, the three formats GIS tools and partner agencies open
// without conversion. Every writer streams; none holds more than one
// feature's text at a time.
//
// A feature marked as exercise traffic says so in its properties
// ("exercise": true) and in its name ("EXERCISE …"), so that an exported
// file can never be mistaken for real activity.
package export

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/borderwatch/borderwatch"
)

// Geometry is a feature's shape: a Point (one position), a LineString or
// a Polygon (one closed outer ring).
type Geometry struct {
	Type   string
	Coords []borderwatch.LatLon
}

// Geometry types.
const (
	Point      = "Point"
	LineString = "LineString"
	Polygon    = "Polygon"
)

// Feature is one exported map object. Props holds its attributes with
// units in their names; Kind, ID and Name are also written as the
// properties "kind", "id" and "name".
type Feature struct {
	Kind     string
	ID       string
	Name     string
	Geometry Geometry
	Props    map[string]any
}

// properties returns the feature's properties with kind, id and name.
func (f *Feature) properties() map[string]any {
	props := make(map[string]any, len(f.Props)+3)
	for k, v := range f.Props {
		props[k] = v
	}
	props["kind"], props["id"], props["name"] = f.Kind, f.ID, f.Name
	return props
}

// coord formats a position at 6 decimals (0.1 m).
func coord(p borderwatch.LatLon) (lon, lat string) {
	return strconv.FormatFloat(p.Lon, 'f', 6, 64), strconv.FormatFloat(p.Lat, 'f', 6, 64)
}

// WriteGeoJSON writes fs as one FeatureCollection named name.
func WriteGeoJSON(w io.Writer, name string, fs []Feature) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "{\"type\":\"FeatureCollection\",\"name\":%s,\"features\":[\n", jsonString(name))
	for i := range fs {
		f := &fs[i]
		pb, err := json.Marshal(f.properties())
		if err != nil {
			return fmt.Errorf("export: geojson: feature %s: %w", f.ID, err)
		}
		if i > 0 {
			bw.WriteString(",\n")
		}
		fmt.Fprintf(bw, "{\"type\":\"Feature\",\"id\":%s,\"properties\":%s,\"geometry\":{\"type\":%q,\"coordinates\":", jsonString(f.ID), pb, f.Geometry.Type)
		writeJSONCoords(bw, f.Geometry)
		bw.WriteString("}}")
	}
	bw.WriteString("\n]}\n")
	return bw.Flush()
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func writeJSONCoords(w *bufio.Writer, g Geometry) {
	pos := func(p borderwatch.LatLon) {
		lon, lat := coord(p)
		w.WriteString("[" + lon + "," + lat + "]")
	}
	list := func() {
		w.WriteString("[")
		for i, p := range g.Coords {
			if i > 0 {
				w.WriteString(",")
			}
			pos(p)
		}
		w.WriteString("]")
	}
	switch g.Type {
	case Point:
		pos(g.Coords[0])
	case LineString:
		list()
	case Polygon:
		w.WriteString("[")
		list()
		w.WriteString("]")
	}
}

// WriteKML writes fs as a KML 2.2 document titled title, with one folder
// per feature kind in order of first appearance (GDAL reads each folder as
// a layer). colors maps a kind to a KML aabbggrr colour for its style.
// Attributes are written as ExtendedData.
func WriteKML(w io.Writer, title string, fs []Feature, colors map[string]string) error {
	var kinds []string
	byKind := map[string][]*Feature{}
	for i := range fs {
		f := &fs[i]
		if _, ok := byKind[f.Kind]; !ok {
			kinds = append(kinds, f.Kind)
		}
		byKind[f.Kind] = append(byKind[f.Kind], f)
	}
	bw := bufio.NewWriter(w)
	bw.WriteString(xml.Header)
	bw.WriteString(`<kml xmlns="http://www.opengis.net/kml/2.2">` + "\n<Document>\n")
	fmt.Fprintf(bw, "<name>%s</name>\n", esc(title))
	for _, k := range kinds {
		if c, ok := colors[k]; ok {
			fmt.Fprintf(bw, "<Style id=\"%s\"><LineStyle><color>%s</color><width>2</width></LineStyle><PolyStyle><color>%s</color></PolyStyle></Style>\n", esc(k), c, c)
		}
	}
	for _, k := range kinds {
		fmt.Fprintf(bw, "<Folder>\n<name>%s</name>\n", esc(k))
		for _, f := range byKind[k] {
			bw.WriteString("<Placemark>")
			name := f.Name
			if name == "" {
				name = f.ID
			}
			fmt.Fprintf(bw, "<name>%s</name>", esc(name))
			if _, ok := colors[k]; ok {
				fmt.Fprintf(bw, "<styleUrl>#%s</styleUrl>", esc(k))
			}
			bw.WriteString("<ExtendedData>")
			props := f.properties()
			delete(props, "name")
			for _, pk := range sortedKeys(props) {
				fmt.Fprintf(bw, "<Data name=\"%s\"><value>%s</value></Data>", esc(pk), esc(text(props[pk])))
			}
			bw.WriteString("</ExtendedData>")
			writeKMLGeometry(bw, f.Geometry)
			bw.WriteString("</Placemark>\n")
		}
		bw.WriteString("</Folder>\n")
	}
	bw.WriteString("</Document>\n</kml>\n")
	return bw.Flush()
}

func writeKMLGeometry(w *bufio.Writer, g Geometry) {
	coords := func() {
		w.WriteString("<coordinates>")
		for i, p := range g.Coords {
			if i > 0 {
				w.WriteString(" ")
			}
			lon, lat := coord(p)
			w.WriteString(lon + "," + lat)
		}
		w.WriteString("</coordinates>")
	}
	switch g.Type {
	case Point:
		w.WriteString("<Point>")
		coords()
		w.WriteString("</Point>")
	case LineString:
		w.WriteString("<LineString><tessellate>1</tessellate>")
		coords()
		w.WriteString("</LineString>")
	case Polygon:
		w.WriteString("<Polygon><outerBoundaryIs><LinearRing>")
		coords()
		w.WriteString("</LinearRing></outerBoundaryIs></Polygon>")
	}
}

// WriteCSV writes fs as CSV: the geometry as WKT in the first column
// (GDAL's CSV driver reads a column named WKT as the geometry), then
// kind, id, name and every property any feature has, in name order.
// Values are written as text; lists and objects as JSON.
func WriteCSV(w io.Writer, fs []Feature) error {
	keySet := map[string]bool{}
	for i := range fs {
		for k := range fs[i].Props {
			keySet[k] = true
		}
	}
	delete(keySet, "kind")
	delete(keySet, "id")
	delete(keySet, "name")
	keys := sortedKeys(keySet)
	cw := csv.NewWriter(w)
	header := append([]string{"WKT", "kind", "id", "name"}, keys...)
	if err := cw.Write(header); err != nil {
		return fmt.Errorf("export: csv: %w", err)
	}
	row := make([]string, len(header))
	for i := range fs {
		f := &fs[i]
		row[0], row[1], row[2], row[3] = wkt(f.Geometry), f.Kind, f.ID, f.Name
		for j, k := range keys {
			v, ok := f.Props[k]
			row[4+j] = ""
			if ok {
				row[4+j] = text(v)
			}
		}
		if err := cw.Write(row); err != nil {
			return fmt.Errorf("export: csv: feature %s: %w", f.ID, err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("export: csv: %w", err)
	}
	return nil
}

func wkt(g Geometry) string {
	var b strings.Builder
	list := func() {
		for i, p := range g.Coords {
			if i > 0 {
				b.WriteString(", ")
			}
			lon, lat := coord(p)
			b.WriteString(lon + " " + lat)
		}
	}
	switch g.Type {
	case Point:
		b.WriteString("POINT (")
		list()
		b.WriteString(")")
	case LineString:
		b.WriteString("LINESTRING (")
		list()
		b.WriteString(")")
	case Polygon:
		b.WriteString("POLYGON ((")
		list()
		b.WriteString("))")
	}
	return b.String()
}

// text renders a property value for KML and CSV.
func text(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case int:
		return strconv.Itoa(x)
	case bool:
		return strconv.FormatBool(x)
	case nil:
		return ""
	case fmt.Stringer:
		return x.String()
	}
	if b, err := json.Marshal(v); err == nil {
		return string(b)
	}
	return fmt.Sprint(v)
}

func esc(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
