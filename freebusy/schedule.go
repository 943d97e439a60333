package freebusy

import (
	"sort"
	"time"
)

// Schedule is one attendee's answer to a Query.
//
// Inside the window [Start, End), time covered by an interval has that
// interval's status and time not covered is Free. Time the source knows
// nothing about is covered by an explicit Unknown interval. A schedule whose
// Err is set knows nothing at all: StatusAt reports Unknown everywhere.
//
// After Normalize, Intervals are UTC, sorted, inside the window, non-empty,
// non-overlapping, never Free, and adjacent intervals differ in status: the
// canonical form, in which two schedules that mean the same thing are equal.
type Schedule struct {
	// Attendee is the attendee as named in the query.
	Attendee string `json:"attendee"`
	// Start and End are the window this schedule covers.
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	// Intervals hold the non-free time (see the type documentation).
	Intervals []Interval `json:"intervals,omitempty"`
	// Events are the individual calendar items behind the intervals, with
	// whatever detail the source may share. Only set for DetailFull queries.
	Events []Event `json:"events,omitempty"`
	// WorkingHours are the attendee's working hours, where known.
	WorkingHours *WorkingHours `json:"workingHours,omitempty"`
	// AsOf is when the data was produced by its origin (not when it was
	// relayed); zero when the origin did not say.
	AsOf time.Time `json:"asOf,omitzero"`
	// Stale is set when the data is known to be older than its source's
	// freshness bound, for example a cache serving after its origin failed.
	// Stale data is still returned, and marked, rather than hidden.
	Stale bool `json:"stale,omitempty"`
	// StaleReason says why stale data is served: the reason its origin
	// could not be asked again (ReasonUnavailable, ReasonTimeout,
	// ReasonThrottled), so that a caller can tell "the backend is down"
	// from "a refresh is under way". It is ReasonNone on fresh data, and
	// on stale data whose refresh has not failed. In JSON it is
	// "staleReason", a reason name, omitted when none.
	StaleReason Reason `json:"staleReason,omitempty"`
	// Err is set when no data could be produced for this attendee. Such a
	// schedule has no intervals; the other schedules of the batch are
	// unaffected.
	Err *Error `json:"error,omitempty"`
}

// OK reports whether the schedule carries data (Err is nil).
func (s *Schedule) OK() bool { return s.Err == nil }

// StatusAt returns the status at instant t: Unknown outside the window or when
// the schedule failed, the status of the interval containing t, or Free.
// Intervals need not be normalized; overlapping ones resolve by Precedence.
func (s *Schedule) StatusAt(t time.Time) Status {
	if s.Err != nil || t.Before(s.Start) || !t.Before(s.End) {
		return Unknown
	}
	st, found := Unknown, false
	for _, iv := range s.Intervals {
		if iv.Contains(t) {
			if !found || iv.Status.Precedence() > st.Precedence() {
				st = iv.Status
			}
			found = true
		}
	}
	if !found {
		return Free
	}
	return st
}

// Event is one calendar item behind a schedule, as much of it as the source
// may share (EWS CalendarEvent with CalendarEventDetails, Graph
// scheduleItem). Everything but the times and status may be empty.
type Event struct {
	// Start, End and Status are the item's time and busy status, as for
	// Interval.
	Start  time.Time `json:"start"`
	End    time.Time `json:"end"`
	Status Status    `json:"status"`
	// ID is the source's identifier for the item, if shared.
	ID string `json:"id,omitempty"`
	// Subject and Location are the item's, where the source may share them.
	Subject  string `json:"subject,omitempty"`
	Location string `json:"location,omitempty"`
	// Private items are reported without subject or location.
	Private bool `json:"private,omitempty"`
	// Meeting, Recurring, Exception and Reminder are the EWS
	// CalendarEventDetails flags (IsMeeting, IsRecurring, IsException,
	// IsReminderSet; docs/exchange.md §2.4).
	Meeting   bool `json:"meeting,omitempty"`
	Recurring bool `json:"recurring,omitempty"`
	Exception bool `json:"exception,omitempty"`
	Reminder  bool `json:"reminder,omitempty"`
}

// Failed returns a schedule for attendee over [start, end) that failed with
// reason and cause. It is what a Source puts in a batch for an attendee it
// could not answer.
func Failed(attendee string, start, end time.Time, reason Reason, cause error) Schedule {
	return Schedule{
		Attendee: attendee,
		Start:    start.UTC(),
		End:      end.UTC(),
		Err:      NewError(attendee, reason, cause),
	}
}

// FailAll returns one failed schedule per attendee of q, in query order, all
// with the same reason and cause: the answer of a Source that could reach no
// backend at all, for callers that prefer per-attendee failures to an error.
func FailAll(q Query, reason Reason, cause error) []Schedule {
	out := make([]Schedule, len(q.Attendees))
	for i, a := range q.Attendees {
		out[i] = Failed(a, q.Start, q.End, reason, cause)
	}
	return out
}

// sortIntervals sorts by Start, then End, then Status.
func sortIntervals(ivs []Interval) {
	sort.Slice(ivs, func(i, j int) bool {
		a, b := ivs[i], ivs[j]
		if !a.Start.Equal(b.Start) {
			return a.Start.Before(b.Start)
		}
		if !a.End.Equal(b.End) {
			return a.End.Before(b.End)
		}
		return a.Status < b.Status
	})
}
