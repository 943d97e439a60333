package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/calbridge/calbridge/freebusy/observe"
	"github.com/calbridge/calbridge/internal/httptestutil"
	"github.com/calbridge/calbridge/transport"
)

// testPKI writes a CA and one certificate it signed (for 127.0.0.1 and
// localhost, usable by servers and clients) as PEM files.
func testPKI(t *testing.T) (caFile, certFile, keyFile string) {
	t.Helper()
	dir := t.TempDir()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "calbridge test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	require.NoError(t, err)
	ca, err := x509.ParseCertificate(caDER)
	require.NoError(t, err)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "calbridge half"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	require.NoError(t, err)
	keyDER, err := x509.MarshalECPrivateKey(key)
	require.NoError(t, err)
	write := func(name, typ string, b []byte) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: b}), 0o600))
		return p
	}
	return write("ca.pem", "CERTIFICATE", caDER), write("cert.pem", "CERTIFICATE", der), write("key.pem", "EC PRIVATE KEY", keyDER)
}

// TestTLS runs the gateway with HTTPS on the front doors and mutual TLS
// plus a token on the link between the halves.
func TestTLS(t *testing.T) {
	caFile, certFile, keyFile := testPKI(t)
	t.Setenv("GW_TEST_RPC_TOKEN", "link-secret")
	var cfg Config
	cfg.HTTP.TLS = TLSConfig{CertFile: certFile, KeyFile: keyFile}
	cfg.RPC = RPCConfig{TokenEnv: "GW_TEST_RPC_TOKEN", TLS: TLSConfig{
		CertFile: certFile, KeyFile: keyFile, CAFile: caFile, ClientCAFile: caFile, ServerName: "localhost",
	}}
	cfg.ReverseRPC = cfg.RPC
	g := startGateway(t, options{cfg: cfg, quiet: true})
	require.Contains(t, g.URL, "https://")

	pool := x509.NewCertPool()
	pem, err := os.ReadFile(caFile)
	require.NoError(t, err)
	require.True(t, pool.AppendCertsFromPEM(pem))
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr}
	waitReady(t, c, g.URL)
	resp, err := c.Get(g.URL + "/healthz")
	require.NoError(t, err)
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	var sum observe.Summary
	require.NoError(t, json.Unmarshal(body, &sum))
	assert.True(t, sum.Ready, "both links up over mutual TLS")

	resp, err = c.Get(g.URL + "/freebusy/grace.hopper@exchange.acme.example.vfb")
	require.NoError(t, err)
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)

	// Plain HTTP is not served on the HTTPS port.
	resp2, err := http.Get("http" + g.URL[len("https"):] + "/healthz")
	if err == nil {
		resp2.Body.Close()
		assert.NotEqual(t, http.StatusOK, resp2.StatusCode)
	}

	// A client without a certificate, or without the token, does not get
	// onto the link.
	for name, opts := range map[string][]transport.ClientOption{
		"no certificate": {transport.WithTLS(&tls.Config{RootCAs: pool, ServerName: "localhost", MinVersion: tls.VersionTLS12}), transport.WithToken("link-secret")},
		"no token":       {transport.WithTLS(&tls.Config{RootCAs: pool, ServerName: "localhost", MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{mustPair(t, certFile, keyFile)}})},
	} {
		cl, err := transport.NewClient([]string{g.RPC}, opts...)
		require.NoError(t, err)
		ctx, cancel := context.WithTimeout(context.Background(), httptestutil.Patience)
		_, err = cl.Ping(ctx)
		cancel()
		assert.Error(t, err, name)
		require.NoError(t, cl.Close())
	}
}

func mustPair(t *testing.T, certFile, keyFile string) tls.Certificate {
	c, err := tls.LoadX509KeyPair(certFile, keyFile)
	require.NoError(t, err)
	return c
}
