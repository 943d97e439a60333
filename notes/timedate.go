package notes

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/calbridge/calbridge/freebusy"
)

// TIMEDATE constants (docs/notes.md §4.1, misc.h).
const (
	// timeDateSize is the size of an encoded TIMEDATE, in bytes.
	timeDateSize = 8
	// timeDatePairSize is the size of an encoded TIMEDATE_PAIR, in bytes.
	timeDatePairSize = 2 * timeDateSize

	// allDay in Innards[0] means "no time": a date-only value.
	allDay uint32 = 0xFFFFFFFF
	// anyDay in Innards[1] means "no date": a time-only value.
	anyDay uint32 = 0xFFFFFFFF

	ticksPerSecond = 100
	ticksPerDay    = 86400 * ticksPerSecond // TICKS_IN_DAY 8640000

	jdUnixEpoch = 2440588 // Julian day number of 1970-01-01
	jdMask      = 0x00FFFFFF
	dstBit      = 0x80000000
	eastBit     = 0x40000000
	quarterMask = 0x30000000
	hourMask    = 0x0F000000

	// maxZoneOffset is the largest offset the zone bits can hold:
	// 15 hours and 3 quarters.
	maxZoneOffset = 15*time.Hour + 45*time.Minute
)

// Conditions a *TimeDateError reports; match them with errors.Is.
var (
	// ErrTimeDateLength: the input is not exactly 8 (or 16, for a pair)
	// bytes.
	ErrTimeDateLength = errors.New("notes: TIMEDATE has the wrong length")
	// ErrTimeOfDay: Innards[0] is neither ALLDAY nor below TICKS_IN_DAY.
	ErrTimeOfDay = errors.New("notes: TIMEDATE time of day out of range")
	// ErrNoInstant: the value is null (all zero) or a wildcard (ALLDAY,
	// ANYDAY) and so names no instant by itself.
	ErrNoInstant = errors.New("notes: TIMEDATE names no instant")
	// ErrDateRange: the instant is before Julian day 1 (4713 BC; day 0 is
	// reserved, as its GMT midnight would encode as the null value) or
	// beyond the 24 bits of the day number.
	ErrDateRange = errors.New("notes: date outside the TIMEDATE range")
	// ErrZoneOffset: the zone offset is not a multiple of 15 minutes, or is
	// beyond 15h45m, so the zone bits cannot hold it (§4.2).
	ErrZoneOffset = errors.New("notes: zone offset cannot be encoded in a TIMEDATE")
	// ErrInvertedPair: a TIMEDATE_PAIR's Upper is before its Lower.
	ErrInvertedPair = errors.New("notes: TIMEDATE pair ends before it starts")
)

// TimeDateError reports a TIMEDATE that could not be decoded, encoded or
// interpreted. It matches its condition and freebusy.ErrInvalid with
// errors.Is.
type TimeDateError struct {
	// Op is what was being done: "decode", "encode", "time".
	Op string
	// Innards is the value concerned, when there is one.
	Innards [2]uint32
	// Err is the condition.
	Err error
}

// Error implements error.
func (e *TimeDateError) Error() string {
	return fmt.Sprintf("notes: TIMEDATE %s %08X/%08X: %s", e.Op, e.Innards[0], e.Innards[1], trimPkg(e.Err))
}

// Unwrap returns the condition.
func (e *TimeDateError) Unwrap() error { return e.Err }

// Is makes every TimeDateError match freebusy.ErrInvalid.
func (e *TimeDateError) Is(target error) bool { return target == freebusy.ErrInvalid }

// Zone is the zone metadata a TIMEDATE carries about where it was written
// (§4.1): the zone's standard offset from GMT, positive east, in whole
// quarter hours, and whether that zone observes daylight saving time. The
// instant does not depend on it.
type Zone struct {
	// Offset is the standard-time offset from GMT, positive east of
	// Greenwich (CET is +1h, US Eastern -5h).
	Offset time.Duration
	// DST reports that daylight saving time is observed in the zone.
	DST bool
}

