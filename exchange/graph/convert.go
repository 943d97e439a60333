package graph

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/calbridge/calbridge/exchange"
	"github.com/calbridge/calbridge/internal/window"

	"github.com/calbridge/calbridge/freebusy"
)

// ParseStatus maps a scheduleItem status to a canonical status,
// case-insensitively (§3.2, §6; docs/mapping.md §3.2). ok is false for a
// value Graph does not document.
func ParseStatus(s string) (st freebusy.Status, ok bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "free":
		return freebusy.Free, true
	case "tentative":
		return freebusy.Tentative, true
	case "busy":
		return freebusy.Busy, true
	case "oof":
		return freebusy.OutOfOffice, true
	case "workingelsewhere":
		return freebusy.WorkingElsewhere, true
	case "unknown":
		return freebusy.Unknown, true
	}
	return freebusy.Unknown, false
}

// StatusOf returns the scheduleItem status for a canonical status
// (§6): "free", "tentative", "busy", "oof", "workingElsewhere", "unknown".
func StatusOf(s freebusy.Status) string {
	switch s {
	case freebusy.Free:
		return StatusFree
	case freebusy.Tentative:
		return StatusTentative
	case freebusy.Busy:
		return StatusBusy
	case freebusy.OutOfOffice:
		return StatusOOF
	case freebusy.WorkingElsewhere:
		return StatusWorkingElsewhere
	}
	return StatusUnknown
}

// codeNotFound is the numeric availability exception code Graph puts in
// freeBusyError.responseCode for an address it cannot resolve
// (microsoft-graph-docs-contrib issue #11225; the same ExceptionCode 5009
// as EWS ErrorMailRecipientNotFound, §3.2).
const codeNotFound = "5009"

// ErrorReason maps a freeBusyError.responseCode to a canonical reason:
// "5009" is ReasonUnknownAttendee; EWS response-code names map as
// exchange.ResponseCode.Reason does (Graph runs on the EWS availability
// stack); anything else, and an empty code, is ReasonInternal.
func ErrorReason(code string) freebusy.Reason {
	code = strings.TrimSpace(code)
	if code == codeNotFound {
		return freebusy.ReasonUnknownAttendee
	}
	if r := exchange.ResponseCode(code).Reason(); r != freebusy.ReasonNone {
		return r
	}
	return freebusy.ReasonInternal
}

// freeBusyErrorFor builds the freeBusyError a handler writes for a failed
// schedule: "5009" and Exchange's message text for an unknown attendee
// (§2.7, §3.2), the EWS code of the reason otherwise.
func freeBusyErrorFor(attendee string, e *freebusy.Error) *FreeBusyError {
	if e.Reason == freebusy.ReasonUnknownAttendee {
		return &FreeBusyError{
			ResponseCode: codeNotFound,
			Message:      "Unable to resolve e-mail address " + exchange.RoutedAddress{RoutingType: "SMTP", Address: attendee}.String() + " to an Active Directory object.",
		}
	}
	msg := e.Message
	if msg == "" {
		msg = e.Reason.String()
	}
	return &FreeBusyError{ResponseCode: string(exchange.CodeFor(e.Reason)), Message: msg}
}

// zoneName returns the name Graph uses for loc: its Windows id when
// the table knows one ("Pacific Standard Time"), "UTC" for UTC, the IANA
// name otherwise (Graph accepts those too).
func zoneName(loc *time.Location) string {
	name := loc.String()
	if loc == time.UTC || name == "UTC" {
		return "UTC"
	}
	if win, ok := freebusy.IANAToWindows(name); ok {
		return win
	}
	return name
}

// NewScheduleRequest builds the getSchedule request for q: the window
// in UTC, q.Slot() as the interval.
func NewScheduleRequest(q freebusy.Query) *ScheduleRequest {
	return &ScheduleRequest{
		Schedules:                slices.Clone(q.Attendees),
		StartTime:                NewDateTimeTimeZone(q.Start, time.UTC, "UTC"),
		EndTime:                  NewDateTimeTimeZone(q.End, time.UTC, "UTC"),
		AvailabilityViewInterval: int(q.Slot() / time.Minute),
	}
}

