package transporttest

import (
	"io"
	"net"
	"os"
	"sync"
	"syscall"
	"time"
)

// DefaultPipeBuffer is the number of bytes each direction of an in-memory
// connection holds before Write blocks, about what a loopback socket buffers.
const DefaultPipeBuffer = 64 << 10

// memAddr is the net.Addr of an in-memory endpoint.
type memAddr string

func (a memAddr) Network() string { return "mem" }
func (a memAddr) String() string  { return string(a) }

// deadline is a settable deadline whose expiry closes a channel, so that a
// blocked Read or Write can select on it (the same idea as net.Pipe's).
type deadline struct {
	mu      sync.Mutex
	timer   *time.Timer
	expired chan struct{} // closed when the deadline passes
}

func newDeadline() *deadline { return &deadline{expired: make(chan struct{})} }

// set arms the deadline at t; the zero t disarms it.
func (d *deadline) set(t time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.timer != nil && !d.timer.Stop() {
		<-d.expired // the old timer fired (or is firing): wait for its close
	}
	d.timer = nil
	select {
	case <-d.expired:
		d.expired = make(chan struct{})
	default:
	}
	if t.IsZero() {
		return
	}
	if dur := time.Until(t); dur > 0 {
		ch := d.expired
		d.timer = time.AfterFunc(dur, func() { close(ch) })
		return
	}
	close(d.expired)
}

// wait returns a channel closed once the deadline has passed.
func (d *deadline) wait() chan struct{} {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.expired
}

// stop releases the timer, so that a closed connection leaves none behind.
// A timer that has already fired is waited for, as in set: forgetting it
// while its close is still on the way would let a later set close the
// same channel again.
func (d *deadline) stop() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.timer != nil {
		if !d.timer.Stop() {
			<-d.expired
		}
		d.timer = nil
	}
}

// stream is one direction of an in-memory connection: a bounded byte queue
// with end-of-stream (writer side closed) and no-reader (reader side closed).
type stream struct {
	mu       sync.Mutex
	buf      []byte
	limit    int
	eof      bool          // the writer half-closed or closed: reads drain, then io.EOF
	noReader bool          // the reader closed: writes fail with EPIPE
	changed  chan struct{} // closed and replaced on every change
}

func newStream(limit int) *stream {
	return &stream{limit: limit, changed: make(chan struct{})}
}

// signal wakes every goroutine waiting on the stream. Caller holds mu.
func (s *stream) signal() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// memConn is one end of an in-memory connection. It implements net.Conn plus
// CloseWrite and CloseRead, like *net.TCPConn.
type memConn struct {
	rx, tx        *stream
	local, remote memAddr
	readDL        *deadline
	writeDL       *deadline
	closeOnce     sync.Once
	closed        chan struct{}
}

// newPipe returns the two ends of a buffered in-memory connection.
func newPipe(clientAddr, serverAddr memAddr, limit int) (client, server *memConn) {
	up, down := newStream(limit), newStream(limit)
	client = &memConn{rx: down, tx: up, local: clientAddr, remote: serverAddr,
		readDL: newDeadline(), writeDL: newDeadline(), closed: make(chan struct{})}
	server = &memConn{rx: up, tx: down, local: serverAddr, remote: clientAddr,
		readDL: newDeadline(), writeDL: newDeadline(), closed: make(chan struct{})}
	return client, server
}

func (c *memConn) opError(op string, err error) error {
	return &net.OpError{Op: op, Net: "mem", Source: c.local, Addr: c.remote, Err: err}
}

func (c *memConn) isClosed() bool {
	select {
	case <-c.closed:
		return true
	default:
		return false
	}
}

