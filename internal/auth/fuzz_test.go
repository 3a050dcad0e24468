package auth

import (
	"strings"
	"testing"

	"github.com/borderwatch/borderwatch/internal/policy"
)

// FuzzTokenPrincipal feeds arbitrary bearer tokens (outside bytes from
// the Authorization header): only the issued secret is accepted.
func FuzzTokenPrincipal(f *testing.F) {
	s, err := Open(Options{Dir: f.TempDir(), Params: testParams})
	if err != nil {
		f.Fatal(err)
	}
	secret, _, err := s.CreateToken(Spec{Name: "gw", Agency: "ibg", Roles: []policy.Role{policy.RoleSensor}}, "test")
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range []string{secret, "", TokenPrefix, TokenPrefix + "_", secret[:len(secret)-1], strings.ToUpper(secret), secret + "\x00"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, tok string) {
		if _, ok := s.TokenPrincipal(tok); ok != (tok == secret) {
			t.Fatalf("token %q accepted=%v", tok, ok)
		}
	})
}

// FuzzParseHash: a stored hash from a damaged or tampered auth.json must
// be refused or bounded, never panic or ask for unbounded memory.
func FuzzParseHash(f *testing.F) {
	h, _ := hashPassword("correct horse battery", testParams, strings.NewReader(strings.Repeat("s", 64)))
	for _, seed := range []string{h, "", "$argon2id$", "$argon2id$v=19$m=1,t=1,p=1$$", strings.Replace(h, "m=64", "m=4294967295", 1)} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, enc string) {
		p, _, _, err := parseHash(enc)
		if err == nil && (p.Memory > 1<<20 || p.Time > 16 || p.Threads < 1) {
			t.Fatalf("accepted unbounded parameters %+v", p)
		}
	})
}
