// Package live owns the in-memory live picture: the current tracks,
// friendly units, drones, alerts and sensor health, keyed by kind and id,
// and its fan-out to many viewers. Each viewer subscribes with a viewport
// and a releasability predicate and pulls coalesced, filtered batches at
// its own pace; a monotonically increasing sequence lets a reconnecting
// viewer resume from where it stopped.
//
// The package is pure: no I/O, no goroutines of its own. The caller that
// drives a Subscription (the web layer's stream handler) owns its loop.
package live

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/borderwatch/borderwatch"
)

// Kind is the kind of a record in the picture; it is also the JSON word the
// stream uses.
type Kind string

// Kinds of records.
const (
	KindTrack  Kind = "track"
	KindUnit   Kind = "unit"
	KindDrone  Kind = "drone"
	KindAlert  Kind = "alert"
	KindSensor Kind = "sensor"
)

// spatial reports whether records of this kind are filtered by a viewport.
// Alerts and sensor health are not: the alert queue and the health board
// show the whole border.
func (k Kind) spatial() bool { return k == KindTrack || k == KindUnit || k == KindDrone }

// Unit is a friendly unit's live state: a patrol, a QRF, a post.
type Unit struct {
	ID       string             `json:"id"`
	Name     string             `json:"name,omitempty"`
	Type     string             `json:"type,omitempty"` // "patrol", "qrf", "post", ...
	Position borderwatch.LatLon `json:"position"`
	Heading  float64            `json:"heading"`          // degrees from true north
	Speed    float64            `json:"speed"`            // m/s
	Status   string             `json:"status,omitempty"` // "available", "dispatched", "on_task", ...
	Sector   string             `json:"sector,omitempty"`
	Time     time.Time          `json:"time"`
	Label    borderwatch.Label  `json:"label"`
	Exercise bool               `json:"exercise,omitempty"`
}

// LinkState is the state of a drone's data link.
type LinkState string

// Link states.
const (
	LinkOK       LinkState = "ok"
	LinkDegraded LinkState = "degraded"
	LinkLost     LinkState = "lost"
)

// Drone is a drone's live state from its telemetry.
type Drone struct {
	ID       string             `json:"id"`
	Name     string             `json:"name,omitempty"`
	Position borderwatch.LatLon `json:"position"`
	Alt      float64            `json:"alt"`     // metres above the ellipsoid
	Heading  float64            `json:"heading"` // degrees from true north
	Speed    float64            `json:"speed"`   // m/s
	// Battery is the remaining charge, 0..1.
	Battery float64   `json:"battery"`
	Link    LinkState `json:"link"`
	Mode    string    `json:"mode,omitempty"` // "loiter", "guided", "rtl", ...
	// Target is where the drone is tasked to go, if anywhere.
	Target   *borderwatch.LatLon `json:"target,omitempty"`
	Time     time.Time           `json:"time"`
	Label    borderwatch.Label   `json:"label"`
	Exercise bool                `json:"exercise,omitempty"`
}

// Health is a sensor's health.
type Health string

// Sensor health values. Dark is a coverage hole.
const (
	HealthOK       Health = "ok"
	HealthDegraded Health = "degraded"
	HealthDark     Health = "dark"
)

// SensorStatus is a sensor's live health; the sensor itself (position,
// coverage) comes from the deployment.
type SensorStatus struct {
	ID      string            `json:"id"`
	Health  Health            `json:"health"`
	Message string            `json:"message,omitempty"`
	Time    time.Time         `json:"time"`
	Label   borderwatch.Label `json:"label"`
}

type key struct {
	kind Kind
	id   string
}

// entry is one immutable version of a record. Its JSON is encoded once,
// when it is put, so fan-out to N viewers costs no encoding.
type entry struct {
	key     key
	slot    *slot
	seq     uint64
	deleted bool
	// labelSince is the seq at which the record's label last changed
	// (0 if never: new records have no earlier label to compare).
	labelSince uint64
	pos        borderwatch.LatLon
	label      borderwatch.Label
	value      any    // Track, Alert, Unit, Drone, SensorStatus; nil when deleted
	upsert     []byte // {"op":"upsert","kind":...,"id":...,"data":...}
}

// slot is a record's stable identity across its versions: the change log
// and the viewers' sent sets hold slots, so the hot path hashes pointers,
// not (kind, id) strings, and keeps no superseded version alive.
type slot struct {
	key key
	cur *entry // the latest version; guarded by Picture.mu
}

type change struct {
	seq  uint64
	slot *slot
}

