package transport

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/calbridge/calbridge/freebusy"
)

// Client is the reconnect-safe RPC client: a freebusy.Source that carries
// free/busy queries to a Server over JSON-RPC 2.0 (PROTOCOL.md). See the
// package documentation for its state machine, retry rule and fail-fast
// behaviour. A Client is safe for concurrent use; its zero value is not
// usable, call NewClient.
type Client struct {
	addrs  []string
	o      clientOptions
	budget *retryBudget

	ready       atomic.Pointer[clientConn] // the Ready connection: the calls' lock-free fast path
	pendingPool sync.Pool                  // *pendingCall, recycled across calls

	mu             sync.Mutex
	state          State
	stateCh        chan struct{} // closed and replaced on every transition
	lastErr        error
	addr           string
	conn           *clientConn
	retired        []*clientConn // draining connections still finishing calls
	waiting        int
	lastFailure    time.Time // when the latest attempt failed: its verdict is fresh for a moment
	eagerTokens    float64   // call-triggered attempts available (eagerBurst at most)
	eagerRefilled  time.Time // when eagerTokens was last credited
	suspect        bool      // the last connection or attempt ended in silence (a timeout)
	failedAttempts uint64    // attempts that ended in TransientFailure: fail-fast waiters watch it
	cancelAttempt  context.CancelFunc
	closed         bool

	kick      chan struct{} // wakes the owner: Connect, a call in Idle, an eager attempt
	closing   chan struct{}
	ownerDone chan struct{}
	closeOnce sync.Once

	dials, dialFailures, reconnects, retries, throttled, calls, callFailures atomic.Uint64
	inFlight                                                                 atomic.Int64
}

// NewClient returns a Client for the servers at addrs (host:port), tried in
// round-robin order on failure. It fails, with an error matching
// ErrInvalidOption, when addrs is empty or malformed or an option has a
// value it cannot take. Otherwise it starts the connection goroutine, but
// does not dial: the client starts Idle, and the first call or Connect
// starts connecting. Close releases it.
func NewClient(addrs []string, opts ...ClientOption) (*Client, error) {
	if len(addrs) == 0 {
		return nil, configError("no server address")
	}
	for _, a := range addrs {
		if _, _, err := net.SplitHostPort(a); err != nil {
			return nil, configError(fmt.Sprintf("bad server address %q: %v", a, err))
		}
	}
	o := defaultClientOptions()
	for _, opt := range opts {
		opt.applyClient(&o)
	}
	if err := o.validate(); err != nil {
		return nil, err
	}
	if o.dialer == nil {
		o.dialer = defaultDialer(o.hbInterval + o.hbTimeout)
	}
	c := &Client{
		addrs:         append([]string(nil), addrs...),
		o:             o,
		budget:        newRetryBudget(o.budgetRatio, o.budgetMinPerSecond, o.now()),
		stateCh:       make(chan struct{}),
		addr:          addrs[0],
		eagerTokens:   eagerBurst,
		eagerRefilled: time.Now(),
		kick:          make(chan struct{}, 1),
		closing:       make(chan struct{}),
		ownerDone:     make(chan struct{}),
	}
	go c.run()
	return c, nil
}

// defaultDialer is a *net.Dialer with TCP keepalive (15 s idle, 5 s
// probes, 4 probes) and, on Linux, TCP_USER_TIMEOUT so that unacknowledged
// writes abort the connection (gRFC A18).
func defaultDialer(userTimeout time.Duration) *net.Dialer {
	d := &net.Dialer{KeepAliveConfig: net.KeepAliveConfig{Enable: true, Idle: 15 * time.Second, Interval: 5 * time.Second, Count: 4}}
	if userTimeout > 0 {
		d.Control = userTimeoutControl(userTimeout)
	}
	return d
}

// FreeBusy implements freebusy.Source: Call with the client's default call
// options.
func (c *Client) FreeBusy(ctx context.Context, q freebusy.Query) ([]freebusy.Schedule, error) {
	return c.Call(ctx, q)
}

