package ews

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/calbridge/calbridge/exchange"
	"github.com/calbridge/calbridge/freebusy"
)

func utc(y int, m time.Month, d, h, mi int) time.Time {
	return time.Date(y, m, d, h, mi, 0, 0, time.UTC)
}

// recordingSource answers from fixed intervals per attendee and records the
// queries it saw.
type recordingSource struct {
	mu      sync.Mutex
	queries []freebusy.Query
	ivs     map[string][]freebusy.Interval
	events  map[string][]freebusy.Event
	fail    map[string]*freebusy.Error
	wh      *freebusy.WorkingHours
}

func (s *recordingSource) FreeBusy(_ context.Context, q freebusy.Query) ([]freebusy.Schedule, error) {
	s.mu.Lock()
	s.queries = append(s.queries, q)
	s.mu.Unlock()
	out := make([]freebusy.Schedule, len(q.Attendees))
	for i, a := range q.Attendees {
		if e := s.fail[a]; e != nil {
			out[i] = freebusy.Schedule{Attendee: a, Start: q.Start, End: q.End, Err: e}
			continue
		}
		out[i] = freebusy.Schedule{Attendee: a, Start: q.Start, End: q.End, Intervals: s.ivs[a], WorkingHours: s.wh}
		if q.Detail == freebusy.DetailFull {
			out[i].Events = s.events[a]
		}
	}
	return out, nil
}

// newTestHandler returns NewHandler's Handler, failing the test on an
// error.
func newTestHandler(t testing.TB, src freebusy.Source, opts ...HandlerOption) *Handler {
	t.Helper()
	h, err := NewHandler(src, opts...)
	require.NoError(t, err)
	return h
}

func serve(t *testing.T, h http.Handler, body []byte) (*AvailabilityResponse, error, int) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/EWS/Exchange.asmx", bytes.NewReader(body)))
	resp, err := DecodeAvailabilityResponse(rec.Body)
	return resp, err, rec.Code
}

func encodeRequest(t *testing.T, req *availabilityRequest) []byte {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, encodeAvailabilityRequest(&buf, req))
	return buf.Bytes()
}

func utcRequest(view FreeBusyViewType, interval int, start, end time.Time, addrs ...string) *availabilityRequest {
	tz := utcTimeZone()
	req := &availabilityRequest{TimeZone: &tz, FreeBusyViewOptions: &freeBusyViewOptions{
		StartTime: localDateTime(start, time.UTC), EndTime: localDateTime(end, time.UTC),
		MergedFreeBusyIntervalInMinutes: interval, RequestedView: view}}
	for _, a := range addrs {
		req.Mailboxes = append(req.Mailboxes, mailboxData{Email: EmailAddress{Address: a}})
	}
	return req
}

// Source: docs/exchange.md §2.6 and §7 item 8 — the documented example
// (4 h, 60 min, OOF for the first 60 min, busy for the next 90 → "3220")
// and the derived one (UTC, 08:00–12:00, 30 min, busy 09:00–10:30 and
// tentative 10:00–11:00 → "00222100").
func TestHandlerMergedFreeBusyGolden(t *testing.T) {
	src := &recordingSource{ivs: map[string][]freebusy.Interval{
		"doc@example.com": {
			{Start: utc(2024, 3, 5, 8, 0), End: utc(2024, 3, 5, 9, 0), Status: freebusy.OutOfOffice},
			{Start: utc(2024, 3, 5, 9, 0), End: utc(2024, 3, 5, 10, 30), Status: freebusy.Busy},
		},
		"derived@example.com": {
			{Start: utc(2024, 3, 5, 9, 0), End: utc(2024, 3, 5, 10, 30), Status: freebusy.Busy},
			{Start: utc(2024, 3, 5, 10, 0), End: utc(2024, 3, 5, 11, 0), Status: freebusy.Tentative},
		},
	}}
	h := newTestHandler(t, src)
	resp, err, code := serve(t, h, encodeRequest(t, utcRequest(ViewMergedOnly, 60, utc(2024, 3, 5, 8, 0), utc(2024, 3, 5, 12, 0), "doc@example.com")))
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, code)
	assert.Equal(t, "3220", resp.Responses[0].View.MergedFreeBusy)
	assert.Equal(t, ViewMergedOnly, resp.Responses[0].View.ViewType)
	assert.Nil(t, resp.Responses[0].View.CalendarEvents, "MergedOnly has no events")

	resp, err, _ = serve(t, h, encodeRequest(t, utcRequest(ViewFreeBusyMerged, 30, utc(2024, 3, 5, 8, 0), utc(2024, 3, 5, 12, 0), "derived@example.com")))
	require.NoError(t, err)
	v := resp.Responses[0].View
	assert.Equal(t, "00222100", v.MergedFreeBusy)
	assert.Equal(t, ViewFreeBusyMerged, v.ViewType)
	require.Len(t, v.CalendarEvents, 2)
	assert.Equal(t, "2024-03-05T09:00:00", v.CalendarEvents[0].StartTime.String())
	assert.Equal(t, BusyBusy, v.CalendarEvents[0].BusyType)
	assert.Equal(t, "2024-03-05T10:30:00", v.CalendarEvents[1].StartTime.String())
	assert.Equal(t, BusyTentative, v.CalendarEvents[1].BusyType)
}

