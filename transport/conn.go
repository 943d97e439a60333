package transport

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/calbridge/calbridge/freebusy"
	"github.com/calbridge/calbridge/internal/bufpool"
)

// clientConn is one established connection: requests are multiplexed over
// it by id, one reader goroutine delivers replies to the pending map, writes
// are serialized with a deadline, and a monitor goroutine sends heartbeats
// and expires calls that have no deadline of their own. Any I/O or framing
// error fails every pending call at once and kills the connection; the
// Client's owner goroutine then replaces it.
type clientConn struct {
	c      *Client
	nc     net.Conn
	br     *bufio.Reader
	addr   string
	maxReq int         // the server's request size limit, from the hello result
	live   *liveReader // counts every byte read as a sign of life

	nextID atomic.Uint64

	wsem chan struct{} // one writer at a time; a channel so that waiting honours ctx
	// writing is when (mono, at least 1) the write holding wsem began, 0
	// while none does: the monitor tells a stuck write from a busy line.
	writing atomic.Int64

	mu       sync.Mutex
	pending  map[uint64]*pendingCall
	dead     bool
	draining bool
	err      error

	done   chan struct{} // closed when the connection is dead
	goaway chan struct{} // closed when the server announced it is draining
	goOnce sync.Once
	wg     sync.WaitGroup // reader and monitor
}

// pendingCall is one request awaiting its reply. The reader (or fail, or
// the monitor) fills exactly one of result, rerr and err, then sends on ch.
type pendingCall struct {
	ch   chan struct{}
	line []byte // the reply line, copied into a buffer kept across uses
	// long holds a long reply line: the reader's buffer, handed over
	// rather than copied; line is then a part of it.
	long     *[]byte
	rerr     *RemoteError
	err      error
	deadline int64 // monotonic expiry for calls without a context deadline; 0 none
}

// getPending takes a pendingCall from the client's pool. The pool is per
// client, not global: its entries hold channels, which must not be shared
// across clients (nor across testing/synctest bubbles).
func (c *Client) getPending() *pendingCall {
	if pc, ok := c.pendingPool.Get().(*pendingCall); ok {
		return pc
	}
	return &pendingCall{ch: make(chan struct{}, 1)}
}

// putPending recycles pc; only call it once pc's reply has been received,
// when nothing else refers to it.
func (c *Client) putPending(pc *pendingCall) {
	if pc.long != nil {
		putLineBuffer(pc.long)
		pc.line = nil
	}
	if cap(pc.line) > 64<<10 { // do not pin huge buffers
		pc.line = nil
	}
	*pc = pendingCall{ch: pc.ch, line: pc.line[:0]}
	c.pendingPool.Put(pc)
}

// lines recycles the buffers long reply lines are read into: a week of
// 100 calendars is a line of half a megabyte or more, which the reader
// hands to its caller and the caller gives back once decoded.
//
// The reader and the caller are different goroutines, often on different
// Ps, so the buffers go through a bufpool.Pool and not a bare sync.Pool:
// with two Ps about every other reply of a megabyte grew a buffer anew
// (BenchmarkRPCLeg100x7d allocated 1.4 to 1.8 MB per 1.1 MB call, against
// 1.1 MB with one P).
var lines = bufpool.Pool[*[]byte]{
	New:  func() *[]byte { return new([]byte) },
	Size: func(b *[]byte) int { return cap(*b) },
}

func getLineBuffer() *[]byte { return lines.Get() }

func putLineBuffer(b *[]byte) {
	*b = (*b)[:0]
	lines.Put(b)
}

func newClientConn(c *Client, nc net.Conn, br *bufio.Reader, live *liveReader, addr string, maxReq int) *clientConn {
	cc := &clientConn{
		c:       c,
		nc:      nc,
		br:      br,
		live:    live,
		addr:    addr,
		maxReq:  maxReq,
		pending: make(map[uint64]*pendingCall),
		wsem:    make(chan struct{}, 1),
		done:    make(chan struct{}),
		goaway:  make(chan struct{}),
	}
	live.last.Store(cc.mono())
	return cc
}

