package natstransport

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/calbridge/calbridge/freebusy"
	"github.com/calbridge/calbridge/transport"
)

func TestRoundTrip(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ns := bubbleNATS(t)
		type seen struct {
			hops     int
			deadline time.Time
		}
		got := make(chan seen, 1)
		src := freebusy.SourceFunc(func(ctx context.Context, q freebusy.Query) ([]freebusy.Schedule, error) {
			dl, _ := ctx.Deadline()
			got <- seen{freebusy.Hops(ctx), dl}
			return staticSource(ctx, q)
		})
		w, _ := bubbleWorker(t, ns, src)
		c := bubbleClient(t, ns)
		assert.Equal(t, transport.Ready, w.State())
		assert.Equal(t, transport.Ready, c.State())

		ctx, cancel := context.WithTimeout(freebusy.WithHops(context.Background(), 2), 10*time.Second)
		defer cancel()
		dl, _ := ctx.Deadline()
		q := freebusy.Query{Attendees: []string{"alice@example.com", "nobody@example.com"}, Start: t0, End: t0.Add(24 * time.Hour)}
		out, err := c.FreeBusy(ctx, q)
		require.NoError(t, err)
		require.Len(t, out, 2)
		assert.Equal(t, "alice@example.com", out[0].Attendee)
		assert.Equal(t, freebusy.Busy, out[0].StatusAt(t0.Add(9*time.Hour+30*time.Minute)))
		assert.Equal(t, freebusy.Tentative, out[0].StatusAt(t0.Add(14*time.Hour)))
		require.NotNil(t, out[1].Err)
		assert.Equal(t, freebusy.ReasonUnknownAttendee, out[1].Err.Reason)
		assert.Equal(t, "no such user", out[1].Err.Message)

		s := <-got
		assert.Equal(t, 2, s.hops, "the hop count crosses the wire")
		assert.Equal(t, dl, s.deadline, "the worker works to the caller's deadline")

		// A query without hops arrives with none, and a context without
		// a deadline gets the call timeout at both ends.
		_, err = c.FreeBusy(context.Background(), q)
		require.NoError(t, err)
		s = <-got
		assert.Equal(t, 0, s.hops)
		assert.Equal(t, time.Now().Add(DefaultCallTimeout), s.deadline)

		st := c.Stats()
		assert.Equal(t, uint64(2), st.Calls)
		assert.Zero(t, st.CallFailures+st.Retries+st.Busy+st.LostWorkers)
		assert.Equal(t, uint64(2), w.Stats().Calls)
	})
}

func TestInvalidQueryNotSent(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ns := bubbleNATS(t)
		src := &countingSource{}
		bubbleWorker(t, ns, src)
		c := bubbleClient(t, ns)
		_, err := c.FreeBusy(context.Background(), freebusy.Query{Attendees: []string{"a@example.com"}, Start: t0, End: t0})
		var qe *freebusy.QueryError
		require.ErrorAs(t, err, &qe)
		assert.Zero(t, src.n.Load())
	})
}

// Several workers in one queue group share the queries.
func TestWorkersShareLoad(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ns := bubbleNATS(t)
		var srcs [3]countingSource
		for i := range srcs {
			bubbleWorker(t, ns, &srcs[i])
		}
		c := bubbleClient(t, ns)
		const calls = 90
		done := make(chan error, calls)
		for range calls {
			go func() {
				_, err := c.FreeBusy(context.Background(), testQuery(5))
				done <- err
			}()
		}
		for range calls {
			require.NoError(t, <-done)
		}
		var total int64
		for i := range srcs {
			n := srcs[i].n.Load()
			t.Logf("worker %d answered %d", i, n)
			assert.Positive(t, n, "worker %d got no query", i)
			total += n
		}
		assert.Equal(t, int64(calls), total, "each query ran once")
	})
}

