package transport

// Fake-clock twins of the fault tests (fault_test.go, fault_conn_test.go):
// the same scenarios of docs/reconnect.md §9, played on fakeProc and
// transporttest.Network inside a testing/synctest bubble, with the same
// scaled-down options as the fault tests' newClient. Here every tight
// wall-clock bound of a fault test's pass criterion is asserted exactly as
// the spec states it (or tighter): on the fake clock a duration is what the
// client's code decides, never what a loaded scheduler adds. The real-TCP
// fault tests keep the scenarios and the behaviour, and bound time only by
// generous hang guards.

import (
	"context"
	"errors"
	"io"
	"runtime"
	"slices"
	"sync"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/calbridge/calbridge/freebusy"
)

// twinBackoff is the fault tests' fastBackoff: gRPC's shape scaled 20×.
var twinBackoff = Backoff{
	BaseDelay:         50 * time.Millisecond,
	Multiplier:        1.6,
	Jitter:            0.2,
	MaxDelay:          500 * time.Millisecond,
	MinConnectTimeout: time.Second,
}

// twinDeadlineSlack is how far past its deadline a call may return (the
// T1 criterion, deadline + 50 ms): on the fake clock it holds for every
// call, not only the median.
const twinDeadlineSlack = 50 * time.Millisecond

func twinMid() float64 { return 0.5 }

// twinClient is the fault tests' newClient on a fakeProc: the same short
// timeouts, a recorder of transitions whose legality is checked at
// cleanup; opts override the defaults.
func twinClient(t *testing.T, p *fakeProc, opts ...ClientOption) (*Client, *recorder) {
	t.Helper()
	rec := &recorder{}
	base := []ClientOption{
		WithBackoff(twinBackoff),
		WithHeartbeat(100*time.Millisecond, 200*time.Millisecond),
		WithDialTimeout(500 * time.Millisecond),
		WithHandshakeTimeout(300 * time.Millisecond),
		WithWriteTimeout(500 * time.Millisecond),
		WithStateCallback(rec.record),
	}
	c := procClient(t, p, append(base, opts...)...)
	t.Cleanup(func() { rec.assertLegal(t) }) // runs after Close (cleanups run in reverse)
	return c, rec
}

// twinCallWithin makes one call with deadline d on the bubble's clock.
func twinCallWithin(c *Client, q freebusy.Query, d time.Duration, opts ...CallOption) ([]freebusy.Schedule, time.Duration, error) {
	start := time.Now()
	ctx, cancel := context.WithDeadline(context.Background(), start.Add(d))
	defer cancel()
	res, err := c.Call(ctx, q, opts...)
	return res, time.Since(start), err
}

// twinWait waits (on the fake clock) until the client's state satisfies
// pred and returns when; it fails the test after d.
func twinWait(t *testing.T, c *Client, d time.Duration, what string, pred func(State) bool) time.Time {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	for {
		s := c.State()
		if pred(s) {
			return time.Now()
		}
		if !c.WaitForStateChange(ctx, s) {
			t.Fatalf("client not %s within %v (state %v, last error %v)", what, d, c.State(), c.Stats().LastError)
		}
	}
}

func twinIs(states ...State) func(State) bool {
	return func(s State) bool { return slices.Contains(states, s) }
}

// snapshot returns the recorded transitions; since, those at or after t0;
// first, the first of those matching pred. Call synctest.Wait before, so
// that every callback has run.
func (r *recorder) snapshot() []StateChange {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.changes)
}

func (r *recorder) since(t0 time.Time) []StateChange {
	var out []StateChange
	for _, sc := range r.snapshot() {
		if !sc.At.Before(t0) {
			out = append(out, sc)
		}
	}
	return out
}

func (r *recorder) first(t0 time.Time, pred func(StateChange) bool) (StateChange, bool) {
	for _, sc := range r.since(t0) {
		if pred(sc) {
			return sc, true
		}
	}
	return StateChange{}, false
}

