package freebusy

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func sched(t testing.TB, attendee string, ss ...span) Schedule {
	return Schedule{Attendee: attendee, Start: tm(t, "08:00"), End: tm(t, "18:00"), Intervals: spans(t, ss...)}
}

func TestMergeGroup(t *testing.T) {
	failed := Failed("c", tm(t, "08:00"), tm(t, "18:00"), ReasonTimeout, nil)
	short := sched(t, "d", span{"10:00", "11:00", Busy})
	short.Start, short.End = tm(t, "09:00"), tm(t, "12:00")
	tests := []struct {
		name      string
		schedules []Schedule
		want      []span
	}{
		{"all free", []Schedule{sched(t, "a"), sched(t, "b")}, nil},
		{"busiest wins",
			[]Schedule{sched(t, "a", span{"09:00", "11:00", Tentative}), sched(t, "b", span{"10:00", "12:00", Busy}), sched(t, "e", span{"10:30", "11:30", OutOfOffice})},
			[]span{{"09:00", "10:00", Tentative}, {"10:00", "10:30", Busy}, {"10:30", "11:30", OutOfOffice}, {"11:30", "12:00", Busy}}},
		{"unknown and free is unknown, never free",
			[]Schedule{sched(t, "a", span{"09:00", "10:00", Unknown}), sched(t, "b")},
			[]span{{"09:00", "10:00", Unknown}}},
		{"unknown and busy is busy",
			[]Schedule{sched(t, "a", span{"09:00", "11:00", Unknown}), sched(t, "b", span{"10:00", "12:00", Busy})},
			[]span{{"09:00", "10:00", Unknown}, {"10:00", "12:00", Busy}}},
		{"unknown and tentative is tentative",
			[]Schedule{sched(t, "a", span{"09:00", "10:00", Unknown}), sched(t, "b", span{"09:00", "10:00", Tentative})},
			[]span{{"09:00", "10:00", Tentative}}},
		{"unknown beats working elsewhere",
			[]Schedule{sched(t, "a", span{"09:00", "10:00", Unknown}), sched(t, "b", span{"08:00", "18:00", WorkingElsewhere})},
			[]span{{"08:00", "09:00", WorkingElsewhere}, {"09:00", "10:00", Unknown}, {"10:00", "18:00", WorkingElsewhere}}},
		{"working elsewhere beats free",
			[]Schedule{sched(t, "a", span{"09:00", "10:00", WorkingElsewhere}), sched(t, "b")},
			[]span{{"09:00", "10:00", WorkingElsewhere}}},
		{"a failed schedule makes free time unknown",
			[]Schedule{sched(t, "a", span{"09:00", "10:00", Busy}), failed},
			[]span{{"08:00", "09:00", Unknown}, {"09:00", "10:00", Busy}, {"10:00", "18:00", Unknown}}},
		{"outside an attendee's own window is unknown",
			[]Schedule{sched(t, "a"), short},
			[]span{{"08:00", "09:00", Unknown}, {"10:00", "11:00", Busy}, {"12:00", "18:00", Unknown}}},
		{"one attendee's overlaps resolve by precedence first",
			[]Schedule{sched(t, "a", span{"09:00", "10:00", Unknown}, span{"09:00", "10:00", Free}), sched(t, "b")},
			nil},
		{"intervals outside the group window are ignored",
			[]Schedule{sched(t, "a", span{"06:00", "07:00", Busy}, span{"17:30", "19:00", OutOfOffice})},
			[]span{{"17:30", "18:00", OutOfOffice}}},
		{"one attendee", []Schedule{sched(t, "a", span{"09:00", "10:00", Busy})}, []span{{"09:00", "10:00", Busy}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			orig := make([][]Interval, len(tt.schedules))
			for i, s := range tt.schedules {
				orig[i] = slices.Clone(s.Intervals)
			}
			got, err := MergeGroup(tt.schedules, tm(t, "08:00"), tm(t, "18:00"))
			require.NoError(t, err)
			assert.Equal(t, spans(t, tt.want...), got)
			assertCanonical(t, got, tm(t, "08:00"), tm(t, "18:00"))
			for i, s := range tt.schedules {
				assert.Equal(t, orig[i], s.Intervals, "schedule %d is not modified", i)
			}
		})
	}
}

