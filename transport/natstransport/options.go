package natstransport

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"go.uber.org/zap"

	"github.com/calbridge/calbridge/transport"
)

// Defaults of the options.
const (
	// DefaultSubject is the subject of a Client and a Server configured
	// without WithSubject: Subject("default").
	DefaultSubject = "calbridge.default.freebusy"
	// DefaultQueueGroup is the queue group the workers of a subject join,
	// so that each query goes to one of them.
	DefaultQueueGroup = "calbridge"
	// DefaultConcurrency is how many queries a Server runs at once; it
	// refuses more as busy.
	DefaultConcurrency = 64
	// DefaultHeartbeatInterval is how often a Server tells the callers of
	// the queries it is running that it is still at work.
	DefaultHeartbeatInterval = time.Second
	// DefaultMissedHeartbeats is how many heartbeat intervals of silence
	// make a Client give a worker up and ask another.
	DefaultMissedHeartbeats = 3
	// DefaultCallTimeout bounds a call whose context has no deadline
	// (Client), and every query a Server runs.
	DefaultCallTimeout = transport.DefaultCallTimeout
	// DefaultMaxAttempts is how many times a Client sends one query: the
	// first attempt and the retries after a lost worker, a lost
	// connection, an unreadable answer or a temporary error. Refusals
	// from busy or closing workers do not count.
	DefaultMaxAttempts = transport.DefaultMaxAttempts
	// DefaultMaxAnswerBytes bounds the answer a Client decodes. The NATS
	// server's max_payload (1 MiB unless configured) usually bounds it
	// first.
	DefaultMaxAnswerBytes = 16 << 20
	// DefaultPingInterval is the NATS client's ping interval on the
	// connections the package opens: two unanswered pings (about twenty
	// seconds) declare a half-open connection to the NATS server dead,
	// where nats.go's own default takes minutes.
	DefaultPingInterval = 10 * time.Second
)

// Subject returns the subject on which the workers of the gateway half
// named half listen: "calbridge.<half>.freebusy", for instance
// Subject("exchange") for the Exchange half's workers. half must be one
// subject token (no dots, spaces or wildcards) for WithSubject to accept
// the result.
func Subject(half string) string { return "calbridge." + half + ".freebusy" }

// common holds the settings both constructors read.
type common struct {
	log         *zap.Logger
	subject     string
	heartbeat   time.Duration
	callTimeout time.Duration
	conn        *nats.Conn
	natsOpts    []nats.Option
	onState     func(transport.StateChange)
	jsonOnly    bool  // WithCompactSchedules(false)
	err         error // the first invalid option
}

func defaultCommon() common {
	return common{
		log:         zap.NewNop(),
		subject:     DefaultSubject,
		heartbeat:   DefaultHeartbeatInterval,
		callTimeout: DefaultCallTimeout,
	}
}

// invalid records the first option given a value it cannot take.
func (c *common) invalid(opt, format string, args ...any) {
	if c.err == nil {
		c.err = fmt.Errorf("natstransport: %s: %s: %w", opt, fmt.Sprintf(format, args...), transport.ErrInvalidOption)
	}
}

type clientOptions struct {
	common
	maxAttempts    int
	missed         int
	waitForReady   bool
	maxAnswerBytes int
}

type serverOptions struct {
	common
	queue       string
	concurrency int
}

// ClientOption configures NewClient. The options that also apply to
// NewServer are of the combined type Option.
type ClientOption interface{ applyClient(*clientOptions) }

// ServerOption configures NewServer. The options that also apply to
// NewClient are of the combined type Option.
type ServerOption interface{ applyServer(*serverOptions) }

// Option configures both NewClient and NewServer: a knob both ends of the
// link read with the same meaning.
type Option interface {
	ClientOption
	ServerOption
}

type clientOption func(*clientOptions)

func (f clientOption) applyClient(o *clientOptions) { f(o) }

type serverOption func(*serverOptions)

func (f serverOption) applyServer(o *serverOptions) { f(o) }

// commonOption is an Option: one setting of the shared part.
type commonOption func(*common)

func (f commonOption) applyClient(o *clientOptions) { f(&o.common) }
func (f commonOption) applyServer(o *serverOptions) { f(&o.common) }

// WithLogger sets the logger; nil, like the default, discards. Both log
// one line per change of connection state; a Server also logs failed
// sources by reason, and neither logs attendees or credentials.
func WithLogger(l *zap.Logger) Option {
	return commonOption(func(c *common) {
		if l == nil {
			l = zap.NewNop()
		}
		c.log = l
	})
}