// Call asks the server for q's free/busy. The query is validated locally
// first (a *freebusy.QueryError). Failures of the connection are retried on
// a fresh connection within ctx's deadline, up to WithMaxAttempts attempts
// and within the retry budget; the final error is then a *CallError. An
// error answer from the server is a *freebusy.Error whose Cause is the
// *RemoteError; it is retried only when its reason is temporary. While the
// client is in TransientFailure a call fails at once with an Unavailable
// *freebusy.Error carrying the last connection error, unless it waits for
// ready. After Close, Call returns ErrClosed.
func (c *Client) Call(ctx context.Context, q freebusy.Query, opts ...CallOption) ([]freebusy.Schedule, error) {
	return c.call(ctx, q, nil, opts)
}

var _ freebusy.BufferedSource = (*Client)(nil)

// FreeBusyInto implements freebusy.BufferedSource: it is FreeBusy, with
// a result in the compact form (PROTOCOL.md "Compact schedules") decoded
// into buf's memory, so that a handler answering query after query
// through the link does not allocate each answer's schedules, intervals
// and events anew. The schedules are valid until buf is Reset. A result
// in the JSON form (an older server) does not use buf. The decode runs
// in the calling goroutine: once FreeBusyInto returns, nothing touches
// buf.
func (c *Client) FreeBusyInto(ctx context.Context, q freebusy.Query, buf *freebusy.ScheduleBuffer) ([]freebusy.Schedule, error) {
	return c.call(ctx, q, buf, nil)
}

// call is Call, decoding a compact result into buf when it is set.
func (c *Client) call(ctx context.Context, q freebusy.Query, buf *freebusy.ScheduleBuffer, opts []CallOption) ([]freebusy.Schedule, error) {
	co := callOptions{waitForReady: c.o.waitForReady}
	for _, opt := range opts {
		opt(&co)
	}
	if err := q.Validate(); err != nil {
		return nil, err
	}
	c.calls.Add(1)
	c.inFlight.Add(1)
	defer c.inFlight.Add(-1)
	res := freeBusyResult{expect: len(q.Attendees), buf: buf}
	if err := c.do(ctx, methodFreeBusy, freeBusyParamsOf(ctx, q), &res, co); err != nil {
		c.callFailures.Add(1)
		return nil, err
	}
	if !res.compact {
		toUTC(res.Schedules)
	}
	if err := freebusy.CheckResult(q, res.Schedules); err != nil {
		c.callFailures.Add(1)
		return nil, err
	}
	return res.Schedules, nil
}

// Ping sends calbridge.ping on the current connection and returns the
// round-trip time. Like a call, it fails fast while disconnected.
func (c *Client) Ping(ctx context.Context) (time.Duration, error) {
	start := time.Now()
	if err := c.do(ctx, methodPing, nil, nil, callOptions{waitForReady: c.o.waitForReady}); err != nil {
		return 0, err
	}
	return time.Since(start), nil
}

// Per-call retry delays for temporary server errors without a retry hint:
// 25 ms, doubling, ±20 %.
const (
	retryBaseDelay  = 25 * time.Millisecond
	maxTransparent  = 8
	retryMultiplier = 2
)

