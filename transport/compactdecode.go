package transport

import (
	"fmt"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/calbridge/calbridge/freebusy"
)

// The decoder of the compact form: one pass over the bytes, no
// reflection, one allocation per slice and one per schedule's strings.

// DecodeCompactSchedules decodes a compact result written by
// AppendCompactSchedules: the bytes of one JSON value, without
// surrounding space. Bad input gets a *CompactError, never a panic; the
// decoder allocates in proportion to its input (counts are checked
// against the bytes left before anything is allocated), skips members it
// does not know at most 64 levels deep, and each schedule's slices are
// allocated once, at their final length. The strings of one schedule
// share one allocation.
func DecodeCompactSchedules(data []byte) ([]freebusy.Schedule, error) {
	return decodeCompactSchedules(data, 0, nil)
}

// DecodeCompactSchedulesInto is DecodeCompactSchedules taking the
// schedules, intervals and events of the result from buf, so that a
// caller decoding result after result reuses their memory. The schedules
// are valid until buf is Reset; their strings are not taken from buf and
// stay valid. On an error, what the decoder took from buf is left unused.
func DecodeCompactSchedulesInto(data []byte, buf *freebusy.ScheduleBuffer) ([]freebusy.Schedule, error) {
	return decodeCompactSchedules(data, 0, buf)
}

// decodeCompactSchedules is DecodeCompactSchedules with the number of
// schedules expected (the query's attendees), so that the result is
// allocated once, and the buffer to take its slices from (nil: allocate
// them).
func decodeCompactSchedules(data []byte, expect int, buf *freebusy.ScheduleBuffer) ([]freebusy.Schedule, error) {
	d := compactDecoderPool.Get().(*compactDecoder)
	d.data, d.pos, d.buf = data, 0, buf
	out, err := d.result(expect)
	d.data, d.buf = nil, nil
	d.hoursSlab, d.periodSlab, d.daySlab = nil, nil, nil // they belong to out
	clear(d.fixes[:cap(d.fixes)])                        // drop pointers into the result
	d.fixes = d.fixes[:0]
	if cap(d.arena) <= 1<<20 && cap(d.scratch) <= 1<<20 && cap(d.found) <= 1<<12 {
		compactDecoderPool.Put(d)
	}
	return out, err
}

var compactDecoderPool = sync.Pool{New: func() any { return new(compactDecoder) }}

// compactDecoder reads one compact result. The strings of a schedule are
// gathered in arena and become one string when the schedule is complete;
// fixes say which field gets which part of it.
type compactDecoder struct {
	data    []byte
	pos     int
	base    int64
	arena   []byte
	fixes   []stringFix
	periods []compactPeriod
	scratch []byte
	// found holds the schedules of a result whose count was not given
	// (DecodeCompactSchedules, DecodeCompactSchedulesInto) until they are
	// all read; then they are copied into a slice of exactly their
	// number, taken from buf when there is one.
	found []freebusy.Schedule
	// buf lends the result its schedules, intervals and events
	// (DecodeCompactSchedulesInto, Client.FreeBusyInto); nil allocates
	// them.
	buf *freebusy.ScheduleBuffer

	// The slabs of one result: the working hours, periods and days of
	// its schedules come from chunks shared by several schedules, so
	// that a week of 100 calendars costs a few allocations for them
	// instead of three per schedule. A piece is capped at its length:
	// appending to one schedule's slice never writes into another's.
	hoursSlab  []freebusy.WorkingHours
	periodSlab []freebusy.WorkingPeriod
	daySlab    []time.Weekday
}

// stringFix is a string field waiting for its schedule's strings:
// arena[off:end] goes to *dst.
type stringFix struct {
	dst      *string
	off, end int
}

// compactPeriod is a working period being read: its days are in the
// decoder's scratch from dayOff.
type compactPeriod struct {
	dayOff, dayEnd int
	start, end     int64
}

// maxSkipDepth bounds the nesting of the unknown members the decoder
// skips; nothing the protocol defines nests deeper than four.
const maxSkipDepth = 64

func (d *compactDecoder) fail(detail string) error {
	return &CompactError{Offset: d.pos, Detail: detail}
}

func (d *compactDecoder) failErr(detail string, err error) error {
	return &CompactError{Offset: d.pos, Detail: detail, Err: err}
}

