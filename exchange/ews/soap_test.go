package ews

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/calbridge/calbridge/exchange"
	"github.com/calbridge/calbridge/freebusy"
)

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	require.NoError(t, err)
	return b
}

// Source: docs/exchange.md §2.9 skeleton request.
func TestDecodeRequestSkeleton(t *testing.T) {
	req, err := decodeRequest(bytes.NewReader(readTestdata(t, "request-skeleton.xml")), MaxRequestBytes)
	require.NoError(t, err)
	assert.Equal(t, "Exchange2010_SP1", req.ServerVersion)
	require.NotNil(t, req.TimeZone)
	assert.False(t, req.TimeZone.HasDaylight())
	require.Len(t, req.Mailboxes, 1)
	assert.Equal(t, EmailAddress{Address: "user@example.com", RoutingType: "SMTP"}, req.Mailboxes[0].Email)
	assert.Equal(t, "Required", req.Mailboxes[0].AttendeeType)
	require.NotNil(t, req.Mailboxes[0].ExcludeConflicts)
	assert.False(t, *req.Mailboxes[0].ExcludeConflicts)
	o := req.FreeBusyViewOptions
	require.NotNil(t, o)
	assert.Equal(t, "2024-03-05T00:00:00", o.StartTime.String())
	assert.Equal(t, "2024-03-06T00:00:00", o.EndTime.String())
	assert.Equal(t, 30, o.MergedFreeBusyIntervalInMinutes)
	assert.Equal(t, ViewFreeBusyMerged, o.RequestedView)
}

// Source: docs/exchange.md §2.2 client quirks (ews-java-api: legacy
// dummy UTC zone, dates only; no ExcludeConflicts; RoutingType EX) and
// §2.3 (Managed API: TimeZoneContext header, no body TimeZone).
func TestDecodeRequestClientQuirks(t *testing.T) {
	req, err := decodeRequest(bytes.NewReader(readTestdata(t, "request-ews-java.xml")), MaxRequestBytes)
	require.NoError(t, err)
	require.NotNil(t, req.TimeZone)
	assert.Equal(t, time.March, req.TimeZone.StandardTime.Month)
	assert.False(t, req.TimeZone.HasDaylight(), "equal biases: a dummy rule")
	require.Len(t, req.Mailboxes, 2)
	assert.Equal(t, "", req.Mailboxes[0].Email.RoutingType)
	assert.Equal(t, "EX", req.Mailboxes[1].Email.RoutingType)
	assert.Nil(t, req.Mailboxes[1].ExcludeConflicts)
	assert.Equal(t, "Room", req.Mailboxes[1].AttendeeType)

	soap12 := strings.Replace(string(readTestdata(t, "request-skeleton.xml")), "http://schemas.xmlsoap.org/soap/envelope/", "http://www.w3.org/2003/05/soap-envelope", 1)
	req, err = decodeRequest(strings.NewReader(soap12), MaxRequestBytes)
	require.NoError(t, err, "SOAP 1.2 envelope")
	assert.Len(t, req.Mailboxes, 1)

	// .NET writers may start with a UTF-8 byte-order mark.
	bom := append([]byte("\uFEFF"), readTestdata(t, "request-managed-api-tzcontext.xml")...)
	req, err = decodeRequest(bytes.NewReader(bom), MaxRequestBytes)
	require.NoError(t, err)
	assert.Nil(t, req.TimeZone)
	assert.Equal(t, "Pacific Standard Time", req.TimeZoneContext)
	assert.Len(t, req.Mailboxes, 2)
	assert.Equal(t, ViewFreeBusy, req.FreeBusyViewOptions.RequestedView)
}

