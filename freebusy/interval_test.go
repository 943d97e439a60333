package freebusy

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestNewIntervalConvertsToUTC(t *testing.T) {
	berlin := mustLoad(t, "Europe/Berlin")
	iv := NewInterval(time.Date(2024, 3, 5, 9, 0, 0, 0, berlin), time.Date(2024, 3, 5, 10, 0, 0, 0, berlin), Busy)
	assert.Equal(t, time.UTC, iv.Start.Location())
	assert.Equal(t, time.UTC, iv.End.Location())
	assert.Equal(t, tm(t, "08:00"), iv.Start)
	assert.Equal(t, tm(t, "09:00"), iv.End)
	assert.Equal(t, time.Hour, iv.Duration())
	assert.Equal(t, "2024-03-05T08:00:00Z/2024-03-05T09:00:00Z busy", iv.String())

	inv := NewInterval(tm(t, "10:00"), tm(t, "09:00"), Busy)
	assert.Equal(t, tm(t, "10:00"), inv.Start, "NewInterval does not reorder")
	assert.Equal(t, -time.Hour, inv.Duration())
	assert.True(t, inv.Empty())
}

func TestIntervalPredicates(t *testing.T) {
	nine := Interval{Start: tm(t, "09:00"), End: tm(t, "10:00"), Status: Busy}
	tests := []struct {
		name     string
		other    Interval
		overlaps bool
	}{
		{"touching after", Interval{Start: tm(t, "10:00"), End: tm(t, "11:00")}, false},
		{"touching before", Interval{Start: tm(t, "08:00"), End: tm(t, "09:00")}, false},
		{"one ns inside", Interval{Start: tm(t, "08:00"), End: tm(t, "09:00").Add(1)}, true},
		{"contained", Interval{Start: tm(t, "09:15"), End: tm(t, "09:45")}, true},
		{"containing", Interval{Start: tm(t, "08:00"), End: tm(t, "11:00")}, true},
		{"same", nine, true},
		{"empty inside", Interval{Start: tm(t, "09:30"), End: tm(t, "09:30")}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.overlaps, nine.Overlaps(tt.other))
			assert.Equal(t, tt.overlaps, tt.other.Overlaps(nine), "symmetric")
		})
	}
	assert.True(t, nine.Contains(tm(t, "09:00")), "start is inside")
	assert.False(t, nine.Contains(tm(t, "10:00")), "end is outside")
	assert.False(t, nine.Contains(tm(t, "08:59")))
	assert.False(t, nine.Empty())
	assert.True(t, Interval{}.Empty())
}

func TestIntervalClip(t *testing.T) {
	iv := Interval{Start: tm(t, "09:00"), End: tm(t, "12:00"), Status: Tentative}
	tests := []struct {
		name       string
		from, to   string
		want       Interval
		wantInside bool
	}{
		{"inside", "08:00", "13:00", iv, true},
		{"cut start", "10:00", "13:00", Interval{Start: tm(t, "10:00"), End: tm(t, "12:00"), Status: Tentative}, true},
		{"cut both", "10:00", "11:00", Interval{Start: tm(t, "10:00"), End: tm(t, "11:00"), Status: Tentative}, true},
		{"touching", "12:00", "13:00", Interval{}, false},
		{"before", "06:00", "07:00", Interval{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := iv.Clip(tm(t, tt.from), tm(t, tt.to))
			assert.Equal(t, tt.wantInside, ok)
			if ok {
				assert.Equal(t, tt.want, got)
			}
		})
	}
}

func TestIntervalInvertedOverlapsNothing(t *testing.T) {
	wide := Interval{Start: tm(t, "09:00"), End: tm(t, "12:00")}
	inv := Interval{Start: tm(t, "10:00"), End: tm(t, "09:30")}
	assert.False(t, wide.Overlaps(inv))
	assert.False(t, inv.Overlaps(wide))
	assert.False(t, inv.Contains(tm(t, "09:45")))
}

func TestCoalesce(t *testing.T) {
	at := func(h int) time.Time { return time.Date(2024, 3, 4, h, 0, 0, 0, time.UTC) }
	ivs := []Interval{
		{Start: at(9), End: at(10), Status: Busy},
		{Start: at(1), End: at(2), Status: Busy},
		{Start: at(10), End: at(11), Status: Busy}, // touches 9-10
		{Start: at(1), End: at(3), Status: Busy},   // overlaps 1-2
		{Start: at(5), End: at(6), Status: Busy},
		{Start: at(9), End: at(10), Status: Busy}, // inside 9-11
	}
	assert.Equal(t, []Interval{
		{Start: at(1), End: at(3), Status: Busy},
		{Start: at(5), End: at(6), Status: Busy},
		{Start: at(9), End: at(11), Status: Busy},
	}, Coalesce(ivs))
	assert.Empty(t, Coalesce(nil))
}

func TestIntervalRoundOutward(t *testing.T) {
	at := func(sec, ns int) time.Time { return time.Date(2024, 3, 4, 9, 0, sec, ns, time.UTC) }
	iv := Interval{Start: at(0, 200_000_000), End: at(0, 800_000_000), Status: Busy}
	got := iv.RoundOutward(time.Second)
	assert.Equal(t, Interval{Start: at(0, 0), End: at(1, 0), Status: Busy}, got, "a sub-second block becomes one whole second")
	whole := Interval{Start: at(1, 0), End: at(5, 0), Status: Tentative}
	assert.Equal(t, whole, whole.RoundOutward(time.Second), "whole seconds stay")
	assert.Equal(t, Interval{Start: at(0, 0).Add(-9 * time.Hour), End: at(0, 0).Add(-8 * time.Hour).Add(time.Minute)},
		Interval{Start: at(30, 0).Add(-9 * time.Hour), End: at(1, 0).Add(-8 * time.Hour)}.RoundOutward(time.Minute), "minutes, outward")
	before1970 := time.Date(1601, 1, 1, 0, 0, 0, 500, time.UTC)
	assert.Equal(t, time.Date(1601, 1, 1, 0, 0, 0, 0, time.UTC), Interval{Start: before1970, End: before1970}.RoundOutward(time.Second).Start, "down is towards the past, before 1970 too")
}
