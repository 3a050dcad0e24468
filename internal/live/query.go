package live

import (
	"cmp"
	"slices"

	"github.com/borderwatch/borderwatch"
)

// BBox is a viewport in degrees: west, south, east, north. It does not
// wrap the antimeridian (no border in scope needs it).
type BBox struct {
	W, S, E, N float64
}

// Contains reports whether p lies inside the box, edges included.
func (b BBox) Contains(p borderwatch.LatLon) bool {
	return p.Lon >= b.W && p.Lon <= b.E && p.Lat >= b.S && p.Lat <= b.N
}

// Valid reports whether the box is well formed.
func (b BBox) Valid() bool {
	return b.W <= b.E && b.S <= b.N && b.W >= -180 && b.E <= 180 && b.S >= -90 && b.N <= 90
}

// Filter selects what a viewer may and wants to see.
type Filter struct {
	// BBox limits tracks, units and drones to a viewport; nil means
	// everywhere. Alerts and sensor health are never limited by it.
	BBox *BBox
	// Allow is the releasability policy for this viewer; nil allows all.
	Allow func(borderwatch.Label) bool
	// Policy names Allow (e.g. the viewer's agency) so that a stream
	// resumes only under the same policy. Queries ignore it.
	Policy string
}

func (f *Filter) visible(e *entry) bool {
	if e.deleted {
		return false
	}
	if f.Allow != nil && !f.Allow(e.label) {
		return false
	}
	if f.BBox != nil && e.key.kind.spatial() && !f.BBox.Contains(e.pos) {
		return false
	}
	return true
}

func collect[T any](p *Picture, k Kind, f Filter) []T {
	p.mu.RLock()
	es := make([]*entry, 0, 64)
	for _, sl := range p.items {
		if e := sl.cur; e.key.kind == k && !e.deleted {
			es = append(es, e)
		}
	}
	p.mu.RUnlock()
	out := make([]T, 0, len(es))
	for _, e := range es {
		if f.visible(e) {
			out = append(out, e.value.(T))
		}
	}
	return out
}

// Tracks returns the visible tracks ordered by id.
func (p *Picture) Tracks(f Filter) []borderwatch.Track {
	ts := collect[borderwatch.Track](p, KindTrack, f)
	slices.SortFunc(ts, func(a, b borderwatch.Track) int { return cmp.Compare(a.ID, b.ID) })
	return ts
}

// Alerts returns the visible alerts in queue order: most severe first,
// then oldest first, then by id.
func (p *Picture) Alerts(f Filter) []borderwatch.Alert {
	as := collect[borderwatch.Alert](p, KindAlert, f)
	slices.SortFunc(as, func(a, b borderwatch.Alert) int {
		if c := cmp.Compare(b.Severity.Rank(), a.Severity.Rank()); c != 0 {
			return c
		}
		if c := a.Time.Compare(b.Time); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	return as
}

// Units returns the visible units ordered by id.
func (p *Picture) Units(f Filter) []Unit {
	us := collect[Unit](p, KindUnit, f)
	slices.SortFunc(us, func(a, b Unit) int { return cmp.Compare(a.ID, b.ID) })
	return us
}

// Drones returns the visible drones ordered by id.
func (p *Picture) Drones(f Filter) []Drone {
	ds := collect[Drone](p, KindDrone, f)
	slices.SortFunc(ds, func(a, b Drone) int { return cmp.Compare(a.ID, b.ID) })
	return ds
}

// Sensors returns the visible sensor health records ordered by id.
func (p *Picture) Sensors(f Filter) []SensorStatus {
	ss := collect[SensorStatus](p, KindSensor, f)
	slices.SortFunc(ss, func(a, b SensorStatus) int { return cmp.Compare(a.ID, b.ID) })
	return ss
}

// Alert returns one alert by id, whatever its visibility.
func (p *Picture) Alert(id string) (borderwatch.Alert, bool) {
	p.mu.RLock()
	var e *entry
	if sl := p.items[key{KindAlert, id}]; sl != nil {
		e = sl.cur
	}
	p.mu.RUnlock()
	if e == nil || e.deleted {
		return borderwatch.Alert{}, false
	}
	return e.value.(borderwatch.Alert), true
}

// Track returns one track by id, whatever its visibility.
func (p *Picture) Track(id string) (borderwatch.Track, bool) {
	p.mu.RLock()
	var e *entry
	if sl := p.items[key{KindTrack, id}]; sl != nil {
		e = sl.cur
	}
	p.mu.RUnlock()
	if e == nil || e.deleted {
		return borderwatch.Track{}, false
	}
	return e.value.(borderwatch.Track), true
}
