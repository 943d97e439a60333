package ical

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/calbridge/calbridge/freebusy"

	goical "github.com/emersion/go-ical"
)

// Recurrence sets (RFC 5545 §3.8.5). The set of an event is DTSTART, the
// instances of every RRULE and every RDATE (DATE, DATE-TIME or PERIOD),
// minus every EXDATE and the instances of every EXRULE (RFC 2445
// §4.8.5.2; RFC 5545 deprecates EXRULE but producers still write it).
// RECURRENCE-ID components then replace the instance they name, and with
// RANGE=THISANDFUTURE change every later instance too (§3.8.4.4).
//
// Each RRULE is expanded by teambition/rrule-go through go-ical, which
// implements every frequency, BYSETPOS and WKST as python-dateutil does;
// calbridge reads the rule itself first, so that a part it cannot read is
// dropped (and the rule's instances become Unknown) instead of failing the
// event, and guards the two cases where rrule-go would loop: a sub-daily
// rule whose BYHOUR/BYMINUTE/BYSECOND its INTERVAL never reaches, and a
// rule that matches no date at all.

// propExceptionRule is RFC 2445's EXRULE, which go-ical does not name.
const propExceptionRule = "EXRULE"

// rdate is one RDATE value: an instance start, and the end of a PERIOD.
type rdate struct {
	t   time.Time
	end time.Time // zero: the event's own length
}

// ruleStream is one RRULE or EXRULE being expanded, one instance ahead.
type ruleStream struct {
	next      func() (time.Time, bool)
	pending   time.Time
	ok        bool
	uncertain bool // a part of the rule could not be read: instances are Unknown
}

func (r *ruleStream) advance(ev *vevent) {
	r.pending, r.ok = r.next()
	if r.ok && ev.wholeDays() {
		r.pending, _, _ = ev.instance(r.pending) // the day's start
	}
}

// overrides are the RECURRENCE-ID components of one UID.
type overrides struct {
	replaced map[int64]bool   // original instants replaced by an override
	future   []futureOverride // RANGE=THISANDFUTURE, by rid
}

// futureOverride is a RECURRENCE-ID;RANGE=THISANDFUTURE component.
type futureOverride struct {
	rid time.Time
	ev  *vevent // nil when Classify skipped it: the later instances are skipped too
}

// exclusions are the EXDATEs and EXRULEs of an event.
type exclusions struct {
	budget   int // EXRULE instances that may still be generated
	at       map[int64]bool
	days     map[civilDay]bool // EXDATE;VALUE=DATE on a timed event
	unknown  map[civilDay]bool // EXDATE whose date is readable, time not
	rules    []*ruleStream
	hasRules bool
}

type civilDay struct {
	y int
	m time.Month
	d int
}

func dayOf(t time.Time) civilDay {
	y, m, d := t.Date()
	return civilDay{y, m, d}
}

