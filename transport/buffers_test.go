package transport

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/calbridge/calbridge/internal/bufpool"
)

// TestLargeBuffersSharedAcrossGoroutines: the link's large encoders and
// reply lines go through a bufpool.Pool, so that one given back by one
// goroutine is the next one handed out, to any goroutine on any P (the
// server's call goroutines, the reader and its callers); one over
// bufpool.DefaultMax is not kept.
func TestLargeBuffersSharedAcrossGoroutines(t *testing.T) {
	putElsewhere := func(put func()) {
		done := make(chan struct{})
		go func() {
			defer close(done)
			put()
		}()
		<-done
	}
	for range bufpool.Stacked { // empty the stacks of earlier tests' buffers
		getEncoder()
		getLineBuffer()
	}

	e := getEncoder()
	e.buf = make([]byte, 0, bufpool.StackMin)
	putElsewhere(func() { putEncoder(e) })
	require.Same(t, e, getEncoder(), "a large encoder is the next one handed out")

	line := getLineBuffer()
	*line = make([]byte, 10, bufpool.StackMin)
	putElsewhere(func() { putLineBuffer(line) })
	got := getLineBuffer()
	require.Same(t, line, got, "a large line buffer is the next one handed out")
	require.Empty(t, *got, "emptied")

	huge := &[]byte{}
	*huge = make([]byte, 0, bufpool.DefaultMax+1)
	putLineBuffer(huge)
	require.NotSame(t, huge, getLineBuffer(), "a buffer over bufpool.DefaultMax is dropped")
}
