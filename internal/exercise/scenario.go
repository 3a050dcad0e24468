// Package exercise runs scripted training scenarios against a live
// borderwatch: it injects the scenario's crossers into a simulation
// whose sensors report them to the server through the real protocols,
// marked as exercise end to end, watches the server's API for tracks,
// alerts and units near each crosser, and scores time to detect, time to
// respond and interception per event and overall.
package exercise

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/borderwatch/borderwatch"
	"github.com/borderwatch/borderwatch/internal/sim"
)

// Scenario is a scripted exercise: who crosses where and when.
type Scenario struct {
	Name        string `yaml:"name"`
	Description string `yaml:"description"`
	// Seed seeds the simulation's detections; default 1.
	Seed uint64 `yaml:"seed"`
	// Duration bounds the exercise in simulated time; default: until
	// every event has ended, at most 6 h.
	Duration time.Duration `yaml:"duration"`
	// DetectRadiusM is how close a track or alert must be to a crosser to
	// count as detecting it (default 2000 m); RespondRadiusM how close a
	// unit or a drone's target must come to count as a response (2000 m);
	// InterceptRadiusM how close a unit must come to stop it (300 m).
	DetectRadiusM    float64 `yaml:"detect_radius_m"`
	RespondRadiusM   float64 `yaml:"respond_radius_m"`
	InterceptRadiusM float64 `yaml:"intercept_radius_m"`
	Events           []Event `yaml:"events"`
}

// Event is one scripted crosser.
type Event struct {
	ID string `yaml:"id"`
	// At is when it sets out, after the exercise starts (simulated time).
	At   time.Duration `yaml:"at"`
	Kind sim.ActorKind `yaml:"kind"`
	// Size is the number of people (default 4).
	Size    int    `yaml:"size"`
	Goods   string `yaml:"goods"`
	Vehicle bool   `yaml:"vehicle"`
	// CrossKm is the border kilometre where it crosses.
	CrossKm float64 `yaml:"cross_km"`
	// FromOffsetM and ToOffsetM are where it starts and ends, metres from
	// the line, positive on the line's right.
	FromOffsetM float64 `yaml:"from_offset_m"`
	ToOffsetM   float64 `yaml:"to_offset_m"`
	DriftKm     float64 `yaml:"drift_km"`
	SpeedMS     float64 `yaml:"speed_ms"`

	line int
}

// Spec is the actor the event injects, marked as exercise.
func (e *Event) Spec() sim.ActorSpec {
	return sim.ActorSpec{ID: e.ID, Kind: e.Kind, Size: e.Size, Goods: e.Goods, Vehicle: e.Vehicle, CrossKm: e.CrossKm,
		FromOffsetM: e.FromOffsetM, ToOffsetM: e.ToOffsetM, DriftKm: e.DriftKm, SpeedMS: e.SpeedMS, Exercise: true}
}

// Parse reads a scenario; file names it in errors. It checks every field
// against the deployment's line and returns all problems, each with its
// file, line, field, value and reason.
func Parse(file string, b []byte, d *borderwatch.Deployment) (*Scenario, error) {
	var root yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&root); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	var sc Scenario
	if err := root.Decode(&sc); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	// Line numbers of the events, for messages.
	if len(root.Content) == 1 && root.Content[0].Kind == yaml.MappingNode {
		m := root.Content[0]
		for i := 0; i+1 < len(m.Content); i += 2 {
			if m.Content[i].Value == "events" && m.Content[i+1].Kind == yaml.SequenceNode {
				for j, n := range m.Content[i+1].Content {
					if j < len(sc.Events) {
						sc.Events[j].line = n.Line
					}
				}
			}
		}
	}
	// Strict decoding of unknown keys.
	var strict Scenario
	sd := yaml.NewDecoder(bytes.NewReader(b))
	sd.KnownFields(true)
	if err := sd.Decode(&strict); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	var errs []error
	bad := func(line int, field string, value any, reason string) {
		errs = append(errs, fmt.Errorf("%s:%d: %s: %v: %s", file, line, field, value, reason))
	}
	if sc.Seed == 0 {
		sc.Seed = 1
	}
	if sc.DetectRadiusM == 0 {
		sc.DetectRadiusM = 2000
	}
	if sc.RespondRadiusM == 0 {
		sc.RespondRadiusM = 2000
	}
	if sc.InterceptRadiusM == 0 {
		sc.InterceptRadiusM = 300
	}
	for _, r := range []struct {
		name string
		v    float64
	}{{"detect_radius_m", sc.DetectRadiusM}, {"respond_radius_m", sc.RespondRadiusM}, {"intercept_radius_m", sc.InterceptRadiusM}} {
		if !(r.v > 0 && r.v <= 50_000) {
			bad(1, r.name, r.v, "want 0 < radius <= 50000")
		}
	}
	if sc.Duration < 0 || sc.Duration > 72*time.Hour {
		bad(1, "duration", sc.Duration, "want 0..72h")
	}
	if len(sc.Events) == 0 {
		bad(1, "events", "[]", "an exercise needs at least one event")
	}
	length := d.Border.LengthKm
	seen := map[string]bool{}
	for i := range sc.Events {
		e := &sc.Events[i]
		f := func(name string) string { return fmt.Sprintf("events[%d].%s", i, name) }
		switch {
		case e.ID == "":
			bad(e.line, f("id"), `""`, "every event needs an id")
		case seen[e.ID]:
			bad(e.line, f("id"), e.ID, "used twice")
		}
		seen[e.ID] = true
		switch e.Kind {
		case sim.KindInfiltrators, sim.KindSmuggler, sim.KindHerd:
		default:
			bad(e.line, f("kind"), e.Kind, "want infiltrators, smuggler or herd")
		}
		if e.At < 0 {
			bad(e.line, f("at"), e.At, "must not be negative")
		}
		if e.Size < 0 || e.Size > 500 {
			bad(e.line, f("size"), e.Size, "want 0..500")
		}
		if !(e.CrossKm >= 0 && e.CrossKm <= length) {
			bad(e.line, f("cross_km"), e.CrossKm, fmt.Sprintf("not on the line (0..%.1f km)", length))
		}
		for _, o := range []struct {
			name string
			v    float64
		}{{"from_offset_m", e.FromOffsetM}, {"to_offset_m", e.ToOffsetM}} {
			if math.IsNaN(o.v) || math.Abs(o.v) > 50_000 {
				bad(e.line, f(o.name), o.v, "want within ±50000 m")
			}
		}
		if e.FromOffsetM == e.ToOffsetM {
			bad(e.line, f("to_offset_m"), e.ToOffsetM, "equals from_offset_m: the crosser would not move")
		}
		if e.SpeedMS < 0 || e.SpeedMS > 60 {
			bad(e.line, f("speed_ms"), e.SpeedMS, "want 0..60")
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return &sc, nil
}
