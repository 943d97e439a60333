package notes

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/calbridge/calbridge/freebusy"
)

// ErrBadProfile is matched by every error about Calendar Profile items.
var ErrBadProfile = errors.New("notes: invalid calendar profile")

// ProfileError reports a Calendar Profile item that could not be read. It
// matches ErrBadProfile and freebusy.ErrInvalid with errors.Is.
type ProfileError struct {
	// Item is the item name ("$Times2", "CurrentTimeZone").
	Item string
	// Value is the offending value.
	Value string
	// Err is the cause, when there is one beyond the condition.
	Err error
}

// Error implements error.
func (e *ProfileError) Error() string {
	msg := fmt.Sprintf("notes: invalid calendar profile item %s %q", e.Item, e.Value)
	if e.Err != nil {
		msg += ": " + trimPkg(e.Err)
	}
	return msg
}

// Unwrap returns the cause.
func (e *ProfileError) Unwrap() error { return e.Err }

// Is matches ErrBadProfile and freebusy.ErrInvalid.
func (e *ProfileError) Is(target error) bool {
	return target == ErrBadProfile || target == freebusy.ErrInvalid
}

// CalendarProfile holds the Calendar Profile items that describe when a
// user works (docs/notes.md §3.7, stdnames.h). Values are the items'
// text values, as a DXL or JSON export of the profile document gives them.
//
// Its JSON form is the profile document's items, name to list of values:
//
//	{"$AvailableDays": ["2","3","4","5","6"],
//	 "$Times2": ["09:00-12:00", "13:00-17:00"],
//	 "CurrentTimeZone": ["Z=5$DO=1$DL=3 2 1 11 1 1$ZX=11$ZN=Eastern"]}
type CalendarProfile struct {
	// AvailableDays is $AvailableDays, the weekdays worked, numbered as
	// $Times1..$Times7 are: "1" Sunday to "7" Saturday. English day names
	// ("Monday", "Mon") are accepted too. Empty means every day that has
	// times.
	AvailableDays []string
	// Times are $Times1..$Times7 (Times[0] is Sunday): the working ranges
	// of each day, "09:00-12:00", "9:00 AM - 12:00 PM" or "09:00 - 17:30".
	// A listed day without times gets Notes' default, 09:00-12:00 and
	// 13:00-17:00 (stdnames.h).
	Times [7][]string
	// TimeZone is CurrentTimeZone: a Notes time-zone string (§3.8), or an
	// IANA zone name.
	TimeZone string
}

// defaultDayTimes is Notes' default working day (stdnames.h comment, §3.7).
var defaultDayTimes = [...]string{"09:00-12:00", "13:00-17:00"}

// MarshalJSON writes the profile as Notes items (see CalendarProfile).
func (p CalendarProfile) MarshalJSON() ([]byte, error) {
	items := map[string][]string{}
	if len(p.AvailableDays) > 0 {
		items["$AvailableDays"] = p.AvailableDays
	}
	for i, ts := range p.Times {
		if len(ts) > 0 {
			items["$Times"+strconv.Itoa(i+1)] = ts
		}
	}
	if p.TimeZone != "" {
		items["CurrentTimeZone"] = []string{p.TimeZone}
	}
	return json.Marshal(items)
}

// UnmarshalJSON reads Notes items (see CalendarProfile); item names are
// case-insensitive, single values may be plain strings, and items that do
// not concern working hours are ignored.
func (p *CalendarProfile) UnmarshalJSON(data []byte) error {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return &ProfileError{Item: "profile", Value: clip64(string(data)), Err: err}
	}
	var out CalendarProfile
	for name, v := range raw {
		var vals []string
		if err := json.Unmarshal(v, &vals); err != nil {
			var one string
			if err := json.Unmarshal(v, &one); err != nil {
				return &ProfileError{Item: name, Value: clip64(string(v)), Err: errors.New("not a string or list of strings")}
			}
			vals = []string{one}
		}
		key := strings.ToLower(name)
		switch {
		case key == "$availabledays":
			out.AvailableDays = vals
		case key == "currenttimezone":
			if len(vals) > 0 {
				out.TimeZone = vals[0]
			}
		case strings.HasPrefix(key, "$times") && len(key) == 7 && key[6] >= '1' && key[6] <= '7':
			out.Times[key[6]-'1'] = vals
		}
	}
	*p = out
	return nil
}

// Location returns the profile's zone: the IANA zone a Notes time-zone
// string maps to (TimeZone.Location) or the IANA zone named directly.
func (p CalendarProfile) Location() (*time.Location, error) {
	s := strings.TrimSpace(p.TimeZone)
	if s == "" {
		return nil, &ProfileError{Item: "CurrentTimeZone", Value: s, Err: errors.New("no time zone")}
	}
	if !strings.Contains(s, "=") {
		if s == "Local" {
			return nil, &ProfileError{Item: "CurrentTimeZone", Value: s, Err: errors.New("the machine's zone is never used")}
		}
		loc, err := freebusy.LoadZone(s)
		if err != nil {
			return nil, &ProfileError{Item: "CurrentTimeZone", Value: s, Err: err}
		}
		return loc, nil
	}
	tz, err := ParseTimeZone(s)
	if err != nil {
		return nil, &ProfileError{Item: "CurrentTimeZone", Value: s, Err: err}
	}
	loc, err := tz.Location()
	if err != nil {
		return nil, &ProfileError{Item: "CurrentTimeZone", Value: s, Err: err}
	}
	return loc, nil
}

