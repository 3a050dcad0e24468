// Package deployment owns the deployment folder format: it loads a
// folder of YAML and GeoJSON describing one border into a validated
// borderwatch.Deployment, and exports a deployment as GeoJSON and KML.
//
// Loading is strict. Every field is checked, every problem is collected
// (not just the first) and reported with its file, line, field, value and
// reason, and nothing is filled in silently: a required field that is
// missing is an error. The only values the loader computes are derived
// ones (chainages, offsets, sectors of points, the border length).
package deployment

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"path"
	"regexp"
	"strings"
	"time"
	_ "time/tzdata" // time_zone must resolve on machines without a zone database

	"github.com/borderwatch/borderwatch"
	"github.com/borderwatch/borderwatch/internal/deployment/yamlnode"
	"github.com/borderwatch/borderwatch/internal/geo"
)

// ManifestFile is the name of a deployment folder's main file.
const ManifestFile = "deployment.yaml"

// Error is one problem in one file of a deployment folder.
type Error = yamlnode.Error

// Errors is every problem found by a load; it is the error Load returns
// when validation fails (use errors.As).
type Errors = yamlnode.Errors

// Limits used by validation.
const (
	maxCrossingOffsetM = 10_000  // a crossing lies on the line, within the NE line's uncertainty
	maxSensorOffsetM   = 30_000  // a fixed sensor watches the line
	maxSiteOffsetM     = 150_000 // bases may sit well back from the line
	maxBarrierOffsetM  = 5_000
	maxSensorFromSiteM = 500 // a sensor mounted on a site stands at the site
	endKeyword         = "end"
)

