package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/calbridge/calbridge/exchange"

	"github.com/calbridge/calbridge/freebusy"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func graphLA(t testing.TB) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("America/Los_Angeles")
	require.NoError(t, err)
	return loc
}

// graphDocsQuery is the request of docs/exchange.md §3.4: 2019-03-15
// 09:00-18:00 Pacific (PDT, UTC-7, after the 10 March DST change), 60-minute
// interval.
func graphDocsQuery(t testing.TB) freebusy.Query {
	la := graphLA(t)
	return freebusy.Query{
		Attendees:   []string{"adelev@contoso.com", "meganb@contoso.com"},
		Start:       time.Date(2019, 3, 15, 9, 0, 0, 0, la).UTC(),
		End:         time.Date(2019, 3, 15, 18, 0, 0, 0, la).UTC(),
		Granularity: time.Hour,
	}
}

func readGraphGolden(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	require.NoError(t, err)
	return b
}

// Golden data: docs/exchange.md §3.4 and §7 item 9 (the example of
// Microsoft Graph documentation "calendar: getSchedule"), decoded.
func TestGraphDecodeDocsExample(t *testing.T) {
	q := graphDocsQuery(t)
	req, err := DecodeGetScheduleRequest(bytes.NewReader(readGraphGolden(t, "getschedule-docs-request.json")))
	require.NoError(t, err)
	gotQ, err := req.Query()
	require.NoError(t, err)
	assert.Equal(t, q, gotQ)

	resp, err := DecodeGetScheduleResponse(bytes.NewReader(readGraphGolden(t, "getschedule-docs-response.json")))
	require.NoError(t, err)
	schedules := resp.Schedules(q)
	require.NoError(t, freebusy.CheckResult(q, schedules))

	la := graphLA(t)
	at := func(h, m int) time.Time { return time.Date(2019, 3, 15, h, m, 0, 0, la).UTC() }
	adele := schedules[0]
	require.Nil(t, adele.Err)
	assert.Equal(t, []freebusy.Interval{{Start: at(12, 0), End: at(14, 0), Status: freebusy.Busy}}, adele.Intervals)
	megan := schedules[1]
	require.Nil(t, megan.Err)
	assert.Equal(t, []freebusy.Interval{
		{Start: at(9, 0), End: at(9, 30), Status: freebusy.Busy},  // started before the window
		{Start: at(12, 0), End: at(14, 0), Status: freebusy.Busy}, // busy beats tentative
		{Start: at(16, 0), End: at(17, 0), Status: freebusy.Tentative},
	}, megan.Intervals)

	for i, want := range []string{"000220000", "200220010"} {
		view, err := schedules[i].AvailabilityView(time.Hour, freebusy.ViewOptions{})
		require.NoError(t, err)
		assert.Equal(t, want, view, schedules[i].Attendee)
	}

	// workingHours: Monday to Friday 08:00-17:00 Pacific, expanded with
	// tzdata: 15:00Z during PDT.
	require.NotNil(t, adele.WorkingHours)
	assert.Equal(t, "America/Los_Angeles", adele.WorkingHours.Location.String())
	require.Len(t, adele.WorkingHours.Periods, 1)
	assert.Equal(t, freebusy.WorkingPeriod{
		Days:  []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday},
		Start: 8 * time.Hour, End: 17 * time.Hour,
	}, adele.WorkingHours.Periods[0])
	work, err := adele.WorkingHours.Expand(at(0, 0), at(23, 59))
	require.NoError(t, err)
	assert.Equal(t, []freebusy.Interval{{Start: at(8, 0), End: at(17, 0), Status: freebusy.Free}}, work)
	assert.Equal(t, "2019-03-15T15:00:00Z", work[0].Start.Format(time.RFC3339))
}

