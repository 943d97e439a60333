package notes

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/calbridge/calbridge/freebusy"
)

// Conditions a *TimeZoneError reports; match them with errors.Is.
var (
	// ErrTimeZoneSyntax: the string is not of the form Z=..$DO=..$DL=...
	ErrTimeZoneSyntax = errors.New("notes: malformed time-zone string")
	// ErrUnknownTimeZone: no IANA zone matches the string's name or rules.
	ErrUnknownTimeZone = errors.New("notes: no IANA zone matches the time-zone string")
)

// TimeZoneError reports a Notes time-zone string that could not be parsed
// or mapped. It matches its condition and freebusy.ErrInvalid.
type TimeZoneError struct {
	// Input is the string concerned.
	Input string
	// Detail says what is wrong.
	Detail string
	// Err is the condition.
	Err error
}

// Error implements error.
func (e *TimeZoneError) Error() string {
	in := e.Input
	if len(in) > 80 {
		in = in[:80] + "..."
	}
	msg := fmt.Sprintf("notes: time zone %q: %s", in, trimPkg(e.Err))
	if e.Detail != "" {
		msg += ": " + e.Detail
	}
	return msg
}

// Unwrap returns the condition.
func (e *TimeZoneError) Unwrap() error { return e.Err }

// Is makes every TimeZoneError match freebusy.ErrInvalid.
func (e *TimeZoneError) Is(target error) bool { return target == freebusy.ErrInvalid }

// DSTRule is one end of a daylight-saving period in a Notes time-zone
// string: the Week-th Weekday of Month, Week -1 meaning the last (§3.8).
type DSTRule struct {
	// Month is the month of the change.
	Month time.Month
	// Week is the week of the month, 1 to 5, or -1 for the last.
	Week int
	// Weekday is the day of the week of the change.
	Weekday time.Weekday
}

// String formats the rule as Notes does: "3 2 1" (month, week, weekday with
// 1 = Sunday).
func (r DSTRule) String() string {
	return fmt.Sprintf("%d %d %d", int(r.Month), r.Week, int(r.Weekday)+1)
}

// date returns the rule's day in year.
func (r DSTRule) date(year int) time.Time {
	if r.Week < 0 {
		last := time.Date(year, r.Month+1, 0, 0, 0, 0, 0, time.UTC)
		back := (int(last.Weekday()) - int(r.Weekday) + 7) % 7
		return last.AddDate(0, 0, -back)
	}
	first := time.Date(year, r.Month, 1, 0, 0, 0, 0, time.UTC)
	fwd := (int(r.Weekday) - int(first.Weekday()) + 7) % 7
	d := first.AddDate(0, 0, fwd+7*(r.Week-1))
	if d.Month() != r.Month { // "5th" Sunday that does not exist: the last
		d = d.AddDate(0, 0, -7)
	}
	return d
}

// TimeZone is a Notes time-zone string as stored in StartTimeZone,
// EndTimeZone and the Calendar Profile (docs/notes.md §3.8):
//
//	Z=5$DO=1$DL=3 2 1 11 1 1$ZX=11$ZN=Eastern
//
// Z is the standard offset in hours WEST of GMT, DO whether DST is
// observed, DL the DST start and end rules (month, week, weekday with 1 =
// Sunday, week -1 = last), ZX Notes' zone index and ZN its name. The rules
// are kept as data only: conversion always goes through the IANA zone that
// Location finds, with tzdata.
type TimeZone struct {
	// Offset is the standard offset from GMT, positive EAST (the opposite
	// sign of Z), so that Z=5 is -5h.
	Offset time.Duration
	// DST is DO=1.
	DST bool
	// Start and End are the DL rules; valid only when HasRules.
	Start, End DSTRule
	// HasRules reports that DL was present.
	HasRules bool
	// Index is ZX, Notes' zone index (0 when absent).
	Index int
	// Name is ZN, the zone's name ("Eastern", "W. Europe"); non-Notes
	// clients write things like "GMT-6".
	Name string
}

