package freebusy

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// WorkingHours are an attendee's regular working times: weekly periods of
// wall-clock time in one IANA time zone. Expansion into instants uses the
// zone's tzdata rules, so a 09:00 start stays 09:00 local across a DST
// change (the old connector's hard-coded DST tables shifted it by an hour).
type WorkingHours struct {
	// Location is the zone the periods are in. It must be a real zone
	// (time.LoadLocation), not time.Local.
	Location *time.Location
	// Periods are the working periods of a week.
	Periods []WorkingPeriod
}

// WorkingPeriod is the same stretch of wall-clock time on some weekdays.
type WorkingPeriod struct {
	// Days are the weekdays the period applies to.
	Days []time.Weekday
	// Start and End are offsets from local midnight (9*time.Hour for 09:00);
	// 0 <= Start < End <= 24h.
	Start time.Duration
	End   time.Duration
}

// ErrBadWorkingHours is matched by every error WorkingHours.Validate,
// Expand and UnmarshalJSON return. It also matches ErrInvalid, so that
// ReasonOf classifies bad working hours from a backend as ReasonInvalid.
var ErrBadWorkingHours error = &invalidSentinel{"freebusy: invalid working hours"}

// invalidSentinel is a sentinel error that also matches ErrInvalid.
type invalidSentinel struct{ msg string }

func (e *invalidSentinel) Error() string { return e.msg }

func (e *invalidSentinel) Is(target error) bool { return target == ErrInvalid }

// Validate reports whether w can be expanded: a location other than
// time.Local (whose meaning depends on the machine), and periods with valid
// weekdays and 0 <= Start < End <= 24h in whole seconds.
func (w *WorkingHours) Validate() error {
	if w.Location == nil {
		return fmt.Errorf("%w: no location", ErrBadWorkingHours)
	}
	if w.Location == time.Local {
		return fmt.Errorf("%w: location is time.Local, not a named zone", ErrBadWorkingHours)
	}
	for i, p := range w.Periods {
		if p.Start < 0 || p.End > 24*time.Hour || p.Start >= p.End {
			return fmt.Errorf("%w: period %d runs from %s to %s", ErrBadWorkingHours, i, p.Start, p.End)
		}
		if p.Start%time.Second != 0 || p.End%time.Second != 0 {
			return fmt.Errorf("%w: period %d is not in whole seconds", ErrBadWorkingHours, i)
		}
		for _, d := range p.Days {
			if d < time.Sunday || d > time.Saturday {
				return fmt.Errorf("%w: period %d has weekday %d", ErrBadWorkingHours, i, d)
			}
		}
	}
	return nil
}

// Expand returns the working time inside [start, end) as sorted,
// non-overlapping UTC intervals with status Free. Each local day in the
// window is visited in w.Location, so days of 23 or 25 hours come out right,
// and touching periods (a night shift written as 22:00-24:00 and
// 00:00-06:00) join into one interval. A period edge inside a DST gap or
// repeated hour (02:30 on a change night in Europe) resolves as time.Date
// resolves it; a day whose midnight a DST change skips (America/Santiago)
// still starts on its own date. It returns an error when w is invalid, and a
// *QueryError (ErrWindowTooLong) for a window over ten years.
func (w *WorkingHours) Expand(start, end time.Time) ([]Interval, error) {
	if err := w.Validate(); err != nil {
		return nil, err
	}
	if !start.Before(end) {
		return nil, nil
	}
	if end.Sub(start) > maxExpandWindow {
		return nil, &QueryError{Field: "End", Detail: fmt.Sprintf("working hours expanded over more than %s", maxExpandWindow), Err: ErrWindowTooLong}
	}
	loc := w.Location
	// Periods never cross local midnight (End <= 24h), so visiting the local
	// days from the one containing start is enough. Days are counted on the
	// calendar, not by instants: where a DST change skips midnight
	// (America/Santiago, Atlantic/Azores), 00:00 of that day does not
	// exist and time.Date answers with the day before.
	y, m, d := start.In(loc).Date()
	var out []Interval
	for i := 0; StartOfDay(y, m, d+i, loc).Before(end); i++ {
		date := time.Date(y, m, d+i, 12, 0, 0, 0, time.UTC) // the civil date, normalized
		for _, p := range w.Periods {
			if !hasDay(p.Days, date.Weekday()) {
				continue
			}
			ps := wallClock(date, p.Start, loc)
			pe := wallClock(date, p.End, loc)
			if iv, ok := NewInterval(ps, pe, Free).Clip(start.UTC(), end.UTC()); ok {
				out = append(out, iv)
			}
		}
	}
	return Coalesce(out), nil
}

// maxExpandWindow bounds the window WorkingHours.Expand accepts: ten
// years, far beyond any free/busy query, so that a hostile window (a peer's
// VFREEBUSY spanning millennia) cannot make it build millions of intervals.
const maxExpandWindow = 10 * 366 * 24 * time.Hour

// wallClock returns the instant at wall-clock offset d after midnight of
// date's civil date, in loc. It goes through time.Date so that DST gaps
// and overlaps follow the zone's rules; 24h is the start of the next day.
func wallClock(date time.Time, d time.Duration, loc *time.Location) time.Time {
	if d == 24*time.Hour {
		return StartOfDay(date.Year(), date.Month(), date.Day()+1, loc)
	}
	if d == 0 {
		return StartOfDay(date.Year(), date.Month(), date.Day(), loc)
	}
	h := int(d / time.Hour)
	m := int(d % time.Hour / time.Minute)
	s := int(d % time.Minute / time.Second)
	return time.Date(date.Year(), date.Month(), date.Day(), h, m, s, 0, loc)
}

