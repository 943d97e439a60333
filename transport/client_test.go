package transport

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/calbridge/calbridge/freebusy"
)

func TestClientRoundTrip(t *testing.T) {
	_, addr := startServer(t, staticSource)
	var rec recorder
	c := newTestClient(t, []string{addr}, WithStateCallback(rec.record))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()

	q := testQuery(3)
	q.Attendees[1] = "nobody@example.com"
	got, err := c.FreeBusy(ctx, q)
	require.NoError(t, err)
	require.Len(t, got, 3)
	assert.Equal(t, freebusy.Busy, got[0].StatusAt(t0.Add(9*time.Hour)))
	require.NotNil(t, got[1].Err)
	assert.Equal(t, freebusy.ReasonUnknownAttendee, got[1].Err.Reason)
	assert.Equal(t, "no such user", got[1].Err.Message)
	assert.Equal(t, Ready, c.State())
	rec.waitStates(t, []State{Connecting, Ready})

	rtt, err := c.Ping(ctx)
	require.NoError(t, err)
	assert.Positive(t, rtt)
	require.NoError(t, c.Close())
	require.NoError(t, c.Close())
	_, err = c.FreeBusy(ctx, q)
	assert.ErrorIs(t, err, ErrClosed)
	rec.assertLegal(t)
	assert.Equal(t, Shutdown, rec.states()[len(rec.states())-1])
}

// Timing bounds. docs/reconnect.md §9 asks for ≤ 100 ms fail-fast and
// deadline + 50 ms; the tests allow more because they run with -race on a
// shared two-core machine, which still separates "prompt" from "hung until
// the 5 s test deadline".
const (
	failFastBound = 250 * time.Millisecond
	deadlineSlack = 150 * time.Millisecond
)

// slowBackoff makes backoff waits long, so that only eager attempts (or
// Connect) can start a new connection within a test.
var slowBackoff = Backoff{BaseDelay: time.Minute, Multiplier: 1.6, Jitter: 0.2, MaxDelay: 2 * time.Minute, MinConnectTimeout: 2 * time.Second}

func TestNewClientValidates(t *testing.T) {
	tests := map[string]struct {
		addrs []string
		opts  []ClientOption
	}{
		"no address":        {nil, nil},
		"bad address":       {[]string{"no-port"}, nil},
		"zero attempts":     {[]string{"127.0.0.1:1"}, []ClientOption{WithMaxAttempts(0)}},
		"negative budget":   {[]string{"127.0.0.1:1"}, []ClientOption{WithRetryBudget(-1, 1)}},
		"tiny messages":     {[]string{"127.0.0.1:1"}, []ClientOption{WithMaxMessageBytes(10)}},
		"heartbeat timeout": {[]string{"127.0.0.1:1"}, []ClientOption{WithHeartbeat(time.Second, 0)}},
		"write timeout":     {[]string{"127.0.0.1:1"}, []ClientOption{WithWriteTimeout(0)}},
		"eager interval":    {[]string{"127.0.0.1:1"}, []ClientOption{WithEagerRetryInterval(0)}},
		"nobody may wait":   {[]string{"127.0.0.1:1"}, []ClientOption{WithMaxWaiting(0)}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			c, err := NewClient(tc.addrs, tc.opts...)
			require.Error(t, err)
			assert.Nil(t, c)
			assert.Contains(t, err.Error(), "transport: invalid configuration")
			assert.ErrorIs(t, err, ErrInvalidOption)
		})
	}
}

// TestClientDoesNotDialUntilUsed: NewClient starts Idle and an invalid
// query is refused locally, without a connection.
func TestClientDoesNotDialUntilUsed(t *testing.T) {
	_, addr := startServer(t, staticSource)
	c := newTestClient(t, []string{addr})
	time.Sleep(20 * time.Millisecond)
	assert.Equal(t, Idle, c.State())
	_, err := c.FreeBusy(context.Background(), freebusy.Query{Start: t0, End: t0.Add(time.Hour)})
	assert.ErrorIs(t, err, freebusy.ErrNoAttendees)
	assert.Equal(t, Idle, c.State())
	assert.Zero(t, c.Stats().Dials)
}

