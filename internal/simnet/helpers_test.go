package simnet

import (
	"sync"
	"testing"

	"github.com/borderwatch/borderwatch"
	"github.com/borderwatch/borderwatch/deployments"
	"github.com/borderwatch/borderwatch/internal/deployment"
)

var (
	refOnce sync.Once
	refDep  *borderwatch.Deployment
	refErr  error
)

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