// Source: docs/exchange.md §2.2 client quirks (ews-java-api: dates
// only, dummy UTC zone, RoutingType EX, no ExcludeConflicts) and §2.5 (the
// Detailed downgrade).
func TestHandlerJavaClientAndDetails(t *testing.T) {
	dn := "/o=Contoso/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=bob"
	busy := []freebusy.Interval{{Start: utc(2024, 3, 5, 9, 0), End: utc(2024, 3, 5, 10, 0), Status: freebusy.Busy}}
	src := &recordingSource{
		ivs:    map[string][]freebusy.Interval{"alice@example.com": busy, dn: busy},
		events: map[string][]freebusy.Event{"alice@example.com": {{Start: utc(2024, 3, 5, 9, 0), End: utc(2024, 3, 5, 10, 0), Status: freebusy.Busy, Subject: "Plan", Location: "Room 1", Meeting: true}}, dn: {{Start: utc(2024, 3, 5, 9, 0), End: utc(2024, 3, 5, 10, 0), Status: freebusy.Busy, Subject: "Secret", Private: true}}},
	}
	body := readTestdata(t, "request-ews-java.xml")

	resp, err, _ := serve(t, newTestHandler(t, src), body)
	require.NoError(t, err)
	require.Len(t, src.queries, 1)
	assert.Equal(t, []string{"alice@example.com", dn}, src.queries[0].Attendees, "EX addresses pass through by default")
	assert.True(t, utc(2024, 3, 5, 0, 0).Equal(src.queries[0].Start))
	assert.True(t, utc(2024, 3, 6, 0, 0).Equal(src.queries[0].End))
	assert.Equal(t, time.Hour, src.queries[0].Granularity)
	assert.Equal(t, freebusy.DetailStatus, src.queries[0].Detail, "details not allowed by default")
	for _, r := range resp.Responses {
		assert.Equal(t, ViewFreeBusyMerged, r.View.ViewType, "DetailedMerged downgrades to FreeBusyMerged")
		assert.Equal(t, "000000000200000000000000", r.View.MergedFreeBusy)
		require.Len(t, r.View.CalendarEvents, 1)
		assert.Nil(t, r.View.CalendarEvents[0].Details)
	}

	resp, err, _ = serve(t, newTestHandler(t, src, WithDetails(true)), body)
	require.NoError(t, err)
	assert.Equal(t, freebusy.DetailFull, src.queries[1].Detail)
	v := resp.Responses[0].View
	assert.Equal(t, ViewDetailedMerged, v.ViewType)
	require.NotNil(t, v.CalendarEvents[0].Details)
	assert.Equal(t, "Plan", v.CalendarEvents[0].Details.Subject)
	assert.True(t, v.CalendarEvents[0].Details.IsMeeting)
	priv := resp.Responses[1].View.CalendarEvents[0].Details
	require.NotNil(t, priv)
	assert.True(t, priv.IsPrivate)
	assert.Empty(t, priv.Subject, "private items keep only their flags")

	// A Source without events: downgraded even when details are allowed.
	src.events = nil
	resp, err, _ = serve(t, newTestHandler(t, src, WithDetails(true)), body)
	require.NoError(t, err)
	assert.Equal(t, ViewFreeBusyMerged, resp.Responses[0].View.ViewType)
}

