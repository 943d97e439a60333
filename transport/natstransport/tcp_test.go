package natstransport

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/calbridge/calbridge/freebusy"
	"github.com/calbridge/calbridge/transport"
)

// These tests use real sockets, so they assert outcomes and bounds that
// hold on a loaded two-core machine ("within the caller's deadline"),
// never tight timings; the timing of the protocol is asserted in the
// synctest bubbles of client_test.go.

// fastReconnect makes nats.go retry every 50 ms, so that a test does not
// wait for its 2 s default after the NATS server comes back.
var fastReconnect = WithNATSOptions(nats.ReconnectWait(50*time.Millisecond), nats.ReconnectJitter(0, 0))

// The NATS server restarts on the same port: the client goes to
// TransientFailure and back to Ready by itself, the calls made during the
// outage fail fast as unavailable, a call waiting for ready succeeds when
// it is back, and so do the calls after.
func TestNATSServerRestart(t *testing.T) {
	ns := startNATS(t, 0)
	port := ns.Addr().(*net.TCPAddr).Port
	url := ns.ClientURL()

	var rec recorder
	w, err := NewServer([]string{url}, staticSource, fastReconnect)
	require.NoError(t, err)
	defer w.Close()
	c, err := NewClient([]string{url}, fastReconnect, WithStateCallback(rec.record))
	require.NoError(t, err)
	defer c.Close()
	waiting, err := NewClient([]string{url}, fastReconnect, WithWaitForReady(true))
	require.NoError(t, err)
	defer waiting.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err = c.FreeBusy(ctx, testQuery(5))
	require.NoError(t, err)

	ns.Shutdown()
	ns.WaitForShutdown()
	waitState(t, c.State, c.WaitForStateChange, transport.TransientFailure, 10*time.Second)
	waitState(t, w.State, w.WaitForStateChange, transport.TransientFailure, 10*time.Second)

	for range 5 {
		callCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		start := time.Now()
		_, err := c.FreeBusy(callCtx, testQuery(5))
		elapsed := time.Since(start)
		cancel()
		require.Error(t, err)
		assert.Equal(t, freebusy.ReasonUnavailable, freebusy.ReasonOf(err), "%v", err)
		assert.Less(t, elapsed, 5*time.Second, "failed fast, before its deadline")
	}
	waited := make(chan error, 1)
	go func() {
		_, err := waiting.FreeBusy(ctx, testQuery(5))
		waited <- err
	}()

	startNATS(t, port)
	waitState(t, c.State, c.WaitForStateChange, transport.Ready, 20*time.Second)
	waitState(t, w.State, w.WaitForStateChange, transport.Ready, 20*time.Second)
	_, err = c.FreeBusy(ctx, testQuery(5))
	require.NoError(t, err, "the worker is subscribed again once it is Ready")
	require.NoError(t, <-waited, "the call that waited for ready")

	assert.Equal(t, []transport.State{transport.Ready, transport.TransientFailure, transport.Ready}, rec.states())
	st := c.Stats()
	assert.Equal(t, uint64(1), st.Reconnects)
	assert.Error(t, st.LastError, "the outage is remembered")
	assert.Equal(t, uint64(1), w.Stats().Reconnects)
}

// A NATS server that is down when the client starts is not an error: the
// client starts in TransientFailure, fails fast, and connects when the
// server comes up.
func TestStartWhileNATSDown(t *testing.T) {
	ns := startNATS(t, 0)
	port := ns.Addr().(*net.TCPAddr).Port
	url := ns.ClientURL()
	ns.Shutdown()
	ns.WaitForShutdown()

	c, err := NewClient([]string{url}, fastReconnect)
	require.NoError(t, err)
	defer c.Close()
	assert.Equal(t, transport.TransientFailure, c.State())
	_, err = c.FreeBusy(context.Background(), testQuery(1))
	assert.ErrorIs(t, err, freebusy.ErrUnavailable)

	startNATS(t, port)
	w, err := NewServer([]string{url}, staticSource)
	require.NoError(t, err)
	defer w.Close()
	waitState(t, c.State, c.WaitForStateChange, transport.Ready, 20*time.Second)
	waitState(t, w.State, w.WaitForStateChange, transport.Ready, 20*time.Second)
	_, err = c.FreeBusy(context.Background(), testQuery(1))
	require.NoError(t, err)
}

// Shutdown drains: the query running is answered, and the worker then
// leaves the group, so that the next call finds no responder.
func TestShutdownDrains(t *testing.T) {
	ns := startNATS(t, 0)
	url := ns.ClientURL()
	src := holdSource{started: make(chan string, 1), release: make(chan struct{}), name: "w"}
	w, err := NewServer([]string{url}, src)
	require.NoError(t, err)
	c, err := NewClient([]string{url})
	require.NoError(t, err)
	defer c.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := c.FreeBusy(ctx, freebusy.Query{Attendees: []string{"hold@example.com"}, Start: t0, End: t0.Add(time.Hour)})
		done <- err
	}()
	<-src.started
	subs := ns.NumSubscriptions()
	shut := make(chan error, 1)
	go func() { shut <- w.Shutdown(ctx) }()
	require.Eventually(t, func() bool { return ns.NumSubscriptions() < subs }, 10*time.Second, 5*time.Millisecond, "the worker leaves its group")
	_, err = c.FreeBusy(ctx, testQuery(1))
	assert.ErrorIs(t, err, nats.ErrNoResponders, "a new query finds no worker")
	assert.Empty(t, shut, "Shutdown waits for the query in flight")
	close(src.release)
	require.NoError(t, <-done, "the query in flight is answered")
	require.NoError(t, <-shut)
	assert.Equal(t, transport.Shutdown, w.State())
	require.NoError(t, w.Close())
}

