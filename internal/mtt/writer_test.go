package mtt

import (
	"math"
	"math/rand/v2"
	"strconv"
	"testing"
)

func TestAppendFloatFixed(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	cases := []float64{0, -0.001, 0.005, -0.004, 1.5, -1.25, 1999.999, 123456.789, -98765.4321, 1e11}
	for range 10000 {
		cases = append(cases, (rng.Float64()-0.5)*math.Pow(10, float64(rng.IntN(12))))
	}
	for _, v := range cases {
		for prec := 0; prec <= 3; prec++ {
			got := string(appendFloat(nil, v, prec))
			back, err := strconv.ParseFloat(got, 64)
			if err != nil {
				t.Fatalf("%v prec %d: %q does not parse", v, prec, got)
			}
			if math.Abs(back-v) > 0.5*math.Pow(10, -float64(prec))*(1+1e-9)+math.Abs(v)*1e-15 {
				t.Errorf("%v prec %d: wrote %q", v, prec, got)
			}
		}
	}
	if got := string(appendFloat(nil, -0.001, 2)); got != "0.00" {
		t.Errorf("-0.001 -> %q, want 0.00", got)
	}
}
