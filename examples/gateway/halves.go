package main

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/calbridge/calbridge/freebusy"
	"github.com/calbridge/calbridge/freebusy/cache"
	"github.com/calbridge/calbridge/freebusy/observe"
	"github.com/calbridge/calbridge/freebusy/privacy"
	"github.com/calbridge/calbridge/freebusy/router"
	"github.com/calbridge/calbridge/transport"
	"github.com/calbridge/calbridge/transport/natstransport"
)

// half is one half of the gateway: the side it owns, its backend, the RPC
// server through which the other half asks it, and its link to the other
// half.
//
// Its Source chains (assembled in one place, chains):
//
//	front:  instrumented router (directory) -+-> own side:   privacy -> cache -> instrumented backend
//	                                        +-> other side: privacy -> cache -> instrumented transport client
//	RPC server (the other half asks): cache -> instrumented backend
//
// Privacy applies the requester's level (Config.Privacy; the requester is
// the authenticated HTTP user) at the front, so that the caches keep what
// the backends give for the requesters who may see more.
type half struct {
	side    side
	backend *backend
	// local is the own side's chain below privacy: what the RPC server
	// serves.
	local      freebusy.Source
	localCache *cache.Source
	// link is the transport client to the other half, nil when this half
	// has none (then the other side's attendees are Unavailable).
	link        peerLink
	watch       *linkWatch
	backendComp *observe.Component
	remote      freebusy.Source
	remoteCache *cache.Source
	// front is what the HTTP front doors ask.
	front freebusy.Source
	// rpc is the RPC server, nil when this half serves none; worker is
	// its NATS counterpart (Config.Transport.NATS).
	rpc     *transport.Server
	worker  *natstransport.Server
	rpcAddr string
	rpcDone chan struct{}

	connectMu   sync.Mutex
	lastConnect time.Time
}

// other is the side this half asks over its link.
func (h *half) other() side {
	if h.side == sideNotes {
		return sideExchange
	}
	return sideNotes
}

// newHalf builds a half around its backend; serveRPC and dial add the
// link, and chains assembles the Source chains.
func (g *gateway) newHalf(s side, b *backend) (*half, error) {
	h := &half{side: s, backend: b}
	src, err := g.metrics.instrument(s.String()+"-backend", b.src)
	if err != nil {
		return nil, err
	}
	if h.local, h.localCache, err = g.newCache(s.String(), "local", src); err != nil {
		return nil, err
	}
	if h.backendComp, err = g.healthz.Register(s.String() + "-backend"); err != nil {
		return nil, err
	}
	h.backendComp.Update(true, "up", nil)
	if b.probe != nil {
		labels := prometheus.Labels{"half": s.String()}
		g.metrics.gauge("backend_up", "1 when the half's backend accepted a connection at the last scrape.", labels, func() float64 {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			if b.probe(ctx) != nil {
				return 0
			}
			return 1
		})
	}
	return h, nil
}