// String formats the zone as "+05:30" or "-05:00 DST".
func (z Zone) String() string {
	sign := '+'
	off := z.Offset
	if off < 0 {
		sign, off = '-', -off
	}
	s := fmt.Sprintf("%c%02d:%02d", sign, int(off/time.Hour), int(off%time.Hour/time.Minute))
	if z.DST {
		s += " DST"
	}
	return s
}

// zoneOf returns the Zone that describes loc around instant t, from tzdata:
// the standard offset (the smaller of the offsets of January and July) and
// whether the zone observes DST that year (they differ). This is the
// interoperable encoding recommended in §4.2 (the C API writes EST as zone 5 with the DST bit);
// domino-jna's habit of writing the summer offset is not followed.
func zoneOf(t time.Time, loc *time.Location) Zone {
	if loc == nil {
		loc = time.UTC
	}
	y := t.In(loc).Year()
	_, offJan := time.Date(y, time.January, 1, 12, 0, 0, 0, loc).Zone()
	_, offJul := time.Date(y, time.July, 1, 12, 0, 0, 0, loc).Zone()
	if offJan != offJul {
		// The standard offset is the smaller one in both hemispheres, and
		// also for zones that tzdata writes with negative DST (Europe/Dublin
		// is GMT in winter).
		return Zone{Offset: time.Duration(min(offJan, offJul)) * time.Second, DST: true}
	}
	_, off := t.In(loc).Zone()
	return Zone{Offset: time.Duration(off) * time.Second}
}

// TimeDate is the Notes TIMEDATE (docs/notes.md §4.1, global.h): two
// 32-bit words. Innards[0] is the time of day in GMT in hundredths of a
// second, or ALLDAY (0xFFFFFFFF: a date-only value); Innards[1] holds the
// Julian day number in bits 0-23 and the zone of origin in bits 24-31, or
// ANYDAY (0xFFFFFFFF: a time-only value). On disk and on the wire it is
// 8 bytes, little-endian, Innards[0] first.
//
// The zero TimeDate is the null value Notes uses for "no time".
type TimeDate struct {
	// Innards are the two words, as described above.
	Innards [2]uint32
}

// TimeDatePair is a TIMEDATE_PAIR (§3.4): a range from Lower to Upper, 16
// bytes on the wire.
type TimeDatePair struct {
	// Lower is where the range starts.
	Lower TimeDate
	// Upper is where it ends.
	Upper TimeDate
}

// NewTimeDate encodes the instant t, with the zone bits describing t's
// location as tzdata knows it: the zone's standard offset (the smaller of
// its January and July offsets) and whether it observes DST that year, the
// interoperable encoding of §4.2 (the C API writes US Eastern as zone 5
// with the DST bit, winter or summer). It fails for locations whose
// standard offset is not a whole number of quarter hours, and for instants
// outside the TIMEDATE range. Hundredths of a second are kept; finer
// precision is truncated.
func NewTimeDate(t time.Time) (TimeDate, error) {
	return newTimeDateInZone(t, zoneOf(t, t.Location()))
}

// newTimeDateInZone encodes the instant t with the given zone metadata.
func newTimeDateInZone(t time.Time, z Zone) (TimeDate, error) {
	zoneBits, err := encodeZone(z)
	if err != nil {
		return TimeDate{}, &TimeDateError{Op: "encode", Err: err}
	}
	jd, ticks, err := julian(t)
	if err != nil {
		return TimeDate{}, &TimeDateError{Op: "encode", Err: err}
	}
	return TimeDate{Innards: [2]uint32{ticks, jd | zoneBits}}, nil
}