// Query converts the request into a canonical query: the window read in
// its zones, the interval (default 30) as Granularity. It does not apply
// limits; errors are *FormatError values for a bad dateTime or zone,
// and a *freebusy.QueryError for a negative interval.
func (r *ScheduleRequest) Query() (freebusy.Query, error) {
	var zones Zones
	start, err := zones.Time(r.StartTime)
	if err != nil {
		return freebusy.Query{}, err
	}
	end, err := zones.Time(r.EndTime)
	if err != nil {
		return freebusy.Query{}, err
	}
	if r.AvailabilityViewInterval < 0 || r.AvailabilityViewInterval > 1<<20 {
		return freebusy.Query{}, &freebusy.QueryError{Field: "Granularity", Detail: fmt.Sprintf("availabilityViewInterval %d", r.AvailabilityViewInterval), Err: freebusy.ErrBadGranularity}
	}
	return freebusy.Query{
		Attendees:   slices.Clone(r.Schedules),
		Start:       start,
		End:         end,
		Granularity: time.Duration(r.AvailabilityViewInterval) * time.Minute,
	}, nil
}

// Schedules converts resp, the answer to a request built from q, into one
// schedule per attendee of q, in query order. Entries are matched to
// attendees by scheduleId, case-insensitively, falling back to position
// for an entry without one. An attendee without an entry fails with
// ReasonInternal (ErrMismatch); an entry whose data cannot be read
// fails with ReasonInvalid. See ScheduleInformation.Schedule.
func (resp *ScheduleResponse) Schedules(q freebusy.Query) []freebusy.Schedule {
	out := make([]freebusy.Schedule, len(q.Attendees))
	used := make([]bool, len(resp.Value))
	var zones Zones
	for i, a := range q.Attendees {
		k := -1
		for j := range resp.Value {
			if !used[j] && strings.EqualFold(strings.TrimSpace(resp.Value[j].ScheduleID), strings.TrimSpace(a)) {
				k = j
				break
			}
		}
		if k < 0 && i < len(resp.Value) && !used[i] && resp.Value[i].ScheduleID == "" {
			k = i
		}
		if k < 0 {
			out[i] = freebusy.Failed(a, q.Start, q.End, freebusy.ReasonInternal,
				formatErr("value", ErrMismatch, "no scheduleInformation for attendee %d", i))
			continue
		}
		used[k] = true
		s, err := resp.Value[k].Schedule(a, q, &zones)
		if err != nil {
			s = freebusy.Failed(a, q.Start, q.End, freebusy.ReasonInvalid, err)
		}
		out[i] = s
	}
	return out
}

// Schedule converts one scheduleInformation into attendee's canonical
// schedule over q's window, with q.Slot() as the availability-view
// interval. zones may be nil.
//
// A failed entry (Error set) becomes a failed schedule with ErrorReason's
// reason. Otherwise the rules are (§3.2, §6; docs/mapping.md §3.2, §4.2):
//   - scheduleItems decide: the view writes working elsewhere as 0, so only
//     items can tell it from free, and items are exact to the minute where
//     the view is exact to the slot. Each item becomes an interval of its
//     status; free items leave time free; a status Graph does not document
//     is read as Busy (time the owner marked somehow is not promised free).
//   - the view fills in what the items do not say: a slot whose digit is
//     1, 2 or 3 but which no item overlaps gets that status for the whole
//     slot, and a '4' (no data) slot is Unknown unless an item covers it.
//   - without scheduleItems (the field absent), the view alone decides, and
//     window time beyond the view's end is Unknown.
//
// Working hours whose zone cannot be resolved are left out rather than
// failing the schedule. Events are filled for DetailFull queries only.
// Errors are *FormatError values for unreadable items or view.
func (info *ScheduleInformation) Schedule(attendee string, q freebusy.Query, zones *Zones) (freebusy.Schedule, error) {
	if zones == nil {
		zones = new(Zones)
	}
	start, end, slot := q.Start.UTC(), q.End.UTC(), q.Slot()
	if info.Error != nil {
		return freebusy.Failed(attendee, start, end, ErrorReason(info.Error.ResponseCode),
			errors.New(info.Error.Message)), nil
	}
	s := freebusy.Schedule{Attendee: attendee, Start: start, End: end}
	var ivs, cover []freebusy.Interval
	for i, it := range info.ScheduleItems {
		a, err := zones.Time(it.Start)
		if err != nil {
			return s, itemErr(i, "start", err)
		}
		b, err := zones.Time(it.End)
		if err != nil {
			return s, itemErr(i, "end", err)
		}
		st, ok := ParseStatus(it.Status)
		if !ok {
			st = freebusy.Busy
		}
		x := freebusy.Interval{Start: a, End: b, Status: st}
		cover = append(cover, x)
		if st != freebusy.Free {
			ivs = append(ivs, x)
		}
		if q.Detail == freebusy.DetailFull {
			ev := freebusy.Event{Start: a, End: b, Status: st, Private: it.IsPrivate}
			if !it.IsPrivate {
				ev.Subject, ev.Location = it.Subject, it.Location
			}
			s.Events = append(s.Events, ev)
		}
	}
	itemsPresent := info.ScheduleItems != nil
	viewEnd := start
	if v := info.AvailabilityView; v != "" {
		// Digits past the window say nothing about it: drop them before
		// parsing, so a huge view cannot make a huge interval list.
		if n := (end.Sub(start) + slot - 1) / slot; int64(len(v)) > int64(n) {
			v = v[:n]
		}
		viewIvs, err := freebusy.ParseAvailabilityView(v, start, slot, freebusy.ViewOptions{})
		if err != nil {
			return s, formatErr("availabilityView", ErrAvailabilityView, "%v", err)
		}
		viewEnd = start.Add(time.Duration(len(v)) * slot)
		coverage := unionIntervals(cover)
		for _, vi := range viewIvs {
			vi, ok := vi.Clip(start, end)
			if !ok {
				continue
			}
			if !itemsPresent {
				ivs = append(ivs, vi)
				continue
			}
			ivs = appendUncoveredSlots(ivs, vi, start, slot, coverage)
		}
	}
	if !itemsPresent && viewEnd.Before(end) {
		ivs = append(ivs, freebusy.Interval{Start: window.Max(viewEnd, start), End: end, Status: freebusy.Unknown})
	}
	canon, _, err := freebusy.Normalize(ivs, start, end, freebusy.NormalizeOptions{})
	if err != nil {
		return s, formatErr("scheduleItems", ErrInvalid, "%v", err)
	}
	s.Intervals = canon
	if info.WorkingHours != nil {
		if wh, err := info.WorkingHours.WorkingHours(zones); err == nil {
			s.WorkingHours = wh
		}
	}
	return s, nil
}

