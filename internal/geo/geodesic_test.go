package geo

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/borderwatch/borderwatch"
)

// geodCases are the 20 WGS84 geodesics GeographicLib's own test suites
// check every implementation against (drawn from GeodTest.dat, computed
// with high-precision arithmetic): lat1, lon1, azi1, lat2, lon2, azi2, s12.
// Longitudes of point 2 are "unrolled" (may exceed 180).
var geodCases = [][7]float64{
	{35.60777, -139.44815, 111.098748429560326, -11.17491, -69.95921, 129.289270889708762, 8935244.5604818305},
	{55.52454, 106.05087, 22.020059880982801, 77.03196, 197.18234, 109.112041110671519, 4105086.1713924406},
	{-21.97856, 142.59065, -32.44456876433189, 41.84138, 98.56635, -41.84359951440466, 8394328.894657671},
	{-66.99028, 112.2363, 173.73491240878403, -12.70631, 285.90344, 2.512956620913668, 11150344.2312080241},
	{-17.42761, 173.34268, -159.033557661192928, -15.84784, 5.93557, -20.787484651536988, 16076603.1631180673},
	{32.84994, 48.28919, 150.492927788121982, -56.28556, 202.29132, 48.113449399816759, 16727068.9438164461},
	{6.96833, 52.74123, 92.581585386317712, -7.39675, 206.17291, 90.721692165923907, 17102477.2496958388},
	{-50.56724, -16.30485, -105.439679907590164, -33.56571, -94.97412, -47.348547835650331, 6455670.5118668696},
	{-58.93002, -8.90775, 140.965397902500679, -8.91104, 133.13503, 19.255429433416599, 11756066.0219864627},
	{-68.82867, -74.28391, 93.774347763114881, -50.63005, -8.36685, 34.65564085411343, 3956936.926063544},
	{-10.62672, -32.0898, -86.426713286747751, 5.883, -134.31681, -80.473780971034875, 11470869.3864563009},
	{-21.76221, 166.90563, 29.319421206936428, 48.72884, 213.97627, 43.508671946410168, 9098627.3986554915},
	{-19.79938, -174.47484, 71.167275780171533, -11.99349, -154.35109, 65.589099775199228, 2319004.8601169389},
	{-11.95887, -116.94513, 92.712619830452549, 4.57352, 7.16501, 78.64960934409585, 13834722.5801401374},
	{-87.85331, 85.66836, -65.120313040242748, 66.48646, 16.09921, -4.888658719272296, 17286615.3147144645},
	{1.74708, 128.32011, -101.584843631173858, -11.16617, 11.87109, -86.325793296437476, 12942901.1241347408},
	{-25.72959, -144.90758, -153.647468693117198, -57.70581, -269.17879, -48.343983158876487, 9413446.7452453107},
	{-41.22777, 122.32875, 14.285113402275739, -7.57291, 130.37946, 10.805303085187369, 3812686.035106021},
	{11.01307, 138.25278, 79.43682622782374, 6.62726, 247.05981, 103.708090215522657, 11911190.819018408},
	{-29.47124, 95.14681, -163.779130441688382, -27.46601, -69.15955, -15.909335945554969, 13487015.8381145492},
}

// angleClose reports whether two azimuths or longitudes agree within tol
// degrees, modulo 360.
func angleClose(a, b, tol float64) bool {
	return math.Abs(angDiff(a, b)) <= tol
}

// metresPerDegree converts an angular tolerance: 1e-8° is at most 1.1 mm.
const mmDeg = 1e-8

