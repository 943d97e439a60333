package main

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/zap"

	"github.com/calbridge/calbridge/freebusy"
)

// BenchmarkGatewayNotesToExchange100 asks the Notes half's front door (the
// Source behind DAS) for 100 Exchange users over 7 days: directory, router,
// a cold cache, RPC over loopback to the Exchange half, and there the EWS
// client and a stand-in EWS server (ews.Handler) on loopback.
func BenchmarkGatewayNotesToExchange100(b *testing.B) { benchGateway(b, false) }

// BenchmarkGatewayNotesToExchange100Warm is the same query answered by the
// Notes half's warm cache.
func BenchmarkGatewayNotesToExchange100Warm(b *testing.B) { benchGateway(b, true) }

func benchGateway(b *testing.B, warm bool) {
	users := loadTestUsers(100)
	cfg := Config{Exchange: BackendConfig{LoadTestUsers: len(users)}}
	g, err := start(options{
		role: roleBoth, httpFlag: "127.0.0.1:0", rpcFlag: "127.0.0.1:0", cfg: cfg,
		now: func() time.Time { return testNow }, log: zap.NewNop(),
	})
	require.NoError(b, err)
	defer func() { require.NoError(b, g.close(context.Background())) }()
	notesHalf, exchangeHalf := g.halves[0], g.halves[1]
	require.Equal(b, sideNotes, notesHalf.side)
	ctx := context.Background()
	q := freebusy.Query{Attendees: users, Start: day(0), End: day(7)}
	out, err := notesHalf.front.FreeBusy(ctx, q)
	require.NoError(b, err)
	for _, s := range out {
		require.Nil(b, s.Err, s.Attendee)
		require.NotEmpty(b, s.Intervals, s.Attendee)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if !warm {
			b.StopTimer()
			require.NoError(b, notesHalf.remoteCache.InvalidateAll(ctx))
			require.NoError(b, exchangeHalf.localCache.InvalidateAll(ctx))
			b.StartTimer()
		}
		if _, err := notesHalf.front.FreeBusy(ctx, q); err != nil {
			b.Fatal(err)
		}
	}
}
