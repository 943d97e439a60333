package ical

import (
	"bytes"
	"cmp"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/calbridge/calbridge/freebusy"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// calendarOf wraps VEVENT lines in a calendar.
func calendarOf(events ...string) string {
	var b strings.Builder
	b.WriteString("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\n")
	for _, e := range events {
		b.WriteString("BEGIN:VEVENT\r\n")
		b.WriteString(strings.ReplaceAll(strings.TrimSpace(e), "\n", "\r\n"))
		b.WriteString("\r\nEND:VEVENT\r\n")
	}
	b.WriteString("END:VCALENDAR\r\n")
	return b.String()
}

func decodeMarch(t *testing.T, cal string, opt CalendarOptions) ([]freebusy.Interval, CalendarReport) {
	t.Helper()
	ivs, rep, err := DecodeCalendar(strings.NewReader(cal), utc(2026, 3, 1, 0, 0, 0), utc(2026, 4, 1, 0, 0, 0), opt)
	require.NoError(t, err)
	return ivs, rep
}

// The status rules of docs/exchange.md §4.2 and docs/mapping.md §3.4:
// X-MICROSOFT-CDO-BUSYSTATUS (and its MSNCALENDAR synonym) wins; then
// CANCELLED and TRANSPARENT are free, TENTATIVE is tentative, everything
// else busy.
func TestDecodeCalendarStatusRules(t *testing.T) {
	tests := []struct {
		props string
		want  freebusy.Status
	}{
		{"", freebusy.Busy},
		{"TRANSP:OPAQUE", freebusy.Busy},
		{"TRANSP:TRANSPARENT", freebusy.Free},
		{"STATUS:CANCELLED", freebusy.Free},
		{"STATUS:TENTATIVE", freebusy.Tentative},
		{"STATUS:CONFIRMED", freebusy.Busy},
		{"STATUS:TENTATIVE\nTRANSP:TRANSPARENT", freebusy.Free},
		{"X-MICROSOFT-CDO-BUSYSTATUS:OOF", freebusy.OutOfOffice},
		{"X-MICROSOFT-CDO-BUSYSTATUS:OUTOFOFFICE", freebusy.OutOfOffice},
		{"X-MICROSOFT-CDO-BUSYSTATUS:TENTATIVE", freebusy.Tentative},
		{"X-MICROSOFT-CDO-BUSYSTATUS:FREE", freebusy.Free},
		{"X-MICROSOFT-CDO-BUSYSTATUS:WORKINGELSEWHERE", freebusy.WorkingElsewhere},
		{"X-MICROSOFT-CDO-BUSYSTATUS:BUSY\nTRANSP:TRANSPARENT", freebusy.Busy},
		{"X-MICROSOFT-CDO-BUSYSTATUS:OOF\nSTATUS:CANCELLED", freebusy.OutOfOffice},
		{"X-MICROSOFT-MSNCALENDAR-BUSYSTATUS:TENTATIVE", freebusy.Tentative},
		{"X-MICROSOFT-CDO-BUSYSTATUS:BOGUS\nSTATUS:TENTATIVE", freebusy.Tentative},
	}
	for _, tt := range tests {
		t.Run(strings.ReplaceAll(tt.props, "\n", ";"), func(t *testing.T) {
			ev := "UID:1\nDTSTART:20260302T140000Z\nDTEND:20260302T150000Z"
			if tt.props != "" {
				ev += "\n" + tt.props
			}
			ivs, rep := decodeMarch(t, calendarOf(ev), CalendarOptions{})
			assert.Equal(t, 1, rep.Occurrences)
			if tt.want == freebusy.Free {
				assert.Empty(t, ivs)
				assert.Equal(t, 1, rep.Free)
				return
			}
			assert.Equal(t, []freebusy.Interval{interval(utc(2026, 3, 2, 14, 0, 0), utc(2026, 3, 2, 15, 0, 0), tt.want)}, ivs)
		})
	}
}

// A realistic Outlook export (testdata/outlook-week.ics): Windows TZID
// with its VTIMEZONE, a display-name TZID only the VTIMEZONE rules explain,
// a recurring stand-up with a moved instance, an all-day OOF day marked
// TRANSPARENT (busy status wins), a cancelled and a transparent meeting.
func TestDecodeCalendarOutlookWeek(t *testing.T) {
	ny := mustLoad(t, "America/New_York")
	data := readTestdata(t, "outlook-week.ics")
	ivs, rep, err := DecodeCalendar(bytes.NewReader(data), utc(2026, 3, 2, 0, 0, 0), utc(2026, 3, 31, 0, 0, 0), CalendarOptions{Location: ny})
	require.NoError(t, err)
	at := func(d, h, m int) time.Time { return time.Date(2026, 3, d, h, m, 0, 0, ny).UTC() }
	var want []freebusy.Interval
	for _, d := range []int{2, 3, 5, 6, 9, 11, 12, 13, 16, 17, 18, 19, 20, 23, 24, 25, 26, 27, 30} {
		want = append(want, interval(at(d, 9, 0), at(d, 9, 30), freebusy.Busy)) // 09:00 New York across the 8 March DST change
	}
	want = append(want,
		interval(at(4, 0, 0), at(5, 0, 0), freebusy.OutOfOffice),                        // all-day in the owner's zone
		interval(at(10, 11, 0), at(10, 11, 30), freebusy.Tentative),                     // the moved stand-up
		interval(utc(2026, 3, 30, 13, 0, 0), utc(2026, 3, 30, 14, 0, 0), freebusy.Busy), // 15:00 Berlin, CEST since 29 March
	)
	// Wednesday 4 March is the OOF day: its stand-up is inside it. On
	// Monday 30 March the Berlin call (13:00-14:00Z) covers the stand-up.
	want = slices.DeleteFunc(want, func(i freebusy.Interval) bool { return i.Start.Equal(at(4, 9, 0)) || i.End.Equal(at(30, 9, 30)) })
	slices.SortFunc(want, func(a, b freebusy.Interval) int {
		return cmp.Or(a.Start.Compare(b.Start), a.End.Compare(b.End), cmp.Compare(a.Status, b.Status))
	})
	assert.Equal(t, mergeAdjacent(want), ivs)
	assert.Equal(t, 6, rep.Events)
	assert.Equal(t, 1, rep.Overrides)
	assert.Equal(t, 0, rep.OrphanOverrides)
	assert.Equal(t, 2, rep.Free, "cancelled budget review and transparent lunch")
	assert.Zero(t, rep.ZoneFallbacks)
	assert.Zero(t, rep.Invalid)
}

// mergeAdjacent joins touching intervals of one status, as Normalize does.
func mergeAdjacent(ivs []freebusy.Interval) []freebusy.Interval {
	var out []freebusy.Interval
	for _, i := range ivs {
		if n := len(out); n > 0 && out[n-1].End.Equal(i.Start) && out[n-1].Status == i.Status {
			out[n-1].End = i.End
			continue
		}
		out = append(out, i)
	}
	return out
}

// testdata/recurrence.ics: UNTIL, EXDATE, RDATE, COUNT, an EXDATE
// list on floating times, a monthly all-day event and an orphan override.
func TestDecodeCalendarRecurrence(t *testing.T) {
	ny := mustLoad(t, "America/New_York")
	ivs, rep := decodeMarch(t, string(readTestdata(t, "recurrence.ics")), CalendarOptions{Location: ny})
	at := func(d, h, m int) time.Time { return time.Date(2026, 3, d, h, m, 0, 0, ny).UTC() }
	want := []freebusy.Interval{
		interval(at(1, 0, 0), at(2, 0, 0), freebusy.OutOfOffice), // monthly all-day, 1 March (1 April is outside)
		interval(at(2, 10, 0), at(2, 11, 0), freebusy.Busy),
		interval(at(5, 16, 0), at(5, 17, 0), freebusy.Busy), // RDATE
		interval(at(6, 8, 0), at(6, 8, 30), freebusy.Tentative),
		interval(at(9, 8, 0), at(9, 8, 30), freebusy.Tentative), // COUNT=4 minus two EXDATEs
		interval(at(9, 10, 0), at(9, 11, 0), freebusy.Busy),
		interval(utc(2026, 3, 20, 16, 0, 0), utc(2026, 3, 20, 17, 0, 0), freebusy.Busy), // orphan override
		interval(at(23, 10, 0), at(23, 11, 0), freebusy.Busy),                           // UNTIL is inclusive; 16 March excluded
	}
	assert.Equal(t, want, ivs)
	assert.Equal(t, 1, rep.OrphanOverrides)
	assert.Equal(t, 1, rep.Overrides)
}

func TestDecodeCalendarZones(t *testing.T) {
	ny := mustLoad(t, "America/New_York")
	tests := []struct {
		name      string
		dtstart   string
		want      time.Time
		fallbacks int
	}{
		{"IANA", "DTSTART;TZID=Europe/Berlin:20260302T100000", utc(2026, 3, 2, 9, 0, 0), 0},
		{"quoted IANA", "DTSTART;TZID=\"Asia/Tokyo\":20260302T100000", utc(2026, 3, 2, 1, 0, 0), 0},
		{"mozilla path", "DTSTART;TZID=/mozilla.org/20050126_1/Europe/London:20260302T100000", utc(2026, 3, 2, 10, 0, 0), 0},
		{"Windows id", "DTSTART;TZID=Pacific Standard Time:20260302T100000", utc(2026, 3, 2, 18, 0, 0), 0},
		{"UTC", "DTSTART:20260302T100000Z", utc(2026, 3, 2, 10, 0, 0), 0},
		{"floating reads in Location", "DTSTART:20260302T100000", utc(2026, 3, 2, 15, 0, 0), 0},
		{"unknown zone falls back to Location", "DTSTART;TZID=Mars/Olympus_Mons:20260302T100000", utc(2026, 3, 2, 15, 0, 0), 1},
		{"Local is no zone", "DTSTART;TZID=Local:20260302T100000", utc(2026, 3, 2, 15, 0, 0), 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ivs, rep := decodeMarch(t, calendarOf("UID:1\n"+tt.dtstart+"\nDURATION:PT1H"), CalendarOptions{Location: ny})
			require.Len(t, ivs, 1)
			assert.Equal(t, tt.want, ivs[0].Start)
			assert.Equal(t, time.Hour, ivs[0].Duration())
			assert.Equal(t, tt.fallbacks, rep.ZoneFallbacks)
			assert.Len(t, rep.UnknownZones, tt.fallbacks)
		})
	}
}

