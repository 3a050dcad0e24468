package borderwatch

import (
	"math"
	"strings"
	"testing"
	"time"
)

func TestObservationValidate(t *testing.T) {
	t0 := time.Date(2026, 11, 22, 1, 0, 0, 0, time.UTC)
	good := func() Observation {
		return Observation{
			Time: t0, Source: Source{ID: "cam-1", Kind: SourceThermalCamera},
			Position: &LatLon{Lat: 34.4, Lon: 41.0}, Cov: Isotropic(10), Class: ClassPerson, Confidence: 0.8,
		}
	}
	tests := []struct {
		name string
		mod  func(o *Observation)
		want string // substring of the error; "" = valid
	}{
		{"valid", func(o *Observation) {}, ""},
		{"no time", func(o *Observation) { o.Time = time.Time{} }, "time: missing"},
		{"no source", func(o *Observation) { o.Source.ID = "" }, "source.id"},
		{"no kind", func(o *Observation) { o.Source.Kind = "" }, "source.kind"},
		{"no position", func(o *Observation) { o.Position = nil }, "position: missing"},
		{"both", func(o *Observation) {
			o.Bearing = &Bearing{Sensor: LatLon{Lat: 34, Lon: 41}, Azimuth: 10, AzimuthSigma: 1}
		}, "not both"},
		{"lat range", func(o *Observation) { o.Position.Lat = 91 }, "out of range"},
		{"nan lat", func(o *Observation) { o.Position.Lat = math.NaN() }, "out of range"},
		{"bad cov", func(o *Observation) { o.Cov = Cov2{EE: 1, EN: 2, NN: 1} }, "cov"},
		{"bad class", func(o *Observation) { o.Class = "tank" }, "class"},
		{"confidence", func(o *Observation) { o.Confidence = 1.5 }, "confidence"},
		{"friendly without unit", func(o *Observation) { o.Friendly = true }, "unit_id"},
		{"bearing ok", func(o *Observation) {
			o.Position = nil
			o.Bearing = &Bearing{Sensor: LatLon{Lat: 34, Lon: 41}, Azimuth: 359.9, AzimuthSigma: 0.5, Range: 800, RangeSigma: 40}
		}, ""},
		{"azimuth 360", func(o *Observation) {
			o.Position = nil
			o.Bearing = &Bearing{Sensor: LatLon{Lat: 34, Lon: 41}, Azimuth: 360, AzimuthSigma: 0.5}
		}, "azimuth"},
		{"range without sigma", func(o *Observation) {
			o.Position = nil
			o.Bearing = &Bearing{Sensor: LatLon{Lat: 34, Lon: 41}, Azimuth: 3, AzimuthSigma: 0.5, Range: 100}
		}, "range_sigma"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := good()
			tt.mod(&o)
			err := o.Validate()
			if tt.want == "" {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want containing %q", err, tt.want)
			}
			if ErrorCodeOf(err) != EINVALID {
				t.Fatalf("code %q, want invalid", ErrorCodeOf(err))
			}
		})
	}
}

func TestLabelReleasable(t *testing.T) {
	l := Label{Owner: "ibg", ReleasableTo: []Agency{"army"}}
	for a, want := range map[Agency]bool{"ibg": true, "army": true, "krg": false, "": false} {
		if got := l.ReleasableToAgency(a); got != want {
			t.Errorf("%q: got %v want %v", a, got, want)
		}
	}
	if !(Label{Owner: "ibg", ReleasableTo: []Agency{AllAgencies}}).ReleasableToAgency("coalition") {
		t.Error("* must release to every agency")
	}
}
