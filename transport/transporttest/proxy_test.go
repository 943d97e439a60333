package transporttest_test

import (
	"bufio"
	"errors"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/calbridge/calbridge/transport/transporttest"
)

// lineServer is a loopback TCP server for proxy tests: for each line "N" it
// writes N bytes of 'x'; any other line is echoed.
type lineServer struct {
	ln    net.Listener
	wg    sync.WaitGroup
	mu    sync.Mutex
	conns []net.Conn
}

func startLineServer(t *testing.T) *lineServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	s := &lineServer{ln: ln}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			s.conns = append(s.conns, c)
			s.mu.Unlock()
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				sc := bufio.NewScanner(c)
				for sc.Scan() {
					line := sc.Text()
					if n, err := strconv.Atoi(line); err == nil {
						_, err = c.Write([]byte(strings.Repeat("x", n)))
						if err != nil {
							return
						}
						continue
					}
					if _, err := c.Write([]byte(line + "\n")); err != nil {
						return
					}
				}
			}()
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		s.mu.Lock()
		for _, c := range s.conns {
			_ = c.Close()
		}
		s.mu.Unlock()
		s.wg.Wait()
	})
	return s
}

func newProxy(t *testing.T, target string) *transporttest.Proxy {
	t.Helper()
	p, err := transporttest.NewProxy(target)
	require.NoError(t, err)
	t.Cleanup(func() { _ = p.Close() })
	return p
}

func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, patience)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// echo sends a line and reads the echo, with a deadline.
func echo(c net.Conn, line string, timeout time.Duration) (string, error) {
	_ = c.SetDeadline(time.Now().Add(timeout))
	if _, err := c.Write([]byte(line + "\n")); err != nil {
		return "", err
	}
	got, err := bufio.NewReader(c).ReadString('\n')
	return strings.TrimSuffix(got, "\n"), err
}

func TestProxyForwards(t *testing.T) {
	s := startLineServer(t)
	p := newProxy(t, s.ln.Addr().String())
	c := dial(t, p.Addr())
	got, err := echo(c, "hello", patience)
	require.NoError(t, err)
	assert.Equal(t, "hello", got)
	assert.Equal(t, 1, p.Connections())
	assert.Equal(t, 1, p.Accepted())
	assert.Equal(t, transporttest.Fault{}, p.Fault())
}

func TestProxyRefuse(t *testing.T) {
	s := startLineServer(t)
	p := newProxy(t, s.ln.Addr().String())
	live := dial(t, p.Addr())
	// A dial returns once the kernel accepted, maybe before the proxy did;
	// closing the listener would then reset it. An echo makes it live.
	_, err := echo(live, "warm", patience)
	require.NoError(t, err)
	require.NoError(t, p.SetFault(transporttest.Fault{Refuse: true}))
	_, err = net.DialTimeout("tcp", p.Addr(), patience)
	assert.ErrorIs(t, err, syscall.ECONNREFUSED)
	got, err := echo(live, "still here", patience)
	require.NoError(t, err, "Refuse leaves live connections alone")
	assert.Equal(t, "still here", got)

	require.NoError(t, p.SetFault(transporttest.Fault{}))
	c := dial(t, p.Addr()) // the same address listens again
	got, err = echo(c, "back", patience)
	require.NoError(t, err)
	assert.Equal(t, "back", got)
}

func TestProxyBlackHole(t *testing.T) {
	s := startLineServer(t)
	p := newProxy(t, s.ln.Addr().String())
	live := dial(t, p.Addr())
	_, err := echo(live, "warm", patience)
	require.NoError(t, err)

	require.NoError(t, p.SetFault(transporttest.Fault{BlackHole: true}))
	_, err = echo(live, "lost", 150*time.Millisecond)
	assert.ErrorIs(t, err, os.ErrDeadlineExceeded, "nothing comes back, nothing is closed")
	fresh := dial(t, p.Addr()) // accepted by the kernel...
	_, err = echo(fresh, "hello?", 150*time.Millisecond)
	assert.ErrorIs(t, err, os.ErrDeadlineExceeded, "...but never answered")
	require.Eventually(t, func() bool { return p.Accepted() == 2 }, patience, 5*time.Millisecond,
		"the kernel accepted fresh before the proxy did")
	assert.Equal(t, 2, p.Connections(), "a black hole closes nothing")

	require.NoError(t, p.SetFault(transporttest.Fault{}))
	c := dial(t, p.Addr())
	got, err := echo(c, "healed", patience)
	require.NoError(t, err)
	assert.Equal(t, "healed", got)
	_, err = echo(fresh, "still?", 150*time.Millisecond)
	assert.ErrorIs(t, err, os.ErrDeadlineExceeded, "a connection accepted into the black hole stays dead")
}

