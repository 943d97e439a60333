package prom

import (
	"fmt"
	"math"
	"regexp"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/calbridge/calbridge/freebusy"
	"github.com/calbridge/calbridge/freebusy/observe"
	"github.com/calbridge/calbridge/internal/config"
)

// pkg names this package in errors.
const pkg = "prom"

// ErrInvalidOption is matched (errors.Is) by the error New returns for an
// argument or option it cannot take; the error's text names it.
var ErrInvalidOption = config.ErrInvalidOption

// DefaultNamespace prefixes every metric name.
const DefaultNamespace = "calbridge"

// DefaultBuckets are the latency histogram's upper bounds in seconds, from
// 5 ms to 60 s: a cache hit is a few milliseconds, a backend across a WAN
// seconds, and 60 s is the default call timeout.
var DefaultBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60}

// Option configures New.
type Option func(*settings)

type settings struct {
	namespace string
	buckets   []float64
	err       error
}

func (s *settings) invalid(opt, format string, args ...any) {
	if s.err == nil {
		s.err = config.OptionError(pkg, opt, format, args...)
	}
}

// nameRE is what Prometheus accepts as a metric name prefix.
var nameRE = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)

// WithNamespace sets the prefix of every metric name (DefaultNamespace by
// default). An empty namespace means none; one that is not a valid metric
// name makes New fail.
func WithNamespace(ns string) Option {
	return func(s *settings) {
		if ns != "" && !nameRE.MatchString(ns) {
			s.invalid("WithNamespace", "%q is not a valid metric name", ns)
			return
		}
		s.namespace = ns
	}
}

// WithBuckets sets the latency histogram's upper bounds in seconds
// (DefaultBuckets by default). They must be finite and strictly
// increasing, and at least one must be given.
func WithBuckets(bounds ...float64) Option {
	return func(s *settings) {
		if len(bounds) == 0 {
			s.invalid("WithBuckets", "no buckets")
			return
		}
		for i, b := range bounds {
			if math.IsNaN(b) || math.IsInf(b, 0) {
				s.invalid("WithBuckets", "bucket %d is %v", i, b)
				return
			}
			if i > 0 && b <= bounds[i-1] {
				s.invalid("WithBuckets", "bucket %d (%v) does not exceed bucket %d (%v)", i, b, i-1, bounds[i-1])
				return
			}
		}
		s.buckets = append([]float64(nil), bounds...)
	}
}

// Metrics is an observe.Metrics that records into Prometheus collectors.
// It is safe for concurrent use.
type Metrics struct {
	latency     *prometheus.HistogramVec
	queries     *prometheus.CounterVec
	outcomes    *prometheus.CounterVec
	cache       *prometheus.CounterVec
	state       *prometheus.GaugeVec
	transitions *prometheus.CounterVec

	mu      sync.Mutex
	current map[string]string // link -> state
}

var _ observe.Metrics = (*Metrics)(nil)

// New creates the collectors and registers them on reg. It fails with an
// error matching ErrInvalidOption for a nil reg or an invalid option, and
// with the Registerer's error (such as a
// prometheus.AlreadyRegisteredError, when the same namespace is registered
// twice) otherwise; then nothing stays registered.
func New(reg prometheus.Registerer, opts ...Option) (*Metrics, error) {
	s := settings{namespace: DefaultNamespace, buckets: DefaultBuckets}
	for _, o := range opts {
		if o != nil {
			o(&s)
		}
	}
	if reg == nil {
		s.invalid("New", "nil Registerer")
	}
	if s.err != nil {
		return nil, s.err
	}
	ns := s.namespace
	m := &Metrics{
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: ns, Name: "query_duration_seconds",
			Help:    "Time a source took to answer a free/busy query.",
			Buckets: s.buckets,
		}, []string{"source"}),
		queries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Name: "queries_total",
			Help: "Free/busy queries by source and the whole query's failure reason (none when answered).",
		}, []string{"source", "reason"}),
		outcomes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Name: "outcomes_total",
			Help: "Attendee answers by source and reason (none for data).",
		}, []string{"source", "reason"}),
		cache: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Name: "cache_requests_total",
			Help: "Cache answers per attendee by result (hit, miss, stale).",
		}, []string{"cache", "result"}),
		state: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Namespace: ns, Name: "transport_state",
			Help: "1 for the current state of a transport link, 0 for states it left.",
		}, []string{"link", "state"}),
		transitions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Name: "transport_transitions_total",
			Help: "Transport state changes by the state entered.",
		}, []string{"link", "state"}),
		current: map[string]string{},
	}
	var done []prometheus.Collector
	for _, c := range []prometheus.Collector{m.latency, m.queries, m.outcomes, m.cache, m.state, m.transitions} {
		if err := reg.Register(c); err != nil {
			for _, d := range done {
				reg.Unregister(d)
			}
			return nil, fmt.Errorf("%s: New: %w", pkg, err)
		}
		done = append(done, c)
	}
	return m, nil
}

// ObserveQuery records d in the latency histogram of source and counts the
// query under reason.
func (m *Metrics) ObserveQuery(source string, d time.Duration, reason freebusy.Reason) {
	m.latency.WithLabelValues(source).Observe(d.Seconds())
	m.queries.WithLabelValues(source, reason.String()).Inc()
}

// ObserveOutcome adds n to the outcomes of source with reason. n below 1
// is ignored.
func (m *Metrics) ObserveOutcome(source string, reason freebusy.Reason, n int) {
	if n > 0 {
		m.outcomes.WithLabelValues(source, reason.String()).Add(float64(n))
	}
}

// ObserveCache adds n to the cache's counter of result. n below 1 is
// ignored.
func (m *Metrics) ObserveCache(cache string, result observe.CacheResult, n int) {
	if n > 0 {
		m.cache.WithLabelValues(cache, result.String()).Add(float64(n))
	}
}

// ObserveTransport sets the link's state gauge to 1 for state and 0 for
// the state it left, and counts the transition. The error is not recorded:
// error texts do not make good labels (the Health summary keeps it).
func (m *Metrics) ObserveTransport(link, state string, _ error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if prev, ok := m.current[link]; ok && prev != state {
		m.state.WithLabelValues(link, prev).Set(0)
	}
	m.current[link] = state
	m.state.WithLabelValues(link, state).Set(1)
	m.transitions.WithLabelValues(link, state).Inc()
}
