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
//	package                   what it is for
//	freebusy                  the hub: the canonical model every other package speaks
//	freebusy/ical             iCalendar: VFREEBUSY encode/decode, calendar (VEVENT) decoding
//	notes                     Domino: names, TIMEDATE, busy-time policy, Calendar Profile,
//	                          Notes time-zone strings, calendar exports as a Source
//	notes/das                 Domino Access Services freebusy: client and server
//	exchange                  Exchange addressing and the response codes EWS and Graph share
//	exchange/ews              EWS GetUserAvailability and GetServerTimeZones: client,
//	                          server, Autodiscover (POX and SOAP)
//	exchange/graph            Microsoft Graph getSchedule: client and server
//	exchange/publicfolder     public-folder free/busy ([MS-OXOPFFB]) and its Source
//	freebusy/directory        one person behind every name form, and the side that owns them
//	freebusy/router           each attendee to the Source of its side, in deadline-bounded batches
//	freebusy/cache            per attendee and day, TTL, stale-while-revalidate, one call per key
//	freebusy/cache/rediscache the cache's shared tier on Redis, for many gateway instances
//	freebusy/privacy          a detail level per requester
//	freebusy/observe          per-query logs, a metrics interface, a health summary
//	freebusy/observe/prom     the metrics interface on Prometheus
//	transport                 the reconnect-safe JSON-RPC client and server between halves
//	transport/natstransport   the same contract over NATS, with a queue group of workers
//	transport/transporttest   an in-memory network and a fault-injecting proxy
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
//	  -> freebusy.Query -> directory and router (whose side is each name?)
//	  -> cache (fresh entries answer at once) -> transport.Client
//	  == JSON-RPC over TCP/TLS (or NATS) ==> transport.Server (Exchange half)
//	  -> cache -> ews.Client or graph.Client -> freebusy.Schedules
//	  -> back over the transport -> DAS encoding (busyTimes JSON or VFREEBUSY)
//
// An Exchange user asks about Notes users: the mirror image. Exchange's
// availability service (an availability address space pointing at the
// gateway, found through SOAP Autodiscover) calls ews.Handler with
// GetUserAvailability; the query crosses the transport; a das.Client or
// notes.CalendarSource answers; the answer goes back as EWS XML.
//
// Because every piece is a freebusy.Source, the pieces compose: a handler
// serves any Source, a transport client is a Source, a backend client is a
// Source, and the middleware under freebusy/ is a Source wrapping a Source.
//
// # The gateway
//
// A gateway half is a few lines of wiring, which examples/gateway (the
// program an operator runs, on embedded demo data or real servers) spells
// out in full:
//
//	dir, _ := directory.LoadCSV(file,
//		directory.WithNormalizer(notes.DirectoryKey), directory.WithNormalizer(exchange.DirectoryKey))
//	local, _ := cache.New(dasClient)            // this side's users
//	remote, _ := cache.New(rpcClient)           // the other half's users
//	front, _ := router.New(dir, map[string]freebusy.Source{"notes": local, "exchange": remote})
//	filtered, _ := privacy.New(front, policy)   // what each requester may see
//	ewsHandler, _ := ews.NewHandler(filtered)   // and das.NewHandler, graph.NewHandler...
//
// The directory turns every name form into one person and the side that
// owns them, and an unknown name into that attendee's UnknownAttendee
// reason. The router batches attendees per side with a concurrency limit
// and answers by the caller's deadline with what finished (the rest carry
// Timeout reasons), and it counts hops so that two gateways pointed at
// each other stop. The cache answers fresh entries at once and stale ones
// marked Stale while one refresh runs, makes one backend call per attendee
// and window however many callers ask, and keeps serving marked-stale data
// when the backend fails; with rediscache, many gateway instances share
// one store and one backend call. Privacy strips what a requester may not
// see; observe logs each query without personal data and feeds metrics and
// /healthz.
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
