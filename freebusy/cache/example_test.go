package cache_test

import (
	"context"
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
