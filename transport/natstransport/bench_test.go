package natstransport

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/stretchr/testify/require"

	"github.com/calbridge/calbridge/freebusy"
	"github.com/calbridge/calbridge/internal/linktest"
	"github.com/calbridge/calbridge/internal/sample"
)

// The benchmarks mirror transport's BenchmarkRPCCall and
// BenchmarkRPCCallParallel (transport/bench_test.go): the same 5-attendee
// query and answer (testQuery, staticSource), over loopback TCP, with a
// NATS server in the process where transport has its Server. Everything
// is on: heartbeats (one per second per running query), the liveness
// timer, the deadline header. A call makes two NATS hops each way (client
// to NATS server to worker, and back) and the worker also sends an ack,
// so it does more than the point-to-point RPC link by design.

// benchLink starts a worker serving src and a Client, both connected to
// ns with opts, makes one call of q outside the timer, and returns the
// Client.
func benchLink(b *testing.B, ns *server.Server, src freebusy.Source, q freebusy.Query, opts ...Option) *Client {
	var serverOpts []ServerOption
	var clientOpts []ClientOption
	for _, o := range opts {
		serverOpts, clientOpts = append(serverOpts, o), append(clientOpts, o)
	}
	w, err := NewServer([]string{ns.ClientURL()}, src, serverOpts...)
	require.NoError(b, err)
	b.Cleanup(func() { _ = w.Close() })
	c, err := NewClient([]string{ns.ClientURL()}, clientOpts...)
	require.NoError(b, err)
	b.Cleanup(func() { _ = c.Close() })
	_, err = c.FreeBusy(context.Background(), q) // warm up outside the timer
	require.NoError(b, err)
	return c
}

func benchClient(b *testing.B) *Client {
	return benchLink(b, startNATS(b, 0), staticSource, testQuery(5))
}

func BenchmarkNATSCall(b *testing.B) { linktest.Calls(b, benchClient(b), testQuery(5)) }

func BenchmarkNATSCallParallel(b *testing.B) {
	linktest.ParallelCalls(b, benchClient(b), testQuery(5))
}

// benchWeekClient is benchClient over the gateway benchmarks' load: 100
// attendees, a week of back-to-back meetings (internal/sample), with
// the compact form on or off at both ends. The NATS server takes
// messages of up to 8 MB, so that the JSON answers are not refused.
func benchWeekClient(b *testing.B, compact bool) (*Client, freebusy.Query) {
	ns := runNATS(b, &server.Options{Host: "127.0.0.1", Port: server.RANDOM_PORT, NoLog: true, NoSigs: true, MaxPayload: 8 << 20}, 10*time.Second)
	q, ss := sample.Load100x7d(true)
	return benchLink(b, ns, sample.LoadSource(ss), q, WithCompactSchedules(compact)), q
}

// BenchmarkNATSCall100x7d is a week of 100 calendars (the load of
// BenchmarkRPCLeg100x7d in package transport) across NATS in the compact
// form, the default.
func BenchmarkNATSCall100x7d(b *testing.B) {
	c, q := benchWeekClient(b, true)
	linktest.Calls(b, c, q)
}

// BenchmarkNATSCall100x7dJSON is BenchmarkNATSCall100x7d with the compact
// form off: the schedules travel as JSON.
func BenchmarkNATSCall100x7dJSON(b *testing.B) {
	c, q := benchWeekClient(b, false)
	linktest.Calls(b, c, q)
}
