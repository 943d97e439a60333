package ical

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/calbridge/calbridge/freebusy"

	goical "github.com/emersion/go-ical"
)

// Decoding ordinary calendars (VEVENT, RFC 5545 §3.6.1) into busy time.
//
// Recurrence rules are expanded by go-ical's Component.RecurrenceSet (on
// top of teambition/rrule-go), but only for RRULE: at the commit we use it
// reads EXDATE twice (once as RDATE), ignores RDATE, fails on
// comma-separated EXDATE lists, and resolves TZID only through
// time.LoadLocation. So DTSTART is handed to it as a floating time in the
// zone calbridge resolved, UNTIL is rewritten in UTC, and RDATE and EXDATE
// are applied here: go-ical is used for what it gets right, and nothing
// else needs a second iCalendar library.

// DefaultMaxOccurrences is the cap on the instances expanded from one
// recurring event when CalendarOptions.MaxOccurrences is zero. Radicale uses
// the same figure (docs/peers.md §3.8, §5).
const DefaultMaxOccurrences = 10000

// preWindowFactor times MaxOccurrences bounds the instances of one
// recurring event skipped before the window: a daily meeting that began in
// 1990 is still expanded in 2030 (some 15,000 instances in), while a rule
// that takes millions of steps to reach the window is cut off.
const preWindowFactor = 100

// maxReportedProblems bounds CalendarReport.Problems and UnknownZones.
const maxReportedProblems = 16

// Properties that carry Outlook's busy status (docs/exchange.md §4.2).
const (
	propCDOBusyStatus = "X-MICROSOFT-CDO-BUSYSTATUS"
	propMSNBusyStatus = "X-MICROSOFT-MSNCALENDAR-BUSYSTATUS"
)

// CalendarOptions tune DecodeCalendar. The zero value reads floating and
// all-day times in UTC, caps expansion at DefaultMaxOccurrences and applies
// the generic rules only.
type CalendarOptions struct {
	// Location is the calendar owner's zone: floating date-times (no TZID,
	// no "Z") and all-day dates are read in it, and so is any TZID that
	// cannot be resolved (counted in CalendarReport.ZoneFallbacks). Nil
	// means UTC; it is never the machine's zone.
	Location *time.Location
	// MaxOccurrences caps the instances expanded from one recurring event
	// that end after the window starts; instances before the window are
	// skipped up to 100 times as many, so that a daily meeting that began
	// decades before the window still reaches it. Both bound the work
	// hostile input can cause. Zero means DefaultMaxOccurrences. Events that
	// hit a cap are counted in CalendarReport.Truncated, and the part of
	// the window the cap cut off is Unknown, not free.
	MaxOccurrences int
	// Classify, if set, is called once per VEVENT component (a recurring
	// event once, each RECURRENCE-ID override once) after the generic rules
	// have set ev.Status. It returns the status to use, or false to skip the
	// component (counted in CalendarReport.Skipped). It is the hook for
	// side-specific properties such as X-LOTUS-APPTTYPE.
	Classify ClassifyFunc
}

// ClassifyFunc decides the status of a calendar component, or skips it by
// returning false. See CalendarOptions.Classify.
type ClassifyFunc func(ev *CalendarEvent) (freebusy.Status, bool)

// CalendarEvent is what a ClassifyFunc sees of one VEVENT component.
type CalendarEvent struct {
	// UID is the component's UID (RFC 5545 §3.8.4.7), possibly empty.
	UID string
	// Start and End are the first instance (DTSTART and its end), UTC.
	Start, End time.Time
	// AllDay is set when DTSTART is a DATE (VALUE=DATE).
	AllDay bool
	// Status is the status the generic rules chose (see DecodeCalendar).
	Status freebusy.Status
	// Props maps each upper-case property name to its first raw value
	// as written (TEXT escapes are not decoded). The map is the hook's to
	// read only.
	Props map[string]string
	// Recurring is set for a component with RRULE or RDATE.
	Recurring bool
	// RecurrenceID is the instance an override replaces (RECURRENCE-ID),
	// UTC, or zero for other components.
	RecurrenceID time.Time
}

