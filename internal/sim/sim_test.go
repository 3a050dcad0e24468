package sim

import (
	"bytes"
	"math"
	"testing"
	"time"

	"github.com/borderwatch/borderwatch"
)

func TestRecordIsDeterministic(t *testing.T) {
	rec := func(seed uint64) []byte {
		s := newSim(t, func(o *Options) { o.Seed, o.Activity, o.Warmup, o.Respond = seed, 10, 20*time.Minute, true })
		var b bytes.Buffer
		if err := Record(&b, s, 10*time.Minute, 5*time.Second); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	a, b, c := rec(11), rec(11), rec(12)
	if len(a) < 10_000 {
		t.Fatalf("recording only %d bytes", len(a))
	}
	if !bytes.Equal(a, b) {
		t.Fatal("the same seed gave different recordings")
	}
	if bytes.Equal(a, c) {
		t.Fatal("different seeds gave the same recording")
	}
}

func TestPdFallsWithRange(t *testing.T) {
	const R = 5000
	prev := 1.0
	for r := 0.0; r <= 2*R; r += 100 {
		p := pd(r, R)
		if p > prev+1e-12 || p < 0 || p > 0.9 {
			t.Fatalf("pd(%v) = %v after %v: want non-increasing within [0, 0.9]", r, p, prev)
		}
		prev = p
	}
	if p := pd(0, R); p < 0.89 {
		t.Errorf("pd(0) = %v, want ≈ 0.9", p)
	}
	if p := pd(R, R); math.Abs(p-0.45) > 1e-9 {
		t.Errorf("pd(R) = %v, want 0.45", p)
	}
	if p := pd(1.5*R+1, R); p != 0 {
		t.Errorf("pd beyond 1.5 R = %v, want 0", p)
	}
	if pd(100, 0) != 0 {
		t.Error("a sensor with no range detects")
	}
}

// TestLook checks the detection model of one camera against one target
// placed by hand: range, field of view, day and night, motion (radar),
// outage and terrain.
func TestLook(t *testing.T) {
	s := newSim(t, func(o *Options) { o.NoAmbient, o.NoUnits = true, true })
	var cam, radar *sensor
	for _, sn := range s.sensors {
		if sn.kind == borderwatch.SourceThermalCamera && sn.halfFOV < 90 && cam == nil && sn.rng[0].NightM > 0 {
			cam = sn
		}
		if sn.kind == borderwatch.SourceRadar && radar == nil {
			radar = sn
		}
	}
	if cam == nil || radar == nil {
		t.Fatal("no camera or radar in the reference deployment")
	}
	cam.own.down, cam.own.mtbf = false, 0
	if cam.site != nil {
		cam.site.down, cam.site.mtbf = false, 0
	}
	for i := range s.dust {
		s.dust[i] = outage{} // clear skies
	}
	at := func(sn *sensor, az, r float64, moving bool) *actor {
		a := &actor{id: "x", kind: KindInfiltrators, class: borderwatch.ClassPerson, size: 1, mode: borderwatch.ModeFoot,
			pos: toward(sn.pos, az, r)}
		if moving {
			a.ve = 1
		}
		a.km, a.off = s.locate(a.pos)
		return a
	}
	day, night := cam.rng[0].DayM, cam.rng[0].NightM
	tests := []struct {
		name   string
		sn     *sensor
		az, r  float64
		night  bool
		moving bool
		down   bool
		want   MissReason // for every scan that does not detect
	}{
		{"close, in view", cam, cam.heading, 0.3 * day, false, true, false, MissPdMiss},
		{"at range", cam, cam.heading, day, false, true, false, MissPdMiss},
		{"edge of view", cam, cam.heading + cam.halfFOV - 1, 0.3 * day, false, true, false, MissPdMiss},
		{"outside view", cam, cam.heading + cam.halfFOV + 5, 0.3 * day, false, true, false, MissOutOfFOV},
		{"beyond range", cam, cam.heading, 2 * day, false, true, false, MissOutOfRange},
		{"day range at night", cam, cam.heading, 0.75 * (day + night), true, true, false, MissNightRange},
		{"night, close", cam, cam.heading, 0.3 * night, true, true, false, MissPdMiss},
		{"camera down", cam, cam.heading, 0.3 * day, false, true, true, MissOutage},
		{"radar, moving", radar, radar.heading, 0.3 * radar.rng[0].DayM, false, true, false, MissPdMiss},
		{"radar, standing still", radar, radar.heading, 0.3 * radar.rng[0].DayM, false, false, false, MissNotMoving},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.sn.own.down = tt.down
			defer func() { tt.sn.own.down = false }()
			a := at(tt.sn, tt.az, tt.r, tt.moving)
			// The expected share: the per-scan Pd times the pair's
			// factor, or nothing in dead ground.
			want, wantShare := tt.want, 0.0
			if want == MissPdMiss {
				R := tt.sn.rng[0].DayM
				if tt.night {
					R = tt.sn.rng[0].NightM
				}
				wantShare = pd(tt.r, R) * s.pairFactor(tt.sn.idx, a)
				if s.deadGround(tt.sn, a, tt.r) {
					want, wantShare = MissOccluded, 0
				}
			}
			const n = 400
			hits := 0
			s.frame.Detections = s.frame.Detections[:0]
			for range n {
				switch m := s.look(tt.sn, a, 0, tt.night, 1); m {
				case missNone:
					hits++
				case want:
				default:
					t.Fatalf("reason %q, want %q", m, want)
				}
			}
			share := float64(hits) / n
			if math.Abs(share-wantShare) > 0.08 {
				t.Fatalf("detected in %.2f of scans, want %.2f", share, wantShare)
			}
			for _, d := range s.frame.Detections {
				if d.Sensor != tt.sn.id || d.Actor != "x" {
					t.Fatalf("detection %+v", d)
				}
				if tt.sn.kind == borderwatch.SourceRadar {
					if !d.HasBearing || math.Abs(d.Range-tt.r) > 60 {
						t.Fatalf("radar detection %+v at %.0f m", d, tt.r)
					}
				} else if e := dist(d.Position, a.pos); e > 3*d.CE95 {
					t.Fatalf("camera detection %.0f m off, ce95 %.0f m", e, d.CE95)
				}
			}
		})
	}
}