func fromReady(sc StateChange) bool { return sc.From == Ready }

func twinUnavailable(err error) bool { return errors.Is(err, freebusy.ErrUnavailable) }

// twinConnLoss reports the errors a dropped connection produces.
func twinConnLoss(err error) bool {
	return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.EPIPE)
}

// twinCaller calls in a loop (deadline each, 5 ms apart) until halted and
// records how far each call ran past its deadline.
type twinCaller struct {
	stop, done chan struct{}
	mu         sync.Mutex
	over       []time.Duration
	ok, fail   int
}

func startTwinCaller(c *Client, q freebusy.Query, deadline time.Duration) *twinCaller {
	cl := &twinCaller{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(cl.done)
		for {
			select {
			case <-cl.stop:
				return
			default:
			}
			_, took, err := twinCallWithin(c, q, deadline)
			cl.mu.Lock()
			cl.over = append(cl.over, max(0, took-deadline))
			if err != nil {
				cl.fail++
			} else {
				cl.ok++
			}
			cl.mu.Unlock()
			time.Sleep(5 * time.Millisecond)
		}
	}()
	return cl
}

func (cl *twinCaller) halt() []time.Duration {
	close(cl.stop)
	<-cl.done
	return cl.over
}

// Twin of TestFaultT1CleanRestart (§9 T1). Pass: a fail-fast call during
// the outage returns Unavailable within 100 ms; the first Ready after the
// restart comes within current_backoff·1.2 + connect RTT + 100 ms; exactly
// one reconnect; no call of a caller running throughout exceeds its
// deadline + 50 ms; the same client object works after the restart.
func TestTwinT1CleanRestart(t *testing.T) {
	for _, outage := range []time.Duration{100 * time.Millisecond, 500 * time.Millisecond, 1500 * time.Millisecond} {
		t.Run(outage.String(), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				p := newFakeProc(t)
				c, rec := twinClient(t, p, withRand(twinMid))
				q := testQuery(2)
				_, _, err := twinCallWithin(c, q, time.Second)
				require.NoError(t, err)
				bg := startTwinCaller(c, q, 200*time.Millisecond)

				down := time.Now()
				p.kill()
				twinWait(t, c, time.Second, "in TransientFailure", twinIs(TransientFailure))
				_, took, err := twinCallWithin(c, q, 2*time.Second)
				require.Error(t, err, "fail-fast while the server is down")
				assert.True(t, twinUnavailable(err), "got %v", err)
				assert.LessOrEqual(t, took, 100*time.Millisecond, "fail-fast returns within 100 ms")

				time.Sleep(outage - time.Since(down))
				p.start()
				up := time.Now()
				twinWait(t, c, 5*time.Second, "Ready after restart", twinIs(Ready))
				synctest.Wait()
				ready, ok := rec.first(up, func(sc StateChange) bool { return sc.To == Ready })
				require.True(t, ok)
				var k int
				var connecting time.Time
				for _, sc := range rec.since(down) {
					if sc.At.After(ready.At) {
						break
					}
					switch sc.To {
					case TransientFailure:
						k++
					case Connecting:
						connecting = sc.At
					}
				}
				require.Positive(t, k, "no failed attempt during the outage")
				current := twinBackoff.delay(k-1, 0.5)
				rtt := ready.At.Sub(connecting)
				bound := time.Duration(float64(current)*1.2) + rtt + 100*time.Millisecond
				assert.LessOrEqual(t, ready.At.Sub(up), bound, "reconnect after restart (k=%d, current backoff %v)", k, current)
				t.Logf("outage %v: %d failed attempts, ready %v after restart (bound %v); fail-fast call %v",
					outage, k, ready.At.Sub(up), bound, took)

				res, _, err := twinCallWithin(c, q, time.Second)
				require.NoError(t, err, "the same client object must work after the restart")
				assert.NoError(t, freebusy.CheckResult(q, res))
				over := bg.halt()
				require.NotEmpty(t, over)
				assert.LessOrEqual(t, slices.Max(over), twinDeadlineSlack, "no call exceeds its deadline + 50 ms")
				assert.Equal(t, uint64(1), c.Stats().Reconnects, "exactly one reconnect")
			})
		})
	}
}