// Options tunes a Picture. The zero value is usable.
type Options struct {
	// Now gives the picture's epoch, which makes event ids from an earlier
	// process unresumable. Default time.Now.
	Now func() time.Time
	// LogSize is how many recent changes are kept for incremental
	// delivery (default 65536). A viewer that falls further behind is
	// resynchronised by a full scan, which is correct but costs O(records).
	LogSize int
	// MaxTombstones bounds how many deletions are remembered for resuming
	// viewers (default 16384). A viewer resuming from before the oldest
	// forgotten deletion gets a fresh snapshot.
	MaxTombstones int
}

// Picture is the live picture. All methods are safe for concurrent use.
type Picture struct {
	epoch    string
	logSize  uint64
	maxTombs int

	mu      sync.RWMutex
	seq     uint64
	items   map[key]*slot
	ring    []change
	tombs   []change // FIFO of deletions, oldest first
	horizon uint64   // deletions with seq <= horizon are forgotten
	changed chan struct{}
	handed  bool // changed was handed to a waiter since it was last closed
	subs    int
}

// New returns an empty picture.
func New(o Options) *Picture {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.LogSize <= 0 {
		o.LogSize = 1 << 16
	}
	if o.MaxTombstones <= 0 {
		o.MaxTombstones = 1 << 14
	}
	return &Picture{
		epoch:    strconv.FormatInt(o.Now().UnixNano(), 36),
		logSize:  uint64(o.LogSize),
		maxTombs: o.MaxTombstones,
		items:    make(map[key]*slot),
		ring:     make([]change, o.LogSize),
		changed:  make(chan struct{}),
	}
}

// Epoch identifies this picture instance in event ids.
func (p *Picture) Epoch() string { return p.epoch }

// appendJSONString appends s as a JSON string.
func appendJSONString(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c >= 0x7f {
			q, _ := json.Marshal(s) // rare: escapes or non-ASCII
			return append(dst, q...)
		}
	}
	dst = append(dst, '"')
	dst = append(dst, s...)
	return append(dst, '"')
}

// appendRemove appends {"op":"delete","kind":K,"id":I}.
func appendRemove(dst []byte, k key) []byte {
	dst = append(dst, `{"op":"delete","kind":"`...)
	dst = append(dst, k.kind...)
	dst = append(dst, `","id":`...)
	dst = appendJSONString(dst, k.id)
	return append(dst, '}')
}

func encodeUpsert(k key, data []byte) []byte {
	b := make([]byte, 0, 48+len(k.id)+len(data))
	b = append(b, `{"op":"upsert","kind":"`...)
	b = append(b, k.kind...)
	b = append(b, `","id":`...)
	b = appendJSONString(b, k.id)
	b = append(b, `,"data":`...)
	b = append(b, data...)
	return append(b, '}')
}

func newEntry(k key, pos borderwatch.LatLon, label borderwatch.Label, v any) (*entry, error) {
	if k.id == "" {
		return nil, borderwatch.Errorf(borderwatch.EINVALID, "live: %s without id", k.kind)
	}
	data, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("live: encode %s %s: %w", k.kind, k.id, err)
	}
	e := &entry{key: k, pos: pos, label: label, value: v}
	e.upsert = encodeUpsert(k, data)
	return e, nil
}

// commit stores entries (already encoded) under one lock and wakes waiters.
// The caller holds p.mu.
func (p *Picture) commitLocked(e *entry) {
	p.seq++
	e.seq = p.seq
	sl := p.items[e.key]
	if sl == nil {
		sl = &slot{key: e.key}
		p.items[e.key] = sl
	} else if prev := sl.cur; !sameLabel(prev.label, e.label) {
		e.labelSince = e.seq
	} else {
		e.labelSince = prev.labelSince
	}
	e.slot = sl
	sl.cur = e
	p.ring[p.seq%p.logSize] = change{seq: p.seq, slot: sl}
	if e.deleted {
		p.tombs = append(p.tombs, change{seq: p.seq, slot: sl})
		for len(p.tombs) > p.maxTombs {
			t := p.tombs[0]
			p.tombs = p.tombs[1:]
			if t.slot.cur.seq == t.seq && p.items[t.slot.key] == t.slot {
				delete(p.items, t.slot.key)
			}
			p.horizon = t.seq
		}
	}
}

func (p *Picture) signalLocked() {
	if p.handed {
		close(p.changed)
		p.changed = make(chan struct{})
		p.handed = false
	}
}

// changedChan returns a channel closed at the next change.
func (p *Picture) changedChan() <-chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.handed = true
	return p.changed
}

func (p *Picture) putEntries(es []*entry) {
	if len(es) == 0 {
		return
	}
	p.mu.Lock()
	for _, e := range es {
		p.commitLocked(e)
	}
	p.signalLocked()
	p.mu.Unlock()
}

