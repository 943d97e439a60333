package ical

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/calbridge/calbridge/freebusy"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// RFC 5545 §3.8.5 (and §3.8.5.3): the recurrence set is DTSTART plus the
// union of every RRULE and RDATE, minus every EXDATE and (RFC 2445
// §4.8.5.2) EXRULE. Issue 10: the second RRULE used to be dropped and
// EXRULE ignored.
func TestRecurrenceSetUnion(t *testing.T) {
	const d = "DTSTART;TZID=America/New_York:20260302T090000\n" // a Monday
	tests := []struct {
		name  string
		props string
		want  []string
	}{
		{"two RRULEs are a union", d + "RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=3\nRRULE:FREQ=WEEKLY;BYDAY=WE;COUNT=2",
			at09("20260302", "20260304", "20260309", "20260311", "20260316")},
		{"an instance both rules give counts once", d + "RRULE:FREQ=DAILY;COUNT=3\nRRULE:FREQ=WEEKLY;COUNT=2",
			at09("20260302", "20260303", "20260304", "20260309")},
		{"EXRULE subtracts (RFC 2445 §4.8.5.2)", d + "RRULE:FREQ=DAILY;COUNT=10\nEXRULE:FREQ=WEEKLY;BYDAY=SA,SU",
			at09("20260302", "20260303", "20260304", "20260305", "20260306", "20260309", "20260310", "20260311")},
		{"EXRULE that excludes DTSTART", d + "RRULE:FREQ=DAILY;COUNT=3\nEXRULE:FREQ=DAILY;COUNT=1",
			at09("20260303", "20260304")},
		{"RRULE, RDATEs of both forms, EXDATE on an RDATE", d + "RRULE:FREQ=WEEKLY;COUNT=2\nRDATE:20260305T090000\nRDATE;VALUE=DATE-TIME:20260306T090000,20260307T090000\nEXDATE:20260306T090000",
			at09("20260302", "20260305", "20260307", "20260309")},
		{"blanks in a list (Microsoft CDO; RFC 5545 §3.3.10 has none) are read without them", d + "RRULE:FREQ=DAILY;UNTIL=20260310T140000Z;BYDAY=MO, TU,\tFR ",
			at09("20260302", "20260303", "20260306", "20260309", "20260310")},
		{"EXDATE list over two RRULEs", d + "RRULE:FREQ=DAILY;COUNT=4\nRRULE:FREQ=DAILY;INTERVAL=7;COUNT=3\nEXDATE:20260303T090000,20260309T090000",
			at09("20260302", "20260304", "20260305", "20260316")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, expandNY(t, tt.props, ny(2026, 3, 1), ny(2026, 4, 1)))
		})
	}
}

// RFC 5545 §3.8.5.2: an RDATE PERIOD is an instance with its own end or
// duration, not the event's. Issue 10: PT2H used to read as the event's
// 30 minutes.
func TestRecurrenceSetRDatePeriod(t *testing.T) {
	ny := mustLoad(t, "America/New_York")
	cal := calendarOf("UID:p\nDTSTART;TZID=America/New_York:20260302T090000\nDURATION:PT30M\n" +
		"RDATE;VALUE=PERIOD:20260305T150000Z/PT2H,20260306T150000Z/20260306T153000Z\n" +
		"RDATE;VALUE=PERIOD;TZID=Europe/Berlin:20260310T100000/PT3H")
	ivs, rep := decodeMarch(t, cal, CalendarOptions{Location: ny})
	require.Zero(t, rep.Degraded, "%v", rep.Problems)
	assert.Equal(t, []freebusy.Interval{
		interval(utc(2026, 3, 2, 14, 0, 0), utc(2026, 3, 2, 14, 30, 0), freebusy.Busy), // DTSTART, the event's 30 minutes
		interval(utc(2026, 3, 5, 15, 0, 0), utc(2026, 3, 5, 17, 0, 0), freebusy.Busy),  // PT2H
		interval(utc(2026, 3, 6, 15, 0, 0), utc(2026, 3, 6, 15, 30, 0), freebusy.Busy), // start/end
		interval(utc(2026, 3, 10, 9, 0, 0), utc(2026, 3, 10, 12, 0, 0), freebusy.Busy), // 10:00 Berlin, 3 hours
	}, ivs)
}

