package borderwatch

import (
	"strconv"
	"strings"
	"time"
)

// Deployment describes one border: the line and the country on each side,
// how it is divided into sectors, what stands on it (barriers, crossings,
// sites) and what watches and patrols it (sensors, drones, units).
//
// A Deployment is a plain value. The loader (internal/deployment) fills
// every derived field (chainages, offsets, the border length) and
// validates cross references, so a loaded Deployment can be trusted:
// every Sensor.Site names a Site, every Unit.Base names a Site, every
// Agency is listed in Agencies, and sectors tile the line without gaps.
//
// Chainage is the distance along the border line in kilometres from its
// first point ("border km 312.4"). Offsets are metres perpendicular to the
// line, positive on the right of its direction of travel.
type Deployment struct {
	// Name is the deployment's short identifier, e.g. "iraq-syria".
	Name string `json:"name"`
	// Title is a human-readable title.
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
	// TimeZone is the IANA zone crossing hours are written in, e.g.
	// "Asia/Baghdad".
	TimeZone string `json:"time_zone"`

	Border    Border       `json:"border"`
	Agencies  []AgencyInfo `json:"agencies"`
	Sectors   []Sector     `json:"sectors"`
	Hotspots  []Hotspot    `json:"hotspots,omitempty"`
	Zones     []Zone       `json:"zones,omitempty"`
	Barriers  []Barrier    `json:"barriers,omitempty"`
	Crossings []Crossing   `json:"crossings,omitempty"`
	Sites     []Site       `json:"sites,omitempty"`
	Sensors   []Sensor     `json:"sensors,omitempty"`
	Drones    []Drone      `json:"drones,omitempty"`
	Units     []Unit       `json:"units,omitempty"`
}

// Country is a state on one side of the border.
type Country struct {
	// Code is the ISO 3166-1 alpha-3 code, e.g. "IRQ".
	Code string `json:"code"`
	Name string `json:"name"`
}

// Border is the border line with the country on each side.
type Border struct {
	// Line is the border polyline from its first to its last point, at
	// least two points. Chainage runs along it.
	Line []LatLon `json:"line"`
	// Left and Right are the countries on the left and right of the
	// line's direction of travel.
	Left  Country `json:"left"`
	Right Country `json:"right"`
	// LengthKm is the geodesic length of Line (WGS84), set by the loader.
	LengthKm float64 `json:"length_km"`
	// Source names where the line comes from (dataset, version, scale).
	Source string `json:"source,omitempty"`
}

// AgencyInfo describes a force or organisation that owns part of the
// deployment and the records it produces.
type AgencyInfo struct {
	ID   Agency `json:"id"`
	Name string `json:"name"`
	// Country is the ISO alpha-3 code of the state the agency belongs to.
	Country string `json:"country"`
	// ReleasableTo is the default releasability of the agency's records;
	// empty means owner only.
	ReleasableTo []Agency `json:"releasable_to,omitempty"`
}

// Label returns the default label of a record owned by the agency.
func (a AgencyInfo) Label() Label {
	return Label{Owner: a.ID, ReleasableTo: append([]Agency(nil), a.ReleasableTo...)}
}

// Terrain is the class of ground a crosser or a unit moves over.
type Terrain string

// Terrain classes.
const (
	TerrainDesert      Terrain = "desert"       // flat gravel or sand desert (hamad): fast off-road
	TerrainSteppe      Terrain = "steppe"       // open steppe and dry farmland (Jazira plain)
	TerrainHills       Terrain = "hills"        // broken, rocky ground; wadis
	TerrainMountain    Terrain = "mountain"     // steep ridges (Jebel Sinjar)
	TerrainRiverValley Terrain = "river_valley" // irrigated valley, canals, reeds (Euphrates, Tigris)
	TerrainUrban       Terrain = "urban"        // built-up area
	TerrainRoad        Terrain = "road"         // on a paved or graded road
)

// Terrains lists every terrain class in a fixed order.
var Terrains = [...]Terrain{TerrainDesert, TerrainSteppe, TerrainHills, TerrainMountain, TerrainRiverValley, TerrainUrban, TerrainRoad}

// Valid reports whether t is a known terrain class.
func (t Terrain) Valid() bool {
	for _, k := range Terrains {
		if t == k {
			return true
		}
	}
	return false
}

// Sector is a stretch of the border, [FromKm, ToKm) in chainage, with the
// agency and unit responsible for it. Sectors partition the tracker.
type Sector struct {
	ID     string  `json:"id"`
	Name   string  `json:"name"`
	FromKm float64 `json:"from_km"`
	ToKm   float64 `json:"to_km"`
	// Agency is responsible for the sector; Unit names the Unit in charge.
	Agency Agency `json:"agency"`
	Unit   string `json:"unit"`
	// Terrain is the sector's dominant terrain class.
	Terrain Terrain `json:"terrain"`
	// Region is the administrative region (governorate), e.g. "Ninewa".
	Region string `json:"region,omitempty"`
}

