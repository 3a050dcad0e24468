package sim

import (
	"sync"
	"testing"
	"time"

	"github.com/borderwatch/borderwatch"
	"github.com/borderwatch/borderwatch/deployments"
	"github.com/borderwatch/borderwatch/internal/deployment"
)

var (
	refOnce sync.Once
	refDep  *borderwatch.Deployment
	refErr  error
)

// reference loads the embedded Iraq–Syria deployment once.
func reference(t testing.TB) *borderwatch.Deployment {
	t.Helper()
	refOnce.Do(func() {
		var f *deployment.Folder
		f, refErr = deployment.Open(deployments.FS, deployments.Reference, deployment.Options{})
		if refErr == nil {
			refDep = f.Deployment
		}
	})
	if refErr != nil {
		t.Fatal(refErr)
	}
	return refDep
}

// start is a fixed simulated start: midnight in Baghdad, 1 March 2026.
var start = time.Date(2026, 3, 1, 0, 0, 0, 0, time.FixedZone("AST", 3*3600))

func newSim(t testing.TB, mod func(*Options)) *Sim {
	t.Helper()
	o := Options{Deployment: reference(t), Seed: 1, Start: start}
	if mod != nil {
		mod(&o)
	}
	s, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// run steps s for d and returns every frame's counts.
func run(s *Sim, d time.Duration, each func(*Frame)) {
	end := s.Now().Add(d)
	for s.Now().Before(end) {
		f := s.Step()
		if each != nil {
			each(f)
		}
	}
}
