// Package observe is what a gateway reports about itself: a log line per
// free/busy query, metrics through the Metrics interface, and a health
// summary for /healthz and a status page. It answers the most common
// complaint about free/busy gateways, "I see nothing, and nobody can tell
// why": every query says how
// many attendees it asked about, how long it took and how each attendee's
// answer ended, by freebusy.Reason.
//
// Instrument wraps any freebusy.Source (a backend client, a cache, a
// router, a transport) under a name. Each query is logged with zap at Info
// level (Warn when the whole query failed) with its counts, durations and
// outcomes, and reported to a Metrics: the latency of the named source and
// one outcome count per reason. Personal data (attendee names and
// addresses, per-attendee error messages) is logged only at Debug level; at
// Info the whole-query error is logged with the query's attendees blanked
// out.
//
// Metrics is an interface so that this package imports no metrics library:
// observe/prom implements it with Prometheus, Nop discards everything. Cache
// figures and transport state changes are fed to it by the program, from
// the cache's observer and the transport's state callback, so that this
// package depends on neither.
//
// Health collects the state of a program's components (the transport link,
// a backend, a cache). Each component is registered once and updated when
// its state changes; Summary gives an overall ready flag and the details as
// JSON-marshalable values, and Health itself is an http.Handler answering
// 200 when every component is ready and 503 otherwise.
package observe