// NewDateOnly returns the date-only (ALLDAY) TIMEDATE for a calendar date,
// with no zone: it names a day, which becomes an instant only in some zone
// (see TimeDate.Range).
func NewDateOnly(year int, month time.Month, day int) (TimeDate, error) {
	jd, _, err := julian(time.Date(year, month, day, 0, 0, 0, 0, time.UTC))
	if err != nil {
		return TimeDate{}, &TimeDateError{Op: "encode", Err: err}
	}
	return TimeDate{Innards: [2]uint32{allDay, jd}}, nil
}

// NewTimeOnly returns the time-only (ANYDAY) TIMEDATE for a wall-clock
// offset from midnight, 0 <= clock < 24h.
func NewTimeOnly(clock time.Duration) (TimeDate, error) {
	if clock < 0 || clock >= 24*time.Hour {
		return TimeDate{}, &TimeDateError{Op: "encode", Err: ErrTimeOfDay}
	}
	return TimeDate{Innards: [2]uint32{uint32(clock / (time.Second / ticksPerSecond)), anyDay}}, nil
}

// julian returns the Julian day number and GMT ticks of t.
func julian(t time.Time) (jd uint32, ticks uint32, err error) {
	u := t.UTC()
	secs := u.Unix()
	days := secs / 86400
	rem := secs % 86400
	if rem < 0 {
		days--
		rem += 86400
	}
	j := days + jdUnixEpoch
	if j < 1 || j > jdMask {
		return 0, 0, ErrDateRange
	}
	return uint32(j), uint32(rem*ticksPerSecond + int64(u.Nanosecond())/1e7), nil
}

func encodeZone(z Zone) (uint32, error) {
	off := z.Offset
	var bits uint32
	if off > 0 {
		bits |= eastBit
	} else {
		off = -off
	}
	if off%(15*time.Minute) != 0 || off > maxZoneOffset {
		return 0, ErrZoneOffset
	}
	bits |= uint32(off/time.Hour) << 24
	bits |= uint32(off%time.Hour/(15*time.Minute)) << 28
	if z.DST {
		bits |= dstBit
	}
	return bits, nil
}

// DecodeTimeDate decodes an 8-byte little-endian TIMEDATE (§4.1). It rejects
// any other length and a time of day beyond TICKS_IN_DAY; the zone bits are
// metadata and are not checked.
func DecodeTimeDate(b []byte) (TimeDate, error) {
	if len(b) != timeDateSize {
		return TimeDate{}, &TimeDateError{Op: "decode", Err: ErrTimeDateLength}
	}
	td := TimeDate{Innards: [2]uint32{binary.LittleEndian.Uint32(b), binary.LittleEndian.Uint32(b[4:])}}
	if err := td.Validate(); err != nil {
		return TimeDate{}, err
	}
	return td, nil
}

// Validate reports whether Innards[0] is a valid time of day or ALLDAY.
func (td TimeDate) Validate() error {
	if td.Innards[0] != allDay && td.Innards[0] >= ticksPerDay {
		return &TimeDateError{Op: "decode", Innards: td.Innards, Err: ErrTimeOfDay}
	}
	return nil
}

// AppendBinary appends the 8-byte little-endian encoding of td to b.
func (td TimeDate) AppendBinary(b []byte) ([]byte, error) {
	b = binary.LittleEndian.AppendUint32(b, td.Innards[0])
	return binary.LittleEndian.AppendUint32(b, td.Innards[1]), nil
}

// MarshalBinary returns the 8-byte little-endian encoding of td.
func (td TimeDate) MarshalBinary() ([]byte, error) {
	return td.AppendBinary(make([]byte, 0, timeDateSize))
}

// UnmarshalBinary decodes with DecodeTimeDate.
func (td *TimeDate) UnmarshalBinary(b []byte) error {
	v, err := DecodeTimeDate(b)
	if err != nil {
		return err
	}
	*td = v
	return nil
}

// IsZero reports whether td is the null TIMEDATE (both words zero).
func (td TimeDate) IsZero() bool { return td.Innards == [2]uint32{} }

// IsAllDay reports whether td is date-only (Innards[0] is ALLDAY).
func (td TimeDate) IsAllDay() bool { return td.Innards[0] == allDay }

