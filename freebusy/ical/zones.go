package ical

import (
	"encoding/binary"
	"errors"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/calbridge/calbridge/freebusy"

	goical "github.com/emersion/go-ical"
)

// Time-zone resolution for TZID parameters (RFC 5545 §3.2.19). Zones are
// always real tzdata or the file's own VTIMEZONE rules, never hand-written
// offsets, and never time.Local.

// zoneResolver resolves TZIDs for one DecodeCalendar call and caches the
// answers.
type zoneResolver struct {
	owner *time.Location
	defs  map[string]*goical.Component // VTIMEZONE by TZID
	cache map[string]*time.Location    // nil: unresolvable
	// recovered marks the TZIDs whose zone was recovered from a broken
	// definition (CalendarReport.ZoneRecoveries).
	recovered map[string]bool
	rep       *CalendarReport
}

// location returns the zone for tzid: an IANA name (also as the tail of a
// "/mozilla.org/.../Europe/Berlin" style path), a Windows id, the
// X-LIC-LOCATION of the file's VTIMEZONE, a zone built from that
// VTIMEZONE's rules (an observance DTSTART written as a DATE read as
// midnight), or the fixed offset a TZID such as "UTC+11", "UTC-03:30" or
// "GMT+1" names. When none works, it counts a fallback, records the TZID,
// and returns the owner's zone. Recoveries are counted too.
func (z *zoneResolver) location(tzid string) *time.Location {
	loc, seen := z.cache[tzid]
	if !seen {
		var recovered bool
		loc, recovered = z.resolve(tzid)
		z.cache[tzid] = loc
		if loc == nil && len(z.rep.UnknownZones) < maxReportedProblems {
			z.rep.UnknownZones = append(z.rep.UnknownZones, tzid)
		}
		if recovered {
			if z.recovered == nil {
				z.recovered = map[string]bool{}
			}
			z.recovered[tzid] = true
			if len(z.rep.RecoveredZones) < maxReportedProblems {
				z.rep.RecoveredZones = append(z.rep.RecoveredZones, tzid)
			}
		}
	}
	if loc == nil {
		z.rep.ZoneFallbacks++
		return z.owner
	}
	if z.recovered[tzid] {
		z.rep.ZoneRecoveries++
	}
	return loc
}

// resolve finds tzid's zone, reporting whether it was recovered from a
// broken definition.
func (z *zoneResolver) resolve(tzid string) (*time.Location, bool) {
	loc := z.resolveExact(tzid)
	if loc != nil {
		return loc, false
	}
	if def := z.defs[tzid]; def != nil {
		if loc, err := vtimezoneLocation(tzid, def, true); err == nil {
			return loc, true
		}
	}
	if loc := offsetZone(tzid); loc != nil {
		return loc, true
	}
	return nil, false
}

// offsetZone reads a TZID that names a fixed offset from UTC, as producers
// that have no zone database write them: "UTC+11", "UTC+11:00",
// "UTC-0330", "GMT+1", also with Outlook's parentheses ("(UTC+10:00)
// Canberra, Melbourne, Sydney" would lose its DST rules, so only a TZID
// that is nothing but the offset qualifies). The sign is the ISO 8601 one
// (east of Greenwich is +), not POSIX's inverted Etc/GMT+1; those IANA
// names resolve before this is tried.
func offsetZone(tzid string) *time.Location {
	s := strings.ToUpper(strings.TrimSpace(strings.Trim(tzid, "\"")))
	s = strings.TrimSuffix(strings.TrimPrefix(s, "("), ")")
	switch {
	case strings.HasPrefix(s, "UTC"), strings.HasPrefix(s, "GMT"):
		s = s[3:]
	default:
		return nil
	}
	if len(s) < 2 || s[0] != '+' && s[0] != '-' {
		return nil
	}
	sign, rest := s[0], s[1:]
	var hh, mm string
	switch {
	case len(rest) <= 2:
		hh = rest
	case len(rest) == 4 && !strings.Contains(rest, ":"):
		hh, mm = rest[:2], rest[2:]
	case len(rest) == 5 && rest[2] == ':', len(rest) == 4 && rest[1] == ':':
		hh, mm, _ = strings.Cut(rest, ":")
	default:
		return nil
	}
	h, ok1 := atoiFixed(hh)
	m, ok2 := 0, true
	if mm != "" {
		m, ok2 = atoiFixed(mm)
	}
	if !ok1 || !ok2 || h > 14 || m > 59 {
		return nil
	}
	off := h*3600 + m*60
	if sign == '-' {
		off = -off
	}
	return time.FixedZone(tzid, off)
}

