package cache

import (
	"context"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"

	"github.com/calbridge/calbridge/freebusy"
)

// ErrClosed is the cause of the error FreeBusy returns after Close.
var ErrClosed = errors.New("cache: closed")

// maxRetryInterval bounds how long a stale entry whose refresh failed waits
// before the next refresh is tried: a minute, or the TTL when that is
// shorter, or the backend's RetryAfter when that is longer.
const maxRetryInterval = time.Minute

// Source is the cache: a freebusy.Source that answers from day entries of
// a Store and asks its backend Source only for the days it lacks. It is
// safe for concurrent use; Close stops its background work.
//
// Every query is cut into keys per attendee, detail level and UTC day (the
// window rounded out to whole days), so that overlapping windows share
// entries. For each key:
//   - fresh (younger than the TTL): answered from the entry;
//   - stale (past the TTL, within the max-stale bound): answered at once
//     from the entry, marked Stale, and refreshed in the background, one
//     refresh per key at a time;
//   - missing or older: fetched from the backend. Keys missing for one
//     query are grouped into as few backend queries as possible (the
//     attendees missing the same days, up to the batch size), and a caller
//     whose keys another caller is already fetching waits for that fetch
//     instead of asking again.
//
// The answer is assembled from the day entries and clipped to the query's
// window: AsOf is the oldest of the entries used, Stale is set when any of
// them is stale, and StaleReason carries the reason of a failed refresh.
// Failures are not cached, apart from UnknownAttendee for the negative TTL;
// a backend failure for which no usable entry exists passes on, as the
// attendee's failed schedule, or as the error when no attendee could be
// answered at all.
type Source struct {
	src   freebusy.Source
	s     settings
	store Store
	own   *Memory
	log   *zap.Logger

	tiered   *Tiered   // store, when it is one
	flighter Flighter  // shares backend calls with other processes, or nil
	tiers    [3]string // names of the tiers by origin (see read); [0] is ""

	mu       sync.Mutex
	inflight map[Key]*flight
	closed   bool

	base   context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	epoch  atomic.Uint64 // bumped by invalidations
	n      counters
}

var _ freebusy.Source = (*Source)(nil)

// flight is one backend call under way; the keys it covers map to it in
// Source.inflight until it ends.
type flight struct {
	done chan struct{}
	res  map[Key]outcome // set before done is closed
}

// outcome is what a flight learned about one key: an entry, or a failure.
type outcome struct {
	entry Entry
	fail  *freebusy.Error
	batch bool // fail is the whole backend call's
}

// New returns a Source in front of src.
func New(src freebusy.Source, opts ...Option) (*Source, error) {
	if src == nil {
		s := settings{}
		s.invalid("New", "nil source")
		return nil, s.err
	}
	s, err := newSettings(opts)
	if err != nil {
		return nil, err
	}
	c := &Source{src: src, s: s, store: s.store, log: s.logger, inflight: make(map[Key]*flight)}
	if c.store == nil {
		m, err := NewMemory(s.maxBytes)
		if err != nil {
			return nil, err
		}
		c.own, c.store = m, m
	}
	c.tiered, _ = c.store.(*Tiered)
	c.flighter = flighterOf(c.store)
	if c.tiered != nil {
		c.tiers[1], c.tiers[2] = c.tiered.names[tierFront], c.tiered.names[tierBack]
	} else {
		c.tiers[1] = storeName(c.store, "")
	}
	c.base, c.cancel = context.WithCancel(context.Background())
	return c, nil
}

// Close stops background refreshes and the in-memory tier's work, and
// waits for them. Queries after Close fail with an error whose cause is
// ErrClosed. Close is idempotent.
func (c *Source) Close() error {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	c.cancel()
	c.wg.Wait()
	if c.own != nil {
		return c.own.Close()
	}
	return nil
}

// Invalidate drops every entry of attendee (named in any case), so that
// the next query asks the backend: the hook for a change notification.
// A fetch under way when it is called does not store its answer.
func (c *Source) Invalidate(ctx context.Context, attendee string) error {
	c.epoch.Add(1)
	if err := c.store.Delete(ctx, NormalizeAttendee(attendee)); err != nil {
		c.countStoreError(err)
		return err
	}
	return nil
}

// InvalidateAll drops every entry.
func (c *Source) InvalidateAll(ctx context.Context) error {
	c.epoch.Add(1)
	if err := c.store.Clear(ctx); err != nil {
		c.countStoreError(err)
		return err
	}
	return nil
}