// A VTIMEZONE whose TZID names no zone is turned into one from its rules,
// with both DST changes of 2026 (Europe: 29 March and 25 October).
func TestVTimezoneLocation(t *testing.T) {
	vtz := `BEGIN:VTIMEZONE
TZID:Custom Europe
BEGIN:STANDARD
DTSTART:19701025T030000
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
TZNAME:CET
RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:19700329T020000
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
TZNAME:CEST
RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3
END:DAYLIGHT
END:VTIMEZONE`
	cal := "BEGIN:VCALENDAR\r\n" + strings.ReplaceAll(vtz, "\n", "\r\n") + "\r\n" +
		strings.TrimPrefix(calendarOf(
			"UID:a\nDTSTART;TZID=Custom Europe:20260328T100000\nDURATION:PT1H",
			"UID:b\nDTSTART;TZID=Custom Europe:20260330T100000\nDURATION:PT1H",
			"UID:c\nDTSTART;TZID=Custom Europe:20261026T100000\nDURATION:PT1H",
		), "BEGIN:VCALENDAR\r\n")
	ivs, rep, err := DecodeCalendar(strings.NewReader(cal), utc(2026, 3, 1, 0, 0, 0), utc(2026, 11, 1, 0, 0, 0), CalendarOptions{})
	require.NoError(t, err)
	assert.Zero(t, rep.ZoneFallbacks)
	require.Len(t, ivs, 3)
	assert.Equal(t, utc(2026, 3, 28, 9, 0, 0), ivs[0].Start, "CET before the change")
	assert.Equal(t, utc(2026, 3, 30, 8, 0, 0), ivs[1].Start, "CEST after it")
	assert.Equal(t, utc(2026, 10, 26, 9, 0, 0), ivs[2].Start, "CET again")
}

