package schedpool

import (
	"testing"
	"unsafe"

	"github.com/stretchr/testify/require"

	"github.com/calbridge/calbridge/freebusy"
)

// TestPut: a buffer put back is Reset (what it lent reads as zero); one
// that holds more than MaxRetained is dropped as it is; nil is ignored.
func TestPut(t *testing.T) {
	Put(nil)

	b := Get()
	require.Zero(t, b.Retained(), "a new buffer holds nothing")
	ss := b.Schedules(2)
	ss[0].Attendee = "ada@example.com"
	Put(b)
	require.Zero(t, ss[0].Attendee, "Put resets the buffer")

	big := new(freebusy.ScheduleBuffer)
	n := MaxRetained/int(unsafe.Sizeof(freebusy.Interval{})) + 1
	ivs := big.Intervals(n)
	ivs[0].Status = freebusy.Busy
	require.Greater(t, big.Retained(), MaxRetained)
	Put(big)
	require.Equal(t, freebusy.Busy, ivs[0].Status, "a buffer over the bound is not kept, nor reset")
}
