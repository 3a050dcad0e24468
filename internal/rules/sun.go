package rules

import (
	"math"
	"time"
)

// SunElevation returns the sun's apparent geometric elevation in degrees
// (no refraction) at lat, lon (degrees) at time t, from the low-precision
// solar coordinates of the Astronomical Almanac (accurate to ~0.1° for
// 1950-2050; ample for telling day from night).
func SunElevation(lat, lon float64, t time.Time) float64 {
	const rad = math.Pi / 180
	// Days since J2000.0 (2000-01-01 12:00 UTC).
	d := float64(t.Unix()-946728000) / 86400
	g := math.Mod(357.529+0.98560028*d, 360) * rad
	q := math.Mod(280.459+0.98564736*d, 360)
	l := (q + 1.915*math.Sin(g) + 0.020*math.Sin(2*g)) * rad
	e := (23.439 - 0.00000036*d) * rad
	ra := math.Atan2(math.Cos(e)*math.Sin(l), math.Cos(l))
	dec := math.Asin(math.Sin(e) * math.Sin(l))
	gmst := math.Mod(18.697374558+24.06570982441908*d, 24) * 15 * rad
	ha := gmst + lon*rad - ra
	φ := lat * rad
	return math.Asin(math.Sin(φ)*math.Sin(dec)+math.Cos(φ)*math.Cos(dec)*math.Cos(ha)) / rad
}
