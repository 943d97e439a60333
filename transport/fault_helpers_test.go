package transport_test

// Shared harness of the fault tests (fault_test.go): a restartable server,
// a controllable source, a state recorder that asserts every transition
// against transport.LegalTransition, and waits built on WaitForStateChange
// rather than sleeps. Scenarios and pass criteria come from the table in
// docs/reconnect.md §9.

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/calbridge/calbridge/freebusy"
	"github.com/calbridge/calbridge/transport"
	"github.com/calbridge/calbridge/transport/transporttest"
)

// checkLeaks registers a goroutine-leak check that runs after every other
// cleanup of the test (cleanups run last-registered first), ignoring
// goroutines that existed before the test started.
func checkLeaks(t *testing.T) {
	t.Helper()
	ignore := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, ignore) })
}

// source is a controllable freebusy.Source: it answers every attendee with
// one busy hour, after an optional delay, or blocks until released, or fails
// with a top-level error. It counts the calls it saw.
type source struct {
	calls   atomic.Int64
	delay   atomic.Int64 // nanoseconds
	fail    atomic.Pointer[error]
	mu      sync.Mutex
	gate    chan struct{} // non-nil: calls block until it is closed
	entered chan struct{} // receives one value per call that reached the source
}

func newSource() *source { return &source{entered: make(chan struct{}, 1024)} }

// block makes later calls wait until release (or their context ends), and
// forgets earlier calls, so that waitEntered sees only the later ones.
func (s *source) block() {
	s.mu.Lock()
	s.gate = make(chan struct{})
	s.mu.Unlock()
	for {
		select {
		case <-s.entered:
		default:
			return
		}
	}
}

// release lets blocked calls go on and stops blocking.
func (s *source) release() {
	s.mu.Lock()
	if s.gate != nil {
		close(s.gate)
		s.gate = nil
	}
	s.mu.Unlock()
}

func (s *source) setDelay(d time.Duration) { s.delay.Store(int64(d)) }

// setFail makes every call fail with err (nil: succeed again).
func (s *source) setFail(err error) {
	if err == nil {
		s.fail.Store(nil)
		return
	}
	s.fail.Store(&err)
}

func (s *source) FreeBusy(ctx context.Context, q freebusy.Query) ([]freebusy.Schedule, error) {
	s.calls.Add(1)
	select {
	case s.entered <- struct{}{}:
	default:
	}
	s.mu.Lock()
	gate := s.gate
	s.mu.Unlock()
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if d := time.Duration(s.delay.Load()); d > 0 {
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		}
	}
	if e := s.fail.Load(); e != nil {
		return nil, *e
	}
	out := make([]freebusy.Schedule, len(q.Attendees))
	for i, a := range q.Attendees {
		out[i] = freebusy.Schedule{Attendee: a, Start: q.Start, End: q.End, Intervals: []freebusy.Interval{
			{Start: q.Start.Add(9 * time.Hour), End: q.Start.Add(10 * time.Hour), Status: freebusy.Busy},
		}}
	}
	return out, nil
}

// waitEntered waits until a call has reached the source.
func (s *source) waitEntered(t *testing.T, d time.Duration) {
	t.Helper()
	select {
	case <-s.entered:
	case <-time.After(d):
		t.Fatalf("no call reached the source within %v", d)
	}
}

// server is a calbridge server on a fixed loopback address that can be
// stopped and started again on the same address: a clean restart.
type server struct {
	t    *testing.T
	src  freebusy.Source
	opts []transport.ServerOption
	addr string

	mu   sync.Mutex
	srv  *transport.Server
	done chan struct{}
}

// startServer serves src on a free loopback port; it is stopped at cleanup.
func startServer(t *testing.T, src freebusy.Source, opts ...transport.ServerOption) *server {
	t.Helper()
	s := &server{t: t, src: src, opts: opts, addr: "127.0.0.1:0"}
	s.start()
	t.Cleanup(s.stop)
	return s
}

// startServerOn serves src on exactly addr, for a server that appears where
// a client has been failing to connect; it is stopped at cleanup.
func startServerOn(t *testing.T, addr string, src freebusy.Source, opts ...transport.ServerOption) *server {
	t.Helper()
	s := &server{t: t, src: src, opts: opts, addr: addr}
	s.start()
	t.Cleanup(s.stop)
	return s
}

// start serves on s.addr (again).
func (s *server) start() {
	s.t.Helper()
	var l net.Listener
	var err error
	for range 100 { // a just-closed port may take a moment to be free
		if l, err = net.Listen("tcp", s.addr); err == nil {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	require.NoError(s.t, err)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.addr = l.Addr().String()
	s.srv, err = transport.NewServer(s.src, s.opts...)
	require.NoError(s.t, err)
	s.done = make(chan struct{})
	srv, done := s.srv, s.done
	go func() { defer close(done); _ = srv.Serve(l) }()
}

// stop closes the listener and every connection (FIN), like a process
// exiting, and waits for the server to finish.
func (s *server) stop() {
	s.mu.Lock()
	srv, done := s.srv, s.done
	s.srv = nil
	s.mu.Unlock()
	if srv == nil {
		return
	}
	_ = srv.Close()
	<-done
}

// stateLog records a client's transitions and checks each one against
// transport.LegalTransition as it happens.
type stateLog struct {
	mu      sync.Mutex
	changes []transport.StateChange
	illegal []string
}

// callback is the function to pass to transport.WithStateCallback.
func (l *stateLog) callback(sc transport.StateChange) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !transport.LegalTransition(sc.From, sc.To) {
		l.illegal = append(l.illegal, fmt.Sprintf("%v -> %v (%v)", sc.From, sc.To, sc.Err))
	}
	l.changes = append(l.changes, sc)
}

// snapshot returns the transitions so far.
func (l *stateLog) snapshot() []transport.StateChange {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]transport.StateChange(nil), l.changes...)
}

