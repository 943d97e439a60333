package ews

import (
	"strconv"
	"time"

	"github.com/calbridge/calbridge/freebusy"
)

// DateTime is an xs:dateTime as EWS writes it (docs/exchange.md §2.4,
// §7 item 11): with an offset ("2012-05-16T08:00:00-04:00", "...Z"), or
// without one, when it is a wall time in the request's zone
// ("2014-02-13T08:00:00"). Date-only values ("2014-02-13") are read as
// midnight.
type DateTime struct {
	// Wall is the date and clock time as written, carried in time.UTC.
	Wall time.Time
	// Offset is the written offset in seconds east of UTC; it is meaningful
	// only when HasOffset is set.
	Offset int
	// HasOffset is set when the value was written with "Z" or "±hh:mm".
	HasOffset bool
}

// localDateTime returns t as a wall time in loc, without an offset: what
// the handler writes (§2.4, "encoders should emit naive local time in the
// request zone").
func localDateTime(t time.Time, loc *time.Location) DateTime {
	// The wall clock of t in loc is the UTC clock of t shifted by loc's
	// offset at t: one zone lookup, where rebuilding the value from its
	// fields with time.Date costs a calendar computation each way.
	var off int
	if loc != nil && loc != time.UTC {
		_, off = t.In(loc).Zone()
	}
	return DateTime{Wall: t.UTC().Add(time.Duration(off) * time.Second)}
}

// offsetDateTime returns t with its own offset.
func offsetDateTime(t time.Time) DateTime {
	_, off := t.Zone()
	return DateTime{Wall: time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC), Offset: off, HasOffset: true}
}

// In returns the instant d denotes, in UTC: a written offset wins, and a
// value without one is a wall time in loc (nil means UTC). Wall times that
// a DST change skips or repeats resolve as time.Date resolves them.
func (d DateTime) In(loc *time.Location) time.Time {
	if d.HasOffset {
		return d.Wall.Add(-time.Duration(d.Offset) * time.Second)
	}
	if loc == nil || loc == time.UTC {
		return d.Wall
	}
	w := d.Wall
	return time.Date(w.Year(), w.Month(), w.Day(), w.Hour(), w.Minute(), w.Second(), w.Nanosecond(), loc).UTC()
}

// IsZero reports whether d is the zero DateTime.
func (d DateTime) IsZero() bool { return d.Wall.IsZero() && !d.HasOffset }

// String formats d as xs:dateTime: seconds always, fractional seconds only
// when not zero, then "Z" or "±hh:mm" when d has an offset.
func (d DateTime) String() string { return string(d.appendTo(nil)) }

func (d DateTime) appendTo(b []byte) []byte { return d.appendCached(b, nil) }

// dateCache remembers the last date appendCached wrote: the events of one
// mailbox come a dozen to a day, and most of them start and end on the
// same date, so the calendar arithmetic runs about once a day instead of
// twice an event.
type dateCache struct {
	days int64    // days since 1970-01-01 of text
	text [10]byte // "YYYY-MM-DD"
	ok   bool
}

// appendCached is appendTo with the date taken from c (nil for none) when
// it is the date of the last call.
func (d DateTime) appendCached(b []byte, c *dateCache) []byte {
	w := d.Wall
	const daySec = 86400
	u := w.Unix()
	days, rem := u/daySec, u%daySec
	if rem < 0 {
		days, rem = days-1, rem+daySec
	}
	if w.Location() != time.UTC || days < minCivilDays || days > maxCivilDays {
		// Outside years 0-9999, or a Wall someone built in another zone:
		// the time package's own fields.
		y, mo, day := w.Date()
		h, mi, s := w.Clock()
		b = append4(b, y)
		b = append(b, '-')
		b = append2(b, int(mo))
		b = append(b, '-')
		b = append2(b, day)
		b = append(b, 'T')
		b = append2(b, h)
		b = append(b, ':')
		b = append2(b, mi)
		b = append(b, ':')
		b = append2(b, s)
	} else {
		if c != nil && c.ok && c.days == days {
			b = append(b, c.text[:]...)
		} else {
			y, mo, day := civilDate(days)
			at := len(b)
			b = append4(b, y)
			b = append(b, '-')
			b = append2(b, int(mo))
			b = append(b, '-')
			b = append2(b, day)
			if c != nil {
				copy(c.text[:], b[at:])
				c.days, c.ok = days, true
			}
		}
		s := int(rem)
		b = append(b, 'T')
		b = append2(b, s/3600)
		b = append(b, ':')
		b = append2(b, s/60%60)
		b = append(b, ':')
		b = append2(b, s%60)
	}
	if ns := w.Nanosecond(); ns != 0 {
		b = append(b, '.')
		frac := strconv.Itoa(ns + 1e9)[1:]
		for len(frac) > 1 && frac[len(frac)-1] == '0' {
			frac = frac[:len(frac)-1]
		}
		b = append(b, frac...)
	}
	if d.HasOffset {
		off := d.Offset / 60
		if off == 0 {
			return append(b, 'Z')
		}
		sign := byte('+')
		if off < 0 {
			sign, off = '-', -off
		}
		b = append(b, sign)
		b = append2(b, off/60)
		b = append(b, ':')
		b = append2(b, off%60)
	}
	return b
}

