package transport

import (
	"bufio"
	"encoding/json"
	"io"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// srvCountingConn counts the bytes the server reads, and may pose as
// another client address.
type srvCountingConn struct {
	net.Conn
	read   atomic.Int64
	remote net.Addr
}

func (c *srvCountingConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	c.read.Add(int64(n))
	return n, err
}

func (c *srvCountingConn) RemoteAddr() net.Addr {
	if c.remote != nil {
		return c.remote
	}
	return c.Conn.RemoteAddr()
}

// srvPipe hands the server one end of a net.Pipe, posing as addr when it
// is not empty, and returns the other end with a line reader.
func srvPipe(t *testing.T, s *Server, addr string) (net.Conn, *bufio.Reader, *srvCountingConn) {
	t.Helper()
	client, server := net.Pipe()
	cc := &srvCountingConn{Conn: server}
	if addr != "" {
		ap, err := net.ResolveTCPAddr("tcp", addr)
		require.NoError(t, err)
		cc.remote = ap
	}
	require.True(t, s.track(cc))
	t.Cleanup(func() { _ = client.Close() })
	return client, bufio.NewReader(client), cc
}

func srvSend(t *testing.T, nc net.Conn, line string) {
	t.Helper()
	_, err := io.WriteString(nc, line+"\n")
	require.NoError(t, err)
}

func srvRecv(t *testing.T, br *bufio.Reader) map[string]any {
	t.Helper()
	line, err := br.ReadString('\n')
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal([]byte(line), &m), line)
	return m
}

func srvHello(token string) string {
	return `{"jsonrpc":"2.0","id":"h","method":"calbridge.hello","params":{"version":1,"token":"` + token + `"}}`
}

// Before its hello a connection may make the server buffer only
// WithServerMaxHelloBytes: a 1 MiB line without a newline is refused with
// -32015 after the server has read no more than the limit plus its read
// buffer, and the connection is closed. After the hello the full message
// limit applies.
func TestServerPreHelloLineBound(t *testing.T) {
	const limit = 1024
	s := newServer(t, staticSource, WithServerMaxHelloBytes(limit))
	defer s.Close()
	nc, br, cc := srvPipe(t, s, "")
	wrote := make(chan struct{})
	go func() {
		defer close(wrote)
		_, _ = nc.Write([]byte(strings.Repeat("x", 1<<20))) // never a newline
	}()
	m := srvRecv(t, br)
	assert.Nil(t, m["id"])
	assert.Equal(t, CodeMessageTooLarge, code(t, m))
	assert.Contains(t, m["error"].(map[string]any)["message"], "before calbridge.hello")
	_, err := br.ReadString('\n')
	assert.ErrorIs(t, err, io.EOF, "the connection is closed")
	<-wrote
	assert.LessOrEqual(t, cc.read.Load(), int64(limit+2+serverReadBufferSize), "the server stopped reading at the limit")

	// With the default options: 8 KiB before the hello, the message limit after it.
	s2 := newServer(t, staticSource)
	defer s2.Close()
	pad := strings.Repeat("x", 20<<10)
	ping := `{"jsonrpc":"2.0","id":1,"method":"calbridge.ping","params":{"pad":"` + pad + `"}}`
	nc, br, _ = srvPipe(t, s2, "")
	srvSend(t, nc, srvHello(""))
	require.Contains(t, srvRecv(t, br), "result")
	srvSend(t, nc, ping)
	assert.Contains(t, srvRecv(t, br), "result", "20 KiB after the hello is within the message limit")
	nc, br, _ = srvPipe(t, s2, "")
	go func() { _, _ = io.WriteString(nc, ping+"\n") }()
	assert.Equal(t, CodeMessageTooLarge, code(t, srvRecv(t, br)), "20 KiB before the hello is not")
}

// TestReadLineBoundsMemory: readLine never buffers more than the limit and
// the terminator, and the limit does not count the terminator.
func TestReadLineBoundsMemory(t *testing.T) {
	const limit = 100
	for _, tc := range []struct {
		in   string
		want string
		err  error
	}{
		{strings.Repeat("a", limit) + "\n", strings.Repeat("a", limit), nil},
		{strings.Repeat("a", limit) + "\r\n", strings.Repeat("a", limit), nil},
		{strings.Repeat("a", limit+1) + "\n", "", errLineTooLong},
		{strings.Repeat("a", 10*limit), "", errLineTooLong},
	} {
		br := bufio.NewReaderSize(strings.NewReader(tc.in), 16)
		var scratch []byte
		got, err := readLine(br, limit, &scratch)
		assert.ErrorIs(t, err, tc.err)
		assert.Equal(t, tc.want, string(got))
		assert.LessOrEqual(t, cap(scratch), limit+2)
	}
}