// lit consumes s or fails.
func (d *compactDecoder) lit(s string) error {
	if len(d.data)-d.pos < len(s) || string(d.data[d.pos:d.pos+len(s)]) != s {
		return d.fail("want " + strconv.Quote(s))
	}
	d.pos += len(s)
	return nil
}

// char consumes the byte c or fails.
func (d *compactDecoder) char(c byte) error {
	if d.pos < len(d.data) && d.data[d.pos] == c {
		d.pos++
		return nil
	}
	return d.want(c)
}

// want reports a missing byte; apart from char, so that char inlines.
func (d *compactDecoder) want(c byte) error {
	return d.fail("want " + strconv.QuoteRune(rune(c)))
}

// peek returns the next byte, or 0 at the end.
func (d *compactDecoder) peek() byte {
	if d.pos < len(d.data) {
		return d.data[d.pos]
	}
	return 0
}

// next consumes ',' (true) or close (false) or fails.
func (d *compactDecoder) next(close byte) (bool, error) {
	switch d.peek() {
	case ',':
		d.pos++
		return true, nil
	case close:
		d.pos++
		return false, nil
	}
	return false, d.fail("want ',' or " + strconv.QuoteRune(rune(close)))
}

// result reads the whole input: the result object.
func (d *compactDecoder) result(expect int) ([]freebusy.Schedule, error) {
	if err := d.lit(`{"form":"` + CompactForm + `"`); err != nil {
		return nil, err
	}
	var out []freebusy.Schedule
	haveBase, haveSchedules := false, false
	for {
		more, err := d.next('}')
		if err != nil {
			return nil, err
		}
		if !more {
			break
		}
		key, err := d.key()
		if err != nil {
			return nil, err
		}
		switch string(key) {
		case "base":
			if d.base, err = d.integer(12); err != nil {
				return nil, err
			}
			if d.base < minInstant || d.base > maxInstant {
				return nil, d.fail("base outside the years 0000 to 9999")
			}
			haveBase = true
		case "schedules":
			if !haveBase {
				return nil, d.fail(`"schedules" before "base"`)
			}
			if haveSchedules {
				return nil, d.fail(`"schedules" twice`)
			}
			if out, err = d.schedules(expect); err != nil {
				return nil, err
			}
			haveSchedules = true
		default:
			if err := d.skipValue(); err != nil {
				return nil, err
			}
		}
	}
	if d.pos != len(d.data) {
		return nil, d.fail("bytes after the result")
	}
	if !haveSchedules {
		return nil, d.fail(`no "schedules"`)
	}
	return out, nil
}

// key reads a member name and its colon. Names are plain ASCII: the
// protocol defines no other, and a name with an escape is refused.
func (d *compactDecoder) key() ([]byte, error) {
	if d.peek() != '"' {
		return nil, d.fail("want a member name")
	}
	start := d.pos + 1
	for i := start; i < len(d.data); i++ {
		switch c := d.data[i]; {
		case c == '"':
			if i+1 >= len(d.data) || d.data[i+1] != ':' {
				d.pos = i + 1
				return nil, d.fail("want ':'")
			}
			d.pos = i + 2
			return d.data[start:i], nil
		case c == '\\' || c < 0x20 || c >= utf8.RuneSelf:
			d.pos = i
			return nil, d.fail("member names are plain ASCII")
		}
	}
	d.pos = len(d.data)
	return nil, d.fail("unterminated member name")
}

func (d *compactDecoder) schedules(expect int) ([]freebusy.Schedule, error) {
	if err := d.char('['); err != nil {
		return nil, err
	}
	if d.peek() == ']' {
		d.pos++
		return []freebusy.Schedule{}, nil
	}
	if expect > 0 {
		// A schedule takes at least 2 bytes ({} and a comma): a hint
		// larger than the input allows is not believed.
		out, err := d.appendSchedules(d.buf.Schedules(min(expect, (len(d.data)-d.pos)/3+1))[:0]) // a nil buf allocates
		if err != nil {
			return nil, err
		}
		return out, nil
	}
	found, err := d.appendSchedules(d.found[:0])
	var out []freebusy.Schedule
	if err == nil {
		out = d.buf.Schedules(len(found))
		copy(out, found)
	}
	clear(found) // found keeps no schedule of this result alive
	d.found = found[:0]
	return out, err
}