// resolveExact finds tzid's zone from names and well-formed definitions.
func (z *zoneResolver) resolveExact(tzid string) *time.Location {
	name := strings.TrimSpace(strings.Trim(tzid, "\""))
	if loc := loadIANA(name); loc != nil {
		return loc
	}
	// "/mozilla.org/20050126_1/America/New_York", "/citadel.org/.../Europe/Paris"
	for i := 0; i < len(name); i++ {
		if name[i] == '/' {
			if loc := loadIANA(name[i+1:]); loc != nil {
				return loc
			}
		}
	}
	if iana, ok := freebusy.WindowsToIANA(name); ok {
		if loc := loadIANA(iana); loc != nil {
			return loc
		}
	}
	def := z.defs[tzid]
	if def == nil {
		return nil
	}
	if p := firstProp(def.Props, "X-LIC-LOCATION"); p != nil {
		if loc := loadIANA(p.Value); loc != nil {
			return loc
		}
	}
	loc, err := vtimezoneLocation(tzid, def, false)
	if err != nil {
		return nil
	}
	return loc
}

// loadIANA loads an IANA zone, refusing the names time.LoadLocation maps to
// something else ("" is UTC, "Local" is the machine's zone).
func loadIANA(name string) *time.Location {
	if name == "" || strings.EqualFold(name, "Local") {
		return nil
	}
	loc, err := freebusy.LoadZone(name)
	if err != nil {
		return nil
	}
	return loc
}

// Limits on building a zone from VTIMEZONE rules.
const (
	vtzEarliestYear    = 1970 // rules are expanded from here at the earliest
	vtzHorizonYear     = 2100 // transitions are generated up to this year
	vtzMaxTransitions  = 4096
	vtzMaxObservances  = 16
	vtzMaxOffsetSecond = 26 * 3600
)

var errVTimezone = errors.New("VTIMEZONE cannot be turned into a zone")

// transition is one onset of an observance.
type transition struct {
	at   int64 // Unix seconds
	zone int   // index into the zone types
}

// zoneType is one local-time type of a TZif file.
type zoneType struct {
	offset int
	isDST  bool
	name   string
}

// vtimezoneLocation builds a *time.Location from a VTIMEZONE's STANDARD and
// DAYLIGHT observances (RFC 5545 §3.6.5): each onset (DTSTART, RRULE, RDATE,
// in the local time before the change) becomes a transition of a TZif
// file, read by time.LoadLocationFromTZData. Used only for TZIDs that are
// neither IANA nor Windows names, such as Outlook's display names. With
// lenient set, an observance DTSTART written as a DATE (invalid, RFC 5545
// §3.6.5 requires a local DATE-TIME, but written by real producers) is
// read as midnight.
func vtimezoneLocation(tzid string, def *goical.Component, lenient bool) (*time.Location, error) {
	if len(def.Children) == 0 || len(def.Children) > vtzMaxObservances {
		return nil, errVTimezone
	}
	var types []zoneType
	var trans []transition
	firstFrom, firstAt := 0, int64(1<<62)
	for _, obs := range def.Children {
		if obs.Name != goical.CompTimezoneStandard && obs.Name != goical.CompTimezoneDaylight {
			continue
		}
		from, ok1 := utcOffsetProp(obs.Props, goical.PropTimezoneOffsetFrom)
		to, ok2 := utcOffsetProp(obs.Props, goical.PropTimezoneOffsetTo)
		start := firstProp(obs.Props, goical.PropDateTimeStart)
		if !ok1 || !ok2 || start == nil {
			return nil, errVTimezone
		}
		f, ok := parseDateTimeFields(start.Value)
		if !ok && lenient {
			f, ok = parseDateFields(strings.TrimSpace(start.Value))
		}
		if !ok {
			return nil, errVTimezone
		}
		name := ""
		if p := firstProp(obs.Props, goical.PropTimezoneName); p != nil {
			name = p.Value
		}
		types = append(types, zoneType{offset: to, isDST: obs.Name == goical.CompTimezoneDaylight, name: name})
		typ := len(types) - 1
		onsets, err := observanceOnsets(f.in(time.UTC), obs.Props)
		if err != nil {
			return nil, err
		}
		for _, wall := range onsets {
			at := wall.Unix() - int64(from)
			trans = append(trans, transition{at: at, zone: typ})
			if at < firstAt {
				firstAt, firstFrom = at, from
			}
		}
		if len(trans) > vtzMaxTransitions {
			return nil, errVTimezone
		}
	}
	if len(types) == 0 {
		return nil, errVTimezone
	}
	sort.Slice(trans, func(i, j int) bool { return trans[i].at < trans[j].at })
	// Type 0 is the time before the first onset, so that Go's lookup of
	// earlier instants finds it.
	initial := zoneType{offset: firstFrom, name: ""}
	types = append([]zoneType{initial}, types...)
	for i := range trans {
		trans[i].zone++
	}
	return time.LoadLocationFromTZData(tzid, tzif(types, trans))
}

