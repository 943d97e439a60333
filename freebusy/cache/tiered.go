package cache

import (
	"context"
	"errors"
	"sync/atomic"
	"time"
)

// DefaultFrontKeep is how long a Tiered store keeps, in its front tier, an
// entry that its back tier holds too: a minute. It bounds how long an
// invalidation on another gateway instance (which reaches the shared back
// tier, not this process's memory) goes unseen here. An entry the back
// tier failed to store stays in the front tier for its whole Keep, since
// the front tier is then its only copy.
const DefaultFrontKeep = time.Minute

// ErrStoreDown is matched (errors.Is) by the error a Store returns when it
// skipped an operation because it knows it cannot work, such as a shared
// tier whose server is down and not due for another try. It costs the
// caller nothing; the Source counts it but logs it only at Debug level,
// since the tier reports its own changes of state.
var ErrStoreDown = errors.New("cache: store down")

// TierError reports that one tier of a Tiered store failed while the
// other did its part: the results of the operation are usable (a Get's
// entries and found flags are those of the working tier), and the Source
// counts the failure without treating the call as a miss.
type TierError struct {
	// Tier is the failed tier's name ("redis").
	Tier string
	// Op is the operation: "get", "set", "delete" or "clear".
	Op string
	// Err is the tier's error.
	Err error
}

// Error implements error.
func (e *TierError) Error() string {
	return "cache: " + e.Tier + " tier: " + e.Op + ": " + e.Err.Error()
}

// Unwrap returns the tier's error.
func (e *TierError) Unwrap() error { return e.Err }

// TierStats are the counters of one tier of a Tiered store, in keys.
type TierStats struct {
	// Name is the tier's name: its Name method's answer ("memory",
	// "redis"), or "front" or "back".
	Name string
	// Hits counts keys this tier had and no tier in front of it did.
	Hits uint64
	// Misses counts keys this tier was asked for and did not have.
	Misses uint64
	// Errors counts the tier's failed operations.
	Errors uint64
}

// Tiered is a Store of two tiers: a front tier in the process (a Memory)
// and a back tier shared by several processes (such as Redis). It is the
// way to put a shared tier behind the cache: give it to New with
// WithStore.
//
// Get reads the front tier, then the back tier for the keys the front
// lacks, and copies what the back had into the front. Set writes both
// (the front keeps an entry the back stored for at most the front keep,
// and one the back failed to store for its whole Keep); Delete and Clear
// reach both. A failure of one tier never fails the call while the other
// works: it returns a *TierError, which the Source counts in
// Stats.StoreErrors and reports as a KindStoreError event, and the front
// tier keeps answering while the back is down.
//
// When the back tier is a Flighter, the Source finds it through the
// Tiered store and shares backend calls with the other processes.
//
// A tier is named by its Name method when it has one (Memory: "memory"),
// else "front" or "back"; the names label Stats.Tiers and Event.Tier.
type Tiered struct {
	front, back  Store
	names        [2]string
	frontKeep    time.Duration
	hits, misses [2]atomic.Uint64
	errs         [2]atomic.Uint64
	backFlighter Flighter
}

// The tiers of a Tiered store, as indexes and as the origins Source.read
// reports (0 meaning "not found").
const (
	tierFront = 0
	tierBack  = 1
)

// NewTiered returns a Tiered store of front and back whose front tier
// keeps an entry the back tier holds for at most frontKeep
// (DefaultFrontKeep is a good choice). The Tiered store does not close
// its tiers.
func NewTiered(front, back Store, frontKeep time.Duration) (*Tiered, error) {
	s := settings{}
	switch {
	case front == nil || back == nil:
		s.invalid("NewTiered", "nil tier")
	case frontKeep <= 0:
		s.invalid("NewTiered", "front keep %s is not positive", frontKeep)
	}
	if s.err != nil {
		return nil, s.err
	}
	t := &Tiered{front: front, back: back, frontKeep: frontKeep, names: [2]string{storeName(front, "front"), storeName(back, "back")}}
	t.backFlighter, _ = back.(Flighter)
	return t, nil
}

// storeName returns the name of st, or def when it has none.
func storeName(st Store, def string) string {
	if n, ok := st.(interface{ Name() string }); ok && n.Name() != "" {
		return n.Name()
	}
	return def
}

// Get implements Store.
func (t *Tiered) Get(ctx context.Context, keys []Key, entries []Entry, found []bool) error {
	return t.get(ctx, keys, entries, found, nil)
}

