package ical

import (
	"errors"
	"time"

	"github.com/calbridge/calbridge/freebusy"
)

// This file holds the RFC 5545 value types go-ical does not parse: PERIOD
// (§3.3.9) and the DURATION value (§3.3.6), plus a UTC DATE-TIME (§3.3.5)
// reader and writer that avoid time.Parse and allocate nothing. FREEBUSY
// lines are the bulk of every VFREEBUSY, so these are on the hot path.

// Causes carried by a *ParseError of Kind "period" or "duration".
var (
	errPeriodSlash   = errors.New("period needs a \"/\" between start and end")
	errNotUTC        = errors.New("FREEBUSY periods must be UTC date-times (RFC 5545 §3.8.2.6)")
	errBadDateTime   = errors.New("malformed date-time")
	errBadDuration   = errors.New("malformed duration")
	errDurationRange = errors.New("duration out of range")
)

// utcDateTimeLen is the length of "19970714T173000Z".
const utcDateTimeLen = 16

// parseUTCDateTime parses an RFC 5545 §3.3.5 DATE-TIME in UTC form
// ("19970714T173000Z").
func parseUTCDateTime(s string) (time.Time, bool) {
	if len(s) != utcDateTimeLen || s[15] != 'Z' {
		return time.Time{}, false
	}
	f, ok := parseDateTimeFields(s[:15])
	if !ok {
		return time.Time{}, false
	}
	return f.utc(), true
}

// utc returns the fields as a UTC instant. It computes the Unix time
// directly (days from the civil date, Howard Hinnant's algorithm), which is
// several times cheaper than time.Date on the FREEBUSY hot path; the fields
// are already validated, and second 60 carries into the next minute as
// time.Date would.
func (f dateTimeFields) utc() time.Time {
	y, m := int64(f.year), int64(f.month)
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era--
	}
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + int64(f.day) - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	days := era*146097 + doe - 719468
	sec := days*86400 + int64(f.hour)*3600 + int64(f.min)*60 + int64(f.sec)
	return time.Unix(sec, 0).UTC()
}

// dateTimeFields are the wall-clock fields of a DATE or DATE-TIME value.
type dateTimeFields struct {
	year, month, day, hour, min, sec int
}

// in returns the fields as an instant in loc. A wall-clock time that does
// not exist there (a DST gap) is normalised by time.Date.
func (f dateTimeFields) in(loc *time.Location) time.Time {
	return time.Date(f.year, time.Month(f.month), f.day, f.hour, f.min, f.sec, 0, loc)
}

// parseDateFields parses an RFC 5545 §3.3.4 DATE ("19970714"), checking that
// the day exists in its month.
func parseDateFields(s string) (dateTimeFields, bool) {
	var f dateTimeFields
	if len(s) != 8 {
		return f, false
	}
	var ok1, ok2, ok3 bool
	f.year, ok1 = atoiFixed(s[0:4])
	f.month, ok2 = atoiFixed(s[4:6])
	f.day, ok3 = atoiFixed(s[6:8])
	if !ok1 || !ok2 || !ok3 || f.month < 1 || f.month > 12 || f.day < 1 || f.day > daysInMonth(f.year, f.month) {
		return f, false
	}
	return f, true
}

// parseDateTimeFields parses a local DATE-TIME without the "Z"
// ("19970714T173000"). Second 60 (a leap second, RFC 5545 §3.3.5) is
// accepted and normalises to the next minute.
func parseDateTimeFields(s string) (dateTimeFields, bool) {
	if len(s) != 15 || s[8] != 'T' {
		return dateTimeFields{}, false
	}
	f, ok := parseDateFields(s[:8])
	if !ok {
		return f, false
	}
	var ok1, ok2, ok3 bool
	f.hour, ok1 = atoiFixed(s[9:11])
	f.min, ok2 = atoiFixed(s[11:13])
	f.sec, ok3 = atoiFixed(s[13:15])
	if !ok1 || !ok2 || !ok3 || f.hour > 23 || f.min > 59 || f.sec > 60 {
		return f, false
	}
	return f, true
}

// atoiFixed parses a run of ASCII digits (no sign).
func atoiFixed(s string) (int, bool) {
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, len(s) > 0
}

