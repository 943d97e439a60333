package freebusy

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestIsCanonical(t *testing.T) {
	berlin := mustLoad(t, "Europe/Berlin")
	start, end := tm(t, "08:00"), tm(t, "12:00")
	tests := []struct {
		name string
		in   []Interval
		want bool
	}{
		{"nothing", nil, true},
		{"one", spans(t, span{"09:00", "10:00", Busy}), true},
		{"the whole window", spans(t, span{"08:00", "12:00", Unknown}), true},
		{"touching, different statuses", spans(t, span{"09:00", "10:00", Busy}, span{"10:00", "11:00", Tentative}), true},
		{"a gap", spans(t, span{"09:00", "10:00", Busy}, span{"10:30", "11:00", Busy}), true},
		{"another zone", []Interval{{Start: tm(t, "09:00").In(berlin), End: tm(t, "10:00").In(berlin), Status: Busy}}, true},
		{"touching, same status", spans(t, span{"09:00", "10:00", Busy}, span{"10:00", "11:00", Busy}), false},
		{"overlapping", spans(t, span{"09:00", "10:30", Busy}, span{"10:00", "11:00", Tentative}), false},
		{"out of order", spans(t, span{"10:00", "11:00", Busy}, span{"09:00", "10:00", Tentative}), false},
		{"empty", spans(t, span{"09:00", "09:00", Busy}), false},
		{"inverted", spans(t, span{"10:00", "09:00", Busy}), false},
		{"free", spans(t, span{"09:00", "10:00", Free}), false},
		{"undeclared status", []Interval{{Start: tm(t, "09:00"), End: tm(t, "10:00"), Status: numStatuses}}, false},
		{"starts before the window", spans(t, span{"07:59", "09:00", Busy}), false},
		{"ends after the window", spans(t, span{"11:00", "12:01", Busy}), false},
	}
	for _, tc := range tests {
		assert.Equal(t, tc.want, IsCanonical(tc.in, start, end), tc.name)
	}
	assert.False(t, IsCanonical(nil, end, start), "an inverted window holds nothing canonical")
	assert.False(t, IsCanonical(nil, start, start), "nor does an empty one")
}

// TestNormalizeShortcutMatchesSweep: on random input (overlapping,
// inverted, empty, out of order, partly outside the window, every status)
// Normalize gives what the full sweep gives, and normalizing its result
// again, which takes the canonical shortcut, gives the same intervals,
// bit for bit, in UTC, with an empty report.
func TestNormalizeShortcutMatchesSweep(t *testing.T) {
	const windowMin = 240
	start := day0.Add(8 * time.Hour)
	end := start.Add(windowMin * time.Minute)
	berlin := mustLoad(t, "Europe/Berlin")
	rng := rand.New(rand.NewPCG(21, 22))
	shortcuts := 0
	for iter := range 500 {
		in := randomMinuteIntervals(rng, start, -30, windowMin+30, rng.IntN(25))
		got, rep, err := Normalize(in, start, end, NormalizeOptions{})
		require.NoError(t, err)
		want, wantRep, err := normalizeSweep(in, start, end, NormalizeOptions{})
		require.NoError(t, err)
		require.Equal(t, want, got, "iteration %d: input %v", iter, in)
		require.Equal(t, wantRep, rep)
		if IsCanonical(in, start, end) {
			shortcuts++
		}

		// The same instants in another zone are canonical too; the
		// shortcut converts them to UTC, as the sweep does.
		moved := make([]Interval, len(got))
		for i, iv := range got {
			moved[i] = Interval{Start: iv.Start.In(berlin), End: iv.End.In(berlin), Status: iv.Status}
		}
		require.True(t, IsCanonical(moved, start, end), "Normalize's result is canonical")
		again, rep, err := Normalize(moved, start, end, NormalizeOptions{})
		require.NoError(t, err)
		require.Equal(t, NormalizeReport{}, rep)
		require.Len(t, again, len(got))
		for i := range got {
			require.True(t, again[i] == got[i], "iteration %d interval %d: %v, want %v (same representation)", iter, i, again[i], got[i])
		}
		if len(again) > 0 {
			was := moved[0].Start
			again[0].Start = again[0].Start.Add(time.Minute)
			require.True(t, was.Equal(moved[0].Start), "the result is a copy")
		}
	}
	t.Logf("%d of 500 random inputs were already canonical", shortcuts)
}

