package sample

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"

	"github.com/calbridge/calbridge/freebusy"
)

// loadFingerprint is the SHA-256 of loadFingerprintOf over the raw 100x7d
// schedules: the data behind the figures of the 100x7d benchmarks since
// they were first reported.
const loadFingerprint = "5764e8ab41575859177b7d82551e333147233009e81f473d672a03de874186e0"

// loadFingerprintOf hashes the attendees and intervals of schedules, in
// query order.
func loadFingerprintOf(q freebusy.Query, ss map[string]freebusy.Schedule) string {
	h := sha256.New()
	for _, a := range q.Attendees {
		s := ss[strings.ToLower(a)]
		fmt.Fprintln(h, s.Attendee, s.Start.Unix(), s.End.Unix())
		for _, iv := range s.Intervals {
			fmt.Fprintln(h, iv)
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

// TestLoadFingerprint: the 100x7d load is the one the benchmark figures
// were measured on. A change to it makes old and new figures incomparable:
// change the fingerprint only with a note saying so.
func TestLoadFingerprint(t *testing.T) {
	q, ss := Load100x7d(false)
	if got := loadFingerprintOf(q, ss); got != loadFingerprint {
		t.Fatalf("the 100x7d schedules changed: fingerprint %s, want %s", got, loadFingerprint)
	}
	q, canonical := Load100x7d(true)
	for _, a := range q.Attendees {
		s := canonical[strings.ToLower(a)]
		if !freebusy.IsCanonical(s.Intervals, q.Start, q.End) {
			t.Fatalf("%s: Load100x7d(true) is not canonical", a)
		}
	}
}