func TestInversePublished(t *testing.T) {
	for i, c := range geodCases {
		t.Run("", func(t *testing.T) {
			s, az1, az2 := Inverse(borderwatch.LatLon{Lat: c[0], Lon: c[1]}, borderwatch.LatLon{Lat: c[3], Lon: c[4]})
			if d := math.Abs(s - c[6]); d > 1e-6 {
				t.Errorf("case %d: s12 = %.9f, want %.9f (off %.3g m)", i, s, c[6], d)
			}
			// 1e-11° of azimuth moves the far end of a 20,000 km line by 3.5 mm,
			// and GeographicLib's suite holds 1e-13.
			if !angleClose(az1, c[2], 1e-11) || !angleClose(az2, c[5], 1e-11) {
				t.Errorf("case %d: azimuths %.15f %.15f, want %.15f %.15f", i, az1, az2, c[2], c[5])
			}
		})
	}
}

func TestDirectPublished(t *testing.T) {
	for i, c := range geodCases {
		t.Run("", func(t *testing.T) {
			p, az2 := DirectAz(borderwatch.LatLon{Lat: c[0], Lon: c[1]}, c[2], c[6])
			if math.Abs(p.Lat-c[3]) > mmDeg || !angleClose(p.Lon, c[4], mmDeg) || !angleClose(az2, c[5], 1e-11) {
				t.Errorf("case %d: got %.13f %.13f az %.13f, want %.13f %.13f az %.13f", i, p.Lat, p.Lon, az2, c[3], c[4], c[5])
			}
			// And the position error in metres.
			if d := Distance(p, borderwatch.LatLon{Lat: c[3], Lon: angNormalize(c[4])}); d > 1e-3 {
				t.Errorf("case %d: end point %.3g m from the published one", i, d)
			}
		})
	}
}

// TestGeodSolve checks the published GeodSolve regression cases of
// GeographicLib that concern WGS84: short lines, nearly antipodal points,
// equatorial and polar cases. Tolerances are those published with them.
func TestGeodSolve(t *testing.T) {
	type inv struct {
		name                   string
		lat1, lon1, lat2, lon2 float64
		s12, tolS              float64
		azi1, azi2, tolAz      float64 // tolAz 0: azimuths not checked
	}
	cases := []inv{
		{"GeodSolve0 JFK-CDG", 40.6, -73.8, 49.01666667, 2.55, 5853226, 0.5, 53.47022, 111.59367, 0.5e-5},
		{"GeodSolve4 short 7 cm", 36.493349428792, 0, 36.49334942879201, .0000008, 0.072, 0.5e-3, 0, 0, 0},
		{"GeodSolve6a near-antipodal", 88.202499451857, 0, -88.202499451857, 179.981022032992859592, 20003898.214, 0.5e-3, 0, 0, 0},
		{"GeodSolve6b near-antipodal", 89.262080389218, 0, -89.262080389218, 179.992207982775375662, 20003925.854, 0.5e-3, 0, 0, 0},
		{"GeodSolve6c near-antipodal", 89.333123580033, 0, -89.333123580032997687, 179.99295812360148422, 20003926.881, 0.5e-3, 0, 0, 0},
		{"GeodSolve9 near-antipodal", 56.320923501171, 0, -56.320923501171, 179.664747671772880215, 19993558.287, 0.5e-3, 0, 0, 0},
		{"GeodSolve10 near-antipodal", 52.784459512564, 0, -52.784459512563990912, 179.634407464943777557, 19991596.095, 0.5e-3, 0, 0, 0},
		{"GeodSolve11 near-antipodal", 48.522876735459, 0, -48.52287673545898293, 179.599720456223079643, 19989144.774, 0.5e-3, 0, 0, 0},
		{"GeodSolve33 equator 179", 0, 0, 0, 179, 19926189, 0.5, 90, 90, 0.5e-5},
		{"GeodSolve33 equator 179.5", 0, 0, 0, 179.5, 19980862, 0.5, 55.96650, 124.03350, 0.5e-5},
		{"GeodSolve33 equator antipodal", 0, 0, 0, 180, 20003931, 0.5, 0, 180, 0.5e-5},
		{"GeodSolve33 antipodal 1N", 0, 0, 1, 180, 19893357, 0.5, 0, 180, 0.5e-5},
		{"GeodSolve59 lon nearly 180", 5, 0.00000000000001, 10, 180, 18345191.174332713, 2.5e-9, 0.000000000000035, 179.99999999999996, 1.5e-14},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, az1, az2 := Inverse(borderwatch.LatLon{Lat: c.lat1, Lon: c.lon1}, borderwatch.LatLon{Lat: c.lat2, Lon: c.lon2})
			if math.Abs(s-c.s12) > c.tolS {
				t.Errorf("s12 = %.6f, want %.6f ± %g", s, c.s12, c.tolS)
			}
			if c.tolAz > 0 && (!angleClose(az1, c.azi1, c.tolAz) || !angleClose(az2, c.azi2, c.tolAz)) {
				t.Errorf("azimuths %.14f %.14f, want %.14f %.14f", az1, az2, c.azi1, c.azi2)
			}
		})
	}

	type dir struct {
		name                  string
		lat1, lon1, azi1, s   float64
		lat2, lon2, azi2, tol float64
	}
	dcases := []dir{
		{"GeodSolve1 JFK 53.5° 5850 km", 40.63972222, -73.77888889, 53.5, 5850e3, 49.01467, 2.56106, 111.62947, 0.5e-5},
		{"GeodSolve5 to the pole", 0.01777745589997, 30, 0, 10e6, 90, 30, 0, 0.5e-5},
		{"GeodSolve73 back from the pole", 90, 10, 180, -1e6, 81.04623, -170, 0, 0.5e-5},
		{"GeodSolve17 long", 40, -75, -10, 2e7, -39, 105, -170, 1},
		{"GeodSolve71 half of 1e7", 1, 2, 45, 5e6, 30.92625, 37.54640, 55.43104, 0.5e-5},
	}
	for _, c := range dcases {
		t.Run(c.name, func(t *testing.T) {
			p, az2 := DirectAz(borderwatch.LatLon{Lat: c.lat1, Lon: c.lon1}, c.azi1, c.s)
			if math.Abs(p.Lat-c.lat2) > c.tol {
				t.Errorf("lat2 = %.9f, want %.9f", p.Lat, c.lat2)
			}
			if c.lat2 != 90 && (!angleClose(p.Lon, c.lon2, c.tol) || !angleClose(az2, c.azi2, c.tol)) {
				t.Errorf("lon2, azi2 = %.9f %.9f, want %.9f %.9f", p.Lon, az2, c.lon2, c.azi2)
			}
		})
	}
}

