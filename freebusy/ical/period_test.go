package ical

import (
	"errors"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/calbridge/calbridge/freebusy"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func utc(y int, mo time.Month, d, h, mi, s int) time.Time {
	return time.Date(y, mo, d, h, mi, s, 0, time.UTC)
}

// The valid vectors are RFC 5545 §3.3.9's own examples
// ("19970101T180000Z/19970102T070000Z", "19970101T180000Z/PT5H30M") and the
// Domino DAS sample of docs/notes.md §2.2.4 and §2.2.6 (the inverted
// first period).
func TestParsePeriod(t *testing.T) {
	tests := []struct {
		in         string
		start, end time.Time
	}{
		{"19970101T180000Z/19970102T070000Z", utc(1997, 1, 1, 18, 0, 0), utc(1997, 1, 2, 7, 0, 0)},
		{"19970101T180000Z/PT5H30M", utc(1997, 1, 1, 18, 0, 0), utc(1997, 1, 1, 23, 30, 0)},
		{"19970101T180000Z/+PT5H30M", utc(1997, 1, 1, 18, 0, 0), utc(1997, 1, 1, 23, 30, 0)},
		{"19970101T180000Z/P1D", utc(1997, 1, 1, 18, 0, 0), utc(1997, 1, 2, 18, 0, 0)},
		{"19970101T180000Z/P1W", utc(1997, 1, 1, 18, 0, 0), utc(1997, 1, 8, 18, 0, 0)},
		{"19970101T180000Z/P1DT2H", utc(1997, 1, 1, 18, 0, 0), utc(1997, 1, 2, 20, 0, 0)},
		{"20131105T201317Z/20131105T201000Z", utc(2013, 11, 5, 20, 13, 17), utc(2013, 11, 5, 20, 10, 0)},
		{"20240229T235960Z/PT1S", utc(2024, 3, 1, 0, 0, 0), utc(2024, 3, 1, 0, 0, 1)}, // leap second
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			start, end, err := parsePeriod(tt.in)
			require.NoError(t, err)
			assert.True(t, tt.start.Equal(start), "start %v", start)
			assert.True(t, tt.end.Equal(end), "end %v", end)
			assert.Equal(t, time.UTC, start.Location())
		})
	}
}

func TestParsePeriodErrors(t *testing.T) {
	tests := []struct {
		in     string
		cause  error
		offset int
	}{
		{"", errPeriodSlash, 0},
		{"19970101T180000Z", errPeriodSlash, 0},
		{"19970101T180000/19970102T070000", errNotUTC, 0},
		{"19970101T180000Z/19970102T070000", errNotUTC, 17},
		{"19971301T180000Z/19970102T070000Z", errBadDateTime, 0},
		{"19970230T180000Z/PT1H", errBadDateTime, 0},
		{"19970101T240000Z/PT1H", errBadDateTime, 0},
		{"19970101T180000Z/PT", errBadDuration, 17},
		{"19970101T180000Z/P", errBadDuration, 17},
		{"19970101T180000Z/P1H", errBadDuration, 17},
		{"19970101T180000Z/PT1D", errBadDuration, 17},
		{"19970101T180000Z/PT9999999999H", errDurationRange, 17},
		{"1997-01-01T18:00:00Z/PT1H", errBadDateTime, 0},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			_, _, err := parsePeriod(tt.in)
			var pe *freebusy.ParseError
			require.ErrorAs(t, err, &pe)
			assert.Equal(t, "period", pe.Kind)
			assert.Equal(t, tt.in, pe.Input)
			assert.Equal(t, tt.offset, pe.Offset)
			assert.ErrorIs(t, err, tt.cause)
			assert.ErrorIs(t, err, freebusy.ErrInvalid)
		})
	}
}

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in    string
		days  int
		exact time.Duration
	}{
		{"PT0S", 0, 0},
		{"PT15M", 0, 15 * time.Minute},
		{"PT1H30M", 0, 90 * time.Minute},
		{"P2W", 14, 0},
		{"P1DT12H", 1, 12 * time.Hour},
		{"-PT30M", 0, -30 * time.Minute},
		{"-P1D", -1, 0},
		{"P15DT5H0M20S", 15, 5*time.Hour + 20*time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			d, err := parseDuration(tt.in)
			require.NoError(t, err)
			assert.Equal(t, tt.days, d.days)
			assert.Equal(t, tt.exact, d.exact)
		})
	}
	for _, bad := range []string{"", "P", "PT", "1H", "P1", "PTH", "PT1H1", "PXD", "P1DT", "PT1HT1M", "P1Y"} {
		_, err := parseDuration(bad)
		assert.Error(t, err, bad)
	}
}

// Days in a DURATION are nominal (RFC 5545 §3.3.6): P1D across the US
// spring-forward change is 23 hours, PT24H is 24.
func TestDurationAcrossDST(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	require.NoError(t, err)
	start := time.Date(2026, 3, 7, 9, 0, 0, 0, ny)
	day, err := parseDuration("P1D")
	require.NoError(t, err)
	hours, err := parseDuration("PT24H")
	require.NoError(t, err)
	assert.Equal(t, time.Date(2026, 3, 8, 9, 0, 0, 0, ny), day.addTo(start))
	assert.Equal(t, 23*time.Hour, day.addTo(start).Sub(start))
	assert.Equal(t, time.Date(2026, 3, 8, 10, 0, 0, 0, ny), hours.addTo(start))
}

func TestAppendPeriod(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	require.NoError(t, err)
	// 09:00 New York is 14:00Z: a "Z" written after a local wall clock
	// would silently move the time by the zone's offset.
	got := appendPeriod(nil, time.Date(2024, 3, 1, 9, 0, 0, 0, ny), utc(2024, 3, 1, 15, 30, 5))
	assert.Equal(t, "20240301T140000Z/20240301T153005Z", string(got))
	start, end, err := parsePeriod(string(got))
	require.NoError(t, err)
	assert.Equal(t, utc(2024, 3, 1, 14, 0, 0), start)
	assert.Equal(t, utc(2024, 3, 1, 15, 30, 5), end)
}

func TestParsePeriodAllocs(t *testing.T) {
	allocs := testing.AllocsPerRun(100, func() {
		if _, _, err := parsePeriod("20240301T090000Z/PT1H30M"); err != nil {
			t.Fatal(err)
		}
	})
	assert.Zero(t, allocs)
	assert.False(t, errors.Is(nil, freebusy.ErrInvalid))
}

// The hand-rolled UTC conversion must agree with time.Date everywhere
// iCalendar can write (years 0000-9999), leap days and leap seconds
// included.
func TestDateTimeFieldsUTCMatchesTimeDate(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	cases := []dateTimeFields{
		{0, 1, 1, 0, 0, 0}, {0, 2, 29, 23, 59, 60}, {1600, 2, 29, 12, 0, 0}, {1900, 3, 1, 0, 0, 0},
		{1970, 1, 1, 0, 0, 0}, {2000, 2, 29, 1, 2, 3}, {2100, 12, 31, 23, 59, 59}, {9999, 12, 31, 23, 59, 60},
	}
	for i := 0; i < 2000; i++ {
		y, m := rng.IntN(10000), 1+rng.IntN(12)
		cases = append(cases, dateTimeFields{y, m, 1 + rng.IntN(daysInMonth(y, m)), rng.IntN(24), rng.IntN(60), rng.IntN(61)})
	}
	for _, f := range cases {
		require.Equal(t, f.in(time.UTC), f.utc(), "%+v", f)
	}
}
