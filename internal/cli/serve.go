package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/borderwatch/borderwatch/internal/server"
)

// flagHelp is returned when -h was asked for; it exits 0.
var flagHelp = flag.ErrHelp

// serverOptions fills server.Options in order: defaults, BORDERWATCH_*
// environment, flags.
func serverOptions(name string, env *Env, args []string) (server.Options, error) {
	o := server.Defaults()
	lookup := env.LookupEnv
	if lookup == nil {
		lookup = func(k string) (string, bool) { v := env.Getenv(k); return v, v != "" }
	}
	o.FromEnv(lookup)
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	for _, s := range server.Settings {
		fs.StringVar(s.Field(&o), s.Flag, *s.Field(&o), s.Usage+" (env "+s.Env+`; "" disables a listener)`)
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return o, flagHelp
		}
		return o, fmt.Errorf("%w: %v", ErrUsage, err)
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("%w: unexpected argument %q", ErrUsage, fs.Arg(0))
	}
	o.Logger = env.Logger
	if err := o.Validate(); err != nil {
		return o, fmt.Errorf("%w: invalid configuration:\n%v", ErrUsage, err)
	}
	return o, nil
}

func runServe(ctx context.Context, env *Env, args []string) error {
	o, err := serverOptions("serve", env, args)
	if err != nil {
		return err
	}
	return serve(ctx, env, o, func(ctx context.Context, s *server.Server) error {
		if u := s.URL(); u != "" {
			fmt.Fprintf(env.Stdout, "borderwatch: web UI at %s\n", u)
		}
		printLogin(env, s)
		return nil
	})
}

// printLogin prints the first administrator's one-time password, once,
// to standard output (never to the log).
func printLogin(env *Env, s *server.Server) {
	if pw := s.BootstrapPassword(); pw != "" {
		fmt.Fprintf(env.Stdout, "sign in as admin with the one-time password %s (you must change it at first sign-in)\n", pw)
	}
}

// serve runs a server until ctx ends or SIGINT/SIGTERM arrives; started,
// when not nil, runs once the server is ready.
func serve(ctx context.Context, env *Env, o server.Options, started func(ctx context.Context, s *server.Server) error) error {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	s, err := server.New(o)
	if err != nil {
		return err
	}
	if err := s.Start(ctx); err != nil {
		return err
	}
	<-s.Ready()
	// started's error stops the server; its success leaves it running.
	runErr := make(chan error, 1)
	if started != nil {
		go func() {
			if err := started(ctx, s); err != nil {
				runErr <- err
			}
		}()
	}
	select {
	case <-ctx.Done():
		err = nil
	case err = <-s.Err():
	case err = <-runErr:
	}
	sctx, cancel := context.WithTimeout(context.Background(), o.ShutdownTimeout)
	defer cancel()
	return errors.Join(err, s.Shutdown(sctx))
}

func runCheckConfig(ctx context.Context, env *Env, args []string) error {
	if _, err := serverOptions("check-config", env, args); err != nil {
		return err
	}
	fmt.Fprintln(env.Stdout, "configuration ok")
	return nil
}

func runDumpConfig(ctx context.Context, env *Env, args []string) error {
	o, err := serverOptions("dump-config", env, args)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(env.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(o)
}

func runVersion(ctx context.Context, env *Env, args []string) error {
	fmt.Fprintln(env.Stdout, "borderwatch", Version)
	return nil
}

// Version is set at build time with -ldflags "-X ...cli.Version=...".
var Version = "dev"
