package rules

import (
	"math"
	"slices"
	"testing"
	"time"

	"github.com/borderwatch/borderwatch"
)

// walk feeds a track from one point to another in n steps of dt.
func walk(e *Engine, id string, from, to borderwatch.LatLon, t0 time.Time, n int, dt time.Duration, opts ...trackOpt) (collect, time.Time) {
	var c collect
	tm := t0
	for i := 0; i <= n; i++ {
		f := float64(i) / float64(n)
		p := borderwatch.LatLon{Lat: from.Lat + f*(to.Lat-from.Lat), Lon: from.Lon + f*(to.Lon-from.Lon)}
		c.add(e.Track(track(id, p, tm, opts...)))
		if i < n {
			tm = tm.Add(dt)
		}
	}
	return c, tm
}

func TestLineCrossing(t *testing.T) {
	tests := []struct {
		name      string
		km        float64
		fromOff   float64 // metres right (Syria) of the line; negative = Iraq
		toOff     float64
		when      time.Time
		opts      []trackOpt
		wantAlert bool
		wantDir   string
		wantSupp  SuppressionReason
		wantLegal uint64
	}{
		{name: "into iraq by day", km: 12, fromOff: 200, toOff: -200, when: day, wantAlert: true, wantDir: "into_iraq"},
		{name: "into syria at night", km: 70, fromOff: -200, toOff: 200, when: night, wantAlert: true, wantDir: "into_syria"},
		{name: "at the bend vertex", km: 55.6, fromOff: 300, toOff: -300, when: day, wantAlert: true, wantDir: "into_iraq"},
		{name: "friendly patrol never alarms", km: 12, fromOff: -200, toOff: 200, when: day, opts: []trackOpt{friend("p1")}, wantSupp: SuppressFriendly},
		{name: "open crossing in its hours", km: 20.2, fromOff: 100, toOff: -100, when: day, wantLegal: 1},
		{name: "open crossing after hours", km: 20.2, fromOff: 100, toOff: -100, when: night, wantAlert: true, wantDir: "into_iraq"},
		{name: "crossing open across midnight at 01:00", km: 80.1, fromOff: 100, toOff: -100, when: night, wantLegal: 1},
		{name: "crossing open across midnight at noon", km: 80.1, fromOff: 100, toOff: -100, when: day, wantAlert: true, wantDir: "into_iraq"},
		{name: "crossing open across midnight at 05:59", km: 80.1, fromOff: 100, toOff: -100, when: time.Date(2025, 6, 16, 5, 58, 0, 0, baghdad), wantLegal: 1},
		{name: "crossing open across midnight at 06:01", km: 80.1, fromOff: 100, toOff: -100, when: time.Date(2025, 6, 16, 6, 1, 0, 0, baghdad), wantAlert: true, wantDir: "into_iraq"},
		{name: "closed crossing", km: 40.1, fromOff: 100, toOff: -100, when: day, wantAlert: true, wantDir: "into_iraq"},
		{name: "no crossing", km: 12, fromOff: 500, toOff: 100, when: day},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, l := newEngine(t, Options{})
			c, _ := walk(e, "T1", at(l, tt.km, tt.fromOff), at(l, tt.km, tt.toOff), tt.when, 8, 5*time.Second, append([]trackOpt{vel(0, 0)}, tt.opts...)...)
			crossings := 0
			for _, ev := range c.of(EventRaised) {
				if ev.Alert.Kind != borderwatch.AlertCrossing {
					continue
				}
				crossings++
				a := ev.Alert
				if a.Severity != borderwatch.SeverityCritical || a.Direction != tt.wantDir || math.Abs(a.Chainage-tt.km) > 0.05 {
					t.Errorf("alert = %s %s km %.3f, want critical %s km %.1f", a.Severity, a.Direction, a.Chainage, tt.wantDir, tt.km)
				}
				if !slices.Equal(a.TrackIDs, []string{"T1"}) || a.State != borderwatch.AlertOpen || a.ID == "" || a.Label.Owner != "ibg" {
					t.Errorf("alert = %+v", a)
				}
			}
			if want := map[bool]int{true: 1}[tt.wantAlert]; crossings != want {
				t.Fatalf("crossing alerts = %d, want %d; events %v", crossings, want, c.kinds())
			}
			if sup := c.of(EventSuppressed); tt.wantSupp != "" {
				if len(sup) != 1 || sup[0].Suppression.Reason != tt.wantSupp || sup[0].Alert.State != borderwatch.AlertSuppressed {
					t.Fatalf("suppressions = %+v, want one %s", sup, tt.wantSupp)
				}
			}
			if got := e.Stats().LegalCrossings; got != tt.wantLegal {
				t.Errorf("legal crossings = %d, want %d", got, tt.wantLegal)
			}
		})
	}
}

