package transporttest

import (
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Fault is the set of faults a Proxy injects. The zero Fault forwards
// faithfully. Faults combine where that makes sense (Latency with
// BytesPerSecond, say); Refuse, Reset, BlackHole and HalfClose take
// precedence over the rest, in that order, for new connections.
//
// The names follow Toxiproxy's toxics (docs/reconnect.md §6.1): Refuse is
// "down" (only for new connections here; use ResetAll as well to kill live
// ones), BlackHole is "timeout" with timeout=0, Reset is
// "reset_peer", CutAfterBytes is "limit_data", Latency is "latency",
// BytesPerSecond is "bandwidth" and HalfClose is a peer that sent FIN.
type Fault struct {
	// Refuse closes the proxy's listener, so that new connections are
	// refused (ECONNREFUSED) as when no server listens. Live connections are
	// untouched. Clearing it listens again on the same address.
	Refuse bool
	// BlackHole silently drops every byte in both directions without closing
	// anything: the half-open connection that only a heartbeat detects. New
	// connections are accepted (the kernel completes TCP) and never answered,
	// even after the fault is cleared.
	BlackHole bool
	// Reset aborts every connection, live and new, with a TCP RST
	// (SO_LINGER 0): the client sees ECONNRESET.
	Reset bool
	// CutAfterBytes, when positive, lets each connection forward at most this
	// many more bytes towards the client (counted from SetFault, or from
	// accept for new connections), then closes it: a reply cut mid-frame.
	CutAfterBytes int64
	// Latency delays every chunk of data, in both directions, by this much.
	// Order is kept and throughput is not reduced.
	Latency time.Duration
	// BytesPerSecond, when positive, limits each direction of each
	// connection to this rate.
	BytesPerSecond int
	// HalfClose half-closes every connection, live and new, towards the
	// client: the client reads EOF while its writes are still accepted (and
	// discarded), as from a peer that called shutdown(SHUT_WR) and went away.
	HalfClose bool
}

// ErrProxyClosed is returned by SetFault after Close.
var ErrProxyClosed = errors.New("transporttest: proxy closed")

// Proxy is a TCP proxy on loopback that forwards to a target address and
// injects faults, controllable at run time with SetFault and ResetAll. Point
// the client at Addr instead of the server.
//
// A fault set with SetFault applies at once to live connections too, except
// Refuse, which concerns new ones. Close stops every goroutine the proxy
// started. A Proxy is safe for concurrent use.
type Proxy struct {
	target string
	addr   string
	fault  atomic.Pointer[Fault]
	ctx    context.Context // ended by Close: aborts upstream dials
	cancel context.CancelFunc

	mu       sync.Mutex
	ln       net.Listener // nil while refusing
	links    map[*link]struct{}
	accepted int
	closed   bool
	wg       sync.WaitGroup
}

// NewProxy listens on a free loopback port and forwards each accepted
// connection to target.
func NewProxy(target string) (*Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	p := &Proxy{target: target, addr: ln.Addr().String(), ctx: ctx, cancel: cancel,
		ln: ln, links: make(map[*link]struct{})}
	p.fault.Store(&Fault{})
	p.wg.Add(1)
	go p.acceptLoop(ln)
	return p, nil
}

// Addr is the proxy's listening address, stable across Refuse.
func (p *Proxy) Addr() string { return p.addr }

// Fault returns the fault in force.
func (p *Proxy) Fault() Fault { return *p.fault.Load() }

// SetFault replaces the fault in force. It fails only after Close, or when
// clearing Refuse cannot listen on the old address again.
func (p *Proxy) SetFault(f Fault) error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return ErrProxyClosed
	}
	p.fault.Store(&f)
	var err error
	switch {
	case f.Refuse && p.ln != nil:
		_ = p.ln.Close() // the accept loop sees the error and ends
		p.ln = nil
	case !f.Refuse && p.ln == nil:
		var ln net.Listener
		if ln, err = net.Listen("tcp", p.addr); err == nil {
			p.ln = ln
			p.wg.Add(1)
			go p.acceptLoop(ln)
		}
	}
	live := p.liveLocked()
	p.mu.Unlock()
	for _, l := range live {
		switch {
		case f.Reset:
			l.reset()
		case f.HalfClose:
			l.halfClose()
		}
		l.setBudget(f.CutAfterBytes)
	}
	return err
}

