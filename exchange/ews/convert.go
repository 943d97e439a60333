package ews

import (
	"slices"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"github.com/calbridge/calbridge/exchange"
	"github.com/calbridge/calbridge/freebusy"
	"github.com/calbridge/calbridge/internal/bufpool"
)

// viewOptions are the availability-view options of EWS MergedFreeBusy:
// EWS documents no digit for WorkingElsewhere (§2.6, §6), so it is written
// as '0', the digit Graph uses, since working elsewhere is available time
// (docs/mapping.md §4.2).
var viewOptions = freebusy.ViewOptions{}

// isLegacyDN reports whether an attendee is a legacyExchangeDN ("/o=...",
// §5.1), which EWS wants with RoutingType EX.
func isLegacyDN(a string) bool {
	return len(a) > 3 && strings.EqualFold(a[:3], "/o=")
}

// newAvailabilityRequest builds the request the calbridge client sends for
// q: the window as wall times in UTC with a UTC TimeZone in the body and a
// "UTC" TimeZoneContext header (both, as exchangelib sends them, §2.2),
// RequestServerVersion Exchange2013 (to get WorkingElsewhere back),
// FreeBusyMerged for freebusy.DetailStatus and DetailedMerged for
// DetailFull, q's slot as the merged interval, and one Required mailbox per
// attendee: SMTP, or EX for a legacyExchangeDN.
func newAvailabilityRequest(q freebusy.Query) *availabilityRequest {
	tz := utcTimeZone()
	view := ViewFreeBusyMerged
	if q.Detail == freebusy.DetailFull {
		view = ViewDetailedMerged
	}
	req := &availabilityRequest{
		ServerVersion:   serverVersion,
		TimeZoneContext: "UTC",
		TimeZone:        &tz,
		Mailboxes:       make([]mailboxData, len(q.Attendees)),
		FreeBusyViewOptions: &freeBusyViewOptions{
			StartTime:                       localDateTime(q.Start, time.UTC),
			EndTime:                         localDateTime(q.End, time.UTC),
			MergedFreeBusyIntervalInMinutes: int(q.Slot() / time.Minute),
			RequestedView:                   view,
		},
	}
	exclude := false
	for i, a := range q.Attendees {
		rt := "SMTP"
		if isLegacyDN(a) {
			rt = "EX"
		}
		req.Mailboxes[i] = mailboxData{Email: EmailAddress{Address: a, RoutingType: rt}, AttendeeType: "Required", ExcludeConflicts: &exclude}
	}
	return req
}

// Schedules converts a response to q into canonical schedules, one per
// attendee in query order (the response lists mailboxes in request order,
// §2.4). loc is the request's zone, in which date-times without an offset
// are read (UTC for the requests a Client sends).
//
// Per mailbox:
//   - an Error ResponseMessage becomes a failed schedule whose reason comes
//     from the response-code table (ErrorMailRecipientNotFound is
//     ReasonUnknownAttendee, ErrorServerBusy ReasonThrottled with the
//     BackOffMilliseconds hint as RetryAfter, ...) and whose cause is a
//     *ResponseError;
//   - views with a CalendarEventArray (FreeBusy, FreeBusyMerged, Detailed,
//     DetailedMerged) give intervals from the events, which carry exact
//     times (NoData events are Unknown time, Free events are dropped);
//   - MergedOnly views give intervals from MergedFreeBusy at q's slot
//     ('4' is Unknown; WorkingElsewhere has no digit and reads as free,
//     docs/mapping.md §4.2);
//   - a view with neither (None, or MergedOnly without digits) is Unknown
//     over the whole window: no data is never free (docs/mapping.md §4.6);
//   - WorkingHours are converted into the owner's zone (see
//     SerializableTimeZone.Location); Events are filled for
//     freebusy.DetailFull queries from CalendarEventDetails.
//
// The result is normalized. A response with a different number of
// mailboxes is an error (*DecodeError, ErrNotAvailability).
func (resp *AvailabilityResponse) Schedules(q freebusy.Query, loc *time.Location) ([]freebusy.Schedule, error) {
	if len(resp.Responses) != len(q.Attendees) {
		return nil, &DecodeError{Message: "response", Element: "FreeBusyResponseArray", Err: ErrNotAvailability,
			Detail: "response has " + strconv.Itoa(len(resp.Responses)) + " mailboxes for " + strconv.Itoa(len(q.Attendees)) + " requested"}
	}
	start, end := q.Start.UTC(), q.End.UTC()
	zones := zoneCache{}
	out := make([]freebusy.Schedule, len(q.Attendees))
	for i, a := range q.Attendees {
		out[i] = scheduleOf(a, &resp.Responses[i], q, start, end, loc, &zones)
	}
	return out, nil
}