func itemErr(i int, field string, err error) error {
	var fe *FormatError
	if errors.As(err, &fe) {
		fe.Field = fmt.Sprintf("scheduleItems[%d].%s.%s", i, field, fe.Field)
	}
	return err
}

// unionIntervals returns the sorted union of the non-empty intervals of
// ivs, whatever their status (the result's status means nothing).
func unionIntervals(ivs []freebusy.Interval) []freebusy.Interval {
	out := make([]freebusy.Interval, 0, len(ivs))
	for _, x := range ivs {
		if x.Start.Before(x.End) {
			x.Status = freebusy.Busy // one status, so Coalesce joins them all
			out = append(out, x)
		}
	}
	return freebusy.Coalesce(out)
}

// appendUncoveredSlots appends, for each slot of the view interval vi,
// the slot with vi's status when no interval of coverage (sorted,
// disjoint) overlaps it.
func appendUncoveredSlots(dst []freebusy.Interval, vi freebusy.Interval, origin time.Time, slot time.Duration, coverage []freebusy.Interval) []freebusy.Interval {
	for a := vi.Start; a.Before(vi.End); {
		b := origin.Add((a.Sub(origin)/slot + 1) * slot)
		if b.After(vi.End) {
			b = vi.End
		}
		k := sort.Search(len(coverage), func(i int) bool { return coverage[i].End.After(a) })
		if k == len(coverage) || !coverage[k].Start.Before(b) {
			if n := len(dst); n > 0 && dst[n-1].Status == vi.Status && dst[n-1].End.Equal(a) {
				dst[n-1].End = b
			} else {
				dst = append(dst, freebusy.Interval{Start: a, End: b, Status: vi.Status})
			}
		}
		a = b
	}
	return dst
}

// WorkingHours converts Graph working hours into canonical ones. Errors
// are *FormatError values: ErrTimeZone for a zone that is not a
// known Windows or IANA name (custom zones are not rebuilt from their
// rules), ErrWorkingHours for bad days or times.
func (g *WorkingHours) WorkingHours(zones *Zones) (*freebusy.WorkingHours, error) {
	if zones == nil {
		zones = new(Zones)
	}
	if g.TimeZone == nil || strings.TrimSpace(g.TimeZone.Name) == "" {
		return nil, formatErr("workingHours.timeZone", ErrTimeZone, "no time zone")
	}
	loc, err := zones.Location(g.TimeZone.Name)
	if err != nil {
		return nil, err
	}
	startT, err := parseTimeOfDay(g.StartTime)
	if err != nil {
		return nil, err
	}
	endT, err := parseTimeOfDay(g.EndTime)
	if err != nil {
		return nil, err
	}
	if endT == 0 && startT > 0 {
		endT = 24 * time.Hour // "00:00:00" ends the day
	}
	p := freebusy.WorkingPeriod{Start: startT, End: endT}
	if len(g.DaysOfWeek) > 7 {
		return nil, formatErr("workingHours.daysOfWeek", ErrWorkingHours, "%d days", len(g.DaysOfWeek))
	}
	for _, name := range g.DaysOfWeek {
		d, ok := parseWeekday(name)
		if !ok {
			return nil, formatErr("workingHours.daysOfWeek", ErrWorkingHours, "unknown day %q", name)
		}
		if !slices.Contains(p.Days, d) {
			p.Days = append(p.Days, d)
		}
	}
	wh := &freebusy.WorkingHours{Location: loc, Periods: []freebusy.WorkingPeriod{p}}
	if err := wh.Validate(); err != nil {
		return nil, formatErr("workingHours", ErrWorkingHours, "%v", err)
	}
	return wh, nil
}