func TestTentativeCrossing(t *testing.T) {
	for _, tt := range []struct {
		name    string
		confirm bool
		want    int
	}{{"raised on confirmation", true, 1}, {"dropped when deleted", false, 0}} {
		t.Run(tt.name, func(t *testing.T) {
			e, l := newEngine(t, Options{})
			c, tm := walk(e, "T1", at(l, 12, 200), at(l, 12, -200), day, 4, 5*time.Second, status(borderwatch.TrackTentative))
			if len(c.of(EventRaised)) != 0 {
				t.Fatalf("tentative track raised %v", c.kinds())
			}
			st := borderwatch.TrackDeleted
			if tt.confirm {
				st = borderwatch.TrackConfirmed
			}
			c.add(e.Track(track("T1", at(l, 12, -250), tm.Add(5*time.Second), status(st))))
			c.add(e.Track(track("T1", at(l, 12, -300), tm.Add(10*time.Second))))
			if got := len(c.of(EventRaised)); got != tt.want {
				t.Fatalf("raised %d, want %d: %v", got, tt.want, c.kinds())
			}
		})
	}
}

func TestApproach(t *testing.T) {
	tests := []struct {
		name   string
		when   time.Time
		km     float64
		offM   float64 // start offset, metres right (Syria)
		east   float64 // velocity east m/s (towards the line from the Syrian side)
		north  float64
		aff    borderwatch.Affiliation
		want   EventType
		wantKm float64
	}{
		{name: "2.5 km heading east by day", when: day, km: 70, offM: 2500, east: 1.5, aff: borderwatch.AffUnknown, want: EventRaised, wantKm: 70},
		{name: "4 km by day is outside the day radius", when: day, km: 70, offM: 4000, east: 1.5, aff: borderwatch.AffUnknown},
		{name: "4 km at night is inside the night radius", when: night, km: 70, offM: 4000, east: 1.5, aff: borderwatch.AffUnknown, want: EventRaised, wantKm: 70},
		{name: "moving along the line", when: day, km: 70, offM: 2000, north: 1.5, aff: borderwatch.AffUnknown},
		{name: "moving away", when: day, km: 70, offM: 2000, east: -1.5, aff: borderwatch.AffUnknown},
		{name: "neutral", when: day, km: 70, offM: 2000, east: 1.5, aff: borderwatch.AffNeutral},
		{name: "suspect", when: day, km: 70, offM: 2000, east: 1.5, aff: borderwatch.AffSuspect, want: EventRaised, wantKm: 70},
		{name: "heading for an open crossing", when: day, km: 20, offM: 1800, east: 1.5, aff: borderwatch.AffUnknown, want: EventSuppressed, wantKm: 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, l := newEngine(t, Options{})
			p := at(l, tt.km, tt.offM)
			var c collect
			for i := 0; i < 3; i++ {
				c.add(e.Track(track("A1", p, tt.when.Add(time.Duration(i)*time.Second), vel(tt.east, tt.north), aff(tt.aff))))
			}
			var got []Event
			for _, ev := range c {
				if ev.Alert.Kind == borderwatch.AlertApproach {
					got = append(got, ev)
				}
			}
			if tt.want == "" {
				if len(got) != 0 {
					t.Fatalf("events %v, want none", c.kinds())
				}
				return
			}
			if len(got) != 1 || got[0].Type != tt.want {
				t.Fatalf("events %v, want one %s", c.kinds(), tt.want)
			}
			ev := got[0]
			// Moving due east meets the slanted line a little off the
			// perpendicular foot: allow 10 % of the distance.
			if ev.Contact == nil || math.Abs(ev.Contact.Chainage-tt.wantKm) > 0.1*tt.offM/1000+0.05 {
				t.Fatalf("contact = %+v, want km %.1f", ev.Contact, tt.wantKm)
			}
			wantTTC := tt.offM / tt.east
			if ttc := ev.Contact.Time.Sub(tt.when).Seconds(); math.Abs(ttc-wantTTC) > 0.02*wantTTC {
				t.Errorf("time to contact %.0f s, want ≈%.0f s", ttc, wantTTC)
			}
			if ev.Alert.Severity != borderwatch.SeverityMedium || ev.Alert.Direction != "into_iraq" {
				t.Errorf("alert = %s %s", ev.Alert.Severity, ev.Alert.Direction)
			}
		})
	}
}

