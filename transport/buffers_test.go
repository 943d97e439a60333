package transport

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestBufferStack: the stack gives back the buffer put last, holds at
// most stackedBuffers, and keeps no reference to what it gave away.
func TestBufferStack(t *testing.T) {
	var s bufferStack[*[]byte]
	_, ok := s.pop()
	require.False(t, ok)
	bufs := make([]*[]byte, stackedBuffers+1)
	for i := range bufs {
		bufs[i] = new([]byte)
	}
	for _, b := range bufs[:stackedBuffers] {
		require.True(t, s.push(b))
	}
	require.False(t, s.push(bufs[stackedBuffers]), "a full stack refuses")
	for i := stackedBuffers - 1; i >= 0; i-- {
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

// drain empties the package's stacks, so that a test sees only what it
// puts on them.
func drain(t *testing.T) {
	t.Helper()
	for {
		if _, ok := encoders.stack.pop(); !ok {
			break
		}
	}
	for {
		if _, ok := lines.stack.pop(); !ok {
			break
		}
	}
}

// TestLargeBuffersSharedAcrossGoroutines: a large encoder or line buffer
// given back by one goroutine goes on its stack, where the next get, from
// any goroutine on any P, takes it first; small ones go to the pool and
// ones over maxPooledBuffer to the garbage collector.
func TestLargeBuffersSharedAcrossGoroutines(t *testing.T) {
	drain(t)
	putElsewhere := func(put func()) {
		done := make(chan struct{})
		go func() {
			defer close(done)
			put()
		}()
		<-done
	}

	e := getEncoder()
	e.buf = make([]byte, 0, stackedMin)
	putElsewhere(func() { putEncoder(e) })
	onStack, ok := encoders.stack.pop()
	require.True(t, ok, "a large encoder goes on the stack")
	require.Same(t, e, onStack)
	require.True(t, encoders.stack.push(e))
	require.Same(t, e, getEncoder(), "and is the next one handed out")

	line := getLineBuffer()
	*line = make([]byte, 10, stackedMin)
	putElsewhere(func() { putLineBuffer(line) })
	onLines, ok := lines.stack.pop()
	require.True(t, ok, "a large line buffer goes on the stack")
	require.Same(t, line, onLines)
	require.Empty(t, *onLines, "emptied")
	require.True(t, lines.stack.push(line))
	require.Same(t, line, getLineBuffer(), "and is the next one handed out")

	small := getEncoder()
	small.buf = make([]byte, 0, stackedMin-1)
	putEncoder(small)
	huge := &[]byte{}
	*huge = make([]byte, 0, maxPooledBuffer+1)
	putLineBuffer(huge)
	_, ok = encoders.stack.pop()
	require.False(t, ok, "a small encoder goes to the pool")
	_, ok = lines.stack.pop()
	require.False(t, ok, "a buffer over maxPooledBuffer is dropped")
}
