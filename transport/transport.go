package transport

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/calbridge/calbridge/freebusy"
)

// Transport carries canonical free/busy queries to a Source that may live
// elsewhere, and brings back its answer. Every Transport is a
// freebusy.Source, so callers need not know whether the Source is local.
// Users plug in their own (a message queue, an HTTP API) by implementing
// it; NewLocal and Client are the two in this package.
//
// Implementations are safe for concurrent use. After Close, FreeBusy
// returns ErrClosed.
type Transport interface {
	freebusy.Source
	// Close releases the transport's resources. It is idempotent.
	Close() error
}

// Client implements Transport.
var _ Transport = (*Client)(nil)

// NewLocal returns an in-process Transport to src. It behaves as a remote
// transport would, minus the network: it validates the query, honours
// ctx, checks the answer's shape (freebusy.CheckResult) and deep-copies
// the query and the schedules, so that neither side can alias the other's
// slices. After Close it returns ErrClosed.
func NewLocal(src freebusy.Source) Transport { return &local{src: src} }

type local struct {
	src    freebusy.Source
	closed atomic.Bool
}

func (l *local) FreeBusy(ctx context.Context, q freebusy.Query) ([]freebusy.Schedule, error) {
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

func (l *local) Close() error {
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
