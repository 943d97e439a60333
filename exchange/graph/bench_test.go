package graph

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/calbridge/calbridge/freebusy"
)

// benchGraphResponse is what Graph answers for 20 schedules over 42 days
// at 30-minute slots: per weekday six items in Pacific time (some
// tentative, one working elsewhere), a 2016-digit view, working hours.
func benchGraphResponse(b *testing.B) ([]byte, freebusy.Query) {
	b.Helper()
	la := graphLA(b)
	start := time.Date(2024, 3, 4, 0, 0, 0, 0, la)
	q := freebusy.Query{Start: start.UTC(), End: start.AddDate(0, 0, 42).UTC(), Detail: freebusy.DetailStatus}
	var schedules []freebusy.Schedule
	for i := range 20 {
		a := fmt.Sprintf("user%02d@contoso.com", i)
		q.Attendees = append(q.Attendees, a)
		s := freebusy.Schedule{Attendee: a, Start: q.Start, End: q.End, WorkingHours: &freebusy.WorkingHours{
			Location: la, Periods: []freebusy.WorkingPeriod{{Days: []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday}, Start: 8 * time.Hour, End: 17 * time.Hour}},
		}}
		for d := range 42 {
			day := start.AddDate(0, 0, d)
			if day.Weekday() == time.Saturday || day.Weekday() == time.Sunday {
				continue
			}
			for k, st := range []freebusy.Status{freebusy.Busy, freebusy.Tentative, freebusy.Busy, freebusy.WorkingElsewhere, freebusy.Busy, freebusy.OutOfOffice} {
				from := day.Add(time.Duration(8+k+i%3) * time.Hour).Add(time.Duration(i%2) * 15 * time.Minute)
				s.Events = append(s.Events, freebusy.Event{Start: from.UTC(), End: from.Add(45 * time.Minute).UTC(), Status: st, Subject: "Meeting"})
				s.Intervals = append(s.Intervals, freebusy.Interval{Start: from.UTC(), End: from.Add(45 * time.Minute).UTC(), Status: st})
			}
		}
		schedules = append(schedules, s)
	}
	resp, err := NewScheduleResponse(q, schedules, ResponseOptions{Location: la, TimeZone: "Pacific Standard Time"})
	if err != nil {
		b.Fatal(err)
	}
	var buf bytes.Buffer
	if err := EncodeGetScheduleResponse(&buf, resp); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes(), q
}

// BenchmarkGraphDecode20 decodes a 20-schedule, 42-day getSchedule
// response and converts it into canonical schedules.
func BenchmarkGraphDecode20(b *testing.B) {
	body, q := benchGraphResponse(b)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		resp, err := DecodeGetScheduleResponse(bytes.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		for _, s := range resp.Schedules(q) {
			if s.Err != nil {
				b.Fatal(s.Err)
			}
		}
	}
}

// BenchmarkGraphNestedRequest posts a request whose schedules hold a
// hundred thousand '[' to the Handler: it must be refused (400) after a
// scan that stops at MaxDepth, not decoded.
func BenchmarkGraphNestedRequest(b *testing.B) {
	body := []byte(`{"schedules":` + strings.Repeat("[", 100_000) + `"a@contoso.com"` + strings.Repeat("]", 100_000) +
		`,"startTime":{"dateTime":"2024-03-05T08:00:00","timeZone":"UTC"},"endTime":{"dateTime":"2024-03-05T09:00:00","timeZone":"UTC"}}`)
	h, err := NewHandler(freebusy.SourceFunc(func(context.Context, freebusy.Query) ([]freebusy.Schedule, error) {
		b.Fatal("the Source was asked")
		return nil, nil
	}))
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/v1.0/me/calendar/getSchedule", bytes.NewReader(body)))
		if w.Code != http.StatusBadRequest {
			b.Fatalf("HTTP %d: %s", w.Code, w.Body)
		}
	}
}