// appendSchedules reads the schedules of the array at d.pos, past its
// '[', onto out.
func (d *compactDecoder) appendSchedules(out []freebusy.Schedule) ([]freebusy.Schedule, error) {
	for {
		out = append(out, freebusy.Schedule{})
		if err := d.schedule(&out[len(out)-1]); err != nil {
			return out, err
		}
		more, err := d.next(']')
		if err != nil || !more {
			return out, err
		}
	}
}

// schedule reads one schedule object into s (a zero Schedule).
func (d *compactDecoder) schedule(s *freebusy.Schedule) error {
	if err := d.char('{'); err != nil {
		return err
	}
	d.arena, d.fixes = d.arena[:0], d.fixes[:0]
	if d.peek() == '}' {
		d.pos++
		return nil
	}
	for {
		key, err := d.key()
		if err != nil {
			return err
		}
		switch string(key) {
		case "attendee":
			err = d.str(&s.Attendee)
		case "start":
			s.Start, err = d.instant()
		case "end":
			s.End, err = d.instant()
		case "intervals":
			s.Intervals, err = d.intervals()
		case "events":
			s.Events, err = d.events()
		case "workingHours":
			s.WorkingHours, err = d.workingHours()
		case "asOf":
			s.AsOf, err = d.instant()
		case "stale":
			s.Stale, err = d.boolean()
		case "staleReason":
			s.StaleReason, err = d.reason()
		case "error":
			s.Err, err = d.errorObject()
		default:
			err = d.skipValue()
		}
		if err != nil {
			return err
		}
		more, err := d.next('}')
		if err != nil {
			return err
		}
		if !more {
			break
		}
	}
	if len(d.fixes) > 0 {
		all := string(d.arena) // the schedule's one string allocation
		for i := range d.fixes {
			f := &d.fixes[i]
			*f.dst = all[f.off:f.end]
			f.dst = nil
		}
	}
	return nil
}

func (d *compactDecoder) intervals() ([]freebusy.Interval, error) {
	n, err := d.count(len("0,0,0,"))
	if err != nil || n == 0 {
		return nil, err
	}
	ivs := d.buf.Intervals(n)
	for k := range ivs {
		iv := &ivs[k]
		if next, ok := d.plainInterval(iv); ok {
			d.pos = next
			continue
		}
		if err := d.char(','); err != nil {
			return nil, err
		}
		if iv.Start, err = d.instant(); err != nil {
			return nil, err
		}
		if err := d.char(','); err != nil {
			return nil, err
		}
		if iv.End, err = d.instant(); err != nil {
			return nil, err
		}
		if err := d.char(','); err != nil {
			return nil, err
		}
		if iv.Status, err = d.status(); err != nil {
			return nil, err
		}
	}
	if err := d.char(']'); err != nil {
		return nil, d.fail("more intervals than their count")
	}
	return ivs, nil
}

// plainInterval reads ,start,end,status at d.pos into iv when both
// instants are plain offsets of one to nine digits (no sign, no fraction,
// no leading zero) within the years the form carries, as
// appendPlainInterval writes them, and returns the position after it. It
// reports false for anything else, leaving the general path to read it or
// to say what is wrong; what it accepts, that path reads the same way.
func (d *compactDecoder) plainInterval(iv *freebusy.Interval) (int, bool) {
	data, i := d.data, d.pos
	if i >= len(data) || data[i] != ',' {
		return 0, false
	}
	start, i, ok := plainOffset(data, i+1)
	if !ok || i >= len(data) || data[i] != ',' {
		return 0, false
	}
	end, i, ok := plainOffset(data, i+1)
	// The status digit must be followed by a byte that is not a digit.
	if !ok || i+2 >= len(data) || data[i] != ',' {
		return 0, false
	}
	digit, after := data[i+1]-'0', data[i+2]
	if uint(digit) >= uint(len(digitStatuses)) || after >= '0' && after <= '9' {
		return 0, false
	}
	if iv.Start, iv.End, ok = d.plainInstants(start, end); !ok {
		return 0, false
	}
	iv.Status = digitStatuses[digit]
	return i + 2, true
}

// plainInstants turns two plain offsets from the base into instants, or
// reports false when either lies past the years the form carries.
func (d *compactDecoder) plainInstants(start, end int64) (time.Time, time.Time, bool) {
	start, end = d.base+start, d.base+end
	if start > maxInstant || end > maxInstant {
		return time.Time{}, time.Time{}, false
	}
	return time.Unix(start, 0).UTC(), time.Unix(end, 0).UTC(), true
}