// A Shutdown while the NATS server is away does not wait for a drain the
// server cannot confirm (nats.go would wait out its drain timeout, 30 s):
// it returns nil well within a 10 s context.
func TestShutdownWhileNATSDown(t *testing.T) {
	ns := startNATS(t, 0)
	w, err := NewServer([]string{ns.ClientURL()}, staticSource, fastReconnect)
	require.NoError(t, err)
	defer w.Close()
	waitState(t, w.State, w.WaitForStateChange, transport.Ready, 10*time.Second)
	ns.Shutdown()
	ns.WaitForShutdown()
	waitState(t, w.State, w.WaitForStateChange, transport.TransientFailure, 10*time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, w.Shutdown(ctx))
	assert.Equal(t, transport.Shutdown, w.State())
}

// A Shutdown whose context ends first closes at once: the running query
// is cancelled, and its caller told to ask elsewhere.
func TestShutdownDeadline(t *testing.T) {
	ns := startNATS(t, 0)
	url := ns.ClientURL()
	src := holdSource{started: make(chan string, 1), release: make(chan struct{}), name: "w"}
	w, err := NewServer([]string{url}, src)
	require.NoError(t, err)
	c, err := NewClient([]string{url})
	require.NoError(t, err)
	defer c.Close()
	done := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_, err := c.FreeBusy(ctx, freebusy.Query{Attendees: []string{"hold@example.com"}, Start: t0, End: t0.Add(time.Hour)})
		done <- err
	}()
	<-src.started
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	assert.ErrorIs(t, w.Shutdown(ctx), context.DeadlineExceeded)
	err = <-done
	assert.ErrorIs(t, err, freebusy.ErrUnavailable, "sent elsewhere, and no one else listens: %v", err)
	assert.Equal(t, uint64(1), c.Stats().Busy, "the worker said it was going")
}

// Credentials reach the NATS server, in the URL or as options; wrong
// ones fail NewClient.
func TestAuthentication(t *testing.T) {
	start := func(t *testing.T, o server.Options) *server.Server {
		o.Host, o.Port, o.NoLog, o.NoSigs = "127.0.0.1", server.RANDOM_PORT, true, true
		ns, err := server.NewServer(&o)
		require.NoError(t, err)
		go ns.Start()
		require.True(t, ns.ReadyForConnections(10*time.Second))
		t.Cleanup(func() { ns.Shutdown(); ns.WaitForShutdown() })
		return ns
	}
	t.Run("user and password", func(t *testing.T) {
		ns := start(t, server.Options{Username: "gw", Password: "s3cret"})
		addr := ns.Addr().String()
		w, err := NewServer([]string{"nats://gw:s3cret@" + addr}, staticSource)
		require.NoError(t, err)
		defer w.Close()
		c, err := NewClient([]string{"nats://" + addr}, WithUserInfo("gw", "s3cret"))
		require.NoError(t, err)
		defer c.Close()
		_, err = c.FreeBusy(context.Background(), testQuery(1))
		require.NoError(t, err)

		_, err = NewClient([]string{"nats://" + addr}, WithUserInfo("gw", "guess"))
		require.Error(t, err)
		t.Log(err)
		assert.ErrorIs(t, err, nats.ErrAuthorization)
		assert.NotContains(t, err.Error(), "guess", "no password in the error")
	})
	t.Run("token", func(t *testing.T) {
		ns := start(t, server.Options{Authorization: "t0ken"})
		url := "nats://" + ns.Addr().String()
		w, err := NewServer([]string{url}, staticSource, WithToken("t0ken"))
		require.NoError(t, err)
		defer w.Close()
		c, err := NewClient([]string{url}, WithToken("t0ken"))
		require.NoError(t, err)
		defer c.Close()
		_, err = c.FreeBusy(context.Background(), testQuery(1))
		require.NoError(t, err)
	})
}

func TestOptionsRefused(t *testing.T) {
	for name, opts := range map[string][]ClientOption{
		"subject wildcard": {WithSubject("calbridge.*.freebusy")},
		"subject empty":    {WithSubject("")},
		"subject token":    {WithSubject("calbridge..freebusy")},
		"heartbeat":        {WithHeartbeatInterval(0)},
		"call timeout":     {WithCallTimeout(-time.Second)},
		"attempts":         {WithMaxAttempts(0)},
		"missed":           {WithMissedHeartbeats(1)},
		"answer bytes":     {WithMaxAnswerBytes(10)},
		"nil conn":         {WithConn(nil)},
	} {
		_, err := NewClient([]string{"nats://127.0.0.1:4222"}, opts...)
		assert.ErrorIs(t, err, transport.ErrInvalidOption, name)
	}
	for name, opts := range map[string][]ServerOption{
		"queue":       {WithQueueGroup("a b")},
		"concurrency": {WithConcurrency(0)},
		"subject":     {WithSubject("a.>")},
	} {
		_, err := NewServer([]string{"nats://127.0.0.1:4222"}, staticSource, opts...)
		assert.ErrorIs(t, err, transport.ErrInvalidOption, name)
	}
	for name, urls := range map[string][]string{
		"none":         nil,
		"not a URL":    {"127.0.0.1:4222"},
		"other scheme": {"http://127.0.0.1:4222"},
	} {
		_, err := NewClient(urls)
		assert.ErrorIs(t, err, transport.ErrInvalidOption, name)
	}
	_, err := NewClient([]string{"nats://u:hunter2@bad host"})
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "hunter2", "a URL's password never shows in an error")
	_, err = NewServer(nil, nil)
	assert.Error(t, err, "nil Source")
}
