package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/calbridge/calbridge/freebusy"
	"github.com/calbridge/calbridge/internal/sample"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// docsContext is the "@odata.context" of the example response in
// Microsoft Graph documentation "calendar: getSchedule".
const docsContext = "https://graph.microsoft.com/v1.0/$metadata#Collection(microsoft.graph.scheduleInformation)"

// emptySource answers every attendee with free time.
var emptySource = freebusy.SourceFunc(func(_ context.Context, q freebusy.Query) ([]freebusy.Schedule, error) {
	out := make([]freebusy.Schedule, len(q.Attendees))
	for i, a := range q.Attendees {
		out[i] = freebusy.Schedule{Attendee: a, Start: q.Start, End: q.End}
	}
	return out, nil
})

// serve posts body to path and returns the recorder.
func serve(t *testing.T, h http.Handler, path, body string) *httptest.ResponseRecorder {
	t.Helper()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodPost, path, strings.NewReader(body)))
	return w
}

// graphErrorCode decodes Graph's error envelope.
func graphErrorCode(t *testing.T, w *httptest.ResponseRecorder) string {
	t.Helper()
	var env ErrorResponse
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &env), w.Body.String())
	assert.NotEmpty(t, env.Error.Message)
	return env.Error.Code
}

// A one-hour request over the docs example's first attendee.
const hourRequest = `{"schedules":["adelev@contoso.com"],"startTime":{"dateTime":"2019-03-15T09:00:00","timeZone":"Pacific Standard Time"},"endTime":{"dateTime":"2019-03-15T10:00:00","timeZone":"Pacific Standard Time"}%s}`

// Graph's path segments are case-insensitive: the documented
// /me/calendar/getSchedule and /users/{id}/calendar/getSchedule
// ("calendar: getSchedule", HTTP request) route in any case, with or
// without /v1.0; anything else is still 404 with Graph's error envelope.
func TestGraphHandlerPathsIgnoreCase(t *testing.T) {
	h := newTestHandler(t, emptySource)
	body := strings.Replace(hourRequest, "%s", "", 1)
	for _, path := range []string{
		"/v1.0/me/calendar/getSchedule",
		"/v1.0/me/calendar/getschedule",
		"/V1.0/ME/CALENDAR/GETSCHEDULE",
		"/me/Calendar/GetSchedule",
		"/v1.0/users/AdeleV@contoso.com/calendar/getschedule",
		"/v1.0/Users/0b6bd2a4-9b8f-4b2e-9e5f-3f1d2c4b5a6e/Calendar/getSchedule",
	} {
		w := serve(t, h, path, body)
		assert.Equal(t, http.StatusOK, w.Code, "%s: %s", path, w.Body.String())
	}
	for _, path := range []string{
		"/v1.0/me/calendar/getschedules",
		"/v1.0/me/calendar/getSchedule/",
		"/v2.0/me/calendar/getSchedule",
		"/v1.0x/me/calendar/getSchedule",
		"/v1.0/users//calendar/getSchedule",
		"/v1.0/users/a/b/calendar/getSchedule",
		"/v1.0/mE/calendars/getSchedule",
		"/v1.0/getSchedule",
		"/",
	} {
		w := serve(t, h, path, body)
		require.Equal(t, http.StatusNotFound, w.Code, path)
		assert.Equal(t, "ResourceNotFound", graphErrorCode(t, w), path)
	}
}

