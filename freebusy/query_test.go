package freebusy

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func validQuery(t testing.TB) Query {
	return Query{Attendees: []string{"a@example.com", "b@example.com"}, Start: tm(t, "08:00"), End: tm(t, "d+1 08:00")}
}

func TestQuerySlot(t *testing.T) {
	assert.Equal(t, 30*time.Minute, Query{}.Slot(), "zero means the EWS/Graph default")
	assert.Equal(t, 15*time.Minute, Query{Granularity: 15 * time.Minute}.Slot())
}

func TestQueryValidate(t *testing.T) {
	many := make([]string, 101)
	for i := range many {
		many[i] = fmt.Sprintf("u%d@example.com", i)
	}
	tests := []struct {
		name   string
		modify func(q *Query)
		cond   error
		field  string
	}{
		{"valid", func(q *Query) {}, nil, ""},
		{"valid granularity bounds 5", func(q *Query) { q.Granularity = 5 * time.Minute }, nil, ""},
		{"valid granularity bounds 1440", func(q *Query) { q.Granularity = 1440 * time.Minute }, nil, ""},
		{"valid 62 days", func(q *Query) { q.End = q.Start.Add(62 * 24 * time.Hour) }, nil, ""},
		{"valid 100 attendees", func(q *Query) { q.Attendees = many[:100] }, nil, ""},
		{"no attendees", func(q *Query) { q.Attendees = nil }, ErrNoAttendees, "Attendees"},
		{"empty attendee", func(q *Query) { q.Attendees = []string{"a", " "} }, ErrEmptyAttendee, "Attendees"},
		{"duplicate ignoring case", func(q *Query) { q.Attendees = []string{"A@Example.com", "a@example.com"} }, ErrDuplicateAttendee, "Attendees"},
		{"101 attendees", func(q *Query) { q.Attendees = many }, ErrTooManyAttendees, "Attendees"},
		{"empty window", func(q *Query) { q.End = q.Start }, ErrEmptyWindow, "Start"},
		{"inverted window", func(q *Query) { q.Start, q.End = q.End, q.Start }, ErrEmptyWindow, "Start"},
		{"62 days and a second", func(q *Query) { q.End = q.Start.Add(62*24*time.Hour + time.Second) }, ErrWindowTooLong, "End"},
		{"granularity 4m", func(q *Query) { q.Granularity = 4 * time.Minute }, ErrBadGranularity, "Granularity"},
		{"granularity 1441m", func(q *Query) { q.Granularity = 1441 * time.Minute }, ErrBadGranularity, "Granularity"},
		{"granularity not whole minutes", func(q *Query) { q.Granularity = 15*time.Minute + time.Second }, ErrBadGranularity, "Granularity"},
		{"negative granularity", func(q *Query) { q.Granularity = -30 * time.Minute }, ErrBadGranularity, "Granularity"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := validQuery(t)
			tt.modify(&q)
			err := q.Validate()
			if tt.cond == nil {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			qe, ok := errors.AsType[*QueryError](err)
			require.True(t, ok, "want *QueryError, got %T", err)
			assert.Equal(t, tt.field, qe.Field)
			assert.NotEmpty(t, qe.Detail)
			assert.ErrorIs(t, err, tt.cond)
			assert.ErrorIs(t, err, ErrInvalidQuery)
			assert.ErrorIs(t, err, ErrInvalid)
			assert.Equal(t, ReasonInvalid, ReasonOf(err))
			assert.Contains(t, err.Error(), tt.cond.Error())
		})
	}
}

func TestLimitsValidate(t *testing.T) {
	tight := Limits{MaxWindow: 7 * 24 * time.Hour, MaxAttendees: 2, MinGranularity: 15 * time.Minute, MaxGranularity: 60 * time.Minute}
	tests := []struct {
		name   string
		limits Limits
		modify func(q *Query)
		cond   error
	}{
		{"tight accepts", tight, func(q *Query) { q.Granularity = 15 * time.Minute }, nil},
		{"tight window", tight, func(q *Query) { q.End = q.Start.Add(8 * 24 * time.Hour) }, ErrWindowTooLong},
		{"tight attendees", tight, func(q *Query) { q.Attendees = append(q.Attendees, "c") }, ErrTooManyAttendees},
		{"tight min granularity", tight, func(q *Query) { q.Granularity = 10 * time.Minute }, ErrBadGranularity},
		{"tight max granularity", tight, func(q *Query) { q.Granularity = 90 * time.Minute }, ErrBadGranularity},
		{"tight zero granularity is the default", tight, func(q *Query) { q.Granularity = 0 }, nil},
		{"zero limits mean defaults", Limits{}, func(q *Query) { q.End = q.Start.Add(63 * 24 * time.Hour) }, ErrWindowTooLong},
		{"zero limits accept defaults", Limits{}, func(q *Query) { q.End = q.Start.Add(62 * 24 * time.Hour) }, nil},
		{"wide window", Limits{MaxWindow: 400 * 24 * time.Hour}, func(q *Query) { q.End = q.Start.Add(365 * 24 * time.Hour) }, nil},
		{"one field set, others default", Limits{MaxAttendees: 1}, func(q *Query) { q.Granularity = 4 * time.Minute }, ErrTooManyAttendees},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := validQuery(t)
			tt.modify(&q)
			err := tt.limits.Validate(q)
			if tt.cond == nil {
				assert.NoError(t, err)
				return
			}
			assert.ErrorIs(t, err, tt.cond)
			assert.ErrorIs(t, err, ErrInvalidQuery)
		})
	}
}