// All-day events are whole days in the owner's zone, and a weekly all-day
// event stays midnight-to-midnight across the DST change.
func TestDecodeCalendarAllDay(t *testing.T) {
	ny := mustLoad(t, "America/New_York")
	ivs, _ := decodeMarch(t, calendarOf(
		"UID:1\nDTSTART;VALUE=DATE:20260306\nDTEND;VALUE=DATE:20260307\nRRULE:FREQ=WEEKLY;COUNT=2",
		"UID:2\nDTSTART;VALUE=DATE:20260320\nX-MICROSOFT-CDO-BUSYSTATUS:OOF", // no DTEND: one day
	), CalendarOptions{Location: ny})
	day := func(d int) time.Time { return time.Date(2026, 3, d, 0, 0, 0, 0, ny).UTC() }
	assert.Equal(t, []freebusy.Interval{
		interval(day(6), day(7), freebusy.Busy),
		interval(day(13), day(14), freebusy.Busy),
		interval(day(20), day(21), freebusy.OutOfOffice),
	}, ivs)
	assert.Equal(t, 5*time.Hour, day(6).Sub(utc(2026, 3, 6, 0, 0, 0)))
	assert.Equal(t, 4*time.Hour, day(13).Sub(utc(2026, 3, 13, 0, 0, 0)))
}

