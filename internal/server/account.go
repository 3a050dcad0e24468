package server

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/borderwatch/borderwatch"
	"github.com/borderwatch/borderwatch/internal/audit"
	"github.com/borderwatch/borderwatch/internal/auth"
	"github.com/borderwatch/borderwatch/internal/metrics"
	"github.com/borderwatch/borderwatch/internal/pki"
	"github.com/borderwatch/borderwatch/internal/policy"
)

// accountRoutes mounts the endpoints of identity and access:
//
//	POST   /api/v1/login            {"username","password"} -> session cookie, CSRF token
//	POST   /api/v1/logout
//	GET    /api/v1/me               principal, permissions, CSRF token
//	POST   /api/v1/password         {"old","new"}
//	GET    /api/v1/users            admin
//	POST   /api/v1/users            admin: {"name","agency","roles","sectors"} -> one-time password
//	PATCH  /api/v1/users/{name}     admin: {"roles","sectors","disabled","reset_password"}
//	GET    /api/v1/tokens           admin
//	POST   /api/v1/tokens           admin: {"name","agency","roles","sectors","expires"} -> secret, once
//	DELETE /api/v1/tokens/{id}      admin
//	GET    /api/v1/devices          admin: issued device certificates
//	POST   /api/v1/devices          admin: {"name","agency"} -> PEM certificate, key and CA
//	GET    /api/v1/audit            auditor: ?after=&limit=&actor=&action=
//	GET    /api/v1/audit/verify     auditor
//	GET    /metrics                 admin, auditor, commander, monitor: series filtered by policy
func (sec *security) accountRoutes(mux *http.ServeMux) {
	mux.HandleFunc("POST /api/v1/login", sec.login)
	mux.HandleFunc("POST /api/v1/logout", sec.logout)
	mux.HandleFunc("GET /api/v1/me", sec.me)
	mux.HandleFunc("POST /api/v1/password", sec.password)
	mux.HandleFunc("GET /api/v1/users", sec.need(policy.ActAdminister, sec.listUsers))
	mux.HandleFunc("POST /api/v1/users", sec.need(policy.ActAdminister, sec.createUser))
	mux.HandleFunc("PATCH /api/v1/users/{name}", sec.need(policy.ActAdminister, sec.updateUser))
	mux.HandleFunc("GET /api/v1/tokens", sec.need(policy.ActAdminister, sec.listTokens))
	mux.HandleFunc("POST /api/v1/tokens", sec.need(policy.ActAdminister, sec.createToken))
	mux.HandleFunc("DELETE /api/v1/tokens/{id}", sec.need(policy.ActAdminister, sec.revokeToken))
	mux.HandleFunc("GET /api/v1/devices", sec.need(policy.ActAdminister, sec.listDevices))
	mux.HandleFunc("POST /api/v1/devices", sec.need(policy.ActAdminister, sec.enrolDevice))
	mux.HandleFunc("GET /api/v1/audit", sec.need(policy.ActAuditReview, sec.readAudit))
	mux.HandleFunc("GET /api/v1/audit/verify", sec.need(policy.ActAuditReview, sec.verifyAudit))
	mux.HandleFunc("GET /metrics", sec.need(policy.ActMetrics, sec.metrics))
}