func TestProxyReset(t *testing.T) {
	s := startLineServer(t)
	p := newProxy(t, s.ln.Addr().String())
	live := dial(t, p.Addr())
	_, err := echo(live, "warm", patience)
	require.NoError(t, err)

	require.NoError(t, p.SetFault(transporttest.Fault{Reset: true}))
	_, err = echo(live, "gone", patience)
	assert.ErrorIs(t, err, syscall.ECONNRESET)
	// A new connection is reset right after accept; on loopback the RST
	// can even beat connect's return.
	fresh, err := net.DialTimeout("tcp", p.Addr(), patience)
	if err == nil {
		defer fresh.Close()
		_, err = echo(fresh, "gone too", patience)
	}
	require.Error(t, err)
	assert.True(t, errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE), "got %v", err)
	assert.Eventually(t, func() bool { return p.Connections() == 0 }, patience, 5*time.Millisecond)
}

func TestProxyResetAll(t *testing.T) {
	s := startLineServer(t)
	p := newProxy(t, s.ln.Addr().String())
	live := dial(t, p.Addr())
	_, err := echo(live, "warm", patience)
	require.NoError(t, err)
	p.ResetAll()
	_, err = echo(live, "gone", patience)
	assert.ErrorIs(t, err, syscall.ECONNRESET)
	c := dial(t, p.Addr())
	got, err := echo(c, "new ones work", patience)
	require.NoError(t, err, "ResetAll is not a lasting fault")
	assert.Equal(t, "new ones work", got)
}

func TestProxyDropAll(t *testing.T) {
	s := startLineServer(t)
	p := newProxy(t, s.ln.Addr().String())
	live := dial(t, p.Addr())
	_, err := echo(live, "warm", patience)
	require.NoError(t, err)
	p.DropAll()
	_, err = echo(live, "forgotten", 150*time.Millisecond)
	assert.ErrorIs(t, err, os.ErrDeadlineExceeded, "the flow is silently dead")
	assert.Equal(t, 1, p.Connections(), "and nothing was closed")
	fresh := dial(t, p.Addr())
	got, err := echo(fresh, "new flow", patience)
	require.NoError(t, err, "new connections are unaffected")
	assert.Equal(t, "new flow", got)
	assert.Equal(t, transporttest.Fault{}, p.Fault(), "DropAll is not a lasting fault")
}

func TestProxyCutAfterBytes(t *testing.T) {
	s := startLineServer(t)
	p := newProxy(t, s.ln.Addr().String())
	c := dial(t, p.Addr())
	_, err := echo(c, "warm", patience) // bytes before the fault do not count
	require.NoError(t, err)
	require.NoError(t, p.SetFault(transporttest.Fault{CutAfterBytes: 10}))
	require.NoError(t, c.SetDeadline(time.Now().Add(patience)))
	_, err = c.Write([]byte("100\n"))
	require.NoError(t, err)
	data, err := io.ReadAll(c)
	require.NoError(t, err, "the cut is a clean close after exactly N bytes")
	assert.Equal(t, strings.Repeat("x", 10), string(data))

	// New connections count from accept; clearing the fault lifts the limit.
	c2 := dial(t, p.Addr())
	require.NoError(t, c2.SetDeadline(time.Now().Add(patience)))
	_, err = c2.Write([]byte("25\n"))
	require.NoError(t, err)
	data, err = io.ReadAll(c2)
	require.NoError(t, err)
	assert.Len(t, data, 10)

	require.NoError(t, p.SetFault(transporttest.Fault{}))
	c3 := dial(t, p.Addr())
	require.NoError(t, c3.SetDeadline(time.Now().Add(patience)))
	_, err = c3.Write([]byte("25\n"))
	require.NoError(t, err)
	_, err = io.ReadFull(c3, make([]byte, 25))
	assert.NoError(t, err)
}

func TestProxyLatency(t *testing.T) {
	s := startLineServer(t)
	p := newProxy(t, s.ln.Addr().String())
	c := dial(t, p.Addr())
	const latency = 100 * time.Millisecond
	require.NoError(t, p.SetFault(transporttest.Fault{Latency: latency}))
	start := time.Now()
	got, err := echo(c, "slow", 2*latency+patience)
	rtt := time.Since(start)
	require.NoError(t, err)
	assert.Equal(t, "slow", got)
	assert.GreaterOrEqual(t, rtt, 2*latency, "both directions are delayed")
	assert.Less(t, rtt, 2*latency+patience)

	// A delay no test could wait out, lifted: the echo comes back at all.
	require.NoError(t, p.SetFault(transporttest.Fault{Latency: time.Hour}))
	require.NoError(t, p.SetFault(transporttest.Fault{}))
	_, err = echo(c, "fast", patience)
	require.NoError(t, err, "clearing the fault removes the delay")
}