func TestApproachUsesTrackerContact(t *testing.T) {
	e, l := newEngine(t, Options{})
	tr := track("A1", at(l, 70, 2000), day, vel(1.5, 0))
	tr.Contact = &borderwatch.BorderContact{Chainage: 70.3, Point: l.PointAt(70.3), Time: day.Add(22 * time.Minute)}
	evs := e.Track(tr)
	if len(evs) != 1 || evs[0].Contact.Chainage != 70.3 || !evs[0].Contact.Time.Equal(day.Add(22*time.Minute)) || evs[0].Alert.Chainage != 70.3 {
		t.Fatalf("events = %+v", evs)
	}
	tr.Contact.Chainage = 99 // the event's copy must not alias the track
	if evs[0].Contact.Chainage != 70.3 {
		t.Fatal("event contact aliases the track's")
	}
}

func TestLoiter(t *testing.T) {
	tests := []struct {
		name string
		when time.Time
		stay time.Duration
		offM float64
		want bool
	}{
		{"4 min by day", day, 4 * time.Minute, -100, false},
		{"5 min by day", day, 5 * time.Minute, -100, true},
		{"2 min at night", night, 2 * time.Minute, -100, true},
		{"far from the wall", night, 10 * time.Minute, -1000, false},
		{"beyond the wall's end", night, 10 * time.Minute, -150 + 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, l := newEngine(t, Options{})
			km := 30.0
			if tt.name == "beyond the wall's end" {
				km = 36.5
			}
			var c collect
			for d := time.Duration(0); d <= tt.stay; d += 10 * time.Second {
				c.add(e.Track(track("L1", at(l, km, tt.offM+float64(d/time.Second%3)), tt.when.Add(d), vel(0.05, 0))))
			}
			got := 0
			for _, ev := range c.of(EventRaised) {
				if ev.Alert.Kind == borderwatch.AlertLoiter {
					got++
				}
			}
			if want := map[bool]int{true: 1}[tt.want]; got != want {
				t.Fatalf("loiter alerts %d, want %d (%v)", got, want, c.kinds())
			}
		})
	}
}

func TestClosedCrossing(t *testing.T) {
	tests := []struct {
		name  string
		km    float64
		when  time.Time
		speed float64
		set   func(*Engine) error
		want  bool
	}{
		{name: "moving at a closed crossing", km: 40, when: day, speed: 1.2, want: true},
		{name: "parked at a closed crossing", km: 40, when: day, speed: 0},
		{name: "open crossing in hours", km: 20, when: day, speed: 1.2},
		{name: "open crossing out of hours", km: 20, when: night, speed: 1.2, want: true},
		{name: "night crossing at 01:00 (open across midnight)", km: 80, when: night, speed: 1.2},
		{name: "night crossing at noon", km: 80, when: day, speed: 1.2, want: true},
		{name: "closed at run time", km: 20, when: day, speed: 1.2, want: true,
			set: func(e *Engine) error { return e.SetCrossing("x-day", borderwatch.CrossingClosed, "") }},
		{name: "opened at run time", km: 40, when: day, speed: 1.2,
			set: func(e *Engine) error { return e.SetCrossing("x-closed", borderwatch.CrossingOpen, "24h") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, l := newEngine(t, Options{})
			// Warm the crossing's open-state cache before a run-time change.
			e.Track(track("W", at(l, tt.km, -600), tt.when, vel(0, 0)))
			if tt.set != nil {
				if err := tt.set(e); err != nil {
					t.Fatal(err)
				}
			}
			c, _ := walk(e, "C1", at(l, tt.km, -900), at(l, tt.km, -700), tt.when.Add(time.Second), 3, time.Second, vel(tt.speed, 0))
			got := 0
			for _, ev := range c.of(EventRaised) {
				if ev.Alert.Kind == borderwatch.AlertClosedCrossing {
					got++
				}
			}
			if want := map[bool]int{true: 1}[tt.want]; got != want {
				t.Fatalf("closed-crossing alerts %d, want %d (%v)", got, want, c.kinds())
			}
		})
	}
	e, _ := newEngine(t, Options{})
	for _, bad := range []struct {
		id, hours string
		st        borderwatch.CrossingStatus
		code      borderwatch.ErrorCode
	}{{"nope", "24h", borderwatch.CrossingOpen, borderwatch.ENOTFOUND}, {"x-day", "25:00-26:00", borderwatch.CrossingOpen, borderwatch.EINVALID}, {"x-day", "", "ajar", borderwatch.EINVALID}} {
		if err := e.SetCrossing(bad.id, bad.st, bad.hours); borderwatch.ErrorCodeOf(err) != bad.code {
			t.Errorf("SetCrossing(%s, %s, %q) = %v, want code %s", bad.id, bad.st, bad.hours, err, bad.code)
		}
	}
}