func TestMergeGroupWindowOutsideSchedules(t *testing.T) {
	got, err := MergeGroup([]Schedule{sched(t, "a")}, tm(t, "d+1 08:00"), tm(t, "d+1 09:00"))
	require.NoError(t, err)
	assert.Equal(t, spans(t, span{"d+1 08:00", "d+1 09:00", Unknown}), got, "nobody vouches for time nobody was asked about")

	noWindow := Schedule{Attendee: "z", Intervals: spans(t, span{"09:00", "10:00", Busy})}
	got, err = MergeGroup([]Schedule{noWindow}, tm(t, "08:00"), tm(t, "18:00"))
	require.NoError(t, err)
	assert.Equal(t, spans(t, span{"08:00", "18:00", Unknown}), got, "a schedule without a window knows nothing")
}

func TestMergeGroupErrors(t *testing.T) {
	_, err := MergeGroup(nil, tm(t, "08:00"), tm(t, "18:00"))
	assert.ErrorIs(t, err, ErrNoAttendees)
	_, err = MergeGroup([]Schedule{sched(t, "a")}, tm(t, "18:00"), tm(t, "08:00"))
	assert.ErrorIs(t, err, ErrEmptyWindow)

	bad := sched(t, "b@example.com", span{"09:00", "10:00", Busy}, span{"11:00", "12:00", Status(77)})
	for _, end := range []time.Time{tm(t, "18:00"), tm(t, "08:00").AddDate(40, 0, 0)} {
		_, err = MergeGroup([]Schedule{sched(t, "a"), bad}, tm(t, "08:00"), end)
		ie, ok := errors.AsType[*IntervalError](err)
		require.True(t, ok, "want *IntervalError, got %T", err)
		assert.Equal(t, "b@example.com", ie.Attendee)
		assert.Equal(t, 1, ie.Index)
		assert.ErrorIs(t, err, ErrInvalidStatus)
		assert.Contains(t, err.Error(), `"b@example.com"`)
	}
}

// TestMergeGroupMatchesReference is a property test: on random groups
// (failed schedules, partial windows, overlapping and inverted intervals)
// MergeGroup agrees minute by minute with the rule as written: collapse
// the attendees' StatusAt, with both the key sweep and the long-window
// sweep.
func TestMergeGroupMatchesReference(t *testing.T) {
	const windowMin = 240
	start := day0.Add(8 * time.Hour)
	rng := rand.New(rand.NewPCG(13, 14))
	for _, long := range []bool{false, true} {
		end := start.Add(windowMin * time.Minute)
		if long {
			end = start.AddDate(40, 0, 0)
		}
		for iter := range 120 {
			group := make([]Schedule, 1+rng.IntN(5))
			for i := range group {
				s := Schedule{
					Attendee:  fmt.Sprint("a", i),
					Start:     start.Add(time.Duration(rng.IntN(60)-20) * time.Minute),
					End:       start.Add(time.Duration(windowMin-40+rng.IntN(60)) * time.Minute),
					Intervals: randomMinuteIntervals(rng, start, -30, windowMin+30, rng.IntN(12)),
				}
				if long {
					s.End = end
				}
				if rng.IntN(8) == 0 {
					s.Err = NewError(s.Attendee, ReasonUnavailable, nil)
				}
				group[i] = s
			}
			got, err := MergeGroup(group, start, end)
			require.NoError(t, err)
			assertCanonical(t, got, start, end)
			have := expandMinutes(got, start, windowMin)
			for m := range windowMin {
				at := start.Add(time.Duration(m) * time.Minute)
				var mask uint8
				for i := range group {
					mask |= 1 << group[i].StatusAt(at)
				}
				require.Equal(t, collapse(mask), have[m], "long=%v iteration %d minute %d", long, iter, m)
			}
		}
	}
}

// BenchmarkGroupMerge100 merges 100 attendees over 42 days, each with about
// 10 random intervals a day (15 minutes to 3 hours, every status,
// overlapping): 42,000 intervals.
func BenchmarkGroupMerge100(b *testing.B) {
	rng := rand.New(rand.NewPCG(15, 16))
	start := day0
	end := start.AddDate(0, 0, 42)
	group := make([]Schedule, 100)
	for i := range group {
		group[i] = Schedule{Attendee: fmt.Sprint("user", i), Start: start, End: end, Intervals: randomDayIntervals(rng, start, 42, 10)}
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := MergeGroup(group, start, end); err != nil {
			b.Fatal(err)
		}
	}
}
