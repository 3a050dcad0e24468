package incident

import (
	"fmt"

	"github.com/borderwatch/borderwatch"
)

// DefaultSOPs returns the standard operating procedures shipped for each
// alert kind. They are data: a deployment may replace them in Options.
func DefaultSOPs() map[borderwatch.AlertKind]borderwatch.SOP {
	yesNo := func(yes, no string, yesAction, noAction string) []borderwatch.SOPChoice {
		return []borderwatch.SOPChoice{{Answer: "yes", Next: yes, Action: yesAction}, {Answer: "no", Next: no, Action: noAction}}
	}
	crossing := borderwatch.SOP{
		Kind: borderwatch.AlertCrossing, Name: "border crossing", Start: "verify",
		Steps: []borderwatch.SOPStep{
			{ID: "verify", Prompt: "Is the crossing confirmed on a camera or drone feed?", Mandatory: true,
				Choices: []borderwatch.SOPChoice{
					{Answer: "confirmed", Next: "armed"},
					{Answer: "not_seen", Next: "search", Action: "task_drone_search"},
					{Answer: "false_alarm", Next: "", Action: "close_false_alarm"},
				}},
			{ID: "search", Prompt: "Drone tasked to the last known position. Found?", Mandatory: true,
				Choices: yesNo("armed", "", "", "close_escaped")},
			{ID: "armed", Prompt: "Are the crossers armed?", Mandatory: true,
				Choices: []borderwatch.SOPChoice{
					{Answer: "yes", Next: "army", Action: "request_army_support"},
					{Answer: "no", Next: "intercept"},
					{Answer: "unknown", Next: "intercept", Action: "treat_as_armed"},
				}},
			{ID: "army", Prompt: "Army support requested; hold the QRF at a safe stand-off until it arrives.", Mandatory: true, Next: "intercept"},
			{ID: "intercept", Prompt: "Dispatch the nearest QRF or patrol to the predicted position.", Mandatory: true, Next: "partner"},
			{ID: "partner", Prompt: "Notify the partner force across the border?", Choices: yesNo("", "", "notify_partner", "")},
		},
	}
	approach := borderwatch.SOP{
		Kind: borderwatch.AlertApproach, Name: "approach to the line", Start: "watch",
		Steps: []borderwatch.SOPStep{
			{ID: "watch", Prompt: "Keep a camera on the track. Still heading for the line?", Mandatory: true,
				Choices: yesNo("standby", "", "", "close_no_threat")},
			{ID: "standby", Prompt: "Put the sector QRF on standby and pre-position a drone at the contact point.", Mandatory: true, Next: "armed"},
			{ID: "armed", Prompt: "Are they armed?", Choices: yesNo("", "", "request_army_support", "")},
		},
	}
	breach := borderwatch.SOP{
		Kind: borderwatch.AlertBreach, Name: "barrier breach", Start: "look",
		Steps: []borderwatch.SOPStep{
			{ID: "look", Prompt: "Slew the nearest camera to the breach. Persons or vehicle seen?", Mandatory: true,
				Choices: []borderwatch.SOPChoice{
					{Answer: "persons", Next: "armed"},
					{Answer: "vehicle", Next: "armed"},
					{Answer: "animal", Next: "repair", Action: "close_animal"},
					{Answer: "nothing", Next: "patrol"},
				}},
			{ID: "armed", Prompt: "Are they armed?", Mandatory: true, Choices: yesNo("intercept", "intercept", "request_army_support", "")},
			{ID: "intercept", Prompt: "Dispatch the nearest QRF or patrol to the breach.", Mandatory: true, Next: "repair"},
			{ID: "patrol", Prompt: "Send the sector patrol to inspect the barrier.", Mandatory: true, Next: "repair"},
			{ID: "repair", Prompt: "Raise a repair ticket for the barrier.", Next: ""},
		},
	}
	simple := func(kind borderwatch.AlertKind, name string, steps ...borderwatch.SOPStep) borderwatch.SOP {
		return borderwatch.SOP{Kind: kind, Name: name, Start: steps[0].ID, Steps: steps}
	}
	return map[borderwatch.AlertKind]borderwatch.SOP{
		borderwatch.AlertCrossing: crossing,
		borderwatch.AlertApproach: approach,
		borderwatch.AlertBreach:   breach,
		borderwatch.AlertLoiter: simple(borderwatch.AlertLoiter, "loitering at a barrier",
			borderwatch.SOPStep{ID: "watch", Prompt: "Keep a camera on the track. Tools, ladders or digging seen?", Mandatory: true,
				Choices: yesNo("intercept", "", "", "close_no_threat")},
			borderwatch.SOPStep{ID: "intercept", Prompt: "Dispatch the sector patrol to the barrier.", Mandatory: true}),
		borderwatch.AlertClosedCrossing: simple(borderwatch.AlertClosedCrossing, "movement at a closed crossing",
			borderwatch.SOPStep{ID: "call", Prompt: "Call the crossing's guard post. Is the movement theirs?", Mandatory: true,
				Choices: yesNo("", "intercept", "close_own_forces", "")},
			borderwatch.SOPStep{ID: "intercept", Prompt: "Dispatch the nearest QRF to the crossing.", Mandatory: true}),
		borderwatch.AlertSensorDark: simple(borderwatch.AlertSensorDark, "sensor dark",
			borderwatch.SOPStep{ID: "cover", Prompt: "Is the blinded stretch covered by another sensor?", Mandatory: true,
				Choices: yesNo("repair", "repair", "", "task_drone_cover")},
			borderwatch.SOPStep{ID: "repair", Prompt: "Raise a maintenance ticket for the sensor.", Mandatory: true}),
		borderwatch.AlertLowBattery: simple(borderwatch.AlertLowBattery, "drone low battery",
			borderwatch.SOPStep{ID: "relief", Prompt: "Is another drone available to take over?", Mandatory: true,
				Choices: yesNo("", "", "launch_relief_drone", "recall_drone")}),
		borderwatch.AlertPatrolOverdue: simple(borderwatch.AlertPatrolOverdue, "patrol overdue",
			borderwatch.SOPStep{ID: "radio", Prompt: "Call the patrol on radio and TAK chat. Answered?", Mandatory: true,
				Choices: yesNo("", "search", "close_answered", "")},
			borderwatch.SOPStep{ID: "search", Prompt: "Dispatch the QRF to the patrol's last known position and notify the sector commander.", Mandatory: true}),
		borderwatch.AlertZone: simple(borderwatch.AlertZone, "zone violation",
			borderwatch.SOPStep{ID: "identify", Prompt: "Identify the track on camera. Threat?", Mandatory: true,
				Choices: yesNo("intercept", "", "", "close_no_threat")},
			borderwatch.SOPStep{ID: "intercept", Prompt: "Dispatch the nearest unit.", Mandatory: true}),
	}
}

