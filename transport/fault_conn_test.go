package transport_test

// Fault tests T6–T10 and T15 of docs/reconnect.md §9: broken, slow,
// squeezed, half-closed and silently dropped connections, and persistent
// application errors. Sections (§) in this file are those of
// docs/reconnect.md.

import (
	"bufio"
	"encoding/json"
	"errors"
	"io"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/calbridge/calbridge/freebusy"
	"github.com/calbridge/calbridge/internal/linktest"
	"github.com/calbridge/calbridge/transport"
	"github.com/calbridge/calbridge/transport/transporttest"
)

// T6 (§9): RST mid-call and a reply cut mid-frame. Pass: the call fails
// promptly with a connection error and no partial reply (within 100 ms:
// TestTwinT6ResetAndCut on the fake clock; hangGuard here); the
// connection is discarded; the next call uses a new connection and gets the
// complete, correct answer. (MaxAttempts 1 so that the failure is visible;
// T2 shows the same loss retried away.)
func TestFaultT6ResetAndCut(t *testing.T) {
	t.Run("reset mid-call", func(t *testing.T) {
		checkLeaks(t)
		src := newSource()
		srv := startServer(t, src)
		p := newProxy(t, srv.addr)
		c, log := newClient(t, p.Addr(), transport.WithMaxAttempts(1))
		q := linktest.Query(3)
		_, _, err := callWithin(c, q, time.Second)
		require.NoError(t, err)

		src.block()
		defer src.release()
		type result struct {
			res []freebusy.Schedule
			err error
			at  time.Time
		}
		out := make(chan result, 1)
		go func() {
			res, _, err := callWithin(c, q, 3*time.Second)
			out <- result{res, err, time.Now()}
		}()
		src.waitEntered(t, time.Second)
		mark := time.Now()
		p.ResetAll()
		r := <-out
		require.Error(t, r.err)
		assert.Nil(t, r.res, "no partial answer")
		var ce *transport.CallError
		require.ErrorAs(t, r.err, &ce)
		assert.True(t, ce.MaySent)
		assert.True(t, errIsConnLoss(r.err), "got %v", r.err)
		assert.LessOrEqual(t, r.at.Sub(mark), hangGuard, "fails without hanging (100 ms: TestTwinT6ResetAndCut)")
		t.Logf("reset mid-call: failed after %v with %v", r.at.Sub(mark), r.err)

		src.release()
		res, _, err := callWithin(c, q, time.Second)
		require.NoError(t, err)
		assert.NoError(t, freebusy.CheckResult(q, res))
		assert.Equal(t, 2, p.Accepted(), "the next call used a new connection")
		_, ok := log.first(mark, func(sc transport.StateChange) bool { return sc.From == transport.Ready })
		assert.True(t, ok, "the broken connection was discarded")
	})

	t.Run("cut mid-response", func(t *testing.T) {
		checkLeaks(t)
		src := newSource()
		srv := startServer(t, src)
		p := newProxy(t, srv.addr)
		// Long heartbeats: no ping may eat the cut budget.
		c, _ := newClient(t, p.Addr(), transport.WithMaxAttempts(1), transport.WithHeartbeat(10*time.Second, 10*time.Second))
		q := linktest.Query(40) // a reply of several kB
		want, _, err := callWithin(c, q, time.Second)
		require.NoError(t, err)

		require.NoError(t, p.SetFault(transporttest.Fault{CutAfterBytes: 200}))
		mark := time.Now()
		res, _, err := callWithin(c, q, 2*time.Second)
		require.Error(t, err)
		assert.Nil(t, res, "no partial answer")
		var ce *transport.CallError
		require.ErrorAs(t, err, &ce)
		assert.True(t, errIsConnLoss(err), "got %v", err)
		assert.LessOrEqual(t, time.Since(mark), hangGuard, "fails without hanging (100 ms: TestTwinT6ResetAndCut)")
		t.Logf("cut after 200 bytes: failed after %v with %v", time.Since(mark), err)

		require.NoError(t, p.SetFault(transporttest.Fault{}))
		got, _, err := callWithin(c, q, time.Second)
		require.NoError(t, err)
		assert.Equal(t, want, got, "the answer on the new connection is complete and intact")
		assert.Equal(t, uint64(2), c.Stats().Dials)
	})
}

