package transport

// A server process for tests on a fake clock (testing/synctest): an
// in-memory listener (transporttest.Network: buffered connections and a
// listen backlog, like the kernel's) served by a minimal calbridge peer
// that can be killed (listener and connections closed: connection
// refused), restarted, frozen like a SIGSTOPped process (connections are
// still queued and their bytes buffered, but nothing is accepted, read or
// answered) and thawed. Its dialer records every dial.
//
// It can also misbehave the way transporttest.Proxy's faults do, for the
// fake-clock twins of the fault tests (link_fault_twin_test.go): a black
// hole (everything read is dropped, nothing answered), a half-close (FIN
// towards the client on every connection), a reset (every connection
// closed, the listener kept), a forgotten flow (a NAT that dropped the
// live connections: their bytes vanish, new ones work), a reply cut after
// N bytes, latency and a slow source, a squeezed bandwidth, and a peer that
// answers the handshake and then never reads again.

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/calbridge/calbridge/freebusy"
	"github.com/calbridge/calbridge/transport/transporttest"
)

const procAddr = "proc:1"

type fakeProc struct {
	t *testing.T
	n *transporttest.Network

	mu       sync.Mutex
	l        net.Listener
	conns    map[net.Conn]struct{}
	thaw     chan struct{} // non-nil while frozen; closed on thaw
	dials    []time.Time
	maxDials int // dials beyond it fail at once (a guard against spinning); 0: none

	// Behaviour, set before use or, while the process runs, with set.
	dropAfterHello  bool                  // answer hello, then close
	silentCalls     bool                  // never answer calbridge.freebusy
	callError       string                // answer calbridge.freebusy with this error object
	freebusyCalls   int                   // calbridge.freebusy requests read
	pings           []time.Time           // when each calbridge.ping was read
	blackHole       bool                  // read and drop everything, answer nothing (live and new connections)
	halfClose       bool                  // FIN towards the client on every connection, live and new; drop what it sends
	forgotten       map[net.Conn]struct{} // connections a NAT forgot: their bytes vanish
	cutAfter        int                   // write only this many bytes of a calbridge.freebusy reply, then close
	replyDelay      time.Duration         // every reply leaves this long after its request was read (latency)
	callDelay       time.Duration         // calbridge.freebusy replies are this much later still (a slow source)
	bytesPerSecond  int                   // replies are written at this rate (a bandwidth squeeze); 0: at once
	stuckAfterHello bool                  // answer hello, then never read again

	stop chan struct{} // closed at cleanup: releases stuck handlers
	wg   sync.WaitGroup
}

// newFakeProc returns a running process; it is killed and thawed at the
// end of the test (inside the bubble).
func newFakeProc(t *testing.T) *fakeProc {
	p := &fakeProc{t: t, n: transporttest.NewNetwork(), conns: map[net.Conn]struct{}{},
		forgotten: map[net.Conn]struct{}{}, stop: make(chan struct{})}
	p.start()
	t.Cleanup(func() { close(p.stop); p.unfreeze(); p.kill(); p.wg.Wait() })
	return p
}

// DialContext records the dial and connects through the in-memory network.
func (p *fakeProc) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	p.mu.Lock()
	p.dials = append(p.dials, time.Now())
	over := p.maxDials > 0 && len(p.dials) > p.maxDials
	p.mu.Unlock()
	if over {
		return nil, errors.New("fakeProc: dial guard: too many dials")
	}
	nc, err := p.n.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	return &guardConn{Conn: nc}, nil
}

// guardConn keeps a closed in-memory connection's deadlines alone: in
// transporttest's pipe, a deadline timer that fires while Close stops it
// and a Set*Deadline after that Close both close the same channel (a
// panic). On the fake clock a handshake deadline and the client's
// interrupting Close/SetDeadline can fall on the same instant, so the
// client's end serializes them here and ignores deadlines once closed.
type guardConn struct {
	net.Conn
	mu     sync.Mutex
	closed bool
}

func (g *guardConn) Close() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.closed = true
	return g.Conn.Close()
}

func (g *guardConn) deadline(set func(time.Time) error, t time.Time) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return net.ErrClosed
	}
	return set(t)
}

