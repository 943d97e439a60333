package rediscache

import (
	"crypto/tls"
	"fmt"
	"math/rand/v2"
	"time"

	"go.uber.org/zap"

	"github.com/calbridge/calbridge/internal/config"
)

// The defaults of the options.
const (
	// DefaultPrefix begins every key the Store writes, so that the cache
	// can share a Redis database with other data and Clear can find its
	// own keys.
	DefaultPrefix = "calbridge:fb:"
	// DefaultDialTimeout bounds connecting to Redis, and DefaultIOTimeout
	// every read and write: Redis answers a healthy client in well under a
	// millisecond, so a Redis that takes longer is treated as down rather
	// than allowed to slow every query.
	DefaultDialTimeout = 500 * time.Millisecond
	DefaultIOTimeout   = 250 * time.Millisecond
	// DefaultLockTTL is how long a fill lock lives without being renewed:
	// how long the other instances wait for a holder that died. A holder
	// that lives renews its locks every third of it, so a slow backend
	// call does not lose them.
	DefaultLockTTL = 10 * time.Second
)

// Backoff is a growing, capped delay with jitter: attempt n waits
// Initial*Multiplier^(n-1), at most Max, spread by ±Jitter of itself.
type Backoff struct {
	Initial    time.Duration
	Max        time.Duration
	Multiplier float64
	Jitter     float64
}

// DefaultCircuitBackoff is how long the Store skips Redis after failures:
// half a second after the first, doubling to at most 30 seconds, so that
// a Redis that is down costs nothing per query and is tried again often
// enough to notice its return.
var DefaultCircuitBackoff = Backoff{Initial: 500 * time.Millisecond, Max: 30 * time.Second, Multiplier: 2, Jitter: 0.2}

// DefaultAwaitBackoff is how often Await looks whether the fill locks it
// waits for are gone: after 5 ms, then doubling to at most 100 ms. A
// waiter learns of a landed entry at most that late; a backend call
// usually takes far longer.
var DefaultAwaitBackoff = Backoff{Initial: 5 * time.Millisecond, Max: 100 * time.Millisecond, Multiplier: 2, Jitter: 0.2}

// delay returns the delay before attempt n (1 for the first retry).
func (b Backoff) delay(n int) time.Duration {
	d := float64(b.Initial)
	for i := 1; i < n && d < float64(b.Max); i++ {
		d *= b.Multiplier
	}
	d = min(d, float64(b.Max))
	if b.Jitter > 0 {
		d *= 1 + b.Jitter*(2*rand.Float64()-1)
	}
	return time.Duration(d)
}

func (b Backoff) validate() error {
	if b.Initial <= 0 || b.Max < b.Initial || b.Multiplier < 1 || b.Jitter < 0 || b.Jitter >= 1 {
		return fmt.Errorf("%+v needs 0 < Initial <= Max, Multiplier >= 1 and 0 <= Jitter < 1", b)
	}
	return nil
}

// Option configures Open.
type Option func(*settings)

type settings struct {
	logger        *zap.Logger
	prefix        string
	username      *string
	password      *string
	tls           *tls.Config
	dialTimeout   time.Duration
	ioTimeout     time.Duration
	lockTTL       time.Duration
	circuit       Backoff
	await         Backoff
	onStateChange func(Health)
	now           func() time.Time
	err           error
}

func (s *settings) invalid(opt, format string, args ...any) {
	if s.err == nil {
		s.err = config.OptionError("rediscache", opt, format, args...)
	}
}

func newSettings(opts []Option) (settings, error) {
	s := settings{
		logger:  zap.NewNop(),
		prefix:  DefaultPrefix,
		lockTTL: DefaultLockTTL,
		circuit: DefaultCircuitBackoff,
		await:   DefaultAwaitBackoff,
		now:     time.Now,
	}
	for _, o := range opts {
		if o != nil {
			o(&s)
		}
	}
	return s, s.err
}

// WithLogger sets the logger, which hears of each change of state (Redis
// down, Redis back) once. The default, and nil, mean zap.NewNop().
func WithLogger(l *zap.Logger) Option {
	return func(s *settings) {
		if l == nil {
			l = zap.NewNop()
		}
		s.logger = l
	}
}

// WithPrefix sets the text every key begins with (DefaultPrefix). Stores
// with different prefixes share nothing; it must not be empty, so that
// Clear never removes keys that are not the cache's.
func WithPrefix(p string) Option {
	return func(s *settings) {
		if p == "" {
			s.invalid("WithPrefix", "empty prefix")
			return
		}
		s.prefix = p
	}
}

// WithUsername sets the ACL user name, replacing the URL's.
func WithUsername(u string) Option { return func(s *settings) { s.username = &u } }

// WithPassword sets the password, replacing the URL's, so that a program
// can keep it out of its configuration (in an environment variable, say).
func WithPassword(p string) Option { return func(s *settings) { s.password = &p } }

// WithTLSConfig makes the Store connect with TLS using cfg, for a
// redis:// URL too; for a rediss:// URL it replaces the default (the
// system's roots, the URL's host as server name). Where cfg names no
// server, the URL's host is used.
func WithTLSConfig(cfg *tls.Config) Option {
	return func(s *settings) {
		if cfg == nil {
			s.invalid("WithTLSConfig", "nil config")
			return
		}
		s.tls = cfg
	}
}

// WithTimeouts sets how long connecting to Redis may take
// (DefaultDialTimeout) and each read or write (DefaultIOTimeout). The
// URL's dial_timeout, read_timeout and write_timeout parameters do the
// same; an option given here wins.
func WithTimeouts(dial, io time.Duration) Option {
	return func(s *settings) {
		if dial <= 0 || io <= 0 {
			s.invalid("WithTimeouts", "dial %s and io %s must be positive", dial, io)
			return
		}
		s.dialTimeout, s.ioTimeout = dial, io
	}
}

// WithLockTTL sets the lifetime of a fill lock (DefaultLockTTL). It must
// be at least 100 ms.
func WithLockTTL(d time.Duration) Option {
	return func(s *settings) {
		if d < 100*time.Millisecond {
			s.invalid("WithLockTTL", "%s is below 100ms", d)
			return
		}
		s.lockTTL = d
	}
}

// WithCircuitBackoff sets how long the Store skips Redis after failures
// (DefaultCircuitBackoff).
func WithCircuitBackoff(b Backoff) Option {
	return func(s *settings) {
		if err := b.validate(); err != nil {
			s.invalid("WithCircuitBackoff", "%v", err)
			return
		}
		s.circuit = b
	}
}

// WithAwaitBackoff sets how often Await looks for released locks
// (DefaultAwaitBackoff).
func WithAwaitBackoff(b Backoff) Option {
	return func(s *settings) {
		if err := b.validate(); err != nil {
			s.invalid("WithAwaitBackoff", "%v", err)
			return
		}
		s.await = b
	}
}

// WithStateChange makes the Store call f with its Health each time Redis
// goes down or comes back, after the change, from the goroutine whose
// operation noticed it; f must be quick. It lets a program update a gauge
// or a health endpoint without polling.
func WithStateChange(f func(Health)) Option {
	return func(s *settings) { s.onStateChange = f }
}
