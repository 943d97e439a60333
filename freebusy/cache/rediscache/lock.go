package rediscache

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/calbridge/calbridge/freebusy/cache"
)

// TryLock implements cache.Flighter: SET lock-key token NX PX lock-TTL
// for each key, in one Lua script so that a call takes its keys at once
// (two instances asking for the same keys never split them between
// them, and both fetch the attendee). The token is random per call, so
// that only the Lease that took a lock renews or releases it. The Lease
// renews its locks every third of the lock TTL until Release.
func (s *Store) TryLock(ctx context.Context, keys []cache.Key, held []bool) (cache.Lease, error) {
	clear(held)
	if len(keys) == 0 {
		return nil, nil
	}
	var raw [16]byte
	_, _ = rand.Read(raw[:]) // crypto/rand.Read never fails
	token := hex.EncodeToString(raw[:])
	texts := s.keyTexts(kindLock, keys)
	var took []int64
	err := s.do(ctx, "lock", func(ctx context.Context) error {
		var err error
		took, err = lockScript.Run(ctx, s.client, texts, token, s.s.lockTTL.Milliseconds()).Int64Slice()
		return err
	})
	if err != nil {
		// The script may have run: its locks expire after the lock TTL.
		return nil, err
	}
	var mine []string
	for i, t := range took {
		if t == 1 && i < len(held) {
			held[i] = true
			mine = append(mine, texts[i])
		}
	}
	if len(mine) == 0 {
		return nil, nil
	}
	s.n.locks.Add(uint64(len(mine)))
	l := &lease{s: s, keys: mine, token: token, stop: make(chan struct{}), done: make(chan struct{})}
	go l.renew()
	return l, nil
}

// lockScript takes the locks (KEYS) that are free, with the token ARGV[1]
// for ARGV[2] milliseconds, and returns 1 for each it took, 0 for the
// others.
var lockScript = redis.NewScript(`
local took = {}
for i, k in ipairs(KEYS) do
	if redis.call('SET', k, ARGV[1], 'NX', 'PX', ARGV[2]) then
		took[i] = 1
	else
		took[i] = 0
	end
end
return took
`)

// renewScript extends the locks (KEYS) still held with the token ARGV[1]
// to ARGV[2] milliseconds.
var renewScript = redis.NewScript(`
local n = 0
for _, k in ipairs(KEYS) do
	if redis.call('GET', k) == ARGV[1] then
		redis.call('PEXPIRE', k, ARGV[2])
		n = n + 1
	end
end
return n
`)

// releaseScript deletes the locks (KEYS) still held with the token
// ARGV[1]: a lock that expired and was taken by another instance is not
// ours to delete.
var releaseScript = redis.NewScript(`
local n = 0
for _, k in ipairs(KEYS) do
	if redis.call('GET', k) == ARGV[1] then
		n = n + redis.call('DEL', k)
	end
end
return n
`)

// lease is the locks one TryLock took.
type lease struct {
	s     *Store
	keys  []string
	token string
	once  sync.Once
	stop  chan struct{}
	done  chan struct{}
}

// renew extends the locks every third of the lock TTL until Release. A
// failed renewal is left to the next one: at worst the locks expire and
// another instance fetches too.
func (l *lease) renew() {
	defer close(l.done)
	t := time.NewTicker(l.s.s.lockTTL / 3)
	defer t.Stop()
	ms := l.s.s.lockTTL.Milliseconds()
	for {
		select {
		case <-l.stop:
			return
		case <-t.C:
			ctx, cancel := context.WithTimeout(context.Background(), l.s.s.lockTTL/3)
			_ = l.s.do(ctx, "renew", func(ctx context.Context) error {
				return renewScript.Run(ctx, l.s.client, l.keys, l.token, ms).Err()
			})
			cancel()
		}
	}
}

// Release implements cache.Lease: it stops the renewal and deletes the
// locks still held with this lease's token. It is idempotent.
func (l *lease) Release(ctx context.Context) error {
	var err error
	l.once.Do(func() {
		close(l.stop)
		<-l.done
		err = l.s.do(ctx, "unlock", func(ctx context.Context) error {
			return releaseScript.Run(ctx, l.s.client, l.keys, l.token).Err()
		})
	})
	return err
}

// Await implements cache.Flighter by polling: EXISTS on the lock keys,
// again after each step of the await backoff, until none exists or ctx
// ends. Polling needs nothing but the keys: a waiter cannot miss a
// release (as it could a pub/sub message sent before it subscribed), an
// expired lock looks like a released one, and a round trip of a few keys
// every 5 to 100 ms is cheap next to the backend call it saves.
func (s *Store) Await(ctx context.Context, keys []cache.Key) error {
	if len(keys) == 0 {
		return nil
	}
	texts := s.keyTexts(kindLock, keys)
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for attempt := 0; ; attempt++ {
		var n int64
		err := s.do(ctx, "await", func(ctx context.Context) error {
			var err error
			n, err = s.client.Exists(ctx, texts...).Result()
			return err
		})
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return err
		}
		if n == 0 {
			return nil
		}
		if attempt == 0 {
			s.n.lockWaits.Add(1)
		}
		d := s.s.await.delay(attempt + 1)
		if timer == nil {
			timer = time.NewTimer(d)
		} else {
			timer.Reset(d)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-timer.C:
		}
	}
}
