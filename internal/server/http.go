package server

import (
	"context"
	"fmt"
	"net/http"

	"github.com/borderwatch/borderwatch"
	"github.com/borderwatch/borderwatch/internal/metrics"
	"github.com/borderwatch/borderwatch/internal/web"
)

// handler builds the web handler: the API, the live stream, the map UI,
// /metrics and /healthz.
func (s *Server) handler() (http.Handler, error) {
	h, err := web.New(web.Options{
		Logger:     s.log,
		Live:       s.live,
		Deployment: s.dep,
		Metrics: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", metrics.ContentType)
			s.metrics.WriteTo(w)
		}),
		Registry: s.metrics,
		Ingest: func(ctx context.Context, obs []borderwatch.Observation) error {
			return s.pipe.Handle(ctx, "http", obs)
		},
		Authenticate: s.authenticate,
		Now:          s.opts.Now,
		Context:      s.streamCtx,
	})
	if err != nil {
		return nil, fmt.Errorf("server: web: %w", err)
	}
	mux := http.NewServeMux()
	hist := &history{s: s, viewer: s.viewer}
	hist.register(mux)
	mux.Handle("/", h)
	return mux, nil
}

// viewer returns the releasability check of an authenticated caller.
func (s *Server) viewer(r *http.Request) (func(borderwatch.Label) bool, bool) {
	p, ok := s.authenticate(r)
	if !ok {
		return nil, false
	}
	return func(l borderwatch.Label) bool { return l.ReleasableToAgency(p.Agency) }, true
}