// Golden data: docs/exchange.md §3.4 and §7 item 9, encoded by the
// handler from a Source holding the same items.
func TestGraphHandlerDocsExample(t *testing.T) {
	la := graphLA(t)
	at := func(h, m int) time.Time { return time.Date(2019, 3, 15, h, m, 0, 0, la).UTC() }
	items := map[string][]freebusy.Interval{
		"adelev@contoso.com": {{Start: at(12, 0), End: at(14, 0), Status: freebusy.Busy}},
		"meganb@contoso.com": {
			{Start: at(8, 30), End: at(9, 30), Status: freebusy.Busy},
			{Start: at(12, 0), End: at(14, 0), Status: freebusy.Busy},
			{Start: at(12, 0), End: at(13, 0), Status: freebusy.Tentative},
			{Start: at(13, 0), End: at(14, 0), Status: freebusy.Busy},
			{Start: at(16, 0), End: at(17, 0), Status: freebusy.Tentative},
		},
	}
	var asked freebusy.Query
	src := freebusy.SourceFunc(func(_ context.Context, q freebusy.Query) ([]freebusy.Schedule, error) {
		asked = q
		out := make([]freebusy.Schedule, len(q.Attendees))
		for i, a := range q.Attendees {
			out[i] = freebusy.Schedule{Attendee: a, Start: q.Start, End: q.End, Intervals: items[a]}
		}
		return out, nil
	})
	h := newTestHandler(t, src)
	r := httptest.NewRequest(http.MethodPost, "/users/admin@contoso.com/calendar/getSchedule", bytes.NewReader(readGraphGolden(t, "getschedule-docs-request.json")))
	r.Header.Set("Prefer", `outlook.timezone="Pacific Standard Time"`)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	assert.Equal(t, `outlook.timezone="Pacific Standard Time"`, w.Header().Get("Preference-Applied"))
	want := graphDocsQuery(t)
	want.Detail = freebusy.DetailFull // items whole; details stay unless WithDetails
	assert.Equal(t, want, asked)

	resp, err := DecodeGetScheduleResponse(w.Body)
	require.NoError(t, err)
	require.Len(t, resp.Value, 2)
	assert.Equal(t, "000220000", resp.Value[0].AvailabilityView)
	assert.Equal(t, "200220010", resp.Value[1].AvailabilityView)
	// Items in the preferred zone, seven fraction digits, no offset
	// (docs/exchange.md §3.2).
	assert.Equal(t, ScheduleItem{
		Status: "busy",
		Start:  DateTimeTimeZone{DateTime: "2019-03-15T12:00:00.0000000", TimeZone: "Pacific Standard Time"},
		End:    DateTimeTimeZone{DateTime: "2019-03-15T14:00:00.0000000", TimeZone: "Pacific Standard Time"},
	}, resp.Value[0].ScheduleItems[0])
}

// Golden data: docs/exchange.md §3.4, the Microsoft Graph concept page "Get
// free/busy schedule of Outlook calendar users and resources": 09:00-18:00,
// interval 15, tentative 09:00-10:30 and busy 11:00-13:00.
func TestGraphConceptPageView(t *testing.T) {
	la := graphLA(t)
	at := func(h, m int) time.Time { return time.Date(2019, 3, 15, h, m, 0, 0, la).UTC() }
	q := freebusy.Query{Attendees: []string{"a@contoso.com"}, Start: at(9, 0), End: at(18, 0), Granularity: 15 * time.Minute}
	s := freebusy.Schedule{Attendee: "a@contoso.com", Start: q.Start, End: q.End, Intervals: []freebusy.Interval{
		{Start: at(9, 0), End: at(10, 30), Status: freebusy.Tentative},
		{Start: at(11, 0), End: at(13, 0), Status: freebusy.Busy},
	}}
	info, err := NewScheduleInformation(&s, q, ResponseOptions{})
	require.NoError(t, err)
	assert.Equal(t, "111111002222222200000000000000000000", info.AvailabilityView)
	require.Len(t, info.ScheduleItems, 2)
	assert.Equal(t, DateTimeTimeZone{DateTime: "2019-03-15T16:00:00.0000000", TimeZone: "UTC"}, info.ScheduleItems[0].Start, "UTC without Prefer")

	back, err := info.Schedule("a@contoso.com", q, nil)
	require.NoError(t, err)
	assert.Equal(t, s.Intervals, back.Intervals)
}

// docs/exchange.md §3.2 and §6: availabilityView writes working
// elsewhere as 0, so scheduleItems decide; the view fills in only what no
// item covers.
func TestGraphScheduleItemsDecide(t *testing.T) {
	start := time.Date(2024, 3, 5, 8, 0, 0, 0, time.UTC)
	q := freebusy.Query{Attendees: []string{"a"}, Start: start, End: start.Add(4 * time.Hour), Granularity: time.Hour}
	h := func(n float64) time.Time { return start.Add(time.Duration(n * float64(time.Hour))) }
	item := func(status string, a, b float64) ScheduleItem {
		return ScheduleItem{Status: status,
			Start: NewDateTimeTimeZone(h(a), time.UTC, "UTC"), End: NewDateTimeTimeZone(h(b), time.UTC, "UTC")}
	}
	tests := []struct {
		name  string
		info  ScheduleInformation
		want  []freebusy.Interval
		event int
	}{
		{"working elsewhere behind a 0", ScheduleInformation{AvailabilityView: "0000",
			ScheduleItems: []ScheduleItem{item("workingElsewhere", 1, 3)}},
			[]freebusy.Interval{{Start: h(1), End: h(3), Status: freebusy.WorkingElsewhere}}, 1},
		{"items are exact where the view is coarse", ScheduleInformation{AvailabilityView: "0200",
			ScheduleItems: []ScheduleItem{item("Busy", 1.25, 1.5)}},
			[]freebusy.Interval{{Start: h(1.25), End: h(1.5), Status: freebusy.Busy}}, 1},
		{"view fills slots no item covers", ScheduleInformation{AvailabilityView: "0032",
			ScheduleItems: []ScheduleItem{item("busy", 3, 3.5)}},
			[]freebusy.Interval{{Start: h(2), End: h(3), Status: freebusy.OutOfOffice}, {Start: h(3), End: h(3.5), Status: freebusy.Busy}}, 1},
		{"no data is unknown", ScheduleInformation{AvailabilityView: "4400", ScheduleItems: []ScheduleItem{}},
			[]freebusy.Interval{{Start: h(0), End: h(2), Status: freebusy.Unknown}}, 0},
		{"free item overrides a stray view digit", ScheduleInformation{AvailabilityView: "2000",
			ScheduleItems: []ScheduleItem{item("free", 0, 1)}}, nil, 1},
		{"undocumented status reads as busy", ScheduleInformation{AvailabilityView: "0000",
			ScheduleItems: []ScheduleItem{item("elsewhere-ish", 0, 1)}},
			[]freebusy.Interval{{Start: h(0), End: h(1), Status: freebusy.Busy}}, 1},
		{"without items the view decides", ScheduleInformation{AvailabilityView: "0123"},
			[]freebusy.Interval{{Start: h(1), End: h(2), Status: freebusy.Tentative}, {Start: h(2), End: h(3), Status: freebusy.Busy}, {Start: h(3), End: h(4), Status: freebusy.OutOfOffice}}, 0},
		{"a short view without items leaves the rest unknown", ScheduleInformation{AvailabilityView: "02"},
			[]freebusy.Interval{{Start: h(1), End: h(2), Status: freebusy.Busy}, {Start: h(2), End: h(4), Status: freebusy.Unknown}}, 0},
		{"nothing at all is unknown", ScheduleInformation{},
			[]freebusy.Interval{{Start: h(0), End: h(4), Status: freebusy.Unknown}}, 0},
		{"a long view is clipped", ScheduleInformation{AvailabilityView: "000022"},
			nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := tt.info.Schedule("a", q, nil)
			require.NoError(t, err)
			require.Nil(t, s.Err)
			assert.Equal(t, tt.want, s.Intervals)
			assert.Empty(t, s.Events, "events only for DetailFull")
			full := q
			full.Detail = freebusy.DetailFull
			s, err = tt.info.Schedule("a", full, nil)
			require.NoError(t, err)
			assert.Len(t, s.Events, tt.event)
		})
	}
}