// TestClientFailFastWhileDisconnected: with the server down, calls fail at
// once with Unavailable carrying the dial error (docs/reconnect.md §8.10,
// §9 T1), and a call within the eager interval does not dial again.
func TestClientFailFastWhileDisconnected(t *testing.T) {
	addr := freeAddr(t)
	var rec recorder
	c := newTestClient(t, []string{addr}, WithBackoff(slowBackoff), WithEagerRetryInterval(time.Minute), WithStateCallback(rec.record))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()

	_, err := c.FreeBusy(ctx, testQuery(1))
	require.Error(t, err)
	assert.ErrorIs(t, err, freebusy.ErrUnavailable)
	assert.Equal(t, freebusy.ReasonUnavailable, freebusy.ReasonOf(err))
	var ce *CallError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, "dial", ce.Op)
	assert.False(t, ce.MaySent)

	start := time.Now()
	_, err = c.FreeBusy(ctx, testQuery(1))
	assert.ErrorIs(t, err, freebusy.ErrUnavailable)
	assert.Less(t, time.Since(start), failFastBound, "fail fast")
	st := c.Stats()
	assert.Equal(t, uint64(1), st.Dials)
	assert.Equal(t, uint64(1), st.DialFailures)
	assert.Equal(t, TransientFailure, st.State)
	require.ErrorAs(t, st.LastError, &ce)
	assert.Equal(t, uint64(2), st.CallFailures)
	rec.waitStates(t, []State{Connecting, TransientFailure})
}

// TestClientEagerAttemptAfterLongBackoff: recovery does not depend on the
// backoff reached during the outage: a call made after the server is back
// triggers an attempt at once, although the backoff has a minute to run.
func TestClientEagerAttemptAfterLongBackoff(t *testing.T) {
	addr := freeAddr(t)
	c := newTestClient(t, []string{addr}, WithBackoff(slowBackoff), WithEagerRetryInterval(30*time.Millisecond))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := c.FreeBusy(ctx, testQuery(1))
	require.ErrorIs(t, err, freebusy.ErrUnavailable)

	restartServer(t, addr, staticSource)
	time.Sleep(40 * time.Millisecond)
	got, err := c.FreeBusy(ctx, testQuery(2))
	require.NoError(t, err)
	assert.Len(t, got, 2)
	assert.Equal(t, uint64(2), c.Stats().Dials)
	assert.Equal(t, uint64(0), c.Stats().Reconnects, "first Ready is not a reconnect")
}

// TestClientWaitForReady: a wait-for-ready call rides out the outage and
// succeeds when the server comes back within its deadline.
func TestClientWaitForReady(t *testing.T) {
	addr := freeAddr(t)
	c := newTestClient(t, []string{addr}, WithEagerRetryInterval(time.Minute))
	c.Connect()
	waitState(t, c, TransientFailure, 2*time.Second)

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := c.Call(ctx, testQuery(1))
	require.ErrorIs(t, err, freebusy.ErrUnavailable, "fail fast by default")

	done := make(chan error, 1)
	go func() {
		_, err := c.Call(ctx, testQuery(1), WaitForReady(true))
		done <- err
	}()
	time.Sleep(50 * time.Millisecond)
	restartServer(t, addr, staticSource)
	require.NoError(t, <-done)
}

// TestClientWaitForReadyDeadline: a wait-for-ready call returns by its
// deadline when no server appears, with a timeout error naming the last
// connection error.
func TestClientWaitForReadyDeadline(t *testing.T) {
	c := newTestClient(t, []string{freeAddr(t)}, WithWaitForReady(true))
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.FreeBusy(ctx, testQuery(1))
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Equal(t, freebusy.ReasonTimeout, freebusy.ReasonOf(err))
	assert.Contains(t, err.Error(), "last connection error")
	assert.Less(t, time.Since(start), 150*time.Millisecond+deadlineSlack)
}

// TestClientMaxWaiting: callers over the bound fail at once with ErrQueueFull.
func TestClientMaxWaiting(t *testing.T) {
	c := newTestClient(t, []string{freeAddr(t)}, WithBackoff(slowBackoff), WithEagerRetryInterval(time.Minute), WithMaxWaiting(1))
	c.Connect()
	waitState(t, c, TransientFailure, 2*time.Second)
	done := make(chan error, 1)
	go func() {
		_, err := c.Call(context.Background(), testQuery(1), WaitForReady(true))
		done <- err
	}()
	require.Eventually(t, func() bool { return c.Stats().Waiting == 1 }, 2*time.Second, 5*time.Millisecond)
	_, err := c.Call(context.Background(), testQuery(1), WaitForReady(true))
	assert.ErrorIs(t, err, ErrQueueFull)
	assert.ErrorIs(t, err, freebusy.ErrUnavailable)
	require.NoError(t, c.Close())
	assert.ErrorIs(t, <-done, ErrClosed)
}

