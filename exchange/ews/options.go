package ews

import (
	"net/http"
	"time"

	"go.uber.org/zap"

	"github.com/calbridge/calbridge/freebusy"
	"github.com/calbridge/calbridge/internal/config"
)

// pkg names this package in the errors of invalid options.
const pkg = "ews"

// ErrInvalidOption is matched (errors.Is) by the error NewClient,
// NewHandler and NewAutodiscoverHandler return for an option given a value
// it cannot take; the error's text names the option.
var ErrInvalidOption = config.ErrInvalidOption

// DefaultReadTimeout is how long a Handler or AutodiscoverHandler waits
// for a request's body, unless WithReadTimeout says otherwise.
const DefaultReadTimeout = config.DefaultReadTimeout

// DefaultMaxRetries is how often a Client retries a request the server
// throttled (ErrorServerBusy, HTTP 503 or 429), unless WithMaxRetries says
// otherwise.
const DefaultMaxRetries = 2

// ClientOption configures NewClient.
type ClientOption interface{ applyClient(*clientConfig) }

// HandlerOption configures NewHandler.
type HandlerOption interface{ applyHandler(*handlerConfig) }

// AutodiscoverOption configures NewAutodiscoverHandler.
type AutodiscoverOption interface{ applyAutodiscover(*autodiscoverConfig) }

// Option configures both NewClient and NewHandler.
type Option interface {
	ClientOption
	HandlerOption
}

// ServerOption configures both NewHandler and NewAutodiscoverHandler.
type ServerOption interface {
	HandlerOption
	AutodiscoverOption
}

// CommonOption configures NewClient, NewHandler and NewAutodiscoverHandler.
type CommonOption interface {
	Option
	AutodiscoverOption
}

// baseConfig is what every constructor of the package reads.
type baseConfig struct {
	config.Common
	maxBodyBytes int64 // 0: the constructor's default
	maxDepth     int   // 0: MaxDepth
	maxElements  int   // 0: the constructor's default
}

// bodyLimit returns the configured document size cap, or def.
func (c *baseConfig) bodyLimit(def int64) int64 {
	if c.maxBodyBytes > 0 {
		return c.maxBodyBytes
	}
	return def
}

// xmlLimits returns the configured document limits, with defBytes and
// defElements where none is set.
func (c *baseConfig) xmlLimits(defBytes int64, defElements int) xmlLimits {
	lim := xmlLimits{bytes: c.bodyLimit(defBytes), depth: c.maxDepth, elements: c.maxElements}
	if lim.depth == 0 {
		lim.depth = MaxDepth
	}
	if lim.elements == 0 {
		lim.elements = defElements
	}
	return lim
}

type clientConfig struct {
	baseConfig
	maxRetries int
}

type handlerConfig struct {
	baseConfig
	details  bool
	resolver MailboxResolver
	version  ServerVersionInfo
}

type autodiscoverConfig struct {
	baseConfig
}

// commonOption applies to every constructor.
type commonOption func(*baseConfig)

func (f commonOption) applyClient(c *clientConfig)             { f(&c.baseConfig) }
func (f commonOption) applyHandler(c *handlerConfig)           { f(&c.baseConfig) }
func (f commonOption) applyAutodiscover(c *autodiscoverConfig) { f(&c.baseConfig) }

// bothOption applies to NewClient and NewHandler.
type bothOption func(*baseConfig)

func (f bothOption) applyClient(c *clientConfig)   { f(&c.baseConfig) }
func (f bothOption) applyHandler(c *handlerConfig) { f(&c.baseConfig) }

// serverOption applies to NewHandler and NewAutodiscoverHandler.
type serverOption func(*baseConfig)

func (f serverOption) applyHandler(c *handlerConfig)           { f(&c.baseConfig) }
func (f serverOption) applyAutodiscover(c *autodiscoverConfig) { f(&c.baseConfig) }

type clientOption func(*clientConfig)

func (f clientOption) applyClient(c *clientConfig) { f(c) }

type handlerOption func(*handlerConfig)

func (f handlerOption) applyHandler(c *handlerConfig) { f(c) }

func defaultBase() baseConfig { return baseConfig{Common: config.Defaults()} }

// newClientConfig applies opts (nil ones are skipped) and returns the first
// invalid option's error.
func newClientConfig(opts []ClientOption) (clientConfig, error) {
	c := clientConfig{baseConfig: defaultBase(), maxRetries: DefaultMaxRetries}
	for _, o := range opts {
		if o != nil {
			o.applyClient(&c)
		}
	}
	return c, c.Err()
}

func newHandlerConfig(opts []HandlerOption) (handlerConfig, error) {
	c := handlerConfig{baseConfig: defaultBase(), resolver: defaultResolver, version: DefaultServerVersion()}
	for _, o := range opts {
		if o != nil {
			o.applyHandler(&c)
		}
	}
	return c, c.Err()
}

func newAutodiscoverConfig(opts []AutodiscoverOption) (autodiscoverConfig, error) {
	c := autodiscoverConfig{baseConfig: defaultBase()}
	for _, o := range opts {
		if o != nil {
			o.applyAutodiscover(&c)
		}
	}
	return c, c.Err()
}

// WithLogger sets the logger of a Client, Handler or AutodiscoverHandler.
// The default, and a nil logger, mean zap.NewNop(). Attendee names and
// schedule contents are never logged above Debug level.
func WithLogger(l *zap.Logger) CommonOption {
	return commonOption(func(c *baseConfig) { c.SetLogger(l) })
}

