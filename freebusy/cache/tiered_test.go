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
)

// named gives a Store a tier name.
type named struct {
	Store
	name string
}

func (n named) Name() string { return n.name }

func newMemory(t *testing.T) *Memory {
	t.Helper()
	m, err := NewMemory(1 << 20)
	require.NoError(t, err)
	t.Cleanup(func() { m.Close() })
	return m
}

func newTiered(t *testing.T, front, back Store, keep time.Duration) *Tiered {
	t.Helper()
	ts, err := NewTiered(front, back, keep)
	require.NoError(t, err)
	return ts
}

var (
	keyAda = Key{Attendee: "ada", Day: 1}
	keyBob = Key{Attendee: "bob", Day: 1}
)

func TestTieredGetFillsFront(t *testing.T) {
	ctx := context.Background()
	front, back := newMemory(t), newMemory(t)
	ts := newTiered(t, front, named{back, "shared"}, time.Minute)
	e := Entry{Stored: monday}
	require.NoError(t, back.Set(ctx, []Item{{Key: keyAda, Entry: e, Keep: time.Hour}}))

	entries, found := make([]Entry, 2), make([]bool, 2)
	from := make([]int8, 2)
	require.NoError(t, ts.get(ctx, []Key{keyAda, keyBob}, entries, found, from))
	assert.Equal(t, []bool{true, false}, found)
	assert.Equal(t, e, entries[0])
	assert.Equal(t, []int8{tierBack + 1, 0}, from)

	f := make([]bool, 1)
	require.NoError(t, front.Get(ctx, []Key{keyAda}, make([]Entry, 1), f))
	assert.True(t, f[0], "the back tier's entry was copied to the front")
	require.NoError(t, ts.get(ctx, []Key{keyAda}, entries[:1], found[:1], from[:1]))
	assert.Equal(t, int8(tierFront+1), from[0])

	assert.Equal(t, []TierStats{
		{Name: "memory", Hits: 1, Misses: 2},
		{Name: "shared", Hits: 1, Misses: 1},
	}, ts.Tiers())
	n, _ := ts.Size()
	assert.Equal(t, 1, n, "the front tier's size")
}

func TestTieredFrontKeep(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		front, back := newMemory(t), newMemory(t)
		ts := newTiered(t, front, back, time.Minute)
		require.NoError(t, ts.Set(ctx, []Item{{Key: keyAda, Entry: Entry{Stored: time.Now()}, Keep: time.Hour}}))
		time.Sleep(time.Minute + time.Second)
		f := make([]bool, 1)
		require.NoError(t, front.Get(ctx, []Key{keyAda}, make([]Entry, 1), f))
		assert.False(t, f[0], "the front keeps an entry the back holds for the front keep only")
		require.NoError(t, back.Get(ctx, []Key{keyAda}, make([]Entry, 1), f))
		assert.True(t, f[0], "the back keeps it for its Keep")

		require.NoError(t, ts.Set(ctx, []Item{{Key: keyAda}}))
		require.NoError(t, back.Get(ctx, []Key{keyAda}, make([]Entry, 1), f))
		assert.False(t, f[0], "an item without Keep removes the key from both")
	})
}

func TestTieredBackDown(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		front := newMemory(t)
		ts := newTiered(t, front, failingStore{}, time.Minute)
		err := ts.Set(ctx, []Item{{Key: keyAda, Entry: Entry{Stored: time.Now()}, Keep: time.Hour}})
		var te *TierError
		require.ErrorAs(t, err, &te)
		assert.Equal(t, "back", te.Tier)
		assert.Equal(t, "set", te.Op)
		assert.ErrorIs(t, err, errStore)
		assert.Contains(t, err.Error(), "back tier: set: store down")

		time.Sleep(time.Hour - time.Second)
		entries, found := make([]Entry, 2), make([]bool, 2)
		err = ts.Get(ctx, []Key{keyAda, keyBob}, entries, found)
		require.ErrorAs(t, err, &te, "the back failed")
		assert.Equal(t, []bool{true, false}, found, "the front answered, keeping the entry the back could not store for its whole Keep")

		require.ErrorAs(t, ts.Delete(ctx, "ada"), &te)
		require.ErrorAs(t, ts.Clear(ctx), &te)
		assert.Equal(t, uint64(4), ts.Tiers()[1].Errors)
		assert.Zero(t, ts.Tiers()[0].Errors)

		both := newTiered(t, failingStore{}, failingStore{}, time.Minute)
		err = both.Set(ctx, []Item{{Key: keyAda, Keep: time.Hour}})
		require.Error(t, err)
		assert.Contains(t, err.Error(), "front tier")
		assert.Contains(t, err.Error(), "back tier")
		err = both.Get(ctx, []Key{keyAda}, entries[:1], found[:1])
		require.Error(t, err)
		assert.False(t, found[0])
	})
}