// TestClientReconnectAfterServerRestart is the KB Q201280 regression
// (docs/reconnect.md §0, §9 T1): after the server restarts on the same
// address, calls succeed again without recreating the client.
func TestClientReconnectAfterServerRestart(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	s1 := newServer(t, staticSource)
	served := make(chan struct{})
	go func() { defer close(served); _ = s1.Serve(l) }()

	var rec recorder
	c := newTestClient(t, []string{addr}, WithStateCallback(rec.record))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err = c.FreeBusy(ctx, testQuery(2))
	require.NoError(t, err)

	require.NoError(t, s1.Close())
	<-served
	require.Eventually(t, func() bool { return c.State() != Ready }, 2*time.Second, time.Millisecond)
	start := time.Now()
	_, err = c.FreeBusy(ctx, testQuery(2))
	require.Error(t, err, "the server is down")
	assert.Less(t, time.Since(start), failFastBound, "fail fast during the outage")

	restartServer(t, addr, staticSource)
	require.Eventually(t, func() bool {
		_, err := c.FreeBusy(ctx, testQuery(2))
		return err == nil
	}, 5*time.Second, 10*time.Millisecond)
	st := c.Stats()
	assert.Equal(t, uint64(1), st.Reconnects)
	assert.Equal(t, Ready, st.State)
	rec.assertLegal(t)
	require.Eventually(t, func() bool { s := rec.states(); return s[len(s)-1] == Ready }, 2*time.Second, time.Millisecond)
	states := rec.states()
	assert.Equal(t, []State{Connecting, Ready}, states[:2])
	assert.Contains(t, states[2:], TransientFailure)
}

// TestClientRetriesInFlightCallOnFreshConnection (docs/reconnect.md §9 T2):
// a query in flight when its server dies is retried on a fresh connection,
// here to the second address, and succeeds.
func TestClientRetriesInFlightCallOnFreshConnection(t *testing.T) {
	blocking := newBlockingSource()
	sA, addrA := startServer(t, blocking)
	_, addrB := startServer(t, staticSource)
	c := newTestClient(t, []string{addrA, addrB})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		got, err := c.FreeBusy(ctx, testQuery(3))
		if err == nil && len(got) != 3 {
			err = assert.AnError
		}
		done <- err
	}()
	<-blocking.entered
	require.NoError(t, sA.Close())
	require.NoError(t, <-done)
	st := c.Stats()
	assert.Equal(t, uint64(1), st.Retries)
	assert.Equal(t, addrB, st.Addr)
	assert.Equal(t, uint64(1), st.Reconnects)
}

// TestClientFailover: a dead first address is skipped in the same pass.
func TestClientFailover(t *testing.T) {
	_, addr := startServer(t, staticSource)
	var rec recorder
	c := newTestClient(t, []string{freeAddr(t), addr}, WithStateCallback(rec.record))
	_, err := c.FreeBusy(context.Background(), testQuery(1))
	require.NoError(t, err)
	st := c.Stats()
	assert.Equal(t, addr, st.Addr)
	assert.Equal(t, uint64(2), st.Dials)
	assert.Equal(t, uint64(1), st.DialFailures)
	rec.waitStates(t, []State{Connecting, Ready}, "all addresses are tried before TransientFailure")
}

// countingSource fails every call with err and counts the calls.
type countingSource struct {
	err   error
	calls atomic.Int64
}

func (s *countingSource) FreeBusy(ctx context.Context, q freebusy.Query) ([]freebusy.Schedule, error) {
	s.calls.Add(1)
	return nil, s.err
}

// TestClientApplicationErrorsDoNotChurn (docs/reconnect.md §8.5, §9
// T15): errors answered by the server keep the connection, temporary ones
// are retried only within the budget, permanent ones never.
func TestClientApplicationErrorsDoNotChurn(t *testing.T) {
	tests := []struct {
		name        string
		err         error
		maxAttempts int64
		sentinel    error
	}{
		{"temporary", &freebusy.Error{Reason: freebusy.ReasonUnavailable, Message: "backend down"}, 50 + 5 + 1, freebusy.ErrUnavailable},
		{"permanent", &freebusy.Error{Reason: freebusy.ReasonAccessDenied, Message: "no"}, 50, freebusy.ErrAccessDenied},
		{"internal", errors.New("boom"), 50, freebusy.ErrInternal},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			src := &countingSource{err: tc.err}
			_, addr := startServer(t, src)
			c := newTestClient(t, []string{addr}, WithRetryBudget(0.1, 0))
			for range 50 {
				_, err := c.FreeBusy(context.Background(), testQuery(1))
				require.ErrorIs(t, err, tc.sentinel)
				var re *RemoteError
				require.ErrorAs(t, err, &re)
				var fe *freebusy.Error
				require.ErrorAs(t, err, &fe)
			}
			st := c.Stats()
			assert.Equal(t, uint64(1), st.Dials, "application errors must not churn the connection")
			assert.Equal(t, Ready, st.State)
			assert.LessOrEqual(t, src.calls.Load(), tc.maxAttempts)
			assert.GreaterOrEqual(t, src.calls.Load(), int64(50))
		})
	}
}