// do runs one call with the retry rule.
func (c *Client) do(ctx context.Context, method string, params, result any, co callOptions) error {
	var expiry int64 // for calls without a deadline: the default call timeout
	var waitDeadline time.Time
	if _, ok := ctx.Deadline(); !ok {
		waitDeadline = time.Now().Add(c.o.callTimeout)
	}
	c.budget.deposit()
	attempts, transparent := 0, 0
	lostOnce := false
	for {
		cc := c.ready.Load()
		if cc == nil {
			var err error
			if cc, err = c.getConn(ctx, co.waitForReady, waitDeadline); err != nil {
				return err
			}
		}
		attempts++
		if !waitDeadline.IsZero() {
			expiry = int64(time.Until(waitDeadline)) + cc.mono()
		}
		err := cc.roundTrip(ctx, method, params, result, expiry)
		if err == nil {
			return nil
		}
		var delay time.Duration
		budgeted := true
		switch e := err.(type) {
		case *RemoteError:
			if e.Code == CodeShuttingDown {
				cc.drain()
			}
			if e.NotProcessed && (e.Code == CodeShuttingDown || e.Code == CodeOverloaded) {
				budgeted = false // the server proves it did not run the call
				if e.Code == CodeOverloaded {
					delay = c.retryDelay(attempts, e.Info.RetryAfter)
				}
			} else if !e.Reason.Temporary() {
				return e.asFreeBusyError()
			} else {
				delay = c.retryDelay(attempts, e.Info.RetryAfter)
			}
			if attempts >= c.o.maxAttempts {
				return e.asFreeBusyError()
			}
		case *CallError:
			if errors.Is(e.Err, ErrClosed) || c.isClosed() {
				return ErrClosed
			}
			if ctx.Err() != nil || errors.Is(e.Err, errCallTimeout) {
				return finalCallError(e, attempts)
			}
			if !e.MaySent && transparent < maxTransparent {
				// Never left the client: retry at no cost (gRPC A6 transparent retry).
				attempts--
				transparent++
				continue
			}
			if attempts >= c.o.maxAttempts {
				return finalCallError(e, attempts)
			}
			if !lostOnce {
				// The first retry after a lost connection is free: a blip
				// must not fail the calls it carried just because the
				// budget cannot cover them all at once. The reconnect
				// itself is paced by the connection backoff.
				lostOnce, budgeted = true, false
			}
		default:
			return err
		}
		if budgeted && !c.budget.withdraw(c.o.now()) {
			c.throttled.Add(1)
			return finalError(err, attempts)
		}
		c.retries.Add(1)
		if delay > 0 {
			// The wait, a server's hint included, never outlasts the call:
			// when it would end past the deadline (the context's, or the
			// call timeout for a context without one), fail now.
			dl, ok := ctx.Deadline()
			if !ok {
				dl = waitDeadline
			}
			if time.Until(dl) < delay {
				return finalError(err, attempts)
			}
			t := time.NewTimer(delay)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				return finalError(err, attempts)
			case <-c.closing:
				t.Stop()
				return ErrClosed
			}
		}
	}
}

// retryDelay returns the wait before retrying after a temporary server
// error: the server's hint, or a short jittered exponential delay.
func (c *Client) retryDelay(attempt int, hint time.Duration) time.Duration {
	if hint > 0 {
		return hint
	}
	d := retryBaseDelay
	for i := 1; i < attempt; i++ {
		d *= retryMultiplier
	}
	return time.Duration(float64(d) * (0.8 + 0.4*c.o.rand()))
}

func finalCallError(e *CallError, attempts int) error {
	ce := *e
	ce.Attempts = attempts
	return &ce
}

func finalError(err error, attempts int) error {
	switch e := err.(type) {
	case *CallError:
		return finalCallError(e, attempts)
	case *RemoteError:
		return e.asFreeBusyError()
	}
	return err
}

func (c *Client) isClosed() bool {
	select {
	case <-c.closing:
		return true
	default:
		return false
	}
}

