package ews

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/calbridge/calbridge/exchange"
	"github.com/calbridge/calbridge/freebusy"
)

func okResponse(v FreeBusyView) FreeBusyResponse {
	return FreeBusyResponse{ResponseMessage: ResponseMessage{Class: ClassSuccess, Code: exchange.CodeNoError}, View: v}
}

// Source: docs/exchange.md §2.6 / §7 item 8 — MergedFreeBusy digits
// read back at the requested interval: "3220" over 4 h at 60 min, and
// "00222100" over 08:00–12:00 at 30 min; '4' is no data.
func TestSchedulesFromMergedOnly(t *testing.T) {
	start := utc(2024, 3, 5, 8, 0)
	q := freebusy.Query{Attendees: []string{"a@x", "b@x", "c@x"}, Start: start, End: start.Add(4 * time.Hour), Granularity: time.Hour}
	resp := &AvailabilityResponse{Responses: []FreeBusyResponse{
		okResponse(FreeBusyView{ViewType: ViewMergedOnly, MergedFreeBusy: "3220"}),
		okResponse(FreeBusyView{ViewType: ViewMergedOnly, MergedFreeBusy: "0440"}),
		okResponse(FreeBusyView{ViewType: ViewMergedOnly}),
	}}
	ss, err := resp.Schedules(q, time.UTC)
	require.NoError(t, err)
	assert.Equal(t, []freebusy.Interval{
		{Start: utc(2024, 3, 5, 8, 0), End: utc(2024, 3, 5, 9, 0), Status: freebusy.OutOfOffice},
		{Start: utc(2024, 3, 5, 9, 0), End: utc(2024, 3, 5, 11, 0), Status: freebusy.Busy},
	}, ss[0].Intervals)
	assert.Equal(t, []freebusy.Interval{{Start: utc(2024, 3, 5, 9, 0), End: utc(2024, 3, 5, 11, 0), Status: freebusy.Unknown}}, ss[1].Intervals)
	assert.Equal(t, []freebusy.Interval{{Start: q.Start, End: q.End, Status: freebusy.Unknown}}, ss[2].Intervals, "no digits is no data, never free")

	q.Granularity = 30 * time.Minute
	q.Attendees = q.Attendees[:1]
	resp = &AvailabilityResponse{Responses: []FreeBusyResponse{okResponse(FreeBusyView{ViewType: ViewMergedOnly, MergedFreeBusy: "00222100"})}}
	ss, err = resp.Schedules(q, time.UTC)
	require.NoError(t, err)
	assert.Equal(t, []freebusy.Interval{
		{Start: utc(2024, 3, 5, 9, 0), End: utc(2024, 3, 5, 10, 30), Status: freebusy.Busy},
		{Start: utc(2024, 3, 5, 10, 30), End: utc(2024, 3, 5, 11, 0), Status: freebusy.Tentative},
	}, ss[0].Intervals)

	resp = &AvailabilityResponse{Responses: []FreeBusyResponse{okResponse(FreeBusyView{ViewType: ViewMergedOnly, MergedFreeBusy: "00x"})}}
	ss, err = resp.Schedules(q, time.UTC)
	require.NoError(t, err)
	assert.ErrorIs(t, ss[0].Err, freebusy.ErrInvalid, "a bad digit fails that mailbox only")
}

