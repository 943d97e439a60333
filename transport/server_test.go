package transport

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"

	"github.com/calbridge/calbridge/freebusy"
)

func code(t *testing.T, m map[string]any) int {
	t.Helper()
	c := errorCode(m)
	require.NotZerof(t, c, "want an error reply, got %v", m)
	return c
}

// TestServerDrainsOnShutdown: Shutdown stops accepting, refuses new calls
// as not processed, lets the call in flight finish and answer, then closes.
func TestServerDrainsOnShutdown(t *testing.T) {
	blocking := newBlockingSource()
	s, addr := startServer(t, blocking)
	c := newTestClient(t, []string{addr})
	idle := dialRaw(t, addr)
	idle.hello()
	busy := dialRaw(t, addr)
	busy.hello()

	inflight := make(chan error, 1)
	go func() {
		_, err := c.FreeBusy(context.Background(), testQuery(2))
		inflight <- err
	}()
	<-blocking.entered

	shutdown := make(chan error, 1)
	go func() { shutdown <- s.Shutdown(context.Background()) }()
	require.Eventually(t, func() bool {
		_, err := net.DialTimeout("tcp", addr, 50*time.Millisecond)
		return err != nil
	}, 2*time.Second, 5*time.Millisecond, "stops accepting")

	_, err := idle.br.ReadString('\n')
	assert.ErrorIs(t, err, io.EOF, "an idle connection is closed at once")

	select {
	case err := <-shutdown:
		t.Fatalf("Shutdown returned %v with a call in flight", err)
	case <-time.After(50 * time.Millisecond):
	}
	close(blocking.release)
	require.NoError(t, <-inflight, "the call in flight is answered")
	require.NoError(t, <-shutdown)
	assert.Equal(t, int64(1), blocking.calls.Load())
	_, err = busy.br.ReadString('\n')
	assert.ErrorIs(t, err, io.EOF)
	assert.ErrorIs(t, s.Serve(nil), ErrServerClosed)
}

// TestServerRefusesCallsWhileDraining: a call arriving during the drain is
// refused with CodeShuttingDown and is not run.
func TestServerRefusesCallsWhileDraining(t *testing.T) {
	blocking := newBlockingSource()
	s, addr := startServer(t, blocking)
	rc := dialRaw(t, addr)
	rc.hello()
	rc.send(`{"jsonrpc":"2.0","id":1,"method":"calbridge.freebusy","params":{"attendees":["a@example.com"],"start":"2026-03-02T00:00:00Z","end":"2026-03-03T00:00:00Z"}}`)
	<-blocking.entered
	shutdown := make(chan error, 1)
	go func() { shutdown <- s.Shutdown(context.Background()) }()
	time.Sleep(20 * time.Millisecond)
	rc.send(`{"jsonrpc":"2.0","id":2,"method":"calbridge.freebusy","params":{"attendees":["b@example.com"],"start":"2026-03-02T00:00:00Z","end":"2026-03-03T00:00:00Z"}}`)
	m := rc.recv()
	assert.Equal(t, float64(2), m["id"])
	assert.Equal(t, CodeShuttingDown, code(t, m))
	close(blocking.release)
	m = rc.recv()
	assert.Equal(t, float64(1), m["id"])
	assert.Contains(t, m, "result")
	require.NoError(t, <-shutdown)
	assert.Equal(t, int64(1), blocking.calls.Load(), "the refused call was not run")
}

// TestServerShutdownDeadline: when the drain outlasts ctx, Shutdown closes
// everything, cancelling the calls, and reports the deadline.
func TestServerShutdownDeadline(t *testing.T) {
	blocking := newBlockingSource()
	s, addr := startServer(t, blocking)
	rc := dialRaw(t, addr)
	rc.hello()
	rc.send(`{"jsonrpc":"2.0","id":1,"method":"calbridge.freebusy","params":{"attendees":["a@example.com"],"start":"2026-03-02T00:00:00Z","end":"2026-03-03T00:00:00Z"}}`)
	<-blocking.entered
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := s.Shutdown(ctx)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Less(t, time.Since(start), time.Second)
	_, err = rc.br.ReadString('\n')
	assert.Error(t, err, "the connection is closed")
}

