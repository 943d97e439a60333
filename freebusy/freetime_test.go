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

func TestFindFreeTime(t *testing.T) {
	failed := Failed("f", tm(t, "08:00"), tm(t, "18:00"), ReasonUnknownAttendee, nil)
	ab := []Schedule{
		sched(t, "a", span{"09:00", "10:00", Busy}, span{"13:00", "14:00", Tentative}),
		sched(t, "b", span{"10:30", "11:00", OutOfOffice}, span{"15:10", "16:00", Busy}),
	}
	tests := []struct {
		name      string
		schedules []Schedule
		req       FreeTimeRequest
		want      []span
	}{
		{"all stretches", ab, FreeTimeRequest{Duration: 30 * time.Minute},
			[]span{{"08:00", "09:00", Free}, {"10:00", "10:30", Free}, {"11:00", "13:00", Free}, {"14:00", "15:10", Free}, {"16:00", "18:00", Free}}},
		{"first fit", ab, FreeTimeRequest{Duration: 30 * time.Minute, Max: 1},
			[]span{{"08:00", "09:00", Free}}},
		{"first two", ab, FreeTimeRequest{Duration: 30 * time.Minute, Max: 2},
			[]span{{"08:00", "09:00", Free}, {"10:00", "10:30", Free}}},
		{"longer meeting skips short gaps", ab, FreeTimeRequest{Duration: 61 * time.Minute},
			[]span{{"11:00", "13:00", Free}, {"14:00", "15:10", Free}, {"16:00", "18:00", Free}}},
		{"exactly fitting", ab, FreeTimeRequest{Duration: 2 * time.Hour},
			[]span{{"11:00", "13:00", Free}, {"16:00", "18:00", Free}}},
		{"step 0 keeps odd starts", []Schedule{sched(t, "a", span{"08:00", "09:10", Busy})}, FreeTimeRequest{Duration: 30 * time.Minute, Max: 1},
			[]span{{"09:10", "18:00", Free}}},
		{"step moves the start up", []Schedule{sched(t, "a", span{"08:00", "09:10", Busy})}, FreeTimeRequest{Duration: 30 * time.Minute, Step: 30 * time.Minute, Max: 1},
			[]span{{"09:30", "18:00", Free}}},
		{"step already aligned", []Schedule{sched(t, "a", span{"08:00", "09:30", Busy})}, FreeTimeRequest{Duration: 30 * time.Minute, Step: 30 * time.Minute, Max: 1},
			[]span{{"09:30", "18:00", Free}}},
		{"step can make a gap too short", []Schedule{sched(t, "a", span{"08:00", "09:10", Busy}, span{"10:00", "18:00", Busy})},
			FreeTimeRequest{Duration: 45 * time.Minute, Step: 30 * time.Minute}, nil},
		{"step grid starts at the request's start", []Schedule{sched(t, "a", span{"08:00", "09:10", Busy})},
			FreeTimeRequest{Start: tm(t, "08:05"), Duration: 30 * time.Minute, Step: 30 * time.Minute, Max: 1},
			[]span{{"09:35", "18:00", Free}}},
		{"working elsewhere is available", []Schedule{sched(t, "a", span{"08:00", "18:00", WorkingElsewhere}), sched(t, "b", span{"08:00", "12:00", Busy})},
			FreeTimeRequest{Duration: time.Hour}, []span{{"12:00", "18:00", Free}}},
		{"tentative is not available", []Schedule{sched(t, "a", span{"08:00", "17:00", Tentative})},
			FreeTimeRequest{Duration: time.Hour}, []span{{"17:00", "18:00", Free}}},
		{"unknown is not available", []Schedule{sched(t, "a", span{"08:00", "17:30", Unknown})},
			FreeTimeRequest{Duration: time.Hour}, nil},
		{"a failed schedule leaves no free time", append([]Schedule{failed}, ab...), FreeTimeRequest{Duration: 5 * time.Minute}, nil},
		{"time beyond the schedules is unknown", []Schedule{sched(t, "a")},
			FreeTimeRequest{Start: tm(t, "16:00"), End: tm(t, "d+1 16:00"), Duration: time.Hour}, []span{{"16:00", "18:00", Free}}},
		{"search window inside the schedules", ab, FreeTimeRequest{Start: tm(t, "11:30"), End: tm(t, "12:30"), Duration: time.Hour},
			[]span{{"11:30", "12:30", Free}}},
		{"meeting longer than the window", ab, FreeTimeRequest{Duration: 11 * time.Hour}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := tt.req
			if req.Start.IsZero() {
				req.Start = tm(t, "08:00")
			}
			if req.End.IsZero() {
				req.End = tm(t, "18:00")
			}
			got, err := FindFreeTime(tt.schedules, req)
			require.NoError(t, err)
			assert.Equal(t, spans(t, tt.want...), got)
		})
	}
}

