package notes

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/calbridge/calbridge/freebusy"
)

// TestProfileDefaultWorkingHours uses the default of the stdnames.h comment
// quoted in docs/notes.md §3.7: Mon-Fri
// 9:00-12:00 and 13:00-17:00.
func TestProfileDefaultWorkingHours(t *testing.T) {
	p := CalendarProfile{
		AvailableDays: []string{"2", "3", "4", "5", "6"},
		TimeZone:      "Z=5$DO=1$DL=3 2 1 11 1 1$ZX=11$ZN=Eastern",
	}
	wh, err := p.WorkingHours()
	require.NoError(t, err)
	assert.Equal(t, "America/New_York", wh.Location.String())
	weekdays := []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday}
	assert.Equal(t, []freebusy.WorkingPeriod{
		{Days: weekdays, Start: 9 * time.Hour, End: 12 * time.Hour},
		{Days: weekdays, Start: 13 * time.Hour, End: 17 * time.Hour},
	}, wh.Periods)

	// Expanded across the US DST change, 09:00 stays 09:00 local (tzdata).
	ivs, err := wh.Expand(time.Date(2024, 3, 8, 0, 0, 0, 0, time.UTC), time.Date(2024, 3, 12, 0, 0, 0, 0, time.UTC))
	require.NoError(t, err)
	require.Len(t, ivs, 4)
	assert.Equal(t, time.Date(2024, 3, 8, 14, 0, 0, 0, time.UTC), ivs[0].Start)  // Fri, EST
	assert.Equal(t, time.Date(2024, 3, 11, 13, 0, 0, 0, time.UTC), ivs[2].Start) // Mon, EDT
}

func TestProfileJSON(t *testing.T) {
	in := `{
		"$AvailableDays": ["Mon", "Tuesday", "4", "5", "6"],
		"$times2": ["8:30 AM - 12:00 PM", "1:00 PM - 4:30 PM"],
		"$Times6": "08:00-13:00",
		"CurrentTimeZone": "Z=-1$DO=1$DL=3 -1 1 10 -1 1$ZX=134$ZN=W. Europe",
		"AllowBusyAccess": ["*"]
	}`
	var p CalendarProfile
	require.NoError(t, json.Unmarshal([]byte(in), &p))
	assert.Equal(t, []string{"8:30 AM - 12:00 PM", "1:00 PM - 4:30 PM"}, p.Times[1])
	assert.Equal(t, []string{"08:00-13:00"}, p.Times[5])
	wh, err := p.WorkingHours()
	require.NoError(t, err)
	assert.Equal(t, "Europe/Berlin", wh.Location.String())
	assert.Equal(t, []freebusy.WorkingPeriod{
		{Days: []time.Weekday{time.Monday}, Start: 8*time.Hour + 30*time.Minute, End: 12 * time.Hour},
		{Days: []time.Weekday{time.Monday}, Start: 13 * time.Hour, End: 16*time.Hour + 30*time.Minute},
		{Days: []time.Weekday{time.Tuesday, time.Wednesday, time.Thursday}, Start: 9 * time.Hour, End: 12 * time.Hour},
		{Days: []time.Weekday{time.Tuesday, time.Wednesday, time.Thursday}, Start: 13 * time.Hour, End: 17 * time.Hour},
		{Days: []time.Weekday{time.Friday}, Start: 8 * time.Hour, End: 13 * time.Hour},
	}, wh.Periods)

	out, err := json.Marshal(p)
	require.NoError(t, err)
	var back CalendarProfile
	require.NoError(t, json.Unmarshal(out, &back))
	assert.Equal(t, p, back)
}

func TestProfileDaysFromTimes(t *testing.T) {
	// No $AvailableDays: the days that have times are worked. IANA zone.
	p := CalendarProfile{TimeZone: "Asia/Tokyo"}
	p.Times[0] = []string{"10:00-14:00"}
	p.Times[6] = []string{"22:00-24:00"}
	wh, err := p.WorkingHours()
	require.NoError(t, err)
	assert.Equal(t, []freebusy.WorkingPeriod{
		{Days: []time.Weekday{time.Sunday}, Start: 10 * time.Hour, End: 14 * time.Hour},
		{Days: []time.Weekday{time.Saturday}, Start: 22 * time.Hour, End: 24 * time.Hour},
	}, wh.Periods)
}

func TestProfileErrors(t *testing.T) {
	base := func() CalendarProfile {
		return CalendarProfile{AvailableDays: []string{"2"}, TimeZone: "UTC"}
	}
	tests := []struct {
		name string
		mod  func(p *CalendarProfile)
		item string
	}{
		{"no zone", func(p *CalendarProfile) { p.TimeZone = "" }, "CurrentTimeZone"},
		{"Local zone", func(p *CalendarProfile) { p.TimeZone = "Local" }, "CurrentTimeZone"},
		{"bad IANA", func(p *CalendarProfile) { p.TimeZone = "Mars/Olympus" }, "CurrentTimeZone"},
		{"bad Notes zone", func(p *CalendarProfile) { p.TimeZone = "Z=99" }, "CurrentTimeZone"},
		{"day 0", func(p *CalendarProfile) { p.AvailableDays = []string{"0"} }, "$AvailableDays"},
		{"day name", func(p *CalendarProfile) { p.AvailableDays = []string{"Caturday"} }, "$AvailableDays"},
		{"no dash", func(p *CalendarProfile) { p.Times[1] = []string{"09:00"} }, "$Times2"},
		{"inverted", func(p *CalendarProfile) { p.Times[1] = []string{"17:00-09:00"} }, "$Times2"},
		{"13 PM", func(p *CalendarProfile) { p.Times[1] = []string{"13:00 PM-14:00"} }, "$Times2"},
		{"minutes", func(p *CalendarProfile) { p.Times[1] = []string{"9:5-10:00"} }, "$Times2"},
		{"start 24", func(p *CalendarProfile) { p.Times[1] = []string{"24:00-24:00"} }, "$Times2"},
		{"25h", func(p *CalendarProfile) { p.Times[1] = []string{"09:00-25:00"} }, "$Times2"},
	}
	for _, tt := range tests {
		p := base()
		tt.mod(&p)
		_, err := p.WorkingHours()
		require.Error(t, err, tt.name)
		assert.ErrorIs(t, err, ErrBadProfile, tt.name)
		assert.ErrorIs(t, err, freebusy.ErrInvalid, tt.name)
		var pe *ProfileError
		require.ErrorAs(t, err, &pe, tt.name)
		assert.Equal(t, tt.item, pe.Item, tt.name)
	}
	var p CalendarProfile
	assert.ErrorIs(t, json.Unmarshal([]byte(`{"$Times2": 5}`), &p), ErrBadProfile)
	assert.Error(t, json.Unmarshal([]byte(`[1]`), &p))
}

func TestParseClockTime(t *testing.T) {
	tests := []struct {
		in    string
		isEnd bool
		want  time.Duration
	}{
		{"9:00", false, 9 * time.Hour},
		{"09:00:30", false, 9*time.Hour + 30*time.Second},
		{"12:00 AM", false, 0},
		{"12:00 AM", true, 24 * time.Hour},
		{"12:30 PM", false, 12*time.Hour + 30*time.Minute},
		{"1:15pm", false, 13*time.Hour + 15*time.Minute},
		{"24:00", true, 24 * time.Hour},
		{"00:00", true, 24 * time.Hour},
	}
	for _, tt := range tests {
		got, err := parseClockTime(tt.in, tt.isEnd)
		require.NoError(t, err, tt.in)
		assert.Equal(t, tt.want, got, tt.in)
	}
}