func TestDecodeCalendarLimits(t *testing.T) {
	t.Run("MaxOccurrences counts the instances that reach the window", func(t *testing.T) {
		ivs, rep := decodeMarch(t, calendarOf("UID:1\nDTSTART:20260225T090000Z\nDURATION:PT1H\nRRULE:FREQ=DAILY"), CalendarOptions{MaxOccurrences: 10})
		require.Len(t, ivs, 11, "1-10 March, then what the cap cut off")
		assert.Equal(t, freebusy.Busy, ivs[9].Status)
		assert.Equal(t, freebusy.Interval{Start: time.Date(2026, 3, 11, 9, 0, 0, 0, time.UTC), End: time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC), Status: freebusy.Unknown}, ivs[10],
			"time the cap cut off is unknown, never free")
		assert.Equal(t, 1, rep.Truncated)
	})
	t.Run("a long-running series still reaches the window", func(t *testing.T) {
		ivs, rep := decodeMarch(t, calendarOf("UID:1\nDTSTART:19900101T090000Z\nDURATION:PT1H\nRRULE:FREQ=DAILY"), CalendarOptions{})
		assert.Zero(t, rep.Truncated, "13,000 days since 1990 are skipped within preWindowFactor x DefaultMaxOccurrences")
		assert.Len(t, ivs, 31, "a daily meeting since 1990 is busy every day of March 2026")
	})
	t.Run("the pre-window bound", func(t *testing.T) {
		// With COUNT the rule cannot start near the window (see
		// TestExpandJumpsToWindow): it is walked from DTSTART.
		ivs, rep := decodeMarch(t, calendarOf("UID:1\nDTSTART:20250101T090000Z\nDURATION:PT1H\nRRULE:FREQ=DAILY;COUNT=100000"), CalendarOptions{MaxOccurrences: 1})
		assert.Equal(t, 1, rep.Truncated, "424 instances before March exceed 100 x 1")
		assert.Equal(t, []freebusy.Interval{{Start: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC), Status: freebusy.Unknown}}, ivs)
	})
	t.Run("a sub-daily rule whose INTERVAL never reaches its BYHOUR", func(t *testing.T) {
		// Issue 10: sub-daily rules used to be left unexpanded; they
		// are expanded now (TestRecurrenceSubDaily), and this one, on
		// which rrule-go would loop, matches nothing but DTSTART.
		ivs, rep := decodeMarch(t, calendarOf("UID:1\nDTSTART:20260302T090000Z\nDURATION:PT10M\nRRULE:FREQ=HOURLY;INTERVAL=24;BYHOUR=5"), CalendarOptions{})
		assert.Len(t, ivs, 1)
		assert.Equal(t, 1, rep.Degraded)
	})
}

func TestDecodeCalendarInvalidEvents(t *testing.T) {
	cal := calendarOf(
		"UID:ok\nDTSTART:20260302T090000Z\nDURATION:PT1H",
		"UID:nostart\nSUMMARY:no start",
		"UID:badstart\nDTSTART:2026-03-02",
		"UID:badrule\nDTSTART:20260302T090000Z\nRRULE:FREQ=SOMETIMES",
		"UID:impossible\nDTSTART:20260302T090000Z\nRRULE:FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30",
		"UID:badexdate\nDTSTART:20260302T090000Z\nRRULE:FREQ=DAILY\nEXDATE:yesterday",
		"UID:badduration\nDTSTART:20260302T090000Z\nDURATION:1 hour",
	)
	ivs, rep := decodeMarch(t, cal, CalendarOptions{})
	// Issue 10: a bad property no longer drops its event. Only the two
	// without a readable DTSTART are invalid; the others keep what can
	// be read, and what cannot be placed is Unknown, never Free: the
	// unreadable FREQ from DTSTART on, the unreadable DURATION to the
	// end of its day (package doc, "What cannot be read").
	assert.Equal(t, []freebusy.Interval{
		interval(utc(2026, 3, 2, 9, 0, 0), utc(2026, 3, 2, 10, 0, 0), freebusy.Busy),
		interval(utc(2026, 3, 2, 10, 0, 0), utc(2026, 4, 1, 0, 0, 0), freebusy.Unknown),
	}, ivs)
	assert.Equal(t, 7, rep.Events)
	assert.Equal(t, 2, rep.Invalid)
	assert.Equal(t, 4, rep.Degraded)
	assert.Equal(t, 1, rep.UnsupportedRecurrences)
	require.Len(t, rep.Problems, 6)
	// The offending lines: component parse errors first (no DTSTART points
	// at BEGIN), then expansion errors.
	lines := []int{9, 15, 36, 20, 25, 31}
	for i, p := range rep.Problems {
		var pe *freebusy.ParseError
		require.ErrorAs(t, p, &pe)
		assert.Equal(t, lines[i], pe.Line, "problem %d: %v", i, p)
		assert.ErrorIs(t, p, freebusy.ErrInvalid)
	}
}

