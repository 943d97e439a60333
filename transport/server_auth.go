package transport

import (
	"context"
	"net"
	"net/netip"
	"sync"
	"time"
)

// authLimiter slows the guessing of tokens (WithServerAuthFailureLimit):
// per client address, a token bucket of burst failed hellos refilled one
// per every, kept as a GCRA theoretical arrival time. Every token check
// takes a turn (take) and a successful one gives it back (refund), so that
// an address over its limit waits before any check, right or wrong.
type authLimiter struct {
	every time.Duration
	burst int

	mu    sync.Mutex
	addrs map[string]*authBucket
}

type authBucket struct {
	// tat is when the bucket is full again: each turn taken adds every,
	// and a turn may be taken while tat-now stays within burst*every.
	tat time.Time
}

// maxAuthAddrs bounds the addresses tracked at once; past it, addresses
// not tracked share one bucket, so memory stays bounded under a flood of
// addresses while the rate of guesses stays bounded too.
const maxAuthAddrs = 4096

// take waits until key may have a token checked and takes that turn. It
// fails, taking nothing, when the turn would come after by or ctx ends.
func (l *authLimiter) take(ctx context.Context, key string, by time.Time) bool {
	for {
		l.mu.Lock()
		now := time.Now()
		b := l.bucket(key, now)
		next := b.tat
		if next.Before(now) {
			next = now
		}
		next = next.Add(l.every)
		wait := next.Sub(now) - time.Duration(l.burst)*l.every
		if wait <= 0 {
			b.tat = next
			l.mu.Unlock()
			return true
		}
		l.mu.Unlock()
		if now.Add(wait).After(by) {
			return false
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return false
		case <-t.C:
		}
	}
}

// refund gives back the turn of a successful check.
func (l *authLimiter) refund(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if b, ok := l.addrs[key]; ok {
		b.tat = b.tat.Add(-l.every)
	}
}

// bucket returns key's bucket, making room by dropping full ones; l.mu is
// held.
func (l *authLimiter) bucket(key string, now time.Time) *authBucket {
	if b, ok := l.addrs[key]; ok {
		return b
	}
	if len(l.addrs) >= maxAuthAddrs {
		for k, b := range l.addrs {
			if !b.tat.After(now) {
				delete(l.addrs, k)
			}
		}
		if len(l.addrs) >= maxAuthAddrs {
			key = "" // the shared bucket of the untracked
			if b, ok := l.addrs[key]; ok {
				return b
			}
		}
	}
	b := &authBucket{tat: now}
	l.addrs[key] = b
	return b
}

// authKey names a client address for the limiter: its IP, or its /64 for
// IPv6, where one client commonly holds a whole prefix.
func authKey(a net.Addr) string {
	if a == nil {
		return "?"
	}
	if ap, err := netip.ParseAddrPort(a.String()); err == nil {
		ip := ap.Addr().Unmap()
		if ip.Is6() {
			if p, err := ip.Prefix(64); err == nil {
				return p.String()
			}
		}
		return ip.String()
	}
	return a.Network() + ":" + a.String()
}
