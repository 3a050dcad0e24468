package geo

import (
	"math"

	"github.com/borderwatch/borderwatch"
)

// This file solves the direct and inverse geodesic problems on the WGS84
// ellipsoid following the mathematics of C. F. F. Karney, "Algorithms for
// geodesics", J. Geodesy 87 (2013) 43–55 (doi:10.1007/s00190-012-0578-z):
// the geodesic is mapped onto an auxiliary sphere (reduced latitude β,
// spherical arc σ, spherical longitude ω), the distance and longitude
// integrals I1, I2, I3 are evaluated with series in ε (order 6), the direct
// problem reverts the distance series, and the inverse problem solves for
// the starting azimuth with Newton's method on λ12(α1), started from a
// spherical estimate or, for nearly antipodal points, from the astroid
// solution of the paper's section 5. The series coefficients are checked
// against numerical quadrature of the integrals in the tests.

// WGS84 defining constants.
const (
	// EarthA is the WGS84 equatorial radius in metres.
	EarthA = 6378137.0
	// EarthF is the WGS84 flattening.
	EarthF = 1 / 298.257223563
)

const (
	deg2rad = math.Pi / 180
	rad2deg = 180 / math.Pi

	dblEps = 0x1p-52 // machine epsilon
	tol0   = dblEps
	tol1   = 200 * tol0
	tolb   = tol0 * 1.4901161193847656e-08 // tol0·sqrt(tol0)
	tiny   = 1.4916681462400413e-154       // sqrt(smallest normal)
	xthr   = 1000 * 1.4901161193847656e-08
	maxit1 = 20
	maxit2 = maxit1 + 53 + 10
)

// ellipsoid holds the derived constants of an ellipsoid of revolution and
// the coefficients of the A3 and C3 series, which depend on the third
// flattening n only.
type ellipsoid struct {
	a, f, f1, b, e2, ep2, n float64
	etol2                   float64
	a3                      [6]float64    // A3 = Σ a3[j] ε^j
	c3                      [6][6]float64 // C3l = Σ c3[l][j] ε^j, l = 1..5
}

// wgs84 is the ellipsoid every exported function uses.
var wgs84 = newEllipsoid(EarthA, EarthF)

func newEllipsoid(a, f float64) *ellipsoid {
	e := &ellipsoid{a: a, f: f}
	e.f1 = 1 - f
	e.b = a * e.f1
	e.e2 = f * (2 - f)
	e.ep2 = e.e2 / (e.f1 * e.f1)
	e.n = f / (2 - f)
	e.etol2 = 0.1 * math.Sqrt(tol0) / math.Sqrt(max(0.001, math.Abs(f))*min(1, 1-f/2)/2)

	n := e.n
	// Karney (2013) eq. (24): A3 as a series in ε whose coefficients are
	// polynomials in n.
	e.a3 = [6]float64{
		1,
		-(1.0/2 - n/2),
		-(1.0/4 + n/8 - 3*n*n/8),
		-(1.0/16 + 3*n/16 + n*n/16),
		-(3.0/64 + n/32),
		-3.0 / 128,
	}
	// Karney (2013) eq. (25): C3l.
	e.c3[1] = [6]float64{0, 1.0/4 - n/4, 1.0/8 - n*n/8, 3.0/64 + 3*n/64 - n*n/64, 5.0/128 + n/64, 3.0 / 128}
	e.c3[2] = [6]float64{0, 0, 1.0/16 - 3*n/32 + n*n/32, 3.0/64 - n/32 - 3*n*n/64, 3.0/128 + n/128, 5.0 / 256}
	e.c3[3] = [6]float64{0, 0, 0, 5.0/192 - 3*n/64 + 5*n*n/192, 3.0/128 - 5*n/192, 7.0 / 512}
	e.c3[4] = [6]float64{0, 0, 0, 0, 7.0/512 - 7*n/256, 7.0 / 512}
	e.c3[5] = [6]float64{0, 0, 0, 0, 0, 21.0 / 2560}
	return e
}