func TestSchedulesEdgeCases(t *testing.T) {
	start := utc(2024, 3, 5, 0, 0)
	q := freebusy.Query{Attendees: []string{"a@x", "b@x", "c@x"}, Start: start, End: start.AddDate(0, 0, 1), Detail: freebusy.DetailFull}
	dt := func(h int) DateTime { return localDateTime(start.Add(time.Duration(h)*time.Hour), time.UTC) }
	resp := &AvailabilityResponse{Responses: []FreeBusyResponse{
		okResponse(FreeBusyView{ViewType: ViewNone}),
		okResponse(FreeBusyView{ViewType: ViewDetailed, CalendarEvents: []CalendarEvent{
			{StartTime: dt(9), EndTime: dt(10), BusyType: "Sleeping"},
			{StartTime: dt(11), EndTime: dt(12), BusyType: BusyBusy, Details: &CalendarEventDetails{Subject: "Sync", IsRecurring: true}},
			{StartTime: dt(13), EndTime: dt(12), BusyType: BusyBusy},
		}}),
		{ResponseMessage: ResponseMessage{Class: ClassError, Code: exchange.CodeServerBusy, MessageXML: MessageXML{BackOff: 3 * time.Second}}},
	}}
	ss, err := resp.Schedules(q, time.UTC)
	require.NoError(t, err)
	assert.Equal(t, []freebusy.Interval{{Start: q.Start, End: q.End, Status: freebusy.Unknown}}, ss[0].Intervals)
	assert.Equal(t, []freebusy.Interval{
		{Start: utc(2024, 3, 5, 9, 0), End: utc(2024, 3, 5, 10, 0), Status: freebusy.Unknown},
		{Start: utc(2024, 3, 5, 11, 0), End: utc(2024, 3, 5, 12, 0), Status: freebusy.Busy},
	}, ss[1].Intervals, "unknown BusyType is no data; inverted events are dropped")
	require.Len(t, ss[1].Events, 3)
	assert.Equal(t, "Sync", ss[1].Events[1].Subject)
	assert.True(t, ss[1].Events[1].Recurring)
	assert.ErrorIs(t, ss[2].Err, freebusy.ErrThrottled)
	assert.Equal(t, 3*time.Second, ss[2].Err.RetryAfter)

	_, err = (&AvailabilityResponse{}).Schedules(q, time.UTC)
	assert.ErrorIs(t, err, ErrNotAvailability)
}

func TestNewAvailabilityRequest(t *testing.T) {
	q := freebusy.Query{Attendees: []string{"a@x", "/O=Contoso/OU=Site/cn=Recipients/cn=b"}, Start: utc(2024, 3, 5, 0, 0), End: utc(2024, 3, 6, 0, 0), Detail: freebusy.DetailFull}
	req := newAvailabilityRequest(q)
	assert.Equal(t, "Exchange2013", req.ServerVersion, "WorkingElsewhere needs Exchange2013 or later")
	assert.Equal(t, "UTC", req.TimeZoneContext)
	require.NotNil(t, req.TimeZone)
	assert.Equal(t, ViewDetailedMerged, req.FreeBusyViewOptions.RequestedView)
	assert.Equal(t, 30, req.FreeBusyViewOptions.MergedFreeBusyIntervalInMinutes)
	assert.Equal(t, "SMTP", req.Mailboxes[0].Email.RoutingType)
	assert.Equal(t, "EX", req.Mailboxes[1].Email.RoutingType)
	require.NotNil(t, req.Mailboxes[0].ExcludeConflicts)
}

func TestWorkingHoursConversion(t *testing.T) {
	sydney := mustLoad(t, "Australia/Sydney")
	w := &freebusy.WorkingHours{Location: sydney, Periods: []freebusy.WorkingPeriod{{Days: []time.Weekday{1, 2, 3, 4, 5}, Start: 8*time.Hour + 30*time.Minute, End: 24 * time.Hour}}}
	ews := workingHoursOf(w, 2025)
	assert.Equal(t, -600, ews.TimeZone.Bias)
	assert.Equal(t, 510, ews.Periods[0].StartTimeInMinutes)
	assert.Equal(t, 1440, ews.Periods[0].EndTimeInMinutes)
	back, err := ews.canonical(2025, &zoneCache{})
	require.NoError(t, err)
	assert.Equal(t, "Australia/Sydney", back.Location.String())
	assert.Equal(t, w.Periods, back.Periods)

	ews.Periods = append(ews.Periods, WorkingPeriod{Days: []time.Weekday{6}, StartTimeInMinutes: 600, EndTimeInMinutes: 600})
	back, err = ews.canonical(2025, &zoneCache{})
	require.NoError(t, err)
	assert.Len(t, back.Periods, 1, "empty periods are dropped")
	assert.Nil(t, workingHoursOf(nil, 2025))
	ews.TimeZone.Bias = 9999
	_, err = ews.canonical(2025, &zoneCache{})
	assert.ErrorIs(t, err, freebusy.ErrInvalid)
}
