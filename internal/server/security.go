package server

import (
	"context"
	"crypto/subtle"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/borderwatch/borderwatch"
	"github.com/borderwatch/borderwatch/internal/audit"
	"github.com/borderwatch/borderwatch/internal/auth"
	"github.com/borderwatch/borderwatch/internal/cot"
	"github.com/borderwatch/borderwatch/internal/pki"
	"github.com/borderwatch/borderwatch/internal/policy"
)

// security is a node's identity and access state: accounts, sessions and
// tokens, the audit log, the CA for CoT over mutual TLS, and the limits.
type security struct {
	s     *Server
	auth  *auth.Service
	audit *audit.Log
	ca    *pki.CA

	// api limits requests per principal, anon per client address.
	api, anon *auth.Limiter

	mu        sync.Mutex
	bootstrap string // the generated one-time admin password, until read
	cotLn     net.Listener
	cotFilter sync.Map // borderwatch.Agency -> func(Label) bool for devices
}

var securityInit sync.Mutex

// security returns the node's security state, opening it on first use:
// the account store (with the first administrator when there is none),
// the audit log and the CA, all under DataDir.
func (s *Server) security() (*security, error) {
	securityInit.Lock()
	defer securityInit.Unlock()
	if s.sec != nil {
		return s.sec, nil
	}
	sec, err := openSecurity(s)
	if err != nil {
		return nil, err
	}
	s.sec = sec
	return sec, nil
}

func openSecurity(s *Server) (*security, error) {
	so := s.securityOptions()
	lg, err := audit.Open(audit.PathIn(s.opts.DataDir), s.opts.Now)
	if err != nil {
		return nil, fmt.Errorf("server: audit: %w", err)
	}
	as, err := auth.Open(auth.Options{Dir: filepath.Join(s.opts.DataDir, "auth"), Now: s.opts.Now, Logger: s.log})
	if err != nil {
		lg.Close()
		return nil, fmt.Errorf("server: accounts: %w", err)
	}
	ca, err := pki.Open(pki.PathIn(s.opts.DataDir), s.opts.Now)
	if err != nil {
		lg.Close()
		return nil, fmt.Errorf("server: certificate authority: %w", err)
	}
	sec := &security{s: s, auth: as, audit: lg, ca: ca,
		api:  auth.NewLimiter(200, 10*time.Millisecond, s.opts.Now),
		anon: auth.NewLimiter(200, 20*time.Millisecond, s.opts.Now)}
	var agency borderwatch.Agency
	if len(s.dep.Agencies) > 0 {
		agency = s.dep.Agencies[0].ID
	}
	pw, created, err := as.Bootstrap(context.Background(), agency, so.AdminPasswordFile)
	if err != nil {
		lg.Close()
		return nil, fmt.Errorf("server: first administrator: %w", err)
	}
	if created {
		sec.bootstrap = pw
		src := "generated one-time password (shown once on standard output)"
		if so.AdminPasswordFile != "" {
			src = "password from " + so.AdminPasswordFile
		}
		sec.record(audit.Entry{Action: audit.ActBootstrap, Object: "user:admin", Agency: agency, Detail: src})
		s.log.Info("first administrator created: must change the password at first sign-in", "user", "admin", "agency", agency, "password", src)
	}
	s.log.Info("audit log open", "file", lg.Path(), "head", lg.Head().String())
	return sec, nil
}

// record appends to the audit log. A failure is an operator matter: it is
// logged as an error and counted; the caller goes on (the event itself
// already happened).
func (sec *security) record(e audit.Entry) {
	if _, err := sec.audit.Append(e); err != nil {
		sec.s.log.Error("audit write failed", "action", e.Action, "err", err)
	}
}

// stopSecurity closes what security opened; Shutdown calls it last.
func (s *Server) stopSecurity() error {
	securityInit.Lock()
	sec := s.sec
	s.sec = nil
	securityInit.Unlock()
	if sec == nil {
		return nil
	}
	sec.mu.Lock()
	if sec.cotLn != nil {
		sec.cotLn.Close()
	}
	sec.mu.Unlock()
	return sec.audit.Close()
}

