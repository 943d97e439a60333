package fanout

import (
	"context"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/calbridge/calbridge/freebusy"
)

// In a synctest bubble, Wait returns once every goroutine is blocked: then
// exactly limit calls are running and the rest wait their turn.
func TestRunBoundsConcurrency(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var running, calls atomic.Int32
		release := make(chan struct{})
		done := make(chan struct{})
		go func() {
			defer close(done)
			Run(context.Background(), 10, 3, func(i int) {
				running.Add(1)
				<-release
				running.Add(-1)
				calls.Add(1)
			}, func(int, *freebusy.Error) { t.Error("nothing is skipped while ctx lives") })
		}()
		synctest.Wait()
		assert.Equal(t, int32(3), running.Load(), "limit calls run at once")
		close(release)
		<-done
		assert.Equal(t, int32(10), calls.Load())
	})
}

func TestRunZeroLimitMeansOne(t *testing.T) {
	var running, peak atomic.Int32
	Run(context.Background(), 5, 0, func(int) {
		peak.Store(max(peak.Load(), running.Add(1)))
		running.Add(-1)
	}, nil)
	assert.Equal(t, int32(1), peak.Load())
}

// An ended context starts nothing more; every index is either done or
// skipped with the classified error, never both, never neither.
func TestRunEndedContextSkips(t *testing.T) {
	defer goleak.VerifyNone(t)
	ctx, cancel := context.WithCancel(context.Background())
	var done, skipped [6]atomic.Bool
	Run(ctx, 6, 1, func(i int) {
		done[i].Store(true)
		if i == 1 {
			cancel()
		}
	}, func(i int, err *freebusy.Error) {
		skipped[i].Store(true)
		require.NotNil(t, err)
		assert.Equal(t, freebusy.ReasonUnavailable, err.Reason, "a cancelled context is unavailable")
	})
	for i := range done {
		assert.NotEqual(t, done[i].Load(), skipped[i].Load(), "index %d done xor skipped", i)
	}
	assert.True(t, done[0].Load())
	assert.True(t, done[1].Load())
	assert.True(t, skipped[5].Load())
}

func TestErr(t *testing.T) {
	assert.Nil(t, Err(context.Background()))
	ctx, cancel := context.WithDeadline(context.Background(), time.Unix(0, 0))
	defer cancel()
	e := Err(ctx)
	require.NotNil(t, e)
	assert.Equal(t, freebusy.ReasonTimeout, e.Reason)
	assert.ErrorIs(t, e, freebusy.ErrTimeout)
	assert.ErrorIs(t, e, context.DeadlineExceeded)
}