// Source: docs/exchange.md §7 item 10 — the OpenChange capture of an
// error entry: ResponseClass Error, ErrorMailRecipientNotFound,
// ExceptionCode 5009, FreeBusyViewType None; and §7 item 11 — offsets.
func TestDecodeResponseErrorEntry(t *testing.T) {
	resp, err := DecodeAvailabilityResponse(bytes.NewReader(readTestdata(t, "response-error-entry.xml")))
	require.NoError(t, err)
	require.Len(t, resp.Responses, 2)
	rm := resp.Responses[0].ResponseMessage
	assert.Equal(t, ClassError, rm.Class)
	assert.Equal(t, exchange.CodeMailRecipientNotFound, rm.Code)
	assert.Equal(t, 5009, rm.MessageXML.ExceptionCode)
	assert.Equal(t, "Microsoft.Exchange.InfoWorker.Common.Availability.MailRecipientNotFoundException", rm.MessageXML.ExceptionType)
	assert.Contains(t, rm.MessageText, "<>SMTP:nobody@example.com")
	assert.Equal(t, ViewNone, resp.Responses[0].View.ViewType)

	v := resp.Responses[1].View
	assert.Equal(t, ViewFreeBusy, v.ViewType)
	require.Len(t, v.CalendarEvents, 2)
	assert.True(t, time.Date(2012, 5, 16, 12, 0, 0, 0, time.UTC).Equal(v.CalendarEvents[0].StartTime.In(nil)))
	assert.Equal(t, BusyTentative, v.CalendarEvents[1].BusyType)
	require.NotNil(t, v.WorkingHours)
	assert.Equal(t, 300, v.WorkingHours.TimeZone.Bias)
	require.Len(t, v.WorkingHours.Periods, 1)
	assert.Equal(t, []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday}, v.WorkingHours.Periods[0].Days)
	assert.Equal(t, 480, v.WorkingHours.Periods[0].StartTimeInMinutes)

	q := freebusy.Query{Attendees: []string{"nobody@example.com", "user@example.com"},
		Start: time.Date(2012, 5, 16, 4, 0, 0, 0, time.UTC), End: time.Date(2012, 5, 17, 4, 0, 0, 0, time.UTC)}
	ss, err := resp.Schedules(q, time.UTC)
	require.NoError(t, err)
	require.Len(t, ss, 2)
	assert.ErrorIs(t, ss[0].Err, freebusy.ErrUnknownAttendee)
	var re *ResponseError
	require.ErrorAs(t, ss[0].Err, &re)
	assert.Equal(t, exchange.CodeMailRecipientNotFound, re.Code)
	require.Nil(t, ss[1].Err)
	assert.Equal(t, []freebusy.Interval{
		{Start: time.Date(2012, 5, 16, 12, 0, 0, 0, time.UTC), End: time.Date(2012, 5, 16, 13, 30, 0, 0, time.UTC), Status: freebusy.Busy},
		{Start: time.Date(2012, 5, 16, 13, 30, 0, 0, time.UTC), End: time.Date(2012, 5, 16, 14, 0, 0, 0, time.UTC), Status: freebusy.Tentative},
	}, ss[1].Intervals)
	require.NotNil(t, ss[1].WorkingHours)
	assert.Equal(t, "America/New_York", ss[1].WorkingHours.Location.String())
	assert.Equal(t, 8*time.Hour, ss[1].WorkingHours.Periods[0].Start)
	assert.Equal(t, 17*time.Hour, ss[1].WorkingHours.Periods[0].End)
}

// Source: docs/exchange.md §2.4 (Exchange 2013 returns naive local
// times in the request zone; FreeBusy views list Free events, here the
// all-day Free event of the how-to example) and §6 (BusyType map).
func TestDecodeResponseNaiveTimes(t *testing.T) {
	resp, err := DecodeAvailabilityResponse(bytes.NewReader(readTestdata(t, "response-2013-naive.xml")))
	require.NoError(t, err)
	pacific := mustLoad(t, "America/Los_Angeles")
	start := time.Date(2014, 2, 13, 0, 0, 0, 0, pacific)
	q := freebusy.Query{Attendees: []string{"mack@contoso.com"}, Start: start, End: start.AddDate(0, 0, 1)}
	ss, err := resp.Schedules(q, pacific)
	require.NoError(t, err)
	at := func(h int) time.Time { return time.Date(2014, 2, 13, h, 0, 0, 0, pacific).UTC() }
	assert.Equal(t, []freebusy.Interval{
		{Start: at(8), End: at(10), Status: freebusy.Busy},
		{Start: at(11), End: at(12), Status: freebusy.WorkingElsewhere},
		{Start: at(13), End: at(14), Status: freebusy.OutOfOffice},
		{Start: at(15), End: at(16), Status: freebusy.Unknown},
	}, ss[0].Intervals)
}