// TestKarneyPaperExample checks the worked examples of Karney (2013),
// tables 2 and 3: the direct problem φ1 = 40°, α1 = 30°, s12 = 10 000 km and
// the inverse problem φ1 = -30°, φ2 = 29.9°, λ12 = 179.8°.
func TestKarneyPaperExample(t *testing.T) {
	p, az2 := DirectAz(borderwatch.LatLon{Lat: 40, Lon: 0}, 30, 10e6)
	if math.Abs(p.Lat-41.79331020506) > 1e-11 || math.Abs(p.Lon-137.84490004377) > 1e-11 || math.Abs(az2-149.09016931807) > 1e-11 {
		t.Errorf("direct: %.11f %.11f %.11f", p.Lat, p.Lon, az2)
	}
	s, az1, _ := Inverse(borderwatch.LatLon{Lat: -30, Lon: 0}, borderwatch.LatLon{Lat: 29.9, Lon: 179.8})
	if math.Abs(s-19989832.82761) > 1e-5 || math.Abs(az1-161.89052473633) > 1e-11 {
		t.Errorf("inverse: s12 %.5f az1 %.11f", s, az1)
	}
}

func TestInverseSpecialCases(t *testing.T) {
	ll := func(lat, lon float64) borderwatch.LatLon { return borderwatch.LatLon{Lat: lat, Lon: lon} }
	t.Run("coincident", func(t *testing.T) {
		s, az1, az2 := Inverse(ll(34.5, 41.2), ll(34.5, 41.2))
		if s != 0 || az1 != 0 || az2 != 0 {
			t.Errorf("got %v %v %v", s, az1, az2)
		}
	})
	t.Run("pole to pole", func(t *testing.T) {
		// Twice the WGS84 meridian quadrant, 10 001 965.729 m.
		s, _, _ := Inverse(ll(90, 0), ll(-90, 0))
		if math.Abs(s-2*10001965.729) > 2e-3 {
			t.Errorf("pole to pole = %.4f", s)
		}
	})
	t.Run("invalid", func(t *testing.T) {
		for _, c := range [][2]borderwatch.LatLon{{ll(91, 0), ll(0, 0)}, {ll(math.NaN(), 0), ll(0, 0)}, {ll(0, 0), ll(0, math.Inf(1))}} {
			if s := Distance(c[0], c[1]); !math.IsNaN(s) {
				t.Errorf("Distance(%v, %v) = %v, want NaN", c[0], c[1], s)
			}
		}
		if p := Direct(ll(0, 0), math.NaN(), 10); !math.IsNaN(p.Lat) {
			t.Errorf("Direct with NaN azimuth = %v", p)
		}
	})
	t.Run("symmetry", func(t *testing.T) {
		a, b := ll(37.109984, 42.357238), ll(33.371685, 38.774511)
		s1, az1, az2 := Inverse(a, b)
		s2, bz1, bz2 := Inverse(b, a)
		if math.Abs(s1-s2) > 1e-9 || !angleClose(bz1, az2+180, 1e-12) || !angleClose(bz2, az1+180, 1e-12) {
			t.Errorf("a→b %v %v %v, b→a %v %v %v", s1, az1, az2, s2, bz1, bz2)
		}
		// The tripoint-to-tripoint chord of the shared data README: 527.49 km.
		if math.Abs(s1/1000-527.49) > 0.005 {
			t.Errorf("tripoint chord %.3f km, want 527.49", s1/1000)
		}
	})
}

