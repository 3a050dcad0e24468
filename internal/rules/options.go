package rules

import (
	"fmt"
	"math"
	"time"

	"github.com/borderwatch/borderwatch"
)

// Params are the thresholds of the rules for one sector at one time of day.
// A zero field takes the default (DefaultParams for day, DefaultNightParams
// for night).
type Params struct {
	// ApproachKm is how far from the line an unknown track heading for it
	// raises an approach alert.
	ApproachKm float64 `json:"approach_km" yaml:"approach_km"`
	// ApproachHorizon is the longest predicted time to contact that counts
	// as heading for the line.
	ApproachHorizon time.Duration `json:"approach_horizon" yaml:"approach_horizon"`
	// ApproachMinSpeedMS is the slowest closing speed towards the line that
	// counts as heading for it.
	ApproachMinSpeedMS float64 `json:"approach_min_speed_ms" yaml:"approach_min_speed_ms"`
	// LoiterM and LoiterDwell: a track within LoiterM of a barrier for
	// LoiterDwell is loitering.
	LoiterM     float64       `json:"loiter_m" yaml:"loiter_m"`
	LoiterDwell time.Duration `json:"loiter_dwell" yaml:"loiter_dwell"`
	// CrossingRadiusM is the radius of a crossing's zone: line crossings
	// within it at an open crossing are legitimate; movement within it at
	// a closed crossing is an alert.
	CrossingRadiusM float64 `json:"crossing_radius_m" yaml:"crossing_radius_m"`
	// ClosedMinSpeedMS is the slowest speed that counts as movement at a
	// closed crossing (a parked guard vehicle does not).
	ClosedMinSpeedMS float64 `json:"closed_min_speed_ms" yaml:"closed_min_speed_ms"`
	// HeartbeatTimeout: a sensor or drone silent this long is dark.
	HeartbeatTimeout time.Duration `json:"heartbeat_timeout" yaml:"heartbeat_timeout"`
	// LowBatteryPct is the drone battery level at or below which an alert
	// is raised.
	LowBatteryPct float64 `json:"low_battery_pct" yaml:"low_battery_pct"`
	// CheckInGrace is how late a patrol may be at a check-in before it is
	// overdue; CheckInInterval, when set, expects the next check-in that
	// long after each one.
	CheckInGrace    time.Duration `json:"check_in_grace" yaml:"check_in_grace"`
	CheckInInterval time.Duration `json:"check_in_interval" yaml:"check_in_interval"`
	// AnimalMaxSeverity caps the severity of alerts on tracks classified
	// as animals outside herding areas.
	AnimalMaxSeverity borderwatch.Severity `json:"animal_max_severity" yaml:"animal_max_severity"`
}

// DefaultParams are the daytime defaults.
var DefaultParams = Params{
	ApproachKm:         3,
	ApproachHorizon:    30 * time.Minute,
	ApproachMinSpeedMS: 0.3,
	LoiterM:            150,
	LoiterDwell:        5 * time.Minute,
	CrossingRadiusM:    1500,
	ClosedMinSpeedMS:   0.5,
	HeartbeatTimeout:   90 * time.Second,
	LowBatteryPct:      25,
	CheckInGrace:       10 * time.Minute,
	AnimalMaxSeverity:  borderwatch.SeverityLow,
}

// DefaultNightParams are the night defaults: crossings happen at night, so
// the approach radius grows and loitering is flagged sooner.
var DefaultNightParams = Params{
	ApproachKm:         6,
	ApproachHorizon:    45 * time.Minute,
	ApproachMinSpeedMS: 0.2,
	LoiterM:            200,
	LoiterDwell:        2 * time.Minute,
	CrossingRadiusM:    1500,
	ClosedMinSpeedMS:   0.3,
	HeartbeatTimeout:   60 * time.Second,
	LowBatteryPct:      30,
	CheckInGrace:       5 * time.Minute,
	AnimalMaxSeverity:  borderwatch.SeverityLow,
}