func (g *guardConn) SetDeadline(t time.Time) error { return g.deadline(g.Conn.SetDeadline, t) }
func (g *guardConn) SetReadDeadline(t time.Time) error {
	return g.deadline(g.Conn.SetReadDeadline, t)
}
func (g *guardConn) SetWriteDeadline(t time.Time) error {
	return g.deadline(g.Conn.SetWriteDeadline, t)
}

func (p *fakeProc) dialCount() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.dials)
}

func (p *fakeProc) dialTimes() []time.Time {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]time.Time(nil), p.dials...)
}

func (p *fakeProc) start() {
	l, err := p.n.Listen(procAddr)
	require.NoError(p.t, err)
	p.mu.Lock()
	p.l = l
	p.mu.Unlock()
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for {
			p.gate()
			nc, err := l.Accept()
			if err != nil {
				return
			}
			p.mu.Lock()
			p.conns[nc] = struct{}{}
			halfClose := p.halfClose
			p.mu.Unlock()
			if halfClose {
				closeWrite(nc)
			}
			p.wg.Add(1)
			go func() { defer p.wg.Done(); p.handle(nc) }()
		}
	}()
}

// kill closes the listener and every connection, like a process exiting.
func (p *fakeProc) kill() {
	p.mu.Lock()
	l := p.l
	p.l = nil
	conns := p.conns
	p.conns = map[net.Conn]struct{}{}
	p.forgotten = map[net.Conn]struct{}{}
	p.mu.Unlock()
	if l != nil {
		_ = l.Close()
	}
	for nc := range conns {
		_ = nc.Close()
	}
}

// set changes the process's behaviour under its lock.
func (p *fakeProc) set(f func()) {
	p.mu.Lock()
	defer p.mu.Unlock()
	f()
}

// reset closes every connection but keeps listening: a reset mid-call
// (transporttest.Proxy.ResetAll). The client reads end-of-stream.
func (p *fakeProc) reset() {
	p.mu.Lock()
	conns := p.conns
	p.conns = map[net.Conn]struct{}{}
	p.forgotten = map[net.Conn]struct{}{}
	p.mu.Unlock()
	for nc := range conns {
		_ = nc.Close()
	}
}

// forget makes every live connection a forgotten flow
// (transporttest.Proxy.DropAll): what the client sends on it vanishes and
// nothing comes back or closes; new connections work.
func (p *fakeProc) forget() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for nc := range p.conns {
		p.forgotten[nc] = struct{}{}
	}
}

// setHalfClose turns the half-close on (every live connection is
// half-closed at once, new ones when accepted) or off (for new
// connections).
func (p *fakeProc) setHalfClose(on bool) {
	p.mu.Lock()
	p.halfClose = on
	var live []net.Conn
	if on {
		for nc := range p.conns {
			live = append(live, nc)
		}
	}
	p.mu.Unlock()
	for _, nc := range live {
		closeWrite(nc)
	}
}

// closeWrite sends FIN on nc (the in-memory connections support it).
func closeWrite(nc net.Conn) {
	if hc, ok := nc.(interface{ CloseWrite() error }); ok {
		_ = hc.CloseWrite()
	}
}

func (p *fakeProc) freeze() {
	p.mu.Lock()
	if p.thaw == nil {
		p.thaw = make(chan struct{})
	}
	p.mu.Unlock()
}

func (p *fakeProc) unfreeze() {
	p.mu.Lock()
	if p.thaw != nil {
		close(p.thaw)
		p.thaw = nil
	}
	p.mu.Unlock()
}

// gate blocks while the process is frozen.
func (p *fakeProc) gate() {
	p.mu.Lock()
	ch := p.thaw
	p.mu.Unlock()
	if ch != nil {
		<-ch
	}
}

