package notes

import (
	"time"

	"go.uber.org/zap"

	"github.com/calbridge/calbridge/freebusy"
	"github.com/calbridge/calbridge/internal/config"
)

// ErrInvalidOption is matched (errors.Is) by the error LoadCalendars
// returns for an option given a value it cannot take.
var ErrInvalidOption = config.ErrInvalidOption

// pkg names this package in option errors.
const pkg = "notes"

// Option configures LoadCalendars.
type Option interface{ apply(*sourceConfig) }

// sourceConfig is what LoadCalendars reads.
type sourceConfig struct {
	config.Common
	// policy maps Notes entries to statuses; the zero value is the default.
	policy BusyPolicy
	// maxOccurrences bounds recurrence expansion per calendar and query;
	// 0 means the decoder's default.
	maxOccurrences int
	// maxAge marks schedules Stale when their data is older; 0 never does.
	maxAge time.Duration
}

// option is an Option that sets a field of sourceConfig.
type option func(*sourceConfig)

func (f option) apply(c *sourceConfig) { f(c) }

// WithLogger sets the logger. The default, and a nil logger, mean
// zap.NewNop(). Attendee names and schedule contents are never logged above
// Debug level.
func WithLogger(l *zap.Logger) Option {
	return option(func(c *sourceConfig) { c.SetLogger(l) })
}

// WithLimits sets the query limits beyond which a CalendarSource refuses a
// query. The default is freebusy.DefaultLimits(); zero fields mean the field
// of freebusy.DefaultLimits(). A negative field, or a minimum granularity
// above the maximum, makes LoadCalendars fail with an error matching
// ErrInvalidOption.
func WithLimits(l freebusy.Limits) Option {
	return option(func(c *sourceConfig) { c.SetLimits(pkg, l) })
}

// WithBusyPolicy sets how a CalendarSource maps Notes entries to statuses
// (see BusyPolicy; the zero value, the default, reports penciled-in time as
// Tentative, docs/mapping.md §4.4).
func WithBusyPolicy(p BusyPolicy) Option {
	return option(func(c *sourceConfig) { c.policy = p })
}

// WithMaxOccurrences bounds how many occurrences of recurring events a
// CalendarSource expands per attendee and query, so that a runaway RRULE
// cannot exhaust memory. Zero, the default, leaves the bound to
// ical.DecodeCalendar; a negative n makes LoadCalendars fail with an error
// matching ErrInvalidOption.
func WithMaxOccurrences(n int) Option {
	return option(func(c *sourceConfig) {
		if n < 0 {
			c.Invalid(pkg, "WithMaxOccurrences", "%d is below 0", n)
			return
		}
		c.maxOccurrences = n
	})
}

// WithMaxAge makes a CalendarSource mark a schedule Stale when its calendar
// export is older than d at query time (the old Exchange Calendar Connector
// served stale data without saying so, docs/notes.md §7.3). Zero, the
// default, never marks schedules stale; a negative d makes LoadCalendars
// fail with an error matching ErrInvalidOption.
func WithMaxAge(d time.Duration) Option {
	return option(func(c *sourceConfig) {
		if d < 0 {
			c.Invalid(pkg, "WithMaxAge", "negative duration %v", d)
			return
		}
		c.maxAge = d
	})
}

// newSourceConfig applies opts over the defaults; nil options are
// skipped. It returns the first invalid option's error.
func newSourceConfig(opts []Option) (sourceConfig, error) {
	c := sourceConfig{Common: config.Defaults()}
	for _, o := range opts {
		if o != nil {
			o.apply(&c)
		}
	}
	return c, c.Err()
}
