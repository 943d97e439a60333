package transport_test

// Fault tests T12 and T13 of docs/reconnect.md §9: many clients,
// flapping faults, and Close in every phase. Sections (§) in this file are
// those of docs/reconnect.md.

import (
	"context"
	"errors"
	"math/rand/v2"
	"net"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/calbridge/calbridge/internal/linktest"
	"github.com/calbridge/calbridge/transport"
	"github.com/calbridge/calbridge/transport/transporttest"
)

// T11 (§9), the thundering herd, runs on a fake clock: TestHerdSpread in
// link_synctest_test.go. Its histogram measures the reconnect times the
// clients choose (jitter and the spread of idle reconnects); on a real
// clock it measured how a loaded two-core machine schedules 200 goroutines.

// T12 (§9): flapping. A random fault (seeded) toggles every 50–300 ms for
// 3 s under 8 clients calling throughout; then the network heals. Pass:
// afterwards 100 % of the clients succeed within the bound heartbeat
// interval + timeout + handshake timeout + MaxDelay·1.2 + 100 ms; only
// legal transitions (newClient's cleanup); callers waiting for a
// connection never exceed the WithMaxWaiting cap; no goroutine leak.
func TestFaultT12Flapping(t *testing.T) {
	checkLeaks(t)
	const seed = 12
	rng := rand.New(rand.NewPCG(seed, seed))
	srv := startServer(t, newSource())
	p := newProxy(t, srv.addr)
	const clients, maxWaiting = 8, 4
	cs := make([]*transport.Client, clients)
	callers := make([]*caller, clients)
	q := linktest.Query(3)
	for i := range cs {
		cs[i], _ = newClient(t, p.Addr(), transport.WithMaxWaiting(maxWaiting))
		callers[i] = startCaller(cs[i], q, 300*time.Millisecond)
	}
	faults := []transporttest.Fault{
		{Refuse: true},
		{BlackHole: true},
		{Reset: true},
		{CutAfterBytes: 100},
		{Latency: 60 * time.Millisecond},
		{BytesPerSecond: 4000},
		{HalfClose: true},
		{},
	}
	end := time.Now().Add(3 * time.Second)
	toggles, peakWaiting := 0, 0
	for time.Now().Before(end) {
		require.NoError(t, p.SetFault(faults[rng.IntN(len(faults))]))
		if rng.IntN(3) == 0 {
			p.ResetAll()
		}
		toggles++
		time.Sleep(time.Duration(50+rng.IntN(250)) * time.Millisecond)
		for _, c := range cs {
			peakWaiting = max(peakWaiting, c.Stats().Waiting)
		}
	}
	require.NoError(t, p.SetFault(transporttest.Fault{}))
	healed := time.Now()
	for _, cl := range callers {
		cl.halt()
	}

	bound := 300*time.Millisecond + 300*time.Millisecond + time.Duration(float64(fastBackoff.MaxDelay)*1.2) + 100*time.Millisecond
	var wg sync.WaitGroup
	recovered := make([]time.Duration, clients)
	errs := make([]error, clients)
	for i, c := range cs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				_, _, err := callWithin(c, q, 300*time.Millisecond)
				if err == nil {
					recovered[i] = time.Since(healed)
					return
				}
				if time.Since(healed) > 3*bound {
					errs[i] = err
					return
				}
				time.Sleep(10 * time.Millisecond)
			}
		}()
	}
	wg.Wait()
	var ok, failed int64
	for i := range cs {
		require.NoErrorf(t, errs[i], "client %d never recovered", i)
		assert.LessOrEqualf(t, recovered[i], bound, "client %d", i)
		ok += callers[i].ok.Load()
		failed += callers[i].fail.Load()
	}
	assert.LessOrEqual(t, peakWaiting, maxWaiting)
	t.Logf("seed %d: %d fault toggles in 3s; calls during flapping ok=%d failed=%d; after healing all %d clients recovered, slowest %v (bound %v); peak waiting %d",
		seed, toggles, ok, failed, clients, slices.Max(recovered), bound, peakWaiting)
}

