package transport

import (
	"context"
	"net"
	"net/rpc"
	"net/rpc/jsonrpc"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/calbridge/calbridge/freebusy"
	"github.com/calbridge/calbridge/internal/linktest"
)

// The benchmarks compare the Client with its floor, the standard library's
// net/rpc with net/rpc/jsonrpc carrying the same 5-attendee query and
// answer over loopback TCP (docs/reconnect.md §7). The Client runs with
// everything on: heartbeats, write deadlines, the default call timeout.

func benchClient(b *testing.B) *Client {
	_, addr := startServer(b, staticSource)
	c, err := NewClient([]string{addr}, WithHeartbeat(time.Second, time.Second))
	require.NoError(b, err)
	b.Cleanup(func() { _ = c.Close() })
	_, err = c.FreeBusy(context.Background(), testQuery(5)) // connect outside the timer
	require.NoError(b, err)
	return c
}

func BenchmarkRPCCall(b *testing.B) { linktest.Calls(b, benchClient(b), testQuery(5)) }

func BenchmarkRPCCallParallel(b *testing.B) {
	linktest.ParallelCalls(b, benchClient(b), testQuery(5))
}

// NetRPCFreeBusy is the net/rpc service of the floor benchmarks.
type NetRPCFreeBusy struct{ src freebusy.Source }

// NetRPCReply is calbridge.freebusy's result (freeBusyResult) under a name
// net/rpc accepts: it registers only methods whose types are exported.
type NetRPCReply freeBusyResult

// FreeBusy answers q like the Server does.
func (s *NetRPCFreeBusy) FreeBusy(q freebusy.Query, reply *NetRPCReply) error {
	out, err := s.src.FreeBusy(context.Background(), q)
	reply.Schedules = out
	return err
}

func netRPCClient(b *testing.B) *rpc.Client {
	srv := rpc.NewServer()
	require.NoError(b, srv.Register(&NetRPCFreeBusy{src: staticSource}))
	addr := fakeServer(b, func(nc net.Conn) { srv.ServeCodec(jsonrpc.NewServerCodec(nc)) })
	c, err := jsonrpc.Dial("tcp", addr)
	require.NoError(b, err)
	b.Cleanup(func() { _ = c.Close() })
	return c
}

