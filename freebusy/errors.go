package freebusy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// Reason classifies why free/busy data for an attendee (or a whole query)
// could not be produced. It is carried by *Error and survives transports, so
// that every layer can tell "this person does not exist" from "try later".
type Reason uint8

// The reasons. ReasonNone is the zero value and means "no failure".
const (
	ReasonNone Reason = iota
	// ReasonUnknownAttendee: the backend does not know the attendee
	// (EWS ErrorMailRecipientNotFound, DAS "Name not found").
	ReasonUnknownAttendee
	// ReasonAccessDenied: the caller may not see this attendee's free/busy
	// (EWS ErrorNoFreeBusyAccess).
	ReasonAccessDenied
	// ReasonTimeout: no answer within the deadline (EWS ErrorTimeoutExpired).
	ReasonTimeout
	// ReasonUnavailable: the backend or the link to it is down.
	ReasonUnavailable
	// ReasonThrottled: the backend asked us to slow down (EWS
	// ErrorServerBusy, HTTP 429); see Error.RetryAfter.
	ReasonThrottled
	// ReasonInvalid: the request, or the data the backend returned, was
	// malformed.
	ReasonInvalid
	// ReasonInternal: anything else that went wrong.
	ReasonInternal
)

const numReasons = 8

var reasonNames = [numReasons]string{
	ReasonNone:            "none",
	ReasonUnknownAttendee: "unknown-attendee",
	ReasonAccessDenied:    "access-denied",
	ReasonTimeout:         "timeout",
	ReasonUnavailable:     "unavailable",
	ReasonThrottled:       "throttled",
	ReasonInvalid:         "invalid",
	ReasonInternal:        "internal",
}

// Sentinel errors, one per Reason. An *Error matches the sentinel of its
// Reason with errors.Is, so callers can branch without a type assertion:
//
//	if errors.Is(sched.Err, freebusy.ErrUnknownAttendee) { ... }
var (
	ErrUnknownAttendee = errors.New("freebusy: unknown attendee")
	ErrAccessDenied    = errors.New("freebusy: access denied")
	ErrTimeout         = errors.New("freebusy: timeout")
	ErrUnavailable     = errors.New("freebusy: unavailable")
	ErrThrottled       = errors.New("freebusy: throttled")
	ErrInvalid         = errors.New("freebusy: invalid")
	ErrInternal        = errors.New("freebusy: internal error")
)

var reasonSentinels = [numReasons]error{
	ReasonUnknownAttendee: ErrUnknownAttendee,
	ReasonAccessDenied:    ErrAccessDenied,
	ReasonTimeout:         ErrTimeout,
	ReasonUnavailable:     ErrUnavailable,
	ReasonThrottled:       ErrThrottled,
	ReasonInvalid:         ErrInvalid,
	ReasonInternal:        ErrInternal,
}

// String returns the reason's hyphenated name ("unknown-attendee").
func (r Reason) String() string {
	if r < numReasons {
		return reasonNames[r]
	}
	return "Reason(" + strconv.Itoa(int(r)) + ")"
}

// Sentinel returns the sentinel error for r (ErrTimeout for ReasonTimeout),
// or nil for ReasonNone and undeclared values.
func (r Reason) Sentinel() error {
	if r < numReasons {
		return reasonSentinels[r]
	}
	return nil
}

// Temporary reports whether asking again later may succeed: timeouts,
// unavailability and throttling are temporary; the others are not.
func (r Reason) Temporary() bool {
	return r == ReasonTimeout || r == ReasonUnavailable || r == ReasonThrottled
}

// ParseReason parses a name written by String.
func ParseReason(text string) (Reason, error) {
	for i, name := range reasonNames {
		if text == name {
			return Reason(i), nil
		}
	}
	return ReasonNone, &ParseError{Kind: "reason", Input: text}
}

