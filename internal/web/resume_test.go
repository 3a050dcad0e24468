package web

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/borderwatch/borderwatch"
	"github.com/borderwatch/borderwatch/internal/geo"
)

// dropper lets a test cut every open live stream, as a flaky link would.
type dropper struct {
	h       http.Handler
	mu      sync.Mutex
	cancels []context.CancelFunc
}

func (d *dropper) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !strings.HasPrefix(r.URL.Path, "/api/v1/stream") || r.Method != http.MethodGet {
		d.h.ServeHTTP(w, r)
		return
	}
	ctx, cancel := context.WithCancel(r.Context())
	d.mu.Lock()
	d.cancels = append(d.cancels, cancel)
	d.mu.Unlock()
	d.h.ServeHTTP(w, r.WithContext(ctx))
}

func (d *dropper) drop() {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, c := range d.cancels {
		c()
	}
	d.cancels = nil
}

// TestBrowserResumeAndMeasure: the link drops; the browser reconnects by
// itself with Last-Event-ID and gets only what changed (no reset, nothing
// reloaded); then the measure tool measures a known distance.
func TestBrowserResumeAndMeasure(t *testing.T) {
	bin := needChromium(t)
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	pic := newTestPicture()
	must(t, pic.PutTracks(movingTracks(50, 0)...))
	h, err := New(Options{Live: pic, Deployment: testDeployment(t), StreamMaxHz: 10})
	must(t, err)
	d := &dropper{h: h}
	addr := serveHandler(t, d)
	b := launch(t, bin)
	p := b.OpenPage(ctx, t, addr, 1366, 768)
	p.Navigate(ctx, "http://"+addr+"/")
	p.WaitFor(ctx, "live", "window.bw && window.bw.ready && window.bw.conn === 'live' && window.bw.stores.tracks.size === 50")

	t.Run("resume after a dropped link", func(t *testing.T) {
		p.T = t
		d.drop()
		p.WaitFor(ctx, "noticed the drop", "window.bw.conn === 'reconnecting'")
		moved := movingTracks(50, 3)
		must(t, pic.PutTracks(moved[:5]...)) // changes while the link is down
		pic.DeleteTracks("T00049")
		p.WaitFor(ctx, "reconnected", "window.bw.conn === 'live'")
		p.WaitFor(ctx, "caught up", fmt.Sprintf("window.bw.stores.tracks.size === 49 && Math.abs(window.bw.stores.tracks.items.get('T00002').data.position.lon - %v) < 1e-9", moved[2].Position.Lon))
		var resets int
		p.MustEval(ctx, "window.bw.resets", &resets)
		if resets != 1 {
			t.Fatalf("%d snapshots, want 1: the reconnect reloaded everything instead of resuming", resets)
		}
	})
	t.Run("measure a known distance", func(t *testing.T) {
		p.T = t
		a, z := borderwatch.LatLon{Lat: 34.40, Lon: 40.90}, borderwatch.LatLon{Lat: 34.50, Lon: 41.10}
		p.MustEval(ctx, "window.bw.map.fitBounds([[34.35, 40.85], [34.55, 41.15]], {animate: false}), true", nil)
		p.Key(ctx, "r")
		for _, pt := range []borderwatch.LatLon{a, z} {
			var xy struct{ X, Y float64 }
			p.MustEval(ctx, fmt.Sprintf("window.bw.map.latLngToContainerPoint([%v, %v])", pt.Lat, pt.Lon), &xy)
			var off struct{ X, Y float64 }
			p.MustEval(ctx, "(r => ({x: r.left, y: r.top}))(document.getElementById('map').getBoundingClientRect())", &off)
			for _, typ := range []string{"mousePressed", "mouseReleased"} {
				if _, err := p.Call(ctx, "Input.dispatchMouseEvent", map[string]any{"type": typ, "x": xy.X + off.X, "y": xy.Y + off.Y, "button": "left", "clickCount": 1}, true); err != nil {
					t.Fatal(err)
				}
			}
		}
		p.WaitFor(ctx, "measured", "window.bw.measured > 0")
		var got float64
		p.MustEval(ctx, "window.bw.measured", &got)
		want := geo.Distance(a, z)
		// clicks land on whole pixels: at this zoom one pixel is ~40 m
		if d := got - want; d > 150 || d < -150 {
			t.Fatalf("measured %.0f m, geodesic %.0f m", got, want)
		}
		p.Key(ctx, "Escape")
	})
	if c := p.ConsoleLines(); len(c) > 0 {
		for _, l := range c {
			if !strings.Contains(l, "/api/v1/stream") { // the dropped stream itself
				t.Fatalf("page error: %s", l)
			}
		}
	}
}