// allowedNamespace is the §2.1 table: the namespace every element the
// encoders write must be in.
var allowedNamespace = map[string]string{
	"Envelope": namespaceSOAP11, "Header": namespaceSOAP11, "Body": namespaceSOAP11, "Fault": namespaceSOAP11,
	"GetUserAvailabilityRequest": namespaceMessages, "MailboxDataArray": namespaceMessages,
	"GetUserAvailabilityResponse": namespaceMessages, "FreeBusyResponseArray": namespaceMessages,
	"FreeBusyResponse": namespaceMessages, "ResponseMessage": namespaceMessages, "MessageText": namespaceMessages,
	"ResponseCode": namespaceMessages, "DescriptiveLinkKey": namespaceMessages, "FreeBusyView": namespaceMessages,
	"ExceptionType": namespaceErrors, "ExceptionCode": namespaceErrors,
}

// checkNamespaces walks an encoded document and fails for any element
// outside its §2.1 namespace (types for everything not listed, SOAP 1.1
// unqualified fault children, MessageXml in messages or types).
func checkNamespaces(t *testing.T, doc []byte) {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(doc))
	var stack []string
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return
		}
		require.NoError(t, err)
		switch el := tok.(type) {
		case xml.StartElement:
			parent := ""
			if len(stack) > 0 {
				parent = stack[len(stack)-1]
			}
			stack = append(stack, el.Name.Local)
			want, listed := allowedNamespace[el.Name.Local]
			switch {
			case parent == "Fault":
				want = ""
			case parent == "detail" && el.Name.Local != "MessageXml":
				want = namespaceErrors
			case el.Name.Local == "MessageXml" && parent == "ResponseMessage":
				want = namespaceMessages
			case el.Name.Local == "ResponseCode" && parent == "detail":
				want = namespaceErrors
			case !listed:
				want = namespaceTypes
			}
			assert.Equal(t, want, el.Name.Space, "namespace of %s (in %s)", el.Name.Local, parent)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		}
	}
}

func sampleResponse() *AvailabilityResponse {
	wh := workingHoursOf(&freebusy.WorkingHours{Location: time.UTC, Periods: []freebusy.WorkingPeriod{{Days: []time.Weekday{time.Monday, time.Friday}, Start: 8 * time.Hour, End: 17 * time.Hour}}}, 2024)
	dt := func(h int) DateTime { return localDateTime(time.Date(2024, 3, 5, h, 0, 0, 0, time.UTC), time.UTC) }
	return &AvailabilityResponse{Responses: []FreeBusyResponse{
		{ResponseMessage: ResponseMessage{Class: ClassSuccess, Code: exchange.CodeNoError}, View: FreeBusyView{
			ViewType: ViewDetailedMerged, MergedFreeBusy: "00222100",
			CalendarEvents: []CalendarEvent{
				{StartTime: dt(9), EndTime: dt(10), BusyType: BusyBusy, Details: &CalendarEventDetails{ID: "AAA=", Subject: "Plan <&> \"review\"", Location: "Room 1", IsMeeting: true}},
				{StartTime: dt(10), EndTime: dt(11), BusyType: BusyTentative},
			},
			WorkingHours: wh,
		}},
		{ResponseMessage: ResponseMessage{Class: ClassError, Code: exchange.CodeServerBusy, MessageText: "busy", MessageXML: MessageXML{BackOff: 1500 * time.Millisecond}}, View: FreeBusyView{ViewType: ViewNone}},
		{ResponseMessage: ResponseMessage{Class: ClassError, Code: exchange.CodeMailRecipientNotFound, MessageXML: MessageXML{ExceptionType: "X", ExceptionCode: 5009}}, View: FreeBusyView{ViewType: ViewNone}},
	}}
}

