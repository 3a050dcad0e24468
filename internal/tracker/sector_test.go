package tracker

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/borderwatch/borderwatch"
	"github.com/borderwatch/borderwatch/internal/geo"
)

var (
	origin = borderwatch.LatLon{Lat: 34.40, Lon: 41.00}
	t0     = time.Date(2026, 3, 1, 2, 0, 0, 0, time.UTC)
	plane  = geo.NewPlane(origin)
)

// at returns the position x metres east and y metres north of origin.
func at(x, y float64) borderwatch.LatLon { return plane.Inverse(x, y) }

func xy(p borderwatch.LatLon) (float64, float64) { return plane.Forward(p) }

// detect returns a detection observation of a point seen by src at time k
// seconds, with Gaussian noise sigma.
func detect(rng *rand.Rand, src string, k float64, x, y, sigma float64) borderwatch.Observation {
	p := at(x+rng.NormFloat64()*sigma, y+rng.NormFloat64()*sigma)
	return borderwatch.Observation{
		ID: fmt.Sprintf("%s-%v-%v-%v", src, k, x, y), Time: t0.Add(time.Duration(k * float64(time.Second))),
		Source:   borderwatch.Source{ID: src, Kind: borderwatch.SourceRadar},
		Position: &p, Cov: borderwatch.Isotropic(sigma), Class: borderwatch.ClassPerson, Confidence: 0.7,
	}
}

func newTestSector(t *testing.T, mut func(*SectorOptions)) *Sector {
	t.Helper()
	o := SectorOptions{ID: "S1", Origin: origin}
	if mut != nil {
		mut(&o)
	}
	s, err := NewSector(o)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// confirmedUnknown returns the confirmed non-friendly tracks of s.
func confirmedUnknown(s *Sector) []borderwatch.Track {
	var out []borderwatch.Track
	for _, tr := range s.Tracks() {
		if tr.Affiliation != borderwatch.AffFriend {
			out = append(out, tr)
		}
	}
	return out
}

// nearest returns the ID of the track nearest to (x, y) and its distance.
func nearest(tracks []borderwatch.Track, x, y float64) (string, float64) {
	id, best := "", math.Inf(1)
	for _, tr := range tracks {
		tx, ty := xy(tr.Position)
		if d := math.Hypot(tx-x, ty-y); d < best {
			id, best = tr.ID, d
		}
	}
	return id, best
}

// TestCrossingTargets: two walkers cross; each keeps its track (no swap,
// no third track). The shallower the crossing, the longer the targets stay
// within two sigma of each other (at 30 degrees and 3 m noise, ~20 s):
// JPDA holds at 30 degrees, GNN's hard decisions are asserted down to 45.
func TestCrossingTargets(t *testing.T) {
	for _, c := range []struct {
		angle float64
		mode  Mode
	}{{90, ModeGNN}, {45, ModeGNN}, {90, ModeJPDA}, {45, ModeJPDA}, {30, ModeJPDA}} {
		angle := c.angle
		t.Run(fmt.Sprintf("%g-degrees/%s", angle, c.mode), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, uint64(angle)))
			s := newTestSector(t, func(o *SectorOptions) { o.Engine.Mode = c.mode })
			// A walks east, B walks at angle to A; they meet at (0, 0) at k = 60.
			a := func(k float64) (float64, float64) { return 1.5 * (k - 60), 0 }
			th := angle * math.Pi / 180
			b := func(k float64) (float64, float64) {
				return 1.5 * (k - 60) * math.Cos(th), 1.5 * (k - 60) * math.Sin(th)
			}
			var idA, idB string
			for k := 0.0; k <= 120; k++ {
				ax, ay := a(k)
				bx, by := b(k)
				obs := []borderwatch.Observation{detect(rng, "radar", k, ax, ay, 3), detect(rng, "radar", k, bx, by, 3)}
				if _, err := s.Observe(obs); err != nil {
					t.Fatal(err)
				}
				tracks := confirmedUnknown(s)
				if k == 20 {
					idA, _ = nearest(tracks, ax, ay)
					idB, _ = nearest(tracks, bx, by)
					if idA == "" || idA == idB {
						t.Fatalf("k=20: tracks %v: want one per target", tracks)
					}
				}
				if k > 20 && len(tracks) != 2 {
					t.Fatalf("k=%v: %d confirmed tracks, want 2", k, len(tracks))
				}
			}
			tracks := confirmedUnknown(s)
			ax, ay := a(120)
			bx, by := b(120)
			if id, d := nearest(tracks, ax, ay); id != idA || d > 10 {
				t.Errorf("target A ends nearest track %s at %.1f m, want %s within 10 m (swap?)", id, d, idA)
			}
			if id, d := nearest(tracks, bx, by); id != idB || d > 10 {
				t.Errorf("target B ends nearest track %s at %.1f m, want %s within 10 m (swap?)", id, d, idB)
			}
		})
	}
}