// need runs h only for a caller whose roles grant act.
func (sec *security) need(act policy.Action, h func(http.ResponseWriter, *http.Request, caller)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c := callerOf(r)
		if !c.ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="borderwatch"`)
			writeError(w, http.StatusUnauthorized, borderwatch.EUNAUTHORIZED, "authentication required")
			return
		}
		if err := policy.Decide(c.p, act, policy.Record{}); err != nil {
			st, code, msg := errStatus(err)
			writeError(w, st, code, msg)
			return
		}
		h(w, r, c)
	}
}

func decodeBody(w http.ResponseWriter, r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxAccountBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return borderwatch.Errorf(borderwatch.EINVALID, "body: %v", err)
	}
	return nil
}

func (sec *security) fail(w http.ResponseWriter, err error) {
	st, code, msg := errStatus(err)
	if st == http.StatusInternalServerError {
		sec.s.log.Error("account request failed", "err", err)
	}
	var rl *auth.RateLimited
	if errors.As(err, &rl) {
		w.Header().Set("Retry-After", strconv.Itoa(int(rl.RetryAfter/time.Second)+1))
	}
	writeError(w, st, code, msg)
}

func (sec *security) setCookies(w http.ResponseWriter, r *http.Request, id, csrf string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: id, Path: "/", MaxAge: maxAge, HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil})
	http.SetCookie(w, &http.Cookie{Name: csrfCookie, Value: csrf, Path: "/", MaxAge: maxAge,
		SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil})
}

// meBody is the answer of /api/v1/me and /api/v1/login.
type meBody struct {
	policy.Principal
	Authenticated      bool            `json:"authenticated"`
	MustChangePassword bool            `json:"must_change_password"`
	CSRFToken          string          `json:"csrf_token,omitempty"`
	Permissions        []policy.Action `json:"permissions"`
}

func meOf(p policy.Principal, sess *auth.Session) meBody {
	b := meBody{Principal: p, Authenticated: true, Permissions: []policy.Action{}}
	if sess != nil {
		b.MustChangePassword, b.CSRFToken = sess.MustChange, sess.CSRF
	}
	for _, a := range policy.AllActions {
		if policy.RolesGrant(p.Roles, a) {
			b.Permissions = append(b.Permissions, a)
		}
	}
	return b
}

func (sec *security) login(w http.ResponseWriter, r *http.Request) {
	c := callerOf(r)
	if !sameOrigin(r) {
		writeError(w, http.StatusForbidden, borderwatch.EFORBIDDEN, "cross-origin sign-in refused")
		return
	}
	var body struct {
		Username string `json:"username"`
		Password string `json:"password"`
	}
	if err := decodeBody(w, r, &body); err != nil {
		sec.fail(w, err)
		return
	}
	se, err := sec.auth.Login(r.Context(), body.Username, body.Password, c.addr)
	if err != nil {
		e := audit.Entry{Actor: truncate(body.Username, 64), Action: audit.ActSignInFailed, Outcome: audit.OutcomeDenied, Remote: c.addr, Detail: "wrong user name or password"}
		var rl *auth.RateLimited
		if errors.As(err, &rl) {
			e.Detail = "rate limited"
		}
		sec.record(e)
		sec.fail(w, err)
		return
	}
	sec.record(audit.Entry{Actor: se.Principal.Subject, Agency: se.Principal.Agency, Action: audit.ActSignIn, Remote: c.addr,
		Detail: "password; must change: " + strconv.FormatBool(se.MustChange)})
	sec.setCookies(w, r, se.ID, se.CSRF, 0)
	writeJSON(w, http.StatusOK, meOf(se.Principal, &se))
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

func (sec *security) logout(w http.ResponseWriter, r *http.Request) {
	c := callerOf(r)
	if c.sess != nil {
		sec.auth.Logout(c.sess.ID)
		sec.record(audit.Entry{Actor: c.p.Subject, Agency: c.p.Agency, Action: audit.ActSignOut, Remote: c.addr})
	}
	sec.setCookies(w, r, "", "", -1)
	w.WriteHeader(http.StatusNoContent)
}

func (sec *security) me(w http.ResponseWriter, r *http.Request) {
	c := callerOf(r)
	if !c.ok {
		w.Header().Set("WWW-Authenticate", `Bearer realm="borderwatch"`)
		writeError(w, http.StatusUnauthorized, borderwatch.EUNAUTHORIZED, "authentication required")
		return
	}
	writeJSON(w, http.StatusOK, meOf(c.p, c.sess))
}

func (sec *security) password(w http.ResponseWriter, r *http.Request) {
	c := callerOf(r)
	if c.sess == nil {
		writeError(w, http.StatusUnauthorized, borderwatch.EUNAUTHORIZED, "sign in with your password first")
		return
	}
	var body struct {
		Old string `json:"old"`
		New string `json:"new"`
	}
	if err := decodeBody(w, r, &body); err != nil {
		sec.fail(w, err)
		return
	}
	e := audit.Entry{Actor: c.p.Subject, Agency: c.p.Agency, Action: audit.ActPasswordChange, Object: "user:" + c.p.Subject, Remote: c.addr}
	if err := sec.auth.ChangePassword(r.Context(), c.p.Subject, body.Old, body.New, c.addr, c.sess.ID); err != nil {
		e.Outcome, e.Detail = audit.OutcomeDenied, borderwatch.ErrorMessageOf(err)
		sec.record(e)
		sec.fail(w, err)
		return
	}
	sec.record(e)
	se, _ := sec.auth.Session(c.sess.ID)
	writeJSON(w, http.StatusOK, meOf(c.p, &se))
}

func (sec *security) listUsers(w http.ResponseWriter, r *http.Request, c caller) {
	writeJSON(w, http.StatusOK, sec.auth.Users())
}

func (sec *security) createUser(w http.ResponseWriter, r *http.Request, c caller) {
	var sp auth.Spec
	if err := decodeBody(w, r, &sp); err != nil {
		sec.fail(w, err)
		return
	}
	sp.Expires = time.Time{}
	e := audit.Entry{Actor: c.p.Subject, Agency: c.p.Agency, Action: audit.ActUserCreate, Object: "user:" + truncate(sp.Name, 64), Remote: c.addr,
		Detail: "agency " + string(sp.Agency) + ", roles " + rolesString(sp.Roles) + ", sectors " + strings.Join(sp.Sectors, " ")}
	pw, err := sec.auth.CreateUser(r.Context(), sp)
	if err != nil {
		e.Outcome = audit.OutcomeFailed
		sec.record(e)
		sec.fail(w, err)
		return
	}
	sec.record(e)
	writeJSON(w, http.StatusCreated, map[string]any{"name": sp.Name, "one_time_password": pw, "must_change_password": true})
}

func rolesString(rs []policy.Role) string {
	ss := make([]string, len(rs))
	for i, r := range rs {
		ss[i] = string(r)
	}
	return strings.Join(ss, " ")
}

func (sec *security) updateUser(w http.ResponseWriter, r *http.Request, c caller) {
	var up auth.UserUpdate
	if err := decodeBody(w, r, &up); err != nil {
		sec.fail(w, err)
		return
	}
	name := r.PathValue("name")
	var d []string
	if up.Roles != nil {
		d = append(d, "roles "+rolesString(*up.Roles))
	}
	if up.Sectors != nil {
		d = append(d, "sectors "+strings.Join(*up.Sectors, " "))
	}
	if up.Disabled != nil {
		d = append(d, "disabled "+strconv.FormatBool(*up.Disabled))
	}
	if up.ResetPassword {
		d = append(d, "password reset")
	}
	e := audit.Entry{Actor: c.p.Subject, Agency: c.p.Agency, Action: audit.ActUserUpdate, Object: "user:" + truncate(name, 64), Remote: c.addr, Detail: strings.Join(d, "; ")}
	pw, err := sec.auth.UpdateUser(r.Context(), name, up)
	if err != nil {
		e.Outcome = audit.OutcomeFailed
		sec.record(e)
		sec.fail(w, err)
		return
	}
	sec.record(e)
	out := map[string]any{"name": name}
	if pw != "" {
		out["one_time_password"] = pw
	}
	writeJSON(w, http.StatusOK, out)
}

func (sec *security) listTokens(w http.ResponseWriter, r *http.Request, c caller) {
	writeJSON(w, http.StatusOK, sec.auth.Tokens())
}

func (sec *security) createToken(w http.ResponseWriter, r *http.Request, c caller) {
	var sp auth.Spec
	if err := decodeBody(w, r, &sp); err != nil {
		sec.fail(w, err)
		return
	}
	e := audit.Entry{Actor: c.p.Subject, Agency: c.p.Agency, Action: audit.ActTokenCreate, Object: "token:" + truncate(sp.Name, 64), Remote: c.addr,
		Detail: "agency " + string(sp.Agency) + ", roles " + rolesString(sp.Roles)}
	secret, t, err := sec.auth.CreateToken(sp, c.p.Subject)
	if err != nil {
		e.Outcome = audit.OutcomeFailed
		sec.record(e)
		sec.fail(w, err)
		return
	}
	e.Object = "token:" + t.ID + ":" + t.Name
	sec.record(e)
	writeJSON(w, http.StatusCreated, map[string]any{"token": t, "secret": secret})
}

func (sec *security) revokeToken(w http.ResponseWriter, r *http.Request, c caller) {
	id := r.PathValue("id")
	e := audit.Entry{Actor: c.p.Subject, Agency: c.p.Agency, Action: audit.ActTokenRevoke, Object: "token:" + truncate(id, 64), Remote: c.addr}
	if err := sec.auth.RevokeToken(id); err != nil {
		e.Outcome = audit.OutcomeFailed
		sec.record(e)
		sec.fail(w, err)
		return
	}
	sec.record(e)
	w.WriteHeader(http.StatusNoContent)
}

func (sec *security) listDevices(w http.ResponseWriter, r *http.Request, c caller) {
	ds, err := sec.ca.Issued()
	if err != nil {
		sec.fail(w, err)
		return
	}
	if ds == nil {
		ds = []pki.Device{}
	}
	writeJSON(w, http.StatusOK, ds)
}

func (sec *security) enrolDevice(w http.ResponseWriter, r *http.Request, c caller) {
	var body struct {
		Name   string             `json:"name"`
		Agency borderwatch.Agency `json:"agency"`
	}
	if err := decodeBody(w, r, &body); err != nil {
		sec.fail(w, err)
		return
	}
	e := audit.Entry{Actor: c.p.Subject, Agency: c.p.Agency, Action: audit.ActDeviceEnrol, Object: "device:" + truncate(body.Name, 64), Remote: c.addr,
		Detail: "agency " + string(body.Agency)}
	if err := pki.CheckNames(body.Name, body.Agency); err != nil {
		e.Outcome = audit.OutcomeFailed
		sec.record(e)
		sec.fail(w, borderwatch.Errorf(borderwatch.EINVALID, "%v", err))
		return
	}
	certPEM, keyPEM, d, err := sec.ca.IssueDevice(body.Name, body.Agency, 0)
	if err != nil {
		e.Outcome = audit.OutcomeFailed
		sec.record(e)
		sec.fail(w, err)
		return
	}
	e.Detail += ", serial " + d.Serial
	sec.record(e)
	writeJSON(w, http.StatusCreated, map[string]any{"device": d, "certificate_pem": string(certPEM), "key_pem": string(keyPEM), "ca_pem": string(sec.ca.CertPEM())})
}

func (sec *security) readAudit(w http.ResponseWriter, r *http.Request, c caller) {
	q := r.URL.Query()
	var aq audit.Query
	if s := q.Get("after"); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			sec.fail(w, borderwatch.Errorf(borderwatch.EINVALID, "after: %q: want a sequence number", s))
			return
		}
		aq.After = n
	}
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 {
			sec.fail(w, borderwatch.Errorf(borderwatch.EINVALID, "limit: %q: want a positive number", s))
			return
		}
		aq.Limit = n
	}
	aq.Actor, aq.Action = q.Get("actor"), audit.Action(q.Get("action"))
	es, err := audit.Read(sec.audit.Path(), aq)
	if err != nil {
		sec.fail(w, err)
		return
	}
	if es == nil {
		es = []audit.Entry{}
	}
	sec.record(audit.Entry{Actor: c.p.Subject, Agency: c.p.Agency, Action: audit.ActAuditReview, Remote: c.addr, Detail: r.URL.RawQuery})
	writeJSON(w, http.StatusOK, es)
}

func (sec *security) verifyAudit(w http.ResponseWriter, r *http.Request, c caller) {
	rep, err := audit.VerifyFile(sec.audit.Path())
	if err != nil {
		sec.fail(w, err)
		return
	}
	problems := []string{}
	for _, p := range rep.Problems {
		problems = append(problems, p.Error())
	}
	sec.record(audit.Entry{Actor: c.p.Subject, Agency: c.p.Agency, Action: audit.ActAuditReview, Remote: c.addr, Detail: "verify"})
	writeJSON(w, http.StatusOK, map[string]any{"entries": rep.Entries, "head": rep.Head, "intact": len(rep.Problems) == 0, "problems": problems})
}

// metrics serves /metrics through the policy: a series labelled with an
// agency (label "agency" or "owner") is shown only to that agency, one
// labelled with a sector only to principals of that sector.
func (sec *security) metrics(w http.ResponseWriter, r *http.Request, c caller) {
	var b bytes.Buffer
	sec.s.metrics.WriteTo(&b)
	w.Header().Set("Content-Type", metrics.ContentType)
	w.Header().Set("Cache-Control", "no-store")
	sc := bufio.NewScanner(&b)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	bw := bufio.NewWriter(w)
	for sc.Scan() {
		line := sc.Bytes()
		if len(line) > 0 && line[0] != '#' {
			rec := policy.Record{Label: borderwatch.Label{Owner: borderwatch.Agency(labelValue(line, "agency") + labelValue(line, "owner"))},
				Sector: labelValue(line, "sector")}
			if !policy.Allowed(c.p, policy.ActMetrics, rec) {
				continue
			}
		}
		bw.Write(line)
		bw.WriteByte('\n')
	}
	bw.Flush()
}

// labelValue returns the value of label name in a Prometheus sample
// line, "" when absent.
func labelValue(line []byte, name string) string {
	open := bytes.IndexByte(line, '{')
	if open < 0 {
		return ""
	}
	rest := line[open+1:]
	for len(rest) > 0 {
		eq := bytes.IndexByte(rest, '=')
		if eq < 0 || eq+1 >= len(rest) || rest[eq+1] != '"' {
			return ""
		}
		key := string(bytes.TrimSpace(rest[:eq]))
		rest = rest[eq+2:]
		var val []byte
		i := 0
		for ; i < len(rest) && rest[i] != '"'; i++ {
			if rest[i] == '\\' && i+1 < len(rest) {
				i++
			}
			val = append(val, rest[i])
		}
		if key == name {
			return string(val)
		}
		if i+1 >= len(rest) {
			return ""
		}
		rest = bytes.TrimPrefix(rest[i+1:], []byte(","))
		if len(rest) > 0 && rest[0] == '}' {
			return ""
		}
	}
	return ""
}