// T13 (§9): Close in every phase. Pass, for each phase: Close returns
// within 1 s; every pending call fails with ErrClosed; later calls return
// ErrClosed at once; a second Close does nothing; the state ends Shutdown;
// no goroutine is left (checkLeaks).
func TestFaultT13CloseInEveryPhase(t *testing.T) {
	q := linktest.Query(1)
	// startCalls starts n calls and returns their errors' channel.
	startCalls := func(c *transport.Client, n int, opts ...transport.CallOption) chan error {
		out := make(chan error, n)
		for range n {
			go func() {
				_, _, err := callWithin(c, q, 10*time.Second, opts...)
				out <- err
			}()
		}
		return out
	}
	waitWaiting := func(t *testing.T, c *transport.Client, n int) {
		require.Eventually(t, func() bool { return c.Stats().Waiting >= n }, 2*time.Second, time.Millisecond)
	}
	slowBackoff := transport.Backoff{BaseDelay: 10 * time.Second, Multiplier: 1.6, Jitter: 0.2, MaxDelay: 10 * time.Second, MinConnectTimeout: 20 * time.Second}

	phases := []struct {
		name string
		// enter puts a fresh client into the phase and returns it with the
		// channel of its pending calls (nil for none) and how many there are.
		enter func(t *testing.T) (*transport.Client, chan error, int)
	}{
		{"idle", func(t *testing.T) (*transport.Client, chan error, int) {
			c, _ := newClient(t, freeAddr(t))
			require.Equal(t, transport.Idle, c.State())
			return c, nil, 0
		}},
		{"dial to a black hole", func(t *testing.T) (*transport.Client, chan error, int) {
			hang := transporttest.DialerFunc(func(ctx context.Context, _, _ string) (net.Conn, error) {
				<-ctx.Done() // a SYN that is never answered
				return nil, ctx.Err()
			})
			c, _ := newClient(t, "127.0.0.1:1", transport.WithDialer(hang), transport.WithDialTimeout(time.Minute),
				transport.WithBackoff(slowBackoff))
			pending := startCalls(c, 3)
			waitWaiting(t, c, 3)
			// The calls wait as soon as they kick the owner; it may not have
			// moved to Connecting yet.
			waitFor(t, c, time.Second, "connecting", is(transport.Connecting))
			return c, pending, 3
		}},
		{"handshake with a silent peer", func(t *testing.T) (*transport.Client, chan error, int) {
			p := newProxy(t, freeAddr(t))
			require.NoError(t, p.SetFault(transporttest.Fault{BlackHole: true}))
			c, _ := newClient(t, p.Addr(), transport.WithHandshakeTimeout(time.Minute), transport.WithBackoff(slowBackoff))
			pending := startCalls(c, 3)
			waitWaiting(t, c, 3)
			require.Eventually(t, func() bool { return p.Connections() == 1 }, time.Second, time.Millisecond)
			require.Equal(t, transport.Connecting, c.State())
			return c, pending, 3
		}},
		{"ready and idle", func(t *testing.T) (*transport.Client, chan error, int) {
			srv := startServer(t, newSource())
			c, _ := newClient(t, srv.addr)
			_, _, err := callWithin(c, q, time.Second)
			require.NoError(t, err)
			return c, nil, 0
		}},
		{"calls in flight", func(t *testing.T) (*transport.Client, chan error, int) {
			src := newSource()
			srv := startServer(t, src)
			c, _ := newClient(t, srv.addr)
			_, _, err := callWithin(c, q, time.Second)
			require.NoError(t, err)
			src.block()
			t.Cleanup(src.release)
			pending := startCalls(c, 5)
			for range 5 {
				src.waitEntered(t, time.Second)
			}
			return c, pending, 5
		}},
		{"heartbeat outstanding", func(t *testing.T) (*transport.Client, chan error, int) {
			srv := startServer(t, newSource())
			p := newProxy(t, srv.addr)
			c, _ := newClient(t, p.Addr(), transport.WithHeartbeat(20*time.Millisecond, time.Minute))
			_, _, err := callWithin(c, q, time.Second)
			require.NoError(t, err)
			require.NoError(t, p.SetFault(transporttest.Fault{BlackHole: true}))
			time.Sleep(100 * time.Millisecond) // a ping is now waiting for a reply that never comes
			require.Equal(t, transport.Ready, c.State())
			return c, nil, 0
		}},
		{"backoff", func(t *testing.T) (*transport.Client, chan error, int) {
			c, _ := newClient(t, freeAddr(t), transport.WithBackoff(slowBackoff), transport.WithEagerRetryInterval(time.Minute))
			c.Connect()
			waitFor(t, c, time.Second, "in TransientFailure", is(transport.TransientFailure))
			pending := startCalls(c, 3, transport.WaitForReady(true))
			waitWaiting(t, c, 3)
			return c, pending, 3
		}},
	}
	for _, ph := range phases {
		t.Run(ph.name, func(t *testing.T) {
			checkLeaks(t)
			c, pending, n := ph.enter(t)
			start := time.Now()
			require.NoError(t, c.Close())
			took := time.Since(start)
			assert.LessOrEqual(t, took, time.Second, "Close returns promptly")
			var errs []error
			for i := range n {
				select {
				case err := <-pending:
					errs = append(errs, err)
				case <-time.After(time.Second):
					t.Fatalf("pending call %d still blocked after Close", i)
				}
			}
			for i, err := range errs {
				assert.ErrorIsf(t, err, transport.ErrClosed, "pending call %d", i)
			}
			_, after, err := callWithin(c, q, time.Second)
			assert.ErrorIs(t, err, transport.ErrClosed)
			assert.LessOrEqual(t, after, 10*time.Millisecond, "calls after Close fail at once")
			assert.NoError(t, c.Close(), "a second Close does nothing")
			assert.Equal(t, transport.Shutdown, c.State())
			t.Logf("%s: Close took %v, %d pending calls got ErrClosed", ph.name, took, n)
		})
	}

	t.Run("concurrent Close with calls in flight", func(t *testing.T) {
		checkLeaks(t)
		src := newSource()
		srv := startServer(t, src)
		c, log := newClient(t, srv.addr)
		_, _, err := callWithin(c, q, time.Second)
		require.NoError(t, err)
		src.block()
		defer src.release()
		pending := startCalls(c, 5)
		for range 5 {
			src.waitEntered(t, time.Second)
		}
		var wg sync.WaitGroup
		start := time.Now()
		for range 8 {
			wg.Add(1)
			go func() { defer wg.Done(); assert.NoError(t, c.Close()) }()
		}
		wg.Wait()
		assert.LessOrEqual(t, time.Since(start), time.Second)
		for range 5 {
			assert.ErrorIs(t, <-pending, transport.ErrClosed)
		}
		shutdowns := 0
		for _, sc := range log.snapshot() {
			if sc.To == transport.Shutdown {
				shutdowns++
			}
		}
		assert.Equal(t, 1, shutdowns, "exactly one transition to Shutdown")
	})
}

