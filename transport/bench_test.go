package transport

import (
	"context"
	"net"
	"net/rpc"
	"net/rpc/jsonrpc"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/calbridge/calbridge/freebusy"
)

// The benchmarks compare the Client with its floor, the standard library's
// net/rpc with net/rpc/jsonrpc carrying the same 5-attendee query and
// answer over loopback TCP (reconnect-rpc.md §7). The Client runs with
// everything on: heartbeats, write deadlines, the default call timeout.

// reportCPU reports the process CPU time per operation since start.
func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64(processCPU()-start)/float64(b.N), "cpu-ns/op")
}

func benchClient(b *testing.B) *Client {
	_, addr := startServer(b, staticSource)
	c, err := NewClient([]string{addr}, WithHeartbeat(time.Second, time.Second))
	require.NoError(b, err)
	b.Cleanup(func() { _ = c.Close() })
	_, err = c.FreeBusy(context.Background(), testQuery(5)) // connect outside the timer
	require.NoError(b, err)
	return c
}

func BenchmarkRPCCall(b *testing.B) {
	c := benchClient(b)
	q := testQuery(5)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	defer reportCPU(b, processCPU())
	for b.Loop() {
		if _, err := c.FreeBusy(ctx, q); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRPCCallParallel(b *testing.B) {
	c := benchClient(b)
	q := testQuery(5)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	defer reportCPU(b, processCPU())
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := c.FreeBusy(ctx, q); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// NetRPCFreeBusy is the net/rpc service of the floor benchmarks.
type NetRPCFreeBusy struct{ src freebusy.Source }

// FreeBusy answers q like the Server does.
func (s *NetRPCFreeBusy) FreeBusy(q freebusy.Query, reply *FreeBusyResult) error {
	out, err := s.src.FreeBusy(context.Background(), q)
	reply.Schedules = out
	return err
}

func netRPCClient(b *testing.B) *rpc.Client {
	srv := rpc.NewServer()
	require.NoError(b, srv.Register(&NetRPCFreeBusy{src: staticSource}))
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(b, err)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			nc, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, nc)
			mu.Unlock()
			wg.Add(1)
			go func() { defer wg.Done(); srv.ServeCodec(jsonrpc.NewServerCodec(nc)) }()
		}
	}()
	c, err := jsonrpc.Dial("tcp", l.Addr().String())
	require.NoError(b, err)
	b.Cleanup(func() {
		_ = c.Close()
		_ = l.Close()
		mu.Lock()
		for _, nc := range conns {
			_ = nc.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return c
}

func BenchmarkNetRPCJSONCall(b *testing.B) {
	c := netRPCClient(b)
	q := testQuery(5)
	b.ReportAllocs()
	b.ResetTimer()
	defer reportCPU(b, processCPU())
	for b.Loop() {
		var res FreeBusyResult
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
	defer reportCPU(b, processCPU())
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			var res FreeBusyResult
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
// millisecond (reconnect-rpc.md §9 T1). It is bounded by the eager retry
// interval and the first backoff step (both 1 s by default), not by the
// length of the outage.
func BenchmarkRPCRecovery(b *testing.B) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(b, err)
	addr := l.Addr().String()
	serve := func(l net.Listener) (*Server, chan struct{}) {
		s := NewServer(staticSource)
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