// RFC 5545 §3.8.5.2: RDATE;VALUE=DATE on an all-day event adds whole days.
func TestRecurrenceSetRDateDates(t *testing.T) {
	ivs, _ := decodeMarch(t, calendarOf("UID:d\nDTSTART;VALUE=DATE:20260302\nRDATE;VALUE=DATE:20260304,20260310"), CalendarOptions{})
	assert.Equal(t, []freebusy.Interval{
		interval(utc(2026, 3, 2, 0, 0, 0), utc(2026, 3, 3, 0, 0, 0), freebusy.Busy),
		interval(utc(2026, 3, 4, 0, 0, 0), utc(2026, 3, 5, 0, 0, 0), freebusy.Busy),
		interval(utc(2026, 3, 10, 0, 0, 0), utc(2026, 3, 11, 0, 0, 0), freebusy.Busy),
	}, ivs)
}

// RFC 5545 §3.3.10: HOURLY, MINUTELY and SECONDLY rules are expanded.
// Issue 10: their time used to read as Free.
func TestRecurrenceSubDaily(t *testing.T) {
	tests := []struct {
		name  string
		props string
		want  []string
	}{
		{"SECONDLY", "DTSTART;TZID=America/New_York:20260302T090000\nRRULE:FREQ=SECONDLY;INTERVAL=30;COUNT=3",
			[]string{"20260302T090000", "20260302T090030", "20260302T090100"}},
		{"HOURLY with BYDAY", "DTSTART;TZID=America/New_York:20260306T220000\nRRULE:FREQ=HOURLY;INTERVAL=2;BYDAY=FR,MO;COUNT=3",
			[]string{"20260306T220000", "20260309T000000", "20260309T020000"}},
		{"MINUTELY with BYSETPOS", "DTSTART;TZID=America/New_York:20260302T090000\nRRULE:FREQ=MINUTELY;INTERVAL=30;COUNT=2;BYSECOND=0,15,30;BYSETPOS=-1",
			// DTSTART is an instance whether or not the rule gives it.
			[]string{"20260302T090000", "20260302T090030", "20260302T093030"}},
		{"HOURLY across the DST change keeps the wall clock", "DTSTART;TZID=America/New_York:20260308T000000\nRRULE:FREQ=HOURLY;INTERVAL=1;BYHOUR=0,1,3;COUNT=3",
			[]string{"20260308T000000", "20260308T010000", "20260308T030000"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, expandNY(t, tt.props, ny(2026, 3, 1), ny(2026, 4, 1)))
		})
	}

	// Found by FuzzDecodeCalendar (testdata/fuzz/FuzzDecodeCalendar/
	// minutely-bysetpos): a minute holds one instance per BYSECOND, so
	// BYSETPOS=11 matches nothing, and rrule-go stepped minute by minute
	// to the year 9999. Such rules, and sub-daily BYHOUR/BYMINUTE/BYSECOND
	// that INTERVAL never reaches, keep DTSTART only.
	for _, rule := range []string{
		"FREQ=MINUTELY;BYHOUR=9,10;BYSETPOS=11", "FREQ=HOURLY;BYSECOND=1,01,1;BYSETPOS=2", "FREQ=SECONDLY;BYSETPOS=-2",
		"FREQ=HOURLY;INTERVAL=24;BYHOUR=5", "FREQ=MINUTELY;INTERVAL=120;BYMINUTE=30", "FREQ=SECONDLY;INTERVAL=2;BYSECOND=1,3,5",
	} {
		t.Run("no period reaches "+rule, func(t *testing.T) {
			done := make(chan []freebusy.Interval)
			go func() {
				ivs, _ := decodeMarch(t, calendarOf("UID:x\nDTSTART:20260302T090000Z\nDURATION:PT5M\nRRULE:"+rule), CalendarOptions{})
				done <- ivs
			}()
			select {
			case ivs := <-done:
				assert.Equal(t, []freebusy.Interval{interval(utc(2026, 3, 2, 9, 0, 0), utc(2026, 3, 2, 9, 5, 0), freebusy.Busy)}, ivs)
			case <-time.After(10 * time.Second):
				t.Fatal("expansion does not end")
			}
		})
	}

	t.Run("an all-day event with a SECONDLY rule is bounded work", func(t *testing.T) {
		// 86,400 instances a day fold onto one all-day instance; the
		// work bound counts them, and what it cuts off is Unknown.
		ivs, rep := decodeMarch(t, calendarOf("UID:a\nDTSTART;VALUE=DATE:20260302\nRRULE:FREQ=SECONDLY;COUNT=100000000"), CalendarOptions{MaxOccurrences: 10})
		assert.Equal(t, 1, rep.Truncated)
		assert.Equal(t, []freebusy.Interval{
			interval(utc(2026, 3, 2, 0, 0, 0), utc(2026, 3, 3, 0, 0, 0), freebusy.Busy),
			interval(utc(2026, 3, 3, 0, 0, 0), utc(2026, 4, 1, 0, 0, 0), freebusy.Unknown),
		}, ivs)
	})

	t.Run("an hourly rule that began years ago covers the window", func(t *testing.T) {
		ivs, rep := decodeMarch(t, calendarOf("UID:h\nDTSTART:20160302T000000Z\nDURATION:PT30M\nRRULE:FREQ=HOURLY;INTERVAL=1"), CalendarOptions{MaxOccurrences: 800})
		assert.Zero(t, rep.Truncated, "87,600 hours before March exceed 100 x 800: only the jump reaches the window")
		require.NotEmpty(t, ivs)
		assert.Equal(t, interval(utc(2026, 3, 1, 0, 0, 0), utc(2026, 3, 1, 0, 30, 0), freebusy.Busy), ivs[0])
		var busy time.Duration
		for _, iv := range ivs {
			busy += iv.Duration()
		}
		assert.Equal(t, 744*30*time.Minute, busy, "every hour of March starts 30 busy minutes")
	})
}