func TestResponseRoundTripAndNamespaces(t *testing.T) {
	want := sampleResponse()
	var buf bytes.Buffer
	require.NoError(t, encodeAvailabilityResponse(&buf, want, false))
	checkNamespaces(t, buf.Bytes())
	got, err := DecodeAvailabilityResponse(&buf)
	require.NoError(t, err)
	assert.Equal(t, want, got)
}

func TestRequestRoundTripAndNamespaces(t *testing.T) {
	q := freebusy.Query{Attendees: []string{"a@example.com", "/o=Contoso/ou=First Administrative Group/cn=Recipients/cn=UserA"},
		Start: time.Date(2024, 3, 5, 8, 0, 0, 0, time.UTC), End: time.Date(2024, 3, 5, 12, 0, 0, 0, time.UTC), Granularity: 15 * time.Minute}
	want := newAvailabilityRequest(q)
	var buf bytes.Buffer
	require.NoError(t, encodeAvailabilityRequest(&buf, want))
	checkNamespaces(t, buf.Bytes())
	assert.Contains(t, buf.String(), `<t:RequestServerVersion Version="Exchange2013"/>`)
	got, err := decodeRequest(&buf, MaxRequestBytes)
	require.NoError(t, err)
	assert.Equal(t, want, got)
	assert.Equal(t, "EX", got.Mailboxes[1].Email.RoutingType)
	assert.Equal(t, 15, got.FreeBusyViewOptions.MergedFreeBusyIntervalInMinutes)
}

func TestFaultRoundTrip(t *testing.T) {
	want := &SOAPFault{ResponseCode: exchange.CodeServerBusy, String: "The server cannot service this request right now.", Message: "try later", MessageXML: MessageXML{BackOff: 30 * time.Second}}
	var buf bytes.Buffer
	require.NoError(t, encodeSOAPFault(&buf, want, false))
	checkNamespaces(t, buf.Bytes())
	_, err := DecodeAvailabilityResponse(&buf)
	var f *SOAPFault
	require.ErrorAs(t, err, &f)
	assert.Equal(t, exchange.CodeServerBusy, f.ResponseCode)
	assert.Equal(t, "a:ErrorServerBusy", f.Code)
	assert.Equal(t, 30*time.Second, f.MessageXML.BackOff)
	assert.Equal(t, "try later", f.Message)
	assert.ErrorIs(t, err, freebusy.ErrThrottled)
}

// Bad input: typed errors, never a panic, no entity expansion.
func TestDecodeRejectsBadInput(t *testing.T) {
	const env = `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>%s</soap:Body></soap:Envelope>`
	wrap := func(s string) string { return strings.Replace(env, "%s", s, 1) }
	cases := []struct {
		name string
		doc  string
		cond error
	}{
		{"doctype", `<?xml version="1.0"?><!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>` + wrap(`<GetUserAvailabilityRequest>&xxe;</GetUserAvailabilityRequest>`), ErrDTD},
		{"billion laughs", `<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>` + wrap(`&lol2;`), ErrDTD},
		{"undeclared entity", wrap(`<GetUserAvailabilityRequest><MailboxDataArray><MailboxData><Email><Address>&xxe;</Address></Email></MailboxData></MailboxDataArray></GetUserAvailabilityRequest>`), ErrMalformedXML},
		{"doctype inside", wrap(`<GetUserAvailabilityRequest><!DOCTYPE x></GetUserAvailabilityRequest>`), ErrDTD},
		{"not xml", `hello`, ErrNotAvailability},
		{"empty", ``, ErrMalformedXML},
		{"truncated", `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><GetUserAvailabilityRequest>`, ErrMalformedXML},
		{"mismatched", wrap(`<GetUserAvailabilityRequest></Foo>`), ErrMalformedXML},
		{"wrong root", `<Envelope><Body/></Envelope>`, ErrNotAvailability},
		{"no body", `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"/>`, ErrNotAvailability},
		{"other operation", wrap(`<GetItem/>`), ErrNotAvailability},
		{"bad date", wrap(`<GetUserAvailabilityRequest><FreeBusyViewOptions><TimeWindow><StartTime>yesterday</StartTime></TimeWindow></FreeBusyViewOptions></GetUserAvailabilityRequest>`), ErrBadValue},
		{"bad interval", wrap(`<GetUserAvailabilityRequest><FreeBusyViewOptions><MergedFreeBusyIntervalInMinutes>99999999999999999999</MergedFreeBusyIntervalInMinutes></FreeBusyViewOptions></GetUserAvailabilityRequest>`), ErrBadValue},
		{"bad weekday", wrap(`<GetUserAvailabilityRequest><TimeZone><StandardTime><DayOfWeek>Caturday</DayOfWeek></StandardTime></TimeZone></GetUserAvailabilityRequest>`), ErrBadValue},
		{"bad bool", wrap(`<GetUserAvailabilityRequest><MailboxDataArray><MailboxData><ExcludeConflicts>maybe</ExcludeConflicts></MailboxData></MailboxDataArray></GetUserAvailabilityRequest>`), ErrBadValue},
		{"trailing element", wrap(`<GetUserAvailabilityRequest/>`) + `<x/>`, ErrMalformedXML},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := decodeRequest(strings.NewReader(c.doc), MaxRequestBytes)
			var de *DecodeError
			require.ErrorAs(t, err, &de)
			assert.ErrorIs(t, err, c.cond)
			assert.ErrorIs(t, err, freebusy.ErrInvalid)
			assert.NotContains(t, err.Error(), "root:", "no entity content leaks")
		})
	}
}

