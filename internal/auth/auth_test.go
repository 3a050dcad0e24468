package auth

import (
	"context"
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/borderwatch/borderwatch"
	"github.com/borderwatch/borderwatch/internal/policy"
)

// testParams keep tests fast; the production cost is measured in the
// benchmarks.
var testParams = Params{Memory: 64, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func open(t *testing.T, dir string, c *clock) *Service {
	t.Helper()
	s, err := Open(Options{Dir: dir, Params: testParams, Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func newService(t *testing.T) (*Service, *clock) {
	c := &clock{t: time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)}
	return open(t, t.TempDir(), c), c
}

func TestPasswordHash(t *testing.T) {
	h, err := hashPassword("correct horse battery", testParams, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Fatalf("hash %q is not an argon2id PHC string", h)
	}
	h2, _ := hashPassword("correct horse battery", testParams, rand.Reader)
	if h == h2 {
		t.Fatal("same hash twice: no salt")
	}
	cases := []struct {
		name, hash, pw string
		ok, rehash     bool
		err            bool
	}{
		{"right", h, "correct horse battery", true, true, false},
		{"wrong", h, "correct horse batterY", false, true, false},
		{"empty", h, "", false, true, false},
		{"not phc", "plain", "x", false, false, true},
		{"bcrypt", "$2a$10$abcdefghijklmnopqrstuv", "x", false, false, true},
		{"huge memory", strings.Replace(h, "m=64", "m=99999999", 1), "x", false, false, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ok, rehash, err := checkPassword(c.hash, c.pw, DefaultParams)
			if ok != c.ok || (err != nil) != c.err || (err == nil && rehash != c.rehash) {
				t.Fatalf("ok %v rehash %v err %v", ok, rehash, err)
			}
		})
	}
}

func TestBootstrapCreatesOneAdminWithAOneTimePassword(t *testing.T) {
	s, c := newService(t)
	ctx := context.Background()
	pw, created, err := s.Bootstrap(ctx, "ibg", "")
	if err != nil || !created || len(pw) < 20 {
		t.Fatalf("bootstrap: %q %v %v", pw, created, err)
	}
	if pw2, created, err := s.Bootstrap(ctx, "ibg", ""); err != nil || created || pw2 != "" {
		t.Fatalf("second bootstrap: %q %v %v", pw2, created, err)
	}
	for _, guess := range []string{"admin", "password", "changeme", "borderwatch", ""} {
		if _, err := s.Login(ctx, "admin", guess, "10.0.0."+guess); !errors.Is(err, ErrBadCredentials) {
			t.Fatalf("admin/%q: %v, want refused", guess, err)
		}
	}
	var rl *RateLimited
	if _, err := s.Login(ctx, "admin", pw, "10.0.0.1"); !errors.As(err, &rl) {
		t.Fatalf("sixth guess: %v, want rate limited", err)
	}
	c.Add(time.Minute)
	se, err := s.Login(ctx, "admin", pw, "10.0.0.1")
	if err != nil || !se.MustChange || se.Principal.Agency != "ibg" || !se.Principal.Has(policy.RoleAdmin) {
		t.Fatalf("login: %+v %v", se, err)
	}
	b, _ := os.ReadFile(filepath.Join(s.o.Dir, "auth.json"))
	if strings.Contains(string(b), pw) {
		t.Fatal("auth.json holds the password")
	}
	if fi, _ := os.Stat(filepath.Join(s.o.Dir, "auth.json")); fi.Mode().Perm() != 0o600 {
		t.Fatalf("auth.json mode %v", fi.Mode())
	}
}

func TestBootstrapFromFile(t *testing.T) {
	dir := t.TempDir()
	c := &clock{t: time.Now()}
	f := filepath.Join(dir, "pw")
	os.WriteFile(f, []byte("short\n"), 0o600)
	if _, _, err := open(t, filepath.Join(dir, "a"), c).Bootstrap(context.Background(), "ibg", f); err == nil {
		t.Fatal("weak admin password accepted")
	}
	os.WriteFile(f, []byte("a long enough pass phrase\n"), 0o600)
	s := open(t, filepath.Join(dir, "b"), c)
	pw, created, err := s.Bootstrap(context.Background(), "ibg", f)
	if err != nil || !created || pw != "" {
		t.Fatalf("%q %v %v: a password from a file is not echoed", pw, created, err)
	}
	if se, err := s.Login(context.Background(), "admin", "a long enough pass phrase", "1.2.3.4"); err != nil || !se.MustChange {
		t.Fatalf("%+v %v", se, err)
	}
}

func TestLoginRateLimits(t *testing.T) {
	s, c := newService(t)
	ctx := context.Background()
	pw, err := s.CreateUser(ctx, Spec{Name: "amal", Agency: "ibg", Roles: []policy.Role{policy.RoleOperator}})
	if err != nil {
		t.Fatal(err)
	}
	// Per user: five tries, from five addresses, then refused even with
	// the right password.
	for i := range 5 {
		if _, err := s.Login(ctx, "amal", "wrong password!", "10.0.1."+string(rune('0'+i))); !errors.Is(err, ErrBadCredentials) {
			t.Fatalf("try %d: %v", i, err)
		}
	}
	var rl *RateLimited
	if _, err := s.Login(ctx, "amal", pw, "10.0.2.1"); !errors.As(err, &rl) || rl.RetryAfter <= 0 {
		t.Fatalf("sixth try: %v, want rate limited", err)
	}
	c.Add(21 * time.Second)
	if _, err := s.Login(ctx, "amal", pw, "10.0.2.1"); err != nil {
		t.Fatalf("after the wait: %v", err)
	}
	// Per address: 20 tries over many user names, then refused.
	for i := range 20 {
		s.Login(ctx, "nobody"+string(rune('a'+i)), "x", "192.0.2.9")
	}
	if _, err := s.Login(ctx, "amal", pw, "192.0.2.9"); !errors.As(err, &rl) {
		t.Fatalf("21st try from one address: %v, want rate limited", err)
	}
}

func TestSessions(t *testing.T) {
	s, c := newService(t)
	ctx := context.Background()
	pw, _ := s.CreateUser(ctx, Spec{Name: "amal", Agency: "ibg", Roles: []policy.Role{policy.RoleOperator}, Sectors: []string{"ninewa-baaj"}})
	se, err := s.Login(ctx, "amal", pw, "10.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := s.Session(se.ID); !ok || got.Principal.Subject != "amal" || got.Principal.Sectors[0] != "ninewa-baaj" {
		t.Fatalf("session %+v %v", got, ok)
	}
	if !s.CheckCSRF(se.ID, se.CSRF) || s.CheckCSRF(se.ID, "") || s.CheckCSRF(se.ID, se.CSRF+"x") || s.CheckCSRF("other", se.CSRF) {
		t.Fatal("CSRF check wrong")
	}
	c.Add(29 * time.Minute)
	if _, ok := s.Session(se.ID); !ok {
		t.Fatal("session ended before its idle time")
	}
	c.Add(31 * time.Minute)
	if _, ok := s.Session(se.ID); ok {
		t.Fatal("idle session still valid")
	}
	// Absolute limit, however busy.
	se, _ = s.Login(ctx, "amal", pw, "10.0.0.1")
	for range 25 {
		c.Add(29 * time.Minute)
		s.Session(se.ID)
	}
	if _, ok := s.Session(se.ID); ok {
		t.Fatal("session outlived its maximum")
	}
	se, _ = s.Login(ctx, "amal", pw, "10.0.0.1")
	s.Logout(se.ID)
	if _, ok := s.Session(se.ID); ok {
		t.Fatal("session valid after logout")
	}
}

func TestChangePassword(t *testing.T) {
	s, _ := newService(t)
	ctx := context.Background()
	pw, _ := s.CreateUser(ctx, Spec{Name: "amal", Agency: "ibg", Roles: []policy.Role{policy.RoleAnalyst}})
	a, _ := s.Login(ctx, "amal", pw, "10.0.0.1")
	b, _ := s.Login(ctx, "amal", pw, "10.0.0.2")
	cases := []struct {
		name, old, new string
		code           borderwatch.ErrorCode
	}{
		{"wrong old", "nope nope nope", "a fine new password", borderwatch.EUNAUTHORIZED},
		{"too short", pw, "short", borderwatch.EINVALID},
		{"contains name", pw, "my name is amal!!", borderwatch.EINVALID},
		{"same", pw, pw, borderwatch.EINVALID},
		{"ok", pw, "a fine new password", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := s.ChangePassword(ctx, "amal", c.old, c.new, "10.0.0.1", a.ID)
			if got := code(err); got != c.code {
				t.Fatalf("err %v, want %q", err, c.code)
			}
		})
	}
	if se, ok := s.Session(a.ID); !ok || se.MustChange {
		t.Fatalf("changing session: %+v %v", se, ok)
	}
	if _, ok := s.Session(b.ID); ok {
		t.Fatal("other session survived a password change")
	}
	if _, err := s.Login(ctx, "amal", pw, "10.0.0.3"); err == nil {
		t.Fatal("old password still works")
	}
	if se, err := s.Login(ctx, "amal", "a fine new password", "10.0.0.3"); err != nil || se.MustChange {
		t.Fatalf("%+v %v", se, err)
	}
	// Persisted: a reopened store knows the new password.
	s2 := open(t, s.o.Dir, &clock{t: time.Now()})
	if _, err := s2.Login(ctx, "amal", "a fine new password", "10.0.0.3"); err != nil {
		t.Fatal(err)
	}
}

func code(err error) borderwatch.ErrorCode {
	if err == nil {
		return ""
	}
	return borderwatch.ErrorCodeOf(err)
}

func TestUsers(t *testing.T) {
	s, _ := newService(t)
	ctx := context.Background()
	bad := []Spec{
		{Name: "Amal", Agency: "ibg", Roles: []policy.Role{policy.RoleOperator}},
		{Name: "amal", Agency: "", Roles: []policy.Role{policy.RoleOperator}},
		{Name: "amal", Agency: "ibg"},
		{Name: "amal", Agency: "ibg", Roles: []policy.Role{"root"}},
		{Name: "amal", Agency: "ibg", Roles: []policy.Role{policy.RoleSensor}},
	}
	for _, sp := range bad {
		if _, err := s.CreateUser(ctx, sp); code(err) != borderwatch.EINVALID {
			t.Errorf("CreateUser(%+v) = %v, want invalid", sp, err)
		}
	}
	pw, _ := s.CreateUser(ctx, Spec{Name: "amal", Agency: "ibg", Roles: []policy.Role{policy.RoleOperator}})
	if _, err := s.CreateUser(ctx, Spec{Name: "amal", Agency: "ibg", Roles: []policy.Role{policy.RoleOperator}}); code(err) != borderwatch.ECONFLICT {
		t.Fatalf("duplicate: %v", err)
	}
	se, _ := s.Login(ctx, "amal", pw, "10.0.0.1")
	yes := true
	if _, err := s.UpdateUser(ctx, "amal", UserUpdate{Disabled: &yes}); err != nil {
		t.Fatal(err)
	}
	if _, ok := s.Session(se.ID); ok {
		t.Fatal("disabled user's session survived")
	}
	if _, err := s.Login(ctx, "amal", pw, "10.0.0.1"); !errors.Is(err, ErrBadCredentials) {
		t.Fatalf("disabled user signed in: %v", err)
	}
	no := false
	npw, err := s.UpdateUser(ctx, "amal", UserUpdate{Disabled: &no, ResetPassword: true})
	if err != nil || npw == "" || npw == pw {
		t.Fatalf("reset: %q %v", npw, err)
	}
	if se, err := s.Login(ctx, "amal", npw, "10.0.0.1"); err != nil || !se.MustChange {
		t.Fatalf("after reset: %+v %v", se, err)
	}
	for _, u := range s.Users() {
		if u.Hash != "" {
			t.Fatal("Users leaks hashes")
		}
	}
}

func TestTokens(t *testing.T) {
	s, c := newService(t)
	secret, tok, err := s.CreateToken(Spec{Name: "radar-gw", Agency: "ibg", Roles: []policy.Role{policy.RoleSensor},
		Expires: c.Now().Add(time.Hour)}, "admin")
	if err != nil || !strings.HasPrefix(secret, TokenPrefix+tok.ID+"_") || tok.Hash != "" {
		t.Fatalf("%q %+v %v", secret, tok, err)
	}
	b, _ := os.ReadFile(filepath.Join(s.o.Dir, "auth.json"))
	if strings.Contains(string(b), secret[len(TokenPrefix)+17:]) {
		t.Fatal("token secret stored in clear")
	}
	p, ok := s.TokenPrincipal(secret)
	if !ok || p.Subject != "token:radar-gw" || !p.Has(policy.RoleSensor) {
		t.Fatalf("%+v %v", p, ok)
	}
	for _, bad := range []string{"", secret + "x", secret[:len(secret)-1], "Bearer " + secret, TokenPrefix + "nope_x", strings.Replace(secret, tok.ID, "0000000000000000", 1)} {
		if _, ok := s.TokenPrincipal(bad); ok {
			t.Errorf("token %q accepted", bad)
		}
	}
	c.Add(time.Hour)
	if _, ok := s.TokenPrincipal(secret); ok {
		t.Fatal("expired token accepted")
	}
	secret2, tok2, _ := s.CreateToken(Spec{Name: "scraper", Agency: "ibg", Roles: []policy.Role{policy.RoleMonitor}}, "admin")
	if err := s.RevokeToken(tok2.ID); err != nil {
		t.Fatal(err)
	}
	if _, ok := s.TokenPrincipal(secret2); ok {
		t.Fatal("revoked token accepted")
	}
	if len(s.Tokens()) != 2 {
		t.Fatalf("tokens %+v", s.Tokens())
	}
}

func TestLimiterBoundedMemory(t *testing.T) {
	c := &clock{t: time.Now()}
	l := NewLimiter(2, time.Second, c.Now)
	l.maxKeys = 100
	for i := range 1000 {
		l.Allow(string(rune(i)))
		c.Add(time.Millisecond)
	}
	if n := len(l.buckets); n > 100 {
		t.Fatalf("%d buckets, want at most 100", n)
	}
	if ok, _ := l.Allow("k"); !ok {
		t.Fatal("first")
	}
	l.Allow("k")
	if ok, wait := l.Allow("k"); ok || wait <= 0 || wait > time.Second {
		t.Fatalf("third: %v %v", ok, wait)
	}
}

func BenchmarkHashPassword(b *testing.B) {
	for _, p := range []struct {
		name string
		p    Params
	}{
		{"default-64MiB-t2-p2", DefaultParams},
		{"owasp-19MiB-t2-p1", Params{Memory: 19 * 1024, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32}},
		{"rfc9106-2GiB-is-too-much-here/64MiB-t3-p4", Params{Memory: 64 * 1024, Time: 3, Threads: 4, SaltLen: 16, KeyLen: 32}},
	} {
		b.Run(p.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := hashPassword("correct horse battery staple", p.p, rand.Reader); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkTokenPrincipal is the per-request cost of an API token; the
// naive baseline would be an argon2 hash per request.
func BenchmarkTokenPrincipal(b *testing.B) {
	s, err := Open(Options{Dir: b.TempDir(), Params: testParams})
	if err != nil {
		b.Fatal(err)
	}
	secret, _, _ := s.CreateToken(Spec{Name: "gw", Agency: "ibg", Roles: []policy.Role{policy.RoleSensor}}, "admin")
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := s.TokenPrincipal(secret); !ok {
			b.Fatal("refused")
		}
	}
}
