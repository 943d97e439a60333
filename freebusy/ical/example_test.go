package ical_test

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	"github.com/calbridge/calbridge/freebusy/ical"

	"github.com/calbridge/calbridge/freebusy"
)

// A schedule goes out as VFREEBUSY and comes back unchanged, Unknown ("no
// data") included: other clients read that period as BUSY, never as free.
func ExampleEncodeVFreeBusy() {
	day := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	at := func(h, m int) time.Time { return day.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute) }
	schedules := []freebusy.Schedule{{
		Attendee: "alice@example.com",
		Start:    at(8, 0),
		End:      at(18, 0),
		AsOf:     at(7, 55),
		Intervals: []freebusy.Interval{
			{Start: at(9, 0), End: at(10, 0), Status: freebusy.Busy},
			{Start: at(13, 0), End: at(13, 30), Status: freebusy.Tentative},
			{Start: at(16, 0), End: at(18, 0), Status: freebusy.Unknown},
		},
	}}

	var buf bytes.Buffer
	if err := ical.EncodeVFreeBusy(&buf, schedules, ical.VFreeBusyOptions{}); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(strings.ReplaceAll(buf.String(), "\r\n", "\n"))

	back, _, err := ical.DecodeVFreeBusy(&buf)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("round trip:", back[0].Attendee)
	for _, iv := range back[0].Intervals {
		fmt.Println(" ", iv)
	}
	// Output:
	// BEGIN:VCALENDAR
	// PRODID:-//calbridge//calbridge freebusy//EN
	// VERSION:2.0
	// BEGIN:VFREEBUSY
	// ATTENDEE:mailto:alice@example.com
	// DTEND:20260302T180000Z
	// DTSTAMP:20260302T075500Z
	// DTSTART:20260302T080000Z
	// FREEBUSY;FBTYPE=BUSY:20260302T090000Z/20260302T100000Z
	// FREEBUSY;FBTYPE=BUSY-TENTATIVE:20260302T130000Z/20260302T133000Z
	// FREEBUSY;FBTYPE=X-CALBRIDGE-UNKNOWN:20260302T160000Z/20260302T180000Z
	// UID:6b994b7024c5dd4e@calbridge
	// END:VFREEBUSY
	// END:VCALENDAR
	// round trip: alice@example.com
	//   2026-03-02T09:00:00Z/2026-03-02T10:00:00Z busy
	//   2026-03-02T13:00:00Z/2026-03-02T13:30:00Z tentative
	//   2026-03-02T16:00:00Z/2026-03-02T18:00:00Z unknown
}

// Domino DAS answers with one VFREEBUSY without FBTYPE (so BUSY), and its
// first period ends before it starts (docs/notes.md §2.2.6): it is
// dropped and counted, not swapped into invented busy time.
func ExampleDecodeVFreeBusy() {
	das := "BEGIN:VCALENDAR\r\n" +
		"PRODID:-//IBM Corporation//NONSGML Domino 9.0//EN\r\n" +
		"VERSION:2.0\r\n" +
		"BEGIN:VFREEBUSY\r\n" +
		"DTSTAMP:20131105T204317Z\r\n" +
		"DTSTART:20131105T201317Z\r\n" +
		"DTEND:20131205T201317Z\r\n" +
		"FREEBUSY:20131105T201317Z/20131105T201000Z\r\n" +
		"FREEBUSY:20131105T220000Z/20131106T140000Z\r\n" +
		"FREEBUSY:20131106T170000Z/PT1H\r\n" +
		"END:VFREEBUSY\r\n" +
		"END:VCALENDAR\r\n"
	schedules, rep, err := ical.DecodeVFreeBusy(strings.NewReader(das))
	if err != nil {
		fmt.Println(err)
		return
	}
	s := schedules[0]
	fmt.Println("as of", s.AsOf.Format(time.RFC3339))
	for _, iv := range s.Intervals {
		fmt.Println(iv)
	}
	fmt.Println("inverted periods dropped:", rep.Normalize.Inverted)
	// Output:
	// as of 2013-11-05T20:43:17Z
	// 2013-11-05T22:00:00Z/2013-11-06T14:00:00Z busy
	// 2013-11-06T17:00:00Z/2013-11-06T18:00:00Z busy
	// inverted periods dropped: 1
}

// An ordinary calendar becomes busy time: a weekly meeting that stays at
// 10:00 New York across the DST change, a cancelled instance, a tentative
// hold, and an all-day out-of-office in the owner's zone.
func ExampleDecodeCalendar() {
	ics := `BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//example//EN
BEGIN:VEVENT
UID:weekly
DTSTART;TZID=America/New_York:20260302T100000
DTEND;TZID=America/New_York:20260302T110000
RRULE:FREQ=WEEKLY;COUNT=3
SUMMARY:Team sync
END:VEVENT
BEGIN:VEVENT
UID:weekly
RECURRENCE-ID;TZID=America/New_York:20260309T100000
DTSTART;TZID=America/New_York:20260309T100000
DTEND;TZID=America/New_York:20260309T110000
STATUS:CANCELLED
END:VEVENT
BEGIN:VEVENT
UID:hold
DTSTART:20260303T190000Z
DURATION:PT30M
STATUS:TENTATIVE
END:VEVENT
BEGIN:VEVENT
UID:trip
DTSTART;VALUE=DATE:20260305
X-MICROSOFT-CDO-BUSYSTATUS:OOF
END:VEVENT
END:VCALENDAR
`
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		fmt.Println(err)
		return
	}
	start := time.Date(2026, 3, 1, 0, 0, 0, 0, ny)
	ivs, rep, err := ical.DecodeCalendar(strings.NewReader(ics), start, start.AddDate(0, 0, 21), ical.CalendarOptions{Location: ny})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, iv := range ivs {
		const layout = "Mon Jan 2 15:04"
		fmt.Printf("%s - %s  %v\n", iv.Start.In(ny).Format(layout), iv.End.In(ny).Format(layout), iv.Status)
	}
	fmt.Printf("events %d, instances %d, free %d, invalid %d\n", rep.Events, rep.Occurrences, rep.Free, rep.Invalid)
	// Output:
	// Mon Mar 2 10:00 - Mon Mar 2 11:00  busy
	// Tue Mar 3 14:00 - Tue Mar 3 14:30  tentative
	// Thu Mar 5 00:00 - Fri Mar 6 00:00  out-of-office
	// Mon Mar 16 10:00 - Mon Mar 16 11:00  busy
	// events 4, instances 5, free 1, invalid 0
}