func TestDecodeSizeLimit(t *testing.T) {
	big := `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><GetUserAvailabilityRequest>` +
		strings.Repeat("<x>"+strings.Repeat("padding", 20)+"</x>", MaxRequestBytes/147+1) + `</GetUserAvailabilityRequest></soap:Body></soap:Envelope>`
	_, err := decodeRequest(strings.NewReader(big), MaxRequestBytes)
	assert.ErrorIs(t, err, ErrTooLarge)

	// Exactly at the limit is fine.
	doc := readTestdata(t, "request-skeleton.xml")
	_, err = decodeRequest(bytes.NewReader(doc), int64(len(doc)))
	assert.NoError(t, err)
	_, err = decodeRequest(bytes.NewReader(doc), int64(len(doc)-1))
	assert.ErrorIs(t, err, ErrTooLarge)
}

func TestDecodeResponseFaultWithoutDetail(t *testing.T) {
	doc := `<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body><s:Fault><faultcode>s:Client</faultcode><faultstring>bad</faultstring></s:Fault></s:Body></s:Envelope>`
	_, err := DecodeAvailabilityResponse(strings.NewReader(doc))
	var f *SOAPFault
	require.True(t, errors.As(err, &f))
	assert.Equal(t, "s:Client", f.Code)
	assert.Equal(t, freebusy.ReasonInternal, f.reason())
}

func TestEncoderEscapesText(t *testing.T) {
	var e encoder
	e.text("a<b>&\"c'\r\x01é\tz")
	assert.Equal(t, "a&lt;b&gt;&amp;&#34;c&#39;&#xD;\uFFFDé&#x9;z", string(e.b))
	d := xml.NewDecoder(bytes.NewReader(append(append([]byte("<x>"), e.b...), "</x>"...)))
	for {
		_, err := d.Token()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
	}
}

func TestParseDays(t *testing.T) {
	days, ok := parseDays([]byte("Weekday"))
	require.True(t, ok)
	assert.Equal(t, []time.Weekday{1, 2, 3, 4, 5}, days)
	days, ok = parseDays([]byte("Saturday WeekendDay Monday"))
	require.True(t, ok)
	assert.Equal(t, []time.Weekday{0, 1, 6}, days)
	_, ok = parseDays([]byte("Funday"))
	assert.False(t, ok)
	assert.Equal(t, "Sunday Monday Friday", formatDays([]time.Weekday{time.Friday, time.Sunday, time.Monday, time.Monday}))
}
