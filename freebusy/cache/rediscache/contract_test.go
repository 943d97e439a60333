package rediscache

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/calbridge/calbridge/freebusy"
	"github.com/calbridge/calbridge/freebusy/cache"
	"github.com/calbridge/calbridge/internal/redistest"
)

// storeKinds are the tiers the Store contract runs against: the
// in-process Memory, Redis, and the two in tiers. Each call returns a new,
// empty store.
func storeKinds(t *testing.T) map[string]func(t *testing.T) cache.Store {
	srv := redistest.Start(t, redistest.Options{})
	n := 0
	redisStore := func(t *testing.T) *Store {
		n++
		return open(t, srv.URL(), WithPrefix("contract"+string(rune('a'+n))+":"))
	}
	memory := func(t *testing.T) *cache.Memory {
		m, err := cache.NewMemory(1 << 20)
		require.NoError(t, err)
		t.Cleanup(func() { m.Close() })
		return m
	}
	return map[string]func(t *testing.T) cache.Store{
		"memory": func(t *testing.T) cache.Store { return memory(t) },
		"redis":  func(t *testing.T) cache.Store { return redisStore(t) },
		"tiered": func(t *testing.T) cache.Store {
			ts, err := cache.NewTiered(memory(t), redisStore(t), cache.DefaultFrontKeep)
			require.NoError(t, err)
			return ts
		},
	}
}

// sampleEntry holds every field of an entry.
func sampleEntry(t *testing.T) cache.Entry {
	berlin, err := time.LoadLocation("Europe/Berlin")
	require.NoError(t, err)
	stored := time.Date(2026, 3, 2, 8, 0, 0, 5, time.UTC)
	return cache.Entry{
		Intervals: []freebusy.Interval{{Start: monday.Add(9 * time.Hour), End: monday.Add(10 * time.Hour), Status: freebusy.Busy}},
		Events: []freebusy.Event{{Start: monday.Add(9 * time.Hour), End: monday.Add(10 * time.Hour), Status: freebusy.Busy,
			ID: "1", Subject: "Standup", Location: "Room 1", Private: true, Meeting: true, Recurring: true, Exception: true, Reminder: true}},
		WorkingHours: &freebusy.WorkingHours{Location: berlin, Periods: []freebusy.WorkingPeriod{{Days: []time.Weekday{time.Monday}, Start: 9 * time.Hour, End: 17 * time.Hour}}},
		AsOf:         stored.Add(-time.Second),
		Stored:       stored,
		Stale:        true,
		Failure:      freebusy.ReasonTimeout,
		RetryAt:      stored.Add(time.Minute),
	}
}

// odd is an attendee whose name holds the characters a key must escape.
const odd = "o'brien: *x?[y]% z@example.com"

func TestStoreContract(t *testing.T) {
	ctx := context.Background()
	k := func(a string, detail freebusy.Detail, day int64) cache.Key {
		return cache.Key{Attendee: a, Detail: detail, Day: day}
	}
	get := func(t *testing.T, st cache.Store, keys ...cache.Key) ([]cache.Entry, []bool) {
		t.Helper()
		entries, found := make([]cache.Entry, len(keys)), make([]bool, len(keys))
		require.NoError(t, st.Get(ctx, keys, entries, found))
		return entries, found
	}
	tests := map[string]func(t *testing.T, st cache.Store){
		"missing keys are not found": func(t *testing.T, st cache.Store) {
			_, found := get(t, st, k("ada", 0, 1), k("ada", 1, 1))
			assert.Equal(t, []bool{false, false}, found)
			require.NoError(t, st.Get(ctx, nil, nil, nil))
			require.NoError(t, st.Set(ctx, nil))
		},
		"an entry comes back unchanged": func(t *testing.T, st cache.Store) {
			e := sampleEntry(t)
			neg := cache.Entry{Err: &freebusy.Error{Attendee: "Ghost", Reason: freebusy.ReasonUnknownAttendee, Message: "not found"}, Stored: e.Stored}
			require.NoError(t, st.Set(ctx, []cache.Item{
				{Key: k("ada", 1, 20514), Entry: e, Keep: time.Hour},
				{Key: k("ghost", 0, 20514), Entry: neg, Keep: time.Minute},
			}))
			entries, found := get(t, st, k("ghost", 0, 20514), k("ada", 0, 20514), k("ada", 1, 20514))
			assert.Equal(t, []bool{true, false, true}, found, "the detail levels are apart")
			assert.Equal(t, neg, entries[0])
			assert.Equal(t, e, entries[2])
		},
		"set replaces": func(t *testing.T, st cache.Store) {
			key := k("ada", 0, 7)
			require.NoError(t, st.Set(ctx, []cache.Item{{Key: key, Entry: cache.Entry{Stored: monday}, Keep: time.Hour}}))
			require.NoError(t, st.Set(ctx, []cache.Item{{Key: key, Entry: cache.Entry{Stored: monday.Add(time.Hour)}, Keep: time.Hour}}))
			entries, found := get(t, st, key)
			require.True(t, found[0])
			assert.Equal(t, monday.Add(time.Hour), entries[0].Stored)
		},
		"an item without keep removes its key": func(t *testing.T, st cache.Store) {
			key := k("ada", 0, 7)
			require.NoError(t, st.Set(ctx, []cache.Item{{Key: key, Entry: cache.Entry{Stored: monday}, Keep: time.Hour}}))
			require.NoError(t, st.Set(ctx, []cache.Item{{Key: key, Keep: 0}, {Key: k("bob", 0, 7), Keep: -1}}))
			_, found := get(t, st, key)
			assert.False(t, found[0])
		},
		"delete removes one attendee at every level and day": func(t *testing.T, st cache.Store) {
			var items []cache.Item
			var keys []cache.Key
			for _, a := range []string{"ada", odd, "ada2"} {
				for _, d := range []freebusy.Detail{freebusy.DetailStatus, freebusy.DetailFull} {
					for day := int64(1); day <= 3; day++ {
						key := k(a, d, day)
						keys = append(keys, key)
						items = append(items, cache.Item{Key: key, Entry: cache.Entry{Stored: monday}, Keep: time.Hour})
					}
				}
			}
			require.NoError(t, st.Set(ctx, items))
			require.NoError(t, st.Delete(ctx, odd))
			require.NoError(t, st.Delete(ctx, "nobody"))
			_, found := get(t, st, keys...)
			for i, key := range keys {
				assert.Equal(t, key.Attendee != odd, found[i], "%+v", key)
			}
			require.NoError(t, st.Delete(ctx, "ada"))
			_, found = get(t, st, keys...)
			for i, key := range keys {
				assert.Equal(t, key.Attendee == "ada2", found[i], "%+v", key)
			}
		},
		"clear removes everything": func(t *testing.T, st cache.Store) {
			require.NoError(t, st.Set(ctx, []cache.Item{
				{Key: k("ada", 0, 1), Entry: cache.Entry{Stored: monday}, Keep: time.Hour},
				{Key: k("bob", 1, 2), Entry: cache.Entry{Stored: monday}, Keep: time.Hour},
			}))
			require.NoError(t, st.Clear(ctx))
			_, found := get(t, st, k("ada", 0, 1), k("bob", 1, 2))
			assert.Equal(t, []bool{false, false}, found)
		},
	}
	for kind, newStore := range storeKinds(t) {
		for name, test := range tests {
			t.Run(kind+"/"+name, func(t *testing.T) { test(t, newStore(t)) })
		}
	}
}