// BootstrapPassword returns the first administrator's generated one-time
// password once, then "": the caller prints it (to standard output, never
// to the log). It is "" when accounts already existed or the password
// came from AdminPasswordFile.
func (s *Server) BootstrapPassword() string {
	sec, err := s.security()
	if err != nil {
		return ""
	}
	sec.mu.Lock()
	defer sec.mu.Unlock()
	pw := sec.bootstrap
	sec.bootstrap = ""
	return pw
}

// AuditLog is the node's audit log, for components that record actions
// (dispatch, crossing status, export): Append an audit.Entry.
func (s *Server) AuditLog() (*audit.Log, error) {
	sec, err := s.security()
	if err != nil {
		return nil, err
	}
	return sec.audit, nil
}

// IssueToken issues an API token of agency with roles (for provisioning
// scripts, the simulator and tests) and records it in the audit log. The
// secret is returned once; the node keeps only its hash.
func (s *Server) IssueToken(name string, agency borderwatch.Agency, roles ...policy.Role) (string, error) {
	sec, err := s.security()
	if err != nil {
		return "", err
	}
	secret, t, err := sec.auth.CreateToken(auth.Spec{Name: name, Agency: agency, Roles: roles}, "node")
	if err != nil {
		return "", err
	}
	sec.record(audit.Entry{Actor: "node", Action: audit.ActTokenCreate, Object: "token:" + t.ID + ":" + t.Name, Agency: agency,
		Detail: "agency " + string(agency) + ", roles " + rolesString(roles)})
	return secret, nil
}

// CA is the node's certificate authority (device enrolment).
func (s *Server) CA() (*pki.CA, error) {
	sec, err := s.security()
	if err != nil {
		return nil, err
	}
	return sec.ca, nil
}

// principal establishes the caller of an HTTP request: an API token
// (Authorization: Bearer bwt_...), the node's ingest token, or a session
// cookie. sess is set for a session.
func (sec *security) principal(r *http.Request) (p policy.Principal, sess *auth.Session, ok bool) {
	if h := r.Header.Get("Authorization"); h != "" {
		tok, found := strings.CutPrefix(h, "Bearer ")
		if !found || tok == "" {
			return p, nil, false
		}
		if strings.HasPrefix(tok, auth.TokenPrefix) {
			p, ok = sec.auth.TokenPrincipal(tok)
			return p, nil, ok
		}
		if node := sec.s.apiToken; node != "" && subtle.ConstantTimeCompare([]byte(tok), []byte(node)) == 1 {
			// The node's generated ingest token (DataDir/secrets/api-token):
			// posts observations for the first agency, nothing else.
			var agency borderwatch.Agency
			if len(sec.s.dep.Agencies) > 0 {
				agency = sec.s.dep.Agencies[0].ID
			}
			return policy.Principal{Subject: "node-ingest-token", Agency: agency, Roles: []policy.Role{policy.RoleSensor}}, nil, true
		}
		return p, nil, false
	}
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		return p, nil, false
	}
	se, ok := sec.auth.Session(c.Value)
	if !ok {
		return p, nil, false
	}
	se.ID = c.Value
	return se.Principal, &se, true
}

// Cookie names: the session (HttpOnly) and its CSRF token (readable by
// the UI's script, which echoes it in the X-CSRF-Token header).
const (
	sessionCookie = "bw_session"
	csrfCookie    = "bw_csrf"
	csrfHeader    = "X-CSRF-Token"
)

// cotAllow is cot.Options.Allow: CoT out through the policy. An anonymous
// client (plain TCP or UDP, no certificate) receives nothing; a device
// receives what its agency may see and never a protected record.
func (s *Server) cotAllow(c cot.ClientInfo, l borderwatch.Label) bool {
	if c.Identity == "" || c.Agency == "" {
		return false
	}
	sec, err := s.security()
	if err != nil {
		return false
	}
	if f, ok := sec.cotFilter.Load(c.Agency); ok {
		return f.(func(borderwatch.Label) bool)(l)
	}
	f := policy.Filter(policy.Principal{Subject: "device", Agency: c.Agency, Roles: []policy.Role{policy.RoleDevice}}, policy.ActView)
	sec.cotFilter.Store(c.Agency, f)
	return f(l)
}

