package cache

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/calbridge/calbridge/freebusy"
)

func TestHitAndMiss(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, b := newCache(t)
		q := query(monday.Add(8*time.Hour), monday.Add(32*time.Hour), "Ada@Example.com", "alan@example.com")
		t0 := time.Now().UTC()
		first := ask(t, c, q)
		require.Equal(t, 1, b.numCalls())
		assert.Equal(t, []string{"Ada@Example.com", "alan@example.com"}, b.call(0).Attendees)
		assert.Equal(t, monday, b.call(0).Start, "the window is rounded out to whole days")
		assert.Equal(t, monday.Add(48*time.Hour), b.call(0).End)
		for _, s := range first {
			assert.Equal(t, busy(q.Start, q.End), s.Intervals)
			assert.False(t, s.Stale)
			assert.Equal(t, t0, s.AsOf, "AsOf is the origin's")
			require.NotNil(t, s.WorkingHours, "working hours are kept per attendee")
		}

		time.Sleep(time.Minute)
		second := ask(t, c, q)
		assert.Equal(t, 1, b.numCalls(), "the second query is a hit")
		assert.Equal(t, first, second)
		st := c.Stats()
		assert.Equal(t, uint64(2), st.Hits)
		assert.Equal(t, uint64(2), st.Misses)
		assert.Equal(t, uint64(1), st.BackendCalls)
		assert.Equal(t, 4, st.Entries, "2 attendees x 2 days")
		assert.Positive(t, st.Bytes)
	})
}

func TestOverlappingWindowsShareDayEntries(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, b := newCache(t)
		ask(t, c, query(monday.Add(8*time.Hour), monday.Add(2*24*time.Hour+12*time.Hour), "ada"))
		require.Equal(t, 1, b.numCalls())

		q := query(monday.Add(24*time.Hour+9*time.Hour+30*time.Minute), monday.Add(2*24*time.Hour+11*time.Hour), "ADA")
		got := ask(t, c, q)
		assert.Equal(t, 1, b.numCalls(), "a window inside the fetched days needs no call")
		assert.Equal(t, busy(q.Start, q.End), got[0].Intervals, "clipped to the window")
		assert.Equal(t, "ADA", got[0].Attendee, "the attendee as asked")

		got = ask(t, c, query(monday.Add(24*time.Hour), monday.Add(5*24*time.Hour), "ada"))
		require.Equal(t, 2, b.numCalls())
		assert.Equal(t, monday.Add(3*24*time.Hour), b.call(1).Start, "only the missing days are fetched")
		assert.Equal(t, monday.Add(5*24*time.Hour), b.call(1).End)
		assert.Equal(t, busy(monday.Add(24*time.Hour), monday.Add(5*24*time.Hour)), got[0].Intervals)
	})
}

func TestIntervalsAcrossMidnightJoin(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		night := freebusy.Interval{Start: monday.Add(22 * time.Hour), End: monday.Add(26 * time.Hour), Status: freebusy.OutOfOffice}
		src := freebusy.SourceFunc(func(_ context.Context, q freebusy.Query) ([]freebusy.Schedule, error) {
			return []freebusy.Schedule{{Attendee: q.Attendees[0], Start: q.Start, End: q.End, Intervals: []freebusy.Interval{night}}}, nil
		})
		c, err := New(src)
		require.NoError(t, err)
		defer c.Close()
		q := query(monday, monday.Add(48*time.Hour), "ada")
		got, err := c.FreeBusy(context.Background(), q)
		require.NoError(t, err)
		assert.Equal(t, []freebusy.Interval{night}, got[0].Intervals, "day entries join back into one interval")
		assert.Equal(t, 2, c.Stats().Entries)
	})
}

func TestTTLExpiry(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, b := newCache(t, WithTTL(10*time.Minute), WithMaxStale(0))
		q := query(monday, monday.Add(24*time.Hour), "ada")
		ask(t, c, q)
		time.Sleep(10*time.Minute - time.Second)
		ask(t, c, q)
		assert.Equal(t, 1, b.numCalls(), "fresh just before the TTL")
		time.Sleep(time.Second)
		got := ask(t, c, q)
		assert.Equal(t, 2, b.numCalls(), "fetched again at the TTL")
		assert.False(t, got[0].Stale)
		assert.Equal(t, time.Now().UTC(), got[0].AsOf)
	})
}

