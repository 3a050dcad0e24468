// Package pki owns borderwatch's small certificate authority: a CA kept in
// the data directory (DataDir/pki, mode 0700) that issues per-device
// client certificates for CoT over mutual TLS (port 8089, as TAK Server
// does), the CoT server's certificate, and the web UI's certificate when
// the operator gives none. It also names the device behind a verified
// client certificate and keeps the list of revoked certificates.
//
// A device certificate says who the device is in its subject: the common
// name is the device name and the organisational unit is its agency (the
// convention TAK deployments use for groups). Keys are ECDSA P-256.
package pki

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/borderwatch/borderwatch"
)

// File names inside the CA directory.
const (
	caCertFile  = "ca.pem"
	caKeyFile   = "ca-key.pem"
	revokedFile = "revoked.txt"
	issuedFile  = "issued.jsonl"
)

// deviceOrg marks device certificates.
const deviceOrg = "borderwatch device"

// DefaultDeviceValidity is how long a device certificate lasts.
const DefaultDeviceValidity = 365 * 24 * time.Hour

// CA is the node's certificate authority.
type CA struct {
	dir  string
	now  func() time.Time
	cert *x509.Certificate
	pem  []byte
	key  *ecdsa.PrivateKey

	mu      sync.Mutex
	revoked map[string]bool
	revMod  time.Time
}

// PathIn is where a node keeps its CA under its data directory.
func PathIn(dataDir string) string { return filepath.Join(dataDir, "pki") }

// Open loads the CA in dir, creating it (a ten-year self-signed root)
// when dir has none. now is the clock (nil: time.Now).
func Open(dir string, now func() time.Time) (*CA, error) {
	if now == nil {
		now = time.Now
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("pki: %w", err)
	}
	ca := &CA{dir: dir, now: now}
	certPEM, cerr := os.ReadFile(filepath.Join(dir, caCertFile))
	keyPEM, kerr := os.ReadFile(filepath.Join(dir, caKeyFile))
	switch {
	case cerr == nil && kerr == nil:
		pair, err := tls.X509KeyPair(certPEM, keyPEM)
		if err != nil {
			return nil, fmt.Errorf("pki: CA in %s: %w", dir, err)
		}
		key, ok := pair.PrivateKey.(*ecdsa.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("pki: CA key in %s: want an ECDSA key", dir)
		}
		c, err := x509.ParseCertificate(pair.Certificate[0])
		if err != nil {
			return nil, fmt.Errorf("pki: CA certificate in %s: %w", dir, err)
		}
		ca.cert, ca.pem, ca.key = c, certPEM, key
		return ca, nil
	case errors.Is(cerr, fs.ErrNotExist) && errors.Is(kerr, fs.ErrNotExist):
	default:
		return nil, fmt.Errorf("pki: CA in %s is incomplete: %v; %v", dir, cerr, kerr)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("pki: %w", err)
	}
	t := now()
	host, _ := os.Hostname()
	tmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: "borderwatch CA " + host, Organization: []string{"borderwatch"}},
		NotBefore:             t.Add(-time.Hour),
		NotAfter:              t.AddDate(10, 0, 0),
		IsCA:                  true,
		BasicConstraintsValid: true,
		MaxPathLenZero:        true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("pki: create CA: %w", err)
	}
	c, _ := x509.ParseCertificate(der)
	certPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	kp, err := keyPEMOf(key)
	if err != nil {
		return nil, err
	}
	if err := writeNew(filepath.Join(dir, caKeyFile), kp, 0o600); err != nil {
		return nil, err
	}
	if err := writeNew(filepath.Join(dir, caCertFile), certPEM, 0o644); err != nil {
		return nil, err
	}
	ca.cert, ca.pem, ca.key = c, certPEM, key
	return ca, nil
}

// writeNew writes a file that must not exist yet (two processes creating
// the CA at once: one wins, the other fails rather than mixing keys).
func writeNew(path string, b []byte, mode os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return fmt.Errorf("pki: %w", err)
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return fmt.Errorf("pki: write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("pki: write %s: %w", path, err)
	}
	return nil
}

func keyPEMOf(key *ecdsa.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("pki: encode key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

func serial() *big.Int {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic("pki: no randomness: " + err.Error())
	}
	b[0] &= 0x7f
	return new(big.Int).SetBytes(b)
}

// Dir is the CA's directory.
func (ca *CA) Dir() string { return ca.dir }

// CertPEM is the CA certificate, for clients' trust stores.
func (ca *CA) CertPEM() []byte { return ca.pem }

// Pool is a pool holding only the CA certificate.
func (ca *CA) Pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.cert)
	return p
}