// Twin of TestFaultT3LongOutage (§9 T3): connection refused throughout,
// seeded real jitter. Pass: each gap between attempt starts lies in
// [0.8·eᵢ − 100 ms, 1.2·eᵢ + 100 ms] (and, with no transmission delay on
// the fake clock, in [0.8·eᵢ, 1.2·eᵢ]); goroutines flat; only Connecting
// and TransientFailure; Ready within 1.2·MaxDelay + 100 ms of the server
// appearing.
func TestTwinT3LongOutage(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newFakeProc(t)
		p.kill()
		c, rec := twinClient(t, p, withRand(seededRand(5, 13)))
		c.Connect()
		time.Sleep(time.Second)
		early := runtime.NumGoroutine()
		time.Sleep(5 * time.Second)
		late := runtime.NumGoroutine()
		attempts := p.dialTimes()
		const n = 12
		require.GreaterOrEqual(t, len(attempts), n)
		for i := 1; i < n; i++ {
			gap := attempts[i].Sub(attempts[i-1])
			e := twinBackoff.delay(i-1, 0.5)
			lo, hi := time.Duration(float64(e)*0.8), time.Duration(float64(e)*1.2)
			assert.True(t, gap >= lo-100*time.Millisecond && gap <= hi+100*time.Millisecond, "gap %d = %v, want [%v, %v] ± 100ms", i, gap, lo, hi)
			assert.True(t, gap >= lo && gap <= hi, "gap %d = %v, want [%v, %v] (no transmission delay here)", i, gap, lo, hi)
		}
		assert.InDelta(t, early, late, 2, "goroutines stay flat during the outage")
		synctest.Wait()
		for _, sc := range rec.snapshot() {
			assert.Contains(t, []State{Connecting, TransientFailure}, sc.To, "only Connecting and TransientFailure during the outage")
		}

		p.start()
		up := time.Now()
		at := twinWait(t, c, 2*time.Second, "Ready once the server appears", twinIs(Ready))
		bound := time.Duration(float64(twinBackoff.MaxDelay)*1.2) + 100*time.Millisecond
		assert.LessOrEqual(t, at.Sub(up), bound)
		t.Logf("recovered %v after the server appeared (bound %v)", at.Sub(up), bound)
		_, _, err := twinCallWithin(c, testQuery(1), time.Second)
		require.NoError(t, err)
	})
}

// Twin of TestFaultT3EagerRetry: a 2 s backoff, eager interval 200 ms.
// Pass: during 1 s of fail-fast calls every 20 ms each returns Unavailable
// within 100 ms; they trigger at least 3 and at most 1 + 1s/200ms (+1)
// attempts; after the server appears the first success comes within
// eager + 150 ms, not after the backoff.
func TestTwinT3EagerRetry(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newFakeProc(t)
		p.kill()
		const eager = 200 * time.Millisecond
		slow := Backoff{BaseDelay: 2 * time.Second, Multiplier: 1.6, Jitter: 0.2, MaxDelay: 2 * time.Second, MinConnectTimeout: time.Second}
		c, _ := twinClient(t, p, WithBackoff(slow), WithEagerRetryInterval(eager), withRand(seededRand(6, 14)))
		c.Connect()
		twinWait(t, c, time.Second, "in TransientFailure", twinIs(TransientFailure))

		q := testQuery(1)
		before := p.dialCount()
		start := time.Now()
		var worst time.Duration
		for time.Since(start) < time.Second {
			_, took, err := twinCallWithin(c, q, 500*time.Millisecond)
			require.Error(t, err)
			assert.True(t, twinUnavailable(err), "got %v", err)
			worst = max(worst, took)
			time.Sleep(20 * time.Millisecond)
		}
		eagerAttempts := p.dialCount() - before
		assert.LessOrEqual(t, eagerAttempts, 1+int(time.Second/eager)+1, "at most one eager attempt per interval")
		assert.GreaterOrEqual(t, eagerAttempts, 3, "calls during a long backoff do trigger attempts")
		assert.LessOrEqual(t, worst, 100*time.Millisecond, "calls stay fast")

		p.start()
		up := time.Now()
		for {
			_, _, err := twinCallWithin(c, q, 500*time.Millisecond)
			if err == nil {
				break
			}
			require.Less(t, time.Since(up), 2*time.Second, "no recovery before the backoff would have ended")
			time.Sleep(20 * time.Millisecond)
		}
		took := time.Since(up)
		assert.LessOrEqual(t, took, eager+150*time.Millisecond, "recovery does not wait out the backoff")
		t.Logf("%d eager attempts, slowest call %v, first success %v after the server appeared", eagerAttempts, worst, took)
	})
}