// IsAnyDay reports whether td is time-only (Innards[1] is ANYDAY).
func (td TimeDate) IsAnyDay() bool { return td.Innards[1] == anyDay }

// HasInstant reports whether td names an instant: it is neither null nor
// a wildcard form, and its day is not Julian day 0, whose GMT midnight
// would be indistinguishable from the null value.
func (td TimeDate) HasInstant() bool {
	return !td.IsZero() && !td.IsAllDay() && !td.IsAnyDay() && td.Innards[1]&jdMask != 0
}

// Zone returns the zone metadata of td (zero for ANYDAY values).
func (td TimeDate) Zone() Zone {
	if td.IsAnyDay() {
		return Zone{}
	}
	in1 := td.Innards[1]
	off := time.Duration((in1&hourMask)>>24)*time.Hour + time.Duration((in1&quarterMask)>>28)*15*time.Minute
	if in1&eastBit == 0 {
		off = -off
	}
	return Zone{Offset: off, DST: in1&dstBit != 0}
}

// Time returns the instant td names, in UTC. The zone bits do not change the
// instant (both words are GMT); read them with Zone. Values without an
// instant (see HasInstant) fail with ErrNoInstant.
func (td TimeDate) Time() (time.Time, error) {
	if !td.HasInstant() {
		return time.Time{}, &TimeDateError{Op: "time", Innards: td.Innards, Err: ErrNoInstant}
	}
	if err := td.Validate(); err != nil {
		return time.Time{}, err
	}
	jd := int64(td.Innards[1] & jdMask)
	ticks := int64(td.Innards[0])
	sec := (jd-jdUnixEpoch)*86400 + ticks/ticksPerSecond
	return time.Unix(sec, (ticks%ticksPerSecond)*1e7).UTC(), nil
}

// Date returns the date part of td (the GMT date for a timed value), and
// false for ANYDAY and null values.
func (td TimeDate) Date() (year int, month time.Month, day int, ok bool) {
	if td.IsAnyDay() || td.IsZero() {
		return 0, 0, 0, false
	}
	jd := int64(td.Innards[1] & jdMask)
	year, month, day = time.Unix((jd-jdUnixEpoch)*86400, 0).UTC().Date()
	return year, month, day, true
}

// Clock returns the time-of-day part of td (GMT for a timed value) as an
// offset from midnight, and false for ALLDAY and null values or an invalid
// time of day.
func (td TimeDate) Clock() (time.Duration, bool) {
	if td.IsAllDay() || td.IsZero() || td.Innards[0] >= ticksPerDay {
		return 0, false
	}
	return time.Duration(td.Innards[0]) * (time.Second / ticksPerSecond), true
}

// In resolves td to an instant, reading a date-only value as midnight
// starting that day in loc. Time-only and null values fail with
// ErrNoInstant.
func (td TimeDate) In(loc *time.Location) (time.Time, error) {
	if td.IsAllDay() && !td.IsAnyDay() {
		if loc == nil {
			loc = time.UTC
		}
		y, m, d, _ := td.Date()
		return time.Date(y, m, d, 0, 0, 0, 0, loc).UTC(), nil
	}
	return td.Time()
}

// String formats td the way ConvertTIMEDATEtoRFC3339Date does (§4.3):
// 1985-04-12T23:20:50.52Z. Date-only values print as 2024-03-15,
// time-only values as T14:30:00.00, null as "null", an invalid time of
// day as the raw words.
func (td TimeDate) String() string {
	clock, hasClock := td.Clock()
	y, m, d, hasDate := td.Date()
	switch {
	case td.IsZero():
		return "null"
	case td.Validate() != nil:
		return fmt.Sprintf("TIMEDATE(%08X/%08X)", td.Innards[0], td.Innards[1])
	case !hasClock && !hasDate:
		return "*"
	case !hasClock:
		return fmt.Sprintf("%04d-%02d-%02d", y, m, d)
	}
	c := fmt.Sprintf("T%02d:%02d:%02d.%02d", int(clock/time.Hour), int(clock%time.Hour/time.Minute),
		int(clock%time.Minute/time.Second), int(clock%time.Second/(10*time.Millisecond)))
	if !hasDate {
		return c
	}
	return fmt.Sprintf("%04d-%02d-%02d%sZ", y, m, d, c)
}