// zoneCache remembers the locations of the working-hours zones of one
// response: the mailboxes of one organisation mostly share a zone.
type zoneCache struct {
	tz  []SerializableTimeZone
	loc []*time.Location
	err []error
}

func (c *zoneCache) location(tz SerializableTimeZone, year int) (*time.Location, error) {
	for i := range c.tz {
		if c.tz[i] == tz {
			return c.loc[i], c.err[i]
		}
	}
	loc, err := tz.Location(year)
	c.tz, c.loc, c.err = append(c.tz, tz), append(c.loc, loc), append(c.err, err)
	return loc, err
}

func scheduleOf(attendee string, fr *FreeBusyResponse, q freebusy.Query, start, end time.Time, loc *time.Location, zones *zoneCache) freebusy.Schedule {
	rm := &fr.ResponseMessage
	if rm.Class == ClassError || (rm.Class == "" && rm.Code != "" && rm.Code != exchange.CodeNoError) {
		code := rm.Code
		if code == "" || code == exchange.CodeNoError {
			code = exchange.CodeFreeBusyGenerationFailed
		}
		re := &ResponseError{Mailbox: attendee, Code: code, Message: rm.MessageText, BackOff: rm.MessageXML.BackOff}
		s := freebusy.Failed(attendee, start, end, re.reason(), re)
		s.Err.RetryAfter = re.BackOff
		return s
	}
	s := freebusy.Schedule{Attendee: attendee, Start: start, End: end}
	v := &fr.View
	var ivs []freebusy.Interval
	switch {
	case v.CalendarEvents != nil || (v.ViewType.hasEvents() && v.MergedFreeBusy == ""):
		ivs = make([]freebusy.Interval, 0, len(v.CalendarEvents))
		for k := range v.CalendarEvents {
			ev := &v.CalendarEvents[k]
			st, ok := ev.BusyType.status()
			if !ok {
				st = freebusy.Unknown // a BusyType this package does not know: no data, never free
			}
			if st == freebusy.Free {
				continue
			}
			ivs = append(ivs, freebusy.Interval{Start: ev.StartTime.In(loc), End: ev.EndTime.In(loc), Status: st})
		}
		if q.Detail == freebusy.DetailFull && v.ViewType.detailed() {
			s.Events = eventsOf(v.CalendarEvents, loc)
		}
	case v.MergedFreeBusy != "":
		parsed, err := freebusy.ParseAvailabilityView(v.MergedFreeBusy, start, q.Slot(), viewOptions)
		if err != nil {
			return freebusy.Failed(attendee, start, end, freebusy.ReasonInvalid, &ResponseError{Mailbox: attendee, Code: exchange.CodeFreeBusyGenerationFailed, Message: "invalid MergedFreeBusy: " + err.Error()})
		}
		ivs = parsed
	default:
		ivs = []freebusy.Interval{{Start: start, End: end, Status: freebusy.Unknown}}
	}
	s.Intervals = ivs
	if _, err := s.Normalize(); err != nil {
		return freebusy.Failed(attendee, start, end, freebusy.ReasonInvalid, err)
	}
	if v.WorkingHours != nil {
		if wh, err := v.WorkingHours.canonical(start.Year(), zones); err == nil {
			s.WorkingHours = wh
		}
	}
	return s
}

