package ews

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/calbridge/calbridge/freebusy"
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

// The 100x7d benchmarks measure one request as the gateway sees it: an
// availability request for 100 mailboxes over one week, FreeBusyMerged at
// 30 minutes, answered from an in-memory Source. internal/e2ebench sends
// the same request across the whole gateway path (HTTP, the RPC link) and
// builds its schedules with a copy of weekSchedules; keep the two alike.

// weekStart is the Monday 00:00 UTC the 100x7d benchmarks start at.
var weekStart = time.Date(2024, 3, 4, 0, 0, 0, 0, time.UTC)

// weekMix mixes a few small integers into a pseudo-random 32-bit value,
// so that the schedules vary without a random source (same bytes on every
// run).
func weekMix(a, b, c int) uint32 {
	h := uint32(2166136261)
	for _, v := range [3]int{a, b, c} {
		h ^= uint32(v)
		h *= 16777619
		h ^= h >> 13
	}
	return h
}

// weekIntervals is one attendee's calendar for the week as a calendar
// holds it: on working days meetings of 15 to 90 minutes from 07:00 to
// about 20:00 (a team across time zones), mostly busy, some tentative, some overlapping their
// neighbour; now and then an out-of-office afternoon, a day working
// elsewhere or a block the source knows nothing about; a weekend errand.
// The intervals are in calendar order, not normalized.
func weekIntervals(m int) []freebusy.Interval {
	var ivs []freebusy.Interval
	add := func(day int, from, length time.Duration, st freebusy.Status) {
		s := weekStart.AddDate(0, 0, day).Add(from)
		ivs = append(ivs, freebusy.Interval{Start: s, End: s.Add(length), Status: st})
	}
	for d := range 7 {
		if d >= 5 {
			if weekMix(m, d, 0)%3 == 0 {
				add(d, 10*time.Hour, 2*time.Hour, freebusy.Busy)
			}
			continue
		}
		at := 7 * time.Hour
		for k := 0; at < 19*time.Hour+30*time.Minute; k++ {
			h := weekMix(m, d, 100+k)
			length := [...]time.Duration{15, 30, 30, 45, 60, 90}[h%6] * time.Minute
			st := freebusy.Busy
			switch h >> 8 % 10 {
			case 0, 1, 2:
				st = freebusy.Tentative
			case 3:
				st = freebusy.WorkingElsewhere
			}
			add(d, at, length, st)
			// The next meeting starts up to 30 minutes before this one
			// ends (a double booking), when it ends, or 15 minutes later.
			at += length + [...]time.Duration{-30, -15, -15, 0, 15}[h>>16%5]*time.Minute
			at = max(at, 7*time.Hour+time.Duration(k+1)*15*time.Minute)
		}
		switch weekMix(m, d, 2) % 12 {
		case 0:
			add(d, 13*time.Hour, 5*time.Hour, freebusy.OutOfOffice)
		case 1:
			add(d, 7*time.Hour, 2*time.Hour, freebusy.Unknown)
		}
	}
	return ivs
}

// weekAttendee names attendee m of the 100x7d benchmarks.
func weekAttendee(m int) string { return "user" + strconv.Itoa(m) + "@exchange.example.com" }

// weekSchedules returns the 100x7d query and, per attendee, the schedule
// an in-memory Source answers: canonical (normalized) when canonical is
// set, as every calbridge Source (the EWS, Graph and DAS clients, the
// cache, the RPC link relaying them) returns them, else the raw calendar
// order of weekIntervals. Every schedule has working hours.
func weekSchedules(canonical bool) (freebusy.Query, map[string]freebusy.Schedule) {
	q := freebusy.Query{Start: weekStart, End: weekStart.AddDate(0, 0, 7), Granularity: 30 * time.Minute}
	wh := &freebusy.WorkingHours{Location: time.UTC, Periods: []freebusy.WorkingPeriod{{Days: []time.Weekday{1, 2, 3, 4, 5}, Start: 8 * time.Hour, End: 17 * time.Hour}}}
	out := make(map[string]freebusy.Schedule, 100)
	for m := range 100 {
		a := weekAttendee(m)
		q.Attendees = append(q.Attendees, a)
		s := freebusy.Schedule{Attendee: a, Start: q.Start, End: q.End, Intervals: weekIntervals(m), WorkingHours: wh}
		if canonical {
			if _, err := s.Normalize(); err != nil {
				panic(err) // the generator is fixed: a failure is a bug in it
			}
		}
		out[strings.ToLower(a)] = s
	}
	return q, out
}

