package transport

// The link's timing properties on a fake clock (testing/synctest): every
// duration below is what the client's code controls, never what a loaded
// scheduler adds. Scenario numbers (T…) are those of docs/reconnect.md §9.

import (
	"context"
	"errors"
	"math/rand/v2"
	"net"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// quantile returns the q-quantile of ds (nearest rank).
func quantile(ds []time.Duration, q float64) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[int(q*float64(len(s)-1)+0.5)]
}

// T20: a frozen peer (SIGSTOP: the kernel still accepts connections and
// buffers bytes, the process reads and answers nothing) for 20 s, with the
// default options and calls without a deadline (so the 30 s call timeout
// applies). Pass: every call made during the freeze returns in under 5 s;
// after the thaw calls succeed again.
func TestFrozenPeerReleasesCalls(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := newFakeProc(t)
		c := procClient(t, p)
		q := testQuery(2)
		_, err := c.Call(context.Background(), q)
		require.NoError(t, err)
		time.Sleep(3 * time.Second) // idle for a while: heartbeats only

		const freeze = 20 * time.Second
		p.freeze()
		frozenAt := time.Now()
		var mu sync.Mutex
		var took []time.Duration
		var worst time.Duration
		var wg sync.WaitGroup
		// Four callers with different rhythms cover every phase: the
		// Ready connection, its detection, the reconnects into the frozen
		// listen queue and the backoff between them.
		for i, every := range []time.Duration{0, 170 * time.Millisecond, 900 * time.Millisecond, 2300 * time.Millisecond} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				time.Sleep(time.Duration(i) * 10 * time.Millisecond)
				for time.Since(frozenAt) < freeze {
					d, _ := timedCall(c, context.Background(), q) // may succeed once the thaw comes
					mu.Lock()
					took = append(took, d)
					worst = max(worst, d)
					mu.Unlock()
					time.Sleep(every + time.Millisecond)
				}
			}()
		}
		time.Sleep(freeze)
		p.unfreeze()
		wg.Wait()
		thawed := time.Now()
		d, err := timedCall(c, context.Background(), q)
		require.NoError(t, err, "the client recovers after the thaw")
		t.Logf("20s freeze: %d calls, p50 %v, p99 %v, worst %v; first call after the thaw (%v after it) took %v; %d dials",
			len(took), quantile(took, 0.5), quantile(took, 0.99), worst, time.Since(thawed)-d, d, p.dialCount())
		assert.Less(t, worst, 5*time.Second, "every call made during the freeze returns in under 5 s")
	})
}

// Item: an idle client's first call after the server is back succeeds,
// even when a failed attempt happened less than a second before it. 60
// random outages of 0.5–8 s with the client idle, each followed by one call
// 100–600 ms after the restart; the client is left idle and connected for
// 1–3 s between outages. Pass: all 60 calls succeed.
func TestIdleFirstCallAfterReturn(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(3, 11))
		p := newFakeProc(t)
		c := procClient(t, p, withRand(seededRand(rng.Uint64(), 1)))
		q := testQuery(1)
		_, err := c.Call(context.Background(), q)
		require.NoError(t, err)
		failed, recent := 0, 0
		for i := range 60 {
			p.kill()
			time.Sleep(time.Duration(500+rng.IntN(7500)) * time.Millisecond)
			p.start()
			time.Sleep(time.Duration(100+rng.IntN(500)) * time.Millisecond)
			if st := c.Stats(); st.State == TransientFailure {
				recent++
			}
			if _, err := c.Call(context.Background(), q); err != nil {
				failed++
				t.Logf("outage %d: first call after the return failed: %v", i, err)
			}
			time.Sleep(time.Duration(1000+rng.IntN(2000)) * time.Millisecond)
		}
		t.Logf("60 outages: %d first calls failed; %d found the client in TransientFailure", failed, recent)
		assert.Zero(t, failed, "the first call after a return succeeds")
	})
}