func TestGraphScheduleEvents(t *testing.T) {
	start := time.Date(2024, 3, 5, 8, 0, 0, 0, time.UTC)
	q := freebusy.Query{Attendees: []string{"a"}, Start: start, End: start.Add(4 * time.Hour), Detail: freebusy.DetailFull}
	info := ScheduleInformation{ScheduleItems: []ScheduleItem{
		{Status: "busy", Subject: "Lunch", Location: "Harry's", Start: NewDateTimeTimeZone(start, time.UTC, "UTC"), End: NewDateTimeTimeZone(start.Add(time.Hour), time.UTC, "UTC")},
		{Status: "oof", IsPrivate: true, Subject: "leaked", Start: NewDateTimeTimeZone(start.Add(2*time.Hour), time.UTC, "UTC"), End: NewDateTimeTimeZone(start.Add(3*time.Hour), time.UTC, "UTC")},
	}}
	s, err := info.Schedule("a", q, nil)
	require.NoError(t, err)
	assert.Equal(t, []freebusy.Event{
		{Start: start, End: start.Add(time.Hour), Status: freebusy.Busy, Subject: "Lunch", Location: "Harry's"},
		{Start: start.Add(2 * time.Hour), End: start.Add(3 * time.Hour), Status: freebusy.OutOfOffice, Private: true},
	}, s.Events)

	// The handler writes events as items, withholding private details.
	back, err := NewScheduleInformation(&s, q, ResponseOptions{})
	require.NoError(t, err)
	require.Len(t, back.ScheduleItems, 2)
	assert.Equal(t, "Lunch", back.ScheduleItems[0].Subject)
	assert.True(t, back.ScheduleItems[1].IsPrivate)
	assert.Empty(t, back.ScheduleItems[1].Subject)
}

