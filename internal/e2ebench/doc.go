// Package e2ebench measures the gateway's answer path end to end, as an
// Exchange server sees it, and holds no code of its own: its tests and
// benchmarks wire the real pieces together over loopback.
//
// BenchmarkGatewayEWS100x7d posts one EWS GetUserAvailability request (100
// mailboxes, one week, FreeBusyMerged at 30 minutes) over HTTP to an
// exchange/ews Handler whose Source is a transport.Client, which asks a
// transport.Server over loopback TCP, whose Source holds the schedules in
// memory. Its floor is BenchmarkEWSHandler100x7d in exchange/ews, the
// Handler alone over the same schedules; the difference is the cost of the
// two network legs, HTTP and the RPC link (BenchmarkRPCLeg100x7d in
// transport measures the second alone).
//
// Run the pair with -test.cpu 1,2 as well as by default. The gateway path
// hands each request from goroutine to goroutine (the HTTP client, the
// server's connection, the link's reader and writer, the RPC server's
// call), and with two Ps the runtime wakes the idle one at each handoff
// and the work moves between cores; the Handler alone never does. On a
// two-vCPU VM, where waking an idle vCPU is slow, that difference was
// most of the gap: the gateway took 2.2-2.3 ms with one P and 2.9-3.0 ms
// with two, over a floor of about 1.8-1.9 ms either way.
//
// The package sits under internal/ because only tests may import the
// sides and the transport together (deps_test.go); the example programs
// wire them for real.
package e2ebench
