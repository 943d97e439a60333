package freebusy

import (
	"time"
)

// Interval is a half-open stretch of time [Start, End) with one Status.
// Start and End are UTC; anything that builds an Interval from outside input
// converts at that edge (NewInterval does).
type Interval struct {
	// Start is the first instant of the interval.
	Start time.Time `json:"start"`
	// End is the first instant after it.
	End time.Time `json:"end"`
	// Status is what is known about the time in between.
	Status Status `json:"status"`
}

// NewInterval returns the interval [start, end) with status s, with both
// instants converted to UTC. It does not reorder an inverted pair: Normalize
// applies the documented policy for those.
func NewInterval(start, end time.Time, s Status) Interval {
	return Interval{Start: start.UTC(), End: end.UTC(), Status: s}
}

// Duration returns End - Start, which is negative for an inverted interval.
func (iv Interval) Duration() time.Duration { return iv.End.Sub(iv.Start) }

// Empty reports whether the interval contains no instant (End is not after
// Start).
func (iv Interval) Empty() bool { return !iv.End.After(iv.Start) }

// Contains reports whether t lies in [Start, End).
func (iv Interval) Contains(t time.Time) bool {
	return !t.Before(iv.Start) && t.Before(iv.End)
}

// Overlaps reports whether iv and o share at least one instant. Touching
// intervals ([9:00,10:00) and [10:00,11:00)) do not overlap, and an empty or
// inverted interval overlaps nothing.
func (iv Interval) Overlaps(o Interval) bool {
	return iv.Start.Before(o.End) && o.Start.Before(iv.End) && !iv.Empty() && !o.Empty()
}

// Clip returns the part of iv inside [start, end), and false when nothing of
// it is inside.
func (iv Interval) Clip(start, end time.Time) (Interval, bool) {
	if iv.Start.Before(start) {
		iv.Start = start
	}
	if iv.End.After(end) {
		iv.End = end
	}
	return iv, !iv.Empty()
}

// String formats the interval as "<start>/<end> <status>" in RFC 3339, UTC.
func (iv Interval) String() string {
	return iv.Start.UTC().Format(time.RFC3339) + "/" + iv.End.UTC().Format(time.RFC3339) + " " + iv.Status.String()
}

// Coalesce sorts ivs in place and joins the ones that overlap or touch,
// returning the joined list, which shares ivs' backing array. It is for
// intervals of one status (a joined interval keeps the status of its first
// part); Normalize is the tool for mixed statuses.
func Coalesce(ivs []Interval) []Interval {
	if len(ivs) < 2 {
		return ivs
	}
	sortIntervals(ivs)
	out := ivs[:1]
	for _, iv := range ivs[1:] {
		last := &out[len(out)-1]
		if !iv.Start.After(last.End) {
			if iv.End.After(last.End) {
				last.End = iv.End
			}
			continue
		}
		out = append(out, iv)
	}
	return out
}

// RoundOutward returns iv with its start rounded down and its end rounded
// up to multiples of unit (counted from the zero time, so whole seconds or
// minutes of UTC): the one rule of every encoder whose format is coarser
// than an instant (docs/mapping.md §4.8). Busy time never shrinks, and a
// non-empty interval never becomes empty.
func (iv Interval) RoundOutward(unit time.Duration) Interval {
	start := iv.Start.Truncate(unit)
	end := iv.End.Truncate(unit)
	if !end.Equal(iv.End) {
		end = end.Add(unit)
	}
	iv.Start, iv.End = start, end
	return iv
}