// ParseTimeZone parses a Notes time-zone string. Z accepts whole hours
// ("5"), decimals ("-5.5") and the TIME-structure form of misc.h, minutes
// times 100 plus hours ("-3005" for GMT+05:30, §4.1). Keys may come in any
// order; unknown keys are ignored; Z is required. Errors are *TimeZoneError
// values matching ErrTimeZoneSyntax.
func ParseTimeZone(s string) (TimeZone, error) {
	fail := func(detail string) (TimeZone, error) {
		return TimeZone{}, &TimeZoneError{Input: s, Detail: detail, Err: ErrTimeZoneSyntax}
	}
	if len(s) > 512 {
		return fail("too long")
	}
	var tz TimeZone
	var haveZ bool
	for field := range strings.SplitSeq(strings.TrimSpace(s), "$") {
		field = strings.TrimRight(strings.TrimSpace(field), ";")
		if field == "" {
			continue
		}
		key, val, ok := strings.Cut(field, "=")
		if !ok {
			return fail(fmt.Sprintf("field %q has no '='", field))
		}
		val = strings.TrimSpace(val)
		switch strings.ToUpper(strings.TrimSpace(key)) {
		case "Z":
			off, err := parseZoneHoursWest(val)
			if err != nil {
				return fail(err.Error())
			}
			tz.Offset, haveZ = off, true
		case "DO":
			switch val {
			case "0":
				tz.DST = false
			case "1":
				tz.DST = true
			default:
				return fail(fmt.Sprintf("DO=%q is not 0 or 1", val))
			}
		case "DL":
			start, end, err := parseDSTRules(val)
			if err != nil {
				return fail(err.Error())
			}
			tz.Start, tz.End, tz.HasRules = start, end, true
		case "ZX":
			if val == "" {
				continue
			}
			n, err := strconv.Atoi(val)
			if err != nil || n < 0 || n > 1<<16 {
				return fail(fmt.Sprintf("ZX=%q is not a zone index", val))
			}
			tz.Index = n
		case "ZN":
			tz.Name = val
		}
	}
	if !haveZ {
		return fail("no Z= field")
	}
	return tz, nil
}

// parseZoneHoursWest parses Z and returns the offset positive east.
func parseZoneHoursWest(v string) (time.Duration, error) {
	if v == "" {
		return 0, errors.New("empty Z")
	}
	var west time.Duration
	if n, err := strconv.Atoi(v); err == nil {
		a := n
		if a < 0 {
			a = -a
		}
		switch {
		case a <= 14:
			west = time.Duration(n) * time.Hour
		case a%100 <= 14 && a/100 < 60 && a < 6000:
			// TIME.zone form: minutes*100 + hours (GMT-04:30 is 3004).
			west = time.Duration(a%100)*time.Hour + time.Duration(a/100)*time.Minute
			if n < 0 {
				west = -west
			}
		default:
			return 0, fmt.Errorf("Z=%q is out of range", v)
		}
	} else {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || math.IsNaN(f) || math.Abs(f) > 14 {
			return 0, fmt.Errorf("Z=%q is not an offset in hours", v)
		}
		west = time.Duration(math.Round(f*60)) * time.Minute
	}
	if west > 14*time.Hour || west < -14*time.Hour {
		return 0, fmt.Errorf("Z=%q is out of range", v)
	}
	return -west, nil
}

func parseDSTRules(v string) (start, end DSTRule, err error) {
	f := strings.Fields(v)
	if len(f) != 6 {
		return start, end, fmt.Errorf("DL=%q does not have six numbers", v)
	}
	var n [6]int
	for i, s := range f {
		if n[i], err = strconv.Atoi(s); err != nil {
			return start, end, fmt.Errorf("DL=%q has a non-number", v)
		}
	}
	mk := func(m, w, d int) (DSTRule, error) {
		if m < 1 || m > 12 || d < 1 || d > 7 || w == 0 || w < -1 || w > 5 {
			return DSTRule{}, fmt.Errorf("DL=%q has a rule out of range", v)
		}
		return DSTRule{Month: time.Month(m), Week: w, Weekday: time.Weekday(d - 1)}, nil
	}
	if start, err = mk(n[0], n[1], n[2]); err != nil {
		return
	}
	end, err = mk(n[3], n[4], n[5])
	return
}

