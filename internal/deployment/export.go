package deployment

import (
	"fmt"
	"io"
	"math"

	"github.com/borderwatch/borderwatch"
	"github.com/borderwatch/borderwatch/internal/export"
	"github.com/borderwatch/borderwatch/internal/geo"
)

// Feature kinds written by the exporters, in the order they are written.
// Barrier, site, sensor and unit features use their own kind's value
// (wall, trench, berm, fence; watchtower, post, qrf_base, drone_base;
// thermal_camera, radar, ground_sensor, fence_sensor; patrol, qrf).
const (
	KindBorder          = "border"
	KindSector          = "sector"
	KindHotspot         = "hotspot"
	KindZone            = "zone"
	KindCrossing        = "crossing"
	KindSensorFootprint = "sensor_footprint"
	KindDrone           = "drone"
)

// Geometry is a feature's shape (see export.Geometry).
type Geometry = export.Geometry

// Feature is one exported map object (see export.Feature).
type Feature = export.Feature

// Features returns the map features of a loaded deployment: the border,
// sectors, hotspots, zones, barriers (offset from the line), crossings,
// sites, sensors with their footprints (person detection range at night),
// drones and units (at their bases). Footprints are omitted for sensors
// that do not detect persons.
func Features(d *borderwatch.Deployment) ([]Feature, error) {
	line, err := geo.NewLine(d.Border.Line)
	if err != nil {
		return nil, fmt.Errorf("deployment %s: border line: %w", d.Name, err)
	}
	var fs []Feature
	add := func(kind, id, name, gtype string, coords []borderwatch.LatLon, props map[string]any) {
		if props == nil {
			props = map[string]any{}
		}
		fs = append(fs, Feature{Kind: kind, ID: id, Name: name, Geometry: Geometry{Type: gtype, Coords: coords}, Props: props})
	}
	add(KindBorder, d.Name, d.Title, "LineString", d.Border.Line, map[string]any{
		"left": d.Border.Left.Code, "right": d.Border.Right.Code, "length_km": round3(d.Border.LengthKm), "source": d.Border.Source,
	})
	for _, s := range d.Sectors {
		add(KindSector, s.ID, s.Name, "LineString", line.Slice(s.FromKm, s.ToKm), map[string]any{
			"from_km": round3(s.FromKm), "to_km": round3(s.ToKm), "agency": string(s.Agency), "unit": s.Unit, "terrain": string(s.Terrain), "region": s.Region,
		})
	}
	for _, h := range d.Hotspots {
		add(KindHotspot, h.ID, h.Name, "LineString", line.Slice(h.FromKm, h.ToKm), map[string]any{
			"from_km": round3(h.FromKm), "to_km": round3(h.ToKm), "reason": h.Reason,
		})
	}
	for _, z := range d.Zones {
		add(KindZone, z.ID, z.Name, "Polygon", z.Ring, map[string]any{"zone_kind": string(z.Kind), "agency": string(z.Agency)})
	}
	for _, b := range d.Barriers {
		p := map[string]any{
			"from_km": round3(b.FromKm), "to_km": round3(b.ToKm), "offset_m": b.OffsetM,
			"delay_foot_s": b.DelayFoot.Seconds(), "delay_vehicle_s": b.DelayVehicle.Seconds(), "agency": string(b.Agency),
		}
		if b.HeightM > 0 {
			p["height_m"] = b.HeightM
		}
		if b.DepthM > 0 {
			p["depth_m"] = b.DepthM
		}
		if b.WidthM > 0 {
			p["width_m"] = b.WidthM
		}
		if b.Sensored {
			p["sensored"] = true
		}
		add(string(b.Kind), b.ID, b.Name, "LineString", line.OffsetSlice(b.FromKm, b.ToKm, b.OffsetM), p)
	}
	for _, c := range d.Crossings {
		add(KindCrossing, c.ID, c.Name, "Point", []borderwatch.LatLon{c.Position}, map[string]any{
			"status": string(c.Status), "official": c.Official, "hours": c.Hours, "chainage_km": round3(c.Chainage),
			"agency": string(c.Agency), "left_name": c.LeftName, "right_name": c.RightName, "notes": c.Notes,
		})
	}
	for _, s := range d.Sites {
		add(string(s.Kind), s.ID, s.Name, "Point", []borderwatch.LatLon{s.Position}, map[string]any{
			"height_m": s.HeightM, "agency": string(s.Agency), "sector": s.Sector, "chainage_km": round3(s.Chainage), "offset_m": round1(s.OffsetM), "generated": s.Generated,
		})
	}
	for _, s := range d.Sensors {
		p := map[string]any{
			"model": s.Model, "site": s.Site, "agency": string(s.Agency), "sector": s.Sector, "chainage_km": round3(s.Chainage),
			"mount_height_m": s.MountHeightM, "heading_deg": s.HeadingDeg, "fov_deg": s.FOVDeg, "generated": s.Generated,
		}
		for c, r := range s.Range {
			p["range_"+string(c)+"_day_m"] = r.DayM
			p["range_"+string(c)+"_night_m"] = r.NightM
		}
		add(string(s.Kind), s.ID, "", "Point", []borderwatch.LatLon{s.Position}, p)
	}
	for _, s := range d.Sensors {
		r := s.RangeM(borderwatch.ClassPerson, true)
		ring := geo.Footprint(s.Position, s.HeadingDeg, s.FOVDeg, r)
		if ring == nil {
			continue
		}
		add(KindSensorFootprint, s.ID+"-footprint", "", "Polygon", ring, map[string]any{
			"sensor": s.ID, "sensor_kind": string(s.Kind), "range_m": r, "basis": "person_night", "agency": string(s.Agency), "sector": s.Sector,
		})
	}
	sites := map[string]borderwatch.Site{}
	for _, s := range d.Sites {
		sites[s.ID] = s
	}
	for _, dr := range d.Drones {
		add(KindDrone, dr.ID, dr.Model, "Point", []borderwatch.LatLon{sites[dr.Base].Position}, map[string]any{
			"base": dr.Base, "endurance_s": dr.Endurance.Seconds(), "speed_ms": dr.SpeedMS, "altitude_m": dr.AltitudeM,
			"footprint_m": dr.FootprintM, "agency": string(dr.Agency),
		})
	}
	for _, u := range d.Units {
		add(string(u.Kind), u.ID, u.Name, "Point", []borderwatch.LatLon{sites[u.Base].Position}, map[string]any{
			"base": u.Base, "mode": string(u.Mode), "strength": u.Strength, "sector": u.Sector, "agency": string(u.Agency), "callsign": u.Callsign,
		})
	}
	return fs, nil
}