// Three cameras (two on one tower, one on another) each see one crosser
// and the tracker did not fuse them: one alert, three tracks, three
// sources.
func TestCorrelateThreeCameras(t *testing.T) {
	e, l := newEngine(t, Options{})
	var c collect
	for i, cam := range []string{"cam-a", "cam-b", "cam-c"} {
		id := "T-" + cam
		off := float64(i) * 30 // metres apart along the line
		t0 := day.Add(time.Duration(i) * 3 * time.Second)
		c.add(e.Track(track(id, at(l, 12+off/1000, 150), t0, sources(cam))))
		c.add(e.Track(track(id, at(l, 12+off/1000, -150), t0.Add(4*time.Second), sources(cam))))
	}
	raised := c.of(EventRaised)
	if len(raised) != 1 {
		t.Fatalf("raised %d alerts, want 1: %v", len(raised), c.kinds())
	}
	last := c[len(c)-1].Alert
	if last.ID != raised[0].Alert.ID {
		t.Fatalf("last event is for %s, want %s", last.ID, raised[0].Alert.ID)
	}
	if len(last.TrackIDs) != 3 || len(last.SourceIDs) != 3 || last.Severity != borderwatch.SeverityCritical {
		t.Fatalf("alert = %+v", last)
	}
	if s := e.Stats(); s.Raised != 1 || s.Correlated != 2 {
		t.Fatalf("stats = %+v", s)
	}
}

// Escalation: a second source on the same tower is not independent; one
// on another tower is.
func TestEscalation(t *testing.T) {
	e, l := newEngine(t, Options{})
	var c collect
	c.add(e.Track(track("A", at(l, 12, 2000), day, vel(1.5, 0), sources("cam-a"))))
	c.add(e.Track(track("B", at(l, 12.1, 2000), day.Add(5*time.Second), vel(1.5, 0), sources("cam-b"))))
	c.add(e.Track(track("C", at(l, 12.2, 2000), day.Add(10*time.Second), vel(1.5, 0), sources("cam-c"))))
	if got := c.kinds(); !slices.Equal(got, []string{"raised:approach", "updated:approach", "escalated:approach"}) {
		t.Fatalf("events %v", got)
	}
	if c[0].Alert.Severity != borderwatch.SeverityMedium || c[1].Alert.Severity != borderwatch.SeverityMedium || c[2].Alert.Severity != borderwatch.SeverityHigh {
		t.Fatalf("severities %s %s %s", c[0].Alert.Severity, c[1].Alert.Severity, c[2].Alert.Severity)
	}
	// A fused track already seen by two independent sensors starts
	// escalated.
	e2, _ := newEngine(t, Options{})
	evs := e2.Track(track("F", at(l, 12, 2000), day, vel(1.5, 0), sources("cam-a", "cam-c")))
	if len(evs) != 1 || evs[0].Alert.Severity != borderwatch.SeverityHigh {
		t.Fatalf("events %+v", evs)
	}
	// Outside the window a new alert is raised.
	c = nil
	c.add(e.Track(track("D", at(l, 12.3, 2000), day.Add(10*time.Minute), vel(1.5, 0), sources("cam-c"))))
	if got := c.kinds(); !slices.Equal(got, []string{"raised:approach"}) {
		t.Fatalf("after the window: %v", got)
	}
}

// A fence breach and a camera's crossing of one event: one alert, escalated
// from high to critical with both sources.
func TestBreachCorrelatesWithCrossing(t *testing.T) {
	e, l := newEngine(t, Options{})
	var c collect
	c.add(e.Breach(Breach{SensorID: "fence-1", Time: day}))
	c.add(e.Track(track("X", at(l, 30.1, 100), day.Add(20*time.Second), sources("cam-far"))))
	c.add(e.Track(track("X", at(l, 30.1, -100), day.Add(30*time.Second), sources("cam-far"))))
	if got := c.kinds(); !slices.Equal(got, []string{"raised:breach", "escalated:breach"}) {
		t.Fatalf("events %v", got)
	}
	a := c[1].Alert
	if a.Severity != borderwatch.SeverityCritical || !slices.Equal(a.SourceIDs, []string{"fence-1", "cam-far"}) || a.Direction != "into_iraq" {
		t.Fatalf("alert = %+v", a)
	}
	if c[0].Alert.Severity != borderwatch.SeverityHigh || math.Abs(c[0].Alert.Chainage-30) > 0.05 {
		t.Fatalf("breach = %+v", c[0].Alert)
	}
}

