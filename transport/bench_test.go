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