// Twin of TestFaultT4BlackHole (§9 T4), heartbeat 200 ms / 300 ms. Pass:
// an idle connection is declared dead (ErrHeartbeatTimeout) within
// interval + timeout + two monitor ticks (50 ms each) + 50 ms, the fault
// test's 150 ms; after healing a wait-for-ready call succeeds within
// handshake timeout + 1.2·MaxDelay + 100 ms; a pending call ends by its own
// deadline (+50 ms) and not before the heartbeat interval.
func TestTwinT4BlackHole(t *testing.T) {
	const interval, timeout = 200 * time.Millisecond, 300 * time.Millisecond

	t.Run("idle connection", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			p := newFakeProc(t)
			c, rec := twinClient(t, p, WithHeartbeat(interval, timeout), withRand(twinMid))
			q := testQuery(1)
			_, _, err := twinCallWithin(c, q, time.Second)
			require.NoError(t, err)

			mark := time.Now()
			p.set(func() { p.blackHole = true })
			twinWait(t, c, 3*time.Second, "out of Ready", func(s State) bool { return s != Ready })
			synctest.Wait()
			lost, ok := rec.first(mark, fromReady)
			require.True(t, ok)
			detected := lost.At.Sub(mark)
			assert.ErrorIs(t, lost.Err, ErrHeartbeatTimeout)
			bound := interval + timeout + 150*time.Millisecond
			assert.LessOrEqual(t, detected, bound)
			t.Logf("black hole detected after %v (bound %v)", detected, bound)

			twinWait(t, c, 2*time.Second, "in TransientFailure", twinIs(TransientFailure))
			p.set(func() { p.blackHole = false })
			healed := time.Now()
			_, _, err = twinCallWithin(c, q, 3*time.Second, WaitForReady(true))
			require.NoError(t, err)
			bound = 300*time.Millisecond + time.Duration(float64(twinBackoff.MaxDelay)*1.2) + 100*time.Millisecond
			assert.LessOrEqual(t, time.Since(healed), bound, "handshake timeout + max backoff + 100ms")
			t.Logf("first success %v after healing (bound %v)", time.Since(healed), bound)
		})
	})

	t.Run("pending call", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			p := newFakeProc(t)
			c, _ := twinClient(t, p, WithHeartbeat(interval, timeout))
			q := testQuery(1)
			_, _, err := twinCallWithin(c, q, time.Second)
			require.NoError(t, err)

			p.set(func() { p.blackHole = true })
			const deadline = 700 * time.Millisecond
			_, took, err := twinCallWithin(c, q, deadline)
			require.Error(t, err)
			assert.GreaterOrEqual(t, took, interval, "the call waited for the dead connection")
			assert.LessOrEqual(t, took, deadline+twinDeadlineSlack, "and ended by its own deadline")
			t.Logf("pending call into the black hole: %v after %v", err, took)
		})
	})
}