// availabilityViewInterval is an Edm.Int32 ("calendar: getSchedule",
// request body); some clients send it as a string. A number or a string of
// digits is read; any other value is a typed error, and the Handler's
// answer is Graph's 400 error envelope.
func TestGraphIntervalNumberOrString(t *testing.T) {
	const bad = -1 << 40 // refused
	for raw, want := range map[string]int{
		`,"availabilityViewInterval":15`:            15,
		`,"availabilityViewInterval":"15"`:          15,
		`,"availabilityViewInterval":" 60 "`:        60,
		`,"availabilityViewInterval":null`:          0,
		`,"availabilityViewInterval":"-5"`:          -5, // read; Query refuses it
		`,"availabilityViewInterval":1.0e1`:         bad,
		`,"availabilityViewInterval":"15.5"`:        bad,
		`,"availabilityViewInterval":"fifteen"`:     bad,
		`,"availabilityViewInterval":""`:            bad,
		`,"availabilityViewInterval":true`:          bad,
		`,"availabilityViewInterval":[15]`:          bad,
		`,"availabilityViewInterval":"99999999999"`: bad,
	} {
		req, err := DecodeGetScheduleRequest(strings.NewReader(strings.Replace(hourRequest, "%s", raw, 1)))
		if want == bad {
			require.Error(t, err, raw)
			assert.ErrorIs(t, err, ErrInterval, raw)
			assert.True(t, graphErrorsIsAll(err, ErrInvalid, freebusy.ErrInvalid), raw)
			fe, ok := err.(*FormatError)
			require.True(t, ok, raw)
			assert.Equal(t, "availabilityViewInterval", fe.Field)
			continue
		}
		require.NoError(t, err, raw)
		assert.Equal(t, want, req.AvailabilityViewInterval, raw)
		assert.Equal(t, []string{"adelev@contoso.com"}, req.Schedules, "the other fields are still read")
	}

	h := newTestHandler(t, emptySource)
	w := serve(t, h, "/me/calendar/getSchedule", strings.Replace(hourRequest, "%s", `,"availabilityViewInterval":"15"`, 1))
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	resp, err := DecodeGetScheduleResponse(w.Body)
	require.NoError(t, err)
	assert.Equal(t, "0000", resp.Value[0].AvailabilityView, "four 15-minute slots")

	w = serve(t, h, "/me/calendar/getSchedule", strings.Replace(hourRequest, "%s", `,"availabilityViewInterval":"quarter"`, 1))
	require.Equal(t, http.StatusBadRequest, w.Code)
	assert.Equal(t, "ErrorInvalidRequest", graphErrorCode(t, w))
	assert.Contains(t, w.Body.String(), "availabilityViewInterval")

	// Encoding still writes a number.
	var buf bytes.Buffer
	require.NoError(t, EncodeGetScheduleRequest(&buf, &ScheduleRequest{AvailabilityViewInterval: 15}))
	assert.Contains(t, buf.String(), `"availabilityViewInterval":15`)
}

