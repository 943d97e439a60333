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
//   - [github.com/calbridge/calbridge/freebusy] is the hub: the canonical
//     model that every other package speaks. Statuses (Unknown is "no data"
//     and never Free), UTC half-open intervals, queries with limits,
//     schedules that carry their own outcome (as-of time, stale flag, a typed
//     per-attendee failure), working hours expanded with tzdata,
//     normalization, group merge, availability views, free-time search, and
//     iCalendar VFREEBUSY and calendar decoding. Its Source interface is what
//     every backend, transport and middleware implements.
//   - [github.com/calbridge/calbridge/notes] is the Domino side: Notes names
//     (with and without @Domain), TIMEDATE, the busy-time policy table, Notes
//     calendar exports as a Source, and the Domino Access Services freebusy
//     API as a client (a Source) and a server (an http.Handler over any
//     Source).
//   - [github.com/calbridge/calbridge/exchange] is the Exchange side: EWS
//     GetUserAvailability as a client and a server (with an Autodiscover
//     responder), Microsoft Graph getSchedule as a client and a server,
//     public-folder free/busy blobs, and Exchange addressing
//     (legacyExchangeDN, proxy addresses).
//   - [github.com/calbridge/calbridge/transport] carries queries between the
//     halves of a gateway: the Transport interface, an in-process transport,
//     and a reconnect-safe JSON-RPC 2.0 client and server (PROTOCOL.md in
//     that directory specifies the wire for other languages).
//     [github.com/calbridge/calbridge/transport/transporttest] has an
//     in-memory network and a fault-injecting proxy for testing transports.
//
// The import rules keep the sides apart: freebusy imports only the standard
// library, go-ical and zap; notes and exchange import freebusy and never each
// other; transport knows nothing of Notes or Exchange. Only programs (see
// examples/) wire the sides together. A test (deps_test.go) enforces this.
//
// # Data flow
//
// A Notes user asks about Exchange users:
//
//	Domino-side caller -> notes.Handler (DAS busytime request)
//	  -> freebusy.Query -> transport.Client == JSON-RPC over TCP/TLS ==>
//	  transport.Server (Exchange half) -> exchange.Client (EWS) or
//	  exchange.GraphClient -> freebusy.Schedules -> back over the transport
//	  -> notes encoding (busyTimes JSON or VFREEBUSY)
//
// An Exchange user asks about Notes users: the mirror image. Exchange's
// availability service (an availability address space pointing at the
// gateway) calls exchange.Handler with GetUserAvailability; the query crosses
// the transport; a notes.Client (DAS) or notes.CalendarSource answers; the
// answer goes back as EWS XML.
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