// T7 (§9): slow server and high latency. Pass: calls time out at their
// deadline (here no later than hangGuard past it; the reference's ±10 ms
// is asserted for every call by TestTwinT7Slow on the fake clock; the
// measured figures are logged) and
// there is no reconnect storm: while pings are answered the connection
// stays up (one dial, no transition). The reference's breaker clauses do
// not apply: the client has no circuit breaker (see T15).
func TestFaultT7Slow(t *testing.T) {
	t.Run("slow source", func(t *testing.T) {
		checkLeaks(t)
		src := newSource()
		srv := startServer(t, src)
		c, log := newClient(t, srv.addr)
		q := linktest.Query(1)
		_, _, err := callWithin(c, q, time.Second)
		require.NoError(t, err)

		src.setDelay(300 * time.Millisecond)
		mark := time.Now()
		const deadline = 100 * time.Millisecond
		var over overruns
		for range 8 {
			_, took, err := callWithin(c, q, deadline)
			require.Error(t, err)
			assert.ErrorIs(t, err, freebusy.ErrTimeout)
			assert.GreaterOrEqual(t, took, deadline)
			over.add(took - deadline)
		}
		over.check(t)
		_, _, err = callWithin(c, q, time.Second)
		require.NoError(t, err, "a deadline above the latency succeeds")
		assert.Empty(t, log.since(mark), "no transition: the connection stayed up")
		assert.Equal(t, uint64(1), c.Stats().Dials, "no reconnect storm")
		t.Logf("slow source: overrun past a 100ms deadline: median %v, worst %v; dials %d", over.median(), over.worst(), c.Stats().Dials)
	})

	t.Run("latency below the heartbeat timeout", func(t *testing.T) {
		checkLeaks(t)
		srv := startServer(t, newSource())
		p := newProxy(t, srv.addr)
		c, log := newClient(t, p.Addr(), transport.WithHeartbeat(100*time.Millisecond, 400*time.Millisecond))
		q := linktest.Query(1)
		_, _, err := callWithin(c, q, time.Second)
		require.NoError(t, err)

		require.NoError(t, p.SetFault(transporttest.Fault{Latency: 120 * time.Millisecond})) // RTT 240 ms
		mark := time.Now()
		const deadline = 150 * time.Millisecond
		var over overruns
		for range 4 {
			_, took, err := callWithin(c, q, deadline)
			require.Error(t, err)
			assert.ErrorIs(t, err, freebusy.ErrTimeout)
			over.add(took - deadline)
		}
		for range 3 {
			_, took, err := callWithin(c, q, time.Second)
			require.NoError(t, err)
			assert.GreaterOrEqual(t, took, 240*time.Millisecond)
		}
		over.check(t)
		assert.Empty(t, log.since(mark), "pings answered within the timeout keep the connection")
		assert.Equal(t, uint64(1), c.Stats().Dials)
		t.Logf("latency 120ms each way for %v: overrun median %v, worst %v; dials %d", time.Since(mark), over.median(), over.worst(), c.Stats().Dials)
	})
}

