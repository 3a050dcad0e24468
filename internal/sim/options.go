package sim

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/borderwatch/borderwatch"
)

// Rates are the arrival rates of the ambient actors. The defaults follow
// public reporting where there is any (see docs/realism.md).
type Rates struct {
	// InfiltratorsPerMonth counts people (not groups); groups are 2–8
	// strong. Iraqi officials have reported 200–300 a month.
	InfiltratorsPerMonth float64
	// InfiltratorNightShare is the share of groups that cross at night.
	InfiltratorNightShare float64
	// SmugglingRunsPerDay counts smuggling runs ("smuggling daily").
	SmugglingRunsPerDay float64
	SmugglingNightShare float64
	HerdsPerDay         float64
	TrafficPerHour      float64 // vehicles per hour through each open official crossing (half at de-facto ones)
	// False alarms per sensor per hour, by kind.
	CameraFalseAlarmsPerHour, RadarFalseAlarmsPerHour, GroundFalseAlarmsPerHour float64
	// Mean time between failures and to repair of a sensor, and of a
	// tower's power or link (all its sensors at once).
	SensorMTBF, SensorMTTR, SiteMTBF, SiteMTTR time.Duration
}

// DefaultRates returns the reference rates.
func DefaultRates() Rates {
	return Rates{
		InfiltratorsPerMonth:     250,
		InfiltratorNightShare:    0.8,
		SmugglingRunsPerDay:      3,
		SmugglingNightShare:      0.7,
		HerdsPerDay:              40,
		TrafficPerHour:           12,
		CameraFalseAlarmsPerHour: 0.3,
		RadarFalseAlarmsPerHour:  1,
		GroundFalseAlarmsPerHour: 0.5,
		SensorMTBF:               30 * 24 * time.Hour,
		SensorMTTR:               12 * time.Hour,
		SiteMTBF:                 15 * 24 * time.Hour,
		SiteMTTR:                 4 * time.Hour,
	}
}

// Options configures a Sim.
type Options struct {
	// Deployment is a loaded deployment (internal/deployment); required.
	Deployment *borderwatch.Deployment
	Seed       uint64
	// Start is the simulated time of the first step; required.
	Start time.Time
	// Step is the fixed time step; default 1 s. Sensors scan once a step.
	Step time.Duration
	// Rates are the ambient arrival rates; the zero value means DefaultRates.
	Rates Rates
	// Activity multiplies the arrival rates of infiltrators and smugglers,
	// and those of herds and traffic by its square root (a demo's busier
	// border); default 1.
	Activity float64
	// Warmup runs the world silently for this long before Start, so that
	// activity is under way (actors mid-route) at the first step.
	Warmup time.Duration
	// Respond makes the simulated command respond to confirmed detections
	// by itself: the nearest QRF is dispatched and a drone tasked after
	// DecisionDelay. Leave it off when a live system dispatches (Dispatch,
	// Task).
	Respond       bool
	DecisionDelay time.Duration // default 2 min
	// NoAmbient disables the ambient actors: only injected actors, units
	// and drones (exercises).
	NoAmbient bool
	// Exercise marks everything the simulation reports as exercise: the
	// injected actors and the sensors' false alarms alike (an exercise's
	// virtual sensors must not add real-looking clutter).
	Exercise bool
	// NoUnits disables friendly patrols, QRFs and drones (an exercise run
	// against a live system that has its own).
	NoUnits bool
	// IgnoreFriendly stops sensors from reporting friendly units (they
	// still send their own position reports). Real sensors see them; the
	// realism report does not need them and runs faster without.
	IgnoreFriendly bool
	// Terrain is the elevation grid for occlusion; nil means the embedded
	// ETOPO5 grid.
	Terrain *Terrain
	// Location is the deployment's time zone for crossing hours; nil loads
	// Deployment.TimeZone (the time zone database is embedded).
	Location *time.Location
}

func (o *Options) fill() error {
	var errs []error
	if o.Deployment == nil {
		errs = append(errs, errors.New("sim: options: deployment is required"))
	} else if len(o.Deployment.Border.Line) < 2 {
		errs = append(errs, errors.New("sim: options: deployment has no border line"))
	}
	if o.Start.IsZero() {
		errs = append(errs, errors.New("sim: options: start time is required"))
	}
	if o.Step == 0 {
		o.Step = time.Second
	}
	if o.Step < 100*time.Millisecond || o.Step > 10*time.Second {
		errs = append(errs, fmt.Errorf("sim: options: step %v: must be within 100ms..10s", o.Step))
	}
	if o.Rates == (Rates{}) {
		o.Rates = DefaultRates()
	}
	if o.Activity == 0 {
		o.Activity = 1
	}
	if !(o.Activity > 0) || math.IsInf(o.Activity, 0) {
		errs = append(errs, fmt.Errorf("sim: options: activity %v: must be positive", o.Activity))
	}
	if o.Warmup < 0 {
		errs = append(errs, fmt.Errorf("sim: options: warmup %v: must not be negative", o.Warmup))
	}
	if o.DecisionDelay == 0 {
		o.DecisionDelay = 2 * time.Minute
	}
	if o.Location == nil && o.Deployment != nil {
		loc, err := time.LoadLocation(o.Deployment.TimeZone)
		if err != nil {
			errs = append(errs, fmt.Errorf("sim: deployment time_zone %q: %w", o.Deployment.TimeZone, err))
		}
		o.Location = loc
	}
	return errors.Join(errs...)
}