// isCloseRace recognizes the failure of a bug the fault tests found and
// that is fixed: Close (client.go, Client.Close) cancelled the connection
// attempt before it closed c.closing, so the owner goroutine can see the attempt
// fail with context.Canceled while isClosed() still reports false, enter
// TransientFailure, and hand waiting fail-fast calls Unavailable
// ("dial ...: context canceled") instead of ErrClosed.
func isCloseRace(err error) bool {
	return err != nil && !errors.Is(err, transport.ErrClosed) && isUnavailable(err) && errors.Is(err, context.Canceled)
}

// §9 T13, the dial phase, repeated: Close while a dial hangs must give
// every waiting call ErrClosed. The race above is narrow, so the scenario
// runs 200 times and the failures are counted.
func TestFaultCloseDuringDialGivesErrClosed(t *testing.T) {
	checkLeaks(t)
	q := linktest.Query(1)
	hang := transporttest.DialerFunc(func(ctx context.Context, _, _ string) (net.Conn, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	})
	const rounds, callers = 200, 3
	raced, other := 0, []error{}
	for range rounds {
		c, err := transport.NewClient([]string{"127.0.0.1:1"}, transport.WithDialer(hang), transport.WithDialTimeout(time.Minute))
		require.NoError(t, err)
		errs := make(chan error, callers)
		for range callers {
			go func() {
				_, _, err := callWithin(c, q, 10*time.Second)
				errs <- err
			}()
		}
		require.Eventually(t, func() bool { return c.Stats().Waiting == callers }, 2*time.Second, time.Millisecond)
		require.NoError(t, c.Close())
		hit := false
		for range callers {
			err := <-errs
			switch {
			case errors.Is(err, transport.ErrClosed):
			case isCloseRace(err):
				hit = true
			default:
				other = append(other, err)
			}
		}
		if hit {
			raced++
		}
	}
	assert.Empty(t, other, "unexpected errors from calls pending at Close")
	t.Logf("Close during a hanging dial: %d of %d rounds gave a waiting call Unavailable(context canceled) instead of ErrClosed", raced, rounds)
	assert.Zero(t, raced, "every call waiting at Close gets ErrClosed")
}
