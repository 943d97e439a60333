package prom_test

import (
	"context"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/calbridge/calbridge/freebusy"
	"github.com/calbridge/calbridge/freebusy/observe"
	"github.com/calbridge/calbridge/freebusy/observe/prom"
)

func newMetrics(t *testing.T, opts ...prom.Option) (*prom.Metrics, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	m, err := prom.New(reg, opts...)
	require.NoError(t, err)
	return m, reg
}

func TestQueryLatencyAndOutcomes(t *testing.T) {
	m, reg := newMetrics(t, prom.WithBuckets(0.1, 1))
	m.ObserveQuery("ews", 50*time.Millisecond, freebusy.ReasonNone)
	m.ObserveQuery("ews", 500*time.Millisecond, freebusy.ReasonNone)
	m.ObserveQuery("ews", 3*time.Second, freebusy.ReasonTimeout)
	m.ObserveOutcome("ews", freebusy.ReasonNone, 7)
	m.ObserveOutcome("ews", freebusy.ReasonUnknownAttendee, 1)
	m.ObserveOutcome("ews", freebusy.ReasonTimeout, 0) // ignored

	assertMetrics(t, reg, `
# HELP calbridge_outcomes_total Attendee answers by source and reason (none for data).
# TYPE calbridge_outcomes_total counter
calbridge_outcomes_total{reason="none",source="ews"} 7
calbridge_outcomes_total{reason="unknown-attendee",source="ews"} 1
# HELP calbridge_queries_total Free/busy queries by source and the whole query's failure reason (none when answered).
# TYPE calbridge_queries_total counter
calbridge_queries_total{reason="none",source="ews"} 2
calbridge_queries_total{reason="timeout",source="ews"} 1
# HELP calbridge_query_duration_seconds Time a source took to answer a free/busy query.
# TYPE calbridge_query_duration_seconds histogram
calbridge_query_duration_seconds_bucket{source="ews",le="0.1"} 1
calbridge_query_duration_seconds_bucket{source="ews",le="1"} 2
calbridge_query_duration_seconds_bucket{source="ews",le="+Inf"} 3
calbridge_query_duration_seconds_sum{source="ews"} 3.55
calbridge_query_duration_seconds_count{source="ews"} 3
`, "calbridge_query_duration_seconds", "calbridge_queries_total", "calbridge_outcomes_total")
}

func TestCacheCounters(t *testing.T) {
	m, reg := newMetrics(t)
	m.ObserveCache("notes", observe.CacheHit, 5)
	m.ObserveCache("notes", observe.CacheMiss, 2)
	m.ObserveCache("notes", observe.CacheStale, 1)
	m.ObserveCache("notes", observe.CacheHit, 1)
	m.ObserveCache("notes", observe.CacheMiss, -3) // ignored
	assertMetrics(t, reg, `
# HELP calbridge_cache_requests_total Cache answers per attendee by result (hit, miss, stale).
# TYPE calbridge_cache_requests_total counter
calbridge_cache_requests_total{cache="notes",result="hit"} 6
calbridge_cache_requests_total{cache="notes",result="miss"} 2
calbridge_cache_requests_total{cache="notes",result="stale"} 1
`, "calbridge_cache_requests_total")
}

func TestTransportStateIsOneHot(t *testing.T) {
	m, reg := newMetrics(t)
	m.ObserveTransport("rpc", "connecting", nil)
	m.ObserveTransport("rpc", "ready", nil)
	m.ObserveTransport("rpc", "transient-failure", errors.New("refused"))
	m.ObserveTransport("rpc", "connecting", nil)
	m.ObserveTransport("other", "ready", nil)
	assertMetrics(t, reg, `
# HELP calbridge_transport_state 1 for the current state of a transport link, 0 for states it left.
# TYPE calbridge_transport_state gauge
calbridge_transport_state{link="other",state="ready"} 1
calbridge_transport_state{link="rpc",state="connecting"} 1
calbridge_transport_state{link="rpc",state="ready"} 0
calbridge_transport_state{link="rpc",state="transient-failure"} 0
# HELP calbridge_transport_transitions_total Transport state changes by the state entered.
# TYPE calbridge_transport_transitions_total counter
calbridge_transport_transitions_total{link="other",state="ready"} 1
calbridge_transport_transitions_total{link="rpc",state="connecting"} 2
calbridge_transport_transitions_total{link="rpc",state="ready"} 1
calbridge_transport_transitions_total{link="rpc",state="transient-failure"} 1
`, "calbridge_transport_state", "calbridge_transport_transitions_total")
}

