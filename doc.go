// Package calbridge translates calendar free/busy between Lotus Notes / HCL
// Domino and Microsoft Exchange, in both directions, and carries free/busy
// queries between the two halves of a gateway over a transport that can
// never wedge.
//
// This package holds documentation only; the code lives in the packages
// below. The walk-through in this package's example (Example) builds a small
// gateway end to end.
//
// # The packages
//
//	package                 what it is for
//	freebusy                the hub: the canonical model every other package speaks
//	freebusy/ical           iCalendar: VFREEBUSY encode/decode, calendar (VEVENT) decoding
//	notes                   Domino: names, TIMEDATE, busy-time policy, Calendar Profile,
//	                        Notes time-zone strings, calendar exports as a Source
//	notes/das               Domino Access Services freebusy: client and server
//	exchange                Exchange addressing and the response codes EWS and Graph share
//	exchange/ews            EWS GetUserAvailability: client, server, Autodiscover
//	exchange/graph          Microsoft Graph getSchedule: client and server
//	exchange/publicfolder   public-folder free/busy ([MS-OXOPFFB]) and its Source
//	transport               the reconnect-safe JSON-RPC client and server between halves
//	transport/transporttest an in-memory network and a fault-injecting proxy
//
// [github.com/calbridge/calbridge/freebusy] holds statuses (Unknown is "no
// data" and never Free), UTC half-open intervals, queries with limits,
// schedules that carry their own outcome (as-of time, stale flag, a typed
// per-attendee failure), working hours expanded with tzdata,
// normalization, group merge, availability views and free-time search.
// Its Source interface is what every backend, transport and middleware
// implements. Each side package has the same shape: wire types that mirror
// the protocol, a codec, conversion to and from freebusy, an HTTP client
// that is a Source, and an HTTP handler that serves the protocol from any
// Source. Each constructor has its own option type, so an option that does
// not apply does not compile, and it reports a bad option at once.
//
// The import rules keep the sides apart: freebusy imports only the standard
// library and freebusy/ical adds go-ical; notes/... and exchange/... import
// freebusy/... and never each other; transport knows nothing of Notes or
// Exchange. Only programs (see examples/) wire the sides together. A test
// (deps_test.go) enforces this, and keeps every package under 150 exported
// identifiers with no name that repeats its package.
//
// The formats, their lossy mappings and the transport's design are written
// up in the repository's docs/ directory (docs/README.md is the index);
// transport/PROTOCOL.md specifies the wire for clients in other languages.
//
// # Data flow
//
// A Notes user asks about Exchange users:
//
//	Domino-side caller -> das.Handler (DAS busytime request)
//	  -> freebusy.Query -> transport.Client == JSON-RPC over TCP/TLS ==>
//	  transport.Server (Exchange half) -> ews.Client or graph.Client
//	  -> freebusy.Schedules -> back over the transport
//	  -> DAS encoding (busyTimes JSON or VFREEBUSY)
//
// An Exchange user asks about Notes users: the mirror image. Exchange's
// availability service (an availability address space pointing at the
// gateway) calls ews.Handler with GetUserAvailability; the query crosses
// the transport; a das.Client or notes.CalendarSource answers; the answer
// goes back as EWS XML.
//
// Because every piece is a freebusy.Source, the pieces compose: a handler
// serves any Source, a transport client is a Source, a backend client is a
// Source. Middleware (caching, logging, name mapping) is a Source wrapping a
// Source.
//
// # What the ancestor got wrong, and what we do instead
//
// calbridge descends from Microsoft's Exchange Calendar Connector, whose
// documented failures are our tests:
//
//   - After an outage its Notes half sometimes never reconnected, and every
//     lookup failed silently until a restart (KB Q201280). transport.Client
//     has no terminal state but Close, reconnects with jittered backoff,
//     detects half-open peers with heartbeats, and fails fast with a typed
//     Unavailable error while the link is down.
//   - It served stale data without saying so. Every Schedule says when its
//     data was produced (AsOf) and whether it is stale.
//   - It showed "no data" as free. Unknown is its own status, rendered as
//     digit 4 in views and carried through iCalendar with an X- extension;
//     one attendee's failure is that attendee's typed error, never the
//     batch's, and never free time.
//   - It showed tentative as free (KB Q199643). Tentative is kept wherever a
//     format can say it; where one cannot (DAS), the loss is a documented,
//     configurable rule.
//   - It shifted every block by an hour when DST rules changed (KB 915494),
//     because it carried its own DST tables. All zone arithmetic here is
//     tzdata's, on UTC instants.
//   - Names with and without @Domain did not resolve (KB Q271590); the two
//     halves broke on version skew (KB Q286176). notes accepts both name
//     forms; the transport handshake checks the protocol version.
//
// # Conventions
//
// Errors are typed: sentinels for conditions, exported types for conditions
// with data, every per-attendee failure a *freebusy.Error with a Reason that
// errors.Is matches. Bad input gets an error, never a panic. Logging goes
// through a *zap.Logger given as an option (none by default), never with
// credentials or schedule contents above Debug. Every call that can block
// takes a context.Context first. Long-lived things are built with
// functional options; per-call input is a plain struct.
package calbridge