// TestSeriesAgainstQuadrature checks the series for I1, I2 and I3 (the
// distance, reduced-length and longitude integrals of Karney's eqs. 7, 8
// and 40) and the reverted distance series against Simpson quadrature of
// the integrands.
func TestSeriesAgainstQuadrature(t *testing.T) {
	e := wgs84
	simpson := func(f func(float64) float64, b float64) float64 {
		const n = 4000
		h := b / n
		// Kahan summation keeps the rounding error of 4000 terms
		// below the quadrature error (about 1e-15).
		sum, comp := f(0)+f(b), 0.0
		for i := 1; i < n; i++ {
			w := 2.0
			if i%2 == 1 {
				w = 4
			}
			y := w*f(float64(i)*h) - comp
			s := sum + y
			comp = (s - sum) - y
			sum = s
		}
		return sum * h / 3
	}
	for _, calp0 := range []float64{0.05, 0.3, 0.7, 1} {
		k2 := calp0 * calp0 * e.ep2
		eps := k2 / (2*(1+math.Sqrt(1+k2)) + k2)
		c1, c2, c3, c1p := c1Coeffs(eps), c2Coeffs(eps), e.c3Coeffs(eps), c1pCoeffs(eps)
		for _, sig := range []float64{0.3, 1.1, 2.5, 4} {
			ss, cs := math.Sincos(sig)
			i1 := simpson(func(s float64) float64 { return math.Sqrt(1 + k2*sq(math.Sin(s))) }, sig)
			i2 := simpson(func(s float64) float64 { return 1 / math.Sqrt(1+k2*sq(math.Sin(s))) }, sig)
			i3 := simpson(func(s float64) float64 {
				return (2 - e.f) / (1 + (1-e.f)*math.Sqrt(1+k2*sq(math.Sin(s))))
			}, sig)
			s1 := (1 + a1m1(eps)) * (sig + sinCosSeries(&c1, ss, cs))
			s2 := (1 + a2m1(eps)) * (sig + sinCosSeries(&c2, ss, cs))
			s3 := e.a3f(eps) * (sig + sinCosSeries(&c3, ss, cs))
			for _, c := range []struct {
				name      string
				got, want float64
			}{{"I1", s1, i1}, {"I2", s2, i2}, {"I3", s3, i3}} {
				// 2e-14 of b is 0.13 µm: every term the accuracy needs.
				if math.Abs(c.got-c.want) > 2e-14 {
					t.Errorf("cos α0 %g σ %g: %s series %.17g, quadrature %.17g", calp0, sig, c.name, c.got, c.want)
				}
			}
			// Reversion: σ = τ + Σ C1'l sin 2lτ with τ = σ + Σ C1l sin 2lσ.
			tau := sig + sinCosSeries(&c1, ss, cs)
			st, ct := math.Sincos(tau)
			back := tau + sinCosSeries(&c1p, st, ct)
			if math.Abs(back-sig) > 1e-15 {
				t.Errorf("cos α0 %g σ %g: reverted series gives %.17g", calp0, sig, back)
			}
		}
	}
}

