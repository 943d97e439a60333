package transport

import (
	"time"

	"go.uber.org/zap"
)

// Defaults of the server options.
const (
	DefaultServerMaxMessageBytes  = 1 << 20
	DefaultServerMaxInFlight      = 64
	DefaultServerReadTimeout      = 5 * time.Minute
	DefaultServerWriteTimeout     = 10 * time.Second
	DefaultServerCallTimeout      = 30 * time.Second
	DefaultServerHandshakeTimeout = 10 * time.Second
	DefaultServerMaxHelloBytes    = 8 << 10
	DefaultServerMaxConns         = 1024
	DefaultServerAuthFailureBurst = 10
	DefaultServerAuthFailureEvery = time.Second
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
	maxHelloBytes    int
	maxConns         int
	authEvery        time.Duration
	authBurst        int
	compact          bool
}

// WithServerMaxMessageBytes bounds a request line (default 1 MiB). A
// longer line is answered with CodeMessageTooLarge and the connection is
// closed. A non-positive n makes NewServer fail with ErrInvalidOption.
func WithServerMaxMessageBytes(n int) ServerOption {
	return serverOption(func(o *serverOptions) { o.maxMessageBytes = n })
}

// WithServerMaxInFlight bounds the free/busy calls running at once on one
// connection (default 64); calls over the bound are refused with
// CodeOverloaded without being run. A non-positive n makes NewServer fail
// with ErrInvalidOption.
func WithServerMaxInFlight(n int) ServerOption {
	return serverOption(func(o *serverOptions) { o.maxInFlight = n })
}

// WithServerReadTimeout closes connections idle for longer than d (default
// 5 min; clients' heartbeats keep live connections busy). A non-positive d
// makes NewServer fail with ErrInvalidOption.
func WithServerReadTimeout(d time.Duration) ServerOption {
	return serverOption(func(o *serverOptions) { o.readTimeout = d })
}

// WithServerWriteTimeout bounds each write (default 10 s); a failed or
// timed-out write closes the connection. A non-positive d makes NewServer
// fail with ErrInvalidOption.
func WithServerWriteTimeout(d time.Duration) ServerOption {
	return serverOption(func(o *serverOptions) { o.writeTimeout = d })
}

// WithServerCallTimeout bounds each call to the Source (default 30 s). A
// non-positive d makes NewServer fail with ErrInvalidOption.
func WithServerCallTimeout(d time.Duration) ServerOption {
	return serverOption(func(o *serverOptions) { o.callTimeout = d })
}

// WithServerHandshakeTimeout bounds the time from accepting a connection
// (including its TLS handshake) to the client's calbridge.hello (default
// 10 s). A non-positive d makes NewServer fail with ErrInvalidOption.
func WithServerHandshakeTimeout(d time.Duration) ServerOption {
	return serverOption(func(o *serverOptions) { o.handshakeTimeout = d })
}

// WithServerMaxHelloBytes bounds each line read before the connection's
// calbridge.hello has succeeded (default 8 KiB, and never more than
// WithServerMaxMessageBytes), so that an unauthenticated connection holds
// at most a few KiB of buffers. A longer line is answered with
// CodeMessageTooLarge and the connection is closed. A [hello, call] batch
// sent as the first line must fit in it. A non-positive n makes NewServer
// fail with ErrInvalidOption.
func WithServerMaxHelloBytes(n int) ServerOption {
	return serverOption(func(o *serverOptions) { o.maxHelloBytes = n })
}

// WithServerMaxConns bounds the connections the server holds at once
// (default 1024). A connection accepted at the bound makes room by closing
// the oldest connection that has not completed its calbridge.hello; when
// every connection has, the new one is closed at once, without a reply.
// A non-positive n makes NewServer fail with ErrInvalidOption.
func WithServerMaxConns(n int) ServerOption {
	return serverOption(func(o *serverOptions) { o.maxConns = n })
}

// WithServerAuthFailureLimit slows the guessing of tokens: each client
// address (IP; IPv6 by /64) may fail burst hellos (missing or wrong token)
// at once, and then one every interval. While an address is over its
// limit, every hello from it, right or wrong, waits for its turn before its
// token is checked, so that the absence of a quick answer reveals nothing;
// a hello that cannot be checked before the handshake timeout is closed
// without a reply. Other addresses are not slowed. Defaults: one failure a
// second after a burst of 10. A non-positive interval or burst makes
// NewServer fail with ErrInvalidOption.
func WithServerAuthFailureLimit(every time.Duration, burst int) ServerOption {
	return serverOption(func(o *serverOptions) { o.authEvery, o.authBurst = every, burst })
}

// WithServerName sets the name the server reports in the hello result
// (default "calbridge"). An empty name makes NewServer fail with
// ErrInvalidOption.
func WithServerName(name string) ServerOption {
	return serverOption(func(o *serverOptions) { o.name = name })
}

func defaultServerOptions() serverOptions {
	return serverOptions{
		log:              zap.NewNop(),
		maxMessageBytes:  DefaultServerMaxMessageBytes,
		maxInFlight:      DefaultServerMaxInFlight,
		readTimeout:      DefaultServerReadTimeout,
		writeTimeout:     DefaultServerWriteTimeout,
		callTimeout:      DefaultServerCallTimeout,
		handshakeTimeout: DefaultServerHandshakeTimeout,
		name:             "calbridge",
		maxHelloBytes:    DefaultServerMaxHelloBytes,
		maxConns:         DefaultServerMaxConns,
		authEvery:        DefaultServerAuthFailureEvery,
		authBurst:        DefaultServerAuthFailureBurst,
		compact:          true,
	}
}

func (o *serverOptions) validate() error {
	switch {
	case o.maxMessageBytes <= 0:
		return configError("server max message bytes must be positive")
	case o.maxInFlight <= 0:
		return configError("server max in flight must be positive")
	case o.readTimeout <= 0 || o.writeTimeout <= 0 || o.callTimeout <= 0 || o.handshakeTimeout <= 0:
		return configError("server timeouts must be positive")
	case o.maxHelloBytes <= 0:
		return configError("server max hello bytes must be positive")
	case o.maxConns <= 0:
		return configError("server max conns must be positive")
	case o.authEvery <= 0 || o.authBurst <= 0:
		return configError("server auth failure limit must be positive")
	case o.name == "":
		return configError("server name must not be empty")
	}
	return nil
}
