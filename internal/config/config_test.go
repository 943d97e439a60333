package config

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/calbridge/calbridge/freebusy"
)

func TestDefaults(t *testing.T) {
	c := Defaults()
	assert.NotNil(t, c.Logger)
	assert.Same(t, http.DefaultClient, c.HTTPClient)
	assert.Equal(t, DefaultConcurrency, c.Concurrency)
	assert.Equal(t, DefaultCallTimeout, c.CallTimeout)
	assert.Equal(t, freebusy.DefaultLimits(), c.Limits)
	assert.NoError(t, c.Err())
}

func TestInvalidOptionsKeepTheFirstError(t *testing.T) {
	c := Defaults()
	c.SetConcurrency("ews", 0)
	c.SetCallTimeout("ews", -time.Second)
	err := c.Err()
	require.Error(t, err)
	assert.ErrorIs(t, err, ErrInvalidOption)
	assert.Contains(t, err.Error(), "ews: WithConcurrency")
	assert.Equal(t, DefaultConcurrency, c.Concurrency, "an invalid value is not applied")
	assert.Equal(t, DefaultCallTimeout, c.CallTimeout)
}

func TestSetLimits(t *testing.T) {
	c := Defaults()
	c.SetLimits("graph", freebusy.Limits{MaxAttendees: 20})
	assert.NoError(t, c.Err())
	assert.Equal(t, 20, c.Limits.WithDefaults().MaxAttendees)

	c = Defaults()
	c.SetLimits("graph", freebusy.Limits{MaxAttendees: -1})
	assert.ErrorIs(t, c.Err(), ErrInvalidOption)

	c = Defaults()
	c.SetLimits("graph", freebusy.Limits{MinGranularity: 2 * time.Hour, MaxGranularity: time.Hour})
	assert.ErrorIs(t, c.Err(), ErrInvalidOption)
}

func TestNilMeansDefault(t *testing.T) {
	c := Defaults()
	c.SetLogger(nil)
	c.SetHTTPClient(nil)
	assert.NotNil(t, c.Logger)
	assert.Same(t, http.DefaultClient, c.HTTPClient)
	assert.NoError(t, c.Err())
}

func TestBoundCall(t *testing.T) {
	c := Defaults()
	c.SetCallTimeout("x", time.Minute)
	ctx, cancel := c.BoundCall(context.Background())
	defer cancel()
	dl, ok := ctx.Deadline()
	require.True(t, ok, "a context without deadline gets the call timeout")
	assert.WithinDuration(t, time.Now().Add(time.Minute), dl, 10*time.Second)

	own, ownCancel := context.WithTimeout(context.Background(), time.Hour)
	defer ownCancel()
	ctx2, cancel2 := c.BoundCall(own)
	defer cancel2()
	assert.Equal(t, own, ctx2, "a caller's deadline wins")

	c.SetCallTimeout("x", 0)
	ctx3, cancel3 := c.BoundCall(context.Background())
	defer cancel3()
	_, ok = ctx3.Deadline()
	assert.False(t, ok, "zero means no bound")
}
