package rules

import (
	"fmt"
	"slices"
	"time"

	"github.com/borderwatch/borderwatch"
)

type unitState struct {
	u      *borderwatch.Unit
	sector int
	pos    borderwatch.LatLon
	// due holds the pending check-in deadlines, earliest first.
	due     []time.Time
	points  []string
	overdue bool
	alert   borderwatch.Alert
}

// ExpectCheckIn schedules a check-in of a patrol due at due (point names
// the check-in point, for the message). A unit not in the deployment is an
// ENOTFOUND error.
func (e *Engine) ExpectCheckIn(unitID string, due time.Time, point string) error {
	us := e.units[unitID]
	if us == nil {
		return borderwatch.Errorf(borderwatch.ENOTFOUND, "unit %s: not in the deployment", unitID)
	}
	i, _ := slices.BinarySearchFunc(us.due, due, func(a, b time.Time) int { return a.Compare(b) })
	us.due = slices.Insert(us.due, i, due)
	us.points = slices.Insert(us.points, i, point)
	return nil
}

// CheckIn records a patrol's check-in at t: it satisfies the earliest
// pending check-in, clears an overdue alert (EventCleared) and, when the
// sector's CheckInInterval is set, expects the next one that long after.
func (e *Engine) CheckIn(unitID string, t time.Time) []Event {
	e.out = e.out[:0]
	us := e.units[unitID]
	if us == nil {
		e.stats.UnknownSources++
		return e.out
	}
	if len(us.due) > 0 {
		us.due, us.points = us.due[1:], us.points[1:]
	}
	if us.overdue {
		us.overdue = false
		a := us.alert
		a.Message = fmt.Sprintf("patrol %s checked in at %s", unitID, t.In(e.loc).Format("15:04"))
		e.stats.Cleared++
		e.emit(EventCleared, t, &a, nil)
	}
	if iv := e.params(us.sector, t.UnixNano()).CheckInInterval; iv > 0 {
		_ = e.ExpectCheckIn(unitID, t.Add(iv), "")
	}
	return e.out
}

func (e *Engine) checkOverdue(us *unitState, now time.Time) {
	if us.overdue || len(us.due) == 0 {
		return
	}
	prm := e.params(us.sector, now.UnixNano())
	if !now.After(us.due[0].Add(prm.CheckInGrace)) {
		return
	}
	us.overdue = true
	u := us.u
	at := ""
	if us.points[0] != "" {
		at = " at " + us.points[0]
	}
	l := e.g.locateOrLine(e.line, us.pos)
	f := finding{
		kind: borderwatch.AlertPatrolOverdue, sev: borderwatch.SeverityMedium, t: now, pos: us.pos, km: l.km,
		sector: us.sector, subject: u.ID + "@" + us.due[0].UTC().Format(time.RFC3339),
		label: e.agencyLabel(u.Agency, us.sector),
		msg: fmt.Sprintf("patrol %s overdue%s: check-in was due %s, %s late", u.ID, at,
			us.due[0].In(e.loc).Format("15:04"), now.Sub(us.due[0]).Round(time.Second)),
	}
	if a := e.raise(&f); a != nil {
		us.alert = *a
	}
}
