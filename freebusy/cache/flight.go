package cache

import "context"

// Flighter is implemented by a shared Store that lets the Sources of
// several processes make one backend call per key between them: when
// gateway instances sharing the store miss the same keys at once, one of
// them fetches and the others wait for its entries to land in the store.
// A Memory needs none of it; in a process, the Source's own single flight
// does the same.
//
// The Source uses it as follows, for the keys of a backend call it is
// about to make. It takes the locks it can with TryLock. For the
// attendees of which it took any key's lock, it reads the store again (an
// entry may have landed since it last looked), fetches what is still
// missing, stores it, and releases the Lease. For the attendees whose
// every key another holder has locked, it calls Await and then reads the
// store; what did not land (the holder failed, or died and its lock
// expired) it tries to lock and fetch again, until the call's deadline.
// When TryLock or Await fails, the Source fetches alone.
type Flighter interface {
	// TryLock tries to take the fill lock of each key: held[i] reports
	// whether this caller took keys[i] (a key it did not take has a
	// holder already). The two slices have the same length. The Lease it
	// returns, nil when it took none, holds the locks until released,
	// keeping them alive while the fetch runs; a holder that dies loses
	// them after the store's lock lifetime.
	TryLock(ctx context.Context, keys []Key, held []bool) (Lease, error)
	// Await blocks until none of keys is locked (each holder stored its
	// entries and released its lease, gave up, or died) or ctx ends, and
	// returns ctx's error then.
	Await(ctx context.Context, keys []Key) error
}

// Lease is the fill locks a Flighter.TryLock took.
type Lease interface {
	// Release gives the locks up. The Source calls it once the fetched
	// entries are stored, so that the processes in Await read them.
	Release(ctx context.Context) error
}

// flighterOf returns the Flighter that shares st: st itself, or the back
// tier of a Tiered store; nil when there is none.
func flighterOf(st Store) Flighter {
	if t, ok := st.(*Tiered); ok {
		return t.backFlighter
	}
	f, _ := st.(Flighter)
	return f
}
