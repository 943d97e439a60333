package e2ebench

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestWeekMatchesFloor: this copy of the 100x7d generator makes the data
// exchange/ews's copy makes (both pin weekFingerprint; TestWeekFingerprint there).
func TestWeekMatchesFloor(t *testing.T) {
	q, ss := weekSchedules(false)
	assert.Equal(t, weekFingerprint, weekFingerprintOf(q, ss))
	assert.Len(t, q.Attendees, 100)
}