// Inverse solves the inverse geodesic problem on WGS84: the length of the
// shortest geodesic from a to b in metres, its azimuth at a and its
// (forward) azimuth at b, in degrees clockwise from north in (-180, 180].
// For coincident points the distance is 0 and the azimuths are 0 (north),
// as they are for a meridian; for the poles the azimuth follows the
// longitude given. Accurate to ~15 nm (1 mm is guaranteed by the tests).
// Invalid input (NaN, |lat| > 90) gives NaN.
func Inverse(a, b borderwatch.LatLon) (distM, az1Deg, az2Deg float64) {
	return wgs84.inverse(a.Lat, a.Lon, b.Lat, b.Lon)
}

// Distance is the WGS84 geodesic distance from a to b in metres.
func Distance(a, b borderwatch.LatLon) float64 {
	d, _, _ := wgs84.inverse(a.Lat, a.Lon, b.Lat, b.Lon)
	return d
}

// Direct solves the direct geodesic problem on WGS84: the point reached by
// travelling distM metres from a along the geodesic that leaves a at
// azimuth azDeg (degrees clockwise from north). A negative distance travels
// backwards. The longitude is normalised to (-180, 180].
func Direct(a borderwatch.LatLon, azDeg, distM float64) borderwatch.LatLon {
	lat, lon, _ := wgs84.direct(a.Lat, a.Lon, azDeg, distM)
	return borderwatch.LatLon{Lat: lat, Lon: lon}
}

// DirectAz is Direct that also returns the forward azimuth of the geodesic
// at the point reached.
func DirectAz(a borderwatch.LatLon, azDeg, distM float64) (borderwatch.LatLon, float64) {
	lat, lon, az2 := wgs84.direct(a.Lat, a.Lon, azDeg, distM)
	return borderwatch.LatLon{Lat: lat, Lon: lon}, az2
}

// direct solves the direct problem: σ1 from the starting point on the
// auxiliary sphere, τ12 = s12/(b·A1), σ2 from the reverted series (C1'),
// then latitude from β2, longitude from ω12 and the I3 correction.
func (e *ellipsoid) direct(lat1, lon1, azi1, s12 float64) (lat2, lon2, azi2 float64) {
	if math.Abs(lat1) > 90 || math.IsNaN(lat1+lon1+azi1+s12) || math.IsInf(lon1+azi1+s12, 0) {
		return math.NaN(), math.NaN(), math.NaN()
	}
	salp1, calp1 := sincosd(angRound(angNormalize(azi1)))
	sbet1, cbet1 := sincosd(angRound(lat1))
	sbet1 *= e.f1
	sbet1, cbet1 = norm2(sbet1, cbet1)
	cbet1 = max(tiny, cbet1)

	// Clairaut: sin α0 = sin α1 cos β1.
	salp0 := salp1 * cbet1
	calp0 := math.Hypot(calp1, salp1*sbet1)
	// σ1 and ω1, measured from the node where the geodesic crosses the
	// equator northwards: tan σ1 = tan β1 / cos α1, tan ω1 = sin α0 tan σ1.
	ssig1 := sbet1
	somg1 := salp0 * sbet1
	csig1 := 1.0
	if sbet1 != 0 || calp1 != 0 {
		csig1 = cbet1 * calp1
	}
	comg1 := csig1
	ssig1, csig1 = norm2(ssig1, csig1)

	k2 := calp0 * calp0 * e.ep2
	eps := k2 / (2*(1+math.Sqrt(1+k2)) + k2)

	a1 := 1 + a1m1(eps)
	c1 := c1Coeffs(eps)
	c1p := c1pCoeffs(eps)
	b11 := sinCosSeries(&c1, ssig1, csig1)
	sb, cb := math.Sincos(b11)
	// τ1 = σ1 + B11.
	stau1 := ssig1*cb + csig1*sb
	ctau1 := csig1*cb - ssig1*sb

	tau12 := s12 / (e.b * a1)
	st, ct := math.Sincos(tau12)
	// σ2 = τ2 + Σ C1'l sin 2lτ2.
	b12 := -sinCosSeries(&c1p, stau1*ct+ctau1*st, ctau1*ct-stau1*st)
	sig12 := tau12 - (b12 - b11)
	ssig12, csig12 := math.Sincos(sig12)

	ssig2 := ssig1*csig12 + csig1*ssig12
	csig2 := csig1*csig12 - ssig1*ssig12
	sbet2 := calp0 * ssig2
	cbet2 := math.Hypot(salp0, calp0*csig2)
	if cbet2 == 0 { // at a pole
		cbet2, csig2 = tiny, tiny
	}
	somg2 := salp0 * ssig2
	comg2 := csig2
	salp2 := salp0
	calp2 := calp0 * csig2

	omg12 := math.Atan2(somg2*comg1-comg2*somg1, comg2*comg1+somg2*somg1)
	c3 := e.c3Coeffs(eps)
	b31 := sinCosSeries(&c3, ssig1, csig1)
	b32 := sinCosSeries(&c3, ssig2, csig2)
	lam12 := omg12 - e.f*salp0*e.a3f(eps)*(sig12+(b32-b31))

	lat2 = atan2d(sbet2, e.f1*cbet2)
	lon2 = angNormalize(lon1 + angNormalize(lam12*rad2deg))
	azi2 = atan2d(salp2, calp2)
	return lat2, lon2, azi2
}

