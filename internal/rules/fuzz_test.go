package rules

import (
	"math"
	"testing"
	"time"

	"github.com/borderwatch/borderwatch"
)

// FuzzTrack feeds arbitrary track updates (positions, velocities, times,
// statuses, including NaN and the far side of the world) and checks that
// the engine neither panics nor emits a malformed event.
func FuzzTrack(f *testing.F) {
	f.Add(34.9, 41.01, 34.9, 40.99, 1.0, 0.0, int64(0), uint8(1))
	f.Add(34.5, 41.05, 34.5, 41.06, 0.0, 0.0, int64(600e9), uint8(0))
	f.Add(math.NaN(), 41.0, 34.5, math.Inf(1), math.NaN(), 1.0, int64(-1), uint8(2))
	f.Add(-89.0, 179.9, 89.0, -179.9, 1e9, -1e9, int64(1e18), uint8(3))
	f.Fuzz(func(t *testing.T, lat1, lon1, lat2, lon2, ve, vn float64, dt int64, st uint8) {
		e, _ := newEngine(t, Options{Herding: []HerdingArea{{ID: "h", FromKm: 0, ToKm: 50, Months: []time.Month{time.June}}}})
		statuses := []borderwatch.TrackStatus{borderwatch.TrackConfirmed, borderwatch.TrackTentative, borderwatch.TrackCoasting, borderwatch.TrackDeleted}
		cls := []borderwatch.Class{borderwatch.ClassPerson, borderwatch.ClassAnimal}
		t1 := track("F", borderwatch.LatLon{Lat: lat1, Lon: lon1}, day, vel(ve, vn), class(cls[st%2]))
		t2 := track("F", borderwatch.LatLon{Lat: lat2, Lon: lon2}, day.Add(time.Duration(dt)), vel(ve, vn), status(statuses[int(st/2)%4]), class(cls[st%2]))
		for _, tr := range []*borderwatch.Track{t1, t2, t1} {
			for _, ev := range e.Track(tr) {
				if ev.Alert.ID == "" || ev.Alert.Kind == "" || ev.Alert.Severity.Rank() == 0 || ev.Type == "" {
					t.Fatalf("malformed event %+v", ev)
				}
				if ev.Type == EventSuppressed && ev.Suppression == nil {
					t.Fatalf("suppressed without record %+v", ev)
				}
			}
		}
		e.Tick(day.Add(time.Duration(dt)))
	})
}