// Item: recovery of a busy client does not depend on the outage's length,
// and a dead server sees about one dial a second. 40 random outages of
// 0.5–30 s under a caller calling every 20 ms. Pass: restart-to-first-
// success p99 ≤ 1.1 s; dials while down ≤ 1 per second plus 4 per outage
// (the reconnect at the loss and the first eager burst).
func TestBusyRecoveryP99(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rng := rand.New(rand.NewPCG(4, 12))
		p := newFakeProc(t)
		c := procClient(t, p, withRand(seededRand(rng.Uint64(), 1)))
		q := testQuery(1)
		var mu sync.Mutex
		var okAt []time.Time
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
				ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
				_, err := c.Call(ctx, q)
				cancel()
				if err == nil {
					mu.Lock()
					okAt = append(okAt, time.Now())
					mu.Unlock()
				}
				time.Sleep(20 * time.Millisecond)
			}
		}()
		time.Sleep(time.Second)
		var recoveries []time.Duration
		var down time.Duration
		dialsDown := 0
		const outages = 40
		for range outages {
			p.kill()
			before := p.dialCount()
			d := time.Duration(500+rng.IntN(29500)) * time.Millisecond
			time.Sleep(d)
			down += d
			dialsDown += p.dialCount() - before
			p.start()
			up := time.Now()
			time.Sleep(3 * time.Second)
			mu.Lock()
			i, _ := slices.BinarySearchFunc(okAt, up, func(a, b time.Time) int { return a.Compare(b) })
			require.Less(t, i, len(okAt), "no success after the restart")
			recoveries = append(recoveries, okAt[i].Sub(up))
			mu.Unlock()
		}
		close(stop)
		<-done
		p50, p99 := quantile(recoveries, 0.5), quantile(recoveries, 0.99)
		rate := float64(dialsDown) / down.Seconds()
		t.Logf("%d outages (%v down in all): recovery p50 %v, p99 %v, worst %v; %d dials while down (%.2f/s)",
			outages, down, p50, p99, slices.Max(recoveries), dialsDown, rate)
		assert.LessOrEqual(t, p99, 1100*time.Millisecond, "recovery p99")
		assert.LessOrEqual(t, dialsDown, int(down.Seconds())+4*outages, "about one dial a second while down")
	})
}

// T11 (§9): thundering herd, on a fake clock so that the histogram holds
// what the client decides (its jitter and its spread of idle reconnects),
// not how a loaded machine schedules 200 goroutines. 200 clients of one
// real Server, which is stopped and restarted at once or after 2 s. Pass:
// no bucket of BaseDelay/10 (100 ms at gRPC's 1 s base) holds more than
// 15 % of the reconnects, all clients are back within MaxDelay·1.2 + 1 s,
// and none gave up.
func TestHerdSpread(t *testing.T) {
	herdBackoff := Backoff{BaseDelay: 200 * time.Millisecond, Multiplier: 1.6, Jitter: 0.2, MaxDelay: 2 * time.Second, MinConnectTimeout: time.Second}
	for _, outage := range []time.Duration{0, 2 * time.Second} {
		t.Run(outage.String(), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				const clients = 200
				var mu sync.Mutex
				var srv *Server
				d := dialerFunc(func(ctx context.Context, network, addr string) (net.Conn, error) {
					mu.Lock()
					s := srv
					mu.Unlock()
					if s == nil {
						return nil, errors.New("connection refused")
					}
					client, server := net.Pipe()
					s.track(server)
					return client, nil
				})
				srv = newServer(t, staticSource)
				readyAt := make([][]time.Time, clients)
				cs := make([]*Client, clients)
				for i := range cs {
					var err error
					cs[i], err = NewClient([]string{"herd:1"}, WithDialer(d), WithBackoff(herdBackoff),
						WithHeartbeat(time.Second, time.Second), withRand(seededRand(uint64(i), 7)),
						WithStateCallback(func(sc StateChange) {
							if sc.To == Ready {
								mu.Lock()
								readyAt[i] = append(readyAt[i], sc.At)
								mu.Unlock()
							}
						}))
					require.NoError(t, err)
					defer cs[i].Close()
					cs[i].Connect()
				}
				synctest.Wait()
				for _, c := range cs {
					require.Equal(t, Ready, c.State())
				}
				mu.Lock()
				old := srv
				srv = nil
				mu.Unlock()
				require.NoError(t, old.Close())
				down := time.Now()
				time.Sleep(outage)
				mu.Lock()
				srv = newServer(t, staticSource)
				mu.Unlock()
				defer srv.Close()
				bound := time.Duration(float64(herdBackoff.MaxDelay)*1.2) + time.Second
				time.Sleep(bound)
				bucket := herdBackoff.BaseDelay / 10
				hist := map[time.Duration]int{}
				mu.Lock()
				for i, c := range cs {
					require.Equalf(t, Ready, c.State(), "client %d back within %v", i, bound)
					require.Len(t, readyAt[i], 2)
					hist[readyAt[i][1].Sub(down)/bucket]++
				}
				mu.Unlock()
				peak := 0
				for _, n := range hist {
					peak = max(peak, n)
				}
				share := float64(peak) / clients
				t.Logf("outage %v: largest %v bucket holds %d of %d reconnects (%.1f%%), %d buckets", outage, bucket, peak, clients, 100*share, len(hist))
				assert.LessOrEqual(t, share, 0.15, "largest bucket share")
				for i, c := range cs {
					_, err := c.Call(context.Background(), testQuery(1))
					require.NoErrorf(t, err, "client %d gave up", i)
				}
			})
		})
	}
}
