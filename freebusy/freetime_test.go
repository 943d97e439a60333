package freebusy

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
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
			got, err := FindFreeTime(group, FreeTimeRequest{Start: tt.start, End: tt.end, Duration: time.Hour})
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}

	got, err := FindFreeTime(group, FreeTimeRequest{Start: utc(5, 0), End: utc(6, 0), Duration: time.Hour, IgnoreWorkingHours: true})
	require.NoError(t, err)
	assert.Equal(t, []Interval{{utc(5, 0), utc(6, 0), Free}}, got, "with IgnoreWorkingHours the hours do not matter")

	got, err = FindFreeTime(group[2:], FreeTimeRequest{Start: utc(5, 0), End: utc(6, 0), Duration: time.Hour})
	require.NoError(t, err)
	assert.Equal(t, []Interval{{utc(5, 0), utc(6, 0), Free}}, got, "nil working hours set no limit")

	busy := week("busy", berlin)
	busy.Intervals = []Interval{{utc(5, 8), utc(5, 15), Busy}}
	got, err = FindFreeTime(append(group, busy), FreeTimeRequest{Start: utc(5, 0), End: utc(6, 0), Duration: time.Hour})
	require.NoError(t, err)
	assert.Equal(t, []Interval{{utc(5, 15), utc(5, 16), Free}}, got, "busy time and working hours both apply")

	broken := week("broken", nil)
	broken.WorkingHours = &WorkingHours{Location: time.UTC, Periods: []WorkingPeriod{{Days: weekdays, Start: 17 * time.Hour, End: 9 * time.Hour}}}
	_, err = FindFreeTime(append(group, broken), FreeTimeRequest{Start: utc(5, 0), End: utc(6, 0), Duration: time.Hour})
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
		req := FreeTimeRequest{Start: start, End: end, Duration: time.Duration(5+rng.IntN(120)) * time.Minute}
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

// acmeCalendar is one user of the in-test Source acme: working hours and
// busy time, or the failure the Source reports for the name.
type acmeCalendar struct {
	hours     *WorkingHours
	intervals []Interval
	fail      Reason
}

