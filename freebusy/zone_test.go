package freebusy_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/calbridge/calbridge/freebusy"
)

// TestLoadZone: LoadZone answers as time.LoadLocation does, with the same
// *time.Location for every call of a name.
func TestLoadZone(t *testing.T) {
	for _, name := range []string{"Europe/Berlin", "America/New_York", "Etc/GMT-1", "UTC", ""} {
		want, err := time.LoadLocation(name)
		require.NoError(t, err)
		got, err := freebusy.LoadZone(name)
		require.NoError(t, err, name)
		require.Equal(t, want.String(), got.String())
		// The same rules: offsets agree across a year, DST included.
		for m := time.January; m <= time.December; m++ {
			at := time.Date(2026, m, 15, 12, 0, 0, 0, time.UTC)
			_, wo := at.In(want).Zone()
			_, go_ := at.In(got).Zone()
			require.Equal(t, wo, go_, "%s in %s", name, m)
		}
		again, err := freebusy.LoadZone(name)
		require.NoError(t, err)
		require.Same(t, got, again, "one location per name")
	}
	local, err := freebusy.LoadZone("Local")
	require.NoError(t, err)
	require.Same(t, time.Local, local)
}

// TestLoadZoneFailures: names the database does not hold fail as they do
// with time.LoadLocation, the first time and every time after, also past
// the number of failures LoadZone remembers.
func TestLoadZoneFailures(t *testing.T) {
	for _, name := range []string{"W. Europe Standard Time", "Europe/Nowhere", "../etc/passwd", "/etc/localtime"} {
		_, want := time.LoadLocation(name)
		require.Error(t, want, name)
		for range 2 {
			loc, err := freebusy.LoadZone(name)
			require.Nil(t, loc)
			require.EqualError(t, err, want.Error(), name)
		}
	}
	for i := range 5000 {
		_, err := freebusy.LoadZone("Nowhere/" + strconv.Itoa(i))
		require.Error(t, err)
	}
	_, err := freebusy.LoadZone("Nowhere/4999")
	require.Error(t, err, "a name past the bound still fails")
	loc, err := freebusy.LoadZone("Asia/Tokyo")
	require.NoError(t, err, "and good names still load")
	require.Equal(t, "Asia/Tokyo", loc.String())
}

// BenchmarkLoadZone is a zone asked for again, as each calendar of a
// batch asks for it, beside time.LoadLocation.
func BenchmarkLoadZone(b *testing.B) {
	b.Run("LoadZone", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := freebusy.LoadZone("Europe/Berlin"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("time.LoadLocation", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := time.LoadLocation("Europe/Berlin"); err != nil {
				b.Fatal(err)
			}
		}
	})
}
