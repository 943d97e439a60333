// Package prom implements observe.Metrics with Prometheus
// (github.com/prometheus/client_golang). New registers its collectors on
// the prometheus.Registerer it is given, never on the global registry, so
// that a program (or a test) owns what it serves; serve the registry with
// promhttp.HandlerFor at /metrics.
//
// The metrics, under the namespace "calbridge" unless WithNamespace says
// otherwise:
//
//	calbridge_query_duration_seconds{source}          histogram of query latency
//	calbridge_queries_total{source,reason}            queries, by the whole query's reason ("none" when answered)
//	calbridge_outcomes_total{source,reason}           attendee answers, by reason ("none" for data)
//	calbridge_cache_requests_total{cache,result}      cache answers: hit, miss, stale
//	calbridge_transport_state{link,state}             1 for the link's current state, 0 for states it left
//	calbridge_transport_transitions_total{link,state} state changes, by the state entered
//
// Reason label values are freebusy.Reason names ("unknown-attendee",
// "timeout"); source, cache and link values are the names the program
// gives, which must come from a small fixed set.
package prom
