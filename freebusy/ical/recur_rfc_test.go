package ical

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// expandNY decodes one event (props, without BEGIN/END) over [from, to) in
// New York and returns its instance starts as New York wall-clock times
// ("19970902T090000"). Instances last one second, so none merge.
func expandNY(t *testing.T, props string, from, to time.Time) []string {
	t.Helper()
	ny := mustLoad(t, "America/New_York")
	ivs, rep, err := DecodeCalendar(strings.NewReader(calendarOf("UID:rfc\nDURATION:PT1S\n"+props)), from, to, CalendarOptions{Location: ny})
	require.NoError(t, err)
	require.Zero(t, rep.Invalid, "%v", rep.Problems)
	require.Zero(t, rep.Degraded, "%v", rep.Problems)
	require.Zero(t, rep.Truncated)
	var out []string
	for _, iv := range ivs {
		out = append(out, iv.Start.In(ny).Format("20060102T150405"))
	}
	return out
}

// at09 lists New York dates at 09:00, the time of nearly every RFC 5545
// example: "19970902" -> "19970902T090000".
func at09(dates ...string) []string {
	out := make([]string, len(dates))
	for i, d := range dates {
		out[i] = d + "T090000"
	}
	return out
}

// dayTimes lists the times on one date: "19970902", "0900", "0920" ...
func dayTimes(date string, hhmm ...string) []string {
	out := make([]string, len(hhmm))
	for i, x := range hhmm {
		out[i] = date + "T" + x + "00"
	}
	return out
}

func ny(y int, m time.Month, d int) time.Time {
	loc, err := time.LoadLocation("America/New_York")
	if err != nil {
		panic(err)
	}
	return time.Date(y, m, d, 0, 0, 0, 0, loc)
}