// Source: docs/exchange.md §2.3 — the Managed API sends only the
// TimeZoneContext header; naive times are in that zone, and the response's
// event times are naive wall times in it.
func TestHandlerTimeZoneContext(t *testing.T) {
	pacific := mustLoad(t, "America/Los_Angeles")
	src := &recordingSource{
		ivs: map[string][]freebusy.Interval{"mack@contoso.com": {{Start: time.Date(2014, 2, 13, 8, 0, 0, 0, pacific), End: time.Date(2014, 2, 13, 10, 0, 0, 0, pacific), Status: freebusy.Busy}}},
		wh:  &freebusy.WorkingHours{Location: pacific, Periods: []freebusy.WorkingPeriod{{Days: []time.Weekday{1, 2, 3, 4, 5}, Start: 8 * time.Hour, End: 17 * time.Hour}}},
	}
	resp, err, _ := serve(t, newTestHandler(t, src), readTestdata(t, "request-managed-api-tzcontext.xml"))
	require.NoError(t, err)
	require.Len(t, src.queries, 1)
	assert.True(t, utc(2014, 2, 13, 8, 0).Equal(src.queries[0].Start), "midnight Pacific is 08:00 UTC")
	v := resp.Responses[0].View
	assert.Equal(t, ViewFreeBusy, v.ViewType)
	require.Len(t, v.CalendarEvents, 1)
	assert.Equal(t, "2014-02-13T08:00:00", v.CalendarEvents[0].StartTime.String())
	require.NotNil(t, v.WorkingHours)
	assert.Equal(t, 480, v.WorkingHours.TimeZone.Bias)
	assert.Equal(t, 480, v.WorkingHours.Periods[0].StartTimeInMinutes)
	assert.Equal(t, ViewFreeBusy, resp.Responses[1].View.ViewType)
	assert.Empty(t, resp.Responses[1].View.CalendarEvents)
}

// Source: docs/exchange.md §2.7 and §2.8 — request-level limits are
// answered with the documented response codes (as SOAP faults).
func TestHandlerLimits(t *testing.T) {
	src := &recordingSource{}
	h := newTestHandler(t, src)
	start := utc(2024, 3, 5, 0, 0)
	many := make([]string, 101)
	for i := range many {
		many[i] = "u" + strconv.Itoa(i) + "@example.com"
	}
	badTZ := utcTimeZone()
	badTZ.Bias = 5000
	cases := []struct {
		name   string
		req    *availabilityRequest
		status int
		code   exchange.ResponseCode
	}{
		{"101 mailboxes", utcRequest(ViewFreeBusy, 30, start, start.Add(time.Hour), many...), 500, exchange.CodeIndividualMailboxLimitReached},
		{"63 days", utcRequest(ViewFreeBusy, 30, start, start.AddDate(0, 0, 63), "a@x"), 500, exchange.CodeTimeIntervalTooBig},
		{"inverted", utcRequest(ViewFreeBusy, 30, start.Add(time.Hour), start, "a@x"), 500, exchange.CodeInvalidTimeInterval},
		{"empty", utcRequest(ViewFreeBusy, 30, start, start, "a@x"), 500, exchange.CodeInvalidTimeInterval},
		{"interval 4", utcRequest(ViewFreeBusy, 4, start, start.Add(time.Hour), "a@x"), 500, exchange.CodeInvalidMergedFreeBusyInterval},
		{"interval 1441", utcRequest(ViewFreeBusy, 1441, start, start.AddDate(0, 0, 2), "a@x"), 500, exchange.CodeInvalidMergedFreeBusyInterval},
		{"window shorter than interval", utcRequest(ViewFreeBusy, 60, start, start.Add(30*time.Minute), "a@x"), 500, exchange.CodeInvalidMergedFreeBusyInterval},
		{"view None", utcRequest(ViewNone, 30, start, start.Add(time.Hour), "a@x"), 500, exchange.CodeInvalidFreeBusyViewType},
		{"view bogus", utcRequest("Everything", 30, start, start.Add(time.Hour), "a@x"), 500, exchange.CodeInvalidFreeBusyViewType},
		{"bad zone", func() *availabilityRequest {
			r := utcRequest(ViewFreeBusy, 30, start, start.Add(time.Hour), "a@x")
			r.TimeZone = &badTZ
			return r
		}(), 500, exchange.CodeTimeZone},
		{"unknown zone id", func() *availabilityRequest {
			r := utcRequest(ViewFreeBusy, 30, start, start.Add(time.Hour), "a@x")
			r.TimeZone, r.TimeZoneContext = nil, "Mars Standard Time"
			return r
		}(), 500, exchange.CodeTimeZone},
		{"no mailboxes", utcRequest(ViewFreeBusy, 30, start, start.Add(time.Hour)), 500, exchange.CodeInvalidRequest},
		{"suggestions only", func() *availabilityRequest {
			r := utcRequest(ViewFreeBusy, 30, start, start.Add(time.Hour), "a@x")
			r.FreeBusyViewOptions, r.suggestions = nil, true
			return r
		}(), 500, exchange.CodeInvalidRequest},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err, status := serve(t, h, encodeRequest(t, c.req))
			assert.Equal(t, c.status, status)
			var f *SOAPFault
			require.ErrorAs(t, err, &f)
			assert.Equal(t, c.code, f.ResponseCode)
			assert.Equal(t, "a:"+string(c.code), f.Code)
		})
	}
	assert.Empty(t, src.queries, "refused requests never reach the Source")

	// The limits are options: 62 days and 100 mailboxes are only defaults.
	h = newTestHandler(t, src, WithLimits(freebusy.Limits{MaxWindow: 90 * 24 * time.Hour}))
	resp, err, _ := serve(t, h, encodeRequest(t, utcRequest(ViewFreeBusy, 30, start, start.AddDate(0, 0, 63), "a@x")))
	require.NoError(t, err)
	assert.Len(t, resp.Responses, 1)
}