// acme is an in-test Source that answers like a calendar store: one
// Schedule per attendee, keyed case-insensitively by every name the
// attendee goes by, clipped to the window, with a failed schedule for a
// name it does not know. Its data is the Wednesday and Thursday
// (2024-03-13 and 14) of the Acme sample calendars that the Notes side
// reads (notes.LoadCalendars), copied as schedules:
//
//   - Jane Doe, New York, works 09:00-12:00 and 13:00-17:00 Monday to
//     Friday (13:00-16:00Z and 17:00-21:00Z in March, on daylight time);
//     busy 13:00-14:00Z on Wednesday, penciled in (Tentative)
//     13:00-13:30Z on Thursday.
//   - Klaus Weber, Berlin, works 08:00-12:00 and 13:00-16:30 Monday to
//     Thursday (07:00-11:00Z and 12:00-15:30Z), 08:00-13:00 on Friday;
//     tentative 08:00-09:00Z and busy 14:30-15:00Z on Wednesday.
//   - Ana Souza, São Paulo, works 08:00-12:00 and 13:00-17:00 Monday to
//     Friday (11:00-15:00Z and 16:00-20:00Z); busy 12:00-13:00Z on
//     Wednesday.
//
// So on Wednesday their working hours share 13:00-15:00Z, of which Jane
// is busy until 14:00 and Klaus from 14:30.
func acme(t testing.TB) SourceFunc {
	weekdays := []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday}
	monThu := weekdays[:4]
	hours := func(zone string, periods ...WorkingPeriod) *WorkingHours {
		return &WorkingHours{Location: mustLoad(t, zone), Periods: periods}
	}
	clock := func(h, m int) time.Duration { return time.Duration(h)*time.Hour + time.Duration(m)*time.Minute }
	jane := &acmeCalendar{
		hours: hours("America/New_York", WorkingPeriod{weekdays, clock(9, 0), clock(12, 0)}, WorkingPeriod{weekdays, clock(13, 0), clock(17, 0)}),
		intervals: []Interval{
			{march(13, 13, 0), march(13, 14, 0), Busy},
			{march(14, 13, 0), march(14, 13, 30), Tentative},
		},
	}
	klaus := &acmeCalendar{
		hours: hours("Europe/Berlin", WorkingPeriod{monThu, clock(8, 0), clock(12, 0)}, WorkingPeriod{monThu, clock(13, 0), clock(16, 30)},
			WorkingPeriod{[]time.Weekday{time.Friday}, clock(8, 0), clock(13, 0)}),
		intervals: []Interval{
			{march(13, 8, 0), march(13, 9, 0), Tentative},
			{march(13, 14, 30), march(13, 15, 0), Busy},
		},
	}
	ana := &acmeCalendar{
		hours:     hours("America/Sao_Paulo", WorkingPeriod{weekdays, clock(8, 0), clock(12, 0)}, WorkingPeriod{weekdays, clock(13, 0), clock(17, 0)}),
		intervals: []Interval{{march(13, 12, 0), march(13, 13, 0), Busy}},
	}
	calendars := map[string]*acmeCalendar{
		"jane.doe@acme.example":               jane,
		"jane doe/sales/acme/us":              jane,
		"klaus weber/engineering/acme/de":     klaus,
		"klaus.weber@acme.example":            klaus,
		"cn=ana souza/ou=support/o=acme/c=br": ana,
		"ana.souza@acme.example":              ana,
		"cn=x/y":                              {fail: ReasonInvalid}, // not a name at all
	}
	return func(_ context.Context, q Query) ([]Schedule, error) {
		if err := q.Validate(); err != nil {
			return nil, err
		}
		out := make([]Schedule, len(q.Attendees))
		for i, a := range q.Attendees {
			c, ok := calendars[strings.ToLower(a)]
			switch {
			case !ok:
				out[i] = Failed(a, q.Start, q.End, ReasonUnknownAttendee, errors.New("no calendar for this name"))
				continue
			case c.fail != ReasonNone:
				out[i] = Failed(a, q.Start, q.End, c.fail, nil)
				continue
			}
			s := Schedule{Attendee: a, Start: q.Start.UTC(), End: q.End.UTC(), WorkingHours: c.hours}
			for _, iv := range c.intervals {
				if iv, ok := iv.Clip(s.Start, s.End); ok {
					s.Intervals = append(s.Intervals, iv)
				}
			}
			out[i] = s
		}
		return out, nil
	}
}

// march returns 2024-03-day at hh:mm UTC.
func march(day, hh, mm int) time.Time { return time.Date(2024, 3, day, hh, mm, 0, 0, time.UTC) }