func eventsOf(evs []CalendarEvent, loc *time.Location) []freebusy.Event {
	out := make([]freebusy.Event, 0, len(evs))
	for i := range evs {
		ev := &evs[i]
		st, ok := ev.BusyType.status()
		if !ok {
			st = freebusy.Unknown
		}
		e := freebusy.Event{Start: ev.StartTime.In(loc), End: ev.EndTime.In(loc), Status: st}
		if d := ev.Details; d != nil {
			e.ID, e.Subject, e.Location = d.ID, d.Subject, d.Location
			e.Private, e.Meeting, e.Recurring, e.Exception, e.Reminder = d.IsPrivate, d.IsMeeting, d.IsRecurring, d.IsException, d.IsReminderSet
		}
		out = append(out, e)
	}
	return out
}

// canonical converts working hours into the owner's zone (§2.3:
// WorkingHours is expressed in the mailbox owner's zone, given by its own
// TimeZone), for the rules in effect in year; zones caches the zones of
// one response. Periods that are empty or out of range are dropped. It
// fails when the TimeZone is invalid.
func (wh *WorkingHours) canonical(year int, zones *zoneCache) (*freebusy.WorkingHours, error) {
	loc, err := zones.location(wh.TimeZone, year)
	if err != nil {
		return nil, err
	}
	out := &freebusy.WorkingHours{Location: loc}
	for _, p := range wh.Periods {
		if p.StartTimeInMinutes < 0 || p.EndTimeInMinutes > 1440 || p.StartTimeInMinutes >= p.EndTimeInMinutes || len(p.Days) == 0 {
			continue
		}
		out.Periods = append(out.Periods, freebusy.WorkingPeriod{
			Days:  append([]time.Weekday(nil), p.Days...),
			Start: time.Duration(p.StartTimeInMinutes) * time.Minute,
			End:   time.Duration(p.EndTimeInMinutes) * time.Minute,
		})
	}
	return out, nil
}

// workingHoursOf converts canonical working hours into EWS WorkingHours,
// with the owner's zone as a SerializableTimeZone for year. Periods are
// rounded down to whole minutes. It returns nil for nil.
func workingHoursOf(w *freebusy.WorkingHours, year int) *WorkingHours {
	if w == nil {
		return nil
	}
	out := &WorkingHours{TimeZone: NewSerializableTimeZone(w.Location, year)}
	for _, p := range w.Periods {
		out.Periods = append(out.Periods, WorkingPeriod{
			Days:               append([]time.Weekday(nil), p.Days...),
			StartTimeInMinutes: int(p.Start / time.Minute),
			EndTimeInMinutes:   int(p.End / time.Minute),
		})
	}
	return out
}

// viewParams say how freeBusyResponseOf renders a schedule.
type viewParams struct {
	// View is the view to write. Detailed views fall back to their
	// non-detailed form (§2.5) when the schedule has no Events.
	View FreeBusyViewType
	// Start, End and Slot are the request's window and merged interval.
	Start, End time.Time
	Slot       time.Duration
	// Location is the request's zone: event times are written as wall
	// times in it (§2.4), UTC when nil.
	Location *time.Location
	// LegacyBusyTypes writes WorkingElsewhere events as Free: BusyType
	// WorkingElsewhere exists from Exchange 2013 (§2.4), and a client that
	// asked for an older schema would reject it. See legacyServerVersion.
	LegacyBusyTypes bool
	// events, when not nil, is where the CalendarEvents of interval views
	// are appended (see eventArena); nil allocates them per schedule.
	events *eventArena
	// hours, when not nil, shares the converted WorkingHours between the
	// mailboxes of one answer that have the same ones (see hoursCache).
	hours *hoursCache
}

