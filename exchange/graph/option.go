package graph

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/calbridge/calbridge/freebusy"
	"github.com/calbridge/calbridge/internal/config"
)

// DefaultBaseURL is the Microsoft Graph v1.0 endpoint, the base URL of a
// Client made without WithBaseURL.
const DefaultBaseURL = "https://graph.microsoft.com/v1.0"

// DefaultMaxRetries is how often a Client retries a request the server
// throttled (HTTP 429, or 503 with Retry-After), unless WithMaxRetries says
// otherwise.
const DefaultMaxRetries = 3

// DefaultCallTimeout bounds a Client's FreeBusy call whose context has no
// deadline, unless WithCallTimeout says otherwise.
const DefaultCallTimeout = config.DefaultCallTimeout

// DefaultReadTimeout is how long a Handler waits for a request's body,
// unless WithReadTimeout says otherwise.
const DefaultReadTimeout = config.DefaultReadTimeout

// ErrInvalidOption is matched (errors.Is) by the error NewClient and
// NewHandler return for an option given a value it cannot take.
var ErrInvalidOption = config.ErrInvalidOption

// pkg names this package in option errors.
const pkg = "graph"

// ClientOption configures NewClient.
type ClientOption interface{ applyClient(*clientConfig) }

// HandlerOption configures NewHandler.
type HandlerOption interface{ applyHandler(*handlerConfig) }

// Option configures both NewClient and NewHandler.
type Option interface {
	ClientOption
	HandlerOption
}

// clientConfig is what NewClient reads.
type clientConfig struct {
	config.Common
	baseURL    string
	user       string
	maxRetries int
}

// handlerConfig is what NewHandler reads.
type handlerConfig struct {
	config.Common
	baseURL string
	details bool
}

// commonOption sets a knob both constructors read.
type commonOption func(*config.Common)

func (f commonOption) applyClient(c *clientConfig)   { f(&c.Common) }
func (f commonOption) applyHandler(h *handlerConfig) { f(&h.Common) }

// handlerOption sets a knob only NewHandler reads.
type handlerOption func(*handlerConfig)

func (f handlerOption) applyHandler(h *handlerConfig) { f(h) }

// clientOption sets a knob only NewClient reads.
type clientOption func(*clientConfig)

func (f clientOption) applyClient(c *clientConfig) { f(c) }

// WithLogger sets the logger. The default, and a nil logger, mean
// zap.NewNop(). Attendee names and schedule contents are never logged above
// Debug level.
func WithLogger(l *zap.Logger) Option {
	return commonOption(func(c *config.Common) { c.SetLogger(l) })
}

// WithLimits sets the query limits: a Client splits queries of up to 100
// times them into requests Graph accepts, and a Handler refuses queries
// beyond them (and beyond Graph's own, MaxSchedules and MaxWindow). The
// default is freebusy.DefaultLimits(); zero fields mean the field of
// freebusy.DefaultLimits(). A negative field, or a minimum granularity above
// the maximum, makes the constructor fail with an error matching
// ErrInvalidOption.
func WithLimits(l freebusy.Limits) Option {
	return commonOption(func(c *config.Common) { c.SetLimits(pkg, l) })
}

// WithHTTPClient sets the HTTP client a Client posts with. The default, and
// nil, mean http.DefaultClient. Authentication (the bearer token) belongs in
// the client's Transport, a RoundTripper, never in this package.
func WithHTTPClient(h *http.Client) ClientOption {
	return clientOption(func(c *clientConfig) { c.SetHTTPClient(h) })
}

// WithConcurrency bounds how many getSchedule requests a Client runs at
// once for one query. The default is 8; a value below 1 makes NewClient
// fail with an error matching ErrInvalidOption.
func WithConcurrency(n int) ClientOption {
	return clientOption(func(c *clientConfig) { c.SetConcurrency(pkg, n) })
}

// WithCallTimeout sets how long a Client's FreeBusy call may take when its
// context has no deadline (a context deadline always wins). The default is
// DefaultCallTimeout; zero means no bound but the context's; a negative
// duration makes NewClient fail with an error matching ErrInvalidOption.
func WithCallTimeout(d time.Duration) ClientOption {
	return clientOption(func(c *clientConfig) { c.SetCallTimeout(pkg, d) })
}