// T8 (§9): half-closed peer (FIN towards the client, its writes swallowed).
// Pass: EOF is connection loss: the pending call fails at once, the client
// leaves Ready and, once the peer behaves, reconnects; no reader stays
// blocked (the leak check). "At once" is 100 ms for both in
// TestTwinT8HalfClosedPeer on the fake clock, hangGuard here.
func TestFaultT8HalfClosedPeer(t *testing.T) {
	checkLeaks(t)
	src := newSource()
	srv := startServer(t, src)
	p := newProxy(t, srv.addr)
	c, log := newClient(t, p.Addr(), transport.WithMaxAttempts(1), transport.WithRand(midRand))
	q := linktest.Query(2)
	_, _, err := callWithin(c, q, time.Second)
	require.NoError(t, err)

	src.block()
	defer src.release()
	out := make(chan error, 1)
	go func() {
		_, _, err := callWithin(c, q, 3*time.Second)
		out <- err
	}()
	src.waitEntered(t, time.Second)
	mark := time.Now()
	require.NoError(t, p.SetFault(transporttest.Fault{HalfClose: true}))
	err = <-out
	failed := time.Since(mark)
	require.Error(t, err)
	assert.True(t, errIsConnLoss(err), "got %v", err)
	assert.LessOrEqual(t, failed, hangGuard, "got %v", err)
	// New connections are half-closed too, so the client cannot be Ready.
	waitFor(t, c, hangGuard, "out of Ready", func(s transport.State) bool { return s != transport.Ready })
	lost, ok := log.first(mark, func(sc transport.StateChange) bool { return sc.From == transport.Ready })
	require.True(t, ok)
	assert.LessOrEqual(t, lost.At.Sub(mark), hangGuard)
	t.Logf("half-close: pending call failed after %v (%v)", failed, err)

	src.release()
	require.NoError(t, p.SetFault(transporttest.Fault{}))
	healed := time.Now()
	_, _, err = callWithin(c, q, hangGuard, transport.WaitForReady(true))
	require.NoError(t, err)
	t.Logf("recovered %v after the peer was fixed", time.Since(healed))
}

// T15 (§9): persistent application errors. Pass: a server answering every
// call with Unavailable (temporary: retried) gets at most
// calls·(1+ratio) + minPerSecond·(seconds+1) attempts, the retry budget's
// bound; Internal (not temporary) is never retried; the connection is not
// churned (one dial, no transition); once the server is fixed the success
// rate is above 99 % at once. No circuit breaker exists in the client, so
// the breaker clauses are not tested.
func TestFaultT15ApplicationErrors(t *testing.T) {
	checkLeaks(t)
	src := newSource()
	srv := startServer(t, src)
	const ratio, perSecond = 0.1, 1
	c, log := newClient(t, srv.addr, transport.WithRetryBudget(ratio, perSecond))
	q := linktest.Query(1)
	_, _, err := callWithin(c, q, time.Second)
	require.NoError(t, err)

	src.setFail(freebusy.NewError("", freebusy.ReasonUnavailable, errors.New("backend down")))
	mark := time.Now()
	before := src.calls.Load()
	const calls = 200
	for range calls {
		_, _, err := callWithin(c, q, time.Second)
		require.Error(t, err)
		assert.ErrorIs(t, err, freebusy.ErrUnavailable)
	}
	attempts := src.calls.Load() - before
	elapsed := time.Since(mark)
	limit := int64(float64(calls)*(1+ratio) + perSecond*(elapsed.Seconds()+1) + 1)
	assert.LessOrEqual(t, attempts, limit, "retry amplification within the budget")
	assert.Greater(t, attempts, int64(calls), "temporary errors are retried while the budget allows")
	t.Logf("%d calls to an Unavailable server: %d attempts (%.2fx, limit %d) in %v", calls, attempts, float64(attempts)/calls, limit, elapsed)

	src.setFail(freebusy.NewError("", freebusy.ReasonInternal, errors.New("bug")))
	before = src.calls.Load()
	for range 50 {
		_, _, err := callWithin(c, q, time.Second)
		require.Error(t, err)
		assert.Equal(t, freebusy.ReasonInternal, freebusy.ReasonOf(err))
	}
	assert.Equal(t, int64(50), src.calls.Load()-before, "a non-temporary error is not retried")

	src.setFail(nil)
	ok := 0
	for range 100 {
		if _, _, err := callWithin(c, q, time.Second); err == nil {
			ok++
		}
	}
	assert.GreaterOrEqual(t, ok, 99, "success rate after the fix")
	assert.Empty(t, log.since(mark), "application errors never churn the connection")
	assert.Equal(t, uint64(1), c.Stats().Dials)
}