// TestFindFreeTimeWorkingHours meets Berlin and New York. On 2024-03-05
// both zones are on standard time: 09-17 CET is 08-16 UTC and 09-17 EST is
// 14-22 UTC. On 2024-03-11 New York is already on daylight time (since
// 2024-03-10) and Berlin is not yet (until 2024-03-31): the overlap grows
// by an hour, as tzdata says, not as a fixed offset would.
func TestFindFreeTimeWorkingHours(t *testing.T) {
	berlin := mustLoad(t, "Europe/Berlin")
	ny := mustLoad(t, "America/New_York")
	weekdays := []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday}
	wh := func(loc *time.Location) *WorkingHours {
		return &WorkingHours{Location: loc, Periods: []WorkingPeriod{{Days: weekdays, Start: 9 * time.Hour, End: 17 * time.Hour}}}
	}
	utc := func(day, hour int) time.Time { return time.Date(2024, 3, day, hour, 0, 0, 0, time.UTC) }
	week := func(att string, loc *time.Location) Schedule {
		s := Schedule{Attendee: att, Start: utc(4, 0), End: utc(16, 0)}
		if loc != nil {
			s.WorkingHours = wh(loc)
		}
		return s
	}
	group := []Schedule{week("berlin", berlin), week("ny", ny), week("nowhere", nil)}

	tests := []struct {
		name  string
		start time.Time
		end   time.Time
		want  []Interval
	}{
		{"standard time", utc(5, 0), utc(6, 0), []Interval{{utc(5, 14), utc(5, 16), Free}}},
		{"New York on daylight time", utc(11, 0), utc(12, 0), []Interval{{utc(11, 13), utc(11, 16), Free}}},
		{"weekend", utc(9, 0), utc(11, 0), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := FindFreeTime(group, FreeTimeRequest{Start: tt.start, End: tt.end, Duration: time.Hour, WithinWorkingHours: true})
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}

	got, err := FindFreeTime(group, FreeTimeRequest{Start: utc(5, 0), End: utc(6, 0), Duration: time.Hour})
	require.NoError(t, err)
	assert.Equal(t, []Interval{{utc(5, 0), utc(6, 0), Free}}, got, "without WithinWorkingHours the hours do not matter")

	got, err = FindFreeTime(group[2:], FreeTimeRequest{Start: utc(5, 0), End: utc(6, 0), Duration: time.Hour, WithinWorkingHours: true})
	require.NoError(t, err)
	assert.Equal(t, []Interval{{utc(5, 0), utc(6, 0), Free}}, got, "nil working hours set no limit")

	busy := week("busy", berlin)
	busy.Intervals = []Interval{{utc(5, 8), utc(5, 15), Busy}}
	got, err = FindFreeTime(append(group, busy), FreeTimeRequest{Start: utc(5, 0), End: utc(6, 0), Duration: time.Hour, WithinWorkingHours: true})
	require.NoError(t, err)
	assert.Equal(t, []Interval{{utc(5, 15), utc(5, 16), Free}}, got, "busy time and working hours both apply")

	broken := week("broken", nil)
	broken.WorkingHours = &WorkingHours{Location: time.UTC, Periods: []WorkingPeriod{{Days: weekdays, Start: 17 * time.Hour, End: 9 * time.Hour}}}
	_, err = FindFreeTime(append(group, broken), FreeTimeRequest{Start: utc(5, 0), End: utc(6, 0), Duration: time.Hour, WithinWorkingHours: true})
	assert.ErrorIs(t, err, ErrBadWorkingHours)
	assert.Contains(t, err.Error(), `"broken"`)
}