// RFC 5545 §3.8.4.4: RECURRENCE-ID;RANGE=THISANDFUTURE applies the
// override to that instance and every later one: its time shift, its
// duration and its status. Issue 10: it used to change one instance only.
func TestRecurrenceThisAndFuture(t *testing.T) {
	master := "UID:s\nDTSTART:20260302T090000Z\nDURATION:PT1H\nRRULE:FREQ=DAILY;COUNT=8"
	future := "UID:s\nRECURRENCE-ID;RANGE=THISANDFUTURE:20260305T090000Z\nDTSTART:20260305T140000Z\nDURATION:PT30M\nSTATUS:TENTATIVE"
	single := "UID:s\nRECURRENCE-ID:20260307T090000Z\nDTSTART:20260307T180000Z\nDURATION:PT2H"
	ivs, rep := decodeMarch(t, calendarOf(master, future, single), CalendarOptions{})
	require.Zero(t, rep.Degraded+rep.Invalid, "%v", rep.Problems)
	var want []freebusy.Interval
	for d := 2; d <= 4; d++ {
		want = append(want, interval(utc(2026, 3, d, 9, 0, 0), utc(2026, 3, d, 10, 0, 0), freebusy.Busy))
	}
	for d := 5; d <= 9; d++ {
		if d == 7 {
			// A later single override replaces its own instance.
			want = append(want, interval(utc(2026, 3, 7, 18, 0, 0), utc(2026, 3, 7, 20, 0, 0), freebusy.Busy))
			continue
		}
		want = append(want, interval(utc(2026, 3, d, 14, 0, 0), utc(2026, 3, d, 14, 30, 0), freebusy.Tentative))
	}
	assert.Equal(t, want, ivs)

	t.Run("a second THISANDFUTURE takes over from its instance", func(t *testing.T) {
		later := "UID:s\nRECURRENCE-ID;RANGE=THISANDFUTURE:20260308T090000Z\nDTSTART:20260308T070000Z\nDURATION:PT1H"
		ivs, _ := decodeMarch(t, calendarOf(master, future, later), CalendarOptions{})
		require.Len(t, ivs, 8)
		assert.Equal(t, interval(utc(2026, 3, 7, 14, 0, 0), utc(2026, 3, 7, 14, 30, 0), freebusy.Tentative), ivs[5])
		assert.Equal(t, interval(utc(2026, 3, 8, 7, 0, 0), utc(2026, 3, 8, 8, 0, 0), freebusy.Busy), ivs[6])
		assert.Equal(t, interval(utc(2026, 3, 9, 7, 0, 0), utc(2026, 3, 9, 8, 0, 0), freebusy.Busy), ivs[7])
	})
	t.Run("a series moved earlier across the window's start", func(t *testing.T) {
		// The override moves April instances into March's last hours.
		m := "UID:e\nDTSTART:20260330T090000Z\nDURATION:PT1H\nRRULE:FREQ=DAILY;COUNT=5"
		f := "UID:e\nRECURRENCE-ID;RANGE=THISANDFUTURE:20260331T090000Z\nDTSTART:20260330T230000Z\nDURATION:PT1H"
		ivs, _ := decodeMarch(t, calendarOf(m, f), CalendarOptions{})
		assert.Equal(t, []freebusy.Interval{
			interval(utc(2026, 3, 30, 9, 0, 0), utc(2026, 3, 30, 10, 0, 0), freebusy.Busy),
			interval(utc(2026, 3, 30, 23, 0, 0), utc(2026, 3, 31, 0, 0, 0), freebusy.Busy),
			interval(utc(2026, 3, 31, 23, 0, 0), utc(2026, 4, 1, 0, 0, 0), freebusy.Busy), // 1 April 09:00, moved 10 hours earlier
		}, ivs)
	})
}

