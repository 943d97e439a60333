package transport

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/calbridge/calbridge/freebusy"
)

// tap relays connections to addr and records what the server sends.
type tap struct {
	mu   sync.Mutex
	down bytes.Buffer // server -> client
}

func (tp *tap) serverBytes() string {
	tp.mu.Lock()
	defer tp.mu.Unlock()
	return tp.down.String()
}

func (tp *tap) Write(b []byte) (int, error) {
	tp.mu.Lock()
	defer tp.mu.Unlock()
	return tp.down.Write(b)
}

// startTap listens on loopback and relays each connection to addr.
func startTap(t *testing.T, addr string) (*tap, string) {
	t.Helper()
	tp := &tap{}
	front := fakeServer(t, func(nc net.Conn) {
		back, err := net.Dial("tcp", addr)
		if err != nil {
			return
		}
		done := make(chan struct{})
		go func() {
			defer close(done)
			_, _ = io.Copy(io.MultiWriter(nc, tp), back)
			_ = nc.Close()
		}()
		_, _ = io.Copy(back, nc)
		_ = back.Close()
		<-done
	})
	return tp, front
}

// TestCompactLinkNegotiated: a Client and a Server of this version agree
// on the compact form in the hello, the answers travel in it, and they
// read back as the Source wrote them, call after call on one connection.
func TestCompactLinkNegotiated(t *testing.T) {
	q, ss := weekLoad(20)
	_, addr := startServer(t, newMemorySource(ss))
	tp, front := startTap(t, addr)
	c := newTestClient(t, []string{front})
	for range 5 {
		got, err := c.FreeBusy(context.Background(), q)
		require.NoError(t, err)
		require.Equal(t, ss, got)
	}
	wire := tp.serverBytes()
	assert.Contains(t, wire, `"form":"compact1"}`, "the hello result names the form")
	assert.Contains(t, wire, `"result":{"form":"compact1","base":`, "the answers are compact")
	assert.NotContains(t, wire, `"schedules":[{"attendee":"user000.lastname@example.com","start":"`, "and not in the JSON form")
	for _, line := range strings.Split(strings.TrimSpace(wire), "\n") {
		assert.Truef(t, json.Valid([]byte(line)), "every line is JSON: %.200s", line)
	}
	st := c.Stats()
	assert.Equal(t, uint64(1), st.Dials, "one connection carried every call")
	assert.Zero(t, st.Retries)
}

// TestCompactLinkJSONWhenOff: with the form switched off on either half,
// the answers travel in the JSON form, and read back the same.
func TestCompactLinkJSONWhenOff(t *testing.T) {
	q, ss := weekLoad(10)
	for _, tc := range []struct {
		name       string
		clientOpts []ClientOption
		serverOpts []ServerOption
	}{
		{"client off", []ClientOption{WithCompactSchedules(false)}, nil},
		{"server off (a server that does not answer the offer)", nil, []ServerOption{WithCompactSchedules(false)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, addr := startServer(t, newMemorySource(ss), tc.serverOpts...)
			tp, front := startTap(t, addr)
			c := newTestClient(t, []string{front}, tc.clientOpts...)
			got, err := c.FreeBusy(context.Background(), q)
			require.NoError(t, err)
			assert.Equal(t, ss, got)
			wire := tp.serverBytes()
			assert.NotContains(t, wire, `compact1`)
			assert.Contains(t, wire, `"result":{"schedules":[{"attendee":"user000.lastname@example.com","start":"2026-03-02T00:00:00Z"`)
		})
	}
}

// TestCompactLinkStockClient: a client that does not offer the form (any
// JSON-RPC client written from PROTOCOL.md before it existed) gets the
// JSON form; one that offers it gets an answer a stock JSON parser reads.
func TestCompactLinkStockClient(t *testing.T) {
	_, addr := startServer(t, staticSource)
	r := dialRaw(t, addr)
	r.hello()
	r.send(`{"jsonrpc":"2.0","id":1,"method":"calbridge.freebusy","params":{"attendees":["alice@example.com"],"start":"2026-03-02T00:00:00Z","end":"2026-03-03T00:00:00Z"}}`)
	m := r.recv()
	res := m["result"].(map[string]any)
	assert.NotContains(t, res, "form")
	s0 := res["schedules"].([]any)[0].(map[string]any)
	assert.Equal(t, "2026-03-02T00:00:00Z", s0["start"])
	assert.Equal(t, "busy", s0["intervals"].([]any)[0].(map[string]any)["status"])

	r = dialRaw(t, addr)
	r.send(`{"jsonrpc":"2.0","id":"h","method":"calbridge.hello","params":{"version":1,"forms":["compact9","compact1"]}}`)
	hello := r.recv()["result"].(map[string]any)
	assert.Equal(t, "compact1", hello["form"], "the one form the server knows, of those offered")
	r.send(`{"jsonrpc":"2.0","id":1,"method":"calbridge.freebusy","params":{"attendees":["alice@example.com","nobody@example.com"],"start":"2026-03-02T00:00:00Z","end":"2026-03-03T00:00:00Z"}}`)
	res = r.recv()["result"].(map[string]any)
	assert.Equal(t, "compact1", res["form"])
	assert.Equal(t, float64(t0.Unix()), res["base"])
	ss := res["schedules"].([]any)
	require.Len(t, ss, 2)
	assert.Equal(t, []any{2.0, 32400.0, 36000.0, 3.0, 50400.0, 52200.0, 2.0}, ss[0].(map[string]any)["intervals"])
	assert.Equal(t, "unknown-attendee", ss[1].(map[string]any)["error"].(map[string]any)["reason"])

	r = dialRaw(t, addr)
	r.send(`{"jsonrpc":"2.0","id":"h","method":"calbridge.hello","params":{"version":1,"forms":["compact9"]}}`)
	assert.NotContains(t, r.recv()["result"].(map[string]any), "form", "no form in common: the JSON form")
}

