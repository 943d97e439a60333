// Package transport carries canonical free/busy queries between the halves
// of a gateway, or to any remote freebusy.Source, over a link that can
// never wedge.
//
// # Transports
//
// A transport is anything that takes a freebusy.Query to a Source that may
// live elsewhere and brings back its answer. Every transport is itself a
// freebusy.Source, so the code on either side never knows whether the
// calendar it asks is in process or across the network, and any
// freebusy.Source plugs in as a transport: one built on a message queue,
// an HTTP API or anything else an integrator already runs. This package
// ships two, each with a Close method:
//
//   - Client, made with NewClient, is the reconnect-safe RPC client. It
//     speaks JSON-RPC 2.0, one message per line over TCP or TLS, to a
//     Server, which serves any Source (and answers any JSON-RPC 2.0 client:
//     the wire protocol is specified in transport/PROTOCOL.md).
//   - Local, made with NewLocal, hands queries to a Source in the same
//     process, with the same checks and copies as a remote transport.
//
// Package transport/transporttest injects network faults for testing
// transports, these two and any other.
//
// # Result forms
//
// Free/busy answers are most of what crosses the link: a week of 100
// calendars is over a megabyte of JSON. A Client and a Server agree in
// their handshake to carry them in the compact form (PROTOCOL.md "Compact
// schedules"): still one JSON value, but with instants as seconds from a
// base, statuses as digits and intervals as counted runs of numbers,
// written by hand-made appenders and read in one pass, with one
// allocation per slice instead of several per interval. Peers that do not
// offer it, stock JSON-RPC clients and calbridge versions before it, get
// and send the JSON form as before, and WithCompactSchedules(false) keeps
// a link in the JSON form. The Server writes the JSON form by hand too,
// byte for byte as encoding/json wrote it, and the requests of
// calbridge.freebusy are written and read by hand in the shapes clients
// send, with anything unusual left to encoding/json, so that what a peer
// gets back never depends on which path read it. AppendCompactSchedules and
// DecodeCompactSchedules are the codec itself, for transports of other
// kinds.
//
// A handler that answers query after query through the link need not
// allocate every answer anew: Client is a freebusy.BufferedSource, and
// Client.FreeBusyInto (or freebusy.AnswerInto) decodes a compact answer
// into a freebusy.ScheduleBuffer whose memory the next answer reuses once
// the buffer is Reset. The EWS and Graph handlers of this module do so
// with a pooled buffer per request: an answer for 100 calendars over a
// week then costs the gateway half the garbage it did, and the collector
// runs half as often. DecodeCompactSchedulesInto is the codec's side of
// it.
//
// # Options
//
// Each constructor has its own option type, so that an option that does not
// apply to it does not compile: NewClient takes ClientOption, NewServer
// takes ServerOption, and the knobs both halves read with one meaning
// (WithLogger, WithToken) are of type Option, which is both. Client.Call
// also takes per-call CallOptions. The constructors check every option at
// once: a value an option cannot take makes them fail with an error
// matching ErrInvalidOption.
//
// The design follows the lessons of docs/reconnect.md; sections (§) in this
// package refer to that document unless another is named.
//
// # States
//
// A Client's connection follows gRPC's connectivity state machine (§2.1,
// §8.1): Idle (nothing attempted yet), Connecting (dial, TLS and
// calbridge.hello in progress), Ready (a connection carries calls),
// TransientFailure (the last attempt failed; waiting out the backoff) and
// Shutdown. The legal transitions are in one table, and every change is
// checked against it. No error leads to Shutdown: only Close does, so a
// client whose server went away for a minute or a week recovers by itself
// once the server is back, without being recreated. One goroutine owns the
// connection; callers never dial (§8.2). Attempts are spaced by jittered
// exponential backoff (§1, §8.6; DefaultBackoff holds gRPC's "Connection
// Backoff Protocol" constants: 1 s, ×1.6, ±20 %, 120 s cap, 20 s minimum
// connect timeout), which is reset only when the server has answered the
// handshake. A call arriving during backoff may cut it short, at most once
// per WithEagerRetryInterval, so recovery time does not grow with the
// length of the outage. When a working connection breaks, the client
// reconnects at once if a call needs it, and otherwise after a random part
// of one base delay, so that the many clients of a restarted server do not
// all return in the same instant. Several server addresses are tried
// round-robin. State, last error and counters are observable (State,
// Stats, WaitForStateChange, WithStateCallback) and each transition is
// logged once (§8.13).
//
// # Failure detection
//
// Every dial, handshake, write and call has a deadline (§8.3; a call whose
// context has none gets WithCallTimeout). Heartbeats (calbridge.ping)
// detect a half-open or hung peer on idle and busy connections alike,
// faster while calls are pending (§8.4); the default dialer also sets TCP
// keepalive and, on Linux, TCP_USER_TIMEOUT. Any I/O or framing error discards the connection and
// fails its pending calls at once (§8.5) with a *CallError that says
// whether the server may have acted on the request (MaySent).
//
// # Retry rule
//
// Free/busy queries are reads, so a query whose connection failed is
// retried on a fresh connection, within the caller's deadline, up to
// WithMaxAttempts attempts (§8.7), and only while the client-wide retry
// budget (WithRetryBudget, §8.8) allows, so that a failing server is not
// hammered; the first retry after a lost connection is exempt, so that one
// blip does not fail every call it carried. Requests that provably never
// left the client are retried transparently. Errors answered by the server
// are not connection failures: they never discard the connection, and are
// retried only when their reason is temporary (timeout, unavailable,
// throttled; the server's retryAfterMs hint is honoured). Per-attendee
// failures travel inside the schedules (Schedule.Err) and are never retried
// by the transport.
//
// # Fail fast or wait for ready
//
// Calls made while Idle or Connecting wait for the attempt in progress. In
// TransientFailure a call fails at once (§8.10) with a *freebusy.Error of
// ReasonUnavailable whose Cause is the last connection error, unless it
// was made with WaitForReady(true) (or the client WithWaitForReady), in
// which case it waits, within its deadline, for Ready. The exception: a
// call that finds the last failure older than a tenth of
// WithEagerRetryInterval starts a fresh attempt and waits for its outcome
// (about one such attempt per interval), so the first call after a return
// succeeds. While the peer is suspect (its last connection or attempt
// timed out, as a frozen peer's do) a fail-fast call waits at most 1 s for
// an attempt. At most WithMaxWaiting callers wait at once (§8.11); the
// others fail at once with ErrQueueFull as the cause.
//
// # Close
//
// Client.Close interrupts any dial, handshake, backoff wait, heartbeat and
// call in progress; pending and waiting calls and all later ones return
// ErrClosed. It is idempotent and returns only when every goroutine the
// client started has exited (§8.12). Server.Shutdown stops accepting,
// refuses new calls as not processed, drains the calls in flight within
// its context's deadline and closes; Server.Close closes at once.
// Local.Close makes later calls return ErrClosed.
//
// # Server limits
//
// The Server bounds what an unauthenticated or hostile peer can take
// (transport/PROTOCOL.md says the same to clients): before its hello a
// connection may send lines of at most WithServerMaxHelloBytes (8 KiB), so
// it holds a few KiB of memory; at most WithServerMaxConns connections are
// open at once (1024), a new one pushing out the oldest that has not said
// hello; hellos with a wrong token are limited per client address
// (WithServerAuthFailureLimit: a burst of 10, then one a second); each
// connection runs at most WithServerMaxInFlight calls at once. A line that
// does not parse ends the connection only after the calls already
// received are answered.
//
// # Concurrency
//
// Client, Server and Local are safe for concurrent use. A Client
// multiplexes concurrent calls over one connection by request id, with one
// reader goroutine per connection and writes serialized under a write
// deadline; it starts no goroutine per call.
package transport
