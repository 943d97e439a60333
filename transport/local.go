package transport

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/calbridge/calbridge/freebusy"
)

// Client and Local are the transports this package ships; like any
// transport, each is a freebusy.Source.
var (
	_ freebusy.Source = (*Client)(nil)
	_ freebusy.Source = (*Local)(nil)
)

// Local is the in-process transport: a freebusy.Source that hands queries
// to another Source in the same process, behaving as a remote transport
// would, minus the network. Use it where both halves of a gateway run in
// one process, or to test a half without a Server. A Local is safe for
// concurrent use; create one with NewLocal.
type Local struct {
	src    freebusy.Source
	closed atomic.Bool
}

// NewLocal returns an in-process transport to src. Its FreeBusy validates
// the query, honours ctx, checks the answer's shape (freebusy.CheckResult)
// and deep-copies the query and the schedules, so that neither side can
// alias the other's slices.
func NewLocal(src freebusy.Source) *Local { return &Local{src: src} }

// FreeBusy implements freebusy.Source: it asks the wrapped Source, under
// the rules of NewLocal. After Close it returns ErrClosed.
func (l *Local) FreeBusy(ctx context.Context, q freebusy.Query) ([]freebusy.Schedule, error) {
	if l.closed.Load() {
		return nil, ErrClosed
	}
	if err := q.Validate(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, &freebusy.Error{Reason: freebusy.ReasonOf(err), Message: "transport: " + err.Error(), Cause: err}
	}
	q.Attendees = append([]string(nil), q.Attendees...)
	out, err := l.src.FreeBusy(ctx, q)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, &freebusy.Error{Reason: freebusy.ReasonOf(err), Message: "transport: " + err.Error(), Cause: err}
	}
	if err := freebusy.CheckResult(q, out); err != nil {
		return nil, err
	}
	return copySchedules(out), nil
}

// Close makes every later FreeBusy return ErrClosed; it does not close the
// wrapped Source. It is idempotent and returns nil.
func (l *Local) Close() error {
	l.closed.Store(true)
	return nil
}

// copySchedules deep-copies schedules: slices, working hours and errors.
func copySchedules(in []freebusy.Schedule) []freebusy.Schedule {
	out := make([]freebusy.Schedule, len(in))
	for i, s := range in {
		s.Intervals = append([]freebusy.Interval(nil), s.Intervals...)
		s.Events = append([]freebusy.Event(nil), s.Events...)
		if s.WorkingHours != nil {
			wh := *s.WorkingHours
			wh.Periods = append([]freebusy.WorkingPeriod(nil), wh.Periods...)
			for j := range wh.Periods {
				wh.Periods[j].Days = append([]time.Weekday(nil), wh.Periods[j].Days...)
			}
			s.WorkingHours = &wh
		}
		if s.Err != nil {
			e := *s.Err
			s.Err = &e
		}
		out[i] = s
	}
	return out
}
