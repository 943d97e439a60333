package cache

import (
	"context"
	"math"
	"strings"
	"time"

	"github.com/maypok86/otter/v2"

	"github.com/calbridge/calbridge/freebusy"
)

// day is the length of the unit the cache keys on: a UTC day.
const day = 24 * time.Hour

// Key names one day entry: an attendee's data for one UTC day, at one
// detail level. Keys are comparable, so a tier can use them as map keys;
// a tier that needs text (a Redis key) builds it from the fields.
type Key struct {
	// Attendee is the attendee in normalized form (NormalizeAttendee), so
	// that queries naming one person in different cases share entries.
	Attendee string
	// Detail is the query's detail level; the levels never share entries.
	Detail freebusy.Detail
	// Day counts UTC days since 1970-01-01: the entry covers
	// [Start(), Start()+24h).
	Day int64
}

// Start returns the first instant of the key's day, in UTC.
func (k Key) Start() time.Time { return time.Unix(k.Day*int64(day/time.Second), 0).UTC() }

// dayOf returns the day number of t's UTC day.
func dayOf(t time.Time) int64 {
	sec := t.Unix()
	d := sec / int64(day/time.Second)
	if sec < 0 && sec%int64(day/time.Second) != 0 {
		d--
	}
	return d
}

// NormalizeAttendee returns the form of an attendee that Key.Attendee
// holds: trimmed and lower-cased, the way freebusy.Query.Validate compares
// attendees.
func NormalizeAttendee(a string) string { return strings.ToLower(strings.TrimSpace(a)) }

// Entry is what the cache knows of one attendee on one day: the day's part
// of a schedule, or (negatively cached) the attendee's UnknownAttendee
// failure. Tiers store entries as they are given and hand them back
// unchanged.
type Entry struct {
	// Intervals are the day's non-free time, in canonical form
	// (freebusy.Normalize) and inside the day.
	Intervals []freebusy.Interval
	// Events are the items overlapping the day (DetailFull only), with
	// their own times, so that an item spanning days is in several entries.
	Events []freebusy.Event
	// WorkingHours are the attendee's, where known.
	WorkingHours *freebusy.WorkingHours
	// AsOf is when the origin produced the data (freebusy.Schedule.AsOf),
	// or when the cache received it where the origin did not say.
	AsOf time.Time
	// Stored is when the cache stored the entry; its TTL counts from here.
	Stored time.Time
	// Stale records that the origin itself marked the data stale.
	Stale bool
	// Err, when set, makes this a negative entry: the backend's answer was
	// this failure (only ReasonUnknownAttendee is cached), never data.
	Err *freebusy.Error
	// Failure is the reason the last refresh of the entry failed, and
	// RetryAt when the next one may be tried; both are zero when no refresh
	// has failed since Stored. A stale entry served after a failed refresh
	// carries Failure as Schedule.StaleReason.
	Failure freebusy.Reason
	RetryAt time.Time
}

// Item is one entry to store, with how long the tier should keep it: past
// Keep the entry is of no use (beyond its TTL and its max-stale bound) and
// the tier may drop it.
type Item struct {
	Key   Key
	Entry Entry
	Keep  time.Duration
}

// Store is the contract of a cache tier: the in-memory Memory implements
// it, and a shared tier (Redis) can implement it behind the same Source.
// The Source decides freshness from Entry.Stored; a tier only keeps
// entries, drops them after Item.Keep (or earlier, to stay in its bounds),
// and never changes them.
//
// A tier that fails returns an error; the Source then acts as on a miss
// (Get) or goes on without storing (Set, Delete), logs, and counts the
// failure in Stats.StoreErrors: a query never fails because its cache did.
// A *TierError says that part of the store worked (a Get's results are
// usable); an error matching ErrStoreDown says the store skipped the
// operation because it knows it is down, and is logged at Debug level
// only. Implementations are safe for concurrent use.
type Store interface {
	// Get looks up keys: for each i it sets found[i] and, when found,
	// entries[i]. The three slices have the same length.
	Get(ctx context.Context, keys []Key, entries []Entry, found []bool) error
	// Set stores items, replacing entries of the same keys; an item whose
	// Keep is not positive removes its key instead.
	Set(ctx context.Context, items []Item) error
	// Delete removes every entry of the attendee (normalized, as in Key),
	// at every detail level and day.
	Delete(ctx context.Context, attendee string) error
	// Clear removes every entry.
	Clear(ctx context.Context) error
}

