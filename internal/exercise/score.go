package exercise

import (
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/borderwatch/borderwatch/internal/sim"
)

// Outcome is how an event ended.
type Outcome string

// Outcomes.
const (
	OutcomeIntercepted Outcome = "intercepted"
	OutcomeEscaped     Outcome = "escaped"
	OutcomeRunning     Outcome = "running" // the exercise ended first
	OutcomeNotStarted  Outcome = "not_started"
)

// EventScore is the score of one scripted event. Durations are simulated
// time (wall-clock time times the speed).
type EventScore struct {
	ID      string        `json:"id"`
	Kind    sim.ActorKind `json:"kind"`
	Started time.Time     `json:"started"`
	Crossed bool          `json:"crossed"`
	// Detected: a non-friendly track or an alert came within the detect
	// radius of the crosser; TimeToDetect is from the start of the event,
	// DetectedBeforeCrossing whether it was before the line.
	Detected               bool    `json:"detected"`
	DetectedBy             string  `json:"detected_by,omitempty"`
	TimeToDetect           float64 `json:"time_to_detect_s,omitempty"`
	DetectedBeforeCrossing bool    `json:"detected_before_crossing,omitempty"`
	Alerted                bool    `json:"alerted"`
	// Responded: an alert about it was acknowledged or became an
	// incident, a drone was sent to it, or a unit came within the respond
	// radius; TimeToRespond is from detection.
	Responded     bool    `json:"responded"`
	RespondedBy   string  `json:"responded_by,omitempty"`
	TimeToRespond float64 `json:"time_to_respond_s,omitempty"`
	Intercepted   bool    `json:"intercepted"`
	InterceptedBy string  `json:"intercepted_by,omitempty"`
	Outcome       Outcome `json:"outcome"`

	crossedAt, detectedAt, respondedAt, ended time.Time
	alerted                                   bool
	nearAtDetect                              map[string]bool
}

// Score is an exercise's result.
type Score struct {
	Scenario string       `json:"scenario"`
	Speed    float64      `json:"speed"`
	Events   []EventScore `json:"events"`
	// Overall.
	Detected          int     `json:"detected"`
	Responded         int     `json:"responded"`
	Intercepted       int     `json:"intercepted"`
	MeanTimeToDetect  float64 `json:"mean_time_to_detect_s,omitempty"`
	MeanTimeToRespond float64 `json:"mean_time_to_respond_s,omitempty"`
	// Points is 40 × detected share + 30 × responded share + 30 ×
	// intercepted share, 0..100.
	Points float64 `json:"points"`

	detectR, respondR, interceptR float64
	index                         map[string]int
}

func newScore(sc *Scenario, speed float64) *Score {
	s := &Score{Scenario: sc.Name, Speed: speed, detectR: sc.DetectRadiusM, respondR: sc.RespondRadiusM,
		interceptR: sc.InterceptRadiusM, index: map[string]int{}}
	for i, e := range sc.Events {
		s.Events = append(s.Events, EventScore{ID: e.ID, Kind: e.Kind, Outcome: OutcomeNotStarted})
		s.index[e.ID] = i
	}
	return s
}

func (s *Score) event(id string) *EventScore {
	i, ok := s.index[id]
	if !ok {
		return nil
	}
	return &s.Events[i]
}

// finish turns the times into the reported figures.
func (s *Score) finish() {
	s.Detected, s.Responded, s.Intercepted = 0, 0, 0
	var td, tr float64
	for i := range s.Events {
		e := &s.Events[i]
		if e.Outcome == OutcomeNotStarted && !e.Started.IsZero() {
			e.Outcome = OutcomeRunning
		}
		e.Alerted = e.alerted
		if !e.detectedAt.IsZero() {
			e.Detected = true
			e.TimeToDetect = e.detectedAt.Sub(e.Started).Seconds()
			e.DetectedBeforeCrossing = e.crossedAt.IsZero() || e.detectedAt.Before(e.crossedAt)
			s.Detected++
			td += e.TimeToDetect
		}
		if !e.respondedAt.IsZero() {
			e.Responded = true
			from := e.detectedAt
			if from.IsZero() {
				from = e.Started
			}
			e.TimeToRespond = e.respondedAt.Sub(from).Seconds()
			s.Responded++
			tr += e.TimeToRespond
		}
		e.Intercepted = e.Outcome == OutcomeIntercepted
		if e.Intercepted {
			s.Intercepted++
		}
	}
	if s.Detected > 0 {
		s.MeanTimeToDetect = td / float64(s.Detected)
	}
	if s.Responded > 0 {
		s.MeanTimeToRespond = tr / float64(s.Responded)
	}
	if n := float64(len(s.Events)); n > 0 {
		s.Points = 40*float64(s.Detected)/n + 30*float64(s.Responded)/n + 30*float64(s.Intercepted)/n
	}
}

// WriteText prints the score as a table.
func (s *Score) WriteText(w io.Writer) error {
	fmt.Fprintf(w, "EXERCISE %q (speed %gx; times in simulated seconds)\n", s.Scenario, s.Speed)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "event\tkind\tcrossed\tdetected\tt detect\tbefore line\tresponded\tt respond\toutcome\tby")
	for _, e := range s.Events {
		by := e.InterceptedBy
		if by == "" {
			by = e.RespondedBy
		}
		fmt.Fprintf(tw, "%s\t%s\t%v\t%v\t%s\t%v\t%v\t%s\t%s\t%s\n", e.ID, e.Kind, e.Crossed, e.Detected, secs(e.Detected, e.TimeToDetect),
			e.DetectedBeforeCrossing, e.Responded, secs(e.Responded, e.TimeToRespond), e.Outcome, by)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "overall: %d/%d detected (mean %.0f s), %d responded (mean %.0f s), %d intercepted; %.0f points of 100\n",
		s.Detected, len(s.Events), s.MeanTimeToDetect, s.Responded, s.MeanTimeToRespond, s.Intercepted, s.Points)
	return err
}

func secs(ok bool, v float64) string {
	if !ok {
		return "-"
	}
	return fmt.Sprintf("%.0f s", v)
}
