package main

import (
	"context"
	"crypto/tls"
	"net/url"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/calbridge/calbridge/freebusy/cache"
	"github.com/calbridge/calbridge/freebusy/cache/rediscache"
)

// sharedTier returns the store of the cache named name (half-label): the
// in-process tier in front of the shared Redis tier (Config.Cache.Redis).
// Each cache of a half has its own key prefix, so that the caches of one
// role share entries and locks across instances, while a Notes half
// waiting on the link never holds a lock the Exchange half's cache needs.
//
// A Redis that is down never fails a query: the cache answers from memory
// and the backends, the status page and /healthz show the tier "down",
// and the metrics count its errors.
func (g *gateway) sharedTier(name string, maxBytes int64) (cache.Store, error) {
	c := g.cfg.Cache
	opts := []rediscache.Option{rediscache.WithLogger(g.log.Named("redis")), rediscache.WithPrefix("calbridge:" + name + ":")}
	if c.RedisPasswordEnv != "" {
		pw, err := secret("cache.redisPasswordEnv", c.RedisPasswordEnv)
		if err != nil {
			return nil, err
		}
		opts = append(opts, rediscache.WithPassword(pw))
	}
	if c.RedisCAFile != "" {
		pool, err := certPool("cache.redisCAFile", c.RedisCAFile)
		if err != nil {
			return nil, err
		}
		u, err := url.Parse(c.Redis)
		if err != nil {
			return nil, configError("cache.redis", "%v", err)
		}
		opts = append(opts, rediscache.WithTLSConfig(&tls.Config{RootCAs: pool, ServerName: u.Hostname(), MinVersion: tls.VersionTLS12}))
	}
	comp, err := g.healthz.Register("redis-" + name)
	if err != nil {
		return nil, err
	}
	// The tier is optional: its component stays ready while down, so that
	// /healthz reports it without failing the half.
	opts = append(opts, rediscache.WithStateChange(func(h rediscache.Health) {
		comp.Update(true, h.State.String(), h.LastError)
	}))
	back, err := rediscache.Open(c.Redis, opts...)
	if err != nil {
		return nil, configError("cache.redis", "%v", err)
	}
	g.addCloser(back.Close)
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	err = back.Ping(ctx)
	cancel()
	comp.Update(true, back.State().String(), err)
	front, err := cache.NewMemory(maxBytes)
	if err != nil {
		return nil, err
	}
	g.addCloser(front.Close)
	tiers, err := cache.NewTiered(front, back, cache.DefaultFrontKeep)
	if err != nil {
		return nil, err
	}
	labels := prometheus.Labels{"cache": name}
	g.metrics.gauge("redis_up", "1 when the cache's Redis tier is up (its circuit closed).", labels, func() float64 {
		if back.State() == rediscache.StateUp {
			return 1
		}
		return 0
	})
	g.metrics.counter("redis_errors_total", "Redis operations of the cache that failed.", labels, func() float64 { return float64(back.Counters().Errors) })
	g.metrics.counter("redis_skipped_total", "Redis operations skipped while the circuit was open.", labels, func() float64 { return float64(back.Counters().Skipped) })
	g.metrics.counter("redis_lock_waits_total", "Fetches that waited for another instance's.", labels, func() float64 { return float64(back.Counters().LockWaits) })
	return tiers, nil
}

// quietRedis keeps go-redis's own logger (global, printing to stderr) from
// writing a line per failed dial while Redis is down; the tier's state
// changes are logged through zap instead.
func quietRedis() { redis.SetLogger(discardRedisLog{}) }

type discardRedisLog struct{}

func (discardRedisLog) Printf(context.Context, string, ...any) {}
