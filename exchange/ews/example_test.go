package ews_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/calbridge/calbridge/exchange/ews"
	"github.com/calbridge/calbridge/freebusy"
)

// Decoding a GetUserAvailability response and converting it to canonical
// schedules. The request asked for 2024-03-05 08:00–12:00 in UTC at 30
// minutes; event times without an offset are read in the request's zone.
func ExampleDecodeAvailabilityResponse() {
	const body = `<?xml version="1.0" encoding="utf-8"?>
<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>
 <m:GetUserAvailabilityResponse xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages" xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types">
  <m:FreeBusyResponseArray>
   <m:FreeBusyResponse>
    <m:ResponseMessage ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode></m:ResponseMessage>
    <m:FreeBusyView>
     <t:FreeBusyViewType>FreeBusyMerged</t:FreeBusyViewType>
     <t:MergedFreeBusy>00222100</t:MergedFreeBusy>
     <t:CalendarEventArray>
      <t:CalendarEvent><t:StartTime>2024-03-05T09:00:00</t:StartTime><t:EndTime>2024-03-05T10:30:00</t:EndTime><t:BusyType>Busy</t:BusyType></t:CalendarEvent>
      <t:CalendarEvent><t:StartTime>2024-03-05T10:00:00</t:StartTime><t:EndTime>2024-03-05T11:00:00</t:EndTime><t:BusyType>Tentative</t:BusyType></t:CalendarEvent>
     </t:CalendarEventArray>
    </m:FreeBusyView>
   </m:FreeBusyResponse>
   <m:FreeBusyResponse>
    <m:ResponseMessage ResponseClass="Error">
     <m:MessageText>Unable to resolve e-mail address &lt;&gt;SMTP:nobody@example.com to an Active Directory object.</m:MessageText>
     <m:ResponseCode>ErrorMailRecipientNotFound</m:ResponseCode>
     <m:DescriptiveLinkKey>0</m:DescriptiveLinkKey>
    </m:ResponseMessage>
    <m:FreeBusyView><t:FreeBusyViewType>None</t:FreeBusyViewType></m:FreeBusyView>
   </m:FreeBusyResponse>
  </m:FreeBusyResponseArray>
 </m:GetUserAvailabilityResponse>
</s:Body></s:Envelope>`

	resp, err := ews.DecodeAvailabilityResponse(strings.NewReader(body))
	if err != nil {
		fmt.Println(err)
		return
	}
	start := time.Date(2024, 3, 5, 8, 0, 0, 0, time.UTC)
	q := freebusy.Query{Attendees: []string{"alice@example.com", "nobody@example.com"}, Start: start, End: start.Add(4 * time.Hour)}
	schedules, err := resp.Schedules(q, time.UTC)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, s := range schedules {
		if s.Err != nil {
			fmt.Println(s.Attendee, "failed:", s.Err.Reason)
			continue
		}
		for _, iv := range s.Intervals {
			fmt.Println(s.Attendee, iv)
		}
	}
	// Output:
	// alice@example.com 2024-03-05T09:00:00Z/2024-03-05T10:30:00Z busy
	// alice@example.com 2024-03-05T10:30:00Z/2024-03-05T11:00:00Z tentative
	// nobody@example.com failed: unknown-attendee
}

// Serving GetUserAvailability from any freebusy.Source, and asking it with
// the EWS client over loopback. An Exchange availability address space (or
// any EWS client) can point at the same handler.
func ExampleHandler() {
	src := freebusy.SourceFunc(func(_ context.Context, q freebusy.Query) ([]freebusy.Schedule, error) {
		out := make([]freebusy.Schedule, len(q.Attendees))
		for i, a := range q.Attendees {
			out[i] = freebusy.Schedule{Attendee: a, Start: q.Start, End: q.End, Intervals: []freebusy.Interval{
				freebusy.NewInterval(q.Start.Add(time.Hour), q.Start.Add(2*time.Hour), freebusy.Busy),
			}}
		}
		return out, nil
	})
	handler, err := ews.NewHandler(src)
	if err != nil {
		fmt.Println(err)
		return
	}
	srv := httptest.NewServer(handler)
	defer srv.Close()

	client, err := ews.NewClient(srv.URL+"/EWS/Exchange.asmx", ews.WithHTTPClient(srv.Client()))
	if err != nil {
		fmt.Println(err)
		return
	}
	start := time.Date(2024, 3, 5, 8, 0, 0, 0, time.UTC)
	schedules, err := client.FreeBusy(context.Background(), freebusy.Query{
		Attendees: []string{"notes.user@example.com"}, Start: start, End: start.Add(4 * time.Hour),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	view, _ := schedules[0].AvailabilityView(time.Hour, freebusy.ViewOptions{})
	fmt.Println(schedules[0].Attendee, schedules[0].Intervals, view)
	// Output:
	// notes.user@example.com [2024-03-05T09:00:00Z/2024-03-05T10:00:00Z busy] 0200
}

// Deriving the EWS description of a zone from tzdata, and reading one back.
func ExampleNewSerializableTimeZone() {
	ny, _ := time.LoadLocation("America/New_York")
	tz := ews.NewSerializableTimeZone(ny, 2025)
	fmt.Println(tz.Bias, tz.DaylightTime.Bias, tz.DaylightTime.DayOrder, tz.DaylightTime.Month, tz.StandardTime.DayOrder, tz.StandardTime.Month)
	loc, _ := tz.Location(2025)
	fmt.Println(loc)
	// Output:
	// 300 -60 2 March 1 November
	// America/New_York
}

// A converter writes the EWS answer for schedules it holds, without
// serving HTTP: NewAvailabilityResponse builds what the Handler would
// answer, EncodeAvailabilityResponse writes it.
func ExampleNewAvailabilityResponse() {
	day := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	q := freebusy.Query{Attendees: []string{"ada@example.com"}, Start: day.Add(8 * time.Hour), End: day.Add(12 * time.Hour)}
	schedules := []freebusy.Schedule{{Attendee: "ada@example.com", Start: q.Start, End: q.End, Intervals: []freebusy.Interval{
		freebusy.NewInterval(day.Add(9*time.Hour), day.Add(10*time.Hour), freebusy.Busy),
	}}}
	resp, err := ews.NewAvailabilityResponse(q, schedules, ews.ResponseOptions{View: ews.ViewMergedOnly, Interval: 30 * time.Minute})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(resp.Responses[0].View.MergedFreeBusy)
	var b strings.Builder
	if err := ews.EncodeAvailabilityResponse(&b, resp); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(strings.Contains(b.String(), "<t:MergedFreeBusy>00220000</t:MergedFreeBusy>"))
	// Output:
	// 00220000
	// true
}
