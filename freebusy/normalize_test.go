package freebusy

import (
	"errors"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNormalize(t *testing.T) {
	tests := []struct {
		name string
		in   []span
		opt  NormalizeOptions
		want []span
		rep  NormalizeReport
	}{
		{name: "nothing", in: nil, want: nil},
		{name: "sorts",
			in:   []span{{"13:00", "14:00", Busy}, {"09:00", "10:00", Tentative}, {"11:00", "12:00", OutOfOffice}},
			want: []span{{"09:00", "10:00", Tentative}, {"11:00", "12:00", OutOfOffice}, {"13:00", "14:00", Busy}}},
		{name: "drops zero-length",
			in:   []span{{"09:00", "09:00", Busy}, {"10:00", "11:00", Busy}},
			want: []span{{"10:00", "11:00", Busy}}, rep: NormalizeReport{Empty: 1}},
		{name: "drops inverted by default",
			in:   []span{{"11:00", "10:00", Busy}, {"12:00", "13:00", Busy}},
			want: []span{{"12:00", "13:00", Busy}}, rep: NormalizeReport{Inverted: 1}},
		{name: "swaps inverted on request",
			in:   []span{{"11:00", "10:00", Busy}, {"12:00", "13:00", Busy}},
			opt:  NormalizeOptions{Inverted: SwapInverted},
			want: []span{{"10:00", "11:00", Busy}, {"12:00", "13:00", Busy}}, rep: NormalizeReport{Inverted: 1}},
		{name: "swapped then clipped",
			in:   []span{{"09:00", "07:00", Busy}},
			opt:  NormalizeOptions{Inverted: SwapInverted},
			want: []span{{"08:00", "09:00", Busy}}, rep: NormalizeReport{Inverted: 1, Clipped: 1}},
		{name: "clips to the window",
			in:   []span{{"07:00", "09:00", Busy}, {"17:00", "19:00", OutOfOffice}, {"06:00", "d+1 06:00", Tentative}},
			want: []span{{"08:00", "09:00", Busy}, {"09:00", "17:00", Tentative}, {"17:00", "18:00", OutOfOffice}},
			rep:  NormalizeReport{Clipped: 3}},
		{name: "drops outside and touching",
			in:   []span{{"06:00", "07:00", Busy}, {"07:00", "08:00", Busy}, {"18:00", "19:00", Busy}, {"10:00", "11:00", Busy}},
			want: []span{{"10:00", "11:00", Busy}}, rep: NormalizeReport{Outside: 3}},
		{name: "drops Free: uncovered time is free",
			in:   []span{{"09:00", "10:00", Free}, {"10:00", "11:00", Busy}},
			want: []span{{"10:00", "11:00", Busy}}},
		{name: "joins touching same status",
			in:   []span{{"09:00", "10:00", Busy}, {"10:00", "11:00", Busy}, {"10:30", "12:00", Busy}},
			want: []span{{"09:00", "12:00", Busy}}},
		{name: "keeps touching different statuses apart",
			in:   []span{{"09:00", "10:00", Busy}, {"10:00", "11:00", Tentative}},
			want: []span{{"09:00", "10:00", Busy}, {"10:00", "11:00", Tentative}}},
		{name: "OOF beats Busy",
			in:   []span{{"09:00", "12:00", Busy}, {"10:00", "11:00", OutOfOffice}},
			want: []span{{"09:00", "10:00", Busy}, {"10:00", "11:00", OutOfOffice}, {"11:00", "12:00", Busy}}},
		{name: "Busy beats Tentative",
			in:   []span{{"09:00", "12:00", Tentative}, {"10:00", "11:00", Busy}},
			want: []span{{"09:00", "10:00", Tentative}, {"10:00", "11:00", Busy}, {"11:00", "12:00", Tentative}}},
		{name: "Tentative beats WorkingElsewhere",
			in:   []span{{"09:00", "17:00", WorkingElsewhere}, {"12:00", "13:00", Tentative}},
			want: []span{{"09:00", "12:00", WorkingElsewhere}, {"12:00", "13:00", Tentative}, {"13:00", "17:00", WorkingElsewhere}}},
		{name: "WorkingElsewhere beats Free",
			in:   []span{{"09:00", "12:00", Free}, {"10:00", "11:00", WorkingElsewhere}},
			want: []span{{"10:00", "11:00", WorkingElsewhere}}},
		{name: "explicit Free beats Unknown: Unknown only where nothing is known",
			in:   []span{{"09:00", "12:00", Unknown}, {"10:00", "11:00", Free}},
			want: []span{{"09:00", "10:00", Unknown}, {"11:00", "12:00", Unknown}}},
		{name: "anything known beats Unknown",
			in:   []span{{"08:00", "18:00", Unknown}, {"10:00", "11:00", WorkingElsewhere}, {"12:00", "13:00", Busy}},
			want: []span{{"08:00", "10:00", Unknown}, {"10:00", "11:00", WorkingElsewhere}, {"11:00", "12:00", Unknown}, {"12:00", "13:00", Busy}, {"13:00", "18:00", Unknown}}},
		{name: "same edges, many statuses",
			in:   []span{{"09:00", "10:00", Tentative}, {"09:00", "10:00", OutOfOffice}, {"09:00", "10:00", Busy}, {"09:00", "10:00", Unknown}},
			want: []span{{"09:00", "10:00", OutOfOffice}}},
		{name: "nested same status stays one",
			in:   []span{{"09:00", "17:00", Busy}, {"10:00", "11:00", Busy}, {"09:00", "17:00", Busy}},
			want: []span{{"09:00", "17:00", Busy}}},
		{name: "busy status returns after a higher one ends",
			in:   []span{{"09:00", "11:00", OutOfOffice}, {"10:00", "12:00", Busy}, {"11:30", "13:00", Tentative}},
			want: []span{{"09:00", "11:00", OutOfOffice}, {"11:00", "12:00", Busy}, {"12:00", "13:00", Tentative}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := spans(t, tt.in...)
			orig := slices.Clone(in)
			got, rep, err := Normalize(in, tm(t, "08:00"), tm(t, "18:00"), tt.opt)
			require.NoError(t, err)
			assert.Equal(t, spans(t, tt.want...), got)
			assert.Equal(t, tt.rep, rep)
			assert.Equal(t, orig, in, "the input is not modified")
		})
	}
}

func TestNormalizeConvertsToUTC(t *testing.T) {
	berlin := mustLoad(t, "Europe/Berlin")
	ny := mustLoad(t, "America/New_York")
	in := []Interval{
		{Start: time.Date(2024, 3, 5, 10, 0, 0, 0, berlin), End: time.Date(2024, 3, 5, 11, 0, 0, 0, berlin), Status: Busy},  // 09-10 UTC
		{Start: time.Date(2024, 3, 5, 5, 0, 0, 0, ny), End: time.Date(2024, 3, 5, 6, 0, 0, 0, ny), Status: Busy},            // 10-11 UTC
		{Start: time.Date(2024, 3, 5, 12, 0, 0, 0, berlin), End: time.Date(2024, 3, 5, 7, 30, 0, 0, ny), Status: Tentative}, // 11:00-12:30 UTC
	}
	got, _, err := Normalize(in, time.Date(2024, 3, 5, 9, 0, 0, 0, berlin), time.Date(2024, 3, 5, 18, 0, 0, 0, berlin), NormalizeOptions{})
	require.NoError(t, err)
	assert.Equal(t, spans(t, span{"09:00", "11:00", Busy}, span{"11:00", "12:30", Tentative}), got)
	for _, iv := range got {
		assert.Same(t, time.UTC, iv.Start.Location())
		assert.Same(t, time.UTC, iv.End.Location())
	}
}

func TestNormalizeKeepsNanoseconds(t *testing.T) {
	a := tm(t, "09:00").Add(123456789)
	b := tm(t, "10:00").Add(1)
	got, _, err := Normalize([]Interval{{Start: a, End: b, Status: Busy}, {Start: b, End: b.Add(1), Status: OutOfOffice}}, tm(t, "08:00"), tm(t, "18:00"), NormalizeOptions{})
	require.NoError(t, err)
	assert.Equal(t, []Interval{{Start: a, End: b, Status: Busy}, {Start: b, End: b.Add(1), Status: OutOfOffice}}, got)
}

// TestNormalizeDASInvertedSample replays the inverted period of the IBM DAS
// developer-guide sample (docs/notes.md §2.2.6): a block that ended just
// before the window, clipped at its start only. The default policy drops it
// instead of inventing busy time.
func TestNormalizeDASInvertedSample(t *testing.T) {
	start := time.Date(2013, 11, 5, 20, 8, 35, 0, time.UTC)
	end := time.Date(2013, 12, 5, 20, 8, 35, 0, time.UTC)
	in := []Interval{
		{Start: start, End: time.Date(2013, 11, 5, 20, 5, 0, 0, time.UTC), Status: Busy},
		{Start: time.Date(2013, 11, 5, 22, 0, 0, 0, time.UTC), End: time.Date(2013, 11, 6, 14, 0, 0, 0, time.UTC), Status: Busy},
	}
	got, rep, err := Normalize(in, start, end, NormalizeOptions{})
	require.NoError(t, err)
	assert.Equal(t, in[1:], got)
	assert.Equal(t, NormalizeReport{Inverted: 1}, rep)

	_, _, err = Normalize(in, start, end, NormalizeOptions{Inverted: RejectInverted})
	ie, ok := errors.AsType[*IntervalError](err)
	require.True(t, ok, "want *IntervalError, got %T", err)
	assert.Equal(t, 0, ie.Index)
	assert.Equal(t, in[0], ie.Interval)
	assert.ErrorIs(t, err, ErrInvertedInterval)
	assert.ErrorIs(t, err, ErrInvalid)
	assert.Equal(t, ReasonInvalid, ReasonOf(err))
}

func TestNormalizeErrors(t *testing.T) {
	ok := spans(t, span{"09:00", "10:00", Busy})
	_, _, err := Normalize(ok, tm(t, "10:00"), tm(t, "10:00"), NormalizeOptions{})
	assert.ErrorIs(t, err, ErrEmptyWindow)
	_, _, err = Normalize(ok, tm(t, "11:00"), tm(t, "10:00"), NormalizeOptions{})
	assert.ErrorIs(t, err, ErrEmptyWindow)

	bad := append(slices.Clone(ok), Interval{Start: tm(t, "11:00"), End: tm(t, "12:00"), Status: Status(9)})
	_, _, err = Normalize(bad, tm(t, "08:00"), tm(t, "18:00"), NormalizeOptions{})
	ie, isIE := errors.AsType[*IntervalError](err)
	require.True(t, isIE, "want *IntervalError, got %T", err)
	assert.Equal(t, 1, ie.Index)
	assert.ErrorIs(t, err, ErrInvalidStatus)
	assert.Contains(t, err.Error(), "interval 1")

	_, _, err = Normalize(spans(t, span{"10:00", "09:00", Busy}, span{"10:00", "09:00", Busy}), tm(t, "08:00"), tm(t, "18:00"), NormalizeOptions{Inverted: RejectInverted})
	ie, isIE = errors.AsType[*IntervalError](err)
	require.True(t, isIE)
	assert.Equal(t, 0, ie.Index, "the first offender is reported")
}

func TestScheduleNormalize(t *testing.T) {
	berlin := mustLoad(t, "Europe/Berlin")
	s := Schedule{
		Attendee:  "a",
		Start:     time.Date(2024, 3, 5, 9, 0, 0, 0, berlin),
		End:       time.Date(2024, 3, 5, 19, 0, 0, 0, berlin),
		Intervals: spans(t, span{"12:00", "13:00", Busy}, span{"07:00", "09:00", Tentative}, span{"11:00", "10:00", Busy}),
	}
	rep, err := s.Normalize()
	require.NoError(t, err)
	assert.Equal(t, NormalizeReport{Inverted: 1, Clipped: 1}, rep)
	assert.Equal(t, tm(t, "08:00"), s.Start)
	assert.Equal(t, tm(t, "18:00"), s.End)
	assert.Equal(t, spans(t, span{"08:00", "09:00", Tentative}, span{"12:00", "13:00", Busy}), s.Intervals)

	again := s
	rep, err = again.Normalize()
	require.NoError(t, err)
	assert.Equal(t, NormalizeReport{}, rep, "normalizing canonical form changes nothing")
	assert.Equal(t, s, again)

	broken := Schedule{Start: tm(t, "18:00"), End: tm(t, "08:00"), Intervals: spans(t, span{"09:00", "10:00", Busy})}
	before := broken
	_, err = broken.Normalize()
	assert.ErrorIs(t, err, ErrEmptyWindow)
	assert.Equal(t, before, broken, "a failed Normalize leaves the schedule alone")
}

// TestNormalizeMatchesPerMinuteReference is a property test: on random
// minute-aligned inputs (overlapping, inverted, empty, partly outside the
// window, every status) Normalize agrees minute by minute with a brute-force
// reference, and its output is canonical.
func TestNormalizeMatchesPerMinuteReference(t *testing.T) {
	const windowMin = 240
	start := day0.Add(8 * time.Hour)
	end := start.Add(windowMin * time.Minute)
	rng := rand.New(rand.NewPCG(1, 2))
	for _, policy := range []InvertedPolicy{DropInverted, SwapInverted} {
		for iter := range 200 {
			in := randomMinuteIntervals(rng, start, -30, windowMin+30, rng.IntN(25))
			got, rep, err := Normalize(in, start, end, NormalizeOptions{Inverted: policy})
			require.NoError(t, err)
			assertCanonical(t, got, start, end)
			want := referenceMinutes(in, start, windowMin, policy)
			have := expandMinutes(got, start, windowMin)
			require.Equal(t, want, have, "policy %d iteration %d: input %v", policy, iter, in)
			inverted := 0
			for _, iv := range in {
				if iv.End.Before(iv.Start) {
					inverted++
				}
			}
			assert.Equal(t, inverted, rep.Inverted)
		}
	}
}

// TestNormalizeLargeAndLongMatchReference runs the property test on the
// other paths of the sweep: inputs large enough for the radix sort, and a
// window too long for keys (40 years), which sorts edge structs.
func TestNormalizeLargeAndLongMatchReference(t *testing.T) {
	const windowMin = 240
	start := day0.Add(8 * time.Hour)
	rng := rand.New(rand.NewPCG(5, 6))
	for _, tc := range []struct {
		name string
		end  time.Time
		n    int
	}{
		{"radix", start.Add(windowMin * time.Minute), 600},
		{"long window", start.AddDate(40, 0, 0), 20},
		{"long window, many", start.AddDate(40, 0, 0), 600},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for iter := range 10 {
				in := randomMinuteIntervals(rng, start, -30, windowMin+30, tc.n)
				got, _, err := Normalize(in, start, tc.end, NormalizeOptions{})
				require.NoError(t, err)
				assertCanonical(t, got, start, tc.end)
				if tc.end.After(start.Add(windowMin * time.Minute)) {
					for _, iv := range got {
						require.False(t, iv.End.After(start.Add((windowMin+120)*time.Minute)), "nothing invented past the input")
					}
				}
				require.Equal(t, referenceMinutes(in, start, windowMin, DropInverted), expandMinutes(got, start, windowMin), "iteration %d", iter)
			}
		})
	}
}

