package tracker

import (
	"context"
	"fmt"
	"io"

	"github.com/borderwatch/borderwatch/internal/mtt"
)

// ScenarioOptions tune RunScenario.
type ScenarioOptions struct {
	Mode Mode
	// Workers is Config.Workers.
	Workers int
	// Estimate ignores the header's clutter density (and birth density) and
	// estimates both online, as the live system must.
	Estimate bool
	// Tune, if set, adjusts the configuration derived from the header.
	Tune func(*Config)
}

// ScenarioStats summarises a RunScenario call.
type ScenarioStats struct {
	Scans, Detections int64
	Engine            Stats
}

// RunScenario tracks an mtt-jsonl/1 scenario (plain or gzip) read from in
// and writes the confirmed tracks of every scan to out in the same format.
// It never decodes the scenario's truth. The engine takes pd, clutter
// density, region and sensor noise from the header.
func RunScenario(ctx context.Context, in io.Reader, out io.Writer, o ScenarioOptions) (ScenarioStats, error) {
	var st ScenarioStats
	r, err := mtt.Open(in)
	if err != nil {
		return st, fmt.Errorf("scenario: %w", err)
	}
	sr, err := mtt.NewScenarioReader(r, false)
	if err != nil {
		return st, fmt.Errorf("scenario: %w", err)
	}
	h := sr.Header()
	cfg := DefaultConfig()
	if o.Mode != "" {
		cfg.Mode = o.Mode
	}
	cfg.Workers = max(o.Workers, 1)
	cfg.PD = h.PD
	cfg.Region = Rect{XMin: h.Region.XMin, YMin: h.Region.YMin, XMax: h.Region.XMax, YMax: h.Region.YMax}
	if !o.Estimate {
		cfg.ClutterDensity = h.ClutterDensity
	}
	if cfg.Region.Area() == 0 {
		if cfg.ClutterDensity == 0 {
			return st, fmt.Errorf("scenario: header has neither clutter_density nor a region")
		}
		// No area to estimate births over: assume one birth per hundred
		// false detections.
		cfg.BirthDensity = 0.01 * cfg.ClutterDensity
	}
	if o.Tune != nil {
		o.Tune(&cfg)
	}
	eng, err := NewEngine(cfg)
	if err != nil {
		return st, err
	}
	rs := make([]Cov2, len(h.SensorIDs))
	for i, id := range h.SensorIDs {
		v := h.Sensors[id].Sigma * h.Sensors[id].Sigma
		rs[i] = Cov2{XX: v, YY: v}
	}
	w := mtt.NewTracksWriter(out)
	if err := w.Header(map[string]string{"tracker": "borderwatch", "mode": string(cfg.Mode), "format": mtt.Format}); err != nil {
		return st, fmt.Errorf("tracks: %w", err)
	}
	var (
		scan mtt.Scan
		dets []Detection
		ids  []int64
		xs   [][4]float64
	)
	for {
		if err := ctx.Err(); err != nil {
			return st, err
		}
		if err := sr.Next(&scan); err != nil {
			if err == io.EOF {
				break
			}
			return st, fmt.Errorf("scenario: %w", err)
		}
		dets = dets[:0]
		for _, d := range scan.Detections {
			dets = append(dets, Detection{X: d.X, Y: d.Y, R: rs[d.Sensor]})
		}
		if err := eng.Step(scan.T, dets, nil); err != nil {
			return st, fmt.Errorf("scan t=%v: %w", scan.T, err)
		}
		ids, xs = eng.Positions(ids[:0], xs[:0])
		if err := w.WriteInts(scan.T, ids, xs); err != nil {
			return st, fmt.Errorf("tracks: %w", err)
		}
		st.Scans++
		st.Detections += int64(len(dets))
	}
	if err := w.Flush(); err != nil {
		return st, fmt.Errorf("tracks: %w", err)
	}
	st.Engine = eng.Stats
	return st, nil
}
