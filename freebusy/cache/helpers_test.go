package cache

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/calbridge/calbridge/freebusy"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// monday is a Monday inside synctest's bubble time (which starts at
// 2000-01-01 00:00 UTC).
var monday = time.Date(2000, 1, 3, 0, 0, 0, 0, time.UTC)

// backend is a counting Source: every attendee is busy 09:00-10:00 UTC
// each day; it can fail as a whole or per attendee, and hold calls until
// its gate opens.
type backend struct {
	mu      sync.Mutex
	calls   []freebusy.Query
	fail    error
	failFor map[string]*freebusy.Error
	gate    chan struct{}
}

func (b *backend) FreeBusy(ctx context.Context, q freebusy.Query) ([]freebusy.Schedule, error) {
	b.mu.Lock()
	b.calls = append(b.calls, q)
	gate, fail := b.gate, b.fail
	failFor := make(map[string]*freebusy.Error, len(b.failFor))
	for k, v := range b.failFor {
		failFor[k] = v
	}
	b.mu.Unlock()
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if fail != nil {
		return nil, fail
	}
	out := make([]freebusy.Schedule, len(q.Attendees))
	for i, a := range q.Attendees {
		if e, ok := failFor[strings.ToLower(a)]; ok {
			err := *e
			err.Attendee = a
			out[i] = freebusy.Schedule{Attendee: a, Start: q.Start, End: q.End, Err: &err}
			continue
		}
		s := freebusy.Schedule{Attendee: a, Start: q.Start, End: q.End, AsOf: time.Now().UTC(), WorkingHours: berlinHours}
		for d := q.Start.Truncate(24 * time.Hour); d.Before(q.End); d = d.Add(24 * time.Hour) {
			s.Intervals = append(s.Intervals, freebusy.Interval{Start: d.Add(9 * time.Hour), End: d.Add(10 * time.Hour), Status: freebusy.Busy})
		}
		if q.Detail == freebusy.DetailFull {
			s.Events = []freebusy.Event{{Start: q.Start.Add(9 * time.Hour), End: q.Start.Add(10 * time.Hour), Status: freebusy.Busy, Subject: "Standup"}}
		}
		out[i] = s
	}
	return out, nil
}

var berlinHours = &freebusy.WorkingHours{Location: time.UTC, Periods: []freebusy.WorkingPeriod{{Days: []time.Weekday{time.Monday, time.Friday}, Start: 9 * time.Hour, End: 17 * time.Hour}}}

func (b *backend) numCalls() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.calls)
}

func (b *backend) call(i int) freebusy.Query {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.calls[i]
}

func (b *backend) set(f func(b *backend)) {
	b.mu.Lock()
	defer b.mu.Unlock()
	f(b)
}

// newCache returns a Source over a new backend, closed at the test's end.
func newCache(t *testing.T, opts ...Option) (*Source, *backend) {
	t.Helper()
	b := &backend{}
	c, err := New(b, opts...)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, c.Close()) })
	return c, b
}

// ask queries c and holds the answer to the Source contract.
func ask(t *testing.T, c *Source, q freebusy.Query) []freebusy.Schedule {
	t.Helper()
	got, err := c.FreeBusy(context.Background(), q)
	require.NoError(t, err)
	require.NoError(t, freebusy.CheckResult(q, got))
	return got
}

func query(start, end time.Time, attendees ...string) freebusy.Query {
	return freebusy.Query{Attendees: attendees, Start: start, End: end}
}

// busy returns 09:00-10:00 busy intervals on the days of [start, end),
// clipped to it.
func busy(start, end time.Time) []freebusy.Interval {
	var out []freebusy.Interval
	for d := start.Truncate(24 * time.Hour); d.Before(end); d = d.Add(24 * time.Hour) {
		if iv, ok := (freebusy.Interval{Start: d.Add(9 * time.Hour), End: d.Add(10 * time.Hour), Status: freebusy.Busy}).Clip(start, end); ok {
			out = append(out, iv)
		}
	}
	return out
}

func names(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = "user" + string(rune('a'+i/26)) + string(rune('a'+i%26)) + "@example.com"
	}
	return out
}
