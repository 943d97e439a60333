package cache

import (
	"context"
	"errors"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/calbridge/calbridge/freebusy"
)

// sharedStore is a Memory with fill locks: what a shared tier such as
// Redis offers the Sources of several processes, in one process so that
// the protocol can be tested on synctest's clock.
type sharedStore struct {
	*Memory
	mu      sync.Mutex
	locks   map[Key]*sharedLease
	changed chan struct{} // closed (and replaced) whenever a lock goes
	lockErr error
	locked  int // locks taken
	waits   int // Await calls that waited
}

func newShared(t *testing.T) *sharedStore {
	return &sharedStore{Memory: newMemory(t), locks: map[Key]*sharedLease{}, changed: make(chan struct{})}
}

type sharedLease struct {
	s    *sharedStore
	keys []Key
}

func (s *sharedStore) TryLock(_ context.Context, keys []Key, held []bool) (Lease, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.lockErr != nil {
		return nil, s.lockErr
	}
	l := &sharedLease{s: s}
	for i, k := range keys {
		if _, ok := s.locks[k]; !ok {
			s.locks[k] = l
			l.keys = append(l.keys, k)
			held[i] = true
		}
	}
	if len(l.keys) == 0 {
		return nil, nil
	}
	s.locked += len(l.keys)
	return l, nil
}

func (s *sharedStore) Await(ctx context.Context, keys []Key) error {
	for first := true; ; first = false {
		s.mu.Lock()
		busy := false
		for _, k := range keys {
			if _, ok := s.locks[k]; ok {
				busy = true
			}
		}
		ch := s.changed
		if busy && first {
			s.waits++
		}
		s.mu.Unlock()
		if !busy {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// drop removes the locks of l, as their expiry after the holder's death
// would.
func (s *sharedStore) drop(l *sharedLease) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, k := range l.keys {
		if s.locks[k] == l {
			delete(s.locks, k)
		}
	}
	close(s.changed)
	s.changed = make(chan struct{})
}

func (s *sharedStore) stats() (locked, waits int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.locked, s.waits
}

func (l *sharedLease) Release(context.Context) error {
	l.s.drop(l)
	return nil
}

// holdLocks takes the locks of q's keys for a holder that never releases
// them.
func holdLocks(t *testing.T, s *sharedStore, q freebusy.Query) *sharedLease {
	t.Helper()
	var keys []Key
	for _, a := range q.Attendees {
		for d := dayOf(q.Start); d < dayOf(q.End.Add(-time.Nanosecond))+1; d++ {
			keys = append(keys, Key{Attendee: NormalizeAttendee(a), Detail: q.Detail, Day: d})
		}
	}
	held := make([]bool, len(keys))
	l, err := s.TryLock(context.Background(), keys, held)
	require.NoError(t, err)
	require.NotNil(t, l)
	return l.(*sharedLease)
}

// TestSharedFlightOneBackendCall: Sources of two processes sharing a tier
// make one backend call for the keys they all miss at once.
func TestSharedFlightOneBackendCall(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		shared := newShared(t)
		b := &backend{gate: make(chan struct{})}
		var sources []*Source
		for range 3 {
			c, err := New(b, WithStore(newTiered(t, newMemory(t), shared, DefaultFrontKeep)))
			require.NoError(t, err)
			t.Cleanup(func() { c.Close() })
			sources = append(sources, c)
		}
		q := query(monday, monday.Add(2*24*time.Hour), "ada", "alan", "grace")
		const callers = 30
		results := make([][]freebusy.Schedule, callers)
		var wg sync.WaitGroup
		for i := range callers {
			wg.Go(func() { results[i] = ask(t, sources[i%3], q) })
		}
		synctest.Wait()
		assert.Equal(t, 1, b.numCalls(), "one process fetches, the others wait for it")
		close(b.gate)
		wg.Wait()
		assert.Equal(t, 1, b.numCalls())
		for _, r := range results[1:] {
			assert.Equal(t, results[0], r)
		}
		var remote uint64
		for _, c := range sources {
			remote += c.Stats().RemoteFills
		}
		assert.Equal(t, uint64(2*3), remote, "two processes took three attendees each from the third")
		locked, waits := shared.stats()
		assert.Equal(t, 6, locked, "three attendees by two days")
		assert.Equal(t, 2, waits)
		shared.mu.Lock()
		assert.Empty(t, shared.locks, "every lock released")
		shared.mu.Unlock()
	})
}