// Stats returns the counters.
func (c *Source) Stats() Stats {
	st := Stats{
		Hits:         c.n.hits.Load(),
		Misses:       c.n.misses.Load(),
		Stale:        c.n.stale.Load(),
		BackendCalls: c.n.calls.Load(),
		Errors:       c.n.errors.Load(),
		StoreErrors:  c.n.storeErrors.Load(),
		RemoteFills:  c.n.remote.Load(),
	}
	if sz, ok := c.store.(Sizer); ok {
		st.Entries, st.Bytes = sz.Size()
	}
	if c.tiered != nil {
		st.Tiers = c.tiered.Tiers()
	}
	return st
}

func (c *Source) observe(e Event) {
	if c.s.observer != nil {
		c.s.observer(e)
	}
}

// keyState classifies a key of a query.
type keyState uint8

const (
	stMissing keyState = iota
	stFresh
	stStale
	stNegative
)

// FreeBusy implements freebusy.Source.
func (c *Source) FreeBusy(ctx context.Context, q freebusy.Query) ([]freebusy.Schedule, error) {
	if err := c.s.limits.Validate(q); err != nil {
		return nil, err
	}
	now := time.Now()
	win := freebusy.Interval{Start: q.Start.UTC(), End: q.End.UTC()}.RoundOutward(day)
	d0 := dayOf(win.Start)
	nd := int(dayOf(win.End) - d0)
	na := len(q.Attendees)

	keys := make([]Key, na*nd)
	entries := make([]Entry, len(keys))
	found := make([]bool, len(keys))
	from := make([]int8, len(keys))
	for i, a := range q.Attendees {
		norm := NormalizeAttendee(a)
		for j := range nd {
			keys[i*nd+j] = Key{Attendee: norm, Detail: q.Detail, Day: d0 + int64(j)}
		}
	}
	c.read(ctx, keys, entries, found, from)
	states := make([]keyState, len(keys))
	for k := range keys {
		states[k] = c.classify(now, entries[k], found[k])
	}
	if c.tiered != nil {
		c.recheckBack(ctx, now, keys, entries, found, from, states)
	}

	// Register the fetches: missing keys nobody fetches yet in the
	// foreground, stale keys nobody refreshes yet in the background.
	waits := make(map[Key]*flight)
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil, &freebusy.Error{Reason: freebusy.ReasonUnavailable, Message: ErrClosed.Error(), Cause: ErrClosed}
	}
	fetch := make([]bool, len(keys))
	refresh := make([]bool, len(keys))
	for k, key := range keys {
		f, busy := c.inflight[key]
		switch {
		case states[k] == stMissing && busy:
			waits[key] = f
		case states[k] == stMissing:
			fetch[k] = true
		case states[k] == stStale && !busy && c.refreshDue(now, entries[k]):
			refresh[k] = true
		}
	}
	jobs := c.plan(q, keys, nd, fetch, nil, false)
	jobs = append(jobs, c.plan(q, keys, nd, refresh, entries, true)...)
	for _, j := range jobs {
		for _, key := range j.keys {
			c.inflight[key] = j.f
			if !j.background {
				waits[key] = j.f
			}
		}
	}
	c.wg.Add(len(jobs))
	c.mu.Unlock()
	epoch := c.epoch.Load()
	for _, j := range jobs {
		go c.run(ctx, j, epoch)
	}

	// Wait for the flights this query needs, or for ctx.
	var ctxErr error
	seen := make(map[*flight]bool, 4)
	for _, f := range waits {
		if seen[f] {
			continue
		}
		seen[f] = true
		select {
		case <-f.done:
		case <-ctx.Done():
			ctxErr = ctx.Err()
		}
		if ctxErr != nil {
			break
		}
	}
	return c.assemble(q, keys, nd, now, states, entries, from, waits, ctxErr)
}

// read looks keys up in the store and reports in from where each found
// entry came from: 1 for the store (the front tier of a Tiered store), 2
// for the back tier of a Tiered store. A failure of the store counts as a
// miss of every key, unless it is a *TierError (the other tier answered).
func (c *Source) read(ctx context.Context, keys []Key, entries []Entry, found []bool, from []int8) {
	var err error
	if c.tiered != nil {
		err = c.tiered.get(ctx, keys, entries, found, from)
	} else {
		err = c.store.Get(ctx, keys, entries, found)
		for i, ok := range found {
			if ok {
				from[i] = 1
			}
		}
	}
	if err != nil {
		c.storeFailed("get", err)
		if _, partial := errors.AsType[*TierError](err); !partial {
			clear(found)
			clear(from)
		}
	}
}

