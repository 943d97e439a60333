package main

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"

	"github.com/calbridge/calbridge/freebusy/observe"
	"github.com/calbridge/calbridge/internal/redistest"
)

// startShared starts a gateway (both halves) on cfg and returns it; it is
// closed when the test ends.
func startShared(t *testing.T, cfg Config) *gateway {
	t.Helper()
	g, err := start(options{role: roleBoth, httpFlag: "127.0.0.1:0", rpcFlag: "127.0.0.1:0", cfg: cfg,
		now: func() time.Time { return testNow }, log: zap.NewNop()})
	require.NoError(t, err)
	t.Cleanup(func() {
		assert.NoError(t, g.close(context.Background()))
		http.DefaultClient.CloseIdleConnections()
	})
	waitReady(t, http.DefaultClient, g.bound().URL)
	return g
}

// healthOf returns /healthz's status code and the named component.
func healthOf(t *testing.T, g *gateway, name string) (int, observe.ComponentStatus) {
	t.Helper()
	resp, body := get(t, g.bound().URL+"/healthz")
	var sum observe.Summary
	require.NoError(t, json.Unmarshal([]byte(body), &sum), body)
	for _, c := range sum.Components {
		if c.Name == name {
			return resp.StatusCode, c
		}
	}
	t.Fatalf("no component %s in %s", name, body)
	return 0, observe.ComponentStatus{}
}

// TestSharedRedisTier runs two gateway instances on one Redis (a real
// redis-server): what one fetched, the other answers from Redis without a
// backend call or a crossing of its link. With Redis stopped both keep
// answering from memory and their backends, and /healthz reports the tier
// down while staying 200; when Redis returns, so does the tier.
func TestSharedRedisTier(t *testing.T) {
	quietRedis()
	rs := redistest.Start(t, redistest.Options{})
	cfg := Config{Cache: CacheConfig{Redis: rs.URL()}}
	a, b := startShared(t, cfg), startShared(t, cfg)

	vfb := func(g *gateway, who string, week int) int {
		t.Helper()
		u := g.bound().URL + "/freebusy/" + who + ".vfb?start=" + day(7*week).Format(time.DateOnly) + "&end=" + day(7*week+7).Format(time.DateOnly)
		resp, body := get(t, u)
		assert.Equal(t, http.StatusOK, resp.StatusCode, body)
		return resp.StatusCode
	}
	vfb(a, "grace.hopper@exchange.acme.example", 0)
	aNotes, aExchange := a.halves[0], a.halves[1]
	require.Equal(t, sideNotes, aNotes.side)
	assert.Equal(t, uint64(1), aExchange.localCache.Stats().BackendCalls, "instance a asked its backend")

	vfb(b, "grace.hopper@exchange.acme.example", 0)
	bNotes, bExchange := b.halves[0], b.halves[1]
	assert.Zero(t, bNotes.remoteCache.Stats().BackendCalls, "instance b did not cross its link")
	assert.Zero(t, bExchange.localCache.Stats().BackendCalls, "instance b did not ask its backend")
	var redisHits uint64
	for _, tier := range bNotes.remoteCache.Stats().Tiers {
		if tier.Name == "redis" {
			redisHits = tier.Hits
		}
	}
	assert.Positive(t, redisHits, "b's answer came from Redis")
	_, metrics := get(t, b.bound().URL+"/metrics")
	assert.Contains(t, metrics, `calbridge_cache_tier_hits_total{cache="remote",half="notes",tier="redis"} 7`, "seven days, seven entries")
	code, comp := healthOf(t, b, "redis-notes-remote")
	assert.Equal(t, http.StatusOK, code)
	assert.Equal(t, "up", comp.State)

	// Redis down: answers go on (new weeks: backend calls), /healthz
	// stays 200 and names the tier down.
	rs.Stop()
	for week := 1; week <= 3; week++ {
		vfb(a, "grace.hopper@exchange.acme.example", week)
		vfb(b, "edsger.dijkstra@exchange.acme.example", week)
	}
	code, comp = healthOf(t, b, "redis-notes-remote")
	assert.Equal(t, http.StatusOK, code, "a down cache tier does not make the half unready")
	assert.Equal(t, "down", comp.State)
	assert.NotEmpty(t, comp.LastError)
	_, body := get(t, b.bound().URL+"/metrics")
	assert.Contains(t, body, `calbridge_redis_up{cache="notes-remote"} 0`)

	// Back: the circuit closes again on a later try.
	rs.Restart()
	require.Eventually(t, func() bool {
		vfb(b, "ada.lovelace@notes.acme.example", 0)
		_, comp := healthOf(t, b, "redis-notes-local")
		return comp.State == "up"
	}, 2*time.Minute, 50*time.Millisecond)
}

// startRole starts a gateway of one role on cfg; it is closed when the
// test ends (closing twice is harmless).
func startRole(t *testing.T, r role, cfg Config) *gateway {
	t.Helper()
	g, err := start(options{role: r, httpFlag: "127.0.0.1:0", rpcFlag: "127.0.0.1:0", cfg: cfg,
		now: func() time.Time { return testNow }, log: zap.NewNop()})
	require.NoError(t, err)
	t.Cleanup(func() {
		_ = g.close(context.Background())
		http.DefaultClient.CloseIdleConnections()
	})
	waitReady(t, http.DefaultClient, g.bound().URL)
	return g
}
