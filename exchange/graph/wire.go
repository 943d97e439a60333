package graph

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/calbridge/calbridge/freebusy"
	"github.com/calbridge/calbridge/internal/jsonguard"
)

// Limits of Microsoft Graph getSchedule (§3.3) and of what this package
// reads.
const (
	// MaxSchedules is the most schedules one getSchedule request may
	// ask for.
	MaxSchedules = 20
	// MaxWindow bounds a request's window: Graph wants less than 62 days, so
	// Client splits longer windows into pieces shorter than this.
	MaxWindow = 62 * 24 * time.Hour
	// MaxRequestBytes bounds a getSchedule request body read by Handler.
	MaxRequestBytes = 1 << 20
	// MaxResponseBytes bounds a getSchedule response body read by
	// Client: 20 schedules of 62 days with 5-minute views and
	// thousands of items stay far below it.
	MaxResponseBytes = 32 << 20
	// MaxDepth bounds how deeply arrays and objects nest in a body read by
	// either side: getSchedule needs five levels (value, an entry, its
	// scheduleItems, an item, its start), and encoding/json would accept
	// ten thousand.
	MaxDepth = 16
	// MaxRequestElements bounds the array elements and object members
	// of a request body (counted as package jsonguard counts them): a
	// request of MaxSchedules schedules has about thirty.
	MaxRequestElements = 4096
	// MaxResponseElements bounds the elements of a response body: an item
	// has about a dozen, so this admits some 80,000 scheduleItems (20
	// schedules of 62 days at 60 items a day), while a body of "{}," aimed
	// at the item slice cannot make a gigabyte of structs.
	MaxResponseElements = 1 << 20
)

// dateTimeLayout is Graph's dateTimeTimeZone.dateTime: local wall time,
// no offset, seven fraction digits (§3.2).
const dateTimeLayout = "2006-01-02T15:04:05.0000000"

// dateTimeParseLayout accepts zero to nine fraction digits.
const dateTimeParseLayout = "2006-01-02T15:04:05.999999999"

// DateTimeTimeZone is Graph's dateTimeTimeZone (Microsoft Graph
// documentation "dateTimeTimeZone resource type"; §3.1, §3.2): a
// wall-clock time without offset and the zone it is in, a Windows zone name
// ("Pacific Standard Time") or an IANA one ("America/Los_Angeles").
type DateTimeTimeZone struct {
	// DateTime is "2019-03-15T12:00:00.0000000"; fraction digits optional.
	DateTime string `json:"dateTime"`
	// TimeZone is the zone's Windows or IANA name; "" means UTC.
	TimeZone string `json:"timeZone"`
}

// NewDateTimeTimeZone writes t as wall time in loc with seven fraction
// digits, naming the zone zone (a Windows name, as Graph writes it, or an
// IANA name).
func NewDateTimeTimeZone(t time.Time, loc *time.Location, zone string) DateTimeTimeZone {
	return DateTimeTimeZone{DateTime: t.In(loc).Format(dateTimeLayout), TimeZone: zone}
}

// Time resolves d to an instant. See Zones.Time.
func (d DateTimeTimeZone) Time() (time.Time, error) {
	var z Zones
	return z.Time(d)
}

// Zones resolves Graph zone names to locations, remembering each one
// it resolved, so that a decode maps each name once. The zero value is
// ready to use; it is not safe for concurrent use, so keep one per decode.
type Zones struct {
	cache map[string]*time.Location
}

// Location returns the location a Graph zone name stands for: "" and "UTC"
// are UTC, a Windows zone id is mapped with freebusy.WindowsToIANA,
// anything else is loaded as an IANA name with freebusy.LoadZone. Unknown
// names (and "Local") are a *FormatError matching ErrTimeZone.
func (z *Zones) Location(name string) (*time.Location, error) {
	if loc, ok := z.cache[name]; ok {
		return loc, nil
	}
	loc, err := loadLocation(name)
	if err != nil {
		return nil, err
	}
	if z.cache == nil {
		z.cache = make(map[string]*time.Location, 2)
	}
	if len(z.cache) < 64 {
		z.cache[name] = loc
	}
	return loc, nil
}