func TestGroupSplitting(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 2))
	s := newTestSector(t, nil)
	// A group walks north as one blob (one detection), then at k = 60 splits:
	// one part keeps north, the other turns north-east.
	var groupID string
	for k := 0.0; k <= 150; k++ {
		y := 1.4 * k
		var obs []borderwatch.Observation
		if k < 60 {
			obs = append(obs, detect(rng, "cam", k, 0, y, 4))
		} else {
			dk := k - 60
			obs = append(obs, detect(rng, "cam", k, 0, y, 4), detect(rng, "cam", k, 1.0*dk, 1.4*60+1.0*dk, 4))
		}
		if _, err := s.Observe(obs); err != nil {
			t.Fatal(err)
		}
		if k == 59 {
			tracks := confirmedUnknown(s)
			if len(tracks) != 1 {
				t.Fatalf("before the split: %d tracks, want 1", len(tracks))
			}
			groupID = tracks[0].ID
		}
	}
	tracks := confirmedUnknown(s)
	if len(tracks) != 2 {
		t.Fatalf("after the split: %d tracks, want 2: %+v", len(tracks), tracks)
	}
	if id, d := nearest(tracks, 0, 1.4*150); d > 10 {
		t.Errorf("the northbound part is %.1f m from its nearest track %s", d, id)
	}
	if id, d := nearest(tracks, 90, 1.4*60+90); d > 10 || id == groupID {
		// The group's track follows one part; the other part gets a new one.
		if d > 10 {
			t.Errorf("the north-east part is %.1f m from its nearest track", d)
		}
	}
	ids := map[string]bool{tracks[0].ID: true, tracks[1].ID: true}
	if !ids[groupID] {
		t.Errorf("the group's track %s did not continue with either part: %v", groupID, ids)
	}
}

func TestTargetStopsUnderCamera(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	s := newTestSector(t, nil)
	// Walks east 60 s, stands 90 s under the camera, walks on 60 s.
	pos := func(k float64) float64 {
		switch {
		case k < 60:
			return 1.4 * k
		case k < 150:
			return 84
		}
		return 84 + 1.4*(k-150)
	}
	var id string
	for k := 0.0; k <= 210; k++ {
		out, err := s.Observe([]borderwatch.Observation{detect(rng, "cam-7", k, pos(k), 0, 3)})
		if err != nil {
			t.Fatal(err)
		}
		for _, tr := range out {
			if tr.Status == borderwatch.TrackDeleted {
				t.Fatalf("k=%v: track %s deleted", k, tr.ID)
			}
		}
		tracks := confirmedUnknown(s)
		if k >= 10 {
			if len(tracks) != 1 {
				t.Fatalf("k=%v: %d tracks, want 1", k, len(tracks))
			}
			if id == "" {
				id = tracks[0].ID
			}
			if tracks[0].ID != id {
				t.Fatalf("k=%v: track %s replaced %s", k, tracks[0].ID, id)
			}
		}
		if k == 149 {
			x, _ := xy(tracks[0].Position)
			v := math.Hypot(tracks[0].Velocity.East, tracks[0].Velocity.North)
			if math.Abs(x-84) > 4 || v > 0.3 {
				t.Errorf("standing: track at x=%.1f (want 84±4), speed %.2f m/s (want < 0.3)", x, v)
			}
			if tracks[0].Status != borderwatch.TrackConfirmed {
				t.Errorf("standing under the camera: status %s, want confirmed", tracks[0].Status)
			}
		}
	}
	tr := confirmedUnknown(s)[0]
	if tr.Class != borderwatch.ClassPerson {
		t.Errorf("class %s (probs %v), want person", tr.Class, tr.ClassProbs)
	}
	if tr.Velocity.East < 1 {
		t.Errorf("walking on: velocity east %.2f, want ~1.4", tr.Velocity.East)
	}
}