func TestAnimalSuppression(t *testing.T) {
	herd := []HerdingArea{{ID: "herd-north", Name: "north grazing", FromKm: 0, ToKm: 50, MaxOffsetM: 5000, Months: []time.Month{time.April, time.May}}}
	tests := []struct {
		name    string
		when    time.Time
		cls     borderwatch.Class
		km      float64
		want    EventType
		wantSev borderwatch.Severity
	}{
		{"animal in herding area in season", time.Date(2025, 5, 10, 12, 0, 0, 0, baghdad), borderwatch.ClassAnimal, 12, EventSuppressed, ""},
		{"animal in herding area out of season", time.Date(2025, 8, 10, 12, 0, 0, 0, baghdad), borderwatch.ClassAnimal, 12, EventRaised, borderwatch.SeverityLow},
		{"animal outside the herding area", time.Date(2025, 5, 10, 12, 0, 0, 0, baghdad), borderwatch.ClassAnimal, 70, EventRaised, borderwatch.SeverityLow},
		{"person in herding area in season", time.Date(2025, 5, 10, 12, 0, 0, 0, baghdad), borderwatch.ClassPerson, 12, EventRaised, borderwatch.SeverityCritical},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, l := newEngine(t, Options{Herding: herd})
			c, _ := walk(e, "H1", at(l, tt.km, 150), at(l, tt.km, -150), tt.when, 4, 5*time.Second, class(tt.cls))
			if len(c) != 1 || c[0].Type != tt.want {
				t.Fatalf("events %v, want one %s", c.kinds(), tt.want)
			}
			if tt.want == EventSuppressed {
				s := c[0].Suppression
				if s.Reason != SuppressHerding || s.Rule != "herd-north" || s.Alert.Kind != borderwatch.AlertCrossing || s.ID == "" {
					t.Fatalf("suppression = %+v", s)
				}
				if e.Stats().SuppressedBy[SuppressHerding] != 1 {
					t.Fatalf("stats = %+v", e.Stats())
				}
				return
			}
			if c[0].Alert.Severity != tt.wantSev {
				t.Fatalf("severity %s, want %s", c[0].Alert.Severity, tt.wantSev)
			}
		})
	}
}

func TestRateLimit(t *testing.T) {
	e, l := newEngine(t, Options{RateLimit: RateLimit{PerMinute: 2, Burst: 2}})
	var c collect
	// Breaches 2 km apart (not correlated) from one noisy fence sensor.
	for i, dt := range []time.Duration{0, 1 * time.Second, 2 * time.Second, 40 * time.Second} {
		p := at(l, 26+2*float64(i), -150)
		c.add(e.Breach(Breach{SensorID: "fence-1", Time: day.Add(dt), Position: &p}))
	}
	if got := c.kinds(); !slices.Equal(got, []string{"raised:breach", "raised:breach", "suppressed:breach", "raised:breach"}) {
		t.Fatalf("events %v", got)
	}
	if s := c[2].Suppression; s.Reason != SuppressRateLimit || s.Rule != "fence-1" {
		t.Fatalf("suppression %+v", s)
	}
	// Critical crossings are not limited by default.
	e2, _ := newEngine(t, Options{RateLimit: RateLimit{PerMinute: 1, Burst: 1}})
	c = nil
	for i := 0; i < 3; i++ {
		km := 60 + 3*float64(i)
		c1, _ := walk(e2, "R"+string(rune('0'+i)), at(l, km, 100), at(l, km, -100), day.Add(time.Duration(i)*time.Second), 1, time.Second, sources("cam-far"))
		c = append(c, c1...)
	}
	if got := len(c.of(EventRaised)); got != 3 {
		t.Fatalf("critical alerts raised %d, want 3: %v", got, c.kinds())
	}
	e3, _ := newEngine(t, Options{RateLimit: RateLimit{PerMinute: 1, Burst: 1, LimitCritical: true}})
	c = nil
	for i := 0; i < 3; i++ {
		km := 60 + 3*float64(i)
		c1, _ := walk(e3, "R"+string(rune('0'+i)), at(l, km, 100), at(l, km, -100), day.Add(time.Duration(i)*time.Second), 1, time.Second, sources("cam-far"))
		c = append(c, c1...)
	}
	if got := len(c.of(EventRaised)); got != 1 {
		t.Fatalf("with LimitCritical raised %d, want 1: %v", got, c.kinds())
	}
}