func TestQueryJSONRoundTrip(t *testing.T) {
	berlin := mustLoad(t, "Europe/Berlin")
	q := Query{
		Attendees:   []string{"a@example.com", "CN=Jane Doe/O=Acme"},
		Start:       time.Date(2024, 3, 5, 9, 0, 0, 0, berlin),
		End:         time.Date(2024, 3, 6, 9, 0, 0, 0, berlin),
		Granularity: 15 * time.Minute,
		Detail:      DetailFull,
	}
	b, err := json.Marshal(q)
	require.NoError(t, err)
	assert.JSONEq(t, `{"attendees":["a@example.com","CN=Jane Doe/O=Acme"],"start":"2024-03-05T09:00:00+01:00","end":"2024-03-06T09:00:00+01:00","granularityMinutes":15,"detail":"full"}`, string(b))
	var back Query
	require.NoError(t, json.Unmarshal(b, &back))
	assert.Equal(t, q.Attendees, back.Attendees)
	assert.True(t, q.Start.Equal(back.Start))
	assert.True(t, q.End.Equal(back.End))
	assert.Equal(t, q.Granularity, back.Granularity)
	assert.Equal(t, q.Detail, back.Detail)

	b, err = json.Marshal(Query{Attendees: []string{"a"}, Start: day0, End: day0.Add(time.Hour)})
	require.NoError(t, err)
	assert.JSONEq(t, `{"attendees":["a"],"start":"2024-03-05T00:00:00Z","end":"2024-03-05T01:00:00Z"}`, string(b), "defaults are omitted")

	assert.Error(t, json.Unmarshal([]byte(`{"detail":"most"}`), &back))
}

func TestLimitsWithDefaults(t *testing.T) {
	got := Limits{MaxAttendees: 20, MaxGranularity: -1}.WithDefaults()
	assert.Equal(t, Limits{
		MaxWindow:      DefaultLimits().MaxWindow,
		MaxAttendees:   20,
		MinGranularity: DefaultLimits().MinGranularity,
		MaxGranularity: DefaultLimits().MaxGranularity,
	}, got, "set fields stay, zero and negative ones take the default")
	assert.Equal(t, DefaultLimits(), Limits{}.WithDefaults())
}

// The defaults are a value no caller can change: what a program does with
// the copy it gets touches neither other callers nor Validate, and reading
// them while queries are validated is no data race (go test -race).
func TestDefaultLimitsCannotBeChanged(t *testing.T) {
	want := Limits{MaxWindow: 62 * 24 * time.Hour, MaxAttendees: 100, MinGranularity: 5 * time.Minute, MaxGranularity: 1440 * time.Minute}
	require.Equal(t, want, DefaultLimits())

	q := validQuery(t)
	q.Attendees = []string{"a@example.com", "b@example.com", "c@example.com"}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 100 {
			l := DefaultLimits()
			l.MaxAttendees = 1
			l.MaxWindow = time.Minute
			assert.Error(t, l.Validate(q), "a Limits of one's own applies")
		}
	}()
	for range 100 {
		assert.NoError(t, q.Validate())
		assert.NoError(t, Limits{}.Validate(q))
	}
	<-done
	assert.Equal(t, want, DefaultLimits(), "changing a copy changes nothing")
}

// Durations travel in the protocols' units, minutes and milliseconds, so
// that JSON peers in other languages need not know Go's nanoseconds; odd
// values survive, absurd ones are refused.
func TestDurationsInJSON(t *testing.T) {
	var q Query
	require.NoError(t, json.Unmarshal([]byte(`{"attendees":["a@x"],"granularityMinutes":1.5}`), &q))
	assert.Equal(t, 90*time.Second, q.Granularity, "fractions of a minute are kept (and refused by Validate)")
	b, err := json.Marshal(Query{Granularity: 90 * time.Second})
	require.NoError(t, err)
	assert.Contains(t, string(b), `"granularityMinutes":1.5`)
	var pe *ParseError
	assert.ErrorAs(t, json.Unmarshal([]byte(`{"granularityMinutes":1e300}`), &q), &pe)

	b, err = json.Marshal(Error{Reason: ReasonThrottled, RetryAfter: 1500 * time.Microsecond})
	require.NoError(t, err)
	assert.JSONEq(t, `{"reason":"throttled","retryAfterMs":2}`, string(b), "rounded up: never sooner than the backend said")
	var e Error
	assert.ErrorAs(t, json.Unmarshal([]byte(`{"reason":"throttled","retryAfterMs":-5}`), &e), &pe)
	require.NoError(t, json.Unmarshal([]byte(`{"reason":"timeout","retryAfterMs":250}`), &e))
	assert.Equal(t, Error{Reason: ReasonTimeout, RetryAfter: 250 * time.Millisecond}, e)
}

func TestValidateDuplicatesIgnoreSpaceAndCase(t *testing.T) {
	q := validQuery(t)
	q.Attendees = []string{"a@x", " A@x "}
	assert.ErrorIs(t, q.Validate(), ErrDuplicateAttendee)
}

func TestErrorJSONWithoutReason(t *testing.T) {
	var e Error
	require.NoError(t, json.Unmarshal([]byte(`{"reason":"none","message":"?"}`), &e))
	assert.Equal(t, ReasonInternal, e.Reason, "an error is never reason none")
	assert.ErrorIs(t, &e, ErrInternal)
}