// MarshalText implements encoding.TextMarshaler.
func (r Reason) MarshalText() ([]byte, error) {
	if r >= numReasons {
		return nil, &ParseError{Kind: "reason", Input: r.String()}
	}
	return []byte(reasonNames[r]), nil
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (r *Reason) UnmarshalText(text []byte) error {
	v, err := ParseReason(string(text))
	if err != nil {
		return err
	}
	*r = v
	return nil
}

// Error is a free/busy failure with a Reason. As Schedule.Err it describes
// one attendee's failure, which never fails the rest of the batch; returned
// from Source.FreeBusy with an empty Attendee it describes the whole query.
//
// Error matches the sentinel of its Reason with errors.Is, and unwraps to
// Cause, which is kept in process only: transports carry Reason, Message and
// RetryAfter, not the cause.
type Error struct {
	// Attendee is the attendee as named in the query, or "" when the error
	// concerns the whole query.
	Attendee string `json:"attendee,omitempty"`
	// Reason classifies the failure.
	Reason Reason `json:"reason"`
	// Message is a human-readable detail from the backend, such as an EWS
	// ResponseCode or MessageText. It may be empty.
	Message string `json:"message,omitempty"`
	// RetryAfter is the backend's hint for when to ask again (throttling),
	// or zero when it gave none. In JSON it is "retryAfterMs", whole
	// milliseconds (rounded up).
	RetryAfter time.Duration `json:"retryAfterMs,omitempty"`
	// Cause is the underlying error, if any. It is not serialized.
	Cause error `json:"-"`
}

// errorJSON is Error in JSON, with RetryAfter in milliseconds.
type errorJSON struct {
	Attendee     string `json:"attendee,omitempty"`
	Reason       Reason `json:"reason"`
	Message      string `json:"message,omitempty"`
	RetryAfterMs int64  `json:"retryAfterMs,omitempty"`
}

// MarshalJSON writes {"attendee":...,"reason":...,"message":...,
// "retryAfterMs":...}; the cause is not written.
func (e Error) MarshalJSON() ([]byte, error) {
	ms := int64(e.RetryAfter / time.Millisecond)
	if e.RetryAfter%time.Millisecond > 0 {
		ms++ // never ask again sooner than the backend said
	}
	return json.Marshal(errorJSON{Attendee: e.Attendee, Reason: e.Reason, Message: e.Message, RetryAfterMs: ms})
}

// UnmarshalJSON reads what MarshalJSON writes. A negative or absurd
// retryAfterMs (over a year) is a *ParseError.
func (e *Error) UnmarshalJSON(data []byte) error {
	var j errorJSON
	if err := json.Unmarshal(data, &j); err != nil {
		return err
	}
	if j.RetryAfterMs < 0 || j.RetryAfterMs > int64(365*24*time.Hour/time.Millisecond) {
		return &ParseError{Kind: "retryAfterMs", Input: strconv.FormatInt(j.RetryAfterMs, 10)}
	}
	if j.Reason == ReasonNone {
		// A peer that sends an error without a reason still failed: an
		// *Error always carries a reason some sentinel matches.
		j.Reason = ReasonInternal
	}
	*e = Error{Attendee: j.Attendee, Reason: j.Reason, Message: j.Message, RetryAfter: time.Duration(j.RetryAfterMs) * time.Millisecond}
	return nil
}

// NewError returns an *Error for attendee with the given reason and cause.
// The message is taken from cause, when there is one.
func NewError(attendee string, reason Reason, cause error) *Error {
	e := &Error{Attendee: attendee, Reason: reason, Cause: cause}
	if cause != nil {
		e.Message = cause.Error()
	}
	return e
}

// Error implements error: "freebusy: <attendee>: <reason>: <message>".
func (e *Error) Error() string {
	msg := "freebusy: "
	if e.Attendee != "" {
		msg += strconv.Quote(e.Attendee) + ": "
	}
	msg += e.Reason.String()
	if e.Message != "" {
		msg += ": " + e.Message
	}
	if e.RetryAfter > 0 {
		msg += " (retry after " + e.RetryAfter.String() + ")"
	}
	return msg
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Cause }

// Is reports whether target is the sentinel of e's Reason.
func (e *Error) Is(target error) bool {
	s := e.Reason.Sentinel()
	return s != nil && target == s
}

// ReasonOf classifies any error: the Reason of an *Error in its chain,
// ReasonTimeout for context.DeadlineExceeded, ReasonUnavailable for
// context.Canceled, ReasonInvalid for a *QueryError or *ParseError,
// ReasonInternal for anything else, and ReasonNone for nil.
func ReasonOf(err error) Reason {
	if err == nil {
		return ReasonNone
	}
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Reason
	}
	for r := ReasonUnknownAttendee; r < numReasons; r++ {
		if errors.Is(err, reasonSentinels[r]) {
			return r
		}
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return ReasonTimeout
	case errors.Is(err, context.Canceled):
		return ReasonUnavailable
	}
	if _, ok := errors.AsType[*QueryError](err); ok {
		return ReasonInvalid
	}
	if _, ok := errors.AsType[*ParseError](err); ok {
		return ReasonInvalid
	}
	return ReasonInternal
}

// ParseError reports input that could not be parsed: a status name, an
// availability-view digit string, an iCalendar property. Input is the
// offending text (possibly abbreviated); Line and Offset locate it when known.
type ParseError struct {
	// Kind names what was being parsed ("status", "period", "VFREEBUSY").
	Kind string
	// Input is the offending text, abbreviated to 64 bytes in Error.
	Input string
	// Line is the 1-based line of the input, or 0 when not applicable.
	Line int
	// Offset is the byte offset of the problem within the line or value,
	// where known; it is reported only when positive.
	Offset int
	// Err is the underlying cause, if any.
	Err error
}

// Error implements error.
func (e *ParseError) Error() string {
	in := e.Input
	if len(in) > 64 {
		in = in[:64] + "..."
	}
	msg := fmt.Sprintf("freebusy: invalid %s %q", e.Kind, in)
	if e.Line > 0 {
		msg += fmt.Sprintf(" at line %d", e.Line)
	}
	if e.Offset > 0 {
		msg += fmt.Sprintf(" at offset %d", e.Offset)
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Unwrap returns the cause.
func (e *ParseError) Unwrap() error { return e.Err }

// Is makes every *ParseError match ErrInvalid.
func (e *ParseError) Is(target error) bool { return target == ErrInvalid }
