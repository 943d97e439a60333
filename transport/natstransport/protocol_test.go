package natstransport

import (
	"context"
	"encoding/json"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/calbridge/calbridge/freebusy"
	"github.com/calbridge/calbridge/freebusy/router"
)

// rawPeer publishes hand-made queries and collects the replies, to hold a
// Server to the protocol the package documentation states.
type rawPeer struct {
	t       *testing.T
	nc      *nats.Conn
	replies chan *nats.Msg
	inbox   string
}

func newRawPeer(t *testing.T, nc *nats.Conn) *rawPeer {
	p := &rawPeer{t: t, nc: nc, replies: make(chan *nats.Msg, 16), inbox: nc.NewInbox()}
	_, err := nc.ChanSubscribe(p.inbox, p.replies)
	require.NoError(t, err)
	synctest.Wait() // the server has the subscription before any reply
	return p
}

// ask sends a query and returns the replies that arrive before the
// answer, and the answer (nil if none came within a minute).
func (p *rawPeer) ask(hdr nats.Header, body string) (kinds []string, answer *nats.Msg) {
	require.NoError(p.t, p.nc.PublishMsg(&nats.Msg{Subject: DefaultSubject, Reply: p.inbox, Header: hdr, Data: []byte(body)}))
	timeout := time.After(time.Minute)
	for {
		select {
		case m := <-p.replies:
			k := m.Header.Get(hdrKind)
			kinds = append(kinds, k)
			if k == kindAnswer || k == kindBusy || k == kindGone || k == "" {
				return kinds, m
			}
		case <-timeout:
			return kinds, nil
		}
	}
}

// answerOf decodes an answer's body.
func answerOf(t *testing.T, m *nats.Msg) ([]freebusy.Schedule, *freebusy.Error) {
	t.Helper()
	require.NotNil(t, m, "no answer")
	out, fe, err := decodeAnswer(m.Header.Get(hdrForm), m.Data, DefaultMaxAnswerBytes, nil)
	require.NoError(t, err, "%s", m.Data)
	return out, fe
}

const goodQuery = `{"v":1,"attendees":["a@example.com"],"start":"2026-03-02T00:00:00Z","end":"2026-03-03T00:00:00Z"}`

func TestServerProtocol(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ns := bubbleNATS(t)
		src := &countingSource{}
		w, _ := bubbleWorker(t, ns, src, WithHeartbeatInterval(1500*time.Millisecond))
		p := newRawPeer(t, pipeConn(t, ns))

		// A good query answered at once: the answer alone, no ack.
		kinds, m := p.ask(nats.Header{hdrHops: {"1"}, hdrTimeout: {"5000"}}, goodQuery)
		assert.Equal(t, []string{kindAnswer}, kinds)
		out, fe := answerOf(t, m)
		require.Nil(t, fe)
		require.Len(t, out, 1)
		assert.Equal(t, "a@example.com", out[0].Attendee)
		assert.Equal(t, int64(1), src.n.Load())

		// A stock JSON peer may order members freely and add unknown ones.
		kinds, m = p.ask(nil, `{"end":"2026-03-03T00:00:00Z","attendees":["b@example.com"],"future":[1,2],"v":1,"start":"2026-03-02T00:00:00Z"}`)
		assert.Equal(t, []string{kindAnswer}, kinds)
		out, fe = answerOf(t, m)
		require.Nil(t, fe)
		assert.Equal(t, "b@example.com", out[0].Attendee)

		for _, tc := range []struct {
			name   string
			hdr    nats.Header
			body   string
			reason freebusy.Reason
			detail string
		}{
			{"not JSON", nil, `attendees: a`, freebusy.ReasonInvalid, "malformed"},
			{"no version", nil, `{"attendees":["a@example.com"],"start":"2026-03-02T00:00:00Z","end":"2026-03-03T00:00:00Z"}`, freebusy.ReasonUnavailable, "version"},
			{"later version", nil, strings.Replace(goodQuery, `"v":1`, `"v":2`, 1), freebusy.ReasonUnavailable, "version 2"},
			{"negative hops", nats.Header{hdrHops: {"-1"}}, goodQuery, freebusy.ReasonInvalid, hdrHops},
			{"fractional hops", nats.Header{hdrHops: {"1.5"}}, goodQuery, freebusy.ReasonInvalid, hdrHops},
			{"bad timeout", nats.Header{hdrTimeout: {"soon"}}, goodQuery, freebusy.ReasonInvalid, hdrTimeout},
			{"too deep", nil, `{"v":1,"attendees":[["a"]]}`, freebusy.ReasonInvalid, "nested"},
			{"empty window", nil, `{"v":1,"attendees":["a@example.com"],"start":"2026-03-02T00:00:00Z","end":"2026-03-02T00:00:00Z"}`, freebusy.ReasonInvalid, "window"},
			{"too large", nil, `{"v":1,"attendees":["` + strings.Repeat("a", maxRequestBytes) + `"]}`, freebusy.ReasonInvalid, "too large"},
		} {
			kinds, m := p.ask(tc.hdr, tc.body)
			require.NotNil(t, m, tc.name)
			assert.Equal(t, kindAnswer, kinds[len(kinds)-1], tc.name)
			_, fe := answerOf(t, m)
			require.NotNil(t, fe, tc.name)
			assert.Equal(t, tc.reason, fe.Reason, tc.name)
			assert.Contains(t, fe.Message, tc.detail, tc.name)
		}
		assert.Equal(t, int64(2), src.n.Load(), "no malformed query reached the source")
		assert.Equal(t, uint64(8), w.Stats().Invalid, "the empty window is refused by the query's own validation")

		// A query without a reply subject is not one: nothing is run.
		require.NoError(t, p.nc.Publish(DefaultSubject, []byte(goodQuery)))
		synctest.Wait()
		assert.Equal(t, int64(2), src.n.Load())
	})
}

