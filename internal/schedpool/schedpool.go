// Package schedpool keeps the freebusy.ScheduleBuffers of the handlers
// that answer query after query (EWS, Graph, DAS), so that an answer's
// schedules reuse the memory of an earlier one when their Source is a
// freebusy.BufferedSource.
package schedpool

import (
	"sync"

	"github.com/calbridge/calbridge/freebusy"
)

// MaxRetained bounds the memory of a buffer put back (about a week of
// 1,000 busy calendars): one very large answer does not keep its arrays
// alive in the pool.
const MaxRetained = 16 << 20

var buffers = sync.Pool{New: func() any { return new(freebusy.ScheduleBuffer) }}

// Get returns an empty buffer.
func Get() *freebusy.ScheduleBuffer { return buffers.Get().(*freebusy.ScheduleBuffer) }

// Put resets b and keeps it for a later Get, unless it holds more than
// MaxRetained bytes. Nothing taken from b may be used after.
func Put(b *freebusy.ScheduleBuffer) {
	if b == nil || b.Retained() > MaxRetained {
		return
	}
	b.Reset()
	buffers.Put(b)
}