// docs/exchange.md §3.2: a per-schedule error; microsoft-graph-docs-contrib
// issue #11225 shows responseCode "5009" for an unresolvable address.
func TestGraphScheduleErrors(t *testing.T) {
	q := freebusy.Query{Attendees: []string{"a"}, Start: time.Date(2024, 3, 5, 8, 0, 0, 0, time.UTC), End: time.Date(2024, 3, 5, 9, 0, 0, 0, time.UTC)}
	tests := []struct {
		code string
		want freebusy.Reason
	}{
		{"5009", freebusy.ReasonUnknownAttendee},
		{"ErrorMailRecipientNotFound", freebusy.ReasonUnknownAttendee},
		{"ErrorNoFreeBusyAccess", freebusy.ReasonAccessDenied},
		{"ErrorTimeoutExpired", freebusy.ReasonTimeout},
		{"ErrorServerBusy", freebusy.ReasonThrottled},
		{"9999", freebusy.ReasonInternal},
		{"", freebusy.ReasonInternal},
	}
	for _, tt := range tests {
		info := ScheduleInformation{ScheduleID: "a", Error: &FreeBusyError{ResponseCode: tt.code, Message: "m"}}
		s, err := info.Schedule("a", q, nil)
		require.NoError(t, err)
		require.NotNil(t, s.Err, tt.code)
		assert.Equal(t, tt.want, s.Err.Reason, tt.code)
		assert.Equal(t, "m", s.Err.Message)
	}

	// The handler writes what Graph writes for an unknown attendee, and
	// the address can be found again in the message (docs/exchange.md §2.7
	// form).
	failed := freebusy.Failed("x@contoso.com", q.Start, q.End, freebusy.ReasonUnknownAttendee, nil)
	info, err := NewScheduleInformation(&failed, q, ResponseOptions{})
	require.NoError(t, err)
	require.NotNil(t, info.Error)
	assert.Equal(t, "5009", info.Error.ResponseCode)
	assert.Equal(t, "Unable to resolve e-mail address <>SMTP:x@contoso.com to an Active Directory object.", info.Error.Message)
	addr, ok := exchange.FindRoutedAddress(info.Error.Message)
	require.True(t, ok)
	assert.Equal(t, "x@contoso.com", addr.Address)
	assert.Empty(t, info.AvailabilityView)
	assert.Nil(t, info.ScheduleItems)

	denied := freebusy.Failed("y", q.Start, q.End, freebusy.ReasonAccessDenied, nil)
	info, err = NewScheduleInformation(&denied, q, ResponseOptions{})
	require.NoError(t, err)
	assert.Equal(t, "ErrorNoFreeBusyAccess", info.Error.ResponseCode)

	// Unreadable entries fail that attendee only, with ReasonInvalid.
	resp := ScheduleResponse{Value: []ScheduleInformation{
		{ScheduleID: "a", AvailabilityView: "0x"},
		{ScheduleID: "b", ScheduleItems: []ScheduleItem{{Status: "busy", Start: DateTimeTimeZone{"yesterday", "UTC"}}}},
		{ScheduleID: "c", ScheduleItems: []ScheduleItem{{Status: "busy", Start: DateTimeTimeZone{"2024-03-05T08:00:00", "Mars/Olympus"}}}},
		{ScheduleID: "d", AvailabilityView: "0"},
	}}
	q.Attendees = []string{"a", "b", "c", "D", "e"}
	got := resp.Schedules(q)
	require.NoError(t, freebusy.CheckResult(q, got))
	for i, want := range []freebusy.Reason{freebusy.ReasonInvalid, freebusy.ReasonInvalid, freebusy.ReasonInvalid, freebusy.ReasonNone, freebusy.ReasonInternal} {
		if want == freebusy.ReasonNone {
			assert.Nil(t, got[i].Err, q.Attendees[i])
			continue
		}
		require.NotNil(t, got[i].Err, q.Attendees[i])
		assert.Equal(t, want, got[i].Err.Reason, q.Attendees[i])
	}
	assert.ErrorIs(t, got[0].Err, ErrAvailabilityView)
	assert.ErrorIs(t, got[1].Err, ErrDateTime)
	assert.ErrorIs(t, got[2].Err, ErrTimeZone)
	assert.ErrorIs(t, got[4].Err, ErrMismatch)
}

// docs/exchange.md §3.1, §3.2: dateTimeTimeZone with Windows or IANA
// names, seven fraction digits, no offset.
func TestGraphDateTimeTimeZone(t *testing.T) {
	tests := []struct {
		in   DateTimeTimeZone
		want string
	}{
		{DateTimeTimeZone{"2019-03-15T12:00:00.0000000", "Pacific Standard Time"}, "2019-03-15T19:00:00Z"},
		{DateTimeTimeZone{"2019-03-15T09:00:00", "Pacific Standard Time"}, "2019-03-15T16:00:00Z"},
		{DateTimeTimeZone{"2019-01-15T09:00:00", "pacific standard time"}, "2019-01-15T17:00:00Z"},
		{DateTimeTimeZone{"2019-03-15T12:00:00.1234567", "America/Los_Angeles"}, "2019-03-15T19:00:00.1234567Z"},
		{DateTimeTimeZone{"2024-03-05T08:00:00.0000000", "UTC"}, "2024-03-05T08:00:00Z"},
		{DateTimeTimeZone{"2024-03-05T08:00:00", ""}, "2024-03-05T08:00:00Z"},
		{DateTimeTimeZone{"2024-07-05T08:00:00", "W. Europe Standard Time"}, "2024-07-05T06:00:00Z"},
		{DateTimeTimeZone{"2024-03-05T08:00:00+01:00", "Pacific Standard Time"}, "2024-03-05T07:00:00Z"},
	}
	for _, tt := range tests {
		got, err := tt.in.Time()
		require.NoError(t, err, tt.in)
		assert.Equal(t, tt.want, got.Format(time.RFC3339Nano), tt.in)
	}
	for _, bad := range []DateTimeTimeZone{
		{"2019-03-15 12:00", "UTC"},
		{"2019-03-15T12:00:00", "Local"},
		{"2019-03-15T12:00:00", "Atlantis Standard Time"},
		{"2019-03-15T12:00:00", "../../etc/passwd"},
		{strings.Repeat("9", 100), "UTC"},
	} {
		_, err := bad.Time()
		assert.ErrorIs(t, err, ErrInvalid, bad)
		assert.ErrorIs(t, err, freebusy.ErrInvalid, bad)
	}
	la := graphLA(t)
	d := NewDateTimeTimeZone(time.Date(2019, 3, 15, 19, 0, 0, 0, time.UTC), la, "Pacific Standard Time")
	assert.Equal(t, DateTimeTimeZone{"2019-03-15T12:00:00.0000000", "Pacific Standard Time"}, d)
}