// plainOffset reads the digits of a plain offset at data[i:]: one to nine
// of them, no leading zero, not followed by a fraction or an exponent.
func plainOffset(data []byte, i int) (n int64, next int, ok bool) {
	start, limit := i, min(len(data), i+10)
	for ; i < limit; i++ {
		c := data[i] - '0'
		if c > 9 {
			break
		}
		n = n*10 + int64(c)
	}
	if k := i - start; k == 0 || k > 9 || k > 1 && data[start] == '0' {
		return 0, 0, false
	}
	if i < len(data) {
		if c := data[i]; c == '.' || c == 'e' || c == 'E' {
			return 0, 0, false
		}
	}
	return n, i, true
}

func (d *compactDecoder) events() ([]freebusy.Event, error) {
	n, err := d.count(len(",[0,0,0,0]"))
	if err != nil || n == 0 {
		return nil, err
	}
	evs := d.buf.Events(n)
	for k := range evs {
		ev := &evs[k]
		if err := d.lit(",["); err != nil {
			return nil, err
		}
		if err := d.eventHead(ev); err != nil {
			return nil, err
		}
		if err := d.eventStrings(ev); err != nil {
			return nil, err
		}
	}
	if err := d.char(']'); err != nil {
		return nil, d.fail("more events than their count")
	}
	return evs, nil
}

// eventHead reads an event's start,end,status,flags into ev: through
// plainEventHead when it can, else one piece at a time.
func (d *compactDecoder) eventHead(ev *freebusy.Event) error {
	if next, ok := d.plainEventHead(ev); ok {
		d.pos = next
		return nil
	}
	return d.generalEventHead(ev)
}

// generalEventHead is eventHead without the fast path: every form the
// compact form allows, and the errors for what it does not.
func (d *compactDecoder) generalEventHead(ev *freebusy.Event) error {
	var err error
	if ev.Start, err = d.instant(); err != nil {
		return err
	}
	if err := d.char(','); err != nil {
		return err
	}
	if ev.End, err = d.instant(); err != nil {
		return err
	}
	if err := d.char(','); err != nil {
		return err
	}
	if ev.Status, err = d.status(); err != nil {
		return err
	}
	if err := d.char(','); err != nil {
		return err
	}
	flags, err := d.integer(2)
	if err != nil {
		return err
	}
	if flags < 0 || flags > eventFlagsAll {
		return d.fail("event flags out of range")
	}
	setEventFlags(ev, flags)
	return nil
}

// setEventFlags sets ev's booleans from the flags digit sum.
func setEventFlags(ev *freebusy.Event, flags int64) {
	ev.Private = flags&eventPrivate != 0
	ev.Meeting = flags&eventMeeting != 0
	ev.Recurring = flags&eventRecurring != 0
	ev.Exception = flags&eventException != 0
	ev.Reminder = flags&eventReminder != 0
}

// plainEventHead reads start,end,status,flags at d.pos into ev when the
// instants are plain offsets (as plainInterval reads them), the status a
// digit and the flags one or two digits without a leading zero, followed
// by ',' or ']', and returns the position of that byte. It reports false
// for anything else, leaving the general path to read it or to say what
// is wrong; what it accepts, that path reads the same way.
func (d *compactDecoder) plainEventHead(ev *freebusy.Event) (int, bool) {
	data := d.data
	start, i, ok := plainOffset(data, d.pos)
	if !ok || i >= len(data) || data[i] != ',' {
		return 0, false
	}
	end, i, ok := plainOffset(data, i+1)
	if !ok || i+3 >= len(data) || data[i] != ',' || data[i+2] != ',' {
		return 0, false
	}
	digit := data[i+1] - '0'
	if uint(digit) >= uint(len(digitStatuses)) {
		return 0, false
	}
	i += 3
	flags := int64(data[i] - '0')
	if flags > 9 {
		return 0, false
	}
	i++
	if i < len(data) && data[i]-'0' <= 9 && flags != 0 {
		flags = flags*10 + int64(data[i]-'0')
		i++
	}
	if i >= len(data) || data[i] != ',' && data[i] != ']' || flags > eventFlagsAll {
		return 0, false
	}
	if ev.Start, ev.End, ok = d.plainInstants(start, end); !ok {
		return 0, false
	}
	ev.Status = digitStatuses[digit]
	setEventFlags(ev, flags)
	return i, true
}

