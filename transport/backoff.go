package transport

import (
	"math"
	"sync"
	"sync/atomic"
	"time"
)

// Backoff tunes the delay between connection attempts. Delays are measured
// between attempt start times, as in gRPC's "Connection Backoff Protocol"
// (docs/reconnect.md §1): the n-th retry waits BaseDelay·Multiplier^n,
// capped at MaxDelay, times a uniform factor in [1-Jitter, 1+Jitter]. Each
// attempt, dial and handshakes, may take up to max(MinConnectTimeout, the
// unjittered delay).
type Backoff struct {
	// BaseDelay is the delay before the first retry.
	BaseDelay time.Duration
	// Multiplier grows the delay after each failed attempt.
	Multiplier float64
	// Jitter is the relative spread of each delay (0.2 = ±20 %).
	Jitter float64
	// MaxDelay caps the delay before jitter.
	MaxDelay time.Duration
	// MinConnectTimeout is the least time an attempt gets to dial and
	// complete the handshake.
	MinConnectTimeout time.Duration
}

// DefaultBackoff holds the constants of gRPC's "Connection Backoff
// Protocol": 1 s, ×1.6, ±20 %, 120 s cap, 20 s minimum connect timeout.
var DefaultBackoff = Backoff{
	BaseDelay:         time.Second,
	Multiplier:        1.6,
	Jitter:            0.2,
	MaxDelay:          120 * time.Second,
	MinConnectTimeout: 20 * time.Second,
}

// validate reports a Backoff that would misbehave.
func (b Backoff) validate() error {
	switch {
	case b.BaseDelay <= 0:
		return configError("backoff BaseDelay must be positive")
	case b.Multiplier < 1 || math.IsNaN(b.Multiplier) || math.IsInf(b.Multiplier, 0):
		return configError("backoff Multiplier must be at least 1")
	case b.Jitter < 0 || b.Jitter > 1 || math.IsNaN(b.Jitter):
		return configError("backoff Jitter must be in [0, 1]")
	case b.MaxDelay < b.BaseDelay:
		return configError("backoff MaxDelay must be at least BaseDelay")
	case b.MinConnectTimeout <= 0:
		return configError("backoff MinConnectTimeout must be positive")
	}
	return nil
}

// delay returns the wait before retry number retries (0 for the first
// retry) given a uniform random number rnd in [0, 1): rnd 0.5 gives the
// unjittered delay, 0 the shortest, values near 1 the longest. It is the
// backoff math in one pure function, so that tests can check the schedule.
func (b Backoff) delay(retries int, rnd float64) time.Duration {
	d := float64(b.BaseDelay)
	max := float64(b.MaxDelay)
	for i := 0; i < retries && d < max; i++ {
		d *= b.Multiplier
	}
	if d > max {
		d = max
	}
	d *= 1 + b.Jitter*(rnd*2-1)
	if d < 0 {
		d = 0
	}
	return time.Duration(d)
}

// connectTimeout returns how long the attempt following retry number
// retries may take: max(MinConnectTimeout, the unjittered delay).
func (b Backoff) connectTimeout(retries int) time.Duration {
	return max(b.MinConnectTimeout, b.delay(retries, 0.5))
}

// retryBudget limits retries so that a failing server is not hammered: a
// token bucket in the manner of Finagle's RetryBudget and gRPC A6's retry
// throttling. Every call deposits ratio tokens, time deposits minPerSecond
// tokens a second, a retry withdraws one token, and the balance is capped at
// ten seconds' worth of the minimum (at least one token). Calls are counted
// with an atomic add and credited lazily, so the hot path takes no lock.
type retryBudget struct {
	calls atomic.Uint64

	mu       sync.Mutex
	ratio    float64
	perSec   float64
	cap      float64
	balance  float64
	last     time.Time
	credited uint64
}

func newRetryBudget(ratio float64, minPerSecond int, now time.Time) *retryBudget {
	perSec := float64(minPerSecond)
	c := math.Max(perSec*10, 1)
	return &retryBudget{ratio: ratio, perSec: perSec, cap: c, balance: math.Min(perSec, c), last: now}
}

// deposit records a call (its first attempt).
func (b *retryBudget) deposit() { b.calls.Add(1) }

// withdraw asks for one retry and reports whether the budget allows it.
func (b *retryBudget) withdraw(now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if dt := now.Sub(b.last); dt > 0 {
		b.balance += dt.Seconds() * b.perSec
		b.last = now
	}
	calls := b.calls.Load()
	b.balance += float64(calls-b.credited) * b.ratio
	b.credited = calls
	b.balance = math.Min(b.cap, b.balance)
	if b.balance < 1 {
		return false
	}
	b.balance--
	return true
}
