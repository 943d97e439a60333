// Package rediscache is a shared tier of the free/busy cache on Redis
// (github.com/redis/go-redis/v9): a cache.Store that several gateway
// instances open on one Redis, so that what one instance fetched the
// others answer from, and a cache.Flighter, so that instances missing the
// same keys at once make one backend call between them.
//
// Put it behind an in-process tier with cache.NewTiered and give that to
// cache.New with cache.WithStore; the Example shows the wiring.
//
// # Keys and values
//
// An entry lives at prefix + "e:" + attendee + ":" + detail + ":" + day
// (the attendee normalized and %XX-escaped, the detail level and UTC day
// as numbers), its value the cache's versioned binary encoding
// (cache.AppendEntry), written with SET ... PX from the item's Keep so
// that Redis expires it. A set per attendee (prefix + "a:" + attendee)
// names its entry keys, for Delete. Fill locks live at prefix + "l:" and
// the key's parts.
//
// # Single flight across instances
//
// A fill lock is SET lock-key token NX PX lock-TTL, with a random token
// per holder (the keys of one call in one Lua script, so that two
// instances asking at once never split an attendee's keys); its holder renews it while it fetches, and releases it
// (a Lua compare-and-delete, so that a holder never deletes a lock that
// expired and went to another) after storing the entries. Waiters poll
// for the locks to be gone, with a short growing delay, and then read the
// entries; when a holder dies, its lock expires after the lock TTL and a
// waiter takes it over (see cache.Flighter).
//
// # When Redis is down
//
// Every operation has short timeouts, and after a failure the Store skips
// Redis for a growing, capped backoff (a circuit): operations fail at
// once with an error matching cache.ErrStoreDown, the cache answers from
// its in-process tier and the backends, and a query never fails because
// Redis did. Once the backoff has passed, one operation tries Redis; its
// success brings the Store back up. Health and Counters report what
// happened, and each change of state is logged once.
package rediscache