func TestGraphWorkingHours(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	require.NoError(t, err)
	wh := &freebusy.WorkingHours{Location: berlin, Periods: []freebusy.WorkingPeriod{
		{Days: []time.Weekday{time.Friday, time.Monday}, Start: 9 * time.Hour, End: 17*time.Hour + 30*time.Minute},
		{Days: []time.Weekday{time.Tuesday}, Start: 9 * time.Hour, End: 17*time.Hour + 30*time.Minute},
	}}
	g := NewWorkingHours(wh)
	require.NotNil(t, g)
	assert.Equal(t, &WorkingHours{
		DaysOfWeek: []string{"monday", "tuesday", "friday"},
		StartTime:  "09:00:00.0000000", EndTime: "17:30:00.0000000",
		TimeZone: &TimeZoneBase{Name: "W. Europe Standard Time"},
	}, g)
	back, err := g.WorkingHours(nil)
	require.NoError(t, err)
	assert.Equal(t, "Europe/Berlin", back.Location.String())
	assert.Equal(t, []freebusy.WorkingPeriod{{Days: []time.Weekday{time.Monday, time.Tuesday, time.Friday}, Start: 9 * time.Hour, End: 17*time.Hour + 30*time.Minute}}, back.Periods)

	// Periods with different times: Graph holds one; every working day
	// stays, with the span most days share (docs/mapping.md §4.10), and
	// the caller's hours are left as they were.
	wh.Periods[1].Start = 10 * time.Hour
	assert.Equal(t, []string{"monday", "tuesday", "friday"}, NewWorkingHours(wh).DaysOfWeek)
	assert.Equal(t, "09:00:00.0000000", NewWorkingHours(wh).StartTime)
	assert.Equal(t, []time.Weekday{time.Friday, time.Monday}, wh.Periods[0].Days)
	assert.Nil(t, NewWorkingHours(nil))
	assert.Nil(t, NewWorkingHours(&freebusy.WorkingHours{}))

	// A day ending at midnight.
	late := &WorkingHours{DaysOfWeek: []string{"Saturday"}, StartTime: "18:00:00", EndTime: "00:00:00.0000000", TimeZone: &TimeZoneBase{Name: "UTC"}}
	got, err := late.WorkingHours(nil)
	require.NoError(t, err)
	assert.Equal(t, 24*time.Hour, got.Periods[0].End)
	assert.Equal(t, "00:00:00.0000000", NewWorkingHours(got).EndTime)

	for name, bad := range map[string]*WorkingHours{
		"no zone":     {DaysOfWeek: []string{"monday"}, StartTime: "08:00:00", EndTime: "17:00:00"},
		"custom zone": {DaysOfWeek: []string{"monday"}, StartTime: "08:00:00", EndTime: "17:00:00", TimeZone: &TimeZoneBase{ODataType: "#microsoft.graph.customTimeZone", Name: "Customized Time Zone"}},
		"bad day":     {DaysOfWeek: []string{"funday"}, StartTime: "08:00:00", EndTime: "17:00:00", TimeZone: &TimeZoneBase{Name: "UTC"}},
		"bad time":    {DaysOfWeek: []string{"monday"}, StartTime: "8 am", EndTime: "17:00:00", TimeZone: &TimeZoneBase{Name: "UTC"}},
		"inverted":    {DaysOfWeek: []string{"monday"}, StartTime: "17:00:00", EndTime: "08:00:00", TimeZone: &TimeZoneBase{Name: "UTC"}},
	} {
		_, err := bad.WorkingHours(nil)
		assert.ErrorIs(t, err, ErrInvalid, name)
	}

	// A schedule with unreadable working hours keeps its intervals.
	q := freebusy.Query{Attendees: []string{"a"}, Start: time.Date(2024, 3, 5, 8, 0, 0, 0, time.UTC), End: time.Date(2024, 3, 5, 9, 0, 0, 0, time.UTC)}
	info := ScheduleInformation{AvailabilityView: "02", WorkingHours: &WorkingHours{TimeZone: &TimeZoneBase{Name: "Customized Time Zone"}}}
	s, err := info.Schedule("a", q, nil)
	require.NoError(t, err)
	assert.Nil(t, s.WorkingHours)
	assert.Len(t, s.Intervals, 1)
}

