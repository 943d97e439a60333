package freebusy

import (
	"errors"
	"fmt"
	"slices"
	"time"
)

// InvertedPolicy says what Normalize does with an interval whose End is
// before its Start.
type InvertedPolicy uint8

const (
	// DropInverted drops inverted intervals and counts them in
	// NormalizeReport.Inverted. It is the default because the one inverted
	// period seen in the wild (Domino DAS, docs/notes.md §2.2.6) is a
	// block that ended just before the window, clipped at its start only:
	// swapping it would invent busy time.
	DropInverted InvertedPolicy = iota
	// SwapInverted swaps Start and End, for sources known to write periods
	// backwards.
	SwapInverted
	// RejectInverted makes Normalize fail with an *IntervalError.
	RejectInverted
)

// NormalizeOptions tune Normalize. The zero value is the documented default.
type NormalizeOptions struct {
	// Inverted is the policy for intervals with End before Start. Values
	// other than the declared policies act as DropInverted.
	Inverted InvertedPolicy
}

// NormalizeReport counts what Normalize changed, so that nothing a source
// sent disappears without a trace.
type NormalizeReport struct {
	// Empty counts zero-length intervals dropped.
	Empty int
	// Inverted counts inverted intervals dropped or swapped.
	Inverted int
	// Clipped counts intervals cut at the window's edge.
	Clipped int
	// Outside counts intervals dropped for lying wholly outside the window.
	Outside int
}

// Conditions an IntervalError can report.
var (
	ErrInvertedInterval = errors.New("freebusy: interval ends before it starts")
	ErrInvalidStatus    = errors.New("freebusy: undeclared status")
)

// IntervalError reports an interval Normalize refused.
type IntervalError struct {
	// Attendee names the schedule the interval came from, when the operation
	// works on several (MergeGroup, FindFreeTime); it is empty otherwise.
	Attendee string
	// Index is the position of the interval in the input.
	Index int
	// Interval is the offending interval.
	Interval Interval
	// Err is ErrInvertedInterval or ErrInvalidStatus.
	Err error
}

// Error implements error.
func (e *IntervalError) Error() string {
	if e.Attendee != "" {
		return fmt.Sprintf("%v: %q: interval %d (%s)", e.Err, e.Attendee, e.Index, e.Interval)
	}
	return fmt.Sprintf("%v: interval %d (%s)", e.Err, e.Index, e.Interval)
}

// Unwrap returns the condition.
func (e *IntervalError) Unwrap() error { return e.Err }

// Is makes every IntervalError match ErrInvalid.
func (e *IntervalError) Is(target error) bool { return target == ErrInvalid }

// Normalize returns ivs in canonical form over the window [start, end):
// converted to UTC; inverted intervals handled by opt.Inverted; empty ones
// dropped; clipped to the window; overlaps resolved so that each instant has
// the status of highest Precedence among the intervals covering it; Free
// time removed (uncovered time is free); adjacent intervals of the same
// status joined. The result is sorted and non-overlapping. ivs is not
// modified.
//
// Input that is already canonical over the window (see IsCanonical), as
// every Source of this module returns it, is only copied into UTC: one
// pass instead of a sort, so normalizing again is cheap.
//
// Errors: a *QueryError (ErrEmptyWindow) when start is not before end, and an
// *IntervalError for an undeclared status or, under RejectInverted, an
// inverted interval.
func Normalize(ivs []Interval, start, end time.Time, opt NormalizeOptions) ([]Interval, NormalizeReport, error) {
	if IsCanonical(ivs, start, end) {
		// Nothing to drop, clip, join or count: the result is ivs in UTC.
		var out []Interval
		if len(ivs) > 0 {
			out = make([]Interval, len(ivs))
			for i, iv := range ivs {
				out[i] = Interval{Start: iv.Start.UTC(), End: iv.End.UTC(), Status: iv.Status}
			}
		}
		return out, NormalizeReport{}, nil
	}
	return normalizeSweep(ivs, start, end, opt)
}

// IsCanonical reports whether ivs are already in the canonical form over
// the window [start, end) that Normalize returns, whatever their time
// zones: sorted, inside the window, non-empty, non-overlapping, never
// Free, of declared statuses, and neighbours that touch differ in status.
// Normalize would return the same instants for them. An empty window
// holds nothing canonical.
//
// It is one pass without allocation, so an answer path can check the
// schedules it is given (which every Source of this module returns in
// canonical form) instead of normalizing them again, and render them
// directly: AvailabilityView and Normalize take that shortcut themselves.
func IsCanonical(ivs []Interval, start, end time.Time) bool {
	// Instants, as Normalize compares them: wall-clock time, never a
	// monotonic reading that time.Now may have left on the values.
	prev, last := instantOf(start), instantOf(end)
	if prev.compare(last) >= 0 {
		return false
	}
	for i := range ivs {
		iv := &ivs[i]
		s, e := instantOf(iv.Start), instantOf(iv.End)
		if !iv.Status.Valid() || iv.Status == Free || s.compare(e) >= 0 {
			return false
		}
		switch c := s.compare(prev); {
		case c < 0:
			return false // before the window, or overlapping its neighbour
		case c == 0 && i > 0 && iv.Status == ivs[i-1].Status:
			return false // touching equal neighbours are one interval
		}
		prev = e
	}
	return prev.compare(last) <= 0
}

