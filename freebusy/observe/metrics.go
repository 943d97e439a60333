package observe

import (
	"strconv"
	"time"

	"github.com/calbridge/calbridge/freebusy"
)

// Metrics receives what a gateway measures. Every method is called on the
// query path, so implementations must be fast and safe for concurrent use.
// Names (source, cache, link) are chosen by the program and must come from
// a small fixed set: they become metric labels.
type Metrics interface {
	// ObserveQuery reports that the named source (a backend, a stage of the
	// pipeline) answered one query in d. reason is ReasonNone when the
	// query was answered, even if some attendees failed, and the reason of
	// the whole query's error otherwise.
	ObserveQuery(source string, d time.Duration, reason freebusy.Reason)
	// ObserveOutcome reports that source answered n attendees with reason:
	// ReasonNone for data, the attendee's Schedule.Err reason otherwise.
	// When a whole query fails, each of its attendees counts with the
	// query's reason.
	ObserveOutcome(source string, reason freebusy.Reason, n int)
	// ObserveCache reports n attendee answers of the named cache with the
	// given result.
	ObserveCache(cache string, result CacheResult, n int)
	// ObserveTransport reports that the named link entered state (the
	// transport's state name, such as "ready" or "transient-failure"); err
	// is the error that caused the change, or nil.
	ObserveTransport(link, state string, err error)
}

// CacheResult is how a cache answered an attendee.
type CacheResult uint8

// The cache results.
const (
	// CacheHit: answered from fresh entries.
	CacheHit CacheResult = iota
	// CacheMiss: answered after a backend call.
	CacheMiss
	// CacheStale: answered from entries past their freshness bound, marked
	// Stale.
	CacheStale
)

var cacheResultNames = [...]string{CacheHit: "hit", CacheMiss: "miss", CacheStale: "stale"}

// String returns "hit", "miss" or "stale", or "CacheResult(N)" for an
// undeclared value.
func (r CacheResult) String() string {
	if int(r) < len(cacheResultNames) {
		return cacheResultNames[r]
	}
	return "CacheResult(" + strconv.Itoa(int(r)) + ")"
}

// Nop is a Metrics that discards everything: the default of Instrument.
type Nop struct{}

// ObserveQuery does nothing.
func (Nop) ObserveQuery(string, time.Duration, freebusy.Reason) {}

// ObserveOutcome does nothing.
func (Nop) ObserveOutcome(string, freebusy.Reason, int) {}

// ObserveCache does nothing.
func (Nop) ObserveCache(string, CacheResult, int) {}

// ObserveTransport does nothing.
func (Nop) ObserveTransport(string, string, error) {}

var _ Metrics = Nop{}
