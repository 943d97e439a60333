package cache

import (
	"context"
	"testing"
	"time"

	"github.com/calbridge/calbridge/freebusy"
)

// benchQuery asks about 100 attendees over 7 days.
func benchQuery() freebusy.Query {
	start := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	return freebusy.Query{Attendees: names(100), Start: start, End: start.Add(7 * 24 * time.Hour)}
}

// BenchmarkCacheHit100 answers 100 attendees x 7 days from a warm cache.
func BenchmarkCacheHit100(b *testing.B) {
	c, err := New(&backend{})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	q := benchQuery()
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
	if st := c.Stats(); st.BackendCalls != 1 {
		b.Fatalf("%d backend calls", st.BackendCalls)
	}
}

// BenchmarkCacheMiss100 answers 100 attendees x 7 days from a cold cache:
// the backend call (an in-memory Source), splitting into day entries and
// assembly.
func BenchmarkCacheMiss100(b *testing.B) {
	c, err := New(&backend{})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	q := benchQuery()
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if err := c.InvalidateAll(ctx); err != nil {
			b.Fatal(err)
		}
		if _, err := c.FreeBusy(ctx, q); err != nil {
			b.Fatal(err)
		}
	}
}
