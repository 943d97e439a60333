package das

import (
	"time"

	"github.com/calbridge/calbridge/freebusy"
)

// Conversion between the DAS wire model and freebusy.
//
// DAS busyTimes carry one status only: busy. DAS builds them from an
// internal VFREEBUSY and drops FBTYPE (notes-freebusy.md §2.2.3), so
// whatever distinctions the Domino side had (penciled-in, non-working time,
// out of office) are already gone on the wire. The rules, both directions:
//
//	DAS -> freebusy (DASBusyTime.Schedule)
//	  busyTimes period          -> Busy
//	  inverted / empty period   -> dropped and counted (§2.2.6; freebusy.DropInverted)
//	  time between periods      -> Free (inside the window DAS answered for)
//	  asked time outside DAS's window -> Unknown (never Free), counted as Uncovered
//
//	freebusy -> DAS (NewDASBusyTime, used by Handler)
//	  Busy, OutOfOffice         -> busy period (Notes has no OOF, §1.3)
//	  Tentative                 -> busy period by default; DASBusyOptions.Tentative = Free omits it
//	  Unknown interval          -> busy period (DAS cannot say "no data"; see below)
//	  WorkingElsewhere, Free    -> omitted (available time)
//	  schedule with Err         -> no busyTimes at all: the Handler answers DAS's error JSON
//
// Why tentative defaults to busy: a Notes user asking about an Exchange
// user with a tentative meeting cannot be told "tentative" through DAS.
// The Exchange Calendar Connector chose free, "by design" (KB Q199643), and
// users complained: they booked over meetings that then happened. Busy
// errs on the side that costs a reschedule rather than a double booking.
// Deployments that want Notes' own semantics (penciled-in is available)
// set the option.
//
// Why Unknown becomes busy: DAS's only other answer for a stretch of time is
// free, and Unknown must never read as free (DESIGN.md). A schedule that
// failed as a whole is not flattened into busy time; the Handler reports it
// as an error so the Notes UI shows "no information".

// DASBusyTimeReport says what DASBusyTime.Schedule changed, so that nothing
// DAS sent disappears without a trace.
type DASBusyTimeReport struct {
	// NormalizeReport counts the periods dropped or clipped; Inverted
	// counts the inverted first period of notes-freebusy.md §2.2.6.
	freebusy.NormalizeReport
	// Uncovered is how much of the asked window lies outside the window
	// DAS answered for. That time is reported as Unknown.
	Uncovered time.Duration
}

// Intervals returns the busy periods of b as Busy intervals, exactly as
// sent: an inverted period stays inverted (notes-freebusy.md §2.2.6).
// The error is the first invalid exDateTime, a *freebusy.ParseError.
func (b *DASBusyTime) Intervals() ([]freebusy.Interval, error) {
	out := make([]freebusy.Interval, 0, len(b.BusyTimes))
	for _, bt := range b.BusyTimes {
		s, err := bt.Start.Instant()
		if err != nil {
			return nil, err
		}
		e, err := bt.End.Instant()
		if err != nil {
			return nil, err
		}
		out = append(out, freebusy.Interval{Start: s, End: e, Status: freebusy.Busy})
	}
	return out, nil
}

// Window returns the window DAS answered for (the response's start and
// end, the DTSTART/DTEND of its internal VFREEBUSY).
func (b *DASBusyTime) Window() (start, end time.Time, err error) {
	if start, err = b.Start.Instant(); err != nil {
		return time.Time{}, time.Time{}, err
	}
	if end, err = b.End.Instant(); err != nil {
		return time.Time{}, time.Time{}, err
	}
	return start, end, nil
}

