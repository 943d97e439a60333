package notes

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/calbridge/calbridge/freebusy"
	"github.com/calbridge/calbridge/internal/sample"
)

// A value an option cannot take fails LoadCalendars at once, with an error
// matching ErrInvalidOption that names the option.
func TestLoadCalendarsInvalidOptions(t *testing.T) {
	tests := map[string]Option{
		"WithMaxOccurrences": WithMaxOccurrences(-1),
		"WithMaxAge":         WithMaxAge(-time.Hour),
		"WithLimits":         WithLimits(freebusy.Limits{MaxWindow: -time.Hour}),
	}
	for name, opt := range tests {
		src, err := LoadCalendars(sample.NotesCalendars(), opt)
		assert.Nil(t, src, name)
		require.ErrorIs(t, err, ErrInvalidOption, name)
		assert.Contains(t, err.Error(), "notes: "+name, name)
	}
}

// Zero values and nil arguments mean the documented defaults; nil options
// are skipped.
func TestLoadCalendarsOptionDefaults(t *testing.T) {
	src, err := LoadCalendars(sample.NotesCalendars(), nil, WithLogger(nil), WithMaxOccurrences(0), WithMaxAge(0))
	require.NoError(t, err)
	assert.NotNil(t, src.cfg.Logger)
	assert.Zero(t, src.cfg.maxOccurrences)
	assert.Zero(t, src.cfg.maxAge)
	assert.Equal(t, freebusy.DefaultLimits(), src.cfg.Limits)
	assert.Equal(t, BusyPolicy{}, src.cfg.policy)
}

// WithLimits bounds the queries a CalendarSource answers.
func TestLoadCalendarsWithLimits(t *testing.T) {
	src := loadSample(t, WithLimits(freebusy.Limits{MaxAttendees: 1}))
	_, err := src.FreeBusy(t.Context(), weekQuery("Jane Doe/Sales/Acme/US", "ana.souza@acme.example"))
	assert.ErrorIs(t, err, freebusy.ErrTooManyAttendees)
}

// WithMaxOccurrences caps recurrence expansion: Priya's daily stand-up
// expands to one occurrence under a cap of one, and the time the cap cut
// off is Unknown, never free.
func TestLoadCalendarsWithMaxOccurrences(t *testing.T) {
	q := weekQuery("Priya Raman/Research/Acme/IN")
	got, err := loadSample(t, WithMaxOccurrences(1)).FreeBusy(t.Context(), q)
	require.NoError(t, err)
	require.Nil(t, got[0].Err)
	ivs := got[0].Intervals
	require.NotEmpty(t, ivs)
	assert.Equal(t, iv(11, 4, 30, 11, 4, 45, freebusy.Busy), ivs[0], "the first stand-up")
	assert.Equal(t, iv(12, 4, 30, 16, 0, 0, freebusy.Unknown), freebusy.Interval{Start: ivs[1].Start, End: ivs[len(ivs)-1].End, Status: ivs[1].Status},
		"from the second stand-up on the window is Unknown where nothing else is known")
	for _, x := range ivs {
		assert.NotEqual(t, freebusy.Free, x.Status, x)
		assert.False(t, x.Status == freebusy.Busy && x.Start.Equal(utc(14, 4, 30)), "the stand-up of the 14th is not expanded")
	}
}