func round1(v float64) float64 { return math.Round(v*10) / 10 }
func round3(v float64) float64 { return math.Round(v*1000) / 1000 }

// WriteGeoJSON writes the deployment as one RFC 7946 FeatureCollection.
// Every feature has the properties kind, id and name; see Features.
func WriteGeoJSON(w io.Writer, d *borderwatch.Deployment) error {
	fs, err := Features(d)
	if err != nil {
		return err
	}
	return export.WriteGeoJSON(w, d.Name, fs)
}

// kmlColors are KML aabbggrr colours by feature kind.
var kmlColors = map[string]string{
	KindBorder: "ff0000ff", KindSector: "ff00ffff", KindHotspot: "ff0080ff", KindZone: "7f0000ff",
	"wall": "ff3c3c3c", "trench": "ff13458b", "berm": "ff60a4f4", "fence": "ff808080",
	KindCrossing: "ff00ff00", KindSensorFootprint: "3f00ffff",
}

// WriteKML writes the deployment as a KML 2.2 document with one folder per
// feature kind (GDAL reads each folder as a layer). Attributes are written
// as ExtendedData.
func WriteKML(w io.Writer, d *borderwatch.Deployment) error {
	fs, err := Features(d)
	if err != nil {
		return err
	}
	return export.WriteKML(w, d.Title, fs, kmlColors)
}