// TestClientRetryAfterHint: a throttled answer is retried after the
// server's hint, which travels as data.retryAfter.
func TestClientRetryAfterHint(t *testing.T) {
	var n atomic.Int64
	src := freebusy.SourceFunc(func(ctx context.Context, q freebusy.Query) ([]freebusy.Schedule, error) {
		if n.Add(1) == 1 {
			return nil, &freebusy.Error{Reason: freebusy.ReasonThrottled, RetryAfter: 80 * time.Millisecond}
		}
		return staticSource(ctx, q)
	})
	_, addr := startServer(t, src)
	c := newTestClient(t, []string{addr})
	start := time.Now()
	_, err := c.FreeBusy(context.Background(), testQuery(1))
	require.NoError(t, err)
	assert.GreaterOrEqual(t, time.Since(start), 80*time.Millisecond)
	assert.Equal(t, int64(2), n.Load())
	assert.Equal(t, uint64(1), c.Stats().Retries)
}

// TestClientPerAttendeeErrorTravelsAsData: Schedule.Err crosses the wire
// with its reason, message and retry hint, and fails nothing else.
func TestClientPerAttendeeErrorTravelsAsData(t *testing.T) {
	src := freebusy.SourceFunc(func(ctx context.Context, q freebusy.Query) ([]freebusy.Schedule, error) {
		out, _ := staticSource(ctx, q)
		out[0] = freebusy.Failed(q.Attendees[0], q.Start, q.End, freebusy.ReasonThrottled, errors.New("slow down"))
		out[0].Err.RetryAfter = 3 * time.Second
		return out, nil
	})
	_, addr := startServer(t, src)
	c := newTestClient(t, []string{addr})
	got, err := c.FreeBusy(context.Background(), testQuery(2))
	require.NoError(t, err)
	require.NotNil(t, got[0].Err)
	assert.Equal(t, &freebusy.Error{Attendee: "usera@example.com", Reason: freebusy.ReasonThrottled, Message: "slow down", RetryAfter: 3 * time.Second}, got[0].Err)
	assert.ErrorIs(t, got[0].Err, freebusy.ErrThrottled)
	assert.Nil(t, got[1].Err)
	assert.Equal(t, freebusy.Unknown, got[0].StatusAt(t0.Add(9*time.Hour)))
	assert.Equal(t, freebusy.Busy, got[1].StatusAt(t0.Add(9*time.Hour)))
}

// TestClientDefaultCallTimeout: a call whose context has no deadline still
// ends, at the client's call timeout.
func TestClientDefaultCallTimeout(t *testing.T) {
	blocking := newBlockingSource()
	_, addr := startServer(t, blocking)
	c := newTestClient(t, []string{addr}, WithCallTimeout(200*time.Millisecond), WithHeartbeat(100*time.Millisecond, time.Second))
	start := time.Now()
	_, err := c.FreeBusy(context.Background(), testQuery(1))
	elapsed := time.Since(start)
	require.Error(t, err)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Equal(t, freebusy.ReasonTimeout, freebusy.ReasonOf(err))
	assert.GreaterOrEqual(t, elapsed, 200*time.Millisecond)
	assert.Less(t, elapsed, time.Second)
	assert.Equal(t, Ready, c.State(), "a slow call does not kill the connection")
}

// TestClientCallDeadline: a call ends at its context's deadline, and the
// connection survives (docs/reconnect.md §9 T7: no reconnect storm).
func TestClientCallDeadline(t *testing.T) {
	blocking := newBlockingSource()
	_, addr := startServer(t, blocking)
	c := newTestClient(t, []string{addr})
	for range 3 {
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		start := time.Now()
		_, err := c.FreeBusy(ctx, testQuery(1))
		cancel()
		assert.ErrorIs(t, err, context.DeadlineExceeded)
		var ce *CallError
		require.ErrorAs(t, err, &ce)
		assert.True(t, ce.MaySent, "the request was written: outcome unknown")
		assert.Less(t, time.Since(start), 50*time.Millisecond+deadlineSlack)
	}
	assert.Equal(t, uint64(1), c.Stats().Dials)
}