// TestSearchFreeTime searches the Acme group on Wednesday 2024-03-13 (see
// acme): inside everyone's working hours only 14:00-14:30Z is free.
func TestSearchFreeTime(t *testing.T) {
	group := []string{"jane.doe@acme.example", "Klaus Weber/Engineering/Acme/DE", "CN=Ana Souza/OU=Support/O=Acme/C=BR"}
	wed := FreeTimeRequest{Attendees: group, Start: march(13, 0, 0), End: march(14, 0, 0), Duration: 30 * time.Minute}

	tests := []struct {
		name string
		mod  func(r *FreeTimeRequest)
		want []Interval
	}{
		{"all stretches, working hours by default", func(*FreeTimeRequest) {}, []Interval{{march(13, 14, 0), march(13, 14, 30), Free}}},
		{"first fit is the whole stretch", func(r *FreeTimeRequest) { r.Max = 1; r.Duration = 20 * time.Minute },
			[]Interval{{march(13, 14, 0), march(13, 14, 30), Free}}},
		{"an hour does not fit", func(r *FreeTimeRequest) { r.Duration = time.Hour }, nil},
		{"step grid", func(r *FreeTimeRequest) { r.Step = 25 * time.Minute; r.Duration = 5 * time.Minute },
			[]Interval{{march(13, 14, 10), march(13, 14, 30), Free}}},
		{"outside working hours too, first fit", func(r *FreeTimeRequest) { r.IgnoreWorkingHours = true; r.Max = 1 },
			[]Interval{{march(13, 0, 0), march(13, 8, 0), Free}}},
		{"outside working hours too, all", func(r *FreeTimeRequest) { r.IgnoreWorkingHours = true; r.Duration = 3 * time.Hour },
			[]Interval{{march(13, 0, 0), march(13, 8, 0), Free}, {march(13, 9, 0), march(13, 12, 0), Free}, {march(13, 15, 0), march(14, 0, 0), Free}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := wed
			tt.mod(&r)
			got, err := SearchFreeTime(context.Background(), acme(t), r)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)

			schedules, err := acme(t).FreeBusy(context.Background(), Query{Attendees: r.Attendees, Start: r.Start, End: r.End})
			require.NoError(t, err)
			direct, err := FindFreeTime(schedules, r)
			require.NoError(t, err)
			assert.Equal(t, got, direct, "SearchFreeTime is FindFreeTime over the Source's answer, with the same defaults")
		})
	}

	// First fit: the earliest meeting starts where the stretch does.
	r := wed
	r.Max, r.Duration = 1, 20*time.Minute
	got, err := SearchFreeTime(context.Background(), acme(t), r)
	require.NoError(t, err)
	require.Len(t, got, 1)
	meeting := Interval{Start: got[0].Start, End: got[0].Start.Add(r.Duration), Status: Free}
	assert.Equal(t, Interval{march(13, 14, 0), march(13, 14, 20), Free}, meeting)
}

// TestSearchFreeTimeTentativeIsNotFree: penciled-in time reaches the model
// as Tentative (docs/mapping.md §4.4), which is not available; read as
// free, as Notes shows it, the same half hour is offered.
func TestSearchFreeTimeTentativeIsNotFree(t *testing.T) {
	r := FreeTimeRequest{Attendees: []string{"Jane Doe/Sales/Acme/US"}, Start: march(14, 13, 0), End: march(14, 14, 0), Duration: 30 * time.Minute, Max: 1}
	got, err := SearchFreeTime(context.Background(), acme(t), r)
	require.NoError(t, err)
	assert.Equal(t, []Interval{{march(14, 13, 30), march(14, 14, 0), Free}}, got)

	penciledAsFree := SourceFunc(func(ctx context.Context, q Query) ([]Schedule, error) {
		schedules, err := acme(t).FreeBusy(ctx, q)
		for i := range schedules {
			schedules[i].Intervals = slices.DeleteFunc(schedules[i].Intervals, func(iv Interval) bool { return iv.Status == Tentative })
		}
		return schedules, err
	})
	got, err = SearchFreeTime(context.Background(), penciledAsFree, r)
	require.NoError(t, err)
	assert.Equal(t, []Interval{{march(14, 13, 0), march(14, 14, 0), Free}}, got)
}

// SearchFreeTime asks its Source for the request's attendees, window and
// granularity, exactly once.
func TestSearchFreeTimeQuery(t *testing.T) {
	var asked []Query
	spy := SourceFunc(func(ctx context.Context, q Query) ([]Schedule, error) {
		asked = append(asked, q)
		return acme(t).FreeBusy(ctx, q)
	})
	r := FreeTimeRequest{Attendees: []string{"ana.souza@acme.example"}, Start: march(13, 0, 0), End: march(14, 0, 0), Duration: time.Hour, Granularity: 15 * time.Minute}
	_, err := SearchFreeTime(context.Background(), spy, r)
	require.NoError(t, err)
	assert.Equal(t, []Query{{Attendees: r.Attendees, Start: r.Start, End: r.End, Granularity: 15 * time.Minute}}, asked)
}

