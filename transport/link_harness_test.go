package transport

// A server process for tests on a fake clock (testing/synctest): an
// in-memory listener (transporttest.Network: buffered connections and a
// listen backlog, like the kernel's) served by a minimal calbridge peer
// that can be killed (listener and connections closed: connection
// refused), restarted, frozen like a SIGSTOPped process (connections are
// still queued and their bytes buffered, but nothing is accepted, read or
// answered) and thawed. Its dialer records every dial.

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

	// Behaviour, set before use.
	dropAfterHello bool   // answer hello, then close
	silentCalls    bool   // never answer calbridge.freebusy
	callError      string // answer calbridge.freebusy with this error object
	freebusyCalls  int    // calbridge.freebusy requests read

	wg sync.WaitGroup
}

// newFakeProc returns a running process; it is killed and thawed at the
// end of the test (inside the bubble).
func newFakeProc(t *testing.T) *fakeProc {
	p := &fakeProc{t: t, n: transporttest.NewNetwork(), conns: map[net.Conn]struct{}{}}
	p.start()
	t.Cleanup(func() { p.unfreeze(); p.kill(); p.wg.Wait() })
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
	return p.n.DialContext(ctx, network, addr)
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
			p.mu.Unlock()
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
	p.mu.Unlock()
	if l != nil {
		_ = l.Close()
	}
	for nc := range conns {
		_ = nc.Close()
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
	br := bufio.NewReader(nc)
	for {
		p.gate()
		line, err := br.ReadBytes('\n')
		if err != nil {
			return
		}
		p.gate()
		var req wireRequest
		if json.Unmarshal(line, &req) != nil {
			return
		}
		var reply string
		switch req.Method {
		case methodHello:
			reply = fmt.Sprintf(`{"jsonrpc":"2.0","id":%s,"result":{"version":1,"server":"fake","maxMessageBytes":1048576}}`, req.ID)
		case methodPing:
			reply = fmt.Sprintf(`{"jsonrpc":"2.0","id":%s,"result":{}}`, req.ID)
		case methodFreeBusy:
			p.mu.Lock()
			p.freebusyCalls++
			silentCalls, callError := p.silentCalls, p.callError
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
		if _, err := nc.Write([]byte(reply + "\n")); err != nil {
			return
		}
		if req.Method == methodHello && p.dropAfterHello {
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