// Twin of TestFaultT5SilentPeer (§9 T5): a peer that accepts and never
// answers the handshake. Pass: each attempt is abandoned at the handshake
// deadline (within [hs − 5 ms, hs + 100 ms]), Connecting ->
// TransientFailure with a "handshake" CallError, never Ready; the gaps
// between attempts grow although every connect succeeded; a peer that
// starts answering is then connected to.
func TestTwinT5SilentPeer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newFakeProc(t)
		p.set(func() { p.blackHole = true })
		const hs = 100 * time.Millisecond
		bo := Backoff{BaseDelay: 150 * time.Millisecond, Multiplier: 2, Jitter: 0.2, MaxDelay: 2 * time.Second, MinConnectTimeout: time.Second}
		c, rec := twinClient(t, p, WithBackoff(bo), WithHandshakeTimeout(hs), withRand(twinMid))
		c.Connect()
		for p.dialCount() < 4 {
			time.Sleep(10 * time.Millisecond)
		}
		twinWait(t, c, time.Second, "in TransientFailure", twinIs(TransientFailure))
		synctest.Wait()

		var connectingAt time.Time
		failures := 0
		var spents []time.Duration
		for _, sc := range rec.snapshot() {
			require.NotEqual(t, Ready, sc.To, "a silent peer must never make the client Ready")
			switch sc.To {
			case Connecting:
				connectingAt = sc.At
			case TransientFailure:
				failures++
				var ce *CallError
				require.ErrorAs(t, sc.Err, &ce)
				assert.Equal(t, "handshake", ce.Op)
				spent := sc.At.Sub(connectingAt)
				spents = append(spents, spent)
				assert.GreaterOrEqual(t, spent, hs-5*time.Millisecond, "abandoned at the handshake deadline")
				assert.LessOrEqual(t, spent, hs+100*time.Millisecond)
			}
		}
		assert.GreaterOrEqual(t, failures, 3)
		dials := p.dialTimes()
		var gaps []time.Duration
		for i := 1; i < len(dials); i++ {
			gaps = append(gaps, dials[i].Sub(dials[i-1]))
		}
		for i := 1; i < len(gaps); i++ {
			assert.Greater(t, gaps[i], gaps[i-1], "backoff grows: a TCP connect alone does not reset it")
		}
		t.Logf("attempts to a silent peer abandoned after %v; gaps %v", spents, gaps)

		p.set(func() { p.blackHole = false })
		healed := time.Now()
		at := twinWait(t, c, 3*time.Second, "Ready once a real server answers", twinIs(Ready))
		t.Logf("connected %v after the peer started answering", at.Sub(healed))
	})
}