// Contains reports whether chainage km lies in the sector; the last
// sector of a border also contains its end point.
func (s Sector) Contains(km float64) bool { return km >= s.FromKm && km < s.ToKm }

// Hotspot is a stretch of the border where crossings concentrate
// (smuggling routes, militant movement); layout rules site sensors more
// densely there and the simulator sends more traffic there.
type Hotspot struct {
	ID     string  `json:"id"`
	Name   string  `json:"name"`
	FromKm float64 `json:"from_km"`
	ToKm   float64 `json:"to_km"`
	// Reason says why the stretch is a hotspot, with its source.
	Reason string `json:"reason"`
}

// ZoneKind is what a zone means to the rules.
type ZoneKind string

// Zone kinds.
const (
	ZoneRestricted ZoneKind = "restricted" // any unknown presence is an alert
	ZoneBuffer     ZoneKind = "buffer"     // the border strip
	ZoneHotspot    ZoneKind = "hotspot"    // area of concentrated crossings
	ZoneNoGo       ZoneKind = "no_go"      // friendly units must not enter (deconfliction)
)

// Valid reports whether k is a known zone kind.
func (k ZoneKind) Valid() bool {
	switch k {
	case ZoneRestricted, ZoneBuffer, ZoneHotspot, ZoneNoGo:
		return true
	}
	return false
}

// Zone is a named polygon.
type Zone struct {
	ID   string   `json:"id"`
	Name string   `json:"name"`
	Kind ZoneKind `json:"kind"`
	// Ring is the closed outer ring (first point == last point).
	Ring   []LatLon `json:"ring"`
	Agency Agency   `json:"agency,omitempty"`
}

// BarrierKind is the kind of a linear obstacle along the border.
type BarrierKind string

// Barrier kinds.
const (
	BarrierWall   BarrierKind = "wall"   // concrete T-wall sections
	BarrierTrench BarrierKind = "trench" // anti-vehicle ditch
	BarrierBerm   BarrierKind = "berm"   // earth bank
	BarrierFence  BarrierKind = "fence"  // wire fence, possibly sensored
)

// Valid reports whether k is a known barrier kind.
func (k BarrierKind) Valid() bool {
	switch k {
	case BarrierWall, BarrierTrench, BarrierBerm, BarrierFence:
		return true
	}
	return false
}

// Barrier is an obstacle along the line over [FromKm, ToKm], at a constant
// offset from it.
type Barrier struct {
	ID     string      `json:"id"`
	Name   string      `json:"name,omitempty"`
	Kind   BarrierKind `json:"kind"`
	FromKm float64     `json:"from_km"`
	ToKm   float64     `json:"to_km"`
	// OffsetM is metres from the line, positive on its right.
	OffsetM float64 `json:"offset_m"`
	// HeightM applies to walls, berms and fences; DepthM to trenches;
	// WidthM is the footprint across the line. Zero where not applicable.
	HeightM float64 `json:"height_m,omitempty"`
	DepthM  float64 `json:"depth_m,omitempty"`
	WidthM  float64 `json:"width_m,omitempty"`
	// DelayFoot and DelayVehicle are the time the barrier holds up a
	// crosser on foot and one in a vehicle (for a vehicle that cannot
	// cross at all, the time to breach it).
	DelayFoot    time.Duration `json:"delay_foot_ns"`
	DelayVehicle time.Duration `json:"delay_vehicle_ns"`
	// Sensored marks a fence or wall carrying intrusion sensors.
	Sensored bool   `json:"sensored,omitempty"`
	Agency   Agency `json:"agency,omitempty"`
}

// CrossingStatus says whether a crossing is passable.
type CrossingStatus string

// Crossing statuses.
const (
	CrossingOpen       CrossingStatus = "open"
	CrossingRestricted CrossingStatus = "restricted" // limited traffic (trade only, by permit)
	CrossingClosed     CrossingStatus = "closed"
)

// Valid reports whether s is a known status.
func (s CrossingStatus) Valid() bool {
	switch s {
	case CrossingOpen, CrossingRestricted, CrossingClosed:
		return true
	}
	return false
}