// TestClientHeartbeatDetectsHalfOpenPeer (docs/reconnect.md §9 T4): a peer
// that stops answering is declared dead within interval + timeout + ε, and
// the call pending on it fails then, not at its own later deadline. The
// negative control, with heartbeats off, stays Ready.
func TestClientHeartbeatDetectsHalfOpenPeer(t *testing.T) {
	addr := fakeServer(t, helloThenSilence)
	var rec recorder
	c := newTestClient(t, []string{addr}, WithHeartbeat(50*time.Millisecond, 50*time.Millisecond), WithBackoff(slowBackoff), WithStateCallback(rec.record))
	c.Connect()
	waitState(t, c, Ready, 2*time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	start := time.Now()
	_, err := c.FreeBusy(ctx, testQuery(1))
	elapsed := time.Since(start)
	require.Error(t, err)
	assert.ErrorIs(t, err, ErrHeartbeatTimeout)
	assert.Less(t, elapsed, time.Second, "detected by the heartbeat, long before the call deadline")
	assert.ErrorIs(t, c.Stats().LastError, ErrHeartbeatTimeout)
	rec.assertLegal(t)
}

func TestClientWithoutHeartbeatStaysOnHalfOpenPeer(t *testing.T) {
	addr := fakeServer(t, helloThenSilence)
	c := newTestClient(t, []string{addr}, WithHeartbeat(0, 0))
	c.Connect()
	waitState(t, c, Ready, 2*time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, err := c.FreeBusy(ctx, testQuery(1))
	assert.ErrorIs(t, err, context.DeadlineExceeded, "without heartbeats only the deadline ends the call")
	assert.Equal(t, Ready, c.State(), "negative control: the dead peer goes unnoticed")
}

// TestClientHandshakeTimeout (docs/reconnect.md §9 T5): a server that
// accepts but never answers the hello is abandoned at the handshake
// deadline and never counted Ready.
func TestClientHandshakeTimeout(t *testing.T) {
	addr := fakeServer(t, func(nc net.Conn) { _, _ = io.Copy(io.Discard, nc) })
	var rec recorder
	c := newTestClient(t, []string{addr}, WithHandshakeTimeout(100*time.Millisecond), WithStateCallback(rec.record))
	start := time.Now()
	_, err := c.FreeBusy(context.Background(), testQuery(1))
	require.ErrorIs(t, err, freebusy.ErrUnavailable)
	assert.GreaterOrEqual(t, time.Since(start), 100*time.Millisecond)
	assert.Less(t, time.Since(start), time.Second)
	var ce *CallError
	require.ErrorAs(t, c.Stats().LastError, &ce)
	assert.Equal(t, "handshake", ce.Op)
	require.Eventually(t, func() bool { return c.Stats().Dials >= 3 }, 3*time.Second, 10*time.Millisecond, "keeps trying")
	assert.NotContains(t, rec.states(), Ready)
	rec.assertLegal(t)
}

// TestClientHandshakeRefused: a bad token and version skew are refused
// with clear, matchable errors, and the client keeps trying (the server
// may be reconfigured) rather than giving up.
func TestClientHandshakeRefused(t *testing.T) {
	_, tokenAddr := startServer(t, staticSource, WithToken("right"))
	tests := []struct {
		name     string
		addr     string
		opts     []ClientOption
		sentinel error
		text     string
	}{
		{"bad token", tokenAddr, []ClientOption{WithToken("wrong")}, ErrUnauthorized, "unauthorized"},
		{"missing token", tokenAddr, nil, ErrUnauthorized, "unauthorized"},
		{"server refuses version", fakeServer(t, replyToHello(`{"jsonrpc":"2.0","id":0,"error":{"code":-32011,"message":"protocol version 1 not supported; this server speaks 2 to 3","data":{"reason":"unavailable","supported":[2,3]}}}`)), nil, ErrVersionMismatch, "version 1 not supported"},
		{"server answers another version", fakeServer(t, replyToHello(`{"jsonrpc":"2.0","id":0,"result":{"version":2,"server":"future","maxMessageBytes":1000}}`)), nil, ErrVersionMismatch, "server chose version 2"},
		{"garbage reply", fakeServer(t, replyToHello(`SSH-2.0-OpenSSH_9.6`)), nil, ErrProtocol, "hello reply"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := newTestClient(t, []string{tc.addr}, tc.opts...)
			_, err := c.FreeBusy(context.Background(), testQuery(1))
			require.Error(t, err)
			assert.ErrorIs(t, err, freebusy.ErrUnavailable)
			assert.ErrorIs(t, err, tc.sentinel)
			assert.Contains(t, err.Error(), tc.text)
			assert.ErrorIs(t, c.Stats().LastError, tc.sentinel)
			assert.Equal(t, TransientFailure, c.State())
			c.Connect()
			require.Eventually(t, func() bool { return c.Stats().Dials >= 2 }, 2*time.Second, 5*time.Millisecond)
		})
	}
	c := newTestClient(t, []string{tokenAddr}, WithToken("right"))
	_, err := c.FreeBusy(context.Background(), testQuery(1))
	assert.NoError(t, err, "the right token is accepted")
}

// TestClientConcurrentCalls multiplexes many goroutines over one connection.
func TestClientConcurrentCalls(t *testing.T) {
	_, addr := startServer(t, staticSource)
	c := newTestClient(t, []string{addr})
	const workers, calls = 32, 25
	var wg sync.WaitGroup
	errs := make(chan error, workers*calls)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range calls {
				q := testQuery(1 + (w+i)%5)
				got, err := c.FreeBusy(context.Background(), q)
				if err == nil && (len(got) != len(q.Attendees) || got[len(got)-1].Attendee != q.Attendees[len(q.Attendees)-1]) {
					err = fmt.Errorf("worker %d call %d: wrong answer", w, i)
				}
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	st := c.Stats()
	assert.Equal(t, uint64(workers*calls), st.Calls)
	assert.Zero(t, st.CallFailures)
	assert.Equal(t, uint64(1), st.Dials, "one connection carries every call")
	assert.Zero(t, st.InFlight)
}

// TestClientConcurrentCallsAcrossRestarts: many goroutines keep calling
// while the server restarts; nothing hangs, every error is classified, and
// the client ends Ready.
func TestClientConcurrentCallsAcrossRestarts(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	s := newServer(t, staticSource)
	served := make(chan struct{})
	go func() { defer close(served); _ = s.Serve(l) }()
	var rec recorder
	c := newTestClient(t, []string{addr}, WithStateCallback(rec.record))

	stop := make(chan struct{})
	var wg sync.WaitGroup
	var ok, failed atomic.Int64
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				ctx, cancel := context.WithTimeout(context.Background(), time.Second)
				_, err := c.FreeBusy(ctx, testQuery(2))
				cancel()
				if err == nil {
					ok.Add(1)
					continue
				}
				failed.Add(1)
				if r := freebusy.ReasonOf(err); r != freebusy.ReasonUnavailable && r != freebusy.ReasonTimeout {
					t.Errorf("unexpected error class %v: %v", r, err)
				}
				time.Sleep(time.Millisecond)
			}
		}()
	}
	time.Sleep(50 * time.Millisecond)
	require.NoError(t, s.Close())
	<-served
	time.Sleep(50 * time.Millisecond)
	restartServer(t, addr, staticSource)
	require.Eventually(t, func() bool { return c.State() == Ready }, 5*time.Second, 5*time.Millisecond)
	before := ok.Load()
	require.Eventually(t, func() bool { return ok.Load() > before+10 }, 5*time.Second, 5*time.Millisecond)
	close(stop)
	wg.Wait()
	assert.Positive(t, failed.Load())
	rec.assertLegal(t)
}

