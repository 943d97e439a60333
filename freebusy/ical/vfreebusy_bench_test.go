package ical

import (
	"bytes"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/calbridge/calbridge/freebusy"

	goical "github.com/emersion/go-ical"
)

// benchSchedules is the benchmark load of the task: 100 attendees over 42
// days (the EWS window limit, docs/exchange.md §2.8), ten intervals a
// day of mixed statuses.
func benchSchedules() []freebusy.Schedule {
	start := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	end := start.AddDate(0, 0, 42)
	statuses := [...]freebusy.Status{freebusy.Busy, freebusy.Tentative, freebusy.Busy, freebusy.OutOfOffice, freebusy.Busy, freebusy.WorkingElsewhere, freebusy.Busy, freebusy.Tentative, freebusy.Unknown, freebusy.Busy}
	out := make([]freebusy.Schedule, 100)
	for a := range out {
		s := freebusy.Schedule{Attendee: fmt.Sprintf("user%03d@example.com", a), Start: start, End: end, AsOf: start}
		for d := 0; d < 42; d++ {
			day := start.AddDate(0, 0, d)
			for i := 0; i < 10; i++ {
				from := day.Add(time.Duration(7*60+i*70+(a+d)%7*5) * time.Minute)
				s.Intervals = append(s.Intervals, freebusy.Interval{Start: from, End: from.Add(45 * time.Minute), Status: statuses[(i+a)%len(statuses)]})
			}
		}
		out[a] = s
	}
	return out
}

func benchVFreeBusy(b *testing.B) []byte {
	b.Helper()
	var buf bytes.Buffer
	if err := EncodeVFreeBusy(&buf, benchSchedules(), VFreeBusyOptions{}); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

func BenchmarkDecodeVFreeBusy(b *testing.B) {
	data := benchVFreeBusy(b)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		s, _, err := DecodeVFreeBusy(bytes.NewReader(data))
		if err != nil || len(s) != 100 {
			b.Fatal(err, len(s))
		}
	}
}

// BenchmarkDecodeVFreeBusyGoICalOnly is the floor: go-ical's own decoder
// reading the same bytes, with no conversion.
func BenchmarkDecodeVFreeBusyGoICalOnly(b *testing.B) {
	data := benchVFreeBusy(b)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		dec := goical.NewDecoder(bytes.NewReader(data))
		for {
			_, err := dec.Decode()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
		}
	}
}

func BenchmarkEncodeVFreeBusy(b *testing.B) {
	schedules := benchSchedules()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if err := EncodeVFreeBusy(io.Discard, schedules, VFreeBusyOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}