// Instrument reports into the Prometheus metrics.
func TestWithInstrument(t *testing.T) {
	m, reg := newMetrics(t, prom.WithNamespace("gw"), prom.WithBuckets(1))
	backend := freebusy.SourceFunc(func(_ context.Context, q freebusy.Query) ([]freebusy.Schedule, error) {
		return []freebusy.Schedule{
			{Attendee: q.Attendees[0], Start: q.Start, End: q.End},
			freebusy.Failed(q.Attendees[1], q.Start, q.End, freebusy.ReasonAccessDenied, nil),
		}, nil
	})
	src, err := observe.Instrument(backend, "graph", observe.WithMetrics(m))
	require.NoError(t, err)
	start := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	_, err = src.FreeBusy(context.Background(), freebusy.Query{Attendees: []string{"a@x.example", "b@x.example"}, Start: start, End: start.Add(time.Hour)})
	require.NoError(t, err)
	assertMetrics(t, reg, `
# HELP gw_outcomes_total Attendee answers by source and reason (none for data).
# TYPE gw_outcomes_total counter
gw_outcomes_total{reason="access-denied",source="graph"} 1
gw_outcomes_total{reason="none",source="graph"} 1
# HELP gw_queries_total Free/busy queries by source and the whole query's failure reason (none when answered).
# TYPE gw_queries_total counter
gw_queries_total{reason="none",source="graph"} 1
`, "gw_outcomes_total", "gw_queries_total")
}

func TestNewRefusesBadArguments(t *testing.T) {
	reg := prometheus.NewRegistry()
	for name, tc := range map[string]struct {
		reg  prometheus.Registerer
		opts []prom.Option
		msg  string
	}{
		"nil registerer":    {nil, nil, "nil Registerer"},
		"bad namespace":     {reg, []prom.Option{prom.WithNamespace("cal-bridge")}, "WithNamespace"},
		"no buckets":        {reg, []prom.Option{prom.WithBuckets()}, "no buckets"},
		"unordered buckets": {reg, []prom.Option{prom.WithBuckets(1, 1)}, "does not exceed"},
		"NaN bucket":        {reg, []prom.Option{prom.WithBuckets(math.NaN())}, "NaN"},
		"infinite bucket":   {reg, []prom.Option{prom.WithBuckets(1, math.Inf(1))}, "+Inf"},
	} {
		_, err := prom.New(tc.reg, tc.opts...)
		assert.ErrorIs(t, err, prom.ErrInvalidOption, name)
		assert.ErrorContains(t, err, tc.msg, name)
	}
	_, err := prom.New(reg, prom.WithNamespace(""), nil)
	assert.NoError(t, err, "an empty namespace and a nil option are fine")
}

// A registration that fails halfway leaves nothing registered.
func TestNewRollsBackOnConflict(t *testing.T) {
	reg := prometheus.NewRegistry()
	// The third collector New registers, as another instance.
	conflict := prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "calbridge", Name: "outcomes_total",
		Help: "Attendee answers by source and reason (none for data).",
	}, []string{"source", "reason"})
	require.NoError(t, reg.Register(conflict))
	_, err := prom.New(reg)
	var are prometheus.AlreadyRegisteredError
	require.ErrorAs(t, err, &are)
	assert.ErrorContains(t, err, "prom: New:")

	require.True(t, reg.Unregister(conflict))
	m, err := prom.New(reg)
	require.NoError(t, err, "the collectors registered before the conflict were removed")
	m.ObserveQuery("ews", time.Second, freebusy.ReasonNone)
	assertMetrics(t, reg, `
# HELP calbridge_queries_total Free/busy queries by source and the whole query's failure reason (none when answered).
# TYPE calbridge_queries_total counter
calbridge_queries_total{reason="none",source="ews"} 1
`, "calbridge_queries_total")

	_, err = prom.New(reg)
	assert.ErrorAs(t, err, &are, "the same namespace twice")
}

// assertMetrics checks that the metric families of reg named in names,
// in the text exposition format, are want (leading and trailing blank
// lines aside), as prometheus/testutil.GatherAndCompare does.
func assertMetrics(t *testing.T, reg prometheus.Gatherer, want string, names ...string) {
	t.Helper()
	mfs, err := reg.Gather()
	require.NoError(t, err)
	var b strings.Builder
	for _, mf := range mfs {
		if slices.Contains(names, mf.GetName()) {
			_, err := expfmt.MetricFamilyToText(&b, mf)
			require.NoError(t, err)
		}
	}
	assert.Equal(t, strings.TrimSpace(want), strings.TrimSpace(b.String()))
}