// getConn returns a usable connection, waiting for one according to the
// state: Idle and Connecting wait for the attempt; TransientFailure fails
// fast (unless waitForReady), except that a call finding a verdict that may
// be stale starts a fresh attempt and waits for it (eagerAllowedLocked).
// While the peer is suspect (its last connection or attempt ended in a
// timeout: a frozen or black-holed peer) fail-fast calls do not wait on an
// attempt at all: it could only end at its own timeout.
func (c *Client) getConn(ctx context.Context, waitForReady bool, deadline time.Time) (*clientConn, error) {
	var timer <-chan time.Time
	if !deadline.IsZero() {
		t := time.NewTimer(time.Until(deadline))
		defer t.Stop()
		timer = t.C
	}
	counted, eager := false, false
	var suspectTimer <-chan time.Time
	var stopSuspect func() bool
	defer func() {
		if stopSuspect != nil {
			stopSuspect()
		}
	}()
	// A fail-fast call waits for the attempt in progress only: when an
	// attempt fails, TransientFailure may last a moment before the next
	// attempt starts, too short for the waiter to see the state, so it
	// watches the count of failed attempts instead.
	c.mu.Lock()
	failedBefore := c.failedAttempts
	c.mu.Unlock()
	defer func() {
		if counted {
			c.mu.Lock()
			c.waiting--
			c.mu.Unlock()
		}
	}()
	for {
		c.mu.Lock()
		if c.closed {
			c.mu.Unlock()
			return nil, ErrClosed
		}
		switch c.state {
		case Ready:
			if cc := c.conn; cc != nil && cc.usable() {
				c.mu.Unlock()
				return cc, nil
			}
		case Shutdown:
			c.mu.Unlock()
			return nil, ErrClosed
		case Idle, Connecting:
			if !waitForReady && c.failedAttempts != failedBefore {
				err := c.lastErr
				c.mu.Unlock()
				return nil, unavailable("transport: not connected", err)
			}
			// In Idle this starts the first attempt; in Connecting it
			// cuts short the spread before a reconnect (run), so that a
			// call never waits on it.
			c.kickLocked()
			if !waitForReady && c.suspect && suspectTimer == nil {
				suspectTimer = startSuspectTimer(&stopSuspect)
			}
		case TransientFailure:
			if !eager && (waitForReady || c.failedAttempts == failedBefore) && c.eagerAllowedLocked(time.Now()) {
				// At most one eager attempt per call: if it fails too, the
				// call fails fast like any other.
				eager = true
				failedBefore = c.failedAttempts
				c.kickLocked()
				if !waitForReady && c.suspect && suspectTimer == nil {
					suspectTimer = startSuspectTimer(&stopSuspect)
				}
			} else if !waitForReady {
				err := c.lastErr
				c.mu.Unlock()
				return nil, unavailable("transport: not connected", err)
			}
		}
		if !counted {
			if c.waiting >= c.o.maxWaiting {
				c.mu.Unlock()
				return nil, unavailable("transport: not connected", ErrQueueFull)
			}
			c.waiting++
			counted = true
		}
		ch := c.stateCh
		c.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, c.waitError(ctx.Err())
		case <-timer:
			return nil, c.waitError(errCallTimeout)
		case <-suspectTimer:
			c.mu.Lock()
			err := c.lastErr
			c.mu.Unlock()
			return nil, unavailable("transport: not connected; the attempt to a silent peer is still in progress", err)
		}
	}
}

// suspectWait bounds how long a fail-fast call waits for an attempt while
// the peer is suspect: long enough for a reconnect over any sane network
// (a NAT that forgot the old flow: the new one connects at once), short
// enough that a frozen peer, whose attempts last the handshake timeout,
// does not hold calls (docs/reconnect.md §9 T20).
const suspectWait = time.Second

// startSuspectTimer starts the suspectWait timer of a fail-fast call
// waiting on an attempt to a suspect peer; *stop releases it.
func startSuspectTimer(stop *func() bool) <-chan time.Time {
	t := time.NewTimer(suspectWait)
	*stop = t.Stop
	return t.C
}

// Call-triggered ("eager") attempts (docs/reconnect.md §8.6, §8.10). A call
// that finds the client in TransientFailure does not trust a verdict older
// than eagerFreshness of the eager interval: the server may be back, so the
// call starts an attempt and waits for it. Such attempts are paced by a
// token bucket that earns one attempt per eager interval and holds at most
// eagerBurst, so a dead server sees about one dial a second from a busy
// client, while an idle client (whose attempts come from the backoff, which
// takes no tokens) can always check afresh.
const (
	eagerBurst     = 2
	eagerFreshness = 10 // a verdict younger than eagerInterval/eagerFreshness is fresh
)