// ResetAll aborts every live connection with a TCP RST, once; new
// connections are unaffected.
func (p *Proxy) ResetAll() {
	p.mu.Lock()
	live := p.liveLocked()
	p.mu.Unlock()
	for _, l := range live {
		l.reset()
	}
}

// DropAll silently kills every live connection, once: from now on its
// bytes vanish in both directions and nothing is closed, as when a NAT or
// firewall forgets an idle flow. New connections are unaffected, unlike
// with BlackHole.
func (p *Proxy) DropAll() {
	p.mu.Lock()
	live := p.liveLocked()
	p.mu.Unlock()
	for _, l := range live {
		l.mu.Lock()
		l.dropped = true
		l.mu.Unlock()
	}
}

// Connections is the number of live proxied connections.
func (p *Proxy) Connections() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.links)
}

// Accepted is the number of connections accepted since NewProxy.
func (p *Proxy) Accepted() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.accepted
}

// Close stops listening, closes every connection and waits for the proxy's
// goroutines to end. It is idempotent.
func (p *Proxy) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	if p.ln != nil {
		_ = p.ln.Close()
		p.ln = nil
	}
	live := p.liveLocked()
	p.mu.Unlock()
	p.cancel()
	for _, l := range live {
		l.close()
	}
	p.wg.Wait()
	return nil
}

func (p *Proxy) liveLocked() []*link {
	live := make([]*link, 0, len(p.links))
	for l := range p.links {
		live = append(live, l)
	}
	return live
}

func (p *Proxy) acceptLoop(ln net.Listener) {
	defer p.wg.Done()
	for {
		c, err := ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			time.Sleep(5 * time.Millisecond) // EMFILE and the like: retry
			continue
		}
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			_ = c.Close()
			return
		}
		p.accepted++
		f := p.Fault()
		l := &link{p: p, client: c, done: make(chan struct{}), budget: -1}
		if f.CutAfterBytes > 0 {
			l.budget = f.CutAfterBytes
		}
		p.links[l] = struct{}{}
		p.wg.Add(1)
		p.mu.Unlock()
		go l.run(f)
	}
}

// link is one proxied connection.
type link struct {
	p      *Proxy
	client net.Conn
	done   chan struct{}

	mu         sync.Mutex
	server     net.Conn // nil until dialled, or for sinks
	budget     int64    // bytes still allowed towards the client; -1 unlimited
	halfClosed bool
	dropped    bool // DropAll: a forgotten flow
	upDone     bool
	downDone   bool
	closed     bool
}

// run connects the link upstream and starts its pumps, or applies the
// fault that new connections get instead.
func (l *link) run(f Fault) {
	defer l.p.wg.Done()
	switch {
	case f.Reset:
		l.reset()
		return
	case f.BlackHole:
		l.sink()
		return
	case f.HalfClose:
		l.mu.Lock()
		l.halfClosed = true
		l.mu.Unlock()
		_ = closeWrite(l.client)
		l.sink()
		return
	}
	d := net.Dialer{Timeout: 5 * time.Second}
	server, err := d.DialContext(l.p.ctx, "tcp", l.p.target)
	if err != nil {
		l.close() // the client sees its connection accepted, then EOF
		return
	}
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		_ = server.Close()
		return
	}
	l.server = server
	l.mu.Unlock()
	l.p.wg.Add(2)
	go l.pump(l.client, server, true)
	go l.pump(server, l.client, false)
}

// sink reads and discards the client's bytes until it goes away.
func (l *link) sink() {
	buf := make([]byte, 4096)
	for {
		if _, err := l.client.Read(buf); err != nil {
			l.close()
			return
		}
	}
}

// chunk is data read from one side, to be written to the other at due.
type chunk struct {
	data []byte
	due  time.Time
}

