package cache

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/calbridge/calbridge/freebusy"
)

// TestJoinDaysIsNormalize: the day entries of a row, laid end to end by
// joinDays, are what Normalize makes of them, for windows that start and
// end anywhere, meetings that run past midnight, and entries that are not
// canonical (build then normalizes them in full).
func TestJoinDaysIsNormalize(t *testing.T) {
	r := rand.New(rand.NewPCG(14, 2026))
	day0 := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	berlin, err := freebusy.LoadZone("Europe/Berlin")
	require.NoError(t, err)
	statuses := []freebusy.Status{freebusy.Busy, freebusy.Tentative, freebusy.OutOfOffice, freebusy.Unknown, freebusy.Free}
	for round := range 2000 {
		days := 1 + r.IntN(4)
		// A week's calendar: random blocks, some across midnight.
		var raw []freebusy.Interval
		for at := day0.Add(time.Duration(r.IntN(600)) * time.Minute); at.Before(day0.AddDate(0, 0, days)); {
			length := time.Duration(15+r.IntN(20)*15) * time.Minute
			if r.IntN(8) == 0 {
				length += 8 * time.Hour
			}
			raw = append(raw, freebusy.Interval{Start: at, End: at.Add(length), Status: statuses[r.IntN(4)]})
			at = at.Add(length + time.Duration(r.IntN(3))*30*time.Minute)
		}
		row := make([]Entry, days)
		for d := range row {
			from, to := day0.AddDate(0, 0, d), day0.AddDate(0, 0, d+1)
			row[d].Intervals, _, err = freebusy.Normalize(raw, from, to, freebusy.NormalizeOptions{})
			require.NoError(t, err)
		}
		if round%10 == 0 && len(row[0].Intervals) > 0 {
			// Not canonical: an overlap, a Free block, another zone.
			bad := row[0].Intervals[0]
			switch round % 30 {
			case 0:
				bad.End = bad.End.Add(time.Hour)
			case 10:
				bad.Status = freebusy.Free
			case 20:
				bad.Start, bad.End = bad.Start.In(berlin), bad.End.In(berlin)
			}
			row[0].Intervals = append([]freebusy.Interval{bad}, row[0].Intervals...)
		}
		start := day0.Add(time.Duration(r.IntN(days*48)) * 30 * time.Minute)
		end := start.Add(time.Duration(1+r.IntN(days*48)) * 30 * time.Minute)

		var all []freebusy.Interval
		for _, e := range row {
			all = append(all, e.Intervals...)
		}
		want, _, wantErr := freebusy.Normalize(all, start, end, freebusy.NormalizeOptions{})
		c := &Source{s: settings{ttl: time.Hour}}
		got, err := c.build("a", start, end, day0, row)
		if wantErr != nil {
			require.Error(t, err, "round %d", round)
			continue
		}
		require.NoError(t, err, "round %d", round)
		require.Equal(t, want, got.Intervals, "round %d: window %s..%s", round, start, end)
	}
}
