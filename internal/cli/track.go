package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/borderwatch/borderwatch/internal/mtt"
	"github.com/borderwatch/borderwatch/internal/tracker"
)

// runTrack tracks an mtt-jsonl/1 scenario file and writes a tracks file.
func runTrack(ctx context.Context, env *Env, args []string) error {
	fs := flag.NewFlagSet("track", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	in := fs.String("in", "", "scenario file, mtt-jsonl/1 (.jsonl or .jsonl.gz; - for stdin)")
	out := fs.String("out", "", "tracks file to write (- for stdout)")
	mode := fs.String("mode", "gnn", "data association: gnn or jpda")
	workers := fs.Int("workers", 1, "goroutines per scan")
	estimate := fs.Bool("estimate-clutter", false, "ignore the header's clutter density and estimate it online")
	quiet := fs.Bool("q", false, "do not print the run summary on stderr")
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return flagHelp
		}
		return fmt.Errorf("%w: %v", ErrUsage, err)
	}
	if *in == "" || *out == "" || fs.NArg() > 0 {
		return fmt.Errorf("%w: want --in SCENARIO --out TRACKS [--mode gnn|jpda]", ErrUsage)
	}
	m := tracker.Mode(*mode)
	if m != tracker.ModeGNN && m != tracker.ModeJPDA {
		return fmt.Errorf("%w: --mode %q: want gnn or jpda", ErrUsage, *mode)
	}
	// The run allocates little and briefly; a higher GC target trades a
	// few MB of heap for less collector work.
	debug.SetGCPercent(400)
	var r io.Reader = env.Stdin
	if *in != "-" {
		f, err := os.Open(*in)
		if err != nil {
			return fmt.Errorf("--in: %w", err)
		}
		defer f.Close()
		r = f
	}
	var w io.Writer = env.Stdout
	var f *os.File
	if *out != "-" {
		var err error
		if f, err = os.Create(*out); err != nil {
			return fmt.Errorf("--out: %w", err)
		}
		defer f.Close()
		w = f
	}
	start := time.Now()
	st, err := tracker.RunScenario(ctx, r, w, tracker.ScenarioOptions{Mode: m, Workers: *workers, Estimate: *estimate})
	if err != nil {
		return fmt.Errorf("%s: %w", *in, err)
	}
	if f != nil {
		if err := f.Close(); err != nil {
			return fmt.Errorf("--out %s: %w", *out, err)
		}
	}
	if !*quiet {
		el := time.Since(start)
		fmt.Fprintf(env.Stderr, "tracked %d scans, %d detections in %.3f s (%.0f detections/s wall), %d tracks confirmed\n",
			st.Scans, st.Detections, el.Seconds(), float64(st.Detections)/el.Seconds(), st.Engine.Confirmed)
	}
	return nil
}

// runEval scores a tracks file against a scenario with GOSPA.
func runEval(ctx context.Context, env *Env, args []string) error {
	fs := flag.NewFlagSet("eval", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	scenario := fs.String("scenario", "", "scenario file with truth, mtt-jsonl/1 (.jsonl or .jsonl.gz)")
	tracks := fs.String("tracks", "", "tracks file, mtt-jsonl/1 (.jsonl or .jsonl.gz)")
	c := fs.Float64("c", 50, "GOSPA cut-off distance, metres")
	p := fs.Float64("p", 1, "GOSPA order")
	asJSON := fs.Bool("json", false, "print the result as one JSON object")
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return flagHelp
		}
		return fmt.Errorf("%w: %v", ErrUsage, err)
	}
	if *scenario == "" || *tracks == "" || fs.NArg() > 0 {
		return fmt.Errorf("%w: want --scenario SCENARIO --tracks TRACKS", ErrUsage)
	}
	if !(*c > 0) || !(*p >= 1) {
		return fmt.Errorf("%w: --c %v --p %v: want c > 0 and p >= 1", ErrUsage, *c, *p)
	}
	open := func(name string) (io.Reader, func() error, error) {
		f, err := os.Open(name)
		if err != nil {
			return nil, nil, err
		}
		r, err := mtt.Open(f)
		if err != nil {
			f.Close()
			return nil, nil, fmt.Errorf("%s: %w", name, err)
		}
		return r, f.Close, nil
	}
	sr, sclose, err := open(*scenario)
	if err != nil {
		return fmt.Errorf("--scenario: %w", err)
	}
	defer func() { _ = sclose() }() // read-only
	tr, tclose, err := open(*tracks)
	if err != nil {
		return fmt.Errorf("--tracks: %w", err)
	}
	defer func() { _ = tclose() }() // read-only
	res, err := mtt.Evaluate(sr, tr, *c, *p)
	if err != nil {
		return fmt.Errorf("eval %s against %s: %w", *tracks, *scenario, err)
	}
	bw := bufio.NewWriter(env.Stdout)
	if *asJSON {
		b, _ := json.Marshal(map[string]any{
			"scans": res.Scans, "gospa": res.GOSPA, "loc": res.Loc, "missed": res.Missed, "false": res.False,
			"mean_truths": res.MeanTruths, "mean_tracks": res.MeanTracks, "gospa_per_truth": res.PerTruth(),
			"c": res.C, "p": res.P,
		})
		bw.Write(append(b, '\n'))
	} else {
		fmt.Fprintln(bw, res.String())
		fmt.Fprintf(bw, "mean GOSPA %s\n", strconv.FormatFloat(res.GOSPA, 'g', 17, 64))
	}
	return bw.Flush()
}
