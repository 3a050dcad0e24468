package deployment_test

import (
	"os"
	"testing"

	"github.com/borderwatch/borderwatch/internal/deployment"
)

func TestLoadReferenceSkipLayout(t *testing.T) {
	f, err := deployment.Open(os.DirFS("../../deployments"), "iraq-syria", deployment.Options{SkipLayout: false})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("length %.3f sectors %d sites %d sensors %d", f.Deployment.Border.LengthKm, len(f.Deployment.Sectors), len(f.Deployment.Sites), len(f.Deployment.Sensors))
}
