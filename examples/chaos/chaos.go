package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/calbridge/calbridge/freebusy"
	"github.com/calbridge/calbridge/transport"
	"github.com/calbridge/calbridge/transport/transporttest"
)

// Config tunes a soak run.
type Config struct {
	// Duration is how long faults are injected; warm-up and the final
	// recovery come on top (a few seconds at most).
	Duration time.Duration
	// Clients is the number of clients calling throughout.
	Clients int
	// Seed makes the fault schedule reproducible.
	Seed uint64
	// CallDeadline is the deadline of every call.
	CallDeadline time.Duration
	// Kinds are the faults to draw from: "restart" (graceful shutdown,
	// back at once), "kill" (abrupt close and resets, down 0.2–0.8 s),
	// "blackhole" (0.9–1.5 s) and "drop" (the live flows silently
	// forgotten, as by a NAT; new connections work at once). Empty means
	// all four.
	Kinds []string
}

// The clients' settings: gRPC's backoff scaled down 20×, heartbeats that
// notice a black hole within about half a second.
var (
	backoff = transport.Backoff{
		BaseDelay: 50 * time.Millisecond, Multiplier: 1.6, Jitter: 0.2,
		MaxDelay: 500 * time.Millisecond, MinConnectTimeout: time.Second,
	}
	heartbeatInterval = 200 * time.Millisecond
	heartbeatTimeout  = 300 * time.Millisecond
	handshakeTimeout  = 300 * time.Millisecond
)

// RecoveryBound is the longest a client may take, after a fault heals, to
// complete a call: noticing a dead connection (heartbeat interval plus
// timeout), a handshake into a connection accepted during the fault, the
// longest backoff with jitter, and one call.
func (c Config) RecoveryBound() time.Duration {
	return heartbeatInterval + heartbeatTimeout + handshakeTimeout +
		time.Duration(float64(backoff.MaxDelay)*(1+backoff.Jitter)) + c.CallDeadline
}

func (c Config) validate() error {
	switch {
	case c.Duration <= 0:
		return errors.New("duration must be positive")
	case c.Clients < 1 || c.Clients > 1000:
		return errors.New("clients must be between 1 and 1000")
	case c.CallDeadline < 10*time.Millisecond:
		return errors.New("call deadline must be at least 10ms")
	}
	for _, k := range c.Kinds {
		if !slices.Contains(allKinds, k) {
			return fmt.Errorf("unknown fault %q (want restart, kill, blackhole or drop)", k)
		}
	}
	return nil
}

// allKinds are the fault kinds, in the order the seed draws from.
var allKinds = []string{"restart", "kill", "blackhole", "drop"}

// Percentiles summarizes durations.
type Percentiles struct {
	N        int
	P50, P99 time.Duration
	Max      time.Duration
}

