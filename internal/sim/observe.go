package sim

import (
	"math"
	"strconv"

	"github.com/borderwatch/borderwatch"
)

// Observation is the detection as borderwatch's canonical input, as the
// protocol adapters would produce it (used for --out files and HTTP).
func (d *Detection) Observation() borderwatch.Observation {
	o := borderwatch.Observation{ID: d.ID, Time: d.Time, Source: borderwatch.Source{ID: d.Sensor, Kind: d.Kind},
		Class: d.Class, Confidence: d.Confidence, Velocity: d.Velocity, Exercise: d.Exercise}
	if d.HasBearing {
		o.Bearing = &borderwatch.Bearing{Sensor: d.SensorPos, Azimuth: d.Azimuth, AzimuthSigma: d.AzimuthSigma, Range: d.Range, RangeSigma: d.RangeSigma}
	} else {
		p := d.Position
		o.Position = &p
		o.Cov = borderwatch.Isotropic(math.Max(d.CE95/2.448, 1))
	}
	if d.Count > 1 {
		o.Attrs = map[string]string{"count": strconv.Itoa(d.Count)}
	}
	return o
}

// Observation is the self-report as a friendly observation (a TAK phone's
// position report).
func (r *Report) Observation() borderwatch.Observation {
	p := r.Position
	v := r.Velocity
	return borderwatch.Observation{ID: "r-" + r.UnitID + "-" + strconv.FormatInt(r.Time.UnixMilli(), 10), Time: r.Time,
		Source: borderwatch.Source{ID: r.UnitID, Kind: borderwatch.SourcePatrol}, Position: &p, Cov: borderwatch.Isotropic(5),
		Velocity: &v, Class: borderwatch.ClassPerson, Confidence: 1, Friendly: true, UnitID: r.UnitID,
		Attrs: map[string]string{"callsign": r.Callsign}, Exercise: r.Exercise}
}

// Observation is the drone's telemetry as a friendly observation.
func (d *DroneState) Observation() borderwatch.Observation {
	p := d.Position
	alt := d.AltMSL
	s, c := math.Sincos(d.Heading * deg)
	v := borderwatch.Velocity{East: round(d.Speed*s, 2), North: round(d.Speed*c, 2)}
	return borderwatch.Observation{ID: "u-" + d.ID + "-" + strconv.FormatInt(d.Time.UnixMilli(), 10), Time: d.Time,
		Source: borderwatch.Source{ID: d.ID, Kind: borderwatch.SourceDrone}, Position: &p, Cov: borderwatch.Isotropic(5), Alt: &alt,
		Velocity: &v, Class: borderwatch.ClassAircraft, Confidence: 1, Friendly: true, UnitID: d.ID}
}