// CalendarReport counts what DecodeCalendar read, skipped and could not
// use, so that nothing is dropped silently.
type CalendarReport struct {
	// Events counts the VEVENT components read.
	Events int
	// Occurrences counts the instances that overlap the window, free ones
	// included.
	Occurrences int
	// Free counts those instances that block no time (TRANSP:TRANSPARENT,
	// STATUS:CANCELLED, busy status FREE).
	Free int
	// Skipped counts components the Classify hook skipped.
	Skipped int
	// Invalid counts components skipped because of bad data; Problems
	// describes the first few.
	Invalid int
	// Overrides counts RECURRENCE-ID components; OrphanOverrides those
	// without a recurring component of the same UID (used as single
	// events).
	Overrides, OrphanOverrides int
	// Truncated counts recurring components whose expansion stopped at
	// MaxOccurrences (or its pre-window bound); the rest of the window is
	// Unknown for them.
	Truncated int
	// UnsupportedRecurrences counts RRULEs with an HOURLY, MINUTELY or
	// SECONDLY frequency, of which only DTSTART (and RDATEs) are used:
	// rrule-go can loop without end on some of them, and calendars do not
	// use them for meetings.
	UnsupportedRecurrences int
	// ZoneFallbacks counts date-times whose TZID could not be resolved and
	// were read in CalendarOptions.Location; UnknownZones lists those TZIDs
	// (the first few, each once).
	ZoneFallbacks int
	UnknownZones  []string
	// Problems holds the first few problems behind Invalid, as
	// *freebusy.ParseError
	// with the line of the component or property.
	Problems []error
	// Normalize is the report of the final freebusy.Normalize over the
	// window.
	Normalize freebusy.NormalizeReport
}