// TestClientMessageSizeLimits: a request over the server's announced limit
// is refused locally without harming the connection; a response over the
// client's limit is a framing error that discards the connection.
func TestClientMessageSizeLimits(t *testing.T) {
	t.Run("request over the server limit", func(t *testing.T) {
		_, addr := startServer(t, staticSource, WithServerMaxMessageBytes(2048))
		c := newTestClient(t, []string{addr})
		_, err := c.FreeBusy(context.Background(), testQuery(1))
		require.NoError(t, err)
		q := testQuery(1)
		for i := range 80 {
			q.Attendees = append(q.Attendees, fmt.Sprintf("a-rather-long-attendee-name-%03d@example.com", i))
		}
		_, err = c.FreeBusy(context.Background(), q)
		assert.ErrorIs(t, err, ErrMessageTooLarge)
		assert.Equal(t, freebusy.ReasonInvalid, freebusy.ReasonOf(err))
		assert.Equal(t, Ready, c.State())
		assert.Equal(t, uint64(1), c.Stats().Dials)
	})
	t.Run("response over the client limit", func(t *testing.T) {
		_, addr := startServer(t, staticSource)
		c := newTestClient(t, []string{addr}, WithMaxMessageBytes(1024))
		_, err := c.FreeBusy(context.Background(), testQuery(20))
		require.Error(t, err)
		assert.ErrorIs(t, err, ErrMessageTooLarge)
		var ce *CallError
		require.ErrorAs(t, err, &ce)
		assert.Equal(t, "read", ce.Op)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_, err = c.Call(ctx, testQuery(1), WaitForReady(true))
		assert.NoError(t, err, "a fresh connection serves small answers")
	})
}