func TestHandlerBadDocuments(t *testing.T) {
	h := newTestHandler(t, &recordingSource{}, WithMaxBodyBytes(4096))
	cases := []struct {
		name   string
		body   string
		status int
		code   exchange.ResponseCode
	}{
		{"malformed", `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><Get`, 500, exchange.CodeSchemaValidation},
		{"doctype", `<!DOCTYPE x [<!ENTITY e "boom">]><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>&e;</soap:Body></soap:Envelope>`, 500, exchange.CodeSchemaValidation},
		{"too large", `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>` + strings.Repeat("<a/>", 2000) + `</soap:Body></soap:Envelope>`, 413, exchange.CodeInvalidRequest},
		{"other operation", `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><m:GetItem xmlns:m="x"/></soap:Body></soap:Envelope>`, 500, codeInvalidOperation},
		{"empty body", `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body/></soap:Envelope>`, 500, exchange.CodeSchemaValidation},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err, status := serve(t, h, []byte(c.body))
			assert.Equal(t, c.status, status)
			var f *SOAPFault
			require.ErrorAs(t, err, &f)
			assert.Equal(t, c.code, f.ResponseCode)
			assert.NotContains(t, f.String, "boom")
		})
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/EWS/Exchange.asmx", nil))
	assert.Equal(t, http.StatusMethodNotAllowed, rec.Code)
	assert.Equal(t, "POST", rec.Header().Get("Allow"))
}

// Source: docs/exchange.md §2.7 — per-mailbox errors are
// ResponseMessages with ResponseClass Error, the others still succeed; the
// codes come from the one response-code table.
func TestHandlerPerMailboxErrors(t *testing.T) {
	src := &recordingSource{fail: map[string]*freebusy.Error{
		"ghost@example.com": {Reason: freebusy.ReasonUnknownAttendee},
		"busy@example.com":  {Reason: freebusy.ReasonThrottled, RetryAfter: 2 * time.Second},
		"shy@example.com":   {Reason: freebusy.ReasonAccessDenied},
		"slow@example.com":  {Reason: freebusy.ReasonTimeout},
	}}
	resolver := func(_ context.Context, mb EmailAddress) (string, error) {
		if mb.RoutingType == "EX" {
			return "", errors.New("not in directory")
		}
		return mb.Address, nil
	}
	req := utcRequest(ViewFreeBusy, 30, utc(2024, 3, 5, 0, 0), utc(2024, 3, 6, 0, 0), "ghost@example.com", "busy@example.com", "ok@example.com", "shy@example.com", "slow@example.com", "OK@example.com")
	req.Mailboxes = append(req.Mailboxes, mailboxData{Email: EmailAddress{Address: "/o=X/ou=Y/cn=Recipients/cn=z", RoutingType: "EX"}})
	resp, err, _ := serve(t, newTestHandler(t, src, WithMailboxResolver(resolver)), encodeRequest(t, req))
	require.NoError(t, err)
	require.Len(t, resp.Responses, 7)
	assert.Equal(t, []string{"ghost@example.com", "busy@example.com", "ok@example.com", "shy@example.com", "slow@example.com"}, src.queries[0].Attendees, "duplicates asked once, unresolved never")
	want := []exchange.ResponseCode{exchange.CodeMailRecipientNotFound, exchange.CodeServerBusy, exchange.CodeNoError, exchange.CodeNoFreeBusyAccess, exchange.CodeTimeoutExpired, exchange.CodeNoError, exchange.CodeMailRecipientNotFound}
	for i, r := range resp.Responses {
		assert.Equal(t, want[i], r.ResponseMessage.Code, "mailbox %d", i)
		if want[i] != exchange.CodeNoError {
			assert.Equal(t, ClassError, r.ResponseMessage.Class)
			assert.Equal(t, ViewNone, r.View.ViewType)
		}
	}
	assert.Equal(t, "Unable to resolve e-mail address <>SMTP:ghost@example.com to an Active Directory object.", resp.Responses[0].ResponseMessage.MessageText)
	assert.Equal(t, 5009, resp.Responses[0].ResponseMessage.MessageXML.ExceptionCode)
	assert.Equal(t, 2*time.Second, resp.Responses[1].ResponseMessage.MessageXML.BackOff)
	assert.Contains(t, resp.Responses[6].ResponseMessage.MessageText, "<>EX:/o=X")
}