// liveReader reads from a connection and stamps the time of every read that
// returned bytes: liveness is any byte from the peer, not only a whole
// message, so that a large reply crawling over a slow link keeps its
// connection alive.
type liveReader struct {
	r     io.Reader
	epoch time.Time // monotonic base of last and of the call deadlines
	last  atomic.Int64
}

func newLiveReader(r io.Reader) *liveReader { return &liveReader{r: r, epoch: time.Now()} }

func (l *liveReader) Read(b []byte) (int, error) {
	n, err := l.r.Read(b)
	if n > 0 {
		l.last.Store(int64(time.Since(l.epoch)))
	}
	return n, err
}

// start launches the reader and the monitor.
func (cc *clientConn) start() {
	cc.wg.Add(2)
	go cc.readLoop()
	go cc.monitor()
}

func (cc *clientConn) mono() int64 { return int64(time.Since(cc.live.epoch)) }

// usable reports whether new calls may use the connection.
func (cc *clientConn) usable() bool {
	cc.mu.Lock()
	ok := !cc.dead && !cc.draining
	cc.mu.Unlock()
	return ok
}

// failure returns the error that killed the connection.
func (cc *clientConn) failure() error {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	return cc.err
}

// fail kills the connection: it closes the socket and fails every pending
// call with err. Only the first call has an effect.
func (cc *clientConn) fail(err error) {
	cc.mu.Lock()
	if cc.dead {
		cc.mu.Unlock()
		return
	}
	cc.dead = true
	cc.err = err
	pending := cc.pending
	cc.pending = nil
	cc.c.ready.CompareAndSwap(cc, nil) // under mu: no caller sees it dead yet still Ready
	cc.mu.Unlock()

	// Pending calls and the owner learn first: closing a TLS connection
	// sends close_notify, which can block on a black-holed peer.
	for _, pc := range pending {
		pc.err = err
		pc.ch <- struct{}{}
	}
	close(cc.done)
	_ = cc.nc.Close()
}

// drain marks the connection as going away: the server refused a call
// because it is shutting down. No new call uses it; calls in flight finish.
func (cc *clientConn) drain() {
	cc.mu.Lock()
	cc.draining = true
	idle := len(cc.pending) == 0
	cc.c.ready.CompareAndSwap(cc, nil)
	cc.mu.Unlock()
	cc.goOnce.Do(func() { close(cc.goaway) })
	if idle {
		cc.fail(&CallError{Op: "read", Addr: cc.addr, MaySent: false, Err: errServerDraining})
	}
}

var errServerDraining = fmt.Errorf("server is shutting down")

// errNotSent is returned by roundTrip when the connection died before the
// request could be written: the caller may retry it anywhere.
var errNotSent = &CallError{Op: "call", MaySent: false, Err: ErrConnectionLost}

