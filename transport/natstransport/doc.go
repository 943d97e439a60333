// Package natstransport carries free/busy queries between the halves of a
// gateway over NATS, so that one half can run many workers that share the
// load and may come and go without anyone reconnecting anything.
//
// The Notes half sends each query as a NATS request on the subject of the
// half that answers it (Subject("exchange") is
// "calbridge.exchange.freebusy"); the workers of that half listen on the
// subject in one queue group, and the NATS server hands each query to one
// of them. A Client is a freebusy.Source, like every transport (package
// transport), and a Server serves any freebusy.Source, so either end can
// replace transport.Client and transport.Server without the code around
// them changing. A worker that dies costs its callers one retry, a worker
// that joins takes its share at once, and the Client keeps one connection,
// to NATS, whatever the workers do.
//
// # Wire protocol, version 1
//
// Every message is a NATS message with headers (NATS servers 2.2 and
// later). A query is published on the subject with a reply subject of the
// Client's; its body is a JSON object, the query of transport/PROTOCOL.md
// ("calbridge.freebusy" params) with the protocol version in front:
//
//	{"v":1,"attendees":["alice@example.com"],"start":"2026-03-02T00:00:00Z",
//	 "end":"2026-03-03T00:00:00Z","granularityMinutes":30,"detail":"status"}
//
// and three optional headers: Calbridge-Hops, the number of gateway hops the
// query has made (freebusy.Hops; absent means 0), and Calbridge-Timeout,
// the milliseconds the caller will still wait. A worker runs the query
// within that time (and its own WithCallTimeout) and puts the hop count on
// the context its Source sees, so that a router (freebusy/router) can end
// a loop between two gateways pointed at each other. A header that is not
// a decimal integer in range is refused like a malformed body. The third,
// Calbridge-Forms, names the forms of schedules the Client reads besides
// JSON, separated by commas: "compact1" (see below). Members the
// envelope does not define are ignored, so that a later minor addition
// does not need a new version; a different "v" is refused.
//
// The worker answers on the reply subject with one or more messages, each
// with a Calbridge-Kind header:
//
//   - "ack", empty: the worker took the query and is still running it a
//     tenth of a heartbeat interval later (100 ms at most); a query
//     answered sooner gets no ack, its answer being sign of life enough,
//     which spares fast queries a message through NATS. Its
//     Calbridge-Heartbeat header gives the worker's heartbeat interval in
//     milliseconds, and Calbridge-Worker names the worker for logs.
//   - "progress", empty: a heartbeat, sent every heartbeat interval after
//     the ack while the query runs, with Calbridge-Heartbeat too.
//   - "busy", empty: the worker is running WithConcurrency queries
//     already and did not run this one.
//   - "gone", empty: the worker is closing and gave the query up.
//   - "answer": the end. Its body is {"v":1,"schedules":[...]} with one
//     schedule per attendee in query order, in the JSON form of
//     transport/PROTOCOL.md, or {"v":1,"error":{"reason":"throttled",
//     "message":"...","retryAfterMs":500}} when no schedule could be
//     produced. Per-attendee failures are in the schedules, as always.
//
// A malformed query is answered at once with an error of reason
// "invalid"; one of another version with reason
// "unavailable", so that the Client asks again and may reach a worker of
// its own version during a rolling upgrade. When no one listens on the
// subject, the NATS server itself answers with an empty message whose
// Status header is 503 ("no responders").
//
// Queries are bounded (64 KiB, four thousand JSON elements, two levels of
// nesting) and so are answers (WithMaxAnswerBytes; in JSON a million
// elements and eight levels), before any of it is decoded; a compact
// answer's decoder checks each count and instant as it reads it. Bad
// input is a *DecodeError.
//
// # The compact form
//
// The schedules of an answer may travel in the compact form of package
// transport (transport/PROTOCOL.md, "Compact schedules": instants as
// seconds from a base, statuses as digits), a fifth of the JSON or less
// and several times cheaper to write and to read. A worker uses it only
// when the query's Calbridge-Forms header names "compact1" and the worker
// has it on (WithCompactSchedules); it then marks the answer with the
// header Calbridge-Form: compact1, and the body is
//
//	{"v":1,"compact":{"form":"compact1","base":1772409600,"schedules":[...]}}
//
// Errors are always JSON, without the header. A Client offers the form
// unless it has it off, and reads an answer in whichever form its header
// names, so that Clients and workers from before the form, which neither
// offer nor use it, keep speaking JSON with everyone: no version change.
// The form matters most for large answers: four weeks of 100 busy
// calendars are 1.8 MB of JSON, over a NATS server's default max_payload
// of 1 MiB, and 389 KB in the compact form.
//
// # Liveness and the retry rule
//
// Free/busy queries are reads, so a query whose worker may be gone is
// simply sent again, within the caller's deadline, to whichever worker
// the NATS server picks. A Client gives an attempt up when it has heard
// nothing from the worker (no ack, heartbeat or answer) for
// WithMissedHeartbeats heartbeat intervals (three, of the longer of its
// own interval and the one the worker announced): a worker killed in the
// middle of a query costs its caller about three seconds with the
// defaults, not its whole deadline. A slow worker that is alive keeps
// sending heartbeats and is waited for, never asked twice. Attempts are
// bounded by WithMaxAttempts; besides lost workers they are spent on a
// lost connection to NATS, an answer the Client cannot read and, as with
// transport.Client, an error answer whose reason is temporary (timeout,
// unavailable, throttled), after the worker's retry hint when it gave
// one. Refusals ("busy", "gone") prove the query was not answered and
// cost no attempt: a busy refusal is followed by a short, growing pause
// (5 ms doubling to 250 ms) and another try, until the deadline; a gone
// one by another try at once.
//
// A worker that freezes without closing its connection keeps receiving its
// share of the queries until the NATS server's own pings find it dead
// (ping_interval and ping_max in the NATS server's configuration; minutes
// by default); each of those queries costs its caller one liveness window
// before it is sent elsewhere. Shorten the NATS server's ping interval
// where that matters.
//
// A worker at its limit answers "busy" rather than leave its queue group,
// for two reasons. A NATS queue group hands each message to a member at
// random and cannot skip a full one, so leaving would be the only other
// way; but a worker that unsubscribes while full and subscribes again
// when it frees up races with the messages already on their way, and a
// group whose members have all left looks to the NATS server like no
// worker at all, so callers would be told "no responders", which means
// "down", when the workers are merely busy. A refusal costs one round
// trip through NATS and is counted (Stats.Busy, ServerStats.Busy), so an
// operator sees when the workers are too few.
//
// # Errors
//
// The Client's errors classify as transport.Client's do
// (freebusy.ReasonOf):
//
//   - not connected to NATS: a *freebusy.Error of ReasonUnavailable at
//     once, with the connection's last error as cause (ErrNotConnected
//     when nats.go has none), unless the call waits for ready
//     (WithWaitForReady); the calls in flight when the connection drops
//     fail at once the same way, with transport.ErrConnectionLost;
//   - no worker listening: ReasonUnavailable at once, matching
//     nats.ErrNoResponders (a call that waits for ready waits for a
//     worker instead);
//   - the caller's deadline: a *transport.CallError matching
//     freebusy.ErrTimeout and context.DeadlineExceeded;
//   - attempts spent on lost workers or unreadable answers: a
//     *transport.CallError matching freebusy.ErrUnavailable, with
//     ErrWorkerLost or the *DecodeError as cause;
//   - every worker busy until the deadline: ReasonThrottled, ErrAllBusy;
//   - the worker's own failure: its *freebusy.Error, with its reason,
//     message and retry hint (the cause stays with the worker);
//   - after Close: transport.ErrClosed.
//
// # States
//
// Client and Server report their connection to NATS as a
// transport.State, so that a health page shows them beside a
// transport.Client: Connecting during the first attempt, Ready while
// connected (for a Server: once the NATS server has its subscription),
// TransientFailure while nats.go reconnects, Shutdown after Close. A
// reconnect goes from TransientFailure straight back to Ready, as nats.go
// reports no single attempt. The connections the package opens reconnect
// for ever (a NATS server that is down at start is not an error), ping
// the NATS server every DefaultPingInterval so that a half-open
// connection is found in seconds, and, for a Client, keep no reconnect
// buffer, so that a query is never parked while NATS is away.
//
// # Shutdown
//
// Server.Shutdown drains: the worker leaves its queue group (the NATS
// server sends it nothing more, and the queries already delivered are
// taken), the running queries are answered, and the connection closes.
// Server.Close is immediate: it cancels the running queries and tells
// their callers "gone", so that they ask another worker at once.
// Client.Close fails the calls in progress with transport.ErrClosed.
// Each returns only when the goroutines it started have exited.
//
// # Connecting
//
// NewClient and NewServer take a list of NATS URLs (nats://host:4222, or
// tls:// for TLS; credentials may sit in the URL), or WithConn for a
// connection the program already has. Credentials and TLS are options
// (WithUserInfo, WithToken, WithCredentials, WithTLSConfig), and any
// other nats.go setting passes through WithNATSOptions. Neither end logs
// a URL's password nor an attendee's name.
package natstransport