// expand emits the instances of a recurring event inside the window. What
// it cannot read it reports, and it keeps the rest (see the package doc,
// "What cannot be read").
func (d *calDecoder) expand(ev *vevent, ovs *overrides) {
	defer func() {
		if r := recover(); r != nil {
			d.degrade(ev, goical.PropRecurrenceRule, ev.uid, fmt.Errorf("%w: %v", errRRulePanics, r))
			d.emit(ev.instance(ev.start))
		}
	}()
	// How far an instance can reach past its start, and how far a
	// THISANDFUTURE override can move it: the rules start this far before
	// the window.
	span := ev.end(ev.start).Sub(ev.start)
	minShift, maxReach := time.Duration(0), max(span, 0)
	if ovs != nil {
		for _, o := range ovs.future {
			if o.ev == nil {
				continue
			}
			shift := o.ev.start.Sub(o.rid)
			minShift = min(minShift, shift)
			maxReach = max(maxReach, shift+o.ev.end(o.ev.start).Sub(o.ev.start))
		}
	}
	from := d.start.Add(-maxReach - 48*time.Hour)

	var rules []*ruleStream
	for _, p := range ev.comp.Props[goical.PropRecurrenceRule] {
		if rs := d.ruleStream(ev, &p, from, false); rs != nil {
			rules = append(rules, rs)
		}
	}
	// Work bound: every candidate instance, duplicates included (an
	// all-day event with a sub-daily rule yields many per day), and every
	// EXRULE instance generated.
	budget := 2 * d.maxOcc * (preWindowFactor + 1)
	ex := d.exclusions(ev, from)
	ex.budget = budget
	// DTSTART is always the first instance (RFC 5545 §3.8.5.3), even when
	// no rule matches it; duplicates are dropped below.
	rdates := append([]rdate{{t: ev.start}}, d.rdates(ev)...)
	sort.SliceStable(rdates, func(i, j int) bool { return rdates[i].t.Before(rdates[j].t) })

	var lastT, lastEnd time.Time
	fut := 0 // future overrides with rid before the instance
	skipped, n, ri := 0, 0, 0
	for emitted := false; ; emitted = true {
		best := -1
		for i, r := range rules {
			if !r.ok {
				continue
			}
			if best < 0 || r.pending.Before(rules[best].pending) ||
				r.pending.Equal(rules[best].pending) && rules[best].uncertain && !r.uncertain {
				best = i
			}
		}
		var t, pend time.Time
		uncertain := false
		switch {
		case ri < len(rdates) && (best < 0 || !rules[best].pending.Before(rdates[ri].t)):
			t, pend = rdates[ri].t, rdates[ri].end
			ri++
			if pend.IsZero() && ev.wholeDays() {
				t, _, _ = ev.instance(t)
			}
		case best >= 0:
			t, uncertain = rules[best].pending, rules[best].uncertain
			rules[best].advance(ev)
		default:
			return
		}
		if !t.Add(minShift).Before(d.end) {
			return
		}
		if budget--; budget < 0 {
			d.rep.Truncated++
			d.emit(maxTime(t, d.start), d.end, freebusy.Unknown)
			return
		}
		if emitted && t.Equal(lastT) && pend.Equal(lastEnd) {
			continue
		}
		lastT, lastEnd = t, pend
		// Place the instance: its own span, or a THISANDFUTURE override's.
		s, e, st := ev.instance(t)
		if !pend.IsZero() {
			e = pend
		}
		if ovs != nil {
			for fut < len(ovs.future) && ovs.future[fut].rid.Before(t) {
				fut++
			}
		}
		skip := false
		if fut > 0 {
			o := ovs.future[fut-1]
			if o.ev == nil {
				skip = true
			} else {
				s, e, st = o.ev.instance(t.Add(o.ev.start.Sub(o.rid)))
			}
		}
		if uncertain && st != freebusy.Free {
			st = freebusy.Unknown
		}
		if !e.After(d.start) {
			if skipped++; skipped > d.maxOcc*preWindowFactor {
				d.rep.Truncated++
				d.emit(d.start, d.end, freebusy.Unknown) // never reached the window
				return
			}
		} else {
			if n >= d.maxOcc {
				d.rep.Truncated++
				// What the cap cut off, from this instance or the
				// window's start, is not known to be free.
				d.emit(maxTime(s, d.start), d.end, freebusy.Unknown)
				return
			}
			n++
		}
		if skip || ovs != nil && ovs.replaced[t.Unix()] {
			continue
		}
		switch ex.test(ev, t, d.owner) {
		case excluded:
			continue
		case maybeExcluded:
			if st != freebusy.Free {
				st = freebusy.Unknown
			}
		}
		d.emit(s, e, st)
	}
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

type exclusion int

const (
	included exclusion = iota
	excluded
	maybeExcluded // an EXDATE or EXRULE that could not be read in full
)

// test reports whether the instance at t is excluded. EXRULE streams are
// advanced, so t must not decrease between calls.
func (x *exclusions) test(ev *vevent, t time.Time, owner *time.Location) exclusion {
	if x.at[t.Unix()] {
		return excluded
	}
	res := included
	if x.days != nil || x.unknown != nil {
		day := dayOf(t.In(owner))
		if x.days[day] {
			return excluded
		}
		if x.unknown[day] {
			res = maybeExcluded
		}
	}
	for _, r := range x.rules {
		for r.ok && r.pending.Before(t) {
			if x.budget--; x.budget < 0 {
				// A dense EXRULE against a sparse series: past this
				// much work whether it excludes t is not known.
				return maybeExcluded
			}
			r.advance(ev)
		}
		if r.ok && r.pending.Equal(t) {
			if !r.uncertain {
				return excluded
			}
			res = maybeExcluded
		}
	}
	return res
}

// exclusions reads an event's EXDATEs and EXRULEs. An EXDATE whose date is
// readable and time is not makes that day's instances Unknown; one that
// cannot be read at all is dropped, so its instance stays with its status
// (busy rather than a free reading that may be wrong).
func (d *calDecoder) exclusions(ev *vevent, from time.Time) *exclusions {
	x := &exclusions{}
	for _, p := range ev.comp.Props[goical.PropExceptionDates] {
		for v := range strings.SplitSeq(p.Value, ",") {
			t, isDate, _, err := d.timeValue(&p, v)
			if err != nil {
				if day, ok := dateOfBadValue(v); ok {
					if x.unknown == nil {
						x.unknown = map[civilDay]bool{}
					}
					x.unknown[day] = true
					d.degrade(ev, goical.PropExceptionDates, p.Value, fmt.Errorf("%w; the instances that day are Unknown", err))
				} else {
					d.degrade(ev, goical.PropExceptionDates, p.Value, fmt.Errorf("%w; the value is ignored", err))
				}
				continue
			}
			if isDate && !ev.allDay {
				// A date excludes the instance on that day.
				if x.days == nil {
					x.days = map[civilDay]bool{}
				}
				x.days[dayOf(t)] = true
				continue
			}
			if x.at == nil {
				x.at = map[int64]bool{}
			}
			x.at[t.Unix()] = true
		}
	}
	for _, p := range ev.comp.Props[propExceptionRule] {
		if rs := d.ruleStream(ev, &p, from, true); rs != nil {
			x.rules = append(x.rules, rs)
		}
	}
	return x
}

// dateOfBadValue returns the date at the start of a DATE or DATE-TIME value
// that did not parse as a whole ("20260305T25000").
func dateOfBadValue(v string) (civilDay, bool) {
	v = strings.TrimSpace(v)
	if len(v) < 8 {
		return civilDay{}, false
	}
	f, ok := parseDateFields(v[:8])
	if !ok {
		return civilDay{}, false
	}
	return civilDay{f.year, time.Month(f.month), f.day}, true
}

// rdates reads an event's RDATEs: DATE, DATE-TIME and PERIOD (RFC 5545
// §3.8.5.2), a PERIOD with its own end or duration. A value that cannot be
// read is time the event takes but that cannot be placed: Unknown over its
// day when its date is readable, else from DTSTART to the window's end.
func (d *calDecoder) rdates(ev *vevent) []rdate {
	var out []rdate
	for _, p := range ev.comp.Props[goical.PropRecurrenceDates] {
		params := withoutPeriodValue(p.Params)
		for v := range strings.SplitSeq(p.Value, ",") {
			startV, endV, isPeriod := strings.Cut(strings.TrimSpace(v), "/")
			q := &goical.Prop{Name: p.Name, Params: params}
			t, _, _, err := d.timeValue(q, startV)
			if err == nil && isPeriod {
				var end time.Time
				end, err = d.periodEnd(q, t, endV)
				if err == nil {
					out = append(out, rdate{t: t, end: end})
					continue
				}
			}
			if err == nil {
				out = append(out, rdate{t: t})
				continue
			}
			if day, ok := dateOfBadValue(startV); ok {
				s := freebusy.StartOfDay(day.y, day.m, day.d, ev.loc)
				d.emit(s, ev.end(freebusy.StartOfDay(day.y, day.m, day.d+1, ev.loc)), d.unknownUnlessFree(ev))
				d.degrade(ev, goical.PropRecurrenceDates, p.Value, fmt.Errorf("%w; that day is Unknown", err))
				continue
			}
			d.emit(ev.start, d.end, d.unknownUnlessFree(ev))
			d.degrade(ev, goical.PropRecurrenceDates, p.Value, fmt.Errorf("%w; the window from DTSTART on is Unknown", err))
		}
	}
	return out
}

// unknownUnlessFree is the status of time an event takes but that cannot be
// placed: Unknown, unless the event blocks no time anyway.
func (d *calDecoder) unknownUnlessFree(ev *vevent) freebusy.Status {
	if ev.status == freebusy.Free {
		return freebusy.Free
	}
	return freebusy.Unknown
}

// periodEnd reads the end of an RDATE PERIOD: a DATE-TIME or a duration
// from start (RFC 5545 §3.3.9).
func (d *calDecoder) periodEnd(p *goical.Prop, start time.Time, v string) (time.Time, error) {
	v = strings.TrimSpace(v)
	if v != "" && (v[0] == 'P' || v[0] == 'p' || v[0] == '+' || v[0] == '-') {
		dur, err := parseDuration(strings.ToUpper(v))
		if err != nil {
			return time.Time{}, err
		}
		return dur.addTo(start), nil
	}
	t, _, _, err := d.timeValue(p, v)
	return t, err
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

// ruleStream reads one RRULE (or EXRULE) of ev and starts its expansion,
// started near from where the rule allows it. It returns nil when the rule
// adds nothing: it matches no date, or it cannot be read at all; for an
// RRULE the latter makes the time from DTSTART on Unknown.
func (d *calDecoder) ruleStream(ev *vevent, p *goical.Prop, from time.Time, exrule bool) *ruleStream {
	info, dropped := readRule(p.Value)
	var until time.Time
	if info.until != "" {
		u, err := d.untilValue(info.until, ev)
		if err != nil {
			dropped = append(dropped, "UNTIL="+info.until)
			info.remove("UNTIL")
		} else {
			until = u
			info.set("UNTIL", string(appendUTCDateTime(nil, u)))
		}
	}
	unreadable := func(err error) *ruleStream {
		if exrule {
			d.degrade(ev, p.Name, p.Value, fmt.Errorf("%w; the rule is ignored", err))
			return nil
		}
		d.rep.UnsupportedRecurrences++
		end := d.end
		if !until.IsZero() {
			end = ev.end(until)
		}
		d.emit(ev.start, end, d.unknownUnlessFree(ev))
		d.degrade(ev, p.Name, p.Value, fmt.Errorf("%w; the window from DTSTART on is Unknown", err))
		return nil
	}
	if info.freq == "" {
		return unreadable(fmt.Errorf("%w: no FREQ it can expand", errRecurrence))
	}
	if info.unreachable(ev.start) || info.impossible(ev.start) {
		d.degrade(ev, p.Name, p.Value, fmt.Errorf("%w: the rule matches no date; only its other instances are used", errRecurrence))
		return nil
	}
	next, err := ruleIterator(info.String(), jumpStart(info, ev.start, from))
	if err != nil {
		return unreadable(err)
	}
	rs := &ruleStream{next: next, uncertain: len(dropped) > 0}
	if rs.uncertain {
		what := "its instances are Unknown"
		if exrule {
			what = "the instances it may exclude are Unknown"
		}
		d.degrade(ev, p.Name, p.Value, fmt.Errorf("%w: part %s not understood; %s", errRecurrence, strings.Join(dropped, ";"), what))
	}
	rs.advance(ev)
	return rs
}

// jumpStart moves a rule's DTSTART forward by whole periods (INTERVAL
// times the frequency) to just before from, when that leaves the rule's
// instances after from unchanged: DAILY, WEEKLY and sub-daily rules
// without COUNT, whose periods are fixed steps of the wall clock. Without
// it a series that began years before the window is expanded from its
// first instance.
func jumpStart(info *ruleInfo, start, from time.Time) time.Time {
	if info.hasCount {
		return start
	}
	var unit int64
	switch info.freq {
	case "WEEKLY":
		unit = 7 * 86400
	case "DAILY":
		unit = 86400
	case "HOURLY":
		unit = 3600
	case "MINUTELY":
		unit = 60
	case "SECONDLY":
		unit = 1
	default:
		return start
	}
	loc := start.Location()
	wall := wallClock(start)
	goal := wallClock(from.In(loc))
	step := unit * int64(info.interval)
	n := (goal.Unix() - wall.Unix()) / step
	if n <= 0 {
		return start
	}
	w := time.Unix(wall.Unix()+n*step, 0).UTC()
	return time.Date(w.Year(), w.Month(), w.Day(), w.Hour(), w.Minute(), w.Second(), 0, loc)
}

// wallClock returns t's wall clock as a UTC time, where adding seconds is
// wall-clock arithmetic.
func wallClock(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), 0, time.UTC)
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

// parseRule splits a rule strictly: any malformed part is an error. The
// VTIMEZONE reader uses it; events use readRule.
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

// readRule splits an RRULE or EXRULE leniently: each part it cannot read
// (unknown name such as "UNTL", repeated name, value out of its RFC 5545
// §3.3.10 range) is dropped and returned. freq is empty when FREQ is
// missing or not one of the seven frequencies.
func readRule(value string) (*ruleInfo, []string) {
	info := &ruleInfo{interval: 1}
	var dropped []string
	seen := map[string]bool{}
	for part := range strings.SplitSeq(strings.ToUpper(strings.TrimSpace(value)), ";") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, v, ok := strings.Cut(part, "=")
		name = strings.TrimSpace(name)
		// Microsoft CDO writes lists with blanks ("BYDAY=MO, TU, WE"),
		// which RFC 5545 §3.3.10's grammar does not allow but whose
		// meaning is plain: read them without the blanks.
		if strings.ContainsAny(v, " \t") {
			items := strings.Split(v, ",")
			for i := range items {
				items[i] = strings.TrimSpace(items[i])
			}
			v = strings.Join(items, ",")
		}
		if name == "RSCALE" && v == "GREGORIAN" || name == "SKIP" && v == "OMIT" {
			continue // RFC 7529's defaults
		}
		if !ok || seen[name] || !validRulePart(name, v) {
			dropped = append(dropped, part)
			continue
		}
		seen[name] = true
		info.parts = append(info.parts, [2]string{name, v})
		switch {
		case name == "FREQ":
			info.freq = v
		case name == "UNTIL":
			info.until = v
		case name == "COUNT":
			info.hasCount = true
		case name == "INTERVAL":
			n, _ := atoiFixed(v)
			info.interval = n
		case strings.HasPrefix(name, "BY"):
			info.hasBy = true
		}
	}
	if info.freq == "" {
		info.remove("FREQ")
	}
	return info, dropped
}

