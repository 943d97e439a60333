package bufpool

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestStack: the stack gives back the buffer pushed last, holds at most
// Stacked, and keeps no reference to what it gave away.
func TestStack(t *testing.T) {
	var s stack[*[]byte]
	_, ok := s.pop()
	require.False(t, ok)
	bufs := make([]*[]byte, Stacked+1)
	for i := range bufs {
		bufs[i] = new([]byte)
	}
	for _, b := range bufs[:Stacked] {
		require.True(t, s.push(b))
	}
	require.False(t, s.push(bufs[Stacked]), "a full stack refuses")
	for i := Stacked - 1; i >= 0; i-- {
		b, ok := s.pop()
		require.True(t, ok)
		require.Same(t, bufs[i], b, "last in, first out")
	}
	_, ok = s.pop()
	require.False(t, ok)
	for _, held := range s.items[:cap(s.items)] {
		require.Nil(t, held, "a buffer given away is not kept alive")
	}
}

// byteBuffers is a Pool of byte slices sized by their capacity.
func byteBuffers(max int) *Pool[*[]byte] {
	return &Pool[*[]byte]{
		New:  func() *[]byte { return new([]byte) },
		Size: func(b *[]byte) int { return cap(*b) },
		Max:  max,
	}
}

// putElsewhere runs put on another goroutine and waits for it.
func putElsewhere(put func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		put()
	}()
	<-done
}

// TestLargeBufferFoundByAnyGoroutine: a large buffer given back by one
// goroutine goes on the stack, where the next Get, from any goroutine on
// any P, takes it first; then the stack is empty again.
func TestLargeBufferFoundByAnyGoroutine(t *testing.T) {
	p := byteBuffers(0)
	b := p.Get()
	*b = make([]byte, 0, StackMin)
	putElsewhere(func() { p.Put(b) })
	require.Same(t, b, p.Get(), "the large buffer is the next one handed out")
	_, ok := p.stack.pop()
	require.False(t, ok, "and is no longer on the stack")
}

// TestPutBySize: a buffer under StackMin goes to the sync.Pool, not the
// stack; one over Max (DefaultMax when Max is 0) is dropped; a Pool with
// no Size stacks every buffer and drops none.
func TestPutBySize(t *testing.T) {
	p := byteBuffers(0)
	small := new([]byte)
	*small = make([]byte, 0, StackMin-1)
	p.Put(small)
	_, ok := p.stack.pop()
	require.False(t, ok, "a small buffer goes to the pool")

	for _, tc := range []struct {
		max, size int
	}{{0, DefaultMax + 1}, {StackMin, StackMin + 1}} {
		p := byteBuffers(tc.max)
		huge := new([]byte)
		*huge = make([]byte, 0, tc.size)
		p.Put(huge)
		_, ok := p.stack.pop()
		require.False(t, ok, "max %d: a buffer of %d is not stacked", tc.max, tc.size)
		require.NotSame(t, huge, p.Get(), "max %d: a buffer of %d is not kept", tc.max, tc.size)
	}

	atMax := byteBuffers(StackMin)
	b := new([]byte)
	*b = make([]byte, 0, StackMin)
	atMax.Put(b)
	require.Same(t, b, atMax.Get(), "a buffer of exactly Max is kept")

	unsized := &Pool[*[]byte]{New: func() *[]byte { return new([]byte) }}
	tiny := new([]byte)
	unsized.Put(tiny)
	got, ok := unsized.stack.pop()
	require.True(t, ok, "with no Size, every buffer is stacked")
	require.Same(t, tiny, got)
}

// TestGetNew: an empty Pool makes a buffer with New.
func TestGetNew(t *testing.T) {
	made := 0
	p := &Pool[*[]byte]{New: func() *[]byte { made++; return new([]byte) }}
	require.NotNil(t, p.Get())
	require.Equal(t, 1, made)
}

// TestSettledGetPutAllocatesNothing: once a large buffer is in the Pool,
// taking it and giving it back costs no allocation, whichever goroutine
// gave it back (the race detector also watches the stack's lock).
func TestSettledGetPutAllocatesNothing(t *testing.T) {
	p := byteBuffers(0)
	b := p.Get()
	*b = make([]byte, 0, StackMin)
	p.Put(b)
	allocs := testing.AllocsPerRun(100, func() {
		x := p.Get()
		*x = append((*x)[:0], "answer"...)
		p.Put(x)
	})
	require.Zero(t, allocs)
}
