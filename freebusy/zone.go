package freebusy

import (
	"sync"
	"sync/atomic"
	"time"
)

// LoadZone returns the zone name names, as time.LoadLocation does ("" is
// UTC, "Local" the machine's zone), from a cache the whole process
// shares: time.LoadLocation reads and parses the tz database on every
// call, and free/busy data names the same few zones over and over (every
// calendar of a batch, every working-hours block, every cached entry).
// A lookup that failed is cached as well, up to a bound, so that a name
// that is not in the database (a Windows id, a producer's display name)
// does not cost file reads each time it is tried either.
//
// Every call for a name gets the same *time.Location, loaded once: the
// zone's rules are those of the tz database when the process first asked
// for it, as for time.Local. A process that must see a tzdata update
// restarts, as it must for time.Local.
func LoadZone(name string) (*time.Location, error) {
	if v, ok := zones.loaded.Load(name); ok {
		return v.(*time.Location), nil
	}
	if v, ok := zones.failed.Load(name); ok {
		return nil, v.(error)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		// Names that loaded are bounded by the database; names that did
		// not are whatever the input says, so only so many are kept.
		if zones.failures.Add(1) <= maxZoneFailures {
			zones.failed.Store(name, err)
		}
		return nil, err
	}
	v, _ := zones.loaded.LoadOrStore(name, loc)
	return v.(*time.Location), nil
}

// maxZoneFailures bounds the failed names LoadZone remembers.
const maxZoneFailures = 4096

// zones is LoadZone's cache.
var zones struct {
	loaded   sync.Map // string -> *time.Location
	failed   sync.Map // string -> error
	failures atomic.Int64
}