// inverse solves the inverse problem.
func (e *ellipsoid) inverse(lat1, lon1, lat2, lon2 float64) (s12, azi1, azi2 float64) {
	if math.Abs(lat1) > 90 || math.Abs(lat2) > 90 || math.IsNaN(lat1+lon1+lat2+lon2) || math.IsInf(lon1+lon2, 0) {
		return math.NaN(), math.NaN(), math.NaN()
	}
	// Reduce to the canonical case 0 <= λ12 <= 180, φ1 <= 0, |φ2| <= |φ1|,
	// remembering the reflections to undo them on the azimuths.
	// lon12 + lon12e is the exact longitude difference.
	lon12, lon12e := angDiffExact(lon1, lon2)
	if lat1 == lat2 && lon12 == 0 && lon12e == 0 {
		return 0, 0, 0 // coincident points
	}
	lonSign := 1.0
	if math.Signbit(lon12) {
		lonSign = -1
		lon12, lon12e = -lon12, -lon12e
	}
	// The supplement 180° - λ12, kept accurately for nearly antipodal
	// longitudes where λ12 itself rounds to 180.
	lon12s := (180 - lon12) - lon12e
	lat1, lat2 = angRound(lat1), angRound(lat2)
	swap := 1.0
	if math.Abs(lat1) < math.Abs(lat2) {
		// Travelling from point 2 to point 1 reverses the longitude
		// difference too.
		swap = -1
		lonSign = -lonSign
		lat1, lat2 = lat2, lat1
	}
	latSign := -1.0
	if lat1 < 0 {
		latSign = 1
	}
	lat1 *= latSign
	lat2 *= latSign

	lam12 := lon12 * deg2rad
	var slam12, clam12 float64
	if lon12 <= 90 {
		slam12, clam12 = sincosd(lon12)
	} else {
		slam12, clam12 = sincosd(lon12s)
		clam12 = -clam12
	}

	sbet1, cbet1 := sincosd(lat1)
	sbet1 *= e.f1
	sbet1, cbet1 = norm2(sbet1, cbet1)
	cbet1 = max(tiny, cbet1)
	sbet2, cbet2 := sincosd(lat2)
	sbet2 *= e.f1
	sbet2, cbet2 = norm2(sbet2, cbet2)
	cbet2 = max(tiny, cbet2)
	// Make |β1| = |β2| exact when the latitudes are equal in magnitude, so
	// the symmetric cases below are detected.
	if cbet1 < -sbet1 {
		if cbet2 == cbet1 {
			sbet2 = math.Copysign(sbet1, sbet2)
		}
	} else if math.Abs(sbet2) == -sbet1 {
		cbet2 = cbet1
	}
	dn1 := math.Sqrt(1 + e.ep2*sbet1*sbet1)
	dn2 := math.Sqrt(1 + e.ep2*sbet2*sbet2)

	var salp1, calp1, salp2, calp2 float64
	meridian := lat1 == -90 || slam12 == 0
	if meridian {
		// Along a meridian: α0 = 0, so ε = n.
		salp1, calp1 = slam12, clam12
		salp2, calp2 = 0, 1
		ssig1, csig1 := sbet1, calp1*cbet1
		ssig2, csig2 := sbet2, calp2*cbet2
		sig12 := math.Atan2(max(0, csig1*ssig2-ssig1*csig2), csig1*csig2+ssig1*ssig2)
		s12b, m12b := e.lengths(e.n, sig12, ssig1, csig1, dn1, ssig2, csig2, dn2)
		// Over the pole is only shortest before the conjugate point.
		if sig12 < 1 || m12b >= 0 {
			if sig12 < 3*tiny {
				s12b = 0
			}
			s12 = s12b * e.b
		} else {
			meridian = false
		}
	}
	if !meridian {
		if sbet1 == 0 && (e.f <= 0 || lon12s >= e.f*180) {
			// Along the equator, shorter than the antipodal limit.
			salp1, calp1, salp2, calp2 = 1, 0, 1, 0
			s12 = e.a * lam12
		} else {
			var sig12, dnm float64
			sig12, salp1, calp1, salp2, calp2, dnm = e.inverseStart(sbet1, cbet1, dn1, sbet2, cbet2, dn2, lam12, slam12, clam12)
			if sig12 >= 0 {
				// Very short line: the sphere of radius b·dnm is exact enough.
				s12 = sig12 * e.b * dnm
			} else {
				s12, salp1, calp1, salp2, calp2 = e.solveAzimuth(sbet1, cbet1, dn1, sbet2, cbet2, dn2, lam12, salp1, calp1)
			}
		}
	}

	// Undo the reflections: a swap reverses both azimuths (adds 180° and
	// exchanges them); a latitude reflection maps α to 180°-α; a longitude
	// reflection maps α to -α.
	if swap < 0 {
		salp1, salp2 = salp2, salp1
		calp1, calp2 = calp2, calp1
	}
	salp1 *= swap * lonSign
	calp1 *= swap * latSign
	salp2 *= swap * lonSign
	calp2 *= swap * latSign
	azi1 = atan2d(salp1, calp1)
	azi2 = atan2d(salp2, calp2)
	return s12, azi1, azi2
}

