package transport

import (
	"context"
	"crypto/tls"
	"math/rand/v2"
	"net"
	"time"

	"go.uber.org/zap"
)

// Dialer opens network connections. *net.Dialer satisfies it, and so does
// transporttest's in-memory network.
type Dialer interface {
	DialContext(ctx context.Context, network, addr string) (net.Conn, error)
}

// Defaults of the client options.
const (
	DefaultHandshakeTimeout   = 10 * time.Second
	DefaultWriteTimeout       = 10 * time.Second
	DefaultCallTimeout        = 30 * time.Second
	DefaultHeartbeatInterval  = 10 * time.Second
	DefaultHeartbeatTimeout   = 10 * time.Second
	DefaultMaxAttempts        = 3
	DefaultRetryBudgetRatio   = 0.1
	DefaultRetryBudgetMinRate = 1
	DefaultMaxWaiting         = 1024
	DefaultEagerRetryInterval = time.Second
	DefaultMaxMessageBytes    = 16 << 20
)

type clientOptions struct {
	dialer             Dialer
	tls                *tls.Config
	token              string
	backoff            Backoff
	log                *zap.Logger
	hbInterval         time.Duration
	hbTimeout          time.Duration
	dialTimeout        time.Duration
	handshakeTimeout   time.Duration
	writeTimeout       time.Duration
	callTimeout        time.Duration
	maxAttempts        int
	budgetRatio        float64
	budgetMinPerSecond int
	waitForReady       bool
	maxWaiting         int
	eagerInterval      time.Duration
	maxMessageBytes    int
	compact            bool
	onState            func(StateChange)
	rand               func() float64
	now                func() time.Time
}

func defaultClientOptions() clientOptions {
	return clientOptions{
		backoff:            DefaultBackoff,
		log:                zap.NewNop(),
		hbInterval:         DefaultHeartbeatInterval,
		hbTimeout:          DefaultHeartbeatTimeout,
		dialTimeout:        DefaultBackoff.MinConnectTimeout,
		handshakeTimeout:   DefaultHandshakeTimeout,
		writeTimeout:       DefaultWriteTimeout,
		callTimeout:        DefaultCallTimeout,
		maxAttempts:        DefaultMaxAttempts,
		budgetRatio:        DefaultRetryBudgetRatio,
		budgetMinPerSecond: DefaultRetryBudgetMinRate,
		maxWaiting:         DefaultMaxWaiting,
		eagerInterval:      DefaultEagerRetryInterval,
		maxMessageBytes:    DefaultMaxMessageBytes,
		compact:            true,
		rand:               rand.Float64,
		now:                time.Now,
	}
}

// ClientOption configures NewClient. The options that also apply to
// NewServer (WithLogger, WithToken) are of the combined type Option.
type ClientOption interface{ applyClient(*clientOptions) }

// ServerOption configures NewServer. The options that also apply to
// NewClient (WithLogger, WithToken) are of the combined type Option.
type ServerOption interface{ applyServer(*serverOptions) }

// Option configures both NewClient and NewServer: it is a knob both halves
// of a link read with the same meaning.
type Option interface {
	ClientOption
	ServerOption
}

type clientOption func(*clientOptions)

func (f clientOption) applyClient(o *clientOptions) { f(o) }

type serverOption func(*serverOptions)

func (f serverOption) applyServer(o *serverOptions) { f(o) }

// sharedOption is an Option: one setting for each constructor.
type sharedOption struct {
	client clientOption
	server serverOption
}

func (s sharedOption) applyClient(o *clientOptions) { s.client(o) }
func (s sharedOption) applyServer(o *serverOptions) { s.server(o) }

// WithLogger sets the logger of a Client or a Server; nil, like the
// default, discards. A Client logs one line per state transition, a Server
// refused handshakes, accept errors and failed sources; neither logs
// attendee data.
func WithLogger(l *zap.Logger) Option {
	if l == nil {
		l = zap.NewNop()
	}
	return sharedOption{
		client: func(o *clientOptions) { o.log = l },
		server: func(o *serverOptions) { o.log = l },
	}
}

// WithToken sets the shared secret of the calbridge.hello handshake: a
// Client sends it, a Server refuses clients that do not present it
// (CodeUnauthorized). The default, "", sends none and requires none.
func WithToken(token string) Option {
	return sharedOption{
		client: func(o *clientOptions) { o.token = token },
		server: func(o *serverOptions) { o.token = token },
	}
}

