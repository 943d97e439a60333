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
