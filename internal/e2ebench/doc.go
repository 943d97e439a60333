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
// The package sits under internal/ because only tests may import the
// sides and the transport together (deps_test.go); the example programs
// wire them for real.
package e2ebench