func TestStaleWhileRevalidate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, b := newCache(t)
		q := query(monday, monday.Add(24*time.Hour), "ada", "alan")
		warm := ask(t, c, q)
		time.Sleep(DefaultTTL + time.Minute)

		gate := make(chan struct{})
		b.set(func(b *backend) { b.gate = gate })
		for range 3 {
			got := ask(t, c, q)
			for i, s := range got {
				assert.True(t, s.Stale, "past its TTL")
				assert.Equal(t, freebusy.ReasonNone, s.StaleReason, "no refresh has failed")
				assert.Equal(t, warm[i].AsOf, s.AsOf, "with its AsOf")
				assert.Equal(t, warm[i].Intervals, s.Intervals)
			}
		}
		synctest.Wait()
		assert.Equal(t, 2, b.numCalls(), "one background refresh for all three callers")
		assert.Equal(t, []string{"ada", "alan"}, b.call(1).Attendees)
		close(gate)
		synctest.Wait()

		got := ask(t, c, q)
		assert.Equal(t, 2, b.numCalls())
		assert.False(t, got[0].Stale, "the refresh landed")
		assert.Equal(t, time.Now().UTC(), got[0].AsOf, "with the refresh's AsOf")
		assert.Equal(t, uint64(6), c.Stats().Stale)
	})
}

func TestBackendFailureServedStaleWithReason(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, b := newCache(t, WithTTL(10*time.Minute), WithMaxStale(time.Hour))
		q := query(monday, monday.Add(24*time.Hour), "ada")
		warm := ask(t, c, q)
		time.Sleep(11 * time.Minute)
		b.set(func(b *backend) { b.fail = freebusy.NewError("", freebusy.ReasonUnavailable, errors.New("link down")) })

		got := ask(t, c, q)
		assert.True(t, got[0].Stale)
		synctest.Wait() // the refresh fails
		require.Equal(t, 2, b.numCalls())

		got = ask(t, c, q)
		assert.True(t, got[0].Stale)
		assert.Equal(t, freebusy.ReasonUnavailable, got[0].StaleReason, "the failure's reason is recorded")
		assert.Equal(t, warm[0].AsOf, got[0].AsOf)
		assert.Equal(t, warm[0].Intervals, got[0].Intervals)
		synctest.Wait()
		assert.Equal(t, 2, b.numCalls(), "no new refresh within the retry interval")

		time.Sleep(maxRetryInterval)
		ask(t, c, q)
		synctest.Wait()
		assert.Equal(t, 3, b.numCalls(), "retried after the retry interval")

		time.Sleep(time.Hour)
		_, err := c.FreeBusy(context.Background(), q)
		require.Error(t, err, "past the max-stale bound the failure passes on")
		assert.ErrorIs(t, err, freebusy.ErrUnavailable)
		assert.Positive(t, c.Stats().Errors)
	})
}

func TestFailureWithoutEntryPassesOn(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, b := newCache(t)
		b.set(func(b *backend) { b.fail = freebusy.NewError("", freebusy.ReasonUnavailable, errors.New("down")) })
		q := query(monday, monday.Add(24*time.Hour), "ada", "alan")
		_, err := c.FreeBusy(context.Background(), q)
		assert.ErrorIs(t, err, freebusy.ErrUnavailable)

		// With one attendee cached, the other gets the failure as its reason.
		b.set(func(b *backend) { b.fail = nil })
		ask(t, c, query(monday, monday.Add(24*time.Hour), "ada"))
		b.set(func(b *backend) { b.fail = errors.New("boom") })
		got := ask(t, c, q)
		assert.True(t, got[0].OK())
		require.False(t, got[1].OK())
		assert.Equal(t, freebusy.ReasonInternal, got[1].Err.Reason)
		assert.Equal(t, "alan", got[1].Err.Attendee)

		b.set(func(b *backend) { b.fail = nil })
		ask(t, c, q)
		assert.Equal(t, 4, b.numCalls(), "failures are not cached")
	})
}

