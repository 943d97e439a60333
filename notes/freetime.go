package notes

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/calbridge/calbridge/freebusy"
)

// FreeTimeRequest asks FindFreeTime when a group of people can meet, in the
// terms of Notes' SchFreeTimeSearch (notes-freebusy.md §3.2) and the Domino
// REST API's freetime query (§2.3): names, a window, a duration, first fit
// or all.
type FreeTimeRequest struct {
	// Attendees are the people who must all be free, in any form the
	// Source understands (Notes names in any form, Internet addresses).
	Attendees []string
	// Start and End bound the search, [Start, End).
	Start, End time.Time
	// Duration is the meeting's length; it must be positive.
	Duration time.Duration
	// FirstFit returns only the earliest slot, exactly Duration long, as
	// SchFreeTimeSearch does with fFindFirstFit (and DRAPI's
	// firstSlotOnly). Otherwise every stretch of common free time at least
	// Duration long is returned, as the RANGE of SchFreeTimeSearch.
	FirstFit bool
	// IgnoreWorkingHours also searches outside the attendees' working
	// hours. By default a slot must lie inside the working hours of every
	// attendee whose schedule has them.
	IgnoreWorkingHours bool
	// Step aligns slot starts to Start, Start+Step, ...; zero means no grid.
	Step time.Duration
	// Granularity is passed to the Source as Query.Granularity; zero means
	// the Source's default.
	Granularity time.Duration
}

// FreeTimeError reports that the search could not be done because some
// attendees' free/busy could not be read: searching without them would
// propose times they may not have. Errs are the attendees' errors; the
// error matches each of their reasons' sentinels (freebusy.ErrUnknownAttendee
// ...) with errors.Is.
type FreeTimeError struct {
	Errs []*freebusy.Error
}

// Error implements error.
func (e *FreeTimeError) Error() string {
	names := make([]string, len(e.Errs))
	for i, fe := range e.Errs {
		names[i] = fmt.Sprintf("%q (%s)", fe.Attendee, fe.Reason)
	}
	return fmt.Sprintf("notes: free-time search: no free/busy for %d attendee(s): %s", len(e.Errs), strings.Join(names, ", "))
}

// Unwrap returns the attendees' errors.
func (e *FreeTimeError) Unwrap() []error {
	out := make([]error, len(e.Errs))
	for i, fe := range e.Errs {
		out[i] = fe
	}
	return out
}

// FindFreeTime asks src for the attendees' schedules over the window and
// returns the times when all of them are free, with freebusy.FindFreeTime:
// chronological, disjoint intervals with Status Free. Tentative
// (penciled-in) and unknown time is not free; working hours apply unless
// IgnoreWorkingHours is set. With FirstFit the result holds at most one
// interval, exactly Duration long.
//
// Errors: a *freebusy.QueryError for a bad request, src's error when it
// fails as a whole, and a *FreeTimeError when some attendees' schedules
// failed.
func FindFreeTime(ctx context.Context, src freebusy.Source, req FreeTimeRequest) ([]freebusy.Interval, error) {
	ftr := freebusy.FreeTimeRequest{
		Start:              req.Start,
		End:                req.End,
		Duration:           req.Duration,
		WithinWorkingHours: !req.IgnoreWorkingHours,
		Step:               req.Step,
	}
	if req.FirstFit {
		ftr.Max = 1
	}
	// Check what the source would not, before asking it anything.
	switch {
	case len(req.Attendees) == 0:
		return nil, &freebusy.QueryError{Field: "Attendees", Detail: "no attendees to search for", Err: freebusy.ErrNoAttendees}
	case req.Duration <= 0:
		return nil, &freebusy.QueryError{Field: "Duration", Detail: fmt.Sprintf("meeting duration %s is not positive", req.Duration), Err: freebusy.ErrBadDuration}
	case req.Step < 0:
		return nil, &freebusy.QueryError{Field: "Step", Detail: fmt.Sprintf("step %s is negative", req.Step), Err: freebusy.ErrBadGranularity}
	}
	q := freebusy.Query{Attendees: req.Attendees, Start: req.Start, End: req.End, Granularity: req.Granularity}
	schedules, err := src.FreeBusy(ctx, q)
	if err != nil {
		return nil, err
	}
	if err := freebusy.CheckResult(q, schedules); err != nil {
		return nil, err
	}
	var failed []*freebusy.Error
	for _, s := range schedules {
		if s.Err != nil {
			failed = append(failed, s.Err)
		}
	}
	if len(failed) > 0 {
		return nil, &FreeTimeError{Errs: failed}
	}
	slots, err := freebusy.FindFreeTime(schedules, ftr)
	if err != nil {
		return nil, err
	}
	if req.FirstFit && len(slots) > 0 {
		slots[0].End = slots[0].Start.Add(req.Duration)
	}
	return slots, nil
}
