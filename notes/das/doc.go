// Package das speaks the freebusy API of HCL (formerly IBM) Domino Access
// Services, Domino's HTTP interface to busy time, as client and as server.
// The API is described in IBM's "Domino Freebusy Service – Developer
// Guide" and its OpenAPI definition freebusy.yaml (OpenNTF das-api-specs);
// docs/notes.md §2.1 and §2.2 summarise both, with what real servers do
// beyond them. Sections (§) without a document name refer to
// docs/notes.md.
//
// # The API
//
// GET /api/freebusy/busytime?name=...&since=...&before=... answers for one
// name at a time with the busy periods of a window, as JSON or, with
// format=icalendar, as a VFREEBUSY (§2.2.2 to §2.2.4). Dates on the URL are
// exactly YYYY-MM-DDTHH:MM:SSZ (TimeLayout, FormatTime, ParseTime); DAS
// refuses fractions and offsets. Rooms are reached through
// /api/freebusy/directories, /api/freebusy/sites/{directory} and
// /api/freebusy/freerooms (§2.2.5).
//
// # Wire model and codec
//
// BusyTime, DateTime, DateTimeRange, Error, Links, Directories, Sites and
// FreeRooms mirror DAS's JSON documents field for field. DecodeBusyTime,
// EncodeBusyTime, DecodeError, EncodeError and the other Decode functions
// read and write them, at most MaxDocumentBytes each;
// DecodeBusyTimeICalendar and EncodeBusyTimeICalendar are the
// format=icalendar twins. Decoders keep what DAS sent, including the
// inverted first period IBM's own sample carries (§2.2.6).
//
// # Mapping to free/busy
//
// DAS has one status, busy: it builds its answer from an internal VFREEBUSY
// and drops FBTYPE. BusyTime.Schedule turns an answer into a canonical
// schedule (periods Busy, inverted ones dropped and counted, asked time
// DAS did not answer for Unknown); NewBusyTime turns a schedule into the
// answer DAS would give (Busy, OutOfOffice and Unknown become busy
// periods, Tentative too unless BusyTimeOptions.TentativeAsFree). The
// rules and their reasons are docs/mapping.md §3.7, §4.5 and §4.6: no
// mapping ever turns time without data into free time.
//
// # Client and Handler
//
// Client is a freebusy.Source that queries a Domino server: one busytime
// request per attendee, WithConcurrency of them at a time, names passed
// without their routing domain (Microsoft KB Q271590, docs/notes.md §5.2),
// each attendee's failure in that attendee's Schedule.Err. Handler serves
// the same API from any freebusy.Source, so that Domino-side tools can ask
// a gateway about Exchange users as if it were a Domino server; it is also
// the Client's test double.
//
// # Options
//
// NewClient takes ClientOption values and NewHandler HandlerOption values;
// an Option (WithLogger, WithLimits, WithMaxBodyBytes) fits both, and an
// option meant for one does not compile with the other. A constructor
// given an option value it cannot take fails at once with an error
// matching ErrInvalidOption. Logging goes to a zap.Logger given with
// WithLogger (default: none); names and schedules are logged at Debug
// level only.
package das