// newCache puts a cache in front of src, unless the configuration disables
// caching, and exports its figures as metrics.
func (g *gateway) newCache(halfName, label string, src freebusy.Source) (freebusy.Source, *cache.Source, error) {
	if g.cfg.Cache.Disabled {
		return src, nil, nil
	}
	opts := []cache.Option{cache.WithLogger(g.log), cache.WithObserver(g.metrics.cacheObserver(halfName + "-" + label))}
	if g.cfg.Cache.TTL > 0 {
		opts = append(opts, cache.WithTTL(time.Duration(g.cfg.Cache.TTL)))
	}
	switch {
	case g.cfg.Cache.Redis != "":
		maxBytes := g.cfg.Cache.MaxBytes
		if maxBytes == 0 {
			maxBytes = cache.DefaultMaxBytes
		}
		tiers, err := g.sharedTier(halfName+"-"+label, maxBytes)
		if err != nil {
			return nil, nil, err
		}
		opts = append(opts, cache.WithStore(tiers))
	case g.cfg.Cache.MaxBytes > 0:
		opts = append(opts, cache.WithMaxBytes(g.cfg.Cache.MaxBytes))
	}
	c, err := cache.New(src, opts...)
	if err != nil {
		return nil, nil, err
	}
	g.closers = append(g.closers, c.Close)
	labels := prometheus.Labels{"half": halfName, "cache": label}
	for _, f := range []struct {
		name, help string
		get        func(cache.Stats) float64
	}{
		{"cache_hits_total", "Attendee answers served from fresh cache entries.", func(s cache.Stats) float64 { return float64(s.Hits) }},
		{"cache_misses_total", "Attendee answers that waited for a backend call.", func(s cache.Stats) float64 { return float64(s.Misses) }},
		{"cache_stale_total", "Attendee answers served stale.", func(s cache.Stats) float64 { return float64(s.Stale) }},
		{"cache_backend_calls_total", "Calls of the Source behind the cache.", func(s cache.Stats) float64 { return float64(s.BackendCalls) }},
	} {
		g.metrics.counter(f.name, f.help, labels, func() float64 { return f.get(c.Stats()) })
	}
	// Hits and misses per tier (memory; redis with a shared tier).
	for i, tier := range c.Stats().Tiers {
		tl := prometheus.Labels{"half": halfName, "cache": label, "tier": tier.Name}
		g.metrics.counter("cache_tier_hits_total", "Cache lookups answered by a tier (memory, redis).", tl, func() float64 { return float64(c.Stats().Tiers[i].Hits) })
		g.metrics.counter("cache_tier_misses_total", "Cache lookups a tier could not answer.", tl, func() float64 { return float64(c.Stats().Tiers[i].Misses) })
		g.metrics.counter("cache_tier_errors_total", "Cache lookups a tier failed.", tl, func() float64 { return float64(c.Stats().Tiers[i].Errors) })
	}
	g.metrics.gauge("cache_bytes", "Bytes held by the cache.", labels, func() float64 { return float64(c.Stats().Bytes) })
	g.metrics.gauge("cache_entries", "Entries held by the cache.", labels, func() float64 { return float64(c.Stats().Entries) })
	return c, c, nil
}

// rpcToken returns the shared token of a link: from the environment
// variable the configuration names, else (both halves in one process) a
// random one, else none.
func (g *gateway) rpcToken(field string, c RPCConfig) (string, error) {
	if c.TokenEnv != "" {
		return secret(field+".tokenEnv", c.TokenEnv)
	}
	if g.cfg.RPC.TokenEnv != "" {
		return secret("rpc.tokenEnv", g.cfg.RPC.TokenEnv)
	}
	return g.processToken, nil
}

// serveRPC starts the half's RPC server on addr, serving its own side's
// chain to the other half.
func (g *gateway) serveRPC(h *half, addr, field string, c RPCConfig) error {
	token, err := g.rpcToken(field, c)
	if err != nil {
		return err
	}
	tc, err := serverTLS(field+".tls", c.TLS)
	if err != nil {
		return err
	}
	opts := []transport.ServerOption{transport.WithLogger(g.log.Named("rpc-server")), transport.WithServerName("calbridge-" + h.side.String())}
	if token != "" {
		opts = append(opts, transport.WithToken(token))
	}
	srv, err := transport.NewServer(h.local, opts...)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("gateway: rpc: %w", err)
	}
	if !isLoopback(addr) && tc == nil {
		g.log.Warn("RPC listens beyond loopback without TLS", zap.String("addr", addr))
	}
	h.rpcAddr = ln.Addr().String()
	if tc != nil {
		ln = tls.NewListener(ln, tc)
	}
	h.rpc = srv
	h.rpcDone = make(chan struct{})
	go func() {
		defer close(h.rpcDone)
		if err := srv.Serve(ln); err != nil && !errors.Is(err, transport.ErrServerClosed) {
			g.errs <- fmt.Errorf("gateway: rpc %s: %w", h.rpcAddr, err)
		}
	}()
	return nil
}

// dial gives the half its link to the other half at peer.
func (g *gateway) dial(h *half, peer, field string, c RPCConfig) error {
	token, err := g.rpcToken(field, c)
	if err != nil {
		return err
	}
	tc, err := clientTLS(field+".tls", c.TLS)
	if err != nil {
		return err
	}
	if err := g.watchLink(h); err != nil {
		return err
	}
	backoff := transport.DefaultBackoff
	backoff.MaxDelay = 15 * time.Second
	opts := []transport.ClientOption{
		transport.WithLogger(g.log.Named("rpc-client")),
		transport.WithStateCallback(h.watch.record),
		transport.WithBackoff(backoff),
	}
	if token != "" {
		opts = append(opts, transport.WithToken(token))
	}
	if tc != nil {
		opts = append(opts, transport.WithTLS(tc))
	}
	link, err := transport.NewClient([]string{peer}, opts...)
	if err != nil {
		return err
	}
	link.Connect()
	labels := g.adoptLink(h, link)
	g.metrics.counter("link_dial_failures_total", "Connection attempts that did not reach Ready.", labels, func() float64 { return float64(link.Stats().DialFailures) })
	return nil
}