// eventStrings reads the optional id, subject and location of an event
// and its closing bracket.
func (d *compactDecoder) eventStrings(ev *freebusy.Event) error {
	for _, dst := range [...]*string{&ev.ID, &ev.Subject, &ev.Location} {
		more, err := d.next(']')
		if err != nil || !more {
			return err
		}
		if err := d.str(dst); err != nil {
			return err
		}
	}
	return d.char(']')
}

// count reads '[' and an item count, and checks that the rest of the input
// can hold that many items of at least minItem bytes each, so that a
// forged count cannot make the decoder allocate more than its input
// justifies.
func (d *compactDecoder) count(minItem int) (int, error) {
	if err := d.char('['); err != nil {
		return 0, err
	}
	n, err := d.integer(10)
	if err != nil {
		return 0, err
	}
	if n < 0 || n > int64(len(d.data)-d.pos)/int64(minItem) {
		return 0, d.fail("item count out of range")
	}
	if n == 0 {
		if err := d.char(']'); err != nil {
			return 0, d.fail("items after a zero count")
		}
	}
	return int(n), nil
}

func (d *compactDecoder) workingHours() (*freebusy.WorkingHours, error) {
	if err := d.char('['); err != nil {
		return nil, err
	}
	d.scratch = d.scratch[:0]
	if err := d.strBytes(); err != nil {
		return nil, err
	}
	zoneEnd := len(d.scratch)
	loc, err := loadLocation(d.scratch[:zoneEnd])
	if err != nil {
		return nil, d.failErr("working hours", err)
	}
	d.periods = d.periods[:0]
	for {
		more, err := d.next(']')
		if err != nil {
			return nil, err
		}
		if !more {
			break
		}
		if err := d.lit(`["`); err != nil {
			return nil, err
		}
		p := compactPeriod{dayOff: len(d.scratch)}
		for d.peek() >= '0' && d.peek() <= '6' {
			d.scratch = append(d.scratch, d.data[d.pos]-'0')
			d.pos++
		}
		p.dayEnd = len(d.scratch)
		if err := d.lit(`",`); err != nil {
			return nil, d.fail("weekdays are digits 0 (Sunday) to 6")
		}
		if p.start, err = d.integer(9); err != nil {
			return nil, err
		}
		if err := d.char(','); err != nil {
			return nil, err
		}
		if p.end, err = d.integer(9); err != nil {
			return nil, err
		}
		if err := d.char(']'); err != nil {
			return nil, err
		}
		d.periods = append(d.periods, p)
	}
	// Periods and days from the result's slabs, or one allocation for the
	// periods and one for all their days.
	w := d.newWorkingHours()
	w.Location, w.Periods = loc, d.takePeriods(len(d.periods))
	days := d.takeDays(len(d.scratch) - zoneEnd)
	for i, p := range d.periods {
		wp := &w.Periods[i]
		if p.dayEnd > p.dayOff {
			wp.Days = days[p.dayOff-zoneEnd : p.dayEnd-zoneEnd : p.dayEnd-zoneEnd]
			for k, c := range d.scratch[p.dayOff:p.dayEnd] {
				wp.Days[k] = time.Weekday(c)
			}
		}
		wp.Start, wp.End = time.Duration(p.start)*time.Second, time.Duration(p.end)*time.Second
	}
	if err := w.Validate(); err != nil {
		return nil, d.failErr("working hours", err)
	}
	return w, nil
}

// The slabs of working hours are filled in chunks that no input shorter
// than what they hold can make the decoder allocate. (Intervals are not
// pooled so: each schedule's are one allocation of its own, which
// measured faster than chunks shared by several schedules, whose larger
// objects cost the allocator more page faults than they save.)
const hoursChunk = 64 // working hours, with two periods of five days each

// newWorkingHours returns a zero WorkingHours.
func (d *compactDecoder) newWorkingHours() *freebusy.WorkingHours {
	if len(d.hoursSlab) == 0 {
		// Working hours take more than twenty bytes.
		d.hoursSlab = make([]freebusy.WorkingHours, max(1, min(hoursChunk, (len(d.data)-d.pos)/20)))
	}
	w := &d.hoursSlab[0]
	d.hoursSlab = d.hoursSlab[1:]
	return w
}