// solveAzimuth finds α1 with λ12(α1) equal to the target by Newton's method
// (dλ12/dα1 = m12 / (a cos α2 cos β2), Karney eq. 46), falling back to
// bisection on a maintained bracket when a Newton step misbehaves. It
// returns the distance and the azimuths.
func (e *ellipsoid) solveAzimuth(sbet1, cbet1, dn1, sbet2, cbet2, dn2, lam12, salp1, calp1 float64) (s12, osalp1, ocalp1, salp2, calp2 float64) {
	salp1a, calp1a := tiny, 1.0
	salp1b, calp1b := tiny, -1.0
	tripn, tripb := false, false
	var r lambdaResult
	for numit := 0; numit < maxit2; numit++ {
		r = e.lambda12(sbet1, cbet1, dn1, sbet2, cbet2, dn2, salp1, calp1, numit < maxit1)
		v := r.lam12 - lam12
		tol := tol0
		if tripn {
			tol *= 8
		}
		if tripb || !(math.Abs(v) >= tol) {
			break
		}
		// λ12 increases with α1: keep [a, b] bracketing the root.
		if v > 0 && (numit > maxit1 || calp1/salp1 > calp1b/salp1b) {
			salp1b, calp1b = salp1, calp1
		} else if v < 0 && (numit > maxit1 || calp1/salp1 < calp1a/salp1a) {
			salp1a, calp1a = salp1, calp1
		}
		if numit < maxit1 && r.dlam12 > 0 {
			dalp1 := -v / r.dlam12
			sd, cd := math.Sincos(dalp1)
			nsalp1 := salp1*cd + calp1*sd
			if nsalp1 > 0 && math.Abs(dalp1) < math.Pi {
				calp1 = calp1*cd - salp1*sd
				salp1 = nsalp1
				salp1, calp1 = norm2(salp1, calp1)
				tripn = math.Abs(v) <= 16*tol0
				continue
			}
		}
		// Bisect.
		salp1, calp1 = norm2((salp1a+salp1b)/2, (calp1a+calp1b)/2)
		tripn = false
		tripb = math.Abs(salp1a-salp1)+(calp1a-calp1) < tolb ||
			math.Abs(salp1-salp1b)+(calp1-calp1b) < tolb
	}
	s12b, _ := e.lengths(r.eps, r.sig12, r.ssig1, r.csig1, dn1, r.ssig2, r.csig2, dn2)
	return s12b * e.b, salp1, calp1, r.salp2, r.calp2
}

