// Package window cuts a query's time window into the pieces a backend
// accepts, and joins nothing: stitching answers back is the caller's, since
// each protocol reports failures differently.
package window

import "time"

// Piece is one part of a split window. An answer covers [Start, End); the
// request asks for [Start, AskEnd), which is End rounded up to a whole
// number of slots from Start, because EWS and Graph refuse or misreport a
// window shorter than one slot. Callers clip answers back to End.
type Piece struct {
	Start, End, AskEnd time.Time
}

// Split cuts [start, end) into pieces of at most maxLen, rounded down to
// whole slots (at least one slot). Only the last piece can be shorter than
// the others, and rounding its AskEnd up never makes it longer than them,
// so every request stays within maxLen when maxLen holds at least one slot.
// A slot below one minute means one minute.
func Split(start, end time.Time, slot, maxLen time.Duration) []Piece {
	slot = max(slot, time.Minute)
	pieceLen := maxLen / slot * slot
	if pieceLen <= 0 {
		pieceLen = slot
	}
	var pieces []Piece
	for s := start; s.Before(end); s = s.Add(pieceLen) {
		e := s.Add(pieceLen)
		if e.After(end) {
			e = end
		}
		n := (e.Sub(s) + slot - 1) / slot
		pieces = append(pieces, Piece{Start: s, End: e, AskEnd: s.Add(n * slot)})
	}
	return pieces
}

// Min returns the earlier of a and b.
func Min(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// Max returns the later of a and b.
func Max(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
