package publicfolder

import (
	"go.uber.org/zap"

	"github.com/calbridge/calbridge/freebusy"
	"github.com/calbridge/calbridge/internal/config"
)

// ErrInvalidOption is matched (errors.Is) by the error NewSource returns
// for an option given a value it cannot take.
var ErrInvalidOption = config.ErrInvalidOption

// pkg names this package in option errors.
const pkg = "publicfolder"

// Option configures NewSource.
type Option interface{ apply(*sourceConfig) }

// sourceConfig is what NewSource reads.
type sourceConfig struct {
	config.Common
}

type optionFunc func(*sourceConfig)

func (f optionFunc) apply(c *sourceConfig) { f(c) }

// WithLogger sets the logger. The default, and a nil logger, mean
// zap.NewNop(). Attendee names and schedule contents are never logged above
// Debug level.
func WithLogger(l *zap.Logger) Option {
	return optionFunc(func(c *sourceConfig) { c.SetLogger(l) })
}

// WithConcurrency bounds how many lookups a Source runs at once for one
// query. The default is 8; a value below 1 makes NewSource fail with an
// error matching ErrInvalidOption.
func WithConcurrency(n int) Option {
	return optionFunc(func(c *sourceConfig) { c.SetConcurrency(pkg, n) })
}

// WithLimits sets the query limits a Source refuses queries beyond. The
// default is freebusy.DefaultLimits(); zero fields mean the field of
// freebusy.DefaultLimits(). A negative field, or a minimum granularity above
// the maximum, makes NewSource fail with an error matching ErrInvalidOption.
func WithLimits(l freebusy.Limits) Option {
	return optionFunc(func(c *sourceConfig) { c.SetLimits(pkg, l) })
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
