package cache

import (
	"sync/atomic"
	"time"

	"github.com/calbridge/calbridge/freebusy"
)

// Stats are a Source's counters since New, for a status page or metrics.
// Hits, Misses and Stale count attendee answers, the unit callers see.
type Stats struct {
	// Hits counts answers served from fresh entries alone.
	Hits uint64
	// Misses counts answers that waited for a backend call (their own or
	// one under way for another caller).
	Misses uint64
	// Stale counts answers marked Stale: served past their TTL while being
	// refreshed, or after a refresh failed.
	Stale uint64
	// BackendCalls counts calls of the backend Source, in the foreground
	// and in the background.
	BackendCalls uint64
	// Errors counts backend failures: calls that failed as a whole, and
	// attendees the backend answered with a failure.
	Errors uint64
	// StoreErrors counts failures of the Store, which never fail a query
	// (with a Tiered store, failures of either tier).
	StoreErrors uint64
	// RemoteFills counts attendee windows this Source needed and another
	// process fetched: it waited for their entries to land in a shared
	// store (a Flighter) instead of calling its backend.
	RemoteFills uint64
	// Entries and Bytes are the size of the store, when it reports one
	// (Sizer; the default Memory does).
	Entries int
	Bytes   int64
	// Tiers are the counters of each tier of a Tiered store, front
	// first; nil for a store of one tier.
	Tiers []TierStats
}

// Kind says what an Event reports.
type Kind uint8

// The kinds of Event.
const (
	// KindHit: an attendee answered from fresh entries.
	KindHit Kind = iota + 1
	// KindMiss: an attendee answered after a backend call.
	KindMiss
	// KindStale: an attendee answered from stale entries; Reason is why,
	// when a refresh failed.
	KindStale
	// KindFetch: a backend call ended; Attendees and Days say what it asked
	// for, Duration how long it took, Reason how it failed as a whole
	// (ReasonNone when it answered), and Background whether it was a
	// refresh no caller waited for.
	KindFetch
	// KindFailure: the backend answered an attendee with a failure; Reason
	// is the failure's.
	KindFailure
	// KindStoreError: an operation of the Store failed (the query went on
	// without it); Tier names the tier that failed, where known.
	KindStoreError
)

var kindNames = [...]string{"", "hit", "miss", "stale", "fetch", "failure", "store-error"}

// String returns the kind's name ("hit").
func (k Kind) String() string {
	if int(k) < len(kindNames) && k != 0 {
		return kindNames[k]
	}
	return "unknown"
}

// Event is one thing a Source did, reported to the WithObserver function.
// It names no attendee.
type Event struct {
	// Kind says what happened.
	Kind Kind
	// Reason is the failure's, for KindFetch, KindFailure and KindStale;
	// ReasonNone otherwise.
	Reason freebusy.Reason
	// Attendees and Days are how many attendees and UTC days the event
	// concerns.
	Attendees int
	Days      int
	// Duration is how long a backend call took (KindFetch).
	Duration time.Duration
	// Background is set for a refresh no caller waited for (KindFetch,
	// KindFailure).
	Background bool
	// Tier names the tier an answer came from (KindHit, KindStale): the
	// farthest tier that held any of its entries, "memory" or "redis" for
	// a Tiered store of a Memory and a Redis tier; the store's name for a
	// store of one tier, "" when it has none. For KindStoreError, the tier
	// that failed.
	Tier string
}

// counters are the atomic counters behind Stats.
type counters struct {
	hits, misses, stale, calls, errors, storeErrors, remote atomic.Uint64
}