func TestConcurrentCallersMakeOneBackendCall(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, b := newCache(t)
		gate := make(chan struct{})
		b.set(func(b *backend) { b.gate = gate })
		q := query(monday, monday.Add(7*24*time.Hour), names(20)...)
		const n = 50
		results := make([][]freebusy.Schedule, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() { results[i] = ask(t, c, q) })
		}
		synctest.Wait()
		assert.Equal(t, 1, b.numCalls(), "every caller waits for the one call under way")
		close(gate)
		wg.Wait()
		assert.Equal(t, 1, b.numCalls())
		for _, r := range results[1:] {
			assert.Equal(t, results[0], r)
		}
		st := c.Stats()
		assert.Equal(t, uint64(n*20), st.Misses)
	})
}

func TestOverlappingConcurrentQueriesWaitForEachOther(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, b := newCache(t)
		gate := make(chan struct{})
		b.set(func(b *backend) { b.gate = gate })
		var wg sync.WaitGroup
		wg.Go(func() { ask(t, c, query(monday, monday.Add(3*24*time.Hour), "ada")) })
		synctest.Wait()
		wg.Go(func() { ask(t, c, query(monday.Add(24*time.Hour), monday.Add(5*24*time.Hour), "ada")) })
		synctest.Wait()
		require.Equal(t, 2, b.numCalls())
		assert.Equal(t, monday.Add(3*24*time.Hour), b.call(1).Start, "the second asks only for the days nobody fetches")
		close(gate)
		wg.Wait()
	})
}

func TestMissesAreBatched(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, b := newCache(t, WithBatchSize(40))
		all := names(100)
		ask(t, c, query(monday, monday.Add(24*time.Hour), all[:30]...))
		require.Equal(t, 1, b.numCalls(), "one call for 30 attendees, not 30")

		got := ask(t, c, query(monday, monday.Add(2*24*time.Hour), all...))
		// 30 attendees miss Tuesday only; 70 miss both days, in batches of 40.
		require.Equal(t, 4, b.numCalls())
		sizes := map[time.Time][]int{}
		for i := 1; i < 4; i++ {
			call := b.call(i)
			sizes[call.Start] = append(sizes[call.Start], len(call.Attendees))
		}
		slices.Sort(sizes[monday])
		assert.Equal(t, map[time.Time][]int{monday.Add(24 * time.Hour): {30}, monday: {30, 40}}, sizes)
		for _, s := range got {
			assert.Len(t, s.Intervals, 2)
		}
	})
}

func TestLongWindowsAreSplit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, b := newCache(t, WithLimits(freebusy.Limits{MaxWindow: 7 * 24 * time.Hour}))
		q := query(monday.Add(time.Hour), monday.Add(7*24*time.Hour), "ada")
		got := ask(t, c, q)
		require.Equal(t, 1, b.numCalls())
		q = query(monday.Add(time.Hour), monday.Add(7*24*time.Hour+time.Hour), "ada")
		q.Start = monday.Add(6*24*time.Hour + time.Hour)
		ask(t, c, q)
		assert.Equal(t, 2, b.numCalls())
		assert.Len(t, got[0].Intervals, 7)
	})
}

func TestBytesBoundEvicts(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const max = 32 << 10
		c, _ := newCache(t, WithMaxBytes(max))
		for _, n := range [][]string{names(100)} {
			ask(t, c, query(monday, monday.Add(7*24*time.Hour), n...))
		}
		synctest.Wait()
		st := c.Stats()
		assert.LessOrEqual(t, st.Bytes, int64(max))
		assert.Less(t, st.Entries, 700, "entries were evicted")
		assert.Positive(t, st.Entries)
	})
}

func TestInvalidate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, b := newCache(t)
		q := query(monday, monday.Add(24*time.Hour), "ada", "alan")
		ask(t, c, q)
		require.NoError(t, c.Invalidate(context.Background(), " ADA "))
		ask(t, c, q)
		require.Equal(t, 2, b.numCalls())
		assert.Equal(t, []string{"ada"}, b.call(1).Attendees)
		require.NoError(t, c.InvalidateAll(context.Background()))
		ask(t, c, q)
		require.Equal(t, 3, b.numCalls())
		assert.Equal(t, []string{"ada", "alan"}, b.call(2).Attendees)
	})
}

