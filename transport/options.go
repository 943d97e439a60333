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
		rand:               rand.Float64,
		now:                time.Now,
	}
}

// Option configures a Client.
type Option func(*clientOptions)

// WithDialer sets how connections are opened. The default is a *net.Dialer
// with TCP keepalive and, on Linux, TCP_USER_TIMEOUT set to the heartbeat
// interval plus timeout; a custom dialer is responsible for its own socket
// options.
func WithDialer(d Dialer) Option { return func(o *clientOptions) { o.dialer = d } }

// WithTLS makes the client speak TLS with cfg (set Certificates for mutual
// TLS). When cfg.ServerName is empty, the host part of the address is used.
func WithTLS(cfg *tls.Config) Option { return func(o *clientOptions) { o.tls = cfg } }

// WithToken sets the shared token sent in the handshake.
func WithToken(token string) Option { return func(o *clientOptions) { o.token = token } }

// WithBackoff sets the connection backoff (default DefaultBackoff).
func WithBackoff(b Backoff) Option { return func(o *clientOptions) { o.backoff = b } }

// WithLogger sets the logger; the default discards. The client logs one line
// per state transition, never attendee data.
func WithLogger(l *zap.Logger) Option {
	return func(o *clientOptions) {
		if l != nil {
			o.log = l
		}
	}
}

// WithHeartbeat sets how long a connection may go without reading anything
// before the client pings (interval), and how long it then waits for any
// reply before declaring the peer dead (timeout). Heartbeats run on idle
// and busy connections alike. An interval of 0 disables them, leaving only
// TCP keepalive and call deadlines to notice a dead peer.
func WithHeartbeat(interval, timeout time.Duration) Option {
	return func(o *clientOptions) { o.hbInterval, o.hbTimeout = interval, timeout }
}

// WithDialTimeout bounds each dial (default Backoff.MinConnectTimeout, 20 s);
// the whole attempt is further bounded by Backoff.ConnectTimeout.
func WithDialTimeout(d time.Duration) Option { return func(o *clientOptions) { o.dialTimeout = d } }

// WithHandshakeTimeout bounds the TLS and calbridge.hello handshakes (default 10 s).
func WithHandshakeTimeout(d time.Duration) Option {
	return func(o *clientOptions) { o.handshakeTimeout = d }
}

// WithWriteTimeout bounds each write to the connection (default 10 s). A
// write that times out discards the connection.
func WithWriteTimeout(d time.Duration) Option { return func(o *clientOptions) { o.writeTimeout = d } }

// WithCallTimeout sets the deadline of calls whose context has none
// (default 30 s), so that no call can wait forever.
func WithCallTimeout(d time.Duration) Option { return func(o *clientOptions) { o.callTimeout = d } }

// WithMaxAttempts caps the attempts of one call, first included (default 3).
// Transparent retries of requests that provably never reached the server
// do not count.
func WithMaxAttempts(n int) Option { return func(o *clientOptions) { o.maxAttempts = n } }

// WithRetryBudget limits retries across all calls of the client: each call
// earns ratio of a retry, and minPerSecond retries a second are always
// allowed (defaults 0.1 and 1); the balance is capped at ten seconds of
// minPerSecond. A retry the budget refuses returns the attempt's error. The
// first retry of a call whose connection was lost under it does not draw on
// the budget (the reconnect is paced by the backoff), nor do retries of
// requests the server refused unprocessed or that never left the client.
func WithRetryBudget(ratio float64, minPerSecond int) Option {
	return func(o *clientOptions) { o.budgetRatio, o.budgetMinPerSecond = ratio, minPerSecond }
}

// WithWaitForReady sets the default of the per-call WaitForReady option
// (default false: calls fail fast while the client is in TransientFailure).
func WithWaitForReady(wait bool) Option { return func(o *clientOptions) { o.waitForReady = wait } }

// WithMaxWaiting bounds the calls that may wait for a connection at once
// (default 1024); callers over the bound get an Unavailable error whose
// cause is ErrQueueFull.
func WithMaxWaiting(n int) Option { return func(o *clientOptions) { o.maxWaiting = n } }