func parseWeekday(name string) (time.Weekday, bool) {
	for d := time.Sunday; d <= time.Saturday; d++ {
		if strings.EqualFold(strings.TrimSpace(name), d.String()) {
			return d, true
		}
	}
	return 0, false
}

// parseTimeOfDay reads an Edm.TimeOfDay, "08:00:00.0000000" (fraction
// optional), as the offset from midnight.
func parseTimeOfDay(s string) (time.Duration, error) {
	if len(s) > 32 {
		return 0, formatErr("workingHours", ErrWorkingHours, "time of day of %d bytes", len(s))
	}
	t, err := time.Parse("15:04:05.999999999", s)
	if err != nil {
		if t, err = time.Parse("15:04", s); err != nil {
			return 0, formatErr("workingHours", ErrWorkingHours, "%q is not a time of day", s)
		}
	}
	return time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute +
		time.Duration(t.Second())*time.Second + time.Duration(t.Nanosecond()), nil
}

func formatTimeOfDay(d time.Duration) string {
	if d >= 24*time.Hour {
		d = 0 // Edm.TimeOfDay has no 24:00; midnight ends the day
	}
	return time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC).Add(d).Format("15:04:05.0000000")
}

// NewWorkingHours converts canonical working hours into Graph's, which
// hold one startTime, one endTime and one daysOfWeek list (Microsoft Graph
// documentation "workingHours resource type"). The rule, chosen to lose
// the least (docs/mapping.md §4.10):
//   - daysOfWeek lists every day with any working period, so no working
//     day disappears;
//   - each day's span runs from its earliest start to its latest end (a
//     lunch break inside it is lost; Graph cannot hold a gap), and
//     startTime and endTime are the span the most days share, ties going
//     to the longer span and then to the earlier start, so that one odd
//     day does not stretch or shrink the others.
//
// So Monday to Thursday 08:00-12:00 and 13:00-16:30 with Friday
// 08:00-13:00 becomes Monday to Friday 08:00-16:30: Friday afternoon and
// the lunch breaks read as working time. nil or invalid hours, or hours
// without days, give nil.
func NewWorkingHours(wh *freebusy.WorkingHours) *WorkingHours {
	if wh == nil || wh.Validate() != nil {
		return nil
	}
	type span struct{ start, end time.Duration }
	var spans [7]span
	var working [7]bool
	for _, p := range wh.Periods {
		for _, d := range p.Days {
			if !working[d] {
				spans[d], working[d] = span{p.Start, p.End}, true
				continue
			}
			spans[d].start = min(spans[d].start, p.Start)
			spans[d].end = max(spans[d].end, p.End)
		}
	}
	var days []string
	count := make(map[span]int, 7)
	var best span
	for d := time.Sunday; d <= time.Saturday; d++ {
		if !working[d] {
			continue
		}
		days = append(days, strings.ToLower(d.String()))
		sp := spans[d]
		count[sp]++
		if n, bn := count[sp], count[best]; len(days) == 1 || n > bn ||
			n == bn && (sp.end-sp.start > best.end-best.start ||
				sp.end-sp.start == best.end-best.start && sp.start < best.start) {
			best = sp
		}
	}
	if len(days) == 0 {
		return nil
	}
	return &WorkingHours{
		DaysOfWeek: days,
		StartTime:  formatTimeOfDay(best.start),
		EndTime:    formatTimeOfDay(best.end),
		TimeZone:   &TimeZoneBase{Name: zoneName(wh.Location)},
	}
}

// ResponseOptions tune NewScheduleResponse.
type ResponseOptions struct {
	// Location and TimeZone are the zone scheduleItem times are written
	// in and its Graph name (the Prefer: outlook.timezone header); nil
	// means UTC.
	Location *time.Location
	TimeZone string
}