// Twin of TestFaultT6ResetAndCut (§9 T6), MaxAttempts 1. Pass: a call
// whose connection is reset, or whose reply is cut mid-frame, fails within
// 100 ms with a connection error and no partial reply; the connection is
// discarded; the next call uses a new connection and gets the complete
// answer.
func TestTwinT6ResetAndCut(t *testing.T) {
	t.Run("reset mid-call", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			p := newFakeProc(t)
			c, rec := twinClient(t, p, WithMaxAttempts(1))
			q := testQuery(3)
			_, _, err := twinCallWithin(c, q, time.Second)
			require.NoError(t, err)

			p.set(func() { p.silentCalls = true })
			type result struct {
				res []freebusy.Schedule
				err error
				at  time.Time
			}
			out := make(chan result, 1)
			go func() {
				res, _, err := twinCallWithin(c, q, 3*time.Second)
				out <- result{res, err, time.Now()}
			}()
			synctest.Wait()
			require.Equal(t, 2, p.calls(), "the call reached the server")
			mark := time.Now()
			p.reset()
			r := <-out
			require.Error(t, r.err)
			assert.Nil(t, r.res, "no partial answer")
			var ce *CallError
			require.ErrorAs(t, r.err, &ce)
			assert.True(t, ce.MaySent)
			assert.True(t, twinConnLoss(r.err), "got %v", r.err)
			assert.LessOrEqual(t, r.at.Sub(mark), 100*time.Millisecond, "fails promptly")

			p.set(func() { p.silentCalls = false })
			res, _, err := twinCallWithin(c, q, time.Second)
			require.NoError(t, err)
			assert.NoError(t, freebusy.CheckResult(q, res))
			assert.Equal(t, 2, p.dialCount(), "the next call used a new connection")
			synctest.Wait()
			_, ok := rec.first(mark, fromReady)
			assert.True(t, ok, "the broken connection was discarded")
		})
	})

	t.Run("cut mid-response", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			p := newFakeProc(t)
			c, _ := twinClient(t, p, WithMaxAttempts(1), WithHeartbeat(10*time.Second, 10*time.Second))
			q := testQuery(40) // a reply of several kB
			want, _, err := twinCallWithin(c, q, time.Second)
			require.NoError(t, err)

			p.set(func() { p.cutAfter = 200 })
			res, took, err := twinCallWithin(c, q, 2*time.Second)
			require.Error(t, err)
			assert.Nil(t, res, "no partial answer")
			var ce *CallError
			require.ErrorAs(t, err, &ce)
			assert.True(t, twinConnLoss(err), "got %v", err)
			assert.LessOrEqual(t, took, 100*time.Millisecond, "fails promptly")

			p.set(func() { p.cutAfter = 0 })
			got, _, err := twinCallWithin(c, q, time.Second)
			require.NoError(t, err)
			assert.Equal(t, want, got, "the answer on the new connection is complete and intact")
			assert.Equal(t, uint64(2), c.Stats().Dials)
		})
	})
}

// Twin of TestFaultT7Slow (§9 T7). Pass: calls time out at their deadline
// ± 10 ms (the reference's criterion, for every call); no reconnect storm
// while pings are answered (one dial, no transition).
func TestTwinT7Slow(t *testing.T) {
	t.Run("slow source", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			p := newFakeProc(t)
			c, rec := twinClient(t, p)
			q := testQuery(1)
			_, _, err := twinCallWithin(c, q, time.Second)
			require.NoError(t, err)

			synctest.Wait()
			seen := len(rec.snapshot()) // the connect happened at this same fake instant
			p.set(func() { p.callDelay = 300 * time.Millisecond })
			const deadline = 100 * time.Millisecond
			for range 8 {
				// Each call starts on the monitor's tick (every 25 ms from
				// the connect, and every call lasts its 100 ms deadline), so
				// its write can hold the lock when the monitor wants to
				// ping. The ping then waits for the next tick; it used to
				// start the reply clock without being sent, and the live
				// peer, whose only bytes due were the 300 ms replies, was
				// declared dead about one run in ten.
				_, took, err := twinCallWithin(c, q, deadline)
				require.Error(t, err)
				assert.ErrorIs(t, err, freebusy.ErrTimeout)
				assert.InDelta(t, float64(deadline), float64(took), float64(10*time.Millisecond), "times out at its deadline ± 10 ms")
			}
			_, _, err = twinCallWithin(c, q, time.Second)
			require.NoError(t, err, "a deadline above the latency succeeds")
			synctest.Wait()
			assert.Empty(t, rec.snapshot()[seen:], "no transition: the connection stayed up")
			assert.Equal(t, uint64(1), c.Stats().Dials, "no reconnect storm")
		})
	})

	t.Run("latency below the heartbeat timeout", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			p := newFakeProc(t)
			c, rec := twinClient(t, p, WithHeartbeat(100*time.Millisecond, 400*time.Millisecond))
			q := testQuery(1)
			_, _, err := twinCallWithin(c, q, time.Second)
			require.NoError(t, err)

			synctest.Wait()
			seen := len(rec.snapshot())
			p.set(func() { p.replyDelay = 240 * time.Millisecond }) // RTT 240 ms
			const deadline = 150 * time.Millisecond
			for range 4 {
				_, took, err := twinCallWithin(c, q, deadline)
				require.Error(t, err)
				assert.ErrorIs(t, err, freebusy.ErrTimeout)
				assert.InDelta(t, float64(deadline), float64(took), float64(10*time.Millisecond), "times out at its deadline ± 10 ms")
			}
			for range 3 {
				_, took, err := twinCallWithin(c, q, time.Second)
				require.NoError(t, err)
				assert.GreaterOrEqual(t, took, 240*time.Millisecond)
			}
			synctest.Wait()
			assert.Empty(t, rec.snapshot()[seen:], "pings answered within the timeout keep the connection")
			assert.Equal(t, uint64(1), c.Stats().Dials)
		})
	})
}

