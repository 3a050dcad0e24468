package borderwatch

// LatLon is a WGS84 position in decimal degrees.
type LatLon struct {
	Lat float64 `json:"lat"`
	Lon float64 `json:"lon"`
}

// Valid reports whether the position lies within the WGS84 coordinate range
// and is not NaN.
func (p LatLon) Valid() bool {
	return p.Lat >= -90 && p.Lat <= 90 && p.Lon >= -180 && p.Lon <= 180
}

// Velocity is a ground velocity in metres per second, east and north.
type Velocity struct {
	East  float64 `json:"east"`
	North float64 `json:"north"`
}

// Cov2 is a symmetric 2-D position covariance in square metres in the local
// east/north frame at the position: [EE EN; EN NN].
type Cov2 struct {
	EE float64 `json:"ee"`
	EN float64 `json:"en"`
	NN float64 `json:"nn"`
}

// Isotropic returns a covariance with standard deviation sigma metres on
// both axes and no correlation.
func Isotropic(sigma float64) Cov2 {
	v := sigma * sigma
	return Cov2{EE: v, NN: v}
}

// Valid reports whether c is a positive-definite covariance.
func (c Cov2) Valid() bool {
	return c.EE > 0 && c.NN > 0 && c.EE*c.NN-c.EN*c.EN > 0
}
