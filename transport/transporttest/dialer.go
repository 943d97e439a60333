package transporttest

import (
	"context"
	"net"
	"sync"
	"time"
)

// Dialer is the dialling half of a transport: transport.Dialer has the same
// method, and *net.Dialer, *Network, DialerFunc and *DialRecorder satisfy it.
type Dialer interface {
	DialContext(ctx context.Context, network, addr string) (net.Conn, error)
}

// DialAttempt is one recorded call to DialContext.
type DialAttempt struct {
	// Start is when the attempt began: the gRPC backoff spec measures the
	// gaps between attempt starts.
	Start time.Time
	// Elapsed is how long the dial took.
	Elapsed time.Duration
	Addr    string
	// Err is the dial's error, nil for a connection.
	Err error
}

// DialRecorder wraps a Dialer and records every attempt, so tests can check
// a client's reconnect schedule (gaps between attempts) even when the
// attempts are refused and no listener ever sees them. Safe for concurrent
// use.
type DialRecorder struct {
	// Dialer does the dialling; nil means a zero net.Dialer.
	Dialer Dialer

	mu       sync.Mutex
	attempts []DialAttempt
	notify   chan struct{}
}

// DialContext dials through r.Dialer and records the attempt.
func (r *DialRecorder) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	d := r.Dialer
	if d == nil {
		d = &net.Dialer{}
	}
	start := time.Now()
	c, err := d.DialContext(ctx, network, addr)
	r.mu.Lock()
	r.attempts = append(r.attempts, DialAttempt{Start: start, Elapsed: time.Since(start), Addr: addr, Err: err})
	if r.notify != nil {
		close(r.notify)
		r.notify = nil
	}
	r.mu.Unlock()
	return c, err
}

// Attempts returns a copy of the attempts so far, in completion order.
func (r *DialRecorder) Attempts() []DialAttempt {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]DialAttempt(nil), r.attempts...)
}

// WaitAttempts blocks until at least n attempts have completed or ctx ends,
// and returns the attempts so far.
func (r *DialRecorder) WaitAttempts(ctx context.Context, n int) []DialAttempt {
	for {
		r.mu.Lock()
		if len(r.attempts) >= n {
			out := append([]DialAttempt(nil), r.attempts...)
			r.mu.Unlock()
			return out
		}
		if r.notify == nil {
			r.notify = make(chan struct{})
		}
		ch := r.notify
		r.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return r.Attempts()
		}
	}
}