func TestGraphRequestCodec(t *testing.T) {
	q := freebusy.Query{Attendees: []string{"a@x", "b@x"}, Start: time.Date(2024, 3, 5, 8, 0, 0, 0, time.UTC), End: time.Date(2024, 3, 6, 8, 0, 0, 0, time.UTC)}
	var buf bytes.Buffer
	require.NoError(t, EncodeGetScheduleRequest(&buf, NewScheduleRequest(q)))
	assert.JSONEq(t, `{"schedules":["a@x","b@x"],"startTime":{"dateTime":"2024-03-05T08:00:00.0000000","timeZone":"UTC"},
		"endTime":{"dateTime":"2024-03-06T08:00:00.0000000","timeZone":"UTC"},"availabilityViewInterval":30}`, buf.String())

	// docs/exchange.md §3.1: null and absent intervals mean the default; evolution-ews's
	// "interval" key is ignored.
	for _, body := range []string{
		`{"schedules":["a"],"startTime":{"dateTime":"2024-03-05T08:00:00","timeZone":"UTC"},"endTime":{"dateTime":"2024-03-05T09:00:00","timeZone":"UTC"},"availabilityViewInterval":null}`,
		`{"schedules":["a"],"startTime":{"dateTime":"2024-03-05T08:00:00","timeZone":"UTC"},"endTime":{"dateTime":"2024-03-05T09:00:00","timeZone":"UTC"},"interval":15}`,
	} {
		req, err := DecodeGetScheduleRequest(strings.NewReader(body))
		require.NoError(t, err)
		got, err := req.Query()
		require.NoError(t, err)
		assert.Equal(t, freebusy.DefaultGranularity, got.Slot())
	}
	req := &ScheduleRequest{AvailabilityViewInterval: 15}
	var enc bytes.Buffer
	require.NoError(t, EncodeGetScheduleRequest(&enc, &ScheduleRequest{}))
	assert.NotContains(t, enc.String(), "availabilityViewInterval", "zero is omitted, never null")
	_ = req

	for name, body := range map[string]string{
		"empty":  "",
		"syntax": "{",
		"type":   `{"schedules":"a"}`,
	} {
		_, err := DecodeGetScheduleRequest(strings.NewReader(body))
		assert.ErrorIs(t, err, ErrSyntax, name)
	}
	_, err := DecodeGetScheduleRequest(strings.NewReader(`{"schedules":["` + strings.Repeat("a", MaxRequestBytes) + `"]}`))
	assert.ErrorIs(t, err, ErrTooLarge)
	_, err = (&ScheduleRequest{StartTime: DateTimeTimeZone{"2024-03-05T08:00:00", "UTC"}, EndTime: DateTimeTimeZone{"2024-03-05T09:00:00", "UTC"}, AvailabilityViewInterval: -5}).Query()
	assert.ErrorIs(t, err, freebusy.ErrBadGranularity)
}

// Response JSON keeps scheduleItems when empty (so "no items" and "field
// absent" stay apart) and omits it for failed entries.
func TestGraphResponseJSONShape(t *testing.T) {
	q := freebusy.Query{Attendees: []string{"a", "b"}, Start: time.Date(2024, 3, 5, 8, 0, 0, 0, time.UTC), End: time.Date(2024, 3, 5, 9, 0, 0, 0, time.UTC)}
	resp, err := NewScheduleResponse(q, []freebusy.Schedule{
		{Attendee: "a", Start: q.Start, End: q.End},
		freebusy.Failed("b", q.Start, q.End, freebusy.ReasonTimeout, nil),
	}, ResponseOptions{})
	require.NoError(t, err)
	b, err := json.Marshal(resp)
	require.NoError(t, err)
	assert.JSONEq(t, `{"value":[{"scheduleId":"a","availabilityView":"00","scheduleItems":[]},
		{"scheduleId":"b","error":{"message":"timeout","responseCode":"ErrorTimeoutExpired"}}]}`, string(b))
	back, err := DecodeGetScheduleResponse(bytes.NewReader(b))
	require.NoError(t, err)
	assert.NotNil(t, back.Value[0].ScheduleItems)
	assert.Nil(t, back.Value[1].ScheduleItems)
}