// DecodeCalendar reads the VEVENT components of one or more iCalendar
// objects from r and returns the owner's busy time in the window [start,
// end), in canonical form (see freebusy.Normalize), with a report.
//
// Each component's status comes from, in order of precedence:
//  1. X-MICROSOFT-CDO-BUSYSTATUS (or its import-only synonym
//     X-MICROSOFT-MSNCALENDAR-BUSYSTATUS): FREE, TENTATIVE, BUSY, OOF or
//     OUTOFOFFICE (Exchange 2000/2003), WORKINGELSEWHERE
//     (docs/exchange.md §4.2);
//  2. STATUS:CANCELLED is free;
//  3. TRANSP:TRANSPARENT is free;
//  4. STATUS:TENTATIVE is tentative;
//  5. anything else is busy;
//
// then CalendarOptions.Classify may change it or skip the component. These
// are the rules of docs/mapping.md §3.4.
//
// Times: DTSTART with TZID is read in that zone (IANA name, Windows id,
// or the file's VTIMEZONE), UTC times as UTC, floating times and all-day
// dates in CalendarOptions.Location. The end is DTEND, or DTSTART plus
// DURATION (days nominal, hours exact), or one day for an all-day event,
// or nothing (an instant, which blocks no time). Recurrence follows RRULE,
// RDATE and EXDATE (lists and VALUE=DATE included), with RECURRENCE-ID
// components replacing the instance they name; RANGE=THISANDFUTURE is read
// as that instance only. DTSTART is always an instance; when it does not
// match its RRULE (RFC 5545 leaves that undefined) it comes in addition to
// the COUNT instances of the rule.
//
// Errors: a *freebusy.QueryError when the window is empty, a
// *freebusy.ParseError (matching freebusy.ErrInvalid) when the input is not
// iCalendar, and read errors from r.
// Bad components do not fail the call: they are counted in the report.
func DecodeCalendar(r io.Reader, start, end time.Time, opt CalendarOptions) ([]freebusy.Interval, CalendarReport, error) {
	var rep CalendarReport
	if !start.Before(end) {
		return nil, rep, &freebusy.QueryError{Field: "Start", Detail: "calendar window is empty or inverted", Err: freebusy.ErrEmptyWindow}
	}
	data, err := readAllLimited(r)
	if err != nil {
		return nil, rep, err
	}
	owner := opt.Location
	if owner == nil {
		owner = time.UTC
	}
	maxOcc := opt.MaxOccurrences
	if maxOcc <= 0 {
		maxOcc = DefaultMaxOccurrences
	}
	var events []*goical.Component
	defs := map[string]*goical.Component{}
	err = decodeCalendars(data, func(cal *goical.Calendar) error {
		for _, c := range cal.Children {
			switch c.Name {
			case goical.CompEvent:
				events = append(events, c)
			case goical.CompTimezone:
				if p := firstProp(c.Props, goical.PropTimezoneID); p != nil {
					defs[p.Value] = c
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, rep, err
	}
	d := &calDecoder{
		data:   data,
		start:  start,
		end:    end,
		owner:  owner,
		maxOcc: maxOcc,
		opt:    opt,
		rep:    &rep,
		zones:  &zoneResolver{owner: owner, defs: defs, cache: map[string]*time.Location{}, rep: &rep},
	}
	d.decode(events)
	ivs, nr, err := freebusy.Normalize(d.ivs, start, end, freebusy.NormalizeOptions{})
	if err != nil {
		// Only an undeclared status from Classify can get here; the
		// window was checked above.
		return nil, rep, err
	}
	rep.Normalize = nr
	return ivs, rep, nil
}

// calDecoder holds the state of one DecodeCalendar call.
type calDecoder struct {
	data       []byte
	start, end time.Time
	owner      *time.Location
	maxOcc     int
	opt        CalendarOptions
	rep        *CalendarReport
	zones      *zoneResolver
	ivs        []freebusy.Interval
}

// vevent is a parsed VEVENT component.
type vevent struct {
	comp         *goical.Component
	ordinal      int
	uid          string
	start        time.Time      // first instance, in its zone
	loc          *time.Location // zone of DTSTART: recurrence follows its wall clock
	allDay       bool
	length       durValue
	status       freebusy.Status
	recurring    bool
	override     bool
	recurrenceID time.Time
}

func (d *calDecoder) decode(comps []*goical.Component) {
	evs := make([]*vevent, 0, len(comps))
	overridden := map[string]map[int64]bool{}
	masters := map[string]bool{}
	for i, c := range comps {
		d.rep.Events++
		ev, err := d.parse(c, i)
		if err != nil {
			d.problem(err)
			continue
		}
		if ev.override {
			d.rep.Overrides++
			m := overridden[ev.uid]
			if m == nil {
				m = map[int64]bool{}
				overridden[ev.uid] = m
			}
			m[ev.recurrenceID.Unix()] = true
		} else {
			masters[ev.uid] = true
		}
		if !d.classify(ev) {
			continue
		}
		evs = append(evs, ev)
	}
	for _, ev := range evs {
		switch {
		case ev.override:
			if !masters[ev.uid] {
				d.rep.OrphanOverrides++
			}
			d.emit(ev.instance(ev.start))
		case ev.recurring:
			if err := d.expand(ev, overridden[ev.uid]); err != nil {
				d.problem(err)
			}
		default:
			d.emit(ev.instance(ev.start))
		}
	}
}

// instance returns the span and status of the instance of ev that starts
// at t, for emit.
func (ev *vevent) instance(t time.Time) (time.Time, time.Time, freebusy.Status) {
	if ev.wholeDays() {
		// An all-day instance starts at the start of its day. Where DST
		// skips midnight, time.Date (here and in the recurrence library)
		// puts "midnight" an hour before, on the previous day.
		y, m, d := t.Add(12 * time.Hour).Date()
		t = freebusy.StartOfDay(y, m, d, t.Location())
	}
	return t, ev.end(t), ev.status
}

// end returns the end of the instance of ev that starts at t: whole days
// end at the start of a later day (not 24 hours later, and not at a
// wall-clock time that a DST change skipped); other events last their
// duration.
func (ev *vevent) end(t time.Time) time.Time {
	if ev.wholeDays() {
		y, m, d := t.Add(12 * time.Hour).Date()
		return freebusy.StartOfDay(y, m, d+ev.length.days, t.Location())
	}
	return ev.length.addTo(t)
}

// wholeDays reports whether ev is an all-day event lasting whole days.
func (ev *vevent) wholeDays() bool {
	return ev.allDay && ev.length.exact == 0 && ev.length.days > 0
}

// problem counts an invalid component and keeps the first few errors.
func (d *calDecoder) problem(err error) {
	d.rep.Invalid++
	if len(d.rep.Problems) < maxReportedProblems {
		d.rep.Problems = append(d.rep.Problems, err)
	}
}

// fail builds the *ParseError for property prop of the ordinal-th VEVENT.
func (d *calDecoder) fail(ordinal int, prop, input string, cause error) error {
	return &freebusy.ParseError{Kind: "VEVENT " + prop, Input: input, Line: componentLine(d.data, goical.CompEvent, ordinal, prop, 0), Err: cause}
}

var (
	errNoDTStart   = errors.New("VEVENT has no DTSTART")
	errBadTime     = errors.New("malformed DATE or DATE-TIME")
	errRecurrence  = errors.New("recurrence rule cannot be expanded")
	errBadStatus   = errors.New("Classify returned an undeclared status")
	errRRulePanics = errors.New("the recurrence library failed on this rule")
)

// parse reads one VEVENT's times and generic status.
func (d *calDecoder) parse(c *goical.Component, ordinal int) (*vevent, error) {
	ev := &vevent{comp: c, ordinal: ordinal}
	if p := firstProp(c.Props, goical.PropUID); p != nil {
		ev.uid = p.Value
	}
	dtstart := firstProp(c.Props, goical.PropDateTimeStart)
	if dtstart == nil {
		return nil, d.fail(ordinal, "", ev.uid, errNoDTStart)
	}
	start, isDate, loc, err := d.timeValue(dtstart, dtstart.Value)
	if err != nil {
		return nil, d.fail(ordinal, goical.PropDateTimeStart, dtstart.Value, err)
	}
	ev.start, ev.allDay, ev.loc = start, isDate, loc
	switch {
	case firstProp(c.Props, goical.PropDateTimeEnd) != nil:
		p := firstProp(c.Props, goical.PropDateTimeEnd)
		end, endIsDate, _, err := d.timeValue(p, p.Value)
		if err != nil {
			return nil, d.fail(ordinal, goical.PropDateTimeEnd, p.Value, err)
		}
		if isDate && endIsDate {
			// Whole days: nominal, so that every instance ends at
			// midnight whatever the DST changes in between.
			ev.length.days = int(dateOnly(end).Sub(dateOnly(start)) / (24 * time.Hour))
		} else {
			ev.length.exact = end.Sub(start)
		}
	case firstProp(c.Props, goical.PropDuration) != nil:
		p := firstProp(c.Props, goical.PropDuration)
		dur, err := parseDuration(strings.ToUpper(p.Value))
		if err != nil {
			return nil, d.fail(ordinal, goical.PropDuration, p.Value, err)
		}
		ev.length = dur
	case isDate:
		ev.length.days = 1
	}
	ev.status = genericStatus(c.Props)
	ev.recurring = len(c.Props[goical.PropRecurrenceRule]) > 0 || len(c.Props[goical.PropRecurrenceDates]) > 0
	if p := firstProp(c.Props, goical.PropRecurrenceID); p != nil {
		rid, _, _, err := d.timeValue(p, p.Value)
		if err != nil {
			return nil, d.fail(ordinal, goical.PropRecurrenceID, p.Value, err)
		}
		ev.override, ev.recurring, ev.recurrenceID = true, false, rid
	}
	return ev, nil
}

// dateOnly returns t's date at midnight UTC, for counting whole days.
func dateOnly(t time.Time) time.Time {
	y, m, day := t.Date()
	return time.Date(y, m, day, 0, 0, 0, 0, time.UTC)
}

// classify applies CalendarOptions.Classify, reporting whether to keep ev.
func (d *calDecoder) classify(ev *vevent) bool {
	if d.opt.Classify == nil {
		return true
	}
	props := make(map[string]string, len(ev.comp.Props))
	for name, l := range ev.comp.Props {
		if len(l) > 0 {
			props[name] = l[0].Value
		}
	}
	ce := &CalendarEvent{
		UID:       ev.uid,
		Start:     ev.start.UTC(),
		End:       ev.end(ev.start).UTC(),
		AllDay:    ev.allDay,
		Status:    ev.status,
		Props:     props,
		Recurring: ev.recurring,
	}
	if ev.override {
		ce.RecurrenceID = ev.recurrenceID.UTC()
	}
	st, keep := d.opt.Classify(ce)
	if !keep {
		d.rep.Skipped++
		return false
	}
	if !st.Valid() {
		d.problem(d.fail(ev.ordinal, "", ev.uid, errBadStatus))
		return false
	}
	ev.status = st
	return true
}

// genericStatus applies the rules listed on DecodeCalendar.
func genericStatus(props goical.Props) freebusy.Status {
	for _, name := range [...]string{propCDOBusyStatus, propMSNBusyStatus} {
		if p := firstProp(props, name); p != nil {
			switch strings.ToUpper(strings.TrimSpace(p.Value)) {
			case "FREE":
				return freebusy.Free
			case "TENTATIVE":
				return freebusy.Tentative
			case "BUSY":
				return freebusy.Busy
			case "OOF", "OUTOFOFFICE":
				return freebusy.OutOfOffice
			case "WORKINGELSEWHERE":
				return freebusy.WorkingElsewhere
			}
		}
	}
	status, transp := "", ""
	if p := firstProp(props, goical.PropStatus); p != nil {
		status = strings.ToUpper(strings.TrimSpace(p.Value))
	}
	if p := firstProp(props, goical.PropTransparency); p != nil {
		transp = strings.ToUpper(strings.TrimSpace(p.Value))
	}
	switch {
	case status == "CANCELLED":
		return freebusy.Free
	case transp == "TRANSPARENT":
		return freebusy.Free
	case status == "TENTATIVE":
		return freebusy.Tentative
	}
	return freebusy.Busy
}

// timeValue reads one DATE or DATE-TIME value of property p (p's value or
// one element of a list): a DATE in the owner's zone, a UTC DATE-TIME, or a
// local one in p's TZID or, floating, in the owner's zone. It returns the
// zone the value's wall clock belongs to.
func (d *calDecoder) timeValue(p *goical.Prop, v string) (t time.Time, isDate bool, loc *time.Location, err error) {
	v = strings.TrimSpace(v)
	vt := firstParam(p.Params, goical.ParamValue)
	if strings.EqualFold(vt, "DATE") || vt == "" && len(v) == 8 {
		f, ok := parseDateFields(v)
		if !ok {
			return t, false, nil, errBadTime
		}
		return freebusy.StartOfDay(f.year, time.Month(f.month), f.day, d.owner), true, d.owner, nil
	}
	if t, ok := parseUTCDateTime(v); ok {
		return t, false, time.UTC, nil
	}
	f, ok := parseDateTimeFields(v)
	if !ok {
		return t, false, nil, errBadTime
	}
	loc = d.owner
	if tzid := firstParam(p.Params, goical.ParamTimezoneID); tzid != "" {
		loc = d.zones.location(tzid)
	}
	return f.in(loc), false, loc, nil
}

// emit adds one instance if it lies in the window. Empty and inverted
// instances that start in the window are kept for Normalize to count.
func (d *calDecoder) emit(start, end time.Time, st freebusy.Status) {
	overlaps := start.Before(d.end) && end.After(d.start)
	degenerate := !end.After(start) && !start.Before(d.start) && start.Before(d.end)
	if !overlaps && !degenerate {
		return
	}
	d.rep.Occurrences++
	if st == freebusy.Free {
		d.rep.Free++
		return
	}
	d.ivs = append(d.ivs, freebusy.Interval{Start: start.UTC(), End: end.UTC(), Status: st})
}

// expand emits the instances of a recurring event inside the window,
// skipping excluded instances and those an override replaces.
func (d *calDecoder) expand(ev *vevent, overridden map[int64]bool) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = d.fail(ev.ordinal, goical.PropRecurrenceRule, ev.uid, fmt.Errorf("%w: %v", errRRulePanics, r))
		}
	}()
	var ruleNext func() (time.Time, bool)
	if p := firstProp(ev.comp.Props, goical.PropRecurrenceRule); p != nil {
		next, supported, err := d.rule(ev, p.Value)
		if err != nil {
			return d.fail(ev.ordinal, goical.PropRecurrenceRule, p.Value, err)
		}
		if supported {
			ruleNext = next
		} else {
			d.rep.UnsupportedRecurrences++
		}
	}
	// DTSTART is always the first instance (RFC 5545 §3.8.5.3), even when
	// the rule does not match it; duplicates are dropped below.
	rdates := []time.Time{ev.start}
	for _, p := range ev.comp.Props[goical.PropRecurrenceDates] {
		for v := range strings.SplitSeq(p.Value, ",") {
			if i := strings.IndexByte(v, '/'); i >= 0 { // VALUE=PERIOD: its start
				v = v[:i]
			}
			t, _, _, err := d.timeValue(&goical.Prop{Name: p.Name, Params: withoutPeriodValue(p.Params)}, v)
			if err != nil {
				return d.fail(ev.ordinal, goical.PropRecurrenceDates, p.Value, err)
			}
			rdates = append(rdates, t)
		}
	}
	sort.Slice(rdates, func(i, j int) bool { return rdates[i].Before(rdates[j]) })
	type day struct {
		y int
		m time.Month
		d int
	}
	var exAt map[int64]bool
	var exDays map[day]bool
	for _, p := range ev.comp.Props[goical.PropExceptionDates] {
		for v := range strings.SplitSeq(p.Value, ",") {
			t, isDate, _, err := d.timeValue(&p, v)
			if err != nil {
				return d.fail(ev.ordinal, goical.PropExceptionDates, p.Value, err)
			}
			if isDate && !ev.allDay {
				// A date excludes the instance on that day.
				if exDays == nil {
					exDays = map[day]bool{}
				}
				y, m, dd := t.Date()
				exDays[day{y, m, dd}] = true
				continue
			}
			if exAt == nil {
				exAt = map[int64]bool{}
			}
			exAt[t.Unix()] = true
		}
	}
	// Merge the rule's instances with the RDATEs, both in order.
	pending, havePending := time.Time{}, false
	fetch := func() {
		if ruleNext != nil {
			pending, havePending = ruleNext()
		}
	}
	fetch()
	var last time.Time
	skipped := 0 // instances before the window
	for n, ri := 0, 0; ; {
		var t time.Time
		switch {
		case havePending && (ri >= len(rdates) || !rdates[ri].Before(pending)):
			t = pending
			fetch()
		case ri < len(rdates):
			t = rdates[ri]
			ri++
		default:
			return nil
		}
		if ev.wholeDays() {
			t, _, _ = ev.instance(t) // the day's start, where DST skips midnight too
		}
		if (n > 0 || skipped > 0) && t.Equal(last) {
			continue
		}
		last = t
		if !t.Before(d.end) {
			return nil
		}
		if !ev.end(t).After(d.start) {
			if skipped++; skipped > d.maxOcc*preWindowFactor {
				d.rep.Truncated++
				d.emit(d.start, d.end, freebusy.Unknown) // never reached the window
				return nil
			}
		} else {
			if n >= d.maxOcc {
				d.rep.Truncated++
				// What the cap cut off, from this instance or the
				// window's start, is not known to be free.
				from := t
				if from.Before(d.start) {
					from = d.start
				}
				d.emit(from, d.end, freebusy.Unknown)
				return nil
			}
			n++
		}
		if exAt[t.Unix()] || overridden[t.Unix()] {
			continue
		}
		if exDays != nil {
			y, m, dd := t.In(d.owner).Date()
			if exDays[day{y, m, dd}] {
				continue
			}
		}
		d.emit(ev.instance(t))
	}
}

// withoutPeriodValue drops VALUE=PERIOD so that the start of an RDATE
// period reads as a DATE-TIME.
func withoutPeriodValue(p goical.Params) goical.Params {
	if !strings.EqualFold(firstParam(p, goical.ParamValue), "PERIOD") {
		return p
	}
	q := make(goical.Params, len(p))
	for k, v := range p {
		if k != goical.ParamValue {
			q[k] = v
		}
	}
	return q
}

// rule returns the iterator of ev's RRULE, in ev's zone. It reports
// supported=false for sub-daily frequencies (see
// CalendarReport.UnsupportedRecurrences).
func (d *calDecoder) rule(ev *vevent, value string) (next func() (time.Time, bool), supported bool, err error) {
	info, err := parseRule(value)
	if err != nil {
		return nil, false, err
	}
	switch info.freq {
	case "YEARLY", "MONTHLY", "WEEKLY", "DAILY":
	case "HOURLY", "MINUTELY", "SECONDLY":
		return nil, false, nil
	default:
		return nil, false, fmt.Errorf("%w: FREQ=%q", errRecurrence, info.freq)
	}
	if info.until != "" {
		// UNTIL as go-ical reads it is UTC or nothing: convert ours.
		until, err := d.untilValue(info.until, ev)
		if err != nil {
			return nil, false, err
		}
		info.set("UNTIL", string(appendUTCDateTime(nil, until)))
	}
	if info.impossible(ev.start) {
		return nil, false, fmt.Errorf("%w: the rule matches no date", errRecurrence)
	}
	next, err = ruleIterator(info.String(), ev.start)
	if err != nil {
		return nil, false, err
	}
	return next, true, nil
}

// untilValue reads an RRULE UNTIL (RFC 5545 §3.3.10): UTC, floating in the
// event's zone, or a date, which includes the whole day for a timed event.
func (d *calDecoder) untilValue(v string, ev *vevent) (time.Time, error) {
	if t, ok := parseUTCDateTime(v); ok {
		return t, nil
	}
	if f, ok := parseDateTimeFields(v); ok {
		return f.in(ev.loc), nil
	}
	f, ok := parseDateFields(v)
	if !ok {
		return time.Time{}, fmt.Errorf("%w: UNTIL=%q", errRecurrence, v)
	}
	t := f.in(ev.loc)
	if !ev.allDay {
		t = t.AddDate(0, 0, 1).Add(-time.Second)
	}
	return t, nil
}

// ruleIterator expands rule from start with go-ical: start's wall clock in
// start's zone is DTSTART, so instances follow that zone's DST changes.
func ruleIterator(rule string, start time.Time) (next func() (time.Time, bool), err error) {
	defer func() {
		if r := recover(); r != nil {
			next, err = nil, fmt.Errorf("%w: %v", errRRulePanics, r)
		}
	}()
	if y := start.Year(); y < 0 || y > 9999 {
		return nil, fmt.Errorf("%w: DTSTART year %d", errRecurrence, y)
	}
	comp := goical.NewComponent(goical.CompEvent)
	comp.Props.Set(&goical.Prop{Name: goical.PropDateTimeStart, Params: goical.Params{}, Value: start.Format("20060102T150405")})
	comp.Props.Set(&goical.Prop{Name: goical.PropRecurrenceRule, Params: goical.Params{}, Value: rule})
	set, err := comp.RecurrenceSet(start.Location())
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errRecurrence, err)
	}
	if set == nil {
		return nil, errRecurrence
	}
	it := set.Iterator()
	return func() (t time.Time, ok bool) {
		defer func() {
			if r := recover(); r != nil {
				t, ok = time.Time{}, false
			}
		}()
		return it()
	}, nil
}

