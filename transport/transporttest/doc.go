// Package transporttest provides fault injection for testing transports:
// the reconnect-safe transport.Client, and any other transport (any
// freebusy.Source an integrator plugs in between the halves of a gateway).
//
//   - Network is an in-memory network whose DialContext satisfies
//     transport.Dialer. Unlike net.Pipe its connections are buffered (a
//     write does not wait for the reader) and behave like TCP: deadlines,
//     half-close, refused dials, EOF after the peer closes.
//   - Proxy is a TCP proxy on loopback that injects, at run time, the
//     faults of the test scenarios in docs/reconnect.md §9 (with names
//     after Toxiproxy's, §6.1): refused connections, a black hole, resets,
//     a connection cut after N bytes, latency, a bandwidth limit and a
//     half-closed peer (see Fault), plus one-shot ResetAll and DropAll (a
//     NAT forgetting the live flows).
//   - DialRecorder records connection attempts, so that a test can check a
//     backoff schedule even when every attempt is refused; DialerFunc
//     adapts a function into a dialer (one that hangs, for instance).
//
// Why not Toxiproxy as a library: github.com/Shopify/toxiproxy/v2 is built
// around its HTTP API and brings gorilla/mux, the Prometheus client (with
// protobuf), zerolog, urfave/cli and tomb.v1 into every importer's module
// graph, while what the tests need (per-connection faults switched at run
// time, a stable address across "down") is a few hundred lines on top of
// the standard library. Its toxics are the model for the Fault names.
//
// Everything here stops its goroutines on Close, so tests using it can
// check for leaks with go.uber.org/goleak.
package transporttest