func daysInMonth(year, month int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// appendUTCDateTime appends t in UTC as "19970714T173000Z". Sub-second
// precision is dropped: iCalendar has none.
func appendUTCDateTime(b []byte, t time.Time) []byte {
	t = t.UTC()
	y, mo, d := t.Date()
	h, mi, s := t.Clock()
	b = appendDigits(b, y, 4)
	b = appendDigits(b, int(mo), 2)
	b = appendDigits(b, d, 2)
	b = append(b, 'T')
	b = appendDigits(b, h, 2)
	b = appendDigits(b, mi, 2)
	b = appendDigits(b, s, 2)
	return append(b, 'Z')
}

// appendDigits appends n zero-padded to width digits. Years outside 0..9999
// cannot be written in iCalendar; callers check the range first.
func appendDigits(b []byte, n, width int) []byte {
	var buf [8]byte
	for i := width - 1; i >= 0; i-- {
		buf[i] = byte('0' + n%10)
		n /= 10
	}
	return append(b, buf[:width]...)
}

// durValue is an RFC 5545 §3.3.6 dur-value (a DURATION). Days and weeks are
// nominal (they follow the wall clock across a DST change), hours, minutes
// and seconds are exact, so the two parts are kept apart.
type durValue struct {
	days  int           // nominal days, weeks included; negative when negated
	exact time.Duration // negative when negated
}

// maxDurationSeconds keeps exact parts inside time.Duration's range.
const maxDurationSeconds = int64(1<<63-1) / int64(time.Second)

// maxDurationDays bounds nominal days to about 2700 years, far past any
// calendar window, so that AddDate never overflows.
const maxDurationDays = 1_000_000

// parseDuration parses an RFC 5545 §3.3.6 dur-value ("PT1H30M", "P1D",
// "-P2W"). It is lenient about the order of units, strict about everything
// else.
func parseDuration(s string) (durValue, error) {
	var d durValue
	i := 0
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	if i >= len(s) || s[i] != 'P' {
		return d, errBadDuration
	}
	i++
	if i >= len(s) {
		return d, errBadDuration
	}
	inTime := false
	var seconds int64
	units, timeUnits := 0, 0
	for i < len(s) {
		if s[i] == 'T' {
			if inTime {
				return d, errBadDuration
			}
			inTime = true
			i++
			continue
		}
		j := i
		var n int64
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			if j-i >= 9 {
				return d, errDurationRange
			}
			n = n*10 + int64(s[j]-'0')
			j++
		}
		if j == i || j >= len(s) {
			return d, errBadDuration
		}
		unit := s[j]
		i = j + 1
		units++
		if inTime {
			timeUnits++
		}
		switch {
		case !inTime && unit == 'W':
			d.days += int(n) * 7
		case !inTime && unit == 'D':
			d.days += int(n)
		case inTime && unit == 'H':
			seconds += n * 3600
		case inTime && unit == 'M':
			seconds += n * 60
		case inTime && unit == 'S':
			seconds += n
		default:
			return d, errBadDuration
		}
		if seconds > maxDurationSeconds || d.days > maxDurationDays {
			return d, errDurationRange
		}
	}
	if units == 0 || inTime && timeUnits == 0 {
		return d, errBadDuration
	}
	d.exact = time.Duration(seconds) * time.Second
	if neg {
		d.days, d.exact = -d.days, -d.exact
	}
	return d, nil
}

// addTo returns t plus d: nominal days on t's wall clock, then the exact
// part.
func (d durValue) addTo(t time.Time) time.Time {
	if d.days != 0 {
		t = t.AddDate(0, 0, d.days)
	}
	return t.Add(d.exact)
}

// parsePeriod parses one RFC 5545 §3.3.9 PERIOD in UTC, in either the
// start/end form ("19970101T180000Z/19970102T070000Z") or the
// start/duration form ("19970101T180000Z/PT5H30M"). A period whose end is
// before its start is returned as is: Normalize applies the policy for
// those (Domino DAS writes one, docs/notes.md §2.2.6).
//
// Errors are *ParseError of Kind "period" with the offset of the problem.
func parsePeriod(s string) (start, end time.Time, err error) {
	if len(s) < utcDateTimeLen+2 || s[utcDateTimeLen] != '/' {
		slash := -1
		for i := 0; i < len(s); i++ {
			if s[i] == '/' {
				slash = i
				break
			}
		}
		switch {
		case slash < 0:
			return start, end, &freebusy.ParseError{Kind: "period", Input: s, Err: errPeriodSlash}
		case slash == 15:
			return start, end, &freebusy.ParseError{Kind: "period", Input: s, Err: errNotUTC}
		}
		return start, end, &freebusy.ParseError{Kind: "period", Input: s, Err: errBadDateTime}
	}
	var ok bool
	if start, ok = parseUTCDateTime(s[:utcDateTimeLen]); !ok {
		return start, end, &freebusy.ParseError{Kind: "period", Input: s, Err: startError(s[:utcDateTimeLen])}
	}
	rest := s[utcDateTimeLen+1:]
	if c := rest[0]; c == 'P' || c == '+' || c == '-' {
		d, err := parseDuration(rest)
		if err != nil {
			return start, end, &freebusy.ParseError{Kind: "period", Input: s, Offset: utcDateTimeLen + 1, Err: err}
		}
		return start, d.addTo(start), nil
	}
	if end, ok = parseUTCDateTime(rest); !ok {
		return start, end, &freebusy.ParseError{Kind: "period", Input: s, Offset: utcDateTimeLen + 1, Err: startError(rest)}
	}
	return start, end, nil
}

// startError tells a local (floating) date-time from garbage.
func startError(s string) error {
	if _, ok := parseDateTimeFields(s[:min(len(s), 15)]); ok && (len(s) == 15 || s[len(s)-1] != 'Z') {
		return errNotUTC
	}
	return errBadDateTime
}

// appendPeriod appends the start/end form of a PERIOD in UTC.
func appendPeriod(b []byte, start, end time.Time) []byte {
	b = appendUTCDateTime(b, start)
	b = append(b, '/')
	return appendUTCDateTime(b, end)
}
