package natstransport

import (
	"context"
	"errors"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"go.uber.org/zap"

	"github.com/calbridge/calbridge/freebusy"
	"github.com/calbridge/calbridge/transport"
)

// Conditions a Client reports as the cause of its errors.
var (
	// ErrWorkerLost is the cause of a call whose worker went silent (no
	// heartbeat for WithMissedHeartbeats intervals) on its last attempt.
	ErrWorkerLost = errors.New("natstransport: worker stopped answering")
	// ErrAllBusy is the cause of the Throttled error of a call whose
	// deadline came while every worker it reached refused it as busy.
	ErrAllBusy = errors.New("natstransport: every worker asked was busy")
)

var _ freebusy.Source = (*Client)(nil)

// Client is the Notes half's side of the NATS transport: a
// freebusy.Source that sends each query as a NATS request to the workers
// listening on its subject and waits for one of them to answer, giving up
// a worker that stops sending heartbeats and asking another. See the
// package documentation for the protocol, the retry rule and the errors.
// A Client is safe for concurrent use; create one with NewClient.
type Client struct {
	o     clientOptions
	nc    *nats.Conn
	owned bool
	link  *link
	sub   *nats.Subscription
	inbox string // reply subjects are inbox + token

	mu      sync.Mutex
	pending map[string]*pending
	seq     uint64

	closing   chan struct{}
	closeOnce sync.Once

	calls, callFailures, retries, lostWorkers, busy, noResponders atomic.Uint64
	inFlight                                                      atomic.Int64
}

// pending is one attempt waiting for its replies.
type pending struct {
	seen   atomic.Int64 // when the latest sign of life arrived (Unix ns)
	hb     atomic.Int64 // the worker's announced heartbeat interval (ns)
	worker atomic.Pointer[string]
	final  chan *nats.Msg // the reply that ends the attempt; first one wins
}

// NewClient returns a Client that sends queries through the NATS servers
// at urls (nats://, tls://, with credentials in the URL or as options),
// or through the connection of WithConn, in which case urls is empty. It
// fails, with an error matching transport.ErrInvalidOption, when an
// option has a value it cannot take or urls are malformed, and with
// nats.go's error when a NATS server refuses the connection (wrong
// credentials, TLS required) or an option cannot be used (a missing
// credentials file). A NATS server that cannot be reached is not an
// error: the Client starts in TransientFailure and connects when one
// comes up. Close releases it.
func NewClient(urls []string, opts ...ClientOption) (*Client, error) {
	o := clientOptions{common: defaultCommon(), maxAttempts: DefaultMaxAttempts, missed: DefaultMissedHeartbeats, maxAnswerBytes: DefaultMaxAnswerBytes}
	for _, opt := range opts {
		opt.applyClient(&o)
	}
	if o.err != nil {
		return nil, o.err
	}
	// No reconnect buffer: a query published while disconnected fails at
	// once instead of waiting in a buffer for a server that may not
	// come back before the caller's deadline.
	nc, owned, err := connect(urls, &o.common, "calbridge-natstransport-client", nats.ReconnectBufSize(-1))
	if err != nil {
		return nil, err
	}
	c := &Client{o: o, nc: nc, owned: owned, pending: make(map[string]*pending), closing: make(chan struct{})}
	c.inbox = nc.NewInbox() + "."
	if c.sub, err = nc.Subscribe(c.inbox+"*", c.onReply); err != nil {
		if owned {
			nc.Close()
		}
		return nil, errors.Join(errors.New("natstransport: subscribe to the reply inbox"), err)
	}
	c.link = newLink(nc, &o.common, nil)
	return c, nil
}

