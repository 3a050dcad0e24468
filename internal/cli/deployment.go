package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/borderwatch/borderwatch"
	"github.com/borderwatch/borderwatch/deployments"
	"github.com/borderwatch/borderwatch/internal/deployment"
	"github.com/borderwatch/borderwatch/internal/layout"
)

const deploymentUsage = `usage: borderwatch deployment <command> [flags]

Commands:
  validate   load and validate a deployment folder; print every problem
  show       print a summary of the deployment (--format text|json)
  export     write the deployment as GeoJSON or KML (--format geojson|kml, --out FILE)
  layout     regenerate the sensor layout from its rules (--density X, --write, --out FILE)

Every command takes --deployment DIR (env BORDERWATCH_DEPLOYMENT); the
default is the embedded Iraq–Syria reference deployment.`

// runDeployment implements `borderwatch deployment validate|show|export|layout`.
func runDeployment(ctx context.Context, env *Env, args []string) error {
	if len(args) == 0 {
		fmt.Fprintln(env.Stderr, deploymentUsage)
		return fmt.Errorf("%w: missing command", ErrUsage)
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "-h", "--help", "help":
		fmt.Fprintln(env.Stderr, deploymentUsage)
		return flagHelp
	case "validate", "show", "export", "layout":
	default:
		fmt.Fprintln(env.Stderr, deploymentUsage)
		return fmt.Errorf("%w: unknown command %q", ErrUsage, cmd)
	}
	fset := flag.NewFlagSet("deployment "+cmd, flag.ContinueOnError)
	fset.SetOutput(env.Stderr)
	def := ""
	if env.Getenv != nil {
		def = env.Getenv("BORDERWATCH_DEPLOYMENT")
	}
	dir := fset.String("deployment", def, "deployment folder (env BORDERWATCH_DEPLOYMENT; default: the embedded reference)")
	var format, out *string
	var density *float64
	var write *bool
	switch cmd {
	case "show":
		format = fset.String("format", "text", "output format: text or json")
	case "export":
		format = fset.String("format", "geojson", "output format: geojson or kml")
		out = fset.String("out", "", "write to FILE instead of standard output")
	case "layout":
		density = fset.Float64("density", 1, "towers and ground sensors per km relative to the rules (2 halves the spacing)")
		write = fset.Bool("write", false, "write the generated layout into the deployment folder (needs --deployment)")
		out = fset.String("out", "", "write the generated layout file to FILE")
	}
	if err := fset.Parse(rest); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return flagHelp
		}
		return fmt.Errorf("%w: %v", ErrUsage, err)
	}
	if fset.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q", ErrUsage, fset.Arg(0))
	}
	fsys, folder, opts := deploymentSource(*dir)

	switch cmd {
	case "validate":
		f, err := deployment.Open(fsys, folder, opts)
		if err != nil {
			return deploymentErr(env, err)
		}
		d := f.Deployment
		fmt.Fprintf(env.Stdout, "%s: valid: %.2f km border, %d sectors, %d barriers, %d crossings, %d sites, %d sensors, %d drones, %d units\n",
			sourceName(*dir), d.Border.LengthKm, len(d.Sectors), len(d.Barriers), len(d.Crossings), len(d.Sites), len(d.Sensors), len(d.Drones), len(d.Units))
		return nil
	case "show":
		d, err := deployment.Load(fsys, folder)
		if err != nil {
			return deploymentErr(env, err)
		}
		switch *format {
		case "text":
			return writeSummary(env.Stdout, d)
		case "json":
			enc := json.NewEncoder(env.Stdout)
			enc.SetIndent("", "  ")
			return enc.Encode(d)
		}
		return fmt.Errorf("%w: --format %q: want text or json", ErrUsage, *format)
	case "export":
		if *format != "geojson" && *format != "kml" {
			return fmt.Errorf("%w: --format %q: want geojson or kml", ErrUsage, *format)
		}
		f, err := deployment.Open(fsys, folder, opts)
		if err != nil {
			return deploymentErr(env, err)
		}
		var buf bytes.Buffer
		if *format == "kml" {
			err = deployment.WriteKML(&buf, f.Deployment)
		} else {
			err = deployment.WriteGeoJSON(&buf, f.Deployment)
		}
		if err != nil {
			return err
		}
		if *out == "" {
			_, err = env.Stdout.Write(buf.Bytes())
			return err
		}
		if err := os.WriteFile(*out, buf.Bytes(), 0o644); err != nil {
			return fmt.Errorf("export: %w", err)
		}
		fmt.Fprintf(env.Stderr, "wrote %s (%d bytes)\n", *out, buf.Len())
		return nil
	}
	// layout
	if *write && *dir == "" {
		return fmt.Errorf("%w: --write needs --deployment DIR; the embedded reference is read-only (use --out FILE to see the result)", ErrUsage)
	}
	res, err := layout.FromFolder(fsys, folder, opts, *density)
	if res == nil && err != nil {
		return deploymentErr(env, err)
	}
	writeLayoutStats(env.Stdout, res.Layout)
	if err != nil {
		return err // some stretches are not covered at this density
	}
	if *out != "" {
		if err := os.WriteFile(*out, res.Data, 0o644); err != nil {
			return fmt.Errorf("layout: %w", err)
		}
		fmt.Fprintf(env.Stdout, "wrote %s\n", *out)
	}
	if *write {
		path := filepath.Join(*dir, filepath.FromSlash(res.File))
		if err := os.WriteFile(path, res.Data, 0o644); err != nil {
			return fmt.Errorf("layout: %w", err)
		}
		if _, err := deployment.Open(fsys, folder, opts); err != nil {
			return fmt.Errorf("layout: wrote %s but the deployment no longer validates:\n%w", path, err)
		}
		fmt.Fprintf(env.Stdout, "wrote %s\n", path)
	}
	return nil
}