// TestDeadGround: far from a sensor, about the terrain's share of 300-m
// cells is hidden; close in, almost none.
func TestDeadGround(t *testing.T) {
	s := newSim(t, func(o *Options) { o.NoAmbient, o.NoUnits = true, true })
	var sn *sensor
	for _, x := range s.sensors {
		if x.kind == borderwatch.SourceThermalCamera && x.km > 95 && x.km < 120 {
			sn = x
			break
		}
	}
	share := func(r float64) float64 {
		hidden := 0
		const n = 2000
		for i := range n {
			a := &actor{pos: toward(sn.pos, float64(i%360), r+float64(i/360)*300)}
			a.km, a.off = s.locate(a.pos)
			if s.deadGround(sn, a, r) {
				hidden++
			}
		}
		return float64(hidden) / n
	}
	if h := share(9000); math.Abs(h-0.35) > 0.05 {
		t.Errorf("%.2f hidden at 9 km in the steppe, want 0.35", h)
	}
	if h := share(400); h > 0.05 {
		t.Errorf("%.2f hidden at 400 m, want almost none", h)
	}
}

func TestTerrain(t *testing.T) {
	tr, err := DefaultTerrain()
	if err != nil {
		t.Fatal(err)
	}
	// Jebel Sinjar stands out of the Jazira plain; the Euphrates at
	// al-Qaim runs low (ETOPO5 smooths both over its 9-km cells).
	sinjar := tr.Elevation(borderwatch.LatLon{Lat: 36.37, Lon: 41.85})
	qaim := tr.Elevation(borderwatch.LatLon{Lat: 34.40, Lon: 41.0})
	if sinjar < 500 || qaim > 300 || sinjar < qaim+250 {
		t.Fatalf("Sinjar %.0f m, al-Qaim %.0f m", sinjar, qaim)
	}
	// A synthetic ridge: 3 columns of 0, a 500-m ridge, 3 of 0.
	grid := []byte("ncols 7\nnrows 3\nxllcenter 40\nyllcenter 35\ncellsize 0.1\nNODATA_value -9999\n" +
		"0 0 0 500 0 0 0\n0 0 0 500 0 0 0\n0 0 0 500 0 0 0\n")
	ridge, err := ParseASCIIGrid(grid)
	if err != nil {
		t.Fatal(err)
	}
	west, east := borderwatch.LatLon{Lat: 35.1, Lon: 40.05}, borderwatch.LatLon{Lat: 35.1, Lon: 40.55}
	if ridge.Visible(west, 15, east, 2) {
		t.Error("seen through the ridge")
	}
	if !ridge.Visible(west, 15, borderwatch.LatLon{Lat: 35.1, Lon: 40.15}, 2) {
		t.Error("not seen across flat ground")
	}
	if !ridge.Visible(west, 2000, east, 2) {
		t.Error("not seen from 2 km up")
	}
	for _, bad := range []string{"", "ncols 1\nnrows 1\ncellsize 1\nxllcenter 0\nyllcenter 0\nNODATA_value 0\n1\n", "ncols 2\nnrows 2\nxllcenter 0\nyllcenter 0\ncellsize 1\nNODATA_value 0\n1 2 3\n"} {
		if _, err := ParseASCIIGrid([]byte(bad)); err == nil {
			t.Errorf("grid %q accepted", bad)
		}
	}
}