// RFC 5545 §3.8.5: an override (RECURRENCE-ID) whose master is not in the
// file still has a recurrence set of its own. Issue 10: its RDATEs used to
// be dropped.
func TestRecurrenceOrphanOverrideKeepsRDates(t *testing.T) {
	ivs, rep := decodeMarch(t, calendarOf("UID:o\nRECURRENCE-ID:20260302T090000Z\nDTSTART:20260302T100000Z\nDURATION:PT1H\nRDATE:20260303T100000Z,20260304T100000Z"), CalendarOptions{})
	assert.Equal(t, 1, rep.OrphanOverrides)
	assert.Equal(t, []freebusy.Interval{
		interval(utc(2026, 3, 2, 10, 0, 0), utc(2026, 3, 2, 11, 0, 0), freebusy.Busy),
		interval(utc(2026, 3, 3, 10, 0, 0), utc(2026, 3, 3, 11, 0, 0), freebusy.Busy),
		interval(utc(2026, 3, 4, 10, 0, 0), utc(2026, 3, 4, 11, 0, 0), freebusy.Busy),
	}, ivs)
}

// The rule of the package doc, "What cannot be read" (RFC 5545 §3.8.5
// defines the set the unreadable part belonged to): the event keeps what
// can be read, its DTSTART instance at least; time it takes but that
// cannot be placed is Unknown, never Free; the report says what and why.
// Issue 10: one bad RDATE or an RRULE typo used to drop the whole event.
func TestRecurrenceUnreadableParts(t *testing.T) {
	const dt = "UID:u\nDTSTART:20260302T090000Z\nDURATION:PT1H\n"
	busy := func(d int) freebusy.Interval {
		return interval(utc(2026, 3, d, 9, 0, 0), utc(2026, 3, d, 10, 0, 0), freebusy.Busy)
	}
	unknown := func(d, h int) freebusy.Interval {
		return interval(utc(2026, 3, d, h, 0, 0), utc(2026, 3, d, h+1, 0, 0), freebusy.Unknown)
	}
	tests := []struct {
		name    string
		props   string
		want    []freebusy.Interval
		problem string // in the report's problem
	}{
		{"one malformed RDATE among good ones", "RDATE:20260303T090000Z,not-a-date,20260304T090000Z",
			[]freebusy.Interval{
				busy(2), interval(utc(2026, 3, 2, 10, 0, 0), utc(2026, 3, 3, 9, 0, 0), freebusy.Unknown),
				busy(3), interval(utc(2026, 3, 3, 10, 0, 0), utc(2026, 3, 4, 9, 0, 0), freebusy.Unknown),
				busy(4), interval(utc(2026, 3, 4, 10, 0, 0), utc(2026, 4, 1, 0, 0, 0), freebusy.Unknown),
			},
			"window from DTSTART on is Unknown"},
		{"a malformed RDATE whose date reads", "RDATE:20260303T090000Z,20260305T25",
			[]freebusy.Interval{busy(2), busy(3), interval(utc(2026, 3, 5, 0, 0, 0), utc(2026, 3, 6, 1, 0, 0), freebusy.Unknown)},
			"that day is Unknown"},
		{"a typo in an RRULE part (UNTL=)", "RRULE:FREQ=DAILY;UNTL=20260304T000000Z;COUNT=3",
			[]freebusy.Interval{busy(2), unknown(3, 9), unknown(4, 9)},
			"part UNTL=20260304T000000Z not understood"},
		{"an unreadable BYDAY value", "RRULE:FREQ=WEEKLY;BYDAY=XX;COUNT=2",
			[]freebusy.Interval{busy(2), unknown(9, 9)},
			"BYDAY=XX"},
		{"an unreadable FREQ bounded by UNTIL", "RRULE:FREQ=FORTNIGHTLY;UNTIL=20260310T090000Z",
			[]freebusy.Interval{busy(2), interval(utc(2026, 3, 2, 10, 0, 0), utc(2026, 3, 10, 10, 0, 0), freebusy.Unknown)},
			"no FREQ"},
		{"an unreadable EXDATE whose date reads", "RRULE:FREQ=DAILY;COUNT=3\nEXDATE:20260303T0900",
			[]freebusy.Interval{busy(2), unknown(3, 9), busy(4)},
			"instances that day are Unknown"},
		{"an unreadable EXDATE is ignored", "RRULE:FREQ=DAILY;COUNT=2\nEXDATE:yesterday",
			[]freebusy.Interval{busy(2), busy(3)},
			"ignored"},
		{"an EXRULE part not understood", "RRULE:FREQ=DAILY;COUNT=3\nEXRULE:FREQ=DAILY;BYDAY=TU;BYWHATEVER=1",
			[]freebusy.Interval{busy(2), unknown(3, 9), busy(4)},
			"instances it may exclude are Unknown"},
		{"an unreadable DURATION", "RRULE:FREQ=DAILY;COUNT=2\nDURATION:soon",
			[]freebusy.Interval{
				interval(utc(2026, 3, 2, 9, 0, 0), utc(2026, 3, 3, 0, 0, 0), freebusy.Unknown),
				interval(utc(2026, 3, 3, 9, 0, 0), utc(2026, 3, 4, 0, 0, 0), freebusy.Unknown),
			}, "end of its day"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			props := dt + tt.props
			if strings.Contains(tt.props, "DURATION:") {
				props = strings.Replace(props, "DURATION:PT1H\n", "", 1)
			}
			ivs, rep := decodeMarch(t, calendarOf(props), CalendarOptions{})
			assert.Equal(t, tt.want, ivs)
			assert.Zero(t, rep.Invalid)
			assert.Equal(t, 1, rep.Degraded)
			require.NotEmpty(t, rep.Problems)
			var pe *freebusy.ParseError
			require.True(t, errors.As(rep.Problems[0], &pe))
			assert.NotZero(t, pe.Line)
			assert.Contains(t, rep.Problems[0].Error(), tt.problem)
		})
	}

	t.Run("an event that blocks no time stays free", func(t *testing.T) {
		ivs, rep := decodeMarch(t, calendarOf(dt+"TRANSP:TRANSPARENT\nRRULE:FREQ=NEVER"), CalendarOptions{})
		assert.Empty(t, ivs)
		assert.Equal(t, 1, rep.Degraded)
	})
	t.Run("an unreadable RECURRENCE-ID is an event of its own", func(t *testing.T) {
		ivs, rep := decodeMarch(t, calendarOf(dt+"RRULE:FREQ=DAILY;COUNT=2", "UID:u\nRECURRENCE-ID:2026-03-03\nDTSTART:20260303T120000Z\nDURATION:PT1H"), CalendarOptions{})
		assert.Equal(t, []freebusy.Interval{busy(2), busy(3), interval(utc(2026, 3, 3, 12, 0, 0), utc(2026, 3, 3, 13, 0, 0), freebusy.Busy)}, ivs)
		assert.Equal(t, 1, rep.Degraded)
	})
}