// TestServerMaxConns: at the bound a new connection closes the oldest one
// that has not said hello, so a good client is served while silent
// connections fill the server; when every connection has said hello, the
// new one is closed at once.
func TestServerMaxConns(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newServer(t, staticSource, WithServerMaxConns(2))
		defer s.Close()
		silent1, br1, _ := srvPipe(t, s, "")
		_, br2, _ := srvPipe(t, s, "")
		synctest.Wait()

		good, brGood, _ := srvPipe(t, s, "")
		_, err := br1.ReadString('\n')
		assert.ErrorIs(t, err, io.EOF, "the oldest silent connection made room")
		_ = silent1
		srvSend(t, good, srvHello(""))
		require.Contains(t, srvRecv(t, brGood), "result", "the good client is served")

		good2, brGood2, _ := srvPipe(t, s, "")
		_, err = br2.ReadString('\n')
		assert.ErrorIs(t, err, io.EOF, "the other silent connection made room")
		srvSend(t, good2, srvHello(""))
		require.Contains(t, srvRecv(t, brGood2), "result")

		_, brOver, _ := srvPipe(t, s, "")
		_, err = brOver.ReadString('\n')
		assert.ErrorIs(t, err, io.EOF, "over the bound with every connection authenticated: closed at once")
		s.mu.Lock()
		assert.Len(t, s.conns, 2)
		assert.Zero(t, s.preHello.Len())
		s.mu.Unlock()

		srvSend(t, good, `{"jsonrpc":"2.0","id":1,"method":"calbridge.ping"}`)
		assert.Equal(t, float64(1), srvRecv(t, brGood)["id"], "the authenticated connections were untouched")
	})
}

// TestServerAuthFailureLimit, on a fake clock: an address may fail burst
// hellos at once, then one per interval; while it is over its limit every
// hello from it waits before its token is checked (a right one gives its
// turn back); other addresses are not slowed; a hello whose turn would
// come after the handshake deadline is closed without a reply.
func TestServerAuthFailureLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newServer(t, staticSource, WithToken("right"), WithServerAuthFailureLimit(time.Second, 2), WithServerHandshakeTimeout(1500*time.Millisecond))
		defer s.Close()
		const attacker, other = "192.0.2.1:1000", "198.51.100.7:2000"
		hello := func(addr, token string) (code int, took time.Duration) {
			nc, br, _ := srvPipe(t, s, addr)
			start := time.Now()
			srvSend(t, nc, srvHello(token))
			line, err := br.ReadString('\n')
			took = time.Since(start)
			if err != nil {
				return -1, took
			}
			var m map[string]any
			require.NoError(t, json.Unmarshal([]byte(line), &m))
			return errorCode(m), took
		}
		for range 2 {
			c, took := hello(attacker, "guess")
			assert.Equal(t, CodeUnauthorized, c)
			assert.Zero(t, took, "within the burst: answered at once")
		}
		c, took := hello(attacker, "guess")
		assert.Equal(t, CodeUnauthorized, c)
		assert.Equal(t, time.Second, took, "over the burst: one check per interval")
		late, lateBr, _ := srvPipe(t, s, attacker) // its handshake deadline is 1.5 s from now

		c, took = hello(other, "right")
		assert.Zero(t, c)
		assert.Zero(t, took, "other addresses are not slowed")

		c, took = hello(attacker, "right")
		assert.Zero(t, c, "the right token is accepted")
		assert.Equal(t, time.Second, took, "but waits its turn like a guess: no timing oracle")
		c, took = hello(attacker, "right")
		assert.Zero(t, c)
		assert.Zero(t, took, "a successful check gave its turn back")

		// Over the limit again: the next turn is a second away, after
		// late's handshake deadline (half a second away).
		c, took = hello(attacker, "guess")
		assert.Equal(t, CodeUnauthorized, c)
		assert.Zero(t, took)
		start := time.Now()
		srvSend(t, late, srvHello("right"))
		_, err := lateBr.ReadString('\n')
		assert.ErrorIs(t, err, io.EOF, "no turn before the deadline: closed without a reply")
		assert.Zero(t, time.Since(start), "at once, holding nothing")
	})
}

