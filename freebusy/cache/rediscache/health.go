package rediscache

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/calbridge/calbridge/freebusy/cache"
)

// State says whether the Store is using Redis.
type State uint8

// The states of a Store.
const (
	// StateUp: Redis answered the last operation (or none failed yet).
	StateUp State = iota + 1
	// StateDown: an operation failed; the Store skips Redis until
	// Health.RetryAt, then lets one operation try it.
	StateDown
)

// String returns "up" or "down".
func (s State) String() string {
	switch s {
	case StateUp:
		return "up"
	case StateDown:
		return "down"
	}
	return "unknown"
}

// Health is the Store's view of Redis, for a health endpoint or a status
// page.
type Health struct {
	// State is up or down.
	State State
	// Since is when the Store entered State (Open, for the first).
	Since time.Time
	// LastError is the last failure of Redis, and LastErrorAt when it
	// happened; nil and zero when there was none.
	LastError   error
	LastErrorAt time.Time
	// RetryAt is, while down, when the next operation may try Redis.
	RetryAt time.Time
}

// Counters are the Store's counters since Open, for metrics.
type Counters struct {
	// Hits and Misses count keys Get found and did not find.
	Hits   uint64
	Misses uint64
	// Errors counts operations Redis failed (each keeps or sets the
	// Store down); Skipped counts operations skipped while down.
	Errors  uint64
	Skipped uint64
	// DecodeErrors counts values that did not decode (written by another
	// version, say), which Get treats as misses.
	DecodeErrors uint64
	// Locks counts fill locks taken; LockWaits counts Await calls that
	// found locks held by another instance and waited.
	Locks     uint64
	LockWaits uint64
}

type counters struct {
	hits, misses, errors, skipped, decodeErrors, locks, lockWaits atomic.Uint64
}

// circuit tracks whether Redis works: after a failure it refuses
// operations for a growing, capped backoff, then lets one through to
// probe; a success closes it.
type circuit struct {
	backoff Backoff
	now     func() time.Time

	mu       sync.Mutex
	h        Health
	failures int  // consecutive failures
	probing  bool // an operation is trying Redis while down
}

func newCircuit(b Backoff, now func() time.Time) *circuit {
	return &circuit{backoff: b, now: now, h: Health{State: StateUp, Since: now()}}
}

// allow reports whether an operation may go to Redis now.
func (c *circuit) allow() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.h.State == StateUp {
		return true
	}
	if c.probing || c.now().Before(c.h.RetryAt) {
		return false
	}
	c.probing = true
	return true
}

// succeeded records a working Redis; it returns the new Health and
// whether the state changed.
func (c *circuit) succeeded() (Health, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.probing = false
	c.failures = 0
	if c.h.State == StateUp {
		return c.h, false
	}
	c.h.State, c.h.Since, c.h.RetryAt = StateUp, c.now(), time.Time{}
	return c.h, true
}

// failed records a failure; it returns the new Health and whether the
// state changed.
func (c *circuit) failed(err error) (Health, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	c.probing = false
	c.failures++
	c.h.LastError, c.h.LastErrorAt = err, now
	c.h.RetryAt = now.Add(c.backoff.delay(c.failures))
	if c.h.State == StateDown {
		return c.h, false
	}
	c.h.State, c.h.Since = StateDown, now
	return c.h, true
}

func (c *circuit) health() Health {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.h
}

// Health returns the Store's view of Redis.
func (s *Store) Health() Health { return s.circuit.health() }

// State returns whether the Store is using Redis.
func (s *Store) State() State { return s.circuit.health().State }

// Counters returns the counters.
func (s *Store) Counters() Counters {
	return Counters{
		Hits:         s.n.hits.Load(),
		Misses:       s.n.misses.Load(),
		Errors:       s.n.errors.Load(),
		Skipped:      s.n.skipped.Load(),
		DecodeErrors: s.n.decodeErrors.Load(),
		Locks:        s.n.locks.Load(),
		LockWaits:    s.n.lockWaits.Load(),
	}
}

// do runs op unless the circuit is open, and records how Redis did. An
// operation skipped returns an error matching cache.ErrStoreDown; one the
// caller's context ended is not held against Redis.
func (s *Store) do(ctx context.Context, op string, f func(ctx context.Context) error) error {
	if !s.circuit.allow() {
		s.n.skipped.Add(1)
		return fmt.Errorf("rediscache: %s skipped: Redis is down until %s: %w", op, s.circuit.health().RetryAt.Format(time.RFC3339Nano), cache.ErrStoreDown)
	}
	err := f(ctx)
	s.report(ctx, op, err)
	if err != nil {
		return fmt.Errorf("rediscache: %s: %w", op, err)
	}
	return nil
}

// report records the outcome of an operation that went to Redis.
func (s *Store) report(ctx context.Context, op string, err error) {
	var h Health
	var changed bool
	switch {
	case err == nil || errors.Is(err, redis.Nil):
		h, changed = s.circuit.succeeded()
	case ctx.Err() != nil:
		// The caller gave up; Redis may be fine. Let the next operation
		// probe again.
		s.circuit.mu.Lock()
		s.circuit.probing = false
		s.circuit.mu.Unlock()
		return
	default:
		s.n.errors.Add(1)
		h, changed = s.circuit.failed(err)
	}
	if !changed {
		return
	}
	if h.State == StateDown {
		s.log.Warn("rediscache: Redis is down; the cache goes on without it", zap.String("op", op), zap.Error(err), zap.Time("retryAt", h.RetryAt))
	} else {
		s.log.Info("rediscache: Redis is back")
	}
	if s.s.onStateChange != nil {
		s.s.onStateChange(h)
	}
}
