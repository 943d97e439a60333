package cache_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/calbridge/calbridge/freebusy"
	"github.com/calbridge/calbridge/freebusy/cache"
)

func Example() {
	calls := 0
	backend := freebusy.SourceFunc(func(_ context.Context, q freebusy.Query) ([]freebusy.Schedule, error) {
		calls++
		out := make([]freebusy.Schedule, len(q.Attendees))
		for i, a := range q.Attendees {
			out[i] = freebusy.Schedule{Attendee: a, Start: q.Start, End: q.End, Intervals: []freebusy.Interval{
				{Start: q.Start.Add(9 * time.Hour), End: q.Start.Add(10 * time.Hour), Status: freebusy.Busy},
			}}
		}
		return out, nil
	})
	c, err := cache.New(backend, cache.WithTTL(15*time.Minute))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()

	day := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	ctx := context.Background()
	// The whole day is fetched once; the morning is then answered from it.
	_, _ = c.FreeBusy(ctx, freebusy.Query{Attendees: []string{"ada@example.com"}, Start: day, End: day.Add(24 * time.Hour)})
	got, err := c.FreeBusy(ctx, freebusy.Query{Attendees: []string{"ADA@example.com"}, Start: day.Add(8 * time.Hour), End: day.Add(12 * time.Hour)})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("backend calls:", calls)
	fmt.Println(got[0].Attendee, got[0].Intervals[0], "stale:", got[0].Stale)
	st := c.Stats()
	fmt.Println("hits:", st.Hits, "misses:", st.Misses)
	// Output:
	// backend calls: 1
	// ADA@example.com 2026-03-02T09:00:00Z/2026-03-02T10:00:00Z busy stale: false
	// hits: 1 misses: 1
}

// A shared tier stores entries in their binary encoding: AppendEntry
// writes it, DecodeEntry reads it back, and refuses what it cannot read
// with an error a tier treats as a miss.
func ExampleAppendEntry() {
	day := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	e := cache.Entry{
		Intervals: []freebusy.Interval{{Start: day.Add(9 * time.Hour), End: day.Add(10 * time.Hour), Status: freebusy.Busy}},
		AsOf:      day.Add(8 * time.Hour),
		Stored:    day.Add(8*time.Hour + time.Second),
	}
	b := cache.AppendEntry(nil, e)
	fmt.Println("version:", b[0], "bytes:", len(b))

	back, err := cache.DecodeEntry(b)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(back.Intervals[0], back.Stored.Format(time.RFC3339))

	_, err = cache.DecodeEntry(append([]byte{9}, b[1:]...))
	fmt.Println(err)
	fmt.Println(errors.Is(err, cache.ErrBadEntry))
	// Output:
	// version: 1 bytes: 20
	// 2026-03-02T09:00:00Z/2026-03-02T10:00:00Z busy 2026-03-02T08:00:01Z
	// cache: entry encoding version 9 (this build reads version 1)
	// true
}

// sharedTier stands in for a shared tier (a rediscache.Store in a
// gateway); a tier's Name labels its figures.
type sharedTier struct{ *cache.Memory }

func (sharedTier) Name() string { return "shared" }

// Two tiers: what the shared back tier holds, the in-process front tier
// copies on first use.
func ExampleNewTiered() {
	front, _ := cache.NewMemory(1 << 20)
	defer front.Close()
	back, _ := cache.NewMemory(1 << 20)
	defer back.Close()
	tiers, err := cache.NewTiered(front, sharedTier{back}, cache.DefaultFrontKeep)
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx := context.Background()
	key := cache.Key{Attendee: "ada@example.com", Day: 20514}
	_ = back.Set(ctx, []cache.Item{{Key: key, Entry: cache.Entry{Stored: time.Now()}, Keep: time.Hour}})
	found := make([]bool, 1)
	for range 2 {
		_ = tiers.Get(ctx, []cache.Key{key}, make([]cache.Entry, 1), found)
	}
	for _, t := range tiers.Tiers() {
		fmt.Printf("%s: hits %d, misses %d\n", t.Name, t.Hits, t.Misses)
	}
	// Output:
	// memory: hits 1, misses 1
	// shared: hits 1, misses 0
}
