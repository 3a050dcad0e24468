package cli

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/borderwatch/borderwatch"
	"github.com/borderwatch/borderwatch/internal/pki"
	"github.com/borderwatch/borderwatch/internal/policy"
	"github.com/borderwatch/borderwatch/internal/server"
	"github.com/borderwatch/borderwatch/internal/sim"
	"github.com/borderwatch/borderwatch/internal/simnet"
)

// runDemo starts the server on the embedded deployment and, against it
// in-process, the simulator: a living border through CoT, MAVLink and
// MQTT. The simulator's own flags (--seed, --speed, --activity, --warmup,
// --respond, --no-sim) are taken out before the server's are parsed.
func runDemo(ctx context.Context, env *Env, args []string) error {
	var sf simFlags
	sfs := newSimFlagSet(&sf)
	sfs.SetOutput(env.Stderr)
	noSim := sfs.Lookup("no-sim").Value.(flag.Getter)
	simArgs, rest := splitFlags(sfs, args)
	for _, a := range rest {
		if a == "-h" || a == "-help" || a == "--help" || a == "--h" {
			fmt.Fprintln(env.Stderr, "Simulator flags of demo:")
			sfs.PrintDefaults()
			fmt.Fprintln(env.Stderr, "Server flags:")
		}
	}
	if err := sfs.Parse(simArgs); err != nil {
		if err == flag.ErrHelp {
			_, err := serverOptions("demo", env, []string{"-h"})
			return err
		}
		return fmt.Errorf("%w: %v", ErrUsage, err)
	}
	if err := sf.check(); err != nil {
		return err
	}
	o, err := serverOptions("demo", env, rest)
	if err != nil {
		return err
	}
	return serve(ctx, env, o, func(ctx context.Context, s *server.Server) error {
		fmt.Fprintf(env.Stdout, "borderwatch demo: the Iraq–Syria border at %s\n", s.URL())
		if pw := s.BootstrapPassword(); pw != "" {
			fmt.Fprintf(env.Stdout, "  login: admin, one-time password %s (change it at first sign-in)\n", pw)
		}
		if tok, file := s.APIToken(); tok != "" {
			fmt.Fprintf(env.Stdout, "  ingest token (sensors and scripts post observations): kept in %s\n", file)
		}
		if file, err := exerciseToken(s, o.DataDir); err != nil {
			env.Logger.Warn("demo: no exercise token", "err", err)
		} else {
			ca := ""
			if strings.HasPrefix(s.URL(), "https:") {
				ca = " --ca-file " + filepath.Join(pki.PathIn(o.DataDir), "ca.pem")
			}
			fmt.Fprintf(env.Stdout, "  run an exercise: borderwatch exercise run SCENARIO.yaml --server-http %s --token-file %s%s\n",
				strings.TrimSuffix(s.URL(), "/"), file, ca)
		}
		if demoStarted != nil {
			demoStarted(s)
		}
		if noSim.Get().(bool) {
			return nil
		}
		return runDemoSim(ctx, env, s, sf)
	})
}

// demoStarted, when set (tests), is told of the demo's server once it runs.
var demoStarted func(*server.Server)

// exerciseToken returns the file of an analyst token for exercise scoring
// (reads tracks and alerts, posts the exercise's detections), issued once
// per data directory.
func exerciseToken(s *server.Server, dataDir string) (string, error) {
	file := filepath.Join(dataDir, "secrets", "exercise-token")
	if b, err := os.ReadFile(file); err == nil && len(strings.TrimSpace(string(b))) > 0 {
		return file, nil
	}
	var agency borderwatch.Agency
	if d := s.Deployment(); len(d.Agencies) > 0 {
		agency = d.Agencies[0].ID
	}
	tok, err := s.IssueToken("demo-exercise", agency, policy.RoleAnalyst, policy.RoleSensor)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
		return "", err
	}
	if err := os.WriteFile(file, []byte(tok+"\n"), 0o600); err != nil {
		return "", err
	}
	return file, nil
}

// newSimFlagSet is the demo's own flags: a month's activity in about a
// day, already under way, with the simulated command responding.
func newSimFlagSet(sf *simFlags) *flag.FlagSet {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	sf.register(fs, 30, 3*time.Hour, true)
	fs.Bool("no-sim", false, "start the server only")
	return fs
}

// runDemoSim runs the simulator against s until ctx ends.
func runDemoSim(ctx context.Context, env *Env, s *server.Server, sf simFlags) error {
	so := simnet.Options{CoTAddr: s.CoTTCPAddr(), MAVLinkAddr: s.MAVLinkAddr(), MQTTAddr: s.MQTTAddr()}
	if so.MQTTAddr != "" {
		user, file := s.MQTTCredentials()
		pw, err := os.ReadFile(file)
		if err != nil {
			return fmt.Errorf("demo: mqtt password: %w", err)
		}
		so.MQTTUser, so.MQTTPassword = user, strings.TrimSpace(string(pw))
	}
	if so.MQTTAddr == "" && s.HTTPAddr() != "" {
		// No camera broker: cameras report over the HTTP API.
		tok, _ := s.APIToken()
		so.HTTPURL, so.Token, so.DetectionsViaHTTP = "http://"+s.HTTPAddr(), tok, true
	}
	simulation, err := sim.New(sim.Options{Deployment: s.Deployment(), Seed: sf.seed, Start: time.Now(), Activity: sf.activity,
		Warmup: sf.warmup, Respond: sf.respond})
	if err != nil {
		return err
	}
	r, snd, err := startSimulator(ctx, env, simulation, so, simnet.RunOptions{Speed: sf.speed})
	if err != nil {
		return err
	}
	defer snd.Close()
	// Units the operators dispatch move in the simulation.
	s.OnDispatch(func(unitID string, target borderwatch.LatLon) {
		if err := r.Dispatch(unitID, target); err != nil {
			env.Logger.Warn("demo: simulated unit not dispatched", "unit", unitID, "err", err)
		}
	})
	fmt.Fprintf(env.Stdout, "  simulator: seed %d, speed %gx, activity %gx the reference rates, patrols over CoT %s, drones over MAVLink %s, cameras over MQTT %s\n",
		sf.seed, sf.speed, sf.activity, orNone(so.CoTAddr), orNone(so.MAVLinkAddr), orNone(so.MQTTAddr))
	return r.Run(ctx)
}

func orNone(s string) string {
	if s == "" {
		return "(off)"
	}
	return s
}

// splitFlags separates the arguments that name flags of fs (with their
// values) from the rest, keeping each group's order.
func splitFlags(fs *flag.FlagSet, args []string) (mine, rest []string) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		name := strings.TrimLeft(a, "-")
		if !strings.HasPrefix(a, "-") || name == "" || a == "--" {
			rest = append(rest, a)
			continue
		}
		name, _, hasValue := strings.Cut(name, "=")
		f := fs.Lookup(name)
		if f == nil {
			rest = append(rest, a)
			continue
		}
		mine = append(mine, a)
		if bf, ok := f.Value.(interface{ IsBoolFlag() bool }); hasValue || (ok && bf.IsBoolFlag()) {
			continue
		}
		if i+1 < len(args) {
			i++
			mine = append(mine, args[i])
		}
	}
	return mine, rest
}