// roundTrip sends one request and waits for its reply, ctx's end, or the
// connection's death. It decodes the reply's result into result (which may
// be nil) in the caller's goroutine, so that replies to concurrent calls
// are decoded in parallel. It returns nil, a *RemoteError, a
// *freebusy.Error for a request that cannot be sent, or a *CallError.
func (cc *clientConn) roundTrip(ctx context.Context, method string, params, result any, noDeadlineExpiry int64) error {
	id := cc.nextID.Add(1)
	e := getEncoder()
	if err := e.request(id, method, params); err != nil {
		putEncoder(e)
		return &freebusy.Error{Reason: freebusy.ReasonInvalid, Message: "transport: cannot encode request: " + err.Error(), Cause: err}
	}
	if len(e.buf) > cc.maxReq {
		n := len(e.buf)
		putEncoder(e)
		return &freebusy.Error{Reason: freebusy.ReasonInvalid, Message: fmt.Sprintf("transport: request of %d bytes exceeds the server's limit of %d", n, cc.maxReq), Cause: ErrMessageTooLarge}
	}
	pc := cc.c.getPending()
	pc.deadline = noDeadlineExpiry
	cc.mu.Lock()
	if cc.dead || cc.draining {
		cc.mu.Unlock()
		putEncoder(e)
		cc.c.putPending(pc)
		return errNotSent
	}
	cc.pending[id] = pc
	cc.mu.Unlock()

	n, werr := cc.write(ctx, e.buf)
	putEncoder(e)
	if werr == errWriteWaitEnded {
		// The call's context ended while it waited for its turn to write:
		// nothing was sent and the connection is fine.
		cc.mu.Lock()
		_, mine := cc.pending[id]
		delete(cc.pending, id)
		cc.mu.Unlock()
		if !mine {
			<-pc.ch
		}
		return &CallError{Op: "write", Addr: cc.addr, MaySent: false, Err: ctx.Err()}
	}
	if werr != nil {
		cc.mu.Lock()
		_, mine := cc.pending[id]
		delete(cc.pending, id)
		cc.mu.Unlock()
		cc.fail(&CallError{Op: "write", Addr: cc.addr, MaySent: true, Err: werr})
		if !mine { // someone else completed pc first: consume that
			<-pc.ch
		}
		// Report why the connection died: the write error, or the earlier
		// failure (a heartbeat timeout) that closed the socket under it.
		ce := &CallError{Op: "write", Addr: cc.addr, MaySent: n > 0, Err: werr}
		if first, ok := cc.failure().(*CallError); ok {
			ce.Op, ce.Err = first.Op, first.Err
		}
		return ce
	}

	select {
	case <-pc.ch:
	case <-ctx.Done():
		cc.mu.Lock()
		delete(cc.pending, id)
		cc.mu.Unlock()
		// pc may still receive a reply; it is left to the garbage collector.
		return &CallError{Op: "call", Addr: cc.addr, MaySent: true, Err: ctx.Err()}
	}
	defer cc.c.putPending(pc)
	if pc.err != nil {
		return pc.err
	}
	if pc.rerr != nil {
		return pc.rerr
	}
	if cr, ok := result.(compactReader); ok {
		if raw, ok := compactResultOf(pc.line); ok {
			if err := cr.readCompact(raw); err != nil {
				// As for a reply that is not JSON: the peer cannot be
				// trusted with more calls.
				ce := &CallError{Op: "read", Addr: cc.addr, MaySent: true, Err: err}
				cc.fail(ce)
				return ce
			}
			return nil
		}
	}
	if result == nil {
		result = &struct{}{}
	}
	env := replyEnvelope{Result: result}
	if err := json.Unmarshal(pc.line, &env); err != nil {
		ce := &CallError{Op: "read", Addr: cc.addr, MaySent: true, Err: fmt.Errorf("%w: %v", ErrProtocol, err)}
		cc.fail(ce)
		return ce
	}
	if env.Error != nil {
		return newRemoteError(env.Error)
	}
	return nil
}

// replyEnvelope decodes a reply line straight into the caller's result.
type replyEnvelope struct {
	Result any        `json:"result"`
	Error  *wireError `json:"error"`
}

// errWriteWaitEnded: the caller's context ended before its turn to write.
var errWriteWaitEnded = errors.New("transport: context ended while waiting to write")

// write writes one message, one writer at a time, with a deadline of the
// write timeout or the caller's deadline, whichever comes first: a call
// never waits on a stuck peer past its own deadline. A write that times
// out fails the connection (a partial message, or a TLS stream that a
// timed-out write has broken, cannot carry more).
func (cc *clientConn) write(ctx context.Context, b []byte) (int, error) {
	select {
	case cc.wsem <- struct{}{}:
	case <-ctx.Done():
		return 0, errWriteWaitEnded
	case <-cc.done:
		return 0, ErrConnectionLost
	}
	cc.writing.Store(max(cc.mono(), 1))
	defer func() { cc.writing.Store(0); <-cc.wsem }()
	dl := time.Now().Add(cc.c.o.writeTimeout)
	if d, ok := ctx.Deadline(); ok && d.Before(dl) {
		dl = d
	}
	if err := cc.nc.SetWriteDeadline(dl); err != nil {
		return 0, err
	}
	return cc.nc.Write(b)
}

