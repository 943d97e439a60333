package natstransport

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/calbridge/calbridge/internal/linktest"
)

// The benchmarks mirror transport's BenchmarkRPCCall and
// BenchmarkRPCCallParallel (transport/bench_test.go): the same 5-attendee
// query and answer (testQuery, staticSource), over loopback TCP, with a
// NATS server in the process where transport has its Server. Everything
// is on: heartbeats (one per second per running query), the liveness
// timer, the deadline header. A call makes two NATS hops each way (client
// to NATS server to worker, and back) and the worker also sends an ack,
// so it does more than the point-to-point RPC link by design.

func benchClient(b *testing.B) *Client {
	ns := startNATS(b, 0)
	w, err := NewServer([]string{ns.ClientURL()}, staticSource)
	require.NoError(b, err)
	b.Cleanup(func() { _ = w.Close() })
	c, err := NewClient([]string{ns.ClientURL()})
	require.NoError(b, err)
	b.Cleanup(func() { _ = c.Close() })
	_, err = c.FreeBusy(context.Background(), testQuery(5)) // warm up outside the timer
	require.NoError(b, err)
	return c
}

func BenchmarkNATSCall(b *testing.B) { linktest.Calls(b, benchClient(b), testQuery(5)) }

func BenchmarkNATSCallParallel(b *testing.B) {
	linktest.ParallelCalls(b, benchClient(b), testQuery(5))
}
