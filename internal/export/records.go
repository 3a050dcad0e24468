package export

import (
	"sort"
	"strings"
	"time"

	"github.com/borderwatch/borderwatch"
)

// Kinds of record features.
const (
	KindTrack    = "track"
	KindAlert    = "alert"
	KindIncident = "incident"
)

// exerciseName prefixes the name of exercise records.
func exerciseName(name string, exercise bool) string {
	if exercise {
		return "EXERCISE " + name
	}
	return name
}

func labelProps(p map[string]any, l borderwatch.Label, exercise bool) {
	p["owner"] = string(l.Owner)
	rel := make([]string, len(l.ReleasableTo))
	for i, a := range l.ReleasableTo {
		rel[i] = string(a)
	}
	p["releasable_to"] = strings.Join(rel, " ")
	if l.Handling != "" {
		p["handling"] = l.Handling
	}
	p["exercise"] = exercise
}

// Tracks turns track states (any order, any number of tracks) into one
// feature per track: its trail as a LineString in time order (a Point for
// a single state), with the class, affiliation and sector of its latest
// state, its first and last times and its number of states.
func Tracks(states []borderwatch.Track) []Feature {
	byID := map[string][]borderwatch.Track{}
	var ids []string
	for _, t := range states {
		if _, ok := byID[t.ID]; !ok {
			ids = append(ids, t.ID)
		}
		byID[t.ID] = append(byID[t.ID], t)
	}
	sort.Strings(ids)
	out := make([]Feature, 0, len(ids))
	for _, id := range ids {
		ts := byID[id]
		sort.SliceStable(ts, func(i, j int) bool { return ts[i].Time.Before(ts[j].Time) })
		last := ts[len(ts)-1]
		g := Geometry{Type: LineString}
		for _, t := range ts {
			g.Coords = append(g.Coords, t.Position)
		}
		if len(g.Coords) == 1 {
			g.Type = Point
		}
		props := map[string]any{
			"class": string(last.Class), "affiliation": string(last.Affiliation), "sector": last.Sector,
			"status": string(last.Status), "first_time": ts[0].Time.UTC().Format(time.RFC3339Nano),
			"last_time": last.Time.UTC().Format(time.RFC3339Nano), "states": len(ts),
			"chainage_km": last.Chainage, "unit_id": last.UnitID,
		}
		labelProps(props, last.Label, last.Exercise)
		out = append(out, Feature{Kind: KindTrack, ID: id, Name: exerciseName(id, last.Exercise), Geometry: g, Props: props})
	}
	return out
}

// Alerts turns alerts into point features.
func Alerts(as []borderwatch.Alert) []Feature {
	out := make([]Feature, 0, len(as))
	for _, a := range as {
		props := map[string]any{
			"alert_kind": string(a.Kind), "severity": string(a.Severity), "state": string(a.State),
			"time": a.Time.UTC().Format(time.RFC3339Nano), "sector": a.Sector, "chainage_km": a.Chainage,
			"direction": a.Direction, "message": a.Message, "incident_id": a.IncidentID,
			"track_ids": strings.Join(a.TrackIDs, " "), "source_ids": strings.Join(a.SourceIDs, " "),
		}
		labelProps(props, a.Label, a.Exercise)
		out = append(out, Feature{Kind: KindAlert, ID: a.ID, Name: exerciseName(string(a.Kind)+" "+a.ID, a.Exercise),
			Geometry: Geometry{Type: Point, Coords: []borderwatch.LatLon{a.Position}}, Props: props})
	}
	return out
}

// Incidents turns incidents into point features with their outcome and
// response times.
func Incidents(is []borderwatch.Incident) []Feature {
	out := make([]Feature, 0, len(is))
	for _, in := range is {
		props := map[string]any{
			"incident_kind": string(in.Kind), "severity": string(in.Severity), "state": string(in.State),
			"sector": in.Sector, "chainage_km": in.Chainage, "title": in.Title,
			"alert_ids": strings.Join(in.AlertIDs, " "), "units": strings.Join(in.Units, " "),
			"timeline_steps": len(in.Timeline),
		}
		if o := in.Outcome; o != nil {
			props["outcome"] = string(o.Kind)
			props["persons"] = o.Persons
			props["seizure_value_usd"] = o.SeizureValueUSD()
		}
		labelProps(props, in.Label, in.Exercise)
		out = append(out, Feature{Kind: KindIncident, ID: in.ID, Name: exerciseName(in.Title, in.Exercise),
			Geometry: Geometry{Type: Point, Coords: []borderwatch.LatLon{in.Position}}, Props: props})
	}
	return out
}
