package server

import (
	"fmt"
	"net/http"

	"github.com/borderwatch/borderwatch"
	"github.com/borderwatch/borderwatch/internal/audit"
	"github.com/borderwatch/borderwatch/internal/metrics"
	"github.com/borderwatch/borderwatch/internal/policy"
	"github.com/borderwatch/borderwatch/internal/web"
)

// handler builds the web handler: the API, the live stream, replay and
// export, the map UI, /metrics and /healthz, behind the security guard
// (accounts, sessions, CSRF, rate limits, the role gate, auditing). Every
// record shown passes the policy (Releasable, viewer).
func (s *Server) handler() (http.Handler, error) {
	sec, err := s.security()
	if err != nil {
		return nil, err
	}
	if err := s.startCoTTLS(); err != nil {
		return nil, err
	}
	h, err := web.New(web.Options{
		Logger:     s.log,
		Live:       s.live,
		Deployment: s.dep,
		Metrics: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			// The guard serves /metrics through the policy; this is not reached.
			w.Header().Set("Content-Type", metrics.ContentType)
			http.Error(w, "forbidden", http.StatusForbidden)
		}),
		Registry:     s.metrics,
		Ingest:       sec.ingest,
		Authenticate: sec.authenticate,
		Releasable:   sec.releasable,
		AlertAction:  sec.alertAction,
		Now:          s.opts.Now,
		Context:      s.streamCtx,
	})
	if err != nil {
		return nil, fmt.Errorf("server: web: %w", err)
	}
	mux := http.NewServeMux()
	hist := &history{s: s, viewer: sec.viewer, exported: sec.exported}
	hist.register(mux)
	if s.resp != nil {
		s.resp.routes(mux, sec.who)
	}
	mux.Handle("/", h)
	return sec.guard(mux), nil
}

// viewer is history's releasability check: replay and track history are
// ActReplay, exports ActExport, decided by the policy.
func (sec *security) viewer(r *http.Request) (func(borderwatch.Label) bool, bool) {
	c := callerOf(r)
	if !c.ok {
		return nil, false
	}
	act := policy.ActReplay
	if r.URL.Path == "/api/v1/export" {
		act = policy.ActExport
	}
	return policy.Filter(c.p, act), true
}

// exported records an export in the audit log.
func (sec *security) exported(r *http.Request, kind, format string, n int) {
	c := callerOf(r)
	sec.record(audit.Entry{Actor: c.p.Subject, Agency: c.p.Agency, Action: audit.ActExport, Object: kind, Remote: c.addr,
		Detail: fmt.Sprintf("%d %s as %s, query %s", n, kind, format, r.URL.RawQuery)})
}

// who is the caller of the incident and dispatch routes
// (response.routes), which ask the policy themselves.
func (sec *security) who(r *http.Request) (policy.Principal, bool) {
	c := callerOf(r)
	return c.p, c.ok
}