// TestClientCloseInEveryPhase (docs/reconnect.md §9 T13): Close returns
// promptly whatever the client is doing, pending and waiting calls get
// ErrClosed, later calls too, and a second Close is a no-op. TestMain's
// goleak check proves no goroutine is left behind.
func TestClientCloseInEveryPhase(t *testing.T) {
	type phase struct {
		name  string
		setup func(t *testing.T) (*Client, func(*Client) error)
	}
	call := func(opts ...CallOption) func(*Client) error {
		return func(c *Client) error {
			_, err := c.Call(context.Background(), testQuery(1), opts...)
			return err
		}
	}
	phases := []phase{
		{"idle", func(t *testing.T) (*Client, func(*Client) error) {
			return newTestClient(t, []string{freeAddr(t)}), nil
		}},
		{"dialing", func(t *testing.T) (*Client, func(*Client) error) {
			entered := make(chan struct{}, 10)
			d := dialerFunc(func(ctx context.Context, network, addr string) (net.Conn, error) {
				entered <- struct{}{}
				<-ctx.Done()
				return nil, ctx.Err()
			})
			c := newTestClient(t, []string{"127.0.0.1:9"}, WithDialer(d))
			c.Connect()
			<-entered
			return c, call()
		}},
		{"handshake", func(t *testing.T) (*Client, func(*Client) error) {
			accepted := make(chan struct{}, 10)
			addr := fakeServer(t, func(nc net.Conn) { accepted <- struct{}{}; _, _ = io.Copy(io.Discard, nc) })
			c := newTestClient(t, []string{addr}, WithHandshakeTimeout(time.Minute))
			c.Connect()
			<-accepted
			return c, call()
		}},
		{"backoff", func(t *testing.T) (*Client, func(*Client) error) {
			c := newTestClient(t, []string{freeAddr(t)}, WithBackoff(slowBackoff), WithEagerRetryInterval(time.Minute))
			c.Connect()
			waitState(t, c, TransientFailure, 2*time.Second)
			return c, call(WaitForReady(true))
		}},
		{"ready, call in flight", func(t *testing.T) (*Client, func(*Client) error) {
			blocking := newBlockingSource()
			_, addr := startServer(t, blocking)
			c := newTestClient(t, []string{addr}, WithHeartbeat(10*time.Millisecond, time.Minute))
			c.Connect()
			waitState(t, c, Ready, 2*time.Second)
			return c, func(c *Client) error {
				go func() { <-blocking.entered }()
				return call()(c)
			}
		}},
	}
	for _, p := range phases {
		t.Run(p.name, func(t *testing.T) {
			c, pending := p.setup(t)
			var done chan error
			if pending != nil {
				done = make(chan error, 1)
				go func() { done <- pending(c) }()
				time.Sleep(30 * time.Millisecond) // let the call reach its wait
			}
			start := time.Now()
			require.NoError(t, c.Close())
			assert.Less(t, time.Since(start), time.Second, "Close must not wait out dials, handshakes or backoff")
			assert.Equal(t, Shutdown, c.State())
			if done != nil {
				select {
				case err := <-done:
					assert.ErrorIs(t, err, ErrClosed)
				case <-time.After(time.Second):
					t.Fatal("pending call not released by Close")
				}
			}
			require.NoError(t, c.Close(), "idempotent")
			_, err := c.FreeBusy(context.Background(), testQuery(1))
			assert.ErrorIs(t, err, ErrClosed)
			_, err = c.Ping(context.Background())
			assert.ErrorIs(t, err, ErrClosed)
		})
	}
}

type dialerFunc func(ctx context.Context, network, addr string) (net.Conn, error)

func (f dialerFunc) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	return f(ctx, network, addr)
}

// TestClientWaitForStateChange follows gRPC's GetState/WaitForStateChange.
func TestClientWaitForStateChange(t *testing.T) {
	_, addr := startServer(t, staticSource)
	c := newTestClient(t, []string{addr})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	assert.False(t, c.WaitForStateChange(ctx, Idle), "nothing happens until Connect")
	cancel()
	c.Connect()
	ctx, cancel = context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	assert.True(t, c.WaitForStateChange(ctx, Idle))
	waitState(t, c, Ready, 2*time.Second)
}

// stuckConn lets its first write (the hello) through and then blocks every
// write until its deadline or Close: a peer whose receive window is shut.
type stuckConn struct {
	net.Conn
	mu       sync.Mutex
	writes   int
	deadline time.Time
	closed   chan struct{}
	once     sync.Once
}

func (s *stuckConn) Write(b []byte) (int, error) {
	s.mu.Lock()
	s.writes++
	first, dl := s.writes == 1, s.deadline
	s.mu.Unlock()
	if first {
		return s.Conn.Write(b)
	}
	var timer <-chan time.Time
	if !dl.IsZero() {
		t := time.NewTimer(time.Until(dl))
		defer t.Stop()
		timer = t.C
	}
	select {
	case <-timer:
		return 0, os.ErrDeadlineExceeded
	case <-s.closed:
		return 0, net.ErrClosed
	}
}

func (s *stuckConn) SetWriteDeadline(t time.Time) error {
	s.mu.Lock()
	s.deadline = t
	s.mu.Unlock()
	return s.Conn.SetWriteDeadline(t)
}