func TestSearchFreeTimeErrors(t *testing.T) {
	src := acme(t)
	base := FreeTimeRequest{Attendees: []string{"jane.doe@acme.example"}, Start: march(13, 0, 0), End: march(14, 0, 0), Duration: 30 * time.Minute}

	r := base
	r.Attendees = append(slices.Clone(r.Attendees), "Nobody/Acme", "CN=x/y")
	_, err := SearchFreeTime(context.Background(), src, r)
	fte, ok := errors.AsType[*FreeTimeError](err)
	require.True(t, ok, "want *FreeTimeError, got %T", err)
	require.Len(t, fte.Errs, 2)
	assert.Equal(t, "Nobody/Acme", fte.Errs[0].Attendee)
	assert.Equal(t, "CN=x/y", fte.Errs[1].Attendee)
	assert.ErrorIs(t, err, ErrUnknownAttendee)
	assert.ErrorIs(t, err, ErrInvalid)
	assert.Equal(t, ReasonUnknownAttendee, ReasonOf(err), "the first attendee's reason")
	assert.Equal(t, `freebusy: free-time search: no free/busy for 2 attendee(s): "Nobody/Acme" (unknown-attendee), "CN=x/y" (invalid)`, err.Error())

	never := SourceFunc(func(context.Context, Query) ([]Schedule, error) {
		t.Error("a bad request reached the Source")
		return nil, nil
	})
	for _, tt := range []struct {
		name   string
		modify func(r *FreeTimeRequest)
		cond   error
	}{
		{"no attendees", func(r *FreeTimeRequest) { r.Attendees = nil }, ErrNoAttendees},
		{"empty window", func(r *FreeTimeRequest) { r.End = r.Start }, ErrEmptyWindow},
		{"zero duration", func(r *FreeTimeRequest) { r.Duration = 0 }, ErrBadDuration},
		{"negative step", func(r *FreeTimeRequest) { r.Step = -time.Minute }, ErrBadGranularity},
		{"negative max", func(r *FreeTimeRequest) { r.Max = -1 }, ErrBadOption},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := base
			tt.modify(&r)
			got, err := SearchFreeTime(context.Background(), never, r)
			assert.Nil(t, got)
			assert.ErrorIs(t, err, tt.cond)
			assert.ErrorIs(t, err, ErrInvalidQuery)
			_, isQE := errors.AsType[*QueryError](err)
			assert.True(t, isQE, "want *QueryError, got %T", err)
		})
	}

	r = base
	r.Granularity = time.Second
	_, err = SearchFreeTime(context.Background(), src, r)
	assert.ErrorIs(t, err, ErrBadGranularity, "the Source's own check")

	boom := errors.New("backend down")
	failing := SourceFunc(func(context.Context, Query) ([]Schedule, error) { return nil, boom })
	_, err = SearchFreeTime(context.Background(), failing, base)
	assert.ErrorIs(t, err, boom)

	short := SourceFunc(func(context.Context, Query) ([]Schedule, error) { return nil, nil })
	_, err = SearchFreeTime(context.Background(), short, base)
	assert.ErrorIs(t, err, ErrInternal, "a source that breaks its contract is caught")

	broken := SourceFunc(func(ctx context.Context, q Query) ([]Schedule, error) {
		schedules, err := src.FreeBusy(ctx, q)
		for i := range schedules {
			schedules[i].WorkingHours = &WorkingHours{Location: time.Local}
		}
		return schedules, err
	})
	_, err = SearchFreeTime(context.Background(), broken, base)
	assert.ErrorIs(t, err, ErrBadWorkingHours, "FindFreeTime's errors come through")
	_, err = SearchFreeTime(context.Background(), broken, FreeTimeRequest{Attendees: base.Attendees, Start: base.Start, End: base.End, Duration: base.Duration, IgnoreWorkingHours: true})
	assert.NoError(t, err, "working hours that are not used are not checked")
}