// TestDirectInverseRoundTrip is a property test: Direct then Inverse gives
// back the distance and azimuth, and Inverse then Direct gives back the end
// point, for random geodesics from 1 mm to 19 000 km.
func TestDirectInverseRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 3000 {
		a := borderwatch.LatLon{Lat: rng.Float64()*178 - 89, Lon: rng.Float64()*360 - 180}
		az := rng.Float64()*360 - 180
		s := math.Pow(10, rng.Float64()*10-3) // 1 mm .. 10 000 km
		if i%4 == 0 {
			s = 19e6 + rng.Float64()*0.9e6 // long and nearly antipodal
		}
		b := Direct(a, az, s)
		s2, az1, _ := Inverse(a, b)
		if math.Abs(s2-s) > 1e-6 {
			t.Fatalf("Inverse(Direct(%v, %v, %v)) = %v (off %.3g m)", a, az, s, s2, s2-s)
		}
		// The azimuth is determined only if the geodesic is the unique
		// shortest one; near-antipodal points may have another.
		// Positions carry ~1e-9 m of rounding, which limits the azimuth of
		// short lines to about 1e-9/s radians.
		if tol := math.Max(1e-9, 1e-8/s*rad2deg); s < 19e6 && !angleClose(az1, az, tol) {
			t.Fatalf("azimuth of Inverse(Direct(%v, %v, %v)) = %v", a, az, s, az1)
		}
		c := Direct(a, az1, s2)
		if d := Distance(b, c); d > 1e-6 {
			t.Fatalf("Direct(Inverse) lands %.3g m from the point", d)
		}
	}
}

func BenchmarkInverse(b *testing.B) {
	x, y := borderwatch.LatLon{Lat: 37.109984, Lon: 42.357238}, borderwatch.LatLon{Lat: 33.371685, Lon: 38.774511}
	b.ReportAllocs()
	var sum float64
	cpu0 := processCPU()
	for b.Loop() {
		d, _, _ := Inverse(x, y)
		sum += d
	}
	reportCPU(b, cpu0)
	_ = sum
}

func BenchmarkInverseShort(b *testing.B) {
	x, y := borderwatch.LatLon{Lat: 34.5, Lon: 40.9}, borderwatch.LatLon{Lat: 34.5001, Lon: 40.9002}
	b.ReportAllocs()
	var sum float64
	cpu0 := processCPU()
	for b.Loop() {
		d, _, _ := Inverse(x, y)
		sum += d
	}
	reportCPU(b, cpu0)
	_ = sum
}

func BenchmarkDirect(b *testing.B) {
	x := borderwatch.LatLon{Lat: 37.109984, Lon: 42.357238}
	b.ReportAllocs()
	var sum float64
	cpu0 := processCPU()
	for b.Loop() {
		p := Direct(x, 225, 34000)
		sum += p.Lat
	}
	reportCPU(b, cpu0)
	_ = sum
}