func loadLocation(name string) (*time.Location, error) {
	trimmed := strings.TrimSpace(name)
	switch {
	case trimmed == "" || strings.EqualFold(trimmed, "UTC"):
		return time.UTC, nil
	case strings.EqualFold(trimmed, "Local") || len(trimmed) > 128:
		return nil, formatErr("timeZone", ErrTimeZone, "unknown time zone %q", name)
	}
	if iana, ok := freebusy.WindowsToIANA(trimmed); ok {
		if loc, err := freebusy.LoadZone(iana); err == nil {
			return loc, nil
		}
	}
	loc, err := freebusy.LoadZone(trimmed)
	if err != nil {
		return nil, formatErr("timeZone", ErrTimeZone, "unknown time zone %q", name)
	}
	return loc, nil
}

// Time resolves d to a UTC instant: DateTime read as wall time in the zone
// TimeZone names. A DateTime that carries an offset or "Z" (not what Graph
// writes, but what some clients send) is taken at that offset. Errors are
// *FormatError values.
func (z *Zones) Time(d DateTimeTimeZone) (time.Time, error) {
	if len(d.DateTime) > 64 {
		return time.Time{}, formatErr("dateTime", ErrDateTime, "dateTime of %d bytes", len(d.DateTime))
	}
	loc, err := z.Location(d.TimeZone)
	if err != nil {
		return time.Time{}, err
	}
	t, err := time.ParseInLocation(dateTimeParseLayout, d.DateTime, loc)
	if err != nil {
		t, err = time.Parse(time.RFC3339Nano, d.DateTime)
		if err != nil {
			return time.Time{}, formatErr("dateTime", ErrDateTime, "%q is not a date-time", d.DateTime)
		}
	}
	return t.UTC(), nil
}

// ScheduleRequest is the body of POST /me/calendar/getSchedule and
// /users/{id}/calendar/getSchedule (Microsoft Graph documentation
// "calendar: getSchedule"; §3.1).
type ScheduleRequest struct {
	// Schedules are the SMTP addresses asked about, at most MaxSchedules.
	Schedules []string `json:"schedules"`
	// StartTime and EndTime bound the window.
	StartTime DateTimeTimeZone `json:"startTime"`
	EndTime   DateTimeTimeZone `json:"endTime"`
	// AvailabilityViewInterval is the slot length in minutes, 5 to 1440;
	// 0 leaves it out (Graph then uses 30). It is never sent as null, which
	// made Graph fail with HTTP 500 (§3.1). Read from a JSON number or a
	// string of digits, as some clients send it (see UnmarshalJSON).
	AvailabilityViewInterval int `json:"availabilityViewInterval,omitempty"`
}

// UnmarshalJSON reads a request body. availabilityViewInterval (an
// Edm.Int32 in Microsoft Graph documentation "calendar: getSchedule") may
// be a JSON number, a string of decimal digits ("15"), or null or absent
// for the default; anything else (a fraction, "15 minutes", true) is a
// *FormatError matching ErrInterval.
func (r *ScheduleRequest) UnmarshalJSON(data []byte) error {
	type plain ScheduleRequest // without this method
	aux := struct {
		*plain
		// The outer field wins over the embedded one of the same name.
		Interval json.RawMessage `json:"availabilityViewInterval"`
	}{plain: (*plain)(r)}
	if err := json.Unmarshal(data, &aux); err != nil {
		return err
	}
	n, err := parseInterval(aux.Interval)
	if err != nil {
		return err
	}
	r.AvailabilityViewInterval = n
	return nil
}

// parseInterval reads availabilityViewInterval: absent or null is 0, a
// number or a string of digits (with optional sign, spaces trimmed) is
// its value, within ±2^31 as an Edm.Int32.
func parseInterval(raw json.RawMessage) (int, error) {
	text := string(bytes.TrimSpace(raw))
	if text == "" || text == "null" {
		return 0, nil
	}
	shown := text
	if len(shown) > 32 {
		shown = shown[:32] + "..."
	}
	if text[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return 0, formatErr("availabilityViewInterval", ErrInterval, "%s is not a number of minutes", shown)
		}
		text = strings.TrimSpace(s)
	}
	n, err := strconv.ParseInt(text, 10, 32)
	if err != nil {
		return 0, formatErr("availabilityViewInterval", ErrInterval, "%s is not a number of minutes", shown)
	}
	return int(n), nil
}

