package ews

import (
	"context"
	"net/http"
	"time"

	"github.com/calbridge/calbridge/freebusy"
	"go.uber.org/zap"
)

// Option configures a client, handler or source of this package. Options
// that do not apply to what they are given are ignored.
type Option interface{ apply(*options) }

type optionFunc func(*options)

func (f optionFunc) apply(o *options) { f(o) }

// options holds every knob of the package. Fields are shared by the
// clients, handlers and sources; each documents which of them reads it.
type options struct {
	logger      *zap.Logger
	httpClient  *http.Client
	concurrency int
	limits      freebusy.Limits
	callTimeout time.Duration
	now         func() time.Time
	ews         ewsOptions // EWS client and handler only; see ews_options.go
}

func newOptions(opts []Option) options {
	o := options{
		logger:      zap.NewNop(),
		httpClient:  http.DefaultClient,
		concurrency: 8,
		limits:      freebusy.DefaultLimits,
		callTimeout: DefaultCallTimeout,
		now:         time.Now,
	}
	for _, opt := range opts {
		if opt != nil {
			opt.apply(&o)
		}
	}
	return o
}

// WithLogger sets the logger. The default, and a nil logger, mean
// zap.NewNop(). Attendee names and schedule contents are never logged above
// Debug level.
func WithLogger(l *zap.Logger) Option {
	return optionFunc(func(o *options) {
		if l == nil {
			l = zap.NewNop()
		}
		o.logger = l
	})
}

// WithHTTPClient sets the HTTP client used by clients. The default, and nil,
// mean http.DefaultClient. Authentication belongs in the client's Transport
// (a RoundTripper), never in this package.
func WithHTTPClient(c *http.Client) Option {
	return optionFunc(func(o *options) {
		if c == nil {
			c = http.DefaultClient
		}
		o.httpClient = c
	})
}

// WithConcurrency bounds how many backend requests a client runs at once
// for one query. The default is 8; values below 1 mean 1.
func WithConcurrency(n int) Option {
	return optionFunc(func(o *options) {
		if n < 1 {
			n = 1
		}
		o.concurrency = n
	})
}

// WithLimits sets the query limits that clients split by and handlers
// enforce. The default is freebusy.DefaultLimits; zero fields fall back to it.
func WithLimits(l freebusy.Limits) Option {
	return optionFunc(func(o *options) { o.limits = l })
}

// DefaultCallTimeout bounds a client's FreeBusy call whose context has no
// deadline, so that a hung server cannot hold a caller forever.
const DefaultCallTimeout = 60 * time.Second

// WithCallTimeout sets how long a client's FreeBusy call may take when its
// context has no deadline (a context deadline always wins). The default is
// DefaultCallTimeout; zero or less means no bound but the context's.
func WithCallTimeout(d time.Duration) Option {
	return optionFunc(func(o *options) { o.callTimeout = d })
}

// boundCall gives ctx the call timeout when it has no deadline of its own.
func (o *options) boundCall(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok || o.callTimeout <= 0 {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, o.callTimeout)
}
