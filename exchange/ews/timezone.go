package ews

import (
	"encoding/binary"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/calbridge/calbridge/freebusy"
)

// SerializableTimeZoneTime is one transition rule of a SerializableTimeZone
// (docs/exchange.md §2.3; [MS-OXWAVLS] 2.2.4.x; EWS reference
// "StandardTime", "DaylightTime", "DayOrder"): the period it starts applies
// Bias more minutes west of UTC than the zone's base Bias, from local wall
// time Time on the DayOrder-th DayOfWeek of Month.
type SerializableTimeZoneTime struct {
	// Bias is added to the zone's Bias while this period applies: usually 0
	// for standard time and -60 for daylight time.
	Bias int
	// Time is the local wall-clock time of the transition, as an offset from
	// local midnight, in the time in effect before the transition.
	Time time.Duration
	// DayOrder is the occurrence of DayOfWeek in Month, 1..5, where 5 means
	// the last; -1 (also "last", written by some EWS code paths) is accepted
	// on input. 0 means the zone has no daylight time.
	DayOrder int
	// Month is 1..12, or 0 when the zone has no daylight time.
	Month time.Month
	// DayOfWeek is the weekday of the transition.
	DayOfWeek time.Weekday
	// Year, when not zero, is the year the rule is for (Exchange 2007 SP1+
	// writes it for one-off rules). It is kept and written back; rules are
	// evaluated the same in every year.
	Year int
}

// SerializableTimeZone is EWS's description of a time zone
// (docs/exchange.md §2.3, `t:TimeZone`): a base Bias in minutes west of
// UTC (UTC = local + Bias + period Bias; Pacific is 480, CET -60) and the
// rules that switch between standard and daylight time. A request's
// TimeZone says how to read its date-times that carry no offset; the
// WorkingHours TimeZone is the mailbox owner's zone.
type SerializableTimeZone struct {
	// Bias is the standard offset, in minutes west of UTC.
	Bias int
	// StandardTime is the rule that starts standard time.
	StandardTime SerializableTimeZoneTime
	// DaylightTime is the rule that starts daylight time.
	DaylightTime SerializableTimeZoneTime
}

// TimeZoneError reports a SerializableTimeZone that cannot be evaluated
// (EWS ResponseCode ErrorTimeZone). It matches freebusy.ErrInvalid.
type TimeZoneError struct {
	// Field names the offending element ("Bias", "DaylightTime/Month").
	Field string
	// Value is the offending value.
	Value string
}

// Error implements error.
func (e *TimeZoneError) Error() string {
	return "ews: invalid time zone: " + e.Field + " " + strconv.Quote(e.Value)
}

// Is makes every *TimeZoneError match freebusy.ErrInvalid.
func (e *TimeZoneError) Is(target error) bool { return target == freebusy.ErrInvalid }

// maxBias bounds every bias, in minutes (EWS allows -1440..1440).
const maxBias = 1440

// HasDaylight reports whether the zone switches between two offsets: both
// rules name a month and a day order, and the two period biases differ.
// The "dummy" zones real clients send for UTC (ews-java-api's transitions
// with equal biases, evolution-ews's zeroed rules; §2.2 client quirks) have
// no daylight time.
func (tz SerializableTimeZone) HasDaylight() bool {
	return tz.StandardTime.Month != 0 && tz.DaylightTime.Month != 0 &&
		tz.StandardTime.DayOrder != 0 && tz.DaylightTime.DayOrder != 0 &&
		tz.StandardTime.Bias != tz.DaylightTime.Bias
}

