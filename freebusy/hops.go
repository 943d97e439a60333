package freebusy

import "context"

// hopsKey is the context key under which WithHops records the hop count.
type hopsKey struct{}

// WithHops returns a copy of ctx recording that the query it carries has
// already made n gateway hops: passes through a gateway (a router) on its
// way to the backend that answers it. A negative n records 0.
//
// Gateways pointed at each other would otherwise forward a query back and
// forth for ever; counting hops bounds that (the Zimbra free/busy provider's
// hop count, docs/peers.md §3.2). A router passes Hops(ctx)+1 to the Sources it
// asks and refuses a query that has made its maximum; the transport carries
// the count between processes (transport/PROTOCOL.md, "calbridge.freebusy").
func WithHops(ctx context.Context, n int) context.Context {
	return context.WithValue(ctx, hopsKey{}, max(n, 0))
}

// Hops returns the number of gateway hops recorded in ctx by WithHops, or 0
// when none was recorded: a query that has not yet passed a gateway.
func Hops(ctx context.Context) int {
	n, _ := ctx.Value(hopsKey{}).(int)
	return n
}