func TestSortKeys(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	gens := map[string]func() uint64{
		"full range":     rng.Uint64,
		"short window":   func() uint64 { return rng.Uint64N(1<<40) << keyShift },
		"few values":     func() uint64 { return rng.Uint64N(4) },
		"all equal":      func() uint64 { return 42 },
		"high bits only": func() uint64 { return rng.Uint64N(8) << 60 },
	}
	for name, gen := range gens {
		t.Run(name, func(t *testing.T) {
			for _, n := range []int{0, 1, radixMin - 1, radixMin, 5000} {
				keys := make([]uint64, n)
				for i := range keys {
					keys[i] = gen()
				}
				want := slices.Clone(keys)
				slices.Sort(want)
				var tmp []uint64
				if n%2 == 0 {
					tmp = make([]uint64, 3, 7) // too small: sortKeys grows it
				}
				sortKeys(keys, &tmp)
				require.Equal(t, want, keys, "n=%d", n)
				again := slices.Clone(want)
				slices.Reverse(again)
				sortKeys(again, &tmp) // reusing the scratch space
				require.Equal(t, want, again, "n=%d, reused scratch", n)
			}
		})
	}
}

// randomMinuteIntervals returns n intervals with edges on whole minutes in
// [lo, hi) minutes from origin, some of them inverted or empty.
func randomMinuteIntervals(rng *rand.Rand, origin time.Time, lo, hi, n int) []Interval {
	out := make([]Interval, n)
	for i := range out {
		a := lo + rng.IntN(hi-lo)
		b := a + rng.IntN(90) - 10 // about one in nine is inverted or empty
		out[i] = Interval{
			Start:  origin.Add(time.Duration(a) * time.Minute),
			End:    origin.Add(time.Duration(b) * time.Minute),
			Status: Status(rng.IntN(numStatuses)),
		}
	}
	return out
}

