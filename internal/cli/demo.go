package cli

import (
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"strings"
	"time"

	"github.com/borderwatch/borderwatch/internal/server"
	"github.com/borderwatch/borderwatch/internal/sim"
	"github.com/borderwatch/borderwatch/internal/simnet"
)

// runDemo starts the server on the embedded deployment and, against it
// in-process, the simulator: a living border through CoT, MAVLink and
// MQTT. The simulator's own flags (--seed, --speed, --activity, --warmup,
// --respond, --no-sim) are taken out before the server's are parsed.
func runDemo(ctx context.Context, env *Env, args []string) error {
	sfs := flag.NewFlagSet("demo", flag.ContinueOnError)
	sfs.SetOutput(env.Stderr)
	var sf simFlags
	// A month's activity in about a day, already under way.
	sf.register(sfs, 30, 3*time.Hour, true)
	noSim := sfs.Bool("no-sim", false, "start the server only")
	simArgs, rest := splitFlags(sfs, args)
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
		fmt.Fprintf(env.Stdout, "borderwatch demo: the Iraq–Syria border at %s\n", browserURL(s.HTTPAddr()))
		if tok, file := s.APIToken(); tok != "" {
			fmt.Fprintf(env.Stdout, "  login: API token %s (kept in %s)\n", tok, file)
		}
		if *noSim {
			return nil
		}
		return runDemoSim(ctx, env, s, sf)
	})
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

// browserURL turns a bound address into a URL a person can open.
func browserURL(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "http://" + addr + "/"
	}
	if host == "" || host == "::" || host == "0.0.0.0" {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port) + "/"
}
