// Package bufpool recycles large buffers between goroutines: the reply
// line a connection's reader fills and its caller decodes, the encoder an
// answer is written with, the arena an answer's events are built in.
//
// sync.Pool alone loses such buffers. It keeps what a goroutine puts back
// in the private slot of the P (the scheduler's processor) that goroutine
// ran on, and a goroutine on another P looks in the other Ps' shared
// queues but not in their private slots. When one goroutine gives back a
// buffer and another, on the other P, wants one next (a handler on one
// connection, the next request on another; a reader and its caller), the
// buffer is not found and a new one of a megabyte is grown, about every
// other time with two Ps. A Pool keeps its few largest buffers on a small
// stack that every goroutine looks at first, and the rest in a sync.Pool.
package bufpool

import "sync"

// DefaultMax is the largest buffer a Pool with no Max keeps: an answer for
// 100 calendars over a week is about a megabyte, and a rare answer many
// times larger should not stay in memory after it is written.
const DefaultMax = 4 << 20

// StackMin is the size from which a buffer is worth a place on the stack;
// smaller ones are cheap to regrow and go to the sync.Pool.
const StackMin = 64 << 10

// Stacked is how many buffers a Pool's stack holds: enough for a buffer
// being filled while the last one is still being read (a reader and its
// caller, two requests on two Ps). What the stack holds stays allocated
// until it is taken again, so a Pool keeps at most Stacked buffers of up
// to its Max after its largest answers: that bound is the price of not
// growing a megabyte per request.
const Stacked = 2

// Pool is a pool of buffers of type T (a pointer to something that holds
// memory). Get and Put may be called from any goroutine. A Pool must not
// be copied after first use.
type Pool[T any] struct {
	// New makes a buffer when the pool has none to give.
	New func() T
	// Size returns the bytes x holds. When nil, every buffer counts as
	// large and none as too large: for a type that bounds its own
	// memory when it is emptied.
	Size func(x T) int
	// Max is the largest size Put keeps; 0 means DefaultMax. Larger
	// buffers are left to the garbage collector.
	Max int

	pool  sync.Pool
	stack stack[T]
}

// Get returns a buffer: the large one put back last, else one from the
// sync.Pool, else a new one. It does not empty the buffer; Put's caller
// does, before it puts it back.
func (p *Pool[T]) Get() T {
	if x, ok := p.stack.pop(); ok {
		return x
	}
	if x, ok := p.pool.Get().(T); ok {
		return x
	}
	return p.New()
}

// Put keeps x for a later Get, unless it is larger than Max. x must not be
// used after.
func (p *Pool[T]) Put(x T) {
	n := StackMin
	if p.Size != nil {
		n = p.Size(x)
	}
	limit := p.Max
	if limit == 0 {
		limit = DefaultMax
	}
	if n > limit {
		return
	}
	if n >= StackMin && p.stack.push(x) {
		return
	}
	p.pool.Put(x)
}

// stack keeps a few large buffers where every goroutine finds them.
type stack[T any] struct {
	mu    sync.Mutex
	items []T
}

// pop takes the buffer pushed last.
func (s *stack[T]) pop() (T, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var zero T
	n := len(s.items)
	if n == 0 {
		return zero, false
	}
	x := s.items[n-1]
	s.items[n-1] = zero // hold no reference to what is given away
	s.items = s.items[:n-1]
	return x, true
}

// push keeps x unless the stack is full.
func (s *stack[T]) push(x T) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.items) >= Stacked {
		return false
	}
	s.items = append(s.items, x)
	return true
}