// Twin of TestFaultT8HalfClosedPeer (§9 T8). Pass: EOF is connection loss:
// the pending call fails within 100 ms, the client leaves Ready within
// 100 ms, and once the peer behaves a wait-for-ready call succeeds.
func TestTwinT8HalfClosedPeer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newFakeProc(t)
		c, rec := twinClient(t, p, WithMaxAttempts(1), withRand(twinMid))
		q := testQuery(2)
		_, _, err := twinCallWithin(c, q, time.Second)
		require.NoError(t, err)

		p.set(func() { p.silentCalls = true })
		type result struct {
			err error
			at  time.Time
		}
		out := make(chan result, 1)
		go func() {
			_, _, err := twinCallWithin(c, q, 3*time.Second)
			out <- result{err, time.Now()}
		}()
		synctest.Wait()
		require.Equal(t, 2, p.calls(), "the call reached the server")
		mark := time.Now()
		p.setHalfClose(true)
		r := <-out
		require.Error(t, r.err)
		assert.True(t, twinConnLoss(r.err), "got %v", r.err)
		assert.LessOrEqual(t, r.at.Sub(mark), 100*time.Millisecond, "the pending call fails at once")
		twinWait(t, c, time.Second, "out of Ready", func(s State) bool { return s != Ready })
		synctest.Wait()
		lost, ok := rec.first(mark, fromReady)
		require.True(t, ok)
		assert.LessOrEqual(t, lost.At.Sub(mark), 100*time.Millisecond, "the connection is dropped at once")

		p.set(func() { p.silentCalls = false })
		p.setHalfClose(false)
		_, took, err := twinCallWithin(c, q, 2*time.Second, WaitForReady(true))
		require.NoError(t, err)
		t.Logf("half-close: pending call failed after %v; recovered in %v", r.at.Sub(mark), took)
	})
}

// Twin of TestFaultT10NATIdleDrop (§9 T10), heartbeat 200 ms / 300 ms.
// Pass: a call made at once into a forgotten flow succeeds, retried on a
// fresh connection after one redial, within interval + timeout + backoff₀
// + 150 ms; the loss is a heartbeat timeout.
func TestTwinT10NATIdleDrop(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const interval, timeout = 200 * time.Millisecond, 300 * time.Millisecond
		p := newFakeProc(t)
		c, rec := twinClient(t, p, WithHeartbeat(interval, timeout))
		q := testQuery(2)
		_, _, err := twinCallWithin(c, q, time.Second)
		require.NoError(t, err)
		time.Sleep(2 * interval) // idle, kept alive by heartbeats
		require.Equal(t, uint64(1), c.Stats().Dials)

		mark := time.Now()
		p.forget()
		res, took, err := twinCallWithin(c, q, 3*time.Second)
		require.NoError(t, err, "the dropped flow costs at most one hidden attempt")
		assert.NoError(t, freebusy.CheckResult(q, res))
		bound := interval + timeout + twinBackoff.BaseDelay + 150*time.Millisecond
		assert.LessOrEqual(t, took, bound)
		assert.Equal(t, uint64(2), c.Stats().Dials, "one redial")
		synctest.Wait()
		lost, ok := rec.first(mark, fromReady)
		require.True(t, ok)
		assert.ErrorIs(t, lost.Err, ErrHeartbeatTimeout)
		t.Logf("call into a forgotten flow succeeded after %v (bound %v)", took, bound)
	})
}