// referenceMinutes is the brute-force model of Normalize: for each minute of
// the window, the covering status of highest Precedence, Free if none.
func referenceMinutes(in []Interval, start time.Time, minutes int, policy InvertedPolicy) []Status {
	out := make([]Status, minutes)
	for m := range out {
		t := start.Add(time.Duration(m) * time.Minute)
		st, found := Free, false
		for _, iv := range in {
			if iv.End.Before(iv.Start) {
				if policy != SwapInverted {
					continue
				}
				iv.Start, iv.End = iv.End, iv.Start
			}
			if iv.Contains(t) && (!found || iv.Status.Precedence() > st.Precedence()) {
				st, found = iv.Status, true
			}
		}
		out[m] = st
	}
	return out
}

// expandMinutes returns the status of each minute of canonical intervals.
func expandMinutes(canon []Interval, start time.Time, minutes int) []Status {
	out := make([]Status, minutes)
	for m := range out {
		t := start.Add(time.Duration(m) * time.Minute)
		out[m] = Free
		for _, iv := range canon {
			if iv.Contains(t) {
				out[m] = iv.Status
			}
		}
	}
	return out
}

// assertCanonical checks the documented canonical form.
func assertCanonical(t *testing.T, ivs []Interval, start, end time.Time) {
	t.Helper()
	for i, iv := range ivs {
		require.Same(t, time.UTC, iv.Start.Location(), "interval %d start in UTC", i)
		require.Same(t, time.UTC, iv.End.Location(), "interval %d end in UTC", i)
		require.True(t, iv.Start.Before(iv.End), "interval %d non-empty", i)
		require.NotEqual(t, Free, iv.Status, "interval %d is not Free", i)
		require.True(t, iv.Status.Valid())
		require.False(t, iv.Start.Before(start), "interval %d inside the window", i)
		require.False(t, iv.End.After(end), "interval %d inside the window", i)
		if i > 0 {
			prev := ivs[i-1]
			require.False(t, iv.Start.Before(prev.End), "intervals %d and %d sorted and disjoint", i-1, i)
			if iv.Start.Equal(prev.End) {
				require.NotEqual(t, prev.Status, iv.Status, "touching intervals %d and %d differ in status", i-1, i)
			}
		}
	}
}

// BenchmarkNormalize: 100,000 random overlapping intervals of 15 minutes to
// 4 hours, every status, over a 62-day window (about 27 deep at any
// instant), some sticking out of the window.
func BenchmarkNormalize(b *testing.B) {
	rng := rand.New(rand.NewPCG(3, 4))
	start := day0
	window := 62 * 24 * time.Hour
	in := make([]Interval, 100_000)
	for i := range in {
		s := start.Add(time.Duration(rng.Int64N(int64(window+4*time.Hour))) - 2*time.Hour).Truncate(time.Minute)
		d := time.Duration(15+rng.IntN(226)) * time.Minute
		in[i] = Interval{Start: s, End: s.Add(d), Status: Status(rng.IntN(numStatuses))}
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := Normalize(in, start, start.Add(window), NormalizeOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}