// T9 (§9): bandwidth squeeze, 20 kB/s each way with replies of about 9 kB.
// Pass: calls with room in their deadline succeed; a call whose deadline
// is shorter than the transfer ends by its deadline (+wallSlack: no twin
// yet, so this bound is still on the wall clock); pings
// still get through, so the connection is not recycled more than once
// (normally not at all); the client neither wedges nor leaks.
func TestFaultT9BandwidthSqueeze(t *testing.T) {
	checkLeaks(t)
	srv := startServer(t, newSource())
	p := newProxy(t, srv.addr)
	// The JSON form, whose size the transfer time below is computed from:
	// the compact form would make the reply half as long.
	c, _ := newClient(t, p.Addr(), transport.WithHeartbeat(200*time.Millisecond, 3*time.Second), transport.WithCompactSchedules(false))
	q := linktest.Query(60)
	want, _, err := callWithin(c, q, time.Second)
	require.NoError(t, err)
	replyBytes, err := json.Marshal(want)
	require.NoError(t, err)

	const rate = 20_000
	require.NoError(t, p.SetFault(transporttest.Fault{BytesPerSecond: rate}))
	transfer := time.Duration(len(replyBytes)) * time.Second / rate
	got, took, err := callWithin(c, q, 5*time.Second)
	require.NoError(t, err)
	assert.Equal(t, want, got)
	assert.GreaterOrEqual(t, took, transfer*8/10, "the squeeze is real")
	t.Logf("reply of %d bytes at %d B/s: %v (transfer alone %v)", len(replyBytes), rate, took, transfer)

	short := transfer / 3
	_, took, err = callWithin(c, q, short)
	require.Error(t, err)
	assert.ErrorIs(t, err, freebusy.ErrTimeout)
	assert.LessOrEqual(t, took, short+wallSlack)

	got, _, err = callWithin(c, q, 5*time.Second) // queued behind the abandoned reply
	require.NoError(t, err)
	assert.Equal(t, want, got)
	assert.LessOrEqual(t, c.Stats().Dials, uint64(2))
	t.Logf("dials after the squeeze: %d", c.Stats().Dials)
}

// §8.3, a deadline on every write, on the in-memory network: a peer that
// answers the handshake and then never reads again. Its buffer fills, the
// client's next write blocks, and it must give up at the write timeout,
// discard the connection and fail the calls written on it, not hang (the
// yamux #142 and Nomad #23305 failure). Heartbeats are off, so only the
// write deadline can save the client. Calls that never got written are
// retried on new attempts (which this peer never answers) and end by
// their own deadline.
func TestFaultStuckPeerWriteTimeout(t *testing.T) {
	checkLeaks(t)
	n := stuckPeer(t, "stuck:7000")

	const writeTimeout = 200 * time.Millisecond
	c, log := newClient(t, "stuck:7000", transport.WithDialer(n), transport.WithHeartbeat(0, 0),
		transport.WithWriteTimeout(writeTimeout), transport.WithMaxAttempts(1))
	q := linktest.Query(100) // about 2.4 kB a request: 40 of them overflow the 64 kB buffer
	start := time.Now()
	errs := make(chan error, 40)
	var calls sync.WaitGroup
	for range 40 {
		calls.Add(1)
		go func() {
			defer calls.Done()
			_, _, err := callWithin(c, q, 5*time.Second)
			errs <- err
		}()
	}
	calls.Wait()
	took := time.Since(start)
	close(errs)
	writeErrs := 0
	for err := range errs {
		require.Error(t, err)
		var ce *transport.CallError
		if errors.As(err, &ce) && ce.Op == "write" {
			writeErrs++
		}
	}
	assert.Positive(t, writeErrs, "a write gave up at its deadline")
	assert.LessOrEqual(t, took, 5*time.Second+wallSlack, "every call ended by its deadline")
	lost, ok := log.first(start, func(sc transport.StateChange) bool { return sc.From == transport.Ready })
	require.True(t, ok, "the stuck connection was discarded")
	assert.ErrorIs(t, lost.Err, os.ErrDeadlineExceeded)
	assert.LessOrEqual(t, lost.At.Sub(start), writeTimeout+wallSlack, "dropped at the write timeout")
	t.Logf("stuck peer: connection dropped after %v with %v; %d calls failed with it, the rest (never written) moved on to new attempts and ended after %v",
		lost.At.Sub(start), lost.Err, writeErrs, took)
}