// WithCompactSchedules says whether calbridge.freebusy results may travel
// in the compact form (PROTOCOL.md "Compact schedules"), which costs a
// fraction of the JSON form to write and to read. It is on by default on
// both halves, and a connection uses it only when both have it on: a
// Client offers it in its calbridge.hello, and a Server accepts the offer.
// A Client also talks to servers that predate the form (it says hello
// again without the offer when one refuses it), and a Server answers
// clients that do not offer it, stock JSON-RPC clients among them, in the
// JSON form. Turn it off on either half to force the JSON form, for
// example to read the traffic by eye.
func WithCompactSchedules(on bool) Option {
	return sharedOption{
		client: func(o *clientOptions) { o.compact = on },
		server: func(o *serverOptions) { o.compact = on },
	}
}

// WithDialer sets how connections are opened. The default (also for nil)
// is a *net.Dialer with TCP keepalive and, on Linux, TCP_USER_TIMEOUT set
// to the heartbeat interval plus timeout; a custom dialer is responsible
// for its own socket options.
func WithDialer(d Dialer) ClientOption { return clientOption(func(o *clientOptions) { o.dialer = d }) }

// WithTLS makes the client speak TLS with cfg (set Certificates for mutual
// TLS); nil, the default, means plain TCP. When cfg.ServerName is empty,
// the host part of the address is used.
func WithTLS(cfg *tls.Config) ClientOption {
	return clientOption(func(o *clientOptions) { o.tls = cfg })
}

// WithBackoff sets the connection backoff (default DefaultBackoff). A
// Backoff with a non-positive BaseDelay or MinConnectTimeout, a Multiplier
// under 1, a Jitter outside [0, 1] or a MaxDelay under BaseDelay makes
// NewClient fail with ErrInvalidOption.
func WithBackoff(b Backoff) ClientOption {
	return clientOption(func(o *clientOptions) { o.backoff = b })
}

// WithHeartbeat sets how long a connection may go without reading anything
// before the client pings (interval), and how long it then waits for any
// reply before declaring the peer dead (timeout); defaults 10 s and 10 s.
// Heartbeats run on idle and busy connections alike; while calls are
// pending the probe is faster: a ping after 1 s without a byte from the
// peer, and death after 2 s more without one (both capped by interval and
// timeout), so that a frozen peer does not hold calls. An interval of 0
// disables them, leaving only TCP keepalive and call deadlines to notice a
// dead peer. A negative interval, or a non-positive timeout with a
// positive interval, makes NewClient fail with ErrInvalidOption.
func WithHeartbeat(interval, timeout time.Duration) ClientOption {
	return clientOption(func(o *clientOptions) { o.hbInterval, o.hbTimeout = interval, timeout })
}

// WithDialTimeout bounds each dial (default Backoff.MinConnectTimeout,
// 20 s); the whole attempt, dial and handshakes, is further bounded by
// max(Backoff.MinConnectTimeout, the current unjittered backoff delay). A
// non-positive d makes NewClient fail with ErrInvalidOption.
func WithDialTimeout(d time.Duration) ClientOption {
	return clientOption(func(o *clientOptions) { o.dialTimeout = d })
}

// WithHandshakeTimeout bounds the TLS and calbridge.hello handshakes
// (default 10 s). A non-positive d makes NewClient fail with
// ErrInvalidOption.
func WithHandshakeTimeout(d time.Duration) ClientOption {
	return clientOption(func(o *clientOptions) { o.handshakeTimeout = d })
}

// WithWriteTimeout bounds each write to the connection (default 10 s). A
// write that times out discards the connection. A non-positive d makes
// NewClient fail with ErrInvalidOption.
func WithWriteTimeout(d time.Duration) ClientOption {
	return clientOption(func(o *clientOptions) { o.writeTimeout = d })
}

// WithCallTimeout sets the deadline of calls whose context has none
// (default 30 s), so that no call can wait forever. A non-positive d makes
// NewClient fail with ErrInvalidOption.
func WithCallTimeout(d time.Duration) ClientOption {
	return clientOption(func(o *clientOptions) { o.callTimeout = d })
}

// WithMaxAttempts caps the attempts of one call, first included (default
// 3). Transparent retries of requests that provably never reached the
// server do not count. An n under 1 makes NewClient fail with
// ErrInvalidOption.
func WithMaxAttempts(n int) ClientOption {
	return clientOption(func(o *clientOptions) { o.maxAttempts = n })
}