func percentiles(ds []time.Duration) Percentiles {
	if len(ds) == 0 {
		return Percentiles{}
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	at := func(q float64) time.Duration { return s[int(q*float64(len(s)-1)+0.5)] }
	return Percentiles{N: len(s), P50: at(0.5), P99: at(0.99), Max: s[len(s)-1]}
}

func (p Percentiles) String() string {
	if p.N == 0 {
		return "n/a"
	}
	return fmt.Sprintf("p50 %v, p99 %v, max %v (n=%d)", p.P50.Round(time.Millisecond), p.P99.Round(time.Millisecond), p.Max.Round(time.Millisecond), p.N)
}

// Report is the outcome of a soak run.
type Report struct {
	Config Config
	// Faults counts the fault episodes by kind ("restart", "kill",
	// "blackhole", "drop").
	Faults map[string]int
	// Calls and CallsFailed count every call made.
	Calls, CallsFailed int
	// FailedWarmUp counts failed calls before every client first succeeded.
	FailedWarmUp int
	// FailedDuringFaults counts failed calls that overlapped a fault or the
	// recovery from it.
	FailedDuringFaults int
	// FailedAfterHeal counts failed calls that started after the client had
	// recovered and ended before the next fault: it must be 0.
	FailedAfterHeal int
	// Unrecovered counts clients that did not complete a call within
	// RecoveryBound after a fault healed: it must be 0.
	Unrecovered int
	// Detect is the time from injecting a fault to a client leaving Ready;
	// Undetected counts clients that stayed Ready through a fault.
	Detect     Percentiles
	Undetected int
	// Recover is the time from healing to a client's first successful call
	// (a drop needs no healing: it counts from the drop, detection
	// included).
	Recover Percentiles
	// LongestCall is the longest call, to compare with CallDeadline, and
	// LongestCallErr its outcome ("ok" or the error).
	LongestCall    time.Duration
	LongestCallErr string
	// AfterHealSamples describes up to five calls that failed after healing
	// (client, when, error), for diagnosis.
	AfterHealSamples []string
	// Reconnects and Dials sum the clients' counters.
	Reconnects, Dials uint64
	// GoroutinesStart and GoroutinesEnd are counted before anything starts
	// and after everything stopped.
	GoroutinesStart, GoroutinesEnd int
}

// Episodes is the number of fault episodes of all kinds.
func (r Report) Episodes() int {
	n := 0
	for _, k := range r.Faults {
		n += k
	}
	return n
}

// longestCallSlack is how far past its deadline a call may return before
// the report calls it a problem: scheduling delay on a loaded machine, not
// a hang.
const longestCallSlack = 300 * time.Millisecond

// Problems lists the report's violated invariants; none means pass.
func (r Report) Problems() []string {
	var out []string
	if r.FailedAfterHeal > 0 {
		out = append(out, fmt.Sprintf("%d calls failed after the clients had recovered", r.FailedAfterHeal))
	}
	if r.Unrecovered > 0 {
		out = append(out, fmt.Sprintf("%d client recoveries took longer than %v", r.Unrecovered, r.Config.RecoveryBound()))
	}
	if r.GoroutinesEnd > r.GoroutinesStart {
		out = append(out, fmt.Sprintf("goroutines leaked: %d at start, %d at end", r.GoroutinesStart, r.GoroutinesEnd))
	}
	if r.LongestCall > r.Config.CallDeadline+longestCallSlack {
		out = append(out, fmt.Sprintf("a call took %v against a deadline of %v", r.LongestCall, r.Config.CallDeadline))
	}
	return out
}

// write prints the report.
func (r Report) write(w io.Writer) {
	fmt.Fprintf(w, "chaos: %v of faults, %d clients, seed %d\n", r.Config.Duration, r.Config.Clients, r.Config.Seed)
	fmt.Fprintf(w, "fault episodes:        %d (restart %d, kill %d, blackhole %d, drop %d)\n",
		r.Episodes(), r.Faults["restart"], r.Faults["kill"], r.Faults["blackhole"], r.Faults["drop"])
	fmt.Fprintf(w, "calls:                 %d (%d failed, %d of them warming up)\n", r.Calls, r.CallsFailed, r.FailedWarmUp)
	fmt.Fprintf(w, "failed during faults:  %d\n", r.FailedDuringFaults)
	fmt.Fprintf(w, "failed after heal:     %d\n", r.FailedAfterHeal)
	fmt.Fprintf(w, "unrecovered clients:   %d (bound %v)\n", r.Unrecovered, r.Config.RecoveryBound())
	fmt.Fprintf(w, "time to detect:        %v; undetected %d\n", r.Detect, r.Undetected)
	fmt.Fprintf(w, "time to recover:       %v\n", r.Recover)
	fmt.Fprintf(w, "longest call:          %v (deadline %v): %s\n", r.LongestCall.Round(time.Millisecond), r.Config.CallDeadline, r.LongestCallErr)
	fmt.Fprintf(w, "dials, reconnects:     %d, %d\n", r.Dials, r.Reconnects)
	fmt.Fprintf(w, "goroutines:            %d at start, %d at end\n", r.GoroutinesStart, r.GoroutinesEnd)
	for _, s := range r.AfterHealSamples {
		fmt.Fprintf(w, "failed after heal:     %s\n", s)
	}
}

// callRecord is one call's outcome.
type callRecord struct {
	start, end time.Time
	err        error
}

// client is one soak client with its call history and state changes.
type client struct {
	c  *transport.Client
	mu sync.Mutex
	// calls and changes are appended by the caller goroutine and the state
	// callback, read after the run (and by the recovery poll).
	calls   []callRecord
	changes []transport.StateChange
	okStart atomic.Int64 // start (UnixNano) of the latest successful call
}

func (cl *client) onState(sc transport.StateChange) {
	cl.mu.Lock()
	cl.changes = append(cl.changes, sc)
	cl.mu.Unlock()
}

// episode is one fault: injected at inject, healed at heal.
type episode struct {
	kind         string
	inject, heal time.Time
}

// query is what every client asks.
var query = freebusy.Query{
	Attendees: []string{"ada@example.com", "grace@example.com"},
	Start:     time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC),
	End:       time.Date(2026, 3, 3, 0, 0, 0, 0, time.UTC),
}

