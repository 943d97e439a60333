package freebusy

import (
	"time"
)

// MergeGroup merges the schedules of several attendees into the schedule of
// the group over [start, end): canonical intervals (see Schedule) that say,
// at each instant, whether the group as a whole can meet.
//
// The rule, instant by instant: take each attendee's status (as
// Schedule.StatusAt gives it: Unknown where the attendee's schedule failed
// or does not reach); the group has the first of OutOfOffice, Busy,
// Tentative, Unknown, WorkingElsewhere, Free that any attendee has. So the
// busiest attendee wins; where nobody is busier than free but somebody is
// Unknown, the group is Unknown, never Free; the group is Free or
// WorkingElsewhere only where every attendee is known to be available. This
// is the rule of a slot of AvailabilityView, applied across attendees.
//
// Stale schedules count like fresh ones; a caller who distrusts them can
// mark them failed first. The schedules are not modified.
//
// Errors: a *QueryError with ErrNoAttendees for no schedules (a group of
// nobody vouches for nothing) or ErrEmptyWindow when start is not before
// end; an *IntervalError naming the attendee for an undeclared status.
func MergeGroup(schedules []Schedule, start, end time.Time) ([]Interval, error) {
	if len(schedules) == 0 {
		return nil, &QueryError{Field: "schedules", Detail: "no schedules to merge", Err: ErrNoAttendees}
	}
	if !start.Before(end) {
		return nil, &QueryError{Field: "Start", Detail: "group window is empty or inverted", Err: ErrEmptyWindow}
	}
	start, end = start.UTC(), end.UTC()
	var edges []edge
	for i := range schedules {
		var err error
		if edges, err = appendScheduleEdges(edges, &schedules[i], start, end); err != nil {
			return nil, err
		}
	}
	return sweep(edges, &byConservative), nil
}

// appendScheduleEdges appends the edges of s's canonical intervals over
// [start, end), with Unknown wherever s knows nothing: all of it when s
// failed, and the parts of the window outside s's own window. Each
// attendee's intervals are disjoint, so at any instant the sweep sees at
// most one status per attendee.
func appendScheduleEdges(edges []edge, s *Schedule, start, end time.Time) ([]edge, error) {
	unknown := func(a, b time.Time) {
		if a.Before(b) {
			edges = append(edges, edge{at: instantOf(a), status: Unknown, delta: 1}, edge{at: instantOf(b), status: Unknown, delta: -1})
		}
	}
	ws, we := s.Start, s.End
	if ws.Before(start) {
		ws = start
	}
	if we.After(end) {
		we = end
	}
	if s.Err != nil || !ws.Before(we) {
		unknown(start, end)
		return edges, nil
	}
	unknown(start, ws)
	unknown(we, end)
	canon, _, err := Normalize(s.Intervals, ws, we, NormalizeOptions{})
	if err != nil {
		if ie, ok := err.(*IntervalError); ok {
			ie.Attendee = s.Attendee
		}
		return nil, err
	}
	for _, iv := range canon {
		edges = append(edges, edge{at: instantOf(iv.Start), status: iv.Status, delta: 1}, edge{at: instantOf(iv.End), status: iv.Status, delta: -1})
	}
	return edges, nil
}
