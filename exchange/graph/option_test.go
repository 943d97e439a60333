package graph

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/calbridge/calbridge/freebusy"
	"github.com/calbridge/calbridge/internal/config"
)

// NewClient refuses an option it cannot honour at once, instead of failing
// every later call.
func TestNewClientRejectsInvalidOptions(t *testing.T) {
	for name, opt := range map[string]ClientOption{
		"base URL without scheme":  WithBaseURL("graph.example.com"),
		"empty base URL":           WithBaseURL(""),
		"base URL of another kind": WithBaseURL("ftp://graph.example.com/v1.0"),
		"base URL without host":    WithBaseURL("https:///v1.0"),
		"base URL with a query":    WithBaseURL("https://graph.example.com/v1.0?tenant=x"),
		"base URL with a fragment": WithBaseURL("https://graph.example.com/v1.0#top"),
		"unparsable base URL":      WithBaseURL("https://graph example.com:x/"),
		"zero concurrency":         WithConcurrency(0),
		"negative retries":         WithMaxRetries(-1),
		"negative call timeout":    WithCallTimeout(-time.Second),
		"negative limits":          WithLimits(freebusy.Limits{MaxAttendees: -1}),
	} {
		t.Run(name, func(t *testing.T) {
			c, err := NewClient(WithConcurrency(2), opt)
			require.Error(t, err)
			assert.Nil(t, c)
			assert.ErrorIs(t, err, ErrInvalidOption)
			assert.ErrorIs(t, err, config.ErrInvalidOption)
			assert.Contains(t, err.Error(), "graph: With")
		})
	}
}

func TestNewClientDefaultsAndValidOptions(t *testing.T) {
	c, err := NewClient()
	require.NoError(t, err)
	assert.Equal(t, DefaultBaseURL+"/me/calendar/getSchedule", c.endpoint())
	assert.Equal(t, DefaultMaxRetries, c.cfg.maxRetries)
	assert.Equal(t, DefaultCallTimeout, c.cfg.CallTimeout)
	assert.Same(t, http.DefaultClient, c.cfg.HTTPClient)

	c, err = NewClient(nil, WithLogger(nil), WithHTTPClient(nil), WithMaxRetries(0), WithCallTimeout(0),
		WithBaseURL("http://localhost:8080/v1.0/"), WithUser("room 1@contoso.com"))
	require.NoError(t, err, "nil options, a nil logger and a nil HTTP client mean the defaults")
	assert.Equal(t, "http://localhost:8080/v1.0/users/room%201@contoso.com/calendar/getSchedule", c.endpoint())
	assert.Zero(t, c.cfg.maxRetries)
	assert.Same(t, http.DefaultClient, c.cfg.HTTPClient)
	ctx, cancel := c.cfg.BoundCall(context.Background())
	defer cancel()
	_, ok := ctx.Deadline()
	assert.False(t, ok, "a zero call timeout means no bound")
}

func TestNewHandlerOptions(t *testing.T) {
	src := freebusy.SourceFunc(func(context.Context, freebusy.Query) ([]freebusy.Schedule, error) { return nil, nil })
	h, err := NewHandler(src, nil, WithLogger(nil), WithLimits(freebusy.Limits{MaxAttendees: 5}))
	require.NoError(t, err)
	assert.Equal(t, 5, h.cfg.Limits.MaxAttendees)

	_, err = NewHandler(src, WithLimits(freebusy.Limits{MinGranularity: time.Hour, MaxGranularity: time.Minute}))
	assert.ErrorIs(t, err, ErrInvalidOption)

	_, err = NewHandler(nil)
	require.Error(t, err, "a handler needs a Source")
	assert.NotErrorIs(t, err, ErrInvalidOption)
}