// recheckBack asks the back tier of a Tiered store about the keys whose
// front entries are stale or too old: another process may have refreshed
// them in the shared tier since this process copied them.
func (c *Source) recheckBack(ctx context.Context, now time.Time, keys []Key, entries []Entry, found []bool, from []int8, states []keyState) {
	var idx []int
	for k := range keys {
		if from[k] == tierFront+1 && (states[k] == stStale || states[k] == stMissing) {
			idx = append(idx, k)
		}
	}
	if len(idx) == 0 {
		return
	}
	bk := make([]Key, len(idx))
	for x, k := range idx {
		bk[x] = keys[k]
	}
	be := make([]Entry, len(idx))
	bf := make([]bool, len(idx))
	if err := c.tiered.getBack(ctx, bk, be, bf); err != nil {
		c.storeFailed("get", err)
		return
	}
	for x, k := range idx {
		if bf[x] && be[x].Stored.After(entries[k].Stored) {
			entries[k], found[k], from[k] = be[x], true, tierBack+1
			states[k] = c.classify(now, be[x], true)
		}
	}
}

// classify returns the state of a key given what the store had.
func (c *Source) classify(now time.Time, e Entry, found bool) keyState {
	if !found {
		return stMissing
	}
	age := now.Sub(e.Stored)
	if e.Err != nil {
		if age < c.s.negativeTTL {
			return stNegative
		}
		return stMissing
	}
	switch {
	case age < c.s.ttl:
		return stFresh
	case age < c.s.ttl+c.s.maxStale:
		return stStale
	}
	return stMissing
}

// refreshDue reports whether a stale entry may be refreshed now: always,
// unless a refresh failed within the retry interval.
func (c *Source) refreshDue(now time.Time, e Entry) bool {
	return !now.Before(e.RetryAt)
}

// retryInterval is how long after a failed refresh the next one waits.
func (c *Source) retryInterval(retryAfter time.Duration) time.Duration {
	d := min(c.s.ttl, maxRetryInterval)
	return max(d, retryAfter)
}

// countStoreError counts a failure of the store, reports it to the
// observer, and returns the name of the tier that failed.
func (c *Source) countStoreError(err error) string {
	c.n.storeErrors.Add(1)
	tier := c.tiers[1]
	if te, ok := errors.AsType[*TierError](err); ok {
		tier = te.Tier
	}
	c.observe(Event{Kind: KindStoreError, Tier: tier})
	return tier
}

// storeFailed counts and reports a failure of the store, which the caller
// goes on without. A store that skipped the operation because it knows it
// is down (ErrStoreDown) reports its state itself: it is logged at Debug
// level only, so that a down Redis does not log once per query.
func (c *Source) storeFailed(op string, err error) {
	tier := c.countStoreError(err)
	level := zap.WarnLevel
	if errors.Is(err, ErrStoreDown) {
		level = zap.DebugLevel
	}
	c.log.Log(level, "cache: store failed; going on without it", zap.String("op", op), zap.String("tier", tier), zap.Error(err))
}

// job is one backend call to make.
type job struct {
	f          *flight
	q          freebusy.Query
	norm       []string // the attendees, normalized
	from, to   int64    // the days [from, to)
	keys       []Key
	background bool
	prev       map[Key]Entry // background: the stale entries refreshed
}

// plan groups the marked keys into backend calls: for each attendee, the
// runs of consecutive marked days (split at the longest window a query
// may have); attendees with the same run share calls of up to the batch
// size. It creates the jobs' flights; the caller registers them.
func (c *Source) plan(q freebusy.Query, keys []Key, nd int, marked []bool, entries []Entry, background bool) []*job {
	type span struct{ from, to int64 }
	maxDays := int(c.s.limits.MaxWindow / day)
	groups := make(map[span][]int)
	var order []span
	for i := range q.Attendees {
		row := marked[i*nd : (i+1)*nd]
		for j := 0; j < nd; {
			if !row[j] {
				j++
				continue
			}
			e := j
			for e < nd && row[e] && e-j < maxDays {
				e++
			}
			sp := span{keys[i*nd+j].Day, keys[i*nd+j].Day + int64(e-j)}
			if _, ok := groups[sp]; !ok {
				order = append(order, sp)
			}
			groups[sp] = append(groups[sp], i)
			j = e
		}
	}
	var jobs []*job
	for _, sp := range order {
		for batch := range slices.Chunk(groups[sp], c.s.batchSize) {
			j := &job{
				f:          &flight{done: make(chan struct{})},
				from:       sp.from,
				to:         sp.to,
				background: background,
				q: freebusy.Query{
					Start:       Key{Day: sp.from}.Start(),
					End:         Key{Day: sp.to}.Start(),
					Granularity: q.Granularity,
					Detail:      q.Detail,
				},
			}
			if background {
				j.prev = make(map[Key]Entry)
			}
			for _, i := range batch {
				j.q.Attendees = append(j.q.Attendees, q.Attendees[i])
				j.norm = append(j.norm, keys[i*nd].Attendee)
				for d := sp.from; d < sp.to; d++ {
					k := i*nd + int(d-keys[i*nd].Day)
					j.keys = append(j.keys, keys[k])
					if background {
						j.prev[keys[k]] = entries[k]
					}
				}
			}
			jobs = append(jobs, j)
		}
	}
	return jobs
}