// since returns the transitions made at or after t.
func (l *stateLog) since(t time.Time) []transport.StateChange {
	var out []transport.StateChange
	for _, sc := range l.snapshot() {
		if !sc.At.Before(t) {
			out = append(out, sc)
		}
	}
	return out
}

// first returns the first transition at or after t matching pred. The
// callbacks trail the state by design (a caller can see the new state
// before its callback has run), so first waits up to hangGuard for one to
// be logged.
func (l *stateLog) first(t time.Time, pred func(transport.StateChange) bool) (transport.StateChange, bool) {
	for give := time.Now().Add(hangGuard); ; time.Sleep(time.Millisecond) {
		for _, sc := range l.since(t) {
			if pred(sc) {
				return sc, true
			}
		}
		if time.Now().After(give) {
			return transport.StateChange{}, false
		}
	}
}

// assertLegal fails the test for any illegal transition seen. Every fault
// client registers it at cleanup, so no test can forget it.
func (l *stateLog) assertLegal(t *testing.T) {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	require.Emptyf(t, l.illegal, "illegal transitions observed")
	for i := 1; i < len(l.changes); i++ {
		require.Equalf(t, l.changes[i-1].To, l.changes[i].From, "transition %d does not start where %d ended", i, i-1)
	}
}

// fastBackoff is a gRPC-shaped backoff scaled down 20× so that schedules
// run in milliseconds.
var fastBackoff = transport.Backoff{
	BaseDelay:         50 * time.Millisecond,
	Multiplier:        1.6,
	Jitter:            0.2,
	MaxDelay:          500 * time.Millisecond,
	MinConnectTimeout: time.Second,
}

// midRand makes backoff jitter deterministic: 0.5 is the unjittered delay.
func midRand() float64 { return 0.5 }

// newClient returns a client for addr with short timeouts, its state log,
// closed at cleanup (which then checks the log). opts override the
// defaults.
func newClient(t *testing.T, addr string, opts ...transport.ClientOption) (*transport.Client, *stateLog) {
	t.Helper()
	log := &stateLog{}
	base := []transport.ClientOption{
		transport.WithBackoff(fastBackoff),
		transport.WithHeartbeat(100*time.Millisecond, 200*time.Millisecond),
		transport.WithDialTimeout(500 * time.Millisecond),
		transport.WithHandshakeTimeout(300 * time.Millisecond),
		transport.WithWriteTimeout(500 * time.Millisecond),
		transport.WithStateCallback(log.callback),
	}
	c, err := transport.NewClient([]string{addr}, append(base, opts...)...)
	require.NoError(t, err)
	t.Cleanup(func() {
		require.NoError(t, c.Close())
		log.assertLegal(t)
	})
	return c, log
}

// waitFor waits, using WaitForStateChange, until the client's state
// satisfies pred, and returns when that was observed. It fails the test
// after d.
func waitFor(t *testing.T, c *transport.Client, d time.Duration, what string, pred func(transport.State) bool) time.Time {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	for {
		s := c.State()
		if pred(s) {
			return time.Now()
		}
		if !c.WaitForStateChange(ctx, s) {
			t.Fatalf("client not %s within %v (state %v, last error %v)", what, d, c.State(), c.Stats().LastError)
		}
	}
}

func is(states ...transport.State) func(transport.State) bool {
	return func(s transport.State) bool {
		for _, x := range states {
			if s == x {
				return true
			}
		}
		return false
	}
}

// callWithin makes one call with deadline d and returns its error and how
// long it took. The clock starts before the deadline is set, so a call that
// ended by its deadline always measures at least d.
func callWithin(c *transport.Client, q freebusy.Query, d time.Duration, opts ...transport.CallOption) ([]freebusy.Schedule, time.Duration, error) {
	start := time.Now()
	ctx, cancel := context.WithDeadline(context.Background(), start.Add(d))
	defer cancel()
	res, err := c.Call(ctx, q, opts...)
	return res, time.Since(start), err
}

// newProxy starts a fault-injecting proxy to target, closed at cleanup.
func newProxy(t *testing.T, target string) *transporttest.Proxy {
	t.Helper()
	p, err := transporttest.NewProxy(target)
	require.NoError(t, err)
	t.Cleanup(func() { _ = p.Close() })
	return p
}

// freeAddr returns a loopback address on which nothing listens: dials to it
// are refused.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	return addr
}

// isUnavailable reports whether err is the Unavailable class of failure.
func isUnavailable(err error) bool { return errors.Is(err, freebusy.ErrUnavailable) }