// FreeBusy implements freebusy.Source: it sends q to a worker and returns
// its answer. The query is validated first (a *freebusy.QueryError). The
// errors are those of transport.Client (see the package documentation):
// a *freebusy.Error of ReasonUnavailable when NATS is down or no worker
// listens, the worker's own *freebusy.Error when it failed, a
// *transport.CallError matching freebusy.ErrTimeout when the deadline
// passed and freebusy.ErrUnavailable when the workers kept dying, and
// transport.ErrClosed after Close.
func (c *Client) FreeBusy(ctx context.Context, q freebusy.Query) ([]freebusy.Schedule, error) {
	return c.FreeBusyInto(ctx, q, nil)
}

var _ freebusy.BufferedSource = (*Client)(nil)

// FreeBusyInto implements freebusy.BufferedSource: it is FreeBusy, with
// an answer in the compact form (see WithCompactSchedules) decoded into
// buf's memory, so that a handler answering query after query through
// NATS does not allocate each answer's schedules, intervals and events
// anew. The schedules are valid until buf is Reset. An answer in JSON (a
// worker from before the form, or one with it off) does not use buf. The
// answer is decoded in the calling goroutine: once FreeBusyInto returns,
// nothing touches buf.
func (c *Client) FreeBusyInto(ctx context.Context, q freebusy.Query, buf *freebusy.ScheduleBuffer) ([]freebusy.Schedule, error) {
	if c.isClosed() {
		return nil, transport.ErrClosed
	}
	if err := q.Validate(); err != nil {
		return nil, err
	}
	c.calls.Add(1)
	c.inFlight.Add(1)
	defer c.inFlight.Add(-1)
	out, err := c.call(ctx, q, buf)
	if err != nil {
		c.callFailures.Add(1)
		return nil, err
	}
	return out, nil
}

// Delays between attempts, all ±20 %: after a temporary error answer
// without a retry hint, 25 ms doubling; after a busy refusal, 5 ms
// doubling up to 250 ms; while no worker listens (WithWaitForReady
// only), 50 ms doubling up to 1 s.
const (
	retryBaseDelay    = 25 * time.Millisecond
	busyBaseDelay     = 5 * time.Millisecond
	busyMaxDelay      = 250 * time.Millisecond
	noWorkerBaseDelay = 50 * time.Millisecond
	noWorkerMaxDelay  = time.Second
)

// outcome is how an attempt ended.
type outcome int

const (
	gotReply     outcome = iota // a final reply: answer, busy, gone or no responders
	workerLost                  // no sign of life for the liveness window
	connLost                    // the connection to NATS went down
	ctxDone                     // the caller's context ended
	clientClosed                // Close was called
)

