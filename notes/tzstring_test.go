package notes

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/calbridge/calbridge/freebusy"
)

// TestParseTimeZoneGolden parses the examples of
// docs/notes.md §3.8 and maps them to IANA zones.
func TestParseTimeZoneGolden(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want TimeZone
		iana string
	}{
		{
			// §3.8 (Quest support article on Notes time-zone strings).
			name: "Central",
			in:   "Z=6$DO=1$DL=3 2 1 11 1 1$ZX=23$ZN=Central",
			want: TimeZone{Offset: -6 * time.Hour, DST: true, HasRules: true, Index: 23, Name: "Central",
				Start: DSTRule{Month: time.March, Week: 2, Weekday: time.Sunday},
				End:   DSTRule{Month: time.November, Week: 1, Weekday: time.Sunday}},
			iana: "America/Chicago",
		},
		{
			// §3.8 (Devangarde domino-time, NotesTimeZone.java).
			name: "W. Europe",
			in:   "Z=-1$DO=1$DL=3 -1 1 10 -1 1$ZX=134$ZN=W. Europe",
			want: TimeZone{Offset: time.Hour, DST: true, HasRules: true, Index: 134, Name: "W. Europe",
				Start: DSTRule{Month: time.March, Week: -1, Weekday: time.Sunday},
				End:   DSTRule{Month: time.October, Week: -1, Weekday: time.Sunday}},
			iana: "Europe/Berlin",
		},
		{
			// §3.8 (Quest support article on Notes time-zone strings): non-Notes clients write ZN=GMT-6, ZX=0.
			name: "non-standard GMT-6",
			in:   "Z=6$DO=0$ZX=0$ZN=GMT-6",
			want: TimeZone{Offset: -6 * time.Hour, Name: "GMT-6"},
			iana: "Etc/GMT+6",
		},
		{
			// §3.8 (HCL Notes C API Reference): the user guide's skeleton with DO=1; and a Z in
			// TIME.zone form (minutes*100 + hours, §4.1).
			name: "India TIME form",
			in:   "Z=-3005$DO=0$ZX=51$ZN=India",
			want: TimeZone{Offset: 5*time.Hour + 30*time.Minute, Index: 51, Name: "India"},
			iana: "Asia/Kolkata",
		},
		{
			name: "decimal hours, unknown name, matched by offset",
			in:   "Z=-5.75$DO=0$ZN=Somewhere",
			want: TimeZone{Offset: 5*time.Hour + 45*time.Minute, Name: "Somewhere"},
			iana: "Asia/Kathmandu",
		},
		{
			name: "unknown name matched by US rules",
			in:   "Z=5$DO=1$DL=3 2 1 11 1 1$ZX=0$ZN=My Eastern",
			want: TimeZone{Offset: -5 * time.Hour, DST: true, HasRules: true, Name: "My Eastern",
				Start: DSTRule{Month: time.March, Week: 2, Weekday: time.Sunday},
				End:   DSTRule{Month: time.November, Week: 1, Weekday: time.Sunday}},
			iana: "America/New_York",
		},
		{
			name: "unknown name matched by EU rules at GMT",
			in:   "Z=0$DO=1$DL=3 -1 1 10 -1 1$ZN=x",
			want: TimeZone{DST: true, HasRules: true, Name: "x",
				Start: DSTRule{Month: time.March, Week: -1, Weekday: time.Sunday},
				End:   DSTRule{Month: time.October, Week: -1, Weekday: time.Sunday}},
			iana: "Europe/London",
		},
		{
			name: "southern hemisphere rules",
			in:   "Z=-10$DO=1$DL=10 1 1 4 1 1$ZN=",
			want: TimeZone{Offset: 10 * time.Hour, DST: true, HasRules: true,
				Start: DSTRule{Month: time.October, Week: 1, Weekday: time.Sunday},
				End:   DSTRule{Month: time.April, Week: 1, Weekday: time.Sunday}},
			iana: "Australia/Sydney",
		},
		{
			// Pre-2007 US rules (first Sunday of April to last of October)
			// with an unknown name: tzdata's current zone wins over the
			// stale rules (KB 915494, §7.3).
			name: "stale rules",
			in:   "Z=5$DO=1$DL=4 1 1 10 -1 1$ZN=old",
			want: TimeZone{Offset: -5 * time.Hour, DST: true, HasRules: true, Name: "old",
				Start: DSTRule{Month: time.April, Week: 1, Weekday: time.Sunday},
				End:   DSTRule{Month: time.October, Week: -1, Weekday: time.Sunday}},
			iana: "America/New_York",
		},
		{
			// DO=0 turns DST off: the DST zone the name means does not fit.
			name: "named DST zone with DST off",
			in:   "Z=6$DO=0$ZX=23$ZN=Central",
			want: TimeZone{Offset: -6 * time.Hour, Index: 23, Name: "Central"},
			iana: "Etc/GMT+6",
		},
		{
			// An old string for a zone that has abolished DST since: the
			// name wins over DO=1 and the stale rules.
			name: "Mexico City before 2022",
			in:   "Z=6$DO=1$DL=4 1 1 10 -1 1$ZX=0$ZN=Central Standard Time (Mexico)",
			want: TimeZone{Offset: -6 * time.Hour, DST: true, HasRules: true, Name: "Central Standard Time (Mexico)",
				Start: DSTRule{Month: time.April, Week: 1, Weekday: time.Sunday},
				End:   DSTRule{Month: time.October, Week: -1, Weekday: time.Sunday}},
			iana: "America/Mexico_City",
		},
		{
			name: "Windows full name",
			in:   "Z=-9$DO=0$ZN=Tokyo Standard Time",
			want: TimeZone{Offset: 9 * time.Hour, Name: "Tokyo Standard Time"},
			iana: "Asia/Tokyo",
		},
		{
			name: "keys in any case and order, trailing semicolon",
			in:   "zn=Eastern$DO=1;$z=5$ZX=11",
			want: TimeZone{Offset: -5 * time.Hour, DST: true, Index: 11, Name: "Eastern"},
			iana: "America/New_York",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tz, err := ParseTimeZone(tt.in)
			require.NoError(t, err)
			assert.Equal(t, tt.want, tz)
			loc, err := tz.Location()
			require.NoError(t, err)
			assert.Equal(t, tt.iana, loc.String())
			// String round-trips through ParseTimeZone.
			back, err := ParseTimeZone(tz.String())
			require.NoError(t, err, tz.String())
			assert.Equal(t, tz, back)
		})
	}
}