// §8.10 (fail fast by default; a call issued while Connecting waits for
// the current attempt) with §8.2 (waiters wake on every state change and
// re-check). When an attempt takes longer than the backoff delay, as with
// a silent peer, TransientFailure lasts only microseconds before the next
// Connecting. A fail-fast call waiting on the attempt must still fail when
// that attempt fails, not ride along attempt after attempt until its own
// deadline: Unavailable within the handshake timeout (asserted exactly by
// TestTwinFailFastCallerSeesAttemptFail on the fake clock). Here the call's
// deadline is 2·hangGuard and it must end by hangGuard: riding along would
// take it to its deadline.
func TestFaultFailFastCallerSeesAttemptFail(t *testing.T) {
	checkLeaks(t)
	srv := startServer(t, newSource())
	p := newProxy(t, srv.addr)
	require.NoError(t, p.SetFault(transporttest.Fault{BlackHole: true}))
	const hs = 150 * time.Millisecond
	quick := transport.Backoff{BaseDelay: 50 * time.Millisecond, Multiplier: 1.6, Jitter: 0.2, MaxDelay: 100 * time.Millisecond, MinConnectTimeout: time.Second}
	c, log := newClient(t, p.Addr(), transport.WithHandshakeTimeout(hs), transport.WithBackoff(quick), transport.WithRand(midRand))
	c.Connect()

	// The waiter may or may not be scheduled while TransientFailure lasts:
	// up to five calls, the slowest counts.
	const deadline = 2 * hangGuard
	var worst time.Duration
	var worstErr error
	for range 5 {
		_, took, err := callWithin(c, linktest.Query(1), deadline)
		require.Error(t, err)
		assert.True(t, isUnavailable(err) || errors.Is(err, freebusy.ErrTimeout), "got %v", err)
		if took >= worst {
			worst, worstErr = took, err
		}
		if worst > hangGuard {
			break // one is enough
		}
	}
	t.Logf("slowest of 5 fail-fast calls issued while connecting to a silent peer: %v (%v); %d failed attempts in all",
		worst, worstErr, countTF(log.snapshot()))
	assert.True(t, isUnavailable(worstErr), "fail-fast gives Unavailable, got %v", worstErr)
	assert.LessOrEqual(t, worst, hangGuard, "a fail-fast call waits for the current attempt only")
}

// T10 (§9): NAT idle drop. The connection sits idle (heartbeats flowing),
// then the path silently forgets it (Proxy.DropAll: bytes vanish, nothing
// closes, new connections work), and a call is made at once. Pass: no
// user-visible failure for the idempotent query: it is retried on a fresh
// connection and succeeds (within heartbeat interval + timeout + backoff₀ +
// 150 ms, the reference's pingTimeout + backoff₀ with the ping sent after
// an interval of silence and two monitor ticks: TestTwinT10NATIdleDrop on
// the fake clock; within hangGuard here).
func TestFaultT10NATIdleDrop(t *testing.T) {
	checkLeaks(t)
	const interval, timeout = 200 * time.Millisecond, 300 * time.Millisecond
	srv := startServer(t, newSource())
	p := newProxy(t, srv.addr)
	c, log := newClient(t, p.Addr(), transport.WithHeartbeat(interval, timeout))
	q := linktest.Query(2)
	_, _, err := callWithin(c, q, time.Second)
	require.NoError(t, err)
	time.Sleep(2 * interval) // idle, kept alive by heartbeats
	require.Equal(t, uint64(1), c.Stats().Dials)

	mark := time.Now()
	p.DropAll()
	res, took, err := callWithin(c, q, hangGuard)
	require.NoError(t, err, "the dropped flow costs at most one hidden attempt")
	assert.NoError(t, freebusy.CheckResult(q, res))
	bound := interval + timeout + fastBackoff.BaseDelay + 150*time.Millisecond // on the fake clock
	assert.LessOrEqual(t, took, hangGuard)
	assert.Equal(t, uint64(2), c.Stats().Dials, "one redial")
	lost, ok := log.first(mark, func(sc transport.StateChange) bool { return sc.From == transport.Ready })
	require.True(t, ok)
	assert.ErrorIs(t, lost.Err, transport.ErrHeartbeatTimeout)
	t.Logf("call into a forgotten flow succeeded after %v (bound %v), retries %d", took, bound, c.Stats().Retries)
}

