package transport

import "sync"

// bufferPool recycles the link's buffers: the line a reply is read into,
// the encoder a message is written with. Small ones go to a sync.Pool;
// large ones to a small stack that every goroutine sees first.
//
// The large buffers are put back by one goroutine and wanted next by
// another: the caller gives back the line the reader read, and each call
// on the server runs in a goroutine of its own. sync.Pool keeps what a
// goroutine puts back in the private slot of the P it ran on, where a
// goroutine on another P does not look, so with two Ps about every other
// reply of a megabyte grew a buffer anew: BenchmarkRPCLeg100x7d allocated
// 1.4 to 1.8 MB per 1.1 MB call with two Ps, against 1.1 MB with one.
//
// The stack holds at most stackedBuffers items; the rest go to the pool.
// What it holds stays allocated until it is used again, so a process
// keeps at most stackedBuffers buffers of up to maxPooledBuffer per pool
// after its largest answers: a bound, traded for not allocating a
// megabyte per call. Buffers over maxPooledBuffer are left to the garbage
// collector, so that one huge answer does not stay pinned.
type bufferPool[T any] struct {
	// capacity returns the bytes a buffer holds.
	capacity func(T) int
	// create makes a new buffer when neither the stack nor the pool has
	// one.
	create func() T

	pool  sync.Pool
	stack bufferStack[T]
}

// maxPooledBuffer bounds the buffers kept for reuse. A week of 100
// calendars is about 1.2 MB in the JSON form and half that in the compact
// form.
const maxPooledBuffer = 4 << 20

// stackedMin is the capacity from which a buffer is worth a place on the
// stack; smaller ones are cheap to regrow and go to the pool.
const stackedMin = 64 << 10

// get returns a buffer: the large one put back last, else one from the
// pool, else a new one.
func (p *bufferPool[T]) get() T {
	if x, ok := p.stack.pop(); ok {
		return x
	}
	if x, ok := p.pool.Get().(T); ok {
		return x
	}
	return p.create()
}

// put keeps x for a later get, unless it is over maxPooledBuffer.
func (p *bufferPool[T]) put(x T) {
	n := p.capacity(x)
	if n > maxPooledBuffer {
		return
	}
	if n >= stackedMin && p.stack.push(x) {
		return
	}
	p.pool.Put(x)
}

// bufferStack keeps a few large buffers where every goroutine finds them.
type bufferStack[T any] struct {
	mu    sync.Mutex
	items []T
}

// stackedBuffers is how many buffers a stack keeps: one being read into
// while the caller decodes the last, on a link with one call at a time.
const stackedBuffers = 2

// pop takes the buffer put back last.
func (s *bufferStack[T]) pop() (T, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var zero T
	n := len(s.items)
	if n == 0 {
		return zero, false
	}
	x := s.items[n-1]
	s.items[n-1] = zero
	s.items = s.items[:n-1]
	return x, true
}

// push keeps x unless the stack is full.
func (s *bufferStack[T]) push(x T) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.items) >= stackedBuffers {
		return false
	}
	s.items = append(s.items, x)
	return true
}