// takePeriods returns a zeroed slice of n working periods, capped at n.
func (d *compactDecoder) takePeriods(n int) []freebusy.WorkingPeriod {
	if n == 0 {
		return []freebusy.WorkingPeriod{} // as encoding/json reads []: empty, not nil
	}
	if n > len(d.periodSlab) {
		if n > 2*hoursChunk/4 {
			return make([]freebusy.WorkingPeriod, n)
		}
		// A period takes at least nine bytes (`,["",0,0]`).
		d.periodSlab = make([]freebusy.WorkingPeriod, max(n, min(2*hoursChunk, (len(d.data)-d.pos)/9)))
	}
	ps := d.periodSlab[:n:n]
	d.periodSlab = d.periodSlab[n:]
	return ps
}

// takeDays returns a zeroed slice of n weekdays, capped at n.
func (d *compactDecoder) takeDays(n int) []time.Weekday {
	if n > len(d.daySlab) {
		if n > 5*hoursChunk/4 {
			return make([]time.Weekday, n)
		}
		d.daySlab = make([]time.Weekday, max(n, min(5*hoursChunk, len(d.data)-d.pos)))
	}
	ds := d.daySlab[:n:n]
	d.daySlab = d.daySlab[n:]
	return ds
}

// loadLocation loads a zone as freebusy.WorkingHours' UnmarshalJSON does:
// "" and "Local" are refused.
func loadLocation(name []byte) (*time.Location, error) {
	loc, err := freebusy.LoadZone(string(name))
	if err != nil || len(name) == 0 || string(name) == "Local" {
		return nil, fmt.Errorf("%w: unknown time zone %q", freebusy.ErrBadWorkingHours, name)
	}
	return loc, nil
}

func (d *compactDecoder) errorObject() (*freebusy.Error, error) {
	if err := d.char('{'); err != nil {
		return nil, err
	}
	e := new(freebusy.Error)
	var retryMs int64
	if d.peek() == '}' {
		d.pos++
	} else {
		for {
			key, err := d.key()
			if err != nil {
				return nil, err
			}
			switch string(key) {
			case "attendee":
				err = d.str(&e.Attendee)
			case "reason":
				e.Reason, err = d.reason()
			case "message":
				err = d.str(&e.Message)
			case "retryAfterMs":
				retryMs, err = d.integer(18)
			default:
				err = d.skipValue()
			}
			if err != nil {
				return nil, err
			}
			more, err := d.next('}')
			if err != nil {
				return nil, err
			}
			if !more {
				break
			}
		}
	}
	// The rules of freebusy.Error's UnmarshalJSON.
	if retryMs < 0 || retryMs > int64(365*24*time.Hour/time.Millisecond) {
		return nil, d.failErr("error", &freebusy.ParseError{Kind: "retryAfterMs", Input: strconv.FormatInt(retryMs, 10)})
	}
	if e.Reason == freebusy.ReasonNone {
		e.Reason = freebusy.ReasonInternal
	}
	e.RetryAfter = time.Duration(retryMs) * time.Millisecond
	return e, nil
}

func (d *compactDecoder) reason() (freebusy.Reason, error) {
	d.scratch = d.scratch[:0]
	if err := d.strBytes(); err != nil {
		return 0, err
	}
	r, err := freebusy.ParseReason(string(d.scratch))
	if err != nil {
		return 0, d.failErr("reason", err)
	}
	return r, nil
}

func (d *compactDecoder) boolean() (bool, error) {
	switch {
	case d.lit("true") == nil:
		return true, nil
	case d.lit("false") == nil:
		return false, nil
	}
	return false, d.fail("want true or false")
}

func (d *compactDecoder) status() (freebusy.Status, error) {
	c := d.peek()
	if c < '0' || int(c-'0') >= len(digitStatuses) {
		return 0, d.fail("want a status digit")
	}
	d.pos++
	if c := d.peek(); c >= '0' && c <= '9' {
		return 0, d.fail("want a status digit")
	}
	return digitStatuses[c-'0'], nil
}

// integer reads a JSON integer of at most maxDigits digits.
func (d *compactDecoder) integer(maxDigits int) (int64, error) {
	neg := d.peek() == '-'
	if neg {
		d.pos++
	}
	n, err := d.digits(maxDigits)
	if neg {
		n = -n
	}
	return n, err
}