func TestSensorDark(t *testing.T) {
	t.Run("silence", func(t *testing.T) {
		e, _ := newEngine(t, Options{})
		var c collect
		c.add(e.Heartbeat("cam-c", day))
		c.add(e.Tick(day.Add(80 * time.Second))) // day timeout 90 s
		if len(c) != 0 {
			t.Fatalf("early: %v", c.kinds())
		}
		c.add(e.Tick(day.Add(91 * time.Second)))
		if len(c) != 1 || c[0].Alert.Kind != borderwatch.AlertSensorDark || c[0].Coverage == nil {
			t.Fatalf("events %v", c.kinds())
		}
		cov := c[0].Coverage
		// cam-c sits at km 13, 900 m inside Iraq, looking west with a 90°
		// field of view: it sees ±900 m of line around km 13.
		if b := cov.Blinded; len(b) != 1 || b[0].FromKm > 13 || b[0].ToKm < 13 || b[0].ToKm-b[0].FromKm < 1.6 || b[0].ToKm-b[0].FromKm > 2 {
			t.Fatalf("blinded %v", cov.Blinded)
		}
		// cam-a and cam-b (tower-1 at km 12) still cover the south part; they
		// never reported, but in seen mode they are not known dead either.
		if len(cov.Uncovered) == 0 || cov.Uncovered[0].FromKm < cov.Blinded[0].FromKm {
			t.Fatalf("uncovered %v of %v", cov.Uncovered, cov.Blinded)
		}
		if c[0].Alert.Severity != borderwatch.SeverityHigh {
			t.Fatalf("severity %s with a hole", c[0].Alert.Severity)
		}
		c.add(e.Tick(day.Add(200 * time.Second)))
		if len(c) != 1 {
			t.Fatalf("dark twice: %v", c.kinds())
		}
		c.add(e.Heartbeat("cam-c", day.Add(300*time.Second)))
		if len(c) != 2 || c[1].Type != EventCleared || c[1].Alert.ID != c[0].Alert.ID {
			t.Fatalf("events %v", c.kinds())
		}
	})
	t.Run("reported failed", func(t *testing.T) {
		e, _ := newEngine(t, Options{})
		evs := e.Health(Health{SourceID: "cam-far", Time: night, OK: false, Reason: "power lost"})
		if len(evs) != 1 || evs[0].Alert.Kind != borderwatch.AlertSensorDark || len(evs[0].Coverage.Uncovered) == 0 {
			t.Fatalf("events %+v", evs)
		}
	})
	t.Run("monitor all", func(t *testing.T) {
		e, _ := newEngine(t, Options{Monitor: MonitorAll})
		e.Tick(day)
		for _, id := range []string{"cam-a", "cam-b", "cam-c", "cam-far"} {
			e.Heartbeat(id, day.Add(30*time.Second))
		}
		evs := e.Tick(day.Add(91 * time.Second))
		if len(evs) != 1 || !slices.Equal(evs[0].Alert.SourceIDs, []string{"fence-1"}) {
			t.Fatalf("events %+v", evs)
		}
	})
	t.Run("drone", func(t *testing.T) {
		e, l := newEngine(t, Options{})
		p := at(l, 50, 200)
		e.Health(Health{SourceID: "uav-1", Time: day, OK: true, Position: &p})
		evs := e.Tick(day.Add(2 * time.Minute))
		if len(evs) != 1 || len(evs[0].Coverage.Blinded) != 1 || math.Abs(evs[0].Alert.Chainage-50) > 0.1 {
			t.Fatalf("events %+v", evs)
		}
	})
	t.Run("unknown", func(t *testing.T) {
		e, _ := newEngine(t, Options{})
		if evs := e.Heartbeat("phone-123", day); len(evs) != 0 || e.Stats().UnknownSources != 1 {
			t.Fatal("unknown source")
		}
	})
}

func TestLowBattery(t *testing.T) {
	e, _ := newEngine(t, Options{})
	var c collect
	for i, pct := range []float64{60, 26, 24, 20, 11, 30, 40} {
		c.add(e.Battery("uav-1", pct, day.Add(time.Duration(i)*time.Minute), nil))
	}
	if got := c.kinds(); !slices.Equal(got, []string{"raised:low_battery", "cleared:low_battery"}) {
		t.Fatalf("events %v", got)
	}
	if c[0].Alert.Severity != borderwatch.SeverityLow {
		t.Fatalf("severity %s", c[0].Alert.Severity)
	}
	e2, _ := newEngine(t, Options{})
	if evs := e2.Battery("uav-1", 10, night, nil); len(evs) != 1 || evs[0].Alert.Severity != borderwatch.SeverityMedium {
		t.Fatalf("night 10%%: %+v", evs)
	}
}

