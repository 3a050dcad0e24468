package camera

import (
	"fmt"
	"math"

	"github.com/borderwatch/borderwatch"
)

// Pose is where a camera is and where it looks: what turns a bearing or a
// pixel box into a ground position.
type Pose struct {
	Position borderwatch.LatLon `json:"position"`
	// HeightM is the lens height above the local ground, metres.
	HeightM float64 `json:"height_m"`
	// HeadingDeg is the boresight azimuth, degrees clockwise from true north.
	HeadingDeg float64 `json:"heading_deg"`
	// TiltDeg is how far the boresight points below the horizon, degrees
	// (positive = looking down).
	TiltDeg float64 `json:"tilt_deg"`
	// HFOVDeg and VFOVDeg are the full fields of view.
	HFOVDeg float64 `json:"hfov_deg"`
	VFOVDeg float64 `json:"vfov_deg"`
	// Width and Height of the image in pixels (for pixel quantisation
	// error); 0 if unknown.
	Width  int `json:"width"`
	Height int `json:"height"`
	// MaxRangeM caps projected ranges (the camera's longest detection
	// range); 0 means DefaultMaxRangeM.
	MaxRangeM float64 `json:"max_range_m"`
	// Error model (1σ); zero values take the defaults below.
	SigmaAzDeg float64 `json:"sigma_az_deg"` // heading/pan error
	SigmaElDeg float64 `json:"sigma_el_deg"` // tilt, mast sway, terrain slope
	SigmaHM    float64 `json:"sigma_h_m"`    // mount height vs local ground
}

// Defaults of the error model and the range cap.
const (
	DefaultSigmaAzDeg = 0.2
	DefaultSigmaElDeg = 0.1
	DefaultSigmaHM    = 0.5
	DefaultMaxRangeM  = 5000
	// MinDepressionDeg: a ray less than this far below the horizon has no
	// trustworthy ground intersection; the detection is bearing-only.
	MinDepressionDeg = 0.2
)

// PoseFromSensor builds a pose from a deployment sensor: position, mount
// height, heading, horizontal field of view and longest range. Tilt,
// vertical field of view and image size are not in the deployment; they
// stay zero (pixel boxes then need a pose in the message).
func PoseFromSensor(s borderwatch.Sensor) Pose {
	return Pose{
		Position:   s.Position,
		HeightM:    s.MountHeightM,
		HeadingDeg: s.HeadingDeg,
		HFOVDeg:    s.FOVDeg,
		MaxRangeM:  s.MaxRangeM(),
	}
}

// validate reports a pose no camera can have.
func (p Pose) validate() error {
	switch {
	case !p.Position.Valid():
		return fmt.Errorf("position %v", p.Position)
	case !(p.HeightM >= 0 && p.HeightM <= MaxHeightM):
		return fmt.Errorf("height %v m outside 0..%v", p.HeightM, MaxHeightM)
	case !(p.TiltDeg >= -90 && p.TiltDeg <= 90):
		return fmt.Errorf("tilt %v° outside -90..90", p.TiltDeg)
	case !(p.HFOVDeg >= 0 && p.HFOVDeg < 180) || !(p.VFOVDeg >= 0 && p.VFOVDeg < 180):
		return fmt.Errorf("field of view %v°×%v° outside 0..180", p.HFOVDeg, p.VFOVDeg)
	case !finite(p.HeadingDeg) || math.Abs(p.HeadingDeg) > 1e6:
		return fmt.Errorf("heading %v", p.HeadingDeg)
	case !(p.MaxRangeM >= 0 && p.MaxRangeM <= 100000):
		return fmt.Errorf("max range %v m", p.MaxRangeM)
	case p.Width < 0 || p.Height < 0:
		return fmt.Errorf("image %dx%d", p.Width, p.Height)
	}
	return nil
}

// MaxHeightM bounds a camera's height above the ground it watches (a mast
// on a ridge above a valley).
const MaxHeightM = 2000

func (p Pose) sigmas() (az, el, h float64) {
	az, el, h = p.SigmaAzDeg, p.SigmaElDeg, p.SigmaHM
	if az <= 0 {
		az = DefaultSigmaAzDeg
	}
	if el <= 0 {
		el = DefaultSigmaElDeg
	}
	if h <= 0 {
		h = DefaultSigmaHM
	}
	return az, el, h
}

func (p Pose) maxRange() float64 {
	if p.MaxRangeM > 0 {
		return p.MaxRangeM
	}
	return DefaultMaxRangeM
}

const deg = math.Pi / 180

