package cot

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"net"
	"testing"
	"time"

	"github.com/borderwatch/borderwatch"
)

// selfSigned returns a certificate for cn in organisational unit ou.
func selfSigned(t *testing.T, cn, ou string, now time.Time) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: cn, OrganizationalUnit: []string{ou}},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(time.Hour),
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// TestServeListenerTLS serves a mutual-TLS listener the way the security
// work will: the identity func completes the handshake and names the
// client's agency from its certificate, and the default filter then only
// releases what that agency may see.
func TestServeListenerTLS(t *testing.T) {
	k := newSink()
	clk := newClock(captureTime(t))
	s := startServer(t, Options{Handler: k.handle, Now: clk.Now, NoNegotiate: true})
	now := time.Now()
	srvCert := selfSigned(t, "borderwatch", "server", now)
	cliCert := selfSigned(t, "IBG-P12", "ibg", now)
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{
		Certificates: []tls.Certificate{srvCert},
		ClientAuth:   tls.RequireAnyClientCert,
	})
	if err != nil {
		t.Fatal(err)
	}
	identity := func(c net.Conn) (ClientInfo, error) {
		tc, ok := c.(*tls.Conn)
		if !ok {
			return ClientInfo{}, errors.New("not TLS")
		}
		if err := tc.Handshake(); err != nil {
			return ClientInfo{}, err
		}
		cert := tc.ConnectionState().PeerCertificates[0]
		agency := borderwatch.Agency(cert.Subject.OrganizationalUnit[0])
		return ClientInfo{Transport: "tls", Identity: cert.Subject.CommonName, Agency: agency,
			Label: borderwatch.Label{Owner: agency}}, nil
	}
	served := make(chan error, 1)
	go func() { served <- s.ServeListener(ln, identity) }()

	pool := x509.NewCertPool()
	leaf, _ := x509.ParseCertificate(srvCert.Certificate[0])
	pool.AddCert(leaf)
	conn, err := tls.Dial("tcp", ln.Addr().String(), &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{cliCert}})
	if err != nil {
		t.Fatal(err)
	}
	c := &tak{t: t, conn: conn, in: make(chan received, 64)}
	go readInto(t, c)
	t.Cleanup(func() { conn.Close() })
	waitClients(t, s, 1)
	if got := s.Clients()[0]; got.Identity != "IBG-P12" || got.Transport != "tls" {
		t.Fatalf("client %+v", got)
	}

	army := testEvent("army-track", "a-u-G", clk.Now())
	ibg := testEvent("ibg-track", "a-u-G", clk.Now())
	s.Publish(&army, borderwatch.Label{Owner: "army"})
	s.Publish(&ibg, borderwatch.Label{Owner: "ibg"})
	if r := c.next(); r.ev.UID != "ibg-track" {
		t.Fatalf("got %s, want only what is releasable to ibg", r.ev.UID)
	}

	c.send(readCapture(t, "atak-sa.xml"))
	if o := k.next(t); o.Label.Owner != "ibg" {
		t.Fatalf("observation label %+v, want the client's agency", o.Label)
	}
	ln.Close()
	if err := <-served; err != nil {
		t.Fatalf("ServeListener returned %v after its listener closed", err)
	}
}

func readInto(t *testing.T, c *tak) {
	defer close(c.in)
	sp := NewSplitter(c.conn, 0, 0)
	var d Decoder
	for {
		for {
			f, msg, ok, err := sp.Next()
			if err != nil || !ok {
				break
			}
			var ev Event
			if f == FormatXML {
				err = d.Decode(msg, &ev)
			} else {
				err = d.DecodeProto(msg, &ev)
			}
			if err != nil {
				t.Errorf("client decode: %v", err)
				return
			}
			c.in <- received{f, ev.Clone()}
		}
		if _, err := sp.Fill(); err != nil {
			return
		}
	}
}
