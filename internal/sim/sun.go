package sim

import (
	"time"

	"github.com/borderwatch/borderwatch"
	"github.com/borderwatch/borderwatch/internal/rules"
)

func sunElevation(p borderwatch.LatLon, t time.Time) float64 {
	return rules.SunElevation(p.Lat, p.Lon, t)
}
