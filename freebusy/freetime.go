package freebusy

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"
)

// FreeTimeRequest asks FindFreeTime and SearchFreeTime when a group can
// meet: a window, the length of the meeting, and how to report the answer.
// It carries what Notes' SchFreeTimeSearch (docs/notes.md §3.2) and the
// Domino REST API's freetime query (docs/notes.md §2.3) take: names, a
// window, a duration, first fit or all. The zero value of every option is
// the default: working hours apply, no start grid, every stretch returned.
type FreeTimeRequest struct {
	// Attendees are the people who must all be free, in any form the
	// Source understands (an SMTP address, a Notes name). SearchFreeTime
	// asks its Source for them; FindFreeTime ignores the field and takes
	// the attendees of the schedules it is given.
	Attendees []string
	// Start and End bound the search, [Start, End).
	Start time.Time
	End   time.Time
	// Duration is the length of the meeting; it must be positive. Only
	// stretches at least this long are returned.
	Duration time.Duration
	// Step aligns meeting starts to the grid Start, Start+Step,
	// Start+2*Step, ... Zero means no grid: a stretch starts exactly where
	// the group becomes available, which is already a meeting edge of some
	// attendee, so no gap long enough for the meeting is hidden by rounding.
	// Step must not be negative.
	Step time.Duration
	// Max is the most stretches returned, earliest first: 0 returns all.
	// Max 1 is the first fit (SchFreeTimeSearch's fFindFirstFit, DRAPI's
	// firstSlotOnly). The stretch is not cut to the meeting: the earliest
	// meeting is [r[0].Start, r[0].Start+Duration). Max must not be
	// negative.
	Max int
	// Granularity is the Query.Granularity SearchFreeTime asks its Source
	// with; zero means the Source's default. FindFreeTime ignores it.
	Granularity time.Duration
	// IgnoreWorkingHours also searches outside working hours. By default
	// an instant is available only inside the working hours of every
	// attendee whose schedule has WorkingHours. A nil WorkingHours sets no
	// limit for that attendee: Domino DAS, for one, sends none and reports
	// time outside working hours as busy instead (docs/notes.md §2.2.6), and
	// treating it as "never works" would make every mixed group
	// unschedulable. Busy and unknown time count either way.
	IgnoreWorkingHours bool
}

// FindFreeTime returns the stretches of [req.Start, req.End) in which all
// the attendees of schedules can meet for req.Duration: chronological,
// disjoint intervals with Status Free. req.Attendees and req.Granularity
// are not used; SearchFreeTime is the variant that asks a Source.
//
// An instant is available when the group status (MergeGroup) there is Free
// or WorkingElsewhere and, unless req.IgnoreWorkingHours is set, when it
// lies inside the working hours of every attendee who has them. Unknown
// time is never available, so a failed schedule leaves no free time at
// all: drop an optional attendee from schedules to search without them.
// Stale schedules count like fresh ones, as in MergeGroup.
//
// Each returned interval [S, E) is one maximal available stretch, with S
// moved up to the first Step grid point inside it; it is returned only when
// S+Duration <= E. Any grid-aligned start T with S <= T and T+Duration <= E
// fits, so E is the end of the free time, not of one meeting.
//
// Errors: a *QueryError for a bad request (ErrNoAttendees for no schedules,
// ErrEmptyWindow, ErrBadDuration, ErrBadGranularity for a negative Step,
// ErrBadOption for a negative Max, ErrWindowTooLong beyond 292 years); an
// *IntervalError for an undeclared status; an error matching
// ErrBadWorkingHours, naming the attendee, for working hours that cannot be
// expanded.
func FindFreeTime(schedules []Schedule, req FreeTimeRequest) ([]Interval, error) {
	if err := req.validate("schedules", len(schedules)); err != nil {
		return nil, err
	}
	start, end := req.Start.UTC(), req.End.UTC()
	group, err := MergeGroup(schedules, start, end)
	if err != nil {
		return nil, err
	}
	avail := availableTime(group, start, end)
	if !req.IgnoreWorkingHours && len(avail) > 0 {
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

// SearchFreeTime asks src for the free/busy of req.Attendees over [req.Start,
// req.End), with req.Granularity, and returns FindFreeTime's answer for
// them: the search of Notes' SchFreeTimeSearch over any Source.
//
// Every attendee counts. When src cannot answer for some of them,
// SearchFreeTime fails with a *FreeTimeError rather than search without
// them, which would propose times they may not have; to search without an
// optional attendee, leave them out of req.Attendees.
//
// Errors: a *QueryError for a bad request, found before src is asked
// (ErrNoAttendees for no attendees, otherwise as for FindFreeTime); src's
// error when it fails as a whole; an *Error with ReasonInternal when src
// breaks the Source contract (see CheckResult); a *FreeTimeError when some
// attendees' schedules failed; and FindFreeTime's errors for the schedules.
func SearchFreeTime(ctx context.Context, src Source, req FreeTimeRequest) ([]Interval, error) {
	if err := req.validate("Attendees", len(req.Attendees)); err != nil {
		return nil, err
	}
	q := Query{Attendees: req.Attendees, Start: req.Start, End: req.End, Granularity: req.Granularity}
	schedules, err := src.FreeBusy(ctx, q)
	if err != nil {
		return nil, err
	}
	if err := CheckResult(q, schedules); err != nil {
		return nil, err
	}
	var failed []*Error
	for i := range schedules {
		if e := schedules[i].Err; e != nil {
			failed = append(failed, e)
		}
	}
	if len(failed) > 0 {
		return nil, &FreeTimeError{Errs: failed}
	}
	return FindFreeTime(schedules, req)
}

// FreeTimeError reports that SearchFreeTime could not search because the
// free/busy of some attendees could not be read: searching without them
// would propose times they may not have. It matches the sentinel of each
// attendee's Reason (ErrUnknownAttendee, ...) with errors.Is, and errors.As
// finds the first attendee's *Error.
type FreeTimeError struct {
	// Errs are the failed attendees' errors, in query order.
	Errs []*Error
}

// Error implements error: "freebusy: free-time search: no free/busy for 2
// attendee(s): "a" (unknown-attendee), "b" (timeout)".
func (e *FreeTimeError) Error() string {
	names := make([]string, len(e.Errs))
	for i, fe := range e.Errs {
		names[i] = fmt.Sprintf("%q (%s)", fe.Attendee, fe.Reason)
	}
	return fmt.Sprintf("freebusy: free-time search: no free/busy for %d attendee(s): %s", len(e.Errs), strings.Join(names, ", "))
}

// Unwrap returns the attendees' errors.
func (e *FreeTimeError) Unwrap() []error {
	out := make([]error, len(e.Errs))
	for i, fe := range e.Errs {
		out[i] = fe
	}
	return out
}

// validate checks req for a search among n attendees, named by field in
// the error.
func (req FreeTimeRequest) validate(field string, n int) error {
	switch {
	case n == 0:
		return &QueryError{Field: field, Detail: "no attendees to search for", Err: ErrNoAttendees}
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
