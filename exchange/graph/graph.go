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
)

// Limits of Microsoft Graph getSchedule (exchange-freebusy.md §3.3) and of
// what this package reads.
const (
	// GraphMaxSchedules is the most schedules one getSchedule request may
	// ask for.
	GraphMaxSchedules = 20
	// GraphMaxWindow bounds a request's window: Graph wants less than 62
	// days, so GraphClient splits longer windows into pieces shorter than
	// this.
	GraphMaxWindow = 62 * 24 * time.Hour
	// MaxGraphRequestBytes bounds a getSchedule request body read by
	// GraphHandler.
	MaxGraphRequestBytes = 1 << 20
	// MaxGraphResponseBytes bounds a getSchedule response body read by
	// GraphClient: 20 schedules of 62 days with 5-minute views and
	// thousands of items stay far below it.
	MaxGraphResponseBytes = 32 << 20
)

// graphDateTimeLayout is Graph's dateTimeTimeZone.dateTime: local wall time,
// no offset, seven fraction digits (§3.2).
const graphDateTimeLayout = "2006-01-02T15:04:05.0000000"

// graphDateTimeParseLayout accepts zero to nine fraction digits.
const graphDateTimeParseLayout = "2006-01-02T15:04:05.999999999"

// GraphDateTimeTimeZone is Graph's dateTimeTimeZone resource
// (datetimetimezone.md; exchange-freebusy.md §3.1, §3.2): a wall-clock time
// without offset and the zone it is in, a Windows zone name ("Pacific
// Standard Time") or an IANA one ("America/Los_Angeles").
type GraphDateTimeTimeZone struct {
	// DateTime is "2019-03-15T12:00:00.0000000"; fraction digits optional.
	DateTime string `json:"dateTime"`
	// TimeZone is the zone's Windows or IANA name; "" means UTC.
	TimeZone string `json:"timeZone"`
}

// NewGraphDateTimeTimeZone writes t as wall time in loc with seven fraction
// digits, naming the zone zone (a Windows name, as Graph writes it, or an
// IANA name).
func NewGraphDateTimeTimeZone(t time.Time, loc *time.Location, zone string) GraphDateTimeTimeZone {
	return GraphDateTimeTimeZone{DateTime: t.In(loc).Format(graphDateTimeLayout), TimeZone: zone}
}

// Time resolves d to an instant. See GraphZones.Time.
func (d GraphDateTimeTimeZone) Time() (time.Time, error) {
	var z GraphZones
	return z.Time(d)
}

// GraphZones resolves Graph zone names to locations, remembering each one
// it loaded (time.LoadLocation reads tzdata from disk). The zero value is
// ready to use; it is not safe for concurrent use, so keep one per decode.
type GraphZones struct {
	cache map[string]*time.Location
}