// readLoop is the connection's only reader.
func (cc *clientConn) readLoop() {
	defer cc.wg.Done()
	scratch := getLineBuffer()
	for {
		line, err := readLine(cc.br, cc.c.o.maxMessageBytes, scratch)
		if err != nil {
			if err == errLineTooLong {
				err = fmt.Errorf("%w: response over %d bytes", ErrMessageTooLarge, cc.c.o.maxMessageBytes)
			}
			cc.fail(&CallError{Op: "read", Addr: cc.addr, MaySent: true, Err: err})
			return
		}
		if len(line) == 0 {
			continue
		}
		id, ok := fastID(line)
		var rerr *RemoteError
		if !ok {
			var resp wireResponse
			if err := json.Unmarshal(line, &resp); err != nil {
				cc.fail(&CallError{Op: "read", Addr: cc.addr, MaySent: true, Err: fmt.Errorf("%w: %v", ErrProtocol, err)})
				return
			}
			if id, ok = parseID(resp.ID); !ok {
				// A reply that names no request: the server reports a
				// connection-level error (PROTOCOL.md "Framing").
				var cause error = fmt.Errorf("%w: response with id %s", ErrProtocol, resp.ID)
				if resp.Error != nil {
					cause = newRemoteError(resp.Error)
				}
				cc.fail(&CallError{Op: "read", Addr: cc.addr, MaySent: true, Err: cause})
				return
			}
			if resp.Error != nil {
				rerr = newRemoteError(resp.Error)
			} else if resp.Result == nil {
				cc.fail(&CallError{Op: "read", Addr: cc.addr, MaySent: true, Err: fmt.Errorf("%w: response without result or error", ErrProtocol)})
				return
			}
		}
		cc.mu.Lock()
		pc := cc.pending[id]
		delete(cc.pending, id)
		cc.mu.Unlock()
		if pc == nil {
			continue // a reply to a call that gave up, or to a heartbeat
		}
		pc.rerr = rerr
		if len(line) > 0 && len(*scratch) > 0 && &line[0] == &(*scratch)[0] {
			// A long line, read into scratch: hand it over instead of
			// copying it, and read the next long one into another.
			pc.line, pc.long = line, scratch
			scratch = getLineBuffer()
		} else {
			pc.line = append(pc.line[:0], line...)
		}
		pc.ch <- struct{}{}
	}
}

// responsePrefix is how this package's server starts every reply; a reply
// that starts so has its id read without a full decode.
const responsePrefix = `{"jsonrpc":"2.0","id":`

// fastID reads the id of a reply that starts with responsePrefix and a
// numeric id followed by a comma. Other replies (another member order,
// another server) take the full decode.
func fastID(line []byte) (uint64, bool) {
	if len(line) <= len(responsePrefix) || string(line[:len(responsePrefix)]) != responsePrefix {
		return 0, false
	}
	rest := line[len(responsePrefix):]
	end := 0
	for end < len(rest) && end <= 20 && rest[end] >= '0' && rest[end] <= '9' {
		end++
	}
	if end == 0 || end >= len(rest) || rest[end] != ',' {
		return 0, false
	}
	return parseID(rest[:end])
}

// parseID parses a non-negative integer id.
func parseID(raw json.RawMessage) (uint64, bool) {
	if len(raw) == 0 || len(raw) > 20 {
		return 0, false
	}
	var n uint64
	for _, c := range raw {
		if c < '0' || c > '9' {
			return 0, false
		}
		d := uint64(c - '0')
		if n > (1<<64-1-d)/10 {
			return 0, false
		}
		n = n*10 + d
	}
	return n, true
}

// Liveness while calls are pending (docs/reconnect.md §8.4): a call that
// has been waiting with nothing read from the peer for probeInterval gets a
// ping sent at once, and the connection is declared dead when nothing at
// all arrives within probeTimeout after it. The server answers pings even
// while calls run (PROTOCOL.md), so a slow call on a live peer is never
// mistaken for a dead one; a frozen peer (SIGSTOP: the kernel still accepts
// and acknowledges) is. Both are capped by WithHeartbeat's values.
const (
	probeInterval = time.Second
	probeTimeout  = 2 * time.Second
)

