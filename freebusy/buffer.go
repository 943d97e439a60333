package freebusy

import (
	"context"
	"unsafe"
)

// A ScheduleBuffer lends memory to the schedules of an answer, so that a
// program answering query after query (a gateway's EWS or Graph handler
// in front of a transport link) does not allocate every answer's
// schedules, intervals and events anew, and the garbage collector has
// less to do.
//
// A BufferedSource takes the slices of its answer from the buffer through
// Schedules, Intervals and Events; AnswerInto calls it. The schedules
// of such an answer share the buffer's memory: they are valid until the
// buffer is Reset, and must not be used after that. Strings are never
// shared: a string a schedule holds stays valid for good.
//
// The buffer keeps its arrays across Reset (up to 8 MB each), so that
// after a few answers it serves the next one without allocating. The
// zero value is an empty buffer ready to use. A ScheduleBuffer is not
// safe for concurrent use; a server keeps one per request, typically in
// a sync.Pool, resetting it before it puts it back.
type ScheduleBuffer struct {
	schedules slab[Schedule]
	intervals slab[Interval]
	events    slab[Event]
}

// slab hands out consecutive pieces of one array and starts a larger
// array when the current one is used up; the pieces handed out before
// keep the old array alive for as long as they are used. Everything past
// used is zero: a new array is, and reset clears what was handed out.
type slab[T any] struct {
	buf  []T
	used int
}

// take returns n zeroed elements, capped at n so that appending to the
// piece never writes into the next one.
func (s *slab[T]) take(n int) []T {
	if n <= 0 {
		return nil
	}
	if n > len(s.buf)-s.used {
		// Double what the last answer needed, so that a buffer reused for
		// answers of one size settles on one array after a few of them.
		size := max(2*len(s.buf), n, 16)
		s.buf, s.used = make([]T, size), 0
	}
	p := s.buf[s.used : s.used+n : s.used+n]
	s.used += n
	return p
}

// maxKept bounds the bytes of an array that reset keeps for reuse, so
// that one very large answer (thousands of calendars) does not keep its
// memory alive in a pool after it was written.
const maxKept = 8 << 20

// reset clears the pieces handed out, so that the buffer neither shows an
// old answer to the next one nor keeps what it refers to alive, and lets
// go of an array larger than maxKept.
func (s *slab[T]) reset() {
	if s.bytes() > maxKept {
		s.buf = nil
	} else {
		clear(s.buf[:s.used])
	}
	s.used = 0
}

func (s *slab[T]) bytes() int {
	var zero T
	return len(s.buf) * int(unsafe.Sizeof(zero))
}

// Schedules returns n zero schedules taken from the buffer, or nil for
// n <= 0. The slice has capacity n: appending to it allocates elsewhere.
// A nil buffer allocates the slice, so that code written to fill a
// buffer works without one.
func (b *ScheduleBuffer) Schedules(n int) []Schedule {
	if b == nil {
		return allocate[Schedule](n)
	}
	return b.schedules.take(n)
}

// Intervals returns n zero intervals taken from the buffer, or nil for
// n <= 0. The slice has capacity n: appending to it allocates elsewhere.
// A nil buffer allocates the slice.
func (b *ScheduleBuffer) Intervals(n int) []Interval {
	if b == nil {
		return allocate[Interval](n)
	}
	return b.intervals.take(n)
}

// Events returns n zero events taken from the buffer, or nil for n <= 0.
// The slice has capacity n: appending to it allocates elsewhere. A nil
// buffer allocates the slice.
func (b *ScheduleBuffer) Events(n int) []Event {
	if b == nil {
		return allocate[Event](n)
	}
	return b.events.take(n)
}

// allocate is what a nil buffer hands out: a new slice of n, or nil.
func allocate[T any](n int) []T {
	if n <= 0 {
		return nil
	}
	return make([]T, n)
}

// Reset makes all of the buffer's memory available again. Every slice
// the buffer handed out before, and every schedule built from them, must
// no longer be used: Reset clears them, and the next answers overwrite
// them. Reset of a nil buffer does nothing.
func (b *ScheduleBuffer) Reset() {
	if b == nil {
		return
	}
	b.schedules.reset()
	b.intervals.reset()
	b.events.reset()
}

// A BufferedSource is a Source that can take the memory of its answers
// from a caller's ScheduleBuffer. transport.Client and natstransport.Client
// are: they decode the link's answer straight into the buffer.
type BufferedSource interface {
	Source
	// FreeBusyInto answers q as FreeBusy does, under the same contract,
	// taking the slices of its schedules from buf where it can. The
	// schedules it returns are valid until buf is Reset. It does not use
	// buf after it returns, even when ctx ended first.
	FreeBusyInto(ctx context.Context, q Query, buf *ScheduleBuffer) ([]Schedule, error)
}

// AnswerInto answers q from src: through src.FreeBusyInto when src is a
// BufferedSource, so that the answer takes its memory from buf, and
// through src.FreeBusy otherwise. Either way the schedules are valid
// until buf is Reset (an answer of a plain Source does not use buf at
// all). A nil buf is the same as calling src.FreeBusy.
func AnswerInto(ctx context.Context, src Source, q Query, buf *ScheduleBuffer) ([]Schedule, error) {
	if bs, ok := src.(BufferedSource); ok && buf != nil {
		return bs.FreeBusyInto(ctx, q, buf)
	}
	return src.FreeBusy(ctx, q)
}