// TestServerJSONRPCEdges covers the JSON-RPC 2.0 corner cases a stock
// client may produce.
func TestServerJSONRPCEdges(t *testing.T) {
	_, addr := startServer(t, staticSource)
	rc := dialRaw(t, addr)
	rc.send(`{"jsonrpc":"2.0","method":"calbridge.ping"}`) // notification before hello: no reply
	rc.send(`{"jsonrpc":"2.0","id":"p","method":"calbridge.hello","params":{"version":1,"colour":"red"}}`)
	m := rc.recv()
	assert.Equal(t, "p", m["id"])
	assert.Equal(t, CodeInvalidParams, code(t, m), "unknown hello member; the hello may be retried")
	rc.hello()
	tests := []struct {
		name string
		send string
		id   any
		code int
	}{
		{"wrong version member", `{"jsonrpc":"1.0","id":1,"method":"calbridge.ping"}`, float64(1), CodeInvalidRequest},
		{"no method", `{"jsonrpc":"2.0","id":2}`, float64(2), CodeInvalidRequest},
		{"object id", `{"jsonrpc":"2.0","id":{"x":1},"method":"calbridge.ping"}`, nil, CodeInvalidRequest},
		{"second hello", `{"jsonrpc":"2.0","id":3,"method":"calbridge.hello","params":{"version":1,"colour":"red"}}`, float64(3), CodeInvalidRequest},
		{"query as array", `{"jsonrpc":"2.0","id":4,"method":"calbridge.freebusy","params":[1,2]}`, float64(4), CodeInvalidParams},
		{"misspelt query member", `{"jsonrpc":"2.0","id":5,"method":"calbridge.freebusy","params":{"atendees":["a@x"],"start":"2026-03-02T00:00:00Z","end":"2026-03-03T00:00:00Z"}}`, float64(5), CodeInvalidParams},
		{"bad status granularity", `{"jsonrpc":"2.0","id":6,"method":"calbridge.freebusy","params":{"attendees":["a@x"],"start":"2026-03-02T00:00:00Z","end":"2026-03-03T00:00:00Z","granularityMinutes":3}}`, float64(6), CodeInvalidParams},
		{"duplicate attendee", `{"jsonrpc":"2.0","id":7,"method":"calbridge.freebusy","params":{"attendees":["a@x","A@X"],"start":"2026-03-02T00:00:00Z","end":"2026-03-03T00:00:00Z"}}`, float64(7), CodeInvalidParams},
		{"string id echoed", `{"jsonrpc":"2.0","id":"abc","method":"calbridge.nope"}`, "abc", CodeMethodNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rc.send(tc.send)
			m := rc.recv()
			assert.Equal(t, tc.id, m["id"])
			assert.Equal(t, tc.code, code(t, m))
			data, ok := m["error"].(map[string]any)["data"].(map[string]any)
			require.True(t, ok, "every error carries data")
			assert.NotEmpty(t, data["reason"])
		})
	}
	rc.send(`{"jsonrpc":"2.0","id":null,"method":"calbridge.ping"}`)
	m = rc.recv()
	assert.Nil(t, m["id"])
	assert.Equal(t, CodeInvalidRequest, code(t, m), "a null id is refused: null ids mark only unattributable errors")
	rc.send(`[]`)
	assert.Equal(t, CodeInvalidRequest, code(t, rc.recv()))
	rc.send(`5`)
	assert.Equal(t, CodeInvalidRequest, code(t, rc.recv()), "valid JSON that is no request object")
	rc.send(`{"jsonrpc":"2.0","id":8,"method":7}`)
	assert.Equal(t, CodeInvalidRequest, code(t, rc.recv()))
	rc.send(`{"jsonrpc":"2.0","id":9,"method":"calbridge.ping"}`)
	assert.Equal(t, float64(9), rc.recv()["id"], "the connection survived every refusal")
}

// TestServerMessageTooLarge: a line over the limit is answered with
// CodeMessageTooLarge and a null id, and the connection is closed.
func TestServerMessageTooLarge(t *testing.T) {
	_, addr := startServer(t, staticSource, WithServerMaxMessageBytes(1024))
	rc := dialRaw(t, addr)
	rc.hello()
	rc.send(`{"jsonrpc":"2.0","id":1,"method":"calbridge.ping","params":{"pad":"` + strings.Repeat("x", 2000) + `"}}`)
	m := rc.recv()
	assert.Nil(t, m["id"])
	assert.Equal(t, CodeMessageTooLarge, code(t, m))
	_, err := rc.br.ReadString('\n')
	assert.ErrorIs(t, err, io.EOF)
}