func TestPatrolWalksPastCamera(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	s := newTestSector(t, nil)
	// A 3-person patrol walks east; its phone reports every 5 s; a thermal
	// camera sees each member (spread 6 m) every second.
	var friend borderwatch.Track
	for k := 0.0; k <= 120; k++ {
		cx := 1.3*k - 80
		var obs []borderwatch.Observation
		if int(k)%5 == 0 {
			p := at(cx+rng.NormFloat64()*3, rng.NormFloat64()*3)
			obs = append(obs, borderwatch.Observation{
				ID: fmt.Sprint("gps-", k), Time: t0.Add(time.Duration(k) * time.Second),
				Source:   borderwatch.Source{ID: "tak-P1", Kind: borderwatch.SourcePatrol},
				Position: &p, Cov: borderwatch.Isotropic(5), Friendly: true, UnitID: "P1",
			})
		}
		for m := -1.0; m <= 1; m++ {
			o := detect(rng, "thermal-3", k, cx+6*m, 2*m, 4)
			obs = append(obs, o)
		}
		out, err := s.Observe(obs)
		if err != nil {
			t.Fatal(err)
		}
		if u := confirmedUnknown(s); len(u) > 0 {
			t.Fatalf("k=%v: unknown tracks on a friendly patrol: %+v", k, u)
		}
		for _, tr := range out {
			if tr.Affiliation == borderwatch.AffFriend {
				friend = tr
			}
		}
	}
	if friend.UnitID != "P1" {
		t.Fatalf("no friendly track for P1: %+v", friend)
	}
	hasCam := false
	for _, src := range friend.Sources {
		hasCam = hasCam || src == "thermal-3"
	}
	if !hasCam {
		t.Errorf("friend track sources %v: want the camera's detections joined to the unit", friend.Sources)
	}
	fx, _ := xy(friend.Position)
	if math.Abs(fx-(1.3*120-80)) > 15 {
		t.Errorf("friend track at x=%.1f, want ~%.1f", fx, 1.3*120-80)
	}
}

func TestBorderContact(t *testing.T) {
	// The border runs north to south 1 km west of the origin.
	line, err := geo.NewLine([]borderwatch.LatLon{at(-1000, 5000), at(-1000, -5000)})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(5, 5))
	for _, c := range []struct {
		name    string
		vx      float64
		contact bool
	}{{"heading-west", -1.5, true}, {"heading-east", 1.5, false}} {
		t.Run(c.name, func(t *testing.T) {
			s := newTestSector(t, func(o *SectorOptions) { o.Border = line })
			var out []borderwatch.Track
			for k := 0.0; k <= 60; k++ {
				var err error
				out, err = s.Observe([]borderwatch.Observation{detect(rng, "radar", k, c.vx*k, 0, 3)})
				if err != nil {
					t.Fatal(err)
				}
			}
			if len(out) != 1 {
				t.Fatalf("%d tracks, want 1", len(out))
			}
			tr := out[0]
			if math.Abs(tr.Offset) < 900 || math.Abs(tr.Offset) > 1200 {
				t.Errorf("offset %.0f m, want ~1000-1100", tr.Offset)
			}
			if !c.contact {
				if tr.Contact != nil {
					t.Errorf("moving away, yet contact %+v", tr.Contact)
				}
				return
			}
			if tr.Contact == nil {
				t.Fatal("heading for the line, no contact predicted")
			}
			// From x = -90 at 1.5 m/s to x = -1000: ~607 s after k = 60.
			want := t0.Add(60*time.Second + 606667*time.Millisecond) // 910 m at 1.5 m/s
			if d := tr.Contact.Time.Sub(want); d.Abs() > 40*time.Second {
				t.Errorf("contact at %v, want %v ± 40 s", tr.Contact.Time, want)
			}
			wantKm := line.Locate(at(-1000, 0)).Chainage
			if math.Abs(tr.Contact.Chainage-wantKm) > 0.15 {
				t.Errorf("contact chainage %.3f km, want %.3f", tr.Contact.Chainage, wantKm)
			}
		})
	}
}

func TestBearingUpdates(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 6))
	s := newTestSector(t, nil)
	// A target at rest, first seen by a ranging camera, then refined by
	// bearing-only sightings from two cameras 90 degrees apart.
	tx, ty := 300.0, 400.0
	cams := [][2]float64{{0, 0}, {600, 0}}
	bearing := func(k float64, cam [2]float64, withRange bool) borderwatch.Observation {
		dx, dy := tx-cam[0], ty-cam[1]
		az := math.Atan2(dx, dy)*180/math.Pi + rng.NormFloat64()*0.5
		b := &borderwatch.Bearing{Sensor: at(cam[0], cam[1]), Azimuth: math.Mod(az+360, 360), AzimuthSigma: 0.5}
		if withRange {
			b.Range = math.Hypot(dx, dy) + rng.NormFloat64()*20
			b.RangeSigma = 20
		}
		return borderwatch.Observation{ID: fmt.Sprint(k, cam), Time: t0.Add(time.Duration(k * float64(time.Second))),
			Source: borderwatch.Source{ID: fmt.Sprint("cam", cam[0]), Kind: borderwatch.SourceThermalCamera}, Bearing: b}
	}
	for k := 0.0; k < 5; k++ {
		if _, err := s.Observe([]borderwatch.Observation{bearing(k, cams[0], true)}); err != nil {
			t.Fatal(err)
		}
	}
	tracks := confirmedUnknown(s)
	if len(tracks) != 1 {
		t.Fatalf("bearing-range: %d tracks, want 1", len(tracks))
	}
	x0, y0 := xy(tracks[0].Position)
	before := math.Hypot(x0-tx, y0-ty)
	for k := 5.0; k < 40; k++ {
		if _, err := s.Observe([]borderwatch.Observation{bearing(k, cams[int(k)%2], false)}); err != nil {
			t.Fatal(err)
		}
	}
	tracks = confirmedUnknown(s)
	if len(tracks) != 1 {
		t.Fatalf("bearings: %d tracks, want 1", len(tracks))
	}
	x1, y1 := xy(tracks[0].Position)
	after := math.Hypot(x1-tx, y1-ty)
	if after > 6 || after > before {
		t.Errorf("error %.1f m after bearings (%.1f m before): want < 6 m and smaller", after, before)
	}
	if !(tracks[0].Cov.EE < 30 && tracks[0].Cov.NN < 30) {
		t.Errorf("covariance %+v: bearings from two directions should pin the position", tracks[0].Cov)
	}
}

