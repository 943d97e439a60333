package transport

// Guards: each test pins one protection of the link on a fake clock
// (testing/synctest), so that removing the protection fails the test in
// well under a second of real time instead of hanging the suite. The
// dialers that block carry a release channel closed at cleanup, so even a
// mutation that ignores every context cannot hang the test binary.

import (
	"context"
	"errors"
	"fmt"
	"net"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/calbridge/calbridge/freebusy"
)

// The backoff is reset once the server has answered the handshake: after a
// long outage has grown it to minutes, a connection that works and then
// breaks is retried on gRPC's first step (1 s), not the grown one.
func TestGuardBackoffResetsAfterHandshake(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newFakeProc(t)
		p.kill()
		c := procClient(t, p, withRand(func() float64 { return 0.5 }))
		c.Connect()
		time.Sleep(10 * time.Minute) // the backoff grows to its 120 s cap
		p.start()
		c.Connect()
		synctest.Wait()
		require.Equal(t, Ready, c.State())

		p.kill()
		lost := time.Now()
		time.Sleep(5 * time.Second)
		var after []time.Time
		for _, d := range p.dialTimes() {
			if !d.Before(lost) {
				after = append(after, d)
			}
		}
		// The reconnect within one base delay, then 1 s and 1.6 s.
		assert.GreaterOrEqual(t, len(after), 3, "attempts within 5 s of losing a working connection: %v", after)
	})
}

// A server that accepts, answers hello and drops at once must not make a
// busy client spin: immediate reconnects are limited to one per base delay
// and the rest is paced by the backoff and the eager-attempt bucket.
func TestGuardImmediateReconnectLimited(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newFakeProc(t)
		p.dropAfterHello = true
		p.maxDials = 500 // a spinning client hits this at once
		c := procClient(t, p)
		stop := make(chan struct{})
		done := make(chan struct{})
		go func() {
			defer close(done)
			for {
				select {
				case <-stop:
					return
				default:
				}
				ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
				_, _ = c.Call(ctx, testQuery(1))
				cancel()
				time.Sleep(10 * time.Millisecond)
			}
		}()
		time.Sleep(10 * time.Second)
		close(stop)
		<-done
		n := p.dialCount()
		t.Logf("10 s against a server that drops after hello: %d dials", n)
		assert.LessOrEqual(t, n, 40, "at most a few dials a second")
	})
}

// The dial is bounded by the dial timeout and interrupted by Close.
func TestGuardDialHonoursContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		d := dialerFunc(func(ctx context.Context, network, addr string) (net.Conn, error) {
			select { // a SYN never answered
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-release:
				return nil, errors.New("released by the test")
			}
		})
		c, err := NewClient([]string{"127.0.0.1:1"}, WithDialer(d), WithDialTimeout(3*time.Second))
		require.NoError(t, err)
		defer func() { close(release); _ = c.Close() }()
		c.Connect()
		time.Sleep(3*time.Second + time.Millisecond)
		synctest.Wait()
		assert.Equal(t, uint64(1), c.Stats().DialFailures, "the dial ended at its timeout")
		assert.ErrorIs(t, c.Stats().LastError, context.DeadlineExceeded)

		c.Connect() // a new dial, then Close during it
		synctest.Wait()
		closed := make(chan struct{})
		go func() { _ = c.Close(); close(closed) }()
		select {
		case <-closed:
		case <-time.After(time.Second):
			t.Error("Close did not interrupt the dial")
		}
	})
}

// The handshake is bounded by the handshake timeout and interrupted by
// Close: a peer that accepts and never answers.
func TestGuardHandshakeHonoursContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newFakeProc(t)
		p.freeze() // accepted by the backlog, never read
		c := procClient(t, p, WithHandshakeTimeout(2*time.Second))
		c.Connect()
		time.Sleep(2*time.Second + time.Millisecond)
		synctest.Wait()
		assert.Equal(t, uint64(1), c.Stats().DialFailures, "the handshake ended at its timeout")
		var ce *CallError
		if assert.ErrorAs(t, c.Stats().LastError, &ce) {
			assert.Equal(t, "handshake", ce.Op)
		}

		c.Connect()
		synctest.Wait()
		closed := make(chan struct{})
		go func() { _ = c.Close(); close(closed) }()
		select {
		case <-closed:
		case <-time.After(time.Second):
			t.Error("Close did not interrupt the handshake")
			p.kill() // let the mutated client go
		}
	})
}

// Calls pending on a connection that dies fail at once, with the
// connection's error, whatever their own deadline.
func TestGuardPendingCallsFailWithConnection(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newFakeProc(t)
		p.silentCalls = true
		c := procClient(t, p, WithMaxAttempts(1))
		c.Connect()
		synctest.Wait()
		require.Equal(t, Ready, c.State())
		errs := make(chan error, 5)
		for range 5 {
			go func() {
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer cancel()
				_, err := c.Call(ctx, testQuery(1))
				errs <- err
			}()
		}
		time.Sleep(100 * time.Millisecond)
		synctest.Wait()
		p.kill()
		killed := time.Now()
		for range 5 {
			err := <-errs
			var ce *CallError
			require.ErrorAs(t, err, &ce)
			assert.NotErrorIs(t, err, context.DeadlineExceeded)
		}
		assert.Zero(t, time.Since(killed), "the calls failed when their connection did")
	})
}

// The retry budget bounds retries of temporary server errors: 200 calls to
// a server answering Unavailable make at most calls·(1+ratio) + floor·(s+1)
// attempts.
func TestGuardRetryBudget(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newFakeProc(t)
		p.callError = fmt.Sprintf(`{"code":%d,"message":"backend down","data":{"reason":"unavailable"}}`, CodeUnavailable)
		c := procClient(t, p, WithRetryBudget(0.1, 1))
		start := time.Now()
		const calls = 200
		for range calls {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			_, err := c.Call(ctx, testQuery(1))
			cancel()
			require.ErrorIs(t, err, freebusy.ErrUnavailable)
		}
		limit := int(calls*1.1 + time.Since(start).Seconds() + 1 + 1)
		t.Logf("%d calls: %d attempts in %v (limit %d)", calls, p.calls(), time.Since(start), limit)
		assert.LessOrEqual(t, p.calls(), limit)
		assert.Greater(t, p.calls(), calls, "temporary errors are retried while the budget allows")
	})
}

// Every call ends by its timeout: a server's retryAfterMs hint of 5 s does
// not hold a call made with WithCallTimeout(1s) and no context deadline.
func TestRetryAfterCappedByCallTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newFakeProc(t)
		p.callError = fmt.Sprintf(`{"code":%d,"message":"slow down","data":{"reason":"throttled","retryAfterMs":5000}}`, CodeThrottled)
		c := procClient(t, p, WithCallTimeout(time.Second))
		d, err := timedCall(c, context.Background(), testQuery(1))
		require.Error(t, err)
		assert.ErrorIs(t, err, freebusy.ErrThrottled)
		assert.LessOrEqual(t, d, time.Second)
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		d, err = timedCall(c, ctx, testQuery(1))
		require.Error(t, err)
		assert.LessOrEqual(t, d, 2*time.Second, "nor one with a context deadline")
	})
}