// TestSharedFlightHolderDies: a waiter takes over the keys of a holder
// whose locks expire without an entry.
func TestSharedFlightHolderDies(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		shared := newShared(t)
		c, b := newCache(t, WithStore(shared))
		q := query(monday, monday.Add(24*time.Hour), "ada", "alan")
		dead := holdLocks(t, shared, query(monday, monday.Add(24*time.Hour), "ada"))

		done := make(chan []freebusy.Schedule)
		go func() { done <- ask(t, c, q) }()
		synctest.Wait()
		require.Equal(t, 1, b.numCalls(), "alan is fetched, ada waits for her holder")
		assert.Equal(t, []string{"alan"}, b.call(0).Attendees)

		shared.drop(dead) // its locks expire
		got := <-done
		require.Equal(t, 2, b.numCalls(), "the waiter took ada over")
		assert.Equal(t, []string{"ada"}, b.call(1).Attendees)
		assert.True(t, got[0].OK())
		assert.Equal(t, busy(q.Start, q.End), got[0].Intervals)
		assert.Zero(t, c.Stats().RemoteFills)
	})
}

// TestSharedFlightWaiterDeadline: a caller waiting for another process's
// fetch returns by its own deadline; the fill it waited for still serves
// the next caller.
func TestSharedFlightWaiterDeadline(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		shared := newShared(t)
		c, b := newCache(t, WithStore(shared))
		q := query(monday, monday.Add(24*time.Hour), "ada")
		holder := holdLocks(t, shared, q)
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_, err := c.FreeBusy(ctx, q)
		assert.ErrorIs(t, err, freebusy.ErrTimeout)

		// The holder stores its entry and releases its locks.
		other, _ := newCache(t, WithStore(&sharedStore{Memory: shared.Memory, locks: map[Key]*sharedLease{}, changed: make(chan struct{})}))
		ask(t, other, q)
		require.NoError(t, holder.Release(context.Background()))
		synctest.Wait()
		got := ask(t, c, q)
		assert.True(t, got[0].OK())
		assert.Zero(t, b.numCalls(), "the landed entry answered")
		assert.Equal(t, uint64(1), c.Stats().RemoteFills)
	})
}

// TestSharedRefreshLeftToItsHolder: a stale entry another process is
// refreshing is served stale without a refresh of this process.
func TestSharedRefreshLeftToItsHolder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		shared := newShared(t)
		c, b := newCache(t, WithStore(shared))
		q := query(monday, monday.Add(24*time.Hour), "ada")
		ask(t, c, q)
		time.Sleep(DefaultTTL + time.Minute)
		holdLocks(t, shared, q)
		got := ask(t, c, q)
		assert.True(t, got[0].Stale)
		synctest.Wait()
		assert.Equal(t, 1, b.numCalls(), "no refresh of its own")
		got = ask(t, c, q)
		assert.True(t, got[0].Stale, "still stale, and no failure recorded")
		assert.Equal(t, freebusy.ReasonNone, got[0].StaleReason)
	})
}

// TestSharedLockFailureFetchesAlone: a shared tier that cannot lock costs
// the single flight across processes, never the answer.
func TestSharedLockFailureFetchesAlone(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		shared := newShared(t)
		shared.lockErr = errors.New("lock refused")
		c, b := newCache(t, WithStore(shared))
		got := ask(t, c, query(monday, monday.Add(24*time.Hour), "ada"))
		assert.True(t, got[0].OK())
		assert.Equal(t, 1, b.numCalls())
		assert.Equal(t, uint64(1), c.Stats().StoreErrors)
	})
}

// TestSharedFlightFailedHolder: when the holder's backend call fails, a
// waiter tries for itself rather than failing with the holder.
func TestSharedFlightFailedHolder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		shared := newShared(t)
		q := query(monday, monday.Add(24*time.Hour), "ada")
		failing := &backend{fail: freebusy.NewError("", freebusy.ReasonUnavailable, errors.New("down")), gate: make(chan struct{})}
		holder, err := New(failing, WithStore(shared))
		require.NoError(t, err)
		defer holder.Close()
		waiter, b := newCache(t, WithStore(shared))

		herr := make(chan error)
		go func() {
			_, err := holder.FreeBusy(context.Background(), q)
			herr <- err
		}()
		synctest.Wait()
		done := make(chan []freebusy.Schedule)
		go func() { done <- ask(t, waiter, q) }()
		synctest.Wait()
		assert.Zero(t, b.numCalls(), "the waiter waits for the holder")
		close(failing.gate)
		assert.ErrorIs(t, <-herr, freebusy.ErrUnavailable)
		got := <-done
		assert.True(t, got[0].OK())
		assert.Equal(t, 1, b.numCalls(), "then fetches itself")
	})
}