// pump copies src to dst through a queue, so that a Latency delay holds back
// each chunk without slowing the reading of the next. up is the
// client-to-server direction.
func (l *link) pump(src, dst net.Conn, up bool) {
	defer l.p.wg.Done()
	queue := make(chan chunk, 64)
	var eof atomic.Bool
	l.p.wg.Add(1)
	go func() {
		defer l.p.wg.Done()
		defer close(queue)
		for {
			buf := make([]byte, 32<<10)
			n, err := src.Read(buf)
			if n > 0 {
				f := l.p.Fault()
				if f.BlackHole || l.drops(up) {
					continue // dropped on the floor
				}
				select {
				case queue <- chunk{data: buf[:n], due: time.Now().Add(f.Latency)}:
				case <-l.done:
					return
				}
			}
			if err != nil {
				eof.Store(isEOF(err))
				return
			}
		}
	}()
	for c := range queue {
		if !l.sleepUntil(c.due) || !l.write(dst, c.data, up) {
			l.close()
			for range queue { // let the reader end
			}
			return
		}
	}
	l.finish(up, eof.Load())
}

// finish handles the end of one direction: a clean EOF is passed on as a
// half-close (the link ends when both directions have); anything else ends
// the link. On a half-closed link the client's EOF ends it.
func (l *link) finish(up, eof bool) {
	l.mu.Lock()
	half := l.halfClosed
	server := l.server
	if up {
		l.upDone = true
	} else {
		l.downDone = true
	}
	both := l.upDone && l.downDone
	l.mu.Unlock()
	switch {
	case half && !up:
		// we cut the server off ourselves; the client side lives on
	case half, !eof, both:
		l.close()
	case up:
		_ = closeWrite(server)
	default:
		_ = closeWrite(l.client)
	}
}

// write writes data to dst, honouring the rate limit and, towards the
// client, the cut budget. It reports whether the link should go on.
func (l *link) write(dst net.Conn, data []byte, up bool) bool {
	if !up {
		l.mu.Lock()
		cut := false
		if l.budget >= 0 {
			if int64(len(data)) >= l.budget {
				data, cut = data[:l.budget], true
				l.budget = 0
			} else {
				l.budget -= int64(len(data))
			}
		}
		l.mu.Unlock()
		if cut {
			_, _ = dst.Write(data)
			return false
		}
	}
	for len(data) > 0 {
		rate := l.p.Fault().BytesPerSecond
		piece := len(data)
		if rate > 0 {
			piece = min(piece, max(1, rate/50)) // about 20 ms of data at a time
		}
		if _, err := dst.Write(data[:piece]); err != nil {
			return false
		}
		data = data[piece:]
		if rate > 0 && !l.sleepUntil(time.Now().Add(time.Duration(piece)*time.Second/time.Duration(rate))) {
			return false
		}
	}
	return true
}

// sleepUntil waits until t, or reports false when the link closes first.
func (l *link) sleepUntil(t time.Time) bool {
	d := time.Until(t)
	if d <= 0 {
		return true
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-l.done:
		return false
	}
}

// drops reports whether data read in direction up is to be discarded: the
// link was dropped, or (client to server) half-closed.
func (l *link) drops(up bool) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.dropped || (up && l.halfClosed)
}

func (l *link) setBudget(n int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if n > 0 {
		l.budget = n
	} else {
		l.budget = -1
	}
}

// halfClose sends FIN to the client and drops the upstream connection; the
// client's later bytes are discarded.
func (l *link) halfClose() {
	l.mu.Lock()
	if l.closed || l.halfClosed {
		l.mu.Unlock()
		return
	}
	l.halfClosed = true
	server := l.server
	l.mu.Unlock()
	_ = closeWrite(l.client)
	if server != nil {
		_ = server.Close()
	}
}

// reset aborts the link with an RST towards the client.
func (l *link) reset() {
	if tc, ok := l.client.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	l.close()
}

// close closes both sides and forgets the link. Idempotent.
func (l *link) close() {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return
	}
	l.closed = true
	server := l.server
	close(l.done)
	l.mu.Unlock()
	_ = l.client.Close()
	if server != nil {
		_ = server.Close()
	}
	l.p.mu.Lock()
	delete(l.p.links, l)
	l.p.mu.Unlock()
}

func closeWrite(c net.Conn) error {
	if cw, ok := c.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

func isEOF(err error) bool {
	return errors.Is(err, io.EOF)
}