// VTIMEZONE recovery (RFC 5545 §3.6.5, §3.2.19): a definition that cannot
// be used as written is recovered before any fallback to the owner's zone,
// and every recovery and fallback is counted. Issue 10: a DATE DTSTART in
// the observances put every event of a "UTC+11" zone 11 hours off.
func TestVTimezoneRecovery(t *testing.T) {
	vtz := func(tzid, dtstart, offsets string) string {
		return "BEGIN:VTIMEZONE\r\nTZID:" + tzid + "\r\nBEGIN:STANDARD\r\nDTSTART" + dtstart + "\r\n" + offsets + "END:STANDARD\r\nEND:VTIMEZONE\r\n"
	}
	const plus11 = "TZOFFSETFROM:+1100\r\nTZOFFSETTO:+1100\r\n"
	tests := []struct {
		name       string
		vtimezone  string
		tzid       string
		want       time.Time
		recoveries int
		fallbacks  int
	}{
		{"observance DTSTART as a DATE", vtz("Custom Pacific", ";VALUE=DATE:19700101", plus11), "Custom Pacific", utc(2026, 3, 2, 9, 0, 0), 1, 0},
		{"the issue's case: TZID UTC+11, DATE DTSTART", vtz("UTC+11", ":19700101", plus11), "UTC+11", utc(2026, 3, 2, 9, 0, 0), 1, 0},
		{"TZID UTC+11 with an unusable VTIMEZONE", vtz("UTC+11", ":garbage", plus11), "UTC+11", utc(2026, 3, 2, 9, 0, 0), 1, 0},
		{"TZID UTC-03:30 without a VTIMEZONE", "", "\"UTC-03:30\"", utc(2026, 3, 2, 23, 30, 0), 1, 0},
		{"TZID GMT+1 without a VTIMEZONE", "", "GMT+1", utc(2026, 3, 2, 19, 0, 0), 1, 0},
		{"TZID (UTC+0530)", "", "(UTC+0530)", utc(2026, 3, 2, 14, 30, 0), 1, 0},
		{"IANA Etc/GMT+1 keeps its POSIX sign", "", "Etc/GMT+1", utc(2026, 3, 2, 21, 0, 0), 0, 0},
		{"a Windows name before the VTIMEZONE", vtz("Tokyo Standard Time", ":garbage", plus11), "Tokyo Standard Time", utc(2026, 3, 2, 11, 0, 0), 0, 0},
		{"nothing to recover: the owner's zone, counted", vtz("Nowhere", ":garbage", plus11), "Nowhere", utc(2026, 3, 2, 20, 0, 0), 0, 1},
		{"an offset past 14 hours is no offset", "", "UTC+15", utc(2026, 3, 2, 20, 0, 0), 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cal := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\n" + tt.vtimezone +
				"BEGIN:VEVENT\r\nUID:z\r\nDTSTART;TZID=" + tt.tzid + ":20260302T200000\r\nDURATION:PT1H\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
			ivs, rep, err := DecodeCalendar(strings.NewReader(cal), utc(2026, 3, 1, 0, 0, 0), utc(2026, 4, 1, 0, 0, 0), CalendarOptions{})
			require.NoError(t, err)
			require.Len(t, ivs, 1)
			assert.Equal(t, tt.want, ivs[0].Start)
			assert.Equal(t, tt.recoveries, rep.ZoneRecoveries)
			assert.Len(t, rep.RecoveredZones, tt.recoveries)
			assert.Equal(t, tt.fallbacks, rep.ZoneFallbacks)
		})
	}
}

