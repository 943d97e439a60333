package transport

import (
	"context"
	"errors"
	"net"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestClientBackoffScheduleOnTheWire drives the real owner goroutine, on a
// fake clock (testing/synctest),
// against a dialer that refuses every attempt and checks the gaps between
// attempt starts against the schedule, as the gRPC reconnect interop test
// does (docs/reconnect.md §1, §9 T3), with the jitter pinned by withRand:
// gap i must lie in [e_i·(1±jitter at that rand)] + scheduling slack.
func TestClientBackoffScheduleOnTheWire(t *testing.T) {
	for _, tc := range []struct {
		name   string
		rnd    float64
		factor float64
	}{{"middle", 0.5, 1}, {"low end", 0, 0.8}, {"high end", 0.999999, 1.2}} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) { // a fake clock: the gaps are the code's
				var mu sync.Mutex
				var starts []time.Time
				refuse := dialerFunc(func(ctx context.Context, network, addr string) (net.Conn, error) {
					mu.Lock()
					starts = append(starts, time.Now())
					mu.Unlock()
					return nil, errors.New("connection refused")
				})
				b := Backoff{BaseDelay: 40 * time.Millisecond, Multiplier: 2, Jitter: 0.2, MaxDelay: 200 * time.Millisecond, MinConnectTimeout: time.Second}
				c, err := NewClient([]string{"127.0.0.1:1"}, WithDialer(refuse), WithBackoff(b), withRand(func() float64 { return tc.rnd }))
				require.NoError(t, err)
				c.Connect()
				require.Eventually(t, func() bool { mu.Lock(); defer mu.Unlock(); return len(starts) >= 7 }, 5*time.Second, 5*time.Millisecond)
				synctest.Wait() // the attempt in progress ends (refused) before Close
				require.NoError(t, c.Close())

				mu.Lock()
				defer mu.Unlock()
				expected := []time.Duration{40, 80, 160, 200, 200, 200}
				for i, e := range expected {
					gap := starts[i+1].Sub(starts[i])
					want := time.Duration(float64(e*time.Millisecond) * tc.factor)
					assert.GreaterOrEqualf(t, gap, want-5*time.Millisecond, "gap %d", i)
					assert.LessOrEqualf(t, gap, want+200*time.Millisecond, "gap %d (slack for a loaded machine)", i)
				}
				st := c.Stats()
				assert.Equal(t, uint64(len(starts)), st.Dials)
				assert.Equal(t, st.Dials, st.DialFailures)
			})
		})
	}
}

// TestBackoffResetOnlyAfterHandshake: attempts that reach TCP but fail the
// handshake keep growing the backoff (docs/reconnect.md §1 "Reset Backoff";
// grpc-go TestBackoffWhenNoServerPrefaceReceived): the gaps increase.
func TestBackoffResetOnlyAfterHandshake(t *testing.T) {
	var mu sync.Mutex
	var accepts []time.Time
	addr := fakeServer(t, func(nc net.Conn) {
		mu.Lock()
		accepts = append(accepts, time.Now())
		mu.Unlock()
		_ = nc.Close() // accept, then drop before the hello reply
	})
	b := Backoff{BaseDelay: 30 * time.Millisecond, Multiplier: 2, Jitter: 0, MaxDelay: time.Second, MinConnectTimeout: time.Second}
	c := newTestClient(t, []string{addr}, WithBackoff(b))
	c.Connect()
	require.Eventually(t, func() bool { mu.Lock(); defer mu.Unlock(); return len(accepts) >= 4 }, 5*time.Second, 5*time.Millisecond)
	require.NoError(t, c.Close())
	mu.Lock()
	defer mu.Unlock()
	// Only lower bounds: the client sleeps at least its backoff, so a gap
	// below it is the code's doing, while a loaded machine can only make
	// gaps longer. Gap k follows the k-th failed handshake: 30 ms * 2^k
	// (jitter 0). A backoff reset by the TCP connect would keep every gap
	// near 30 ms.
	for k := 1; k+1 < len(accepts); k++ {
		want := b.BaseDelay << k
		assert.GreaterOrEqualf(t, accepts[k+1].Sub(accepts[k]), want-5*time.Millisecond, "gap %d grows with the failed handshakes", k)
	}
}