func TestPatrolOverdue(t *testing.T) {
	e, _ := newEngine(t, Options{Sectors: map[string]DayNight{"north": {Day: Params{CheckInInterval: time.Hour}}}})
	due := day.Add(time.Hour)
	if err := e.ExpectCheckIn("p1", due, "CP-7"); err != nil {
		t.Fatal(err)
	}
	if err := e.ExpectCheckIn("ghost", due, ""); borderwatch.ErrorCodeOf(err) != borderwatch.ENOTFOUND {
		t.Fatalf("unknown unit: %v", err)
	}
	var c collect
	c.add(e.Tick(due.Add(9 * time.Minute)))
	c.add(e.Tick(due.Add(11 * time.Minute)))
	c.add(e.Tick(due.Add(12 * time.Minute)))
	c.add(e.CheckIn("p1", due.Add(15*time.Minute)))
	if got := c.kinds(); !slices.Equal(got, []string{"raised:patrol_overdue", "cleared:patrol_overdue"}) {
		t.Fatalf("events %v", got)
	}
	// The interval expects the next check-in an hour later.
	c = nil
	c.add(e.Tick(due.Add(15*time.Minute + time.Hour + 11*time.Minute)))
	if got := c.kinds(); !slices.Equal(got, []string{"raised:patrol_overdue"}) {
		t.Fatalf("events %v", got)
	}
}

func TestZones(t *testing.T) {
	l := mustLine(t)
	inside, outside := at(l, 60, -5000), at(l, 60, -8000)
	west, east := at(l, 60, -3000), at(l, 60, -7000) // a move straight through
	tests := []struct {
		name  string
		rules []ZoneRule
		path  []borderwatch.LatLon
		step  time.Duration
		want  []string
	}{
		{"default restricted: first seen inside", nil, []borderwatch.LatLon{inside, inside}, time.Second, []string{"raised:zone"}},
		{"enter", []ZoneRule{{Zone: "restricted-1", Triggers: []Trigger{TriggerEnter}}}, []borderwatch.LatLon{outside, inside}, time.Second, []string{"raised:zone"}},
		{"enter needs a position outside", []ZoneRule{{Zone: "restricted-1", Triggers: []Trigger{TriggerEnter}}}, []borderwatch.LatLon{inside, inside}, time.Second, nil},
		{"exit", []ZoneRule{{Zone: "restricted-1", Triggers: []Trigger{TriggerExit}}}, []borderwatch.LatLon{inside, inside, outside}, time.Second, []string{"raised:zone"}},
		{"cross", []ZoneRule{{Zone: "restricted-1", Triggers: []Trigger{TriggerCross}}}, []borderwatch.LatLon{west, east}, time.Second, []string{"raised:zone"}},
		{"dwell short", []ZoneRule{{Zone: "restricted-1", Triggers: []Trigger{TriggerDwell}, Dwell: 5 * time.Minute}}, []borderwatch.LatLon{inside, inside, inside}, time.Minute, nil},
		{"dwell long", []ZoneRule{{Zone: "restricted-1", Triggers: []Trigger{TriggerDwell}, Dwell: 5 * time.Minute}}, []borderwatch.LatLon{inside, inside, inside, inside}, 2 * time.Minute, []string{"raised:zone"}},
		{"class filter", []ZoneRule{{Zone: "restricted-1", Triggers: []Trigger{TriggerInside}, Classes: []borderwatch.Class{borderwatch.ClassVehicle}}}, []borderwatch.LatLon{inside}, time.Second, nil},
		{"no rules", []ZoneRule{}, []borderwatch.LatLon{outside, inside}, time.Second, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, _ := newEngine(t, Options{Zones: tt.rules})
			var c collect
			for i, p := range tt.path {
				c.add(e.Track(track("Z1", p, day.Add(time.Duration(i)*tt.step))))
			}
			if got := c.kinds(); !slices.Equal(got, tt.want) {
				t.Fatalf("events %v, want %v", got, tt.want)
			}
		})
	}
}