// A DAILY or WEEKLY rule without COUNT starts near the window instead of
// walking from a DTSTART years before it; the instances in the window are
// the same either way.
func TestExpandJumpsToWindow(t *testing.T) {
	for _, rule := range []string{
		"FREQ=DAILY", "FREQ=DAILY;INTERVAL=3", "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH;WKST=SU",
		"FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1", "FREQ=DAILY;UNTIL=20260320T000000Z", "FREQ=MINUTELY;INTERVAL=7;BYHOUR=9",
	} {
		t.Run(rule, func(t *testing.T) {
			ny := mustLoad(t, "America/New_York")
			// The walk from 2016 (COUNT makes it walk) and the jump agree.
			walk, wrep := decodeMarch(t, calendarOf("UID:w\nDTSTART;TZID=America/New_York:20160302T090000\nDURATION:PT45M\nRRULE:"+rule+";COUNT=1000000"), CalendarOptions{Location: ny, MaxOccurrences: 100000})
			jump, jrep := decodeMarch(t, calendarOf("UID:j\nDTSTART;TZID=America/New_York:20160302T090000\nDURATION:PT45M\nRRULE:"+rule), CalendarOptions{Location: ny, MaxOccurrences: 100000})
			require.Zero(t, wrep.Truncated+jrep.Truncated)
			require.NotEmpty(t, jump)
			assert.Equal(t, walk, jump)
		})
	}
}