// ScheduleResponse is the body of a successful getSchedule answer:
// one ScheduleInformation per requested schedule (§3.2).
type ScheduleResponse struct {
	// ODataContext is "@odata.context", which Graph writes as
	// the service root + ODataContextPath, i.e.
	// "https://graph.microsoft.com/v1.0/$metadata#Collection(microsoft.graph.scheduleInformation)"
	// (Microsoft Graph documentation "calendar: getSchedule", the example
	// response). Handler writes it from its base URL; readers ignore it.
	ODataContext string `json:"@odata.context,omitempty"`
	// Value holds the entries, in request order.
	Value []ScheduleInformation `json:"value"`
}

// ODataContextPath is what follows the service root in the
// "@odata.context" of a getSchedule answer.
const ODataContextPath = "/$metadata#Collection(microsoft.graph.scheduleInformation)"

// ScheduleInformation is Graph's scheduleInformation (Microsoft Graph
// documentation "scheduleInformation resource type"; §3.2).
type ScheduleInformation struct {
	// ScheduleID echoes the requested address.
	ScheduleID string `json:"scheduleId"`
	// AvailabilityView has one digit per interval from the start: 0 free or
	// working elsewhere, 1 tentative, 2 busy, 3 out of office, 4 no data.
	AvailabilityView string `json:"availabilityView,omitempty"`
	// ScheduleItems are the items overlapping the window. nil means the
	// field was absent, which matters when decoding: see
	// ScheduleInformation.Schedule.
	ScheduleItems []ScheduleItem `json:"scheduleItems,omitzero"`
	// WorkingHours are the owner's working hours.
	WorkingHours *WorkingHours `json:"workingHours,omitempty"`
	// Error is set when this schedule failed; the others are unaffected.
	Error *FreeBusyError `json:"error,omitempty"`
}

// The freeBusyStatus values of a scheduleItem (Microsoft Graph
// documentation "scheduleItem resource type"; §3.2).
const (
	StatusFree             = "free"
	StatusTentative        = "tentative"
	StatusBusy             = "busy"
	StatusOOF              = "oof"
	StatusWorkingElsewhere = "workingElsewhere"
	StatusUnknown          = "unknown"
)

// ScheduleItem is Graph's scheduleItem (Microsoft Graph documentation
// "scheduleItem resource type"; §3.2).
type ScheduleItem struct {
	// IsPrivate withholds Subject and Location.
	IsPrivate bool `json:"isPrivate"`
	// Status is a freeBusyStatus: StatusBusy, ...; read
	// case-insensitively (the concept page writes "Busy").
	Status string `json:"status"`
	// Subject and Location are set only when the caller may see details.
	Subject  string `json:"subject,omitempty"`
	Location string `json:"location,omitempty"`
	// Start and End are in the zone of the Prefer: outlook.timezone header,
	// UTC without it.
	Start DateTimeTimeZone `json:"start"`
	End   DateTimeTimeZone `json:"end"`
}

// WorkingHours is Graph's workingHours (Microsoft Graph documentation
// "workingHours resource type"; §3.2).
type WorkingHours struct {
	// DaysOfWeek are lower-case day names: "monday", ...
	DaysOfWeek []string `json:"daysOfWeek"`
	// StartTime and EndTime are Edm.TimeOfDay, "08:00:00.0000000", local
	// to TimeZone.
	StartTime string `json:"startTime"`
	EndTime   string `json:"endTime"`
	// TimeZone is the zone of the hours.
	TimeZone *TimeZoneBase `json:"timeZone,omitempty"`
}

// TimeZoneBase is Graph's timeZoneBase, or a customTimeZone (Microsoft
// Graph documentation "customTimeZone resource type"; §3.2). Only the name
// is used: a customTimeZone whose name is not a known zone is not turned
// into hand-written DST rules, so its working hours are dropped.
type TimeZoneBase struct {
	// ODataType is "#microsoft.graph.customTimeZone" for a custom zone.
	ODataType string `json:"@odata.type,omitempty"`
	// Name is a Windows or IANA zone name.
	Name string `json:"name"`
	// Bias is a customTimeZone's bias in minutes (sign unverified, §3.2);
	// informational only.
	Bias *int `json:"bias,omitempty"`
}