// WithCompactSchedules turns the compact form of the schedules on or off
// (default on). It is the form of transport's link (transport/PROTOCOL.md,
// "Compact schedules"): instants as seconds, statuses as digits, a fifth
// of the JSON or less, and cheaper to write and to read. A week of 100
// busy calendars is 96 KB in it against 468 KB of JSON; four such weeks
// are 389 KB, where their 1.8 MB of JSON is over a NATS server's default
// max_payload of 1 MiB and cannot be answered.
//
// A Client that has it on offers the form in each query's
// Calbridge-Forms header; a Server that has it on answers in it when
// offered, and names it in the answer's Calbridge-Form header. Peers that
// predate the form neither offer it nor answer in it, so they keep
// speaking JSON with both old and new peers. Turn it off on either end to
// force JSON, for example to read the traffic by eye.
func WithCompactSchedules(on bool) Option {
	return commonOption(func(c *common) { c.jsonOnly = !on })
}

// WithSubject sets the subject a Client sends its queries to and a Server
// listens on (default DefaultSubject; see Subject). It must be a valid
// NATS subject without wildcards: dot-separated tokens, none empty, no
// spaces, '*' or '>'.
func WithSubject(subject string) Option {
	return commonOption(func(c *common) {
		if err := checkSubject(subject); err != nil {
			c.invalid("WithSubject", "%v", err)
			return
		}
		c.subject = subject
	})
}

// checkSubject accepts a literal NATS subject (one a message can be
// published to).
func checkSubject(s string) error {
	if s == "" {
		return fmt.Errorf("empty subject")
	}
	for tok := range strings.SplitSeq(s, ".") {
		if tok == "" {
			return fmt.Errorf("subject %q has an empty token", s)
		}
		if tok == "*" || tok == ">" || strings.ContainsAny(tok, " \t\r\n") {
			return fmt.Errorf("subject %q has a wildcard or a space", s)
		}
	}
	return nil
}

// WithHeartbeatInterval sets the heartbeat interval (default
// DefaultHeartbeatInterval). A Server sends each caller of a running
// query a progress message this often; a Client gives a worker up after
// WithMissedHeartbeats intervals without one (counting the longer of its
// own interval and the one the worker announced). It must be at least a
// millisecond.
func WithHeartbeatInterval(d time.Duration) Option {
	return commonOption(func(c *common) {
		if d < time.Millisecond {
			c.invalid("WithHeartbeatInterval", "%v is below 1ms", d)
			return
		}
		c.heartbeat = d
	})
}

// WithCallTimeout bounds a Client call whose context has no deadline, and
// every query a Server runs, whatever deadline its caller sent (default
// DefaultCallTimeout). It must be positive.
func WithCallTimeout(d time.Duration) Option {
	return commonOption(func(c *common) {
		if d <= 0 {
			c.invalid("WithCallTimeout", "%v is not positive", d)
			return
		}
		c.callTimeout = d
	})
}

// WithConn makes the Client or Server use nc, a connection the caller
// opened and keeps: NewClient and NewServer are then given no URLs, and
// Close leaves nc open (it removes only what the Client or Server
// subscribed). The connection's own settings then apply: give it
// nats.MaxReconnects(-1), or it may give up on an outage and never come
// back.
func WithConn(nc *nats.Conn) Option {
	return commonOption(func(c *common) {
		if nc == nil {
			c.invalid("WithConn", "nil connection")
			return
		}
		c.conn = nc
	})
}

// WithUserInfo authenticates with a user name and password (NATS
// authorization "user"/"password"). Credentials in a URL
// (nats://user:password@host) do the same.
func WithUserInfo(user, password string) Option {
	return WithNATSOptions(nats.UserInfo(user, password))
}

// WithToken authenticates with a NATS authorization token.
func WithToken(token string) Option { return WithNATSOptions(nats.Token(token)) }

// WithCredentials authenticates with a NATS credentials file (a user JWT
// and its nkey seed, as nsc writes them).
func WithCredentials(file string) Option {
	return WithNATSOptions(nats.UserCredentials(file))
}

// WithTLSConfig makes the connection use TLS with cfg (for servers that
// require it, or tls:// URLs with custom roots or a client certificate).
func WithTLSConfig(cfg *tls.Config) Option {
	return WithNATSOptions(nats.Secure(cfg))
}

// WithNATSOptions passes options to nats.Connect, after the package's own
// (a connection name, reconnecting for ever, DefaultPingInterval), so
// they can override them. They do not apply with WithConn.
func WithNATSOptions(opts ...nats.Option) Option {
	return commonOption(func(c *common) { c.natsOpts = append(c.natsOpts, opts...) })
}

// WithStateCallback calls f on every change of connection state, in
// order and never concurrently (the first call may come from the
// constructor); f must not block. The change's Addr is the
// NATS server's URL without credentials.
func WithStateCallback(f func(transport.StateChange)) Option {
	return commonOption(func(c *common) { c.onState = f })
}