// ruleInfo is an RRULE value (RFC 5545 §3.3.10) split into its parts, with
// the few calbridge reads itself.
type ruleInfo struct {
	parts    [][2]string // name, value; names upper-case
	freq     string
	until    string
	interval int
	hasCount bool
	hasBy    bool
}

func parseRule(value string) (*ruleInfo, error) {
	info := &ruleInfo{interval: 1}
	for part := range strings.SplitSeq(strings.ToUpper(strings.TrimSpace(value)), ";") {
		name, v, ok := strings.Cut(part, "=")
		if !ok || name == "" || v == "" {
			return nil, fmt.Errorf("%w: part %q", errRecurrence, part)
		}
		info.parts = append(info.parts, [2]string{name, v})
		switch {
		case name == "FREQ":
			info.freq = v
		case name == "UNTIL":
			info.until = v
		case name == "COUNT":
			info.hasCount = true
		case name == "INTERVAL":
			n, ok := atoiFixed(v)
			if !ok || n > 1_000_000 {
				return nil, fmt.Errorf("%w: INTERVAL=%q", errRecurrence, v)
			}
			info.interval = max(n, 1)
		case strings.HasPrefix(name, "BY"):
			info.hasBy = true
		}
	}
	return info, nil
}

// set replaces (or adds) a part.
func (r *ruleInfo) set(name, value string) {
	for i := range r.parts {
		if r.parts[i][0] == name {
			r.parts[i][1] = value
			return
		}
	}
	r.parts = append(r.parts, [2]string{name, value})
}