// source answers with one busy hour per attendee.
var source = freebusy.SourceFunc(func(ctx context.Context, q freebusy.Query) ([]freebusy.Schedule, error) {
	out := make([]freebusy.Schedule, len(q.Attendees))
	for i, a := range q.Attendees {
		out[i] = freebusy.Schedule{Attendee: a, Start: q.Start, End: q.End, Intervals: []freebusy.Interval{
			{Start: q.Start.Add(9 * time.Hour), End: q.Start.Add(10 * time.Hour), Status: freebusy.Busy},
		}}
	}
	return out, nil
})

// server is the soak's server, restartable on a fixed loopback address.
type server struct {
	addr string
	srv  *transport.Server
	done chan struct{}
}

func (s *server) start() error {
	var l net.Listener
	var err error
	for range 200 { // a just-closed port can take a moment to be free
		if l, err = net.Listen("tcp", s.addr); err == nil {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err != nil {
		return err
	}
	s.addr = l.Addr().String()
	if s.srv, err = transport.NewServer(source); err != nil {
		_ = l.Close()
		return err
	}
	s.done = make(chan struct{})
	srv, done := s.srv, s.done
	go func() { defer close(done); _ = srv.Serve(l) }()
	return nil
}

// stop ends the server: gracefully (drain calls in flight) or at once.
func (s *server) stop(graceful bool) {
	if s.srv == nil {
		return
	}
	if graceful {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_ = s.srv.Shutdown(ctx)
		cancel()
	} else {
		_ = s.srv.Close()
	}
	<-s.done
	s.srv = nil
}

// run is the soak: it starts everything, injects faults for cfg.Duration,
// stops everything, writes the report to w and returns it. An error means
// the soak could not run at all.
func run(ctx context.Context, cfg Config, w io.Writer) (Report, error) {
	rep := Report{Config: cfg, Faults: map[string]int{}}
	if err := cfg.validate(); err != nil {
		return rep, fmt.Errorf("invalid configuration: %w", err)
	}
	rep.GoroutinesStart = runtime.NumGoroutine()
	rng := rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15))

	srv := &server{addr: "127.0.0.1:0"}
	if err := srv.start(); err != nil {
		return rep, err
	}
	proxy, err := transporttest.NewProxy(srv.addr)
	if err != nil {
		srv.stop(false)
		return rep, err
	}

	clients := make([]*client, cfg.Clients)
	for i := range clients {
		cl := &client{}
		cl.c, err = transport.NewClient([]string{proxy.Addr()},
			transport.WithBackoff(backoff),
			transport.WithHeartbeat(heartbeatInterval, heartbeatTimeout),
			transport.WithHandshakeTimeout(handshakeTimeout),
			transport.WithDialTimeout(time.Second),
			transport.WithStateCallback(cl.onState))
		if err != nil {
			for _, prev := range clients[:i] {
				_ = prev.c.Close()
			}
			_ = proxy.Close()
			srv.stop(false)
			return rep, err
		}
		clients[i] = cl
	}

	// Callers: each client calls back to back, with a pause of a few
	// milliseconds, until stopped.
	stop := make(chan struct{})
	var callers sync.WaitGroup
	for _, cl := range clients {
		callers.Add(1)
		go func() {
			defer callers.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				cctx, cancel := context.WithTimeout(context.Background(), cfg.CallDeadline)
				start := time.Now()
				_, err := cl.c.FreeBusy(cctx, query)
				end := time.Now()
				cancel()
				if err == nil {
					cl.okStart.Store(start.UnixNano())
				}
				cl.mu.Lock()
				cl.calls = append(cl.calls, callRecord{start: start, end: end, err: err})
				cl.mu.Unlock()
				time.Sleep(5 * time.Millisecond)
			}
		}()
	}

	// recovered waits until every client has a successful call started at
	// or after since, at most the recovery bound (or ctx's end).
	recovered := func(since time.Time) {
		limit := time.Now().Add(cfg.RecoveryBound())
		for time.Now().Before(limit) && ctx.Err() == nil {
			all := true
			for _, cl := range clients {
				if cl.okStart.Load() < since.UnixNano() {
					all = false
					break
				}
			}
			if all {
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
	}

	warm := time.Now()
	recovered(warm)
	healthyFrom := time.Now() // warm-up failures are not counted against anything
	var episodes []episode
	end := time.Now().Add(cfg.Duration)
	for time.Now().Before(end) && ctx.Err() == nil {
		kinds := cfg.Kinds
		if len(kinds) == 0 {
			kinds = allKinds
		}
		ep := episode{kind: kinds[rng.IntN(len(kinds))]}
		ep.inject = time.Now()
		switch ep.kind {
		case "restart": // graceful: drain, then back at once
			srv.stop(true)
			err = srv.start()
		case "kill": // abrupt: connections reset, server gone for a while
			srv.stop(false)
			proxy.ResetAll()
			sleep(ctx, time.Duration(200+rng.IntN(600))*time.Millisecond)
			err = srv.start()
		case "blackhole": // longer than detection, so that live links die first
			err = proxy.SetFault(transporttest.Fault{BlackHole: true})
			sleep(ctx, time.Duration(900+rng.IntN(600))*time.Millisecond)
			if err == nil {
				err = proxy.SetFault(transporttest.Fault{})
			}
		case "drop": // nothing to heal: the next connection works
			proxy.DropAll()
		}
		if err != nil {
			break
		}
		ep.heal = time.Now()
		episodes = append(episodes, ep)
		rep.Faults[ep.kind]++
		recovered(ep.heal)
		sleep(ctx, time.Duration(200+rng.IntN(400))*time.Millisecond) // healthy dwell
	}
	finished := time.Now()

	close(stop)
	callers.Wait()
	for _, cl := range clients {
		st := cl.c.Stats()
		rep.Dials += st.Dials
		rep.Reconnects += st.Reconnects
		_ = cl.c.Close()
	}
	_ = proxy.Close()
	srv.stop(false)
	if err != nil {
		return rep, err
	}

	analyze(&rep, clients, episodes, healthyFrom, finished, cfg.RecoveryBound())
	rep.GoroutinesEnd = settledGoroutines(rep.GoroutinesStart)
	rep.write(w)
	return rep, nil
}

// analyze classifies every call against the fault episodes and computes the
// detection and recovery figures.
func analyze(rep *Report, clients []*client, episodes []episode, healthyFrom, finished time.Time, bound time.Duration) {
	var detect, recover []time.Duration
	for ci, cl := range clients {
		cl.mu.Lock()
		calls, changes := cl.calls, cl.changes
		cl.mu.Unlock()

		// healthy windows of this client: from its recovery after each
		// heal (or the warm-up) to the next injection.
		type window struct{ from, to time.Time }
		windows := []window{}
		from := healthyFrom
		for _, ep := range episodes {
			windows = append(windows, window{from, ep.inject})
			// detection: the first transition out of Ready after injection
			if stateAt(changes, ep.inject) == transport.Ready {
				if sc, ok := firstChange(changes, ep.inject, func(sc transport.StateChange) bool { return sc.From == transport.Ready }); ok && sc.At.Before(ep.heal.Add(bound)) {
					detect = append(detect, sc.At.Sub(ep.inject))
				} else {
					rep.Undetected++
				}
			}
			// recovery: the first successful call started after healing
			ok := false
			for _, c := range calls {
				if c.err == nil && !c.start.Before(ep.heal) {
					took := c.end.Sub(ep.heal)
					recover = append(recover, took)
					if took > bound {
						rep.Unrecovered++
					}
					from, ok = c.end, true
					break
				}
			}
			if !ok {
				rep.Unrecovered++
				from = finished // nothing after this is healthy
			}
		}
		windows = append(windows, window{from, finished})

		for _, c := range calls {
			rep.Calls++
			if d := c.end.Sub(c.start); d > rep.LongestCall {
				rep.LongestCall, rep.LongestCallErr = d, "ok"
				if c.err != nil {
					rep.LongestCallErr = c.err.Error()
				}
			}
			if c.err == nil {
				continue
			}
			rep.CallsFailed++
			if c.start.Before(healthyFrom) {
				rep.FailedWarmUp++
				continue
			}
			healthy := false
			for _, w := range windows {
				if !c.start.Before(w.from) && !c.end.After(w.to) {
					healthy = true
					break
				}
			}
			if healthy {
				rep.FailedAfterHeal++
				if len(rep.AfterHealSamples) < 5 {
					rep.AfterHealSamples = append(rep.AfterHealSamples, fmt.Sprintf("client %d, %s, took %v: %v; meanwhile %s",
						ci, sinceHeal(episodes, c.start), c.end.Sub(c.start).Round(time.Millisecond), c.err, othersDuring(clients, ci, c)))
				}
			} else {
				rep.FailedDuringFaults++
			}
		}
	}
	rep.Detect = percentiles(detect)
	rep.Recover = percentiles(recover)
}

// othersDuring describes the other clients' calls that overlapped c: a
// stall of the whole process shows as slow calls everywhere, a fault of
// one connection as fast calls elsewhere.
func othersDuring(clients []*client, self int, c callRecord) string {
	ok, failed := 0, 0
	var slowest time.Duration
	for i, cl := range clients {
		if i == self {
			continue
		}
		cl.mu.Lock()
		for _, o := range cl.calls {
			if o.end.Before(c.start) || o.start.After(c.end) {
				continue
			}
			if o.err == nil {
				ok++
				slowest = max(slowest, o.end.Sub(o.start))
			} else {
				failed++
			}
		}
		cl.mu.Unlock()
	}
	return fmt.Sprintf("other clients: %d ok (slowest %v), %d failed", ok, slowest.Round(time.Millisecond), failed)
}

// sinceHeal describes t relative to the latest heal before it.
func sinceHeal(episodes []episode, t time.Time) string {
	var last *episode
	for i := range episodes {
		if !episodes[i].heal.After(t) {
			last = &episodes[i]
		}
	}
	if last == nil {
		return "before any fault"
	}
	return fmt.Sprintf("%v after healing a %s", t.Sub(last.heal).Round(time.Millisecond), last.kind)
}

// stateAt returns the state a client was in at t.
func stateAt(changes []transport.StateChange, t time.Time) transport.State {
	s := transport.Idle
	for _, sc := range changes {
		if sc.At.After(t) {
			break
		}
		s = sc.To
	}
	return s
}

func firstChange(changes []transport.StateChange, since time.Time, pred func(transport.StateChange) bool) (transport.StateChange, bool) {
	for _, sc := range changes {
		if !sc.At.Before(since) && pred(sc) {
			return sc, true
		}
	}
	return transport.StateChange{}, false
}

// settledGoroutines waits up to 2 s for the goroutine count to come back to
// want (exiting goroutines take a moment) and returns the last count.
func settledGoroutines(want int) int {
	n := runtime.NumGoroutine()
	for deadline := time.Now().Add(2 * time.Second); n > want && time.Now().Before(deadline); n = runtime.NumGoroutine() {
		time.Sleep(20 * time.Millisecond)
	}
	return n
}

// sleep waits for d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}