// eagerAllowedLocked reports whether a call may start an attempt now, and
// if so takes the token. c.mu is held.
func (c *Client) eagerAllowedLocked(now time.Time) bool {
	if now.Sub(c.lastFailure) < c.o.eagerInterval/eagerFreshness {
		return false // the verdict is fresh: the call fails with it
	}
	if dt := now.Sub(c.eagerRefilled); dt > 0 {
		c.eagerTokens = min(eagerBurst, c.eagerTokens+float64(dt)/float64(c.o.eagerInterval))
		c.eagerRefilled = now
	}
	if c.eagerTokens < 1 {
		return false
	}
	c.eagerTokens--
	return true
}

// silent reports whether err means that the peer stopped answering rather
// than refused: a heartbeat, handshake, dial or write timeout. A peer in
// that state (frozen, black-holed) makes every attempt last its full
// timeout, so fail-fast calls do not wait on attempts to it.
func silent(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, ErrHeartbeatTimeout) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// waitError is the error of a call whose deadline passed while it waited
// for a connection.
func (c *Client) waitError(cause error) error {
	c.mu.Lock()
	last := c.lastErr
	c.mu.Unlock()
	msg := "transport: no connection before the deadline"
	if last != nil {
		msg += "; last connection error: " + last.Error()
	}
	return &freebusy.Error{Reason: freebusy.ReasonOf(cause), Message: msg, Cause: cause}
}

// kickLocked wakes the owner goroutine without blocking. c.mu is held.
func (c *Client) kickLocked() {
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

// Connect makes an Idle client start connecting, and a client waiting out
// its backoff (or the spread before a reconnect) attempt at once. It does
// not block.
func (c *Client) Connect() {
	c.mu.Lock()
	if c.state != Ready && c.state != Shutdown {
		c.kickLocked()
	}
	c.mu.Unlock()
}

// State returns the current state.
func (c *Client) State() State {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state
}

// Stats returns a snapshot of the state and counters.
func (c *Client) Stats() Stats {
	c.mu.Lock()
	s := Stats{State: c.state, LastError: c.lastErr, Addr: c.addr, Waiting: c.waiting}
	c.mu.Unlock()
	s.Dials = c.dials.Load()
	s.DialFailures = c.dialFailures.Load()
	s.Reconnects = c.reconnects.Load()
	s.Retries = c.retries.Load()
	s.RetriesThrottled = c.throttled.Load()
	s.Calls = c.calls.Load()
	s.CallFailures = c.callFailures.Load()
	s.InFlight = int(c.inFlight.Load())
	return s
}

// WaitForStateChange waits until the state differs from from, or ctx ends.
// It reports whether the state changed. As in gRPC, a change may already be
// stale when the caller looks: callers re-read State.
func (c *Client) WaitForStateChange(ctx context.Context, from State) bool {
	for {
		c.mu.Lock()
		if c.state != from {
			c.mu.Unlock()
			return true
		}
		ch := c.stateCh
		c.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return false
		}
	}
}

// Close shuts the client down: it interrupts any dial, handshake, backoff
// wait and heartbeat, fails every pending and waiting call with ErrClosed,
// closes the connection, and returns once every goroutine the client
// started has exited. It is idempotent and always returns nil.
func (c *Client) Close() error {
	c.closeOnce.Do(func() {
		c.mu.Lock()
		c.closed = true
		// Closing first, cancelling second: the owner must see the client
		// closed by the time the cancelled attempt fails, or it would take
		// the failure for an outage and hand waiting calls Unavailable
		// instead of ErrClosed.
		close(c.closing)
		if c.cancelAttempt != nil {
			c.cancelAttempt()
		}
		c.mu.Unlock()
	})
	<-c.ownerDone
	return nil
}