// validRulePart checks one recur-rule-part of RFC 5545 §3.3.10. UNTIL is
// checked by the caller, which knows the event's zone.
func validRulePart(name, v string) bool {
	ints := func(lo, hi int, signed bool) bool {
		for x := range strings.SplitSeq(v, ",") {
			if signed && x != "" && (x[0] == '+' || x[0] == '-') {
				x = x[1:]
			}
			n, ok := atoiFixed(x)
			if !ok || n < lo || n > hi || signed && n == 0 {
				return false
			}
		}
		return true
	}
	switch name {
	case "FREQ":
		switch v {
		case "SECONDLY", "MINUTELY", "HOURLY", "DAILY", "WEEKLY", "MONTHLY", "YEARLY":
			return true
		}
		return false
	case "UNTIL":
		return v != ""
	case "COUNT":
		n, ok := atoiFixed(v)
		return ok && n >= 1 && n <= 1_000_000_000
	case "INTERVAL":
		n, ok := atoiFixed(v)
		return ok && n >= 1 && n <= 1_000_000
	case "BYSECOND":
		return ints(0, 60, false)
	case "BYMINUTE":
		return ints(0, 59, false)
	case "BYHOUR":
		return ints(0, 23, false)
	case "BYMONTHDAY":
		return ints(1, 31, true)
	case "BYYEARDAY":
		return ints(1, 366, true)
	case "BYWEEKNO":
		return ints(1, 53, true)
	case "BYMONTH":
		return ints(1, 12, false)
	case "BYSETPOS":
		return ints(1, 366, true)
	case "WKST":
		return isWeekday(v)
	case "BYDAY":
		for x := range strings.SplitSeq(v, ",") {
			if len(x) < 2 || !isWeekday(x[len(x)-2:]) {
				return false
			}
			if n := x[:len(x)-2]; n != "" && !validOrdinal(n, 53) {
				return false
			}
		}
		return true
	}
	return false
}