// civilDate returns the proleptic Gregorian date of a day counted from
// 1970-01-01, for days between minCivilDays and maxCivilDays (years 0 to
// 9999), with the days-to-civil algorithm of Howard Hinnant's
// "chrono-Compatible Low-Level Date Algorithms": what t.Date computes,
// without going through a time.Time.
func civilDate(days int64) (year int, month time.Month, day int) {
	z := days + 719468                                     // days since 0000-03-01, >= 0
	era := z / 146097                                      // 400-year eras
	doe := z - era*146097                                  // [0, 146096]
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365 // [0, 399]
	doy := doe - (365*yoe + yoe/4 - yoe/100)               // [0, 365]
	mp := (5*doy + 2) / 153                                // [0, 11], from March
	m := mp + 3
	if m > 12 {
		m -= 12
	}
	y := yoe + era*400
	if m <= 2 {
		y++
	}
	return int(y), time.Month(m), int(doy - (153*mp+2)/5 + 1)
}

// The days since 1970-01-01 of 0000-03-01 and 9999-12-31: civilDate's
// range.
const (
	minCivilDays = -719468
	maxCivilDays = 2932896
)

func append2(b []byte, v int) []byte { return append(b, byte('0'+v/10%10), byte('0'+v%10)) }

func append4(b []byte, v int) []byte {
	if v < 0 || v > 9999 {
		return strconv.AppendInt(b, int64(v), 10)
	}
	return append(b, byte('0'+v/1000), byte('0'+v/100%10), byte('0'+v/10%10), byte('0'+v%10))
}

// parseDateTime parses an xs:dateTime (or xs:date) as EWS peers write it:
// "YYYY-MM-DD", optionally "THH:MM:SS" with optional fractional seconds
// ("24:00:00" is the end of the day), then an optional "Z" or "±HH:MM".
// Bad input gives a *freebusy.ParseError (Kind "EWS date-time").
func parseDateTime(s string) (DateTime, error) {
	return parseDateTimeBytes([]byte(s))
}

func dateTimeError(b []byte, off int) error {
	return &freebusy.ParseError{Kind: "EWS date-time", Input: string(b), Offset: off}
}

// parseDateTimeBytes is parseDateTime without the string conversion; b is
// not retained.
func parseDateTimeBytes(b []byte) (DateTime, error) {
	b = trimSpace(b)
	num := func(at, n int) (int, bool) {
		if at+n > len(b) {
			return 0, false
		}
		v := 0
		for _, c := range b[at : at+n] {
			if c < '0' || c > '9' {
				return 0, false
			}
			v = v*10 + int(c-'0')
		}
		return v, true
	}
	y, ok1 := num(0, 4)
	mo, ok2 := num(5, 2)
	d, ok3 := num(8, 2)
	if !ok1 || !ok2 || !ok3 || b[4] != '-' || b[7] != '-' || mo < 1 || mo > 12 || d < 1 || d > daysIn(y, time.Month(mo)) {
		return DateTime{}, dateTimeError(b, 0)
	}
	i := 10
	var h, mi, sec, ns int
	if i < len(b) && b[i] == 'T' {
		var ok4, ok5, ok6 bool
		h, ok4 = num(11, 2)
		mi, ok5 = num(14, 2)
		sec, ok6 = num(17, 2)
		if !ok4 || !ok5 || !ok6 || b[13] != ':' || b[16] != ':' || h > 24 || mi > 59 || sec > 59 || (h == 24 && (mi != 0 || sec != 0)) {
			return DateTime{}, dateTimeError(b, 11)
		}
		i = 19
		if i < len(b) && b[i] == '.' {
			i++
			digits := 0
			for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
				if digits < 9 {
					ns = ns*10 + int(b[i]-'0')
				}
				digits++
			}
			if digits == 0 {
				return DateTime{}, dateTimeError(b, i)
			}
			for ; digits < 9; digits++ {
				ns *= 10
			}
			if h == 24 && ns != 0 {
				return DateTime{}, dateTimeError(b, 11)
			}
		}
	}
	dt := DateTime{Wall: time.Date(y, time.Month(mo), d, h, mi, sec, ns, time.UTC)}
	switch {
	case i == len(b):
	case b[i] == 'Z' && i+1 == len(b):
		dt.HasOffset = true
	case (b[i] == '+' || b[i] == '-') && i+6 == len(b) && b[i+3] == ':':
		oh, ok1 := num(i+1, 2)
		om, ok2 := num(i+4, 2)
		if !ok1 || !ok2 || oh > 14 || om > 59 {
			return DateTime{}, dateTimeError(b, i)
		}
		dt.HasOffset = true
		dt.Offset = (oh*60 + om) * 60
		if b[i] == '-' {
			dt.Offset = -dt.Offset
		}
	default:
		return DateTime{}, dateTimeError(b, i)
	}
	return dt, nil
}
