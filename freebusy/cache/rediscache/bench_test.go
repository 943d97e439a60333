package rediscache

import (
	"context"
	"testing"
	"time"

	"github.com/calbridge/calbridge/freebusy"
	"github.com/calbridge/calbridge/freebusy/cache"
	"github.com/calbridge/calbridge/internal/redistest"
)

// BenchmarkRedisCacheHit100 answers 100 attendees x 7 days (8 UTC days of
// entries) from Redis alone: a Source whose only tier is Redis, so that
// every query reads its 800 entries with one MGET and decodes them, as an
// instance with a cold in-process tier does. Compare with
// freebusy/cache's BenchmarkCacheHit100 (in-process tier) and
// BenchmarkCacheMiss100 (backend).
func BenchmarkRedisCacheHit100(b *testing.B) {
	srv := redistest.Start(b, redistest.Options{})
	st := open(b, srv.URL())
	be := &backend{}
	c, err := cache.New(be, cache.WithStore(st))
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	start := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	q := freebusy.Query{Attendees: names(100), Start: start, End: start.Add(7 * 24 * time.Hour)}
	ctx := context.Background()
	if _, err := c.FreeBusy(ctx, q); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.FreeBusy(ctx, q); err != nil {
			b.Fatal(err)
		}
	}
	if n := be.numCalls(); n != 1 {
		b.Fatalf("%d backend calls", n)
	}
	if st.Counters().Errors != 0 {
		b.Fatalf("Redis errors: %+v", st.Counters())
	}
}
