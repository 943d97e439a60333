package natstransport

import (
	"context"
	"errors"
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

// Server is a worker: it serves a freebusy.Source to the Clients of its
// subject, as one member of a NATS queue group, so that several workers
// share the queries and any of them may stop without a Client noticing
// more than a retry. It runs at most WithConcurrency queries at once and
// refuses more as busy; while a query runs it sends its caller a
// heartbeat every WithHeartbeatInterval. See the package documentation.
// A Server is safe for concurrent use; create one with NewServer.
type Server struct {
	src   freebusy.Source
	o     serverOptions
	nc    *nats.Conn
	owned bool
	link  *link
	sub   *nats.Subscription
	id    string
	sem   chan struct{}

	base   context.Context // cancelled by Close: the queries' parent
	cancel context.CancelFunc

	mu       sync.Mutex
	running  map[*call]struct{} // the queries running
	closed   bool               // no new query is taken
	draining bool
	wg       sync.WaitGroup // the queries' goroutines

	ackHdr, progressHdr, busyHdr, goneHdr, answerHdr nats.Header
	compactAnswerHdr                                 nats.Header

	hbStop    chan struct{}
	hbDone    chan struct{}
	closeOnce sync.Once

	calls, failures, busy, invalid atomic.Uint64
}

// NewServer returns a Server that answers the queries sent to its
// subject with src, connected to the NATS servers at urls or through the
// connection of WithConn (urls then empty). It subscribes at once; a NATS
// server that cannot be reached is not an error: the subscription is made
// when the connection comes up. Options with values they cannot take fail
// it with an error matching transport.ErrInvalidOption, and a NATS server
// that refuses the connection with nats.go's error, as for NewClient.
// Shutdown or Close releases it.
func NewServer(urls []string, src freebusy.Source, opts ...ServerOption) (*Server, error) {
	if src == nil {
		return nil, errors.New("natstransport: nil Source")
	}
	o := serverOptions{common: defaultCommon(), queue: DefaultQueueGroup, concurrency: DefaultConcurrency}
	for _, opt := range opts {
		opt.applyServer(&o)
	}
	if o.err != nil {
		return nil, o.err
	}
	nc, owned, err := connect(urls, &o.common, "calbridge-natstransport-worker")
	if err != nil {
		return nil, err
	}
	s := &Server{
		src:     src,
		o:       o,
		nc:      nc,
		owned:   owned,
		id:      strings.TrimPrefix(nats.NewInbox(), "_INBOX."),
		sem:     make(chan struct{}, o.concurrency),
		running: make(map[*call]struct{}),
		hbStop:  make(chan struct{}),
		hbDone:  make(chan struct{}),
	}
	s.ackHdr = nats.Header{hdrKind: {kindAck}, hdrHeartbeat: {strconv.FormatInt(max(o.heartbeat.Milliseconds(), 1), 10)}, hdrWorker: {s.id}}
	s.progressHdr = nats.Header{hdrKind: {kindProgress}, hdrHeartbeat: s.ackHdr[hdrHeartbeat]}
	s.busyHdr = nats.Header{hdrKind: {kindBusy}}
	s.goneHdr = nats.Header{hdrKind: {kindGone}}
	s.answerHdr = nats.Header{hdrKind: {kindAnswer}}
	s.compactAnswerHdr = nats.Header{hdrKind: {kindAnswer}, hdrForm: {transport.CompactForm}}
	s.base, s.cancel = context.WithCancel(context.Background())
	if s.sub, err = nc.QueueSubscribe(o.subject, o.queue, s.handle); err != nil {
		s.cancel()
		if owned {
			nc.Close()
		}
		return nil, errors.Join(errors.New("natstransport: subscribe to "+o.subject), err)
	}
	// Ready means subscribed: the round trip proves the NATS server has
	// taken the subscription (nats.go sends it again after a reconnect,
	// before the status changes), so a Client that sees this worker
	// Ready will not be told that no one listens.
	s.link = newLink(nc, &o.common, func(ctx context.Context) error { return nc.FlushWithContext(ctx) })
	go s.heartbeats()
	return s, nil
}

// handle takes one query, on nats.go's delivery goroutine: it refuses it
// when the worker is busy or closing, answers a malformed one at once,
// and otherwise runs it on a goroutine of its own.
func (s *Server) handle(m *nats.Msg) {
	if m.Reply == "" {
		return // a publish without a reply subject is not a query
	}
	select {
	case s.sem <- struct{}{}:
	default:
		s.busy.Add(1)
		s.reply(m.Reply, s.busyHdr, nil)
		return
	}
	req, err := decodeRequest(m.Header, m.Data)
	if err != nil {
		<-s.sem
		s.invalid.Add(1)
		reason := freebusy.ReasonInvalid
		if errors.Is(err, ErrVersion) {
			// Another worker of the group may speak the caller's
			// version: a temporary reason makes the Client ask again.
			reason = freebusy.ReasonUnavailable
		}
		s.answer(m.Reply, nil, &freebusy.Error{Reason: reason, Message: err.Error()}, false)
		return
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		<-s.sem
		s.reply(m.Reply, s.goneHdr, nil)
		return
	}
	cl := &call{reply: m.Reply}
	s.running[cl] = struct{}{}
	s.wg.Add(1)
	// The ack waits for ackDelay: a query answered sooner needs none (its
	// answer is the sign of life), which spares the fast ones a message
	// through NATS; a slower one is acknowledged long before its caller's
	// liveness window ends.
	cl.ackTimer = time.AfterFunc(s.ackDelay(), func() { s.ack(cl) })
	s.mu.Unlock()
	go s.run(cl, req)
}

// call is a query running.
type call struct {
	reply    string
	ackTimer *time.Timer
	acked    bool // the ack was sent: heartbeats follow; s.mu guards it
}

// ackDelay is how long a query runs before the worker acknowledges it: a
// tenth of the heartbeat interval, at most 100 ms.
func (s *Server) ackDelay() time.Duration { return min(s.o.heartbeat/10, 100*time.Millisecond) }

// ack sends cl's caller the ack, if the query is still running.
func (s *Server) ack(cl *call) {
	s.mu.Lock()
	if _, ok := s.running[cl]; !ok || cl.acked {
		s.mu.Unlock()
		return
	}
	cl.acked = true
	s.mu.Unlock()
	s.reply(cl.reply, s.ackHdr, nil)
}

// run answers one query.
func (s *Server) run(cl *call, req request) {
	defer s.wg.Done()
	defer func() { <-s.sem }()
	s.calls.Add(1)
	out, err := s.query(req)
	s.mu.Lock()
	cl.ackTimer.Stop()
	delete(s.running, cl)
	closed := s.closed
	s.mu.Unlock()
	if err != nil {
		if closed && s.base.Err() != nil {
			// Close interrupted it: tell the caller to ask another
			// worker rather than pass the interruption on as an answer.
			s.reply(cl.reply, s.goneHdr, nil)
			return
		}
		s.failures.Add(1)
	}
	s.answer(cl.reply, out, err, req.compact && !s.o.jsonOnly)
}

// query runs the Source within the caller's deadline (as sent) and the
// server's call timeout, with the caller's hop count on its context.
func (s *Server) query(req request) ([]freebusy.Schedule, error) {
	if err := req.q.Validate(); err != nil {
		return nil, err
	}
	timeout := s.o.callTimeout
	if req.timeout > 0 {
		timeout = min(timeout, req.timeout)
	}
	ctx, cancel := context.WithTimeout(s.base, timeout)
	defer cancel()
	if req.hops > 0 {
		ctx = freebusy.WithHops(ctx, req.hops)
	}
	out, err := s.src.FreeBusy(ctx, req.q)
	if err == nil {
		err = freebusy.CheckResult(req.q, out)
	}
	if err != nil {
		if r := freebusy.ReasonOf(err); r == freebusy.ReasonInternal {
			// The message may name attendees: only the reason above Debug.
			s.o.log.Warn("natstransport: source failed", zap.Stringer("reason", r))
			s.o.log.Debug("natstransport: source failed", zap.Error(err))
		}
		return nil, err
	}
	return out, nil
}

// answer sends the final answer: the schedules, in the compact form when
// compact (the caller offered it and the worker has it on), or the error.
func (s *Server) answer(reply string, out []freebusy.Schedule, err error, compact bool) {
	var body []byte
	var encErr error
	hdr := s.answerHdr
	switch {
	case err == nil && compact:
		b := answerBodies.Get()
		defer func() {
			*b = (*b)[:0]
			answerBodies.Put(b)
		}()
		body, encErr = appendCompactAnswer((*b)[:0], out)
		if encErr == nil {
			*b = body
		}
		hdr = s.compactAnswerHdr
	default:
		body, encErr = encodeAnswer(out, err)
	}
	if encErr != nil {
		s.o.log.Error("natstransport: cannot encode the answer", zap.Error(encErr))
		body, _ = encodeAnswer(nil, &freebusy.Error{Reason: freebusy.ReasonInternal, Message: "natstransport: cannot encode the answer"})
		hdr = s.answerHdr
	}
	if pubErr := s.nc.PublishMsg(&nats.Msg{Subject: reply, Header: hdr, Data: body}); errors.Is(pubErr, nats.ErrMaxPayload) {
		s.o.log.Warn("natstransport: answer larger than the NATS server's max_payload", zap.Int("bytes", len(body)))
		body, _ = encodeAnswer(nil, &freebusy.Error{Reason: freebusy.ReasonInternal, Message: "natstransport: answer of " + strconv.Itoa(len(body)) + " bytes exceeds the NATS server's max_payload"})
		s.reply(reply, s.answerHdr, body)
	}
}

// reply publishes a message with header hdr, which is shared and never
// written to. A failure to publish is not reported: the caller hears
// nothing and, after its liveness window, asks another worker.
func (s *Server) reply(subject string, hdr nats.Header, body []byte) {
	if err := s.nc.PublishMsg(&nats.Msg{Subject: subject, Header: hdr, Data: body}); err != nil {
		s.o.log.Debug("natstransport: cannot reply", zap.Error(err))
	}
}

// heartbeats sends the caller of every query running and acknowledged a
// progress message each heartbeat interval, from one goroutine for the
// whole worker.
func (s *Server) heartbeats() {
	defer close(s.hbDone)
	t := time.NewTicker(s.o.heartbeat)
	defer t.Stop()
	var replies []string
	for {
		select {
		case <-t.C:
		case <-s.hbStop:
			return
		}
		replies = replies[:0]
		s.mu.Lock()
		for cl := range s.running {
			if cl.acked {
				replies = append(replies, cl.reply)
			}
		}
		s.mu.Unlock()
		for _, r := range replies {
			s.reply(r, s.progressHdr, nil)
		}
	}
}

// ServerStats is a snapshot of a Server's connection and counters.
type ServerStats struct {
	// State is the connection's state; Ready means subscribed.
	State transport.State
	// LastError is the most recent connection error; nil if none.
	LastError error
	// Reconnects counts returns to Ready after the first.
	Reconnects uint64
	// Calls counts queries run; Failures those answered with an error.
	Calls, Failures uint64
	// Busy counts queries refused at the concurrency limit.
	Busy uint64
	// Invalid counts queries refused as malformed or of another version.
	Invalid uint64
	// InFlight is the number of queries running.
	InFlight int
}

// Stats returns a snapshot of the state and counters.
func (s *Server) Stats() ServerStats {
	st, err, rc := s.link.snapshot()
	s.mu.Lock()
	n := len(s.running)
	s.mu.Unlock()
	return ServerStats{State: st, LastError: err, Reconnects: rc, Calls: s.calls.Load(), Failures: s.failures.Load(), Busy: s.busy.Load(), Invalid: s.invalid.Load(), InFlight: n}
}

// State returns the connection's state: Ready once the NATS server has
// the worker's subscription.
func (s *Server) State() transport.State { return s.link.State() }

// WaitForStateChange waits until the state differs from from, or ctx
// ends, and reports whether it changed.
func (s *Server) WaitForStateChange(ctx context.Context, from transport.State) bool {
	return s.link.waitForStateChange(ctx, from)
}

// Shutdown stops the worker gracefully: it drains its subscription (the
// NATS server sends it nothing more, and the queries already delivered
// are taken as usual), waits for the running queries to be answered, and
// closes. While the NATS server is unreachable there is nothing to drain:
// it leaves the group at once and waits for the running queries only.
// When ctx ends first it closes at once (see Close) and returns ctx's
// error. Later calls of Shutdown or Close return nil.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	if s.closed || s.draining {
		s.mu.Unlock()
		return s.Close()
	}
	s.draining = true
	s.mu.Unlock()
	subClosed := s.sub.StatusChanged(nats.SubscriptionClosed)
	if !s.nc.IsConnected() {
		// Nothing can be delivered while NATS is away, and a drain would
		// wait for the server to confirm it (nats.go's drain timeout):
		// leave the group at once and wait for the running queries only.
		if s.sub.IsValid() {
			_ = s.sub.Unsubscribe()
		}
	} else if err := s.sub.Drain(); err != nil {
		s.o.log.Debug("natstransport: cannot drain the subscription", zap.Error(err))
	} else {
		select {
		case <-subClosed:
		case <-ctx.Done():
			_ = s.Close()
			return ctx.Err()
		}
	}
	// Every delivered query has been taken or refused (nats.go closes the
	// subscription only after its handler returned); wait for the ones
	// running.
	idle := make(chan struct{})
	go func() { s.wg.Wait(); close(idle) }()
	select {
	case <-idle:
	case <-ctx.Done():
		_ = s.Close()
		<-idle
		return ctx.Err()
	}
	if !s.owned {
		// The connection stays open: make sure the answers left it.
		if err := s.nc.FlushWithContext(ctx); err != nil {
			s.o.log.Debug("natstransport: flush on shutdown", zap.Error(err))
		}
	}
	return s.Close()
}

// Close stops the worker at once: it unsubscribes, cancels the running
// queries and tells their callers to ask another worker, and closes the
// connection unless it came from WithConn (nats.go writes out what was
// published before it closes). It returns once every goroutine the
// Server started has exited, which takes as long as the Source needs to
// notice its context's cancellation. It is idempotent and returns nil.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		s.mu.Unlock()
		if s.sub.IsValid() {
			_ = s.sub.Unsubscribe()
		}
		s.cancel()
		s.wg.Wait()
		close(s.hbStop)
		<-s.hbDone
		if s.owned {
			s.nc.Close()
		}
		s.link.stop()
	})
	return nil
}