type lambdaResult struct {
	lam12, dlam12              float64
	salp2, calp2               float64
	sig12                      float64
	ssig1, csig1, ssig2, csig2 float64
	eps                        float64
}

// lambda12 is the longitude difference λ12 reached by the geodesic that
// leaves point 1 at azimuth α1 and reaches the latitude of point 2 (on its
// ascending or the matching branch), with its derivative by α1.
func (e *ellipsoid) lambda12(sbet1, cbet1, dn1, sbet2, cbet2, dn2, salp1, calp1 float64, diffp bool) (r lambdaResult) {
	if sbet1 == 0 && calp1 == 0 {
		// Break the degeneracy of an equatorial start heading due east.
		calp1 = -tiny
	}
	salp0 := salp1 * cbet1
	calp0 := math.Hypot(calp1, salp1*sbet1)

	ssig1 := sbet1
	somg1 := salp0 * sbet1
	csig1 := calp1 * cbet1
	comg1 := csig1
	ssig1, csig1 = norm2(ssig1, csig1)

	// Clairaut gives α2; cos α2 cos β2 from cos²α1 cos²β1 + cos²β2 - cos²β1.
	salp2 := salp1
	if cbet2 != cbet1 {
		salp2 = salp0 / cbet2
	}
	var calp2 float64
	if cbet2 != cbet1 || math.Abs(sbet2) != -sbet1 {
		var d float64
		if cbet1 < -sbet1 {
			d = (cbet2 - cbet1) * (cbet1 + cbet2)
		} else {
			d = (sbet1 - sbet2) * (sbet1 + sbet2)
		}
		calp2 = math.Sqrt(sq(calp1*cbet1)+d) / cbet2
	} else {
		calp2 = math.Abs(calp1)
	}
	ssig2 := sbet2
	somg2 := salp0 * sbet2
	csig2 := calp2 * cbet2
	comg2 := csig2
	ssig2, csig2 = norm2(ssig2, csig2)

	sig12 := math.Atan2(max(0, csig1*ssig2-ssig1*csig2), csig1*csig2+ssig1*ssig2)
	omg12 := math.Atan2(max(0, comg1*somg2-somg1*comg2), comg1*comg2+somg1*somg2)

	k2 := calp0 * calp0 * e.ep2
	eps := k2 / (2*(1+math.Sqrt(1+k2)) + k2)
	c3 := e.c3Coeffs(eps)
	b312 := sinCosSeries(&c3, ssig2, csig2) - sinCosSeries(&c3, ssig1, csig1)
	// λ = ω - f sin α0 I3(σ).
	r.lam12 = omg12 - e.f*e.a3f(eps)*salp0*(sig12+b312)
	if diffp {
		if calp2 == 0 {
			r.dlam12 = -2 * e.f1 * dn1 / sbet1
		} else {
			_, m12b := e.lengths(eps, sig12, ssig1, csig1, dn1, ssig2, csig2, dn2)
			r.dlam12 = m12b * e.f1 / (calp2 * cbet2)
		}
	}
	r.salp2, r.calp2 = salp2, calp2
	r.sig12 = sig12
	r.ssig1, r.csig1, r.ssig2, r.csig2 = ssig1, csig1, ssig2, csig2
	r.eps = eps
	return r
}

