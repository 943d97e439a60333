package transport

import (
	"bufio"
	"bytes"
	"container/list"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"go.uber.org/zap"

	"github.com/calbridge/calbridge/freebusy"
)

// Server serves a freebusy.Source over the calbridge protocol (JSON-RPC 2.0,
// one message per line; PROTOCOL.md) on any net.Listener. For TLS, wrap
// the listener with tls.NewListener; for mutual TLS, set the tls.Config's
// ClientAuth to tls.RequireAndVerifyClientCert and ClientCAs.
//
// Every connection must start with calbridge.hello; other calls before it
// are refused. Before the hello a connection may buffer only a few KiB
// (WithServerMaxHelloBytes), the server holds at most WithServerMaxConns
// connections, and failed hellos are slowed per client address
// (WithServerAuthFailureLimit). Per connection the server bounds message
// size and calls in flight, sets read and write deadlines, runs
// calbridge.freebusy calls concurrently and answers pings inline, and
// closes the connection on any write or framing error, after answering
// the calls in flight for a framing error. Shutdown stops accepting,
// drains calls in flight and then closes; Close closes at once.
type Server struct {
	src freebusy.Source
	o   serverOptions

	mu        sync.Mutex
	listeners map[net.Listener]struct{}
	conns     map[*serverConn]struct{}
	preHello  list.List // of *serverConn that have not said hello, oldest first
	closed    bool

	auth authLimiter

	shuttingDown atomic.Bool
	wg           sync.WaitGroup // connection goroutines and calls
	serveWG      sync.WaitGroup // Serve loops
}

// NewServer returns a Server answering from src. It fails, with an error
// matching ErrInvalidOption, when src is nil or an option has a value it
// cannot take.
func NewServer(src freebusy.Source, opts ...ServerOption) (*Server, error) {
	if src == nil {
		return nil, configError("nil source")
	}
	o := defaultServerOptions()
	for _, opt := range opts {
		opt.applyServer(&o)
	}
	if err := o.validate(); err != nil {
		return nil, err
	}
	return &Server{
		src: src, o: o,
		listeners: map[net.Listener]struct{}{},
		conns:     map[*serverConn]struct{}{},
		auth:      authLimiter{every: o.authEvery, burst: o.authBurst, addrs: map[string]*authBucket{}},
	}, nil
}

// Serve accepts connections on l until Shutdown or Close, and then returns
// ErrServerClosed. Accept errors that pass (timeouts, running out of file
// descriptors) are retried with a short backoff; any other accept error is
// returned. Serve closes l on return.
func (s *Server) Serve(l net.Listener) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		if l != nil {
			_ = l.Close()
		}
		return ErrServerClosed
	}
	if l == nil {
		s.mu.Unlock()
		return errors.New("transport: Serve: nil listener")
	}
	s.listeners[l] = struct{}{}
	s.serveWG.Add(1)
	s.mu.Unlock()
	defer s.serveWG.Done()
	defer func() {
		s.mu.Lock()
		delete(s.listeners, l)
		s.mu.Unlock()
		_ = l.Close()
	}()

	var delay time.Duration
	for {
		nc, err := l.Accept()
		if err != nil {
			if s.shuttingDown.Load() {
				return ErrServerClosed
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() || errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE) {
				delay = min(max(2*delay, 5*time.Millisecond), time.Second)
				s.o.log.Warn("transport: accept error; retrying", zap.Error(err), zap.Duration("delay", delay))
				time.Sleep(delay)
				continue
			}
			return fmt.Errorf("transport: accept: %w", err)
		}
		delay = 0
		if !s.track(nc) {
			return ErrServerClosed
		}
	}
}