// WithMaxAttempts sets how many times a Client sends one query (default
// DefaultMaxAttempts; at least 1). Refusals from busy or closing workers
// are not attempts: they are retried until the caller's deadline.
func WithMaxAttempts(n int) ClientOption {
	return clientOption(func(o *clientOptions) {
		if n < 1 {
			o.invalid("WithMaxAttempts", "%d is below 1", n)
			return
		}
		o.maxAttempts = n
	})
}

// WithMissedHeartbeats sets how many heartbeat intervals of silence make
// a Client give a worker up and send the query again (default
// DefaultMissedHeartbeats; at least 2, so that one late heartbeat is not
// a death).
func WithMissedHeartbeats(n int) ClientOption {
	return clientOption(func(o *clientOptions) {
		if n < 2 {
			o.invalid("WithMissedHeartbeats", "%d is below 2", n)
			return
		}
		o.missed = n
	})
}

// WithWaitForReady makes calls made while the Client is not connected to
// NATS wait, within their deadline, for the connection to come back, and
// calls that find no worker listening ask again until one does, instead
// of failing at once as unavailable (the default).
func WithWaitForReady(wait bool) ClientOption {
	return clientOption(func(o *clientOptions) { o.waitForReady = wait })
}

// WithMaxAnswerBytes bounds the answers a Client decodes (default
// DefaultMaxAnswerBytes; at least 1 KiB). A longer answer is a protocol
// error.
func WithMaxAnswerBytes(n int) ClientOption {
	return clientOption(func(o *clientOptions) {
		if n < 1<<10 {
			o.invalid("WithMaxAnswerBytes", "%d is below 1024", n)
			return
		}
		o.maxAnswerBytes = n
	})
}

// WithQueueGroup sets the NATS queue group a Server joins (default
// DefaultQueueGroup). The workers of one subject share a group, so that
// each query goes to one of them; it must not contain spaces.
func WithQueueGroup(name string) ServerOption {
	return serverOption(func(o *serverOptions) {
		if name == "" || strings.ContainsAny(name, " \t\r\n") {
			o.invalid("WithQueueGroup", "%q is empty or has a space", name)
			return
		}
		o.queue = name
	})
}

// WithConcurrency sets how many queries a Server runs at once (default
// DefaultConcurrency; at least 1). A query arriving when all are taken is
// refused as busy at once, and its Client asks another worker.
func WithConcurrency(n int) ServerOption {
	return serverOption(func(o *serverOptions) {
		if n < 1 {
			o.invalid("WithConcurrency", "%d is below 1", n)
			return
		}
		o.concurrency = n
	})
}

// allowedSchemes are the URL schemes nats.go dials.
var allowedSchemes = map[string]bool{"nats": true, "tls": true, "ws": true, "wss": true}

// connect returns the connection a Client or Server uses: the caller's
// (WithConn) or a new one to urls that reconnects for ever. Options in
// base come first, then the caller's WithNATSOptions.
func connect(urls []string, c *common, name string, base ...nats.Option) (nc *nats.Conn, owned bool, err error) {
	if c.conn != nil {
		if len(urls) > 0 {
			return nil, false, fmt.Errorf("natstransport: URLs given with WithConn: %w", transport.ErrInvalidOption)
		}
		return c.conn, false, nil
	}
	if len(urls) == 0 {
		return nil, false, fmt.Errorf("natstransport: no NATS URL: %w", transport.ErrInvalidOption)
	}
	for _, u := range urls {
		p, err := url.Parse(u)
		if err != nil || !allowedSchemes[p.Scheme] || p.Host == "" {
			// The URL may hold a password: name only its position.
			return nil, false, fmt.Errorf("natstransport: NATS URL %d is not nats://, tls://, ws:// or wss://host:port: %w", indexOf(urls, u)+1, transport.ErrInvalidOption)
		}
	}
	opts := append([]nats.Option{
		nats.Name(name),
		nats.MaxReconnects(-1),
		nats.PingInterval(DefaultPingInterval),
		nats.MaxPingsOutstanding(2),
	}, base...)
	opts = append(opts, c.natsOpts...)
	servers := strings.Join(urls, ",")
	nc, err = nats.Connect(servers, opts...)
	if errors.Is(err, nats.ErrNoServers) {
		// No server reachable: not a configuration mistake, an outage.
		// Start anyway, reconnecting in the background, so that a
		// gateway can start before NATS does. A server that answered
		// and refused (bad credentials, TLS required) fails at once.
		nc, err = nats.Connect(servers, append(opts, nats.RetryOnFailedConnect(true))...)
	}
	if err != nil {
		return nil, false, fmt.Errorf("natstransport: connect: %w", err)
	}
	return nc, true, nil
}

func indexOf(list []string, s string) int {
	for i, v := range list {
		if v == s {
			return i
		}
	}
	return -1
}