// deploymentSource returns where to load a deployment from: the folder
// dir on disk, or the embedded reference when dir is "".
func deploymentSource(dir string) (fs.FS, string, deployment.Options) {
	if dir == "" {
		return deployments.FS, deployments.Reference, deployment.Options{DisplayDir: "(embedded) " + deployments.Reference}
	}
	return os.DirFS(dir), ".", deployment.Options{DisplayDir: dir}
}

func sourceName(dir string) string {
	if dir == "" {
		return "embedded " + deployments.Reference
	}
	return dir
}

// deploymentErr prints validation problems one per line and returns a
// short error.
func deploymentErr(env *Env, err error) error {
	var es deployment.Errors
	if errors.As(err, &es) {
		for _, e := range es {
			fmt.Fprintln(env.Stderr, e.Error())
		}
		return fmt.Errorf("%d problems", len(es))
	}
	return err
}

func writeSummary(w io.Writer, d *borderwatch.Deployment) error {
	fmt.Fprintf(w, "%s — %s\n", d.Name, d.Title)
	fmt.Fprintf(w, "border: %.2f km, %s on the left, %s on the right; time zone %s\n\n", d.Border.LengthKm, d.Border.Left.Name, d.Border.Right.Name, d.TimeZone)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SECTOR\tKM\tAGENCY\tTERRAIN\tTOWERS\tCAMERAS\tRADARS\tGROUND\tUNITS")
	for _, s := range d.Sectors {
		var towers, cams, radars, ground, units int
		for _, x := range d.Sites {
			if x.Sector == s.ID && x.Kind == borderwatch.SiteWatchtower {
				towers++
			}
		}
		for _, x := range d.Sensors {
			if x.Sector != s.ID {
				continue
			}
			switch x.Kind {
			case borderwatch.SourceThermalCamera:
				cams++
			case borderwatch.SourceRadar:
				radars++
			case borderwatch.SourceGroundSensor:
				ground++
			}
		}
		for _, u := range d.Units {
			if u.Sector == s.ID {
				units++
			}
		}
		fmt.Fprintf(tw, "%s\t%.1f–%.1f\t%s\t%s\t%d\t%d\t%d\t%d\t%d\n", s.ID, s.FromKm, s.ToKm, s.Agency, s.Terrain, towers, cams, radars, ground, units)
	}
	tw.Flush()
	km := map[borderwatch.BarrierKind]float64{}
	for _, b := range d.Barriers {
		km[b.Kind] += b.ToKm - b.FromKm
	}
	kinds := make([]string, 0, len(km))
	for k, v := range km {
		kinds = append(kinds, fmt.Sprintf("%s %.1f km", k, v))
	}
	sort.Strings(kinds)
	fmt.Fprintf(w, "\nbarriers: %s\n", strings.Join(kinds, ", "))
	fmt.Fprintln(w, "crossings:")
	for _, c := range d.Crossings {
		official := "official"
		if !c.Official {
			official = "unofficial (de facto)"
		}
		hours := c.Hours
		if hours == "" {
			hours = "-"
		}
		fmt.Fprintf(w, "  km %6.1f  %-32s %-10s %-8s hours %s\n", c.Chainage, c.Name, c.Status, official, hours)
	}
	bases := map[string]int{}
	for _, dr := range d.Drones {
		bases[dr.Base]++
	}
	fmt.Fprintf(w, "drones: %d from %d bases; units: %d\n", len(d.Drones), len(bases), len(d.Units))
	return nil
}

func writeLayoutStats(w io.Writer, l *layout.Layout) {
	fmt.Fprintf(w, "layout at density %g\n", l.Density)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SECTOR\tKM\tTOWERS\tCAMERAS\tRADARS\tGROUND\tMAX RANGE NEEDED")
	for _, s := range append(l.Stats, l.Totals()) {
		fmt.Fprintf(tw, "%s\t%.1f\t%d\t%d\t%d\t%d\t%.0f m\n", s.Sector, s.LengthKm, s.Towers, s.Cameras, s.Radars, s.GroundSensors, s.MaxRangeM)
	}
	tw.Flush()
}
