package publicfolder

import (
	"testing"
	"time"

	"github.com/calbridge/calbridge/freebusy"
)

// benchPublicFolderSchedule is a year of a busy calendar: eight meetings on
// every weekday, some tentative, a week out of office each quarter.
func benchPublicFolderSchedule() freebusy.Schedule {
	s := freebusy.Schedule{Attendee: "bench", Start: pfTime("2024-01-01T00:00:00Z"), End: pfTime("2025-01-01T00:00:00Z")}
	for day := s.Start; day.Before(s.End); day = day.AddDate(0, 0, 1) {
		if day.Weekday() == time.Saturday || day.Weekday() == time.Sunday {
			continue
		}
		if day.YearDay()%91 < 5 {
			s.Intervals = append(s.Intervals, freebusy.Interval{Start: day, End: day.AddDate(0, 0, 1), Status: freebusy.OutOfOffice})
			continue
		}
		for h := 8; h < 16; h++ {
			st := freebusy.Busy
			if h%3 == 0 {
				st = freebusy.Tentative
			}
			start := day.Add(time.Duration(h)*time.Hour + 15*time.Minute)
			s.Intervals = append(s.Intervals, freebusy.Interval{Start: start, End: start.Add(40 * time.Minute), Status: st})
		}
	}
	return s
}

func BenchmarkPublicFolderEncode12Months(b *testing.B) {
	s := benchPublicFolderSchedule()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Encode(&s, EncodeOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPublicFolderDecode12Months(b *testing.B) {
	s := benchPublicFolderSchedule()
	m, err := Encode(&s, EncodeOptions{})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(m, DecodeOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}
