package freebusy

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Detail is how much a query asks to know about each busy stretch.
type Detail uint8

const (
	// DetailStatus asks for status intervals only. It is the zero value and
	// all that most gateways should ever pass on.
	DetailStatus Detail = iota
	// DetailFull also asks for Schedule.Events (subject, location and flags),
	// which a Source supplies only where its own policy allows; a Source that
	// cannot or may not answers as for DetailStatus.
	DetailFull
)

// String returns "status" or "full".
func (d Detail) String() string {
	switch d {
	case DetailStatus:
		return "status"
	case DetailFull:
		return "full"
	}
	return fmt.Sprintf("Detail(%d)", uint8(d))
}

// MarshalText implements encoding.TextMarshaler.
func (d Detail) MarshalText() ([]byte, error) {
	if d > DetailFull {
		return nil, &ParseError{Kind: "detail", Input: d.String()}
	}
	return []byte(d.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (d *Detail) UnmarshalText(text []byte) error {
	switch string(text) {
	case "status", "":
		*d = DetailStatus
	case "full":
		*d = DetailFull
	default:
		return &ParseError{Kind: "detail", Input: string(text)}
	}
	return nil
}

// DefaultGranularity is the slot length used when Query.Granularity is zero:
// 30 minutes, the EWS and Graph default.
const DefaultGranularity = 30 * time.Minute

// Query asks for the free/busy of several attendees over one window.
type Query struct {
	// Attendees are the people (or rooms) asked about, in the form the
	// answering Source understands (an SMTP address, a Notes name). Results
	// come back in this order.
	Attendees []string `json:"attendees"`
	// Start and End bound the window [Start, End).
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
	// Granularity is the slot length for slot-based views (availability
	// view, merged free/busy). Zero means DefaultGranularity. It must be a
	// whole number of minutes.
	// In JSON it is "granularityMinutes", a number of minutes.
	Granularity time.Duration `json:"granularityMinutes,omitempty"`
	// Detail is the requested level of detail.
	Detail Detail `json:"detail,omitempty"`
}

// queryJSON is Query in JSON: the granularity in minutes, the unit of
// every free/busy protocol, rather than Go's nanoseconds, so that JSON peers
// in any language read it without knowing Go.
type queryJSON struct {
	Attendees          []string  `json:"attendees"`
	Start              time.Time `json:"start"`
	End                time.Time `json:"end"`
	GranularityMinutes float64   `json:"granularityMinutes,omitempty"`
	Detail             Detail    `json:"detail,omitempty"`
}

// maxJSONMinutes bounds durations read from JSON, far above any limit, so
// that the conversion to time.Duration cannot overflow.
const maxJSONMinutes = 1e9

// MarshalJSON writes q with its granularity in minutes:
// {"attendees":[...],"start":"...","end":"...","granularityMinutes":30}.
func (q Query) MarshalJSON() ([]byte, error) {
	return json.Marshal(queryJSON{
		Attendees:          q.Attendees,
		Start:              q.Start,
		End:                q.End,
		GranularityMinutes: q.Granularity.Minutes(),
		Detail:             q.Detail,
	})
}

// UnmarshalJSON reads what MarshalJSON writes. A granularity that is not a
// finite number of minutes within ±1e9 is a *ParseError; the query is not
// validated (see Validate).
func (q *Query) UnmarshalJSON(data []byte) error {
	var j queryJSON
	if err := json.Unmarshal(data, &j); err != nil {
		return err
	}
	if j.GranularityMinutes > maxJSONMinutes || j.GranularityMinutes < -maxJSONMinutes {
		return &ParseError{Kind: "granularityMinutes", Input: strconv.FormatFloat(j.GranularityMinutes, 'g', -1, 64)}
	}
	*q = Query{
		Attendees:   j.Attendees,
		Start:       j.Start,
		End:         j.End,
		Granularity: time.Duration(math.Round(j.GranularityMinutes * float64(time.Minute))),
		Detail:      j.Detail,
	}
	return nil
}

// Slot returns the effective slot length: Granularity, or DefaultGranularity
// when that is zero.
func (q Query) Slot() time.Duration {
	if q.Granularity == 0 {
		return DefaultGranularity
	}
	return q.Granularity
}

// Limits bounds what Validate accepts. The zero value of a field means "use
// the value in DefaultLimits".
type Limits struct {
	// MaxWindow is the longest window allowed.
	MaxWindow time.Duration
	// MaxAttendees is the largest number of attendees in one query.
	MaxAttendees int
	// MinGranularity and MaxGranularity bound Query.Granularity.
	MinGranularity time.Duration
	MaxGranularity time.Duration
}

// DefaultLimits returns the limits Query.Validate applies, and that the
// zero fields of a Limits stand for: 62 days, 100 attendees (the EWS
// per-request maximum), granularity 5 to 1440 minutes (the EWS
// MergedFreeBusyIntervalInMinutes range). They are fixed, so that queries
// validated at the same time never see them change; to apply others, call
// Limits.Validate on a Limits of your own, or give it to a side's
// WithLimits option.
func DefaultLimits() Limits { return defaultLimits }

// defaultLimits is what DefaultLimits returns; it is never written.
var defaultLimits = Limits{
	MaxWindow:      62 * 24 * time.Hour,
	MaxAttendees:   100,
	MinGranularity: 5 * time.Minute,
	MaxGranularity: 1440 * time.Minute,
}

// WithDefaults returns l with every zero (or negative) field replaced by
// the field of DefaultLimits: the limits Validate actually applies.
func (l Limits) WithDefaults() Limits {
	if l.MaxWindow <= 0 {
		l.MaxWindow = defaultLimits.MaxWindow
	}
	if l.MaxAttendees <= 0 {
		l.MaxAttendees = defaultLimits.MaxAttendees
	}
	if l.MinGranularity <= 0 {
		l.MinGranularity = defaultLimits.MinGranularity
	}
	if l.MaxGranularity <= 0 {
		l.MaxGranularity = defaultLimits.MaxGranularity
	}
	return l
}

// Conditions a QueryError can report. Each *QueryError matches its condition
// and ErrInvalidQuery with errors.Is.
//
// The operations on the model (Normalize, AvailabilityView, MergeGroup,
// FindFreeTime) report bad arguments with the same type and conditions, so
// that one errors.Is test covers a bad window wherever it came from.
var (
	ErrInvalidQuery      = errors.New("freebusy: invalid query")
	ErrNoAttendees       = errors.New("freebusy: no attendees")
	ErrEmptyAttendee     = errors.New("freebusy: empty attendee")
	ErrDuplicateAttendee = errors.New("freebusy: duplicate attendee")
	ErrTooManyAttendees  = errors.New("freebusy: too many attendees")
	ErrEmptyWindow       = errors.New("freebusy: empty or inverted window")
	ErrWindowTooLong     = errors.New("freebusy: window too long")
	ErrBadGranularity    = errors.New("freebusy: granularity out of range")
	// ErrBadDuration: a meeting duration that is not positive
	// (FreeTimeRequest.Duration).
	ErrBadDuration = errors.New("freebusy: bad duration")
	// ErrBadOption: an option outside its documented range
	// (ViewOptions.WorkingElsewhereDigit, FreeTimeRequest.Max).
	ErrBadOption = errors.New("freebusy: bad option")
)

// QueryError reports why a Query, or the arguments of an operation on the
// model (a window, a slot length, a free-time request), are not valid.
type QueryError struct {
	// Field names the offending field or argument ("Attendees", "Start",
	// "Granularity", "slot", "Duration").
	Field string
	// Detail says what was wrong with it, for people.
	Detail string
	// Err is the condition: one of ErrNoAttendees, ErrEmptyAttendee,
	// ErrDuplicateAttendee, ErrTooManyAttendees, ErrEmptyWindow,
	// ErrWindowTooLong, ErrBadGranularity, ErrBadDuration, ErrBadOption.
	Err error
}

// Error implements error.
func (e *QueryError) Error() string {
	return fmt.Sprintf("%v: %s: %s", e.Err, e.Field, e.Detail)
}

// Unwrap returns the condition.
func (e *QueryError) Unwrap() error { return e.Err }

// Is makes every QueryError match ErrInvalidQuery and ErrInvalid.
func (e *QueryError) Is(target error) bool {
	return target == ErrInvalidQuery || target == ErrInvalid
}

// Validate checks q against DefaultLimits. See Limits.Validate.
func (q Query) Validate() error { return defaultLimits.Validate(q) }

// Validate checks q: at least one attendee, none empty, no duplicates
// (compared case-insensitively), no more than MaxAttendees; a window with
// Start before End and no longer than MaxWindow; a granularity of zero or a
// whole number of minutes within [MinGranularity, MaxGranularity]. It returns
// the first problem found as a *QueryError.
func (l Limits) Validate(q Query) error {
	l = l.WithDefaults()
	if len(q.Attendees) == 0 {
		return &QueryError{Field: "Attendees", Detail: "none given", Err: ErrNoAttendees}
	}
	if len(q.Attendees) > l.MaxAttendees {
		return &QueryError{Field: "Attendees", Detail: fmt.Sprintf("%d given, at most %d allowed", len(q.Attendees), l.MaxAttendees), Err: ErrTooManyAttendees}
	}
	seen := make(map[string]int, len(q.Attendees))
	for i, a := range q.Attendees {
		if strings.TrimSpace(a) == "" {
			return &QueryError{Field: "Attendees", Detail: fmt.Sprintf("attendee %d is empty", i), Err: ErrEmptyAttendee}
		}
		key := strings.ToLower(strings.TrimSpace(a))
		if j, dup := seen[key]; dup {
			return &QueryError{Field: "Attendees", Detail: fmt.Sprintf("attendees %d and %d are the same", j, i), Err: ErrDuplicateAttendee}
		}
		seen[key] = i
	}
	if !q.Start.Before(q.End) {
		return &QueryError{Field: "Start", Detail: fmt.Sprintf("window %s to %s is empty or inverted", q.Start.UTC().Format(time.RFC3339), q.End.UTC().Format(time.RFC3339)), Err: ErrEmptyWindow}
	}
	if d := q.End.Sub(q.Start); d > l.MaxWindow {
		return &QueryError{Field: "End", Detail: fmt.Sprintf("window of %s exceeds %s", d, l.MaxWindow), Err: ErrWindowTooLong}
	}
	if g := q.Granularity; g != 0 && (g < l.MinGranularity || g > l.MaxGranularity || g%time.Minute != 0) {
		return &QueryError{Field: "Granularity", Detail: fmt.Sprintf("%s is not a whole number of minutes in [%s, %s]", g, l.MinGranularity, l.MaxGranularity), Err: ErrBadGranularity}
	}
	return nil
}