// monitor sends heartbeats and expires calls without a deadline. Liveness
// is any byte read: a ping is sent when nothing was read for the heartbeat
// interval (probeInterval while calls are pending), and the connection is
// declared dead when nothing arrives within the heartbeat timeout
// (probeTimeout while calls are pending) after it.
func (cc *clientConn) monitor() {
	defer cc.wg.Done()
	interval, timeout := cc.c.o.hbInterval, cc.c.o.hbTimeout
	busyInterval, busyTimeout := min(interval, probeInterval), min(timeout, probeTimeout)
	tick := min(time.Second, max(cc.c.o.callTimeout/10, time.Millisecond))
	if interval > 0 {
		tick = min(tick, max(min(busyInterval, busyTimeout)/4, time.Millisecond))
	}
	t := time.NewTicker(tick)
	defer t.Stop()
	var pingSent int64 = -1
	for {
		select {
		case <-cc.done:
			return
		case <-t.C:
		}
		now := cc.mono()
		if interval > 0 {
			ival, tmo := interval, timeout
			cc.mu.Lock()
			if len(cc.pending) > 0 {
				ival, tmo = busyInterval, busyTimeout
			}
			cc.mu.Unlock()
			last := cc.live.last.Load()
			if pingSent >= 0 {
				if last >= pingSent {
					pingSent = -1
				} else if time.Duration(now-pingSent) >= tmo {
					cc.fail(&CallError{Op: "heartbeat", Addr: cc.addr, MaySent: true, Err: ErrHeartbeatTimeout})
					return
				}
			}
			if pingSent < 0 && time.Duration(now-last) >= ival {
				// A reply is due within the timeout only once the ping is
				// out. When a write in progress holds the lock, the ping
				// waits for the next tick, unless that write has itself
				// been stuck for the timeout with nothing read since it
				// began (a peer that stopped reading). Starting the clock
				// for an unsent ping would time out a live peer that is
				// merely slow to answer the call just written.
				sent, err := cc.ping(timeout)
				if err != nil {
					cc.fail(&CallError{Op: "write", Addr: cc.addr, MaySent: true, Err: err})
					return
				}
				if sent {
					pingSent = now
				} else if ws := cc.writing.Load(); ws != 0 && last < ws && time.Duration(now-ws) >= tmo {
					cc.fail(&CallError{Op: "heartbeat", Addr: cc.addr, MaySent: true, Err: ErrHeartbeatTimeout})
					return
				}
			}
		}
		cc.expire(now)
	}
}

// ping writes a heartbeat request and reports whether it did: it does not
// when another write holds the lock, so the monitor never blocks behind a
// stuck writer, and its own write is bounded by the heartbeat timeout. The
// reply is recognized by the reader as a reply to no pending call and only
// refreshes lastRead.
func (cc *clientConn) ping(timeout time.Duration) (bool, error) {
	select {
	case cc.wsem <- struct{}{}:
	default:
		return false, nil
	}
	defer func() { <-cc.wsem }()
	e := getEncoder()
	defer putEncoder(e)
	if err := e.request(cc.nextID.Add(1), methodPing, nil); err != nil {
		return false, err
	}
	if err := cc.nc.SetWriteDeadline(time.Now().Add(min(timeout, cc.c.o.writeTimeout))); err != nil {
		return false, err
	}
	_, err := cc.nc.Write(e.buf)
	return true, err
}

// expire fails pending calls whose default call timeout has passed.
func (cc *clientConn) expire(now int64) {
	var expired []*pendingCall
	cc.mu.Lock()
	for id, pc := range cc.pending {
		if pc.deadline != 0 && now >= pc.deadline {
			delete(cc.pending, id)
			expired = append(expired, pc)
		}
	}
	cc.mu.Unlock()
	for _, pc := range expired {
		pc.err = &CallError{Op: "call", Addr: cc.addr, MaySent: true, Err: errCallTimeout}
		pc.ch <- struct{}{}
	}
}

// errCallTimeout is the cause given to a call without a context deadline
// that outlived the client's call timeout.
var errCallTimeout = fmt.Errorf("transport: no reply within the call timeout: %w", context.DeadlineExceeded)
