package cache

import (
	"slices"
	"time"

	"github.com/calbridge/calbridge/freebusy"
	"github.com/calbridge/calbridge/internal/window"
)

// assemble builds the answer of q from the day entries of each attendee:
// states and entries from the store (from says which tier each came
// from), the rest from the flights in waits. ctxErr is set when the
// caller's context ended before every flight did.
func (c *Source) assemble(q freebusy.Query, keys []Key, nd int, now time.Time, states []keyState, entries []Entry, from []int8, waits map[Key]*flight, ctxErr error) ([]freebusy.Schedule, error) {
	out := make([]freebusy.Schedule, len(q.Attendees))
	start, end := q.Start.UTC(), q.End.UTC()
	var batchErr error
	batchFailed := 0
	for i, a := range q.Attendees {
		row := entries[i*nd : (i+1)*nd]
		tier := c.tiers[slices.Max(from[i*nd:(i+1)*nd])]
		var fail *freebusy.Error
		batch, waited, negative := false, false, false
		for j := range nd {
			k := i*nd + j
			switch states[k] {
			case stNegative:
				fail, negative = row[j].Err, true
			case stMissing:
				waited = true
				f := waits[keys[k]]
				select {
				case <-f.done:
				default:
					if fail == nil {
						fail, batch = asError(ctxErr), true
					}
					continue
				}
				o := f.res[keys[k]]
				if o.fail != nil {
					if fail == nil {
						fail, batch = o.fail, o.batch
					}
					continue
				}
				row[j] = o.entry
			}
		}
		if fail != nil {
			out[i] = freebusy.Schedule{Attendee: a, Start: start, End: end, Err: &freebusy.Error{
				Attendee: a, Reason: fail.Reason, Message: fail.Message, RetryAfter: fail.RetryAfter, Cause: fail.Cause,
			}}
			if batch {
				batchFailed++
				if batchErr == nil {
					batchErr = fail
				}
			}
			switch {
			case negative && !waited:
				c.n.hits.Add(1)
				c.observe(Event{Kind: KindHit, Attendees: 1, Days: nd, Tier: tier})
			default:
				c.n.misses.Add(1)
				c.observe(Event{Kind: KindMiss, Attendees: 1, Days: nd})
			}
			continue
		}
		s, err := c.build(a, start, end, now, row)
		if err != nil {
			s = freebusy.Failed(a, start, end, freebusy.ReasonInternal, err)
		}
		out[i] = s
		switch {
		case s.Stale:
			c.n.stale.Add(1)
			c.observe(Event{Kind: KindStale, Reason: s.StaleReason, Attendees: 1, Days: nd, Tier: tier})
		case waited:
			c.n.misses.Add(1)
			c.observe(Event{Kind: KindMiss, Attendees: 1, Days: nd})
		default:
			c.n.hits.Add(1)
			c.observe(Event{Kind: KindHit, Attendees: 1, Days: nd, Tier: tier})
		}
	}
	if batchFailed == len(q.Attendees) {
		// Nothing could be answered: the failure of the backend (or of
		// the caller's context) is the query's, as the Source contract
		// says.
		return nil, batchErr
	}
	return out, nil
}

// build assembles one attendee's schedule from its day entries.
func (c *Source) build(attendee string, start, end, now time.Time, row []Entry) (freebusy.Schedule, error) {
	s := freebusy.Schedule{Attendee: attendee, Start: start, End: end}
	ivs := joinDays(row, start, end)
	var newest time.Time
	for j, e := range row {
		if j == 0 || e.AsOf.Before(s.AsOf) {
			s.AsOf = e.AsOf
		}
		if e.Stale || now.Sub(e.Stored) >= c.s.ttl {
			s.Stale = true
			if s.StaleReason == freebusy.ReasonNone {
				s.StaleReason = e.Failure
			}
		}
		if e.WorkingHours != nil && (s.WorkingHours == nil || e.Stored.After(newest)) {
			s.WorkingHours, newest = e.WorkingHours, e.Stored
		}
		for _, ev := range e.Events {
			if ev.Start.Before(end) && ev.End.After(start) && !slices.Contains(s.Events, ev) {
				s.Events = append(s.Events, ev)
			}
		}
	}
	var err error
	if freebusy.IsCanonical(ivs, start, end) {
		s.Intervals = ivs
	} else {
		var all []freebusy.Interval
		for _, e := range row {
			all = append(all, e.Intervals...)
		}
		s.Intervals, _, err = freebusy.Normalize(all, start, end, freebusy.NormalizeOptions{})
	}
	if s.WorkingHours != nil {
		s.WorkingHours = cloneHours(s.WorkingHours)
	}
	return s, err
}

// joinDays lays the intervals of a row of day entries end to end in UTC,
// clipped to [start, end), joining an interval that runs past midnight
// with its continuation the next day. Each entry holds its day in
// canonical form (Normalize's), so the result is canonical for the
// window without a sort; build checks that it is (IsCanonical), and
// normalizes the entries in full when it is not. It returns nil when no
// interval falls in the window, as Normalize does.
func joinDays(row []Entry, start, end time.Time) []freebusy.Interval {
	n := 0
	for _, e := range row {
		n += len(e.Intervals)
	}
	if n == 0 {
		return nil
	}
	ivs := make([]freebusy.Interval, 0, n)
	for _, e := range row {
		for _, iv := range e.Intervals {
			if !iv.End.After(start) || !iv.Start.Before(end) {
				continue
			}
			iv.Start, iv.End = window.Max(iv.Start, start).UTC(), window.Min(iv.End, end).UTC()
			if k := len(ivs) - 1; k >= 0 && ivs[k].Status == iv.Status && ivs[k].End.Equal(iv.Start) {
				ivs[k].End = iv.End
				continue
			}
			ivs = append(ivs, iv)
		}
	}
	if len(ivs) == 0 {
		return nil
	}
	return ivs
}

// cloneHours copies working hours, so that a caller changing its answer
// cannot change the cache's entries.
func cloneHours(w *freebusy.WorkingHours) *freebusy.WorkingHours {
	c := &freebusy.WorkingHours{Location: w.Location, Periods: slices.Clone(w.Periods)}
	for i := range c.Periods {
		c.Periods[i].Days = slices.Clone(c.Periods[i].Days)
	}
	return c
}