// A worker killed in the middle of a query costs its caller the liveness
// window (three heartbeat intervals), not its deadline: the query is sent
// again and another worker answers.
func TestWorkerKilledMidCall(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ns := bubbleNATS(t)
		started := make(chan string, 2)
		var taken atomic.Bool
		conns := map[string]*nats.Conn{}
		for _, name := range []string{"a", "b"} {
			name := name
			// Each worker holds the first query it sees, if it is the
			// first query any worker sees; it answers every other one.
			src := freebusy.SourceFunc(func(ctx context.Context, q freebusy.Query) ([]freebusy.Schedule, error) {
				if taken.CompareAndSwap(false, true) {
					started <- name
					<-ctx.Done()
					return nil, ctx.Err()
				}
				return staticSource(ctx, q)
			})
			_, nc := bubbleWorker(t, ns, src)
			conns[name] = nc
		}
		c := bubbleClient(t, ns)
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		start := time.Now()
		done := make(chan error, 1)
		go func() {
			_, err := c.FreeBusy(ctx, testQuery(3))
			done <- err
		}()
		conns[<-started].Close() // the worker dies without a word
		require.NoError(t, <-done)
		elapsed := time.Since(start)
		assert.GreaterOrEqual(t, elapsed, DefaultMissedHeartbeats*DefaultHeartbeatInterval)
		assert.LessOrEqual(t, elapsed, (DefaultMissedHeartbeats+1)*DefaultHeartbeatInterval)
		st := c.Stats()
		assert.Equal(t, uint64(1), st.LostWorkers)
		assert.Equal(t, uint64(1), st.Retries)
		assert.Zero(t, st.CallFailures)
	})
}

// A slow worker that is alive (its heartbeats arrive) is waited for, not
// replaced.
func TestSlowWorkerNotRetried(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ns := bubbleNATS(t)
		var calls atomic.Int64
		slow := freebusy.SourceFunc(func(ctx context.Context, q freebusy.Query) ([]freebusy.Schedule, error) {
			calls.Add(1)
			time.Sleep(20 * DefaultHeartbeatInterval)
			return staticSource(ctx, q)
		})
		bubbleWorker(t, ns, slow)
		bubbleWorker(t, ns, slow)
		c := bubbleClient(t, ns)
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		start := time.Now()
		_, err := c.FreeBusy(ctx, testQuery(2))
		require.NoError(t, err)
		assert.Equal(t, 20*DefaultHeartbeatInterval, time.Since(start), "the answer, when the worker gave it")
		assert.Equal(t, int64(1), calls.Load(), "asked once")
		st := c.Stats()
		assert.Zero(t, st.Retries+st.LostWorkers)
	})
}

// A worker whose heartbeat interval is longer than the client's is judged
// by the interval it announces.
func TestAnnouncedHeartbeatWidensWindow(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ns := bubbleNATS(t)
		slow := freebusy.SourceFunc(func(ctx context.Context, q freebusy.Query) ([]freebusy.Schedule, error) {
			time.Sleep(10 * time.Second)
			return staticSource(ctx, q)
		})
		bubbleWorker(t, ns, slow, WithHeartbeatInterval(2*time.Second))
		c := bubbleClient(t, ns, WithHeartbeatInterval(100*time.Millisecond))
		_, err := c.FreeBusy(context.Background(), testQuery(1))
		require.NoError(t, err)
		assert.Zero(t, c.Stats().LostWorkers, "a heartbeat every 2 s is alive for a client that expects one every 100 ms")
	})
}

// With no worker listening, the NATS server says so and the call fails
// at once as unavailable: it does not wait for its deadline.
func TestNoRespondersUnavailableAtOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ns := bubbleNATS(t)
		c := bubbleClient(t, ns)
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		start := time.Now()
		_, err := c.FreeBusy(ctx, testQuery(1))
		assert.Zero(t, time.Since(start), "no time passes")
		require.Error(t, err)
		assert.ErrorIs(t, err, freebusy.ErrUnavailable)
		assert.ErrorIs(t, err, nats.ErrNoResponders)
		assert.Equal(t, freebusy.ReasonUnavailable, freebusy.ReasonOf(err))
		assert.Equal(t, uint64(1), c.Stats().NoResponders)
	})
}