func validOrdinal(s string, hi int) bool {
	if s[0] == '+' || s[0] == '-' {
		s = s[1:]
	}
	n, ok := atoiFixed(s)
	return ok && n >= 1 && n <= hi
}

func isWeekday(s string) bool {
	switch s {
	case "SU", "MO", "TU", "WE", "TH", "FR", "SA":
		return true
	}
	return false
}

// get returns a part's value.
func (r *ruleInfo) get(name string) string {
	for _, p := range r.parts {
		if p[0] == name {
			return p[1]
		}
	}
	return ""
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

// remove drops a part.
func (r *ruleInfo) remove(name string) {
	r.parts = slices.DeleteFunc(r.parts, func(p [2]string) bool { return p[0] == name })
	if name == "UNTIL" {
		r.until = ""
	}
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

// unreachable spots sub-daily rules whose BYHOUR, BYMINUTE or BYSECOND
// the INTERVAL steps from DTSTART never reach (FREQ=HOURLY;INTERVAL=24;
// BYHOUR=5 from 09:00): rrule-go looks for the next such time without end.
// The times of day a rule reaches are DTSTART's plus multiples of
// gcd(INTERVAL, the units in a day). It also spots a sub-daily BYSETPOS
// that no position of the period's set reaches (FREQ=MINUTELY;BYSETPOS=11:
// a minute holds one instance per BYSECOND), on which rrule-go would step
// through every period to the year 9999.
func (r *ruleInfo) unreachable(start time.Time) bool {
	if r.setposUnreachable() {
		return true
	}
	var unit, names = 0, []string(nil)
	switch r.freq {
	case "HOURLY":
		unit, names = 3600, []string{"BYHOUR"}
	case "MINUTELY":
		unit, names = 60, []string{"BYHOUR", "BYMINUTE"}
	case "SECONDLY":
		unit, names = 1, []string{"BYHOUR", "BYMINUTE", "BYSECOND"}
	default:
		return false
	}
	var sets [3][]bool // hour, minute, second allowed
	limited := false
	for i, name := range names {
		v := r.get(name)
		if v == "" {
			continue
		}
		limited = true
		sets[i] = make([]bool, 61)
		for x := range strings.SplitSeq(v, ",") {
			if n, ok := atoiFixed(x); ok && n <= 60 {
				sets[i][n] = true
			}
		}
	}
	if !limited {
		return false
	}
	perDay := 86400 / unit
	g := gcd(perDay, r.interval)
	h, m, s := start.Clock()
	first := (h*3600 + m*60 + s) / unit
	for k := first % g; k < perDay; k += g {
		sec := k * unit
		if (sets[0] == nil || sets[0][sec/3600]) &&
			(sets[1] == nil || sets[1][sec/60%60]) &&
			(sets[2] == nil || sets[2][sec%60]) {
			return false
		}
	}
	return true
}

// setposUnreachable reports whether every BYSETPOS of a sub-daily rule
// exceeds the size of its period's set: the BYMINUTE and BYSECOND values
// of an hour, the BYSECOND values of a minute, the one second of a second.
func (r *ruleInfo) setposUnreachable() bool {
	v := r.get("BYSETPOS")
	if v == "" {
		return false
	}
	count := func(name string) int { // distinct values
		x := r.get(name)
		if x == "" {
			return 1
		}
		seen := map[string]bool{}
		for y := range strings.SplitSeq(x, ",") {
			seen[strings.TrimLeft(y, "0")] = true
		}
		return len(seen)
	}
	var size int
	switch r.freq {
	case "HOURLY":
		size = count("BYMINUTE") * count("BYSECOND")
	case "MINUTELY":
		size = count("BYSECOND")
	case "SECONDLY":
		size = 1
	default:
		return false
	}
	for x := range strings.SplitSeq(v, ",") {
		x = strings.TrimPrefix(strings.TrimPrefix(x, "+"), "-")
		if n, ok := atoiFixed(x); ok && n <= size {
			return false
		}
	}
	return true
}

// impossible spots rules that match no date at all, on which rrule-go would
// iterate to the year 9999 before giving up (about a quarter of a second for
// a daily rule; hostile input could hold many). It probes the rule from the
// last 400-year Gregorian cycle before 9999: the calendar repeats every 400
// years, so a rule that matches nothing there matches nothing anywhere. The
// shift keeps INTERVAL aligned; when it cannot, the probe is skipped. A
// sub-daily rule is probed as the DAILY rule of its date parts.
func (r *ruleInfo) impossible(start time.Time) bool {
	if !r.hasBy {
		return false // plain rules match every period
	}
	switch r.freq {
	case "HOURLY", "MINUTELY", "SECONDLY":
		daily := &ruleInfo{freq: "DAILY", interval: 1, parts: [][2]string{{"FREQ", "DAILY"}}}
		for _, p := range r.parts {
			switch p[0] {
			case "BYMONTH", "BYWEEKNO", "BYYEARDAY", "BYMONTHDAY", "BYDAY", "WKST":
				daily.parts = append(daily.parts, p)
				daily.hasBy = true
			}
		}
		return daily.impossible(start)
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
