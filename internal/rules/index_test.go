package rules

import (
	"math"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/borderwatch/borderwatch"
	"github.com/borderwatch/borderwatch/deployments"
	"github.com/borderwatch/borderwatch/internal/deployment"
	"github.com/borderwatch/borderwatch/internal/geo"
)

var (
	refOnce sync.Once
	refDep  *borderwatch.Deployment
	refErr  error
)

// reference loads the shipped Iraq–Syria deployment.
func reference(t testing.TB) *borderwatch.Deployment {
	t.Helper()
	refOnce.Do(func() { refDep, refErr = deployment.Load(deployments.FS, deployments.Reference) })
	if refErr != nil {
		t.Fatal(refErr)
	}
	return refDep
}

// The grid's planar locate agrees with geo's exact Line.Locate on the real
// border: same side beyond 5 m, distance within 0.3 % + 1 m, and the
// border point at its chainage is as near as geo's nearest point (where
// two border points are equally near, inside a bend, either is right).
func TestLocateMatchesGeo(t *testing.T) {
	dep := reference(t)
	e, err := New(dep, Options{})
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	var worstKm, worstRel, worstAbs float64
	n := 0
	for i := 0; i < 20000; i++ {
		km := rng.Float64() * e.line.Length()
		off := (rng.Float64()*2 - 1) * 6000
		if i%4 == 0 {
			off = (rng.Float64()*2 - 1) * 50
		}
		p := at(e.line, km, off)
		l := e.g.locate(p)
		st := e.line.Locate(p)
		if !l.near {
			t.Fatalf("point %v (km %.2f, %.0f m) not near", p, km, off)
		}
		if math.Abs(st.Offset) > 5 {
			want := int8(1)
			if st.Offset > 0 {
				want = -1
			}
			if l.side != want && !(st.Chainage == 0 || st.Chainage == e.line.Length()) {
				t.Fatalf("point km %.3f offset %.1f: side %d, geo offset %.1f", km, off, l.side, st.Offset)
			}
		}
		if st.Chainage > 0 && st.Chainage < e.line.Length() {
			d := math.Abs(st.Offset)
			worstKm = math.Max(worstKm, (math.Abs(geo.Distance(p, e.line.PointAt(l.km))-d)-1)/max(d, 1))
			if d > 1 {
				worstRel = math.Max(worstRel, (math.Abs(l.dist-d)-1)/d)
				worstAbs = math.Max(worstAbs, math.Abs(l.dist-d))
			}
			n++
		}
	}
	t.Logf("%d points: worst nearest-point error %.3f %%, worst distance error %.3f %% (%.2f m)", n, worstKm*100, worstRel*100, worstAbs)
	if worstKm > 0.003 || worstRel > 0.003 {
		t.Fatalf("worst nearest-point error %.3f %%, distance %.3f %%", worstKm*100, worstRel*100)
	}
}

// Against the real deployment: a crosser at km 300 (Baaj desert) raises
// one critical alert at the right chainage; one at the Al-Qaim crossing in
// its hours does not.
func TestReferenceDeployment(t *testing.T) {
	dep := reference(t)
	e, err := New(dep, Options{})
	if err != nil {
		t.Fatal(err)
	}
	l, _ := geo.NewLine(dep.Border.Line)
	noon := time.Date(2025, 3, 1, 12, 0, 0, 0, baghdad)
	var c collect
	c.add(e.Track(track("X", at(l, 300, 300), noon)))
	c.add(e.Track(track("X", at(l, 300, -300), noon.Add(20*time.Second))))
	if len(c) != 1 || c[0].Alert.Kind != borderwatch.AlertCrossing || math.Abs(c[0].Alert.Chainage-300) > 0.02 || c[0].Alert.Direction != "into_iraq" || c[0].Alert.Sector != "anbar-qaim" {
		t.Fatalf("events %+v", c)
	}
	qaim, _ := dep.Crossing("al-qaim")
	c = nil
	c.add(e.Track(track("Y", at(l, qaim.Chainage, 200), noon)))
	c.add(e.Track(track("Y", at(l, qaim.Chainage, -200), noon.Add(20*time.Second))))
	if len(c) != 0 || e.Stats().LegalCrossings != 1 {
		t.Fatalf("at al-Qaim in hours: %v", c.kinds())
	}
}
