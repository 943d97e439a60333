package transport

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/calbridge/calbridge/freebusy"
)

// testPKI is a throwaway CA with a server and a client certificate, made
// with crypto/x509 and ECDSA P-256.
type testPKI struct {
	pool   *x509.CertPool
	server tls.Certificate
	client tls.Certificate
}

func newTestPKI(t *testing.T) *testPKI {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "calbridge test CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	require.NoError(t, err)
	ca, err := x509.ParseCertificate(caDER)
	require.NoError(t, err)
	leaf := func(serial int64, cn string, usage x509.ExtKeyUsage) tls.Certificate {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		require.NoError(t, err)
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: cn},
			NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour),
			KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{usage},
			IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
		require.NoError(t, err)
		return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	return &testPKI{
		pool:   pool,
		server: leaf(2, "gateway", x509.ExtKeyUsageServerAuth),
		client: leaf(3, "notes-half", x509.ExtKeyUsageClientAuth),
	}
}

// startTLSServer serves staticSource behind tls.NewListener with cfg.
func startTLSServer(t *testing.T, cfg *tls.Config) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	s := newServer(t, staticSource)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); _ = s.Serve(tls.NewListener(l, cfg)) }()
	t.Cleanup(func() { _ = s.Close(); wg.Wait() })
	return l.Addr().String()
}

func TestTLS(t *testing.T) {
	pki := newTestPKI(t)
	addr := startTLSServer(t, &tls.Config{Certificates: []tls.Certificate{pki.server}, MinVersion: tls.VersionTLS12})

	c := newTestClient(t, []string{addr}, WithTLS(&tls.Config{RootCAs: pki.pool, MinVersion: tls.VersionTLS12}))
	got, err := c.FreeBusy(context.Background(), testQuery(2))
	require.NoError(t, err)
	assert.Len(t, got, 2)

	untrusting := newTestClient(t, []string{addr}, WithTLS(&tls.Config{MinVersion: tls.VersionTLS12}))
	_, err = untrusting.FreeBusy(context.Background(), testQuery(1))
	require.Error(t, err)
	var ce *CallError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, "handshake", ce.Op)
	var unknownAuthority x509.UnknownAuthorityError
	assert.ErrorAs(t, err, &unknownAuthority)

	plain := newTestClient(t, []string{addr}, WithHandshakeTimeout(500*time.Millisecond))
	_, err = plain.FreeBusy(context.Background(), testQuery(1))
	assert.Error(t, err, "a plaintext client cannot talk to a TLS server")
}

func TestMutualTLS(t *testing.T) {
	pki := newTestPKI(t)
	addr := startTLSServer(t, &tls.Config{
		Certificates: []tls.Certificate{pki.server},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    pki.pool,
		MinVersion:   tls.VersionTLS13,
	})

	c := newTestClient(t, []string{addr}, WithTLS(&tls.Config{RootCAs: pki.pool, Certificates: []tls.Certificate{pki.client}, MinVersion: tls.VersionTLS13}))
	got, err := c.FreeBusy(context.Background(), testQuery(3))
	require.NoError(t, err)
	assert.Len(t, got, 3)
	assert.Equal(t, Ready, c.State())

	// Without a client certificate TLS 1.3 completes the client side of the
	// handshake and the server refuses afterwards: the hello read fails.
	anon := newTestClient(t, []string{addr}, WithTLS(&tls.Config{RootCAs: pki.pool, MinVersion: tls.VersionTLS13}))
	_, err = anon.FreeBusy(context.Background(), testQuery(1))
	require.Error(t, err)
	assert.ErrorIs(t, err, freebusy.ErrUnavailable)
	var ce *CallError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, "handshake", ce.Op)
	assert.NotEqual(t, Ready, anon.State())
}