// FreeBusyError is Graph's freeBusyError (Microsoft Graph documentation
// "freeBusyError resource type"; §3.2): why one schedule failed.
type FreeBusyError struct {
	Message      string `json:"message"`
	ResponseCode string `json:"responseCode"`
}

// ErrorResponse is Graph's error envelope for a failed request:
// {"error":{"code":"...","message":"..."}}.
type ErrorResponse struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail is the inner object of ErrorResponse.
type ErrorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Format conditions. Every *FormatError matches ErrInvalid and
// freebusy.ErrInvalid, and its Err condition.
var (
	// ErrInvalid is matched by every *FormatError.
	ErrInvalid = errors.New("graph: invalid getSchedule data")
	// ErrSyntax: the body is not the expected JSON.
	ErrSyntax = errors.New("graph: JSON syntax")
	// ErrTooLarge: the body exceeds its size limit.
	ErrTooLarge = errors.New("graph: body too large")
	// ErrDateTime: a dateTime is not a date-time.
	ErrDateTime = errors.New("graph: invalid dateTime")
	// ErrTimeZone: a time zone name is unknown.
	ErrTimeZone = errors.New("graph: unknown time zone")
	// ErrWorkingHours: workingHours cannot be read.
	ErrWorkingHours = errors.New("graph: invalid working hours")
	// ErrAvailabilityView: an availabilityView is not a digit string.
	ErrAvailabilityView = errors.New("graph: invalid availability view")
	// ErrMismatch: a response does not answer its request (count or
	// scheduleId differs).
	ErrMismatch = errors.New("graph: response does not match its request")
	// ErrInterval: availabilityViewInterval is neither a number nor a
	// string of digits.
	ErrInterval = errors.New("graph: invalid availabilityViewInterval")
	// ErrTooDeep: the body nests arrays and objects deeper than MaxDepth.
	ErrTooDeep = errors.New("graph: JSON nested too deeply")
	// ErrTooManyElements: the body holds more elements than
	// MaxRequestElements or MaxResponseElements.
	ErrTooManyElements = errors.New("graph: too many JSON elements")
)

// FormatError reports getSchedule data that cannot be read.
type FormatError struct {
	// Field is the JSON field concerned ("dateTime", "value[3]"), or "".
	Field string
	// Detail says what is wrong, for people.
	Detail string
	// Err is the condition (ErrSyntax, ErrTooLarge, ...).
	Err error
}

// Error implements error.
func (e *FormatError) Error() string {
	msg := "graph: getSchedule"
	if e.Field != "" {
		msg += " " + e.Field
	}
	return msg + ": " + e.Detail
}

// Unwrap returns the condition.
func (e *FormatError) Unwrap() error { return e.Err }

// Is makes every *FormatError match ErrInvalid and freebusy.ErrInvalid.
func (e *FormatError) Is(target error) bool {
	return target == ErrInvalid || target == freebusy.ErrInvalid
}

func formatErr(field string, cond error, format string, args ...any) *FormatError {
	return &FormatError{Field: field, Detail: fmt.Sprintf(format, args...), Err: cond}
}

// HTTPError is a getSchedule request Graph refused as a whole: the
// HTTP status and Graph's error envelope. It matches the freebusy sentinel
// of its Reason with errors.Is.
type HTTPError struct {
	// StatusCode is the HTTP status.
	StatusCode int
	// Code and Message come from the error envelope, when there was one.
	Code    string
	Message string
	// RetryAfter is the Retry-After header, or zero.
	RetryAfter time.Duration
}

// Error implements error.
func (e *HTTPError) Error() string {
	msg := "graph: getSchedule: HTTP " + strconv.Itoa(e.StatusCode)
	if e.Code != "" {
		msg += ": " + e.Code
	}
	if e.Message != "" {
		msg += ": " + e.Message
	}
	return msg
}

// Reason classifies the status: 400 and 404 invalid, 401 and 403 access
// denied, 408 and 504 timeout, 429 throttled, other 5xx unavailable,
// anything else internal.
func (e *HTTPError) Reason() freebusy.Reason {
	switch c := e.StatusCode; {
	case c == 400 || c == 404 || c == 413 || c == 422:
		return freebusy.ReasonInvalid
	case c == 401 || c == 403:
		return freebusy.ReasonAccessDenied
	case c == 408 || c == 504:
		return freebusy.ReasonTimeout
	case c == 429:
		return freebusy.ReasonThrottled
	case c >= 500:
		return freebusy.ReasonUnavailable
	}
	return freebusy.ReasonInternal
}

