// Package auth owns who is calling borderwatch: user accounts with
// argon2id password hashes, browser sessions (an HttpOnly cookie and a
// CSRF token per session), API tokens for integrations and sensors
// (stored as SHA-256 hashes), the bootstrap of the first administrator
// with a one-time password, and rate limits on sign-in per user and per
// client address. It turns each of them into a policy.Principal; what a
// principal may do is the policy package's decision.
//
// Accounts and tokens are kept in DataDir/auth/auth.json (mode 0600,
// replaced atomically on every change). Sessions live in memory: a
// restart signs everybody out. No default password exists anywhere: the
// first administrator's password is random (or read from a file the
// operator wrote) and must be changed at first sign-in.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/borderwatch/borderwatch"
	"github.com/borderwatch/borderwatch/internal/policy"
)

// Options configures a Service. Dir is required; zero values take the
// documented defaults.
type Options struct {
	// Dir holds auth.json (DataDir/auth).
	Dir string
	// Params are the argon2id costs (default DefaultParams).
	Params Params
	// MaxHashing bounds concurrent password hashes (default 2): each
	// takes Params.Memory.
	MaxHashing int
	// SessionIdle ends a session unused this long (default 30 min);
	// SessionMax ends any session this long after sign-in (default 12 h).
	SessionIdle, SessionMax time.Duration
	// Sign-in attempts allowed per user name and per client address: a
	// burst, then one per interval (defaults: 5 then 1/20 s per user,
	// 20 then 1/3 s per address).
	UserBurst int
	UserEvery time.Duration
	AddrBurst int
	AddrEvery time.Duration
	// Now is the clock; Rand the randomness (defaults: time.Now,
	// crypto/rand).
	Now    func() time.Time
	Rand   io.Reader
	Logger *slog.Logger
}

// User is an account. Hash never leaves the package's file.
type User struct {
	Name    string             `json:"name"`
	Agency  borderwatch.Agency `json:"agency"`
	Roles   []policy.Role      `json:"roles"`
	Sectors []string           `json:"sectors,omitempty"`
	Hash    string             `json:"password_hash,omitempty"`
	// MustChange forces a password change before anything else.
	MustChange      bool      `json:"must_change_password"`
	Disabled        bool      `json:"disabled,omitempty"`
	Created         time.Time `json:"created"`
	PasswordChanged time.Time `json:"password_changed"`
}

// Token is an API token's record; the secret itself is shown once, at
// creation, and stored only as its SHA-256.
type Token struct {
	ID        string             `json:"id"`
	Name      string             `json:"name"`
	Hash      string             `json:"hash,omitempty"`
	Agency    borderwatch.Agency `json:"agency"`
	Roles     []policy.Role      `json:"roles"`
	Sectors   []string           `json:"sectors,omitempty"`
	CreatedBy string             `json:"created_by"`
	Created   time.Time          `json:"created"`
	Expires   time.Time          `json:"expires,omitzero"`
	Revoked   bool               `json:"revoked,omitempty"`
}

// Session is a signed-in browser.
type Session struct {
	// ID goes into the session cookie; it is only set in Login's result
	// (the service keeps its hash).
	ID string `json:"-"`
	// CSRF must accompany every state-changing request of the session.
	CSRF       string           `json:"csrf_token"`
	Principal  policy.Principal `json:"principal"`
	MustChange bool             `json:"must_change_password"`
	Created    time.Time        `json:"created"`
	Seen       time.Time        `json:"-"`
}

// Errors a caller maps to responses.
var (
	// ErrBadCredentials is every failed sign-in: unknown user, wrong
	// password, disabled account alike.
	ErrBadCredentials = borderwatch.Errorf(borderwatch.EUNAUTHORIZED, "wrong user name or password")
)

// RateLimited is a refused sign-in attempt; RetryAfter says when to try again.
type RateLimited struct{ RetryAfter time.Duration }