// NewScheduleResponse converts the schedules a Source answered q with into a
// getSchedule response, one entry per schedule (see NewScheduleInformation).
func NewScheduleResponse(q freebusy.Query, schedules []freebusy.Schedule, opt ResponseOptions) (*ScheduleResponse, error) {
	resp := &ScheduleResponse{Value: make([]ScheduleInformation, len(schedules))}
	for i := range schedules {
		info, err := NewScheduleInformation(&schedules[i], q, opt)
		if err != nil {
			return nil, err
		}
		resp.Value[i] = info
	}
	return resp, nil
}

// NewScheduleInformation converts one schedule into a scheduleInformation
// over q's window (Microsoft Graph documentation "scheduleInformation
// resource type", "scheduleItem resource type"):
//   - availabilityView at q.Slot(), clipped to the window as Graph clips
//     it: working elsewhere as 0, Graph's choice, no data as 4.
//   - scheduleItems are whole items, as Graph writes them: an item from
//     08:30 in a window from 09:00 starts at 08:30 (the example of
//     "calendar: getSchedule"). They come from the schedule's Events,
//     which are whole, when it has any; every event overlapping the window
//     is written with its own start and end, isPrivate and status, and its
//     subject and location only when q asks for DetailFull and the event
//     is not private. A schedule without Events has only its canonical
//     intervals, clipped to the window by definition; their items are
//     clipped too, merged where they touch, and Unknown time is status
//     "unknown".
//   - working hours as NewWorkingHours writes them.
//
// A failed schedule becomes an entry with only an error. Errors come from
// freebusy.AvailabilityView for a schedule that does not normalize.
func NewScheduleInformation(s *freebusy.Schedule, q freebusy.Query, opt ResponseOptions) (ScheduleInformation, error) {
	info := ScheduleInformation{ScheduleID: s.Attendee}
	if s.Err != nil {
		info.Error = freeBusyErrorFor(s.Attendee, s.Err)
		return info, nil
	}
	loc, zone := opt.Location, opt.TimeZone
	if loc == nil {
		loc, zone = time.UTC, "UTC"
	}
	// Normalize once: the view and the items are drawn from the same
	// canonical intervals, which Sources mostly hand over already (then
	// they are read as they are, not copied), and AvailabilityView renders
	// canonical intervals without normalizing them again.
	canon := s.Intervals
	if !freebusy.IsCanonical(canon, q.Start, q.End) {
		var err error
		if canon, _, err = freebusy.Normalize(canon, q.Start, q.End, freebusy.NormalizeOptions{}); err != nil {
			// The error of the view of the raw intervals, which checks
			// the view's own arguments first.
			_, err = freebusy.AvailabilityView(s.Intervals, q.Start, q.End, q.Slot(), freebusy.ViewOptions{})
			return info, err
		}
	}
	view, err := freebusy.AvailabilityView(canon, q.Start, q.End, q.Slot(), freebusy.ViewOptions{})
	if err != nil {
		return info, err
	}
	info.AvailabilityView = view
	info.ScheduleItems = []ScheduleItem{}
	if len(s.Events) > 0 {
		for _, ev := range s.Events {
			if !overlaps(ev.Start, ev.End, q.Start, q.End) {
				continue
			}
			it := ScheduleItem{
				IsPrivate: ev.Private,
				Status:    StatusOf(ev.Status),
				Start:     NewDateTimeTimeZone(ev.Start, loc, zone),
				End:       NewDateTimeTimeZone(ev.End, loc, zone),
			}
			if q.Detail == freebusy.DetailFull && !ev.Private {
				it.Subject, it.Location = ev.Subject, ev.Location
			}
			info.ScheduleItems = append(info.ScheduleItems, it)
		}
	} else {
		info.ScheduleItems = make([]ScheduleItem, 0, len(canon))
		for _, x := range canon {
			info.ScheduleItems = append(info.ScheduleItems, ScheduleItem{
				Status: StatusOf(x.Status),
				Start:  NewDateTimeTimeZone(x.Start, loc, zone),
				End:    NewDateTimeTimeZone(x.End, loc, zone),
			})
		}
	}
	info.WorkingHours = NewWorkingHours(s.WorkingHours)
	return info, nil
}

// overlaps reports whether the item [a, b) touches the window [start,
// end): it overlaps it, or it is an instant inside it.
func overlaps(a, b, start, end time.Time) bool {
	if !a.Before(b) {
		return !a.Before(start) && a.Before(end)
	}
	return a.Before(end) && b.After(start)
}