// setState makes a transition, checked against the table; it installs or
// clears the Ready connection, wakes every waiter, logs one line and calls
// the callback.
func (c *Client) setState(to State, err error, addr string, cc *clientConn) {
	c.mu.Lock()
	from := c.state
	if from == to || !legalTransition(from, to) {
		c.mu.Unlock()
		if from != to {
			// A bug of ours, logged loudly but never a panic: the
			// transition is refused and the client keeps its state.
			c.o.log.Error("transport: illegal state transition refused", zap.Stringer("from", from), zap.Stringer("to", to))
		}
		return
	}
	c.state = to
	// Stamped here, under the lock that makes the state visible, so that
	// nothing can observe the new state at a time before At.
	at := c.o.now()
	switch {
	case to == TransientFailure:
		c.failedAttempts++
		c.lastFailure = time.Now()
		c.suspect = silent(err)
	case to == Ready:
		c.suspect = false
	case from == Ready && err != nil:
		c.suspect = silent(err)
	}
	if err != nil {
		c.lastErr = err
	}
	c.addr = addr
	c.conn = cc
	c.ready.Store(cc)
	if cc != nil && !cc.usable() {
		// It died between its handshake and now; its fail() may have
		// run before the Store above, so undo the Store: a dead
		// connection must never be the calls' fast path.
		c.ready.CompareAndSwap(cc, nil)
	}
	close(c.stateCh)
	c.stateCh = make(chan struct{})
	if to == TransientFailure || to == Ready {
		select { // only kicks made during this backoff (or spread) count
		case <-c.kick:
		default:
		}
	}
	c.mu.Unlock()

	level := zapcore.InfoLevel
	if to == TransientFailure {
		level = zapcore.WarnLevel
	}
	if ce := c.o.log.Check(level, "transport: state change"); ce != nil {
		fields := []zap.Field{zap.Stringer("from", from), zap.Stringer("to", to), zap.String("addr", addr)}
		if err != nil {
			fields = append(fields, zap.Error(err))
		}
		ce.Write(fields...)
	}
	if c.o.onState != nil {
		c.o.onState(StateChange{From: from, To: to, Err: err, Addr: addr, At: at})
	}
}

// run is the owner goroutine: the only code that dials, installs and
// discards connections and changes state.
func (c *Client) run() {
	defer close(c.ownerDone)
	retries := 0
	idx := 0
	everReady := false
	var lastErr error
	var lastImmediate time.Time // immediate reconnects: at most one per BaseDelay

	select {
	case <-c.kick:
	case <-c.closing:
		c.shutdown(nil)
		return
	}
	for {
		c.pruneRetired()
		// Connecting: one pass over the addresses, starting with the
		// current one, moving on round-robin after each failure.
		c.setState(Connecting, nil, c.addrs[idx], nil)
		start := time.Now()
		var cc *clientConn
		var err error
		failed := c.addrs[idx]
		for i := 0; i < len(c.addrs); i++ {
			c.mu.Lock()
			c.addr = c.addrs[idx]
			c.mu.Unlock()
			failed = c.addrs[idx]
			cc, err = c.connect(c.addrs[idx], c.o.backoff.connectTimeout(retries))
			if err == nil || c.isClosed() {
				break
			}
			c.dialFailures.Add(1)
			idx = (idx + 1) % len(c.addrs)
		}
		if c.isClosed() {
			if cc != nil {
				cc.fail(&CallError{Op: "call", Addr: cc.addr, Err: ErrClosed})
				cc.wg.Wait()
			}
			c.shutdown(nil)
			return
		}
		if err != nil {
			lastErr = err
			next := start.Add(c.o.backoff.delay(retries, c.o.rand()))
			retries++
			c.setState(TransientFailure, err, failed, nil)
			if !c.sleepUntil(next) {
				c.shutdown(nil)
				return
			}
			continue
		}

		retries = 0 // the server's handshake reply proves it accepted us
		if everReady {
			c.reconnects.Add(1)
		}
		everReady = true
		cc.start()
		c.setState(Ready, nil, cc.addr, cc)

		select {
		case <-cc.done:
			lastErr = cc.failure()
			cc.wg.Wait()
		case <-cc.goaway:
			lastErr = &CallError{Op: "read", Addr: cc.addr, Err: errServerDraining}
			c.mu.Lock()
			c.retired = append(c.retired, cc)
			c.mu.Unlock()
			idx = (idx + 1) % len(c.addrs)
		case <-c.closing:
			cc.fail(&CallError{Op: "call", Addr: cc.addr, MaySent: true, Err: ErrClosed})
			cc.wg.Wait()
			c.shutdown(nil)
			return
		}
		if now := time.Now(); now.Sub(lastImmediate) >= c.o.backoff.BaseDelay {
			// A connection that worked and broke: reconnect at once, so
			// that the calls it carried are retried on a fresh one.
			lastImmediate = now
			c.setState(Connecting, lastErr, cc.addr, nil)
			// Many clients lose a restarted server at the same moment:
			// unless a call needs the connection now, spread their
			// reconnects uniformly over one base delay so that they do
			// not arrive together (docs/reconnect.md §8.6; its §9 T11 wants
			// no tenth of BaseDelay to hold over 15 % of them). T1's bound,
			// 1.2 base delays, still holds.
			c.mu.Lock()
			idle := c.waiting == 0 && c.inFlight.Load() == 0
			c.mu.Unlock()
			if spread := time.Duration(c.o.rand() * float64(c.o.backoff.BaseDelay)); idle && spread > 0 {
				if !c.sleepUntil(time.Now().Add(spread)) {
					c.shutdown(nil)
					return
				}
			}
			continue
		}
		// Connections keep breaking right after their handshake: back off,
		// so that a server that accepts and drops cannot make us spin.
		next := time.Now().Add(c.o.backoff.delay(retries, c.o.rand()))
		retries++
		c.setState(TransientFailure, lastErr, cc.addr, nil)
		if !c.sleepUntil(next) {
			c.shutdown(nil)
			return
		}
	}
}