// Crossing is a border crossing point.
type Crossing struct {
	ID       string         `json:"id"`
	Name     string         `json:"name"`
	Position LatLon         `json:"position"`
	Chainage float64        `json:"chainage_km"` // set by the loader
	OffsetM  float64        `json:"offset_m"`    // set by the loader
	Status   CrossingStatus `json:"status"`
	// Official is false for a de-facto crossing that neither state
	// recognises (e.g. the Semalka/Faysh Khabur pontoon bridge).
	Official bool `json:"official"`
	// Hours is "24h" or "HH:MM-HH:MM" in the deployment's time zone (a
	// window may pass midnight, "20:00-06:00"); "" for a closed crossing.
	Hours string `json:"hours"`
	// LeftName and RightName name the facility on each side.
	LeftName  string `json:"left_name,omitempty"`
	RightName string `json:"right_name,omitempty"`
	Agency    Agency `json:"agency"`
	Notes     string `json:"notes,omitempty"`
}

// OpenAt reports whether the crossing is passable at local, a time already
// in the deployment's time zone. A closed crossing or malformed Hours is
// never open.
func (c Crossing) OpenAt(local time.Time) bool {
	if c.Status == CrossingClosed {
		return false
	}
	from, to, ok := ParseHours(c.Hours)
	if !ok {
		return false
	}
	if from == to {
		return true
	}
	m := local.Hour()*60 + local.Minute()
	if from < to {
		return m >= from && m < to
	}
	return m >= from || m < to
}

// ParseHours parses crossing hours: "24h" gives (0, 0, true); "HH:MM-HH:MM"
// gives the minutes after midnight of the opening and closing times.
func ParseHours(s string) (from, to int, ok bool) {
	if s == "24h" {
		return 0, 0, true
	}
	a, b, found := strings.Cut(s, "-")
	if !found {
		return 0, 0, false
	}
	from, ok1 := parseClock(a)
	to, ok2 := parseClock(b)
	if !ok1 || !ok2 || from == to {
		return 0, 0, false
	}
	return from, to, true
}

func parseClock(s string) (int, bool) {
	if len(s) != 5 || s[2] != ':' {
		return 0, false
	}
	h, err1 := strconv.Atoi(s[:2])
	m, err2 := strconv.Atoi(s[3:])
	if err1 != nil || err2 != nil || h < 0 || h > 23 || m < 0 || m > 59 {
		return 0, false
	}
	return h*60 + m, true
}

// SiteKind is the kind of a fixed site.
type SiteKind string

// Site kinds.
const (
	SiteWatchtower SiteKind = "watchtower"
	SitePost       SiteKind = "post"       // border post / fort with a garrison
	SiteQRFBase    SiteKind = "qrf_base"   // quick reaction force base
	SiteDroneBase  SiteKind = "drone_base" // launch and recovery site
)

// Valid reports whether k is a known site kind.
func (k SiteKind) Valid() bool {
	switch k {
	case SiteWatchtower, SitePost, SiteQRFBase, SiteDroneBase:
		return true
	}
	return false
}

// Site is a fixed installation: a watchtower, a post, a QRF or drone base.
type Site struct {
	ID       string   `json:"id"`
	Name     string   `json:"name,omitempty"`
	Kind     SiteKind `json:"kind"`
	Position LatLon   `json:"position"`
	Chainage float64  `json:"chainage_km"` // set by the loader
	OffsetM  float64  `json:"offset_m"`    // set by the loader
	// HeightM is the structure's height above ground (the observation
	// platform of a watchtower); zero for sites without one.
	HeightM float64 `json:"height_m,omitempty"`
	Agency  Agency  `json:"agency"`
	Sector  string  `json:"sector"` // set by the loader from Chainage
	// Generated marks a site produced by the layout rules.
	Generated bool `json:"generated,omitempty"`
}

// DetectionRange is how far a sensor detects a target class, in metres,
// by day and by night. Zero means it does not detect the class.
type DetectionRange struct {
	DayM   float64 `json:"day_m"`
	NightM float64 `json:"night_m"`
}

// Sensor kinds are SourceKind values: SourceThermalCamera, SourceRadar,
// SourceGroundSensor and SourceFence; an observation's Source.Kind is its
// sensor's Kind.

// Sensor is a fixed sensor.
type Sensor struct {
	ID       string     `json:"id"`
	Kind     SourceKind `json:"kind"`
	Model    string     `json:"model,omitempty"`
	Position LatLon     `json:"position"`
	Chainage float64    `json:"chainage_km"` // set by the loader
	OffsetM  float64    `json:"offset_m"`    // set by the loader
	// MountHeightM is the sensor's height above ground.
	MountHeightM float64 `json:"mount_height_m"`
	// HeadingDeg is the centre of the field of view, degrees clockwise from
	// true north; FOVDeg its full width, 360 for all-round sensors.
	HeadingDeg float64 `json:"heading_deg"`
	FOVDeg     float64 `json:"fov_deg"`
	// Range is the detection range by target class.
	Range  map[Class]DetectionRange `json:"range"`
	Agency Agency                   `json:"agency"`
	// Site names the Site the sensor is mounted on, "" if free-standing.
	Site   string `json:"site,omitempty"`
	Sector string `json:"sector"` // set by the loader from Chainage
	// Generated marks a sensor produced by the layout rules.
	Generated bool `json:"generated,omitempty"`
}