func TestFalseAlarms(t *testing.T) {
	s := newSim(t, func(o *Options) { o.NoAmbient, o.NoUnits = true, true })
	var fa, cams int
	for _, sn := range s.sensors {
		if sn.kind == borderwatch.SourceThermalCamera {
			cams++
		}
	}
	hours := 6.0
	run(s, time.Duration(hours*float64(time.Hour)), func(f *Frame) {
		for _, d := range f.Detections {
			if d.Actor != "" {
				t.Fatalf("a detection of %s with no actors", d.Actor)
			}
			if d.Kind == borderwatch.SourceThermalCamera {
				fa++
			}
		}
	})
	// 0.3 alarms per camera-hour, 2.5 scans each, less the cameras down.
	want := 0.3 * 2.5 * float64(cams) * hours
	if r := float64(fa) / want; r < 0.7 || r > 1.15 {
		t.Fatalf("%d camera false-alarm detections in %.0f h, want about %.0f", fa, hours, want)
	}
}

// TestActors checks the ambient actors over two busy days.
func TestActors(t *testing.T) {
	s := newSim(t, func(o *Options) {
		o.Activity, o.NoUnits, o.IgnoreFriendly = 10, true, true
		o.Rates = DefaultRates()
		o.Rates.TrafficPerHour = 0.5
		o.Rates.HerdsPerDay = 10
	})
	s.silent = true // movement only: this test needs no sensors
	kinds := map[ActorKind]int{}
	nightCross := map[ActorKind]int{}
	crossed := map[ActorKind]int{}
	seen := map[string]bool{}
	run(s, 48*time.Hour, func(f *Frame) {
		for _, a := range s.actors {
			if seen[a.id] {
				continue
			}
			seen[a.id] = true
			kinds[a.kind]++
			switch a.kind {
			case KindInfiltrators:
				if a.size < 2 || a.size > 8 || a.mode != borderwatch.ModeFoot {
					t.Fatalf("infiltrators %s: %d strong, %s", a.id, a.size, a.mode)
				}
			case KindSmuggler:
				ok := false
				for _, g := range goodsKinds {
					ok = ok || g == a.goods
				}
				if !ok || a.class != borderwatch.ClassVehicle {
					t.Fatalf("smuggler %s carries %q as %s", a.id, a.goods, a.class)
				}
			case KindHerd:
				if el := sunElevation(a.pos, s.now); el < 0 {
					t.Fatalf("herd %s set out with the sun at %.0f°", a.id, el)
				}
			case KindTraffic:
				open := false
				for _, c := range s.dep.Crossings {
					if dist(c.Position, a.route[1].p) < 10 && c.OpenAt(s.now.Add(10*time.Minute).In(s.o.Location)) {
						open = true
					}
				}
				if !open {
					t.Fatalf("traffic %s at a closed crossing", a.id)
				}
			}
		}
	})
	for _, r := range s.records {
		if !r.Crossed.IsZero() {
			crossed[r.Kind]++
			if sunElevation(station(s.line, r.CrossKm, 0), r.Crossed) < nightElevation {
				nightCross[r.Kind]++
			}
		}
	}
	t.Logf("actors %v, crossed %v, at night %v", kinds, crossed, nightCross)
	// 10 × 1.67 groups a day for two days.
	if n := kinds[KindInfiltrators]; n < 18 || n > 55 {
		t.Errorf("%d infiltrator groups, want about 33", n)
	}
	if n := kinds[KindSmuggler]; n < 35 || n > 90 {
		t.Errorf("%d smuggling runs, want about 60", n)
	}
	if n := kinds[KindHerd]; n < 40 || n > 100 {
		t.Errorf("%d herds, want about 63", n)
	}
	if kinds[KindTraffic] == 0 {
		t.Error("no traffic at the open crossings")
	}
	if c := crossed[KindInfiltrators]; c == 0 || float64(nightCross[KindInfiltrators])/float64(c) < 0.6 {
		t.Errorf("%d of %d infiltrator groups crossed at night, want most", nightCross[KindInfiltrators], c)
	}
}

