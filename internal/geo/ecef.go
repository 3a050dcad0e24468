package geo

import (
	"math"

	"github.com/borderwatch/borderwatch"
)

// vec3 is an earth-centred, earth-fixed (ECEF) vector in metres, or a
// direction in that frame.
type vec3 struct{ x, y, z float64 }

func (a vec3) add(b vec3) vec3      { return vec3{a.x + b.x, a.y + b.y, a.z + b.z} }
func (a vec3) sub(b vec3) vec3      { return vec3{a.x - b.x, a.y - b.y, a.z - b.z} }
func (a vec3) scale(s float64) vec3 { return vec3{a.x * s, a.y * s, a.z * s} }
func (a vec3) dot(b vec3) float64   { return a.x*b.x + a.y*b.y + a.z*b.z }
func (a vec3) norm() float64        { return math.Sqrt(a.dot(a)) }
func (a vec3) unit() vec3           { return a.scale(1 / a.norm()) }
func (a vec3) cross(b vec3) vec3 {
	return vec3{a.y*b.z - a.z*b.y, a.z*b.x - a.x*b.z, a.x*b.y - a.y*b.x}
}
func lerp3(a, b vec3, t float64) vec3 {
	return vec3{a.x + t*(b.x-a.x), a.y + t*(b.y-a.y), a.z + t*(b.z-a.z)}
}
func (a vec3) mulAdd(s float64, b vec3) vec3 { return vec3{a.x + s*b.x, a.y + s*b.y, a.z + s*b.z} }

// ecef returns the ECEF position of a point on the WGS84 ellipsoid
// (height 0).
func ecef(p borderwatch.LatLon) vec3 {
	sphi, cphi := math.Sincos(p.Lat * deg2rad)
	slam, clam := math.Sincos(p.Lon * deg2rad)
	n := EarthA / math.Sqrt(1-wgs84.e2*sphi*sphi)
	return vec3{n * cphi * clam, n * cphi * slam, n * (1 - wgs84.e2) * sphi}
}

// up returns the unit ellipsoid normal (geodetic vertical) at p.
func up(p borderwatch.LatLon) vec3 {
	sphi, cphi := math.Sincos(p.Lat * deg2rad)
	slam, clam := math.Sincos(p.Lon * deg2rad)
	return vec3{cphi * clam, cphi * slam, sphi}
}

// surfaceLatLon returns the geodetic position of the point where the ray
// from the earth's centre through v meets the ellipsoid. The geodetic
// latitude of a surface point satisfies tan φ = z / ((1-e²)·p), a ratio
// that does not depend on the distance along the ray.
func surfaceLatLon(v vec3) borderwatch.LatLon {
	p := math.Hypot(v.x, v.y)
	return borderwatch.LatLon{
		Lat: math.Atan2(v.z, (1-wgs84.e2)*p) * rad2deg,
		Lon: math.Atan2(v.y, v.x) * rad2deg,
	}
}

// geodetic returns the geodetic latitude and longitude of the ellipsoid
// point below (or above) v, dropping the height. It iterates the
// fixed-point relation tan φ = z / (p (1 - e² N/(N+h))), which contracts
// by about e²·h/R per step: one step for points within metres of the
// surface, at most five for |h| up to a few hundred kilometres.
func geodetic(v vec3) borderwatch.LatLon {
	e2 := wgs84.e2
	p := math.Hypot(v.x, v.y)
	phi := math.Atan2(v.z, p*(1-e2))
	for range 5 {
		s, c := math.Sincos(phi)
		w := math.Sqrt(1 - e2*s*s)
		n := EarthA / w
		h := p*c + v.z*s - EarthA*w
		next := math.Atan2(v.z, p*(1-e2*n/(n+h)))
		done := math.Abs(next-phi) < 1e-15
		phi = next
		if done {
			break
		}
	}
	return borderwatch.LatLon{Lat: phi * rad2deg, Lon: math.Atan2(v.y, v.x) * rad2deg}
}