// digits reads the digits of a JSON integer without sign: no leading
// zero, at most maxDigits (at most 18, so the value fits an int64).
func (d *compactDecoder) digits(maxDigits int) (int64, error) {
	start := d.pos
	var n int64
	for d.pos < len(d.data) {
		c := d.data[d.pos]
		if c < '0' || c > '9' {
			break
		}
		if d.pos-start == maxDigits {
			return 0, d.fail("number too long")
		}
		n = n*10 + int64(c-'0')
		d.pos++
	}
	switch {
	case d.pos == start:
		return 0, d.fail("want a number")
	case d.data[start] == '0' && d.pos-start > 1:
		return 0, d.fail("number with a leading zero")
	}
	return n, nil
}

// instant reads seconds from the base, with an optional fraction of up to
// nine digits, as an instant in UTC.
func (d *compactDecoder) instant() (time.Time, error) {
	neg := d.peek() == '-'
	if neg {
		d.pos++
	}
	sec, err := d.digits(12)
	if err != nil {
		return time.Time{}, err
	}
	var nsec int64
	if d.peek() == '.' {
		d.pos++
		start := d.pos
		for d.pos < len(d.data) && d.data[d.pos] >= '0' && d.data[d.pos] <= '9' {
			if d.pos-start == 9 {
				return time.Time{}, d.fail("more than nine decimals")
			}
			nsec = nsec*10 + int64(d.data[d.pos]-'0')
			d.pos++
		}
		if d.pos == start {
			return time.Time{}, d.fail("want decimals after '.'")
		}
		for range 9 - (d.pos - start) {
			nsec *= 10
		}
	}
	if c := d.peek(); c == 'e' || c == 'E' {
		return time.Time{}, d.fail("instants have no exponent")
	}
	if neg {
		sec, nsec = -sec, -nsec
	}
	sec += d.base
	if nsec < 0 {
		sec, nsec = sec-1, nsec+1e9
	}
	if sec < minInstant || sec > maxInstant {
		return time.Time{}, d.fail("instant outside the years 0000 to 9999")
	}
	return time.Unix(sec, nsec).UTC(), nil
}

// str reads a string into the schedule's arena and queues it for *dst.
func (d *compactDecoder) str(dst *string) error {
	off := len(d.arena)
	var err error
	if d.arena, err = d.appendStr(d.arena); err != nil {
		return err
	}
	if len(d.arena) > off {
		d.fixes = append(d.fixes, stringFix{dst: dst, off: off, end: len(d.arena)})
	} else {
		*dst = ""
	}
	return nil
}

// strBytes reads a string and appends its text to the scratch buffer.
func (d *compactDecoder) strBytes() error {
	var err error
	d.scratch, err = d.appendStr(d.scratch)
	return err
}

// appendStr reads a JSON string and appends its text to buf. Raw control
// characters and invalid UTF-8 are refused: the appender never writes
// them.
func (d *compactDecoder) appendStr(buf []byte) ([]byte, error) {
	if d.peek() != '"' {
		return buf, d.fail("want a string")
	}
	d.pos++
	start := d.pos
	ascii := true
	for {
		// The plain run, eight bytes at a time: most strings are nothing
		// else.
		i := plainRun(d.data, d.pos)
		d.pos = i
		if i >= len(d.data) {
			return buf, d.fail("unterminated string")
		}
		switch c := d.data[i]; {
		case c == '"':
			text := d.data[start:i]
			if !ascii && !utf8.Valid(text) {
				return buf, d.fail("invalid UTF-8 in a string")
			}
			d.pos++
			return append(buf, text...), nil
		case c == '\\':
			if !ascii && !utf8.Valid(d.data[start:i]) {
				return buf, d.fail("invalid UTF-8 in a string")
			}
			buf = append(buf, d.data[start:i]...)
			var err error
			if buf, err = d.escape(buf); err != nil {
				return buf, err
			}
			start, ascii = d.pos, true
		case c < 0x20:
			return buf, d.fail("control character in a string")
		default: // c >= utf8.RuneSelf: checked as a whole at the end
			ascii = false
			d.pos++
		}
	}
}