func TestHandlerSourceFailure(t *testing.T) {
	src := freebusy.SourceFunc(func(context.Context, freebusy.Query) ([]freebusy.Schedule, error) {
		return nil, &freebusy.Error{Reason: freebusy.ReasonUnavailable, Message: "backend db01.internal down"}
	})
	resp, err, _ := serve(t, newTestHandler(t, src), encodeRequest(t, utcRequest(ViewFreeBusy, 30, utc(2024, 3, 5, 0, 0), utc(2024, 3, 6, 0, 0), "a@x", "b@x")))
	require.NoError(t, err)
	for _, r := range resp.Responses {
		assert.Equal(t, exchange.CodeProxyRequestProcessingFailed, r.ResponseMessage.Code)
		assert.NotContains(t, r.ResponseMessage.MessageText, "db01", "internal detail stays off the wire")
	}
	// A Source that breaks its contract is an internal error, not a panic.
	bad := freebusy.SourceFunc(func(context.Context, freebusy.Query) ([]freebusy.Schedule, error) { return nil, nil })
	resp, err, _ = serve(t, newTestHandler(t, bad), encodeRequest(t, utcRequest(ViewFreeBusy, 30, utc(2024, 3, 5, 0, 0), utc(2024, 3, 6, 0, 0), "a@x")))
	require.NoError(t, err)
	assert.Equal(t, exchange.CodeFreeBusyGenerationFailed, resp.Responses[0].ResponseMessage.Code)
}

// Source: docs/exchange.md §2.4 — BusyType WorkingElsewhere exists from
// Exchange 2013; older clients get Free for it.
func TestHandlerWorkingElsewhereByServerVersion(t *testing.T) {
	src := &recordingSource{ivs: map[string][]freebusy.Interval{"a@x": {{Start: utc(2024, 3, 5, 9, 0), End: utc(2024, 3, 5, 10, 0), Status: freebusy.WorkingElsewhere}}}}
	h := newTestHandler(t, src)
	for _, c := range []struct {
		version string
		want    BusyType
	}{{"Exchange2013", BusyWorkingElsewhere}, {"Exchange2016", BusyWorkingElsewhere}, {"V2_8", BusyWorkingElsewhere}, {"Exchange2010_SP2", BusyFree}, {"Exchange2007_SP1", BusyFree}, {"", BusyFree}} {
		req := utcRequest(ViewFreeBusyMerged, 60, utc(2024, 3, 5, 8, 0), utc(2024, 3, 5, 11, 0), "a@x")
		req.ServerVersion = c.version
		resp, err, _ := serve(t, h, encodeRequest(t, req))
		require.NoError(t, err)
		v := resp.Responses[0].View
		require.Len(t, v.CalendarEvents, 1, c.version)
		assert.Equal(t, c.want, v.CalendarEvents[0].BusyType, c.version)
		assert.Equal(t, "000", v.MergedFreeBusy, "no EWS digit for WorkingElsewhere: available")
	}
}