func (c *Client) call(ctx context.Context, q freebusy.Query, buf *freebusy.ScheduleBuffer) ([]freebusy.Schedule, error) {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.o.callTimeout)
		defer cancel()
	}
	body, err := encodeRequest(q)
	if err != nil {
		return nil, &freebusy.Error{Reason: freebusy.ReasonInvalid, Message: "natstransport: cannot encode the query: " + err.Error(), Cause: err}
	}
	hops := freebusy.Hops(ctx)
	attempts, refusals, absent := 0, 0, 0
	var last error // why the latest attempt failed, for the final error
	// failed ends a counted attempt that may be retried: it returns the
	// final error when the attempts are spent, and nil to go on.
	failed := func(op string, cause error) error {
		last = cause
		if attempts >= c.o.maxAttempts {
			return &transport.CallError{Op: op, Addr: c.o.subject, Attempts: attempts, MaySent: true, Err: cause}
		}
		c.retries.Add(1)
		return nil
	}
	for {
		if err := ctx.Err(); err != nil {
			return nil, &transport.CallError{Op: "call", Addr: c.o.subject, Attempts: attempts, MaySent: attempts > 0, Err: err}
		}
		if err := c.ready(ctx); err != nil {
			if last != nil && !errors.Is(err, transport.ErrClosed) {
				return nil, unavailable("natstransport: not connected", last)
			}
			return nil, err
		}
		r, err := c.attempt(ctx, body, hops)
		if err != nil {
			return nil, err
		}
		var delay time.Duration
		switch r.how {
		case clientClosed:
			return nil, transport.ErrClosed
		case ctxDone:
			return nil, &transport.CallError{Op: "call", Addr: c.o.subject, Attempts: attempts + 1, MaySent: true, Err: ctx.Err()}
		case connLost:
			attempts++
			refusals = 0
			if err := failed("call", transport.ErrConnectionLost); err != nil {
				return nil, err
			}
			continue
		case workerLost:
			attempts++
			refusals = 0
			c.lostWorkers.Add(1)
			c.o.log.Debug("natstransport: worker went silent; asking another", zap.String("worker", r.worker))
			if err := failed("call", ErrWorkerLost); err != nil {
				return nil, err
			}
			continue
		}
		// A final reply.
		m := r.msg
		switch kind := m.Header.Get(hdrKind); kind {
		case kindBusy, kindGone:
			// Not run (busy), or given up (gone): ask again, another
			// worker most likely, without spending an attempt.
			c.busy.Add(1)
			refusals++
			if kind == kindBusy {
				delay = c.busyDelay(refusals)
				if !fits(ctx, delay) {
					return nil, &freebusy.Error{Reason: freebusy.ReasonThrottled, Message: "natstransport: every worker asked was busy", Cause: ErrAllBusy}
				}
			}
		case kindAnswer:
			attempts++
			refusals = 0
			schedules, fe, err := decodeAnswer(m.Header.Get(hdrForm), m.Data, c.o.maxAnswerBytes, buf)
			switch {
			case err != nil:
				// A worker of another version, or a broken one: another
				// worker may do better.
				if err := failed("answer", err); err != nil {
					return nil, err
				}
			case fe != nil:
				if !fe.Reason.Temporary() || attempts >= c.o.maxAttempts {
					return nil, fe
				}
				delay = c.retryDelay(attempts, fe.RetryAfter)
				if !fits(ctx, delay) {
					return nil, fe
				}
				_ = failed("answer", fe)
			default:
				if err := freebusy.CheckResult(q, schedules); err != nil {
					return nil, err
				}
				return schedules, nil
			}
		default:
			if kind == "" && m.Header.Get(hdrStatus) == "503" {
				// The NATS server says no one listens on the subject: no
				// worker is up. A fail-fast call says so at once; one
				// that waits for ready waits for a worker too (after a
				// NATS restart the workers come back a moment after the
				// clients do).
				c.noResponders.Add(1)
				noWorker := &freebusy.Error{Reason: freebusy.ReasonUnavailable, Message: "natstransport: no worker listens on " + c.o.subject, Cause: nats.ErrNoResponders}
				if !c.o.waitForReady {
					return nil, noWorker
				}
				absent++
				delay = jitter(min(noWorkerBaseDelay<<min(absent-1, 10), noWorkerMaxDelay))
				if !fits(ctx, delay) {
					return nil, noWorker
				}
				break
			}
			attempts++
			refusals = 0
			if err := failed("answer", badAnswer(ErrMalformed, "reply of kind "+strconv.Quote(kind))); err != nil {
				return nil, err
			}
		}
		if delay > 0 {
			t := time.NewTimer(delay)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				return nil, &transport.CallError{Op: "call", Addr: c.o.subject, Attempts: max(attempts, 1), MaySent: true, Err: ctx.Err()}
			case <-c.closing:
				t.Stop()
				return nil, transport.ErrClosed
			}
		}
	}
}

// fits reports whether a wait of d ends before ctx's deadline.
func fits(ctx context.Context, d time.Duration) bool {
	dl, ok := ctx.Deadline()
	return !ok || time.Until(dl) > d
}

func (c *Client) retryDelay(attempt int, hint time.Duration) time.Duration {
	if hint > 0 {
		return hint
	}
	return jitter(retryBaseDelay << min(attempt-1, 10))
}

func (c *Client) busyDelay(refusals int) time.Duration {
	return jitter(min(busyBaseDelay<<min(refusals-1, 10), busyMaxDelay))
}