// Read reads buffered bytes, blocking until some arrive, the peer closes its
// writing side (io.EOF), the read deadline passes or the conn is closed.
func (c *memConn) Read(b []byte) (int, error) {
	s := c.rx
	for {
		s.mu.Lock()
		switch {
		case c.isClosed():
			s.mu.Unlock()
			return 0, c.opError("read", net.ErrClosed)
		case len(s.buf) > 0:
			n := copy(b, s.buf)
			s.buf = s.buf[n:]
			if len(s.buf) == 0 {
				s.buf = nil
			}
			s.signal()
			s.mu.Unlock()
			return n, nil
		case s.eof:
			s.mu.Unlock()
			return 0, io.EOF
		case len(b) == 0:
			s.mu.Unlock()
			return 0, nil
		}
		wake := s.changed
		s.mu.Unlock()
		dl := c.readDL.wait()
		select {
		case <-dl:
			return 0, c.opError("read", os.ErrDeadlineExceeded)
		default:
		}
		select {
		case <-wake:
		case <-dl:
			return 0, c.opError("read", os.ErrDeadlineExceeded)
		case <-c.closed:
		}
	}
}

// Write queues b for the peer, blocking while the buffer is full. It fails
// with EPIPE once the peer stopped reading, and with a timeout error at the
// write deadline (having possibly written part of b, as a socket does).
func (c *memConn) Write(b []byte) (int, error) {
	s := c.tx
	written := 0
	for {
		s.mu.Lock()
		switch {
		case c.isClosed():
			s.mu.Unlock()
			return written, c.opError("write", net.ErrClosed)
		case s.eof:
			s.mu.Unlock()
			return written, c.opError("write", net.ErrClosed) // we half-closed
		case s.noReader:
			s.mu.Unlock()
			return written, c.opError("write", syscall.EPIPE)
		case written == len(b):
			s.mu.Unlock()
			return written, nil
		}
		if room := s.limit - len(s.buf); room > 0 {
			n := min(room, len(b)-written)
			s.buf = append(s.buf, b[written:written+n]...)
			written += n
			s.signal()
			s.mu.Unlock()
			continue
		}
		wake := s.changed
		s.mu.Unlock()
		dl := c.writeDL.wait()
		select {
		case <-dl:
			return written, c.opError("write", os.ErrDeadlineExceeded)
		default:
		}
		select {
		case <-wake:
		case <-dl:
			return written, c.opError("write", os.ErrDeadlineExceeded)
		case <-c.closed:
		}
	}
}

// Close closes both directions: the peer reads io.EOF after the buffered
// bytes and its writes fail with EPIPE. Blocked calls on this end return.
func (c *memConn) Close() error {
	first := false
	c.closeOnce.Do(func() {
		first = true
		close(c.closed)
		c.shut(c.tx, func(s *stream) { s.eof = true })
		c.shut(c.rx, func(s *stream) { s.noReader = true; s.buf = nil })
		c.readDL.stop()
		c.writeDL.stop()
	})
	if !first {
		return c.opError("close", net.ErrClosed)
	}
	return nil
}

// CloseWrite half-closes the connection: the peer reads io.EOF, this end can
// still read. It is what a peer's shutdown(SHUT_WR) looks like.
func (c *memConn) CloseWrite() error {
	if c.isClosed() {
		return c.opError("close", net.ErrClosed)
	}
	c.shut(c.tx, func(s *stream) { s.eof = true })
	return nil
}

// CloseRead stops reading: the peer's writes fail with EPIPE.
func (c *memConn) CloseRead() error {
	if c.isClosed() {
		return c.opError("close", net.ErrClosed)
	}
	c.shut(c.rx, func(s *stream) { s.noReader = true; s.buf = nil })
	return nil
}

func (c *memConn) shut(s *stream, f func(*stream)) {
	s.mu.Lock()
	f(s)
	s.signal()
	s.mu.Unlock()
}

func (c *memConn) LocalAddr() net.Addr  { return c.local }
func (c *memConn) RemoteAddr() net.Addr { return c.remote }

func (c *memConn) SetDeadline(t time.Time) error {
	c.readDL.set(t)
	c.writeDL.set(t)
	return nil
}

func (c *memConn) SetReadDeadline(t time.Time) error  { c.readDL.set(t); return nil }
func (c *memConn) SetWriteDeadline(t time.Time) error { c.writeDL.set(t); return nil }
