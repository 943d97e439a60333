package cache

import (
	"context"
	"errors"
	"time"

	"go.uber.org/zap"

	"github.com/calbridge/calbridge/freebusy"
)

// run makes a job's backend call, stores what it learned, and ends its
// flight. The call does not end with the caller that started it (others
// may wait for it, and a late answer still fills the cache): it keeps the
// caller's values but runs under the fetch timeout, until Close.
func (c *Source) run(parent context.Context, j *job, epoch uint64) {
	defer c.wg.Done()
	ctx, cancel := context.WithTimeout(context.WithoutCancel(parent), c.s.fetchTimeout)
	defer cancel()
	stop := context.AfterFunc(c.base, cancel)
	defer stop()

	c.n.calls.Add(1)
	started := time.Now()
	scheds, err := c.src.FreeBusy(ctx, j.q)
	if err == nil {
		err = freebusy.CheckResult(j.q, scheds)
	}
	now := time.Now()
	ev := Event{Kind: KindFetch, Attendees: len(j.q.Attendees), Days: int(j.to - j.from), Duration: now.Sub(started), Background: j.background}
	res := make(map[Key]outcome, len(j.keys))
	var items []Item
	if err != nil {
		c.n.errors.Add(1)
		fe := asError(err)
		ev.Reason = fe.Reason
		c.log.Debug("cache: backend call failed", zap.Int("attendees", len(j.q.Attendees)), zap.Stringer("reason", fe.Reason), zap.Bool("background", j.background))
		for _, k := range j.keys {
			res[k] = outcome{fail: fe, batch: true}
		}
		items = c.markFailed(items, j, j.keys, fe, now)
	} else {
		for i, s := range scheds {
			items = c.absorb(items, res, j, i, s, now)
		}
	}
	c.observe(ev)
	if len(items) > 0 && c.epoch.Load() == epoch {
		if err := c.store.Set(ctx, items); err != nil {
			c.storeFailed("set", err)
		}
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
	keys := j.keys[i*int(j.to-j.from) : (i+1)*int(j.to-j.from)]
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