// Sizer is implemented by a Store that can tell its size cheaply; the
// Source reports it in Stats.Entries and Stats.Bytes.
type Sizer interface {
	// Size returns the number of entries and their estimated bytes.
	Size() (entries int, bytes int64)
}

// Memory is the in-memory tier: a Store bounded in bytes (as estimated by
// EntrySize), evicting the entries least likely to be used again, on
// github.com/maypok86/otter/v2. It is safe for concurrent use; Close
// stops its background work.
type Memory struct {
	c *otter.Cache[Key, memValue]
}

// memValue is an entry with how long to keep it.
type memValue struct {
	e    Entry
	keep time.Duration
}

// NewMemory returns a Memory holding at most about maxBytes.
func NewMemory(maxBytes int64) (*Memory, error) {
	if maxBytes <= 0 {
		s := settings{}
		s.invalid("NewMemory", "maxBytes %d is not positive", maxBytes)
		return nil, s.err
	}
	c, err := otter.New(&otter.Options[Key, memValue]{
		MaximumWeight: uint64(maxBytes),
		Weigher:       func(k Key, v memValue) uint32 { return EntrySize(k, v.e) },
		ExpiryCalculator: otter.ExpiryWritingFunc(func(e otter.Entry[Key, memValue]) time.Duration {
			return e.Value.keep
		}),
	})
	if err != nil {
		return nil, err
	}
	return &Memory{c: c}, nil
}

// Name returns "memory", the name of the tier in Stats.Tiers and
// Event.Tier.
func (m *Memory) Name() string { return "memory" }

// Get implements Store.
func (m *Memory) Get(_ context.Context, keys []Key, entries []Entry, found []bool) error {
	for i, k := range keys {
		v, ok := m.c.GetIfPresent(k)
		found[i] = ok
		if ok {
			entries[i] = v.e
		}
	}
	return nil
}

// Set implements Store.
func (m *Memory) Set(_ context.Context, items []Item) error {
	for _, it := range items {
		if it.Keep <= 0 {
			m.c.Invalidate(it.Key)
			continue
		}
		m.c.Set(it.Key, memValue{e: it.Entry, keep: it.Keep})
	}
	return nil
}

// Delete implements Store. It visits every key, which is fine for an
// invalidation hook and not meant for every query.
func (m *Memory) Delete(_ context.Context, attendee string) error {
	for k := range m.c.Keys() {
		if k.Attendee == attendee {
			m.c.Invalidate(k)
		}
	}
	return nil
}

// Clear implements Store.
func (m *Memory) Clear(context.Context) error {
	m.c.InvalidateAll()
	return nil
}

// Size implements Sizer.
func (m *Memory) Size() (entries int, bytes int64) {
	return m.c.EstimatedSize(), int64(m.c.WeightedSize())
}

// Close stops the Memory's background work. Its entries stay readable.
func (m *Memory) Close() error {
	m.c.StopAllGoroutines()
	return nil
}

// Estimated sizes, in bytes, of the parts of an entry held in memory.
const (
	sizeBase     = 192 // Key, Entry, the tier's node and map slot
	sizeInterval = 56  // freebusy.Interval: two time.Time and a Status
	sizeEvent    = 160 // freebusy.Event without its strings
	sizeHours    = 96  // freebusy.WorkingHours and its location pointer
	sizePeriod   = 56  // freebusy.WorkingPeriod without its days
	sizeError    = 96  // freebusy.Error without its message
)

// EntrySize estimates the bytes an entry occupies in memory, the weight
// by which Memory bounds itself. The location of working hours is shared
// and not counted.
func EntrySize(k Key, e Entry) uint32 {
	n := sizeBase + len(k.Attendee) + sizeInterval*len(e.Intervals) + sizeEvent*len(e.Events)
	for _, ev := range e.Events {
		n += len(ev.ID) + len(ev.Subject) + len(ev.Location)
	}
	if w := e.WorkingHours; w != nil {
		n += sizeHours
		for _, p := range w.Periods {
			n += sizePeriod + 8*len(p.Days)
		}
	}
	if e.Err != nil {
		n += sizeError + len(e.Err.Attendee) + len(e.Err.Message)
	}
	if n > math.MaxUint32 {
		return math.MaxUint32
	}
	return uint32(n)
}
