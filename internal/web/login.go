package web

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"

	"github.com/borderwatch/borderwatch"
)

// sessionCookie carries the caller's bearer token for the browser, which
// cannot set an Authorization header on EventSource or navigation. It is
// the interim browser sign-in until the security work's sessions replace
// /api/v1/login: the cookie is HttpOnly and SameSite=Strict, and a
// cross-origin state-changing request authenticated by it is refused.
const sessionCookie = "bw_token"

// withCookieAuth returns r with Authorization set from the session cookie
// when r has no Authorization of its own; viaCookie reports whether it did.
func withCookieAuth(r *http.Request) (_ *http.Request, viaCookie bool) {
	if r.Header.Get("Authorization") != "" {
		return r, false
	}
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return r, false
	}
	r2 := r.Clone(r.Context())
	r2.Header.Set("Authorization", "Bearer "+c.Value)
	return r2, true
}

// sameOrigin reports whether a request's Origin (or, lacking one, Referer)
// names this host; requests without either (non-browser clients) pass.
func sameOrigin(r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" {
		o = r.Header.Get("Referer")
	}
	if o == "" {
		return true
	}
	u, err := url.Parse(o)
	return err == nil && u.Host == r.Host
}

// login serves POST /api/v1/login: {"token": "..."} signs the browser in
// with an API token (checked by Options.Authenticate) and sets the session
// cookie. {"username", "password"} is answered 501 until the security work
// provides accounts.
func (h *handler) login(w http.ResponseWriter, r *http.Request, _ Principal) {
	if h.o.Login != nil {
		h.o.Login.ServeHTTP(w, r)
		return
	}
	if h.o.Authenticate == nil {
		h.error(w, r, borderwatch.Errorf(borderwatch.ENOTFOUND, "sign-in is not configured on this server"))
		return
	}
	if !sameOrigin(r) {
		h.error(w, r, borderwatch.Errorf(borderwatch.EFORBIDDEN, "cross-origin sign-in refused"))
		return
	}
	var body struct {
		Token    string `json:"token"`
		Username string `json:"username"`
		Password string `json:"password"`
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 8192))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil {
		h.error(w, r, borderwatch.Errorf(borderwatch.EINVALID, "body: %s; want {\"token\": \"...\"}", jsonReason(err)))
		return
	}
	body.Token = strings.TrimSpace(body.Token)
	if body.Token == "" {
		writeJSON(w, http.StatusNotImplemented, map[string]apiError{"error": {Code: borderwatch.EUNAVAILABLE,
			Message: "password sign-in is not available yet: sign in with the node's API token"}})
		return
	}
	probe := r.Clone(r.Context())
	probe.Header.Set("Authorization", "Bearer "+body.Token)
	p, ok := h.o.Authenticate(probe)
	if !ok {
		h.error(w, r, borderwatch.Errorf(borderwatch.EUNAUTHORIZED, "the token was not accepted"))
		return
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: body.Token, Path: "/", HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil})
	writeJSON(w, http.StatusOK, p)
}

// logout serves POST /api/v1/logout: it clears the session cookie.
func (h *handler) logout(w http.ResponseWriter, r *http.Request, _ Principal) {
	if h.o.Logout != nil {
		h.o.Logout.ServeHTTP(w, r)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil})
	w.WriteHeader(http.StatusNoContent)
}