func TestDecodeCalendarClassify(t *testing.T) {
	cal := calendarOf(
		"UID:appt\nDTSTART:20260302T090000Z\nDURATION:PT1H\nX-LOTUS-APPTTYPE:0",
		"UID:anniversary\nDTSTART;VALUE=DATE:20260303\nX-LOTUS-APPTTYPE:1",
		"UID:penciled\nDTSTART:20260304T090000Z\nDURATION:PT1H\nX-LOTUS-APPTTYPE:3\nSTATUS:TENTATIVE",
	)
	var seen []CalendarEvent
	classify := func(ev *CalendarEvent) (freebusy.Status, bool) {
		seen = append(seen, *ev)
		switch ev.Props["X-LOTUS-APPTTYPE"] {
		case "1":
			return freebusy.Unknown, false // anniversaries block no time
		case "3":
			return freebusy.Busy, true
		}
		return ev.Status, true
	}
	ivs, rep := decodeMarch(t, cal, CalendarOptions{Classify: classify})
	assert.Equal(t, []freebusy.Interval{
		interval(utc(2026, 3, 2, 9, 0, 0), utc(2026, 3, 2, 10, 0, 0), freebusy.Busy),
		interval(utc(2026, 3, 4, 9, 0, 0), utc(2026, 3, 4, 10, 0, 0), freebusy.Busy),
	}, ivs)
	assert.Equal(t, 1, rep.Skipped)
	require.Len(t, seen, 3)
	assert.Equal(t, "anniversary", seen[1].UID)
	assert.True(t, seen[1].AllDay)
	assert.Equal(t, utc(2026, 3, 3, 0, 0, 0), seen[1].Start)
	assert.Equal(t, utc(2026, 3, 4, 0, 0, 0), seen[1].End)
	assert.Equal(t, freebusy.Tentative, seen[2].Status, "the generic rules ran first")

	_, rep = decodeMarch(t, cal, CalendarOptions{Classify: func(*CalendarEvent) (freebusy.Status, bool) { return freebusy.Status(99), true }})
	assert.Equal(t, 3, rep.Invalid)
}

func TestDecodeCalendarErrors(t *testing.T) {
	start, end := utc(2026, 3, 1, 0, 0, 0), utc(2026, 4, 1, 0, 0, 0)
	_, _, err := DecodeCalendar(strings.NewReader(calendarOf()), end, start, CalendarOptions{})
	assert.ErrorIs(t, err, freebusy.ErrEmptyWindow)
	assert.ErrorIs(t, err, freebusy.ErrInvalidQuery)

	_, _, err = DecodeCalendar(strings.NewReader("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART:20260302T090000Z\r\n"), start, end, CalendarOptions{})
	var pe *freebusy.ParseError
	require.ErrorAs(t, err, &pe)
	assert.Equal(t, 2, pe.Line)
	assert.ErrorIs(t, err, errUnclosed)

	_, _, err = DecodeCalendar(errReader{}, start, end, CalendarOptions{})
	assert.True(t, errors.Is(err, errDiskFull))
}

