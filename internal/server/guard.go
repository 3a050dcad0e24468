package server

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/borderwatch/borderwatch"
	"github.com/borderwatch/borderwatch/internal/audit"
	"github.com/borderwatch/borderwatch/internal/auth"
	"github.com/borderwatch/borderwatch/internal/policy"
	"github.com/borderwatch/borderwatch/internal/web"
)

// Limits of the HTTP edge.
const (
	// maxRequestBody bounds every request body (the observations endpoint
	// has its own, lower, limit of 4 MiB in web).
	maxRequestBody = 5 << 20
	// maxAccountBody bounds the account endpoints' JSON.
	maxAccountBody = 16 << 10
)

// caller is what the guard learnt about a request.
type caller struct {
	p    policy.Principal
	sess *auth.Session
	ok   bool
	addr string
}

type callerKey struct{}

func callerOf(r *http.Request) caller {
	c, _ := r.Context().Value(callerKey{}).(caller)
	return c
}

// guard wraps the web handler: it sets security headers and the body
// limit, establishes the caller once, applies the per-caller rate limit,
// the CSRF check of session requests, the password-change gate and the
// role gate of each web route, audits protected records as they are
// shown, and serves the account, token, device, audit and metrics
// endpoints itself.
func (sec *security) guard(next http.Handler) http.Handler {
	mux := http.NewServeMux()
	sec.accountRoutes(mux)
	mux.Handle("/", sec.gate(next))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Referrer-Policy", "no-referrer")
		if r.TLS != nil {
			hd.Set("Strict-Transport-Security", "max-age=31536000")
		}
		if r.Body != nil {
			r.Body = http.MaxBytesReader(w, r.Body, maxRequestBody)
		}
		c := caller{addr: clientAddr(r)}
		c.p, c.sess, c.ok = sec.principal(r)
		lim, key := sec.anon, "addr:"+c.addr
		if c.ok {
			lim, key = sec.api, "sub:"+c.p.Subject
		}
		if ok, wait := lim.Allow(key); !ok {
			hd.Set("Retry-After", strconv.Itoa(int(wait/time.Second)+1))
			writeError(w, http.StatusTooManyRequests, "too_many_requests", "request rate limit exceeded")
			return
		}
		if c.sess != nil && !safeMethod(r.Method) && r.URL.Path != "/api/v1/login" &&
			!sec.auth.CheckCSRF(c.sess.ID, r.Header.Get(csrfHeader)) {
			writeError(w, http.StatusForbidden, borderwatch.EFORBIDDEN, "missing or wrong "+csrfHeader+" header (CSRF protection)")
			return
		}
		if c.sess != nil && c.sess.MustChange && strings.HasPrefix(r.URL.Path, "/api/") && !duringPasswordChange[r.URL.Path] {
			writeError(w, http.StatusForbidden, borderwatch.EFORBIDDEN, "password change required: POST /api/v1/password first")
			return
		}
		ctx := context.WithValue(r.Context(), callerKey{}, c)
		ctx = context.WithValue(ctx, remoteKey{}, c.addr)
		if c.ok {
			ctx = withPrincipal(ctx, c.p)
		}
		mux.ServeHTTP(w, r.WithContext(ctx))
	})
}

// duringPasswordChange are the API paths a session that must change its
// password may use.
var duringPasswordChange = map[string]bool{"/api/v1/me": true, "/api/v1/password": true, "/api/v1/logout": true, "/api/v1/login": true}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// clientAddr is the client's IP address (the connection's peer: no proxy
// header is trusted).
func clientAddr(r *http.Request) string {
	h, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return h
}

