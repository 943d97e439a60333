package das

import (
	"context"
	"testing"
	"time"

	"github.com/calbridge/calbridge/internal/httptestutil"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/calbridge/calbridge/freebusy"
)

// A hung Domino server cannot hold a caller whose context has no deadline:
// the client bounds the call with WithCallTimeout and answers Timeout.
func TestClientBoundsCallWithoutDeadline(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) }) // after the server has closed
	hung := httptestutil.HungServer(t)

	c, err := NewClient(hung.URL, WithCallTimeout(150*time.Millisecond))
	require.NoError(t, err)
	start := time.Date(2024, 3, 5, 0, 0, 0, 0, time.UTC)
	began := time.Now()
	schedules, err := c.FreeBusy(context.Background(), freebusy.Query{Attendees: []string{"jane@acme.example", "CN=Klaus/O=Acme"}, Start: start, End: start.Add(24 * time.Hour)})
	assert.Less(t, time.Since(began), 5*time.Second, "bounded by the call timeout")
	require.NoError(t, err)
	require.Len(t, schedules, 2)
	for _, s := range schedules {
		require.NotNil(t, s.Err, s.Attendee)
		assert.ErrorIs(t, s.Err, freebusy.ErrTimeout, s.Attendee)
	}
}