func TestFindFreeTimeErrors(t *testing.T) {
	ok := []Schedule{sched(t, "a")}
	base := FreeTimeRequest{Start: tm(t, "08:00"), End: tm(t, "18:00"), Duration: time.Hour}
	tests := []struct {
		name      string
		schedules []Schedule
		modify    func(r *FreeTimeRequest)
		cond      error
	}{
		{"no attendees", nil, func(r *FreeTimeRequest) {}, ErrNoAttendees},
		{"empty window", ok, func(r *FreeTimeRequest) { r.End = r.Start }, ErrEmptyWindow},
		{"inverted window", ok, func(r *FreeTimeRequest) { r.Start, r.End = r.End, r.Start }, ErrEmptyWindow},
		{"zero duration", ok, func(r *FreeTimeRequest) { r.Duration = 0 }, ErrBadDuration},
		{"negative duration", ok, func(r *FreeTimeRequest) { r.Duration = -time.Hour }, ErrBadDuration},
		{"negative step", ok, func(r *FreeTimeRequest) { r.Step = -time.Minute }, ErrBadGranularity},
		{"negative max", ok, func(r *FreeTimeRequest) { r.Max = -1 }, ErrBadOption},
		{"window of millennia", ok, func(r *FreeTimeRequest) { r.Start, r.End = time.Time{}, time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC) }, ErrWindowTooLong},
		{"undeclared status", []Schedule{sched(t, "a", span{"09:00", "10:00", Status(66)})}, func(r *FreeTimeRequest) {}, ErrInvalidStatus},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := base
			tt.modify(&req)
			got, err := FindFreeTime(tt.schedules, req)
			assert.Nil(t, got)
			assert.ErrorIs(t, err, tt.cond)
			assert.ErrorIs(t, err, ErrInvalid)
			if !errors.Is(tt.cond, ErrInvalidStatus) {
				_, isQE := errors.AsType[*QueryError](err)
				assert.True(t, isQE, "want *QueryError, got %T", err)
			}
		})
	}
}

// TestFindFreeTimeMatchesReference is a property test against the rule as
// written: every minute of every result is available for the whole group,
// results start on the Step grid, and every grid start at which the meeting
// fits lies in some result.
func TestFindFreeTimeMatchesReference(t *testing.T) {
	const windowMin = 240
	start := day0.Add(8 * time.Hour)
	end := start.Add(windowMin * time.Minute)
	rng := rand.New(rand.NewPCG(17, 18))
	for iter := range 200 {
		group := make([]Schedule, 1+rng.IntN(3))
		for i := range group {
			group[i] = Schedule{Attendee: fmt.Sprint("a", i), Start: start, End: end,
				Intervals: randomMinuteIntervals(rng, start, -30, windowMin+30, rng.IntN(4))}
		}
		req := FreeTimeRequest{Start: start, End: end,
			Duration: time.Duration(5+rng.IntN(60)) * time.Minute,
			Step:     time.Duration([]int{0, 0, 5, 15, 30}[rng.IntN(5)]) * time.Minute}
		got, err := FindFreeTime(group, req)
		require.NoError(t, err)
		assertCanonicalFree(t, got, start, end)

		avail := make([]bool, windowMin)
		for m := range avail {
			var mask uint8
			for i := range group {
				mask |= 1 << group[i].StatusAt(start.Add(time.Duration(m)*time.Minute))
			}
			avail[m] = collapse(mask).Available()
		}
		durMin := int(req.Duration / time.Minute)
		stepMin := max(1, int(req.Step/time.Minute))
		covered := func(a, b time.Time) bool {
			for _, iv := range got {
				if !a.Before(iv.Start) && !b.After(iv.End) {
					return true
				}
			}
			return false
		}
		for _, iv := range got {
			require.GreaterOrEqual(t, iv.Duration(), req.Duration)
			if req.Step > 0 {
				require.Zero(t, iv.Start.Sub(start)%req.Step, "iteration %d: %v on the grid", iter, iv)
			}
			for m := int(iv.Start.Sub(start) / time.Minute); m < int(iv.End.Sub(start)/time.Minute); m++ {
				require.True(t, avail[m], "iteration %d: minute %d in %v is available", iter, m, iv)
			}
		}
		for s := 0; s+durMin <= windowMin; s += stepMin {
			fits := true
			for m := s; m < s+durMin; m++ {
				fits = fits && avail[m]
			}
			a := start.Add(time.Duration(s) * time.Minute)
			require.Equal(t, fits, covered(a, a.Add(req.Duration)), "iteration %d: meeting at minute %d", iter, s)
		}
	}
}