// String formats tz as a Notes time-zone string.
func (tz TimeZone) String() string {
	west := -tz.Offset
	var z string
	if west%time.Hour == 0 {
		z = strconv.Itoa(int(west / time.Hour))
	} else {
		z = strconv.FormatFloat(west.Hours(), 'f', -1, 64)
	}
	var b strings.Builder
	b.WriteString("Z=" + z)
	if tz.DST {
		b.WriteString("$DO=1")
	} else {
		b.WriteString("$DO=0")
	}
	if tz.HasRules {
		b.WriteString("$DL=" + tz.Start.String() + " " + tz.End.String())
	}
	b.WriteString("$ZX=" + strconv.Itoa(tz.Index))
	b.WriteString("$ZN=" + tz.Name)
	return b.String()
}

// referenceYear is the year whose tzdata rules Location compares with the
// string's. A constant keeps Location a pure function; it is recent enough
// that current rules (US 2007, EU 1996) apply.
const referenceYear = 2025

// Location returns the IANA zone tz describes, for conversion with tzdata:
//
//  1. the zone that ZN names, when ZN is a Notes (Windows-style) zone name
//     we know, that zone's standard offset agrees with Z, and DO=0 does
//     not contradict a zone with DST (DO=1 for a zone that has since
//     abolished DST is an old string: the name wins);
//  2. otherwise, for a zone without DST and a whole-hour offset, the
//     Etc/GMT zone of that offset (what "ZN=GMT-6" means);
//  3. otherwise, the first zone of a list of common zones whose standard
//     offset and DST observance agree and, when DL is present, whose DST
//     changes in 2025 fall on the days DL gives;
//  4. otherwise the first such zone whatever its DST days: strings written
//     before a rule change (US 2007) carry the old rules, and tzdata knows
//     better.
//
// It never builds a zone from the DL rules: those shifted the old
// connector's blocks by an hour when the rules changed (KB 915494). It
// fails with ErrUnknownTimeZone.
func (tz TimeZone) Location() (*time.Location, error) {
	ref := time.Date(referenceYear, time.January, 15, 12, 0, 0, 0, time.UTC)
	if id, ok := windowsZoneFor(tz.Name); ok {
		if loc, err := freebusy.LoadZone(id); err == nil {
			// The standard offset must agree. DO=0 with a DST zone means
			// the user turned DST off, so the name does not decide; DO=1
			// with a zone that no longer observes DST (Mexico City since
			// 2022) is an old string, and tzdata knows better.
			if z := zoneOf(ref, loc); z.Offset == tz.Offset && (tz.DST || !z.DST) {
				return loc, nil
			}
		}
	}
	if !tz.DST && tz.Offset%time.Hour == 0 {
		// A fixed whole-hour offset ("ZN=GMT-6", §3.8) is exactly an
		// Etc/GMT zone, whose history no other zone's DST past disturbs.
		h := int(-tz.Offset / time.Hour)
		id := "Etc/GMT"
		switch {
		case h > 0:
			id += "+" + strconv.Itoa(h)
		case h < 0:
			id += strconv.Itoa(h)
		}
		if loc, err := freebusy.LoadZone(id); err == nil {
			return loc, nil
		}
	}
	// Two passes: DL rules must match first; then, since strings written
	// before a rule change carry stale rules (US 2007), offset and DST
	// observance alone decide.
	for _, strict := range []bool{true, false} {
		for _, id := range candidateZones {
			loc, err := freebusy.LoadZone(id)
			if err != nil {
				continue
			}
			z := zoneOf(ref, loc)
			if z.Offset != tz.Offset || z.DST != tz.DST {
				continue
			}
			if strict && tz.DST && tz.HasRules && !(changesOn(loc, tz.Start.date(referenceYear)) && changesOn(loc, tz.End.date(referenceYear))) {
				continue
			}
			return loc, nil
		}
	}
	return nil, &TimeZoneError{Input: tz.String(), Err: ErrUnknownTimeZone}
}