// RRULE, RDATE and EXDATE forms of RFC 5545 §3.3.10, §3.8.5.1-3, one
// event each, in New York; the window is March 2026.
func TestDecodeCalendarRecurrenceForms(t *testing.T) {
	ny := mustLoad(t, "America/New_York")
	at := func(d, h int) time.Time { return time.Date(2026, 3, d, h, 0, 0, 0, ny).UTC() }
	tests := []struct {
		name   string
		event  string
		starts []time.Time
	}{
		{"UNTIL floating is in the event's zone", "DTSTART:20260302T090000\nRRULE:FREQ=DAILY;UNTIL=20260304T090000", []time.Time{at(2, 9), at(3, 9), at(4, 9)}},
		{"UNTIL as a date includes that day", "DTSTART:20260302T090000\nRRULE:FREQ=DAILY;UNTIL=20260303", []time.Time{at(2, 9), at(3, 9)}},
		{"UNTIL in UTC", "DTSTART;TZID=America/New_York:20260302T090000\nRRULE:FREQ=DAILY;UNTIL=20260303T140000Z", []time.Time{at(2, 9), at(3, 9)}},
		{"lower-case rule", "DTSTART:20260302T090000\nRRULE:freq=weekly;count=2", []time.Time{at(2, 9), at(9, 9)}},
		{"DTSTART off the rule is still the first instance", "DTSTART:20260301T090000\nRRULE:FREQ=WEEKLY;BYDAY=TU;UNTIL=20260304", []time.Time{at(1, 9), at(3, 9)}},
		{"RDATE only", "DTSTART:20260302T090000\nRDATE:20260305T090000,20260306T090000", []time.Time{at(2, 9), at(5, 9), at(6, 9)}},
		// The PERIOD's own duration is tested in TestRecurrenceSetRDatePeriod
		// (issue 10: it used to take the event's).
		{"RDATE as a period", "DTSTART:20260302T090000\nRDATE;VALUE=PERIOD:20260305T150000Z/PT30M", []time.Time{at(2, 9), at(5, 10)}},
		{"RDATE equal to a rule instance counts once", "DTSTART:20260302T090000\nRRULE:FREQ=DAILY;COUNT=2\nRDATE:20260303T090000", []time.Time{at(2, 9), at(3, 9)}},
		{"EXDATE as a date on a timed event", "DTSTART:20260302T090000\nRRULE:FREQ=DAILY;COUNT=3\nEXDATE;VALUE=DATE:20260303", []time.Time{at(2, 9), at(4, 9)}},
		{"EXDATE in UTC", "DTSTART;TZID=America/New_York:20260302T090000\nRRULE:FREQ=DAILY;COUNT=3\nEXDATE:20260304T140000Z", []time.Time{at(2, 9), at(3, 9)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ivs, rep := decodeMarch(t, calendarOf("UID:r\nDURATION:PT30M\n"+tt.event), CalendarOptions{Location: ny})
			assert.Zero(t, rep.Invalid, "%v", rep.Problems)
			var starts []time.Time
			for _, i := range ivs {
				starts = append(starts, i.Start)
				assert.Equal(t, 30*time.Minute, i.Duration())
			}
			assert.Equal(t, tt.starts, starts)
		})
	}
}

// Every IANA id the Windows table maps to must exist in tzdata, or the map
// would silently fall back to the owner's zone.
func TestWindowsZonesLoad(t *testing.T) {
	for _, win := range freebusy.WindowsZoneIDs() {
		iana, ok := freebusy.WindowsToIANA(win)
		require.True(t, ok, win)
		assert.NotNil(t, loadIANA(iana), "%s -> %s", win, iana)
	}
	assert.Nil(t, loadIANA("Local"), "never the machine's zone")
	assert.Nil(t, loadIANA(""))
}