func TestInvalidateDuringFetchDropsTheAnswer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, b := newCache(t)
		gate := make(chan struct{})
		b.set(func(b *backend) { b.gate = gate })
		q := query(monday, monday.Add(24*time.Hour), "ada")
		var wg sync.WaitGroup
		wg.Go(func() { ask(t, c, q) })
		synctest.Wait()
		require.NoError(t, c.Invalidate(context.Background(), "ada"))
		close(gate)
		wg.Wait()
		b.set(func(b *backend) { b.gate = nil })
		ask(t, c, q)
		assert.Equal(t, 2, b.numCalls(), "data fetched across an invalidation is not kept")
	})
}

func TestUnknownAttendeeNotCachedAsData(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, b := newCache(t, WithNegativeTTL(time.Minute))
		b.set(func(b *backend) {
			b.failFor = map[string]*freebusy.Error{"ghost": {Reason: freebusy.ReasonUnknownAttendee, Message: "not found"}}
		})
		q := query(monday, monday.Add(2*24*time.Hour), "Ghost", "ada")
		for range 2 {
			got := ask(t, c, q)
			require.False(t, got[0].OK())
			assert.ErrorIs(t, got[0].Err, freebusy.ErrUnknownAttendee)
			assert.Equal(t, "Ghost", got[0].Err.Attendee)
			assert.Empty(t, got[0].Intervals)
			assert.True(t, got[1].OK())
		}
		assert.Equal(t, 1, b.numCalls(), "remembered for the negative TTL")
		time.Sleep(time.Minute)
		ask(t, c, q)
		require.Equal(t, 2, b.numCalls())
		assert.Equal(t, []string{"Ghost"}, b.call(1).Attendees, "asked again after it")

		c0, b0 := newCache(t, WithNegativeTTL(0))
		b0.set(func(b *backend) {
			b.failFor = map[string]*freebusy.Error{"ghost": {Reason: freebusy.ReasonUnknownAttendee}}
		})
		ask(t, c0, q)
		ask(t, c0, q)
		assert.Equal(t, 2, b0.numCalls(), "a zero negative TTL remembers nothing")
	})
}

func TestPerAttendeeFailureLeavesOthersCached(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, b := newCache(t)
		b.set(func(b *backend) {
			b.failFor = map[string]*freebusy.Error{"flaky": {Reason: freebusy.ReasonThrottled, RetryAfter: time.Second}}
		})
		q := query(monday, monday.Add(24*time.Hour), "ada", "flaky", "alan")
		got := ask(t, c, q)
		assert.True(t, got[0].OK())
		assert.Equal(t, freebusy.ReasonThrottled, got[1].Err.Reason)
		assert.Equal(t, time.Second, got[1].Err.RetryAfter)
		assert.True(t, got[2].OK())
		ask(t, c, q)
		require.Equal(t, 2, b.numCalls())
		assert.Equal(t, []string{"flaky"}, b.call(1).Attendees)
	})
}

func TestDetailLevelsDoNotShare(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, b := newCache(t)
		q := query(monday, monday.Add(3*24*time.Hour), "ada")
		ask(t, c, q)
		q.Detail = freebusy.DetailFull
		got := ask(t, c, q)
		assert.Equal(t, 2, b.numCalls())
		require.Len(t, got[0].Events, 1, "an event is in one answer once")
		assert.Equal(t, "Standup", got[0].Events[0].Subject)
		got = ask(t, c, query(monday.Add(24*time.Hour), monday.Add(3*24*time.Hour), "ada"))
		assert.Empty(t, got[0].Events)
	})
}

func TestCallerDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, b := newCache(t)
		gate := make(chan struct{})
		b.set(func(b *backend) { b.gate = gate })
		q := query(monday, monday.Add(24*time.Hour), "ada")
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		start := time.Now()
		_, err := c.FreeBusy(ctx, q)
		assert.ErrorIs(t, err, freebusy.ErrTimeout)
		assert.Equal(t, 5*time.Second, time.Since(start), "returns by the caller's deadline")

		close(gate)
		synctest.Wait()
		ask(t, c, q)
		assert.Equal(t, 1, b.numCalls(), "the late answer filled the cache")
	})
}

func TestCloseEndsFetches(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := &backend{gate: make(chan struct{})}
		c, err := New(b)
		require.NoError(t, err)
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_, err = c.FreeBusy(ctx, query(monday, monday.Add(24*time.Hour), "ada"))
		require.Error(t, err)
		require.NoError(t, c.Close(), "Close ends the fetch under way")
		require.NoError(t, c.Close())
		_, err = c.FreeBusy(context.Background(), query(monday, monday.Add(24*time.Hour), "ada"))
		assert.ErrorIs(t, err, ErrClosed)
		assert.ErrorIs(t, err, freebusy.ErrUnavailable)
	})
}

