package rediscache

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/calbridge/calbridge/freebusy"
	"github.com/calbridge/calbridge/freebusy/cache"
	"github.com/calbridge/calbridge/internal/redistest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// testTimeouts are the Store's timeouts in tests: long, so that a loaded
// CI machine never makes a healthy Redis look down.
var testTimeouts = WithTimeouts(5*time.Second, 5*time.Second)

// open opens a Store on url with the test timeouts (and opts), closed at
// the test's end.
func open(t testing.TB, url string, opts ...Option) *Store {
	t.Helper()
	s, err := Open(url, append([]Option{testTimeouts}, opts...)...)
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	return s
}

// raw returns a plain client of srv, for looking at what the Store wrote.
func raw(t testing.TB, srv *redistest.Server) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: srv.Addr(), Protocol: 2, DisableIdentity: true})
	t.Cleanup(func() { c.Close() })
	return c
}

// monday is a Monday at midnight UTC.
var monday = time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)

// backend is a Source that counts its calls per attendee and window; every
// attendee is busy 09:00-10:00 UTC each day. While gate is set, a call
// first reports on parked and then waits for the gate.
type backend struct {
	mu     sync.Mutex
	calls  int
	per    map[string]int // attendee and window -> calls
	gate   chan struct{}
	parked func()
}

func (b *backend) FreeBusy(ctx context.Context, q freebusy.Query) ([]freebusy.Schedule, error) {
	b.mu.Lock()
	b.calls++
	if b.per == nil {
		b.per = map[string]int{}
	}
	for _, a := range q.Attendees {
		b.per[fmt.Sprintf("%s %s/%s", strings.ToLower(a), q.Start.Format(time.DateOnly), q.End.Format(time.DateOnly))]++
	}
	gate, parked := b.gate, b.parked
	b.mu.Unlock()
	if gate != nil {
		if parked != nil {
			parked()
		}
		select {
		case <-gate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	out := make([]freebusy.Schedule, len(q.Attendees))
	for i, a := range q.Attendees {
		s := freebusy.Schedule{Attendee: a, Start: q.Start, End: q.End, AsOf: time.Now().UTC()}
		for d := q.Start; d.Before(q.End); d = d.Add(24 * time.Hour) {
			s.Intervals = append(s.Intervals, freebusy.Interval{Start: d.Add(9 * time.Hour), End: d.Add(10 * time.Hour), Status: freebusy.Busy})
		}
		out[i] = s
	}
	return out, nil
}

func (b *backend) numCalls() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.calls
}

func (b *backend) perWindow() map[string]int {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make(map[string]int, len(b.per))
	for k, v := range b.per {
		out[k] = v
	}
	return out
}

// newSource returns a cache Source over src with the Redis Store st behind
// a fresh in-process tier, closed at the test's end.
func newSource(t testing.TB, src freebusy.Source, st cache.Store, opts ...cache.Option) *cache.Source {
	t.Helper()
	mem, err := cache.NewMemory(1 << 20)
	require.NoError(t, err)
	t.Cleanup(func() { mem.Close() })
	tiered, err := cache.NewTiered(mem, st, cache.DefaultFrontKeep)
	require.NoError(t, err)
	c, err := cache.New(src, append([]cache.Option{cache.WithStore(tiered)}, opts...)...)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

// ask queries c and holds the answer to the Source contract.
func ask(t testing.TB, c freebusy.Source, q freebusy.Query) []freebusy.Schedule {
	t.Helper()
	got, err := c.FreeBusy(context.Background(), q)
	require.NoError(t, err)
	require.NoError(t, freebusy.CheckResult(q, got))
	return got
}

func names(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("user%03d@example.com", i)
	}
	return out
}