func TestProxyBandwidth(t *testing.T) {
	s := startLineServer(t)
	p := newProxy(t, s.ln.Addr().String())
	c := dial(t, p.Addr())
	const rate, size = 20_000, 10_000 // 10 kB at 20 kB/s: about 0.5 s
	require.NoError(t, p.SetFault(transporttest.Fault{BytesPerSecond: rate}))
	require.NoError(t, c.SetDeadline(time.Now().Add(2*patience)))
	start := time.Now()
	_, err := c.Write([]byte(strconv.Itoa(size) + "\n"))
	require.NoError(t, err)
	_, err = io.ReadFull(c, make([]byte, size))
	elapsed := time.Since(start)
	require.NoError(t, err)
	assert.GreaterOrEqual(t, elapsed, 400*time.Millisecond, "the proxy holds the data back")
	assert.Less(t, elapsed, patience)
}

func TestProxyHalfClose(t *testing.T) {
	s := startLineServer(t)
	p := newProxy(t, s.ln.Addr().String())
	live := dial(t, p.Addr())
	_, err := echo(live, "warm", patience)
	require.NoError(t, err)

	require.NoError(t, p.SetFault(transporttest.Fault{HalfClose: true}))
	require.NoError(t, live.SetDeadline(time.Now().Add(patience)))
	_, err = live.Read(make([]byte, 1))
	assert.ErrorIs(t, err, io.EOF, "the client reads EOF")
	_, err = live.Write([]byte("into the void\n"))
	assert.NoError(t, err, "but may still write")

	fresh := dial(t, p.Addr())
	require.NoError(t, fresh.SetDeadline(time.Now().Add(patience)))
	_, err = fresh.Read(make([]byte, 1))
	assert.ErrorIs(t, err, io.EOF, "new connections are half-closed too")
	assert.Equal(t, 2, p.Connections(), "half-closed links stay until the client closes")
	require.NoError(t, fresh.Close())
	assert.Eventually(t, func() bool { return p.Connections() == 1 }, patience, 5*time.Millisecond)
}

func TestProxyUpstreamDown(t *testing.T) {
	s := startLineServer(t)
	target := s.ln.Addr().String()
	require.NoError(t, s.ln.Close())
	p := newProxy(t, target)
	c := dial(t, p.Addr())
	require.NoError(t, c.SetDeadline(time.Now().Add(patience)))
	_, err := c.Read(make([]byte, 1))
	assert.ErrorIs(t, err, io.EOF, "accepted, then closed: what a client sees behind a proxy")
}

func TestProxyServerCloseIsPassedOn(t *testing.T) {
	s := startLineServer(t)
	p := newProxy(t, s.ln.Addr().String())
	c := dial(t, p.Addr())
	_, err := echo(c, "warm", patience)
	require.NoError(t, err)
	s.mu.Lock()
	for _, sc := range s.conns {
		_ = sc.Close()
	}
	s.mu.Unlock()
	require.NoError(t, c.SetDeadline(time.Now().Add(patience)))
	_, err = c.Read(make([]byte, 1))
	assert.ErrorIs(t, err, io.EOF)
	require.NoError(t, c.Close())
	assert.Eventually(t, func() bool { return p.Connections() == 0 }, patience, 5*time.Millisecond)
}

func TestProxyClose(t *testing.T) {
	s := startLineServer(t)
	p, err := transporttest.NewProxy(s.ln.Addr().String())
	require.NoError(t, err)
	c := dial(t, p.Addr())
	_, err = echo(c, "warm", patience)
	require.NoError(t, err)
	sink := dial(t, p.Addr())
	require.NoError(t, p.SetFault(transporttest.Fault{BlackHole: true}))
	hole := dial(t, p.Addr())
	_ = hole
	require.Eventually(t, func() bool { return p.Connections() == 3 }, patience, 5*time.Millisecond)
	_ = sink

	require.NoError(t, p.Close()) // must end every goroutine: VerifyTestMain checks
	require.NoError(t, p.Close(), "idempotent")
	assert.Equal(t, 0, p.Connections())
	assert.ErrorIs(t, p.SetFault(transporttest.Fault{}), transporttest.ErrProxyClosed)
	_, err = net.DialTimeout("tcp", p.Addr(), patience)
	assert.ErrorIs(t, err, syscall.ECONNREFUSED)
	require.NoError(t, c.SetDeadline(time.Now().Add(patience)))
	_, err = c.Read(make([]byte, 1))
	assert.ErrorIs(t, err, io.EOF)
}
