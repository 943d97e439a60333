package ical

import (
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/calbridge/calbridge/freebusy"

	goical "github.com/emersion/go-ical"
)

// Decoding ordinary calendars (VEVENT, RFC 5545 §3.6.1) into busy time.
// Recurrence sets are built in recur.go; each RRULE is expanded by
// go-ical's Component.RecurrenceSet (on top of teambition/rrule-go), handed
// DTSTART as a floating time in the zone calbridge resolved and UNTIL in
// UTC; RDATE, EXDATE, EXRULE and overrides are applied here, because
// go-ical reads EXDATE twice, ignores RDATE and resolves TZID only through
// time.LoadLocation.

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
	// decades before the window still reaches it (DAILY, WEEKLY and
	// sub-daily rules without COUNT start near the window and skip almost
	// none). Both bound the work
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
	// UnsupportedRecurrences counts RRULEs that could not be expanded at
	// all (FREQ missing or unknown): the event's time from DTSTART to the
	// end of the window (or to UNTIL) is Unknown for them. Every frequency
	// of RFC 5545 §3.3.10, HOURLY to YEARLY, is expanded.
	UnsupportedRecurrences int
	// Degraded counts components kept in part: a property that could not
	// be read was dropped and what it described read as Unknown (see the
	// package doc, "What cannot be read"). Problems says which and why.
	Degraded int
	// ZoneFallbacks counts date-times whose TZID could not be resolved and
	// were read in CalendarOptions.Location; UnknownZones lists those TZIDs
	// (the first few, each once).
	ZoneFallbacks int
	UnknownZones  []string
	// ZoneRecoveries counts date-times read in a zone recovered from a
	// broken definition: a VTIMEZONE whose observance DTSTART is a DATE
	// (read as midnight), or a TZID of the form UTC±hh[:mm] or GMT±hh
	// (a fixed offset) whose VTIMEZONE is missing or unusable.
	// RecoveredZones lists those TZIDs (the first few, each once).
	ZoneRecoveries int
	RecoveredZones []string
	// Problems holds the first few problems behind Invalid and Degraded,
	// as *freebusy.ParseError with the line of the component or property;
	// the cause says what was dropped and how the rest was read.
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
// Recurrence is the recurrence set of RFC 5545 §3.8.5: every RRULE and
// RDATE (DATE, DATE-TIME, PERIOD with its own end), minus every EXDATE and
// EXRULE, with RECURRENCE-ID components replacing the instance they name
// and, with RANGE=THISANDFUTURE, moving and changing every later instance
// as they moved and changed theirs (§3.8.4.4). DTSTART is always an
// instance; when it does not match its RRULE (RFC 5545 leaves that
// undefined) it comes in addition to the COUNT instances of the rule.
//
// Errors: a *freebusy.QueryError when the window is empty, a
// *freebusy.ParseError (matching freebusy.ErrInvalid) when the input is not
// iCalendar, and read errors from r.
// Bad components do not fail the call: they are counted in the report,
// and a component with one bad property keeps what can still be read.
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
	comp          *goical.Component
	ordinal       int
	uid           string
	start         time.Time      // first instance, in its zone
	loc           *time.Location // zone of DTSTART: recurrence follows its wall clock
	allDay        bool
	length        durValue
	status        freebusy.Status
	recurring     bool // RRULE or RDATE on a component that is not an override
	hasRecurrence bool // RRULE or RDATE, override or not
	override      bool
	future        bool // RECURRENCE-ID;RANGE=THISANDFUTURE
	recurrenceID  time.Time
	lengthUnknown bool // DTEND or DURATION could not be read
	degraded      bool // counted in CalendarReport.Degraded
}