// The worker sends a progress message every heartbeat interval while a
// query runs, and announces the interval in its ack.
func TestServerHeartbeats(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ns := bubbleNATS(t)
		bubbleWorker(t, ns, freebusy.SourceFunc(func(ctx context.Context, q freebusy.Query) ([]freebusy.Schedule, error) {
			time.Sleep(5500 * time.Millisecond)
			return staticSource(ctx, q)
		}), WithHeartbeatInterval(time.Second))
		p := newRawPeer(t, pipeConn(t, ns))
		start := time.Now()
		kinds, m := p.ask(nil, goodQuery)
		require.NotNil(t, m)
		assert.Equal(t, 5500*time.Millisecond, time.Since(start))
		assert.Equal(t, []string{kindAck, kindProgress, kindProgress, kindProgress, kindProgress, kindProgress, kindAnswer}, kinds)
	})
}

// A query still running a tenth of a heartbeat interval (100 ms at most)
// after it arrived is acknowledged, with the worker's interval and id.
func TestServerAck(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ns := bubbleNATS(t)
		bubbleWorker(t, ns, freebusy.SourceFunc(func(ctx context.Context, q freebusy.Query) ([]freebusy.Schedule, error) {
			time.Sleep(time.Second)
			return staticSource(ctx, q)
		}), WithHeartbeatInterval(1500*time.Millisecond))
		p := newRawPeer(t, pipeConn(t, ns))
		start := time.Now()
		require.NoError(t, p.nc.PublishMsg(&nats.Msg{Subject: DefaultSubject, Reply: p.inbox, Data: []byte(goodQuery)}))
		next := func() *nats.Msg {
			select {
			case m := <-p.replies:
				return m
			case <-time.After(time.Minute):
				require.FailNow(t, "no reply")
				return nil
			}
		}
		ack := next()
		assert.Equal(t, 100*time.Millisecond, time.Since(start))
		assert.Equal(t, kindAck, ack.Header.Get(hdrKind))
		assert.Equal(t, "1500", ack.Header.Get(hdrHeartbeat))
		assert.NotEmpty(t, ack.Header.Get(hdrWorker))
		assert.Empty(t, ack.Data)
		assert.Equal(t, kindAnswer, next().Header.Get(hdrKind), "answered before the first heartbeat")
		assert.Equal(t, time.Second, time.Since(start))
	})
}