func (p *fakeProc) handle(nc net.Conn) {
	defer nc.Close()
	defer func() {
		p.mu.Lock()
		delete(p.conns, nc)
		delete(p.forgotten, nc)
		p.mu.Unlock()
	}()
	var wmu sync.Mutex // one reply at a time: delayed replies write from their own goroutines
	// send writes reply (after delay) at the configured rate, at most cut
	// bytes of it when cut is positive; false: the connection is done.
	send := func(reply []byte, cut, bps int) bool {
		wmu.Lock()
		defer wmu.Unlock()
		if cut > 0 && cut < len(reply) {
			_, _ = nc.Write(reply[:cut])
			return false
		}
		if bps <= 0 {
			_, err := nc.Write(reply)
			return err == nil
		}
		chunk := max(1, bps/100) // 10 ms of bandwidth
		for len(reply) > 0 {
			n := min(chunk, len(reply))
			time.Sleep(time.Duration(n) * time.Second / time.Duration(bps))
			if _, err := nc.Write(reply[:n]); err != nil {
				return false
			}
			reply = reply[n:]
		}
		return true
	}
	br := bufio.NewReader(nc)
	for {
		p.gate()
		line, err := br.ReadBytes('\n')
		if err != nil {
			return
		}
		p.gate()
		p.mu.Lock()
		_, forgotten := p.forgotten[nc]
		drop := p.blackHole || p.halfClose || forgotten
		dropAfterHello, stuckAfterHello := p.dropAfterHello, p.stuckAfterHello
		delay, cut, bps := p.replyDelay, 0, p.bytesPerSecond
		p.mu.Unlock()
		if drop {
			continue
		}
		var req wireRequest
		if json.Unmarshal(line, &req) != nil {
			return
		}
		var reply string
		switch req.Method {
		case methodHello:
			reply = fmt.Sprintf(`{"jsonrpc":"2.0","id":%s,"result":{"version":1,"server":"fake","maxMessageBytes":1048576}}`, req.ID)
		case methodPing:
			p.mu.Lock()
			p.pings = append(p.pings, time.Now())
			p.mu.Unlock()
			reply = fmt.Sprintf(`{"jsonrpc":"2.0","id":%s,"result":{}}`, req.ID)
		case methodFreeBusy:
			p.mu.Lock()
			p.freebusyCalls++
			silentCalls, callError := p.silentCalls, p.callError
			delay += p.callDelay
			cut = p.cutAfter
			p.mu.Unlock()
			switch {
			case silentCalls:
				continue
			case callError != "":
				reply = fmt.Sprintf(`{"jsonrpc":"2.0","id":%s,"error":%s}`, req.ID, callError)
			default:
				var q freebusy.Query
				if json.Unmarshal(req.Params, &q) != nil {
					return
				}
				out, _ := staticSource(context.Background(), q)
				res, err := json.Marshal(freeBusyResult{Schedules: out})
				if err != nil {
					return
				}
				reply = fmt.Sprintf(`{"jsonrpc":"2.0","id":%s,"result":%s}`, req.ID, res)
			}
		default:
			return
		}
		b := []byte(reply + "\n")
		if delay > 0 {
			p.wg.Add(1)
			go func() {
				defer p.wg.Done()
				select {
				case <-time.After(delay):
				case <-p.stop:
					return
				}
				if !send(b, cut, bps) {
					_ = nc.Close()
				}
			}()
			continue
		}
		if !send(b, cut, bps) {
			return
		}
		if req.Method == methodHello && dropAfterHello {
			return
		}
		if req.Method == methodHello && stuckAfterHello {
			<-p.stop // and never read again
			return
		}
	}
}

func (p *fakeProc) calls() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.freebusyCalls
}

// procClient returns a client of p with default options but for the dialer
// and opts; it is closed at the end of the test.
func procClient(t *testing.T, p *fakeProc, opts ...ClientOption) *Client {
	c, err := NewClient([]string{procAddr}, append([]ClientOption{WithDialer(p)}, opts...)...)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// timedCall makes one call and returns its error and its duration on the
// bubble's clock.
func timedCall(c *Client, ctx context.Context, q freebusy.Query) (time.Duration, error) {
	start := time.Now()
	_, err := c.Call(ctx, q)
	return time.Since(start), err
}

// seededRand returns a goroutine-safe source of uniform numbers in [0, 1)
// for withRand: the client draws from its owner and its callers.
func seededRand(a, b uint64) func() float64 {
	var mu sync.Mutex
	r := rand.New(rand.NewPCG(a, b))
	return func() float64 {
		mu.Lock()
		defer mu.Unlock()
		return r.Float64()
	}
}