var (
	idRE      = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)
	nameRE    = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,63}$`)
	countryRE = regexp.MustCompile(`^[A-Z]{3}$`)
)

// Options changes how a folder is loaded.
type Options struct {
	// SkipLayout leaves out the generated layout file named by
	// layout.generated, so that it can be regenerated from its rules.
	SkipLayout bool
	// DisplayDir replaces dir in file names of error messages, e.g. the
	// operating-system path the fs.FS was opened at.
	DisplayDir string
}

// Folder is a loaded deployment folder.
type Folder struct {
	Deployment *borderwatch.Deployment
	// Line is the border line with chainage.
	Line *geo.Line
	// LayoutRules and LayoutGenerated are the layout files relative to the
	// folder, "" when the deployment has no layout section.
	LayoutRules     string
	LayoutGenerated string
}

// Load loads and validates the deployment folder dir of fsys.
func Load(fsys fs.FS, dir string) (*borderwatch.Deployment, error) {
	f, err := Open(fsys, dir, Options{})
	if err != nil {
		return nil, err
	}
	return f.Deployment, nil
}

// Open loads and validates the deployment folder dir of fsys. A
// validation failure returns Errors listing every problem.
func Open(fsys fs.FS, dir string, o Options) (*Folder, error) {
	l := &loader{fsys: fsys, dir: dir, display: dir, opts: o, ids: map[string]idUse{}}
	if o.DisplayDir != "" {
		l.display = o.DisplayDir
	}
	f := l.load()
	var all Errors
	for _, d := range l.decoders {
		all = append(all, d.Errors()...)
	}
	all = append(all, l.errs...)
	if err := all.Err(); err != nil {
		return nil, err
	}
	return f, nil
}

type idUse struct {
	file, field string
	line        int
}

// item is one decoded entity with the mapping it came from, for errors.
type item[T any] struct {
	v T
	m *yamlnode.Map
	// at is set when the position was given as chainage and offset.
	at *station
}

type station struct{ km, offsetM float64 }

type loader struct {
	fsys     fs.FS
	dir      string
	display  string
	opts     Options
	decoders []*yamlnode.Decoder
	errs     Errors
	ids      map[string]idUse

	dep       borderwatch.Deployment
	line      *geo.Line
	zones     []borderwatch.Zone
	zonesFile string

	agencies  []item[borderwatch.AgencyInfo]
	sectors   []item[borderwatch.Sector]
	sectorTo  []bool // to_km was "end"
	hotspots  []item[borderwatch.Hotspot]
	barriers  []item[borderwatch.Barrier]
	crossings []item[borderwatch.Crossing]
	sites     []item[borderwatch.Site]
	sensors   []item[borderwatch.Sensor]
	drones    []item[borderwatch.Drone]
	units     []item[borderwatch.Unit]
}

func (l *loader) fileErr(file string, line int, field, value, reason string) {
	l.errs = append(l.errs, &Error{File: l.name(file), Line: line, Field: field, Value: yamlnode.Short(value), Reason: reason})
}

func (l *loader) name(file string) string { return path.Join(l.display, file) }

// read reads a file named in the manifest; ref locates the reference.
func (l *loader) read(file string, ref *yamlnode.Map, key string) ([]byte, bool) {
	if file == "" {
		return nil, false
	}
	if !fs.ValidPath(file) || strings.Contains(file, "\\") {
		ref.Errorf(key, "must be a file name inside the deployment folder (relative, no ..)")
		return nil, false
	}
	b, err := fs.ReadFile(l.fsys, path.Join(l.dir, file))
	if err != nil {
		reason := "cannot read: " + err.Error()
		if errors.Is(err, fs.ErrNotExist) {
			reason = "file does not exist in the deployment folder"
		}
		ref.Errorf(key, "%s", reason)
		return nil, false
	}
	if len(b) > yamlnode.MaxFileSize {
		ref.Errorf(key, "file is larger than %d bytes", yamlnode.MaxFileSize)
		return nil, false
	}
	return b, true
}

func (l *loader) load() *Folder {
	b, err := fs.ReadFile(l.fsys, path.Join(l.dir, ManifestFile))
	if err != nil {
		l.fileErr(ManifestFile, 0, "", "", "cannot read the deployment manifest: "+err.Error())
		return nil
	}
	root, perr := yamlnode.Parse(l.name(ManifestFile), b)
	if perr != nil {
		l.errs = append(l.errs, perr)
		return nil
	}
	d := yamlnode.NewDecoder(l.name(ManifestFile))
	l.decoders = append(l.decoders, d)
	m := d.Map(root, "")

	dep := &l.dep
	dep.Name = m.String("name", true)
	if dep.Name != "" && !nameRE.MatchString(dep.Name) {
		m.Errorf("name", "must be lower-case letters, digits and '-', at most 64")
	}
	dep.Title = m.String("title", true)
	dep.Description = m.String("description", false)
	dep.TimeZone = m.String("time_zone", true)
	if dep.TimeZone != "" {
		if _, err := time.LoadLocation(dep.TimeZone); err != nil {
			m.Errorf("time_zone", "not an IANA time zone (e.g. Asia/Baghdad)")
		}
	}
	l.border(m)
	if zf := m.String("zones_file", false); zf != "" {
		l.zonesFile = zf
		if b, ok := l.read(zf, m, "zones_file"); ok {
			l.zones = l.decodeZones(zf, b)
		}
	}
	f := &Folder{}
	if lm := m.Sub("layout", false); lm != nil {
		f.LayoutRules = lm.String("rules", true)
		f.LayoutGenerated = lm.String("generated", true)
		if f.LayoutRules != "" {
			l.read(f.LayoutRules, lm, "rules") // must exist; the layout package reads it
		}
		lm.Done()
	}
	for i, a := range m.List("agencies", true) {
		l.agency(d.Map(a, fmt.Sprintf("agencies[%d]", i)))
	}
	for i, s := range m.List("sectors", true) {
		l.sector(d.Map(s, fmt.Sprintf("sectors[%d]", i)))
	}
	l.entities(m, false)
	includes := m.Strings("include", false)
	m.Done()
	for _, inc := range includes {
		l.include(inc, m, "include", false)
	}
	if f.LayoutGenerated != "" && !l.opts.SkipLayout {
		l.include(f.LayoutGenerated, m.Sub("layout", false), "generated", true)
	}
	l.validate()
	dep.Zones = l.zones
	f.Deployment = dep
	f.Line = l.line
	return f
}

// include loads a file holding more entity lists.
func (l *loader) include(file string, ref *yamlnode.Map, key string, generated bool) {
	b, ok := l.read(file, ref, key)
	if !ok {
		return
	}
	root, perr := yamlnode.Parse(l.name(file), b)
	if perr != nil {
		l.errs = append(l.errs, perr)
		return
	}
	d := yamlnode.NewDecoder(l.name(file))
	l.decoders = append(l.decoders, d)
	m := d.Map(root, "")
	m.String("generated_by", false) // a note for readers of generated files
	l.entities(m, generated)
	m.Done()
}

// entities decodes the entity lists a manifest or include may carry.
func (l *loader) entities(m *yamlnode.Map, generated bool) {
	d := mapDecoder(m)
	for i, n := range m.List("hotspots", false) {
		l.hotspot(d.Map(n, fmt.Sprintf("hotspots[%d]", i)))
	}
	for i, n := range m.List("barriers", false) {
		l.barrier(d.Map(n, fmt.Sprintf("barriers[%d]", i)))
	}
	for i, n := range m.List("crossings", false) {
		l.crossing(d.Map(n, fmt.Sprintf("crossings[%d]", i)))
	}
	for i, n := range m.List("sites", false) {
		l.site(d.Map(n, fmt.Sprintf("sites[%d]", i)), generated)
	}
	for i, n := range m.List("sensors", false) {
		l.sensor(d.Map(n, fmt.Sprintf("sensors[%d]", i)), generated)
	}
	for i, n := range m.List("drones", false) {
		l.drone(d.Map(n, fmt.Sprintf("drones[%d]", i)))
	}
	for i, n := range m.List("units", false) {
		l.unit(d.Map(n, fmt.Sprintf("units[%d]", i)))
	}
}

// mapDecoder returns the decoder m reports to.
func mapDecoder(m *yamlnode.Map) *yamlnode.Decoder { return m.Decoder() }

func (l *loader) id(m *yamlnode.Map) string {
	id := m.String("id", true)
	if id == "" {
		return ""
	}
	if !idRE.MatchString(id) {
		m.Errorf("id", "must be letters, digits, '.', '_' or '-', starting with a letter or digit, at most 64")
		return id
	}
	if prev, dup := l.ids[id]; dup {
		m.Errorf("id", "duplicate id (first used by %s at %s:%d); ids are unique across the deployment", prev.field, prev.file, prev.line)
		return id
	}
	l.ids[id] = idUse{file: m.File(), field: m.Path, line: m.LineOf("id")}
	return id
}

func (l *loader) border(m *yamlnode.Map) {
	bm := m.Sub("border", true)
	if bm == nil {
		return
	}
	dep := &l.dep
	file := bm.String("file", true)
	dep.Border.Left = country(bm.Sub("left", true))
	dep.Border.Right = country(bm.Sub("right", true))
	if dep.Border.Left.Code != "" && dep.Border.Left.Code == dep.Border.Right.Code {
		bm.Errorf("right", "the country on the right must differ from the one on the left (%s)", dep.Border.Left.Code)
	}
	dep.Border.Source = bm.String("source", false)
	countries := bm.String("countries_file", false)
	bm.Done()
	b, ok := l.read(file, bm, "file")
	if !ok {
		return
	}
	pts := l.decodeBorder(file, b)
	if pts == nil {
		return
	}
	line, err := geo.NewLine(pts)
	if err != nil {
		l.fileErr(file, 0, "features[0].geometry", "", "not a usable border line: "+err.Error())
		return
	}
	l.line = line
	dep.Border.Line = pts
	dep.Border.LengthKm = line.Length()
	if countries != "" {
		if b, ok := l.read(countries, bm, "countries_file"); ok {
			l.checkSides(countries, b, bm)
		}
	}
}

// sideProbeM is how far from the line checkSides probes each side.
const sideProbeM = 3000

// checkSides verifies left and right against country polygons: a point
// sideProbeM to each side of every segment's middle must fall in the
// named country. Near tripoints a probe may land in a third country, so
// 90% of the probes must agree.
func (l *loader) checkSides(file string, b []byte, bm *yamlnode.Map) {
	c := l.decodeCollection(file, b)
	if c == nil {
		return
	}
	rings := map[string][][]borderwatch.LatLon{}
	for i, f := range c.Features {
		code, _ := f.Properties["adm0_a3"].(string)
		if code == "" {
			l.fileErr(file, 0, fmt.Sprintf("features[%d].properties.adm0_a3", i), "", "required: the ISO alpha-3 code of the country")
			continue
		}
		if f.Geometry == nil {
			continue
		}
		var polys [][][][]float64
		switch f.Geometry.Type {
		case "Polygon":
			var p [][][]float64
			if err := json.Unmarshal(f.Geometry.Coordinates, &p); err == nil {
				polys = append(polys, p)
			}
		case "MultiPolygon":
			_ = json.Unmarshal(f.Geometry.Coordinates, &polys)
		}
		for _, p := range polys {
			if len(p) == 0 {
				continue
			}
			ring, ok := l.positions(file, fmt.Sprintf("features[%d].geometry.coordinates", i), p[0])
			if ok && len(ring) >= 4 {
				rings[code] = append(rings[code], ring)
			}
		}
	}
	left, right := l.dep.Border.Left.Code, l.dep.Border.Right.Code
	for _, code := range []string{left, right} {
		if code != "" && len(rings[code]) == 0 {
			l.fileErr(file, 0, "features", code, "no polygon for this country (properties.adm0_a3)")
			return
		}
	}
	in := func(code string, p borderwatch.LatLon) bool {
		for _, r := range rings[code] {
			if geo.PolygonContains(r, p) {
				return true
			}
		}
		return false
	}
	pts := l.dep.Border.Line
	agree, total := 0, 0
	for i := 1; i < len(pts); i++ {
		d, _, _ := geo.Inverse(pts[i-1], pts[i])
		if d < 2*sideProbeM {
			continue // too short to probe reliably
		}
		mid := geo.Direct(pts[i-1], azimuth(pts[i-1], pts[i]), d/2)
		az := azimuth(pts[i-1], pts[i])
		total++
		if in(left, geo.Direct(mid, az-90, sideProbeM)) && in(right, geo.Direct(mid, az+90, sideProbeM)) {
			agree++
		}
	}
	if total > 0 && float64(agree) < 0.9*float64(total) {
		bm.Errorf("left", "only %d of %d probes %g m either side of the line fall in %s on the left and %s on the right (%s); are left and right swapped, or the line reversed?", agree, total, float64(sideProbeM), left, right, file)
	}
}

func azimuth(a, b borderwatch.LatLon) float64 {
	_, az, _ := geo.Inverse(a, b)
	return az
}

func country(m *yamlnode.Map) borderwatch.Country {
	if m == nil {
		return borderwatch.Country{}
	}
	c := borderwatch.Country{Code: m.String("code", true), Name: m.String("name", true)}
	if c.Code != "" && !countryRE.MatchString(c.Code) {
		m.Errorf("code", "must be an ISO 3166-1 alpha-3 code such as IRQ")
	}
	m.Done()
	return c
}

func (l *loader) agency(m *yamlnode.Map) {
	a := borderwatch.AgencyInfo{
		ID:      borderwatch.Agency(m.String("id", true)),
		Name:    m.String("name", true),
		Country: m.String("country", true),
	}
	if a.ID != "" && !idRE.MatchString(string(a.ID)) {
		m.Errorf("id", "must be letters, digits, '.', '_' or '-'")
	}
	if a.Country != "" && !countryRE.MatchString(a.Country) {
		m.Errorf("country", "must be an ISO 3166-1 alpha-3 code such as IRQ")
	}
	for _, r := range m.Strings("releasable_to", false) {
		a.ReleasableTo = append(a.ReleasableTo, borderwatch.Agency(r))
	}
	m.Done()
	for _, prev := range l.agencies {
		if prev.v.ID == a.ID && a.ID != "" {
			m.Errorf("id", "duplicate agency (first at line %d)", prev.m.LineOf("id"))
		}
	}
	l.agencies = append(l.agencies, item[borderwatch.AgencyInfo]{v: a, m: m})
}

// km decodes a chainage; allowEnd accepts the word "end" for the end of
// the line (returned as NaN until the line is known).
func km(m *yamlnode.Map, key string, allowEnd bool) (float64, bool) {
	if allowEnd && m.Value(key) == endKeyword {
		m.Node(key, true)
		return math.NaN(), true
	}
	return m.Float(key, true)
}

func (l *loader) sector(m *yamlnode.Map) {
	s := borderwatch.Sector{
		ID:   l.id(m),
		Name: m.String("name", true),
	}
	s.FromKm, _ = km(m, "from_km", false)
	var ok bool
	s.ToKm, ok = km(m, "to_km", true)
	s.Agency = borderwatch.Agency(m.String("agency", true))
	s.Unit = m.String("unit", true)
	s.Terrain = borderwatch.Terrain(m.String("terrain", true))
	if s.Terrain != "" && !s.Terrain.Valid() {
		m.Errorf("terrain", "unknown terrain; one of %s", terrains())
	}
	s.Region = m.String("region", false)
	m.Done()
	l.sectors = append(l.sectors, item[borderwatch.Sector]{v: s, m: m})
	l.sectorTo = append(l.sectorTo, ok && math.IsNaN(s.ToKm))
}

func terrains() string {
	s := make([]string, len(borderwatch.Terrains))
	for i, t := range borderwatch.Terrains {
		s[i] = string(t)
	}
	return strings.Join(s, ", ")
}

func (l *loader) hotspot(m *yamlnode.Map) {
	h := borderwatch.Hotspot{ID: l.id(m), Name: m.String("name", true)}
	h.FromKm, _ = m.Float("from_km", true)
	h.ToKm, _ = m.Float("to_km", true)
	h.Reason = m.String("reason", true)
	m.Done()
	l.hotspots = append(l.hotspots, item[borderwatch.Hotspot]{v: h, m: m})
}

func (l *loader) barrier(m *yamlnode.Map) {
	b := borderwatch.Barrier{ID: l.id(m), Name: m.String("name", false)}
	b.Kind = borderwatch.BarrierKind(m.String("kind", true))
	if b.Kind != "" && !b.Kind.Valid() {
		m.Errorf("kind", "unknown barrier kind; one of wall, trench, berm, fence")
	}
	b.FromKm, _ = m.Float("from_km", true)
	b.ToKm, _ = m.Float("to_km", true)
	if off, ok := m.Float("offset_m", true); ok {
		b.OffsetM = off
		if math.Abs(off) > maxBarrierOffsetM {
			m.Errorf("offset_m", "more than %d m from the line", maxBarrierOffsetM)
		}
	}
	switch b.Kind {
	case borderwatch.BarrierTrench:
		b.DepthM = positive(m, "depth_m", true, 30)
		if m.Has("height_m") {
			m.Node("height_m", false)
			m.Errorf("height_m", "a trench has depth_m, not height_m")
		}
	case borderwatch.BarrierWall, borderwatch.BarrierBerm, borderwatch.BarrierFence:
		b.HeightM = positive(m, "height_m", true, 30)
		if m.Has("depth_m") {
			m.Node("depth_m", false)
			m.Errorf("depth_m", "a %s has height_m, not depth_m", b.Kind)
		}
	}
	if m.Has("width_m") {
		b.WidthM = positive(m, "width_m", false, 200)
	}
	b.DelayFoot, _ = m.Duration("delay_foot", true)
	b.DelayVehicle, _ = m.Duration("delay_vehicle", true)
	b.Sensored, _ = m.Bool("sensored", false)
	b.Agency = borderwatch.Agency(m.String("agency", true))
	m.Done()
	l.barriers = append(l.barriers, item[borderwatch.Barrier]{v: b, m: m})
}

// positive decodes a number in (0, max].
func positive(m *yamlnode.Map, key string, required bool, max float64) float64 {
	v, ok := m.Float(key, required)
	if !ok {
		return 0
	}
	if v <= 0 || v > max {
		m.Errorf(key, "must be greater than 0 and at most %g", max)
	}
	return v
}

// position decodes exactly one of position {lat, lon} or at {km, offset_m}.
// optional allows neither.
func position(m *yamlnode.Map, optional bool) (borderwatch.LatLon, *station, bool) {
	hasP, hasAt := m.Has("position"), m.Has("at")
	switch {
	case hasP && hasAt:
		m.Node("at", false)
		m.Node("position", false)
		m.Errorf("at", "give either position or at, not both")
		return borderwatch.LatLon{}, nil, false
	case hasAt:
		am := m.Sub("at", true)
		if am == nil {
			return borderwatch.LatLon{}, nil, false
		}
		k, ok1 := am.Float("km", true)
		off, ok2 := am.Float("offset_m", true)
		am.Done()
		if !ok1 || !ok2 {
			return borderwatch.LatLon{}, nil, false
		}
		return borderwatch.LatLon{}, &station{km: k, offsetM: off}, true
	case hasP:
		pm := m.Sub("position", true)
		if pm == nil {
			return borderwatch.LatLon{}, nil, false
		}
		lat, ok1 := pm.Float("lat", true)
		lon, ok2 := pm.Float("lon", true)
		if ok1 && (lat < -90 || lat > 90) {
			pm.Errorf("lat", "latitude must be in [-90, 90]")
			ok1 = false
		}
		if ok2 && (lon < -180 || lon > 180) {
			pm.Errorf("lon", "longitude must be in [-180, 180]")
			ok2 = false
		}
		pm.Done()
		return borderwatch.LatLon{Lat: lat, Lon: lon}, nil, ok1 && ok2
	}
	if !optional {
		m.Node("position", true) // reports it missing
	}
	return borderwatch.LatLon{}, nil, false
}

func (l *loader) crossing(m *yamlnode.Map) {
	c := borderwatch.Crossing{ID: l.id(m), Name: m.String("name", true)}
	var at *station
	c.Position, at, _ = position(m, false)
	c.Status = borderwatch.CrossingStatus(m.String("status", true))
	if c.Status != "" && !c.Status.Valid() {
		m.Errorf("status", "unknown status; one of open, restricted, closed")
	}
	c.Official, _ = m.Bool("official", true)
	if c.Status == borderwatch.CrossingClosed {
		if h := m.String("hours", false); h != "" {
			m.Errorf("hours", `a closed crossing has no hours; remove the field or set status`)
		}
	} else {
		// An unknown status is already reported; do not also demand hours.
		c.Hours = m.String("hours", c.Status.Valid())
		if c.Hours != "" {
			if _, _, ok := borderwatch.ParseHours(c.Hours); !ok {
				m.Errorf("hours", `must be "24h" or "HH:MM-HH:MM" (24-hour clock, local time, opening and closing differ)`)
			}
		}
	}
	c.LeftName = m.String("left_name", false)
	c.RightName = m.String("right_name", false)
	c.Agency = borderwatch.Agency(m.String("agency", true))
	c.Notes = m.String("notes", false)
	m.Done()
	l.crossings = append(l.crossings, item[borderwatch.Crossing]{v: c, m: m, at: at})
}

func (l *loader) site(m *yamlnode.Map, generated bool) {
	s := borderwatch.Site{ID: l.id(m), Name: m.String("name", false), Generated: generated}
	s.Kind = borderwatch.SiteKind(m.String("kind", true))
	if s.Kind != "" && !s.Kind.Valid() {
		m.Errorf("kind", "unknown site kind; one of watchtower, post, qrf_base, drone_base")
	}
	var at *station
	s.Position, at, _ = position(m, false)
	s.HeightM = positive(m, "height_m", s.Kind == borderwatch.SiteWatchtower, 100)
	s.Agency = borderwatch.Agency(m.String("agency", true))
	m.Done()
	l.sites = append(l.sites, item[borderwatch.Site]{v: s, m: m, at: at})
}

var sensorKinds = []borderwatch.SourceKind{borderwatch.SourceThermalCamera, borderwatch.SourceRadar, borderwatch.SourceGroundSensor, borderwatch.SourceFence}

func (l *loader) sensor(m *yamlnode.Map, generated bool) {
	s := borderwatch.Sensor{ID: l.id(m), Model: m.String("model", false), Generated: generated}
	s.Kind = borderwatch.SourceKind(m.String("kind", true))
	if s.Kind != "" && !slicesContains(sensorKinds, s.Kind) {
		m.Errorf("kind", "unknown sensor kind; one of thermal_camera, radar, ground_sensor, fence_sensor")
	}
	s.Site = m.String("site", false)
	var at *station
	var ok bool
	s.Position, at, ok = position(m, s.Site != "")
	if !ok && at == nil && !m.Has("position") && !m.Has("at") {
		s.Position = borderwatch.LatLon{Lat: math.NaN()} // inherit from the site
	}
	if h, ok := m.Float("mount_height_m", true); ok {
		s.MountHeightM = h
		if h < 0 || h > 100 {
			m.Errorf("mount_height_m", "must be in [0, 100] metres above ground")
		}
	}
	if h, ok := m.Float("heading_deg", true); ok {
		s.HeadingDeg = h
		if h < 0 || h >= 360 {
			m.Errorf("heading_deg", "must be in [0, 360) degrees clockwise from true north")
		}
	}
	if f, ok := m.Float("fov_deg", true); ok {
		s.FOVDeg = f
		if f <= 0 || f > 360 {
			m.Errorf("fov_deg", "must be in (0, 360] degrees")
		}
	}
	s.Range = Ranges(m)
	s.Agency = borderwatch.Agency(m.String("agency", true))
	m.Done()
	l.sensors = append(l.sensors, item[borderwatch.Sensor]{v: s, m: m, at: at})
}

func slicesContains[T comparable](s []T, v T) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// Ranges decodes the required field range: {class: {day_m, night_m}} of
// m, reporting problems to m's decoder.
func Ranges(m *yamlnode.Map) map[borderwatch.Class]borderwatch.DetectionRange {
	rm := m.Sub("range", true)
	if rm == nil {
		return nil
	}
	out := map[borderwatch.Class]borderwatch.DetectionRange{}
	for _, k := range rm.Keys() {
		c := borderwatch.Class(k)
		cm := rm.Sub(k, true)
		if !c.Valid() {
			rm.Errorf(k, "unknown target class; one of person, vehicle, animal, aircraft, unknown")
			continue
		}
		if cm == nil {
			continue
		}
		var r borderwatch.DetectionRange
		for _, f := range []struct {
			key string
			v   *float64
		}{{"day_m", &r.DayM}, {"night_m", &r.NightM}} {
			if v, ok := cm.Float(f.key, true); ok {
				*f.v = v
				if v < 0 || v > 100_000 {
					cm.Errorf(f.key, "must be in [0, 100000] metres")
				}
			}
		}
		cm.Done()
		out[c] = r
	}
	if len(out) == 0 && len(rm.Keys()) == 0 {
		m.Errorf("range", "must give the detection range of at least one target class")
	}
	rm.Done()
	return out
}

func (l *loader) drone(m *yamlnode.Map) {
	d := borderwatch.Drone{ID: l.id(m), Model: m.String("model", false), Base: m.String("base", true)}
	if e, ok := m.Duration("endurance", true); ok {
		d.Endurance = e
		if e <= 0 || e > 48*time.Hour {
			m.Errorf("endurance", "must be more than 0 and at most 48h")
		}
	}
	d.SpeedMS = positive(m, "speed_ms", true, 150)
	d.AltitudeM = positive(m, "altitude_m", true, 10_000)
	d.FootprintM = positive(m, "footprint_m", true, 50_000)
	d.Range = Ranges(m)
	d.Agency = borderwatch.Agency(m.String("agency", true))
	m.Done()
	l.drones = append(l.drones, item[borderwatch.Drone]{v: d, m: m})
}

func (l *loader) unit(m *yamlnode.Map) {
	u := borderwatch.Unit{
		ID:       l.id(m),
		Name:     m.String("name", false),
		Callsign: m.String("callsign", false),
		Base:     m.String("base", true),
		Sector:   m.String("sector", true),
	}
	u.Kind = borderwatch.UnitKind(m.String("kind", true))
	if u.Kind != "" && !u.Kind.Valid() {
		m.Errorf("kind", "unknown unit kind; one of patrol, qrf")
	}
	u.Mode = borderwatch.Mode(m.String("mode", true))
	if u.Mode != "" && !u.Mode.Valid() {
		m.Errorf("mode", "unknown mode; one of foot, vehicle")
	}
	if sm := m.Sub("speed_ms", true); sm != nil {
		u.SpeedMS = map[borderwatch.Terrain]float64{}
		limit := 40.0
		if u.Mode == borderwatch.ModeFoot {
			limit = 4
		}
		for _, k := range sm.Keys() {
			t := borderwatch.Terrain(k)
			if !t.Valid() {
				sm.Node(k, false)
				sm.Errorf(k, "unknown terrain; one of %s", terrains())
				continue
			}
			if v, ok := sm.Float(k, true); ok {
				if v <= 0 || v > limit {
					sm.Errorf(k, "must be more than 0 and at most %g m/s for a unit on %s", limit, u.Mode)
				}
				u.SpeedMS[t] = v
			}
		}
		if len(sm.Keys()) == 0 {
			m.Errorf("speed_ms", "must give the speed on at least one terrain")
		}
		sm.Done()
	}
	if n, ok := m.Int("strength", true); ok {
		u.Strength = n
		if n <= 0 || n > 10_000 {
			m.Errorf("strength", "must be between 1 and 10000 people")
		}
	}
	u.Agency = borderwatch.Agency(m.String("agency", true))
	m.Done()
	l.units = append(l.units, item[borderwatch.Unit]{v: u, m: m})
}

// ---- GeoJSON ----

type geoJSONCollection struct {
	Type     string           `json:"type"`
	Features []geoJSONFeature `json:"features"`
}

type geoJSONFeature struct {
	Type       string          `json:"type"`
	Properties map[string]any  `json:"properties"`
	Geometry   *geoJSONGeom    `json:"geometry"`
	Raw        json.RawMessage `json:"-"`
}

type geoJSONGeom struct {
	Type        string          `json:"type"`
	Coordinates json.RawMessage `json:"coordinates"`
}

// jsonLine returns the 1-based line of byte offset off in b.
func jsonLine(b []byte, off int64) int {
	if off > int64(len(b)) {
		off = int64(len(b))
	}
	return 1 + strings.Count(string(b[:off]), "\n")
}

func (l *loader) decodeCollection(file string, b []byte) *geoJSONCollection {
	var c geoJSONCollection
	if err := json.Unmarshal(b, &c); err != nil {
		line := 0
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			line = jsonLine(b, se.Offset)
		case errors.As(err, &te):
			line = jsonLine(b, te.Offset)
		}
		l.fileErr(file, line, "", "", "not valid GeoJSON: "+err.Error())
		return nil
	}
	if c.Type != "FeatureCollection" {
		l.fileErr(file, 0, "type", c.Type, `must be "FeatureCollection"`)
		return nil
	}
	return &c
}

func (l *loader) decodeBorder(file string, b []byte) []borderwatch.LatLon {
	c := l.decodeCollection(file, b)
	if c == nil {
		return nil
	}
	if len(c.Features) != 1 {
		l.fileErr(file, 0, "features", fmt.Sprint(len(c.Features)), "must hold exactly one feature, the border LineString")
		return nil
	}
	g := c.Features[0].Geometry
	if g == nil || g.Type != "LineString" {
		t := "null"
		if g != nil {
			t = g.Type
		}
		l.fileErr(file, 0, "features[0].geometry.type", t, `must be "LineString" (merge a MultiLineString into one line first)`)
		return nil
	}
	var coords [][]float64
	if err := json.Unmarshal(g.Coordinates, &coords); err != nil {
		l.fileErr(file, 0, "features[0].geometry.coordinates", "", "must be a list of [lon, lat] positions: "+err.Error())
		return nil
	}
	pts, ok := l.positions(file, "features[0].geometry.coordinates", coords)
	if !ok {
		return nil
	}
	if len(pts) < 2 {
		l.fileErr(file, 0, "features[0].geometry.coordinates", fmt.Sprint(len(pts)), "a border line needs at least 2 positions")
		return nil
	}
	for i := 1; i < len(pts); i++ {
		if pts[i] == pts[i-1] {
			l.fileErr(file, 0, fmt.Sprintf("features[0].geometry.coordinates[%d]", i), fmt.Sprintf("[%g, %g]", pts[i].Lon, pts[i].Lat), "repeats the previous position; drop consecutive duplicates")
			return nil
		}
	}
	return pts
}

func (l *loader) positions(file, field string, coords [][]float64) ([]borderwatch.LatLon, bool) {
	pts := make([]borderwatch.LatLon, 0, len(coords))
	ok := true
	for i, c := range coords {
		f := fmt.Sprintf("%s[%d]", field, i)
		if len(c) < 2 || len(c) > 3 {
			l.fileErr(file, 0, f, fmt.Sprint(c), "a position is [lon, lat] or [lon, lat, alt]")
			ok = false
			continue
		}
		p := borderwatch.LatLon{Lon: c[0], Lat: c[1]}
		if !p.Valid() {
			l.fileErr(file, 0, f, fmt.Sprintf("[%g, %g]", c[0], c[1]), "longitude must be in [-180, 180] and latitude in [-90, 90] (GeoJSON order is [lon, lat])")
			ok = false
			continue
		}
		pts = append(pts, p)
	}
	return pts, ok
}

func (l *loader) decodeZones(file string, b []byte) []borderwatch.Zone {
	c := l.decodeCollection(file, b)
	if c == nil {
		return nil
	}
	var zones []borderwatch.Zone
	for i, f := range c.Features {
		field := fmt.Sprintf("features[%d]", i)
		prop := func(k string, required bool) string {
			v, present := f.Properties[k]
			s, isStr := v.(string)
			switch {
			case !present && required:
				l.fileErr(file, 0, field+".properties."+k, "", "required property is missing")
			case present && !isStr:
				l.fileErr(file, 0, field+".properties."+k, fmt.Sprint(v), "must be a string")
			}
			return s
		}
		z := borderwatch.Zone{
			ID:     prop("id", true),
			Name:   prop("name", true),
			Kind:   borderwatch.ZoneKind(prop("kind", true)),
			Agency: borderwatch.Agency(prop("agency", false)),
		}
		for k := range f.Properties {
			switch k {
			case "id", "name", "kind", "agency", "note":
			default:
				l.fileErr(file, 0, field+".properties."+k, "", "unknown property (id, name, kind, agency, note)")
			}
		}
		if z.Kind != "" && !z.Kind.Valid() {
			l.fileErr(file, 0, field+".properties.kind", string(z.Kind), "unknown zone kind; one of restricted, buffer, hotspot, no_go")
		}
		if z.ID != "" {
			if !idRE.MatchString(z.ID) {
				l.fileErr(file, 0, field+".properties.id", z.ID, "must be letters, digits, '.', '_' or '-'")
			} else if prev, dup := l.ids[z.ID]; dup {
				l.fileErr(file, 0, field+".properties.id", z.ID, fmt.Sprintf("duplicate id (first used by %s at %s:%d)", prev.field, prev.file, prev.line))
			} else {
				l.ids[z.ID] = idUse{file: l.name(file), field: field}
			}
		}
		if f.Geometry == nil || f.Geometry.Type != "Polygon" {
			t := "null"
			if f.Geometry != nil {
				t = f.Geometry.Type
			}
			l.fileErr(file, 0, field+".geometry.type", t, `must be "Polygon"`)
			continue
		}
		var rings [][][]float64
		if err := json.Unmarshal(f.Geometry.Coordinates, &rings); err != nil || len(rings) == 0 {
			l.fileErr(file, 0, field+".geometry.coordinates", "", "must be a list of rings of [lon, lat] positions")
			continue
		}
		if len(rings) > 1 {
			l.fileErr(file, 0, field+".geometry.coordinates", fmt.Sprint(len(rings)), "holes are not supported; give one outer ring")
			continue
		}
		ring, ok := l.positions(file, field+".geometry.coordinates[0]", rings[0])
		if !ok {
			continue
		}
		if len(ring) < 4 || ring[0] != ring[len(ring)-1] {
			l.fileErr(file, 0, field+".geometry.coordinates[0]", fmt.Sprint(len(ring)), "a ring needs at least 4 positions and must end where it starts")
			continue
		}
		z.Ring = ring
		zones = append(zones, z)
	}
	return zones
}