// track registers and starts a connection, or refuses it when shutting
// down. At the connection bound it first closes the oldest connection that
// has not said hello; when there is none, it closes nc instead.
func (s *Server) track(nc net.Conn) bool {
	s.mu.Lock()
	if s.closed || s.shuttingDown.Load() {
		s.mu.Unlock()
		_ = nc.Close()
		return false
	}
	var evicted *serverConn
	if len(s.conns) >= s.o.maxConns {
		e := s.preHello.Front()
		if e == nil {
			s.mu.Unlock()
			s.o.log.Debug("transport: connection refused: at the connection bound", zap.Int("maxConns", s.o.maxConns))
			_ = nc.Close()
			return true
		}
		evicted = e.Value.(*serverConn)
		s.preHello.Remove(e)
		evicted.elem = nil
		delete(s.conns, evicted)
	}
	sc := &serverConn{s: s, nc: nc, sem: make(chan struct{}, s.o.maxInFlight)}
	sc.ctx, sc.cancel = context.WithCancel(context.Background())
	s.conns[sc] = struct{}{}
	sc.elem = s.preHello.PushBack(sc)
	s.wg.Add(1)
	s.mu.Unlock()
	if evicted != nil {
		s.o.log.Debug("transport: closed a connection without hello to make room", zap.Int("maxConns", s.o.maxConns))
		evicted.close()
	}
	go sc.serve()
	return true
}

// said records that sc completed its hello: it no longer makes room for
// new connections.
func (s *Server) said(sc *serverConn) {
	s.mu.Lock()
	if sc.elem != nil {
		s.preHello.Remove(sc.elem)
		sc.elem = nil
	}
	s.mu.Unlock()
}

