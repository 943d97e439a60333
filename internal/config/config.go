// Package config is the options core that the clients, handlers and
// sources of the side packages share: the settings they all have, their
// defaults, and one rule for an option given a value it cannot take (the
// constructor fails with the first such error, at once).
//
// Each side package declares its own option types, one per constructor, so
// that an option that does not apply does not compile; those types write
// into a Common embedded in the package's own configuration.
package config

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"go.uber.org/zap"

	"github.com/calbridge/calbridge/freebusy"
)

// DefaultCallTimeout bounds a client call whose context has no deadline,
// so that a hung server cannot hold a caller forever.
const DefaultCallTimeout = 60 * time.Second

// DefaultConcurrency is how many backend requests a client runs at once
// for one query.
const DefaultConcurrency = 8

// ErrInvalidOption is matched (errors.Is) by every error an option
// records.
var ErrInvalidOption = errors.New("invalid option")

// Common holds the settings every constructor of the sides shares.
type Common struct {
	Logger      *zap.Logger
	HTTPClient  *http.Client
	Concurrency int
	Limits      freebusy.Limits
	CallTimeout time.Duration
	Now         func() time.Time

	err error // the first invalid option
}

// Defaults returns the defaults: a no-op logger, http.DefaultClient,
// DefaultConcurrency, freebusy.DefaultLimits, DefaultCallTimeout, time.Now.
func Defaults() Common {
	return Common{
		Logger:      zap.NewNop(),
		HTTPClient:  http.DefaultClient,
		Concurrency: DefaultConcurrency,
		Limits:      freebusy.DefaultLimits,
		CallTimeout: DefaultCallTimeout,
		Now:         time.Now,
	}
}

// Invalid records that the option named opt was given a value it cannot
// take; the first such error is the one Err returns.
func (c *Common) Invalid(pkg, opt, format string, args ...any) {
	if c.err == nil {
		c.err = fmt.Errorf("%s: %s: %s: %w", pkg, opt, fmt.Sprintf(format, args...), ErrInvalidOption)
	}
}

// Err returns the first invalid option's error, or nil.
func (c *Common) Err() error { return c.err }

// SetLogger sets the logger; nil means a no-op logger.
func (c *Common) SetLogger(l *zap.Logger) {
	if l == nil {
		l = zap.NewNop()
	}
	c.Logger = l
}

// SetHTTPClient sets the HTTP client; nil means http.DefaultClient.
func (c *Common) SetHTTPClient(h *http.Client) {
	if h == nil {
		h = http.DefaultClient
	}
	c.HTTPClient = h
}

// SetConcurrency sets the concurrency; below 1 is invalid.
func (c *Common) SetConcurrency(pkg string, n int) {
	if n < 1 {
		c.Invalid(pkg, "WithConcurrency", "%d is below 1", n)
		return
	}
	c.Concurrency = n
}

// SetLimits sets the limits; zero fields mean the field of
// freebusy.DefaultLimits, negative ones are invalid, and so is a minimum
// granularity above the maximum.
func (c *Common) SetLimits(pkg string, l freebusy.Limits) {
	if l.MaxWindow < 0 || l.MaxAttendees < 0 || l.MinGranularity < 0 || l.MaxGranularity < 0 {
		c.Invalid(pkg, "WithLimits", "negative limit %+v", l)
		return
	}
	if w := l.WithDefaults(); w.MinGranularity > w.MaxGranularity {
		c.Invalid(pkg, "WithLimits", "minimum granularity %v above maximum %v", w.MinGranularity, w.MaxGranularity)
		return
	}
	c.Limits = l
}

// SetCallTimeout sets the call timeout; zero means no bound but the
// context's, negative is invalid.
func (c *Common) SetCallTimeout(pkg string, d time.Duration) {
	if d < 0 {
		c.Invalid(pkg, "WithCallTimeout", "negative duration %v", d)
		return
	}
	c.CallTimeout = d
}

// BoundCall gives ctx the call timeout when it has no deadline of its own.
func (c *Common) BoundCall(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok || c.CallTimeout <= 0 {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, c.CallTimeout)
}