// StartOfDay returns the first instant of the civil date (y, m, d) in loc
// (d may overflow, as for time.Date). That is local midnight, except where
// a DST change skips midnight (America/Santiago in September): there
// time.Date's answer falls on the day before, and the day starts when the
// clocks jump. A day that does not exist at all (Pacific/Apia on
// 2011-12-30) starts where the next one does.
func StartOfDay(y int, m time.Month, d int, loc *time.Location) time.Time {
	t := time.Date(y, m, d, 0, 0, 0, 0, loc)
	want := time.Date(y, m, d, 0, 0, 0, 0, time.UTC) // normalized civil date
	for i := 0; i < 4*26 && localDateBefore(t, want); i++ {
		t = t.Add(15 * time.Minute)
	}
	return t
}

// localDateBefore reports whether t's civil date in its zone is before the
// civil date of want (a UTC midnight).
func localDateBefore(t, want time.Time) bool {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Before(want)
}

func hasDay(days []time.Weekday, d time.Weekday) bool {
	for _, x := range days {
		if x == d {
			return true
		}
	}
	return false
}

type workingHoursJSON struct {
	TimeZone string              `json:"timeZone"`
	Periods  []workingPeriodJSON `json:"periods"`
}

type workingPeriodJSON struct {
	Days  []string `json:"days"`
	Start string   `json:"start"`
	End   string   `json:"end"`
}

// MarshalJSON writes {"timeZone":"Europe/Berlin","periods":[{"days":
// ["monday"],"start":"09:00","end":"17:00"}]}; times with seconds are
// written "09:00:30".
func (w WorkingHours) MarshalJSON() ([]byte, error) {
	if err := w.Validate(); err != nil {
		return nil, err
	}
	j := workingHoursJSON{TimeZone: w.Location.String(), Periods: make([]workingPeriodJSON, len(w.Periods))}
	for i, p := range w.Periods {
		days := make([]string, len(p.Days))
		for k, d := range p.Days {
			days[k] = strings.ToLower(d.String())
		}
		j.Periods[i] = workingPeriodJSON{Days: days, Start: formatClock(p.Start), End: formatClock(p.End)}
	}
	return json.Marshal(j)
}

// UnmarshalJSON reads what MarshalJSON writes, loading the zone with
// LoadZone.
func (w *WorkingHours) UnmarshalJSON(data []byte) error {
	var j workingHoursJSON
	if err := json.Unmarshal(data, &j); err != nil {
		return err
	}
	loc, err := LoadZone(j.TimeZone)
	if err != nil || j.TimeZone == "" || j.TimeZone == "Local" {
		return fmt.Errorf("%w: unknown time zone %q", ErrBadWorkingHours, j.TimeZone)
	}
	out := WorkingHours{Location: loc, Periods: make([]WorkingPeriod, len(j.Periods))}
	for i, p := range j.Periods {
		var wp WorkingPeriod
		for _, name := range p.Days {
			d, ok := parseWeekday(name)
			if !ok {
				return fmt.Errorf("%w: unknown weekday %q", ErrBadWorkingHours, name)
			}
			wp.Days = append(wp.Days, d)
		}
		if wp.Start, err = parseClock(p.Start); err != nil {
			return err
		}
		if wp.End, err = parseClock(p.End); err != nil {
			return err
		}
		out.Periods[i] = wp
	}
	if err := out.Validate(); err != nil {
		return err
	}
	*w = out
	return nil
}

func parseWeekday(name string) (time.Weekday, bool) {
	for d := time.Sunday; d <= time.Saturday; d++ {
		if strings.EqualFold(name, d.String()) {
			return d, true
		}
	}
	return 0, false
}

// formatClock writes "HH:MM", or "HH:MM:SS" when there are seconds.
func formatClock(d time.Duration) string {
	if sec := int(d % time.Minute / time.Second); sec != 0 {
		return fmt.Sprintf("%02d:%02d:%02d", int(d/time.Hour), int(d%time.Hour/time.Minute), sec)
	}
	return fmt.Sprintf("%02d:%02d", int(d/time.Hour), int(d%time.Hour/time.Minute))
}

// parseClock reads "HH:MM" or "HH:MM:SS", 00:00 to 24:00, digits only.
func parseClock(s string) (time.Duration, error) {
	bad := fmt.Errorf("%w: bad clock time %q", ErrBadWorkingHours, s)
	if (len(s) != 5 && len(s) != 8) || s[2] != ':' || (len(s) == 8 && s[5] != ':') {
		return 0, bad
	}
	two := func(i int) (int, bool) {
		if s[i] < '0' || s[i] > '9' || s[i+1] < '0' || s[i+1] > '9' {
			return 0, false
		}
		return int(s[i]-'0')*10 + int(s[i+1]-'0'), true
	}
	h, okH := two(0)
	m, okM := two(3)
	sec, okS := 0, true
	if len(s) == 8 {
		sec, okS = two(6)
	}
	if !okH || !okM || !okS || h > 24 || m > 59 || sec > 59 || (h == 24 && m+sec != 0) {
		return 0, bad
	}
	return time.Duration(h)*time.Hour + time.Duration(m)*time.Minute + time.Duration(sec)*time.Second, nil
}
