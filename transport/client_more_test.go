package transport

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/calbridge/calbridge/freebusy"
)

// TestClientMovesOffADrainingServer: a call refused with CodeShuttingDown is
// retried elsewhere at no budget cost, while the call already running on the
// draining server still gets its answer there.
func TestClientMovesOffADrainingServer(t *testing.T) {
	blocking := newBlockingSource()
	sA, addrA := startServer(t, blocking)
	_, addrB := startServer(t, staticSource)
	c := newTestClient(t, []string{addrA, addrB}, WithRetryBudget(0, 0))

	first := make(chan error, 1)
	go func() {
		_, err := c.FreeBusy(context.Background(), testQuery(1))
		first <- err
	}()
	<-blocking.entered
	shutdown := make(chan error, 1)
	go func() { shutdown <- sA.Shutdown(context.Background()) }()
	require.Eventually(t, func() bool {
		_, err := net.DialTimeout("tcp", addrA, 50*time.Millisecond)
		return err != nil
	}, 2*time.Second, 5*time.Millisecond)

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	got, err := c.FreeBusy(ctx, testQuery(2))
	require.NoError(t, err, "refused as not processed, then answered by the other server")
	assert.Len(t, got, 2)
	assert.Equal(t, addrB, c.Stats().Addr)
	assert.Zero(t, c.Stats().RetriesThrottled)

	close(blocking.release)
	require.NoError(t, <-first, "the call on the draining server finished there")
	require.NoError(t, <-shutdown)
	assert.Equal(t, int64(1), blocking.calls.Load())
}

// TestClientSpeaksToAnyJSONRPCServer: replies whose members come in another
// order than this package's server writes them take the general decoding
// path; an error with a null id ends the connection.
func TestClientSpeaksToAnyJSONRPCServer(t *testing.T) {
	addr := fakeServer(t, func(nc net.Conn) {
		br := bufio.NewReader(nc)
		for {
			line, err := br.ReadBytes('\n')
			if err != nil {
				return
			}
			var req wireRequest
			if json.Unmarshal(line, &req) != nil {
				return
			}
			var reply string
			switch req.Method {
			case methodHello:
				reply = fmt.Sprintf(`{"result":{"version":1,"server":"other","maxMessageBytes":4096},"id":%s,"jsonrpc":"2.0"}`, req.ID)
			case methodFreeBusy:
				var q freebusy.Query
				_ = json.Unmarshal(req.Params, &q)
				if q.Attendees[0] == "kill@example.com" {
					reply = `{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"parse error"}}`
				} else {
					reply = fmt.Sprintf(`{"id":%s, "result": {"schedules":[{"attendee":%q,"start":"2026-03-02T00:00:00Z","end":"2026-03-03T00:00:00Z"}]}, "jsonrpc":"2.0"}`, req.ID, q.Attendees[0])
				}
			default:
				reply = fmt.Sprintf(`{"jsonrpc":"2.0","id":%s,"result":{}}`, req.ID)
			}
			if _, err := io.WriteString(nc, reply+"\n"); err != nil {
				return
			}
		}
	})
	c := newTestClient(t, []string{addr})
	got, err := c.FreeBusy(context.Background(), freebusy.Query{Attendees: []string{"x@example.com"}, Start: t0, End: t0.Add(24 * time.Hour)})
	require.NoError(t, err)
	assert.Equal(t, "x@example.com", got[0].Attendee)

	_, err = c.FreeBusy(context.Background(), freebusy.Query{Attendees: []string{"kill@example.com"}, Start: t0, End: t0.Add(24 * time.Hour)})
	require.Error(t, err)
	var re *RemoteError
	require.ErrorAs(t, err, &re, "the null-id error is the connection's cause of death")
	assert.Equal(t, CodeParseError, re.Code)
	assert.GreaterOrEqual(t, c.Stats().Dials, uint64(2), "the connection was replaced")
}

// TestClientLogsOneLinePerTransition, at Info (Warn for TransientFailure),
// with no attendee data.
func TestClientLogsOneLinePerTransition(t *testing.T) {
	core, logs := observer.New(zapcore.DebugLevel)
	_, addr := startServer(t, staticSource)
	var rec recorder
	c := newTestClient(t, []string{freeAddr(t), addr}, WithLogger(zap.New(core)), WithStateCallback(rec.record))
	_, err := c.FreeBusy(context.Background(), freebusy.Query{Attendees: []string{"secret.person@example.com"}, Start: t0, End: t0.Add(time.Hour)})
	require.NoError(t, err)
	require.NoError(t, c.Close())
	entries := logs.FilterMessage("transport: state change").All()
	require.Len(t, entries, len(rec.states()))
	for i, e := range entries {
		assert.Equal(t, rec.states()[i].String(), e.ContextMap()["to"])
		assert.NotContains(t, fmt.Sprint(e.ContextMap()), "secret.person")
	}
	assert.Equal(t, logs.Len(), len(entries), "nothing else is logged")
}

