package ews

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

// A hung server cannot hold a caller whose context has no deadline: the
// clients bound the call with WithCallTimeout and answer Timeout per
// attendee, as at any deadline.
func TestClientsBoundCallsWithoutDeadline(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) }) // after the server has closed
	hung := httptestutil.HungServer(t)

	start := time.Date(2024, 3, 5, 0, 0, 0, 0, time.UTC)
	q := freebusy.Query{Attendees: []string{"a@example.com"}, Start: start, End: start.Add(24 * time.Hour)}
	ews, err := NewClient(hung.URL+"/EWS/Exchange.asmx", WithCallTimeout(150*time.Millisecond))
	require.NoError(t, err)
	for name, src := range map[string]freebusy.Source{"ews": ews} {
		began := time.Now()
		schedules, err := src.FreeBusy(context.Background(), q)
		took := time.Since(began)
		assert.Less(t, took, 5*time.Second, "%s: bounded by the call timeout", name)
		if err != nil {
			assert.ErrorIs(t, err, freebusy.ErrTimeout, name)
			continue
		}
		require.Len(t, schedules, 1, name)
		require.NotNil(t, schedules[0].Err, name)
		assert.ErrorIs(t, schedules[0].Err, freebusy.ErrTimeout, name)
	}
}
