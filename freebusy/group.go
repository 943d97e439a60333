package freebusy

import (
	"errors"
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
	if ws, we := instantOf(start), instantOf(end); keyable(ws, we) {
		return mergeGroupKeys(schedules, start, end)
	}
	// A window too long for keys (over 36 years): sort edge structs.
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
		if ie, ok := errors.AsType[*IntervalError](err); ok {
			ie.Attendee = s.Attendee
		}
		return nil, err
	}
	for _, iv := range canon {
		edges = append(edges, edge{at: instantOf(iv.Start), status: iv.Status, delta: 1}, edge{at: instantOf(iv.End), status: iv.Status, delta: -1})
	}
	return edges, nil
}

// mergeGroupKeys is MergeGroup for windows that fit keys: each attendee's
// intervals are swept into canonical segments (by Precedence), whose edges
// then go into one group sweep (by byConservative).
func mergeGroupKeys(schedules []Schedule, start, end time.Time) ([]Interval, error) {
	origin, limit := instantOf(start), instantOf(end)
	span := limit.nanosSince(origin)
	n := 0
	for i := range schedules {
		n += len(schedules[i].Intervals)
	}
	group := make([]uint64, 0, 2*n+4*len(schedules))
	var scratch, tmp []uint64
	unknown := func(from, to int64) {
		if from < to {
			group = append(group, startKey(from, Unknown), endKey(to, Unknown))
		}
	}
	for i := range schedules {
		s := &schedules[i]
		ws, we := instantOf(s.Start), instantOf(s.End)
		if ws.compare(origin) < 0 {
			ws = origin
		}
		if we.compare(limit) > 0 {
			we = limit
		}
		if s.Err != nil || ws.compare(we) >= 0 {
			unknown(0, span)
			continue
		}
		unknown(0, ws.nanosSince(origin))
		unknown(we.nanosSince(origin), span)
		var rep NormalizeReport
		var err error
		scratch, err = appendKeys(scratch[:0], s.Intervals, origin, ws, we, NormalizeOptions{}, &rep)
		if err != nil {
			if ie, ok := errors.AsType[*IntervalError](err); ok {
				ie.Attendee = s.Attendee
			}
			return nil, err
		}
		sweepKeys(scratch, &tmp, &byPrecedence, func(from, to int64, st Status) {
			group = append(group, startKey(from, st), endKey(to, st))
		})
	}
	var out []Interval
	sweepKeys(group, &tmp, &byConservative, func(from, to int64, st Status) {
		out = append(out, Interval{Start: start.Add(time.Duration(from)), End: start.Add(time.Duration(to)), Status: st})
	})
	return out, nil
}