// Location returns the location a Graph zone name stands for: "" and "UTC"
// are UTC, a Windows zone id is mapped with freebusy.WindowsToIANA, anything else is
// loaded as an IANA name with time.LoadLocation. Unknown names (and "Local")
// are a *GraphFormatError matching ErrGraphTimeZone.
func (z *GraphZones) Location(name string) (*time.Location, error) {
	if loc, ok := z.cache[name]; ok {
		return loc, nil
	}
	loc, err := graphLocation(name)
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

func graphLocation(name string) (*time.Location, error) {
	trimmed := strings.TrimSpace(name)
	switch {
	case trimmed == "" || strings.EqualFold(trimmed, "UTC"):
		return time.UTC, nil
	case strings.EqualFold(trimmed, "Local") || len(trimmed) > 128:
		return nil, graphFormatErr("timeZone", ErrGraphTimeZone, "unknown time zone %q", name)
	}
	if iana, ok := freebusy.WindowsToIANA(trimmed); ok {
		if loc, err := time.LoadLocation(iana); err == nil {
			return loc, nil
		}
	}
	loc, err := time.LoadLocation(trimmed)
	if err != nil {
		return nil, graphFormatErr("timeZone", ErrGraphTimeZone, "unknown time zone %q", name)
	}
	return loc, nil
}

// Time resolves d to a UTC instant: DateTime read as wall time in the zone
// TimeZone names. A DateTime that carries an offset or "Z" (not what Graph
// writes, but what some clients send) is taken at that offset. Errors are
// *GraphFormatError values.
func (z *GraphZones) Time(d GraphDateTimeTimeZone) (time.Time, error) {
	if len(d.DateTime) > 64 {
		return time.Time{}, graphFormatErr("dateTime", ErrGraphDateTime, "dateTime of %d bytes", len(d.DateTime))
	}
	loc, err := z.Location(d.TimeZone)
	if err != nil {
		return time.Time{}, err
	}
	t, err := time.ParseInLocation(graphDateTimeParseLayout, d.DateTime, loc)
	if err != nil {
		t, err = time.Parse(time.RFC3339Nano, d.DateTime)
		if err != nil {
			return time.Time{}, graphFormatErr("dateTime", ErrGraphDateTime, "%q is not a date-time", d.DateTime)
		}
	}
	return t.UTC(), nil
}

// GraphScheduleRequest is the body of POST /me/calendar/getSchedule and
// /users/{id}/calendar/getSchedule (calendar-getschedule.md;
// exchange-freebusy.md §3.1).
type GraphScheduleRequest struct {
	// Schedules are the SMTP addresses asked about, at most
	// GraphMaxSchedules.
	Schedules []string `json:"schedules"`
	// StartTime and EndTime bound the window.
	StartTime GraphDateTimeTimeZone `json:"startTime"`
	EndTime   GraphDateTimeTimeZone `json:"endTime"`
	// AvailabilityViewInterval is the slot length in minutes, 5 to 1440;
	// 0 leaves it out (Graph then uses 30). It is never sent as null, which
	// made Graph fail with HTTP 500 (§3.1).
	AvailabilityViewInterval int `json:"availabilityViewInterval,omitempty"`
}

// GraphScheduleResponse is the body of a successful getSchedule answer:
// one GraphScheduleInformation per requested schedule (§3.2).
type GraphScheduleResponse struct {
	Value []GraphScheduleInformation `json:"value"`
}

// GraphScheduleInformation is Graph's scheduleInformation resource
// (scheduleinformation.md; exchange-freebusy.md §3.2).
type GraphScheduleInformation struct {
	// ScheduleID echoes the requested address.
	ScheduleID string `json:"scheduleId"`
	// AvailabilityView has one digit per interval from the start: 0 free
	// or working elsewhere, 1 tentative, 2 busy, 3 out of office, 4 no
	// data.
	AvailabilityView string `json:"availabilityView,omitempty"`
	// ScheduleItems are the items overlapping the window. nil means the
	// field was absent, which matters when decoding: see
	// GraphScheduleInformation.Schedule.
	ScheduleItems []GraphScheduleItem `json:"scheduleItems,omitzero"`
	// WorkingHours are the owner's working hours.
	WorkingHours *GraphWorkingHours `json:"workingHours,omitempty"`
	// Error is set when this schedule failed; the others are unaffected.
	Error *GraphFreeBusyError `json:"error,omitempty"`
}

// The freeBusyStatus values of a scheduleItem (scheduleitem.md; §3.2).
const (
	GraphStatusFree             = "free"
	GraphStatusTentative        = "tentative"
	GraphStatusBusy             = "busy"
	GraphStatusOOF              = "oof"
	GraphStatusWorkingElsewhere = "workingElsewhere"
	GraphStatusUnknown          = "unknown"
)

// GraphScheduleItem is Graph's scheduleItem resource (scheduleitem.md;
// §3.2).
type GraphScheduleItem struct {
	// IsPrivate withholds Subject and Location.
	IsPrivate bool `json:"isPrivate"`
	// Status is a freeBusyStatus: GraphStatusBusy, ...; read
	// case-insensitively (the concept page writes "Busy").
	Status string `json:"status"`
	// Subject and Location are set only when the caller may see details.
	Subject  string `json:"subject,omitempty"`
	Location string `json:"location,omitempty"`
	// Start and End are in the zone of the Prefer: outlook.timezone header,
	// UTC without it.
	Start GraphDateTimeTimeZone `json:"start"`
	End   GraphDateTimeTimeZone `json:"end"`
}

// GraphWorkingHours is Graph's workingHours resource (workinghours.md;
// §3.2).
type GraphWorkingHours struct {
	// DaysOfWeek are lower-case day names: "monday", ...
	DaysOfWeek []string `json:"daysOfWeek"`
	// StartTime and EndTime are Edm.TimeOfDay, "08:00:00.0000000", local
	// to TimeZone.
	StartTime string `json:"startTime"`
	EndTime   string `json:"endTime"`
	// TimeZone is the zone of the hours.
	TimeZone *GraphTimeZoneBase `json:"timeZone,omitempty"`
}

// GraphTimeZoneBase is Graph's timeZoneBase, or a customTimeZone
// (customtimezone.md; §3.2). Only the name is used: a customTimeZone whose
// name is not a known zone is not turned into hand-written DST rules, so its
// working hours are dropped.
type GraphTimeZoneBase struct {
	// ODataType is "#microsoft.graph.customTimeZone" for a custom zone.
	ODataType string `json:"@odata.type,omitempty"`
	// Name is a Windows or IANA zone name.
	Name string `json:"name"`
	// Bias is a customTimeZone's bias in minutes (sign unverified, §3.2);
	// informational only.
	Bias *int `json:"bias,omitempty"`
}

// GraphFreeBusyError is Graph's freeBusyError resource (freebusyerror.md;
// §3.2): why one schedule failed.
type GraphFreeBusyError struct {
	Message      string `json:"message"`
	ResponseCode string `json:"responseCode"`
}

// GraphErrorResponse is Graph's error envelope for a failed request:
// {"error":{"code":"...","message":"..."}}.
type GraphErrorResponse struct {
	Error GraphErrorDetail `json:"error"`
}

// GraphErrorDetail is the inner object of GraphErrorResponse.
type GraphErrorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Graph format conditions. Every *GraphFormatError matches
// ErrInvalidGraph and freebusy.ErrInvalid, and its Err condition.
var (
	// ErrInvalidGraph is matched by every *GraphFormatError.
	ErrInvalidGraph = errors.New("exchange: invalid graph getSchedule data")
	// ErrGraphSyntax: the body is not the expected JSON.
	ErrGraphSyntax = errors.New("exchange: graph JSON syntax")
	// ErrGraphTooLarge: the body exceeds its size limit.
	ErrGraphTooLarge = errors.New("exchange: graph body too large")
	// ErrGraphDateTime: a dateTime is not a date-time.
	ErrGraphDateTime = errors.New("exchange: invalid graph dateTime")
	// ErrGraphTimeZone: a time zone name is unknown.
	ErrGraphTimeZone = errors.New("exchange: unknown graph time zone")
	// ErrGraphWorkingHours: workingHours cannot be read.
	ErrGraphWorkingHours = errors.New("exchange: invalid graph working hours")
	// ErrGraphView: an availabilityView is not a digit string.
	ErrGraphView = errors.New("exchange: invalid graph availability view")
	// ErrGraphMismatch: a response does not answer its request (count or
	// scheduleId differs).
	ErrGraphMismatch = errors.New("exchange: graph response does not match its request")
)

// GraphFormatError reports getSchedule data that cannot be read.
type GraphFormatError struct {
	// Field is the JSON field concerned ("dateTime", "value[3]"), or "".
	Field string
	// Detail says what is wrong, for people.
	Detail string
	// Err is the condition (ErrGraphSyntax, ErrGraphTooLarge, ...).
	Err error
}

// Error implements error.
func (e *GraphFormatError) Error() string {
	msg := "exchange: graph getSchedule"
	if e.Field != "" {
		msg += " " + e.Field
	}
	return msg + ": " + e.Detail
}

// Unwrap returns the condition.
func (e *GraphFormatError) Unwrap() error { return e.Err }

// Is makes every *GraphFormatError match ErrInvalidGraph and
// freebusy.ErrInvalid.
func (e *GraphFormatError) Is(target error) bool {
	return target == ErrInvalidGraph || target == freebusy.ErrInvalid
}

func graphFormatErr(field string, cond error, format string, args ...any) *GraphFormatError {
	return &GraphFormatError{Field: field, Detail: fmt.Sprintf(format, args...), Err: cond}
}

// GraphHTTPError is a getSchedule request Graph refused as a whole: the
// HTTP status and Graph's error envelope. It matches the freebusy sentinel
// of its Reason with errors.Is.
type GraphHTTPError struct {
	// StatusCode is the HTTP status.
	StatusCode int
	// Code and Message come from the error envelope, when there was one.
	Code    string
	Message string
	// RetryAfter is the Retry-After header, or zero.
	RetryAfter time.Duration
}

// Error implements error.
func (e *GraphHTTPError) Error() string {
	msg := "exchange: graph getSchedule: HTTP " + strconv.Itoa(e.StatusCode)
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
func (e *GraphHTTPError) Reason() freebusy.Reason {
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
func (e *GraphHTTPError) Is(target error) bool {
	s := e.Reason().Sentinel()
	return s != nil && target == s
}

// DecodeGetScheduleRequest reads a getSchedule request body of at most
// MaxGraphRequestBytes. Unknown fields are ignored (evolution-ews sends
// "interval"). Errors are *GraphFormatError values.
func DecodeGetScheduleRequest(r io.Reader) (*GraphScheduleRequest, error) {
	var req GraphScheduleRequest
	if err := decodeGraphJSON(r, MaxGraphRequestBytes, "request", &req); err != nil {
		return nil, err
	}
	return &req, nil
}

// EncodeGetScheduleRequest writes req as JSON.
func EncodeGetScheduleRequest(w io.Writer, req *GraphScheduleRequest) error {
	return json.NewEncoder(w).Encode(req)
}

// DecodeGetScheduleResponse reads a getSchedule response body of at most
// MaxGraphResponseBytes. Errors are *GraphFormatError values.
func DecodeGetScheduleResponse(r io.Reader) (*GraphScheduleResponse, error) {
	var resp GraphScheduleResponse
	if err := decodeGraphJSON(r, MaxGraphResponseBytes, "response", &resp); err != nil {
		return nil, err
	}
	return &resp, nil
}

// EncodeGetScheduleResponse writes resp as JSON.
func EncodeGetScheduleResponse(w io.Writer, resp *GraphScheduleResponse) error {
	return json.NewEncoder(w).Encode(resp)
}

func decodeGraphJSON(r io.Reader, limit int64, what string, v any) error {
	body, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return graphFormatErr("", ErrGraphTooLarge, "%s exceeds %d bytes", what, limit)
		}
		return graphFormatErr("", ErrGraphSyntax, "reading the %s: %v", what, err)
	}
	if int64(len(body)) > limit {
		return graphFormatErr("", ErrGraphTooLarge, "%s exceeds %d bytes", what, limit)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return graphFormatErr("", ErrGraphSyntax, "empty %s", what)
	}
	if err := json.Unmarshal(body, v); err != nil {
		return graphFormatErr("", ErrGraphSyntax, "%s is not a getSchedule %s: %v", what, what, err)
	}
	return nil
}