func jitter(d time.Duration) time.Duration {
	return time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
}

// unavailable returns the fail-fast error: Unavailable, carrying cause.
func unavailable(msg string, cause error) *freebusy.Error {
	if cause != nil {
		msg += ": " + cause.Error()
	}
	return &freebusy.Error{Reason: freebusy.ReasonUnavailable, Message: msg, Cause: cause}
}

// ready returns nil when the connection can carry a query. While it
// cannot, it fails at once with an Unavailable error, or, with
// WithWaitForReady, waits for it within ctx.
func (c *Client) ready(ctx context.Context) error {
	for {
		if c.isClosed() {
			return transport.ErrClosed
		}
		if c.nc.IsConnected() {
			return nil
		}
		st := c.link.State()
		if !c.o.waitForReady || st == transport.Shutdown {
			return unavailable("natstransport: not connected", c.link.lastError())
		}
		if !c.link.waitForStateChange(ctx, st) {
			return &transport.CallError{Op: "wait", Addr: c.o.subject, Err: ctx.Err()}
		}
	}
}

// attemptResult is how an attempt ended: its final reply (gotReply), or
// the worker's id when it went silent (workerLost).
type attemptResult struct {
	how    outcome
	msg    *nats.Msg
	worker string
}

// attempt sends the query once and waits for a final reply, the loss of
// the worker or of the connection, the end of ctx or Close. It returns an
// error only when the query could not be sent.
func (c *Client) attempt(ctx context.Context, body []byte, hops int) (attemptResult, error) {
	p := &pending{final: make(chan *nats.Msg, 1)}
	start := time.Now()
	p.seen.Store(start.UnixNano())
	token := c.register(p)
	defer c.unregister(token)

	msg := &nats.Msg{Subject: c.o.subject, Reply: c.inbox + token, Data: body, Header: make(nats.Header, 3)}
	if hops > 0 {
		msg.Header.Set(hdrHops, strconv.Itoa(hops))
	}
	if !c.o.jsonOnly {
		msg.Header.Set(hdrForms, transport.CompactForm)
	}
	if dl, ok := ctx.Deadline(); ok {
		msg.Header.Set(hdrTimeout, strconv.FormatInt(max(time.Until(dl).Milliseconds(), 1), 10))
	}
	lost := c.link.lostCh()
	if err := c.nc.PublishMsg(msg); err != nil {
		if errors.Is(err, nats.ErrMaxPayload) {
			return attemptResult{}, &freebusy.Error{Reason: freebusy.ReasonInvalid, Message: "natstransport: query larger than the NATS server's max_payload", Cause: err}
		}
		return attemptResult{}, unavailable("natstransport: cannot send the query", err)
	}

	timer := time.NewTimer(c.window(p))
	defer timer.Stop()
	for {
		select {
		case m := <-p.final:
			return attemptResult{how: gotReply, msg: m}, nil
		case <-timer.C:
			w := c.window(p)
			idle := time.Since(time.Unix(0, p.seen.Load()))
			if idle >= w {
				r := attemptResult{how: workerLost}
				if id := p.worker.Load(); id != nil {
					r.worker = *id
				}
				return r, nil
			}
			timer.Reset(w - idle)
		case <-lost:
			return attemptResult{how: connLost}, nil
		case <-ctx.Done():
			return attemptResult{how: ctxDone}, nil
		case <-c.closing:
			return attemptResult{how: clientClosed}, nil
		}
	}
}

// window is how long an attempt may go without a sign of life: the
// missed heartbeats of the longer of the client's interval and the one
// the worker announced.
func (c *Client) window(p *pending) time.Duration {
	hb := max(c.o.heartbeat, time.Duration(p.hb.Load()))
	return time.Duration(c.o.missed) * hb
}

func (c *Client) register(p *pending) string {
	c.mu.Lock()
	c.seq++
	token := strconv.FormatUint(c.seq, 36)
	c.pending[token] = p
	c.mu.Unlock()
	return token
}