// Device is the identity in a device certificate.
type Device struct {
	Name   string             `json:"name"`
	Agency borderwatch.Agency `json:"agency"`
	// Serial is the certificate's serial number in hex.
	Serial   string    `json:"serial"`
	NotAfter time.Time `json:"not_after"`
}

var (
	deviceName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)
	agencyName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,31}$`)
)

// CheckNames validates a device name and an agency id.
func CheckNames(name string, agency borderwatch.Agency) error {
	if !deviceName.MatchString(name) {
		return fmt.Errorf("device %q: want 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit", name)
	}
	if !agencyName.MatchString(string(agency)) {
		return fmt.Errorf("agency %q: want 1-32 lowercase letters, digits, '_' or '-'", agency)
	}
	return nil
}

// IssueDevice issues a client certificate for a device and returns it and
// its new private key, PEM-encoded. The issue is recorded in issued.jsonl
// in the CA directory. validity <= 0 means DefaultDeviceValidity.
func (ca *CA) IssueDevice(name string, agency borderwatch.Agency, validity time.Duration) (certPEM, keyPEM []byte, d Device, err error) {
	if err := CheckNames(name, agency); err != nil {
		return nil, nil, Device{}, fmt.Errorf("pki: %w", err)
	}
	if validity <= 0 {
		validity = DefaultDeviceValidity
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, Device{}, fmt.Errorf("pki: %w", err)
	}
	t := ca.now()
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: name, OrganizationalUnit: []string{string(agency)}, Organization: []string{deviceOrg}},
		NotBefore:    t.Add(-time.Hour),
		NotAfter:     t.Add(validity),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		return nil, nil, Device{}, fmt.Errorf("pki: issue %s: %w", name, err)
	}
	kp, err := keyPEMOf(key)
	if err != nil {
		return nil, nil, Device{}, err
	}
	d = Device{Name: name, Agency: agency, Serial: hex.EncodeToString(tmpl.SerialNumber.Bytes()), NotAfter: tmpl.NotAfter.UTC()}
	rec, _ := json.Marshal(struct {
		Time time.Time `json:"time"`
		Device
	}{t.UTC(), d})
	f, err := os.OpenFile(filepath.Join(ca.dir, issuedFile), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, nil, Device{}, fmt.Errorf("pki: record issue: %w", err)
	}
	_, werr := f.Write(append(rec, '\n'))
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		return nil, nil, Device{}, fmt.Errorf("pki: record issue: %w", werr)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), kp, d, nil
}

// Issued lists the device certificates issued so far.
func (ca *CA) Issued() ([]Device, error) {
	f, err := os.Open(filepath.Join(ca.dir, issuedFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("pki: %w", err)
	}
	defer f.Close()
	var out []Device
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var d Device
		if json.Unmarshal(sc.Bytes(), &d) == nil {
			out = append(out, d)
		}
	}
	return out, sc.Err()
}

// Revoke adds a certificate serial (hex) to the revocation list; a device
// presenting it is refused from the next connection on.
func (ca *CA) Revoke(serialHex string) error {
	serialHex = strings.ToLower(strings.TrimSpace(serialHex))
	if _, err := hex.DecodeString(serialHex); err != nil || serialHex == "" {
		return fmt.Errorf("pki: revoke: serial %q: want hex", serialHex)
	}
	f, err := os.OpenFile(filepath.Join(ca.dir, revokedFile), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("pki: revoke: %w", err)
	}
	_, werr := f.WriteString(serialHex + "\n")
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		return fmt.Errorf("pki: revoke: %w", werr)
	}
	return nil
}

// revokedSerial reports whether serial is on the list, re-reading the
// list when its file changed.
func (ca *CA) revokedSerial(serialHex string) bool {
	path := filepath.Join(ca.dir, revokedFile)
	fi, err := os.Stat(path)
	ca.mu.Lock()
	defer ca.mu.Unlock()
	if err != nil {
		return !errors.Is(err, fs.ErrNotExist) // unreadable list: fail closed
	}
	if ca.revoked == nil || !fi.ModTime().Equal(ca.revMod) {
		b, err := os.ReadFile(path)
		if err != nil {
			return true
		}
		ca.revoked = map[string]bool{}
		for _, l := range strings.Fields(string(b)) {
			ca.revoked[strings.ToLower(l)] = true
		}
		ca.revMod = fi.ModTime()
	}
	return ca.revoked[serialHex]
}

// DeviceOf names the device behind a verified mutual-TLS connection: the
// peer certificate must chain to this CA (the handshake checked that), be
// a device certificate and not be revoked.
func (ca *CA) DeviceOf(cs tls.ConnectionState) (Device, error) {
	if len(cs.VerifiedChains) == 0 || len(cs.VerifiedChains[0]) == 0 {
		return Device{}, errors.New("pki: no verified client certificate")
	}
	c := cs.VerifiedChains[0][0]
	if !slices.Contains(c.Subject.Organization, deviceOrg) || len(c.Subject.OrganizationalUnit) != 1 {
		return Device{}, fmt.Errorf("pki: certificate %q is not a device certificate", c.Subject.CommonName)
	}
	d := Device{Name: c.Subject.CommonName, Agency: borderwatch.Agency(c.Subject.OrganizationalUnit[0]),
		Serial: hex.EncodeToString(c.SerialNumber.Bytes()), NotAfter: c.NotAfter.UTC()}
	if err := CheckNames(d.Name, d.Agency); err != nil {
		return Device{}, fmt.Errorf("pki: device certificate: %w", err)
	}
	if ca.revokedSerial(d.Serial) {
		return Device{}, fmt.Errorf("pki: device %s certificate %s is revoked", d.Name, d.Serial)
	}
	return d, nil
}

// ServerCertificate returns the certificate named name ("cot", "web") for
// hosts, issued by the CA and kept in the CA directory. It is reissued
// when missing, when it expires within 30 days or when hosts changed.
func (ca *CA) ServerCertificate(name string, hosts []string) (tls.Certificate, error) {
	certPath, keyPath := filepath.Join(ca.dir, name+".pem"), filepath.Join(ca.dir, name+"-key.pem")
	if pair, err := tls.LoadX509KeyPair(certPath, keyPath); err == nil {
		if c, err := x509.ParseCertificate(pair.Certificate[0]); err == nil &&
			c.NotAfter.After(ca.now().Add(30*24*time.Hour)) && sameHosts(c, hosts) && c.CheckSignatureFrom(ca.cert) == nil {
			return pair, nil
		}
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("pki: %w", err)
	}
	t := ca.now()
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: "borderwatch " + name, Organization: []string{"borderwatch"}},
		NotBefore:    t.Add(-time.Hour),
		NotAfter:     t.AddDate(1, 0, 0),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else if h != "" {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("pki: issue %s certificate: %w", name, err)
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	kp, err := keyPEMOf(key)
	if err != nil {
		return tls.Certificate{}, err
	}
	if err := os.WriteFile(keyPath, kp, 0o600); err != nil {
		return tls.Certificate{}, fmt.Errorf("pki: %w", err)
	}
	if err := os.WriteFile(certPath, append(certPEM, ca.pem...), 0o644); err != nil {
		return tls.Certificate{}, fmt.Errorf("pki: %w", err)
	}
	return tls.LoadX509KeyPair(certPath, keyPath)
}

func sameHosts(c *x509.Certificate, hosts []string) bool {
	var have []string
	have = append(have, c.DNSNames...)
	for _, ip := range c.IPAddresses {
		have = append(have, ip.String())
	}
	var want []string
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			want = append(want, ip.String())
		} else if h != "" {
			want = append(want, h)
		}
	}
	slices.Sort(have)
	slices.Sort(want)
	return slices.Equal(have, want)
}

// DefaultHosts are the names a generated server certificate covers:
// localhost, the loopback addresses and the machine's host name.
func DefaultHosts() []string {
	hs := []string{"localhost", "127.0.0.1", "::1"}
	if h, err := os.Hostname(); err == nil && h != "" && h != "localhost" {
		hs = append(hs, h)
	}
	return hs
}

// MutualTLS is the server configuration for CoT over mutual TLS: the
// server presents cert and requires a client certificate issued by this
// CA (TLS 1.2 or later).
func (ca *CA) MutualTLS(cert tls.Certificate) *tls.Config {
	return &tls.Config{
		Certificates: []tls.Certificate{cert},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    ca.Pool(),
		MinVersion:   tls.VersionTLS12,
	}
}

// ServerTLS is a server configuration without client certificates (the
// web UI), TLS 1.2 or later.
func ServerTLS(cert tls.Certificate) *tls.Config {
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
}
