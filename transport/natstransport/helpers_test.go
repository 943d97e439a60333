package natstransport

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/stretchr/testify/require"

	"github.com/calbridge/calbridge/freebusy"
	"github.com/calbridge/calbridge/internal/linktest"
	"github.com/calbridge/calbridge/transport"
)

// Two kinds of test live here. Those that assert timing run inside a
// testing/synctest bubble, against a NATS server started in the bubble
// that accepts no sockets: every connection is an in-memory pipe
// (nats.InProcessServer), so the bubble's fake clock measures exactly
// what the protocol does. They must not call nats.go functions that take
// timers from its package-wide pool (Conn.Flush, FlushTimeout, Request,
// Subscription.NextMsg, Subscription.Drain): a timer made in one bubble
// and reused in another crashes the test binary. The others (server
// restart, Shutdown's drain, TLS-free TCP wiring) use real sockets and
// assert only outcomes and generous bounds.

// t0, testQuery and staticSource are linktest's, shared with the other
// transport's tests: an n-attendee query over t0's day, and a Source
// answering every attendee with a busy hour at 09:00 and a tentative half
// hour at 14:00, failing those starting with "nobody" as unknown.
var (
	t0           = linktest.Start
	testQuery    = linktest.Query
	staticSource = linktest.StaticSource
)

// --- in a synctest bubble ---

// bubbleNATS starts a NATS server that listens on no socket, inside the
// current bubble, and shuts it down at cleanup.
func bubbleNATS(t *testing.T) *server.Server {
	t.Helper()
	return runNATS(t, &server.Options{DontListen: true, NoLog: true, NoSigs: true}, 5*time.Second)
}

// pipeConn opens an in-memory connection to ns, closed at cleanup.
func pipeConn(t *testing.T, ns *server.Server) *nats.Conn {
	t.Helper()
	nc, err := nats.Connect("", nats.InProcessServer(ns), nats.MaxReconnects(-1))
	require.NoError(t, err)
	t.Cleanup(nc.Close)
	return nc
}

// bubbleWorker starts a Server for src on its own in-memory connection,
// which it returns so that a test can kill the worker by closing it.
func bubbleWorker(t *testing.T, ns *server.Server, src freebusy.Source, opts ...ServerOption) (*Server, *nats.Conn) {
	t.Helper()
	nc := pipeConn(t, ns)
	s, err := NewServer(nil, src, append([]ServerOption{WithConn(nc)}, opts...)...)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	// The subscription travels to the NATS server asynchronously: let the
	// bubble settle, so that the server has it before anyone asks.
	synctest.Wait()
	return s, nc
}

// bubbleClient returns a Client on its own in-memory connection.
func bubbleClient(t *testing.T, ns *server.Server, opts ...ClientOption) *Client {
	t.Helper()
	c, err := NewClient(nil, append([]ClientOption{WithConn(pipeConn(t, ns))}, opts...)...)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, c.Close()) })
	return c
}

// --- over TCP ---

// startNATS starts a NATS server on a loopback port (0: any free one),
// JetStream off, and shuts it down at cleanup.
func startNATS(t testing.TB, port int) *server.Server {
	t.Helper()
	if port == 0 {
		port = server.RANDOM_PORT
	}
	return runNATS(t, &server.Options{Host: "127.0.0.1", Port: port, NoLog: true, NoSigs: true}, 10*time.Second)
}

// runNATS starts a NATS server with opts in process, waits up to wait for
// it to take connections, and shuts it down at cleanup.
func runNATS(t testing.TB, opts *server.Options, wait time.Duration) *server.Server {
	t.Helper()
	ns, err := server.NewServer(opts)
	require.NoError(t, err)
	go ns.Start()
	require.True(t, ns.ReadyForConnections(wait), "NATS server not ready")
	t.Cleanup(func() {
		ns.Shutdown()
		ns.WaitForShutdown()
	})
	return ns
}

// --- answers ---

// richAnswer is an answer with every part a schedule can carry: working
// hours in a named zone, staleness, a failed attendee.
func richAnswer(t testing.TB) []freebusy.Schedule {
	t.Helper()
	q := freebusy.Query{Attendees: []string{"a@example.com", "nobody@example.com"}, Start: t0, End: t0.Add(24 * time.Hour)}
	out, err := staticSource(context.Background(), q)
	require.NoError(t, err)
	out[0].AsOf = t0.Add(-time.Minute)
	out[0].Stale = true
	out[0].StaleReason = freebusy.ReasonUnavailable
	berlin, err := time.LoadLocation("Europe/Berlin")
	require.NoError(t, err)
	out[0].WorkingHours = &freebusy.WorkingHours{Location: berlin, Periods: []freebusy.WorkingPeriod{{Days: []time.Weekday{time.Monday, time.Friday}, Start: 9 * time.Hour, End: 17 * time.Hour}}}
	return out
}

// sameSchedules asserts that two answers say the same, compared in their
// JSON form (instants as instants, whatever their location).
func sameSchedules(t testing.TB, want, got []freebusy.Schedule) {
	t.Helper()
	a, err := json.Marshal(want)
	require.NoError(t, err)
	b, err := json.Marshal(got)
	require.NoError(t, err)
	require.JSONEq(t, string(a), string(b))
}

// --- sources ---

// countingSource answers like staticSource and counts its calls.
type countingSource struct{ n atomic.Int64 }

func (s *countingSource) FreeBusy(ctx context.Context, q freebusy.Query) ([]freebusy.Schedule, error) {
	s.n.Add(1)
	return staticSource(ctx, q)
}

// holdSource holds the queries for attendees starting with "hold" until
// released (or until their context ends), announcing each on started;
// it answers the others at once.
type holdSource struct {
	started chan string // the name of the worker that took a held query
	release chan struct{}
	name    string
	calls   *atomic.Int64
}

func (s holdSource) FreeBusy(ctx context.Context, q freebusy.Query) ([]freebusy.Schedule, error) {
	if s.calls != nil {
		s.calls.Add(1)
	}
	if strings.HasPrefix(q.Attendees[0], "hold") {
		s.started <- s.name
		select {
		case <-s.release:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return staticSource(ctx, q)
}

// recorder collects a Client's or Server's state changes.
type recorder struct {
	mu      sync.Mutex
	changes []transport.StateChange
}

func (r *recorder) record(c transport.StateChange) {
	r.mu.Lock()
	r.changes = append(r.changes, c)
	r.mu.Unlock()
}

func (r *recorder) states() []transport.State {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []transport.State
	for _, c := range r.changes {
		out = append(out, c.To)
	}
	return out
}

// waitState waits up to d for want.
func waitState(t testing.TB, get func() transport.State, wait func(context.Context, transport.State) bool, want transport.State, d time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	for {
		s := get()
		if s == want {
			return
		}
		if !wait(ctx, s) {
			require.Failf(t, "state not reached", "want %v, still %v after %v", want, get(), d)
		}
	}
}