func TestNight(t *testing.T) {
	e, _ := newEngine(t, Options{})
	if e.Night("north", day) || !e.Night("north", night) {
		t.Fatal("sun: noon should be day and 01:00 night")
	}
	// 20 June sunset in Baghdad-ish longitudes is ≈19:20 local; civil
	// twilight ends ≈19:50.
	if e.Night("north", time.Date(2025, 6, 20, 19, 30, 0, 0, baghdad)) || !e.Night("north", time.Date(2025, 6, 20, 20, 15, 0, 0, baghdad)) {
		t.Fatal("twilight boundary")
	}
	e2, _ := newEngine(t, Options{Night: Night{Hours: "18:00-07:00"}})
	if !e2.Night("north", time.Date(2025, 6, 20, 18, 30, 0, 0, baghdad)) || !e2.Night("north", time.Date(2025, 6, 21, 6, 30, 0, 0, baghdad)) || e2.Night("north", day) {
		t.Fatal("configured night hours across midnight")
	}
	if el := SunElevation(33.3, 44.4, time.Date(2025, 6, 21, 9, 10, 0, 0, time.UTC)); el < 78 || el > 82 {
		t.Fatalf("solstice noon elevation at Baghdad %.1f, want ≈80", el)
	}
}

func TestOptionsErrors(t *testing.T) {
	tests := []struct {
		name string
		o    Options
		want string
	}{
		{"bad sector", Options{Sectors: map[string]DayNight{"nowhere": {}}}, "rules: sectors.nowhere: no such sector in deployment test"},
		{"bad param", Options{Sectors: map[string]DayNight{"north": {Night: Params{ApproachKm: -1}}}}, "rules: sectors.north.night.approach_km = -1: must be in (0, 50]"},
		{"bad zone", Options{Zones: []ZoneRule{{Zone: "nope", Triggers: []Trigger{TriggerEnter}}}}, `rules: zones[0].zone = "nope": no such zone in deployment test`},
		{"bad trigger", Options{Zones: []ZoneRule{{Zone: "restricted-1", Triggers: []Trigger{"hover"}}}}, `rules: zones[0].triggers: "hover": unknown trigger, want enter, exit, inside, cross or dwell`},
		{"dwell without duration", Options{Zones: []ZoneRule{{Zone: "restricted-1", Triggers: []Trigger{TriggerDwell}}}}, "rules: zones[0].dwell = 0s: the dwell trigger needs a positive dwell"},
		{"bad month", Options{Herding: []HerdingArea{{ID: "h", FromKm: 0, ToKm: 1, Months: []time.Month{13}}}}, "rules: herding[0] (h).months: 13: not a month 1-12"},
		{"bad night hours", Options{Night: Night{Hours: "dusk"}}, `rules: night.hours = "dusk": want HH:MM-HH:MM`},
		{"bad monitor", Options{Monitor: "some"}, `rules: monitor = "some": want seen or all`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(testDeployment(t), tt.o)
			if err == nil || err.Error() != tt.want {
				t.Fatalf("err = %v\nwant  %s", err, tt.want)
			}
		})
	}
}

// The same inputs give the same events with the same ids.
func TestDeterministic(t *testing.T) {
	run := func() []Event {
		e, l := newEngine(t, Options{})
		var c collect
		c.add(e.Breach(Breach{SensorID: "fence-1", Time: day}))
		w, _ := walk(e, "T1", at(l, 30.1, 300), at(l, 30.1, -300), day, 6, 5*time.Second)
		c = append(c, w...)
		c.add(e.Track(track("A", at(l, 70, 2000), day, vel(1.5, 0))))
		c.add(e.Health(Health{SourceID: "cam-far", Time: day, OK: false}))
		return c
	}
	a, b := run(), run()
	if len(a) != len(b) || len(a) < 3 {
		t.Fatalf("%d vs %d events", len(a), len(b))
	}
	for i := range a {
		if a[i].Alert.ID != b[i].Alert.ID || a[i].Type != b[i].Type || a[i].Alert.Message != b[i].Alert.Message {
			t.Fatalf("event %d differs: %+v vs %+v", i, a[i].Alert, b[i].Alert)
		}
	}
}

func TestNoAllocationsWhenNothingFires(t *testing.T) {
	e, l := newEngine(t, Options{})
	tr := track("Q", at(l, 30, -120), day, vel(0, 0.5)) // by the wall, not yet loitering
	e.Track(tr)
	i := 0
	allocs := testing.AllocsPerRun(1000, func() {
		i++
		tr.Time = day.Add(time.Duration(i) * 100 * time.Millisecond)
		if evs := e.Track(tr); len(evs) != 0 {
			t.Fatalf("fired %v", evs[0].Alert.Message)
		}
	})
	if allocs != 0 {
		t.Fatalf("%.1f allocations per update, want 0", allocs)
	}
}
