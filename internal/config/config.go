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
	"io"
	"net/http"
	"os"
	"sync/atomic"
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

// DefaultReadTimeout bounds how long a handler waits for a request body,
// so that a client trickling its body cannot hold a connection (and its
// goroutine and buffers) for long: 30 seconds, ample for the largest
// document a handler accepts over a slow link.
const DefaultReadTimeout = 30 * time.Second

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
	ReadTimeout time.Duration // handlers: see BoundBody
	Now         func() time.Time

	err error // the first invalid option
}

// Defaults returns the defaults: a no-op logger, http.DefaultClient,
// DefaultConcurrency, freebusy.DefaultLimits(), DefaultCallTimeout,
// DefaultReadTimeout, time.Now.
func Defaults() Common {
	return Common{
		Logger:      zap.NewNop(),
		HTTPClient:  http.DefaultClient,
		Concurrency: DefaultConcurrency,
		Limits:      freebusy.DefaultLimits(),
		CallTimeout: DefaultCallTimeout,
		ReadTimeout: DefaultReadTimeout,
		Now:         time.Now,
	}
}

// Invalid records that the option named opt was given a value it cannot
// take; the first such error is the one Err returns.
func (c *Common) Invalid(pkg, opt, format string, args ...any) {
	if c.err == nil {
		c.err = OptionError(pkg, opt, format, args...)
	}
}

// OptionError is the error of the option named opt of package pkg given a
// value it cannot take ("pkg: opt: problem"); it matches ErrInvalidOption.
// Option types that do not embed Common record it themselves.
func OptionError(pkg, opt, format string, args ...any) error {
	return fmt.Errorf("%s: %s: %s: %w", pkg, opt, fmt.Sprintf(format, args...), ErrInvalidOption)
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
// freebusy.DefaultLimits(), negative ones are invalid, and so is a minimum
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

// SetReadTimeout sets the read timeout of a handler's request body; zero
// means none of the handler's own, negative is invalid.
func (c *Common) SetReadTimeout(pkg string, d time.Duration) {
	if d < 0 {
		c.Invalid(pkg, "WithReadTimeout", "negative duration %v", d)
		return
	}
	c.ReadTimeout = d
}

// BoundBody gives the body of r, which a handler is about to read, a read
// deadline ReadTimeout from Now, through http.ResponseController: a client
// that trickles its body is cut off there, its read failing with
// os.ErrDeadlineExceeded. Once the body has been read to its end the
// server lifts the deadline itself, so that a slow answer is not cut off.
// Call it before the first read of the body.
//
// It sets nothing when ReadTimeout is zero, when r has no body (the server
// already waits on the connection; a deadline would end the request's
// context), or when the http.Server serving r has a ReadTimeout of its own
// no longer than ReadTimeout (its deadline, counted from the start of the
// request, comes first). When w cannot take a deadline (an
// httptest.ResponseRecorder, a wrapper without Unwrap), the body goes
// unbounded, but for the server's own timeouts.
//
// The function it returns reports whether a read of the body failed on a
// deadline, the handler's or the server's, so that the handler can answer
// 408 Request Timeout rather than blame the document.
func (c *Common) BoundBody(w http.ResponseWriter, r *http.Request) (timedOut func() bool) {
	if r.Body == nil || r.Body == http.NoBody {
		return func() bool { return false }
	}
	b := &deadlineBody{ReadCloser: r.Body}
	r.Body = b
	if c.ReadTimeout <= 0 {
		return b.timedOut
	}
	if srv, ok := r.Context().Value(http.ServerContextKey).(*http.Server); ok && srv.ReadTimeout > 0 && srv.ReadTimeout <= c.ReadTimeout {
		return b.timedOut
	}
	if err := http.NewResponseController(w).SetReadDeadline(c.Now().Add(c.ReadTimeout)); err != nil {
		c.Logger.Debug("no read deadline for the request body", zap.Error(err))
	}
	return b.timedOut
}

// deadlineBody remembers whether a read of a request body failed on a
// deadline. A body is read by one goroutine at a time, the handler's or,
// after it returns, the server's.
type deadlineBody struct {
	io.ReadCloser
	hit atomic.Bool
}

func (b *deadlineBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil && errors.Is(err, os.ErrDeadlineExceeded) {
		b.hit.Store(true)
	}
	return n, err
}

func (b *deadlineBody) timedOut() bool { return b.hit.Load() }
