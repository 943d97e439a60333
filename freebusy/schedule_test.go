package freebusy

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestScheduleStatusAt(t *testing.T) {
	s := Schedule{
		Attendee: "a",
		Start:    tm(t, "08:00"),
		End:      tm(t, "18:00"),
		Intervals: spans(t,
			span{"09:00", "11:00", Tentative},
			span{"10:00", "10:30", Busy}, // overlapping, not normalized
			span{"12:00", "13:00", Unknown},
			span{"12:30", "12:45", Free}, // explicit Free beats Unknown
			span{"14:00", "15:00", OutOfOffice},
			span{"14:00", "15:00", WorkingElsewhere},
		),
	}
	tests := []struct {
		at   string
		want Status
	}{
		{"07:59", Unknown}, // before the window
		{"08:00", Free},
		{"09:00", Tentative},
		{"10:00", Busy},
		{"10:30", Tentative},
		{"11:00", Free}, // half-open
		{"12:00", Unknown},
		{"12:30", Free},
		{"12:45", Unknown},
		{"14:30", OutOfOffice},
		{"17:59", Free},
		{"18:00", Unknown}, // the window is half-open too
	}
	for _, tt := range tests {
		t.Run(tt.at, func(t *testing.T) {
			assert.Equal(t, tt.want, s.StatusAt(tm(t, tt.at)))
		})
	}
	failed := s
	failed.Err = NewError("a", ReasonTimeout, nil)
	assert.Equal(t, Unknown, failed.StatusAt(tm(t, "10:00")), "a failed schedule knows nothing")
	assert.False(t, failed.OK())
	assert.True(t, s.OK())
}

func TestFailedAndFailAll(t *testing.T) {
	berlin := mustLoad(t, "Europe/Berlin")
	q := Query{Attendees: []string{"a", "b", "c"}, Start: time.Date(2024, 3, 5, 9, 0, 0, 0, berlin), End: time.Date(2024, 3, 5, 17, 0, 0, 0, berlin)}
	cause := context.DeadlineExceeded
	all := FailAll(q, ReasonUnavailable, cause)
	require.Len(t, all, 3)
	for i, s := range all {
		assert.Equal(t, q.Attendees[i], s.Attendee, "query order")
		assert.Equal(t, time.UTC, s.Start.Location())
		assert.True(t, q.Start.Equal(s.Start))
		assert.True(t, q.End.Equal(s.End))
		require.NotNil(t, s.Err)
		assert.Equal(t, q.Attendees[i], s.Err.Attendee)
		assert.ErrorIs(t, s.Err, ErrUnavailable)
		assert.ErrorIs(t, s.Err, context.DeadlineExceeded)
		assert.Empty(t, s.Intervals)
		assert.Equal(t, Unknown, s.StatusAt(tm(t, "10:00")))
	}
	assert.NoError(t, CheckResult(q, all))
}

func TestCheckResult(t *testing.T) {
	q := Query{Attendees: []string{"a@example.com", "b@example.com"}, Start: tm(t, "08:00"), End: tm(t, "18:00")}
	tests := []struct {
		name      string
		attendees []string
		ok        bool
	}{
		{"exact", []string{"a@example.com", "b@example.com"}, true},
		{"case differs", []string{"A@Example.COM", "b@example.com"}, true},
		{"swapped", []string{"b@example.com", "a@example.com"}, false},
		{"missing", []string{"a@example.com"}, false},
		{"extra", []string{"a@example.com", "b@example.com", "c"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ss []Schedule
			for _, a := range tt.attendees {
				ss = append(ss, Schedule{Attendee: a})
			}
			err := CheckResult(q, ss)
			if tt.ok {
				assert.NoError(t, err)
				return
			}
			assert.ErrorIs(t, err, ErrInternal)
			assert.Equal(t, ReasonInternal, ReasonOf(err))
		})
	}
}

func TestSourceFunc(t *testing.T) {
	var src Source = SourceFunc(func(ctx context.Context, q Query) ([]Schedule, error) {
		if err := q.Validate(); err != nil {
			return nil, err
		}
		return FailAll(q, ReasonTimeout, nil), nil
	})
	ss, err := src.FreeBusy(context.Background(), Query{Attendees: []string{"a"}, Start: tm(t, "08:00"), End: tm(t, "09:00")})
	require.NoError(t, err)
	require.Len(t, ss, 1)
	assert.ErrorIs(t, ss[0].Err, ErrTimeout)
	_, err = src.FreeBusy(context.Background(), Query{})
	assert.ErrorIs(t, err, ErrNoAttendees)
}

