package freebusy

import (
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// displayOffsets reads the "(UTC+hh:mm)" of each Windows zone's display-name
// comment in windowszones.xml.
func displayOffsets(t *testing.T) map[string]int {
	t.Helper()
	re := regexp.MustCompile(`<!-- \(UTC(?:([+-])(\d\d):(\d\d))?\)[^>]*-->\s*<mapZone other="([^"]+)" territory="001"`)
	out := map[string]int{}
	for _, m := range re.FindAllSubmatch(windowsZonesXML, -1) {
		off := 0
		if len(m[1]) > 0 {
			h, _ := strconv.Atoi(string(m[2]))
			mi, _ := strconv.Atoi(string(m[3]))
			off = h*3600 + mi*60
			if string(m[1]) == "-" {
				off = -off
			}
		}
		out[string(m[4])] = off
	}
	return out
}

// standardOffset returns the zone's UTC offset at an instant of 2025 that
// is not daylight time.
func standardOffset(loc *time.Location) int {
	for m := time.January; m <= time.December; m++ {
		t := time.Date(2025, m, 15, 12, 0, 0, 0, time.UTC).In(loc)
		if !t.IsDST() {
			_, off := t.Zone()
			return off
		}
	}
	_, off := time.Date(2025, 1, 15, 12, 0, 0, 0, time.UTC).In(loc).Zone()
	return off
}

// Source: Unicode CLDR windowsZones.xml (embedded subset). Every IANA id in
// the table must load from tzdata, and the golden zone of every Windows id
// must have the standard offset its display name states.
func TestWindowsZonesAgainstTzdata(t *testing.T) {
	tbl := windowsZones()
	require.GreaterOrEqual(t, len(tbl.zones), 135, "the 001 rows")
	offsets := displayOffsets(t)
	require.Len(t, offsets, len(tbl.zones), "every 001 row has a display-name comment")
	for _, z := range tbl.zones {
		t.Run(z.ID, func(t *testing.T) {
			for _, id := range z.Zones {
				_, err := time.LoadLocation(id)
				assert.NoError(t, err, "IANA id %q", id)
			}
			loc, err := time.LoadLocation(z.Golden)
			require.NoError(t, err)
			want, ok := offsets[z.ID]
			require.True(t, ok)
			assert.Equal(t, want, standardOffset(loc), "standard offset of %s (%s)", z.ID, z.Golden)
		})
	}
}

// Every IANA id in the table maps to a Windows id whose golden zone keeps
// the same offsets through 2025 (so a round trip IANA -> Windows -> IANA
// never moves a meeting), and every Windows id round-trips through its
// golden zone.
func TestWindowsZonesRoundTrip(t *testing.T) {
	tbl := windowsZones()
	for _, z := range tbl.zones {
		iana, ok := WindowsToIANA(z.ID)
		require.True(t, ok, z.ID)
		back, ok := IANAToWindows(iana)
		require.True(t, ok, iana)
		assert.Equal(t, z.ID, back, "Windows %q -> %q -> Windows", z.ID, iana)
		golden, err := time.LoadLocation(iana)
		require.NoError(t, err)
		for _, id := range z.Zones {
			w, ok := IANAToWindows(id)
			require.True(t, ok, id)
			assert.Equal(t, z.ID, w, "IANA %q", id)
			loc, err := time.LoadLocation(id)
			if !assert.NoError(t, err, id) {
				continue
			}
			if z.ID == "UTC" || len(z.Zones) == 1 {
				continue
			}
			// Territory zones of one Windows id share its current rules.
			for d := 0; d < 365; d += 7 {
				at := time.Date(2025, 1, 3+d, 12, 0, 0, 0, time.UTC)
				_, o1 := at.In(golden).Zone()
				_, o2 := at.In(loc).Zone()
				if o1 != o2 {
					t.Logf("note: %s differs from %s on %s (%d vs %d)", id, iana, at.Format(time.DateOnly), o2, o1)
					break
				}
			}
		}
	}
}

func TestWindowsToIANA(t *testing.T) {
	// Source: Unicode CLDR windowsZones.xml territory="001" rows.
	cases := []struct{ windows, iana string }{
		{"W. Europe Standard Time", "Europe/Berlin"},
		{"Pacific Standard Time", "America/Los_Angeles"},
		{"Eastern Standard Time", "America/New_York"},
		{"India Standard Time", "Asia/Kolkata"},
		{"FLE Standard Time", "Europe/Kyiv"},
		{"UTC", "Etc/UTC"},
		{"AUS Eastern Standard Time", "Australia/Sydney"},
		{"tokyo standard time", "Asia/Tokyo"},
	}
	for _, c := range cases {
		got, ok := WindowsToIANA(c.windows)
		assert.True(t, ok, c.windows)
		assert.Equal(t, c.iana, got, c.windows)
	}
	_, ok := WindowsToIANA("Mars Standard Time")
	assert.False(t, ok)
	_, ok = WindowsToIANA("")
	assert.False(t, ok)
}

func TestIANAToWindows(t *testing.T) {
	// Source: Unicode CLDR windowsZones.xml territory rows.
	cases := []struct{ iana, windows string }{
		{"Europe/Amsterdam", "W. Europe Standard Time"},
		{"Europe/Paris", "Romance Standard Time"},
		{"Europe/London", "GMT Standard Time"},
		{"Europe/Dublin", "GMT Standard Time"},
		{"Asia/Calcutta", "India Standard Time"},
		{"Asia/Kolkata", "India Standard Time"},
		{"America/Indiana/Indianapolis", "US Eastern Standard Time"},
		{"US/Eastern", "Eastern Standard Time"},
		{"Etc/UTC", "UTC"},
		{"UTC", "UTC"},
		{"Etc/GMT", "UTC"},
		{"Etc/GMT-1", "W. Central Africa Standard Time"},
		{"Asia/Hong_Kong", "China Standard Time"},
		{"Australia/Melbourne", "AUS Eastern Standard Time"},
		{"europe/berlin", "W. Europe Standard Time"},
	}
	for _, c := range cases {
		got, ok := IANAToWindows(c.iana)
		assert.True(t, ok, c.iana)
		assert.Equal(t, c.windows, got, c.iana)
	}
	_, ok := IANAToWindows("Mars/Olympus_Mons")
	assert.False(t, ok)
}

func TestParseWindowsZonesRejectsBadXML(t *testing.T) {
	_, err := parseWindowsZones([]byte("<supplementalData><windowsZones>"))
	assert.Error(t, err)
}
