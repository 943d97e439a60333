package transporttest_test

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/calbridge/calbridge/transport/transporttest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// memPair dials a fresh in-memory listener and returns both ends.
func memPair(t *testing.T) (client, server net.Conn) {
	t.Helper()
	n := transporttest.NewNetwork()
	l, err := n.Listen("")
	require.NoError(t, err)
	t.Cleanup(func() { _ = l.Close() })
	client, err = n.DialContext(context.Background(), "tcp", l.Addr().String())
	require.NoError(t, err)
	server, err = l.Accept()
	require.NoError(t, err)
	t.Cleanup(func() { _ = client.Close(); _ = server.Close() })
	return client, server
}

func TestNetworkWritesAreBuffered(t *testing.T) {
	client, server := memPair(t)
	// Unlike net.Pipe, a write completes with nobody reading.
	n, err := client.Write([]byte("hello"))
	require.NoError(t, err)
	assert.Equal(t, 5, n)
	buf := make([]byte, 16)
	n, err = server.Read(buf)
	require.NoError(t, err)
	assert.Equal(t, "hello", string(buf[:n]))
}

// patience bounds how long a test waits for something that must happen:
// generous, so that a loaded machine cannot fail a test that is right, and
// only ever reached when the code under test is wrong.
const patience = 10 * time.Second

func TestNetworkReadDeadline(t *testing.T) {
	client, server := memPair(t)
	// What the code controls is that the read does not return before the
	// deadline it was given; how late after it the read returns is up to
	// the scheduler, so that bound is only a generous one.
	deadline := time.Now().Add(50 * time.Millisecond)
	require.NoError(t, client.SetReadDeadline(deadline))
	_, err := client.Read(make([]byte, 1))
	returned := time.Now()
	require.Error(t, err)
	assert.ErrorIs(t, err, os.ErrDeadlineExceeded)
	var ne net.Error
	require.ErrorAs(t, err, &ne)
	assert.True(t, ne.Timeout())
	assert.False(t, returned.Before(deadline), "the read returned %v before its deadline", deadline.Sub(returned))
	assert.Less(t, returned.Sub(deadline), patience)

	// Clearing the deadline makes reads block again, until data arrives.
	require.NoError(t, client.SetReadDeadline(time.Time{}))
	got := make(chan error, 1)
	go func() { _, err := client.Read(make([]byte, 1)); got <- err }()
	select {
	case err := <-got:
		t.Fatalf("read returned %v with no deadline and no data", err)
	case <-time.After(80 * time.Millisecond):
	}
	_, err = server.Write([]byte("x"))
	require.NoError(t, err)
	assert.NoError(t, <-got)
}

func TestNetworkDeadlineInPastAndReset(t *testing.T) {
	client, server := memPair(t)
	require.NoError(t, client.SetReadDeadline(time.Now().Add(-time.Second)))
	_, err := client.Read(make([]byte, 1))
	require.ErrorIs(t, err, os.ErrDeadlineExceeded)
	require.NoError(t, client.SetReadDeadline(time.Time{}))
	go func() { _, _ = server.Write([]byte("x")) }()
	n, err := client.Read(make([]byte, 1))
	require.NoError(t, err)
	assert.Equal(t, 1, n)
}

func TestNetworkWriteBlocksWhenFullAndHonoursDeadline(t *testing.T) {
	client, server := memPair(t)
	require.NoError(t, client.SetWriteDeadline(time.Now().Add(50*time.Millisecond)))
	big := make([]byte, transporttest.DefaultPipeBuffer+100)
	n, err := client.Write(big)
	require.ErrorIs(t, err, os.ErrDeadlineExceeded)
	assert.Equal(t, transporttest.DefaultPipeBuffer, n, "a timed-out write reports what it queued")
	got, err := io.ReadFull(server, make([]byte, n))
	require.NoError(t, err)
	assert.Equal(t, n, got)
}

func TestNetworkCloseGivesPeerEOFAndEPIPE(t *testing.T) {
	client, server := memPair(t)
	_, err := client.Write([]byte("bye"))
	require.NoError(t, err)
	require.NoError(t, client.Close())
	data, err := io.ReadAll(server)
	require.NoError(t, err, "buffered bytes drain before EOF")
	assert.Equal(t, "bye", string(data))
	_, err = server.Write([]byte("x"))
	assert.ErrorIs(t, err, syscall.EPIPE)
	_, err = client.Read(make([]byte, 1))
	assert.ErrorIs(t, err, net.ErrClosed)
	assert.ErrorIs(t, client.Close(), net.ErrClosed, "second Close reports it")
}

func TestNetworkCloseUnblocksReaderAndWriter(t *testing.T) {
	client, _ := memPair(t)
	errs := make(chan error, 2)
	go func() { _, err := client.Read(make([]byte, 1)); errs <- err }()
	go func() { _, err := client.Write(make([]byte, 2*transporttest.DefaultPipeBuffer)); errs <- err }()
	time.Sleep(20 * time.Millisecond)
	require.NoError(t, client.Close())
	for range 2 {
		select {
		case err := <-errs:
			assert.ErrorIs(t, err, net.ErrClosed)
		case <-time.After(patience):
			t.Fatal("Close left a call blocked")
		}
	}
}