// After a working connection breaks with no call waiting, the client
// spreads its reconnect over one base delay (T11), but a call that comes
// in the meantime must not wait for the spread: it starts the attempt at
// once (§8.10, the eager attempt). Here the spread would be 1.8 s and the
// call's deadline is 1 s (TestTwinCallCutsReconnectSpreadShort asserts
// under 500 ms on the fake clock; the 1 s deadline remains on the wall
// clock, with 0.8 s of margin against the spread).
func TestFaultCallCutsReconnectSpreadShort(t *testing.T) {
	checkLeaks(t)
	srv := startServer(t, newSource())
	p := newProxy(t, srv.addr)
	slow := transport.Backoff{BaseDelay: 2 * time.Second, Multiplier: 1.6, Jitter: 0.2, MaxDelay: 10 * time.Second, MinConnectTimeout: time.Second}
	c, _ := newClient(t, p.Addr(), transport.WithBackoff(slow), transport.WithRand(func() float64 { return 0.9 }))
	q := linktest.Query(1)
	_, _, err := callWithin(c, q, time.Second)
	require.NoError(t, err)

	p.ResetAll() // idle: nothing waiting, so the client spreads its reconnect
	waitFor(t, c, hangGuard, "the break noticed", is(transport.Connecting, transport.TransientFailure))
	_, took, err := callWithin(c, q, time.Second)
	require.NoError(t, err, "the call starts the reconnect instead of waiting out the spread")
	t.Logf("call during the reconnect spread took %v", took)
}

// stuckPeer listens on addr of a new in-memory network, answers one
// client's handshake and then never reads again: writes to it block once
// the buffers fill.
func stuckPeer(t *testing.T, addr string) *transporttest.Network {
	t.Helper()
	n := transporttest.NewNetwork()
	l, err := n.Listen(addr)
	require.NoError(t, err)
	done := make(chan struct{})
	var peer sync.WaitGroup
	peer.Add(1)
	go func() {
		defer peer.Done()
		nc, err := l.Accept()
		if err != nil {
			return
		}
		defer nc.Close()
		br := bufio.NewReader(nc)
		if _, err := br.ReadString('\n'); err != nil {
			return
		}
		_, _ = io.WriteString(nc, `{"jsonrpc":"2.0","id":0,"result":{"version":1,"server":"stuck","maxMessageBytes":1048576}}`+"\n")
		<-done // and never read again
	}()
	t.Cleanup(func() { close(done); _ = l.Close(); peer.Wait() })
	return n
}

// A call's deadline bounds its write too: with a peer that stopped
// reading, calls blocked writing (or waiting for their turn to write) end
// by their own 300 ms deadlines, not at the 10 s write timeout.
func TestFaultWriteHonoursCallDeadline(t *testing.T) {
	checkLeaks(t)
	n := stuckPeer(t, "stuck:7001")
	c, _ := newClient(t, "stuck:7001", transport.WithDialer(n), transport.WithHeartbeat(0, 0),
		transport.WithWriteTimeout(10*time.Second), transport.WithMaxAttempts(1))
	var wg sync.WaitGroup
	var mu sync.Mutex
	var worst time.Duration
	for range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, took, err := callWithin(c, linktest.Query(100), 300*time.Millisecond)
			assert.Error(t, err)
			mu.Lock()
			worst = max(worst, took)
			mu.Unlock()
		}()
	}
	wg.Wait()
	assert.Less(t, worst, 300*time.Millisecond+wallSlack, "every call ends by its deadline, writing or not")
}
