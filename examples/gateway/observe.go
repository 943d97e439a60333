package main

import (
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/calbridge/calbridge/freebusy"
	"github.com/calbridge/calbridge/freebusy/cache"
	"github.com/calbridge/calbridge/freebusy/observe"
	"github.com/calbridge/calbridge/freebusy/observe/prom"
	"github.com/calbridge/calbridge/transport"
)

// metrics are the gateway's Prometheus metrics, on a registry of its own
// (never the global one, so that two gateways in one test process do not
// collide): package prom's query, outcome, cache and transport metrics,
// and gauges read at scrape time for the caches' size and the links'
// counters.
type metrics struct {
	reg  *prometheus.Registry
	prom *prom.Metrics
	log  *zap.Logger
}

func newMetrics(log *zap.Logger) (*metrics, error) {
	reg := prometheus.NewRegistry()
	m, err := prom.New(reg)
	if err != nil {
		return nil, err
	}
	return &metrics{reg: reg, prom: m, log: log}, nil
}

// instrument reports every query of src under name (a small fixed set:
// "notes-front", "exchange-backend", "notes-link", ...): one log entry with
// counts, durations and outcomes (names only at Debug level), and the
// latency and outcome metrics.
func (m *metrics) instrument(name string, src freebusy.Source) (freebusy.Source, error) {
	return observe.Instrument(src, name, observe.WithMetrics(m.prom), observe.WithLogger(m.log))
}

// cacheObserver reports a cache's answers to the metrics under name.
func (m *metrics) cacheObserver(name string) func(cache.Event) {
	return func(e cache.Event) {
		switch e.Kind {
		case cache.KindHit:
			m.prom.ObserveCache(name, observe.CacheHit, e.Attendees)
		case cache.KindMiss:
			m.prom.ObserveCache(name, observe.CacheMiss, e.Attendees)
		case cache.KindStale:
			m.prom.ObserveCache(name, observe.CacheStale, e.Attendees)
		}
	}
}

// gauge registers a gauge read at scrape time.
func (m *metrics) gauge(name, help string, labels prometheus.Labels, f func() float64) {
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Namespace: "calbridge", Name: name, Help: help, ConstLabels: labels,
	}, f))
}

// counter registers a counter read at scrape time.
func (m *metrics) counter(name, help string, labels prometheus.Labels, f func() float64) {
	m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
		Namespace: "calbridge", Name: name, Help: help, ConstLabels: labels,
	}, f))
}

// linkWatch keeps what the status page shows of a transport client: the
// time of the last reconnect and the last error, and passes every
// transition to the metrics and the health component of the link.
type linkWatch struct {
	name      string
	metrics   *metrics
	component *observe.Component

	mu            sync.Mutex
	lastReady     time.Time
	lastError     string
	lastErrorTime time.Time
}

func (w *linkWatch) record(c transport.StateChange) {
	w.metrics.prom.ObserveTransport(w.name, c.To.String(), c.Err)
	w.component.Update(c.To == transport.Ready, c.To.String(), c.Err)
	w.mu.Lock()
	defer w.mu.Unlock()
	if c.To == transport.Ready {
		w.lastReady = c.At
	}
	if c.Err != nil {
		w.lastError = c.Err.Error()
		w.lastErrorTime = c.At
	}
}

// linkSnapshot is what linkWatch knows at one moment.
type linkSnapshot struct {
	LastReady, LastErrorTime time.Time
	LastError                string
}

func (w *linkWatch) snapshot() linkSnapshot {
	w.mu.Lock()
	defer w.mu.Unlock()
	return linkSnapshot{LastReady: w.lastReady, LastError: w.lastError, LastErrorTime: w.lastErrorTime}
}
