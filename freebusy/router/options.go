package router

import (
	"time"

	"go.uber.org/zap"

	"github.com/calbridge/calbridge/freebusy"
	"github.com/calbridge/calbridge/internal/config"
)

// Defaults of the options.
const (
	// DefaultMaxBatch is the most attendees one backend query carries: 100,
	// the EWS GetUserAvailability maximum (freebusy.DefaultLimits).
	DefaultMaxBatch = 100
	// DefaultConcurrency is how many backend queries run at once.
	DefaultConcurrency = config.DefaultConcurrency
	// DefaultMaxHops is how many gateway hops a query may make before a
	// Router refuses it: 3 leaves room for a gateway in front of each half
	// and a relay between them, while a loop ends after a few round trips.
	DefaultMaxHops = 3
	// DefaultReserve is how long before the caller's deadline a router
	// returns its answer, so that the answer still reaches the caller in
	// time: 50 ms, at most a quarter of the time left.
	DefaultReserve = 50 * time.Millisecond
)

// ErrInvalidOption is matched (errors.Is) by the error New returns for an
// option given a value it cannot take.
var ErrInvalidOption = config.ErrInvalidOption

// pkg names this package in option errors.
const pkg = "router"

// Option configures New.
type Option interface{ apply(*routerConfig) }

type routerConfig struct {
	config.Common
	maxBatch int
	maxHops  int
	reserve  time.Duration
}

type option func(*routerConfig)

func (f option) apply(c *routerConfig) { f(c) }

// WithLogger sets the logger. The default, and a nil logger, mean
// zap.NewNop(). Attendee names and addresses are logged at Debug level
// only.
func WithLogger(l *zap.Logger) Option {
	return option(func(c *routerConfig) { c.SetLogger(l) })
}

// WithConcurrency sets how many backend queries (across all sides) run at
// once for one query; default DefaultConcurrency. Below 1 is invalid.
func WithConcurrency(n int) Option {
	return option(func(c *routerConfig) { c.SetConcurrency(pkg, n) })
}

// WithLimits sets the limits a query must meet (freebusy.Limits.Validate);
// the default is freebusy.DefaultLimits(). Since a router splits a query
// into batches of WithMaxBatch, it may accept more attendees than one
// backend query can carry. Negative fields are invalid.
func WithLimits(l freebusy.Limits) Option {
	return option(func(c *routerConfig) { c.SetLimits(pkg, l) })
}

// WithMaxBatch sets the most attendees one backend query carries; default
// DefaultMaxBatch. Below 1 is invalid.
func WithMaxBatch(n int) Option {
	return option(func(c *routerConfig) {
		if n < 1 {
			c.Invalid(pkg, "WithMaxBatch", "%d is below 1", n)
			return
		}
		c.maxBatch = n
	})
}

// WithMaxHops sets how many gateway hops (freebusy.Hops) a query may have
// made before the router refuses it with ErrLoop; default DefaultMaxHops.
// Below 1 is invalid: a router must accept a query that has made none.
func WithMaxHops(n int) Option {
	return option(func(c *routerConfig) {
		if n < 1 {
			c.Invalid(pkg, "WithMaxHops", "%d is below 1", n)
			return
		}
		c.maxHops = n
	})
}

// WithReserve sets how long before the caller's deadline the router
// returns (at most a quarter of the time left when the query arrives);
// default DefaultReserve. Zero returns at the deadline itself, which
// leaves the answer no time to travel. Negative is invalid.
func WithReserve(d time.Duration) Option {
	return option(func(c *routerConfig) {
		if d < 0 {
			c.Invalid(pkg, "WithReserve", "negative duration %v", d)
			return
		}
		c.reserve = d
	})
}
