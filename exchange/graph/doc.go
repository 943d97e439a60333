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
// a stand-in for Graph in tests and gateways. It refuses what Graph
// refuses with the error codes Exchange's availability service uses
// (§3.3; the table is package exchange's ResponseCode), and honours
// Prefer: outlook.timezone for the item times it writes.
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
// most MaxRequestBytes and MaxResponseBytes and report bad input as a
// *FormatError (matching ErrInvalid and freebusy.ErrInvalid); a request
// Graph refuses as a whole is an *HTTPError. NewScheduleRequest,
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
//   - Graph holds one working-hours period a week: NewWorkingHours keeps
//     the first when periods differ (docs/mapping.md §4.9).
package graph
