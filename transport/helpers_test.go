package transport

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/calbridge/calbridge/freebusy"
	"github.com/calbridge/calbridge/internal/linktest"
)

// t0, testQuery and staticSource are linktest's, shared with the other
// transport's tests: an n-attendee query over t0's day, and a Source
// answering every attendee with a busy hour at 09:00 and a tentative half
// hour at 14:00, failing those starting with "nobody" as unknown.
var (
	t0           = linktest.Start
	testQuery    = linktest.Query
	staticSource = linktest.StaticSource
)

// newServer returns NewServer's server, failing the test on an error.
func newServer(t testing.TB, src freebusy.Source, opts ...ServerOption) *Server {
	t.Helper()
	s, err := NewServer(src, opts...)
	require.NoError(t, err)
	return s
}

// startServer serves src on a loopback listener and stops it at cleanup.
func startServer(t testing.TB, src freebusy.Source, opts ...ServerOption) (*Server, string) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	s := newServer(t, src, opts...)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); _ = s.Serve(l) }()
	t.Cleanup(func() { _ = s.Close(); wg.Wait() })
	return s, l.Addr().String()
}

// newTestClient returns a client with fast backoff and heartbeats, closed at cleanup.
func newTestClient(t testing.TB, addrs []string, opts ...ClientOption) *Client {
	t.Helper()
	base := []ClientOption{
		WithBackoff(Backoff{BaseDelay: 20 * time.Millisecond, Multiplier: 1.6, Jitter: 0.2, MaxDelay: 200 * time.Millisecond, MinConnectTimeout: 2 * time.Second}),
		WithHeartbeat(time.Second, time.Second),
	}
	c, err := NewClient(addrs, append(base, opts...)...)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// recorder records state changes.
type recorder struct {
	mu      sync.Mutex
	changes []StateChange
}

func (r *recorder) record(sc StateChange) {
	r.mu.Lock()
	r.changes = append(r.changes, sc)
	r.mu.Unlock()
}

func (r *recorder) states() []State {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []State
	for _, c := range r.changes {
		out = append(out, c.To)
	}
	return out
}

// waitStates waits for the recorded sequence to equal want: callbacks run
// on the owner goroutine just after the state changes, so a caller can see
// the new state before its callback has been recorded.
func (r *recorder) waitStates(t *testing.T, want []State, msgAndArgs ...any) {
	t.Helper()
	ok := assert.Eventually(t, func() bool { return assert.ObjectsAreEqual(want, r.states()) }, 2*time.Second, time.Millisecond, msgAndArgs...)
	if !ok {
		assert.Equal(t, want, r.states(), msgAndArgs...)
	}
}

// assertLegal checks every recorded transition against the table.
func (r *recorder) assertLegal(t *testing.T) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, c := range r.changes {
		require.Truef(t, legalTransition(c.From, c.To), "illegal transition %v -> %v", c.From, c.To)
	}
}

// restartServer serves src on exactly addr (after a restart), stopped at cleanup.
func restartServer(t testing.TB, addr string, src freebusy.Source, opts ...ServerOption) *Server {
	t.Helper()
	var l net.Listener
	var err error
	for range 50 { // the old listener's port may take a moment to free up
		if l, err = net.Listen("tcp", addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	require.NoError(t, err)
	s := newServer(t, src, opts...)
	done := make(chan struct{})
	go func() { defer close(done); _ = s.Serve(l) }()
	t.Cleanup(func() { _ = s.Close(); <-done })
	return s
}

// freeAddr returns a loopback address nothing listens on.
func freeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	return addr
}

// fakeServer accepts connections on loopback and runs handle on each; it
// closes them all at cleanup and waits for the handlers.
func fakeServer(t testing.TB, handle func(nc net.Conn)) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var mu sync.Mutex
	var conns []net.Conn
	var wg sync.WaitGroup
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
			go func() { defer wg.Done(); handle(nc) }()
		}
	}()
	t.Cleanup(func() {
		_ = l.Close()
		mu.Lock()
		for _, nc := range conns {
			_ = nc.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	return l.Addr().String()
}

// helloThenSilence answers the handshake and then reads and ignores
// everything: a peer that is half-open from the client's point of view.
func helloThenSilence(nc net.Conn) {
	br := bufio.NewReader(nc)
	if _, err := br.ReadString('\n'); err != nil {
		return
	}
	if _, err := io.WriteString(nc, `{"jsonrpc":"2.0","id":0,"result":{"version":1,"server":"fake","maxMessageBytes":1048576}}`+"\n"); err != nil {
		return
	}
	_, _ = io.Copy(io.Discard, br)
}

// replyToHello answers the handshake with line and then holds the
// connection open.
func replyToHello(line string) func(nc net.Conn) {
	return func(nc net.Conn) {
		br := bufio.NewReader(nc)
		if _, err := br.ReadString('\n'); err != nil {
			return
		}
		if _, err := io.WriteString(nc, line+"\n"); err != nil {
			return
		}
		_, _ = io.Copy(io.Discard, br)
	}
}

// blockingSource blocks every call until release is closed or ctx ends,
// and reports each entry on entered.
type blockingSource struct {
	entered chan struct{}
	release chan struct{}
	calls   atomic.Int64
}

func newBlockingSource() *blockingSource {
	return &blockingSource{entered: make(chan struct{}, 100), release: make(chan struct{})}
}

func (b *blockingSource) FreeBusy(ctx context.Context, q freebusy.Query) ([]freebusy.Schedule, error) {
	b.calls.Add(1)
	b.entered <- struct{}{}
	select {
	case <-b.release:
		return staticSource(ctx, q)
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// waitState waits up to d for the client to reach want.
func waitState(t testing.TB, c *Client, want State, d time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	for {
		s := c.State()
		if s == want {
			return
		}
		if !c.WaitForStateChange(ctx, s) {
			require.Failf(t, "state not reached", "want %v, still %v after %v", want, c.State(), d)
		}
	}
}

// rawConn dials addr and returns a line reader/writer with a deadline.
type rawConn struct {
	t  testing.TB
	nc net.Conn
	br *bufio.Reader
}

func dialRaw(t testing.TB, addr string) *rawConn {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	require.NoError(t, nc.SetDeadline(time.Now().Add(5*time.Second)))
	t.Cleanup(func() { _ = nc.Close() })
	return &rawConn{t: t, nc: nc, br: bufio.NewReader(nc)}
}

func (r *rawConn) send(line string) {
	r.t.Helper()
	_, err := io.WriteString(r.nc, line+"\n")
	require.NoError(r.t, err)
}

// recv reads one reply as a generic JSON object.
func (r *rawConn) recv() map[string]any {
	r.t.Helper()
	line, err := r.br.ReadString('\n')
	require.NoError(r.t, err)
	var m map[string]any
	require.NoError(r.t, json.Unmarshal([]byte(line), &m), line)
	return m
}

func (r *rawConn) hello() {
	r.t.Helper()
	r.send(`{"jsonrpc":"2.0","id":"h","method":"calbridge.hello","params":{"version":1}}`)
	m := r.recv()
	require.Contains(r.t, m, "result", m)
}