// WorkingHours converts the profile to canonical working hours in the
// profile's zone (see Location). Days with the same ranges share a period.
// Errors are *ProfileError values.
func (p CalendarProfile) WorkingHours() (*freebusy.WorkingHours, error) {
	loc, err := p.Location()
	if err != nil {
		return nil, err
	}
	var days []time.Weekday
	if len(p.AvailableDays) == 0 {
		for d, ts := range p.Times {
			if len(ts) > 0 {
				days = append(days, time.Weekday(d))
			}
		}
	} else {
		for _, v := range p.AvailableDays {
			d, err := parseProfileDay(v)
			if err != nil {
				return nil, &ProfileError{Item: "$AvailableDays", Value: v, Err: err}
			}
			if !slices.Contains(days, d) {
				days = append(days, d)
			}
		}
		slices.Sort(days)
	}
	wh := &freebusy.WorkingHours{Location: loc}
	for _, d := range days {
		ts := p.Times[d]
		if len(ts) == 0 {
			ts = defaultDayTimes[:]
		}
		item := "$Times" + strconv.Itoa(int(d)+1)
		for _, r := range ts {
			start, end, err := parseTimeRange(r)
			if err != nil {
				return nil, &ProfileError{Item: item, Value: r, Err: err}
			}
			addPeriod(wh, d, start, end)
		}
	}
	if err := wh.Validate(); err != nil {
		return nil, &ProfileError{Item: "$Times", Value: "", Err: err}
	}
	return wh, nil
}

// addPeriod adds day to the period with the same range, or a new period.
func addPeriod(wh *freebusy.WorkingHours, d time.Weekday, start, end time.Duration) {
	for i := range wh.Periods {
		p := &wh.Periods[i]
		if p.Start == start && p.End == end {
			if !slices.Contains(p.Days, d) {
				p.Days = append(p.Days, d)
			}
			return
		}
	}
	wh.Periods = append(wh.Periods, freebusy.WorkingPeriod{Days: []time.Weekday{d}, Start: start, End: end})
}

// parseProfileDay reads a $AvailableDays value: "1" (Sunday) to "7", or an
// English day name or its three-letter abbreviation.
func parseProfileDay(v string) (time.Weekday, error) {
	v = strings.TrimSpace(v)
	if n, err := strconv.Atoi(v); err == nil {
		if n < 1 || n > 7 {
			return 0, errors.New("day number outside 1 (Sunday) to 7 (Saturday)")
		}
		return time.Weekday(n - 1), nil
	}
	for d := time.Sunday; d <= time.Saturday; d++ {
		name := d.String()
		if strings.EqualFold(v, name) || strings.EqualFold(v, name[:3]) {
			return d, nil
		}
	}
	return 0, errors.New("not a weekday")
}

// parseTimeRange reads "09:00-12:00", "9:00 AM - 12:00 PM", "09:00:00 -
// 17:30:00"; the end may be 24:00 (or 12:00 AM) for midnight.
func parseTimeRange(r string) (start, end time.Duration, err error) {
	a, b, ok := strings.Cut(r, "-")
	if !ok {
		return 0, 0, errors.New("not a range \"start-end\"")
	}
	if start, err = parseClockTime(a, false); err != nil {
		return 0, 0, err
	}
	if end, err = parseClockTime(b, true); err != nil {
		return 0, 0, err
	}
	if start >= end {
		return 0, 0, errors.New("range ends before it starts")
	}
	return start, end, nil
}

// parseClockTime reads "9:00", "09:00:00", "9:00 AM", "12:30PM". As an end
// time, midnight ("00:00", "12:00 AM", "24:00") means the end of the day.
func parseClockTime(s string, isEnd bool) (time.Duration, error) {
	s = strings.ToUpper(strings.TrimSpace(s))
	ampm := ""
	if rest, ok := strings.CutSuffix(s, "AM"); ok {
		s, ampm = strings.TrimSpace(rest), "AM"
	} else if rest, ok := strings.CutSuffix(s, "PM"); ok {
		s, ampm = strings.TrimSpace(rest), "PM"
	}
	parts := strings.Split(s, ":")
	if len(parts) < 2 || len(parts) > 3 {
		return 0, fmt.Errorf("time %q is not H:MM", s)
	}
	var n [3]int
	for i, p := range parts {
		v, err := strconv.Atoi(p)
		if err != nil || v < 0 || len(p) > 2 || (i > 0 && len(p) != 2) {
			return 0, fmt.Errorf("time %q is not H:MM", s)
		}
		n[i] = v
	}
	h, m, sec := n[0], n[1], n[2]
	switch ampm {
	case "AM", "PM":
		if h < 1 || h > 12 {
			return 0, fmt.Errorf("hour %d is not 1-12", h)
		}
		h %= 12
		if ampm == "PM" {
			h += 12
		}
	}
	if h > 24 || m > 59 || sec > 59 || (h == 24 && (m != 0 || sec != 0)) {
		return 0, fmt.Errorf("time %q is out of range", s)
	}
	d := time.Duration(h)*time.Hour + time.Duration(m)*time.Minute + time.Duration(sec)*time.Second
	if isEnd && d == 0 {
		d = 24 * time.Hour
	}
	if !isEnd && d == 24*time.Hour {
		return 0, errors.New("a range cannot start at 24:00")
	}
	return d, nil
}

// clip64 shortens s to 64 bytes for error messages.
func clip64(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}
