package observe

import (
	"time"

	"go.uber.org/zap"

	"github.com/calbridge/calbridge/internal/config"
)

// ErrInvalidOption is matched (errors.Is) by the error Instrument returns
// for an argument or option it cannot take; the error's text names it.
var ErrInvalidOption = config.ErrInvalidOption

// InstrumentOption configures Instrument.
type InstrumentOption interface{ applyInstrument(*instrumentConfig) }

// HealthOption configures NewHealth.
type HealthOption interface{ applyHealth(*healthConfig) }

// Option configures both Instrument and NewHealth.
type Option interface {
	InstrumentOption
	HealthOption
}

// shared holds the settings of both constructors.
type shared struct {
	log *zap.Logger
	now func() time.Time
}

func defaults() shared { return shared{log: zap.NewNop(), now: time.Now} }

type instrumentConfig struct {
	shared
	metrics Metrics
}

type healthConfig struct{ shared }

// sharedOption sets a field both constructors have.
type sharedOption func(*shared)

func (f sharedOption) applyInstrument(c *instrumentConfig) { f(&c.shared) }
func (f sharedOption) applyHealth(c *healthConfig)         { f(&c.shared) }

// instrumentOption sets a field of Instrument's configuration.
type instrumentOption func(*instrumentConfig)

func (f instrumentOption) applyInstrument(c *instrumentConfig) { f(c) }

// WithLogger sets the logger. The default, and a nil logger, mean
// zap.NewNop(). Instrument logs attendee names and per-attendee errors only
// at Debug level.
func WithLogger(l *zap.Logger) Option {
	return sharedOption(func(c *shared) {
		if l == nil {
			l = zap.NewNop()
		}
		c.log = l
	})
}

// WithClock sets the clock that durations and change times are read from.
// The default, and nil, mean time.Now. Tests give a fake clock.
func WithClock(now func() time.Time) Option {
	return sharedOption(func(c *shared) {
		if now == nil {
			now = time.Now
		}
		c.now = now
	})
}

// WithMetrics sets where Instrument reports. The default, and nil, mean
// Nop.
func WithMetrics(m Metrics) InstrumentOption {
	return instrumentOption(func(c *instrumentConfig) {
		if m == nil {
			m = Nop{}
		}
		c.metrics = m
	})
}