// Shutdown stops accepting, refuses new calls (CodeShuttingDown, not
// processed), waits for the calls in flight to finish, and closes every
// connection. If ctx ends first, it closes everything at once, cancelling
// the calls still running, and returns ctx's error.
func (s *Server) Shutdown(ctx context.Context) error {
	s.shuttingDown.Store(true)
	s.closeListeners()
	t := time.NewTicker(5 * time.Millisecond)
	defer t.Stop()
	for {
		if s.closeIdle() {
			s.wait()
			return nil
		}
		select {
		case <-ctx.Done():
			s.closeAll()
			s.wait()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// Close closes the listeners and every connection at once, cancelling the
// calls in flight, and waits for the server's goroutines (which requires
// the Source to honour its context).
func (s *Server) Close() error {
	s.shuttingDown.Store(true)
	s.closeListeners()
	s.closeAll()
	s.wait()
	return nil
}

func (s *Server) closeListeners() {
	s.mu.Lock()
	s.closed = true
	for l := range s.listeners {
		_ = l.Close()
	}
	s.mu.Unlock()
}

// closeIdle closes connections with no call in flight and reports whether
// none is left.
func (s *Server) closeIdle() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for sc := range s.conns {
		if sc.inFlight.Load() == 0 {
			sc.close()
		}
	}
	return len(s.conns) == 0
}

func (s *Server) closeAll() {
	s.mu.Lock()
	for sc := range s.conns {
		sc.close()
	}
	s.mu.Unlock()
}

func (s *Server) wait() {
	s.serveWG.Wait()
	s.wg.Wait()
}

func (s *Server) forget(sc *serverConn) {
	s.mu.Lock()
	delete(s.conns, sc)
	if sc.elem != nil {
		s.preHello.Remove(sc.elem)
		sc.elem = nil
	}
	s.mu.Unlock()
}

// serverConn is one accepted connection.
type serverConn struct {
	s  *Server
	nc net.Conn
	// ctx is the connection's lifetime, not a request's (as in net/http's
	// conn): close cancels it, and it is the parent of every call's context,
	// so that closing a connection cancels the calls it carried.
	ctx    context.Context
	cancel context.CancelFunc

	sem      chan struct{} // calls in flight
	inFlight atomic.Int32
	calls    sync.WaitGroup // goroutines that will write a reply

	elem *list.Element // in s.preHello until the hello; guarded by s.mu

	wmu       sync.Mutex
	closeOnce sync.Once
	helloDone bool      // only the reader goroutine touches it
	helloBy   time.Time // the handshake deadline
	// compact is set by the hello when the connection's results travel in
	// the compact form. The reader goroutine sets it before it starts any
	// call's goroutine, which only reads it.
	compact bool
}

func (sc *serverConn) close() {
	sc.closeOnce.Do(func() {
		// The connection closes before the calls are cancelled: a Source
		// that returns on cancellation must not get its error reply out
		// first, so a cancelled call never looks answered to the peer.
		_ = sc.nc.Close()
		sc.cancel()
	})
}

// serve is the connection's reader loop.
func (sc *serverConn) serve() {
	s := sc.s
	defer s.wg.Done()
	defer s.forget(sc)
	defer sc.close()

	// A small buffer, like net/http's: before the hello, it and the line
	// limit are all a connection may hold; longer lines accumulate in
	// scratch, within the limit.
	br := bufio.NewReaderSize(sc.nc, serverReadBufferSize)
	var scratch []byte
	// The hello must arrive within the handshake timeout of the accept,
	// however many refused lines come before it; afterwards each read
	// gets the (idle) read timeout.
	sc.helloBy = time.Now().Add(s.o.handshakeTimeout)
	for {
		deadline, limit := time.Now().Add(s.o.readTimeout), s.o.maxMessageBytes
		if !sc.helloDone {
			deadline, limit = sc.helloBy, min(limit, s.o.maxHelloBytes)
		}
		if err := sc.nc.SetReadDeadline(deadline); err != nil {
			return
		}
		line, err := readLine(br, limit, &scratch)
		if err != nil {
			if err == errLineTooLong {
				msg := fmt.Sprintf("message exceeds %d bytes", limit)
				if !sc.helloDone {
					msg += " (the limit before " + methodHello + ")"
				}
				sc.writeError(nil, &wireError{Code: CodeMessageTooLarge, Message: msg, Data: reasonData(freebusy.ReasonInvalid, 0)})
				sc.calls.Wait()
			}
			// Any other read error (the peer closed, a timeout): the
			// calls in flight are cancelled, as net/http cancels a
			// request whose client went away.
			return
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		if !sc.handle(line) {
			// A framing error or a refused hello: read no more, but
			// answer the calls in flight before closing (PROTOCOL.md).
			sc.calls.Wait()
			return
		}
	}
}

// serverReadBufferSize is the read buffer of a server connection.
const serverReadBufferSize = 4 << 10

// handle dispatches one message and reports whether to keep reading.
func (sc *serverConn) handle(line []byte) bool {
	line = bytes.TrimLeft(line, " \t\r")
	if line[0] == '[' {
		return sc.handleBatch(line)
	}
	var req wireRequest
	if err := unmarshalRequest(line, &req); err != nil {
		if json.Valid(line) {
			// JSON, but not a request object ("5", {"method":7}).
			sc.writeError(nil, &wireError{Code: CodeInvalidRequest, Message: "invalid request: " + err.Error(), Data: reasonData(freebusy.ReasonInvalid, 0)})
			return true
		}
		// Not JSON: the framing can no longer be trusted (PROTOCOL.md "Framing").
		sc.writeError(nil, &wireError{Code: CodeParseError, Message: "parse error: " + err.Error(), Data: reasonData(freebusy.ReasonInvalid, 0)})
		return false
	}
	resp, _, keep := sc.dispatch(&req, nil, true)
	if resp != nil {
		sc.writeLine(resp)
	}
	return keep
}

// dispatch runs one request. Inline methods (hello, ping, refusals) return
// their response line (nil for notifications); calbridge.freebusy runs on
// its own goroutine (async) and writes its response itself, or, inside a
// batch, sends it (nil for a notification) to out. keep is false when the
// connection must be closed after the response; a nil resp with keep
// false means: close without a reply. helloHere says whether a hello may
// stand here: alone on its line, or first in a batch.
func (sc *serverConn) dispatch(req *wireRequest, out chan<- []byte, helloHere bool) (resp []byte, async, keep bool) {
	s := sc.s
	notification := req.ID == nil
	if req.JSONRPC != "2.0" || req.Method == "" || (!notification && !validID(req.ID)) {
		id := req.ID
		if !validID(id) {
			id = nil
		}
		return sc.invalidRequest(id, `want {"jsonrpc":"2.0","method":...,"id":...}`), false, true
	}
	if bytes.Equal(req.ID, nullID) {
		// PROTOCOL.md: a null id marks only replies the server cannot
		// attribute to a request, so it is refused in requests.
		return sc.invalidRequest(nil, `"id" must be a string or a number; null is reserved for unattributable errors`), false, true
	}
	if req.Method == methodHello {
		switch {
		case notification:
			return sc.invalidRequest(nil, methodHello+" must be a request with an id"), false, true
		case sc.helloDone:
			return sc.invalidRequest(req.ID, methodHello+" already completed on this connection"), false, true
		case !helloHere:
			return sc.invalidRequest(req.ID, methodHello+" in a batch must be its first element"), false, true
		}
		resp, keep := sc.hello(req)
		return resp, false, keep
	}
	reply := func(b []byte) []byte {
		if notification {
			return nil
		}
		return b
	}
	if !sc.helloDone {
		return reply(sc.errorLine(req.ID, &wireError{Code: CodeHandshakeRequired, Message: "handshake required: call " + methodHello + " first", Data: reasonData(freebusy.ReasonInvalid, 0)})), false, true
	}
	switch req.Method {
	case methodPing:
		return reply(sc.resultLine(req.ID, struct{}{})), false, true
	case methodFreeBusy:
		// Count the call before looking at shuttingDown: Shutdown sets the
		// flag before it looks for idle connections, so it cannot close
		// this one under a call it did not see.
		sc.inFlight.Add(1)
		if s.shuttingDown.Load() {
			sc.inFlight.Add(-1)
			return reply(sc.errorLine(req.ID, &wireError{Code: CodeShuttingDown, Message: "server shutting down; call not processed", Data: reasonData(freebusy.ReasonUnavailable, 0)})), false, true
		}
		select {
		case sc.sem <- struct{}{}:
		default:
			sc.inFlight.Add(-1)
			return reply(sc.errorLine(req.ID, &wireError{Code: CodeOverloaded, Message: fmt.Sprintf("too many calls in flight (limit %d); call not processed", cap(sc.sem)), Data: reasonData(freebusy.ReasonThrottled, 0)})), false, true
		}
		q, hops, err := decodeFreeBusyParams(req.Params)
		if err != nil {
			<-sc.sem
			sc.inFlight.Add(-1)
			return reply(sc.errorLine(req.ID, &wireError{Code: CodeInvalidParams, Message: "invalid query: " + err.Error(), Data: reasonData(freebusy.ReasonInvalid, 0)})), false, true
		}
		// Sources see UTC instants whatever offset the client wrote.
		q.Start, q.End = q.Start.UTC(), q.End.UTC()
		s.wg.Add(1)
		sc.calls.Add(1)
		id := req.ID
		go func() {
			defer s.wg.Done()
			defer sc.calls.Done()
			e := getEncoder()
			sc.freeBusy(e, id, q, hops)
			<-sc.sem
			switch {
			case out != nil && notification:
				out <- nil
			case out != nil:
				out <- bytes.Clone(e.buf)
			case !notification:
				sc.writeLine(e.buf)
			}
			putEncoder(e)
			sc.inFlight.Add(-1)
		}()
		return nil, true, true
	}
	return reply(sc.errorLine(req.ID, &wireError{Code: CodeMethodNotFound, Message: "method not found: " + req.Method, Data: reasonData(freebusy.ReasonInvalid, 0)})), false, true
}

// hello answers calbridge.hello and reports whether to keep the
// connection; a nil reply with keep false means: close without a reply
// (the token could not be checked within the handshake timeout).
func (sc *serverConn) hello(req *wireRequest) (resp []byte, keep bool) {
	s := sc.s
	var p helloParams
	if err := decodeParams(req.Params, helloMembers(), &p); err != nil {
		return sc.errorLine(req.ID, &wireError{Code: CodeInvalidParams, Message: "invalid hello params: " + err.Error(), Data: reasonData(freebusy.ReasonInvalid, 0)}), true
	}
	if p.Version < MinProtocolVersion || p.Version > ProtocolVersion {
		s.o.log.Warn("transport: refused client: protocol version skew", zap.Int("clientVersion", p.Version), zap.String("remote", remoteString(sc.nc)))
		d, _ := json.Marshal(ErrorData{Reason: freebusy.ReasonUnavailable, Supported: supportedVersions()})
		return sc.errorLine(req.ID, &wireError{Code: CodeVersionMismatch, Message: fmt.Sprintf("protocol version %d not supported; this server speaks %d to %d", p.Version, MinProtocolVersion, ProtocolVersion), Data: d}), false
	}
	if s.o.token != "" {
		// Every token check, right or wrong, takes a turn from the
		// address's failure allowance, and a right one gives it back:
		// once an address is over its limit, a quick answer cannot tell
		// a guesser that it was right.
		key := authKey(sc.nc.RemoteAddr())
		if !s.auth.take(sc.ctx, key, sc.helloBy) {
			s.o.log.Debug("transport: refused client: too many failed hellos from its address", zap.String("remote", remoteString(sc.nc)))
			return nil, false
		}
		if subtle.ConstantTimeCompare([]byte(p.Token), []byte(s.o.token)) != 1 {
			s.o.log.Warn("transport: refused client: bad token", zap.String("remote", remoteString(sc.nc)))
			return sc.errorLine(req.ID, &wireError{Code: CodeUnauthorized, Message: "unauthorized: missing or wrong token", Data: reasonData(freebusy.ReasonAccessDenied, 0)}), false
		}
		s.auth.refund(key)
	}
	sc.helloDone = true
	s.said(sc)
	hr := helloResult{Version: ProtocolVersion, Server: s.o.name, MaxMessageBytes: s.o.maxMessageBytes}
	if s.o.compact && slices.Contains(p.Forms, CompactForm) {
		sc.compact = true
		hr.Form = CompactForm
	}
	return sc.resultLine(req.ID, hr), true
}

func (sc *serverConn) invalidRequest(id json.RawMessage, why string) []byte {
	return sc.errorLine(id, &wireError{Code: CodeInvalidRequest, Message: "invalid request: " + why, Data: reasonData(freebusy.ReasonInvalid, 0)})
}

func remoteString(nc net.Conn) string {
	if a := nc.RemoteAddr(); a != nil {
		return a.String()
	}
	return ""
}

// handleBatch serves a JSON-RPC batch (specification §6): the responses
// are written as one array once every call of the batch has finished.
func (sc *serverConn) handleBatch(line []byte) bool {
	var reqs []json.RawMessage
	if err := json.Unmarshal(line, &reqs); err != nil {
		sc.writeError(nil, &wireError{Code: CodeParseError, Message: "parse error: " + err.Error(), Data: reasonData(freebusy.ReasonInvalid, 0)})
		return false
	}
	if len(reqs) == 0 {
		sc.writeError(nil, &wireError{Code: CodeInvalidRequest, Message: "invalid request: empty batch", Data: reasonData(freebusy.ReasonInvalid, 0)})
		return true
	}
	out := make(chan []byte, len(reqs))
	var lines [][]byte
	async := 0
	keep := true
	for i, raw := range reqs {
		var req wireRequest
		if raw[0] != '{' || json.Unmarshal(raw, &req) != nil {
			lines = append(lines, sc.invalidRequest(nil, "not a request object"))
			continue
		}
		resp, isAsync, k := sc.dispatch(&req, out, i == 0)
		if isAsync {
			async++
		}
		if !k && resp == nil {
			return false // close without a reply
		}
		if resp != nil {
			lines = append(lines, resp)
		}
		// After a refused hello the rest of the batch is still
		// answered (refused: no hello), and then the connection closes.
		keep = keep && k
	}
	if async == 0 {
		sc.writeBatch(lines)
		return keep
	}
	sc.inFlight.Add(1)
	sc.s.wg.Add(1)
	sc.calls.Add(1)
	go func() {
		defer sc.s.wg.Done()
		defer sc.calls.Done()
		defer sc.inFlight.Add(-1)
		for range async {
			if b := <-out; b != nil {
				lines = append(lines, b)
			}
		}
		sc.writeBatch(lines)
	}()
	return keep
}

// freeBusy runs one query, which has made hops gateway hops, against the
// Source and encodes the response line into e. The Source sees the hop
// count as freebusy.Hops of its context.
func (sc *serverConn) freeBusy(e *encoder, id json.RawMessage, q freebusy.Query, hops int) {
	s := sc.s
	if err := q.Validate(); err != nil {
		_ = e.error(id, errorObject(err))
		return
	}
	ctx, cancel := context.WithTimeout(sc.ctx, s.o.callTimeout)
	defer cancel()
	if hops > 0 {
		ctx = freebusy.WithHops(ctx, hops)
	}
	out, err := s.src.FreeBusy(ctx, q)
	if err == nil {
		err = freebusy.CheckResult(q, out)
	}
	if err != nil {
		if r := freebusy.ReasonOf(err); r == freebusy.ReasonInternal {
			// The message may name attendees: only the reason above Debug.
			s.o.log.Warn("transport: source failed", zap.Stringer("reason", r))
			s.o.log.Debug("transport: source failed", zap.Error(err))
		}
		_ = e.error(id, errorObject(err))
		return
	}
	if sc.compact {
		err = e.compactResult(id, out)
	} else {
		err = e.jsonResult(id, out)
	}
	if err != nil {
		s.o.log.Error("transport: cannot encode result", zap.Error(err))
		e.buf = e.buf[:0]
		_ = e.error(id, &wireError{Code: CodeInternalError, Message: "cannot encode result: " + err.Error(), Data: reasonData(freebusy.ReasonInternal, 0)})
	}
}

// errorObject maps a Source error to its JSON-RPC error object.
func errorObject(err error) *wireError {
	r := freebusy.ReasonOf(err)
	var retry time.Duration
	msg := err.Error()
	if fe, ok := errors.AsType[*freebusy.Error](err); ok {
		retry = fe.RetryAfter
		msg = fe.Reason.String()
		if fe.Message != "" {
			msg += ": " + fe.Message
		}
	}
	return &wireError{Code: codeForReason(r), Message: msg, Data: reasonData(r, retry)}
}

func reasonData(r freebusy.Reason, retry time.Duration) json.RawMessage {
	d, _ := json.Marshal(ErrorData{Reason: r, RetryAfter: retry})
	return d
}

func supportedVersions() []int {
	v := make([]int, 0, ProtocolVersion-MinProtocolVersion+1)
	for i := MinProtocolVersion; i <= ProtocolVersion; i++ {
		v = append(v, i)
	}
	return v
}

func (sc *serverConn) resultLine(id json.RawMessage, v any) []byte {
	e := getEncoder()
	defer putEncoder(e)
	if err := e.result(id, v); err != nil {
		e.buf = e.buf[:0]
		_ = e.error(id, &wireError{Code: CodeInternalError, Message: "cannot encode result: " + err.Error(), Data: reasonData(freebusy.ReasonInternal, 0)})
	}
	return bytes.Clone(e.buf)
}

func (sc *serverConn) errorLine(id json.RawMessage, we *wireError) []byte {
	e := getEncoder()
	defer putEncoder(e)
	_ = e.error(id, we)
	return bytes.Clone(e.buf)
}

func (sc *serverConn) writeError(id json.RawMessage, we *wireError) {
	sc.writeLine(sc.errorLine(id, we))
}

// writeLine writes one message with the write deadline; any error closes
// the connection (net/rpc ignored such errors and left clients hanging:
// Nomad #23305).
func (sc *serverConn) writeLine(b []byte) {
	sc.wmu.Lock()
	defer sc.wmu.Unlock()
	if err := sc.nc.SetWriteDeadline(time.Now().Add(sc.s.o.writeTimeout)); err != nil {
		sc.close()
		return
	}
	if _, err := sc.nc.Write(b); err != nil {
		sc.close()
	}
}

func (sc *serverConn) writeBatch(lines [][]byte) {
	if len(lines) == 0 {
		return
	}
	var b bytes.Buffer
	b.WriteByte('[')
	for i, l := range lines {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(bytes.TrimSuffix(l, []byte("\n")))
	}
	b.WriteString("]\n")
	sc.writeLine(b.Bytes())
}