// weekFingerprint is the SHA-256 of weekFingerprintOf over the raw
// schedules; internal/e2ebench pins its copy of the generator to the same
// value (TestWeekFingerprint), so that the floor and the end-to-end
// benchmark answer the same request over the same data.
const weekFingerprint = "5764e8ab41575859177b7d82551e333147233009e81f473d672a03de874186e0"

// weekFingerprintOf hashes the attendees and intervals of schedules, in
// query order.
func weekFingerprintOf(q freebusy.Query, ss map[string]freebusy.Schedule) string {
	h := sha256.New()
	for _, a := range q.Attendees {
		s := ss[strings.ToLower(a)]
		fmt.Fprintln(h, s.Attendee, s.Start.Unix(), s.End.Unix())
		for _, iv := range s.Intervals {
			fmt.Fprintln(h, iv)
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

// TestWeekFingerprint: this copy of the 100x7d generator makes the data
// internal/e2ebench's copy makes.
func TestWeekFingerprint(t *testing.T) {
	q, ss := weekSchedules(false)
	if got := weekFingerprintOf(q, ss); got != weekFingerprint {
		t.Fatalf("the 100x7d schedules changed: fingerprint %s, want %s (change both copies)", got, weekFingerprint)
	}
}

// weekSource is the in-memory Source of the 100x7d benchmarks: it answers
// each attendee with its stored schedule, and unknown attendees as such.
type weekSource map[string]freebusy.Schedule

func (src weekSource) FreeBusy(_ context.Context, q freebusy.Query) ([]freebusy.Schedule, error) {
	out := make([]freebusy.Schedule, len(q.Attendees))
	for i, a := range q.Attendees {
		s, ok := src[strings.ToLower(a)]
		if !ok {
			out[i] = freebusy.Failed(a, q.Start, q.End, freebusy.ReasonUnknownAttendee, nil)
			continue
		}
		s.Attendee = a
		out[i] = s
	}
	return out, nil
}

// weekRequest is the SOAP 1.1 GetUserAvailability request of the 100x7d
// benchmarks, as an Exchange 2013 client sends it: a UTC body TimeZone,
// one Required SMTP mailbox per attendee, FreeBusyMerged at 30 minutes.
func weekRequest(q freebusy.Query) []byte {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="utf-8"?>` +
		`<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages" xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types">` +
		`<soap:Header><t:RequestServerVersion Version="Exchange2013"/></soap:Header>` +
		`<soap:Body><m:GetUserAvailabilityRequest>` +
		`<t:TimeZone><t:Bias>0</t:Bias>` +
		`<t:StandardTime><t:Bias>0</t:Bias><t:Time>00:00:00</t:Time><t:DayOrder>0</t:DayOrder><t:Month>0</t:Month><t:DayOfWeek>Sunday</t:DayOfWeek></t:StandardTime>` +
		`<t:DaylightTime><t:Bias>0</t:Bias><t:Time>00:00:00</t:Time><t:DayOrder>0</t:DayOrder><t:Month>0</t:Month><t:DayOfWeek>Sunday</t:DayOfWeek></t:DaylightTime>` +
		`</t:TimeZone><m:MailboxDataArray>`)
	for _, a := range q.Attendees {
		b.WriteString(`<t:MailboxData><t:Email><t:Address>` + a + `</t:Address><t:RoutingType>SMTP</t:RoutingType></t:Email>` +
			`<t:AttendeeType>Required</t:AttendeeType><t:ExcludeConflicts>false</t:ExcludeConflicts></t:MailboxData>`)
	}
	b.WriteString(`</m:MailboxDataArray><t:FreeBusyViewOptions><t:TimeWindow>` +
		`<t:StartTime>` + q.Start.Format("2006-01-02T15:04:05") + `</t:StartTime>` +
		`<t:EndTime>` + q.End.Format("2006-01-02T15:04:05") + `</t:EndTime></t:TimeWindow>` +
		`<t:MergedFreeBusyIntervalInMinutes>30</t:MergedFreeBusyIntervalInMinutes>` +
		`<t:RequestedView>FreeBusyMerged</t:RequestedView></t:FreeBusyViewOptions>` +
		`</m:GetUserAvailabilityRequest></soap:Body></soap:Envelope>`)
	return []byte(b.String())
}

// benchWeekHandler runs the handler alone on the 100x7d request, in
// process: httptest.NewRequest in, an httptest.ResponseRecorder out whose
// body buffer is reused, so that what is measured is the handler (decode,
// Source call, conversion, encoding, the write into the recorder) and not
// the recorder's growth.
func benchWeekHandler(b *testing.B, canonical bool) {
	q, ss := weekSchedules(canonical)
	h, err := NewHandler(weekSource(ss))
	if err != nil {
		b.Fatal(err)
	}
	body := weekRequest(q)
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