// WithMaxBodyBytes caps the documents read: the request body a Handler
// accepts (default MaxRequestBytes), the response body a Client accepts
// (default MaxResponseBytes) and the request body an AutodiscoverHandler
// accepts (default 64 KiB). Zero means the default; a negative value makes
// the constructor fail.
func WithMaxBodyBytes(n int64) CommonOption {
	return commonOption(func(c *baseConfig) {
		if n < 0 {
			c.Invalid(pkg, "WithMaxBodyBytes", "negative size %d", n)
			return
		}
		c.maxBodyBytes = n
	})
}

// WithMaxDepth caps how deeply the elements of a document read may nest:
// requests a Handler reads, responses a Client reads. The default is
// MaxDepth; zero means the default; a value below 0, or above 10,000,
// makes the constructor fail. A deeper document is refused as soon as its
// first too-deep element starts (ErrTooDeep; a Handler answers it with an
// ErrorSchemaValidation fault).
func WithMaxDepth(n int) Option {
	return bothOption(func(c *baseConfig) {
		if n < 0 || n > 10000 {
			c.Invalid(pkg, "WithMaxDepth", "depth %d is outside 0..10000", n)
			return
		}
		c.maxDepth = n
	})
}

// WithMaxElements caps how many elements a document read may have:
// requests a Handler reads (default MaxRequestElements), responses a
// Client reads (default MaxResponseElements). Zero means the default; a
// negative value makes the constructor fail. A document with more is
// refused as soon as the first element over the cap starts
// (ErrTooManyElements; a Handler answers it with an ErrorSchemaValidation
// fault).
func WithMaxElements(n int) Option {
	return bothOption(func(c *baseConfig) {
		if n < 0 {
			c.Invalid(pkg, "WithMaxElements", "negative count %d", n)
			return
		}
		c.maxElements = n
	})
}

// WithLimits sets the query limits that a Client splits by and a Handler
// enforces. The default is freebusy.DefaultLimits(); zero fields fall back to
// it. A negative field, or a minimum granularity above the maximum, makes
// the constructor fail.
func WithLimits(l freebusy.Limits) Option {
	return bothOption(func(c *baseConfig) { c.SetLimits(pkg, l) })
}

// WithHTTPClient sets the HTTP client a Client sends its requests with. The
// default, and nil, mean http.DefaultClient. Authentication belongs in the
// client's Transport (a RoundTripper), never in this package.
func WithHTTPClient(h *http.Client) ClientOption {
	return clientOption(func(c *clientConfig) { c.SetHTTPClient(h) })
}

// WithConcurrency bounds how many requests a Client runs at once for one
// query. The default is 8; a value below 1 makes NewClient fail.
func WithConcurrency(n int) ClientOption {
	return clientOption(func(c *clientConfig) { c.SetConcurrency(pkg, n) })
}

// WithCallTimeout sets how long a Client's FreeBusy call may take when its
// context has no deadline (a context deadline always wins), so that a hung
// server cannot hold a caller forever. The default is 60 seconds; zero
// means no bound but the context's; a negative duration makes NewClient
// fail.
func WithCallTimeout(d time.Duration) ClientOption {
	return clientOption(func(c *clientConfig) { c.SetCallTimeout(pkg, d) })
}

// WithMaxRetries sets how often a Client retries a throttled request,
// waiting the server's BackOffMilliseconds (or Retry-After) as long as the
// caller's deadline allows. The default is DefaultMaxRetries; zero means
// no retries; a negative value makes NewClient fail.
func WithMaxRetries(n int) ClientOption {
	return clientOption(func(c *clientConfig) {
		if n < 0 {
			c.Invalid(pkg, "WithMaxRetries", "%d is below 0", n)
			return
		}
		c.maxRetries = n
	})
}

// WithReadTimeout bounds how long a Handler or AutodiscoverHandler waits
// for the body of a request, counted from when it starts to serve it: a
// client that trickles its body is cut off then and answered 408 Request
// Timeout, so that slow clients cannot hold connections open. The handler
// sets the connection's read deadline through http.ResponseController,
// which the server lifts once the body has been read. The default is
// DefaultReadTimeout. Zero sets no deadline, leaving the body to the
// http.Server's own ReadTimeout; a server ReadTimeout no longer than the
// handler's is left in force too, and a ResponseWriter that cannot take a
// deadline (httptest.ResponseRecorder) serves unbounded. A negative
// duration makes the constructor fail.
func WithReadTimeout(d time.Duration) ServerOption {
	return serverOption(func(c *baseConfig) { c.SetReadTimeout(pkg, d) })
}

// WithDetails sets whether a Handler answers Detailed and DetailedMerged
// views with event details (subject, location, flags) when its Source
// supplies them. The default, false, answers them as FreeBusy and
// FreeBusyMerged, as Exchange does for callers without "read details"
// permission (docs/exchange.md §2.5). Every value is valid.
func WithDetails(allow bool) HandlerOption {
	return handlerOption(func(c *handlerConfig) { c.details = allow })
}

// WithMailboxResolver sets how a Handler maps request mailboxes to
// attendees. The default, and nil, pass the address through unchanged, for
// SMTP and EX alike.
func WithMailboxResolver(r MailboxResolver) HandlerOption {
	return handlerOption(func(c *handlerConfig) {
		if r == nil {
			r = defaultResolver
		}
		c.resolver = r
	})
}