// A call that waits for ready waits for a worker too.
func TestWaitForReadyWaitsForAWorker(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ns := bubbleNATS(t)
		c := bubbleClient(t, ns, WithWaitForReady(true))
		go func() {
			time.Sleep(2 * time.Second)
			bubbleWorker(t, ns, staticSource)
		}()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		start := time.Now()
		_, err := c.FreeBusy(ctx, testQuery(1))
		require.NoError(t, err)
		assert.GreaterOrEqual(t, time.Since(start), 2*time.Second)
		assert.LessOrEqual(t, time.Since(start), 2*time.Second+noWorkerMaxDelay*6/5)

		// Without one, it fails as unavailable before its deadline.
		c2 := bubbleClient(t, ns, WithWaitForReady(true), WithSubject(Subject("nobody")))
		start = time.Now()
		_, err = c2.FreeBusy(ctx, testQuery(1))
		assert.ErrorIs(t, err, nats.ErrNoResponders)
		assert.Less(t, time.Since(start), 8*time.Second)
	})
}

// A worker at its limit refuses more as busy; the client asks again
// (another worker, or the same one later) until its deadline, and fails
// as throttled when every worker stays busy.
func TestBusyWorkerRefuses(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ns := bubbleNATS(t)
		src := holdSource{started: make(chan string, 4), release: make(chan struct{}), name: "w"}
		w, _ := bubbleWorker(t, ns, src, WithConcurrency(1))
		c := bubbleClient(t, ns)
		hold := freebusy.Query{Attendees: []string{"hold@example.com"}, Start: t0, End: t0.Add(time.Hour)}

		held := make(chan error, 1)
		go func() { _, err := c.FreeBusy(context.Background(), hold); held <- err }()
		<-src.started

		// The worker is full: a call with a short deadline is refused
		// until its deadline, and fails as throttled before it.
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		_, err := c.FreeBusy(ctx, testQuery(1))
		cancel()
		require.Error(t, err)
		assert.ErrorIs(t, err, ErrAllBusy)
		assert.Equal(t, freebusy.ReasonThrottled, freebusy.ReasonOf(err))
		assert.Positive(t, c.Stats().Busy)
		assert.Positive(t, w.Stats().Busy)

		// A call made while the worker is full succeeds once it frees up.
		done := make(chan error, 1)
		start := time.Now()
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_, err := c.FreeBusy(ctx, testQuery(1))
			done <- err
		}()
		time.Sleep(time.Second)
		synctest.Wait()
		assert.Empty(t, done, "still refused while the worker is full")
		close(src.release)
		require.NoError(t, <-held)
		require.NoError(t, <-done)
		assert.LessOrEqual(t, time.Since(start), time.Second+busyMaxDelay*6/5, "asked again within the busy back-off")
	})
}

// Every error keeps its reason across the wire; only temporary ones are
// asked again, and a retry hint is honoured.
func TestWorkerErrors(t *testing.T) {
	for _, tc := range []struct {
		name    string
		err     error
		reason  freebusy.Reason
		retried bool
	}{
		{"access denied", &freebusy.Error{Reason: freebusy.ReasonAccessDenied, Message: "no"}, freebusy.ReasonAccessDenied, false},
		{"invalid", &freebusy.QueryError{Field: "Attendees", Err: freebusy.ErrInvalid}, freebusy.ReasonInvalid, false},
		{"internal", errors.New("boom"), freebusy.ReasonInternal, false},
		{"unavailable", &freebusy.Error{Reason: freebusy.ReasonUnavailable, Message: "backend down"}, freebusy.ReasonUnavailable, true},
		{"throttled", &freebusy.Error{Reason: freebusy.ReasonThrottled, RetryAfter: 2 * time.Second}, freebusy.ReasonThrottled, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ns := bubbleNATS(t)
				var calls atomic.Int64
				src := freebusy.SourceFunc(func(ctx context.Context, q freebusy.Query) ([]freebusy.Schedule, error) {
					calls.Add(1)
					return nil, tc.err
				})
				bubbleWorker(t, ns, src)
				c := bubbleClient(t, ns)
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				defer cancel()
				start := time.Now()
				_, err := c.FreeBusy(ctx, testQuery(1))
				require.Error(t, err)
				assert.Equal(t, tc.reason, freebusy.ReasonOf(err), "%v", err)
				var fe *freebusy.Error
				require.ErrorAs(t, err, &fe)
				if tc.retried {
					assert.Equal(t, int64(DefaultMaxAttempts), calls.Load())
					assert.Equal(t, uint64(DefaultMaxAttempts-1), c.Stats().Retries)
				} else {
					assert.Equal(t, int64(1), calls.Load())
					assert.Zero(t, c.Stats().Retries)
				}
				if tc.name == "throttled" {
					assert.Equal(t, 2*time.Second, fe.RetryAfter, "the hint crosses the wire")
					assert.Equal(t, time.Duration(DefaultMaxAttempts-1)*2*time.Second, time.Since(start), "and is honoured")
				}
			})
		})
	}
}