// oldServer is a server of the protocol as it was before the compact
// form: its hello refuses the unknown member "forms" with -32602, as
// every calbridge server before it did, and it answers in the JSON form.
func oldServer(src freebusy.Source, hellos *[]string, mu *sync.Mutex) func(nc net.Conn) {
	return func(nc net.Conn) {
		br := bufio.NewReader(nc)
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				return
			}
			var req wireRequest
			if json.Unmarshal([]byte(line), &req) != nil {
				return
			}
			e := getEncoder()
			switch req.Method {
			case methodHello:
				mu.Lock()
				*hellos = append(*hellos, string(req.Params))
				mu.Unlock()
				var p helloParams
				if err := decodeParams(req.Params, []string{"version", "token", "client"}, &p); err != nil {
					_ = e.error(req.ID, &wireError{Code: CodeInvalidParams, Message: "invalid hello params: " + err.Error(), Data: reasonData(freebusy.ReasonInvalid, 0)})
				} else {
					_ = e.result(req.ID, map[string]any{"version": 1, "server": "old", "maxMessageBytes": 1 << 20})
				}
			case methodPing:
				_ = e.result(req.ID, struct{}{})
			case methodFreeBusy:
				var q freebusy.Query
				_ = json.Unmarshal(req.Params, &q)
				out, _ := src.FreeBusy(context.Background(), q)
				_ = e.result(req.ID, freeBusyResult{Schedules: out})
			}
			_, err = nc.Write(e.buf)
			putEncoder(e)
			if err != nil {
				return
			}
		}
	}
}

// TestCompactLinkOldServer: against a server that predates the compact
// form, the client's offer is refused, the client says hello again
// without it on the same connection, and the answers come in the JSON
// form: an old server and a new client interoperate.
func TestCompactLinkOldServer(t *testing.T) {
	q, ss := weekLoad(10)
	var mu sync.Mutex
	var hellos []string
	addr := fakeServer(t, oldServer(newMemorySource(ss), &hellos, &mu))
	c := newTestClient(t, []string{addr})
	for range 3 {
		got, err := c.FreeBusy(context.Background(), q)
		require.NoError(t, err)
		assert.Equal(t, ss, got)
	}
	mu.Lock()
	defer mu.Unlock()
	require.Len(t, hellos, 2, "one connection, two hellos")
	assert.Contains(t, hellos[0], `"forms":["compact1"]`)
	assert.NotContains(t, hellos[1], `forms`)
	assert.Equal(t, uint64(1), c.Stats().Dials)
	assert.Zero(t, c.Stats().DialFailures)
}

// TestCompactLinkUnofferedForm: a server that answers the hello with a
// form the client did not offer fails the handshake as a protocol error.
func TestCompactLinkUnofferedForm(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts []ClientOption
		form string
	}{
		{"unknown form", nil, "compact9"},
		{"form when none was offered", []ClientOption{WithCompactSchedules(false)}, "compact1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			addr := fakeServer(t, replyToHello(`{"jsonrpc":"2.0","id":0,"result":{"version":1,"server":"odd","maxMessageBytes":1048576,"form":"`+tc.form+`"}}`))
			c := newTestClient(t, []string{addr}, tc.opts...)
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_, err := c.FreeBusy(ctx, testQuery(1))
			require.Error(t, err)
			assert.ErrorIs(t, c.Stats().LastError, ErrProtocol)
			assert.Contains(t, c.Stats().LastError.Error(), tc.form)
		})
	}
}