func BenchmarkNetRPCJSONCall(b *testing.B) {
	c := netRPCClient(b)
	q := testQuery(5)
	b.ReportAllocs()
	b.ResetTimer()
	defer linktest.ReportCPU(b, linktest.ProcessCPU())
	for b.Loop() {
		var res NetRPCReply
		if err := c.Call("NetRPCFreeBusy.FreeBusy", q, &res); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkNetRPCJSONCallParallel(b *testing.B) {
	c := netRPCClient(b)
	q := testQuery(5)
	b.ReportAllocs()
	b.ResetTimer()
	defer linktest.ReportCPU(b, linktest.ProcessCPU())
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			var res NetRPCReply
			if err := c.Call("NetRPCFreeBusy.FreeBusy", q, &res); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkRPCRecovery measures the time from a server's restart (on the
// same address, after its connections were closed) to the client's first
// successful call, with the default options and a caller retrying every
// millisecond (docs/reconnect.md §9 T1). It is bounded by the eager retry
// interval and the first backoff step (both 1 s by default), not by the
// length of the outage.
func BenchmarkRPCRecovery(b *testing.B) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(b, err)
	addr := l.Addr().String()
	serve := func(l net.Listener) (*Server, chan struct{}) {
		s := newServer(b, staticSource)
		done := make(chan struct{})
		go func() { defer close(done); _ = s.Serve(l) }()
		return s, done
	}
	s, done := serve(l)
	c, err := NewClient([]string{addr})
	require.NoError(b, err)
	defer func() { _ = c.Close() }()
	q := testQuery(5)
	ctx := context.Background()
	_, err = c.FreeBusy(ctx, q)
	require.NoError(b, err)

	b.ReportAllocs()
	var total time.Duration
	for b.Loop() {
		require.NoError(b, s.Close())
		<-done
		for c.State() == Ready {
			time.Sleep(time.Millisecond)
		}
		var l net.Listener
		for {
			if l, err = net.Listen("tcp", addr); err == nil {
				break
			}
			time.Sleep(time.Millisecond)
		}
		s, done = serve(l)
		start := time.Now()
		for {
			if _, err := c.FreeBusy(ctx, q); err == nil {
				break
			}
			time.Sleep(time.Millisecond)
		}
		total += time.Since(start)
	}
	b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms-to-recover")
	require.NoError(b, s.Close())
	<-done
}

// BenchmarkRPCCallVsNetRPC alternates single calls between the Client and
// its floor (net/rpc + jsonrpc, same payload) and reports the ratio of
// their call rates, "x-floor" (≥ 0.9 is the target). Alternating call by
// call makes the ratio robust to the load swings of a shared machine, which
// distort the separate benchmarks' ns/op far more than either design does.
func BenchmarkRPCCallVsNetRPC(b *testing.B) {
	c := benchClient(b)
	floor := netRPCClient(b)
	q := testQuery(5)
	ctx := context.Background()
	var ours, theirs time.Duration
	b.ReportAllocs()
	for b.Loop() {
		t0 := time.Now()
		if _, err := c.FreeBusy(ctx, q); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		var res NetRPCReply
		if err := floor.Call("NetRPCFreeBusy.FreeBusy", q, &res); err != nil {
			b.Fatal(err)
		}
		ours += t1.Sub(t0)
		theirs += time.Since(t1)
	}
	b.ReportMetric(float64(ours)/float64(b.N), "ns/call")
	b.ReportMetric(float64(theirs)/float64(b.N), "floor-ns/call")
	b.ReportMetric(float64(theirs)/float64(ours), "x-floor")
}

// BenchmarkRPCCallParallelVsNetRPC does the same for concurrent callers:
// rounds of 16 calls spread over GOMAXPROCS·2 goroutines, alternating
// between the Client and the floor.
func BenchmarkRPCCallParallelVsNetRPC(b *testing.B) {
	c := benchClient(b)
	floor := netRPCClient(b)
	q := testQuery(5)
	ctx := context.Background()
	workers := 2 * runtime.GOMAXPROCS(0)
	const perRound = 16
	round := func(call func() error) time.Duration {
		var wg sync.WaitGroup
		var next atomic.Int64
		start := time.Now()
		for range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for next.Add(1) <= perRound {
					if err := call(); err != nil {
						b.Error(err)
						return
					}
				}
			}()
		}
		wg.Wait()
		return time.Since(start)
	}
	oursCall := func() error { _, err := c.FreeBusy(ctx, q); return err }
	floorCall := func() error {
		var res NetRPCReply
		return floor.Call("NetRPCFreeBusy.FreeBusy", q, &res)
	}
	var ours, theirs time.Duration
	b.ReportAllocs()
	for b.Loop() {
		ours += round(oursCall)
		theirs += round(floorCall)
	}
	b.ReportMetric(float64(ours)/float64(b.N*perRound), "ns/call")
	b.ReportMetric(float64(theirs)/float64(b.N*perRound), "floor-ns/call")
	b.ReportMetric(float64(theirs)/float64(ours), "x-floor")
}

// rpcLegClient serves the week load of n attendees from memory and returns
// a connected client and the query.
func rpcLegClient(b *testing.B, n int, opts ...ClientOption) (*Client, freebusy.Query) {
	q, ss := weekLoad(n)
	_, addr := startServer(b, newMemorySource(ss))
	c, err := NewClient([]string{addr}, append([]ClientOption{WithHeartbeat(time.Second, time.Second)}, opts...)...)
	require.NoError(b, err)
	b.Cleanup(func() { _ = c.Close() })
	_, err = c.FreeBusy(context.Background(), q) // connect outside the timer
	require.NoError(b, err)
	return c, q
}

// BenchmarkRPCLeg100x7d is the RPC leg of the gateway path (issue 14): one
// call for 100 attendees over 7 days, Client -> loopback TCP -> Server ->
// in-memory Source and back, carrying what an EWS FreeBusyMerged answer at
// 30 minutes carries (weekLoad).
func BenchmarkRPCLeg100x7d(b *testing.B) {
	c, q := rpcLegClient(b, 100)
	benchRPCLeg(b, c, q)
}