// WithReadTimeout bounds how long a Handler waits for the body of a
// request, counted from when it starts to serve it: a client that trickles
// its body is cut off then and answered 408 Request Timeout, so that slow
// clients cannot hold connections open. The Handler sets the connection's
// read deadline through http.ResponseController, which the server lifts
// once the body has been read. The default is DefaultReadTimeout. Zero
// sets no deadline, leaving the body to the http.Server's own
// ReadTimeout; a server ReadTimeout no longer than the Handler's is left
// in force too, and a ResponseWriter that cannot take a deadline
// (httptest.ResponseRecorder) serves unbounded. A negative duration makes
// NewHandler fail with an error matching ErrInvalidOption.
func WithReadTimeout(d time.Duration) HandlerOption {
	return handlerOption(func(h *handlerConfig) { h.SetReadTimeout(pkg, d) })
}

// WithBaseURL sets the service root: the base URL a Client posts to,
// without the trailing "/me/calendar/getSchedule", and the one a Handler
// names in the "@odata.context" of its answers (service root +
// ODataContextPath, as Graph writes it). A trailing slash is dropped. The
// default is DefaultBaseURL; tests and gateways point a Client at a
// Handler, and give a Handler the URL it is reached at. A Handler routes by
// path alone whatever its base URL. A URL that is not absolute http or
// https with a host, or that carries a query or a fragment, makes the
// constructor fail with an error matching ErrInvalidOption.
func WithBaseURL(u string) Option { return baseURLOption(u) }

// baseURLOption is WithBaseURL's option: both constructors read it.
type baseURLOption string

func (u baseURLOption) applyClient(c *clientConfig) {
	if v, ok := u.parse(&c.Common); ok {
		c.baseURL = v
	}
}

func (u baseURLOption) applyHandler(h *handlerConfig) {
	if v, ok := u.parse(&h.Common); ok {
		h.baseURL = v
	}
}

// parse validates the URL, recording the error in c.
func (u baseURLOption) parse(c *config.Common) (string, bool) {
	trimmed := strings.TrimRight(string(u), "/")
	p, err := url.Parse(trimmed)
	if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" ||
		p.RawQuery != "" || p.ForceQuery || p.Fragment != "" {
		shown := string(u)
		if err == nil {
			shown = p.Redacted()
		}
		c.Invalid(pkg, "WithBaseURL", "%q is not an absolute http or https URL without query", shown)
		return "", false
	}
	return trimmed, true
}

// WithDetails sets whether a Handler writes the subject and location of
// scheduleItems, where its Source supplies them for items that are not
// private. Graph writes them when the caller may read the mailbox's
// details (Microsoft Graph documentation "scheduleItem resource type");
// the default, false, answers as Graph does for a caller that may not,
// with status, times and isPrivate only. Either way the Handler asks its
// Source for DetailFull, since only the Source's Events are whole items
// (see NewScheduleInformation). Every value is valid.
func WithDetails(allow bool) HandlerOption {
	return handlerOption(func(h *handlerConfig) { h.details = allow })
}

// WithUser sets the mailbox whose calendar a Client calls getSchedule on:
// POST /users/{user}/calendar/getSchedule, as app-only tokens require. The
// default, "", posts to /me/calendar/getSchedule (delegated tokens). The
// mailbox only hosts the call; the schedules asked for are the query's
// attendees. Any string is accepted; it is path-escaped.
func WithUser(user string) ClientOption {
	return clientOption(func(c *clientConfig) { c.user = user })
}

// WithMaxRetries sets how often a Client retries a throttled request,
// honouring the server's Retry-After as long as the caller's deadline
// allows. The default is DefaultMaxRetries; zero means never; a negative
// value makes NewClient fail with an error matching ErrInvalidOption.
func WithMaxRetries(n int) ClientOption {
	return clientOption(func(c *clientConfig) {
		if n < 0 {
			c.Invalid(pkg, "WithMaxRetries", "%d is below 0", n)
			return
		}
		c.maxRetries = n
	})
}

// newClientConfig applies opts over the defaults; nil options are
// skipped. It returns the first invalid option's error.
func newClientConfig(opts []ClientOption) (clientConfig, error) {
	c := clientConfig{Common: config.Defaults(), baseURL: DefaultBaseURL, maxRetries: DefaultMaxRetries}
	for _, o := range opts {
		if o != nil {
			o.applyClient(&c)
		}
	}
	return c, c.Err()
}

// newHandlerConfig applies opts over the defaults; nil options are
// skipped. It returns the first invalid option's error.
func newHandlerConfig(opts []HandlerOption) (handlerConfig, error) {
	h := handlerConfig{Common: config.Defaults(), baseURL: DefaultBaseURL}
	for _, o := range opts {
		if o != nil {
			o.applyHandler(&h)
		}
	}
	return h, h.Err()
}