func (s *stuckConn) Close() error {
	s.once.Do(func() { close(s.closed) })
	return s.Conn.Close()
}

// TestClientHeartbeatNotBlockedByStuckWrite: a write stuck on a full
// socket holds the write lock; the heartbeat still declares the connection
// dead within its timeout (not the 10 s write timeout), the stuck call is
// retried on a fresh connection and succeeds.
func TestClientHeartbeatNotBlockedByStuckWrite(t *testing.T) {
	_, addr := startServer(t, staticSource)
	var dials atomic.Int64
	d := dialerFunc(func(ctx context.Context, network, a string) (net.Conn, error) {
		nc, err := (&net.Dialer{}).DialContext(ctx, network, a)
		if err != nil || dials.Add(1) > 1 {
			return nc, err
		}
		return &stuckConn{Conn: nc, closed: make(chan struct{})}, nil
	})
	c := newTestClient(t, []string{addr}, WithDialer(d), WithHeartbeat(50*time.Millisecond, 50*time.Millisecond))
	c.Connect()
	waitState(t, c, Ready, 2*time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	start := time.Now()
	_, err := c.FreeBusy(ctx, testQuery(1))
	require.NoError(t, err)
	assert.Less(t, time.Since(start), time.Second)
	assert.ErrorIs(t, c.Stats().LastError, ErrHeartbeatTimeout)
	assert.Equal(t, int64(2), dials.Load())
}

// TestClientBlipRetriesEveryInFlightCall: when a connection carrying many
// calls is lost, each is retried once on the fresh connection even though
// the retry budget could not cover them all (docs/reconnect.md §9 T10: no
// user-visible failure beyond one attempt).
func TestClientBlipRetriesEveryInFlightCall(t *testing.T) {
	blocking := newBlockingSource()
	sA, addrA := startServer(t, blocking)
	_, addrB := startServer(t, staticSource)
	c := newTestClient(t, []string{addrA, addrB}, WithRetryBudget(0, 0))
	const n = 20
	errs := make(chan error, n)
	for range n {
		go func() {
			_, err := c.FreeBusy(context.Background(), testQuery(1))
			errs <- err
		}()
	}
	for range n {
		<-blocking.entered
	}
	require.NoError(t, sA.Close())
	for range n {
		assert.NoError(t, <-errs)
	}
	assert.Equal(t, uint64(n), c.Stats().Retries)
	assert.Zero(t, c.Stats().RetriesThrottled)
}

// TestClientScheduleFieldsSurviveTheWire: every Schedule field crosses the
// wire intact: events, working hours, as-of, staleness.
func TestClientScheduleFieldsSurviveTheWire(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	require.NoError(t, err)
	full := freebusy.Schedule{
		Attendee: "usera@example.com", Start: t0, End: t0.Add(24 * time.Hour),
		Intervals: []freebusy.Interval{
			{Start: t0.Add(8 * time.Hour), End: t0.Add(9 * time.Hour), Status: freebusy.OutOfOffice},
			{Start: t0.Add(9 * time.Hour), End: t0.Add(10 * time.Hour), Status: freebusy.WorkingElsewhere},
			{Start: t0.Add(20 * time.Hour), End: t0.Add(21 * time.Hour), Status: freebusy.Unknown},
		},
		Events: []freebusy.Event{{Start: t0.Add(8 * time.Hour), End: t0.Add(9 * time.Hour), Status: freebusy.OutOfOffice,
			ID: "AAMk=", Subject: "Dentist", Location: "Town", Private: true, Meeting: true, Recurring: true, Exception: true, Reminder: true}},
		WorkingHours: &freebusy.WorkingHours{Location: berlin, Periods: []freebusy.WorkingPeriod{
			{Days: []time.Weekday{time.Monday, time.Friday}, Start: 9 * time.Hour, End: 17*time.Hour + 30*time.Minute}}},
		AsOf:  t0.Add(-time.Minute),
		Stale: true,
	}
	src := freebusy.SourceFunc(func(ctx context.Context, q freebusy.Query) ([]freebusy.Schedule, error) {
		return []freebusy.Schedule{full}, nil
	})
	_, addr := startServer(t, src)
	c := newTestClient(t, []string{addr})
	q := testQuery(1)
	q.Detail = freebusy.DetailFull
	got, err := c.FreeBusy(context.Background(), q)
	require.NoError(t, err)
	require.Len(t, got, 1)
	require.NotNil(t, got[0].WorkingHours)
	assert.Equal(t, "Europe/Berlin", got[0].WorkingHours.Location.String())
	assert.Equal(t, full.WorkingHours.Periods, got[0].WorkingHours.Periods)
	g := got[0]
	g.WorkingHours, full.WorkingHours = nil, nil
	assert.Equal(t, full, g)
}