// Validate reports the first field that cannot be evaluated as a
// *TimeZoneError.
func (tz SerializableTimeZone) Validate() error {
	if tz.Bias < -maxBias || tz.Bias > maxBias {
		return &TimeZoneError{Field: "Bias", Value: strconv.Itoa(tz.Bias)}
	}
	check := func(name string, r SerializableTimeZoneTime) error {
		if r.Bias < -maxBias || r.Bias > maxBias {
			return &TimeZoneError{Field: name + "/Bias", Value: strconv.Itoa(r.Bias)}
		}
		if r.Time < 0 || r.Time > 24*time.Hour || r.Time%time.Second != 0 {
			return &TimeZoneError{Field: name + "/Time", Value: r.Time.String()}
		}
		if r.DayOrder < -1 || r.DayOrder > 5 {
			return &TimeZoneError{Field: name + "/DayOrder", Value: strconv.Itoa(r.DayOrder)}
		}
		if r.Month < 0 || r.Month > 12 {
			return &TimeZoneError{Field: name + "/Month", Value: strconv.Itoa(int(r.Month))}
		}
		if r.DayOfWeek < time.Sunday || r.DayOfWeek > time.Saturday {
			return &TimeZoneError{Field: name + "/DayOfWeek", Value: strconv.Itoa(int(r.DayOfWeek))}
		}
		if r.Year < 0 || r.Year > 30827 {
			return &TimeZoneError{Field: name + "/Year", Value: strconv.Itoa(r.Year)}
		}
		return nil
	}
	if err := check("StandardTime", tz.StandardTime); err != nil {
		return err
	}
	if err := check("DaylightTime", tz.DaylightTime); err != nil {
		return err
	}
	if b := tz.Bias + tz.StandardTime.Bias; b < -maxBias || b > maxBias {
		return &TimeZoneError{Field: "StandardTime/Bias", Value: strconv.Itoa(tz.StandardTime.Bias)}
	}
	if b := tz.Bias + tz.DaylightTime.Bias; b < -maxBias || b > maxBias {
		return &TimeZoneError{Field: "DaylightTime/Bias", Value: strconv.Itoa(tz.DaylightTime.Bias)}
	}
	return nil
}

// normalized returns tz with the spellings that mean the same thing made
// equal: DayOrder -1 becomes 5, and a zone without daylight time has zeroed
// rules and its standard bias folded into Bias.
func (tz SerializableTimeZone) normalized() SerializableTimeZone {
	if !tz.HasDaylight() {
		return SerializableTimeZone{Bias: tz.Bias + tz.StandardTime.Bias}
	}
	for _, r := range []*SerializableTimeZoneTime{&tz.StandardTime, &tz.DaylightTime} {
		if r.DayOrder == -1 {
			r.DayOrder = 5
		}
		r.Year = 0
	}
	return tz
}

// equivalent reports whether tz and o describe the same rules (DayOrder -1
// and 5 alike, dummy daylight rules alike, Year ignored).
func (tz SerializableTimeZone) equivalent(o SerializableTimeZone) bool {
	return tz.normalized() == o.normalized()
}

// utcTimeZone returns the SerializableTimeZone for UTC: Bias 0 and no
// daylight time, as the calbridge client sends it.
func utcTimeZone() SerializableTimeZone {
	return SerializableTimeZone{StandardTime: SerializableTimeZoneTime{DayOfWeek: time.Sunday}, DaylightTime: SerializableTimeZoneTime{DayOfWeek: time.Sunday}}
}

