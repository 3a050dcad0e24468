package sim

import (
	"testing"
	"time"
)

// BenchmarkStep is one simulated second of the reference border with the
// reference rates and the command responding (the realism report's
// configuration), warmed up so that a day's mix of actors is under way.
func BenchmarkStep(b *testing.B) {
	s := newSim(b, func(o *Options) { o.Respond, o.IgnoreFriendly, o.Warmup = true, true, 12*time.Hour })
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		s.Step()
	}
	b.ReportMetric(float64(len(s.actors)), "actors")
}

// BenchmarkSense is one sensing pass with each actor's candidate list;
// BenchmarkSenseNaive asks every sensor about every actor.
func BenchmarkSense(b *testing.B) {
	s := busy(b)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		s.frame.Detections = s.frame.Detections[:0]
		s.sense()
	}
}

func BenchmarkSenseNaive(b *testing.B) {
	s := busy(b)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		s.frame.Detections = s.frame.Detections[:0]
		for _, a := range s.actors {
			if !s.detectable(a) {
				continue
			}
			ci := classIndex(a.class)
			night := s.night(a.km)
			for _, sn := range s.sensors {
				s.look(sn, a, ci, night, 1)
			}
		}
	}
}

// busy is the reference border at ten times the reference activity,
// half a day in.
func busy(b *testing.B) *Sim {
	return newSim(b, func(o *Options) { o.Activity, o.Warmup, o.NoUnits = 10, 12*time.Hour, true })
}