// withDefaults fills zero fields from d.
func (p Params) withDefaults(d Params) Params {
	if p.ApproachKm == 0 {
		p.ApproachKm = d.ApproachKm
	}
	if p.ApproachHorizon == 0 {
		p.ApproachHorizon = d.ApproachHorizon
	}
	if p.ApproachMinSpeedMS == 0 {
		p.ApproachMinSpeedMS = d.ApproachMinSpeedMS
	}
	if p.LoiterM == 0 {
		p.LoiterM = d.LoiterM
	}
	if p.LoiterDwell == 0 {
		p.LoiterDwell = d.LoiterDwell
	}
	if p.CrossingRadiusM == 0 {
		p.CrossingRadiusM = d.CrossingRadiusM
	}
	if p.ClosedMinSpeedMS == 0 {
		p.ClosedMinSpeedMS = d.ClosedMinSpeedMS
	}
	if p.HeartbeatTimeout == 0 {
		p.HeartbeatTimeout = d.HeartbeatTimeout
	}
	if p.LowBatteryPct == 0 {
		p.LowBatteryPct = d.LowBatteryPct
	}
	if p.CheckInGrace == 0 {
		p.CheckInGrace = d.CheckInGrace
	}
	if p.CheckInInterval == 0 {
		p.CheckInInterval = d.CheckInInterval
	}
	if p.AnimalMaxSeverity == "" {
		p.AnimalMaxSeverity = d.AnimalMaxSeverity
	}
	return p
}

func (p Params) validate(field string) error {
	bad := func(name string, v any, why string) error {
		return fmt.Errorf("rules: %s.%s = %v: %s", field, name, v, why)
	}
	switch {
	case !(p.ApproachKm > 0 && p.ApproachKm <= 50):
		return bad("approach_km", p.ApproachKm, "must be in (0, 50]")
	case p.ApproachHorizon <= 0:
		return bad("approach_horizon", p.ApproachHorizon, "must be positive")
	case !(p.ApproachMinSpeedMS > 0):
		return bad("approach_min_speed_ms", p.ApproachMinSpeedMS, "must be positive")
	case !(p.LoiterM > 0 && p.LoiterM <= 5000):
		return bad("loiter_m", p.LoiterM, "must be in (0, 5000]")
	case p.LoiterDwell <= 0:
		return bad("loiter_dwell", p.LoiterDwell, "must be positive")
	case !(p.CrossingRadiusM > 0 && p.CrossingRadiusM <= 20000):
		return bad("crossing_radius_m", p.CrossingRadiusM, "must be in (0, 20000]")
	case !(p.ClosedMinSpeedMS >= 0) || math.IsInf(p.ClosedMinSpeedMS, 0):
		return bad("closed_min_speed_ms", p.ClosedMinSpeedMS, "must be ≥ 0")
	case p.HeartbeatTimeout <= 0:
		return bad("heartbeat_timeout", p.HeartbeatTimeout, "must be positive")
	case !(p.LowBatteryPct > 0 && p.LowBatteryPct < 100):
		return bad("low_battery_pct", p.LowBatteryPct, "must be in (0, 100)")
	case p.CheckInGrace < 0:
		return bad("check_in_grace", p.CheckInGrace, "must be ≥ 0")
	case p.CheckInInterval < 0:
		return bad("check_in_interval", p.CheckInInterval, "must be ≥ 0")
	case p.AnimalMaxSeverity.Rank() == 0:
		return bad("animal_max_severity", p.AnimalMaxSeverity, "unknown severity")
	}
	return nil
}

// DayNight holds the parameters for day and for night.
type DayNight struct {
	Day   Params `json:"day" yaml:"day"`
	Night Params `json:"night" yaml:"night"`
}

// Night decides when it is night.
type Night struct {
	// SunBelowDeg: it is night while the sun's elevation at the sector's
	// middle is below this many degrees. Default -6 (end of civil
	// twilight, when thermal imagery is what is left).
	SunBelowDeg float64 `json:"sun_below_deg" yaml:"sun_below_deg"`
	// Hours, when set, overrides the sun: "HH:MM-HH:MM" local time in the
	// deployment's time zone, may pass midnight ("18:30-05:30").
	Hours string `json:"hours" yaml:"hours"`
}

// Trigger is a geofence event.
type Trigger string

// Geofence triggers, evaluated per track and zone on each track update.
const (
	// TriggerEnter fires when a track seen outside the zone is seen inside.
	TriggerEnter Trigger = "enter"
	// TriggerExit fires when a track seen inside is seen outside.
	TriggerExit Trigger = "exit"
	// TriggerInside fires once per visit when a track is seen inside,
	// including a track first seen there.
	TriggerInside Trigger = "inside"
	// TriggerCross fires when the straight move between two updates, both
	// outside, passes through the zone.
	TriggerCross Trigger = "cross"
	// TriggerDwell fires once per visit when a track has stayed inside for
	// the rule's Dwell.
	TriggerDwell Trigger = "dwell"
)

// ZoneRule says which geofence events of a deployment zone raise alerts.
type ZoneRule struct {
	Zone     string               `json:"zone" yaml:"zone"` // Zone id in the deployment
	Triggers []Trigger            `json:"triggers" yaml:"triggers"`
	Dwell    time.Duration        `json:"dwell" yaml:"dwell"`
	Severity borderwatch.Severity `json:"severity" yaml:"severity"`
	// Classes limits the rule to these classes; empty means every class.
	Classes []borderwatch.Class `json:"classes,omitempty" yaml:"classes"`
}