// lengths returns s12/b (from I1) and the reduced length m12/b (from
// J = I1 - I2, Karney eq. 38) for the arc σ1..σ2.
func (e *ellipsoid) lengths(eps, sig12, ssig1, csig1, dn1, ssig2, csig2, dn2 float64) (s12b, m12b float64) {
	a1 := a1m1(eps)
	a2 := a2m1(eps)
	c1 := c1Coeffs(eps)
	c2 := c2Coeffs(eps)
	A1, A2 := 1+a1, 1+a2
	b1 := sinCosSeries(&c1, ssig2, csig2) - sinCosSeries(&c1, ssig1, csig1)
	b2 := sinCosSeries(&c2, ssig2, csig2) - sinCosSeries(&c2, ssig1, csig1)
	s12b = A1 * (sig12 + b1)
	j12 := (a1-a2)*sig12 + (A1*b1 - A2*b2)
	m12b = dn2*(csig1*ssig2) - dn1*(ssig1*csig2) - csig1*csig2*j12
	return s12b, m12b
}

// inverseStart returns a starting azimuth for Newton's method. For short
// lines it solves the problem on a sphere whose radius follows the mean
// latitude and, when the line is very short, returns that solution as final
// (sig12 >= 0). For nearly antipodal points it uses the astroid solution
// (Karney section 5).
func (e *ellipsoid) inverseStart(sbet1, cbet1, dn1, sbet2, cbet2, dn2, lam12, slam12, clam12 float64) (sig12, salp1, calp1, salp2, calp2, dnm float64) {
	sig12 = -1
	sbet12 := sbet2*cbet1 - cbet2*sbet1  // sin(β2-β1)
	cbet12 := cbet2*cbet1 + sbet2*sbet1  // cos(β2-β1)
	sbet12a := sbet2*cbet1 + cbet2*sbet1 // sin(β2+β1)
	short := cbet12 >= 0 && sbet12 < 0.5 && cbet2*lam12 < 0.5
	var somg12, comg12 float64
	if short {
		sbetm2 := sq(sbet1 + sbet2)
		sbetm2 /= sbetm2 + sq(cbet1+cbet2)
		dnm = math.Sqrt(1 + e.ep2*sbetm2)
		somg12, comg12 = math.Sincos(lam12 / (e.f1 * dnm))
	} else {
		somg12, comg12 = slam12, clam12
	}
	// Great-circle azimuth on the auxiliary sphere.
	salp1 = cbet2 * somg12
	if comg12 >= 0 {
		calp1 = sbet12 + cbet2*sbet1*sq(somg12)/(1+comg12)
	} else {
		calp1 = sbet12a - cbet2*sbet1*sq(somg12)/(1-comg12)
	}
	ssig12 := math.Hypot(salp1, calp1)
	csig12 := sbet1*sbet2 + cbet1*cbet2*comg12

	switch {
	case short && ssig12 < e.etol2:
		salp2 = cbet1 * somg12
		if comg12 >= 0 {
			calp2 = sbet12 - cbet1*sbet2*sq(somg12)/(1+comg12)
		} else {
			calp2 = sbet12 - cbet1*sbet2*(1-comg12)
		}
		salp2, calp2 = norm2(salp2, calp2)
		sig12 = math.Atan2(ssig12, csig12)
	case math.Abs(e.n) > 0.1 || csig12 >= 0 || ssig12 >= 6*math.Abs(e.n)*math.Pi*sq(cbet1):
		// Not nearly antipodal: the spherical azimuth is a good start.
	default:
		// Nearly antipodal. Scale to the astroid's coordinates x, y
		// (Karney eqs. 53–55) and solve for the starting azimuth.
		lam12x := math.Atan2(-slam12, -clam12) // λ12 - π
		k2 := sq(sbet1) * e.ep2
		eps := k2 / (2*(1+math.Sqrt(1+k2)) + k2)
		lamscale := e.f * cbet1 * e.a3f(eps) * math.Pi
		betscale := lamscale * cbet1
		x := lam12x / lamscale
		y := sbet12a / betscale
		if y > -tol1 && x > -1-xthr {
			// Points straddling the equator almost symmetrically.
			salp1 = min(1, -x)
			calp1 = -math.Sqrt(1 - sq(salp1))
		} else {
			k := astroid(x, y)
			omg12a := lamscale * (-x * k / (1 + k))
			somg12, comg12 = math.Sincos(omg12a)
			comg12 = -comg12
			salp1 = cbet2 * somg12
			calp1 = sbet12a - cbet2*sbet1*sq(somg12)/(1-comg12)
		}
	}
	if !(salp1 <= 0) {
		salp1, calp1 = norm2(salp1, calp1)
	} else {
		salp1, calp1 = 1, 0
	}
	return sig12, salp1, calp1, salp2, calp2, dnm
}

