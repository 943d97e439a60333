package window

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSplit(t *testing.T) {
	t0 := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	for _, tc := range []struct {
		name       string
		end        time.Time
		slot, max  time.Duration
		wantPieces int
	}{
		{"one piece", t0.Add(7 * day), 30 * time.Minute, 42 * day, 1},
		{"exactly max", t0.Add(42 * day), 30 * time.Minute, 42 * day, 1},
		{"just over", t0.Add(42*day + time.Minute), 30 * time.Minute, 42 * day, 2},
		{"shorter than a slot", t0.Add(10 * time.Minute), 30 * time.Minute, 42 * day, 1},
		{"max not a whole number of slots", t0.Add(10 * day), 7 * time.Hour, 2 * day, 6},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ps := Split(t0, tc.end, tc.slot, tc.max)
			require.Len(t, ps, tc.wantPieces)
			assert.Equal(t, t0, ps[0].Start)
			assert.Equal(t, tc.end, ps[len(ps)-1].End)
			for i, p := range ps {
				if i > 0 {
					assert.Equal(t, ps[i-1].End, p.Start, "pieces touch")
				}
				assert.False(t, p.AskEnd.Before(p.End), "asks at least the piece")
				assert.Zero(t, p.AskEnd.Sub(p.Start)%tc.slot, "asks whole slots")
				assert.LessOrEqual(t, p.AskEnd.Sub(p.Start), max(tc.max, tc.slot), "within the limit")
				assert.Less(t, p.AskEnd.Sub(p.End), tc.slot, "rounds up by less than a slot")
			}
		})
	}
	assert.Empty(t, Split(t0, t0, time.Hour, day), "an empty window has no pieces")
}

func TestMinMax(t *testing.T) {
	a := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	b := a.Add(time.Second)
	assert.Equal(t, a, Min(a, b))
	assert.Equal(t, a, Min(b, a))
	assert.Equal(t, b, Max(a, b))
	assert.Equal(t, b, Max(b, a))
}