// WithRetryBudget limits retries across all calls of the client: each call
// earns ratio of a retry, and minPerSecond retries a second are always
// allowed (defaults 0.1 and 1); the balance is capped at ten seconds of
// minPerSecond. A retry the budget refuses returns the attempt's error. The
// first retry of a call whose connection was lost under it does not draw on
// the budget (the reconnect is paced by the backoff), nor do retries of
// requests the server refused unprocessed or that never left the client.
// A negative ratio or minPerSecond makes NewClient fail with
// ErrInvalidOption.
func WithRetryBudget(ratio float64, minPerSecond int) ClientOption {
	return clientOption(func(o *clientOptions) { o.budgetRatio, o.budgetMinPerSecond = ratio, minPerSecond })
}

// WithWaitForReady sets the default of the per-call WaitForReady option
// (default false: calls fail fast while the client is in TransientFailure).
func WithWaitForReady(wait bool) ClientOption {
	return clientOption(func(o *clientOptions) { o.waitForReady = wait })
}

// WithMaxWaiting bounds the calls that may wait for a connection at once
// (default 1024); callers over the bound get an Unavailable error whose
// cause is ErrQueueFull. An n under 1 makes NewClient fail with
// ErrInvalidOption.
func WithMaxWaiting(n int) ClientOption {
	return clientOption(func(o *clientOptions) { o.maxWaiting = n })
}

// WithEagerRetryInterval sets how often calls arriving during backoff may
// cut the backoff short and trigger a connection attempt (default 1 s: one
// a second, with a burst of two), so that recovery does not depend on how
// long the outage lasted. A call that finds the last attempt's failure
// older than a tenth of d does not trust it: it starts an attempt and
// waits for its outcome, so the first call after a server's return
// succeeds. A non-positive d makes NewClient fail with ErrInvalidOption.
func WithEagerRetryInterval(d time.Duration) ClientOption {
	return clientOption(func(o *clientOptions) { o.eagerInterval = d })
}

// WithMaxMessageBytes bounds the size of a response line (default 16 MiB).
// A larger response is a framing error and discards the connection. An n
// under 1024 makes NewClient fail with ErrInvalidOption.
func WithMaxMessageBytes(n int) ClientOption {
	return clientOption(func(o *clientOptions) { o.maxMessageBytes = n })
}

// WithStateCallback registers f to be called on every state transition, in
// order, from the client's connection goroutine, just after the new state
// has taken effect (a call may already have used a new connection when f
// runs; StateChange.At is stamped when the state changed, not when f
// runs); nil, the default, registers none. f must not block and must not
// call Close.
func WithStateCallback(f func(StateChange)) ClientOption {
	return clientOption(func(o *clientOptions) { o.onState = f })
}

// withRand replaces the source of backoff jitter, a function returning
// uniform numbers in [0, 1), so that tests can pin the schedule; nil keeps
// math/rand/v2.
func withRand(r func() float64) ClientOption {
	return clientOption(func(o *clientOptions) {
		if r != nil {
			o.rand = r
		}
	})
}

func (o *clientOptions) validate() error {
	if err := o.backoff.validate(); err != nil {
		return err
	}
	switch {
	case o.hbInterval < 0 || (o.hbInterval > 0 && o.hbTimeout <= 0):
		return configError("heartbeat interval must be non-negative and timeout positive")
	case o.dialTimeout <= 0 || o.handshakeTimeout <= 0 || o.writeTimeout <= 0 || o.callTimeout <= 0:
		return configError("timeouts must be positive")
	case o.maxAttempts < 1:
		return configError("max attempts must be at least 1")
	case o.budgetRatio < 0 || o.budgetMinPerSecond < 0:
		return configError("retry budget must be non-negative")
	case o.maxWaiting < 1:
		return configError("max waiting must be at least 1")
	case o.eagerInterval <= 0:
		return configError("eager retry interval must be positive")
	case o.maxMessageBytes < 1024:
		return configError("max message bytes must be at least 1024")
	}
	return nil
}

// CallOption configures one call.
type CallOption func(*callOptions)

type callOptions struct {
	waitForReady bool
}

// WaitForReady makes a call wait, within its deadline, for the client to
// become Ready instead of failing fast in TransientFailure.
func WaitForReady(wait bool) CallOption { return func(o *callOptions) { o.waitForReady = wait } }

// configError reports a bad option value; it matches ErrInvalidOption.
type configError string

func (e configError) Error() string { return "transport: invalid configuration: " + string(e) }

// Is makes a configError match ErrInvalidOption.
func (e configError) Is(target error) bool { return target == ErrInvalidOption }
