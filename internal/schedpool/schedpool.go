// Package schedpool keeps the freebusy.ScheduleBuffers of the handlers
// that answer query after query (EWS, Graph), so that an answer's
// schedules reuse the memory of an earlier one when their Source is a
// freebusy.BufferedSource.
package schedpool

import (
	"sync"

	"github.com/calbridge/calbridge/freebusy"
)

var buffers = sync.Pool{New: func() any { return new(freebusy.ScheduleBuffer) }}

// Get returns an empty buffer.
func Get() *freebusy.ScheduleBuffer { return buffers.Get().(*freebusy.ScheduleBuffer) }

// Put resets b and keeps it for a later Get; Reset lets go of the arrays
// one very large answer grew. Nothing taken from b may be used after.
func Put(b *freebusy.ScheduleBuffer) {
	if b == nil {
		return
	}
	b.Reset()
	buffers.Put(b)
}