func TestRoutesAvoidSensors(t *testing.T) {
	s := newSim(t, func(o *Options) { o.NoAmbient, o.NoUnits = true, true })
	var chosen, random float64
	const n = 300
	for range n {
		chosen += s.exposure(s.crossingKm(borderwatch.ClassPerson), borderwatch.ClassPerson)
		random += s.exposure(s.pickKm(), borderwatch.ClassPerson)
	}
	if chosen >= 0.8*random {
		t.Fatalf("mean exposure %.2f where groups cross, %.2f anywhere: want clearly fewer sensors", chosen/n, random/n)
	}
}

// TestBarrierDelaysAndInterception injects a group through the Sinjar wall
// and trench, checks it is held at each for about the barrier's delay, and
// has a QRF dispatched ahead of it stop it.
func TestBarrierDelaysAndInterception(t *testing.T) {
	s := newSim(t, func(o *Options) { o.NoAmbient = true; o.IgnoreFriendly = true })
	id, err := s.Inject(ActorSpec{Kind: KindInfiltrators, Size: 5, CrossKm: 120, FromOffsetM: 1000, ToOffsetM: -9000, Exercise: true})
	if err != nil {
		t.Fatal(err)
	}
	held := map[string]time.Duration{}
	var intercepted *Event
	dispatched := false
	for range 4 * 3600 {
		f := s.Step()
		if tr, ok := s.Actor(id); ok {
			if len(tr.State) > 3 && tr.State[:3] == "at " {
				held[tr.State[3:]] += time.Second
			}
			if !dispatched && tr.OffsetM < -1000 {
				// The QRF drives to a point on the group's way.
				if err := s.Dispatch("army-sinjar-qrf", station(s.line, 120, -4000)); err != nil {
					t.Fatal(err)
				}
				dispatched = true
			}
		}
		for i, e := range f.Events {
			if e.Kind == EventIntercepted && e.Actor == id {
				intercepted = &f.Events[i]
			}
			if e.Exercise != (e.Actor == id) && e.Actor != "" {
				t.Fatalf("event %+v: exercise mark wrong", e)
			}
		}
		if intercepted != nil {
			break
		}
	}
	for b, want := range map[string]time.Duration{"wall-sinjar": 6 * time.Minute, "trench-ninewa-anbar": 3 * time.Minute} {
		if got := held[b]; got < want*7/10 || got > want*13/10+time.Second {
			t.Errorf("held %v at %s, want %v ± 30 %%", got, b, want)
		}
	}
	if intercepted == nil {
		t.Fatal("the group was not intercepted")
	}
	if intercepted.Unit != "army-sinjar-qrf" {
		t.Errorf("intercepted by %s", intercepted.Unit)
	}
	o, ok := s.Outcome(id)
	if !ok || o.Intercepted.IsZero() || !o.Exercise || o.Crossed.IsZero() {
		t.Fatalf("outcome %+v", o)
	}
	if err := s.Dispatch("nobody", station(s.line, 1, 1)); borderwatch.ErrorCodeOf(err) != borderwatch.ENOTFOUND {
		t.Errorf("dispatch of an unknown unit: %v", err)
	}
	if _, err := s.Inject(ActorSpec{Kind: KindPatrol, CrossKm: 1, FromOffsetM: 1, ToOffsetM: 2}); err == nil {
		t.Error("injected a patrol")
	}
}

func TestDroneTask(t *testing.T) {
	s := newSim(t, func(o *Options) { o.NoAmbient = true })
	d := s.drones[0]
	target := toward(d.base, 90, 3000)
	if err := s.Task(d.cfg.ID, target); err != nil {
		t.Fatal(err)
	}
	var last DroneState
	for range 600 {
		f := s.Step()
		for _, st := range f.Drones {
			if st.ID == d.cfg.ID {
				last = st
			}
		}
		if last.Mode == DroneLoiter {
			break
		}
	}
	if last.Mode != DroneLoiter || dist(last.Position, target) > 50 || last.AltRel < 50 || last.Target == nil {
		t.Fatalf("drone %+v, want loitering at the target", last)
	}
	if id, ok := s.DroneBySystemID(1); !ok || id != d.cfg.ID {
		t.Fatalf("system id 1 is %q", id)
	}
	if err := s.Task("uav-none", target); borderwatch.ErrorCodeOf(err) != borderwatch.ENOTFOUND {
		t.Errorf("task of an unknown drone: %v", err)
	}
}

func TestOptions(t *testing.T) {
	dep := reference(t)
	for _, o := range []Options{
		{},
		{Deployment: dep},
		{Deployment: dep, Start: start, Step: time.Minute},
		{Deployment: dep, Start: start, Activity: -1},
		{Deployment: &borderwatch.Deployment{TimeZone: "Nowhere/Else"}, Start: start},
	} {
		if _, err := New(o); err == nil {
			t.Errorf("options %+v accepted", o)
		}
	}
}