// Is reports whether target is the freebusy sentinel of e's Reason.
func (e *HTTPError) Is(target error) bool {
	s := e.Reason().Sentinel()
	return s != nil && target == s
}

// requestLimits and responseLimits bound the shape of bodies before
// encoding/json reads them.
var (
	requestLimits  = jsonguard.Limits{MaxDepth: MaxDepth, MaxElements: MaxRequestElements}
	responseLimits = jsonguard.Limits{MaxDepth: MaxDepth, MaxElements: MaxResponseElements}
)

// DecodeGetScheduleRequest reads a getSchedule request body of at most
// MaxRequestBytes, MaxDepth levels and MaxRequestElements elements.
// Unknown fields are ignored (evolution-ews sends "interval");
// availabilityViewInterval may be a number or a numeric string (see
// ScheduleRequest.UnmarshalJSON). Errors are *FormatError values: ErrSyntax,
// ErrTooLarge, ErrTooDeep, ErrTooManyElements, ErrInterval.
func DecodeGetScheduleRequest(r io.Reader) (*ScheduleRequest, error) {
	var req ScheduleRequest
	if err := decodeJSON(r, MaxRequestBytes, requestLimits, "request", &req); err != nil {
		return nil, err
	}
	return &req, nil
}

// EncodeGetScheduleRequest writes req as JSON.
func EncodeGetScheduleRequest(w io.Writer, req *ScheduleRequest) error {
	return json.NewEncoder(w).Encode(req)
}

// DecodeGetScheduleResponse reads a getSchedule response body of at most
// MaxResponseBytes, MaxDepth levels and MaxResponseElements elements;
// "@odata.context" and unknown fields are ignored. Errors are *FormatError
// values: ErrSyntax, ErrTooLarge, ErrTooDeep, ErrTooManyElements.
func DecodeGetScheduleResponse(r io.Reader) (*ScheduleResponse, error) {
	var resp ScheduleResponse
	if err := decodeJSON(r, MaxResponseBytes, responseLimits, "response", &resp); err != nil {
		return nil, err
	}
	return &resp, nil
}

// EncodeGetScheduleResponse writes resp as JSON.
func EncodeGetScheduleResponse(w io.Writer, resp *ScheduleResponse) error {
	return json.NewEncoder(w).Encode(resp)
}

func decodeJSON(r io.Reader, limit int64, shape jsonguard.Limits, what string, v any) error {
	body, err := readJSON(r, limit, shape, what)
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return formatErr("", ErrSyntax, "empty %s", what)
	}
	if err := json.Unmarshal(body, v); err != nil {
		if fe, ok := errors.AsType[*FormatError](err); ok {
			return fe
		}
		return formatErr("", ErrSyntax, "%s is not a getSchedule %s: %v", what, what, err)
	}
	return nil
}

// readJSON reads a body of at most limit bytes, checking its shape as
// it arrives: a body beyond shape is refused at the read that shows it,
// without reading the rest.
func readJSON(r io.Reader, limit int64, shape jsonguard.Limits, what string) ([]byte, error) {
	sc := jsonguard.Scanner{Limits: shape}
	body, err := io.ReadAll(io.TeeReader(io.LimitReader(r, limit+1), &sc))
	if le, ok := errors.AsType[*jsonguard.LimitError](err); ok {
		cond := ErrTooManyElements
		if errors.Is(le, jsonguard.ErrTooDeep) {
			cond = ErrTooDeep
		}
		return nil, formatErr("", cond, "%s beyond %d at byte %d", what, le.Limit, le.Offset)
	}
	if _, ok := errors.AsType[*http.MaxBytesError](err); ok || int64(len(body)) > limit {
		return nil, formatErr("", ErrTooLarge, "%s exceeds %d bytes", what, limit)
	}
	if err != nil {
		return nil, formatErr("", ErrSyntax, "reading the %s: %v", what, err)
	}
	return body, nil
}
