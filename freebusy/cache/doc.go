// Package cache is the gateway's free/busy cache: a freebusy.Source in
// front of another that remembers answers per attendee, detail level and
// UTC day, so that overlapping windows share what was fetched, and that
// says how old its data is instead of hiding it (the old Exchange Calendar
// Connector served old records without telling anyone, docs/notes.md
// §7.2 and §7.3).
//
// A Source answers fresh entries at once; serves entries past their TTL
// marked Stale while one background refresh per key runs
// (stale-while-revalidate); makes one backend call per attendee and window
// however many callers ask at once, grouping the misses of a query into
// batched backend queries; and when the backend fails, serves what it has
// within the max-stale bound, marked Stale with the failure's reason in
// freebusy.Schedule.StaleReason. Memory is bounded in bytes.
//
// Entries live in a Store, the contract of a cache tier. The in-memory
// tier, Memory, is the default; a shared tier (package rediscache, on
// Redis) implements the same interface, stores entries in the versioned
// binary encoding of AppendEntry and DecodeEntry, and goes behind an
// in-process tier in a Tiered store given with WithStore. A failing tier
// never fails a query: the other tier and the backend answer.
//
// Several gateway instances sharing a tier also share backend calls: when
// the tier is a Flighter, the instances that miss the same keys at once
// make one backend call between them (a fill lock per key) and the others
// read its answer from the tier. In a process, callers share backend
// calls without help.
//
// Stats gives counters for a status page (per tier, for a Tiered store),
// and WithObserver reports each Event (hits labelled with the tier that
// answered) to a metrics package without this package importing it.
package cache