func TestInvalidQuery(t *testing.T) {
	c, b := newCache(t)
	_, err := c.FreeBusy(context.Background(), query(monday, monday, "ada"))
	assert.ErrorIs(t, err, freebusy.ErrInvalidQuery)
	assert.Zero(t, b.numCalls())
}

func TestOptionsValidate(t *testing.T) {
	for name, o := range map[string]Option{
		"WithTTL":          WithTTL(0),
		"WithMaxStale":     WithMaxStale(-1),
		"WithNegativeTTL":  WithNegativeTTL(-1),
		"WithMaxBytes":     WithMaxBytes(0),
		"WithFetchTimeout": WithFetchTimeout(0),
		"WithBatchSize":    WithBatchSize(0),
		"WithLimits":       WithLimits(freebusy.Limits{MaxWindow: time.Hour}),
		"WithStore":        WithStore(nil),
	} {
		_, err := New(&backend{}, o)
		assert.ErrorIs(t, err, ErrInvalidOption, name)
		assert.ErrorContains(t, err, name, name)
	}
	_, err := New(nil)
	assert.ErrorIs(t, err, ErrInvalidOption)
	_, err = NewMemory(0)
	assert.ErrorIs(t, err, ErrInvalidOption)
}

// failingStore fails every operation.
type failingStore struct{}

var errStore = errors.New("store down")

func (failingStore) Get(context.Context, []Key, []Entry, []bool) error { return errStore }
func (failingStore) Set(context.Context, []Item) error                 { return errStore }
func (failingStore) Delete(context.Context, string) error              { return errStore }
func (failingStore) Clear(context.Context) error                       { return errStore }

func TestStoreFailureNeverFailsAQuery(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, b := newCache(t, WithStore(failingStore{}))
		q := query(monday, monday.Add(24*time.Hour), "ada")
		got := ask(t, c, q)
		assert.True(t, got[0].OK())
		ask(t, c, q)
		assert.Equal(t, 2, b.numCalls())
		assert.Equal(t, uint64(4), c.Stats().StoreErrors)
		assert.ErrorIs(t, c.Invalidate(context.Background(), "ada"), errStore)
	})
}

func TestObserver(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		kinds := map[Kind]int{}
		c, b := newCache(t, WithObserver(func(e Event) {
			mu.Lock()
			defer mu.Unlock()
			kinds[e.Kind] += e.Attendees
		}))
		b.set(func(b *backend) {
			b.failFor = map[string]*freebusy.Error{"ghost": {Reason: freebusy.ReasonUnknownAttendee}}
		})
		q := query(monday, monday.Add(24*time.Hour), "ada", "ghost")
		ask(t, c, q)
		ask(t, c, q)
		mu.Lock()
		defer mu.Unlock()
		assert.Equal(t, map[Kind]int{KindFetch: 2, KindFailure: 1, KindMiss: 2, KindHit: 2}, kinds)
		assert.Equal(t, "fetch", KindFetch.String())
		assert.Equal(t, "unknown", Kind(0).String())
	})
}

func TestStaleReasonSurvivesJSON(t *testing.T) {
	s := freebusy.Schedule{Attendee: "ada", Start: monday, End: monday.Add(time.Hour), Stale: true, StaleReason: freebusy.ReasonThrottled}
	data, err := json.Marshal(s)
	require.NoError(t, err)
	assert.Contains(t, string(data), `"staleReason":"throttled"`)
	var back freebusy.Schedule
	require.NoError(t, json.Unmarshal(data, &back))
	assert.Equal(t, s, back)
	data, err = json.Marshal(freebusy.Schedule{Attendee: "ada"})
	require.NoError(t, err)
	assert.NotContains(t, string(data), "staleReason", "omitted when none")
}

func TestKeyDays(t *testing.T) {
	for _, tt := range []time.Time{monday, monday.Add(-time.Nanosecond), time.Unix(-1, 0), time.Unix(0, 0)} {
		d := dayOf(tt)
		k := Key{Day: d}
		assert.False(t, tt.Before(k.Start()), tt)
		assert.True(t, tt.Before(k.Start().Add(day)), tt)
	}
}
