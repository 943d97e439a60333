package ews

import (
	"bytes"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/calbridge/calbridge/freebusy"
	"github.com/calbridge/calbridge/internal/sample"
)

// benchSchedules builds 100 mailboxes over 42 days with about ten events a
// day, in a deterministic pattern, plus working hours.
func benchSchedules() (freebusy.Query, []freebusy.Schedule) {
	start := utc(2024, 3, 4, 0, 0)
	q := freebusy.Query{Start: start, End: start.AddDate(0, 0, 42), Granularity: 30 * time.Minute}
	statuses := []freebusy.Status{freebusy.Busy, freebusy.Busy, freebusy.Tentative, freebusy.Busy, freebusy.OutOfOffice, freebusy.WorkingElsewhere, freebusy.Busy}
	wh := &freebusy.WorkingHours{Location: time.UTC, Periods: []freebusy.WorkingPeriod{{Days: []time.Weekday{1, 2, 3, 4, 5}, Start: 8 * time.Hour, End: 17 * time.Hour}}}
	ss := make([]freebusy.Schedule, 100)
	for m := range ss {
		a := "user" + strconv.Itoa(m) + "@example.com"
		q.Attendees = append(q.Attendees, a)
		var ivs []freebusy.Interval
		for d := 0; d < 42; d++ {
			day := start.AddDate(0, 0, d)
			for e := 0; e < 10; e++ {
				s := day.Add(time.Duration(7*60+e*75+(m*7+d*13)%30) * time.Minute)
				ivs = append(ivs, freebusy.Interval{Start: s, End: s.Add(time.Duration(30+(e*17+m)%45) * time.Minute), Status: statuses[(e+m+d)%len(statuses)]})
			}
		}
		ss[m] = freebusy.Schedule{Attendee: a, Start: q.Start, End: q.End, Intervals: ivs, WorkingHours: wh}
	}
	return q, ss
}

func benchResponse(q freebusy.Query, ss []freebusy.Schedule) *AvailabilityResponse {
	p := viewParams{View: ViewFreeBusyMerged, Start: q.Start, End: q.End, Slot: q.Slot(), Location: time.UTC}
	resp := &AvailabilityResponse{Responses: make([]FreeBusyResponse, len(ss))}
	for i := range ss {
		resp.Responses[i] = freeBusyResponseOf(&ss[i], p)
	}
	return resp
}

func benchResponseBytes(b *testing.B) (freebusy.Query, []byte) {
	q, ss := benchSchedules()
	var buf bytes.Buffer
	if err := encodeAvailabilityResponse(&buf, benchResponse(q, ss), false); err != nil {
		b.Fatal(err)
	}
	return q, buf.Bytes()
}

// BenchmarkEWSDecodeResponse100: a FreeBusyMerged response for 100
// mailboxes over 42 days at 30-minute slots with about 10 events a day,
// decoded and converted to freebusy schedules.
func BenchmarkEWSDecodeResponse100(b *testing.B) {
	q, data := benchResponseBytes(b)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		resp, err := DecodeAvailabilityResponse(bytes.NewReader(data))
		if err != nil {
			b.Fatal(err)
		}
		ss, err := resp.Schedules(q, time.UTC)
		if err != nil || len(ss) != 100 || ss[0].Err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEWSTokenizeResponse100 is the floor of the decode benchmark:
// encoding/xml's Decoder.Token loop over the same bytes.
func BenchmarkEWSTokenizeResponse100(b *testing.B) {
	_, data := benchResponseBytes(b)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		d := xml.NewDecoder(bytes.NewReader(data))
		for {
			_, err := d.Token()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkEWSEncodeResponse100 converts the same 100 schedules into a
// FreeBusyMerged response and encodes it.
func BenchmarkEWSEncodeResponse100(b *testing.B) {
	q, ss := benchSchedules()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if err := encodeAvailabilityResponse(io.Discard, benchResponse(q, ss), false); err != nil {
			b.Fatal(err)
		}
	}
}

func TestBenchmarkFixtureShape(t *testing.T) {
	q, ss := benchSchedules()
	resp := benchResponse(q, ss)
	var buf bytes.Buffer
	if err := encodeAvailabilityResponse(&buf, resp, false); err != nil {
		t.Fatal(err)
	}
	if got := len(resp.Responses[0].View.MergedFreeBusy); got != 42*48 {
		t.Fatalf("merged digits %d", got)
	}
	back, err := DecodeAvailabilityResponse(&buf)
	if err != nil {
		t.Fatal(err)
	}
	got, err := back.Schedules(q, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	for i := range ss {
		want, _, _ := freebusy.Normalize(ss[i].Intervals, q.Start, q.End, freebusy.NormalizeOptions{})
		if len(got[i].Intervals) != len(want) {
			t.Fatalf("mailbox %d: %d intervals, want %d", i, len(got[i].Intervals), len(want))
		}
		for k := range want {
			if got[i].Intervals[k] != want[k] {
				t.Fatalf("mailbox %d interval %d: %v, want %v", i, k, got[i].Intervals[k], want[k])
			}
		}
	}
	t.Logf("%d events per mailbox", len(resp.Responses[0].View.CalendarEvents))
}

// benchWeekHandler runs the handler alone on the 100x7d request, in
// process: httptest.NewRequest in, an httptest.ResponseRecorder out whose
// body buffer is reused, so that what is measured is the handler (decode,
// Source call, conversion, encoding, the write into the recorder) and not
// the recorder's growth.
func benchWeekHandler(b *testing.B, canonical bool) {
	q, ss := sample.Load100x7d(canonical)
	h, err := NewHandler(sample.LoadSource(ss))
	if err != nil {
		b.Fatal(err)
	}
	body := sample.LoadRequest(q)
	var out bytes.Buffer
	serve := func() {
		out.Reset()
		rec := &httptest.ResponseRecorder{HeaderMap: make(http.Header), Body: &out, Code: http.StatusOK}
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/EWS/Exchange.asmx", bytes.NewReader(body)))
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d: %.300s", rec.Code, out.Bytes())
		}
	}
	serve()
	size := out.Len()
	b.SetBytes(int64(size))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		serve()
	}
	b.ReportMetric(float64(size), "answer-bytes")
}

// BenchmarkEWSHandler100x7d is the floor of BenchmarkGatewayEWS100x7d
// (internal/e2ebench): the Handler alone answering GetUserAvailability for
// 100 attendees over 7 days, FreeBusyMerged at 30 minutes, from canonical
// schedules in memory.
func BenchmarkEWSHandler100x7d(b *testing.B) { benchWeekHandler(b, true) }

// BenchmarkEWSHandler100x7dRaw is BenchmarkEWSHandler100x7d from schedules
// in calendar order (overlapping, not normalized), so that the handler
// must normalize them.
func BenchmarkEWSHandler100x7dRaw(b *testing.B) { benchWeekHandler(b, false) }