func (d *calDecoder) decode(comps []*goical.Component) {
	evs := make([]*vevent, 0, len(comps))
	ovs := map[string]*overrides{}
	masters := map[string]bool{}
	for i, c := range comps {
		d.rep.Events++
		ev, err := d.parse(c, i)
		if err != nil {
			d.problem(err)
			continue
		}
		if !ev.override {
			masters[ev.uid] = true
			if d.classify(ev) {
				evs = append(evs, ev)
			}
			continue
		}
		d.rep.Overrides++
		o := ovs[ev.uid]
		if o == nil {
			o = &overrides{replaced: map[int64]bool{}}
			ovs[ev.uid] = o
		}
		o.replaced[ev.recurrenceID.Unix()] = true
		keep := d.classify(ev)
		if ev.future {
			f := futureOverride{rid: ev.recurrenceID}
			if keep {
				f.ev = ev
			}
			o.future = append(o.future, f)
		}
		if keep {
			evs = append(evs, ev)
		}
	}
	for _, o := range ovs {
		sort.SliceStable(o.future, func(i, j int) bool { return o.future[i].rid.Before(o.future[j].rid) })
	}
	for _, ev := range evs {
		switch {
		case ev.override:
			if !masters[ev.uid] {
				d.rep.OrphanOverrides++
				if ev.hasRecurrence {
					// No master to override: the component's own
					// recurrence set is all there is (RFC 5545 §3.8.5).
					d.expand(ev, nil)
					continue
				}
			}
			d.emit(ev.instance(ev.start))
		case ev.recurring:
			d.expand(ev, ovs[ev.uid])
		default:
			d.emit(ev.instance(ev.start))
		}
	}
}

// instance returns the span and status of the instance of ev that starts
// at t, for emit.
func (ev *vevent) instance(t time.Time) (time.Time, time.Time, freebusy.Status) {
	if ev.lengthUnknown {
		st := ev.status
		if st != freebusy.Free {
			st = freebusy.Unknown
		}
		return t, ev.end(t), st
	}
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
	if ev.lengthUnknown {
		// Taken from its start, for how long is not known: to the end
		// of its day, read as Unknown (see instance).
		y, m, d := t.Date()
		return freebusy.StartOfDay(y, m, d+1, t.Location())
	}
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

// degrade reports a property of a component that could not be read and
// was dropped, the rest of the component being kept.
func (d *calDecoder) degrade(ev *vevent, prop, input string, cause error) {
	if !ev.degraded {
		ev.degraded = true
		d.rep.Degraded++
	}
	if len(d.rep.Problems) < maxReportedProblems {
		d.rep.Problems = append(d.rep.Problems, d.fail(ev.ordinal, prop, input, cause))
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
	badLength := func(prop, value string, err error) {
		// The start is known, the end is not: see vevent.end.
		ev.length, ev.lengthUnknown = durValue{}, true
		d.degrade(ev, prop, value, fmt.Errorf("%w; each instance is Unknown from its start to the end of its day", err))
	}
	switch {
	case firstProp(c.Props, goical.PropDateTimeEnd) != nil:
		p := firstProp(c.Props, goical.PropDateTimeEnd)
		end, endIsDate, _, err := d.timeValue(p, p.Value)
		switch {
		case err != nil:
			badLength(goical.PropDateTimeEnd, p.Value, err)
		case isDate && endIsDate:
			// Whole days: nominal, so that every instance ends at
			// midnight whatever the DST changes in between.
			ev.length.days = int(dateOnly(end).Sub(dateOnly(start)) / (24 * time.Hour))
		default:
			ev.length.exact = end.Sub(start)
		}
	case firstProp(c.Props, goical.PropDuration) != nil:
		p := firstProp(c.Props, goical.PropDuration)
		dur, err := parseDuration(strings.ToUpper(p.Value))
		if err != nil {
			badLength(goical.PropDuration, p.Value, err)
		} else {
			ev.length = dur
		}
	case isDate:
		ev.length.days = 1
	}
	ev.status = genericStatus(c.Props)
	ev.hasRecurrence = len(c.Props[goical.PropRecurrenceRule]) > 0 || len(c.Props[goical.PropRecurrenceDates]) > 0
	ev.recurring = ev.hasRecurrence
	if p := firstProp(c.Props, goical.PropRecurrenceID); p != nil {
		rid, _, _, err := d.timeValue(p, p.Value)
		if err != nil {
			// Which instance it replaces is not known: it is read as an
			// event of its own, and the master keeps all its instances
			// (both busy rather than one wrongly free).
			d.degrade(ev, goical.PropRecurrenceID, p.Value, fmt.Errorf("%w; read as a separate event", err))
		} else {
			ev.override, ev.recurring, ev.recurrenceID = true, false, rid
			ev.future = strings.EqualFold(firstParam(p.Params, "RANGE"), "THISANDFUTURE")
		}
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
