package rediscache_test

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/calbridge/calbridge/freebusy"
	"github.com/calbridge/calbridge/freebusy/cache"
	"github.com/calbridge/calbridge/freebusy/cache/rediscache"
)

// A gateway instance puts the shared Redis tier behind its in-process tier
// and gives both to the cache in front of its backend. Every instance
// opening the same Redis shares entries, and makes one backend call per
// attendee and day with the others. The password comes from the
// environment rather than the configured URL.
func Example() {
	var backend freebusy.Source // the EWS, Graph or DAS client, or the RPC link

	shared, err := rediscache.Open("rediss://gateway@redis.example.com:6380/0",
		rediscache.WithPassword(os.Getenv("CALBRIDGE_REDIS_PASSWORD")))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer shared.Close()
	memory, err := cache.NewMemory(cache.DefaultMaxBytes)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer memory.Close()
	tiers, err := cache.NewTiered(memory, shared, cache.DefaultFrontKeep)
	if err != nil {
		fmt.Println(err)
		return
	}
	c, err := cache.New(backend, cache.WithStore(tiers), cache.WithTTL(15*time.Minute))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()

	// At start, say at once whether Redis answers; the cache works
	// without it meanwhile.
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := shared.Ping(ctx); err != nil {
		fmt.Println("Redis not reachable yet:", err)
	}
	// For a health endpoint and metrics.
	h := shared.Health()
	fmt.Println("redis:", h.State, "since", h.Since.Format(time.RFC3339), "errors:", shared.Counters().Errors)
	for _, tier := range c.Stats().Tiers {
		fmt.Println(tier.Name, "hits:", tier.Hits)
	}
}