// hoursCache remembers the last working hours converted for an answer:
// the mailboxes of one organisation mostly share their working hours, and
// converting them (a SerializableTimeZone from tzdata, the periods) for
// each mailbox made a tenth of the allocations of an answer. The result
// is shared between the responses, which are only encoded.
type hoursCache struct {
	in   *freebusy.WorkingHours
	year int
	out  *WorkingHours
}

// workingHours returns workingHoursOf(w, year), shared with the previous
// mailbox when its working hours were the same.
func (p *viewParams) workingHours(w *freebusy.WorkingHours, year int) *WorkingHours {
	c := p.hours
	if c == nil || w == nil {
		return workingHoursOf(w, year)
	}
	if c.out == nil || c.year != year || !sameWorkingHours(c.in, w) {
		c.in, c.year, c.out = w, year, workingHoursOf(w, year)
	}
	return c.out
}

// sameWorkingHours reports whether a and b (both non-nil) are the same
// zone and periods.
func sameWorkingHours(a, b *freebusy.WorkingHours) bool {
	if a == b {
		return true
	}
	if a.Location != b.Location || len(a.Periods) != len(b.Periods) {
		return false
	}
	for i := range a.Periods {
		pa, pb := &a.Periods[i], &b.Periods[i]
		if pa.Start != pb.Start || pa.End != pb.End || !slices.Equal(pa.Days, pb.Days) {
			return false
		}
	}
	return true
}

// eventArena holds the CalendarEvents of every mailbox of one answer in
// one backing array that the Handler reuses from request to request: an
// answer for 100 mailboxes over a week has thousands of events, and
// allocating them afresh for each request, only to encode them and drop
// them, was a large part of the answer's garbage.
type eventArena struct{ events []CalendarEvent }

// maxPooledEvents bounds the arenas put back into eventArenas (about 7 MB
// of events), so that one huge answer does not keep its memory alive.
const maxPooledEvents = 1 << 16

// eventSize is the memory one CalendarEvent takes in an arena.
const eventSize = int(unsafe.Sizeof(CalendarEvent{}))

// eventArenas holds the arenas of finished answers, where the next
// request finds them on whichever P it runs (see answerBuffers).
var eventArenas = bufpool.Pool[*eventArena]{
	New:  func() *eventArena { return new(eventArena) },
	Size: func(a *eventArena) int { return cap(a.events) * eventSize },
	Max:  maxPooledEvents * eventSize,
}

// getEventArena returns an empty pooled arena.
func getEventArena() *eventArena { return eventArenas.Get() }

// putEventArena clears a and returns it to the pool, unless it is too
// large to keep; nothing built from a may be used after.
func putEventArena(a *eventArena) {
	clear(a.events) // drop the references the events hold
	a.events = a.events[:0]
	eventArenas.Put(a)
}

// newEvents returns an empty slice with room for n events: from the
// arena when there is one, else a new one.
func (p *viewParams) newEvents(n int) []CalendarEvent {
	if p.events == nil {
		return make([]CalendarEvent, 0, n)
	}
	a := p.events
	if cap(a.events)-len(a.events) < n {
		// The slices handed out so far keep the old array alive until the
		// answer is done; the new, larger one is what goes back to the
		// pool, so the next answer fits at once.
		a.events = make([]CalendarEvent, 0, max(n, 2*cap(a.events), 256))
	}
	at := len(a.events)
	a.events = a.events[:at+n]
	return a.events[at : at : at+n]
}

// legacyServerVersion reports whether a RequestServerVersion predates
// Exchange 2013, so that the answer must not use BusyType
// WorkingElsewhere: Exchange2007*, Exchange2010*, and no header at all
// (EWS then assumes Exchange2007 SP1).
func legacyServerVersion(v string) bool {
	return v == "" || strings.HasPrefix(v, "Exchange2007") || strings.HasPrefix(v, "Exchange2010")
}