// normalizeSweep is Normalize without the canonical shortcut: the sweep
// over every interval edge.
func normalizeSweep(ivs []Interval, start, end time.Time, opt NormalizeOptions) ([]Interval, NormalizeReport, error) {
	var rep NormalizeReport
	if !start.Before(end) {
		return nil, rep, &QueryError{Field: "Start", Detail: "normalize window is empty or inverted", Err: ErrEmptyWindow}
	}
	ws, we := instantOf(start), instantOf(end)
	if keyable(ws, we) {
		keys, err := appendKeys(make([]uint64, 0, 2*len(ivs)), ivs, ws, ws, we, opt, &rep)
		if err != nil {
			return nil, rep, err
		}
		var out []Interval
		origin := start.UTC()
		sweepKeys(keys, nil, &byPrecedence, func(from, to int64, st Status) {
			out = append(out, Interval{Start: origin.Add(time.Duration(from)), End: origin.Add(time.Duration(to)), Status: st})
		})
		return out, rep, nil
	}
	// A window too long for keys (over 36 years): sort edge structs.
	edges := make([]edge, 0, 2*len(ivs))
	for i, iv := range ivs {
		s, e, keep, err := clipInterval(i, iv, ws, we, opt, &rep)
		if err != nil {
			return nil, rep, err
		}
		if keep {
			edges = append(edges, edge{at: s, status: iv.Status, delta: 1}, edge{at: e, status: iv.Status, delta: -1})
		}
	}
	return sweep(edges, &byPrecedence), rep, nil
}

// clipInterval applies the status check, the inverted policy and the window
// [ws, we) to ivs[i], counting what it does in rep. keep is false when
// nothing of the interval remains.
func clipInterval(i int, iv Interval, ws, we instant, opt NormalizeOptions, rep *NormalizeReport) (s, e instant, keep bool, err error) {
	if !iv.Status.Valid() {
		return s, e, false, &IntervalError{Index: i, Interval: iv, Err: ErrInvalidStatus}
	}
	s, e = instantOf(iv.Start), instantOf(iv.End)
	switch c := s.compare(e); {
	case c == 0:
		rep.Empty++
		return s, e, false, nil
	case c > 0:
		rep.Inverted++
		switch opt.Inverted {
		case SwapInverted:
			s, e = e, s
		case RejectInverted:
			return s, e, false, &IntervalError{Index: i, Interval: iv, Err: ErrInvertedInterval}
		default:
			return s, e, false, nil
		}
	}
	if e.compare(ws) <= 0 || s.compare(we) >= 0 {
		rep.Outside++
		return s, e, false, nil
	}
	clipped := false
	if s.compare(ws) < 0 {
		s, clipped = ws, true
	}
	if e.compare(we) > 0 {
		e, clipped = we, true
	}
	if clipped {
		rep.Clipped++
	}
	return s, e, true, nil
}

// The sweep's hot path sorts edges packed into uint64 keys with the
// ordered-type sort, several times faster than sorting structs with a
// comparison function (BenchmarkNormalize). A key is the edge's offset in
// nanoseconds from an origin, shifted left by keyShift, with the status in
// bits 1-3 and bit 0 set for an end edge. Offsets below 2^60 ns (about 36
// years) fit.
const (
	keyShift   = 4
	maxKeySpan = 1<<(64-keyShift) - 1
)

// keyable reports whether offsets from origin up to limit fit a key.
func keyable(origin, limit instant) bool {
	ds := limit.sec - origin.sec
	if ds < 0 || ds > 1<<32 {
		return false
	}
	ns := ds*1e9 + int64(limit.nsec) - int64(origin.nsec)
	return ns >= 0 && ns <= maxKeySpan
}

// nanosSince returns a - b in nanoseconds; callers ensure it fits a key.
func (a instant) nanosSince(b instant) int64 {
	return (a.sec-b.sec)*1e9 + int64(a.nsec) - int64(b.nsec)
}

func startKey(off int64, st Status) uint64 { return uint64(off)<<keyShift | uint64(st)<<1 }
func endKey(off int64, st Status) uint64   { return uint64(off)<<keyShift | uint64(st)<<1 | 1 }

// appendKeys appends the start and end keys of ivs clipped to [ws, we), as
// offsets from origin (origin <= ws, keyable(origin, we)).
func appendKeys(keys []uint64, ivs []Interval, origin, ws, we instant, opt NormalizeOptions, rep *NormalizeReport) ([]uint64, error) {
	for i, iv := range ivs {
		s, e, keep, err := clipInterval(i, iv, ws, we, opt, rep)
		if err != nil {
			return keys, err
		}
		if keep {
			keys = append(keys, startKey(s.nanosSince(origin), iv.Status), endKey(e.nanosSince(origin), iv.Status))
		}
	}
	return keys, nil
}