// astroid returns the positive root k of
// k⁴ + 2k³ - (x² + y² - 1)k² - 2y²k - y² = 0 (Karney eq. 55).
func astroid(x, y float64) float64 {
	p := x * x
	q := y * y
	r := (p + q - 1) / 6
	if q == 0 && r <= 0 {
		return 0
	}
	// Solve the resolvent cubic for u, then the quadratic for k.
	s := p * q / 4
	r2 := r * r
	r3 := r * r2
	disc := s * (s + 2*r3)
	u := r
	if disc >= 0 {
		t3 := s + r3
		if t3 < 0 {
			t3 -= math.Sqrt(disc)
		} else {
			t3 += math.Sqrt(disc)
		}
		t := math.Cbrt(t3)
		u += t
		if t != 0 {
			u += r2 / t
		}
	} else {
		ang := math.Atan2(math.Sqrt(-disc), -(s + r3))
		u += 2 * r * math.Cos(ang/3)
	}
	v := math.Sqrt(u*u + q)
	var uv float64
	if u < 0 {
		uv = q / (v - u)
	} else {
		uv = u + v
	}
	w := (uv - q) / (2 * v)
	return uv / (math.Sqrt(uv+w*w) + w)
}

// a1m1 is A1 - 1 (Karney eq. 17).
func a1m1(eps float64) float64 {
	e2 := eps * eps
	t := e2 * (e2*(e2+4) + 64) / 256
	return (t + eps) / (1 - eps)
}

// a2m1 is A2 - 1 where A2 = (1 - ε)(1 + ε²/4 + 9ε⁴/64 + 25ε⁶/256)
// (Karney eq. 42).
func a2m1(eps float64) float64 {
	e2 := eps * eps
	t := e2 * (e2*(25*e2+36) + 64) / 256
	return (1-eps)*(1+t) - 1
}

// c1Coeffs returns C1l, l = 1..6 (Karney eq. 18), in elements 1..6.
func c1Coeffs(eps float64) [7]float64 {
	e2 := eps * eps
	e3, e4, e5, e6 := e2*eps, e2*e2, e2*e2*eps, e2*e2*e2
	return [7]float64{
		0,
		eps * (-1.0/2 + e2*(3.0/16-e2/32)),
		e2 * (-1.0/16 + e2*(1.0/32-9*e2/2048)),
		e3 * (-1.0/48 + 3*e2/256),
		e4 * (-5.0/512 + 3*e2/512),
		e5 * (-7.0 / 1280),
		e6 * (-7.0 / 2048),
	}
}

// c1pCoeffs returns C1'l, l = 1..6 (Karney eq. 21), the reversion of the
// distance series: σ = τ + Σ C1'l sin 2lτ.
func c1pCoeffs(eps float64) [7]float64 {
	e2 := eps * eps
	e3, e4, e5, e6 := e2*eps, e2*e2, e2*e2*eps, e2*e2*e2
	return [7]float64{
		0,
		eps * (1.0/2 + e2*(-9.0/32+205*e2/1536)),
		e2 * (5.0/16 + e2*(-37.0/96+1335*e2/4096)),
		e3 * (29.0/96 - 75*e2/128),
		e4 * (539.0/1536 - 2391*e2/2560),
		e5 * (3467.0 / 7680),
		e6 * (38081.0 / 61440),
	}
}

// c2Coeffs returns C2l, l = 1..6 (Karney eq. 43).
func c2Coeffs(eps float64) [7]float64 {
	e2 := eps * eps
	e3, e4, e5, e6 := e2*eps, e2*e2, e2*e2*eps, e2*e2*e2
	return [7]float64{
		0,
		eps * (1.0/2 + e2*(1.0/16+e2/32)),
		e2 * (3.0/16 + e2*(1.0/32+35*e2/1024)),
		e3 * (5.0/48 + 5*e2/256),
		e4 * (35.0/512 + 7*e2/512),
		e5 * (63.0 / 1280),
		e6 * (77.0 / 2048),
	}
}

