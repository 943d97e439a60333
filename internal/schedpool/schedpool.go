// Package schedpool keeps the freebusy.ScheduleBuffers of the handlers
// that answer query after query (EWS, Graph), so that an answer's
// schedules reuse the memory of an earlier one when their Source is a
// freebusy.BufferedSource.
package schedpool

import (
	"github.com/calbridge/calbridge/freebusy"
	"github.com/calbridge/calbridge/internal/bufpool"
)

// buffers has no Size: a buffer bounds itself when it is Reset, and the
// one that answered a large query is the one worth finding first, from
// whichever P the next request runs on (see bufpool).
var buffers = bufpool.Pool[*freebusy.ScheduleBuffer]{
	New: func() *freebusy.ScheduleBuffer { return new(freebusy.ScheduleBuffer) },
}

// Get returns an empty buffer.
func Get() *freebusy.ScheduleBuffer { return buffers.Get() }

// Put resets b and keeps it for a later Get; Reset lets go of the arrays
// one very large answer grew. Nothing taken from b may be used after.
func Put(b *freebusy.ScheduleBuffer) {
	if b == nil {
		return
	}
	b.Reset()
	buffers.Put(b)
}