// NewSerializableTimeZone derives the SerializableTimeZone of loc in year
// from tzdata: it finds the year's offset transitions with the Location and
// expresses them as DayOrder/Month/DayOfWeek/Time rules (the last
// occurrence of a weekday in its month is written as DayOrder 5). Standard
// time is the smaller of the two offsets, so zones whose tzdata marks
// winter as "negative daylight time" (Europe/Dublin) come out as Windows
// writes them. A year without transitions gives a zone without daylight
// time; a year with one transition or more than two (a zone that changed
// its base offset, Morocco's Ramadan) is approximated by the offset in
// effect for most of the year.
func NewSerializableTimeZone(loc *time.Location, year int) SerializableTimeZone {
	if loc == nil {
		loc = time.UTC
	}
	type transition struct {
		at       time.Time
		from, to int
	}
	start := time.Date(year, 1, 1, 0, 0, 0, 0, loc)
	end := time.Date(year+1, 1, 1, 0, 0, 0, 0, loc)
	var trs []transition
	longest, longestOff := time.Duration(-1), 0
	for t, n := start, 0; n < 16; n++ {
		_, periodEnd := t.ZoneBounds()
		if periodEnd.IsZero() || periodEnd.After(end) {
			periodEnd = end
		}
		_, off := t.Zone()
		if d := periodEnd.Sub(t); d > longest {
			longest, longestOff = d, off
		}
		if !periodEnd.Before(end) {
			break
		}
		_, to := periodEnd.In(loc).Zone()
		if to != off {
			trs = append(trs, transition{at: periodEnd, from: off, to: to})
		}
		t = periodEnd.In(loc)
	}
	fixed := func(off int) SerializableTimeZone {
		tz := utcTimeZone()
		tz.Bias = -off / 60
		return tz
	}
	if len(trs) != 2 || trs[0].from != trs[1].to || trs[0].to != trs[1].from {
		return fixed(longestOff)
	}
	std, dst := min(trs[0].from, trs[0].to), max(trs[0].from, trs[0].to)
	tz := SerializableTimeZone{Bias: -std / 60}
	tz.StandardTime.Bias = 0
	tz.DaylightTime.Bias = -(dst - std) / 60
	for _, tr := range trs {
		rule := transitionRule(tr.at.In(time.FixedZone("", tr.from)))
		if tr.to == dst {
			rule.Bias = tz.DaylightTime.Bias
			tz.DaylightTime = rule
		} else {
			tz.StandardTime = rule
		}
	}
	return tz
}

// transitionRule expresses the wall-clock instant wall (in the offset in
// effect before the transition) as a weekday-in-month rule.
func transitionRule(wall time.Time) SerializableTimeZoneTime {
	day := wall.Day()
	order := (day-1)/7 + 1
	if day+7 > daysIn(wall.Year(), wall.Month()) {
		order = 5
	}
	midnight := time.Date(wall.Year(), wall.Month(), day, 0, 0, 0, 0, wall.Location())
	return SerializableTimeZoneTime{
		Time:      wall.Sub(midnight),
		DayOrder:  order,
		Month:     wall.Month(),
		DayOfWeek: wall.Weekday(),
	}
}

