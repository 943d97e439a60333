package transporttest

import (
	"context"
	"fmt"
	"net"
	"strings"
	"sync"
	"syscall"
)

// backlog is how many dialled connections a listener queues before Dial
// blocks, like a socket's listen backlog.
const backlog = 128

// Network is an in-memory network for tests: Listen and DialContext work like
// their TCP counterparts (DialContext satisfies transport.Dialer), without
// sockets or ports. Its connections buffer DefaultPipeBuffer bytes in each
// direction, so writes do not rendezvous with reads as net.Pipe's do, and they
// honour read and write deadlines with errors that match
// os.ErrDeadlineExceeded and report Timeout() as a net.Error.
//
// Dialling an address nobody listens on fails at once with an error matching
// syscall.ECONNREFUSED, as TCP does. The zero value is not usable; call
// NewNetwork. A Network is safe for concurrent use.
type Network struct {
	mu        sync.Mutex
	listeners map[string]*memListener
	seq       int
}

// NewNetwork returns an empty in-memory network.
func NewNetwork() *Network {
	return &Network{listeners: make(map[string]*memListener)}
}

// Listen listens on addr. An empty addr, or one ending in ":0", gets a fresh
// unique address, read back from the listener's Addr. Listening on an
// address in use fails with an error matching syscall.EADDRINUSE.
func (n *Network) Listen(addr string) (net.Listener, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.seq++
	if addr == "" || strings.HasSuffix(addr, ":0") {
		addr = fmt.Sprintf("mem:%d", n.seq)
	}
	if _, used := n.listeners[addr]; used {
		return nil, &net.OpError{Op: "listen", Net: "mem", Addr: memAddr(addr), Err: syscall.EADDRINUSE}
	}
	l := &memListener{net: n, addr: memAddr(addr), wake: make(chan struct{})}
	n.listeners[addr] = l
	return l, nil
}

// DialContext connects to the listener at addr; network is ignored. It
// returns once the connection is queued for Accept (as a TCP connect returns
// once the kernel completed the handshake), blocking only while the
// listener's backlog is full, and at most until ctx ends.
func (n *Network) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	if err := ctx.Err(); err != nil {
		return nil, &net.OpError{Op: "dial", Net: "mem", Addr: memAddr(addr), Err: err}
	}
	n.mu.Lock()
	l := n.listeners[addr]
	n.seq++
	local := memAddr(fmt.Sprintf("mem-client:%d", n.seq))
	n.mu.Unlock()
	refused := &net.OpError{Op: "dial", Net: "mem", Addr: memAddr(addr), Err: syscall.ECONNREFUSED}
	if l == nil {
		return nil, refused
	}
	client, server := newPipe(local, l.addr, DefaultPipeBuffer)
	for {
		l.mu.Lock()
		if l.closed {
			l.mu.Unlock()
			return nil, refused
		}
		if len(l.queue) < backlog {
			l.queue = append(l.queue, server)
			l.signal()
			l.mu.Unlock()
			return client, nil
		}
		wake := l.wake
		l.mu.Unlock()
		select {
		case <-wake:
		case <-ctx.Done():
			return nil, &net.OpError{Op: "dial", Net: "mem", Addr: memAddr(addr), Err: ctx.Err()}
		}
	}
}

// memListener is a Network's net.Listener.
type memListener struct {
	net    *Network
	addr   memAddr
	mu     sync.Mutex
	queue  []*memConn
	closed bool
	wake   chan struct{} // closed and replaced on every change
}

func (l *memListener) signal() {
	close(l.wake)
	l.wake = make(chan struct{})
}

// Accept waits for the next dialled connection.
func (l *memListener) Accept() (net.Conn, error) {
	for {
		l.mu.Lock()
		if l.closed {
			l.mu.Unlock()
			return nil, &net.OpError{Op: "accept", Net: "mem", Addr: l.addr, Err: net.ErrClosed}
		}
		if len(l.queue) > 0 {
			c := l.queue[0]
			l.queue = l.queue[1:]
			l.signal()
			l.mu.Unlock()
			return c, nil
		}
		wake := l.wake
		l.mu.Unlock()
		<-wake
	}
}

// Close stops listening and frees the address. Connections still queued are
// closed, so their dialers read io.EOF; accepted connections live on, as
// with TCP.
func (l *memListener) Close() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return &net.OpError{Op: "close", Net: "mem", Addr: l.addr, Err: net.ErrClosed}
	}
	l.closed = true
	queued := l.queue
	l.queue = nil
	l.signal()
	l.mu.Unlock()
	for _, c := range queued {
		_ = c.Close()
	}
	l.net.mu.Lock()
	if l.net.listeners[string(l.addr)] == l {
		delete(l.net.listeners, string(l.addr))
	}
	l.net.mu.Unlock()
	return nil
}

// Addr returns the listener's address.
func (l *memListener) Addr() net.Addr { return l.addr }

// DialerFunc adapts a function to transport.Dialer, for tests that need a
// dialer with special behaviour (one that hangs until its context ends, one
// that counts attempts) without a type of their own.
type DialerFunc func(ctx context.Context, network, addr string) (net.Conn, error)

// DialContext calls f(ctx, network, addr).
func (f DialerFunc) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	return f(ctx, network, addr)
}