// a3f is A3(ε).
func (e *ellipsoid) a3f(eps float64) float64 {
	c := &e.a3
	return c[0] + eps*(c[1]+eps*(c[2]+eps*(c[3]+eps*(c[4]+eps*c[5]))))
}

// c3Coeffs returns C3l(ε), l = 1..5, in elements 1..5; element 6 is 0.
func (e *ellipsoid) c3Coeffs(eps float64) [7]float64 {
	var out [7]float64
	for l := 1; l <= 5; l++ {
		c := &e.c3[l]
		out[l] = eps * (c[1] + eps*(c[2]+eps*(c[3]+eps*(c[4]+eps*c[5]))))
	}
	return out
}

// sinCosSeries evaluates Σ c[l] sin(2lx), l = 1..6, by Clenshaw summation
// given sin x and cos x (normalised).
func sinCosSeries(c *[7]float64, sinx, cosx float64) float64 {
	ar := 2 * (cosx - sinx) * (cosx + sinx) // 2 cos 2x
	var b1, b2 float64
	for l := 6; l >= 1; l-- {
		b1, b2 = ar*b1-b2+c[l], b1
	}
	return 2 * sinx * cosx * b1
}

func sq(x float64) float64 { return x * x }

func norm2(x, y float64) (float64, float64) {
	r := math.Hypot(x, y)
	return x / r, y / r
}

// sincosd returns sin and cos of an angle in degrees, exact at multiples
// of 90°.
func sincosd(x float64) (s, c float64) {
	r := math.Mod(x, 360)
	q := math.Round(r / 90)
	r -= 90 * q
	s, c = math.Sincos(r * deg2rad)
	switch int(q) & 3 {
	case 1:
		s, c = c, -s
	case 2:
		s, c = -s, -c
	case 3:
		s, c = -c, s
	}
	return s + 0, c + 0
}

// atan2d is atan2 in degrees in (-180, 180], reduced to the first octant
// first so that angles near ±90° and 180° keep full precision.
func atan2d(y, x float64) float64 {
	q := 0
	if math.Abs(y) > math.Abs(x) {
		x, y = y, x
		q = 2
	}
	if math.Signbit(x) {
		x = -x
		q++
	}
	ang := math.Atan2(y, x) * rad2deg
	switch q {
	case 1:
		ang = math.Copysign(180, y) - ang
	case 2:
		ang = 90 - ang
	case 3:
		ang = -90 + ang
	}
	if ang == -180 {
		return 180
	}
	return ang
}

// angNormalize reduces an angle in degrees to (-180, 180].
func angNormalize(x float64) float64 {
	y := math.Remainder(x, 360)
	if y == -180 {
		return 180
	}
	return y
}

// angDiff is y - x reduced to (-180, 180].
func angDiff(x, y float64) float64 {
	return angNormalize(math.Remainder(y, 360) - math.Remainder(x, 360))
}

// angDiffExact returns d, e with d + e = y - x exactly (to double-double
// precision) and d reduced to [-180, 180].
func angDiffExact(x, y float64) (d, e float64) {
	d, e = twoSum(math.Remainder(-x, 360), math.Remainder(y, 360))
	d = angNormalize(d)
	if d == 180 && e > 0 {
		d = -180
	}
	return twoSum(d, e)
}

// twoSum returns s = fl(u+v) and the rounding error t, so s + t = u + v.
func twoSum(u, v float64) (s, t float64) {
	s = u + v
	up := s - v
	vpp := s - up
	up -= u
	vpp -= v
	t = -(up + vpp)
	return s, t
}

// angRound rounds tiny angles to avoid underflow in the canonicalisation
// (values below 1/16 degree keep the absolute precision of 1/16).
func angRound(x float64) float64 {
	const z = 1.0 / 16
	y := math.Abs(x)
	if y < z {
		y = z - (z - y)
	}
	return math.Copysign(y, x)
}
