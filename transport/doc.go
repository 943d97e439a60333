// Package transport carries canonical free/busy queries between the halves
// of a gateway, or to any remote freebusy.Source, over a link that can
// never wedge.
//
// A Transport is a freebusy.Source that can be closed. NewLocal wraps a
// Source in process; Client is the reconnect-safe RPC client; Server serves
// any Source to Clients (or to any JSON-RPC 2.0 client: the wire protocol,
// JSON-RPC 2.0 with one message per line over TCP or TLS, is specified in
// PROTOCOL.md).
//
// # States
//
// A Client's connection follows gRPC's connectivity state machine: Idle
// (nothing attempted yet), Connecting (dial, TLS and calbridge.hello in
// progress), Ready (a connection carries calls), TransientFailure (the last
// attempt failed; waiting out the backoff) and Shutdown. The legal
// transitions are in one table (LegalTransition). No error leads to
// Shutdown: only Close does, so a client whose server went away for a
// minute or a week recovers by itself once the server is back, without
// being recreated. One goroutine owns the connection; callers never dial.
// Attempts are spaced by jittered exponential backoff (DefaultBackoff:
// gRPC's 1 s, ×1.6, ±20 %, 120 s cap, 20 s minimum connect timeout), which
// is reset only when the server has answered the handshake. A call arriving
// during backoff may cut it short, at most once per WithEagerRetryInterval,
// so recovery time does not grow with the length of the outage. When a
// working connection breaks, the client reconnects at once if a call needs
// it, and otherwise after a random part of one base delay, so that the many
// clients of a restarted server do not all return in the same instant.
// Several server addresses are tried round-robin. State, last error and counters
// are observable (State, Stats, WaitForStateChange, WithStateCallback) and
// each transition is logged once.
//
// # Failure detection
//
// Every dial, handshake, write and call has a deadline (a call whose
// context has none gets WithCallTimeout). Heartbeats (calbridge.ping)
// detect a half-open or hung peer on idle and busy connections alike; the
// default dialer also sets TCP keepalive and, on Linux, TCP_USER_TIMEOUT.
// Any I/O or framing error discards the connection and fails its pending
// calls at once with a *CallError that says whether the server may have
// acted on the request (MaySent).
//
// # Retry rule
//
// Free/busy queries are reads, so a query whose connection failed is
// retried on a fresh connection, within the caller's deadline, up to
// WithMaxAttempts attempts, and only while the client-wide retry budget
// (WithRetryBudget) allows, so that a failing server is not hammered; the
// first retry after a lost connection is exempt, so that one blip does not
// fail every call it carried.
// Requests that provably never left the client are retried transparently.
// Errors answered by the server are not connection failures: they never
// discard the connection, and are retried only when their reason is
// temporary (timeout, unavailable, throttled; the server's retryAfterMs hint
// is honoured). Per-attendee failures travel inside the schedules
// (Schedule.Err) and are never retried by the transport.
//
// # Fail fast or wait for ready
//
// Calls made while Idle or Connecting wait for the attempt in progress.
// In TransientFailure a call fails at once with a *freebusy.Error of
// ReasonUnavailable whose Cause is the last connection error, unless it was
// made with WaitForReady(true) (or the client WithWaitForReady), in which
// case it waits, within its deadline, for Ready. The exception: when no
// attempt has started for WithEagerRetryInterval, the call starts one and
// waits for its outcome, so the first call after a long outage can succeed. At most WithMaxWaiting
// callers wait at once; the others fail at once with ErrQueueFull as the
// cause.
//
// # Close
//
// Client.Close interrupts any dial, handshake, backoff wait, heartbeat and
// call in progress; pending and waiting calls and all later ones return
// ErrClosed. It is idempotent and returns only when every goroutine the
// client started has exited. Server.Shutdown stops accepting, refuses new
// calls as not processed, drains the calls in flight within its context's
// deadline and closes; Server.Close closes at once.
//
// # Concurrency
//
// Client, Server and the Transport returned by NewLocal are safe for
// concurrent use. A Client multiplexes concurrent calls over one connection
// by request id, with one reader goroutine per connection and writes
// serialized under a write deadline; it starts no goroutine per call.
package transport
