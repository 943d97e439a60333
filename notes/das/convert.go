package das

import (
	"time"

	"github.com/calbridge/calbridge/freebusy"
	"github.com/calbridge/calbridge/internal/window"
)

// Conversion between the DAS wire model and freebusy (docs/mapping.md
// §3.7).
//
// DAS busyTimes carry one status only: busy. DAS builds them from an
// internal VFREEBUSY and drops FBTYPE (docs/notes.md §2.2.3,
// docs/mapping.md §4.5), so whatever distinctions the Domino side had
// (penciled-in, non-working time, out of office) are already gone on the
// wire. The rules, both directions:
//
//	DAS -> freebusy (BusyTime.Schedule)
//	  busyTimes period          -> Busy
//	  inverted / empty period   -> dropped and counted (docs/notes.md §2.2.6; freebusy.Normalize)
//	  time between periods      -> Free (inside the window DAS answered for)
//	  asked time outside DAS's window -> Unknown (never Free), counted as Uncovered
//
//	freebusy -> DAS (NewBusyTime, used by Handler)
//	  Busy, OutOfOffice         -> busy period (Notes has no OOF, docs/mapping.md §4.1)
//	  Tentative                 -> busy period by default; BusyTimeOptions.TentativeAsFree omits it
//	  Unknown interval          -> busy period (DAS cannot say "no data"; see below)
//	  WorkingElsewhere, Free    -> omitted (available time)
//	  schedule with Err         -> no busyTimes at all: the Handler answers DAS's error JSON
//
// Why tentative defaults to busy: a Notes user asking about an Exchange
// user with a tentative meeting cannot be told "tentative" through DAS.
// The Exchange Calendar Connector chose free, "by design" (Microsoft KB
// Q199643), and users complained: they booked over meetings that then
// happened. Busy errs on the side that costs a reschedule rather than a
// double booking. Deployments that want Notes' own semantics (penciled-in
// is available, docs/mapping.md §4.4) set the option.
//
// Why Unknown becomes busy: DAS's only other answer for a stretch of time is
// free, and Unknown must never read as free (docs/mapping.md §4.6): a
// caller told "free" books the time, while "busy" only costs a question. A
// schedule that failed as a whole is not flattened into busy time; the
// Handler reports it as an error so the Notes UI shows "no information"
// (docs/mapping.md §6).

// BusyTimeReport says what BusyTime.Schedule changed, so that nothing
// DAS sent disappears without a trace.
type BusyTimeReport struct {
	// NormalizeReport counts the periods dropped or clipped; Inverted
	// counts the inverted first period of docs/notes.md §2.2.6.
	freebusy.NormalizeReport
	// Uncovered is how much of the asked window lies outside the window
	// DAS answered for. That time is reported as Unknown.
	Uncovered time.Duration
}

// Intervals returns the busy periods of b as Busy intervals, exactly as
// sent: an inverted period stays inverted (docs/notes.md §2.2.6).
// The error is the first invalid exDateTime, a *freebusy.ParseError.
func (b *BusyTime) Intervals() ([]freebusy.Interval, error) {
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
func (b *BusyTime) Window() (start, end time.Time, err error) {
	if start, err = b.Start.Instant(); err != nil {
		return time.Time{}, time.Time{}, err
	}
	if end, err = b.End.Instant(); err != nil {
		return time.Time{}, time.Time{}, err
	}
	return start, end, nil
}

// Schedule converts b into attendee's schedule over the asked window
// [start, end), in canonical form, by the rules of docs/mapping.md §3.7:
// periods are Busy, inverted and empty periods are dropped and counted,
// and asked time outside DAS's own window is Unknown. AsOf is left zero for
// the caller, which knows when the answer was produced.
//
// Errors: an invalid exDateTime (*freebusy.ParseError) or an empty asked
// window (*freebusy.QueryError).
func (b *BusyTime) Schedule(attendee string, start, end time.Time) (freebusy.Schedule, BusyTimeReport, error) {
	var rep BusyTimeReport
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
	cs, ce := window.Max(ws, start), window.Min(we, end)
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

// BusyTimeOptions tune NewBusyTime. The zero value is the documented
// default.
type BusyTimeOptions struct {
	// TentativeAsFree omits tentative time from the busy periods, so that
	// it reads as free (Notes' own view of penciled-in time,
	// docs/mapping.md §4.4). By default it is sent as busy
	// (docs/mapping.md §4.5).
	TentativeAsFree bool
}

// ScheduleReport counts the lossy mappings NewBusyTime applied.
type ScheduleReport struct {
	// Tentative counts tentative intervals sent as busy or omitted.
	Tentative int
	// Unknown counts Unknown intervals sent as busy.
	Unknown int
	// OutOfOffice counts out-of-office intervals sent as busy.
	OutOfOffice int
	// WorkingElsewhere counts working-elsewhere intervals omitted as free.
	WorkingElsewhere int
}

// NewBusyTime converts a schedule into the busyTimeResponse DAS would
// send for it, by the rules of docs/mapping.md §3.7. The window is the
// schedule's. The window and periods are whole seconds, widened (start
// rounded down, end rounded up: docs/mapping.md §4.8) so that no busy time
// shrinks and no period is empty; periods that widening makes overlap or
// touch are joined. A failed schedule is refused with its own
// *freebusy.Error; an invalid one with the error of freebusy.Normalize.
func NewBusyTime(s freebusy.Schedule, opt BusyTimeOptions) (*BusyTime, ScheduleReport, error) {
	var rep ScheduleReport
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
			if opt.TentativeAsFree {
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
	// Round outward to whole seconds (docs/mapping.md §4.8), then join
	// what touches: neighbours that now share the busy status, and
	// periods that rounding made overlap (a gap of less than a second).
	w := freebusy.Interval{Start: s.Start, End: s.End}.RoundOutward(time.Second)
	start, end := w.Start, w.End
	busy = joinRounded(busy)
	out := &BusyTime{Start: NewDateTime(start), End: NewDateTime(end)}
	if len(busy) > 0 {
		out.BusyTimes = make([]DateTimeRange, len(busy))
		for i, iv := range busy {
			out.BusyTimes[i] = DateTimeRange{Start: NewDateTime(iv.Start), End: NewDateTime(iv.End)}
		}
	}
	return out, rep, nil
}

// joinRounded rounds busy outward to whole seconds and joins the periods
// that then overlap or touch, in place. busy is canonical and all Busy, so
// it stays sorted by start and by end (rounding down and rounding up both
// keep order) and inside the rounded window: one pass gives what
// normalizing it again over that window would, without sorting it.
func joinRounded(busy []freebusy.Interval) []freebusy.Interval {
	out := busy[:0]
	for _, iv := range busy {
		iv = iv.RoundOutward(time.Second)
		if n := len(out); n > 0 && !iv.Start.After(out[n-1].End) {
			if iv.End.After(out[n-1].End) {
				out[n-1].End = iv.End
			}
			continue
		}
		out = append(out, iv)
	}
	return out
}

// ceilSecond rounds t up to a whole second.
func ceilSecond(t time.Time) time.Time {
	if ns := t.Nanosecond(); ns != 0 {
		return t.Add(time.Second - time.Duration(ns))
	}
	return t
}