// zoneNameKey folds a ZN value for legacyZoneNames: lower case, without
// Windows' " Standard Time" ("Eastern Standard Time" is "Eastern").
func zoneNameKey(name string) string {
	k := strings.ToLower(strings.Join(strings.Fields(name), " "))
	return strings.Replace(k, " standard time", "", 1)
}

// changesOn reports whether loc's UTC offset changes between noon of the day
// before day and noon of day, local time: DST starts or ends on day.
func changesOn(loc *time.Location, day time.Time) bool {
	before := time.Date(day.Year(), day.Month(), day.Day()-1, 12, 0, 0, 0, loc)
	after := time.Date(day.Year(), day.Month(), day.Day(), 12, 0, 0, 0, loc)
	_, ob := before.Zone()
	_, oa := after.Zone()
	return ob != oa
}

// legacyZoneNames maps Notes ZN values of Windows zones that CLDR's table
// no longer lists (renamed by Microsoft), folded by zoneNameKey, to IANA ids.
var legacyZoneNames = map[string]string{
	"mid-atlantic": "Etc/GMT+2",
	"kamchatka":    "Asia/Kamchatka",
}

// windowsZoneFor maps a ZN value, a Windows zone name with or without
// " Standard Time" ("Eastern", "Central (Mexico)"), to an IANA id through
// calbridge's one Windows zone table, freebusy.WindowsToIANA.
func windowsZoneFor(name string) (string, bool) {
	n := strings.Join(strings.Fields(name), " ")
	full := n + " Standard Time"
	if i := strings.Index(n, " ("); i >= 0 {
		full = n[:i] + " Standard Time" + n[i:]
	}
	for _, candidate := range []string{n, full} {
		if id, ok := freebusy.WindowsToIANA(candidate); ok {
			return id, true
		}
	}
	id, ok := legacyZoneNames[zoneNameKey(n)]
	return id, ok
}

// candidateZones are tried in order when ZN names no zone we know: the most
// populous or most typical zone of each offset and rule set first, so that
// an ambiguous match lands on the zone a Notes user most likely meant.
var candidateZones = []string{
	"UTC", "Europe/London", "Atlantic/Reykjavik",
	"Europe/Berlin", "Africa/Lagos",
	"Europe/Helsinki", "Africa/Johannesburg", "Africa/Cairo", "Asia/Jerusalem",
	"Europe/Moscow", "Asia/Riyadh", "Europe/Istanbul", "Africa/Nairobi",
	"Asia/Tehran", "Asia/Dubai", "Asia/Kabul", "Asia/Karachi", "Asia/Kolkata",
	"Asia/Kathmandu", "Asia/Dhaka", "Asia/Yangon", "Asia/Bangkok",
	"Asia/Shanghai", "Asia/Tokyo", "Australia/Darwin", "Australia/Adelaide",
	"Australia/Brisbane", "Australia/Sydney", "Australia/Lord_Howe",
	"Pacific/Guadalcanal", "Pacific/Auckland", "Pacific/Chatham", "Pacific/Tongatapu",
	"Pacific/Kiritimati",
	"Atlantic/Azores", "Atlantic/Cape_Verde", "America/Noronha", "America/Nuuk",
	"America/Sao_Paulo", "America/Argentina/Buenos_Aires", "America/St_Johns",
	"America/Halifax", "America/Santiago", "America/La_Paz", "America/Caracas",
	"America/New_York", "America/Bogota", "America/Cancun",
	"America/Chicago", "America/Mexico_City", "America/Regina",
	"America/Denver", "America/Phoenix", "America/Los_Angeles",
	"America/Anchorage", "Pacific/Honolulu", "Pacific/Pago_Pago",
}