func TestScheduleJSONRoundTrip(t *testing.T) {
	ny := mustLoad(t, "America/New_York")
	s := Schedule{
		Attendee:  "a@example.com",
		Start:     tm(t, "00:00"),
		End:       tm(t, "d+1 00:00"),
		Intervals: spans(t, span{"09:00", "10:00", Busy}, span{"12:00", "13:00", Unknown}, span{"14:00", "15:00", WorkingElsewhere}),
		Events: []Event{{Start: tm(t, "09:00"), End: tm(t, "10:00"), Status: Busy, ID: "AAMk", Subject: "Review",
			Location: "Room 1", Meeting: true, Recurring: true, Reminder: true}},
		WorkingHours: &WorkingHours{Location: ny, Periods: []WorkingPeriod{
			{Days: []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday}, Start: 8 * time.Hour, End: 17 * time.Hour},
		}},
		AsOf:  tm(t, "07:00"),
		Stale: true,
	}
	b, err := json.Marshal(s)
	require.NoError(t, err)
	assert.Contains(t, string(b), `"workingHours":{"timeZone":"America/New_York","periods":[{"days":["monday","tuesday","wednesday","thursday","friday"],"start":"08:00","end":"17:00"}]}`)
	assert.Contains(t, string(b), `{"start":"2024-03-05T12:00:00Z","end":"2024-03-05T13:00:00Z","status":"unknown"}`)
	assert.Contains(t, string(b), `"asOf":"2024-03-05T07:00:00Z","stale":true`)
	assert.NotContains(t, string(b), `"error"`)

	var back Schedule
	require.NoError(t, json.Unmarshal(b, &back))
	require.NotNil(t, back.WorkingHours)
	assert.Equal(t, "America/New_York", back.WorkingHours.Location.String())
	assert.Equal(t, s.WorkingHours.Periods, back.WorkingHours.Periods)
	back.WorkingHours, s.WorkingHours = nil, nil
	assert.Equal(t, s, back)

	failed := Failed("b@example.com", tm(t, "00:00"), tm(t, "d+1 00:00"), ReasonThrottled, errors.New("ErrorServerBusy"))
	failed.Err.RetryAfter = time.Minute
	b, err = json.Marshal(failed)
	require.NoError(t, err)
	assert.JSONEq(t, `{"attendee":"b@example.com","start":"2024-03-05T00:00:00Z","end":"2024-03-06T00:00:00Z",
		"error":{"attendee":"b@example.com","reason":"throttled","message":"ErrorServerBusy","retryAfterMs":60000}}`, string(b))
	var fback Schedule
	require.NoError(t, json.Unmarshal(b, &fback))
	require.NotNil(t, fback.Err)
	assert.ErrorIs(t, fback.Err, ErrThrottled)
	assert.Equal(t, time.Minute, fback.Err.RetryAfter)
	assert.Nil(t, fback.Err.Cause)
	assert.False(t, fback.OK())
}

func TestScheduleJSONRejectsBadData(t *testing.T) {
	tests := map[string]string{
		"status":        `{"attendee":"a","intervals":[{"start":"2024-03-05T09:00:00Z","end":"2024-03-05T10:00:00Z","status":"snoozing"}]}`,
		"reason":        `{"attendee":"a","error":{"reason":"bored"}}`,
		"time zone":     `{"attendee":"a","workingHours":{"timeZone":"Mars/Olympus","periods":[]}}`,
		"local zone":    `{"attendee":"a","workingHours":{"timeZone":"Local","periods":[]}}`,
		"clock":         `{"attendee":"a","workingHours":{"timeZone":"UTC","periods":[{"days":["monday"],"start":"9:00","end":"17:00"}]}}`,
		"weekday":       `{"attendee":"a","workingHours":{"timeZone":"UTC","periods":[{"days":["funday"],"start":"09:00","end":"17:00"}]}}`,
		"inverted hour": `{"attendee":"a","workingHours":{"timeZone":"UTC","periods":[{"days":["monday"],"start":"17:00","end":"09:00"}]}}`,
	}
	for name, in := range tests {
		t.Run(name, func(t *testing.T) {
			var s Schedule
			assert.Error(t, json.Unmarshal([]byte(in), &s))
		})
	}
}