// pixelRay returns the true azimuth and elevation (degrees) of the ray
// through a normalised image point (nx, ny ∈ [0,1], y down) of a pinhole
// camera with pose p, and the 1σ angular errors including pixel
// quantisation.
func (p Pose) pixelRay(nx, ny float64) (az, el, sAz, sEl float64) {
	r := (2*nx - 1) * math.Tan(p.HFOVDeg*deg/2)
	u := -(2*ny - 1) * math.Tan(p.VFOVDeg*deg/2)
	t := p.TiltDeg * deg
	f := math.Cos(t) + u*math.Sin(t)
	up := -math.Sin(t) + u*math.Cos(t)
	az = normAz(p.HeadingDeg + math.Atan2(r, f)/deg)
	el = math.Atan2(up, math.Hypot(f, r)) / deg
	sAz, sEl, _ = p.sigmas()
	if p.Width > 0 {
		q := p.HFOVDeg / float64(p.Width) / math.Sqrt(12)
		sAz = math.Hypot(sAz, q)
	}
	if p.Height > 0 {
		q := p.VFOVDeg / float64(p.Height) / math.Sqrt(12)
		sEl = math.Hypot(sEl, q)
	}
	return az, el, sAz, sEl
}

// fix is a ground position with its covariance, or a bearing when the ray
// does not reach the ground.
type fix struct {
	pos    borderwatch.LatLon
	cov    borderwatch.Cov2
	rangeM float64
	az     float64
	sAz    float64
	ground bool
	capped bool
	source string
}

// groundFromElevation intersects a ray (true azimuth, elevation, degrees)
// from the camera with flat ground HeightM below it.
//
// Error model: R = h / tan δ with δ = −el the depression angle, so
// σ_R² = (h/sin²δ)² σ_el² + (1/tan δ)² σ_h² along the ray and R·σ_az across
// it; Σ = σ_R² u uᵀ + (R σ_az)² v vᵀ with u the unit vector along the
// azimuth and v across it. A range beyond MaxRangeM is capped there (the
// camera cannot see further), keeping the σ_R of the uncapped geometry
// but at least half the cap.
func (p Pose) groundFromElevation(az, el, sAz, sEl float64) fix {
	_, _, sH := p.sigmas()
	dep := -el * deg
	if dep < MinDepressionDeg*deg || p.HeightM <= 0 {
		return fix{az: az, sAz: sAz, source: "bearing_only"}
	}
	h := p.HeightM
	r := h / math.Tan(dep)
	s2 := math.Sin(dep) * math.Sin(dep)
	dRdEl := h / s2 * (sEl * deg)
	dRdH := sH / math.Tan(dep)
	sR := math.Hypot(dRdEl, dRdH)
	f := fix{az: az, sAz: sAz, ground: true}
	max := p.maxRange()
	if r > max {
		r = max
		sR = math.Max(sR, max/2)
		f.capped = true
	}
	// The object is within the camera's reach: σ along range never
	// exceeds it (near the horizon the linearisation explodes).
	sR = math.Min(sR, max)
	f.rangeM = r
	f.pos, f.cov = p.place(az, r, sR, sAz)
	return f
}

// place returns the position at range r along azimuth az from the camera
// and the covariance of an along-range σ sR and an azimuth σ sAz (deg).
func (p Pose) place(az, r, sR, sAz float64) (borderwatch.LatLon, borderwatch.Cov2) {
	a := az * deg
	sa, ca := math.Sin(a), math.Cos(a)
	e, n := r*sa, r*ca
	along := sR * sR
	cross := (r * sAz * deg) * (r * sAz * deg)
	// u = (sin a, cos a) along, v = (cos a, −sin a) across.
	cov := borderwatch.Cov2{
		EE: along*sa*sa + cross*ca*ca,
		EN: along*sa*ca - cross*sa*ca,
		NN: along*ca*ca + cross*sa*sa,
	}
	// A floor keeps the matrix positive definite at tiny ranges.
	const floor = 1.0 // m²
	cov.EE += floor
	cov.NN += floor
	return offset(p.Position, e, n), cov
}

// offset moves a position by east/north metres on the local tangent plane
// of the WGS84 ellipsoid (good to well below a metre within 20 km).
func offset(o borderwatch.LatLon, east, north float64) borderwatch.LatLon {
	const a = 6378137.0
	const e2 = 6.69437999014e-3
	phi := o.Lat * deg
	s := math.Sin(phi)
	w := math.Sqrt(1 - e2*s*s)
	m := a * (1 - e2) / (w * w * w) // meridian radius
	nr := a / w                     // prime vertical radius
	return borderwatch.LatLon{
		Lat: o.Lat + north/m/deg,
		Lon: o.Lon + east/(nr*math.Cos(phi))/deg,
	}
}

func normAz(a float64) float64 {
	a = math.Mod(a, 360)
	if a < 0 {
		a += 360
	}
	if a >= 360 { // -1e-15 + 360 rounds to 360
		a = 0
	}
	return a
}
