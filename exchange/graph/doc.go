// Package graph speaks Microsoft Graph getSchedule, Exchange Online's JSON
// interface to free/busy (Microsoft Graph documentation "calendar:
// getSchedule"), in both directions, and converts it to and from the
// canonical model of package freebusy.
//
// Sections (§) refer to docs/exchange.md unless another document is named;
// the status mappings and their losses are in docs/mapping.md §3.2.
//
// # Client and Handler
//
// Client is a freebusy.Source over the Graph endpoint (NewClient,
// WithBaseURL, by default DefaultBaseURL) and any *http.Client, whose
// Transport carries the authentication. It cuts a query into requests
// Graph accepts (§3.3: at most MaxSchedules schedules, a window shorter
// than MaxWindow, each request a whole number of slots and at least one),
// runs them at most WithConcurrency at a time, retries a throttled request
// after its Retry-After within the caller's deadline, and joins the
// answers into one schedule per attendee. What has not finished when the
// context ends fails with ReasonTimeout, per attendee.
//
// Handler serves POST /me/calendar/getSchedule and
// /users/{id}/calendar/getSchedule from any freebusy.Source (NewHandler):
// a stand-in for Graph in tests and gateways. It takes what Graph takes
// (Microsoft Graph documentation "calendar: getSchedule"):
//   - the paths in any case, with or without /v1.0
//     (/v1.0/me/calendar/getschedule too); other paths are 404 with Graph's
//     error envelope, {"error":{"code":"ResourceNotFound",...}};
//   - availabilityViewInterval as a number or a string of digits ("15");
//     another string is 400 with code ErrorInvalidRequest;
//   - Prefer: outlook.timezone for the item times it writes.
//
// It refuses what Graph refuses with the error codes Exchange's
// availability service uses (§3.3; the table is package exchange's
// ResponseCode), and bodies beyond MaxRequestBytes (413), MaxDepth or
// MaxRequestElements (400, refused as soon as the excess arrives). Its
// answers carry "@odata.context" under the WithBaseURL service root,
// scheduleItems whole (an item from 04:00 to 04:00 the next day stays so in
// a window from 06:00 to 12:00; only availabilityView is clipped), and
// subjects only under WithDetails.
//
// # Options
//
// Each constructor has its own option type, so an option that does not
// apply does not compile: ClientOption for NewClient, HandlerOption for
// NewHandler, and Option for the knobs both read (WithLogger, WithLimits).
// A constructor given a value an option cannot take (a base URL that is
// not absolute http or https, a concurrency below 1, a negative retry
// count, timeout or limit) fails at once with an error matching
// ErrInvalidOption; a nil logger or *http.Client means the default.
//
// # Wire types and conversion
//
// ScheduleRequest, ScheduleResponse, ScheduleInformation, ScheduleItem,
// WorkingHours and DateTimeTimeZone mirror the JSON resources (§3.1, §3.2).
// DecodeGetScheduleRequest and DecodeGetScheduleResponse read bodies of at
// most MaxRequestBytes and MaxResponseBytes, nested at most MaxDepth deep
// and holding at most MaxRequestElements and MaxResponseElements elements
// (checked by a scan of the bytes as they arrive, before encoding/json
// sees them), and report bad input as a *FormatError (matching ErrInvalid
// and freebusy.ErrInvalid); a request Graph refuses as a whole is an
// *HTTPError. NewScheduleRequest,
// ScheduleRequest.Query, ScheduleResponse.Schedules,
// ScheduleInformation.Schedule, NewScheduleResponse and
// NewScheduleInformation convert.
//
// The rules of the conversion (§3.2, §6):
//   - availabilityView writes working elsewhere as 0, like free, so
//     scheduleItems decide where they exist; the view fills only slots no
//     item overlaps, and a '4' there is Unknown (docs/mapping.md §4.2).
//   - an item status Graph does not document reads as Busy, never Free
//     (docs/mapping.md §4.7); without scheduleItems the view alone decides
//     and window time past its end is Unknown (docs/mapping.md §4.6).
//   - date-times without offset are wall times in their zone, a Windows
//     ("Pacific Standard Time") or IANA name, resolved with real tzdata;
//     everything handed to package freebusy is UTC.
//   - a schedule's failure travels as freeBusyError: "5009" (§3.2) for an
//     unknown attendee, the EWS response code of the reason otherwise
//     (ErrorReason reads them back).
//   - Graph holds one working-hours period a week (one startTime, endTime
//     and daysOfWeek): NewWorkingHours keeps every day that has working
//     time and writes the span (earliest start to latest end) most of
//     those days share, so EWS's Monday to Thursday 08:00-12:00 and
//     13:00-16:30 with Friday 08:00-13:00 becomes Monday to Friday
//     08:00-16:30 (docs/mapping.md §4.10).
package graph