func (c *Client) unregister(token string) {
	c.mu.Lock()
	delete(c.pending, token)
	c.mu.Unlock()
}

// maxAnnouncedHeartbeat bounds the interval a worker may announce, so that
// a misconfigured one cannot make its callers wait for ever for signs of
// life (their deadline bounds them anyway).
const maxAnnouncedHeartbeat = time.Minute

// onReply receives every reply to this client's queries, on nats.go's
// delivery goroutine: it records signs of life and hands final replies
// to the waiting attempt, whose goroutine decodes them.
func (c *Client) onReply(m *nats.Msg) {
	token, ok := strings.CutPrefix(m.Subject, c.inbox)
	if !ok {
		return
	}
	c.mu.Lock()
	p := c.pending[token]
	c.mu.Unlock()
	if p == nil {
		return // a late reply to an attempt given up
	}
	switch kind := m.Header.Get(hdrKind); kind {
	case kindAck, kindProgress:
		if ms, err := headerInt(m.Header, hdrHeartbeat, int(maxAnnouncedHeartbeat/time.Millisecond)); err == nil && ms > 0 {
			p.hb.Store(int64(time.Duration(ms) * time.Millisecond))
		}
		if id := m.Header.Get(hdrWorker); kind == kindAck && id != "" {
			p.worker.Store(&id)
		}
		p.seen.Store(time.Now().UnixNano())
	default:
		select {
		case p.final <- m:
		default:
		}
	}
}

// Stats is a snapshot of a Client's connection and counters.
type Stats struct {
	// State is the connection's state.
	State transport.State
	// LastError is the most recent connection error, kept after recovery
	// for diagnosis; nil if there never was one.
	LastError error
	// Reconnects counts returns to Ready after the first.
	Reconnects uint64
	// Calls counts calls made; CallFailures those that returned an error.
	Calls, CallFailures uint64
	// Retries counts attempts sent again after a lost worker, a lost
	// connection, an unreadable answer or a temporary error.
	Retries uint64
	// LostWorkers counts attempts given up because the worker went silent.
	LostWorkers uint64
	// Busy counts refusals from workers at their limit or closing; each
	// is followed by another attempt, usually to another worker.
	Busy uint64
	// NoResponders counts calls that found no worker listening.
	NoResponders uint64
	// InFlight is the number of calls in progress.
	InFlight int
}

// Stats returns a snapshot of the state and counters.
func (c *Client) Stats() Stats {
	st, err, rc := c.link.snapshot()
	return Stats{
		State:        st,
		LastError:    err,
		Reconnects:   rc,
		Calls:        c.calls.Load(),
		CallFailures: c.callFailures.Load(),
		Retries:      c.retries.Load(),
		LostWorkers:  c.lostWorkers.Load(),
		Busy:         c.busy.Load(),
		NoResponders: c.noResponders.Load(),
		InFlight:     int(c.inFlight.Load()),
	}
}

// State returns the connection's state (see the package documentation
// for how NATS statuses map to transport states).
func (c *Client) State() transport.State { return c.link.State() }

// WaitForStateChange waits until the state differs from from, or ctx
// ends, and reports whether it changed. A change may be stale by the time
// the caller looks: re-read State.
func (c *Client) WaitForStateChange(ctx context.Context, from transport.State) bool {
	return c.link.waitForStateChange(ctx, from)
}

func (c *Client) isClosed() bool {
	select {
	case <-c.closing:
		return true
	default:
		return false
	}
}

// Close makes calls in progress and all later ones return
// transport.ErrClosed, removes the reply subscription and closes the
// connection unless it came from WithConn. It is idempotent, returns nil,
// and returns once the goroutine the Client started has exited.
func (c *Client) Close() error {
	c.closeOnce.Do(func() {
		close(c.closing)
		_ = c.sub.Unsubscribe()
		if c.owned {
			c.nc.Close()
		}
		c.link.stop()
	})
	return nil
}
