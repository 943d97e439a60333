package prom_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/calbridge/calbridge/freebusy"
	"github.com/calbridge/calbridge/freebusy/observe"
	"github.com/calbridge/calbridge/freebusy/observe/prom"
)

// The program's own registry, served at /metrics.
func Example() {
	reg := prometheus.NewRegistry()
	m, err := prom.New(reg)
	if err != nil {
		fmt.Println(err)
		return
	}
	// Instrument reports queries; the program feeds cache events and the
	// transport's state changes in.
	m.ObserveQuery("exchange", 120*time.Millisecond, freebusy.ReasonNone)
	m.ObserveOutcome("exchange", freebusy.ReasonNone, 2)
	m.ObserveCache("exchange", observe.CacheHit, 2)
	m.ObserveTransport("rpc", "ready", nil)

	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	w := httptest.NewRecorder()
	mux.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	for line := range strings.Lines(w.Body.String()) {
		if !strings.HasPrefix(line, "#") && !strings.Contains(line, "_bucket") {
			fmt.Print(line)
		}
	}
	// Output:
	// calbridge_cache_requests_total{cache="exchange",result="hit"} 2
	// calbridge_outcomes_total{reason="none",source="exchange"} 2
	// calbridge_queries_total{reason="none",source="exchange"} 1
	// calbridge_query_duration_seconds_sum{source="exchange"} 0.12
	// calbridge_query_duration_seconds_count{source="exchange"} 1
	// calbridge_transport_state{link="rpc",state="ready"} 1
	// calbridge_transport_transitions_total{link="rpc",state="ready"} 1
}