// TestRFC5545RecurrenceExamples expands the RRULE examples of RFC 5545
// §3.8.5.3 (and §3.3.10's WKST example) and compares them with the
// expansions the RFC lists. Rules without an end are compared over a
// window that the listing covers.
func TestRFC5545RecurrenceExamples(t *testing.T) {
	const tz = "DTSTART;TZID=America/New_York:"
	var twentyMinutes []string
	for _, d := range []string{"19970902", "19970903"} {
		for h := 9; h <= 16; h++ {
			for _, m := range []string{"00", "20", "40"} {
				twentyMinutes = append(twentyMinutes, fmt.Sprintf("%sT%02d%s00", d, h, m))
			}
		}
	}
	var januaries []string
	for _, y := range []string{"1998", "1999", "2000"} {
		for d := 1; d <= 31; d++ {
			januaries = append(januaries, fmt.Sprintf("%s01%02dT090000", y, d))
		}
	}
	tests := []struct {
		name     string
		props    string
		from, to time.Time
		want     []string
	}{
		{"daily for 10 occurrences", tz + "19970902T090000\nRRULE:FREQ=DAILY;COUNT=10", ny(1997, 9, 1), ny(1998, 1, 1),
			at09("19970902", "19970903", "19970904", "19970905", "19970906", "19970907", "19970908", "19970909", "19970910", "19970911")},
		{"every other day, forever", tz + "19970902T090000\nRRULE:FREQ=DAILY;INTERVAL=2", ny(1997, 9, 1), ny(1997, 9, 13),
			at09("19970902", "19970904", "19970906", "19970908", "19970910", "19970912")},
		{"every 10 days, 5 occurrences", tz + "19970902T090000\nRRULE:FREQ=DAILY;INTERVAL=10;COUNT=5", ny(1997, 9, 1), ny(1998, 1, 1),
			at09("19970902", "19970912", "19970922", "19971002", "19971012")},
		{"every day in January, for 3 years (YEARLY)", tz + "19980101T090000\nRRULE:FREQ=YEARLY;UNTIL=20000131T140000Z;BYMONTH=1;BYDAY=SU,MO,TU,WE,TH,FR,SA", ny(1997, 1, 1), ny(2001, 1, 1), januaries},
		{"every day in January, for 3 years (DAILY)", tz + "19980101T090000\nRRULE:FREQ=DAILY;UNTIL=20000131T140000Z;BYMONTH=1", ny(1997, 1, 1), ny(2001, 1, 1), januaries},
		{"weekly for 10 occurrences", tz + "19970902T090000\nRRULE:FREQ=WEEKLY;COUNT=10", ny(1997, 9, 1), ny(1998, 1, 1),
			at09("19970902", "19970909", "19970916", "19970923", "19970930", "19971007", "19971014", "19971021", "19971028", "19971104")},
		{"every other week on MO, WE, FR until 24 Dec", tz + "19970901T090000\nRRULE:FREQ=WEEKLY;INTERVAL=2;UNTIL=19971224T000000Z;WKST=SU;BYDAY=MO,WE,FR", ny(1997, 9, 1), ny(1998, 1, 1),
			at09("19970901", "19970903", "19970905", "19970915", "19970917", "19970919", "19970929", "19971001", "19971003", "19971013", "19971015", "19971017",
				"19971027", "19971029", "19971031", "19971110", "19971112", "19971114", "19971124", "19971126", "19971128", "19971208", "19971210", "19971212", "19971222")},
		{"weekly on TU and TH for five weeks", tz + "19970902T090000\nRRULE:FREQ=WEEKLY;UNTIL=19971007T000000Z;WKST=SU;BYDAY=TU,TH", ny(1997, 9, 1), ny(1998, 1, 1),
			at09("19970902", "19970904", "19970909", "19970911", "19970916", "19970918", "19970923", "19970925", "19970930", "19971002")},
		{"every other week on TU and TH, 8 occurrences", tz + "19970902T090000\nRRULE:FREQ=WEEKLY;INTERVAL=2;COUNT=8;WKST=SU;BYDAY=TU,TH", ny(1997, 9, 1), ny(1998, 1, 1),
			at09("19970902", "19970904", "19970916", "19970918", "19970930", "19971002", "19971014", "19971016")},
		{"monthly on the first Friday, 10 occurrences", tz + "19970905T090000\nRRULE:FREQ=MONTHLY;COUNT=10;BYDAY=1FR", ny(1997, 9, 1), ny(1999, 1, 1),
			at09("19970905", "19971003", "19971107", "19971205", "19980102", "19980206", "19980306", "19980403", "19980501", "19980605")},
		{"every other month on the first and last Sunday", tz + "19970907T090000\nRRULE:FREQ=MONTHLY;INTERVAL=2;COUNT=10;BYDAY=1SU,-1SU", ny(1997, 9, 1), ny(1999, 1, 1),
			at09("19970907", "19970928", "19971102", "19971130", "19980104", "19980125", "19980301", "19980329", "19980503", "19980531")},
		{"monthly on the second-to-last Monday, 6 months", tz + "19970922T090000\nRRULE:FREQ=MONTHLY;COUNT=6;BYDAY=-2MO", ny(1997, 9, 1), ny(1999, 1, 1),
			at09("19970922", "19971020", "19971117", "19971222", "19980119", "19980216")},
		{"monthly on the third-to-last day", tz + "19970928T090000\nRRULE:FREQ=MONTHLY;BYMONTHDAY=-3", ny(1997, 9, 1), ny(1998, 3, 1),
			at09("19970928", "19971029", "19971128", "19971229", "19980129", "19980226")},
		{"monthly on the 2nd and 15th, 10 occurrences", tz + "19970902T090000\nRRULE:FREQ=MONTHLY;COUNT=10;BYMONTHDAY=2,15", ny(1997, 9, 1), ny(1999, 1, 1),
			at09("19970902", "19970915", "19971002", "19971015", "19971102", "19971115", "19971202", "19971215", "19980102", "19980115")},
		{"monthly on the first and last day, 10 occurrences", tz + "19970930T090000\nRRULE:FREQ=MONTHLY;COUNT=10;BYMONTHDAY=1,-1", ny(1997, 9, 1), ny(1999, 1, 1),
			at09("19970930", "19971001", "19971031", "19971101", "19971130", "19971201", "19971231", "19980101", "19980131", "19980201")},
		{"every 18 months on the 10th to 15th, 10 occurrences", tz + "19970910T090000\nRRULE:FREQ=MONTHLY;INTERVAL=18;COUNT=10;BYMONTHDAY=10,11,12,13,14,15", ny(1997, 9, 1), ny(2000, 1, 1),
			at09("19970910", "19970911", "19970912", "19970913", "19970914", "19970915", "19990310", "19990311", "19990312", "19990313")},
		{"every Tuesday, every other month", tz + "19970902T090000\nRRULE:FREQ=MONTHLY;INTERVAL=2;BYDAY=TU", ny(1997, 9, 1), ny(1998, 2, 1),
			at09("19970902", "19970909", "19970916", "19970923", "19970930", "19971104", "19971111", "19971118", "19971125", "19980106", "19980113", "19980120", "19980127")},
		{"yearly in June and July, 10 occurrences", tz + "19970610T090000\nRRULE:FREQ=YEARLY;COUNT=10;BYMONTH=6,7", ny(1997, 1, 1), ny(2003, 1, 1),
			at09("19970610", "19970710", "19980610", "19980710", "19990610", "19990710", "20000610", "20000710", "20010610", "20010710")},
		{"every other year on January, February and March", tz + "19970310T090000\nRRULE:FREQ=YEARLY;INTERVAL=2;COUNT=10;BYMONTH=1,2,3", ny(1997, 1, 1), ny(2005, 1, 1),
			at09("19970310", "19990110", "19990210", "19990310", "20010110", "20010210", "20010310", "20030110", "20030210", "20030310")},
		{"every third year on the 1st, 100th and 200th day", tz + "19970101T090000\nRRULE:FREQ=YEARLY;INTERVAL=3;COUNT=10;BYYEARDAY=1,100,200", ny(1996, 1, 1), ny(2007, 1, 1),
			at09("19970101", "19970410", "19970719", "20000101", "20000409", "20000718", "20030101", "20030410", "20030719", "20060101")},
		{"every 20th Monday of the year", tz + "19970519T090000\nRRULE:FREQ=YEARLY;BYDAY=20MO", ny(1997, 1, 1), ny(2000, 1, 1),
			at09("19970519", "19980518", "19990517")},
		{"Monday of week number 20", tz + "19970512T090000\nRRULE:FREQ=YEARLY;BYWEEKNO=20;BYDAY=MO", ny(1997, 1, 1), ny(2000, 1, 1),
			at09("19970512", "19980511", "19990517")},
		{"every Thursday in March", tz + "19970313T090000\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=TH", ny(1997, 1, 1), ny(2000, 1, 1),
			at09("19970313", "19970320", "19970327", "19980305", "19980312", "19980319", "19980326", "19990304", "19990311", "19990318", "19990325")},
		{"every Thursday in June, July and August", tz + "19970605T090000\nRRULE:FREQ=YEARLY;BYDAY=TH;BYMONTH=6,7,8", ny(1997, 1, 1), ny(1998, 1, 1),
			at09("19970605", "19970612", "19970619", "19970626", "19970703", "19970710", "19970717", "19970724", "19970731", "19970807", "19970814", "19970821", "19970828")},
		{"every Friday the 13th, DTSTART excluded", tz + "19970902T090000\nEXDATE;TZID=America/New_York:19970902T090000\nRRULE:FREQ=MONTHLY;BYDAY=FR;BYMONTHDAY=13", ny(1997, 1, 1), ny(2001, 1, 1),
			at09("19980213", "19980313", "19981113", "19990813", "20001013")},
		{"the first Saturday after the first Sunday", tz + "19970913T090000\nRRULE:FREQ=MONTHLY;BYDAY=SA;BYMONTHDAY=7,8,9,10,11,12,13", ny(1997, 9, 1), ny(1998, 7, 1),
			at09("19970913", "19971011", "19971108", "19971213", "19980110", "19980207", "19980307", "19980411", "19980509", "19980613")},
		{"US presidential election day", tz + "19961105T090000\nRRULE:FREQ=YEARLY;INTERVAL=4;BYMONTH=11;BYDAY=TU;BYMONTHDAY=2,3,4,5,6,7,8", ny(1996, 1, 1), ny(2005, 1, 1),
			at09("19961105", "20001107", "20041102")},
		// BYSETPOS (§3.3.10).
		{"the third TU, WE or TH of the month, 3 months", tz + "19970904T090000\nRRULE:FREQ=MONTHLY;COUNT=3;BYDAY=TU,WE,TH;BYSETPOS=3", ny(1997, 9, 1), ny(1998, 1, 1),
			at09("19970904", "19971007", "19971106")},
		{"the second-to-last weekday of the month", tz + "19970929T090000\nRRULE:FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-2", ny(1997, 9, 1), ny(1998, 4, 1),
			at09("19970929", "19971030", "19971127", "19971230", "19980129", "19980226", "19980330")},
		// Sub-daily frequencies. RFC 5545 lists 15:00 too for this one,
		// but 15:00 EDT is 19:00Z, after UNTIL=17:00Z (a known erratum).
		{"every 3 hours from 09:00 until 17:00Z", tz + "19970902T090000\nRRULE:FREQ=HOURLY;INTERVAL=3;UNTIL=19970902T170000Z", ny(1997, 9, 1), ny(1997, 9, 4),
			dayTimes("19970902", "0900", "1200")},
		{"every 15 minutes, 6 occurrences", tz + "19970902T090000\nRRULE:FREQ=MINUTELY;INTERVAL=15;COUNT=6", ny(1997, 9, 1), ny(1997, 9, 4),
			dayTimes("19970902", "0900", "0915", "0930", "0945", "1000", "1015")},
		{"every hour and a half, 4 occurrences", tz + "19970902T090000\nRRULE:FREQ=MINUTELY;INTERVAL=90;COUNT=4", ny(1997, 9, 1), ny(1997, 9, 4),
			dayTimes("19970902", "0900", "1030", "1200", "1330")},
		{"every 20 minutes from 09:00 to 16:40 (DAILY)", tz + "19970902T090000\nRRULE:FREQ=DAILY;BYHOUR=9,10,11,12,13,14,15,16;BYMINUTE=0,20,40", ny(1997, 9, 1), ny(1997, 9, 4), twentyMinutes},
		{"every 20 minutes from 09:00 to 16:40 (MINUTELY)", tz + "19970902T090000\nRRULE:FREQ=MINUTELY;INTERVAL=20;BYHOUR=9,10,11,12,13,14,15,16", ny(1997, 9, 1), ny(1997, 9, 4), twentyMinutes},
		// WKST (§3.3.10): the same rule with weeks starting Monday or Sunday.
		{"WKST=MO", tz + "19970805T090000\nRRULE:FREQ=WEEKLY;INTERVAL=2;COUNT=4;BYDAY=TU,SU;WKST=MO", ny(1997, 8, 1), ny(1997, 10, 1),
			at09("19970805", "19970810", "19970819", "19970824")},
		{"WKST=SU", tz + "19970805T090000\nRRULE:FREQ=WEEKLY;INTERVAL=2;COUNT=4;BYDAY=TU,SU;WKST=SU", ny(1997, 8, 1), ny(1997, 10, 1),
			at09("19970805", "19970817", "19970819", "19970831")},
		// §3.3.10: an invalid date (30 February) is ignored, not moved.
		{"the 15th and 30th, February 30 ignored", tz + "20070115T090000\nRRULE:FREQ=MONTHLY;BYMONTHDAY=15,30;COUNT=5", ny(2007, 1, 1), ny(2008, 1, 1),
			at09("20070115", "20070130", "20070215", "20070315", "20070330")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, expandNY(t, tt.props, tt.from, tt.to))
		})
	}
}

// TestRFC5545DailyUntilCount checks the long listing of §3.8.5.3's "daily
// until December 24, 1997" (113 instances, EDT then EST, always 09:00).
func TestRFC5545DailyUntilCount(t *testing.T) {
	got := expandNY(t, "DTSTART;TZID=America/New_York:19970902T090000\nRRULE:FREQ=DAILY;UNTIL=19971224T000000Z", ny(1997, 9, 1), ny(1998, 1, 1))
	require.Len(t, got, 113)
	assert.Equal(t, "19970902T090000", got[0])
	assert.Equal(t, "19971223T090000", got[112])
	for _, s := range got {
		assert.True(t, strings.HasSuffix(s, "T090000"), s)
	}
}
