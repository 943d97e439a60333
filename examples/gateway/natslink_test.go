package main

import (
	"net/http"
	"testing"
	"time"

	natsserver "github.com/nats-io/nats-server/v2/server"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/calbridge/calbridge/transport"
)

// startNATS runs a NATS server in process on a free loopback port until
// the test ends.
func startNATS(t testing.TB) *natsserver.Server {
	t.Helper()
	s, err := natsserver.NewServer(&natsserver.Options{Host: "127.0.0.1", Port: -1, NoLog: true, NoSigs: true})
	require.NoError(t, err)
	go s.Start()
	require.True(t, s.ReadyForConnections(30*time.Second), "nats-server did not start")
	t.Cleanup(func() {
		s.Shutdown()
		s.WaitForShutdown()
	})
	return s
}

// TestNATSTransport runs the halves as separate gateway processes' worth
// of parts over NATS instead of the RPC link: a Notes-role instance asks
// an Exchange-role instance (a worker in the queue group) about Grace
// Hopper, and the Exchange instance asks back about Ada Lovelace. With no
// Exchange worker left, the Notes instance answers at once with
// Unavailable reasons, and it is served again when a worker returns.
func TestNATSTransport(t *testing.T) {
	ns := startNATS(t)
	cfg := Config{Transport: TransportConfig{NATS: ns.ClientURL()}}
	notesGW := startRole(t, roleNotes, cfg)
	exchangeGW := startRole(t, roleExchange, cfg)

	window := "?start=" + day(0).Format(time.DateOnly) + "&end=" + day(7).Format(time.DateOnly)
	resp, body := get(t, notesGW.bound().URL+"/freebusy/grace.hopper@exchange.acme.example.vfb"+window)
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	assert.Contains(t, body, "FREEBUSY")
	resp, body = get(t, exchangeGW.bound().URL+"/freebusy/ada.lovelace@notes.acme.example.vfb"+window)
	require.Equal(t, http.StatusOK, resp.StatusCode, body)
	assert.Positive(t, notesGW.halves[0].link.Stats().Calls)
	assert.Equal(t, "", notesGW.bound().RPC, "no RPC listener with NATS")

	// No worker for the Exchange side: Unavailable at once.
	require.NoError(t, exchangeGW.close(t.Context()))
	start := time.Now()
	resp, _ = get(t, notesGW.bound().URL+"/freebusy/edsger.dijkstra@exchange.acme.example.vfb"+window)
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	assert.Equal(t, "unavailable", resp.Header.Get("X-Calbridge-Reason"))
	t.Logf("no-worker answer after %v", time.Since(start))

	// A worker comes back: served again, nobody reconnected anything.
	startRole(t, roleExchange, cfg)
	resp, body = get(t, notesGW.bound().URL+"/freebusy/edsger.dijkstra@exchange.acme.example.vfb"+window)
	assert.Equal(t, http.StatusOK, resp.StatusCode, body)

	// NATS itself down: the link is not ready, /healthz says 503 and the
	// other side's attendees are Unavailable at once.
	ns.Shutdown()
	ns.WaitForShutdown()
	require.True(t, notesGW.halves[0].link.WaitForStateChange(t.Context(), transport.Ready), "the link notices")
	t.Logf("down noticed %v", time.Since(start))
	resp, _ = get(t, notesGW.bound().URL+"/healthz")
	t.Logf("healthz %v", time.Since(start))
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	resp, _ = get(t, notesGW.bound().URL+"/freebusy/grace.hopper@exchange.acme.example.vfb?start="+day(14).Format(time.DateOnly)+"&end="+day(21).Format(time.DateOnly))
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	assert.Equal(t, "unavailable", resp.Header.Get("X-Calbridge-Reason"))
	t.Logf("vfb %v", time.Since(start))
}