func TestGraphHandlerErrors(t *testing.T) {
	ok := freebusy.SourceFunc(func(_ context.Context, q freebusy.Query) ([]freebusy.Schedule, error) {
		out := make([]freebusy.Schedule, len(q.Attendees))
		for i, a := range q.Attendees {
			out[i] = freebusy.Schedule{Attendee: a, Start: q.Start, End: q.End}
		}
		return out, nil
	})
	body := func(n int, days int, interval int) string {
		req := ScheduleRequest{
			StartTime:                DateTimeTimeZone{"2024-03-01T00:00:00", "UTC"},
			EndTime:                  NewDateTimeTimeZone(time.Date(2024, 3, 1+days, 0, 0, 0, 0, time.UTC), time.UTC, "UTC"),
			AvailabilityViewInterval: interval,
		}
		for i := range n {
			req.Schedules = append(req.Schedules, strings.Repeat("x", i+1)+"@contoso.com")
		}
		b, _ := json.Marshal(req)
		return string(b)
	}
	tests := []struct {
		name   string
		method string
		path   string
		body   string
		src    freebusy.Source
		status int
		code   string
	}{
		{"me", http.MethodPost, "/me/calendar/getSchedule", body(2, 1, 30), ok, 200, ""},
		{"v1.0 prefix", http.MethodPost, "/v1.0/users/u%40contoso.com/calendar/getSchedule", body(20, 61, 0), ok, 200, ""},
		{"unknown path", http.MethodPost, "/me/calendar/events", body(1, 1, 30), ok, 404, "ResourceNotFound"},
		{"nested id", http.MethodPost, "/users/a/b/calendar/getSchedule", body(1, 1, 30), ok, 404, "ResourceNotFound"},
		{"GET", http.MethodGet, "/me/calendar/getSchedule", "", ok, 405, "BadRequest"},
		{"bad json", http.MethodPost, "/me/calendar/getSchedule", "{", ok, 400, "BadRequest"},
		{"too large", http.MethodPost, "/me/calendar/getSchedule", `{"schedules":["` + strings.Repeat("a", MaxRequestBytes) + `"]}`, ok, 413, "BadRequest"},
		{"21 schedules", http.MethodPost, "/me/calendar/getSchedule", body(21, 1, 30), ok, 400, "ErrorIndividualMailboxLimitReached"},
		{"63 days", http.MethodPost, "/me/calendar/getSchedule", body(1, 63, 30), ok, 400, "ErrorTimeIntervalTooBig"},
		// Graph wants less than 62 days (docs/exchange.md §3.3).
		{"62 days", http.MethodPost, "/me/calendar/getSchedule", body(1, 62, 30), ok, 400, "ErrorTimeIntervalTooBig"},
		{"interval 4", http.MethodPost, "/me/calendar/getSchedule", body(1, 1, 4), ok, 400, "ErrorInvalidMergedFreeBusyInterval"},
		{"inverted window", http.MethodPost, "/me/calendar/getSchedule", body(1, -1, 30), ok, 400, "ErrorInvalidTimeInterval"},
		{"no schedules", http.MethodPost, "/me/calendar/getSchedule", body(0, 1, 30), ok, 400, "ErrorInvalidRequest"},
		{"source throttled", http.MethodPost, "/me/calendar/getSchedule", body(1, 1, 30),
			freebusy.SourceFunc(func(context.Context, freebusy.Query) ([]freebusy.Schedule, error) {
				return nil, &freebusy.Error{Reason: freebusy.ReasonThrottled, RetryAfter: 1500 * time.Millisecond}
			}), 429, "TooManyRequests"},
		{"source down", http.MethodPost, "/me/calendar/getSchedule", body(1, 1, 30),
			freebusy.SourceFunc(func(context.Context, freebusy.Query) ([]freebusy.Schedule, error) {
				return nil, freebusy.NewError("", freebusy.ReasonUnavailable, nil)
			}), 503, "ServiceNotAvailable"},
		{"source timeout", http.MethodPost, "/me/calendar/getSchedule", body(1, 1, 30),
			freebusy.SourceFunc(func(context.Context, freebusy.Query) ([]freebusy.Schedule, error) {
				return nil, context.DeadlineExceeded
			}), 504, "ErrorTimeoutExpired"},
		{"source breaks its contract", http.MethodPost, "/me/calendar/getSchedule", body(2, 1, 30),
			freebusy.SourceFunc(func(context.Context, freebusy.Query) ([]freebusy.Schedule, error) {
				return nil, nil
			}), 500, "ErrorInternalServerError"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(tt.method, tt.path, strings.NewReader(tt.body))
			w := httptest.NewRecorder()
			newTestHandler(t, tt.src).ServeHTTP(w, r)
			require.Equal(t, tt.status, w.Code, w.Body.String())
			if tt.code == "" {
				return
			}
			var env ErrorResponse
			require.NoError(t, json.Unmarshal(w.Body.Bytes(), &env))
			assert.Equal(t, tt.code, env.Error.Code)
			if tt.status == 429 {
				assert.Equal(t, "2", w.Header().Get("Retry-After"))
			}
			if tt.name == "63 days" {
				assert.Equal(t, "The requested time duration specified for FreeBusyViewOptions.TimeWindow is too long. The allowed limit = 62 days; the actual limit = 63 days.", env.Error.Message)
			}
		})
	}
}

func TestPreferredTimeZone(t *testing.T) {
	tests := []struct {
		in   []string
		want string
		ok   bool
	}{
		{[]string{`outlook.timezone="Pacific Standard Time"`}, "Pacific Standard Time", true},
		{[]string{`odata.maxpagesize=10, Outlook.TimeZone = "UTC"`}, "UTC", true},
		{[]string{`return=minimal`, `outlook.timezone=Europe/Berlin`}, "Europe/Berlin", true},
		{[]string{`outlook.timezone=""`}, "", false},
		{nil, "", false},
	}
	for _, tt := range tests {
		got, ok := preferredTimeZone(tt.in)
		assert.Equal(t, tt.ok, ok, tt.in)
		assert.Equal(t, tt.want, got, tt.in)
	}
}