// benchRPCLeg runs the calls of an RPC leg benchmark. Besides the CPU per
// call it reports the retries per call, which must be zero: a call that
// succeeds only on a fresh connection is not a fast call.
func benchRPCLeg(b *testing.B, c *Client, q freebusy.Query) {
	ctx := context.Background()
	before := c.Stats()
	b.ReportAllocs()
	b.ResetTimer()
	defer linktest.ReportCPU(b, linktest.ProcessCPU())
	for b.Loop() {
		if _, err := c.FreeBusy(ctx, q); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(c.Stats().Retries-before.Retries)/float64(b.N), "retries/op")
}

// BenchmarkRPCLeg100x7dJSON is BenchmarkRPCLeg100x7d with the compact
// form switched off: the results travel in the JSON form, as they do to a
// client or from a server that does not speak the compact form.
func BenchmarkRPCLeg100x7dJSON(b *testing.B) {
	c, q := rpcLegClient(b, 100, WithCompactSchedules(false))
	benchRPCLeg(b, c, q)
}

// The codecs of the RPC leg alone, on the week load: the compact form's
// appender and decoder, and the JSON form written by hand beside
// encoding/json writing the same bytes.

func BenchmarkCompactEncode100x7d(b *testing.B) {
	_, ss := weekLoad(100)
	benchCompactEncode(b, ss)
}

func BenchmarkCompactDecode100x7d(b *testing.B) {
	_, ss := weekLoad(100)
	benchCompactDecode(b, ss)
}

// benchCompactEncode measures AppendCompactSchedules writing ss into a
// reused buffer.
func benchCompactEncode(b *testing.B, ss []freebusy.Schedule) {
	buf, err := AppendCompactSchedules(nil, ss)
	require.NoError(b, err)
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		buf, _ = AppendCompactSchedules(buf[:0], ss)
	}
}

// benchCompactDecode measures the decoder reading ss's compact form, as
// the client does with the query's attendee count.
func benchCompactDecode(b *testing.B, ss []freebusy.Schedule) {
	data, err := AppendCompactSchedules(nil, ss)
	require.NoError(b, err)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := decodeCompactSchedules(data, len(ss), nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkJSONFormEncode100x7d(b *testing.B) {
	_, ss := weekLoad(100)
	buf, err := appendJSONResult(nil, ss)
	require.NoError(b, err)
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		buf, _ = appendJSONResult(buf[:0], ss)
	}
}

func BenchmarkJSONFormEncodingJSON100x7d(b *testing.B) {
	_, ss := weekLoad(100)
	e := getEncoder()
	defer putEncoder(e)
	require.NoError(b, e.value(freeBusyResult{Schedules: ss}))
	b.SetBytes(int64(len(e.buf)))
	b.ReportAllocs()
	for b.Loop() {
		e.buf = e.buf[:0]
		if err := e.value(freeBusyResult{Schedules: ss}); err != nil {
			b.Fatal(err)
		}
	}
}

// statusWeekLoad is the week load as a status query answers it (what the
// gateway's EWS FreeBusyMerged path carries): the schedules of weekLoad
// without their events.
func statusWeekLoad(n int) []freebusy.Schedule {
	_, ss := weekLoad(n)
	for i := range ss {
		ss[i].Events = nil
	}
	return ss
}

func BenchmarkCompactEncodeStatus100x7d(b *testing.B) { benchCompactEncode(b, statusWeekLoad(100)) }

func BenchmarkCompactDecodeStatus100x7d(b *testing.B) { benchCompactDecode(b, statusWeekLoad(100)) }

// BenchmarkRPCLeg100x7dInto is BenchmarkRPCLeg100x7d through
// Client.FreeBusyInto, with one freebusy.ScheduleBuffer Reset after each
// call, as the EWS and Graph handlers lend theirs: the schedules,
// intervals and events of the answer reuse the memory of the one before.
func BenchmarkRPCLeg100x7dInto(b *testing.B) {
	c, q := rpcLegClient(b, 100)
	ctx := context.Background()
	var buf freebusy.ScheduleBuffer
	b.ReportAllocs()
	b.ResetTimer()
	defer linktest.ReportCPU(b, linktest.ProcessCPU())
	for b.Loop() {
		if _, err := c.FreeBusyInto(ctx, q, &buf); err != nil {
			b.Fatal(err)
		}
		buf.Reset()
	}
}