// validateSOP checks that a decision tree is well formed: unique step ids,
// a start, every Next naming a step, unique answers, and no cycle.
func validateSOP(kind borderwatch.AlertKind, s borderwatch.SOP) error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("incident: sops.%s: %s", kind, fmt.Sprintf(format, args...))
	}
	if len(s.Steps) == 0 {
		return bad("no steps")
	}
	ids := map[string]int{}
	for i, st := range s.Steps {
		if st.ID == "" {
			return bad("steps[%d].id: empty", i)
		}
		if _, dup := ids[st.ID]; dup {
			return bad("steps[%d].id = %q: duplicate", i, st.ID)
		}
		ids[st.ID] = i
	}
	if _, ok := ids[s.Start]; !ok {
		return bad("start = %q: no such step", s.Start)
	}
	for i, st := range s.Steps {
		if st.Next != "" {
			if _, ok := ids[st.Next]; !ok {
				return bad("steps[%d] (%s).next = %q: no such step", i, st.ID, st.Next)
			}
		}
		answers := map[string]bool{}
		for j, c := range st.Choices {
			if c.Answer == "" || answers[c.Answer] {
				return bad("steps[%d] (%s).choices[%d].answer = %q: empty or duplicate", i, st.ID, j, c.Answer)
			}
			answers[c.Answer] = true
			if c.Next != "" {
				if _, ok := ids[c.Next]; !ok {
					return bad("steps[%d] (%s).choices[%d].next = %q: no such step", i, st.ID, j, c.Next)
				}
			}
		}
	}
	// Cycle check: depth-first from every step.
	const (
		unseen = iota
		onPath
		done
	)
	mark := make([]int, len(s.Steps))
	var visit func(i int) error
	visit = func(i int) error {
		mark[i] = onPath
		st := s.Steps[i]
		nexts := []string{st.Next}
		for _, c := range st.Choices {
			nexts = append(nexts, c.Next)
		}
		for _, n := range nexts {
			if n == "" {
				continue
			}
			j := ids[n]
			switch mark[j] {
			case onPath:
				return bad("steps: cycle through %q", n)
			case unseen:
				if err := visit(j); err != nil {
					return err
				}
			}
		}
		mark[i] = done
		return nil
	}
	for i := range s.Steps {
		if mark[i] == unseen {
			if err := visit(i); err != nil {
				return err
			}
		}
	}
	return nil
}