// Answers carry "@odata.context" as the example response of "calendar:
// getSchedule" does, under the Handler's base URL; the Client ignores it.
func TestGraphODataContext(t *testing.T) {
	body := strings.Replace(hourRequest, "%s", "", 1)
	var golden struct {
		Context string `json:"@odata.context"`
	}
	require.NoError(t, json.Unmarshal(readGraphGolden(t, "getschedule-docs-response.json"), &golden))
	require.Equal(t, docsContext, golden.Context)

	w := serve(t, newTestHandler(t, emptySource), "/me/calendar/getSchedule", body)
	require.Equal(t, http.StatusOK, w.Code)
	resp, err := DecodeGetScheduleResponse(bytes.NewReader(w.Body.Bytes()))
	require.NoError(t, err)
	assert.Equal(t, docsContext, resp.ODataContext)
	assert.True(t, strings.HasPrefix(w.Body.String(), `{"@odata.context":`), "first, as Graph writes it")

	w = serve(t, newTestHandler(t, emptySource, WithBaseURL("http://gw.example.net:8080/graph/v1.0/")), "/v1.0/me/calendar/getSchedule", body)
	require.Equal(t, http.StatusOK, w.Code)
	resp, err = DecodeGetScheduleResponse(w.Body)
	require.NoError(t, err)
	assert.Equal(t, "http://gw.example.net:8080/graph/v1.0/$metadata#Collection(microsoft.graph.scheduleInformation)", resp.ODataContext)

	_, err = NewHandler(emptySource, WithBaseURL("gw.example.net/graph"))
	assert.ErrorIs(t, err, ErrInvalidOption)

	// The Client reads answers whatever their context says.
	_, newClient := graphServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"@odata.context":"https://elsewhere.example/$metadata#Collection(x)","value":[{"scheduleId":"a@contoso.com","availabilityView":"2","scheduleItems":[]}]}`))
	}))
	q := freebusy.Query{Attendees: []string{"a@contoso.com"}, Start: time.Date(2024, 3, 5, 9, 0, 0, 0, time.UTC), End: time.Date(2024, 3, 5, 9, 30, 0, 0, time.UTC)}
	got, err := newClient().FreeBusy(context.Background(), q)
	require.NoError(t, err)
	require.Nil(t, got[0].Err)
	assert.Equal(t, []freebusy.Interval{{Start: q.Start, End: q.End, Status: freebusy.Busy}}, got[0].Intervals)
}

// tradeShow is a whole-day item, 04:00 to 04:00 the next day (UTC).
func tradeShow() freebusy.Event {
	return freebusy.Event{
		Start: time.Date(2024, 3, 5, 4, 0, 0, 0, time.UTC), End: time.Date(2024, 3, 6, 4, 0, 0, 0, time.UTC),
		Status: freebusy.OutOfOffice, Subject: "Trade show", Location: "Hannover",
	}
}

// Graph writes scheduleItems whole and clips only availabilityView: in
// the example of "calendar: getSchedule" a window from 09:00 holds
// meganb's item from 08:30 ("scheduleItem resource type": start and end
// are the item's). A trade show from 04:00 to 04:00 next day, asked
// 06:00-12:00, comes back 04:00-04:00, its view six hours of 3.
func TestGraphItemsWhole(t *testing.T) {
	show := tradeShow()
	private := freebusy.Event{Start: time.Date(2024, 3, 5, 7, 0, 0, 0, time.UTC), End: time.Date(2024, 3, 5, 8, 0, 0, 0, time.UTC), Status: freebusy.Busy, Subject: "Doctor", Private: true}
	gone := freebusy.Event{Start: time.Date(2024, 3, 5, 12, 0, 0, 0, time.UTC), End: time.Date(2024, 3, 5, 13, 0, 0, 0, time.UTC), Status: freebusy.Busy}
	var asked freebusy.Query
	src := freebusy.SourceFunc(func(_ context.Context, q freebusy.Query) ([]freebusy.Schedule, error) {
		asked = q
		s := freebusy.Schedule{Attendee: q.Attendees[0], Start: q.Start, End: q.End,
			Intervals: []freebusy.Interval{{Start: q.Start, End: q.End, Status: freebusy.OutOfOffice}}}
		if q.Detail == freebusy.DetailFull {
			s.Events = []freebusy.Event{show, private, gone}
		}
		return []freebusy.Schedule{s}, nil
	})
	body := `{"schedules":["a@contoso.com"],"startTime":{"dateTime":"2024-03-05T06:00:00","timeZone":"UTC"},"endTime":{"dateTime":"2024-03-05T12:00:00","timeZone":"UTC"},"availabilityViewInterval":60}`
	utc := func(s string) DateTimeTimeZone { return DateTimeTimeZone{DateTime: s, TimeZone: "UTC"} }

	for _, details := range []bool{false, true} {
		w := serve(t, newTestHandler(t, src, WithDetails(details)), "/me/calendar/getSchedule", body)
		require.Equal(t, http.StatusOK, w.Code, w.Body.String())
		assert.Equal(t, freebusy.DetailFull, asked.Detail, "the Source is asked for whole items")
		resp, err := DecodeGetScheduleResponse(w.Body)
		require.NoError(t, err)
		info := resp.Value[0]
		assert.Equal(t, "333333", info.AvailabilityView, "the view is clipped to the window")
		want := []ScheduleItem{
			{Status: "oof", Start: utc("2024-03-05T04:00:00.0000000"), End: utc("2024-03-06T04:00:00.0000000")},
			{Status: "busy", IsPrivate: true, Start: utc("2024-03-05T07:00:00.0000000"), End: utc("2024-03-05T08:00:00.0000000")},
		}
		if details {
			want[0].Subject, want[0].Location = "Trade show", "Hannover"
		}
		assert.Equal(t, want, info.ScheduleItems, "details %v: items whole, the one after the window left out, private ones bare", details)
	}

	// The Client reads whole items as whole Events, the intervals clipped.
	h := newTestHandler(t, src, WithDetails(true))
	_, newClient := graphServer(t, h)
	q := freebusy.Query{Attendees: []string{"a@contoso.com"}, Start: time.Date(2024, 3, 5, 6, 0, 0, 0, time.UTC), End: time.Date(2024, 3, 5, 12, 0, 0, 0, time.UTC), Granularity: time.Hour, Detail: freebusy.DetailFull}
	got, err := newClient().FreeBusy(context.Background(), q)
	require.NoError(t, err)
	require.Nil(t, got[0].Err)
	require.Len(t, got[0].Events, 2)
	assert.Equal(t, show.Start, got[0].Events[0].Start)
	assert.Equal(t, show.End, got[0].Events[0].End)
	assert.Equal(t, "Trade show", got[0].Events[0].Subject)
	assert.Equal(t, []freebusy.Interval{{Start: q.Start, End: q.End, Status: freebusy.OutOfOffice}}, got[0].Intervals)

	// A schedule without Events has only clipped intervals: its items are
	// clipped, as is all the Source said.
	s := freebusy.Schedule{Attendee: "a", Start: q.Start, End: q.End, Intervals: []freebusy.Interval{{Start: q.Start, End: q.End, Status: freebusy.OutOfOffice}}}
	info, err := NewScheduleInformation(&s, q, ResponseOptions{})
	require.NoError(t, err)
	assert.Equal(t, []ScheduleItem{{Status: "oof", Start: utc("2024-03-05T06:00:00.0000000"), End: utc("2024-03-05T12:00:00.0000000")}}, info.ScheduleItems)
}

// The docs example ("calendar: getSchedule") through the Handler from a
// Source with whole Events: meganb's 08:30-09:30 item keeps its 08:30
// start, as in Microsoft's example response.
func TestGraphHandlerDocsExampleWholeItems(t *testing.T) {
	la := graphLA(t)
	at := func(h, m int) time.Time { return time.Date(2019, 3, 15, h, m, 0, 0, la).UTC() }
	src := freebusy.SourceFunc(func(_ context.Context, q freebusy.Query) ([]freebusy.Schedule, error) {
		out := make([]freebusy.Schedule, len(q.Attendees))
		for i, a := range q.Attendees {
			out[i] = freebusy.Schedule{Attendee: a, Start: q.Start, End: q.End}
		}
		ev := freebusy.Event{Start: at(8, 30), End: at(9, 30), Status: freebusy.Busy}
		out[1].Events = []freebusy.Event{ev}
		out[1].Intervals = []freebusy.Interval{{Start: q.Start, End: at(9, 30), Status: freebusy.Busy}}
		return out, nil
	})
	r := httptest.NewRequest(http.MethodPost, "/v1.0/me/calendar/getschedule", bytes.NewReader(readGraphGolden(t, "getschedule-docs-request.json")))
	r.Header.Set("Prefer", `outlook.timezone="Pacific Standard Time"`)
	w := httptest.NewRecorder()
	newTestHandler(t, src).ServeHTTP(w, r)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	resp, err := DecodeGetScheduleResponse(w.Body)
	require.NoError(t, err)

	var golden ScheduleResponse
	require.NoError(t, json.Unmarshal(readGraphGolden(t, "getschedule-docs-response.json"), &golden))
	wantItem := golden.Value[1].ScheduleItems[0]
	require.Equal(t, "2019-03-15T08:30:00.0000000", wantItem.Start.DateTime, "the example's item starts before the window")
	require.Len(t, resp.Value[1].ScheduleItems, 1)
	assert.Equal(t, wantItem.Start, resp.Value[1].ScheduleItems[0].Start)
	assert.Equal(t, wantItem.End, resp.Value[1].ScheduleItems[0].End)
	assert.Equal(t, "200000000", resp.Value[1].AvailabilityView)
}

// Graph's workingHours holds one startTime, endTime and daysOfWeek
// ("workingHours resource type"); EWS holds several periods. Every working
// day stays and the span most days share is written (docs/mapping.md
// §4.10).
func TestGraphWorkingHoursKeepEveryDay(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	require.NoError(t, err)
	h := time.Hour
	monThu := []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday}
	weekdays := []string{"monday", "tuesday", "wednesday", "thursday", "friday"}
	tests := []struct {
		name       string
		periods    []freebusy.WorkingPeriod
		days       []string
		start, end string
	}{
		{
			// The user's EWS hours: Mon-Thu 08-12 and 13-16:30, Fri 08-13.
			name: "EWS split days and short Friday",
			periods: []freebusy.WorkingPeriod{
				{Days: monThu, Start: 8 * h, End: 12 * h},
				{Days: monThu, Start: 13 * h, End: 16*h + 30*time.Minute},
				{Days: []time.Weekday{time.Friday}, Start: 8 * h, End: 13 * h},
			},
			days: weekdays, start: "08:00:00.0000000", end: "16:30:00.0000000",
		},
		{
			name: "one odd day does not stretch the others",
			periods: []freebusy.WorkingPeriod{
				{Days: []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday}, Start: 9 * h, End: 17 * h},
				{Days: []time.Weekday{time.Saturday}, Start: 7 * h, End: 9 * h},
			},
			days: append(weekdays[:5:5], "saturday"), start: "09:00:00.0000000", end: "17:00:00.0000000",
		},
		{
			name: "tie goes to the longer span",
			periods: []freebusy.WorkingPeriod{
				{Days: []time.Weekday{time.Monday}, Start: 8 * h, End: 12 * h},
				{Days: []time.Weekday{time.Tuesday}, Start: 9 * h, End: 17 * h},
			},
			days: []string{"monday", "tuesday"}, start: "09:00:00.0000000", end: "17:00:00.0000000",
		},
		{
			name: "then to the earlier start",
			periods: []freebusy.WorkingPeriod{
				{Days: []time.Weekday{time.Wednesday, time.Thursday}, Start: 9 * h, End: 17 * h},
				{Days: []time.Weekday{time.Monday, time.Tuesday}, Start: 8 * h, End: 16 * h},
			},
			days: []string{"monday", "tuesday", "wednesday", "thursday"}, start: "08:00:00.0000000", end: "16:00:00.0000000",
		},
		{
			name:    "Sunday first, as time.Weekday counts",
			periods: []freebusy.WorkingPeriod{{Days: []time.Weekday{time.Saturday, time.Sunday}, Start: 10 * h, End: 24 * h}},
			days:    []string{"sunday", "saturday"}, start: "10:00:00.0000000", end: "00:00:00.0000000",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := NewWorkingHours(&freebusy.WorkingHours{Location: berlin, Periods: tt.periods})
			require.NotNil(t, g)
			assert.Equal(t, &WorkingHours{DaysOfWeek: tt.days, StartTime: tt.start, EndTime: tt.end, TimeZone: &TimeZoneBase{Name: "W. Europe Standard Time"}}, g)
			back, err := g.WorkingHours(nil)
			require.NoError(t, err)
			require.Len(t, back.Periods, 1)
			assert.Len(t, back.Periods[0].Days, len(tt.days), "no day lost on the way back")
		})
	}
	assert.Nil(t, NewWorkingHours(&freebusy.WorkingHours{Location: berlin, Periods: []freebusy.WorkingPeriod{{Start: 8 * h, End: 9 * h}}}), "no days")
}

// Bodies nested deeper than MaxDepth or holding more elements than the
// limits are refused before encoding/json reads them, with typed errors
// and Graph's 400 error envelope.
func TestGraphJSONShapeLimits(t *testing.T) {
	deep := `{"schedules":["a@contoso.com"],"x":` + strings.Repeat("[", 100_000) + strings.Repeat("]", 100_000) + `}`
	_, err := DecodeGetScheduleRequest(strings.NewReader(deep))
	assert.ErrorIs(t, err, ErrTooDeep)
	assert.True(t, graphErrorsIsAll(err, ErrInvalid, freebusy.ErrInvalid))
	_, err = DecodeGetScheduleResponse(strings.NewReader(`{"value":[{"scheduleItems":[{"start":` + strings.Repeat(`{"a":`, MaxDepth) + `1` + strings.Repeat("}", MaxDepth) + `}]}]}`))
	assert.ErrorIs(t, err, ErrTooDeep)

	// At the limit: an unknown field nested to MaxDepth is ignored.
	atLimit := `{"schedules":["a@contoso.com"],"x":` + strings.Repeat("[", MaxDepth-1) + strings.Repeat("]", MaxDepth-1) + `}`
	_, err = DecodeGetScheduleRequest(strings.NewReader(atLimit))
	require.NoError(t, err)

	many := `{"schedules":[` + strings.Repeat(`"a",`, MaxRequestElements) + `"a"]}`
	_, err = DecodeGetScheduleRequest(strings.NewReader(many))
	assert.ErrorIs(t, err, ErrTooManyElements)
	items := `{"value":[{"scheduleItems":[` + strings.Repeat(`{},`, MaxResponseElements) + `{}]}]}`
	_, err = DecodeGetScheduleResponse(strings.NewReader(items))
	assert.ErrorIs(t, err, ErrTooManyElements)

	h := newTestHandler(t, emptySource)
	for name, body := range map[string]string{"deep": deep, "many": many} {
		w := serve(t, h, "/me/calendar/getSchedule", body)
		require.Equal(t, http.StatusBadRequest, w.Code, name)
		assert.Equal(t, "BadRequest", graphErrorCode(t, w), name)
	}
}

// TestGraphHandlerBufferedSource: over a freebusy.BufferedSource the
// Handler asks FreeBusyInto, answers as over the plain Source, and resets
// the buffer only after the response is written.
func TestGraphHandlerBufferedSource(t *testing.T) {
	src := freebusy.SourceFunc(func(_ context.Context, q freebusy.Query) ([]freebusy.Schedule, error) {
		s := freebusy.Schedule{Attendee: q.Attendees[0], Start: q.Start, End: q.End,
			Intervals: []freebusy.Interval{{Start: q.Start, End: q.End, Status: freebusy.OutOfOffice}},
			Events:    []freebusy.Event{tradeShow()}}
		return []freebusy.Schedule{s}, nil
	})
	body := `{"schedules":["a@contoso.com"],"startTime":{"dateTime":"2024-03-05T06:00:00","timeZone":"UTC"},"endTime":{"dateTime":"2024-03-05T12:00:00","timeZone":"UTC"},"availabilityViewInterval":60}`
	want := serve(t, newTestHandler(t, src, WithDetails(true)), "/me/calendar/getSchedule", body)
	require.Equal(t, http.StatusOK, want.Code, want.Body.String())
	buffered := &sample.Buffered{Src: src}
	h := newTestHandler(t, buffered, WithDetails(true))
	for range 2 {
		got := serve(t, h, "/me/calendar/getSchedule", body)
		require.Equal(t, http.StatusOK, got.Code, got.Body.String())
		require.Equal(t, want.Body.String(), got.Body.String())
	}
	require.Equal(t, 2, buffered.Calls())
	require.True(t, buffered.AllReset(), "the buffer was reset after the response")
}