// watchLink registers the health component of the half's link and the
// watch its state changes feed (h.watch.record), before the link exists.
func (g *gateway) watchLink(h *half) error {
	name := h.side.String() + "-link"
	comp, err := g.healthz.Register(name)
	if err != nil {
		return err
	}
	h.watch = &linkWatch{name: name, metrics: g.metrics, component: comp}
	return nil
}

// adoptLink makes l the half's link, closed with the gateway, with the
// metrics every carrier has (state, reconnects); it returns the labels
// for a carrier's own metrics.
func (g *gateway) adoptLink(h *half, l peerLink) prometheus.Labels {
	h.link = l
	g.closers = append(g.closers, l.Close)
	labels := prometheus.Labels{"half": h.side.String()}
	g.metrics.gauge("link_state", "State of the half's link to the other half: 0 idle, 1 connecting, 2 ready, 3 transient failure, 4 shutdown.", labels, func() float64 { return float64(l.State()) })
	g.metrics.counter("link_reconnects_total", "Ready states reached after the first.", labels, func() float64 { return float64(l.Stats().Reconnects) })
	return labels
}

// chains assembles the half's Source chains (see half).
func (g *gateway) chains(h *half) error {
	var remote freebusy.Source = unavailableSource{}
	if h.link != nil {
		src, err := g.metrics.instrument(h.side.String()+"-link", h.link)
		if err != nil {
			return err
		}
		if remote, h.remoteCache, err = g.newCache(h.side.String(), "remote", src); err != nil {
			return err
		}
	}
	h.remote = remote
	own, err := privacy.New(h.local, g.cfg.Privacy, privacy.WithLogger(g.log))
	if err != nil {
		return err
	}
	other, err := privacy.New(h.remote, g.cfg.Privacy, privacy.WithLogger(g.log))
	if err != nil {
		return err
	}
	rt, err := router.New(g.dir, map[string]freebusy.Source{
		h.side.String():    own,
		h.other().String(): other,
	}, router.WithLogger(g.log))
	if err != nil {
		return err
	}
	h.front, err = g.metrics.instrument(h.side.String()+"-front", rt)
	return err
}

// peerLink is what a half needs of its link to the other half: a Source
// with a connection state. *transport.Client (the JSON-RPC link) has
// exactly these methods; the NATS link adapts to them.
type peerLink interface {
	freebusy.Source
	// State is the link's connectivity; WaitForStateChange waits for it to
	// leave from, as transport.Client's does.
	State() transport.State
	WaitForStateChange(ctx context.Context, from transport.State) bool
	// Connect asks an idle or backing-off link to connect now.
	Connect()
	// Stats are the link's counters, for the status page and metrics.
	Stats() transport.Stats
	Close() error
}

var _ peerLink = (*transport.Client)(nil)

// unavailableSource answers every attendee Unavailable: the side of a half
// that has no link to it.
type unavailableSource struct{}

func (unavailableSource) FreeBusy(_ context.Context, q freebusy.Query) ([]freebusy.Schedule, error) {
	if err := q.Validate(); err != nil {
		return nil, err
	}
	return freebusy.FailAll(q, freebusy.ReasonUnavailable, errNoLink), nil
}

// healthy reports whether the half can answer: its backend reachable and,
// when it has a link, the link Ready. A link that is not Ready is asked to
// connect at once (at most once a second, so that probes cannot hammer the
// other half) and given up to 1 s to get there, so that a half that came
// back is seen without waiting out the backoff.
func (h *half) healthy(ctx context.Context) (backendErr, linkErr error) {
	if h.backend.probe != nil {
		backendErr = h.backend.probe(ctx)
	}
	if h.link == nil {
		return backendErr, nil
	}
	if h.link.State() == transport.Ready {
		return backendErr, nil
	}
	h.connectMu.Lock()
	if time.Since(h.lastConnect) >= time.Second {
		h.lastConnect = time.Now()
		h.link.Connect()
	}
	h.connectMu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	for s := h.link.State(); s != transport.Ready; s = h.link.State() {
		if !h.link.WaitForStateChange(ctx, s) {
			break
		}
	}
	if h.link.State() == transport.Ready {
		return backendErr, nil
	}
	err := h.link.Stats().LastError
	if err == nil {
		err = errors.New("gateway: link " + h.link.State().String())
	}
	return backendErr, err
}

func newProcessToken() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
