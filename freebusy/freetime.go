package freebusy

import (
	"fmt"
	"math"
	"time"
)

// FreeTimeRequest asks FindFreeTime for time when a group can meet.
type FreeTimeRequest struct {
	// Start and End bound the search, [Start, End).
	Start time.Time
	End   time.Time
	// Duration is the length of the meeting; it must be positive. Only
	// stretches at least this long are returned.
	Duration time.Duration
	// WithinWorkingHours limits the search to time inside the working hours
	// of every attendee whose schedule has WorkingHours. A nil WorkingHours
	// sets no limit for that attendee: Domino DAS, for one, sends none and
	// reports time outside working hours as busy instead
	// (notes-freebusy.md §2.2.6), and treating it as "never works" would make
	// every mixed group unschedulable. Busy and unknown time still count.
	WithinWorkingHours bool
	// Step aligns meeting starts to the grid Start, Start+Step,
	// Start+2*Step, ... Zero means no grid: a stretch starts exactly where
	// the group becomes available, which is already a meeting edge of some
	// attendee, so no gap long enough for the meeting is hidden by rounding.
	// Step must not be negative.
	Step time.Duration
	// Max is the most stretches returned, earliest first: 0 returns all,
	// 1 the first fit. It must not be negative.
	Max int
}

// FindFreeTime returns the stretches of [req.Start, req.End) in which all
// the attendees of schedules can meet for req.Duration: chronological,
// disjoint intervals with Status Free.
//
// An instant is available when the group status (MergeGroup) there is Free
// or WorkingElsewhere, and, with WithinWorkingHours, when it lies inside the
// working hours of every attendee who has them. Unknown time is never
// available, so a failed schedule leaves no free time at all: drop an
// optional attendee from schedules to search without them. Stale schedules
// count like fresh ones, as in MergeGroup.
//
// Each returned interval [S, E) is one maximal available stretch, with S
// moved up to the first Step grid point inside it; it is returned only when
// S+Duration <= E. Any grid-aligned start T with S <= T and T+Duration <= E
// fits, so E is the end of the free time, not of one meeting.
//
// Errors: a *QueryError for a bad request (ErrNoAttendees, ErrEmptyWindow,
// ErrBadDuration, ErrBadGranularity for a negative Step, ErrBadOption for a
// negative Max, ErrWindowTooLong beyond 292 years); an *IntervalError for an undeclared status; an error
// matching ErrBadWorkingHours, naming the attendee, for working hours that
// cannot be expanded.
func FindFreeTime(schedules []Schedule, req FreeTimeRequest) ([]Interval, error) {
	if err := req.validate(len(schedules)); err != nil {
		return nil, err
	}
	start, end := req.Start.UTC(), req.End.UTC()
	group, err := MergeGroup(schedules, start, end)
	if err != nil {
		return nil, err
	}
	avail := availableTime(group, start, end)
	if req.WithinWorkingHours && len(avail) > 0 {
		// Expand only over the span that can still hold a meeting, which
		// is at most the schedules' windows, however long the request.
		from, to := avail[0].Start, avail[len(avail)-1].End
		for i := range schedules {
			s := &schedules[i]
			if s.WorkingHours == nil {
				continue
			}
			wh, err := s.WorkingHours.Expand(from, to)
			if err != nil {
				return nil, fmt.Errorf("%w (attendee %q)", err, s.Attendee)
			}
			avail = intersect(avail, wh)
		}
	}
	var out []Interval
	for _, iv := range avail {
		s := iv.Start
		if req.Step > 0 {
			s = alignUp(s, start, req.Step)
		}
		if s.Add(req.Duration).After(iv.End) {
			continue
		}
		out = append(out, Interval{Start: s, End: iv.End, Status: Free})
		if req.Max > 0 && len(out) == req.Max {
			break
		}
	}
	return out, nil
}

func (req FreeTimeRequest) validate(attendees int) error {
	switch {
	case attendees == 0:
		return &QueryError{Field: "schedules", Detail: "no attendees to search for", Err: ErrNoAttendees}
	case !req.Start.Before(req.End):
		return &QueryError{Field: "Start", Detail: "search window is empty or inverted", Err: ErrEmptyWindow}
	case req.End.Sub(req.Start) == math.MaxInt64:
		return &QueryError{Field: "End", Detail: "search window is longer than 292 years", Err: ErrWindowTooLong}
	case req.Duration <= 0:
		return &QueryError{Field: "Duration", Detail: fmt.Sprintf("meeting duration %s is not positive", req.Duration), Err: ErrBadDuration}
	case req.Step < 0:
		return &QueryError{Field: "Step", Detail: fmt.Sprintf("step %s is negative", req.Step), Err: ErrBadGranularity}
	case req.Max < 0:
		return &QueryError{Field: "Max", Detail: fmt.Sprintf("max %d is negative", req.Max), Err: ErrBadOption}
	}
	return nil
}

// availableTime returns the maximal stretches of [start, end) where the
// canonical group intervals are absent (Free) or WorkingElsewhere.
func availableTime(group []Interval, start, end time.Time) []Interval {
	var out []Interval
	cursor := start
	emit := func(to time.Time) {
		if cursor.Before(to) {
			out = append(out, Interval{Start: cursor, End: to, Status: Free})
		}
	}
	for _, iv := range group {
		if iv.Status.Available() {
			continue // joins the stretch that cursor opened
		}
		emit(iv.Start)
		cursor = iv.End
	}
	emit(end)
	return out
}

// intersect returns the time that sorted, disjoint a and b share.
func intersect(a, b []Interval) []Interval {
	var out []Interval
	for i, j := 0, 0; i < len(a) && j < len(b); {
		s, e := a[i].Start, a[i].End
		if b[j].Start.After(s) {
			s = b[j].Start
		}
		if b[j].End.Before(e) {
			e = b[j].End
		}
		if s.Before(e) {
			out = append(out, Interval{Start: s, End: e, Status: Free})
		}
		if a[i].End.Before(b[j].End) {
			i++
		} else {
			j++
		}
	}
	return out
}

// alignUp returns the first instant origin+k*step (k >= 0) at or after t,
// for t not before origin.
func alignUp(t, origin time.Time, step time.Duration) time.Time {
	off := t.Sub(origin)
	r := off % step
	if r == 0 {
		return t
	}
	// Two steps, so that off-r+step cannot overflow a Duration.
	return origin.Add(off - r).Add(step)
}