// TestTimeZoneConversionUsesTzdata checks that a 09:00 start stays 09:00
// local on both sides of the 2007 US rule change, which the old connector's
// hard-coded tables got wrong by an hour (KB 915494, docs/notes.md §7.3).
func TestTimeZoneConversionUsesTzdata(t *testing.T) {
	tz, err := ParseTimeZone("Z=5$DO=1$DL=4 1 1 10 -1 1$ZX=11$ZN=Eastern")
	require.NoError(t, err)
	loc, err := tz.Location()
	require.NoError(t, err)
	// 2007-03-12 is after the new second-Sunday-of-March start and before
	// the old first-Sunday-of-April one: EDT, UTC-4.
	at := time.Date(2007, 3, 12, 9, 0, 0, 0, loc)
	assert.Equal(t, time.Date(2007, 3, 12, 13, 0, 0, 0, time.UTC), at.UTC())
}

func TestParseTimeZoneErrors(t *testing.T) {
	for _, in := range []string{
		"", "DO=1$ZN=Eastern", "Z=$DO=0", "Z=x", "Z=15", "Z=-99.5", "Z=NaN", "Z=5$DO=2",
		"Z=5$DL=3 2 1", "Z=5$DL=13 2 1 11 1 1", "Z=5$DL=3 0 1 11 1 1", "Z=5$DL=3 2 8 11 1 1",
		"Z=5$DL=a b c d e f", "Z=5$ZX=-1", "Z=5$oops", "Z=7000",
	} {
		_, err := ParseTimeZone(in)
		assert.ErrorIs(t, err, ErrTimeZoneSyntax, in)
		assert.ErrorIs(t, err, freebusy.ErrInvalid, in)
	}
	// A DST zone at an offset no candidate has.
	tz, err := ParseTimeZone("Z=-13.5$DO=1$ZN=nowhere")
	require.NoError(t, err)
	_, err = tz.Location()
	assert.ErrorIs(t, err, ErrUnknownTimeZone)
	assert.Contains(t, err.Error(), "notes: time zone")
}

func TestDSTRuleDate(t *testing.T) {
	tests := []struct {
		rule DSTRule
		year int
		want string
	}{
		{DSTRule{time.March, 2, time.Sunday}, 2025, "2025-03-09"},
		{DSTRule{time.November, 1, time.Sunday}, 2025, "2025-11-02"},
		{DSTRule{time.March, -1, time.Sunday}, 2025, "2025-03-30"},
		{DSTRule{time.October, -1, time.Sunday}, 2025, "2025-10-26"},
		{DSTRule{time.February, 5, time.Saturday}, 2025, "2025-02-22"}, // no 5th: the last
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, tt.rule.date(tt.year).Format(time.DateOnly), tt.rule.String())
	}
}

// ZN values are Windows zone names without " Standard Time" (§3.8); they map
// through the shared CLDR table, with a short list of names Microsoft has
// since retired.
func TestWindowsZoneFor(t *testing.T) {
	for _, tc := range []struct{ zn, want string }{
		{"Eastern", "America/New_York"},
		{"eastern  standard time", "America/New_York"},
		{"W. Europe", "Europe/Berlin"},
		{"Central (Mexico)", "America/Mexico_City"},
		{"India", "Asia/Kolkata"},
		{"UTC", "Etc/UTC"},
		{"Mid-Atlantic", "Etc/GMT+2"},
	} {
		got, ok := windowsZoneFor(tc.zn)
		assert.True(t, ok, tc.zn)
		assert.Equal(t, tc.want, got, tc.zn)
	}
	_, ok := windowsZoneFor("Atlantis")
	assert.False(t, ok)
}
