package ical

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/calbridge/calbridge/freebusy"
)

// FuzzDecodeCalendar checks that DecodeCalendar never panics, returns typed
// errors only, and returns canonical intervals inside the window. Seeds:
// the calendar golden files.
func FuzzDecodeCalendar(f *testing.F) {
	for _, name := range []string{"outlook-week.ics", "recurrence.ics"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20260302\r\nRRULE:FREQ=WEEKLY;COUNT=3\r\nEXDATE;VALUE=DATE:20260309\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"))
	// Recurrence sets (RFC 5545 §3.8.5), THISANDFUTURE (§3.8.4.4),
	// sub-daily rules, unreadable parts and VTIMEZONE recovery.
	for _, ev := range []string{
		"UID:a\r\nDTSTART;TZID=America/New_York:20260302T090000\r\nDURATION:PT1H\r\nRRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=3\r\nRRULE:FREQ=DAILY;INTERVAL=3\r\nEXRULE:FREQ=WEEKLY;BYDAY=SA,SU\r\nRDATE;VALUE=PERIOD:20260305T150000Z/PT2H\r\nEXDATE:20260303T090000",
		"UID:b\r\nDTSTART:20260302T090000Z\r\nDURATION:PT1H\r\nRRULE:FREQ=DAILY\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:b\r\nRECURRENCE-ID;RANGE=THISANDFUTURE:20260305T090000Z\r\nDTSTART:20260305T070000Z\r\nDURATION:PT3H",
		"UID:c\r\nDTSTART:20160302T090000\r\nDURATION:PT5M\r\nRRULE:FREQ=MINUTELY;INTERVAL=7;BYHOUR=9,10;BYSETPOS=1,-1",
		"UID:d\r\nDTSTART:20260302T090000Z\r\nRRULE:FREQ=DAILY;UNTL=20260310;BYDAY=XX\r\nRDATE:20260305T25,nope\r\nEXDATE:2026030",
		"UID:e\r\nRECURRENCE-ID:20260302T090000Z\r\nDTSTART;TZID=UTC+11:20260302T100000\r\nRDATE;TZID=GMT-3:20260303T100000",
	} {
		f.Add([]byte("BEGIN:VCALENDAR\r\nBEGIN:VTIMEZONE\r\nTZID:UTC+11\r\nBEGIN:STANDARD\r\nDTSTART;VALUE=DATE:19700101\r\nTZOFFSETFROM:+1100\r\nTZOFFSETTO:+1100\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\nBEGIN:VEVENT\r\n" + ev + "\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"))
	}
	start, end := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 4, 12, 0, 0, 0, 0, time.UTC)
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		ivs, _, err := DecodeCalendar(bytes.NewReader(data), start, end, CalendarOptions{Location: ny, MaxOccurrences: 500})
		if err != nil {
			if freebusy.ReasonOf(err) != freebusy.ReasonInvalid {
				t.Fatalf("untyped error %T: %v", err, err)
			}
			return
		}
		for i, iv := range ivs {
			if iv.Start.Before(start) || iv.End.After(end) || !iv.Start.Before(iv.End) || iv.Status == freebusy.Free {
				t.Fatalf("interval %d not canonical: %v", i, iv)
			}
			if i > 0 && iv.Start.Before(ivs[i-1].End) {
				t.Fatalf("intervals %d and %d overlap", i-1, i)
			}
		}
	})
}
