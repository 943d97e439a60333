// Package exchange is calbridge's Microsoft Exchange side: it reads and
// writes the four ways Exchange publishes and serves free/busy, and converts
// each to and from the canonical model of package freebusy. Its reference is
// shared/reference/exchange-freebusy.md; section numbers (§) below point
// into it, and every wire type cites its section.
//
// # EWS GetUserAvailability (§2)
//
// The SOAP operation of Exchange 2007 SP1 and later and of Exchange Online.
// AvailabilityRequest and AvailabilityResponse mirror the messages, with
// every element written in the namespace §2.1 gives it; DecodeAvailabilityRequest,
// EncodeAvailabilityRequest, DecodeAvailabilityResponse,
// EncodeAvailabilityResponse and EncodeSOAPFault are the codec, a
// hand-written loop over encoding/xml's tokenizer that refuses DOCTYPEs,
// never expands entities, caps document size and reports bad input as a
// *DecodeError.
//
//   - Client is a freebusy.Source over an EWS URL and any *http.Client
//     (authentication is the caller's RoundTripper). It splits queries into
//     requests of at most 100 mailboxes and 62 days, none shorter than
//     one MergedFreeBusy interval, runs them concurrently, asks for Exchange2013 so that WorkingElsewhere comes
//     back, waits out ErrorServerBusy back-off hints within the caller's
//     deadline, and at the deadline returns what finished, with
//     ReasonTimeout for the rest.
//   - Handler answers GetUserAvailability from any freebusy.Source, so that
//     an Exchange availability address space, or any EWS client, can ask
//     about users who live elsewhere. It accepts what real clients send
//     (§2.2 client quirks), honours RequestedView with the §2.5 downgrade
//     of Detailed views (WithDetails), and refuses what Exchange refuses
//     with the §2.7 response codes, the 62-day window counted in whole days
//     of the request's zone. A SOAP 1.2 request is answered in SOAP 1.2
//     (application/soap+xml, 1.2 faults); Client reads faults of either
//     version. AutodiscoverHandler is a minimal POX
//     Autodiscover responder that points clients at it.
//   - Conversion: NewAvailabilityRequest, AvailabilityResponse.Schedules,
//     FreeBusyResponseOf. MergedFreeBusy digits (§2.6: 0 free, 1 tentative,
//     2 busy, 3 OOF, 4 no data) go through freebusy.AvailabilityView and
//     ParseAvailabilityView; EWS defines no digit for WorkingElsewhere, which
//     is written as 0 (available), while CalendarEvent BusyType carries it
//     exactly. Per-mailbox errors map to freebusy reasons through one table
//     (ResponseCode.Reason, CodeFor): ErrorMailRecipientNotFound is
//     ReasonUnknownAttendee, ErrorNoFreeBusyAccess ReasonAccessDenied,
//     ErrorTimeoutExpired ReasonTimeout, ErrorServerBusy ReasonThrottled.
//
// Time zones: EWS describes zones as a SerializableTimeZone (§2.3), a bias
// in minutes west of UTC and two weekday-in-month transition rules.
// NewSerializableTimeZone derives one for a year from tzdata;
// SerializableTimeZone.Location turns one back into a *time.Location,
// preferring a real tz zone with the same rules and otherwise evaluating
// the rules themselves. Date-times without an offset are wall times in the
// request's zone (DateTime). Windows zone ids, which EWS's TimeZoneContext
// and Graph carry, map to IANA ids and back with freebusy.WindowsToIANA and
// freebusy.IANAToWindows, from the Unicode CLDR windowsZones table that
// every package of calbridge shares.
//
// # Microsoft Graph getSchedule (§3)
//
// Exchange Online's JSON API. GraphScheduleRequest and GraphScheduleResponse
// mirror it; GraphClient is a freebusy.Source (at most GraphMaxSchedules
// schedules and windows under GraphMaxWindow per request, split and joined
// like Client's, with Retry-After honoured on 429), and GraphHandler serves
// getSchedule from any freebusy.Source, honouring Prefer: outlook.timezone.
// Graph's availabilityView shows WorkingElsewhere as 0, as its
// documentation says; its scheduleItems keep it.
//
// # Public-folder free/busy (§1)
//
// The legacy store of Exchange 5.5 to 2010, which the old Calendar
// Connector wrote for foreign users: one message per user in SCHEDULE+ FREE
// BUSY, holding per-status month lists and blobs of 4-byte minute records.
// PublicFolderMessage mirrors its properties; DecodePublicFolder and
// EncodePublicFolder convert it to and from a freebusy.Schedule (time
// outside the published range is no data, not free), and the month-key,
// blob and 1601-based time helpers are exported for tools.
//
// # Exchange addressing (§5)
//
// LegacyDN parses and compares legacyExchangeDNs, the "EX" addresses of
// EWS RoutingType EX and of public-folder messages, and derives the
// public-folder site folder and subject from them; ProxyAddress parses
// proxyAddresses entries ("SMTP:", "smtp:", "EX:", "X500:"). A Handler
// passes EX addresses to its Source unchanged unless WithMailboxResolver
// maps them, for example through a directory built from these.
//
// # Conventions
//
// All instants handed to package freebusy are UTC; zones are converted at
// this package's edge with real tzdata. Lossy mappings (WorkingElsewhere
// in digit strings, details withheld by policy, a SerializableTimeZone that
// approximates a year with more than two transitions) are documented where
// they happen. Clients and handlers are safe for concurrent use; options
// are shared by all of them and each documents which it reads.
package exchange
