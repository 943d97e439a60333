package cache

import (
	"context"
	"errors"
	"slices"
	"time"

	"go.uber.org/zap"

	"github.com/calbridge/calbridge/freebusy"
)

// run makes a job's backend calls, stores what they learned, and ends its
// flight. The calls do not end with the caller that started them (others
// may wait for them, and a late answer still fills the cache): they keep
// the caller's values but run under the fetch timeout, until Close.
func (c *Source) run(parent context.Context, j *job, epoch uint64) {
	defer c.wg.Done()
	ctx, cancel := context.WithTimeout(context.WithoutCancel(parent), c.s.fetchTimeout)
	defer cancel()
	stop := context.AfterFunc(c.base, cancel)
	defer stop()

	res := make(map[Key]outcome, len(j.keys))
	rows := make([]int, len(j.norm))
	for i := range rows {
		rows[i] = i
	}
	if c.flighter != nil {
		c.share(ctx, j, rows, res, epoch)
	} else {
		c.fetch(ctx, j, rows, res, epoch)
	}
	c.mu.Lock()
	for _, k := range j.keys {
		if c.inflight[k] == j.f {
			delete(c.inflight, k)
		}
	}
	c.mu.Unlock()
	j.f.res = res
	close(j.f.done)
}

// days returns how many days the job covers.
func (j *job) days() int { return int(j.to - j.from) }

// rowKeys returns the keys of the job's attendee i.
func (j *job) rowKeys(i int) []Key {
	nd := j.days()
	return j.keys[i*nd : (i+1)*nd]
}

// keysOf returns the keys of the job's attendees rows.
func (j *job) keysOf(rows []int) []Key {
	if len(rows) == len(j.norm) {
		return j.keys
	}
	out := make([]Key, 0, len(rows)*j.days())
	for _, i := range rows {
		out = append(out, j.rowKeys(i)...)
	}
	return out
}

// fetch asks the backend about the job's attendees rows, records the
// outcomes in res, and stores what it learned.
func (c *Source) fetch(ctx context.Context, j *job, rows []int, res map[Key]outcome, epoch uint64) {
	if len(rows) == 0 {
		return
	}
	q := j.q
	if len(rows) != len(j.norm) {
		q.Attendees = make([]string, len(rows))
		for x, i := range rows {
			q.Attendees[x] = j.q.Attendees[i]
		}
	}
	c.n.calls.Add(1)
	started := time.Now()
	scheds, err := c.src.FreeBusy(ctx, q)
	if err == nil {
		err = freebusy.CheckResult(q, scheds)
	}
	now := time.Now()
	// Entries hold UTC instants without a monotonic reading, so that a
	// shared tier's encoding gives back what was stored.
	stamp := now.UTC()
	ev := Event{Kind: KindFetch, Attendees: len(rows), Days: j.days(), Duration: now.Sub(started), Background: j.background}
	var items []Item
	if err != nil {
		c.n.errors.Add(1)
		fe := asError(err)
		ev.Reason = fe.Reason
		c.log.Debug("cache: backend call failed", zap.Int("attendees", len(rows)), zap.Stringer("reason", fe.Reason), zap.Bool("background", j.background))
		for _, i := range rows {
			keys := j.rowKeys(i)
			for _, k := range keys {
				res[k] = outcome{fail: fe, batch: true}
			}
			items = c.markFailed(items, j, keys, fe, stamp)
		}
	} else {
		for x, s := range scheds {
			items = c.absorb(items, res, j, rows[x], s, stamp)
		}
	}
	c.observe(ev)
	if len(items) > 0 && c.epoch.Load() == epoch {
		if err := c.store.Set(ctx, items); err != nil {
			c.storeFailed("set", err)
		}
	}
}

// share makes the job's backend call together with the other processes
// sharing the store, through its Flighter (the protocol is in the
// Flighter documentation): it fetches the attendees whose locks it takes,
// and waits for the others' entries to land.
func (c *Source) share(ctx context.Context, j *job, rows []int, res map[Key]outcome, epoch uint64) {
	nd := j.days()
	for len(rows) > 0 {
		keys := j.keysOf(rows)
		held := make([]bool, len(keys))
		lease, err := c.flighter.TryLock(ctx, keys, held)
		if err != nil {
			c.storeFailed("lock", err)
			c.fetch(ctx, j, rows, res, epoch)
			return
		}
		var mine, theirs []int
		for x, i := range rows {
			if slices.Contains(held[x*nd:(x+1)*nd], true) {
				mine = append(mine, i)
			} else {
				theirs = append(theirs, i)
			}
		}
		if len(mine) > 0 {
			// Another process may have stored these since this query read
			// the store, and released its locks before this one took them.
			c.fetch(ctx, j, c.landed(ctx, j, mine, res), res, epoch)
		}
		if lease != nil {
			// Released even when ctx has ended, so that the waiters need
			// not wait for the locks to expire.
			if err := lease.Release(context.WithoutCancel(ctx)); err != nil {
				c.storeFailed("unlock", err)
			}
		}
		if len(theirs) == 0 {
			return
		}
		if j.background {
			// A refresh another process runs is as good as this one: the
			// stale entries are served meanwhile.
			for _, i := range theirs {
				for _, k := range j.rowKeys(i) {
					res[k] = outcome{entry: j.prev[k]}
				}
			}
			return
		}
		if err := c.flighter.Await(ctx, j.keysOf(theirs)); err != nil {
			if ctx.Err() != nil {
				fe := asError(ctx.Err())
				for _, k := range j.keysOf(theirs) {
					res[k] = outcome{fail: fe, batch: true}
				}
				return
			}
			c.storeFailed("await", err)
			c.fetch(ctx, j, theirs, res, epoch)
			return
		}
		rows = c.landed(ctx, j, theirs, res)
		c.n.remote.Add(uint64(len(theirs) - len(rows)))
	}
}