// A temporary error whose retry hint would outlast the deadline is
// returned at once.
func TestRetryHintPastDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ns := bubbleNATS(t)
		var calls atomic.Int64
		bubbleWorker(t, ns, freebusy.SourceFunc(func(ctx context.Context, q freebusy.Query) ([]freebusy.Schedule, error) {
			calls.Add(1)
			return nil, &freebusy.Error{Reason: freebusy.ReasonThrottled, RetryAfter: time.Minute}
		}))
		c := bubbleClient(t, ns)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		start := time.Now()
		_, err := c.FreeBusy(ctx, testQuery(1))
		assert.ErrorIs(t, err, freebusy.ErrThrottled)
		assert.Zero(t, time.Since(start))
		assert.Equal(t, int64(1), calls.Load())
	})
}

// The caller's deadline bounds the call, whatever the worker does.
func TestDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ns := bubbleNATS(t)
		// A source that overruns its context: the worker keeps sending
		// heartbeats, and the call ends at its own deadline.
		bubbleWorker(t, ns, freebusy.SourceFunc(func(ctx context.Context, q freebusy.Query) ([]freebusy.Schedule, error) {
			time.Sleep(time.Minute)
			return staticSource(ctx, q)
		}))
		c := bubbleClient(t, ns)
		ctx, cancel := context.WithTimeout(context.Background(), 7*time.Second)
		defer cancel()
		start := time.Now()
		_, err := c.FreeBusy(ctx, testQuery(1))
		assert.Equal(t, 7*time.Second, time.Since(start))
		assert.ErrorIs(t, err, freebusy.ErrTimeout)
		assert.ErrorIs(t, err, context.DeadlineExceeded)
		var ce *transport.CallError
		require.ErrorAs(t, err, &ce)
		assert.True(t, ce.MaySent)
	})
}

// A worker that keeps dying costs at most WithMaxAttempts liveness
// windows, and the call fails as unavailable with ErrWorkerLost.
func TestWorkersKeepDying(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ns := bubbleNATS(t)
		// A "worker" that acknowledges and then never says another word.
		nc := pipeConn(t, ns)
		_, err := nc.QueueSubscribe(DefaultSubject, DefaultQueueGroup, func(m *nats.Msg) {
			_ = nc.PublishMsg(&nats.Msg{Subject: m.Reply, Header: nats.Header{hdrKind: {kindAck}}})
		})
		require.NoError(t, err)
		synctest.Wait() // the server has the subscription before the client asks
		c := bubbleClient(t, ns, WithMaxAttempts(2))
		start := time.Now()
		_, err = c.FreeBusy(context.Background(), testQuery(1))
		assert.Equal(t, 2*DefaultMissedHeartbeats*DefaultHeartbeatInterval, time.Since(start))
		assert.ErrorIs(t, err, ErrWorkerLost)
		assert.ErrorIs(t, err, freebusy.ErrUnavailable)
		assert.Equal(t, uint64(2), c.Stats().LostWorkers)
	})
}

// Closing a worker while it runs a query sends its caller to another
// worker at once, without waiting out the liveness window.
func TestServerCloseSendsCallersElsewhere(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ns := bubbleNATS(t)
		src := holdSource{started: make(chan string, 1), release: make(chan struct{}), name: "w"}
		w, _ := bubbleWorker(t, ns, src)
		c := bubbleClient(t, ns)
		hold := freebusy.Query{Attendees: []string{"hold@example.com"}, Start: t0, End: t0.Add(time.Hour)}
		done := make(chan error, 1)
		go func() { _, err := c.FreeBusy(context.Background(), hold); done <- err }()
		<-src.started
		// A second worker, whose held queries are released at once.
		free := holdSource{started: make(chan string, 1), release: make(chan struct{}), name: "free"}
		close(free.release)
		bubbleWorker(t, ns, free)
		start := time.Now()
		require.NoError(t, w.Close())
		require.NoError(t, <-done)
		assert.Equal(t, "free", <-free.started)
		assert.Zero(t, time.Since(start), "no liveness window was waited out")
		assert.Equal(t, uint64(1), c.Stats().Busy, "the closing worker said so")
		assert.Zero(t, c.Stats().LostWorkers)
		assert.Equal(t, transport.Shutdown, w.State())
		require.NoError(t, w.Close(), "idempotent")
		require.NoError(t, w.Shutdown(context.Background()), "and so is Shutdown after Close")
	})
}