func TestNewTieredValidates(t *testing.T) {
	m := newMemory(t)
	for name, f := range map[string]func() (*Tiered, error){
		"nil front": func() (*Tiered, error) { return NewTiered(nil, m, time.Minute) },
		"nil back":  func() (*Tiered, error) { return NewTiered(m, nil, time.Minute) },
		"keep":      func() (*Tiered, error) { return NewTiered(m, m, 0) },
	} {
		_, err := f()
		assert.ErrorIs(t, err, ErrInvalidOption, name)
		assert.ErrorContains(t, err, "NewTiered", name)
	}
}

// TestSourceOverTieredBackDown: with the shared tier failing, queries
// answer from the front tier and the backend, and the failures are
// counted and reported by tier.
func TestSourceOverTieredBackDown(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		storeErrs := map[string]int{}
		hits := map[string]int{}
		ts := newTiered(t, newMemory(t), named{failingStore{}, "redis"}, DefaultFrontKeep)
		c, b := newCache(t, WithStore(ts), WithObserver(func(e Event) {
			mu.Lock()
			defer mu.Unlock()
			switch e.Kind {
			case KindStoreError:
				storeErrs[e.Tier]++
			case KindHit:
				hits[e.Tier]++
			}
		}))
		q := query(monday, monday.Add(24*time.Hour), "ada")
		for range 3 {
			got := ask(t, c, q)
			assert.Equal(t, busy(q.Start, q.End), got[0].Intervals)
		}
		assert.Equal(t, 1, b.numCalls(), "the front tier answered")
		st := c.Stats()
		assert.Equal(t, uint64(2), st.StoreErrors, "the first query's get and set; later ones never reach the back tier")
		require.Len(t, st.Tiers, 2)
		assert.Equal(t, "redis", st.Tiers[1].Name)
		mu.Lock()
		defer mu.Unlock()
		assert.Equal(t, map[string]int{"redis": 2}, storeErrs)
		assert.Equal(t, map[string]int{"memory": 2}, hits)
	})
}

// TestStaleFrontEntryRecheckedInBack: a front tier holding an entry past
// its TTL asks the shared tier, where another process may have refreshed
// it, before serving it stale and refreshing it itself.
func TestStaleFrontEntryRecheckedInBack(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		back := named{newMemory(t), "shared"}
		var mu sync.Mutex
		var tiers []string
		a, ba := newCache(t, WithStore(newTiered(t, newMemory(t), back, 24*time.Hour)))
		b, bb := newCache(t, WithStore(newTiered(t, newMemory(t), back, 24*time.Hour)), WithObserver(func(e Event) {
			mu.Lock()
			defer mu.Unlock()
			if e.Kind == KindHit || e.Kind == KindStale {
				tiers = append(tiers, e.Kind.String()+":"+e.Tier)
			}
		}))
		q := query(monday, monday.Add(24*time.Hour), "ada")
		ask(t, a, q)
		ask(t, b, q)
		require.Equal(t, 1, ba.numCalls())
		require.Zero(t, bb.numCalls(), "b read a's entry from the shared tier")

		time.Sleep(DefaultTTL + time.Minute)
		got := ask(t, a, q)
		assert.True(t, got[0].Stale)
		synctest.Wait() // a's refresh lands in the shared tier
		require.Equal(t, 2, ba.numCalls())

		got = ask(t, b, q)
		assert.False(t, got[0].Stale, "b found a's refresh behind its own stale copy")
		synctest.Wait()
		assert.Zero(t, bb.numCalls(), "and did not refresh it again")
		got = ask(t, b, q)
		assert.False(t, got[0].Stale)
		mu.Lock()
		defer mu.Unlock()
		assert.Equal(t, []string{"hit:shared", "hit:shared", "hit:memory"}, tiers)
	})
}

// TestPartialTierErrorKeepsResults: a Store's *TierError keeps what Get
// found, any other error makes every key a miss.
func TestPartialTierErrorKeepsResults(t *testing.T) {
	c, _ := newCache(t)
	for name, tt := range map[string]struct {
		err  error
		want bool
	}{
		"tier error":  {&TierError{Tier: "redis", Op: "get", Err: errStore}, true},
		"other error": {errStore, false},
		"wrapped":     {errors.Join(errStore, &TierError{Tier: "redis", Op: "get", Err: errStore}), true},
	} {
		c.store = getStore{err: tt.err}
		entries, found, from := make([]Entry, 1), make([]bool, 1), make([]int8, 1)
		c.read(context.Background(), []Key{keyAda}, entries, found, from)
		assert.Equal(t, tt.want, found[0], name)
	}
}

// getStore finds every key and then fails with err.
type getStore struct {
	failingStore
	err error
}

func (g getStore) Get(_ context.Context, keys []Key, _ []Entry, found []bool) error {
	for i := range keys {
		found[i] = true
	}
	return g.err
}