// A southern-hemisphere VTIMEZONE (daylight time across New Year, Sydney's
// rules) gives the right offset on both sides of each change.
func TestVTimezoneSouthernHemisphere(t *testing.T) {
	cal := "BEGIN:VCALENDAR\r\nBEGIN:VTIMEZONE\r\nTZID:Sydney-ish\r\n" +
		"BEGIN:STANDARD\r\nDTSTART:20000402T030000\r\nTZOFFSETFROM:+1100\r\nTZOFFSETTO:+1000\r\nRRULE:FREQ=YEARLY;BYMONTH=4;BYDAY=1SU\r\nEND:STANDARD\r\n" +
		"BEGIN:DAYLIGHT\r\nDTSTART:20001001T020000\r\nTZOFFSETFROM:+1000\r\nTZOFFSETTO:+1100\r\nRRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=1SU\r\nEND:DAYLIGHT\r\n" +
		"END:VTIMEZONE\r\n" +
		"BEGIN:VEVENT\r\nUID:1\r\nDTSTART;TZID=Sydney-ish:20260115T090000\r\nDURATION:PT1H\r\nEND:VEVENT\r\n" +
		"BEGIN:VEVENT\r\nUID:2\r\nDTSTART;TZID=Sydney-ish:20260615T090000\r\nDURATION:PT1H\r\nEND:VEVENT\r\n" +
		"END:VCALENDAR\r\n"
	syd := mustLoad(t, "Australia/Sydney")
	ivs, rep, err := DecodeCalendar(strings.NewReader(cal), utc(2026, 1, 1, 0, 0, 0), utc(2026, 7, 1, 0, 0, 0), CalendarOptions{})
	require.NoError(t, err)
	assert.Zero(t, rep.ZoneFallbacks)
	require.Len(t, ivs, 2)
	assert.Equal(t, time.Date(2026, 1, 15, 9, 0, 0, 0, syd).UTC(), ivs[0].Start, "AEDT, +11")
	assert.Equal(t, time.Date(2026, 6, 15, 9, 0, 0, 0, syd).UTC(), ivs[1].Start, "AEST, +10")
}

// Schedules in any zone are written in UTC (RFC 5545 §3.6.4: DTSTART, DTEND
// and FREEBUSY in UTC).
func TestEncodeVFreeBusyWritesUTC(t *testing.T) {
	ny := mustLoad(t, "America/New_York")
	day := func(h int) time.Time { return time.Date(2026, 3, 9, h, 0, 0, 0, ny) }
	s := freebusy.Schedule{Attendee: "a@example.com", Start: day(0), End: day(24), AsOf: day(0),
		Intervals: []freebusy.Interval{{Start: day(9), End: day(10), Status: freebusy.Busy}}}
	var buf bytes.Buffer
	require.NoError(t, EncodeVFreeBusy(&buf, []freebusy.Schedule{s}, VFreeBusyOptions{}))
	out := buf.String()
	assert.Contains(t, out, "DTSTART:20260309T040000Z\r\n")
	assert.Contains(t, out, "DTEND:20260310T040000Z\r\n")
	assert.Contains(t, out, "FREEBUSY;FBTYPE=BUSY:20260309T130000Z/20260309T140000Z\r\n")
	assert.NotContains(t, out, "TZID")
}

// An all-day event on a day whose midnight DST skips (America/Santiago,
// 2024-09-08) covers that day only: 01:00 -03 to 00:00 -03 the next day,
// 23 hours, not 47 hours starting the evening before.
func TestAllDayOnSkippedMidnight(t *testing.T) {
	santiago := mustLoad(t, "America/Santiago")
	ics := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\n" +
		"BEGIN:VEVENT\r\nUID:a\r\nDTSTART;VALUE=DATE:20240908\r\nDTEND;VALUE=DATE:20240909\r\nEND:VEVENT\r\n" +
		"BEGIN:VEVENT\r\nUID:b\r\nDTSTART;VALUE=DATE:20240906\r\nRRULE:FREQ=DAILY;COUNT=3\r\nTRANSP:OPAQUE\r\nX-MICROSOFT-CDO-BUSYSTATUS:TENTATIVE\r\nEND:VEVENT\r\n" +
		"END:VCALENDAR\r\n"
	start := time.Date(2024, 9, 1, 0, 0, 0, 0, time.UTC)
	ivs, rep, err := DecodeCalendar(strings.NewReader(ics), start, start.AddDate(0, 0, 14), CalendarOptions{Location: santiago})
	require.NoError(t, err)
	require.Zero(t, rep.Invalid)
	want := []freebusy.Interval{
		{Start: time.Date(2024, 9, 6, 4, 0, 0, 0, time.UTC), End: time.Date(2024, 9, 8, 4, 0, 0, 0, time.UTC), Status: freebusy.Tentative},
		{Start: time.Date(2024, 9, 8, 4, 0, 0, 0, time.UTC), End: time.Date(2024, 9, 9, 3, 0, 0, 0, time.UTC), Status: freebusy.Busy},
	}
	assert.Equal(t, want, ivs, "the recurring all-day instance on the 8th is the busy one's day too, and no day leaks into its neighbour")
}

func mustLoad(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	require.NoError(t, err, "tzdata for %s", name)
	return loc
}