// Closing the client fails its calls in progress and later ones with
// ErrClosed.
func TestClientClose(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ns := bubbleNATS(t)
		src := holdSource{started: make(chan string, 1), release: make(chan struct{}), name: "w"}
		bubbleWorker(t, ns, src)
		c := bubbleClient(t, ns)
		hold := freebusy.Query{Attendees: []string{"hold@example.com"}, Start: t0, End: t0.Add(time.Hour)}
		done := make(chan error, 1)
		go func() { _, err := c.FreeBusy(context.Background(), hold); done <- err }()
		<-src.started
		synctest.Wait()
		require.NoError(t, c.Close())
		assert.ErrorIs(t, <-done, transport.ErrClosed)
		_, err := c.FreeBusy(context.Background(), testQuery(1))
		assert.ErrorIs(t, err, transport.ErrClosed)
		assert.Equal(t, transport.Shutdown, c.State())
		require.NoError(t, c.Close(), "idempotent")
		close(src.release)
	})
}

// Losing the connection to NATS fails the calls in flight at once as
// unavailable, and later calls too until it is back, unless they wait
// for ready.
func TestConnectionLost(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ns := bubbleNATS(t)
		src := holdSource{started: make(chan string, 1), release: make(chan struct{}), name: "w"}
		bubbleWorker(t, ns, src)
		var rec recorder
		nc, err := nats.Connect("", nats.InProcessServer(ns), nats.MaxReconnects(-1), nats.ReconnectWait(2*time.Second), nats.ReconnectJitter(0, 0))
		require.NoError(t, err)
		defer nc.Close()
		c, err := NewClient(nil, WithConn(nc), WithStateCallback(rec.record))
		require.NoError(t, err)
		defer c.Close()
		waiting, err := NewClient(nil, WithConn(nc), WithWaitForReady(true))
		require.NoError(t, err)
		defer waiting.Close()

		hold := freebusy.Query{Attendees: []string{"hold@example.com"}, Start: t0, End: t0.Add(time.Hour)}
		done := make(chan error, 1)
		go func() { _, err := c.FreeBusy(context.Background(), hold); done <- err }()
		<-src.started
		start := time.Now()
		// Cut the client's connection: nats.go sees the pipe close and
		// starts reconnecting.
		require.NoError(t, ns.DisconnectClientByID(clientID(t, nc)))
		err = <-done
		assert.Zero(t, time.Since(start), "the call in flight failed at once")
		assert.ErrorIs(t, err, freebusy.ErrUnavailable)
		assert.ErrorIs(t, err, transport.ErrConnectionLost)
		synctest.Wait()
		assert.Equal(t, transport.TransientFailure, c.State())

		_, err = c.FreeBusy(context.Background(), testQuery(1))
		assert.ErrorIs(t, err, freebusy.ErrUnavailable, "fail fast while disconnected")
		assert.Zero(t, time.Since(start))

		// A call that waits for ready succeeds after the reconnect.
		_, err = waiting.FreeBusy(context.Background(), testQuery(1))
		require.NoError(t, err)
		synctest.Wait()
		assert.Equal(t, transport.Ready, c.State())
		assert.Equal(t, []transport.State{transport.Ready, transport.TransientFailure, transport.Ready}, rec.states(), "connected at once, then lost and back")
		assert.Equal(t, uint64(1), c.Stats().Reconnects)
		close(src.release)
	})
}

// clientID returns the NATS server's id for nc's connection.
func clientID(t *testing.T, nc *nats.Conn) uint64 {
	id, err := nc.GetClientID()
	require.NoError(t, err)
	return id
}
