package main

import (
	"context"
	"crypto/tls"
	"net/url"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/calbridge/calbridge/transport"
	"github.com/calbridge/calbridge/transport/natstransport"
)

// The NATS carrier (Config.Transport.NATS). Each half that answers serves
// as a worker on the subject of its side, PREFIX.<side>.freebusy, in one
// queue group, so that several processes of one role share the queries
// and one may die without the others or the askers noticing; each half
// that asks publishes on the other side's subject. It replaces the RPC
// link and its listener; everything above it (caches, router, doors) is
// the same.

// natsURLs returns the configured server URLs.
func (g *gateway) natsURLs() []string {
	var out []string
	for _, u := range strings.Split(g.cfg.Transport.NATS, ",") {
		if u = strings.TrimSpace(u); u != "" {
			out = append(out, u)
		}
	}
	return out
}

// natsSubject is the subject the half of side s serves.
func (g *gateway) natsSubject(s side) string {
	prefix := g.cfg.Transport.Subject
	if prefix == "" {
		prefix = "calbridge"
	}
	return prefix + "." + s.String() + ".freebusy"
}

// natsOptions are the options both ends share: logger, subject,
// credentials from the environment, TLS.
func (g *gateway) natsOptions(s side, name string) ([]natstransport.Option, error) {
	c := g.cfg.Transport
	opts := []natstransport.Option{natstransport.WithLogger(g.log.Named(name)), natstransport.WithSubject(g.natsSubject(s))}
	if c.User != "" || c.PasswordEnv != "" {
		pw, err := secret("transport.passwordEnv", c.PasswordEnv)
		if err != nil {
			return nil, err
		}
		opts = append(opts, natstransport.WithUserInfo(c.User, pw))
	}
	if c.TokenEnv != "" {
		tok, err := secret("transport.tokenEnv", c.TokenEnv)
		if err != nil {
			return nil, err
		}
		opts = append(opts, natstransport.WithToken(tok))
	}
	if c.CredsFile != "" {
		opts = append(opts, natstransport.WithCredentials(c.CredsFile))
	}
	if c.CAFile != "" {
		pool, err := certPool("transport.caFile", c.CAFile)
		if err != nil {
			return nil, err
		}
		opts = append(opts, natstransport.WithTLSConfig(&tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}))
	}
	return opts, nil
}

// serveNATS makes the half a worker for its own side's subject.
func (g *gateway) serveNATS(h *half) error {
	common, err := g.natsOptions(h.side, "nats-worker")
	if err != nil {
		return err
	}
	// The worker is how the other side reaches this half: /healthz is
	// ready only while the NATS server has its subscription.
	comp, err := g.healthz.Register(h.side.String() + "-worker")
	if err != nil {
		return err
	}
	opts := make([]natstransport.ServerOption, 0, len(common)+1)
	for _, o := range common {
		opts = append(opts, o)
	}
	opts = append(opts, natstransport.WithStateCallback(func(c transport.StateChange) {
		comp.Update(c.To == transport.Ready, c.To.String(), c.Err)
	}))
	srv, err := natstransport.NewServer(g.natsURLs(), h.local, opts...)
	if err != nil {
		return configError("transport.nats", "%v", err)
	}
	st := srv.Stats()
	comp.Update(st.State == transport.Ready, st.State.String(), st.LastError)
	h.worker = srv
	labels := prometheus.Labels{"half": h.side.String()}
	g.metrics.gauge("nats_worker_state", "State of the half's NATS worker connection: 0 idle, 1 connecting, 2 ready, 3 transient failure, 4 shutdown.", labels, func() float64 { return float64(srv.State()) })
	g.metrics.counter("nats_worker_busy_total", "Queries the half's NATS worker refused at its concurrency limit.", labels, func() float64 { return float64(srv.Stats().Busy) })
	return nil
}

// dialNATS gives the half a link to the other side's workers.
func (g *gateway) dialNATS(h *half) error {
	common, err := g.natsOptions(h.other(), "nats-client")
	if err != nil {
		return err
	}
	if err := g.watchLink(h); err != nil {
		return err
	}
	opts := []natstransport.ClientOption{natstransport.WithStateCallback(h.watch.record)}
	for _, o := range common {
		opts = append(opts, o)
	}
	c, err := natstransport.NewClient(g.natsURLs(), opts...)
	if err != nil {
		return configError("transport.nats", "%v", err)
	}
	labels := g.adoptLink(h, &natsLink{Client: c, addr: redactURL(g.natsURLs()[0])})
	g.metrics.counter("nats_retries_total", "NATS queries sent again after a lost or busy worker.", labels, func() float64 { return float64(c.Stats().Retries) })
	g.metrics.counter("nats_lost_workers_total", "NATS query attempts given up because the worker went silent.", labels, func() float64 { return float64(c.Stats().LostWorkers) })
	g.metrics.counter("nats_no_responders_total", "NATS queries that found no worker listening.", labels, func() float64 { return float64(c.Stats().NoResponders) })
	return nil
}

// natsLink adapts a natstransport.Client to a half's peerLink.
type natsLink struct {
	*natstransport.Client
	addr string
}

// Connect does nothing: the NATS connection reconnects by itself, and
// workers come and go behind the subject.
func (l *natsLink) Connect() {}

// Stats reports the NATS client's figures in the RPC link's shape, for the
// status page.
func (l *natsLink) Stats() transport.Stats {
	s := l.Client.Stats()
	return transport.Stats{
		State: s.State, LastError: s.LastError, Addr: l.addr, Reconnects: s.Reconnects,
		Retries: s.Retries, Calls: s.Calls, CallFailures: s.CallFailures, InFlight: s.InFlight,
	}
}

// redactURL drops the credentials of a URL, for display.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "nats"
	}
	u.User = nil
	return u.String()
}

var _ peerLink = (*natsLink)(nil)

// shutdownWorker drains the half's NATS worker within ctx.
func (h *half) shutdownWorker(ctx context.Context) error {
	if h.worker == nil {
		return nil
	}
	if err := h.worker.Shutdown(ctx); err != nil {
		return h.worker.Close()
	}
	return nil
}