func FuzzDecodeGetSchedule(f *testing.F) {
	f.Add(readGraphGolden(f, "getschedule-docs-response.json"))
	f.Add([]byte(`{"value":[{"scheduleId":"adelev@contoso.com","availabilityView":"4","error":{"message":"m","responseCode":"5009"}}]}`))
	f.Add([]byte(`{"value":[{"scheduleId":"meganb@contoso.com","availabilityView":"0123","scheduleItems":[{"status":"workingElsewhere","start":{"dateTime":"2019-03-15T09:00:00","timeZone":"UTC"},"end":{"dateTime":"2019-03-15T08:00:00","timeZone":"UTC"}}],"workingHours":{"daysOfWeek":["sunday"],"startTime":"23:00:00","endTime":"00:00:00","timeZone":{"name":"Tokyo Standard Time"}}}]}`))
	f.Add([]byte(`{"value":null}`))
	f.Add([]byte(`[]`))
	f.Add(readGraphGolden(f, "getschedule-docs-request.json"))
	f.Add([]byte(`{"schedules":["a@x"],"startTime":{"dateTime":"2024-03-05T08:00:00","timeZone":"UTC"},"endTime":{"dateTime":"2024-03-05T09:00:00","timeZone":"UTC"},"availabilityViewInterval":" 15"}`))
	f.Add([]byte(`{"schedules":["a@x"],"availabilityViewInterval":"1\u0035","x":[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]}`))
	f.Add([]byte(`{"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#Collection(microsoft.graph.scheduleInformation)","value":[{"scheduleId":"a","scheduleItems":[{},{},{}]}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		// The same bytes as a request, as Handler reads them.
		if req, err := DecodeGetScheduleRequest(bytes.NewReader(body)); err == nil {
			if q, err := req.Query(); err == nil {
				_ = freebusy.DefaultLimits().Validate(q)
			} else if !errors.Is(err, freebusy.ErrInvalid) {
				t.Fatalf("request query error %v is not typed", err)
			}
		} else if _, ok := errors.AsType[*FormatError](err); !ok {
			t.Fatalf("request error %v is not a *FormatError", err)
		}
		resp, err := DecodeGetScheduleResponse(bytes.NewReader(body))
		if err != nil {
			if !graphErrorsIsAll(err, ErrInvalid, freebusy.ErrInvalid) {
				t.Fatalf("error %v is not a *FormatError", err)
			}
			return
		}
		q := graphDocsQuery(t)
		q.Detail = freebusy.DetailFull
		schedules := resp.Schedules(q)
		if err := freebusy.CheckResult(q, schedules); err != nil {
			t.Fatal(err)
		}
		for _, s := range schedules {
			if s.Err != nil {
				if s.Err.Reason == freebusy.ReasonNone || len(s.Intervals) > 0 {
					t.Fatalf("failed schedule %+v", s)
				}
				continue
			}
			if _, err := s.AvailabilityView(q.Slot(), freebusy.ViewOptions{}); err != nil {
				t.Fatalf("decoded schedule does not render: %v", err)
			}
			for _, x := range s.Intervals {
				if x.Start.Before(q.Start) || x.End.After(q.End) || !x.Start.Before(x.End) {
					t.Fatalf("interval %s outside the window", x)
				}
			}
			if _, err := NewScheduleInformation(&s, q, ResponseOptions{}); err != nil {
				t.Fatalf("decoded schedule does not encode: %v", err)
			}
		}
	})
}

func graphErrorsIsAll(err error, targets ...error) bool {
	for _, t := range targets {
		if !errors.Is(err, t) {
			return false
		}
	}
	return true
}

// Items written in a Prefer zone across the US DST change (10 March 2024)
// keep their instants: 17:00Z is 09:00 PST before and 10:00 PDT after.
// Working elsewhere survives the round trip through the items although the
// view shows it as 0 (docs/exchange.md §3.2).
func TestGraphRoundTripAcrossDST(t *testing.T) {
	la := graphLA(t)
	start := time.Date(2024, 3, 9, 0, 0, 0, 0, time.UTC)
	q := freebusy.Query{Attendees: []string{"a"}, Start: start, End: start.Add(72 * time.Hour), Granularity: time.Hour}
	s := freebusy.Schedule{Attendee: "a", Start: q.Start, End: q.End}
	for d := range 3 {
		at := start.Add(time.Duration(d)*24*time.Hour + 17*time.Hour)
		s.Intervals = append(s.Intervals, freebusy.Interval{Start: at, End: at.Add(time.Hour), Status: freebusy.Busy})
	}
	s.Intervals = append(s.Intervals, freebusy.Interval{Start: start.Add(20 * time.Hour), End: start.Add(22 * time.Hour), Status: freebusy.WorkingElsewhere})

	info, err := NewScheduleInformation(&s, q, ResponseOptions{Location: la, TimeZone: "Pacific Standard Time"})
	require.NoError(t, err)
	var starts []string
	for _, it := range info.ScheduleItems {
		starts = append(starts, it.Start.DateTime)
	}
	assert.Equal(t, []string{
		"2024-03-09T09:00:00.0000000", "2024-03-09T12:00:00.0000000",
		"2024-03-10T10:00:00.0000000", "2024-03-11T10:00:00.0000000",
	}, starts)
	assert.Equal(t, byte('0'), info.AvailabilityView[20], "working elsewhere is 0 in the view")

	back, err := info.Schedule("a", q, nil)
	require.NoError(t, err)
	assert.Equal(t, s.Intervals[3], back.Intervals[1], "working elsewhere kept by the items")
	_, err = s.Normalize()
	require.NoError(t, err)
	assert.Equal(t, s.Intervals, back.Intervals)
}