// TestFindFreeTimeWorkingHoursMatchesReference adds random working hours in
// several zones (one with a half-hour offset) to the property test, over a
// window that crosses local midnight somewhere, and checks every minute
// against the wall clock read directly: local weekday and time of day.
func TestFindFreeTimeWorkingHoursMatchesReference(t *testing.T) {
	const windowMin = 16 * 60
	start := day0.Add(4 * time.Hour)
	end := start.Add(windowMin * time.Minute)
	zones := []*time.Location{time.UTC, mustLoad(t, "Europe/Berlin"), mustLoad(t, "America/New_York"), mustLoad(t, "Asia/Kolkata")}
	rng := rand.New(rand.NewPCG(19, 20))
	for iter := range 60 {
		group := make([]Schedule, 1+rng.IntN(3))
		for i := range group {
			group[i] = Schedule{Attendee: fmt.Sprint("a", i), Start: start, End: end,
				Intervals: randomMinuteIntervals(rng, start, 0, windowMin, rng.IntN(4))}
			if rng.IntN(4) == 0 {
				continue // no working hours: no limit
			}
			wh := &WorkingHours{Location: zones[rng.IntN(len(zones))]}
			for range 1 + rng.IntN(3) {
				from := rng.IntN(24 * 60)
				to := from + 1 + rng.IntN(24*60-from)
				var days []time.Weekday
				for d := range everyDay {
					if rng.IntN(3) > 0 {
						days = append(days, everyDay[d])
					}
				}
				wh.Periods = append(wh.Periods, WorkingPeriod{Days: days, Start: time.Duration(from) * time.Minute, End: time.Duration(to) * time.Minute})
			}
			group[i].WorkingHours = wh
		}
		req := FreeTimeRequest{Start: start, End: end, Duration: time.Duration(5+rng.IntN(120)) * time.Minute, WithinWorkingHours: true}
		got, err := FindFreeTime(group, req)
		require.NoError(t, err)
		assertCanonicalFree(t, got, start, end)

		ok := make([]bool, windowMin)
		for m := range ok {
			at := start.Add(time.Duration(m) * time.Minute)
			var mask uint8
			working := true
			for i := range group {
				mask |= 1 << group[i].StatusAt(at)
				if wh := group[i].WorkingHours; wh != nil {
					local := at.In(wh.Location)
					clock := time.Duration(local.Hour())*time.Hour + time.Duration(local.Minute())*time.Minute
					in := false
					for _, p := range wh.Periods {
						in = in || (slices.Contains(p.Days, local.Weekday()) && p.Start <= clock && clock < p.End)
					}
					working = working && in
				}
			}
			ok[m] = working && collapse(mask).Available()
		}
		durMin := int(req.Duration / time.Minute)
		for s := 0; s+durMin <= windowMin; s++ {
			fits := !slices.Contains(ok[s:s+durMin], false)
			a := start.Add(time.Duration(s) * time.Minute)
			covered := false
			for _, iv := range got {
				covered = covered || (!a.Before(iv.Start) && !a.Add(req.Duration).After(iv.End))
			}
			require.Equal(t, fits, covered, "iteration %d: meeting at minute %d", iter, s)
		}
	}
}

// assertCanonicalFree checks the shape of FindFreeTime's result.
func assertCanonicalFree(t *testing.T, ivs []Interval, start, end time.Time) {
	t.Helper()
	for i, iv := range ivs {
		require.Equal(t, Free, iv.Status)
		require.True(t, iv.Start.Before(iv.End))
		require.False(t, iv.Start.Before(start))
		require.False(t, iv.End.After(end))
		if i > 0 {
			require.True(t, ivs[i-1].End.Before(iv.Start), "stretches are maximal, so never touch")
		}
	}
}