// escape reads one escape sequence (at the backslash) and appends its
// text. A lone surrogate reads as U+FFFD, as encoding/json reads it.
func (d *compactDecoder) escape(buf []byte) ([]byte, error) {
	if d.pos+1 >= len(d.data) {
		return buf, d.fail("unterminated escape")
	}
	c := d.data[d.pos+1]
	d.pos += 2
	switch c {
	case '"', '\\', '/':
		return append(buf, c), nil
	case 'b':
		return append(buf, '\b'), nil
	case 'f':
		return append(buf, '\f'), nil
	case 'n':
		return append(buf, '\n'), nil
	case 'r':
		return append(buf, '\r'), nil
	case 't':
		return append(buf, '\t'), nil
	case 'u':
		r, ok := d.hex4()
		if !ok {
			return buf, d.fail(`bad \u escape`)
		}
		if utf16IsSurrogate(r) {
			r2 := rune(-1)
			if d.pos+1 < len(d.data) && d.data[d.pos] == '\\' && d.data[d.pos+1] == 'u' {
				save := d.pos
				d.pos += 2
				var ok2 bool
				if r2, ok2 = d.hex4(); !ok2 {
					return buf, d.fail(`bad \u escape`)
				}
				if dec := utf16Decode(r, r2); dec != utf8.RuneError {
					return utf8.AppendRune(buf, dec), nil
				}
				d.pos = save // not a pair: the second escape stands alone
			}
			return utf8.AppendRune(buf, utf8.RuneError), nil
		}
		return utf8.AppendRune(buf, r), nil
	}
	d.pos--
	return buf, d.fail("unknown escape")
}

func (d *compactDecoder) hex4() (rune, bool) {
	if len(d.data)-d.pos < 4 {
		return 0, false
	}
	var r rune
	for _, c := range d.data[d.pos : d.pos+4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	d.pos += 4
	return r, true
}

func utf16IsSurrogate(r rune) bool { return 0xd800 <= r && r < 0xe000 }

// utf16Decode joins a surrogate pair, or returns U+FFFD.
func utf16Decode(r1, r2 rune) rune {
	if 0xd800 <= r1 && r1 < 0xdc00 && 0xdc00 <= r2 && r2 < 0xe000 {
		return (r1-0xd800)<<10 | (r2 - 0xdc00) + 0x10000
	}
	return utf8.RuneError
}

// skipValue skips one JSON value of a member the decoder does not know,
// checking that its brackets match and its depth stays within
// maxSkipDepth. Scalars are only checked for their alphabet: the value is
// thrown away.
func (d *compactDecoder) skipValue() error {
	var closers [maxSkipDepth]byte
	depth := 0
	for {
		// A value starts here.
		switch c := d.peek(); {
		case c == '"':
			if err := d.skipString(); err != nil {
				return err
			}
		case c == '{' || c == '[':
			if depth == maxSkipDepth {
				return d.fail("value nested too deeply")
			}
			closers[depth] = c + 2 // '{'+2 is '}', '['+2 is ']'
			depth++
			d.pos++
			if d.peek() == c+2 {
				d.pos++
				depth--
				break
			}
			if c == '{' {
				if err := d.skipKey(); err != nil {
					return err
				}
			}
			continue
		default:
			start := d.pos
			for d.pos < len(d.data) && scalarByte(d.data[d.pos]) {
				d.pos++
			}
			if d.pos == start {
				return d.fail("want a value")
			}
		}
		// The value is complete: close what it completes, or go on to
		// the next element.
		for {
			if depth == 0 {
				return nil
			}
			c := d.peek()
			if c == closers[depth-1] {
				d.pos++
				depth--
				continue
			}
			if c != ',' {
				return d.fail("want ',' or a closing bracket")
			}
			d.pos++
			if closers[depth-1] == '}' {
				if err := d.skipKey(); err != nil {
					return err
				}
			}
			break
		}
	}
}

// skipKey skips a member name and its colon.
func (d *compactDecoder) skipKey() error {
	if d.peek() != '"' {
		return d.fail("want a member name")
	}
	if err := d.skipString(); err != nil {
		return err
	}
	return d.char(':')
}

// scalarByte reports whether c may appear in a JSON number or literal.
func scalarByte(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-' || c == '+' || c == '.'
}

// skipString skips a JSON string (at its quote), escapes included.
func (d *compactDecoder) skipString() error {
	for i := d.pos + 1; i < len(d.data); i++ {
		switch c := d.data[i]; {
		case c == '"':
			d.pos = i + 1
			return nil
		case c == '\\':
			i++
		case c < 0x20:
			d.pos = i
			return d.fail("control character in a string")
		}
	}
	d.pos = len(d.data)
	return d.fail("unterminated string")
}
