package cli

import (
	"context"
	"fmt"
	"net"

	"github.com/borderwatch/borderwatch/internal/server"
)

func runDemo(ctx context.Context, env *Env, args []string) error {
	o, err := serverOptions("demo", env, args)
	if err != nil {
		return err
	}
	return serve(ctx, env, o, func(ctx context.Context, s *server.Server) error {
		fmt.Fprintf(env.Stdout, "borderwatch demo: the Iraq–Syria border at %s\n", browserURL(s.HTTPAddr()))
		return nil
	})
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
