package transport

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/calbridge/calbridge/freebusy"
)

func TestClientRoundTrip(t *testing.T) {
	_, addr := startServer(t, staticSource)
	var rec recorder
	c := newTestClient(t, []string{addr}, WithStateCallback(rec.record))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()

	q := testQuery(3)
	q.Attendees[1] = "nobody@example.com"
	got, err := c.FreeBusy(ctx, q)
	require.NoError(t, err)
	require.Len(t, got, 3)
	assert.Equal(t, freebusy.Busy, got[0].StatusAt(t0.Add(9*time.Hour)))
	require.NotNil(t, got[1].Err)
	assert.Equal(t, freebusy.ReasonUnknownAttendee, got[1].Err.Reason)
	assert.Equal(t, "no such user", got[1].Err.Message)
	assert.Equal(t, Ready, c.State())
	assert.Equal(t, []State{Connecting, Ready}, rec.states())

	rtt, err := c.Ping(ctx)
	require.NoError(t, err)
	assert.Positive(t, rtt)
	require.NoError(t, c.Close())
	require.NoError(t, c.Close())
	_, err = c.FreeBusy(ctx, q)
	assert.ErrorIs(t, err, ErrClosed)
	rec.assertLegal(t)
	assert.Equal(t, Shutdown, rec.states()[len(rec.states())-1])
}