// TestServerMaxInFlight: calls over the per-connection bound are refused
// at once as not processed, while pings are still answered.
func TestServerMaxInFlight(t *testing.T) {
	blocking := newBlockingSource()
	_, addr := startServer(t, blocking, WithServerMaxInFlight(1))
	rc := dialRaw(t, addr)
	rc.hello()
	q := `"params":{"attendees":["a@example.com"],"start":"2026-03-02T00:00:00Z","end":"2026-03-03T00:00:00Z"}}`
	rc.send(`{"jsonrpc":"2.0","id":1,"method":"calbridge.freebusy",` + q)
	<-blocking.entered
	rc.send(`{"jsonrpc":"2.0","id":2,"method":"calbridge.freebusy",` + q)
	m := rc.recv()
	assert.Equal(t, float64(2), m["id"])
	assert.Equal(t, CodeOverloaded, code(t, m))
	rc.send(`{"jsonrpc":"2.0","id":3,"method":"calbridge.ping"}`)
	assert.Equal(t, float64(3), rc.recv()["id"], "pings are answered while a call runs")
	close(blocking.release)
	assert.Equal(t, float64(1), rc.recv()["id"])
	assert.Equal(t, int64(1), blocking.calls.Load())
}

// TestServerHandshakeTimeout: a connection that never says hello is closed.
func TestServerHandshakeTimeout(t *testing.T) {
	_, addr := startServer(t, staticSource, WithServerHandshakeTimeout(50*time.Millisecond))
	rc := dialRaw(t, addr)
	start := time.Now()
	_, err := rc.br.ReadString('\n')
	assert.ErrorIs(t, err, io.EOF)
	assert.Less(t, time.Since(start), time.Second)
}

// The handshake timeout runs from the accept: a client that keeps sending
// refused calls (pings before the hello) cannot hold an unauthenticated
// connection open by resetting the clock with each line.
func TestServerHandshakeTimeoutNotResetByRefusedCalls(t *testing.T) {
	_, addr := startServer(t, staticSource, WithServerHandshakeTimeout(300*time.Millisecond))
	rc := dialRaw(t, addr)
	start := time.Now()
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			case <-time.After(100 * time.Millisecond):
			}
			if _, err := rc.nc.Write([]byte(`{"jsonrpc":"2.0","id":` + fmt.Sprint(i) + `,"method":"calbridge.ping"}` + "\n")); err != nil {
				return
			}
		}
	}()
	for {
		if _, err := rc.br.ReadString('\n'); err != nil {
			break // refused pings are answered until the server closes
		}
		require.Less(t, time.Since(start), 3*time.Second, "the connection outlived its handshake timeout")
	}
	assert.Less(t, time.Since(start), 2*time.Second, "closed at the handshake deadline, not kept alive by pings")
}

// TestServerErrorCodes: Source errors map to the documented codes and carry
// their reason and retry hint (PROTOCOL.md "Error codes").
func TestServerErrorCodes(t *testing.T) {
	tests := []struct {
		err    error
		code   int
		reason string
	}{
		{&freebusy.Error{Reason: freebusy.ReasonUnknownAttendee}, CodeUnknownAttendee, "unknown-attendee"},
		{&freebusy.Error{Reason: freebusy.ReasonAccessDenied}, CodeAccessDenied, "access-denied"},
		{context.DeadlineExceeded, CodeTimeout, "timeout"},
		{&freebusy.Error{Reason: freebusy.ReasonUnavailable}, CodeUnavailable, "unavailable"},
		{&freebusy.Error{Reason: freebusy.ReasonThrottled, RetryAfter: 2 * time.Second}, CodeThrottled, "throttled"},
		{&freebusy.Error{Reason: freebusy.ReasonInvalid}, CodeInvalidParams, "invalid"},
		{errors.New("disk on fire"), CodeInternalError, "internal"},
	}
	for _, tc := range tests {
		t.Run(tc.reason, func(t *testing.T) {
			_, addr := startServer(t, &countingSource{err: tc.err})
			rc := dialRaw(t, addr)
			rc.hello()
			rc.send(`{"jsonrpc":"2.0","id":1,"method":"calbridge.freebusy","params":{"attendees":["a@example.com"],"start":"2026-03-02T00:00:00Z","end":"2026-03-03T00:00:00Z"}}`)
			m := rc.recv()
			assert.Equal(t, tc.code, code(t, m))
			data := m["error"].(map[string]any)["data"].(map[string]any)
			assert.Equal(t, tc.reason, data["reason"])
			if tc.code == CodeThrottled {
				assert.Equal(t, float64(2000), data["retryAfterMs"])
			}
			r, ok := codeTable[tc.code]
			require.True(t, ok)
			assert.Equal(t, tc.reason, r.reason.String(), "code table agrees")
			assert.Equal(t, tc.code, codeForReason(reasonForCode(tc.code)))
		})
	}
}

