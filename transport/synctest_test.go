package transport

import (
	"context"
	"errors"
	"net"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/calbridge/calbridge/freebusy"
)

// TestLongOutageSchedule runs a ten-minute outage in a synctest bubble
// (fake clock) with the default backoff and the jitter pinned to its
// middle: the attempts follow gRPC's schedule exactly, 1 s ×1.6 capped at
// 120 s, and the client never stops trying (docs/reconnect.md §1, §9 T3).
// A fail-fast call during the outage returns at once, and with the eager
// interval a call after the server is back connects at once.
func TestLongOutageSchedule(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var starts []time.Time
		var srv *Server // nil while the server is down
		d := dialerFunc(func(ctx context.Context, network, addr string) (net.Conn, error) {
			starts = append(starts, time.Now())
			if srv == nil {
				return nil, errors.New("connection refused")
			}
			client, server := net.Pipe()
			srv.track(server)
			return client, nil
		})
		c, err := NewClient([]string{"127.0.0.1:1"}, WithDialer(d), withRand(func() float64 { return 0.5 }))
		require.NoError(t, err)
		defer c.Close()
		c.Connect()
		time.Sleep(10 * time.Minute)
		synctest.Wait()

		want := []float64{1000, 1600, 2560, 4096, 6553.6, 10485.76, 16777.216, 26843.5456, 42949.67296, 68719.476736, 109951.1627776, 120000, 120000}
		require.GreaterOrEqual(t, len(starts), len(want)+1)
		for i, ms := range want {
			gap := starts[i+1].Sub(starts[i])
			assert.InDeltaf(t, ms*float64(time.Millisecond), float64(gap), float64(time.Millisecond), "gap %d", i)
		}
		assert.Equal(t, TransientFailure, c.State(), "still trying: no terminal state")
		assert.Equal(t, uint64(len(starts)), c.Stats().Dials)

		n := len(starts)
		start := time.Now()
		_, err = c.FreeBusy(context.Background(), testQuery(1))
		assert.ErrorIs(t, err, freebusy.ErrUnavailable)
		assert.Equal(t, n+1, len(starts), "the call made one eager attempt, the backoff notwithstanding")
		assert.Zero(t, time.Since(start), "and failed without waiting")
		_, err = c.FreeBusy(context.Background(), testQuery(1))
		assert.ErrorIs(t, err, freebusy.ErrUnavailable)
		assert.Equal(t, n+1, len(starts), "at most one eager attempt per interval")

		srv = newServer(t, staticSource)
		defer srv.Close()
		time.Sleep(DefaultEagerRetryInterval)
		start = time.Now()
		got, err := c.FreeBusy(context.Background(), testQuery(2))
		require.NoError(t, err, "the server is back: the next eligible call connects at once")
		assert.Len(t, got, 2)
		assert.Zero(t, time.Since(start))
		assert.Equal(t, Ready, c.State())
	})
}

// TestHeartbeatDefaultsDetectHalfOpenPeer: with the default heartbeat (10 s
// interval, 10 s timeout) a peer that answered the handshake and then went
// silent is declared dead within interval + timeout + one monitor tick, on a
// fake clock (docs/reconnect.md §9 T4: pingTime + pingTimeout + ε).
func TestHeartbeatDefaultsDetectHalfOpenPeer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := dialerFunc(func(ctx context.Context, network, addr string) (net.Conn, error) {
			client, server := net.Pipe()
			go helloThenSilence(server)
			return client, nil
		})
		var lost time.Time
		c, err := NewClient([]string{"127.0.0.1:1"}, WithDialer(d), WithStateCallback(func(sc StateChange) {
			if sc.From == Ready && lost.IsZero() {
				lost = sc.At
			}
		}))
		require.NoError(t, err)
		defer c.Close()
		c.Connect()
		synctest.Wait()
		require.Equal(t, Ready, c.State())
		ready := time.Now()
		time.Sleep(time.Minute)
		synctest.Wait()
		require.False(t, lost.IsZero(), "the silent peer was never detected")
		took := lost.Sub(ready)
		assert.GreaterOrEqual(t, took, DefaultHeartbeatInterval+DefaultHeartbeatTimeout)
		assert.LessOrEqual(t, took, DefaultHeartbeatInterval+DefaultHeartbeatTimeout+2*time.Second)
		assert.ErrorIs(t, c.Stats().LastError, ErrHeartbeatTimeout)
	})
}