// freeBusyResponseOf renders one schedule as an EWS FreeBusyResponse:
//   - a failed schedule becomes an Error ResponseMessage with the code of
//     its reason from the response-code table (ReasonUnknownAttendee is
//     ErrorMailRecipientNotFound with ExceptionCode 5009, ReasonThrottled
//     ErrorServerBusy with BackOffMilliseconds from RetryAfter, ...) and a
//     view of type None (§2.4);
//   - merged views get MergedFreeBusy at p.Slot (WorkingElsewhere as '0');
//   - event views get one CalendarEvent per interval (Unknown as NoData),
//     or, in Detailed views, per schedule Event with its details (private
//     items keep only their flags);
//   - event views get WorkingHours in the owner's zone.
func freeBusyResponseOf(s *freebusy.Schedule, p viewParams) FreeBusyResponse {
	if s.Err != nil {
		code := exchange.CodeFor(s.Err.Reason)
		rm := ResponseMessage{Class: ClassError, Code: code, MessageText: s.Err.Message}
		if code == exchange.CodeMailRecipientNotFound {
			rm.MessageXML.ExceptionCode = 5009
		}
		if code == exchange.CodeServerBusy {
			rm.MessageXML.BackOff = s.Err.RetryAfter
		}
		return FreeBusyResponse{ResponseMessage: rm, View: FreeBusyView{ViewType: ViewNone}}
	}
	loc := p.Location
	if loc == nil {
		loc = time.UTC
	}
	view := p.View
	if view.detailed() && s.Events == nil {
		view = view.withoutDetails()
	}
	fr := FreeBusyResponse{ResponseMessage: ResponseMessage{Class: ClassSuccess, Code: exchange.CodeNoError}, View: FreeBusyView{ViewType: view}}
	// Normalize once, and only when needed: Sources hand over canonical
	// schedules, which are read as they are (they are not modified), and
	// AvailabilityView renders canonical intervals without normalizing
	// them again.
	ivs := s.Intervals
	if !freebusy.IsCanonical(ivs, p.Start, p.End) {
		var err error
		if ivs, _, err = freebusy.Normalize(ivs, p.Start, p.End, freebusy.NormalizeOptions{}); err != nil {
			return freeBusyResponseOf(&freebusy.Schedule{Err: freebusy.NewError(s.Attendee, freebusy.ReasonInternal, err)}, p)
		}
	}
	if view.merged() {
		merged, err := freebusy.AvailabilityView(ivs, p.Start, p.End, p.Slot, viewOptions)
		if err != nil {
			return freeBusyResponseOf(&freebusy.Schedule{Err: freebusy.NewError(s.Attendee, freebusy.ReasonInternal, err)}, p)
		}
		fr.View.MergedFreeBusy = merged
	}
	if view.hasEvents() {
		if view.detailed() {
			fr.View.CalendarEvents = p.newEvents(len(s.Events))
			for _, e := range s.Events {
				ce := CalendarEvent{StartTime: localDateTime(e.Start, loc), EndTime: localDateTime(e.End, loc), BusyType: p.busyType(e.Status)}
				d := &CalendarEventDetails{IsMeeting: e.Meeting, IsRecurring: e.Recurring, IsException: e.Exception, IsReminderSet: e.Reminder, IsPrivate: e.Private}
				if !e.Private {
					d.ID, d.Subject, d.Location = e.ID, e.Subject, e.Location
				}
				ce.Details = d
				fr.View.CalendarEvents = append(fr.View.CalendarEvents, ce)
			}
		} else {
			fr.View.CalendarEvents = p.newEvents(len(ivs))
			for _, iv := range ivs {
				fr.View.CalendarEvents = append(fr.View.CalendarEvents, CalendarEvent{
					StartTime: localDateTime(iv.Start, loc), EndTime: localDateTime(iv.End, loc), BusyType: p.busyType(iv.Status),
				})
			}
		}
		fr.View.WorkingHours = p.workingHours(s.WorkingHours, p.Start.In(loc).Year())
	}
	return fr
}

func (p *viewParams) busyType(s freebusy.Status) BusyType {
	if s == freebusy.WorkingElsewhere && p.LegacyBusyTypes {
		return BusyFree
	}
	return busyTypeOf(s)
}