// TestServerContractViolation: a Source answering the wrong shape is an
// internal error, not a malformed result.
func TestServerContractViolation(t *testing.T) {
	src := freebusy.SourceFunc(func(ctx context.Context, q freebusy.Query) ([]freebusy.Schedule, error) {
		return nil, nil
	})
	_, addr := startServer(t, src)
	c := newTestClient(t, []string{addr})
	_, err := c.FreeBusy(context.Background(), testQuery(2))
	assert.ErrorIs(t, err, freebusy.ErrInternal)
	assert.Contains(t, err.Error(), "0 schedules for 2 attendees")
}

// TestServerConcurrentClients: several clients and raw connections at once.
func TestServerConcurrentClients(t *testing.T) {
	_, addr := startServer(t, staticSource)
	var wg sync.WaitGroup
	for range 4 {
		c := newTestClient(t, []string{addr})
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 20 {
				_, err := c.FreeBusy(context.Background(), testQuery(3))
				assert.NoError(t, err)
			}
		}()
	}
	wg.Wait()
}

func TestErrorDataJSON(t *testing.T) {
	b, err := json.Marshal(ErrorData{Reason: freebusy.ReasonThrottled, RetryAfter: time.Second})
	require.NoError(t, err)
	assert.JSONEq(t, `{"reason":"throttled","retryAfterMs":1000}`, string(b))
}

// TestServerReadTimeout: a connection idle past the read timeout is closed;
// a client's heartbeats keep its connection alive through the same timeout.
func TestServerReadTimeout(t *testing.T) {
	_, addr := startServer(t, staticSource, WithServerReadTimeout(100*time.Millisecond))
	rc := dialRaw(t, addr)
	rc.hello()
	start := time.Now()
	_, err := rc.br.ReadString('\n')
	assert.ErrorIs(t, err, io.EOF)
	assert.GreaterOrEqual(t, time.Since(start), 90*time.Millisecond)

	c := newTestClient(t, []string{addr}, WithHeartbeat(30*time.Millisecond, time.Second))
	_, err = c.FreeBusy(context.Background(), testQuery(1))
	require.NoError(t, err)
	time.Sleep(300 * time.Millisecond)
	_, err = c.FreeBusy(context.Background(), testQuery(1))
	require.NoError(t, err)
	assert.Equal(t, uint64(1), c.Stats().Dials, "heartbeats kept the connection open")
}

func TestNewServerValidates(t *testing.T) {
	tests := map[string]struct {
		src  freebusy.Source
		opts []ServerOption
	}{
		"nil source":             {nil, nil},
		"zero message bytes":     {staticSource, []ServerOption{WithServerMaxMessageBytes(0)}},
		"negative in flight":     {staticSource, []ServerOption{WithServerMaxInFlight(-1)}},
		"zero read timeout":      {staticSource, []ServerOption{WithServerReadTimeout(0)}},
		"negative write timeout": {staticSource, []ServerOption{WithServerWriteTimeout(-time.Second)}},
		"zero call timeout":      {staticSource, []ServerOption{WithServerCallTimeout(0)}},
		"zero handshake timeout": {staticSource, []ServerOption{WithServerHandshakeTimeout(0)}},
		"empty name":             {staticSource, []ServerOption{WithServerName("")}},
		"zero hello bytes":       {staticSource, []ServerOption{WithServerMaxHelloBytes(0)}},
		"zero max conns":         {staticSource, []ServerOption{WithServerMaxConns(0)}},
		"zero auth interval":     {staticSource, []ServerOption{WithServerAuthFailureLimit(0, 1)}},
		"zero auth burst":        {staticSource, []ServerOption{WithServerAuthFailureLimit(time.Second, 0)}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			s, err := NewServer(tc.src, tc.opts...)
			require.Error(t, err)
			assert.Nil(t, s)
			assert.ErrorIs(t, err, ErrInvalidOption)
		})
	}
}

// TestSharedOptionsApplyToBoth: WithLogger and WithToken configure a
// Client and a Server alike; a nil logger means the default.
func TestSharedOptionsApplyToBoth(t *testing.T) {
	logger := zap.NewExample()
	var co clientOptions
	var so serverOptions
	for _, opt := range []Option{WithLogger(logger), WithToken("s3cret")} {
		opt.applyClient(&co)
		opt.applyServer(&so)
	}
	assert.Same(t, logger, co.log)
	assert.Same(t, logger, so.log)
	assert.Equal(t, "s3cret", co.token)
	assert.Equal(t, "s3cret", so.token)

	s, err := NewServer(staticSource, WithLogger(nil))
	require.NoError(t, err)
	assert.NotNil(t, s.o.log)
	c, err := NewClient([]string{"127.0.0.1:1"}, WithLogger(nil))
	require.NoError(t, err)
	assert.NotNil(t, c.o.log)
	require.NoError(t, c.Close())
}
