package tracker

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

func TestExperiment(t *testing.T) {
	if os.Getenv("BW_EXP") == "" {
		t.Skip("experiment")
	}
	files, _ := filepath.Glob("testdata/g_*.jsonl.gz")
	files = append(files, "../mtt/testdata/s10.jsonl.gz", "../mtt/testdata/s100.jsonl.gz")
	for _, qw := range []float64{0.005, 0.01, 0.03} {
		for _, qd := range []float64{0.1, 0.2, 0.5} {
			line := fmt.Sprintf("walk %.3f drive %.2f:", qw, qd)
			for _, f := range files {
				res, _, _ := scoreScenario(t, f, ScenarioOptions{Mode: ModeJPDA, Tune: func(c *Config) {
					c.Models = []Motion{{Name: "walk", Q: qw, SpeedSigma: 1.5, Prior: 0.6}, {Name: "drive", Q: qd, SpeedSigma: 12, Prior: 0.4}}
				}})
				line += fmt.Sprintf(" %7.2f", res.GOSPA)
			}
			t.Log(line)
		}
	}
}