func daysIn(year int, m time.Month) int {
	return time.Date(year, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// Location returns a *time.Location that converts wall times the way tz
// does, for use around year:
//   - a zone without daylight time becomes UTC, an "Etc/GMT±h" zone for
//     whole hours, or a fixed zone;
//   - a zone with daylight time becomes the first IANA zone of the CLDR
//     Windows zone table whose tzdata rules for year are the same (so that
//     the name is a real tz id, which freebusy.WorkingHours needs to travel);
//   - any other zone gets a Location built from its own rules (a TZif with a
//     POSIX TZ footer, evaluated by the time package for every year).
//
// It returns a *TimeZoneError when tz does not validate.
func (tz SerializableTimeZone) Location(year int) (*time.Location, error) {
	if err := tz.Validate(); err != nil {
		return nil, err
	}
	n := tz.normalized()
	if !n.HasDaylight() {
		return fixedLocation(-n.Bias * 60), nil
	}
	if loc := matchCandidate(n, year); loc != nil {
		return loc, nil
	}
	return ruleLocation(n)
}

// fixedLocation returns a location with a constant offset (seconds east).
func fixedLocation(off int) *time.Location {
	if off == 0 {
		return time.UTC
	}
	if off%3600 == 0 && off >= -12*3600 && off <= 14*3600 {
		// Etc/GMT-1 is one hour EAST of UTC (POSIX sign).
		name := "Etc/GMT" + strconv.Itoa(-off/3600)
		if off < 0 {
			name = "Etc/GMT+" + strconv.Itoa(-off/3600)
		}
		if loc, err := freebusy.LoadZone(name); err == nil {
			return loc
		}
	}
	return time.FixedZone(formatOffsetName(off), off)
}

// preferredCandidates are tried first when several zones share one rule
// (Los Angeles and Tijuana, Berlin and Paris): the zones most people mean.
var preferredCandidates = []string{
	"America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles",
	"Europe/London", "Europe/Berlin", "Europe/Kyiv", "Australia/Sydney",
}

// candidateLocations loads the golden zone of every Windows id once,
// preferred zones first; zones the local tzdata lacks are skipped. The list
// is read-only afterwards.
var candidateLocations = sync.OnceValue(func() []*time.Location {
	var out []*time.Location
	for _, name := range preferredCandidates {
		if loc, err := time.LoadLocation(name); err == nil {
			out = append(out, loc)
		}
	}
	for _, id := range freebusy.WindowsZoneIDs() {
		golden, _ := freebusy.WindowsToIANA(id)
		if loc, err := time.LoadLocation(golden); err == nil {
			out = append(out, loc)
		}
	}
	return out
})

func matchCandidate(n SerializableTimeZone, year int) *time.Location {
	std := -(n.Bias + n.StandardTime.Bias) * 60
	dst := -(n.Bias + n.DaylightTime.Bias) * 60
	jan := time.Date(year, 1, 15, 12, 0, 0, 0, time.UTC)
	jul := time.Date(year, 7, 15, 12, 0, 0, 0, time.UTC)
	for _, loc := range candidateLocations() {
		_, o1 := jan.In(loc).Zone()
		_, o2 := jul.In(loc).Zone()
		if o1 == o2 || (o1 != std && o1 != dst) || (o2 != std && o2 != dst) {
			continue
		}
		if NewSerializableTimeZone(loc, year).equivalent(n) {
			return loc
		}
	}
	return nil
}

// ruleLocation builds a Location from the rules of n, which must have
// daylight time: a TZif (RFC 8536) version 2 file with no transitions and a
// POSIX TZ footer, which time.LoadLocationFromTZData evaluates for any year.
func ruleLocation(n SerializableTimeZone) (*time.Location, error) {
	stdOff := -(n.Bias + n.StandardTime.Bias) * 60
	dstOff := -(n.Bias + n.DaylightTime.Bias) * 60
	stdName, dstName := formatOffsetName(stdOff), formatOffsetName(dstOff)
	footer := "<" + stdName + ">" + posixOffset(stdOff) + "<" + dstName + ">" + posixOffset(dstOff) +
		"," + posixRule(n.DaylightTime) + "," + posixRule(n.StandardTime)
	abbr := stdName + "\x00"
	var b []byte
	header := func() {
		b = append(b, "TZif2"...)
		b = append(b, make([]byte, 15)...)
		// isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt
		for _, c := range []uint32{0, 0, 0, 0, 1, uint32(len(abbr))} {
			b = binary.BigEndian.AppendUint32(b, c)
		}
	}
	body := func() {
		b = binary.BigEndian.AppendUint32(b, uint32(int32(stdOff)))
		b = append(b, 0, 0) // isdst, abbreviation index
		b = append(b, abbr...)
	}
	header()
	body()
	header()
	body()
	b = append(b, '\n')
	b = append(b, footer...)
	b = append(b, '\n')
	loc, err := time.LoadLocationFromTZData(footer, b)
	if err != nil {
		return nil, &TimeZoneError{Field: "TimeZone", Value: footer}
	}
	return loc, nil
}

// formatOffsetName writes an offset in seconds east as "+0100" / "-0330".
func formatOffsetName(off int) string {
	sign := byte('+')
	if off < 0 {
		sign, off = '-', -off
	}
	m := off / 60
	return fmt.Sprintf("%c%02d%02d", sign, m/60, m%60)
}

// posixOffset writes an offset in seconds east the POSIX way: hours WEST,
// "-1" for one hour east, "3:30" for three and a half hours west.
func posixOffset(off int) string {
	west := -off / 60
	sign := ""
	if west < 0 {
		sign, west = "-", -west
	}
	return fmt.Sprintf("%s%d:%02d", sign, west/60, west%60)
}

// posixRule writes a transition as "Mm.w.d/hh:mm:ss".
func posixRule(r SerializableTimeZoneTime) string {
	order := r.DayOrder
	if order < 1 || order > 5 {
		order = 5
	}
	secs := int(r.Time / time.Second)
	return fmt.Sprintf("M%d.%d.%d/%d:%02d:%02d", int(r.Month), order, int(r.DayOfWeek), secs/3600, secs/60%60, secs%60)
}
