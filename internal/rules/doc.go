// Package rules owns alerting: the rules that turn track updates, sensor
// and drone health, fence breaches, drone batteries and patrol check-ins
// into alerts, and the false-alarm control between a rule firing and an
// operator's queue (friendly tracks never alarm, correlation of several
// sensors' findings of one event into one alert, class- and season-aware
// suppression recorded for review, escalation on independent confirmation,
// per-sensor rate limits).
//
// Rules: crossing of the border line outside an open crossing (critical,
// with chainage and direction); approach of an unknown track heading for
// the line (with predicted contact point and time); loitering at a
// barrier; a barrier breach; movement at a closed crossing (hours and
// status may change at run time); a sensor or drone gone dark, with the
// border km it blinds; drone low battery; patrol overdue at a check-in;
// geofences on deployment zones (enter, exit, inside, cross, dwell).
// Thresholds are per sector and per time of day (night by sun elevation or
// configured hours).
//
// The package is pure: no I/O, no clocks, no goroutines; time comes in
// with the inputs, and the same inputs give the same events and ids. The
// hot path (a track update that fires nothing) does not allocate; a
// uniform grid over the border region holds the candidate border segments,
// barriers, crossings and zones of each cell.
package rules