// tenYearsOfDailyEvents is 100 daily events that began at start, each at
// its own time of day.
func dailyEvents(start time.Time) string {
	var evs []string
	for i := range 100 {
		s := start.Add(time.Duration(i) * 13 * time.Minute)
		evs = append(evs, fmt.Sprintf("UID:%d\nDTSTART;TZID=Europe/Berlin:%s\nDURATION:PT10M\nRRULE:FREQ=DAILY", i, s.Format("20060102T150405")))
	}
	return calendarOf(evs...)
}

func benchmarkExpand(b *testing.B, seriesStart time.Time) {
	win := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	data := dailyEvents(seriesStart)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		_, rep, err := DecodeCalendar(strings.NewReader(data), win, win.AddDate(0, 0, 62), CalendarOptions{})
		if err != nil || rep.Truncated != 0 || rep.Occurrences < 6100 {
			b.Fatal(err, rep.Truncated, rep.Occurrences)
		}
	}
}

// BenchmarkExpandOldSeries: 100 daily events that began ten years before a
// 62-day window (issue 10: 130 ms when every earlier instance was walked).
func BenchmarkExpandOldSeries(b *testing.B) {
	benchmarkExpand(b, time.Date(2016, 3, 1, 8, 0, 0, 0, time.UTC))
}

// BenchmarkExpandNewSeries: the same events beginning at the window start,
// the yardstick for BenchmarkExpandOldSeries.
func BenchmarkExpandNewSeries(b *testing.B) {
	benchmarkExpand(b, time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC))
}