// RangeM returns the detection range in metres for class c by day or by
// night, 0 if the sensor does not detect c.
func (s Sensor) RangeM(c Class, night bool) float64 {
	r := s.Range[c]
	if night {
		return r.NightM
	}
	return r.DayM
}

// MaxRangeM returns the longest range over all classes, day and night.
func (s Sensor) MaxRangeM() float64 {
	m := 0.0
	for _, r := range s.Range {
		m = max(m, r.DayM, r.NightM)
	}
	return m
}

// Drone is an unmanned aircraft of the fleet.
type Drone struct {
	ID    string `json:"id"`
	Model string `json:"model,omitempty"`
	// Base names the drone_base Site it launches from.
	Base string `json:"base"`
	// Endurance is the flight time on one battery or tank.
	Endurance time.Duration `json:"endurance_ns"`
	// SpeedMS is the cruise speed in metres per second.
	SpeedMS float64 `json:"speed_ms"`
	// AltitudeM is the patrol altitude above ground.
	AltitudeM float64 `json:"altitude_m"`
	// FootprintM is the radius of the ground area its camera covers at
	// patrol altitude.
	FootprintM float64 `json:"footprint_m"`
	// Range is its camera's detection range by target class.
	Range  map[Class]DetectionRange `json:"range"`
	Agency Agency                   `json:"agency"`
}

// UnitKind is what a unit is for.
type UnitKind string

// Unit kinds.
const (
	UnitPatrol UnitKind = "patrol"
	UnitQRF    UnitKind = "qrf"
)

// Valid reports whether k is a known unit kind.
func (k UnitKind) Valid() bool { return k == UnitPatrol || k == UnitQRF }

// Mode is how a unit moves.
type Mode string

// Movement modes.
const (
	ModeFoot    Mode = "foot"
	ModeVehicle Mode = "vehicle"
)

// Valid reports whether m is a known mode.
func (m Mode) Valid() bool { return m == ModeFoot || m == ModeVehicle }

// Unit is a patrol or quick reaction force.
type Unit struct {
	ID       string   `json:"id"`
	Name     string   `json:"name,omitempty"`
	Callsign string   `json:"callsign,omitempty"`
	Kind     UnitKind `json:"kind"`
	// Base names the Site the unit operates from.
	Base string `json:"base"`
	Mode Mode   `json:"mode"`
	// SpeedMS is the movement speed in metres per second by terrain; a
	// terrain missing from the map is impassable to the unit.
	SpeedMS map[Terrain]float64 `json:"speed_ms"`
	// Strength is the number of people.
	Strength int    `json:"strength"`
	Agency   Agency `json:"agency"`
	// Sector is the sector the unit patrols or covers.
	Sector string `json:"sector"`
}

// SectorAt returns the sector containing chainage km; the end of the line
// belongs to the last sector.
func (d *Deployment) SectorAt(km float64) (Sector, bool) {
	for _, s := range d.Sectors {
		if s.Contains(km) {
			return s, true
		}
	}
	if n := len(d.Sectors); n > 0 && km == d.Sectors[n-1].ToKm {
		return d.Sectors[n-1], true
	}
	return Sector{}, false
}

// Agency returns the agency with the given id.
func (d *Deployment) Agency(id Agency) (AgencyInfo, bool) {
	for _, a := range d.Agencies {
		if a.ID == id {
			return a, true
		}
	}
	return AgencyInfo{}, false
}

// Site returns the site with the given id.
func (d *Deployment) Site(id string) (Site, bool) {
	for _, s := range d.Sites {
		if s.ID == id {
			return s, true
		}
	}
	return Site{}, false
}

// Sensor returns the sensor with the given id.
func (d *Deployment) Sensor(id string) (Sensor, bool) {
	for _, s := range d.Sensors {
		if s.ID == id {
			return s, true
		}
	}
	return Sensor{}, false
}

// Unit returns the unit with the given id.
func (d *Deployment) Unit(id string) (Unit, bool) {
	for _, u := range d.Units {
		if u.ID == id {
			return u, true
		}
	}
	return Unit{}, false
}

// Crossing returns the crossing with the given id.
func (d *Deployment) Crossing(id string) (Crossing, bool) {
	for _, c := range d.Crossings {
		if c.ID == id {
			return c, true
		}
	}
	return Crossing{}, false
}
