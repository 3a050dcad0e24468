package server

// SecurityOptions are the identity and access settings of a node. They
// are embedded in Options, so o.AdminPasswordFile reads naturally.
type SecurityOptions struct {
	// AdminPasswordFile holds the first administrator's password
	// (BORDERWATCH_ADMIN_PASSWORD_FILE); without it a one-time password is
	// generated and shown once (BootstrapPassword). Either way it must be
	// changed at first sign-in, and it is only used when no user exists.
	AdminPasswordFile string `json:"admin_password_file"`
	// WebTLS is "auto" (HTTPS with TLSCertFile/TLSKeyFile, or a
	// certificate from the node's CA when none is given) or "off" (plain
	// HTTP, e.g. behind a TLS-terminating proxy on the same host).
	WebTLS string `json:"web_tls"`
	// TLSCertFile and TLSKeyFile are the web UI's certificate chain and
	// key (PEM) (BORDERWATCH_TLS_CERT_FILE, BORDERWATCH_TLS_KEY_FILE).
	TLSCertFile string `json:"tls_cert_file"`
	TLSKeyFile  string `json:"tls_key_file"`
}

// securityOptions returns the node's security settings.
func (s *Server) securityOptions() SecurityOptions { return s.opts.SecurityOptions }