// TestCompactLinkBadAnswer: a compact answer that does not decode fails
// the call with a *CompactError (wrapped in a *CallError) and discards the
// connection, as an answer that is not JSON does.
func TestCompactLinkBadAnswer(t *testing.T) {
	addr := fakeServer(t, func(nc net.Conn) {
		br := bufio.NewReader(nc)
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				return
			}
			var req wireRequest
			if json.Unmarshal([]byte(line), &req) != nil {
				return
			}
			reply := `{"jsonrpc":"2.0","id":` + string(req.ID) + `,"result":{}}`
			switch req.Method {
			case methodHello:
				reply = `{"jsonrpc":"2.0","id":0,"result":{"version":1,"server":"bad","maxMessageBytes":1048576,"form":"compact1"}}`
			case methodFreeBusy:
				reply = `{"jsonrpc":"2.0","id":` + string(req.ID) + `,"result":{"form":"compact1","base":0,"schedules":[{"attendee":"usera@example.com","intervals":[9,0,1,3]}]}}`
			}
			if _, err := io.WriteString(nc, reply+"\n"); err != nil {
				return
			}
		}
	})
	c := newTestClient(t, []string{addr}, WithMaxAttempts(1))
	_, err := c.FreeBusy(context.Background(), testQuery(1))
	var ce *CallError
	require.ErrorAs(t, err, &ce)
	var cerr *CompactError
	require.ErrorAs(t, err, &cerr)
	assert.ErrorIs(t, err, ErrProtocol)
	assert.Contains(t, cerr.Detail, "item count out of range")
	assert.Equal(t, freebusy.ReasonUnavailable, freebusy.ReasonOf(err))
	_, err = c.FreeBusy(context.Background(), testQuery(1))
	assert.ErrorIs(t, err, ErrProtocol)
	assert.Equal(t, uint64(2), c.Stats().Dials, "the connection was discarded for it: the next call dialed")
}

// TestCompactLinkEncodeError: a schedule the compact form refuses (an
// undeclared status) is answered with an internal error, as the JSON form
// answers it, and the connection stays up.
func TestCompactLinkEncodeError(t *testing.T) {
	bad := freebusy.SourceFunc(func(ctx context.Context, q freebusy.Query) ([]freebusy.Schedule, error) {
		out, err := staticSource(ctx, q)
		out[0].Intervals[0].Status = 42
		return out, err
	})
	for _, on := range []bool{true, false} {
		_, addr := startServer(t, bad)
		c := newTestClient(t, []string{addr}, WithCompactSchedules(on))
		_, err := c.FreeBusy(context.Background(), testQuery(1))
		require.Errorf(t, err, "compact %v", on)
		assert.Equal(t, freebusy.ReasonInternal, freebusy.ReasonOf(err))
		var re *RemoteError
		require.ErrorAs(t, err, &re)
		assert.Equal(t, CodeInternalError, re.Code)
		assert.Equal(t, uint64(1), c.Stats().Dials)
	}
}

// TestClientFreeBusyInto: FreeBusyInto answers as FreeBusy does; over the
// compact form its schedules, intervals and events come from the buffer,
// whose memory the next answer reuses after a Reset, while an answer
// still lent out is left alone. Over the JSON form the buffer is not used.
func TestClientFreeBusyInto(t *testing.T) {
	q, ss := weekLoad(20)
	ctx := context.Background()
	t.Run("compact", func(t *testing.T) {
		_, addr := startServer(t, newMemorySource(ss))
		c := newTestClient(t, []string{addr})
		var buf freebusy.ScheduleBuffer
		first, err := c.FreeBusyInto(ctx, q, &buf)
		require.NoError(t, err)
		require.Equal(t, ss, first)

		// Without a Reset the next answer takes other memory: the first
		// is intact.
		second, err := c.FreeBusyInto(ctx, q, &buf)
		require.NoError(t, err)
		require.Equal(t, ss, second)
		require.Equal(t, ss, first)
		require.NotSame(t, &first[0], &second[0])

		// After a Reset the buffer's memory serves the answer again:
		// schedules, intervals and events from the same arrays.
		buf.Reset()
		third, err := c.FreeBusyInto(ctx, q, &buf)
		require.NoError(t, err)
		require.Equal(t, ss, third)
		buf.Reset()
		fourth, err := c.FreeBusyInto(ctx, q, &buf)
		require.NoError(t, err)
		require.Equal(t, ss, fourth)
		require.Same(t, &third[0], &fourth[0])
		k := slices.IndexFunc(fourth, func(s freebusy.Schedule) bool { return len(s.Intervals) > 0 && len(s.Events) > 0 })
		require.GreaterOrEqual(t, k, 0)
		require.Same(t, &third[k].Intervals[0], &fourth[k].Intervals[0])
		require.Same(t, &third[k].Events[0], &fourth[k].Events[0])
		buf.Reset()
		require.Zero(t, fourth[k].Attendee, "the answer was in the buffer")
	})
	t.Run("json form", func(t *testing.T) {
		_, addr := startServer(t, newMemorySource(ss))
		c := newTestClient(t, []string{addr}, WithCompactSchedules(false))
		var buf freebusy.ScheduleBuffer
		got, err := c.FreeBusyInto(ctx, q, &buf)
		require.NoError(t, err)
		buf.Reset()
		require.Equal(t, ss, got, "the JSON form does not use the buffer")
	})
	t.Run("invalid query", func(t *testing.T) {
		_, addr := startServer(t, newMemorySource(ss))
		c := newTestClient(t, []string{addr})
		var buf freebusy.ScheduleBuffer
		_, err := c.FreeBusyInto(ctx, freebusy.Query{}, &buf)
		var qe *freebusy.QueryError
		require.ErrorAs(t, err, &qe)
	})
}
