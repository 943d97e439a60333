package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/calbridge/calbridge/freebusy/directory"
	"github.com/calbridge/calbridge/freebusy/observe"
)

// role says which halves a process runs.
type role string

const (
	roleBoth     role = "both"
	roleNotes    role = "notes"
	roleExchange role = "exchange"
)

// gateway is one running process: one or both halves, their RPC servers
// and links, and one HTTP server for the front doors.
type gateway struct {
	cfg          Config
	role         role
	log          *zap.Logger
	week         demoWeek
	dir          *directory.Table
	metrics      *metrics
	healthz      *observe.Health
	processToken string

	halves []*half
	doors  doors
	http   *httpServer
	// errs receives the errors of servers that stop unexpectedly.
	errs chan error
	// closers release links and caches, in reverse order.
	closers []func() error
	// closeOnce makes close idempotent; closeErr is its result.
	closeOnce sync.Once
	closeErr  error
}

// bound are the addresses a running gateway listens on.
type bound struct {
	// HTTP is the front doors' address and URL its base URL.
	HTTP, URL string
	// RPC is the Exchange half's RPC address (-rpc), ReverseRPC the Notes
	// half's, when they run in this process.
	RPC, ReverseRPC string
}

// start builds and starts the gateway: backends, RPC servers, links and the
// HTTP server. On error, what was started is closed.
func start(o options) (g *gateway, err error) {
	g = &gateway{cfg: o.cfg, role: o.role, log: o.log, errs: make(chan error, 8)}
	g.healthz = observe.NewHealth(observe.WithLogger(o.log))
	defer func() {
		if err != nil {
			g.close(context.Background())
			g = nil
		}
	}()
	if g.metrics, err = newMetrics(o.log); err != nil {
		return g, err
	}
	if g.week, err = newDemoWeek(o.now()); err != nil {
		return g, err
	}
	loadTest := loadTestUsers(g.cfg.Exchange.LoadTestUsers)
	var extraCSV []string
	for _, a := range loadTest {
		extraCSV = append(extraCSV, a+",exchange,"+a+",,")
	}
	if g.dir, err = loadDirectory(g.cfg.Directory, extraCSV...); err != nil {
		return g, err
	}
	if o.role == roleBoth {
		g.processToken = newProcessToken()
	}
	var notesHalf, exchangeHalf *half
	if o.role != roleExchange {
		b, err := notesBackend(g.cfg.Notes, g.week, g.log.Named("notes"))
		if err != nil {
			return g, err
		}
		g.addCloser(b.close)
		if notesHalf, err = g.newHalf(sideNotes, b); err != nil {
			return g, err
		}
		g.halves = append(g.halves, notesHalf)
	}
	if o.role != roleNotes {
		b, err := exchangeBackend(g.cfg.Exchange, g.week, g.log.Named("exchange"), loadTest...)
		if err != nil {
			return g, err
		}
		g.addCloser(b.close)
		if exchangeHalf, err = g.newHalf(sideExchange, b); err != nil {
			return g, err
		}
		g.halves = append(g.halves, exchangeHalf)
	}

	if g.cfg.Transport.NATS != "" {
		if err := g.natsLinks(notesHalf, exchangeHalf); err != nil {
			return g, err
		}
	} else if err := g.rpcLinks(o, notesHalf, exchangeHalf); err != nil {
		return g, err
	}
	for _, h := range g.halves {
		if err := g.chains(h); err != nil {
			return g, err
		}
	}

	// The front doors: with both halves in one process, the Notes-side
	// doors (DAS, VFREEBUSY) ask the Notes half and EWS asks the Exchange
	// half, so that each direction crosses the RPC link as it does between
	// two processes.
	switch {
	case notesHalf != nil && exchangeHalf != nil:
		g.doors = doors{das: notesHalf.front, vfb: notesHalf.front, ews: exchangeHalf.front}
	case notesHalf != nil:
		g.doors = doors{das: notesHalf.front, vfb: notesHalf.front, ews: notesHalf.front}
	default:
		g.doors = doors{das: exchangeHalf.front, vfb: exchangeHalf.front, ews: exchangeHalf.front}
	}

	httpAddr := firstNonEmpty(o.httpFlag, g.cfg.HTTP.Listen, defaultHTTP)
	tc, err := serverTLS("http.tls", g.cfg.HTTP.TLS)
	if err != nil {
		return g, err
	}
	srv, err := listenHTTP(httpAddr, http.NotFoundHandler(), tc, g.log)
	if err != nil {
		return g, err
	}
	g.http = srv
	h, err := g.routes(g.doors, srv.url())
	if err != nil {
		return g, err
	}
	srv.srv.Handler = h
	if !isLoopback(httpAddr) && tc == nil {
		g.log.Warn("HTTP listens beyond loopback without TLS", zap.String("addr", httpAddr))
	}
	go func() {
		srv.serve()
	}()
	go func() {
		// Relay the HTTP server's error to the gateway's.
		if err, ok := <-srv.errs; ok {
			g.errs <- err
		}
	}()
	return g, nil
}