// NewTimeDatePair encodes [start, end) as a TIMEDATE_PAIR with the zone
// bits of each instant's location.
func NewTimeDatePair(start, end time.Time) (TimeDatePair, error) {
	lo, err := NewTimeDate(start)
	if err != nil {
		return TimeDatePair{}, err
	}
	hi, err := NewTimeDate(end)
	if err != nil {
		return TimeDatePair{}, err
	}
	return TimeDatePair{Lower: lo, Upper: hi}, nil
}

// DecodeTimeDatePair decodes a 16-byte TIMEDATE_PAIR: Lower then Upper.
func DecodeTimeDatePair(b []byte) (TimeDatePair, error) {
	if len(b) != timeDatePairSize {
		return TimeDatePair{}, &TimeDateError{Op: "decode", Err: ErrTimeDateLength}
	}
	lo, err := DecodeTimeDate(b[:timeDateSize])
	if err != nil {
		return TimeDatePair{}, err
	}
	hi, err := DecodeTimeDate(b[timeDateSize:])
	if err != nil {
		return TimeDatePair{}, err
	}
	return TimeDatePair{Lower: lo, Upper: hi}, nil
}

// AppendBinary appends the 16-byte encoding of p to b.
func (p TimeDatePair) AppendBinary(b []byte) ([]byte, error) {
	b, _ = p.Lower.AppendBinary(b)
	return p.Upper.AppendBinary(b)
}

// MarshalBinary returns the 16-byte encoding of p.
func (p TimeDatePair) MarshalBinary() ([]byte, error) {
	return p.AppendBinary(make([]byte, 0, timeDatePairSize))
}

// Range returns the instants [start, end) the pair covers. Timed values are
// GMT instants and loc does not matter for them. Date-only values are days
// in loc (the owner's zone; nil means UTC): Lower starts at midnight of its
// day and Upper ends at the midnight after its day, so that the pair
// (2024-03-15, 2024-03-15) covers that whole day. It fails with ErrNoInstant
// for null and time-only values.
func (p TimeDatePair) Range(loc *time.Location) (start, end time.Time, err error) {
	if start, err = p.Lower.In(loc); err != nil {
		return time.Time{}, time.Time{}, err
	}
	if p.Upper.IsAllDay() && !p.Upper.IsAnyDay() {
		if loc == nil {
			loc = time.UTC
		}
		y, m, d, _ := p.Upper.Date()
		return start, time.Date(y, m, d+1, 0, 0, 0, 0, loc).UTC(), nil
	}
	if end, err = p.Upper.Time(); err != nil {
		return time.Time{}, time.Time{}, err
	}
	if end.Before(start) {
		return time.Time{}, time.Time{}, &TimeDateError{Op: "range", Err: ErrInvertedPair}
	}
	return start, end, nil
}

// Interval returns the pair as a canonical interval with status s; see
// Range for how loc is used.
func (p TimeDatePair) Interval(loc *time.Location, s freebusy.Status) (freebusy.Interval, error) {
	start, end, err := p.Range(loc)
	if err != nil {
		return freebusy.Interval{}, err
	}
	return freebusy.NewInterval(start, end, s), nil
}

// String formats the pair as "lower/upper".
func (p TimeDatePair) String() string { return p.Lower.String() + "/" + p.Upper.String() }

// trimPkg returns err's message without a leading "notes: ".
func trimPkg(err error) string {
	msg := err.Error()
	if len(msg) > 7 && msg[:7] == "notes: " {
		return msg[7:]
	}
	return msg
}
