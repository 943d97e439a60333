// Package ews speaks Exchange Web Services GetUserAvailability, the SOAP
// operation through which Exchange 2007 SP1 and later, and Exchange
// Online, serve free/busy, in both directions: a Client asks an EWS
// endpoint and is a freebusy.Source; a Handler answers EWS clients from
// any freebusy.Source; an AutodiscoverHandler points EWS clients at a
// Handler.
//
// Sections (§) refer to docs/exchange.md unless another document is
// named; docs/mapping.md §3.1 lists what EWS's vocabulary keeps and loses.
//
// # Client
//
// NewClient(url, ...ClientOption) returns a Client for an EWS URL
// (https://host/EWS/Exchange.asmx). Authentication is the caller's: put it
// in the RoundTripper of the *http.Client given with WithHTTPClient. A
// query is split into requests of at most the limits' MaxAttendees (100 by
// default) and MaxWindow (62 days, §2.8), none shorter than one
// MergedFreeBusy interval (a short window asks up to the next slot and the
// answer is clipped back), which run concurrently (WithConcurrency) and are
// stitched back into one schedule per attendee. The Client asks for
// RequestServerVersion Exchange2013, so that WorkingElsewhere comes back;
// waits out ErrorServerBusy back-off hints within the caller's deadline
// (WithMaxRetries); maps each mailbox's response code to a freebusy.Reason
// with the table of package exchange (exchange.ResponseCode); and when the
// caller's context ends returns what finished, the rest failed with
// ReasonTimeout at a deadline or ReasonUnavailable on cancellation. A call
// whose context has no deadline is bounded by WithCallTimeout.
//
// # Handler
//
// NewHandler(src, ...HandlerOption) returns an http.Handler that answers
// GetUserAvailability from src, so that an Exchange availability address
// space, or any EWS client, can ask about users who live elsewhere. It
// accepts what real clients send (§2.2 client quirks), honours
// RequestedView with the §2.5 downgrade of Detailed views unless
// WithDetails allows details, refuses what Exchange refuses with the §2.7
// response codes (the window limit counted in whole days of the request's
// zone), maps mailboxes to attendees with WithMailboxResolver (for
// legacyExchangeDN "EX" addresses, which package exchange parses), and
// answers a SOAP 1.2 request in SOAP 1.2. It also answers
// GetServerTimeZones ([MS-OXWSGTZ]) from tzdata, which clients such as
// Python exchangelib call before GetUserAvailability, and any other
// operation with an ErrorInvalidOperation fault. Every answer, faults
// included, carries the ServerVersionInfo SOAP header
// (DefaultServerVersion, WithServerVersion), from which clients that probe
// learn the server's version (§2.10). NewAutodiscoverHandler returns a
// minimal plain-old-XML Autodiscover responder ([MS-OXDSCLI]) for it.
//
// # Options
//
// Each constructor takes its own option type, so that an option that does
// not apply does not compile: ClientOption, HandlerOption and
// AutodiscoverOption. Knobs shared by NewClient and NewHandler
// (WithLimits, WithMaxDepth, WithMaxElements) return an Option, which is
// both; knobs every constructor
// reads (WithLogger, WithMaxBodyBytes) return a CommonOption; the
// handlers' knob (WithReadTimeout, a deadline for reading the request body)
// returns a ServerOption, which both handlers take. A constructor given a value an option cannot take fails at once with an
// error that names the option; nil loggers and *http.Clients mean the
// defaults.
//
// # Wire format
//
// DecodeAvailabilityResponse reads a GetUserAvailability response (or a
// SOAP 1.1 or 1.2 fault, returned as a *SOAPFault) into an
// AvailabilityResponse, whose Schedules method converts it to canonical
// schedules; the Client does the same with every answer. Every element is
// written, and read back, in the namespace §2.1 gives it. The decoder is a
// loop over encoding/xml's tokenizer that refuses DOCTYPEs, never expands
// entities, caps document size (MaxRequestBytes, MaxResponseBytes),
// nesting depth (MaxDepth) and element count (MaxRequestElements,
// MaxResponseElements), stopping at the first element past a limit, and
// reports bad input as a *DecodeError; it reads every document the
// package receives, Autodiscover requests included.
//
// MergedFreeBusy digits (§2.6: 0 free, 1 tentative, 2 busy, 3 OOF, 4 no
// data) go through freebusy.AvailabilityView and ParseAvailabilityView.
// EWS defines no digit for WorkingElsewhere, which is written as 0
// (docs/mapping.md §4.2), while CalendarEvent BusyType carries it exactly
// (and is written as Free to clients that ask for a version before
// Exchange 2013). No data is never free (docs/mapping.md §4.6).
//
// # Time zones
//
// EWS describes zones as a SerializableTimeZone (§2.3): a bias in minutes
// west of UTC and two weekday-in-month transition rules.
// NewSerializableTimeZone derives one for a year from tzdata;
// SerializableTimeZone.Location turns one back into a *time.Location,
// preferring a real tz zone with the same rules and otherwise evaluating
// the rules themselves. Date-times without an offset (DateTime) are wall
// times in the request's zone. Windows zone ids, which the
// TimeZoneContext header carries, map to IANA ids with
// freebusy.WindowsToIANA.
//
// # Errors
//
// A mailbox the server could not answer fails with a *ResponseError, a
// request it refused with a *SOAPFault, a document that could not be read
// with a *DecodeError (ErrDTD, ErrTooLarge, ErrTooDeep,
// ErrTooManyElements, ErrMalformedXML, ErrNotAvailability, ErrBadValue), a zone that cannot be evaluated with a
// *TimeZoneError. Each matches the freebusy sentinel of its reason with
// errors.Is, so freebusy.ReasonOf classifies them all.
//
// All instants handed to package freebusy are UTC; zones are converted at
// this package's edge with real tzdata. Clients and handlers are safe for
// concurrent use.
package ews