// sleepUntil waits out a backoff: until t, a kick (Connect or an eager
// call), or Close. It reports false on Close.
func (c *Client) sleepUntil(t time.Time) bool {
	timer := time.NewTimer(time.Until(t))
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-c.kick:
		return true
	case <-c.closing:
		return false
	}
}

// pruneRetired forgets draining connections that have died.
func (c *Client) pruneRetired() {
	c.mu.Lock()
	defer c.mu.Unlock()
	live := c.retired[:0]
	for _, cc := range c.retired {
		select {
		case <-cc.done:
			cc.wg.Wait()
		default:
			live = append(live, cc)
		}
	}
	clear(c.retired[len(live):])
	c.retired = live
}

// shutdown closes draining connections and enters Shutdown.
func (c *Client) shutdown(err error) {
	c.mu.Lock()
	retired := c.retired
	c.retired = nil
	c.mu.Unlock()
	for _, cc := range retired {
		cc.fail(&CallError{Op: "call", Addr: cc.addr, MaySent: true, Err: ErrClosed})
		cc.wg.Wait()
	}
	c.mu.Lock()
	addr := c.addr
	c.mu.Unlock()
	c.setState(Shutdown, err, addr, nil)
}

// connect dials addr and completes the TLS and calbridge.hello handshakes
// within timeout. Close interrupts it.
func (c *Client) connect(addr string, timeout time.Duration) (*clientConn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil, ErrClosed
	}
	c.cancelAttempt = cancel
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		c.cancelAttempt = nil
		c.mu.Unlock()
	}()

	c.dials.Add(1)
	dctx, dcancel := context.WithTimeout(ctx, c.o.dialTimeout)
	nc, err := c.o.dialer.DialContext(dctx, "tcp", addr)
	dcancel()
	if err != nil {
		return nil, &CallError{Op: "dial", Addr: addr, Err: err}
	}
	hctx, hcancel := context.WithTimeout(ctx, c.o.handshakeTimeout)
	defer hcancel()
	if c.o.tls != nil {
		cfg := c.o.tls
		if cfg.ServerName == "" {
			cfg = cfg.Clone()
			cfg.ServerName, _, _ = net.SplitHostPort(addr)
		}
		tc := tls.Client(nc, cfg)
		if err := tc.HandshakeContext(hctx); err != nil {
			_ = nc.Close()
			return nil, &CallError{Op: "handshake", Addr: addr, Err: err}
		}
		nc = tc
	}
	live := newLiveReader(nc)
	br, hello, err := c.hello(hctx, nc, live)
	if err != nil {
		_ = nc.Close()
		return nil, &CallError{Op: "handshake", Addr: addr, Err: err}
	}
	maxReq := hello.MaxMessageBytes
	if maxReq <= 0 {
		maxReq = DefaultServerMaxMessageBytes
	}
	return newClientConn(c, nc, br, live, addr, maxReq), nil
}

