package transport

import (
	"context"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/calbridge/calbridge/freebusy"
)

var t0 = time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)

// testQuery is a 5-attendee query over one day.
func testQuery(n int) freebusy.Query {
	q := freebusy.Query{Start: t0, End: t0.Add(24 * time.Hour)}
	for i := range n {
		q.Attendees = append(q.Attendees, "user"+string(rune('a'+i))+"@example.com")
	}
	return q
}

// staticSource answers every attendee with one busy hour at 09:00 and one
// tentative half hour at 14:00; attendees starting with "nobody" fail as
// unknown.
var staticSource = freebusy.SourceFunc(func(ctx context.Context, q freebusy.Query) ([]freebusy.Schedule, error) {
	out := make([]freebusy.Schedule, len(q.Attendees))
	for i, a := range q.Attendees {
		if strings.HasPrefix(a, "nobody") {
			out[i] = freebusy.Failed(a, q.Start, q.End, freebusy.ReasonUnknownAttendee, nil)
			out[i].Err.Message = "no such user"
			continue
		}
		day := q.Start.Truncate(24 * time.Hour)
		out[i] = freebusy.Schedule{Attendee: a, Start: q.Start, End: q.End, Intervals: []freebusy.Interval{
			{Start: day.Add(9 * time.Hour), End: day.Add(10 * time.Hour), Status: freebusy.Busy},
			{Start: day.Add(14 * time.Hour), End: day.Add(14*time.Hour + 30*time.Minute), Status: freebusy.Tentative},
		}}
	}
	return out, nil
})

// startServer serves src on a loopback listener and stops it at cleanup.
func startServer(t testing.TB, src freebusy.Source, opts ...ServerOption) (*Server, string) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	s := NewServer(src, opts...)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); _ = s.Serve(l) }()
	t.Cleanup(func() { _ = s.Close(); wg.Wait() })
	return s, l.Addr().String()
}

// newTestClient returns a client with fast backoff and heartbeats, closed at cleanup.
func newTestClient(t testing.TB, addrs []string, opts ...Option) *Client {
	t.Helper()
	base := []Option{
		WithBackoff(Backoff{BaseDelay: 20 * time.Millisecond, Multiplier: 1.6, Jitter: 0.2, MaxDelay: 200 * time.Millisecond, MinConnectTimeout: 2 * time.Second}),
		WithHeartbeat(time.Second, time.Second),
	}
	c, err := NewClient(addrs, append(base, opts...)...)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// recorder records state changes.
type recorder struct {
	mu      sync.Mutex
	changes []StateChange
}

func (r *recorder) record(sc StateChange) {
	r.mu.Lock()
	r.changes = append(r.changes, sc)
	r.mu.Unlock()
}

func (r *recorder) states() []State {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []State
	for _, c := range r.changes {
		out = append(out, c.To)
	}
	return out
}

// assertLegal checks every recorded transition against the table.
func (r *recorder) assertLegal(t *testing.T) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, c := range r.changes {
		require.Truef(t, LegalTransition(c.From, c.To), "illegal transition %v -> %v", c.From, c.To)
	}
}