func (e *RateLimited) Error() string {
	return fmt.Sprintf("too many sign-in attempts: retry in %s", e.RetryAfter.Round(time.Second))
}

// Service is the account, token and session store.
type Service struct {
	o        Options
	path     string
	hashing  chan struct{}
	byUser   *Limiter
	byAddr   *Limiter
	dummy    string // a hash checked for unknown users, so timing does not tell
	log      *slog.Logger
	mu       sync.Mutex
	users    map[string]*User
	tokens   map[string]*Token
	sessions map[string]*Session // by hex SHA-256 of the session id
}

type file struct {
	Users  []*User  `json:"users"`
	Tokens []*Token `json:"tokens"`
}

// Open loads (or starts) the store in o.Dir.
func Open(o Options) (*Service, error) {
	if o.Dir == "" {
		return nil, errors.New("auth: Options.Dir is required")
	}
	if o.Params == (Params{}) {
		o.Params = DefaultParams
	}
	if o.MaxHashing <= 0 {
		o.MaxHashing = 2
	}
	setDefault(&o.SessionIdle, 30*time.Minute)
	setDefault(&o.SessionMax, 12*time.Hour)
	setDefault(&o.UserEvery, 20*time.Second)
	setDefault(&o.AddrEvery, 3*time.Second)
	if o.UserBurst <= 0 {
		o.UserBurst = 5
	}
	if o.AddrBurst <= 0 {
		o.AddrBurst = 20
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Rand == nil {
		o.Rand = rand.Reader
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(o.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("auth: %w", err)
	}
	s := &Service{
		o: o, path: filepath.Join(o.Dir, "auth.json"), hashing: make(chan struct{}, o.MaxHashing),
		byUser: NewLimiter(o.UserBurst, o.UserEvery, o.Now), byAddr: NewLimiter(o.AddrBurst, o.AddrEvery, o.Now),
		log: o.Logger, users: map[string]*User{}, tokens: map[string]*Token{}, sessions: map[string]*Session{},
	}
	b, err := os.ReadFile(s.path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, fmt.Errorf("auth: %w", err)
	default:
		var f file
		if err := json.Unmarshal(b, &f); err != nil {
			return nil, fmt.Errorf("auth: %s: %w", s.path, err)
		}
		for _, u := range f.Users {
			s.users[u.Name] = u
		}
		for _, t := range f.Tokens {
			s.tokens[t.ID] = t
		}
	}
	if s.dummy, err = hashPassword(s.random(16), o.Params, o.Rand); err != nil {
		return nil, err
	}
	return s, nil
}

func setDefault(d *time.Duration, v time.Duration) {
	if *d <= 0 {
		*d = v
	}
}

// random returns n random bytes, base64url-encoded.
func (s *Service) random(n int) string {
	b := make([]byte, n)
	if _, err := io.ReadFull(s.o.Rand, b); err != nil {
		panic("auth: no randomness: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// save writes the store atomically. The caller holds mu.
func (s *Service) save() error {
	f := file{}
	for _, u := range s.users {
		f.Users = append(f.Users, u)
	}
	for _, t := range s.tokens {
		f.Tokens = append(f.Tokens, t)
	}
	sort.Slice(f.Users, func(i, j int) bool { return f.Users[i].Name < f.Users[j].Name })
	sort.Slice(f.Tokens, func(i, j int) bool { return f.Tokens[i].ID < f.Tokens[j].ID })
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return fmt.Errorf("auth: encode: %w", err)
	}
	tmp := s.path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return fmt.Errorf("auth: %w", err)
	}
	if err := os.Rename(tmp, s.path); err != nil {
		return fmt.Errorf("auth: %w", err)
	}
	return nil
}

// hash runs argon2id with the concurrency bound.
func (s *Service) hash(ctx context.Context, f func()) error {
	select {
	case s.hashing <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-s.hashing }()
	f()
	return nil
}

var nameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)

// MinPasswordLen is the shortest password accepted.
const MinPasswordLen = 12

// maxPasswordLen bounds what is hashed.
const maxPasswordLen = 256

func checkNewPassword(name, pw string) error {
	switch {
	case len(pw) < MinPasswordLen:
		return borderwatch.Errorf(borderwatch.EINVALID, "password: at least %d characters", MinPasswordLen)
	case len(pw) > maxPasswordLen:
		return borderwatch.Errorf(borderwatch.EINVALID, "password: at most %d bytes", maxPasswordLen)
	case strings.Contains(strings.ToLower(pw), strings.ToLower(name)):
		return borderwatch.Errorf(borderwatch.EINVALID, "password: must not contain the user name")
	}
	return nil
}

// Spec describes a user or token to create or the fields to change.
type Spec struct {
	Name    string             `json:"name"`
	Agency  borderwatch.Agency `json:"agency"`
	Roles   []policy.Role      `json:"roles"`
	Sectors []string           `json:"sectors,omitempty"`
	// Expires is a token's end; zero means never.
	Expires time.Time `json:"expires,omitzero"`
}

func (sp *Spec) check(what string) error {
	if !nameRE.MatchString(sp.Name) {
		return borderwatch.Errorf(borderwatch.EINVALID, "%s name %q: want 1-64 lowercase letters, digits, '.', '_' or '-'", what, sp.Name)
	}
	if !nameRE.MatchString(string(sp.Agency)) {
		return borderwatch.Errorf(borderwatch.EINVALID, "agency %q: want a lowercase agency id", sp.Agency)
	}
	if len(sp.Roles) == 0 {
		return borderwatch.Errorf(borderwatch.EINVALID, "roles: at least one")
	}
	for _, r := range sp.Roles {
		if _, err := policy.ParseRole(string(r)); err != nil {
			return borderwatch.Errorf(borderwatch.EINVALID, "%v", err)
		}
	}
	for _, sc := range sp.Sectors {
		if !nameRE.MatchString(sc) {
			return borderwatch.Errorf(borderwatch.EINVALID, "sector %q: want a sector id", sc)
		}
	}
	return nil
}

// machineOnly are roles for tokens and devices, never for a person.
var machineOnly = []policy.Role{policy.RoleDevice, policy.RoleSensor, policy.RoleMonitor}

// Bootstrap creates the first administrator when there is no user: user
// "admin" of agency with the admin role and a password that must be
// changed at first sign-in. The password is read from passwordFile when
// given, else generated; a generated password is returned (to be shown
// once, never logged) and created reports whether an account was made.
func (s *Service) Bootstrap(ctx context.Context, agency borderwatch.Agency, passwordFile string) (password string, created bool, err error) {
	s.mu.Lock()
	n := len(s.users)
	s.mu.Unlock()
	if n > 0 {
		return "", false, nil
	}
	generated := passwordFile == ""
	if generated {
		password = s.random(15) // 20 characters, 120 bits
	} else {
		b, err := os.ReadFile(passwordFile)
		if err != nil {
			return "", false, fmt.Errorf("auth: admin password file: %w", err)
		}
		password = strings.TrimRight(string(b), "\r\n")
		if err := checkNewPassword("admin", password); err != nil {
			return "", false, fmt.Errorf("auth: admin password file %s: %s", passwordFile, borderwatch.ErrorMessageOf(err))
		}
	}
	sp := Spec{Name: "admin", Agency: agency, Roles: []policy.Role{policy.RoleAdmin}}
	if err := sp.check("user"); err != nil {
		return "", false, fmt.Errorf("auth: bootstrap: %w", err)
	}
	if err := s.createUser(ctx, sp, password); err != nil {
		return "", false, err
	}
	if !generated {
		password = ""
	}
	return password, true, nil
}

// CreateUser adds an account with a generated one-time password, which it
// returns; the user must change it at first sign-in.
func (s *Service) CreateUser(ctx context.Context, sp Spec) (password string, err error) {
	if err := sp.check("user"); err != nil {
		return "", err
	}
	for _, r := range sp.Roles {
		if slices.Contains(machineOnly, r) {
			return "", borderwatch.Errorf(borderwatch.EINVALID, "role %s is for tokens and devices, not users", r)
		}
	}
	password = s.random(15)
	if err := s.createUser(ctx, sp, password); err != nil {
		return "", err
	}
	return password, nil
}

func (s *Service) createUser(ctx context.Context, sp Spec, password string) error {
	var h string
	var herr error
	if err := s.hash(ctx, func() { h, herr = hashPassword(password, s.o.Params, s.o.Rand) }); err != nil {
		return err
	}
	if herr != nil {
		return herr
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.users[sp.Name]; ok {
		return borderwatch.Errorf(borderwatch.ECONFLICT, "user %q exists", sp.Name)
	}
	now := s.o.Now().UTC()
	s.users[sp.Name] = &User{Name: sp.Name, Agency: sp.Agency, Roles: slices.Clone(sp.Roles), Sectors: slices.Clone(sp.Sectors),
		Hash: h, MustChange: true, Created: now, PasswordChanged: now}
	return s.save()
}

// UserUpdate changes an account; nil fields stay.
type UserUpdate struct {
	Roles    *[]policy.Role `json:"roles,omitempty"`
	Sectors  *[]string      `json:"sectors,omitempty"`
	Disabled *bool          `json:"disabled,omitempty"`
	// ResetPassword issues a new one-time password.
	ResetPassword bool `json:"reset_password,omitempty"`
}

// UpdateUser applies up to name; a disabled user's sessions end. It
// returns the new one-time password when one was asked for.
func (s *Service) UpdateUser(ctx context.Context, name string, up UserUpdate) (password string, err error) {
	var h string
	if up.ResetPassword {
		password = s.random(15)
		var herr error
		if err := s.hash(ctx, func() { h, herr = hashPassword(password, s.o.Params, s.o.Rand) }); err != nil {
			return "", err
		}
		if herr != nil {
			return "", herr
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[name]
	if !ok {
		return "", borderwatch.Errorf(borderwatch.ENOTFOUND, "user %q not found", name)
	}
	nu := *u
	if up.Roles != nil {
		nu.Roles = slices.Clone(*up.Roles)
	}
	if up.Sectors != nil {
		nu.Sectors = slices.Clone(*up.Sectors)
	}
	if up.Disabled != nil {
		nu.Disabled = *up.Disabled
	}
	sp := Spec{Name: nu.Name, Agency: nu.Agency, Roles: nu.Roles, Sectors: nu.Sectors}
	if err := sp.check("user"); err != nil {
		return "", err
	}
	if up.ResetPassword {
		nu.Hash, nu.MustChange, nu.PasswordChanged = h, true, s.o.Now().UTC()
	}
	*u = nu
	s.endSessionsLocked(name)
	return password, s.save()
}

// Users lists the accounts, without hashes.
func (s *Service) Users() []User {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]User, 0, len(s.users))
	for _, u := range s.users {
		c := *u
		c.Hash = ""
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Login checks a user name and password from client address addr and
// starts a session. Every failure is ErrBadCredentials or *RateLimited;
// an unknown user costs the same time as a wrong password.
func (s *Service) Login(ctx context.Context, name, password, addr string) (Session, error) {
	hash, err := s.verify(ctx, name, password, addr)
	if err != nil {
		return Session{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.users[name]
	if u == nil || u.Disabled || u.Hash != hash {
		return Session{}, ErrBadCredentials
	}
	now := s.o.Now()
	s.sweepLocked(now)
	sess := &Session{
		CSRF:       s.random(32),
		Principal:  policy.Principal{Subject: u.Name, Agency: u.Agency, Roles: slices.Clone(u.Roles), Sectors: slices.Clone(u.Sectors)},
		MustChange: u.MustChange,
		Created:    now,
		Seen:       now,
	}
	id := s.random(32)
	s.sessions[idHash(id)] = sess
	out := *sess
	out.ID = id
	return out, nil
}

// verify checks name and password under the rate limits and returns the
// user's current hash.
func (s *Service) verify(ctx context.Context, name, password, addr string) (string, error) {
	if ok, wait := s.byAddr.Allow(addr); !ok {
		return "", &RateLimited{RetryAfter: wait}
	}
	if ok, wait := s.byUser.Allow(strings.ToLower(name)); !ok {
		return "", &RateLimited{RetryAfter: wait}
	}
	if len(password) > maxPasswordLen {
		return "", ErrBadCredentials
	}
	s.mu.Lock()
	u := s.users[name]
	hash := s.dummy
	disabled := false
	if u != nil {
		hash, disabled = u.Hash, u.Disabled
	}
	s.mu.Unlock()
	var ok, rehash bool
	var herr error
	if err := s.hash(ctx, func() { ok, rehash, herr = checkPassword(hash, password, s.o.Params) }); err != nil {
		return "", err
	}
	if herr != nil {
		s.log.Error("auth: unreadable password hash", "user", name, "err", herr)
	}
	if u == nil || disabled || !ok || herr != nil {
		return "", ErrBadCredentials
	}
	// Only failures count against the user's budget.
	s.byUser.Return(strings.ToLower(name))
	if rehash {
		var h string
		var err error
		if s.hash(ctx, func() { h, err = hashPassword(password, s.o.Params, s.o.Rand) }) == nil && err == nil {
			s.mu.Lock()
			if cur := s.users[name]; cur != nil && cur.Hash == hash {
				cur.Hash = h
				hash = h
				if err := s.save(); err != nil {
					s.log.Warn("auth: rehash not saved", "user", name, "err", err)
				}
			}
			s.mu.Unlock()
		}
	}
	return hash, nil
}

func idHash(id string) string {
	h := sha256.Sum256([]byte(id))
	return hex.EncodeToString(h[:])
}

// sweepLocked forgets expired sessions.
func (s *Service) sweepLocked(now time.Time) {
	for k, se := range s.sessions {
		if s.expired(se, now) {
			delete(s.sessions, k)
		}
	}
}

func (s *Service) expired(se *Session, now time.Time) bool {
	return now.Sub(se.Seen) > s.o.SessionIdle || now.Sub(se.Created) > s.o.SessionMax
}

// Session returns the live session with cookie value id and marks it
// used; false when there is none or it expired.
func (s *Service) Session(id string) (Session, bool) {
	if id == "" {
		return Session{}, false
	}
	k := idHash(id)
	s.mu.Lock()
	defer s.mu.Unlock()
	se := s.sessions[k]
	if se == nil {
		return Session{}, false
	}
	now := s.o.Now()
	if s.expired(se, now) {
		delete(s.sessions, k)
		return Session{}, false
	}
	se.Seen = now
	return *se, true
}

// CheckCSRF reports whether token is the CSRF token of session id.
func (s *Service) CheckCSRF(id, token string) bool {
	se, ok := s.Session(id)
	return ok && token != "" && subtle.ConstantTimeCompare([]byte(se.CSRF), []byte(token)) == 1
}

// Logout ends session id.
func (s *Service) Logout(id string) {
	s.mu.Lock()
	delete(s.sessions, idHash(id))
	s.mu.Unlock()
}

func (s *Service) endSessionsLocked(user string) {
	for k, se := range s.sessions {
		if se.Principal.Subject == user {
			delete(s.sessions, k)
		}
	}
}

// ChangePassword sets a user's password after checking the old one; it
// clears the must-change mark and ends the user's other sessions (keep
// is the session to keep, "" for none).
func (s *Service) ChangePassword(ctx context.Context, name, old, new, addr, keep string) error {
	if _, err := s.verify(ctx, name, old, addr); err != nil {
		return err
	}
	if err := checkNewPassword(name, new); err != nil {
		return err
	}
	if old == new {
		return borderwatch.Errorf(borderwatch.EINVALID, "password: the new password must differ from the old one")
	}
	var h string
	var herr error
	if err := s.hash(ctx, func() { h, herr = hashPassword(new, s.o.Params, s.o.Rand) }); err != nil {
		return err
	}
	if herr != nil {
		return herr
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.users[name]
	if u == nil {
		return ErrBadCredentials
	}
	u.Hash, u.MustChange, u.PasswordChanged = h, false, s.o.Now().UTC()
	kept := s.sessions[idHash(keep)]
	s.endSessionsLocked(name)
	if kept != nil {
		kept.MustChange = false
		s.sessions[idHash(keep)] = kept
	}
	return s.save()
}

// TokenPrefix starts every API token, so that leaked tokens are easy to
// find in code and logs.
const TokenPrefix = "bwt_"

// CreateToken issues an API token and returns its secret (shown once).
func (s *Service) CreateToken(sp Spec, createdBy string) (secret string, t Token, err error) {
	if err := sp.check("token"); err != nil {
		return "", Token{}, err
	}
	idb := make([]byte, 8)
	if _, err := io.ReadFull(s.o.Rand, idb); err != nil {
		return "", Token{}, fmt.Errorf("auth: token id: %w", err)
	}
	id := hex.EncodeToString(idb)
	secret = TokenPrefix + id + "_" + s.random(32)
	sum := sha256.Sum256([]byte(secret))
	t = Token{ID: id, Name: sp.Name, Hash: hex.EncodeToString(sum[:]), Agency: sp.Agency, Roles: slices.Clone(sp.Roles),
		Sectors: slices.Clone(sp.Sectors), CreatedBy: createdBy, Created: s.o.Now().UTC(), Expires: sp.Expires}
	s.mu.Lock()
	defer s.mu.Unlock()
	stored := t
	s.tokens[id] = &stored
	if err := s.save(); err != nil {
		return "", Token{}, err
	}
	t.Hash = ""
	return secret, t, nil
}

// RevokeToken revokes token id.
func (s *Service) RevokeToken(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tokens[id]
	if t == nil {
		return borderwatch.Errorf(borderwatch.ENOTFOUND, "token %q not found", id)
	}
	t.Revoked = true
	return s.save()
}

// Tokens lists the tokens, without hashes.
func (s *Service) Tokens() []Token {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Token, 0, len(s.tokens))
	for _, t := range s.tokens {
		c := *t
		c.Hash = ""
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Created.Before(out[j].Created) })
	return out
}

// TokenPrincipal returns the principal of an API token secret; false for
// an unknown, revoked or expired token.
func (s *Service) TokenPrincipal(secret string) (policy.Principal, bool) {
	rest, ok := strings.CutPrefix(secret, TokenPrefix)
	if !ok {
		return policy.Principal{}, false
	}
	id, _, ok := strings.Cut(rest, "_")
	if !ok {
		return policy.Principal{}, false
	}
	sum := sha256.Sum256([]byte(secret))
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tokens[id]
	if t == nil || t.Revoked || (!t.Expires.IsZero() && !s.o.Now().Before(t.Expires)) {
		return policy.Principal{}, false
	}
	want, err := hex.DecodeString(t.Hash)
	if err != nil || subtle.ConstantTimeCompare(sum[:], want) != 1 {
		return policy.Principal{}, false
	}
	return policy.Principal{Subject: "token:" + t.Name, Agency: t.Agency, Roles: slices.Clone(t.Roles), Sectors: slices.Clone(t.Sectors)}, true
}
