package pki

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/borderwatch/borderwatch"
)

// serve accepts one connection at a time on a real loopback TLS listener
// and reports the device each handshake names, or the error.
func serve(t *testing.T, ca *CA) (addr string, results <-chan error, devices <-chan Device) {
	t.Helper()
	cert, err := ca.ServerCertificate("cot", []string{"127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", ca.MutualTLS(cert))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	res := make(chan error, 8)
	devs := make(chan Device, 8)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			tc := c.(*tls.Conn)
			tc.SetDeadline(time.Now().Add(5 * time.Second))
			err = tc.Handshake()
			if err == nil {
				var d Device
				d, err = ca.DeviceOf(tc.ConnectionState())
				if err == nil {
					devs <- d
					tc.Write([]byte("ok\n"))
				}
			}
			res <- err
			tc.Close()
		}
	}()
	return ln.Addr().String(), res, devs
}

func dial(t *testing.T, addr string, ca *CA, certs []tls.Certificate) error {
	t.Helper()
	c, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: ca.Pool(), Certificates: certs, ServerName: "127.0.0.1"})
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	b, err := io.ReadAll(c) // TLS 1.3: a refused client learns it on its first read
	if err != nil {
		return err
	}
	if string(b) != "ok\n" {
		return errors.New("refused")
	}
	return nil
}

func TestMutualTLS(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "pki")
	ca, err := Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	other, err := Open(filepath.Join(t.TempDir(), "other"), nil)
	if err != nil {
		t.Fatal(err)
	}
	pair := func(ca *CA, name string) tls.Certificate {
		c, k, _, err := ca.IssueDevice(name, "ibg", 0)
		if err != nil {
			t.Fatal(err)
		}
		p, err := tls.X509KeyPair(c, k)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := pair(ca, "IBG-P12")
	foreign := pair(other, "IBG-P12")
	revokedCert := pair(ca, "lost-phone")
	webCert, err := ca.ServerCertificate("web", []string{"127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	devs, _ := ca.Issued()
	if len(devs) != 2 || devs[1].Name != "lost-phone" {
		t.Fatalf("issued %+v", devs)
	}
	if err := ca.Revoke(devs[1].Serial); err != nil {
		t.Fatal(err)
	}
	addr, results, devices := serve(t, ca)
	cases := []struct {
		name  string
		certs []tls.Certificate
		ok    bool
	}{
		{"device certificate", []tls.Certificate{good}, true},
		{"no certificate", nil, false},
		{"certificate from another CA", []tls.Certificate{foreign}, false},
		{"revoked certificate", []tls.Certificate{revokedCert}, false},
		{"server certificate as client", []tls.Certificate{webCert}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cerr := dial(t, addr, ca, c.certs)
			serr := <-results
			if c.ok != (serr == nil) || c.ok != (cerr == nil) {
				t.Fatalf("server: %v, client: %v, want ok=%v", serr, cerr, c.ok)
			}
			if c.ok {
				if d := <-devices; d.Name != "IBG-P12" || d.Agency != "ibg" {
					t.Fatalf("device %+v", d)
				}
			}
		})
	}
}

func TestOpenKeepsTheCA(t *testing.T) {
	dir := t.TempDir()
	a, err := Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if string(a.CertPEM()) != string(b.CertPEM()) {
		t.Fatal("reopened CA differs")
	}
	fi, err := os.Stat(filepath.Join(dir, caKeyFile))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("CA key mode %v %v, want 0600", fi.Mode(), err)
	}
	c1, _ := a.ServerCertificate("web", []string{"localhost"})
	c2, _ := b.ServerCertificate("web", []string{"localhost"})
	if string(c1.Certificate[0]) != string(c2.Certificate[0]) {
		t.Fatal("server certificate reissued without reason")
	}
	c3, _ := b.ServerCertificate("web", []string{"localhost", "bw.example"})
	leaf, _ := x509.ParseCertificate(c3.Certificate[0])
	if !strings.Contains(strings.Join(leaf.DNSNames, ","), "bw.example") {
		t.Fatal("server certificate not reissued for new hosts")
	}
	os.Remove(filepath.Join(dir, caKeyFile))
	if _, err := Open(dir, nil); err == nil {
		t.Fatal("opened a CA without its key")
	}
}

func TestCheckNames(t *testing.T) {
	for _, c := range []struct {
		name, agency string
		ok           bool
	}{
		{"IBG-P12", "ibg", true}, {"a.b_c", "army", true}, {"", "ibg", false}, {"x/../y", "ibg", false},
		{"ok", "IBG", false}, {"ok", "", false}, {strings.Repeat("a", 65), "ibg", false},
	} {
		if err := CheckNames(c.name, borderwatch.Agency(c.agency)); (err == nil) != c.ok {
			t.Errorf("CheckNames(%q, %q) = %v", c.name, c.agency, err)
		}
	}
}
