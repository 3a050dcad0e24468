package server

import (
	"crypto/subtle"
	"net/http"
	"strings"

	"github.com/borderwatch/borderwatch/internal/web"
)

// authenticate accepts the node's API token as a bearer token. It is the
// interim identity until users, sessions and per-agency tokens exist: the
// token is generated once into DataDir/secrets/api-token (or read from
// BORDERWATCH_API_TOKEN_FILE) and grants the first agency's view.
func (s *Server) authenticate(r *http.Request) (web.Principal, bool) {
	h := r.Header.Get("Authorization")
	tok, ok := strings.CutPrefix(h, "Bearer ")
	if !ok || s.apiToken == "" || subtle.ConstantTimeCompare([]byte(tok), []byte(s.apiToken)) != 1 {
		return web.Principal{}, false
	}
	p := web.Principal{Subject: "api-token", Roles: []string{"admin"}}
	if len(s.dep.Agencies) > 0 {
		p.Agency = s.dep.Agencies[0].ID
	}
	return p, true
}