// get is Get that also reports, in from (when not nil), the tier each
// found entry came from (tierFront+1 or tierBack+1).
func (t *Tiered) get(ctx context.Context, keys []Key, entries []Entry, found []bool, from []int8) error {
	frontErr := t.front.Get(ctx, keys, entries, found)
	if frontErr != nil {
		t.errs[tierFront].Add(1)
		clear(found)
	}
	var missing []int
	for i, ok := range found {
		if ok {
			if from != nil {
				from[i] = tierFront + 1
			}
			continue
		}
		missing = append(missing, i)
	}
	t.hits[tierFront].Add(uint64(len(keys) - len(missing)))
	t.misses[tierFront].Add(uint64(len(missing)))
	if len(missing) == 0 {
		return t.frontFailed("get", frontErr)
	}
	mk := make([]Key, len(missing))
	for x, i := range missing {
		mk[x] = keys[i]
	}
	me := make([]Entry, len(mk))
	mf := make([]bool, len(mk))
	if err := t.getBack(ctx, mk, me, mf); err != nil {
		if frontErr != nil {
			return errors.Join(&TierError{Tier: t.names[tierFront], Op: "get", Err: frontErr}, err)
		}
		return err
	}
	for x, i := range missing {
		if mf[x] {
			entries[i], found[i] = me[x], true
			if from != nil {
				from[i] = tierBack + 1
			}
		}
	}
	return t.frontFailed("get", frontErr)
}

// frontFailed returns the *TierError of a failed front tier, or nil.
func (t *Tiered) frontFailed(op string, err error) error {
	if err == nil {
		return nil
	}
	return &TierError{Tier: t.names[tierFront], Op: op, Err: err}
}

// getBack reads keys from the back tier alone and copies what it found
// into the front tier. A failure is returned as a *TierError.
func (t *Tiered) getBack(ctx context.Context, keys []Key, entries []Entry, found []bool) error {
	if err := t.back.Get(ctx, keys, entries, found); err != nil {
		t.errs[tierBack].Add(1)
		clear(found)
		return &TierError{Tier: t.names[tierBack], Op: "get", Err: err}
	}
	var fill []Item
	for i, ok := range found {
		if ok {
			fill = append(fill, Item{Key: keys[i], Entry: entries[i], Keep: t.frontKeep})
		}
	}
	t.hits[tierBack].Add(uint64(len(fill)))
	t.misses[tierBack].Add(uint64(len(keys) - len(fill)))
	if len(fill) > 0 {
		if err := t.front.Set(ctx, fill); err != nil {
			t.errs[tierFront].Add(1)
			return &TierError{Tier: t.names[tierFront], Op: "set", Err: err}
		}
	}
	return nil
}

// Set implements Store.
func (t *Tiered) Set(ctx context.Context, items []Item) error {
	backErr := t.back.Set(ctx, items)
	front := items
	if backErr == nil {
		front = make([]Item, len(items))
		for i, it := range items {
			it.Keep = min(it.Keep, t.frontKeep)
			front[i] = it
		}
	} else {
		t.errs[tierBack].Add(1)
	}
	return t.both("set", t.front.Set(ctx, front), backErr)
}

// Delete implements Store.
func (t *Tiered) Delete(ctx context.Context, attendee string) error {
	backErr := t.back.Delete(ctx, attendee)
	if backErr != nil {
		t.errs[tierBack].Add(1)
	}
	return t.both("delete", t.front.Delete(ctx, attendee), backErr)
}

// Clear implements Store.
func (t *Tiered) Clear(ctx context.Context) error {
	backErr := t.back.Clear(ctx)
	if backErr != nil {
		t.errs[tierBack].Add(1)
	}
	return t.both("clear", t.front.Clear(ctx), backErr)
}

// both combines the errors of the tiers for an operation on both: a
// *TierError when one failed, both errors when both did.
func (t *Tiered) both(op string, frontErr, backErr error) error {
	if frontErr != nil {
		t.errs[tierFront].Add(1)
	}
	var errs []error
	if frontErr != nil {
		errs = append(errs, &TierError{Tier: t.names[tierFront], Op: op, Err: frontErr})
	}
	if backErr != nil {
		errs = append(errs, &TierError{Tier: t.names[tierBack], Op: op, Err: backErr})
	}
	switch len(errs) {
	case 0:
		return nil
	case 1:
		return errs[0]
	}
	return errors.Join(errs...)
}

// Size implements Sizer with the front tier's size, when it reports one.
func (t *Tiered) Size() (entries int, bytes int64) {
	if sz, ok := t.front.(Sizer); ok {
		return sz.Size()
	}
	return 0, 0
}

// Tiers returns the counters of the tiers, front first.
func (t *Tiered) Tiers() []TierStats {
	out := make([]TierStats, 2)
	for i := range out {
		out[i] = TierStats{Name: t.names[i], Hits: t.hits[i].Load(), Misses: t.misses[i].Load(), Errors: t.errs[i].Load()}
	}
	return out
}