// HerdingArea is where and when herders move animals across or along the
// border: animal tracks there in season are suppressed (and recorded).
// The area is a polygon, a chainage range, or both (a track must then be
// in both).
type HerdingArea struct {
	ID   string               `json:"id" yaml:"id"`
	Name string               `json:"name" yaml:"name"`
	Ring []borderwatch.LatLon `json:"ring,omitempty" yaml:"ring"`
	// FromKm, ToKm bound the area along the line when ToKm > FromKm;
	// MaxOffsetM, when set, bounds its distance from the line.
	FromKm     float64 `json:"from_km,omitempty" yaml:"from_km"`
	ToKm       float64 `json:"to_km,omitempty" yaml:"to_km"`
	MaxOffsetM float64 `json:"max_offset_m,omitempty" yaml:"max_offset_m"`
	// Months are the months of the season (local time).
	Months []time.Month `json:"months" yaml:"months"`
}

// RateLimit is a token bucket per sensor on new alerts charged to it.
type RateLimit struct {
	// PerMinute is the refill rate; zero disables rate limiting.
	PerMinute float64 `json:"per_minute" yaml:"per_minute"`
	// Burst is the bucket size; default max(1, PerMinute).
	Burst float64 `json:"burst" yaml:"burst"`
	// LimitCritical also limits critical alerts. Off by default: a real
	// crossing is never dropped for a noisy sensor's sake.
	LimitCritical bool `json:"limit_critical" yaml:"limit_critical"`
}

// Correlation decides when a new finding is the same event as an open
// alert.
type Correlation struct {
	// DistanceM and Window: findings of a correlating kind within DistanceM
	// of an alert and within Window of its last update join it.
	DistanceM float64       `json:"distance_m" yaml:"distance_m"`
	Window    time.Duration `json:"window" yaml:"window"`
}

// Monitor says which sensors are expected to report.
type Monitor string

// Monitor modes.
const (
	// MonitorSeen watches a sensor or drone for silence once it has reported
	// (the default: a sensor that never reported is not known to exist).
	MonitorSeen Monitor = "seen"
	// MonitorAll watches every deployment sensor from the first Tick.
	MonitorAll Monitor = "all"
)

// Options configure an Engine. The zero value is usable.
type Options struct {
	// Default applies to sectors missing from Sectors; zero fields take
	// DefaultParams / DefaultNightParams.
	Default DayNight `json:"default" yaml:"default"`
	// Sectors overrides parameters per sector id; zero fields take Default.
	Sectors map[string]DayNight `json:"sectors,omitempty" yaml:"sectors"`
	Night   Night               `json:"night" yaml:"night"`
	// Location is the deployment's time zone for crossing hours, night
	// hours and herding months; nil loads Deployment.TimeZone.
	Location *time.Location `json:"-" yaml:"-"`

	// Zones are the geofence rules; nil means the defaults (restricted:
	// inside, high; hotspot: dwell 10 min, medium), empty means none.
	Zones   []ZoneRule    `json:"zones,omitempty" yaml:"zones"`
	Herding []HerdingArea `json:"herding,omitempty" yaml:"herding"`

	RateLimit   RateLimit   `json:"rate_limit" yaml:"rate_limit"`
	Correlation Correlation `json:"correlation" yaml:"correlation"`
	Monitor     Monitor     `json:"monitor" yaml:"monitor"`
	// TrackTTL forgets tracks not updated for this long (at Tick); default
	// 10 min.
	TrackTTL time.Duration `json:"track_ttl" yaml:"track_ttl"`
	// Rearm is how long a track must stop approaching before a new
	// approach alert may fire for it; default 2 min.
	Rearm time.Duration `json:"rearm" yaml:"rearm"`
}

func defaultZoneRules(d *borderwatch.Deployment) []ZoneRule {
	var rs []ZoneRule
	for _, z := range d.Zones {
		switch z.Kind {
		case borderwatch.ZoneRestricted:
			rs = append(rs, ZoneRule{Zone: z.ID, Triggers: []Trigger{TriggerInside}, Severity: borderwatch.SeverityHigh})
		case borderwatch.ZoneHotspot:
			rs = append(rs, ZoneRule{Zone: z.ID, Triggers: []Trigger{TriggerDwell}, Dwell: 10 * time.Minute, Severity: borderwatch.SeverityMedium})
		}
	}
	return rs
}