// rpcLinks starts the RPC servers, then the links to them.
func (g *gateway) rpcLinks(o options, notesHalf, exchangeHalf *half) error {
	rpcListen := firstNonEmpty(o.rpcFlag, g.cfg.RPC.Listen, defaultRPC)
	rpcPeer := firstNonEmpty(o.rpcFlag, g.cfg.RPC.Peer, rpcListen)
	if exchangeHalf != nil {
		if err := g.serveRPC(exchangeHalf, rpcListen, "rpc", g.cfg.RPC); err != nil {
			return err
		}
		rpcPeer = exchangeHalf.rpcAddr
	}
	reverseListen := g.cfg.ReverseRPC.Listen
	if o.role == roleBoth && reverseListen == "" {
		reverseListen = "127.0.0.1:0"
	}
	if notesHalf != nil && reverseListen != "" {
		if err := g.serveRPC(notesHalf, reverseListen, "reverseRpc", g.cfg.ReverseRPC); err != nil {
			return err
		}
	}
	if notesHalf != nil {
		if err := g.dial(notesHalf, rpcPeer, "rpc", g.cfg.RPC); err != nil {
			return err
		}
	}
	if exchangeHalf != nil {
		reversePeer := g.cfg.ReverseRPC.Peer
		if notesHalf != nil {
			reversePeer = notesHalf.rpcAddr
		}
		if reversePeer != "" {
			if err := g.dial(exchangeHalf, reversePeer, "reverseRpc", g.cfg.ReverseRPC); err != nil {
				return err
			}
		}
	}
	return nil
}

// natsLinks makes each half a worker for its side on NATS and gives each
// a link to the other side's workers.
func (g *gateway) natsLinks(halves ...*half) error {
	for _, h := range halves {
		if h == nil {
			continue
		}
		if err := g.serveNATS(h); err != nil {
			return err
		}
		if err := g.dialNATS(h); err != nil {
			return err
		}
	}
	return nil
}

func (g *gateway) addCloser(f func() error) {
	if f != nil {
		g.closers = append(g.closers, f)
	}
}

// bound returns the addresses the gateway listens on.
func (g *gateway) bound() bound {
	b := bound{HTTP: g.http.addr, URL: g.http.url()}
	for _, h := range g.halves {
		switch {
		case h.side == sideExchange:
			b.RPC = h.rpcAddr
		case h.rpc != nil:
			b.ReverseRPC = h.rpcAddr
		}
	}
	return b
}

// close shuts everything down within ctx: the HTTP server first (requests
// in flight finish), then the RPC servers (calls in flight drain), then
// links, caches and backends.
func (g *gateway) close(ctx context.Context) error {
	g.closeOnce.Do(func() { g.closeErr = g.closeAll(ctx) })
	return g.closeErr
}

// closeAll is close's work, done once.
func (g *gateway) closeAll(ctx context.Context) error {
	var errs []error
	if g.http != nil {
		errs = append(errs, g.http.close(ctx))
		close(g.http.errs)
	}
	for _, h := range g.halves {
		if err := h.shutdownWorker(ctx); err != nil {
			errs = append(errs, err)
		}
		if h.rpc == nil {
			continue
		}
		if err := h.rpc.Shutdown(ctx); err != nil {
			errs = append(errs, h.rpc.Close())
		}
		<-h.rpcDone
	}
	for i := len(g.closers) - 1; i >= 0; i-- {
		errs = append(errs, g.closers[i]())
	}
	return errors.Join(errs...)
}

// serveHealth answers /healthz with the health summary of the process's
// components (package observe): each half's backend and link. It is 200
// only when every half can answer: its backend reachable and its link, if
// it has one, Ready; else 503. Each check probes the backends and asks a
// link that is not Ready to connect at once (see half.healthy), so that
// the answer is current.
func (g *gateway) serveHealth(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	for _, h := range g.halves {
		be, _ := h.healthy(ctx)
		if be != nil {
			h.backendComp.Update(false, "down", be)
		} else {
			h.backendComp.Update(true, "up", nil)
		}
	}
	w.Header().Set("Cache-Control", "no-store")
	g.healthz.ServeHTTP(w, r)
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// String describes the role for messages.
func (r role) String() string { return string(r) }

func parseRole(s string) (role, error) {
	switch role(s) {
	case roleBoth, roleNotes, roleExchange:
		return role(s), nil
	}
	return "", fmt.Errorf("gateway: -role %q: want both, notes or exchange", s)
}