// TestServerAnswersInFlightBeforeClosing: a line that does not parse, or is
// too long, after pipelined calls is answered with its error at once, and
// the calls already received are still run and answered before the server
// closes the connection (PROTOCOL.md "Calls in flight when the server
// closes").
func TestServerAnswersInFlightBeforeClosing(t *testing.T) {
	for _, tc := range []struct {
		name, line string
		code       int
	}{
		{"parse error", `{"jsonrpc":"2.0","id":3,"method":`, CodeParseError},
		{"too large", `{"jsonrpc":"2.0","id":3,"method":"calbridge.ping","params":{"pad":"` + strings.Repeat("x", 1100) + `"}}`, CodeMessageTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			blocking := newBlockingSource()
			_, addr := startServer(t, blocking, WithServerMaxMessageBytes(1024))
			rc := dialRaw(t, addr)
			rc.hello()
			q := `"params":{"attendees":["a@example.com"],"start":"2026-03-02T00:00:00Z","end":"2026-03-03T00:00:00Z"}}`
			rc.send(`{"jsonrpc":"2.0","id":1,"method":"calbridge.freebusy",` + q)
			rc.send(`[{"jsonrpc":"2.0","id":2,"method":"calbridge.freebusy",` + q + `]`)
			<-blocking.entered
			<-blocking.entered
			rc.send(tc.line)
			m := rc.recv()
			assert.Nil(t, m["id"])
			assert.Equal(t, tc.code, code(t, m))
			close(blocking.release)
			got := map[float64]bool{}
			for range 2 {
				line, err := rc.br.ReadString('\n')
				require.NoError(t, err, "the calls in flight are answered")
				var v any
				require.NoError(t, json.Unmarshal([]byte(line), &v))
				if arr, ok := v.([]any); ok {
					require.Len(t, arr, 1)
					v = arr[0]
				}
				r := v.(map[string]any)
				assert.Contains(t, r, "result")
				got[r["id"].(float64)] = true
			}
			assert.Equal(t, map[float64]bool{1: true, 2: true}, got)
			_, err := rc.br.ReadString('\n')
			assert.ErrorIs(t, err, io.EOF, "then the connection is closed")
			assert.Equal(t, int64(2), blocking.calls.Load())
		})
	}
}

// TestServerConnectionPerRequest: a stock client that opens a connection
// per request calls with a [hello, call] batch and reads one line; the call
// alone is refused; a hello anywhere but first in a batch, or as a
// notification, changes nothing.
func TestServerConnectionPerRequest(t *testing.T) {
	_, addr := startServer(t, staticSource, WithToken("s3cret"))
	q := `{"jsonrpc":"2.0","id":2,"method":"calbridge.freebusy","params":{"attendees":["alice@example.com","bob@example.com"],"start":"2026-03-02T00:00:00Z","end":"2026-03-03T00:00:00Z"}}`
	for range 3 {
		rc := dialRaw(t, addr)
		rc.send(`[` + srvHello("s3cret") + `,` + q + `]`)
		line, err := rc.br.ReadString('\n')
		require.NoError(t, err)
		var replies []map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &replies), line)
		require.Len(t, replies, 2)
		assert.Equal(t, "h", replies[0]["id"])
		assert.Contains(t, replies[0], "result")
		assert.Equal(t, float64(2), replies[1]["id"])
		assert.Len(t, replies[1]["result"].(map[string]any)["schedules"], 2)
	}

	rc := dialRaw(t, addr)
	rc.send(q)
	assert.Equal(t, CodeHandshakeRequired, code(t, rc.recv()), "a call alone on a fresh connection")
	rc.send(`[{"jsonrpc":"2.0","id":1,"method":"calbridge.ping"},` + srvHello("s3cret") + `]`)
	var replies []map[string]any
	line, err := rc.br.ReadString('\n')
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal([]byte(line), &replies), line)
	require.Len(t, replies, 2)
	assert.Equal(t, CodeHandshakeRequired, code(t, replies[0]))
	assert.Equal(t, CodeInvalidRequest, code(t, replies[1]), "hello not first in its batch")
	assert.Equal(t, "h", replies[1]["id"])
	rc.send(`{"jsonrpc":"2.0","method":"calbridge.hello","params":{"version":1,"token":"s3cret"}}`)
	m := rc.recv()
	assert.Nil(t, m["id"])
	assert.Equal(t, CodeInvalidRequest, code(t, m), "hello as a notification")
	rc.send(q)
	assert.Equal(t, CodeHandshakeRequired, code(t, rc.recv()), "still no session")
	rc.send(srvHello("s3cret"))
	assert.Contains(t, rc.recv(), "result")
	rc.send(q)
	assert.Contains(t, rc.recv(), "result")
}