// webRoutes maps each API route served behind the guard (web's, replay
// and export, incidents) to the actions its role must grant; views marks
// routes that show live records (protected ones are audited), change the
// audit action recorded for a state change, with its outcome.
var webRoutes = []struct {
	method, prefix string
	exact          bool
	act            []policy.Action
	views          bool
	change         audit.Action
}{
	{"GET", "/api/v1/deployment", true, []policy.Action{policy.ActViewDeployment}, false, ""},
	{"GET", "/api/v1/tracks", true, []policy.Action{policy.ActView}, true, ""},
	{"GET", "/api/v1/alerts", true, []policy.Action{policy.ActView}, true, ""},
	{"GET", "/api/v1/units", true, []policy.Action{policy.ActView}, true, ""},
	{"GET", "/api/v1/drones", true, []policy.Action{policy.ActView}, true, ""},
	{"GET", "/api/v1/sensors", true, []policy.Action{policy.ActView}, true, ""},
	{"GET", "/api/v1/stream", true, []policy.Action{policy.ActView}, true, ""},
	{"POST", "/api/v1/stream/", false, []policy.Action{policy.ActView}, false, ""},
	{"POST", "/api/v1/observations", true, []policy.Action{policy.ActIngest}, false, ""},
	{"POST", "/api/v1/alerts/", false, []policy.Action{policy.ActAcknowledge, policy.ActDismiss}, false, ""},
	{"GET", "/api/v1/replay", true, []policy.Action{policy.ActReplay}, false, ""},
	{"GET", "/api/v1/history/", false, []policy.Action{policy.ActReplay}, false, ""},
	{"GET", "/api/v1/export", true, []policy.Action{policy.ActExport}, false, ""},
	{"GET", "/api/v1/incidents", false, []policy.Action{policy.ActView}, false, ""},
	{"GET", "/api/v1/dashboard", true, []policy.Action{policy.ActView}, false, ""},
	{"POST", "/api/v1/incidents/", false, []policy.Action{policy.ActDispatch}, false, audit.ActChange},
	{"POST", "/api/v1/incidents", true, []policy.Action{policy.ActDispatch}, false, audit.ActChange},
	{"", "/api/v1/crossings/", false, []policy.Action{policy.ActCrossingStatus}, false, audit.ActCrossingStatus},
}

// gate applies the role table to the routes behind the guard before
// they run; they then filter every record through the policy.
func (sec *security) gate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := callerOf(r)
		if !c.ok || !strings.HasPrefix(r.URL.Path, "/api/") {
			next.ServeHTTP(w, r) // the routes answer 401 themselves
			return
		}
		for _, rt := range webRoutes {
			method := rt.method
			if method == "" && !safeMethod(r.Method) {
				method = r.Method
			}
			if r.Method != method || (rt.exact && r.URL.Path != rt.prefix) || (!rt.exact && !strings.HasPrefix(r.URL.Path, rt.prefix)) {
				continue
			}
			granted := false
			for _, a := range rt.act {
				granted = granted || policy.RolesGrant(c.p.Roles, a)
			}
			if !granted {
				if !safeMethod(r.Method) {
					act := rt.change
					if act == "" {
						act = audit.ActDenied
					}
					sec.record(audit.Entry{Actor: c.p.Subject, Agency: c.p.Agency, Action: act, Object: r.Method + " " + r.URL.Path,
						Outcome: audit.OutcomeDenied, Remote: c.addr, Detail: "role does not permit it"})
				}
				writeError(w, http.StatusForbidden, borderwatch.EFORBIDDEN, "not permitted to your role")
				return
			}
			switch {
			case rt.views:
				next.ServeHTTP(&viewAudit{ResponseWriter: w, sec: sec, c: c, route: rt.prefix}, r)
				return
			case rt.change != "":
				act := rt.change
				if strings.HasSuffix(r.URL.Path, "/dispatch") {
					act = audit.ActDispatch
				}
				sw := &web.StatusWriter{ResponseWriter: w}
				next.ServeHTTP(sw, r)
				e := audit.Entry{Actor: c.p.Subject, Agency: c.p.Agency, Action: act, Object: r.Method + " " + r.URL.Path, Remote: c.addr,
					Detail: "status " + strconv.Itoa(sw.Status())}
				switch {
				case sw.Status() == http.StatusForbidden || sw.Status() == http.StatusNotFound:
					e.Outcome = audit.OutcomeDenied
				case sw.Status() >= 400:
					e.Outcome = audit.OutcomeFailed
				}
				sec.record(e)
				return
			}
			break
		}
		next.ServeHTTP(w, r)
	})
}

