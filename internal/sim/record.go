package sim

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/borderwatch/borderwatch"
)

// Format names the --out file format (docs/simulator.md).
const Format = "borderwatch-sim-jsonl/1"

// RecordHeader is the first line of a recording.
type RecordHeader struct {
	Format     string    `json:"format"`
	Frame      string    `json:"frame"`
	Deployment string    `json:"deployment"`
	Seed       uint64    `json:"seed"`
	Start      time.Time `json:"start"`
	Duration   float64   `json:"duration_s"`
	Step       float64   `json:"step_s"`
	TruthEvery float64   `json:"truth_every_s"`
	Activity   float64   `json:"activity"`
	Respond    bool      `json:"respond"`
	Sensors    int       `json:"sensors"`
	Drones     int       `json:"drones"`
	Units      int       `json:"units"`
}

// RecordLine is one step of a recording: what the sensors and units
// reported (the observations a server would ingest) and, every
// TruthEvery, the ground truth.
type RecordLine struct {
	// T is seconds since the start; Time the same as a timestamp.
	T            float64                   `json:"t"`
	Time         time.Time                 `json:"time"`
	Observations []borderwatch.Observation `json:"observations,omitempty"`
	Truth        []Truth                   `json:"truth,omitempty"`
	Events       []Event                   `json:"events,omitempty"`
}

// Record runs s for d and writes a recording to w: a header line, then one
// line per step that has observations, events or a truth sample. The
// same seed and options give the same bytes.
func Record(w io.Writer, s *Sim, d time.Duration, truthEvery time.Duration) error {
	if truthEvery <= 0 {
		truthEvery = 5 * time.Second
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	enc := json.NewEncoder(bw)
	start := s.Now()
	h := RecordHeader{Format: Format, Deployment: s.dep.Name, Seed: s.o.Seed, Start: start.UTC(), Duration: d.Seconds(),
		Frame: "WGS84 degrees (lat, lon); metres; velocities m/s east/north; covariances m² east/north",
		Step:  s.o.Step.Seconds(), TruthEvery: truthEvery.Seconds(), Activity: s.o.Activity, Respond: s.o.Respond,
		Sensors: len(s.sensors), Drones: len(s.drones), Units: len(s.dep.Units)}
	if err := enc.Encode(map[string]any{"header": h}); err != nil {
		return fmt.Errorf("sim: record header: %w", err)
	}
	var line RecordLine
	nextTruth := start
	for s.Now().Before(start.Add(d)) {
		f := s.Step()
		line = RecordLine{T: f.Time.Sub(start).Seconds(), Time: f.Time.UTC(), Events: f.Events}
		for i := range f.Detections {
			line.Observations = append(line.Observations, f.Detections[i].Observation())
		}
		for i := range f.Reports {
			line.Observations = append(line.Observations, f.Reports[i].Observation())
		}
		// Drone telemetry is decimated to one report per truth period.
		if !f.Time.Before(nextTruth) {
			for i := range f.Drones {
				if f.Drones[i].Mode != DroneLanded {
					line.Observations = append(line.Observations, f.Drones[i].Observation())
				}
			}
		}
		if !f.Time.Before(nextTruth) {
			nextTruth = nextTruth.Add(truthEvery)
			line.Truth = s.Truth(line.Truth[:0])
			for i := range f.Drones {
				dr := &f.Drones[i]
				if dr.Mode == DroneLanded {
					continue
				}
				sn, cs := sincos(dr.Heading)
				line.Truth = append(line.Truth, Truth{ID: dr.ID, Kind: "drone", Class: borderwatch.ClassAircraft, Position: dr.Position,
					Velocity: borderwatch.Velocity{East: round(dr.Speed*sn, 2), North: round(dr.Speed*cs, 2)}, State: string(dr.Mode), UnitID: dr.ID})
			}
		}
		if len(line.Observations) == 0 && len(line.Truth) == 0 && len(line.Events) == 0 {
			continue
		}
		for i := range line.Truth {
			line.Truth[i].Position = roundLL(line.Truth[i].Position)
			line.Truth[i].Velocity = borderwatch.Velocity{East: round(line.Truth[i].Velocity.East, 2), North: round(line.Truth[i].Velocity.North, 2)}
			line.Truth[i].Km = round(line.Truth[i].Km, 3)
			line.Truth[i].OffsetM = round(line.Truth[i].OffsetM, 1)
		}
		for i := range line.Events {
			line.Events[i].Position = roundLL(line.Events[i].Position)
			line.Events[i].Km = round(line.Events[i].Km, 3)
		}
		if err := enc.Encode(&line); err != nil {
			return fmt.Errorf("sim: record at %s: %w", f.Time.Format(time.RFC3339), err)
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("sim: record: %w", err)
	}
	return nil
}