// Schedule converts b into attendee's schedule over the asked window
// [start, end), in canonical form, by the rules at the top of this file:
// periods are Busy, inverted and empty periods are dropped and counted,
// and asked time outside DAS's own window is Unknown. AsOf is left zero for
// the caller, which knows when the answer was produced.
//
// Errors: an invalid exDateTime (*freebusy.ParseError) or an empty asked
// window (*freebusy.QueryError).
func (b *DASBusyTime) Schedule(attendee string, start, end time.Time) (freebusy.Schedule, DASBusyTimeReport, error) {
	var rep DASBusyTimeReport
	ivs, err := b.Intervals()
	if err != nil {
		return freebusy.Schedule{}, rep, err
	}
	ws, we, err := b.Window()
	if err != nil {
		return freebusy.Schedule{}, rep, err
	}
	start, end = start.UTC(), end.UTC()
	if !start.Before(end) {
		return freebusy.Schedule{}, rep, &freebusy.QueryError{Field: "Start", Detail: "asked window is empty or inverted", Err: freebusy.ErrEmptyWindow}
	}
	// What DAS did not answer for is unknown: the asked window minus the
	// part of it DAS covered (nothing, when DAS's window is inverted or
	// lies elsewhere).
	cs, ce := maxTime(ws, start), minTime(we, end)
	if !cs.Before(ce) {
		cs, ce = end, end
	}
	if start.Before(cs) {
		ivs = append(ivs, freebusy.Interval{Start: start, End: cs, Status: freebusy.Unknown})
		rep.Uncovered += cs.Sub(start)
	}
	if ce.Before(end) {
		ivs = append(ivs, freebusy.Interval{Start: ce, End: end, Status: freebusy.Unknown})
		rep.Uncovered += end.Sub(ce)
	}
	norm, nrep, err := freebusy.Normalize(ivs, start, end, freebusy.NormalizeOptions{})
	rep.NormalizeReport = nrep
	if err != nil {
		return freebusy.Schedule{}, rep, err
	}
	return freebusy.Schedule{Attendee: attendee, Start: start, End: end, Intervals: norm}, rep, nil
}

// DASBusyOptions tune NewDASBusyTime. The zero value is the documented
// default.
type DASBusyOptions struct {
	// Tentative is what tentative time becomes on the wire: freebusy.Free
	// omits it (Notes' own penciled-in semantics); any other value,
	// including the zero value, makes it busy. See the rules above.
	Tentative freebusy.Status
}

// DASScheduleReport counts the lossy mappings NewDASBusyTime applied.
type DASScheduleReport struct {
	// Tentative counts tentative intervals sent as busy or omitted.
	Tentative int
	// Unknown counts Unknown intervals sent as busy.
	Unknown int
	// OutOfOffice counts out-of-office intervals sent as busy.
	OutOfOffice int
	// WorkingElsewhere counts working-elsewhere intervals omitted as free.
	WorkingElsewhere int
}

// NewDASBusyTime converts a schedule into the busyTimeResponse DAS would
// send for it, by the rules at the top of this file. The window is the
// schedule's; periods are whole seconds, widened (start rounded down, end
// rounded up) so that no busy time shrinks. A failed schedule is refused
// with its own *freebusy.Error; an invalid one with the error of
// freebusy.Normalize.
func NewDASBusyTime(s freebusy.Schedule, opt DASBusyOptions) (*DASBusyTime, DASScheduleReport, error) {
	var rep DASScheduleReport
	if s.Err != nil {
		return nil, rep, s.Err
	}
	norm, _, err := freebusy.Normalize(s.Intervals, s.Start, s.End, freebusy.NormalizeOptions{})
	if err != nil {
		return nil, rep, err
	}
	busy := make([]freebusy.Interval, 0, len(norm))
	for _, iv := range norm {
		switch iv.Status {
		case freebusy.Tentative:
			rep.Tentative++
			if opt.Tentative == freebusy.Free {
				continue
			}
		case freebusy.Unknown:
			rep.Unknown++
		case freebusy.OutOfOffice:
			rep.OutOfOffice++
		case freebusy.WorkingElsewhere:
			rep.WorkingElsewhere++
			continue
		case freebusy.Free:
			continue
		}
		iv.Status = freebusy.Busy
		busy = append(busy, iv)
	}
	// Normalize again to join neighbours that now share the busy status.
	busy, _, err = freebusy.Normalize(busy, s.Start, s.End, freebusy.NormalizeOptions{})
	if err != nil {
		return nil, rep, err
	}
	out := &DASBusyTime{Start: NewDASDateTime(s.Start), End: NewDASDateTime(ceilSecond(s.End))}
	if len(busy) > 0 {
		out.BusyTimes = make([]DASDateTimeRange, len(busy))
		for i, iv := range busy {
			out.BusyTimes[i] = DASDateTimeRange{Start: NewDASDateTime(iv.Start), End: NewDASDateTime(ceilSecond(iv.End))}
		}
	}
	return out, rep, nil
}

// ceilSecond rounds t up to a whole second.
func ceilSecond(t time.Time) time.Time {
	if tr := t.Truncate(time.Second); !tr.Equal(t) {
		return tr.Add(time.Second)
	}
	return t
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