// TestAvailabilityViewCanonicalInput: rendering Normalize's result (which
// skips the second normalization) gives the digits of rendering the raw
// input, on unnormalized, overlapping, out-of-order input, at several slot
// lengths and with a partial last slot.
func TestAvailabilityViewCanonicalInput(t *testing.T) {
	const windowMin = 250
	start := day0.Add(8 * time.Hour)
	end := start.Add(windowMin * time.Minute)
	rng := rand.New(rand.NewPCG(23, 24))
	for iter := range 300 {
		in := randomMinuteIntervals(rng, start, -30, windowMin+30, rng.IntN(30))
		rng.Shuffle(len(in), func(i, j int) { in[i], in[j] = in[j], in[i] })
		canon, _, err := Normalize(in, start, end, NormalizeOptions{})
		require.NoError(t, err)
		for _, slot := range []time.Duration{time.Minute, 15 * time.Minute, 30 * time.Minute, 60 * time.Minute} {
			opt := ViewOptions{WorkingElsewhereDigit: '7'}
			want, err := AvailabilityView(in, start, end, slot, opt)
			require.NoError(t, err)
			got, err := AvailabilityView(canon, start, end, slot, opt)
			require.NoError(t, err)
			require.Equal(t, want, got, "iteration %d slot %s: input %v", iter, slot, in)
		}
	}
}

// TestIsCanonicalIgnoresMonotonicReadings: instants are compared on the
// wall clock, as Normalize compares them, not on the monotonic readings
// that time.Now leaves on values.
func TestIsCanonicalIgnoresMonotonicReadings(t *testing.T) {
	now := time.Now()
	wall := now.Round(0)
	ivs := []Interval{{Start: now, End: now.Add(time.Hour), Status: Busy}}
	assert.True(t, IsCanonical(ivs, wall, wall.Add(time.Hour)))
	assert.False(t, IsCanonical(ivs, wall.Add(time.Nanosecond), wall.Add(time.Hour)))
}

// FuzzCanonicalShortcut: for any intervals (four bytes each: start and
// length in minutes, status, a shift into another zone), Normalize and
// AvailabilityView give with their canonical shortcuts what the full
// sweep gives, IsCanonical holds exactly for the inputs the sweep leaves
// unchanged, and every digit of the view is the collapse of the minutes
// of its slot (the per-minute reference of the Normalize tests).
func FuzzCanonicalShortcut(f *testing.F) {
	f.Add([]byte{10, 20, 3, 0, 40, 10, 2, 1})
	f.Add([]byte{10, 20, 3, 0, 30, 10, 3, 0, 60, 5, 0, 0})
	f.Add([]byte{0, 255, 5, 2, 250, 30, 1, 3})
	f.Add([]byte{50, 0, 3, 0, 40, 200, 9, 1})
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		f.Fatal(err)
	}
	zones := []*time.Location{time.UTC, berlin, time.FixedZone("odd", -(3*3600 + 7))}
	start := day0.Add(8 * time.Hour)
	end := start.Add(240 * time.Minute)
	f.Fuzz(func(t *testing.T, data []byte) {
		var in []Interval
		for ; len(data) >= 4 && len(in) < 64; data = data[4:] {
			s := start.Add(time.Duration(int(data[0])-8) * time.Minute)
			e := s.Add(time.Duration(int(data[1])-4) * time.Minute)
			loc := zones[int(data[3])%len(zones)]
			in = append(in, Interval{Start: s.In(loc), End: e.In(loc), Status: Status(data[2] % (numStatuses + 1))})
		}
		got, rep, err := Normalize(in, start, end, NormalizeOptions{})
		want, wantRep, wantErr := normalizeSweep(in, start, end, NormalizeOptions{})
		if (err == nil) != (wantErr == nil) || rep != wantRep {
			t.Fatalf("Normalize: %v %+v, sweep: %v %+v", err, rep, wantErr, wantRep)
		}
		if err != nil {
			return
		}
		if len(got) != len(want) {
			t.Fatalf("Normalize gave %v, sweep %v", got, want)
		}
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("interval %d: %v, sweep %v", i, got[i], want[i])
			}
		}
		unchanged := len(in) == len(want)
		for i := 0; unchanged && i < len(in); i++ {
			unchanged = in[i].Start.Equal(want[i].Start) && in[i].End.Equal(want[i].End) && in[i].Status == want[i].Status
		}
		if IsCanonical(in, start, end) != unchanged {
			t.Fatalf("IsCanonical is %v for %v, which the sweep turns into %v", !unchanged, in, want)
		}
		minutes := referenceMinutes(in, start, 240, DropInverted)
		for _, per := range []int{1, 25, 60, 240} {
			slot := time.Duration(per) * time.Minute
			a, errA := AvailabilityView(in, start, end, slot, ViewOptions{WorkingElsewhereDigit: '7'})
			b, errB := AvailabilityView(got, start, end, slot, ViewOptions{WorkingElsewhereDigit: '7'})
			if errA != nil || errB != nil || a != b {
				t.Fatalf("slot %s: view of the input %q (%v), of its normal form %q (%v)", slot, a, errA, b, errB)
			}
			// Every digit is the collapse of the minutes of its slot.
			for i := range a {
				var mask uint8
				for m := i * per; m < min((i+1)*per, 240); m++ {
					mask |= 1 << minutes[m]
				}
				if want := viewDigits[7][mask]; a[i] != want {
					t.Fatalf("slot %s, digit %d of %q is %q, the minutes say %q; input %v", slot, i, a, a[i], want, in)
				}
			}
		}
	})
}