func (p *Picture) remove(keys ...key) {
	p.mu.Lock()
	n := 0
	for _, k := range keys {
		sl := p.items[k]
		if sl == nil || sl.cur.deleted {
			continue
		}
		cur := sl.cur
		e := &entry{key: k, deleted: true, label: cur.label}
		p.commitLocked(e)
		n++
	}
	if n > 0 {
		p.signalLocked()
	}
	p.mu.Unlock()
}

// PutTracks stores tracks. Only confirmed and coasting tracks are shown:
// a track with any other status (tentative, deleted) is removed from the
// picture. Encoding happens before the lock is taken, once per track.
func (p *Picture) PutTracks(ts ...borderwatch.Track) error {
	es := make([]*entry, 0, len(ts))
	var gone []key
	for i := range ts {
		t := ts[i]
		k := key{KindTrack, t.ID}
		if t.Status != borderwatch.TrackConfirmed && t.Status != borderwatch.TrackCoasting {
			gone = append(gone, k)
			continue
		}
		e, err := newEntry(k, t.Position, t.Label, t)
		if err != nil {
			return err
		}
		es = append(es, e)
	}
	p.putEntries(es)
	if len(gone) > 0 {
		p.remove(gone...)
	}
	return nil
}

// DeleteTracks removes tracks by id; unknown ids are ignored.
func (p *Picture) DeleteTracks(ids ...string) { p.removeIDs(KindTrack, ids) }

// PutAlerts stores alerts. An alert that is dismissed or suppressed leaves
// the picture (the queue); open, acknowledged and incident alerts stay
// until DeleteAlerts.
func (p *Picture) PutAlerts(as ...borderwatch.Alert) error {
	es := make([]*entry, 0, len(as))
	var gone []key
	for i := range as {
		a := as[i]
		k := key{KindAlert, a.ID}
		if a.State == borderwatch.AlertDismissed || a.State == borderwatch.AlertSuppressed {
			gone = append(gone, k)
			continue
		}
		e, err := newEntry(k, a.Position, a.Label, a)
		if err != nil {
			return err
		}
		es = append(es, e)
	}
	p.putEntries(es)
	if len(gone) > 0 {
		p.remove(gone...)
	}
	return nil
}

// DeleteAlerts removes alerts by id.
func (p *Picture) DeleteAlerts(ids ...string) { p.removeIDs(KindAlert, ids) }

// PutUnits stores friendly units' live state.
func (p *Picture) PutUnits(us ...Unit) error {
	es := make([]*entry, 0, len(us))
	for i := range us {
		e, err := newEntry(key{KindUnit, us[i].ID}, us[i].Position, us[i].Label, us[i])
		if err != nil {
			return err
		}
		es = append(es, e)
	}
	p.putEntries(es)
	return nil
}

// DeleteUnits removes units by id.
func (p *Picture) DeleteUnits(ids ...string) { p.removeIDs(KindUnit, ids) }

// PutDrones stores drones' live state.
func (p *Picture) PutDrones(ds ...Drone) error {
	es := make([]*entry, 0, len(ds))
	for i := range ds {
		e, err := newEntry(key{KindDrone, ds[i].ID}, ds[i].Position, ds[i].Label, ds[i])
		if err != nil {
			return err
		}
		es = append(es, e)
	}
	p.putEntries(es)
	return nil
}

// DeleteDrones removes drones by id.
func (p *Picture) DeleteDrones(ids ...string) { p.removeIDs(KindDrone, ids) }

// PutSensors stores sensors' health.
func (p *Picture) PutSensors(ss ...SensorStatus) error {
	es := make([]*entry, 0, len(ss))
	for i := range ss {
		e, err := newEntry(key{KindSensor, ss[i].ID}, borderwatch.LatLon{}, ss[i].Label, ss[i])
		if err != nil {
			return err
		}
		es = append(es, e)
	}
	p.putEntries(es)
	return nil
}

func (p *Picture) removeIDs(k Kind, ids []string) {
	keys := make([]key, len(ids))
	for i, id := range ids {
		keys[i] = key{k, id}
	}
	p.remove(keys...)
}

// Stats is a snapshot of the picture's size, for metrics.
type Stats struct {
	Seq         uint64
	Records     map[Kind]int
	Tombstones  int
	Subscribers int
}

// Stats counts records by kind.
func (p *Picture) Stats() Stats {
	p.mu.RLock()
	defer p.mu.RUnlock()
	s := Stats{Seq: p.seq, Records: make(map[Kind]int), Tombstones: len(p.tombs), Subscribers: p.subs}
	for _, sl := range p.items {
		if !sl.cur.deleted {
			s.Records[sl.key.kind]++
		}
	}
	return s
}

func sameLabel(a, b borderwatch.Label) bool {
	return a.Owner == b.Owner && a.Handling == b.Handling && slices.Equal(a.ReleasableTo, b.ReleasableTo)
}
