package ews

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/calbridge/calbridge/freebusy"
)

// TestNewAvailabilityResponseRoundTrip: what NewAvailabilityResponse and
// EncodeAvailabilityResponse write, DecodeAvailabilityResponse reads back
// to the same busy blocks, and it is the document the Handler answers for
// the same schedules (§2.4).
func TestNewAvailabilityResponseRoundTrip(t *testing.T) {
	day := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	q := freebusy.Query{Attendees: []string{"ada@example.com", "bob@example.com"}, Start: day, End: day.Add(24 * time.Hour)}
	schedules := []freebusy.Schedule{
		{Attendee: "ada@example.com", Start: q.Start, End: q.End, Intervals: []freebusy.Interval{
			freebusy.NewInterval(day.Add(9*time.Hour), day.Add(10*time.Hour), freebusy.Busy),
			freebusy.NewInterval(day.Add(13*time.Hour), day.Add(14*time.Hour+30*time.Minute), freebusy.Tentative),
		}},
		freebusy.Failed("bob@example.com", q.Start, q.End, freebusy.ReasonUnknownAttendee, nil),
	}
	for _, view := range []FreeBusyViewType{ViewFreeBusy, ViewFreeBusyMerged, ViewMergedOnly} {
		resp, err := NewAvailabilityResponse(q, schedules, ResponseOptions{View: view, Interval: 30 * time.Minute})
		require.NoError(t, err, view)
		var b bytes.Buffer
		require.NoError(t, EncodeAvailabilityResponse(&b, resp), view)
		back, err := DecodeAvailabilityResponse(&b)
		require.NoError(t, err, view)
		got, err := back.Schedules(q, time.UTC)
		require.NoError(t, err, view)
		require.Len(t, got, 2)
		assert.Equal(t, freebusy.ReasonUnknownAttendee, got[1].Err.Reason, view)
		if view == ViewMergedOnly {
			assert.Equal(t, strings.Repeat("0", 18)+"22"+strings.Repeat("0", 6)+"111"+strings.Repeat("0", 19), back.Responses[0].View.MergedFreeBusy)
			continue
		}
		assert.Equal(t, schedules[0].Intervals, got[0].Intervals, view)
	}

	// The same document as the Handler's answer for these schedules.
	resp, err := NewAvailabilityResponse(q, schedules, ResponseOptions{})
	require.NoError(t, err)
	var ours bytes.Buffer
	require.NoError(t, EncodeAvailabilityResponse(&ours, resp))
	h, err := NewHandler(freebusy.SourceFunc(func(context.Context, freebusy.Query) ([]freebusy.Schedule, error) {
		return schedules, nil
	}))
	require.NoError(t, err)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/EWS/Exchange.asmx", strings.NewReader(fmt.Sprintf(responseTestRequest, "ada@example.com", "bob@example.com"))))
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	handlerDoc := rec.Body.String()
	// The Handler words an unknown mailbox as Exchange does, naming it.
	assert.Equal(t, stripMessages(handlerDoc), stripMessages(ours.String()))
}

// stripMessages drops the human-readable parts of a response.
func stripMessages(doc string) string {
	for _, tag := range []string{"MessageText", "MessageXml"} {
		for {
			i := strings.Index(doc, "<m:"+tag+">")
			j := strings.Index(doc, "</m:"+tag+">")
			if i < 0 || j < i {
				break
			}
			doc = doc[:i] + doc[j+len("</m:"+tag+">"):]
		}
	}
	return doc
}

const responseTestRequest = `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages" xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types">
<soap:Body><m:GetUserAvailabilityRequest>
<t:TimeZone><t:Bias>0</t:Bias><t:StandardTime><t:Bias>0</t:Bias><t:Time>00:00:00</t:Time><t:DayOrder>0</t:DayOrder><t:Month>0</t:Month><t:DayOfWeek>Sunday</t:DayOfWeek></t:StandardTime><t:DaylightTime><t:Bias>0</t:Bias><t:Time>00:00:00</t:Time><t:DayOrder>0</t:DayOrder><t:Month>0</t:Month><t:DayOfWeek>Sunday</t:DayOfWeek></t:DaylightTime></t:TimeZone>
<m:MailboxDataArray>
<t:MailboxData><t:Email><t:Address>%s</t:Address></t:Email><t:AttendeeType>Required</t:AttendeeType></t:MailboxData>
<t:MailboxData><t:Email><t:Address>%s</t:Address></t:Email><t:AttendeeType>Required</t:AttendeeType></t:MailboxData>
</m:MailboxDataArray>
<t:FreeBusyViewOptions><t:TimeWindow><t:StartTime>2026-03-02T00:00:00</t:StartTime><t:EndTime>2026-03-03T00:00:00</t:EndTime></t:TimeWindow>
<t:MergedFreeBusyIntervalInMinutes>30</t:MergedFreeBusyIntervalInMinutes><t:RequestedView>FreeBusyMerged</t:RequestedView></t:FreeBusyViewOptions>
</m:GetUserAvailabilityRequest></soap:Body></soap:Envelope>`

// TestNewAvailabilityResponseRefuses: options and queries it cannot use
// are typed errors.
func TestNewAvailabilityResponseRefuses(t *testing.T) {
	day := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	q := freebusy.Query{Attendees: []string{"a@example.com"}, Start: day, End: day.Add(time.Hour)}
	for name, opt := range map[string]ResponseOptions{
		"view":          {View: "Everything"},
		"none":          {View: ViewNone},
		"short":         {Interval: time.Minute},
		"not a minute":  {Interval: 90 * time.Second},
		"more than day": {Interval: 25 * time.Hour},
	} {
		_, err := NewAvailabilityResponse(q, nil, opt)
		assert.ErrorIs(t, err, ErrResponseOptions, name)
	}
	_, err := NewAvailabilityResponse(freebusy.Query{}, nil, ResponseOptions{})
	assert.ErrorIs(t, err, freebusy.ErrInvalid)
	assert.ErrorIs(t, EncodeAvailabilityResponse(&bytes.Buffer{}, nil), ErrResponseOptions)
}