// observanceOnsets expands an observance's onsets as wall-clock times
// (written in UTC only as a neutral carrier), up to vtzHorizonYear.
func observanceOnsets(start time.Time, props goical.Props) ([]time.Time, error) {
	onsets := []time.Time{start}
	for _, p := range props[goical.PropRecurrenceDates] {
		for _, v := range strings.Split(p.Value, ",") {
			f, ok := parseDateTimeFields(v)
			if !ok {
				return nil, errVTimezone
			}
			onsets = append(onsets, f.in(time.UTC))
		}
	}
	p := firstProp(props, goical.PropRecurrenceRule)
	if p == nil {
		return onsets, nil
	}
	info, err := parseRule(p.Value)
	if err != nil || info.freq != "YEARLY" && info.freq != "MONTHLY" {
		return nil, errVTimezone
	}
	from := start
	if start.Year() < vtzEarliestYear && !info.hasCount && info.interval <= 1 {
		// Outlook starts observances in 1601; rrule-go stops about 290
		// years after DTSTART. A yearly or monthly rule without COUNT or
		// INTERVAL matches the same days from any year on.
		from = time.Date(vtzEarliestYear, start.Month(), start.Day(), start.Hour(), start.Minute(), start.Second(), 0, time.UTC)
	}
	horizon := time.Date(vtzHorizonYear, 1, 1, 0, 0, 0, 0, time.UTC)
	if until, ok := parseUTCDateTime(info.until); !ok || until.After(horizon) {
		info.set("UNTIL", string(appendUTCDateTime(nil, horizon)))
	}
	next, err := ruleIterator(info.String(), from)
	if err != nil {
		return nil, errVTimezone
	}
	for len(onsets) < vtzMaxTransitions {
		t, ok := next()
		if !ok || t.After(horizon) {
			break
		}
		if !t.Equal(start) {
			onsets = append(onsets, t)
		}
	}
	return onsets, nil
}

// utcOffsetProp parses an RFC 5545 §3.3.14 UTC-OFFSET ("-0500", "+053000").
func utcOffsetProp(props goical.Props, name string) (int, bool) {
	p := firstProp(props, name)
	if p == nil {
		return 0, false
	}
	v := p.Value
	if len(v) != 5 && len(v) != 7 || v[0] != '+' && v[0] != '-' {
		return 0, false
	}
	h, ok1 := atoiFixed(v[1:3])
	m, ok2 := atoiFixed(v[3:5])
	s, ok3 := 0, true
	if len(v) == 7 {
		s, ok3 = atoiFixed(v[5:7])
	}
	if !ok1 || !ok2 || !ok3 || m > 59 || s > 59 {
		return 0, false
	}
	off := h*3600 + m*60 + s
	if off > vtzMaxOffsetSecond {
		return 0, false
	}
	if v[0] == '-' {
		off = -off
	}
	return off, true
}

// tzif encodes zone types and transitions as a version 2 TZif file (RFC 8536)
// with an empty version 1 block.
func tzif(types []zoneType, trans []transition) []byte {
	var chars []byte
	nameIdx := make([]int, len(types))
	for i, t := range types {
		nameIdx[i] = len(chars)
		name := t.name
		if name == "" || len(name) > 12 {
			name = "UTC" + strconv.Itoa(t.offset/60)
		}
		chars = append(chars, name...)
		chars = append(chars, 0)
	}
	var b []byte
	header := func(timecnt, typecnt, charcnt int) {
		b = append(b, "TZif2"...)
		b = append(b, make([]byte, 15)...)
		for _, n := range []int{0, 0, 0, timecnt, typecnt, charcnt} {
			b = binary.BigEndian.AppendUint32(b, uint32(n))
		}
	}
	header(0, 0, 0)
	header(len(trans), len(types), len(chars))
	for _, t := range trans {
		b = binary.BigEndian.AppendUint64(b, uint64(t.at))
	}
	for _, t := range trans {
		b = append(b, byte(t.zone))
	}
	for i, t := range types {
		b = binary.BigEndian.AppendUint32(b, uint32(int32(t.offset)))
		dst := byte(0)
		if t.isDST {
			dst = 1
		}
		b = append(b, dst, byte(nameIdx[i]))
	}
	return append(b, chars...)
}
