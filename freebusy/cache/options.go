package cache

import (
	"time"

	"go.uber.org/zap"

	"github.com/calbridge/calbridge/freebusy"
	"github.com/calbridge/calbridge/internal/config"
)

// pkg names this package in the errors of invalid options.
const pkg = "cache"

// ErrInvalidOption is matched (errors.Is) by the error New returns for an
// option given a value it cannot take; the error's text names the option.
var ErrInvalidOption = config.ErrInvalidOption

// The defaults of the options.
const (
	// DefaultTTL is how long a day entry is fresh: 15 minutes, the
	// "Maximum age" of foreign free/busy in the Exchange Calendar
	// Connector (docs/notes.md §7.2).
	DefaultTTL = 15 * time.Minute
	// DefaultMaxStale is how long past its TTL an entry may still be
	// served, marked Stale, while it is refreshed or while its backend
	// fails.
	DefaultMaxStale = time.Hour
	// DefaultNegativeTTL is how long an UnknownAttendee answer is
	// remembered, so that a name that does not exist is not asked for
	// again on every query. It is never served as data.
	DefaultNegativeTTL = time.Minute
	// DefaultMaxBytes bounds the in-memory tier: 64 MiB.
	DefaultMaxBytes = 64 << 20
	// DefaultFetchTimeout bounds a backend call whose caller set no
	// deadline of its own. A backend call does not end with the caller that
	// started it (others may wait for it, and a late answer still fills
	// the cache), so it runs under this bound instead.
	DefaultFetchTimeout = config.DefaultCallTimeout
	// DefaultBatchSize is the largest number of attendees in one backend
	// query: 100, the EWS GetUserAvailability maximum.
	DefaultBatchSize = 100
)

// Option configures New.
type Option func(*settings)

type settings struct {
	logger       *zap.Logger
	ttl          time.Duration
	maxStale     time.Duration
	negativeTTL  time.Duration
	maxBytes     int64
	fetchTimeout time.Duration
	batchSize    int
	limits       freebusy.Limits
	store        Store
	observer     func(Event)
	err          error
}

func (s *settings) invalid(opt, format string, args ...any) {
	if s.err == nil {
		s.err = config.OptionError(pkg, opt, format, args...)
	}
}

func newSettings(opts []Option) (settings, error) {
	s := settings{
		logger:       zap.NewNop(),
		ttl:          DefaultTTL,
		maxStale:     DefaultMaxStale,
		negativeTTL:  DefaultNegativeTTL,
		maxBytes:     DefaultMaxBytes,
		fetchTimeout: DefaultFetchTimeout,
		batchSize:    DefaultBatchSize,
		limits:       freebusy.DefaultLimits(),
	}
	for _, o := range opts {
		if o != nil {
			o(&s)
		}
	}
	return s, s.err
}

// WithLogger sets the logger. The default, and nil, mean zap.NewNop().
// Attendee names are logged at Debug level only.
func WithLogger(l *zap.Logger) Option {
	return func(s *settings) {
		if l == nil {
			l = zap.NewNop()
		}
		s.logger = l
	}
}

// WithTTL sets how long a day entry is fresh (DefaultTTL). It must be
// positive.
func WithTTL(d time.Duration) Option {
	return func(s *settings) {
		if d <= 0 {
			s.invalid("WithTTL", "%s is not positive", d)
			return
		}
		s.ttl = d
	}
}

// WithMaxStale sets how long past its TTL an entry may still be served,
// marked Stale (DefaultMaxStale). Zero serves nothing stale: a caller then
// waits for the refresh, and a backend failure passes through.
func WithMaxStale(d time.Duration) Option {
	return func(s *settings) {
		if d < 0 {
			s.invalid("WithMaxStale", "%s is negative", d)
			return
		}
		s.maxStale = d
	}
}

// WithNegativeTTL sets how long an UnknownAttendee answer is remembered
// (DefaultNegativeTTL); zero remembers none. Other failures are never
// cached.
func WithNegativeTTL(d time.Duration) Option {
	return func(s *settings) {
		if d < 0 {
			s.invalid("WithNegativeTTL", "%s is negative", d)
			return
		}
		s.negativeTTL = d
	}
}

// WithMaxBytes bounds the memory of the default in-memory tier
// (DefaultMaxBytes), as estimated by EntrySize. It must be positive; it
// does not apply to a Store given with WithStore.
func WithMaxBytes(n int64) Option {
	return func(s *settings) {
		if n <= 0 {
			s.invalid("WithMaxBytes", "%d is not positive", n)
			return
		}
		s.maxBytes = n
	}
}

// WithFetchTimeout bounds a backend call (DefaultFetchTimeout). It must be
// positive.
func WithFetchTimeout(d time.Duration) Option {
	return func(s *settings) {
		if d <= 0 {
			s.invalid("WithFetchTimeout", "%s is not positive", d)
			return
		}
		s.fetchTimeout = d
	}
}

// WithBatchSize sets the largest number of attendees in one backend query
// (DefaultBatchSize). It must be positive.
func WithBatchSize(n int) Option {
	return func(s *settings) {
		if n <= 0 {
			s.invalid("WithBatchSize", "%d is not positive", n)
			return
		}
		s.batchSize = n
	}
}

// WithLimits sets the limits queries are validated against
// (freebusy.DefaultLimits). MaxWindow also bounds the window of a backend
// query: the whole days the cache asks for are split into spans no longer
// than it.
func WithLimits(l freebusy.Limits) Option {
	return func(s *settings) {
		l = l.WithDefaults()
		if l.MaxWindow < 24*time.Hour {
			s.invalid("WithLimits", "MaxWindow %s is shorter than a day", l.MaxWindow)
			return
		}
		s.limits = l
	}
}

// WithStore replaces the in-memory tier with st: a Tiered store of a
// Memory and a shared tier, say, or a shared tier alone. The Source does
// not close st.
func WithStore(st Store) Option {
	return func(s *settings) {
		if st == nil {
			s.invalid("WithStore", "nil store")
			return
		}
		s.store = st
	}
}

// WithObserver makes the Source call f for every Event, synchronously and
// possibly from several goroutines at once; f must be quick and must not
// call the Source. It lets a metrics package count without this package
// importing it.
func WithObserver(f func(Event)) Option {
	return func(s *settings) { s.observer = f }
}