// Answers a Client cannot use are retried on another worker and, when
// every attempt gets one, fail as unavailable protocol errors.
func TestClientRefusesBadAnswers(t *testing.T) {
	for _, tc := range []struct {
		name   string
		hdr    nats.Header
		body   string
		reason freebusy.Reason
	}{
		{"later version", nats.Header{hdrKind: {kindAnswer}}, `{"v":2,"schedules":[]}`, freebusy.ReasonUnavailable},
		{"not JSON", nats.Header{hdrKind: {kindAnswer}}, `schedules`, freebusy.ReasonUnavailable},
		{"unknown kind", nats.Header{hdrKind: {"maybe"}}, ``, freebusy.ReasonUnavailable},
		{"wrong attendees", nats.Header{hdrKind: {kindAnswer}}, `{"v":1,"schedules":[{"attendee":"mallory@example.com","start":"2026-03-02T00:00:00Z","end":"2026-03-03T00:00:00Z"}]}`, freebusy.ReasonInternal},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ns := bubbleNATS(t)
				nc := pipeConn(t, ns)
				_, err := nc.QueueSubscribe(DefaultSubject, DefaultQueueGroup, func(m *nats.Msg) {
					_ = nc.PublishMsg(&nats.Msg{Subject: m.Reply, Header: tc.hdr, Data: []byte(tc.body)})
				})
				require.NoError(t, err)
				synctest.Wait() // the server has the subscription before the client asks
				c := bubbleClient(t, ns)
				_, err = c.FreeBusy(context.Background(), testQuery(1))
				require.Error(t, err)
				assert.Equal(t, tc.reason, freebusy.ReasonOf(err), "%v", err)
				if tc.reason == freebusy.ReasonUnavailable {
					assert.ErrorIs(t, err, freebusy.ErrInvalid, "the cause is a *DecodeError")
					assert.Equal(t, uint64(DefaultMaxAttempts-1), c.Stats().Retries)
				}
			})
		})
	}
}

// dirFunc is a router.Resolver.
type dirFunc func(attendee string) (side, address string, err error)

func (f dirFunc) Resolve(_ context.Context, a string) (string, string, error) { return f(a) }

// Two gateways pointed at each other: here, one worker whose router sends
// every attendee back across NATS to its own subject. The hop count
// crosses each pass, and the router ends the loop after its maximum.
func TestHopLoopEnds(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ns := bubbleNATS(t)
		back := bubbleClient(t, ns) // the gateway's link to "the other half": itself
		var passes atomic.Int32
		loop, err := router.New(dirFunc(func(a string) (string, string, error) { return "other", a, nil }),
			map[string]freebusy.Source{"other": freebusy.SourceFunc(func(ctx context.Context, q freebusy.Query) ([]freebusy.Schedule, error) {
				passes.Add(1)
				return back.FreeBusy(ctx, q)
			})})
		require.NoError(t, err)
		bubbleWorker(t, ns, loop)
		c := bubbleClient(t, ns)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		out, err := c.FreeBusy(ctx, testQuery(2))
		require.NoError(t, err, "a loop is the attendees' failure, not the call's")
		for _, s := range out {
			require.NotNil(t, s.Err, s.Attendee)
			assert.Equal(t, freebusy.ReasonInvalid, s.Err.Reason)
			assert.Contains(t, s.Err.Message, "too many gateway hops")
		}
		assert.Equal(t, int32(router.DefaultMaxHops), passes.Load(), "each router forwarded once until the limit")
		assert.Zero(t, c.Stats().Retries+back.Stats().Retries, "invalid is not retried")
	})
}

// The envelope's JSON is what the package documentation shows.
func TestEnvelopeJSON(t *testing.T) {
	q := freebusy.Query{Attendees: []string{"a@example.com"}, Start: t0, End: t0.Add(24 * time.Hour), Granularity: 15 * time.Minute}
	b, err := encodeRequest(q)
	require.NoError(t, err)
	assert.JSONEq(t, `{"v":1,"attendees":["a@example.com"],"start":"2026-03-02T00:00:00Z","end":"2026-03-03T00:00:00Z","granularityMinutes":15}`, string(b))

	b, err = encodeAnswer(nil, &freebusy.Error{Reason: freebusy.ReasonThrottled, Message: "slow down", RetryAfter: 1500 * time.Millisecond, Cause: context.Canceled})
	require.NoError(t, err)
	assert.JSONEq(t, `{"v":1,"error":{"reason":"throttled","message":"slow down","retryAfterMs":1500}}`, string(b))

	out, err := staticSource(context.Background(), freebusy.Query{Attendees: []string{"a@example.com"}, Start: t0, End: t0.Add(24 * time.Hour)})
	require.NoError(t, err)
	b, err = encodeAnswer(out, nil)
	require.NoError(t, err)
	var generic map[string]any
	require.NoError(t, json.Unmarshal(b, &generic))
	assert.Equal(t, float64(1), generic["v"])
	assert.Len(t, generic["schedules"], 1)
	assert.NotContains(t, generic, "error")
}
