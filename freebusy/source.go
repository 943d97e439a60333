package freebusy

import (
	"context"
	"fmt"
	"strings"
)

// Source answers free/busy queries. Every backend client (EWS, Graph, DAS, a
// calendar export), every transport and every middleware implements it, so
// they compose freely.
//
// The contract:
//   - On success FreeBusy returns exactly one Schedule per attendee of q, in
//     query order, with Schedule.Attendee equal to the attendee as asked.
//   - One attendee's failure is reported in that attendee's Schedule.Err and
//     never fails the batch.
//   - A non-nil error means no schedule could be produced at all: q is invalid
//     (a *QueryError), ctx ended before any answer, or the backend as a whole
//     is unreachable (an *Error with ReasonUnavailable). The schedules are then
//     nil.
//   - FreeBusy returns by ctx's deadline.
//   - Implementations are safe for concurrent use.
//
// CheckResult verifies the shape part of this contract.
type Source interface {
	FreeBusy(ctx context.Context, q Query) ([]Schedule, error)
}

// SourceFunc adapts a function to the Source interface.
type SourceFunc func(ctx context.Context, q Query) ([]Schedule, error)

// FreeBusy calls f(ctx, q).
func (f SourceFunc) FreeBusy(ctx context.Context, q Query) ([]Schedule, error) { return f(ctx, q) }

// CheckResult reports whether schedules is a well-formed answer to q: one
// schedule per attendee, in query order, attendees matching
// case-insensitively. Middleware and tests use it to hold a Source to its
// contract; it returns an *Error with ReasonInternal describing the first
// mismatch.
func CheckResult(q Query, schedules []Schedule) error {
	if len(schedules) != len(q.Attendees) {
		return &Error{Reason: ReasonInternal, Message: fmt.Sprintf("source returned %d schedules for %d attendees", len(schedules), len(q.Attendees))}
	}
	for i, a := range q.Attendees {
		if !strings.EqualFold(schedules[i].Attendee, a) {
			return &Error{Reason: ReasonInternal, Message: fmt.Sprintf("schedule %d is for %q, want %q", i, schedules[i].Attendee, a)}
		}
	}
	return nil
}