func TestRemoteErrorMatching(t *testing.T) {
	tests := []struct {
		we       wireError
		sentinel error
		reason   freebusy.Reason
		notProc  bool
	}{
		{wireError{Code: CodeVersionMismatch, Data: json.RawMessage(`{"reason":"unavailable","supported":[2]}`)}, ErrVersionMismatch, freebusy.ReasonUnavailable, true},
		{wireError{Code: CodeUnauthorized}, ErrUnauthorized, freebusy.ReasonAccessDenied, true},
		{wireError{Code: CodeMessageTooLarge}, ErrMessageTooLarge, freebusy.ReasonInvalid, true},
		{wireError{Code: CodeThrottled, Data: json.RawMessage(`{"reason":"throttled","retryAfterMs":5000}`)}, freebusy.ErrThrottled, freebusy.ReasonThrottled, false},
		{wireError{Code: -32099, Data: json.RawMessage(`{"reason":"timeout"}`)}, freebusy.ErrTimeout, freebusy.ReasonTimeout, false},
		{wireError{Code: -1, Data: json.RawMessage(`"free text"`)}, freebusy.ErrInternal, freebusy.ReasonInternal, false},
	}
	for _, tc := range tests {
		re := newRemoteError(&tc.we)
		assert.ErrorIs(t, re, tc.sentinel, "code %d", tc.we.Code)
		assert.Equal(t, tc.reason, re.Reason)
		assert.Equal(t, tc.notProc, re.NotProcessed)
		fe := re.asFreeBusyError()
		assert.Equal(t, tc.reason, freebusy.ReasonOf(fe))
		assert.ErrorIs(t, fe, tc.sentinel)
	}
	assert.Equal(t, 5*time.Second, newRemoteError(&tests[3].we).Info.RetryAfter)
	assert.Equal(t, []int{2}, newRemoteError(&tests[0].we).Info.Supported)
}

func TestParseIDs(t *testing.T) {
	for in, want := range map[string]uint64{"0": 0, "42": 42, "18446744073709551615": 1<<64 - 1} {
		got, ok := parseID(json.RawMessage(in))
		assert.True(t, ok, in)
		assert.Equal(t, want, got)
	}
	for _, in := range []string{"", "null", `"7"`, "-1", "1.5", "18446744073709551616", "123456789012345678901"} {
		_, ok := parseID(json.RawMessage(in))
		assert.False(t, ok, in)
	}
	id, ok := fastID([]byte(`{"jsonrpc":"2.0","id":17,"result":{}}`))
	assert.True(t, ok)
	assert.Equal(t, uint64(17), id)
	for _, in := range []string{`{"jsonrpc":"2.0","id":null,"error":{}}`, `{"jsonrpc":"2.0","id":"17","result":{}}`, `{"id":17,"jsonrpc":"2.0"}`, `{"jsonrpc":"2.0","id":17}`} {
		_, ok := fastID([]byte(in))
		assert.False(t, ok, in)
	}
}

// TestClientEagerAttemptOncePerCall: a fail-fast call triggers at most one
// eager attempt, even when attempts take longer than the eager interval, so
// it cannot wait attempt after attempt until its deadline.
func TestClientEagerAttemptOncePerCall(t *testing.T) {
	slowRefuse := dialerFunc(func(ctx context.Context, network, addr string) (net.Conn, error) {
		select {
		case <-time.After(60 * time.Millisecond):
			return nil, fmt.Errorf("connection refused")
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	})
	c := newTestClient(t, []string{"127.0.0.1:9"}, WithDialer(slowRefuse), WithBackoff(slowBackoff), WithEagerRetryInterval(20*time.Millisecond))
	c.Connect()
	waitState(t, c, TransientFailure, 2*time.Second)
	time.Sleep(30 * time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	start := time.Now()
	_, err := c.FreeBusy(ctx, testQuery(1))
	assert.ErrorIs(t, err, freebusy.ErrUnavailable)
	assert.Less(t, time.Since(start), time.Second, "one eager attempt, then fail fast")
	assert.Equal(t, uint64(2), c.Stats().Dials)
}