// Twin of TestFaultT2CallInFlight's "server stays down": a call in flight
// when the server goes away for good fails, Unavailable or timed out, by
// its deadline (+50 ms).
func TestTwinT2ServerStaysDown(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newFakeProc(t)
		c, _ := twinClient(t, p)
		q := testQuery(1)
		_, _, err := twinCallWithin(c, q, time.Second)
		require.NoError(t, err)

		p.set(func() { p.silentCalls = true })
		const deadline = 800 * time.Millisecond
		out := make(chan error, 1)
		var took time.Duration
		go func() {
			var err error
			_, took, err = twinCallWithin(c, q, deadline)
			out <- err
		}()
		synctest.Wait()
		p.kill()
		err = <-out
		require.Error(t, err)
		assert.True(t, twinUnavailable(err) || errors.Is(err, freebusy.ErrTimeout), "got %v", err)
		assert.LessOrEqual(t, took, deadline+twinDeadlineSlack)
		t.Logf("in-flight call with the server gone: %v after %v", err, took)
	})
}

// Twin of TestFaultFailFastCallerSeesAttemptFail (§8.10): fail-fast calls
// issued while the client keeps connecting to a silent peer fail,
// Unavailable, when the attempt they wait for fails: within the handshake
// timeout, never riding along to their own 1 s deadline.
func TestTwinFailFastCallerSeesAttemptFail(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newFakeProc(t)
		p.set(func() { p.blackHole = true })
		const hs = 150 * time.Millisecond
		quick := Backoff{BaseDelay: 50 * time.Millisecond, Multiplier: 1.6, Jitter: 0.2, MaxDelay: 100 * time.Millisecond, MinConnectTimeout: time.Second}
		c, rec := twinClient(t, p, WithHandshakeTimeout(hs), WithBackoff(quick), withRand(twinMid))
		c.Connect()
		// Calls issued at different phases: during an attempt, and a few
		// milliseconds into the backoff after one.
		var worst time.Duration
		for i := range 8 {
			_, took, err := twinCallWithin(c, testQuery(1), time.Second)
			require.Error(t, err)
			assert.True(t, twinUnavailable(err), "fail-fast gives Unavailable, got %v", err)
			worst = max(worst, took)
			time.Sleep(time.Duration(i*17) * time.Millisecond)
		}
		synctest.Wait()
		t.Logf("slowest of 8 fail-fast calls to a silent peer: %v; %d transitions", worst, len(rec.snapshot()))
		assert.LessOrEqual(t, worst, hs, "a fail-fast call waits for the current attempt only")
	})
}

// Twin of TestFaultCallCutsReconnectSpreadShort: after an idle connection
// breaks the reconnect is spread over one base delay (here 1.8 s), but a
// call does not wait for the spread: it starts the attempt at once and
// succeeds well within 500 ms.
func TestTwinCallCutsReconnectSpreadShort(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newFakeProc(t)
		slow := Backoff{BaseDelay: 2 * time.Second, Multiplier: 1.6, Jitter: 0.2, MaxDelay: 10 * time.Second, MinConnectTimeout: time.Second}
		c, _ := twinClient(t, p, WithBackoff(slow), withRand(func() float64 { return 0.9 }))
		q := testQuery(1)
		_, _, err := twinCallWithin(c, q, time.Second)
		require.NoError(t, err)

		p.reset()
		twinWait(t, c, time.Second, "the break noticed", twinIs(Connecting, TransientFailure))
		_, took, err := twinCallWithin(c, q, time.Second)
		require.NoError(t, err, "the call starts the reconnect instead of waiting out the spread")
		assert.Less(t, took, 500*time.Millisecond)
		t.Logf("call during the reconnect spread took %v", took)
	})
}