// hello runs the calbridge.hello exchange (id 0) under ctx's deadline.
// With the compact form on, the client offers it; a server that predates
// the offer refuses the unknown member with CodeInvalidParams, and the
// client says hello again, on the same connection, without it.
func (c *Client) hello(ctx context.Context, nc net.Conn, r io.Reader) (*bufio.Reader, helloResult, error) {
	var hr helloResult
	dl, _ := ctx.Deadline()
	if err := nc.SetDeadline(dl); err != nil {
		return nil, hr, err
	}
	stop := context.AfterFunc(ctx, func() { _ = nc.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	br := bufio.NewReaderSize(r, 32<<10)
	var forms []string
	if c.o.compact {
		forms = []string{CompactForm}
	}
	hr, err := c.helloExchange(ctx, nc, br, forms)
	if re, ok := err.(*RemoteError); ok && re.Code == CodeInvalidParams && forms != nil {
		forms = nil
		hr, err = c.helloExchange(ctx, nc, br, forms)
	}
	if err != nil {
		return nil, hr, err
	}
	if hr.Version != ProtocolVersion {
		return nil, hr, fmt.Errorf("%w: server chose version %d, client speaks %d", ErrVersionMismatch, hr.Version, ProtocolVersion)
	}
	if hr.Form != "" && !slices.Contains(forms, hr.Form) {
		return nil, hr, fmt.Errorf("%w: server chose result form %q, which the client did not offer", ErrProtocol, hr.Form)
	}
	if !stop() {
		return nil, hr, ctxOr(ctx, context.Canceled)
	}
	if err := nc.SetDeadline(time.Time{}); err != nil {
		return nil, hr, err
	}
	return br, hr, nil
}

// helloExchange sends one calbridge.hello offering forms and reads its
// reply.
func (c *Client) helloExchange(ctx context.Context, nc net.Conn, br *bufio.Reader, forms []string) (helloResult, error) {
	var hr helloResult
	e := getEncoder()
	err := e.request(0, methodHello, helloParams{Version: ProtocolVersion, Token: c.o.token, Client: "calbridge-go", Forms: forms})
	if err == nil {
		_, err = nc.Write(e.buf)
	}
	putEncoder(e)
	if err != nil {
		return hr, ctxOr(ctx, err)
	}
	var scratch []byte
	line, err := readLine(br, c.o.maxMessageBytes, &scratch)
	if err != nil {
		return hr, ctxOr(ctx, err)
	}
	var resp wireResponse
	if err := json.Unmarshal(line, &resp); err != nil {
		return hr, fmt.Errorf("%w: hello reply: %v", ErrProtocol, err)
	}
	if resp.Error != nil {
		return hr, newRemoteError(resp.Error)
	}
	if id, ok := parseID(resp.ID); !ok || id != 0 {
		return hr, fmt.Errorf("%w: hello reply with id %s", ErrProtocol, resp.ID)
	}
	if err := json.Unmarshal(resp.Result, &hr); err != nil {
		return hr, fmt.Errorf("%w: hello result: %v", ErrProtocol, err)
	}
	return hr, nil
}

// ctxOr prefers ctx's error, which says why an I/O call was interrupted.
func ctxOr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("%w (%v)", ctx.Err(), err)
	}
	return err
}
