package web

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/borderwatch/borderwatch"
	"github.com/borderwatch/borderwatch/deployments"
	"github.com/borderwatch/borderwatch/internal/deployment"
)

// TestBrowserReferenceDeployment draws the shipped Iraq–Syria deployment,
// both from web's own GeoJSON and from the deployment package's export,
// and checks every sector, crossing, site and sensor reaches the map.
func TestBrowserReferenceDeployment(t *testing.T) {
	bin := needChromium(t)
	d, err := deployment.Load(deployments.FS, deployments.Reference)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	b := launch(t, bin)
	variants := []struct {
		name string
		opts Options
	}{
		{"web geojson", Options{Deployment: d}},
		{"deployment export", Options{DeploymentGeoJSON: func() ([]byte, error) {
			var buf bytes.Buffer
			err := deployment.WriteGeoJSON(&buf, d)
			return buf.Bytes(), err
		}}},
	}
	for _, v := range variants {
		t.Run(v.name, func(t *testing.T) {
			v.opts.Live = newTestPicture()
			h, err := New(v.opts)
			must(t, err)
			addr := serveHandler(t, h)
			p := b.OpenPage(ctx, t, addr, 1366, 768)
			p.Navigate(ctx, "http://"+addr+"/")
			p.WaitFor(ctx, "ready", "window.bw && window.bw.ready")
			var got struct{ Sensors, Coverage, Crossings, Sites, Sectors int }
			p.MustEval(ctx, "window.bw.deployment", &got)
			persons := 0
			for _, s := range d.Sensors {
				if s.RangeM(borderwatch.ClassPerson, true) > 0 {
					persons++
				}
			}
			if got.Sensors != len(d.Sensors) || got.Crossings != len(d.Crossings) || got.Sites != len(d.Sites) || got.Sectors != len(d.Sectors) || got.Coverage < persons {
				t.Fatalf("drawn %+v; deployment has %d sensors (%d detect persons), %d crossings, %d sites, %d sectors",
					got, len(d.Sensors), persons, len(d.Crossings), len(d.Sites), len(d.Sectors))
			}
			var km float64
			p.MustEval(ctx, "window.bw.border.km", &km)
			if km < d.Border.LengthKm-0.5 || km > d.Border.LengthKm+0.5 {
				t.Fatalf("border %.2f km in the UI, deployment says %.2f", km, d.Border.LengthKm)
			}
			if v.name == "web geojson" {
				p.MustEval(ctx, "new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))", nil)
				p.Screenshot(ctx, filepath.Join(artefacts(t), "reference-deployment.png"))
				p.MustEval(ctx, "window.bw.map.setView([34.45, 41.0], 11, {animate: false}), true", nil)
				p.MustEval(ctx, "new Promise(r => setTimeout(() => requestAnimationFrame(r), 300))", nil)
				p.Screenshot(ctx, filepath.Join(artefacts(t), "reference-alqaim.png"))
			}
			if outside, _ := p.OutsideRequests(); len(outside) > 0 {
				t.Fatalf("requests left the test server: %v", outside)
			}
			if c := p.ConsoleLines(); len(c) > 0 {
				t.Fatalf("page errors: %v", c)
			}
			t.Logf("%s: %s", v.name, fmt.Sprintf("%+v", got))
		})
	}
}