func TestNetworkHalfClose(t *testing.T) {
	client, server := memPair(t)
	cw, ok := client.(interface{ CloseWrite() error })
	require.True(t, ok, "in-memory conns half-close like *net.TCPConn")
	require.NoError(t, cw.CloseWrite())
	_, err := server.Read(make([]byte, 1))
	assert.ErrorIs(t, err, io.EOF)
	_, err = server.Write([]byte("still"))
	require.NoError(t, err, "the other direction stays open")
	buf := make([]byte, 8)
	n, err := client.Read(buf)
	require.NoError(t, err)
	assert.Equal(t, "still", string(buf[:n]))
	_, err = client.Write([]byte("x"))
	assert.Error(t, err, "writing after CloseWrite fails")

	cr, ok := server.(interface{ CloseRead() error })
	require.True(t, ok)
	require.NoError(t, cr.CloseRead())
	_, err = server.Write([]byte("y"))
	require.NoError(t, err, "server's own direction is unaffected by its CloseRead")
}

func TestNetworkDialRefusedAndAddrInUse(t *testing.T) {
	n := transporttest.NewNetwork()
	_, err := n.DialContext(context.Background(), "tcp", "nobody")
	assert.ErrorIs(t, err, syscall.ECONNREFUSED)

	l, err := n.Listen("svc")
	require.NoError(t, err)
	assert.Equal(t, "svc", l.Addr().String())
	assert.Equal(t, "mem", l.Addr().Network())
	_, err = n.Listen("svc")
	assert.ErrorIs(t, err, syscall.EADDRINUSE)

	// A connection queued but not accepted when the listener closes is closed.
	c, err := n.DialContext(context.Background(), "tcp", "svc")
	require.NoError(t, err)
	require.NoError(t, l.Close())
	_, err = c.Read(make([]byte, 1))
	assert.ErrorIs(t, err, io.EOF)
	_, err = n.DialContext(context.Background(), "tcp", "svc")
	assert.ErrorIs(t, err, syscall.ECONNREFUSED, "closing frees the address")
	_, err = l.Accept()
	assert.ErrorIs(t, err, net.ErrClosed)
	require.NoError(t, c.Close())

	l2, err := n.Listen("svc")
	require.NoError(t, err, "the address can be reused")
	require.NoError(t, l2.Close())
}

func TestNetworkDialHonoursContext(t *testing.T) {
	n := transporttest.NewNetwork()
	l, err := n.Listen("")
	require.NoError(t, err)
	defer l.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = n.DialContext(ctx, "tcp", l.Addr().String())
	assert.ErrorIs(t, err, context.Canceled)

	// Fill the backlog: the next dial blocks until its context ends.
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			_ = c.Close()
		}
	}()
	for {
		// A timeout could expire before a dial that has room even looks
		// at it; a context that ends only once the dial waits on it
		// cannot.
		c, err := n.DialContext(&endsWhenWaited{Context: context.Background()}, "tcp", l.Addr().String())
		if err != nil {
			assert.ErrorIs(t, err, context.Canceled)
			break
		}
		conns = append(conns, c)
		require.Less(t, len(conns), 1000, "the backlog must be bounded")
	}
	assert.Greater(t, len(conns), 1)
}

// endsWhenWaited is a context that is cancelled as soon as someone asks for
// its Done channel, that is, as soon as someone waits on it: a dial given it
// succeeds while the backlog has room and fails, without any clock, the
// first time it would block.
type endsWhenWaited struct {
	context.Context
	mu   sync.Mutex
	done chan struct{}
}

func (c *endsWhenWaited) Done() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.done == nil {
		c.done = make(chan struct{})
		close(c.done)
	}
	return c.done
}

func (c *endsWhenWaited) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.done != nil {
		return context.Canceled
	}
	return nil
}

func TestNetworkAcceptBlocksUntilDial(t *testing.T) {
	n := transporttest.NewNetwork()
	l, err := n.Listen("x:0")
	require.NoError(t, err)
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := l.Accept()
		if err == nil {
			accepted <- c
		}
		close(accepted)
	}()
	c, err := n.DialContext(context.Background(), "tcp", l.Addr().String())
	require.NoError(t, err)
	s := <-accepted
	require.NotNil(t, s)
	assert.Equal(t, c.LocalAddr().String(), s.RemoteAddr().String())
	assert.Equal(t, s.LocalAddr().String(), c.RemoteAddr().String())
	_ = c.Close()
	_ = s.Close()
	_ = l.Close()
}

func TestDialerFuncAndRecorder(t *testing.T) {
	boom := errors.New("boom")
	rec := &transporttest.DialRecorder{Dialer: transporttest.DialerFunc(func(ctx context.Context, network, addr string) (net.Conn, error) {
		return nil, boom
	})}
	for range 3 {
		_, err := rec.DialContext(context.Background(), "tcp", "a:1")
		assert.ErrorIs(t, err, boom)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	got := rec.WaitAttempts(ctx, 3)
	require.Len(t, got, 3)
	for i, a := range got {
		assert.Equal(t, "a:1", a.Addr)
		assert.ErrorIs(t, a.Err, boom)
		if i > 0 {
			assert.False(t, a.Start.Before(got[i-1].Start))
		}
	}
	// WaitAttempts returns what it has when ctx ends.
	short, cancel2 := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel2()
	assert.Len(t, rec.WaitAttempts(short, 10), 3)
}