// WithEagerRetryInterval sets how often a call arriving during backoff may
// cut the backoff short and trigger a connection attempt (default 1 s), so
// that recovery does not depend on how long the outage lasted.
func WithEagerRetryInterval(d time.Duration) Option {
	return func(o *clientOptions) { o.eagerInterval = d }
}

// WithMaxMessageBytes bounds the size of a response line (default 16 MiB).
// A larger response is a framing error and discards the connection.
func WithMaxMessageBytes(n int) Option { return func(o *clientOptions) { o.maxMessageBytes = n } }

// WithStateCallback registers f to be called on every state transition, in
// order, from the client's connection goroutine, just after the new state
// has taken effect (a call may already have used a new connection when f
// runs). f must not block and must not call Close.
func WithStateCallback(f func(StateChange)) Option { return func(o *clientOptions) { o.onState = f } }

// WithRand replaces the source of backoff jitter, a function returning
// uniform numbers in [0, 1). Tests use it to make schedules deterministic.
func WithRand(r func() float64) Option {
	return func(o *clientOptions) {
		if r != nil {
			o.rand = r
		}
	}
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

// Defaults of the server options.
const (
	DefaultServerMaxMessageBytes  = 1 << 20
	DefaultServerMaxInFlight      = 64
	DefaultServerReadTimeout      = 5 * time.Minute
	DefaultServerWriteTimeout     = 10 * time.Second
	DefaultServerCallTimeout      = 30 * time.Second
	DefaultServerHandshakeTimeout = 10 * time.Second
)

type serverOptions struct {
	token            string
	log              *zap.Logger
	maxMessageBytes  int
	maxInFlight      int
	readTimeout      time.Duration
	writeTimeout     time.Duration
	callTimeout      time.Duration
	handshakeTimeout time.Duration
	name             string
}

// ServerOption configures a Server.
type ServerOption func(*serverOptions)

// WithServerToken requires clients to present token in calbridge.hello.
func WithServerToken(token string) ServerOption { return func(o *serverOptions) { o.token = token } }

// WithServerLogger sets the server's logger; the default discards.
func WithServerLogger(l *zap.Logger) ServerOption {
	return func(o *serverOptions) {
		if l != nil {
			o.log = l
		}
	}
}

// WithServerMaxMessageBytes bounds a request line (default 1 MiB). A longer
// line is answered with CodeMessageTooLarge and the connection is closed.
func WithServerMaxMessageBytes(n int) ServerOption {
	return func(o *serverOptions) {
		if n > 0 {
			o.maxMessageBytes = n
		}
	}
}

// WithServerMaxInFlight bounds the free/busy calls running at once on one
// connection (default 64); calls over the bound are refused with
// CodeOverloaded without being run.
func WithServerMaxInFlight(n int) ServerOption {
	return func(o *serverOptions) {
		if n > 0 {
			o.maxInFlight = n
		}
	}
}

// WithServerReadTimeout closes connections idle for longer than d (default
// 5 min; clients' heartbeats keep live connections busy).
func WithServerReadTimeout(d time.Duration) ServerOption {
	return func(o *serverOptions) {
		if d > 0 {
			o.readTimeout = d
		}
	}
}

// WithServerWriteTimeout bounds each write (default 10 s); a failed or
// timed-out write closes the connection.
func WithServerWriteTimeout(d time.Duration) ServerOption {
	return func(o *serverOptions) {
		if d > 0 {
			o.writeTimeout = d
		}
	}
}

// WithServerCallTimeout bounds each call to the Source (default 30 s).
func WithServerCallTimeout(d time.Duration) ServerOption {
	return func(o *serverOptions) {
		if d > 0 {
			o.callTimeout = d
		}
	}
}

// WithServerHandshakeTimeout bounds the time from accepting a connection
// (including its TLS handshake) to the client's calbridge.hello (default 10 s).
func WithServerHandshakeTimeout(d time.Duration) ServerOption {
	return func(o *serverOptions) {
		if d > 0 {
			o.handshakeTimeout = d
		}
	}
}

// WithServerName sets the name the server reports in the hello result
// (default "calbridge").
func WithServerName(name string) ServerOption {
	return func(o *serverOptions) {
		if name != "" {
			o.name = name
		}
	}
}

// configError reports a bad option value.
type configError string

func (e configError) Error() string { return "transport: invalid configuration: " + string(e) }
