package freebusy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestReasonNamesAndSentinels(t *testing.T) {
	tests := []struct {
		reason    Reason
		name      string
		sentinel  error
		temporary bool
	}{
		{ReasonNone, "none", nil, false},
		{ReasonUnknownAttendee, "unknown-attendee", ErrUnknownAttendee, false},
		{ReasonAccessDenied, "access-denied", ErrAccessDenied, false},
		{ReasonTimeout, "timeout", ErrTimeout, true},
		{ReasonUnavailable, "unavailable", ErrUnavailable, true},
		{ReasonThrottled, "throttled", ErrThrottled, true},
		{ReasonInvalid, "invalid", ErrInvalid, false},
		{ReasonInternal, "internal", ErrInternal, false},
	}
	require.Len(t, tests, numReasons)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.name, tt.reason.String())
			assert.Equal(t, tt.sentinel, tt.reason.Sentinel())
			assert.Equal(t, tt.temporary, tt.reason.Temporary())

			got, err := ParseReason(tt.name)
			require.NoError(t, err)
			assert.Equal(t, tt.reason, got)
			text, err := tt.reason.MarshalText()
			require.NoError(t, err)
			var back Reason
			require.NoError(t, back.UnmarshalText(text))
			assert.Equal(t, tt.reason, back)

			e := NewError("a@example.com", tt.reason, nil)
			for _, other := range tests {
				if other.sentinel == nil {
					continue
				}
				assert.Equal(t, other.reason == tt.reason, errors.Is(e, other.sentinel), "errors.Is(%s error, %v)", tt.reason, other.sentinel)
			}
		})
	}
}

func TestReasonUndeclared(t *testing.T) {
	r := Reason(numReasons)
	assert.Equal(t, "Reason(8)", r.String())
	assert.Nil(t, r.Sentinel())
	_, err := r.MarshalText()
	assert.ErrorIs(t, err, ErrInvalid)
	_, err = ParseReason("Timeout")
	assert.ErrorIs(t, err, ErrInvalid, "reason names are exact")
	var back Reason = ReasonTimeout
	assert.Error(t, back.UnmarshalText([]byte("x")))
	assert.Equal(t, ReasonTimeout, back)
	e := &Error{Reason: r}
	assert.False(t, errors.Is(e, ErrInternal), "an undeclared reason matches no sentinel")
}

func TestErrorMessage(t *testing.T) {
	tests := []struct {
		name string
		err  *Error
		want string
	}{
		{"attendee and cause", NewError("a@example.com", ReasonUnknownAttendee, errors.New("ErrorMailRecipientNotFound")),
			`freebusy: "a@example.com": unknown-attendee: ErrorMailRecipientNotFound`},
		{"whole query", NewError("", ReasonUnavailable, nil), "freebusy: unavailable"},
		{"retry after", &Error{Attendee: "b", Reason: ReasonThrottled, RetryAfter: 30 * time.Second},
			`freebusy: "b": throttled (retry after 30s)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.err.Error())
		})
	}
}

func TestErrorIsAndAs(t *testing.T) {
	cause := io.ErrUnexpectedEOF
	e := NewError("a@example.com", ReasonTimeout, cause)
	assert.Equal(t, cause.Error(), e.Message, "message taken from the cause")
	wrapped := fmt.Errorf("exchange: ews call: %w", e)

	assert.ErrorIs(t, wrapped, ErrTimeout, "matches its reason's sentinel through wrapping")
	assert.ErrorIs(t, wrapped, io.ErrUnexpectedEOF, "unwraps to the cause")
	assert.NotErrorIs(t, wrapped, ErrUnavailable)

	got, ok := errors.AsType[*Error](wrapped)
	require.True(t, ok)
	assert.Same(t, e, got)
	assert.Equal(t, "a@example.com", got.Attendee)
}

func TestReasonOf(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want Reason
	}{
		{"nil", nil, ReasonNone},
		{"*Error", NewError("x", ReasonAccessDenied, nil), ReasonAccessDenied},
		{"wrapped *Error", fmt.Errorf("ctx: %w", NewError("x", ReasonThrottled, nil)), ReasonThrottled},
		{"bare sentinel", fmt.Errorf("notes: %w", ErrUnknownAttendee), ReasonUnknownAttendee},
		{"deadline", fmt.Errorf("dial: %w", context.DeadlineExceeded), ReasonTimeout},
		{"canceled", context.Canceled, ReasonUnavailable},
		{"query error", Query{}.Validate(), ReasonInvalid},
		{"parse error", &ParseError{Kind: "status", Input: "x"}, ReasonInvalid},
		{"interval error", &IntervalError{Err: ErrInvertedInterval}, ReasonInvalid},
		{"anything else", errors.New("boom"), ReasonInternal},
		{"*Error beats its cause", NewError("x", ReasonUnavailable, context.DeadlineExceeded), ReasonUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, ReasonOf(tt.err))
		})
	}
}

func TestErrorJSONRoundTrip(t *testing.T) {
	e := &Error{Attendee: "a@example.com", Reason: ReasonThrottled, Message: "ErrorServerBusy", RetryAfter: 90 * time.Second, Cause: io.EOF}
	b, err := json.Marshal(e)
	require.NoError(t, err)
	assert.JSONEq(t, `{"attendee":"a@example.com","reason":"throttled","message":"ErrorServerBusy","retryAfterMs":90000}`, string(b),
		"the cause stays in process")
	var back Error
	require.NoError(t, json.Unmarshal(b, &back))
	e.Cause = nil
	assert.Equal(t, *e, back)
	assert.ErrorIs(t, &back, ErrThrottled, "the reason survives the trip")

	assert.Error(t, json.Unmarshal([]byte(`{"reason":"exploded"}`), &back))
}

func TestParseErrorMessage(t *testing.T) {
	long := strings.Repeat("x", 100)
	tests := []struct {
		name string
		err  *ParseError
		want string
	}{
		{"plain", &ParseError{Kind: "status", Input: "bsy"}, `freebusy: invalid status "bsy"`},
		{"line and offset", &ParseError{Kind: "period", Input: "2024", Line: 3, Offset: 7, Err: io.ErrUnexpectedEOF},
			`freebusy: invalid period "2024" at line 3 at offset 7: unexpected EOF`},
		{"abbreviated", &ParseError{Kind: "view", Input: long}, `freebusy: invalid view "` + long[:64] + `..."`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.err.Error())
			assert.ErrorIs(t, tt.err, ErrInvalid)
		})
	}
	assert.ErrorIs(t, &ParseError{Err: io.ErrUnexpectedEOF}, io.ErrUnexpectedEOF)
}
