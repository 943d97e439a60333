package transport

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDefaultBackoffIsGRPC pins the constants of gRPC's "Connection
// Backoff Protocol" (docs/reconnect.md §1, §10).
func TestDefaultBackoffIsGRPC(t *testing.T) {
	assert.Equal(t, Backoff{BaseDelay: time.Second, Multiplier: 1.6, Jitter: 0.2, MaxDelay: 120 * time.Second, MinConnectTimeout: 20 * time.Second}, DefaultBackoff)
	require.NoError(t, DefaultBackoff.validate())
}

// TestBackoffSchedule checks the delay series against the gRPC interop
// expectation (docs/reconnect.md §1: e0 = 1 s, ×1.6, capped at 120 s) at
// the middle and both ends of the jitter range.
func TestBackoffSchedule(t *testing.T) {
	b := DefaultBackoff
	want := []float64{1000, 1600, 2560, 4096, 6553.6, 10485.76, 16777.216, 26843.5456, 42949.67296, 68719.476736, 109951.1627776, 120000, 120000, 120000}
	for i, ms := range want {
		e := ms * float64(time.Millisecond)
		assert.InDeltaf(t, e, float64(b.delay(i, 0.5)), float64(time.Microsecond), "retry %d unjittered", i)
		assert.InDeltaf(t, e*0.8, float64(b.delay(i, 0)), float64(time.Microsecond), "retry %d low end", i)
		assert.InDeltaf(t, e*1.2, float64(b.delay(i, 1)), float64(time.Microsecond), "retry %d high end", i)
	}
	assert.Equal(t, 120*time.Second, b.delay(1000, 0.5), "a huge retry count must not overflow")
}

func TestBackoffConnectTimeout(t *testing.T) {
	b := DefaultBackoff
	assert.Equal(t, 20*time.Second, b.connectTimeout(0), "minimum connect timeout")
	assert.Equal(t, 120*time.Second, b.connectTimeout(30), "the backoff when it is longer")
}

func TestBackoffValidate(t *testing.T) {
	ok := DefaultBackoff
	tests := map[string]func(*Backoff){
		"zero base":       func(b *Backoff) { b.BaseDelay = 0 },
		"shrinking":       func(b *Backoff) { b.Multiplier = 0.5 },
		"jitter too big":  func(b *Backoff) { b.Jitter = 1.5 },
		"negative jitter": func(b *Backoff) { b.Jitter = -0.1 },
		"max below base":  func(b *Backoff) { b.MaxDelay = time.Millisecond },
		"no connect time": func(b *Backoff) { b.MinConnectTimeout = 0 },
	}
	for name, mutate := range tests {
		t.Run(name, func(t *testing.T) {
			b := ok
			mutate(&b)
			err := b.validate()
			require.Error(t, err)
			assert.Contains(t, err.Error(), "transport: invalid configuration: backoff")
			_, err = NewClient([]string{"127.0.0.1:1"}, WithBackoff(b))
			assert.Error(t, err)
		})
	}
}

// TestRetryBudget checks the token bucket: the reserve, the per-call
// deposit, the time refill and the cap (docs/reconnect.md §5.2, §8.8).
func TestRetryBudget(t *testing.T) {
	now := time.Unix(1000, 0)
	b := newRetryBudget(0.1, 2, now)
	assert.True(t, b.withdraw(now), "reserve of one second's minimum")
	assert.True(t, b.withdraw(now))
	assert.False(t, b.withdraw(now), "reserve spent")

	for range 10 {
		b.deposit()
	}
	assert.True(t, b.withdraw(now), "ten calls earn one retry at ratio 0.1")
	assert.False(t, b.withdraw(now))

	now = now.Add(time.Second)
	assert.True(t, b.withdraw(now), "time refills minPerSecond a second")
	assert.True(t, b.withdraw(now))
	assert.False(t, b.withdraw(now))

	now = now.Add(time.Hour)
	n := 0
	for b.withdraw(now) && n < 1000 { // bounded: an unlimited budget must fail, not spin
		n++
	}
	assert.Equal(t, 20, n, "the balance is capped at ten seconds of the minimum")
}

// TestRetryBudgetAmplification bounds retries under a persistently failing
// server to calls·ratio plus the reserve (docs/reconnect.md §9 T15).
func TestRetryBudgetAmplification(t *testing.T) {
	now := time.Unix(0, 0)
	b := newRetryBudget(0.1, 1, now)
	retries := 0
	for range 1000 {
		b.deposit()
		if b.withdraw(now) {
			retries++
		}
	}
	assert.LessOrEqual(t, retries, 101)
	assert.GreaterOrEqual(t, retries, 99)
}
