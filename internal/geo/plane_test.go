package geo

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestPlaneRoundTrip is a property test: Inverse(Forward(p)) == p within
// 1 mm (in practice ~1 nm) for points within 100 km of the origin, and the
// plane coordinates measure what they should.
func TestPlaneRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for range 5000 {
		o := ll(rng.Float64()*170-85, rng.Float64()*360-180)
		pl := NewPlane(o)
		az := rng.Float64() * 360
		d := rng.Float64() * 100e3
		p := Direct(o, az, d)
		x, y := pl.Forward(p)
		q := pl.Inverse(x, y)
		if e := Distance(p, q); e > 1e-6 {
			t.Fatalf("origin %v, %v m at %v°: round trip off by %.3g m", o, d, az, e)
		}
		// The plane is orthographic: distance shrinks by ~d³/(6R²),
		// bearing is kept near the origin.
		r := math.Hypot(x, y)
		if short := d - r; short < -1e-6 || short > 1.2*d*d*d/(6*6.3e6*6.3e6)+1e-6 {
			t.Fatalf("origin %v, %v m: plane distance %v", o, d, r)
		}
	}
}

func TestPlaneAxes(t *testing.T) {
	pl := NewPlane(ll(34.5, 41))
	for _, c := range []struct {
		az           float64
		wantX, wantY float64
	}{{0, 0, 1000}, {90, 1000, 0}, {180, 0, -1000}, {270, -1000, 0}} {
		x, y := pl.Forward(Direct(ll(34.5, 41), c.az, 1000))
		if math.Abs(x-c.wantX) > 0.01 || math.Abs(y-c.wantY) > 0.01 {
			t.Errorf("1 km at %v°: (%v, %v), want (%v, %v)", c.az, x, y, c.wantX, c.wantY)
		}
	}
	if x, y := pl.Forward(ll(34.5, 41)); x != 0 || y != 0 {
		t.Errorf("origin maps to (%v, %v)", x, y)
	}
	if p := pl.Inverse(1e7, 0); !math.IsNaN(p.Lat) {
		t.Errorf("Inverse beyond the horizon = %v, want NaN", p)
	}
}

func BenchmarkPlaneForward(b *testing.B) {
	pl := NewPlane(ll(34.5, 41))
	p := ll(34.6, 41.1)
	b.ReportAllocs()
	var s float64
	cpu0 := processCPU()
	for b.Loop() {
		x, y := pl.Forward(p)
		s += x + y
	}
	reportCPU(b, cpu0)
	_ = s
}

func BenchmarkPlaneInverse(b *testing.B) {
	pl := NewPlane(ll(34.5, 41))
	b.ReportAllocs()
	var s float64
	cpu0 := processCPU()
	for b.Loop() {
		p := pl.Inverse(1234.5, -5678.9)
		s += p.Lat
	}
	reportCPU(b, cpu0)
	_ = s
}

// TestGeodetic checks the ECEF-to-geodetic conversion used for foot points:
// a point raised h metres along the normal comes back to where it was.
func TestGeodetic(t *testing.T) {
	rng := rand.New(rand.NewPCG(71, 72))
	for range 3000 {
		p := ll(rng.Float64()*179.8-89.9, rng.Float64()*360-180)
		h := (rng.Float64()*2 - 1) * math.Pow(10, rng.Float64()*5.5) // up to ±300 km
		v := ecef(p).mulAdd(h, up(p))
		q := geodetic(v)
		if d := Distance(p, q); d > 1e-6 {
			t.Fatalf("%v raised %v m comes back %.3g m away (%v)", p, h, d, q)
		}
	}
}