func TestOutOfOrderObservations(t *testing.T) {
	// The same detections fed in order and with every other scan delayed by
	// 1.5 s (arriving after the next one) give nearly the same track.
	run := func(shuffle bool) borderwatch.Track {
		rng := rand.New(rand.NewPCG(7, 7))
		s := newTestSector(t, nil)
		var pending []borderwatch.Observation
		for k := 0.0; k <= 60; k++ {
			o := detect(rng, "radar", k, 1.4*k, 0.5*k, 4)
			if shuffle && int(k)%2 == 1 && k < 60 {
				pending = append(pending, o)
				continue
			}
			batch := append([]borderwatch.Observation{o}, pending...)
			pending = nil
			if shuffle {
				for _, b := range batch {
					if _, err := s.Observe([]borderwatch.Observation{b}); err != nil {
						t.Fatal(err)
					}
				}
			} else if _, err := s.Observe(batch); err != nil {
				t.Fatal(err)
			}
		}
		tr := confirmedUnknown(s)
		if len(tr) != 1 {
			t.Fatalf("shuffle=%v: %d tracks, want 1", shuffle, len(tr))
		}
		return tr[0]
	}
	a, b := run(false), run(true)
	ax, ay := xy(a.Position)
	bx, by := xy(b.Position)
	if d := math.Hypot(ax-bx, ay-by); d > 3 {
		t.Errorf("late observations moved the track by %.1f m", d)
	}
	if dv := math.Hypot(a.Velocity.East-b.Velocity.East, a.Velocity.North-b.Velocity.North); dv > 0.3 {
		t.Errorf("late observations changed the velocity by %.2f m/s", dv)
	}
	if b.Updates < 55 {
		t.Errorf("late observations were not used: %d updates", b.Updates)
	}
}

func TestClassFusion(t *testing.T) {
	cases := []struct {
		name string
		obs  []borderwatch.Class
		conf float64
		want borderwatch.Class
	}{
		{"vehicle", []borderwatch.Class{"vehicle", "vehicle", "person", "vehicle"}, 0.7, borderwatch.ClassVehicle},
		{"no-evidence", []borderwatch.Class{"unknown", "unknown"}, 0.9, borderwatch.ClassUnknown},
		{"animal", []borderwatch.Class{"animal", "animal", "animal"}, 0.6, borderwatch.ClassAnimal},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var p [len(borderwatch.Classes)]float64
			for i := range p {
				p[i] = 0.25
			}
			for _, o := range c.obs {
				fuseClass(&p, o, c.conf)
			}
			best := 0
			for i := range p {
				if p[i] > p[best] {
					best = i
				}
			}
			got := borderwatch.ClassUnknown
			if p[best] > 0.5 {
				got = borderwatch.Classes[best]
			}
			if got != c.want {
				t.Errorf("class %s (probs %v), want %s", got, p, c.want)
			}
		})
	}
}

// BenchmarkSectorObserve measures the live path: observations in WGS84 in,
// borderwatch.Tracks out, 1000 walkers reported by one radar each second.
func BenchmarkSectorObserve(b *testing.B) {
	rng := rand.New(rand.NewPCG(10, 10))
	s, err := NewSector(SectorOptions{ID: "S1", Origin: origin})
	if err != nil {
		b.Fatal(err)
	}
	const n = 1000
	xs := make([][2]float64, n)
	for i := range xs {
		xs[i] = [2]float64{rng.Float64() * 20000, rng.Float64() * 20000}
	}
	batch := make([]borderwatch.Observation, n)
	b.ReportAllocs()
	k := 0.0
	for b.Loop() {
		for i := range batch {
			batch[i] = detect(rng, "radar", k, xs[i][0]+1.4*k, xs[i][1], 5)
		}
		if _, err := s.Observe(batch); err != nil {
			b.Fatal(err)
		}
		k++
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "observations/s")
}
