#!/usr/bin/env bash
# Regenerates default.pgo, the CPU profile that `go build` and `go run`
# apply to this program (profile-guided optimization, "Profile-guided
# optimization" in the Go documentation). The profile merges the gateway's
# hot paths, as their benchmarks drive them:
#   - BenchmarkGatewayEWS100x7d (internal/e2ebench): Exchange's availability
#     request for 100 mailboxes through the EWS handler and the RPC link;
#   - BenchmarkGatewayNotesToExchange100 and ...Warm (this directory): a DAS
#     request for 100 Exchange users through both halves, cache cold and warm.
# Run it from anywhere after a change to those paths, and commit the result.
set -euo pipefail
cd "$(dirname "$0")/../.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go test -run '^$' -bench '^BenchmarkGatewayEWS100x7d$' -benchtime 2000x \
	-cpuprofile "$tmp/ews.prof" -o "$tmp/e2ebench.test" ./internal/e2ebench
go test -run '^$' -bench '^BenchmarkGatewayNotesToExchange100' -benchtime 5s \
	-cpuprofile "$tmp/gateway.prof" -o "$tmp/gateway.test" ./examples/gateway
go tool pprof -proto "$tmp/ews.prof" "$tmp/gateway.prof" > examples/gateway/default.pgo
echo "wrote examples/gateway/default.pgo"
