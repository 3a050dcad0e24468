package layout_test

import (
	"os"
	"testing"

	"github.com/borderwatch/borderwatch/internal/deployment"
	"github.com/borderwatch/borderwatch/internal/layout"
)

func TestPrintStats(t *testing.T) {
	fsys := os.DirFS("../../deployments")
	f, err := deployment.Open(fsys, "iraq-syria", deployment.Options{SkipLayout: true})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile("../../deployments/iraq-syria/layout.yaml")
	r, err := layout.ParseRules("layout.yaml", b)
	if err != nil {
		t.Fatal(err)
	}
	l, err := layout.Generate(f.Deployment, f.Line, r, 1)
	if err != nil {
		t.Error(err)
	}
	for _, s := range append(l.Stats, l.Totals()) {
		t.Logf("%+v", s)
	}
}