// landed reads the store for the job's attendees rows and records in res
// those whose every entry is there and fresh (or negative); it returns
// the other rows. With a Tiered store it reads the shared back tier,
// since the front tier may hold older copies.
func (c *Source) landed(ctx context.Context, j *job, rows []int, res map[Key]outcome) []int {
	if len(rows) == 0 {
		return nil
	}
	keys := j.keysOf(rows)
	entries := make([]Entry, len(keys))
	found := make([]bool, len(keys))
	var err error
	if c.tiered != nil {
		err = c.tiered.getBack(ctx, keys, entries, found)
	} else {
		err = c.store.Get(ctx, keys, entries, found)
	}
	if err != nil {
		c.storeFailed("get", err)
		return rows
	}
	now := time.Now()
	nd := j.days()
	var rest []int
rows:
	for x, i := range rows {
		for k := x * nd; k < (x+1)*nd; k++ {
			if st := c.classify(now, entries[k], found[k]); st != stFresh && st != stNegative {
				rest = append(rest, i)
				continue rows
			}
		}
		for k := x * nd; k < (x+1)*nd; k++ {
			if e := entries[k]; e.Err != nil {
				res[keys[k]] = outcome{fail: e.Err}
			} else {
				res[keys[k]] = outcome{entry: e}
			}
		}
	}
	return rest
}

// asError returns err as an *Error: itself, or one with the reason
// freebusy.ReasonOf gives it.
func asError(err error) *freebusy.Error {
	if fe, ok := errors.AsType[*freebusy.Error](err); ok && fe.Attendee == "" {
		return fe
	}
	return &freebusy.Error{Reason: freebusy.ReasonOf(err), Message: err.Error(), Cause: err}
}

// absorb records the backend's schedule for the job's attendee i: its day
// entries, or its failure.
func (c *Source) absorb(items []Item, res map[Key]outcome, j *job, i int, s freebusy.Schedule, now time.Time) []Item {
	keys := j.rowKeys(i)
	if s.Err == nil {
		ivs, _, err := freebusy.Normalize(s.Intervals, j.q.Start, j.q.End, freebusy.NormalizeOptions{})
		if err != nil {
			s.Err = freebusy.NewError(s.Attendee, freebusy.ReasonInvalid, err)
		} else {
			s.Intervals = ivs
		}
	}
	if s.Err != nil {
		c.n.errors.Add(1)
		c.observe(Event{Kind: KindFailure, Reason: s.Err.Reason, Attendees: 1, Days: len(keys), Background: j.background})
		for _, k := range keys {
			res[k] = outcome{fail: s.Err}
		}
		switch r := s.Err.Reason; {
		case r == freebusy.ReasonUnknownAttendee && c.s.negativeTTL > 0:
			neg := Entry{Err: s.Err, Stored: now}
			for _, k := range keys {
				items = append(items, Item{Key: k, Entry: neg, Keep: c.s.negativeTTL})
			}
		case r.Temporary():
			items = c.markFailed(items, j, keys, s.Err, now)
		case j.background:
			// The attendee is gone or may no longer be seen: drop what the
			// cache had rather than serve it.
			for _, k := range keys {
				items = append(items, Item{Key: k})
			}
		}
		return items
	}
	asOf := s.AsOf.UTC()
	if asOf.IsZero() {
		asOf = now
	}
	keep := c.s.ttl + c.s.maxStale
	ivs := s.Intervals
	for _, k := range keys {
		ds, de := k.Start(), k.Start().Add(day)
		e := Entry{AsOf: asOf, Stored: now, Stale: s.Stale, WorkingHours: s.WorkingHours}
		n := 0
		for n < len(ivs) && ivs[n].Start.Before(de) {
			n++
		}
		for _, iv := range ivs[:n] {
			if cl, ok := iv.Clip(ds, de); ok {
				e.Intervals = append(e.Intervals, cl)
			}
		}
		// The last interval may run into the next day.
		if n > 0 && !ivs[n-1].End.After(de) {
			ivs = ivs[n:]
		} else if n > 0 {
			ivs = ivs[n-1:]
		}
		for _, ev := range s.Events {
			if ev.Start.Before(de) && ev.End.After(ds) || ev.Start.Equal(ev.End) && !ev.Start.Before(ds) && ev.Start.Before(de) {
				ev.Start, ev.End = ev.Start.UTC(), ev.End.UTC()
				e.Events = append(e.Events, ev)
			}
		}
		res[k] = outcome{entry: e}
		items = append(items, Item{Key: k, Entry: e, Keep: keep})
	}
	return items
}

// markFailed records a failed refresh on the stale entries of keys (a
// background job's), so that they are served with the failure's reason
// and not refreshed again before the retry interval.
func (c *Source) markFailed(items []Item, j *job, keys []Key, fe *freebusy.Error, now time.Time) []Item {
	if !j.background {
		return items
	}
	for _, k := range keys {
		e, ok := j.prev[k]
		if !ok {
			continue
		}
		keep := e.Stored.Add(c.s.ttl + c.s.maxStale).Sub(now)
		if keep <= 0 {
			continue
		}
		e.Failure = fe.Reason
		e.RetryAt = now.Add(c.retryInterval(fe.RetryAfter))
		items = append(items, Item{Key: k, Entry: e, Keep: keep})
	}
	return items
}