// cotIdentity completes a mutual-TLS handshake and names the device from
// its certificate; a connection without a valid, unrevoked certificate
// from the node's CA is refused.
func (sec *security) cotIdentity(conn net.Conn) (cot.ClientInfo, error) {
	tc, ok := conn.(*tls.Conn)
	if !ok {
		return cot.ClientInfo{}, errors.New("not a TLS connection")
	}
	if err := tc.Handshake(); err != nil {
		return cot.ClientInfo{}, fmt.Errorf("tls handshake: %w", err)
	}
	d, err := sec.ca.DeviceOf(tc.ConnectionState())
	if err != nil {
		return cot.ClientInfo{}, err
	}
	return cot.ClientInfo{Transport: "tls", Identity: d.Name, Agency: d.Agency, Label: sec.s.agencyLabel(d.Agency)}, nil
}

// startCoTTLS serves CoT over mutual TLS on Options.CoTTLSAddr with the
// CoT server's other listeners. It needs the CoT server (a TCP or UDP
// address) and is a no-op when already started or not configured.
func (s *Server) startCoTTLS() error {
	if s.opts.CoTTLSAddr == "" || s.cot == nil {
		return nil
	}
	sec, err := s.security()
	if err != nil {
		return err
	}
	sec.mu.Lock()
	defer sec.mu.Unlock()
	if sec.cotLn != nil {
		return nil
	}
	cert, err := sec.ca.ServerCertificate("cot", tlsHosts(s.opts.CoTTLSAddr))
	if err != nil {
		return fmt.Errorf("server: cot-tls: %w", err)
	}
	ln, err := tls.Listen("tcp", s.opts.CoTTLSAddr, sec.ca.MutualTLS(cert))
	if err != nil {
		return fmt.Errorf("server: cot-tls listener %s: %w", s.opts.CoTTLSAddr, err)
	}
	sec.cotLn = ln
	s.goRun("cot-tls", func() error { return s.cot.ServeListener(ln, sec.cotIdentity) })
	s.log.Info("listening", "listener", "cot-tls", "addr", ln.Addr().String(), "auth", "mutual TLS: device certificates from "+sec.ca.Dir())
	return nil
}

// CoTTLSAddr is the bound CoT mutual-TLS address, "" when not serving.
func (s *Server) CoTTLSAddr() string {
	securityInit.Lock()
	sec := s.sec
	securityInit.Unlock()
	if sec == nil {
		return ""
	}
	sec.mu.Lock()
	defer sec.mu.Unlock()
	if sec.cotLn == nil {
		return ""
	}
	return sec.cotLn.Addr().String()
}

// tlsHosts are the names a generated certificate for addr covers.
func tlsHosts(addr string) []string {
	hs := pki.DefaultHosts()
	if h, _, err := net.SplitHostPort(addr); err == nil && h != "" && h != "0.0.0.0" && h != "::" {
		found := false
		for _, x := range hs {
			found = found || x == h
		}
		if !found {
			hs = append(hs, h)
		}
	}
	return hs
}

// webTLSConfig is the web UI's TLS configuration: nil when WebTLS is
// "off", else the given certificate or one from the node's CA (clients
// then trust DataDir/pki/ca.pem, or accept it once).
func (s *Server) webTLSConfig() (*tls.Config, error) {
	so := s.securityOptions()
	if so.WebTLS == "off" {
		return nil, nil
	}
	if so.TLSCertFile != "" || so.TLSKeyFile != "" {
		cert, err := tls.LoadX509KeyPair(so.TLSCertFile, so.TLSKeyFile)
		if err != nil {
			return nil, fmt.Errorf("server: tls_cert_file %s / tls_key_file %s: %w", so.TLSCertFile, so.TLSKeyFile, err)
		}
		return pki.ServerTLS(cert), nil
	}
	sec, err := s.security()
	if err != nil {
		return nil, err
	}
	cert, err := sec.ca.ServerCertificate("web", tlsHosts(s.opts.HTTPAddr))
	if err != nil {
		return nil, fmt.Errorf("server: web certificate: %w", err)
	}
	return pki.ServerTLS(cert), nil
}