// sweepKeys sorts keys in place and calls emit for each canonical segment
// [from, to) (offsets from the keys' origin): at every point the covering
// status that comes first in order wins; Free is not emitted; equal
// neighbours are joined.
//
// tmp, when not nil, is scratch space for the sort, kept across calls.
func sweepKeys(keys []uint64, tmp *[]uint64, order *[numStatuses]Status, emit func(from, to int64, st Status)) {
	sortKeys(keys, tmp)
	var active [numStatuses]int
	cur := Free // status of the segment being built; Free means "none"
	var curStart int64
	for i := 0; i < len(keys); {
		at := keys[i] >> keyShift
		for ; i < len(keys) && keys[i]>>keyShift == at; i++ {
			k := keys[i]
			if k&1 == 0 {
				active[k>>1&7]++
			} else {
				active[k>>1&7]--
			}
		}
		next := topStatus(&active, order)
		if next == cur {
			continue
		}
		if cur != Free {
			emit(curStart, int64(at), cur)
		}
		cur, curStart = next, int64(at)
	}
}

// Normalize brings s.Intervals into canonical form over s's window with the
// default options, and converts the window to UTC. See Normalize.
func (s *Schedule) Normalize() (NormalizeReport, error) {
	ivs, rep, err := Normalize(s.Intervals, s.Start, s.End, NormalizeOptions{})
	if err != nil {
		return rep, err
	}
	s.Start, s.End, s.Intervals = s.Start.UTC(), s.End.UTC(), ivs
	return rep, nil
}

// instant is a UTC instant as seconds and nanoseconds, which sorts and
// compares far faster than time.Time and covers its whole range.
type instant struct {
	sec  int64
	nsec int32
}

func instantOf(t time.Time) instant { return instant{sec: t.Unix(), nsec: int32(t.Nanosecond())} }

func (a instant) time() time.Time { return time.Unix(a.sec, int64(a.nsec)).UTC() }

func (a instant) compare(b instant) int {
	switch {
	case a.sec < b.sec:
		return -1
	case a.sec > b.sec:
		return 1
	case a.nsec < b.nsec:
		return -1
	case a.nsec > b.nsec:
		return 1
	}
	return 0
}

// edge is where one interval starts (delta +1) or ends (delta -1).
type edge struct {
	at     instant
	status Status
	delta  int8
}

// sweep turns interval edges into canonical intervals: at every point the
// covering status that comes first in order wins; Free is dropped; equal
// neighbours are joined. edges is sorted in place.
func sweep(edges []edge, order *[numStatuses]Status) []Interval {
	if len(edges) == 0 {
		return nil
	}
	slices.SortFunc(edges, func(a, b edge) int { return a.at.compare(b.at) })
	var active [numStatuses]int
	var out []Interval
	cur := Free // status of the segment being built; Free means "none"
	var curStart instant
	for i := 0; i < len(edges); {
		at := edges[i].at
		for ; i < len(edges) && edges[i].at.compare(at) == 0; i++ {
			active[edges[i].status] += int(edges[i].delta)
		}
		next := topStatus(&active, order)
		if next == cur {
			continue
		}
		if cur != Free {
			out = append(out, Interval{Start: curStart.time(), End: at.time(), Status: cur})
		}
		cur, curStart = next, at
	}
	return out
}

// topStatus returns the active status that comes first in order, with Free
// for "nothing active" (uncovered time is free).
func topStatus(active *[numStatuses]int, order *[numStatuses]Status) Status {
	for _, s := range order {
		if active[s] > 0 {
			return s
		}
	}
	return Free
}

// byPrecedence lists the statuses from highest precedence to lowest.
var byPrecedence = [numStatuses]Status{OutOfOffice, Busy, Tentative, WorkingElsewhere, Free, Unknown}

// radixMin is the length from which sortKeys uses a radix sort; below it
// the comparison sort wins.
const radixMin = 512

// sortKeys sorts keys ascending. Large inputs get an LSD radix sort on
// bytes, which skips the byte positions where all keys agree (the high
// bytes of short windows): the comparison sort was three quarters of
// BenchmarkNormalize's profile, and the radix sort is about four times
// faster at 100,000 keys. tmp, when not nil, is reused scratch space.
func sortKeys(keys []uint64, tmp *[]uint64) {
	if len(keys) < radixMin {
		slices.Sort(keys)
		return
	}
	var dst []uint64
	if tmp != nil && cap(*tmp) >= len(keys) {
		dst = (*tmp)[:len(keys)]
	} else {
		dst = make([]uint64, len(keys))
		if tmp != nil {
			*tmp = dst
		}
	}
	var counts [8][256]int
	for _, k := range keys {
		for d := range 8 {
			counts[d][byte(k>>(8*d))]++
		}
	}
	src := keys
	for d := range 8 {
		c := &counts[d]
		if c[byte(src[0]>>(8*d))] == len(src) {
			continue // every key has the same byte here
		}
		sum := 0
		for b := range c {
			c[b], sum = sum, sum+c[b]
		}
		shift := 8 * d
		for _, k := range src {
			b := byte(k >> shift)
			dst[c[b]] = k
			c[b]++
		}
		src, dst = dst, src
	}
	if &src[0] != &keys[0] {
		copy(keys, src)
	}
}
