package freebusy

import (
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// viewGolden is one documented availability view.
type viewGolden struct {
	name       string
	source     string
	loc        string
	start, end string // local "2006-01-02T15:04"
	slot       time.Duration
	items      []goldenItem
	want       string
}

type goldenItem struct {
	from, to string // local "15:04" on the start's date
	status   Status
}

func (g viewGolden) window(t *testing.T) (*time.Location, time.Time, time.Time) {
	loc := mustLoad(t, g.loc)
	start, err := time.ParseInLocation("2006-01-02T15:04", g.start, loc)
	require.NoError(t, err)
	end, err := time.ParseInLocation("2006-01-02T15:04", g.end, loc)
	require.NoError(t, err)
	return loc, start, end
}

func (g viewGolden) intervals(t *testing.T) []Interval {
	loc, start, _ := g.window(t)
	var out []Interval
	for _, it := range g.items {
		f, err := time.ParseInLocation("2006-01-02 15:04", start.Format("2006-01-02 ")+it.from, loc)
		require.NoError(t, err)
		to, err := time.ParseInLocation("2006-01-02 15:04", start.Format("2006-01-02 ")+it.to, loc)
		require.NoError(t, err)
		out = append(out, NewInterval(f, to, it.status))
	}
	return out
}

var viewGoldens = []viewGolden{
	{
		name: "EWS MergedFreeBusy doc example", source: `docs/exchange.md §2.6 (EWS reference "MergedFreeBusy")`,
		loc: "UTC", start: "2024-03-05T08:00", end: "2024-03-05T12:00", slot: 60 * time.Minute,
		items: []goldenItem{{"08:00", "09:00", OutOfOffice}, {"09:00", "10:30", Busy}},
		want:  "3220",
	},
	{
		name: "EWS derived example", source: "docs/exchange.md §2.6 [derived]",
		loc: "UTC", start: "2024-03-05T08:00", end: "2024-03-05T12:00", slot: 30 * time.Minute,
		items: []goldenItem{{"09:00", "10:30", Busy}, {"10:00", "11:00", Tentative}},
		want:  "00222100",
	},
	{
		name: "Graph getSchedule adelev", source: `docs/exchange.md §3.4 (Microsoft Graph documentation "calendar: getSchedule")`,
		loc: "America/Los_Angeles", start: "2019-03-15T09:00", end: "2019-03-15T18:00", slot: 60 * time.Minute,
		items: []goldenItem{{"12:00", "14:00", Busy}},
		want:  "000220000",
	},
	{
		name: "Graph getSchedule meganb, item before the window", source: `docs/exchange.md §3.4 (Microsoft Graph documentation "calendar: getSchedule")`,
		loc: "America/Los_Angeles", start: "2019-03-15T09:00", end: "2019-03-15T18:00", slot: 60 * time.Minute,
		items: []goldenItem{{"08:30", "09:30", Busy}, {"12:00", "14:00", Busy}, {"12:00", "13:00", Tentative}, {"13:00", "14:00", Busy}, {"16:00", "17:00", Tentative}},
		want:  "200220010",
	},
	{
		name: "Graph concept page, 15-minute slots", source: `docs/exchange.md §3.4 (Microsoft Graph documentation "Get free/busy schedule of users and resources")`,
		loc: "America/Los_Angeles", start: "2019-03-15T09:00", end: "2019-03-15T18:00", slot: 15 * time.Minute,
		items: []goldenItem{{"09:00", "10:30", Tentative}, {"11:00", "13:00", Busy}},
		want:  "111111002222222200000000000000000000",
	},
}

// TestAvailabilityViewGoldens renders the documented examples, then reads
// each string back and renders it again.
func TestAvailabilityViewGoldens(t *testing.T) {
	for _, g := range viewGoldens {
		t.Run(g.name, func(t *testing.T) {
			_, start, end := g.window(t)
			got, err := AvailabilityView(g.intervals(t), start, end, g.slot, ViewOptions{})
			require.NoError(t, err)
			assert.Equal(t, g.want, got, "source: %s", g.source)

			back, err := ParseAvailabilityView(g.want, start, g.slot, ViewOptions{})
			require.NoError(t, err)
			assertCanonical(t, back, start, end)
			again, err := AvailabilityView(back, start, end, g.slot, ViewOptions{})
			require.NoError(t, err)
			assert.Equal(t, g.want, again)
		})
	}
}

func TestParseAvailabilityViewGoldens(t *testing.T) {
	la := mustLoad(t, "America/Los_Angeles")
	at := func(h, m int) time.Time { return time.Date(2019, 3, 15, h, m, 0, 0, la).UTC() }
	tests := []struct {
		name, view string
		start      time.Time
		slot       time.Duration
		want       []Interval
	}{
		{"EWS 3220: busy to the slot's end (docs/exchange.md §2.6)", "3220", tm(t, "08:00"), time.Hour,
			[]Interval{{tm(t, "08:00"), tm(t, "09:00"), OutOfOffice}, {tm(t, "09:00"), tm(t, "11:00"), Busy}}},
		{"Graph meganb (docs/exchange.md §3.4)", "200220010", at(9, 0), time.Hour,
			[]Interval{{at(9, 0), at(10, 0), Busy}, {at(12, 0), at(14, 0), Busy}, {at(16, 0), at(17, 0), Tentative}}},
		{"Graph concept page (docs/exchange.md §3.4)", "111111002222222200000000000000000000", at(9, 0), 15 * time.Minute,
			[]Interval{{at(9, 0), at(10, 30), Tentative}, {at(11, 0), at(13, 0), Busy}}},
		{"no data is Unknown, not Free", "0440", tm(t, "08:00"), 30 * time.Minute,
			[]Interval{{tm(t, "08:30"), tm(t, "09:30"), Unknown}}},
		{"all free", "0000", tm(t, "08:00"), 30 * time.Minute, nil},
		{"every digit", "01234", tm(t, "08:00"), 5 * time.Minute,
			[]Interval{{tm(t, "08:05"), tm(t, "08:10"), Tentative}, {tm(t, "08:10"), tm(t, "08:15"), Busy}, {tm(t, "08:15"), tm(t, "08:20"), OutOfOffice}, {tm(t, "08:20"), tm(t, "08:25"), Unknown}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseAvailabilityView(tt.view, tt.start, tt.slot, ViewOptions{})
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

// TestAvailabilityViewSlotRule pins the collapse of a slot holding several
// statuses: any busy kind wins; then Unknown; then WorkingElsewhere; '0'
// only when the whole slot is free.
func TestAvailabilityViewSlotRule(t *testing.T) {
	tests := []struct {
		name string
		in   []span
		opt  ViewOptions
		want string // two hourly slots, 08:00-10:00
	}{
		{"empty is free", nil, ViewOptions{}, "00"},
		{"a minute of busy makes the slot busy", []span{{"08:59", "09:00", Busy}}, ViewOptions{}, "20"},
		{"OOF beats busy", []span{{"08:00", "08:30", Busy}, {"08:30", "09:00", OutOfOffice}}, ViewOptions{}, "30"},
		{"busy beats tentative", []span{{"08:00", "08:10", Tentative}, {"08:50", "09:00", Busy}}, ViewOptions{}, "20"},
		{"busy beats unknown", []span{{"08:00", "08:30", Unknown}, {"08:30", "09:00", Busy}}, ViewOptions{}, "20"},
		{"tentative beats unknown", []span{{"08:00", "08:30", Unknown}, {"08:30", "08:40", Tentative}}, ViewOptions{}, "10"},
		{"partly unknown, partly free is no data", []span{{"08:00", "08:01", Unknown}}, ViewOptions{}, "40"},
		{"unknown beats working elsewhere", []span{{"08:00", "08:30", Unknown}, {"08:30", "09:00", WorkingElsewhere}}, ViewOptions{}, "40"},
		{"working elsewhere is 0 by default (Graph)", []span{{"08:00", "10:00", WorkingElsewhere}}, ViewOptions{}, "00"},
		{"working elsewhere with a private digit", []span{{"08:00", "08:30", WorkingElsewhere}}, ViewOptions{WorkingElsewhereDigit: '5'}, "50"},
		{"working elsewhere as 4 (older Graph docs)", []span{{"09:00", "10:00", WorkingElsewhere}}, ViewOptions{WorkingElsewhereDigit: '4'}, "04"},
		{"working elsewhere beats free", []span{{"09:30", "10:00", WorkingElsewhere}}, ViewOptions{WorkingElsewhereDigit: '9'}, "09"},
		{"interval across the slot edge", []span{{"08:30", "09:30", Tentative}}, ViewOptions{}, "11"},
		{"interval around the window", []span{{"07:00", "11:00", OutOfOffice}}, ViewOptions{}, "33"},
		{"explicit Free beats Unknown before the slot rule", []span{{"08:00", "09:00", Unknown}, {"08:00", "09:00", Free}}, ViewOptions{}, "00"},
		{"inverted intervals are dropped", []span{{"09:00", "08:00", Busy}}, ViewOptions{}, "00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := AvailabilityView(spans(t, tt.in...), tm(t, "08:00"), tm(t, "10:00"), time.Hour, tt.opt)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestAvailabilityViewPartialLastSlot(t *testing.T) {
	// docs/exchange.md §2.6: a partial final slot counts,
	// n = ceil(window / interval) [derived from the 00:00-23:59:59 example].
	got, err := AvailabilityView(nil, tm(t, "00:00"), tm(t, "23:59").Add(59*time.Second), time.Hour, ViewOptions{})
	require.NoError(t, err)
	assert.Len(t, got, 24)

	// The last slot covers only what is left of the window: busy time
	// after the window does not leak into it.
	got, err = AvailabilityView(spans(t, span{"09:30", "11:00", Busy}), tm(t, "08:00"), tm(t, "09:30"), time.Hour, ViewOptions{})
	require.NoError(t, err)
	assert.Equal(t, "00", got)
	got, err = AvailabilityView(spans(t, span{"09:20", "11:00", Busy}), tm(t, "08:00"), tm(t, "09:30"), time.Hour, ViewOptions{})
	require.NoError(t, err)
	assert.Equal(t, "02", got)
}

func TestScheduleAvailabilityView(t *testing.T) {
	s := Schedule{Attendee: "a", Start: tm(t, "08:00"), End: tm(t, "10:00"), Intervals: spans(t, span{"08:30", "09:00", Tentative})}
	got, err := s.AvailabilityView(30*time.Minute, ViewOptions{})
	require.NoError(t, err)
	assert.Equal(t, "0100", got)

	s.Err = NewError("a", ReasonTimeout, nil)
	got, err = s.AvailabilityView(30*time.Minute, ViewOptions{})
	require.NoError(t, err)
	assert.Equal(t, "4444", got, "a failed schedule knows nothing: no data, never free")

	_, err = s.AvailabilityView(0, ViewOptions{})
	assert.ErrorIs(t, err, ErrBadGranularity, "a failed schedule still checks its arguments")
}

func TestAvailabilityViewErrors(t *testing.T) {
	ok := spans(t, span{"09:00", "10:00", Busy})
	tests := []struct {
		name       string
		ivs        []Interval
		start, end time.Time
		slot       time.Duration
		opt        ViewOptions
		cond       error
	}{
		{"empty window", ok, tm(t, "10:00"), tm(t, "10:00"), time.Hour, ViewOptions{}, ErrEmptyWindow},
		{"inverted window", ok, tm(t, "11:00"), tm(t, "10:00"), time.Hour, ViewOptions{}, ErrEmptyWindow},
		{"zero slot", ok, tm(t, "08:00"), tm(t, "10:00"), 0, ViewOptions{}, ErrBadGranularity},
		{"negative slot", ok, tm(t, "08:00"), tm(t, "10:00"), -time.Minute, ViewOptions{}, ErrBadGranularity},
		{"too many slots", ok, tm(t, "08:00"), tm(t, "10:00"), time.Nanosecond, ViewOptions{}, ErrBadGranularity},
		{"window of centuries", ok, time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC), 1440 * time.Minute, ViewOptions{}, ErrBadGranularity},
		{"letter as WE digit", ok, tm(t, "08:00"), tm(t, "10:00"), time.Hour, ViewOptions{WorkingElsewhereDigit: 'w'}, ErrBadOption},
		{"undeclared status", []Interval{{tm(t, "09:00"), tm(t, "10:00"), Status(200)}}, tm(t, "08:00"), tm(t, "10:00"), time.Hour, ViewOptions{}, ErrInvalidStatus},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := AvailabilityView(tt.ivs, tt.start, tt.end, tt.slot, tt.opt)
			assert.ErrorIs(t, err, tt.cond)
			assert.ErrorIs(t, err, ErrInvalid)
		})
	}
}

func TestParseAvailabilityViewErrors(t *testing.T) {
	tests := []struct {
		name   string
		view   string
		slot   time.Duration
		opt    ViewOptions
		offset int
		cond   error
	}{
		{"letter", "02x1", time.Hour, ViewOptions{}, 2, errViewDigit},
		{"first byte", "a000", time.Hour, ViewOptions{}, 0, errViewDigit},
		{"five is not standard", "0005", time.Hour, ViewOptions{}, 3, errViewDigit},
		{"private digit differs", "0006", time.Hour, ViewOptions{WorkingElsewhereDigit: '5'}, 3, errViewDigit},
		{"space", "00 0", time.Hour, ViewOptions{}, 2, errViewDigit},
		{"multibyte", "0é", time.Hour, ViewOptions{}, 1, errViewDigit},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseAvailabilityView(tt.view, tm(t, "08:00"), tt.slot, tt.opt)
			assert.Nil(t, got)
			pe, ok := errors.AsType[*ParseError](err)
			require.True(t, ok, "want *ParseError, got %T (%v)", err, err)
			assert.Equal(t, "availability view", pe.Kind)
			assert.Equal(t, tt.view, pe.Input)
			assert.Equal(t, tt.offset, pe.Offset)
			assert.ErrorIs(t, err, tt.cond)
			assert.ErrorIs(t, err, ErrInvalid)
		})
	}

	_, err := ParseAvailabilityView("", tm(t, "08:00"), time.Hour, ViewOptions{})
	_, isPE := errors.AsType[*ParseError](err)
	assert.True(t, isPE, "an empty view is a parse error: it places nothing in time")
	_, err = ParseAvailabilityView("0", tm(t, "08:00"), 0, ViewOptions{})
	assert.ErrorIs(t, err, ErrBadGranularity)
	_, err = ParseAvailabilityView("00", tm(t, "08:00"), time.Duration(1<<62), ViewOptions{})
	assert.ErrorIs(t, err, ErrWindowTooLong)
	_, err = ParseAvailabilityView("0", tm(t, "08:00"), time.Hour, ViewOptions{WorkingElsewhereDigit: 0xff})
	assert.ErrorIs(t, err, ErrBadOption)
}

func TestParseAvailabilityViewWorkingElsewhere(t *testing.T) {
	got, err := ParseAvailabilityView("0550", tm(t, "08:00"), time.Hour, ViewOptions{WorkingElsewhereDigit: '5'})
	require.NoError(t, err)
	assert.Equal(t, []Interval{{tm(t, "09:00"), tm(t, "11:00"), WorkingElsewhere}}, got, "a private digit is lossless")

	got, err = ParseAvailabilityView("0440", tm(t, "08:00"), time.Hour, ViewOptions{WorkingElsewhereDigit: '4'})
	require.NoError(t, err)
	assert.Equal(t, []Interval{{tm(t, "09:00"), tm(t, "11:00"), Unknown}}, got, "a standard digit keeps its meaning: 4 stays no data")

	got, err = ParseAvailabilityView("0000", tm(t, "08:00"), time.Hour, ViewOptions{})
	require.NoError(t, err)
	assert.Empty(t, got, "Graph's 0 reads as free")
}

// TestAvailabilityViewRoundTripProperty: for random schedules, rendering
// is stable under parse-and-render, and every slot's digit agrees with the
// per-minute reference.
func TestAvailabilityViewRoundTripProperty(t *testing.T) {
	const windowMin = 240
	start := day0.Add(8 * time.Hour)
	end := start.Add(windowMin * time.Minute)
	rng := rand.New(rand.NewPCG(9, 10))
	digitOf := map[Status]byte{Free: '0', Tentative: '1', Busy: '2', OutOfOffice: '3', Unknown: '4', WorkingElsewhere: '7'}
	for iter := range 300 {
		in := randomMinuteIntervals(rng, start, -30, windowMin+30, rng.IntN(15))
		slot := time.Duration([]int{5, 15, 30, 45, 60, 70}[rng.IntN(6)]) * time.Minute
		opt := ViewOptions{WorkingElsewhereDigit: '7'}
		view, err := AvailabilityView(in, start, end, slot, opt)
		require.NoError(t, err)

		minutes := referenceMinutes(in, start, windowMin, DropInverted)
		per := int(slot / time.Minute)
		require.Len(t, view, (windowMin+per-1)/per)
		for i := range view {
			var mask uint8
			for m := i * per; m < min((i+1)*per, windowMin); m++ {
				mask |= 1 << minutes[m]
			}
			require.Equal(t, string(digitOf[collapse(mask)]), string(view[i]), "iteration %d slot %d of %q", iter, i, view)
		}

		back, err := ParseAvailabilityView(view, start, slot, opt)
		require.NoError(t, err)
		again, err := AvailabilityView(back, start, end, slot, opt)
		require.NoError(t, err)
		require.Equal(t, view, again, "iteration %d", iter)
	}
}

func TestCollapseOrder(t *testing.T) {
	// The documented slot and group rule, pairwise.
	order := []Status{OutOfOffice, Busy, Tentative, Unknown, WorkingElsewhere, Free}
	for i, hi := range order {
		for _, lo := range order[i:] {
			assert.Equal(t, hi, collapse(1<<hi|1<<lo), "%s with %s", hi, lo)
		}
	}
	assert.Equal(t, Free, collapse(0))
}

// FuzzParseAvailabilityView: ParseAvailabilityView never panics, rejects
// with a typed error, and whatever it accepts renders back to the same
// string over the window it covers.
func FuzzParseAvailabilityView(f *testing.F) {
	for _, g := range viewGoldens {
		f.Add(g.want, int64(g.slot/time.Minute), byte(0))
	}
	f.Add("0440", int64(30), byte('4'))
	f.Add("0550", int64(60), byte('5'))
	f.Add("02x1", int64(60), byte(0))
	f.Add("", int64(60), byte(0))
	f.Add(strings.Repeat("0123", 100), int64(5), byte('9'))
	f.Add("0", int64(0), byte(0))
	f.Add("22", int64(-5), byte('w'))
	start := time.Date(2024, 3, 5, 8, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, view string, slotMin int64, we byte) {
		slot := time.Duration(slotMin) * time.Minute
		opt := ViewOptions{WorkingElsewhereDigit: we}
		ivs, err := ParseAvailabilityView(view, start, slot, opt)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("untyped error %T: %v", err, err)
			}
			return
		}
		if len(view) > maxViewSlots {
			return
		}
		end := start.Add(time.Duration(len(view)) * slot)
		assertCanonical(t, ivs, start, end)
		back, err := AvailabilityView(ivs, start, end, slot, opt)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("untyped error %T: %v", err, err)
			}
			return
		}
		if back != view {
			t.Fatalf("round trip: %q -> %v -> %q", view, ivs, back)
		}
	})
}

// BenchmarkAvailabilityView renders one attendee's 62-day schedule (about
// 10 random, overlapping intervals of 15 minutes to 3 hours per day, every
// status: 620 intervals) at 5-minute slots: 17,856 digits, the longest
// view DefaultLimits allow.
func BenchmarkAvailabilityView(b *testing.B) {
	rng := rand.New(rand.NewPCG(11, 12))
	start := day0
	end := start.Add(62 * 24 * time.Hour)
	ivs := randomDayIntervals(rng, start, 62, 10)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := AvailabilityView(ivs, start, end, 5*time.Minute, ViewOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// randomDayIntervals returns about perDay random intervals a day for days
// days from start, on 5-minute edges, 15 minutes to 3 hours long, every
// status.
func randomDayIntervals(rng *rand.Rand, start time.Time, days, perDay int) []Interval {
	out := make([]Interval, 0, days*perDay)
	for d := range days {
		for range perDay {
			s := start.AddDate(0, 0, d).Add(time.Duration(rng.IntN(24*12)) * 5 * time.Minute)
			out = append(out, Interval{Start: s, End: s.Add(time.Duration(3+rng.IntN(34)) * 5 * time.Minute), Status: Status(rng.IntN(numStatuses))})
		}
	}
	return out
}