// String writes the rule back, without the parts listed in drop.
func (r *ruleInfo) String(drop ...string) string {
	var b strings.Builder
	for _, p := range r.parts {
		if slices.Contains(drop, p[0]) {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(';')
		}
		b.WriteString(p[0])
		b.WriteByte('=')
		b.WriteString(p[1])
	}
	return b.String()
}

// impossible spots rules that match no date at all, on which rrule-go would
// iterate to the year 9999 before giving up (about a quarter of a second for
// a daily rule; hostile input could hold many). It probes the rule from the
// last 400-year Gregorian cycle before 9999: the calendar repeats every 400
// years, so a rule that matches nothing there matches nothing anywhere. The
// shift keeps INTERVAL aligned; when it cannot, the probe is skipped.
func (r *ruleInfo) impossible(start time.Time) bool {
	if !r.hasBy {
		return false // plain rules match every period
	}
	// Periods of each frequency in 400 years: years, months, weeks, days.
	var perCycle int
	switch r.freq {
	case "YEARLY":
		perCycle = 400
	case "MONTHLY":
		perCycle = 4800
	case "WEEKLY":
		perCycle = 20871
	case "DAILY":
		perCycle = 146097
	default:
		return false
	}
	step := r.interval / gcd(perCycle, r.interval) // cycles per aligned shift
	cycles := (9999 - 400 - start.Year()) / 400
	cycles -= cycles % step
	if cycles <= 0 {
		return false
	}
	next, err := ruleIterator(r.String("COUNT", "UNTIL"), start.AddDate(400*cycles, 0, 0))
	if err != nil {
		return false // the real expansion reports it
	}
	_, ok := next()
	return !ok
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}