// Source: docs/exchange.md §3.4 and §7 item 9 — the Graph docs'
// availability views use the same digits as EWS MergedFreeBusy, so the
// handler must produce them for the same data: 2019-03-15 09:00–18:00
// Pacific Standard Time (TimeZoneContext, naive times), 60-minute slots
// ("000220000", "200220010"), and 15-minute slots for the concept page
// ("111111002222222200000000000000000000").
func TestHandlerGraphDocVectorsAsMergedFreeBusy(t *testing.T) {
	pacific := mustLoad(t, "America/Los_Angeles")
	at := func(h, m int) time.Time { return time.Date(2019, 3, 15, h, m, 0, 0, pacific) }
	iv := func(h1, m1, h2, m2 int, s freebusy.Status) freebusy.Interval {
		return freebusy.NewInterval(at(h1, m1), at(h2, m2), s)
	}
	src := &recordingSource{ivs: map[string][]freebusy.Interval{
		"adelev@contoso.com":  {iv(12, 0, 14, 0, freebusy.Busy)},
		"meganb@contoso.com":  {iv(8, 30, 9, 30, freebusy.Busy), iv(12, 0, 14, 0, freebusy.Busy), iv(12, 0, 13, 0, freebusy.Tentative), iv(13, 0, 14, 0, freebusy.Busy), iv(16, 0, 17, 0, freebusy.Tentative)},
		"concept@contoso.com": {iv(9, 0, 10, 30, freebusy.Tentative), iv(11, 0, 13, 0, freebusy.Busy)},
	}}
	request := func(interval int, addrs ...string) []byte {
		req := &availabilityRequest{ServerVersion: "Exchange2013", TimeZoneContext: "Pacific Standard Time", FreeBusyViewOptions: &freeBusyViewOptions{
			StartTime: DateTime{Wall: utc(2019, 3, 15, 9, 0)}, EndTime: DateTime{Wall: utc(2019, 3, 15, 18, 0)},
			MergedFreeBusyIntervalInMinutes: interval, RequestedView: ViewMergedOnly}}
		for _, a := range addrs {
			req.Mailboxes = append(req.Mailboxes, mailboxData{Email: EmailAddress{Address: a}})
		}
		return encodeRequest(t, req)
	}
	h := newTestHandler(t, src)
	resp, err, _ := serve(t, h, request(60, "adelev@contoso.com", "meganb@contoso.com"))
	require.NoError(t, err)
	assert.Equal(t, "000220000", resp.Responses[0].View.MergedFreeBusy)
	assert.Equal(t, "200220010", resp.Responses[1].View.MergedFreeBusy)
	resp, err, _ = serve(t, h, request(15, "concept@contoso.com"))
	require.NoError(t, err)
	assert.Equal(t, "111111002222222200000000000000000000", resp.Responses[0].View.MergedFreeBusy)
}

// A request zone with daylight time, given as the body TimeZone that
// Exchange derives for Europe/Berlin: the window 2025-03-29 00:00 to
// 04-01 00:00 local spans the spring change, so it is 71 hours long, and
// event times go back out as local wall times on either side of it.
func TestHandlerWindowAcrossDST(t *testing.T) {
	berlin := mustLoad(t, "Europe/Berlin")
	tz := NewSerializableTimeZone(berlin, 2025)
	src := &recordingSource{ivs: map[string][]freebusy.Interval{"a@x": {
		freebusy.NewInterval(time.Date(2025, 3, 30, 1, 0, 0, 0, berlin), time.Date(2025, 3, 30, 4, 0, 0, 0, berlin), freebusy.Busy),
	}}}
	req := &availabilityRequest{ServerVersion: "Exchange2013", TimeZone: &tz, Mailboxes: []mailboxData{{Email: EmailAddress{Address: "a@x"}}},
		FreeBusyViewOptions: &freeBusyViewOptions{StartTime: DateTime{Wall: utc(2025, 3, 29, 0, 0)}, EndTime: DateTime{Wall: utc(2025, 4, 1, 0, 0)}, MergedFreeBusyIntervalInMinutes: 60, RequestedView: ViewFreeBusyMerged}}
	resp, err, _ := serve(t, newTestHandler(t, src), encodeRequest(t, req))
	require.NoError(t, err)
	require.Len(t, src.queries, 1)
	assert.True(t, utc(2025, 3, 28, 23, 0).Equal(src.queries[0].Start))
	assert.True(t, utc(2025, 3, 31, 22, 0).Equal(src.queries[0].End))
	v := resp.Responses[0].View
	assert.Len(t, v.MergedFreeBusy, 71)
	assert.Equal(t, "220", v.MergedFreeBusy[25:28], "01:00 CET to 04:00 CEST is two hours: slots 25 and 26, then 27 is free")
	require.Len(t, v.CalendarEvents, 1)
	assert.Equal(t, "2025-03-30T01:00:00", v.CalendarEvents[0].StartTime.String())
	assert.Equal(t, "2025-03-30T04:00:00", v.CalendarEvents[0].EndTime.String())
}
