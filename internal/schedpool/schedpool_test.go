package schedpool

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestPut: a buffer put back is Reset, so what it lent reads as zero; nil
// is ignored.
func TestPut(t *testing.T) {
	Put(nil)
	b := Get()
	ss := b.Schedules(2)
	ss[0].Attendee = "ada@example.com"
	Put(b)
	require.Zero(t, ss[0].Attendee, "Put resets the buffer")
}