func writeError(w http.ResponseWriter, status int, code borderwatch.ErrorCode, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"code": code, "message": msg}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// viewAudit records every protected record (one with a handling note) a
// response shows, before the bytes leave: a list response is one JSON
// array written at once; a stream writes one SSE event per batch. Bytes
// without a handling note pass untouched and unparsed.
type viewAudit struct {
	http.ResponseWriter
	sec   *security
	c     caller
	route string
	mu    sync.Mutex
	seen  map[string]bool // per stream: each record audited once
}

var handlingMark = []byte(`"handling":"`)

func (v *viewAudit) Write(b []byte) (int, error) {
	if bytes.Contains(b, handlingMark) {
		v.audit(b)
	}
	return v.ResponseWriter.Write(b)
}

func (v *viewAudit) Unwrap() http.ResponseWriter { return v.ResponseWriter }

func (v *viewAudit) Flush() {
	if f, ok := v.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

type labelled struct {
	ID    string            `json:"id"`
	Label borderwatch.Label `json:"label"`
}

func (v *viewAudit) audit(b []byte) {
	var shown []string
	t := bytes.TrimSpace(b)
	if len(t) > 0 && t[0] == '[' {
		var items []labelled
		if json.Unmarshal(t, &items) == nil {
			for _, it := range items {
				if policy.Protected(it.Label) {
					shown = append(shown, strings.TrimPrefix(v.route, "/api/v1/")+":"+it.ID)
				}
			}
		}
	} else {
		sc := bufio.NewScanner(bytes.NewReader(b))
		sc.Buffer(nil, len(b)+1)
		for sc.Scan() {
			data, ok := bytes.CutPrefix(sc.Bytes(), []byte("data: "))
			if !ok || !bytes.Contains(data, handlingMark) {
				continue
			}
			var batch struct {
				Changes []struct {
					Op   string   `json:"op"`
					Kind string   `json:"kind"`
					ID   string   `json:"id"`
					Data labelled `json:"data"`
				} `json:"changes"`
			}
			if json.Unmarshal(data, &batch) != nil {
				continue
			}
			for _, ch := range batch.Changes {
				if ch.Op == "upsert" && policy.Protected(ch.Data.Label) {
					shown = append(shown, ch.Kind+":"+ch.ID)
				}
			}
		}
	}
	for _, obj := range shown {
		v.mu.Lock()
		if v.seen == nil {
			v.seen = map[string]bool{}
		}
		dup := v.seen[obj]
		v.seen[obj] = true
		v.mu.Unlock()
		if dup {
			continue
		}
		v.sec.record(audit.Entry{Actor: v.c.p.Subject, Agency: v.c.p.Agency, Action: audit.ActViewProtected, Object: obj,
			Remote: v.c.addr, Detail: "GET " + v.route})
	}
}

// sameOrigin reports whether a browser request's Origin (or Referer)
// names this host; requests with neither (non-browser clients) pass.
func sameOrigin(r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" {
		o = r.Header.Get("Referer")
	}
	if o == "" {
		return true
	}
	_, rest, ok := strings.Cut(o, "://")
	if !ok {
		return false
	}
	host, _, _ := strings.Cut(rest, "/")
	return host == r.Host
}

// errStatus maps a domain error to a status, as web does.
func errStatus(err error) (int, borderwatch.ErrorCode, string) {
	var rl *auth.RateLimited
	if errors.As(err, &rl) {
		return http.StatusTooManyRequests, "too_many_requests", rl.Error()
	}
	code := borderwatch.ErrorCodeOf(err)
	st := http.StatusInternalServerError
	switch code {
	case borderwatch.EINVALID:
		st = http.StatusBadRequest
	case borderwatch.EUNAUTHORIZED:
		st = http.StatusUnauthorized
	case borderwatch.EFORBIDDEN:
		st = http.StatusForbidden
	case borderwatch.ENOTFOUND:
		st = http.StatusNotFound
	case borderwatch.ECONFLICT:
		st = http.StatusConflict
	case borderwatch.EUNAVAILABLE:
		st = http.StatusServiceUnavailable
	}
	return st, code, borderwatch.ErrorMessageOf(err)
}
