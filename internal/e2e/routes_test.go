package e2e

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/borderwatch/borderwatch/internal/policy"
)

// TestEveryDocumentedRouteIsServed asks the running node for every route
// of its OpenAPI document (web's openapi.json, which also documents the
// routes internal/server adds) and checks the node routes it: the answer
// is not the UI's file-not-found (text/plain 404) nor 405.
func TestEveryDocumentedRouteIsServed(t *testing.T) {
	s := startServer(t)
	hc, _ := trust(t, s)
	base := "https://" + s.HTTPAddr()
	tok, err := s.IssueToken("e2e-routes", s.Deployment().Agencies[0].ID, policy.RoleCommander)
	must(t, err)
	resp, err := hc.Get(base + "/api/v1/openapi.json")
	must(t, err)
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	must(t, json.NewDecoder(resp.Body).Decode(&doc))
	resp.Body.Close()
	if len(doc.Paths) < 25 {
		t.Fatalf("openapi.json has %d paths", len(doc.Paths))
	}
	for path, ops := range doc.Paths {
		for method := range ops {
			method = strings.ToUpper(method)
			t.Run(method+" "+path, func(t *testing.T) {
				ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
				defer cancel()
				url := base + strings.NewReplacer("{id}", "no-such-id", "{action}", "acknowledge").Replace(path)
				var body io.Reader
				if method == "POST" {
					body = strings.NewReader("{}")
				}
				req, _ := http.NewRequestWithContext(ctx, method, url, body)
				req.Header.Set("Authorization", "Bearer "+tok)
				req.Header.Set("Content-Type", "application/json")
				resp, err := hc.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close() // streams end with ctx
				ct := resp.Header.Get("Content-Type")
				if resp.StatusCode == http.StatusMethodNotAllowed || (resp.StatusCode == http.StatusNotFound && strings.HasPrefix(ct, "text/plain")) {
					t.Fatalf("%s %s: %d %s: not routed by the node", method, path, resp.StatusCode, ct)
				}
			})
		}
	}
}
