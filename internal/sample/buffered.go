package sample

import (
	"context"
	"sync"

	"github.com/calbridge/calbridge/freebusy"
)

// Buffered is a freebusy.BufferedSource over Src, for the tests of the
// handlers that lend their Source a freebusy.ScheduleBuffer: FreeBusyInto
// copies Src's answer into the buffer, counts the call and keeps what it
// returned, so that a test can see the handler reset the buffer once its
// answer was written.
type Buffered struct {
	Src freebusy.Source

	mu   sync.Mutex
	lent [][]freebusy.Schedule // each answer of FreeBusyInto
}

// FreeBusy asks Src.
func (b *Buffered) FreeBusy(ctx context.Context, q freebusy.Query) ([]freebusy.Schedule, error) {
	return b.Src.FreeBusy(ctx, q)
}

// FreeBusyInto asks Src and copies its schedules, intervals and events
// into buf.
func (b *Buffered) FreeBusyInto(ctx context.Context, q freebusy.Query, buf *freebusy.ScheduleBuffer) ([]freebusy.Schedule, error) {
	ss, err := b.Src.FreeBusy(ctx, q)
	if err != nil {
		return nil, err
	}
	out := buf.Schedules(len(ss))
	for i, s := range ss {
		out[i] = s
		out[i].Intervals = buf.Intervals(len(s.Intervals))
		copy(out[i].Intervals, s.Intervals)
		out[i].Events = buf.Events(len(s.Events))
		copy(out[i].Events, s.Events)
	}
	b.mu.Lock()
	b.lent = append(b.lent, out)
	b.mu.Unlock()
	return out, nil
}

// Calls returns how many times FreeBusyInto was called.
func (b *Buffered) Calls() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.lent)
}

// AllReset reports whether every schedule FreeBusyInto lent out reads as
// zero now, as it does once its buffer was Reset.
func (b *Buffered) AllReset() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, ss := range b.lent {
		for _, s := range ss {
			if s.Attendee != "" || s.Intervals != nil || s.Events != nil {
				return false
			}
		}
	}
	return true
}
