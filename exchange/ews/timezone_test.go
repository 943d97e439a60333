package ews

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/calbridge/calbridge/freebusy"
)

func rule(bias int, clock string, order int, month time.Month, wd time.Weekday) SerializableTimeZoneTime {
	d, ok := parseClock([]byte(clock))
	if !ok {
		panic("bad clock " + clock)
	}
	return SerializableTimeZoneTime{Bias: bias, Time: d, DayOrder: order, Month: month, DayOfWeek: wd}
}

func mustLoad(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	require.NoError(t, err)
	return loc
}

// Source: docs/exchange.md §2.3 (OpenChange capture for US Eastern:
// Bias 300, Std {0, 02:00:00, 1, 11, Sunday}, Dst {-60, 02:00:00, 2, 3,
// Sunday}; Windows' W. Europe and AUS Eastern rules) — derived from tzdata.
func TestNewSerializableTimeZone(t *testing.T) {
	cases := []struct {
		zone string
		year int
		want SerializableTimeZone
	}{
		{"America/New_York", 2025, SerializableTimeZone{Bias: 300,
			StandardTime: rule(0, "02:00:00", 1, time.November, time.Sunday),
			DaylightTime: rule(-60, "02:00:00", 2, time.March, time.Sunday)}},
		{"America/New_York", 2012, SerializableTimeZone{Bias: 300,
			StandardTime: rule(0, "02:00:00", 1, time.November, time.Sunday),
			DaylightTime: rule(-60, "02:00:00", 2, time.March, time.Sunday)}},
		// §2.3 EWS docs example PST: the pre-2007 US rule.
		{"America/Los_Angeles", 2006, SerializableTimeZone{Bias: 480,
			StandardTime: rule(0, "02:00:00", 5, time.October, time.Sunday),
			DaylightTime: rule(-60, "02:00:00", 1, time.April, time.Sunday)}},
		{"Europe/Berlin", 2025, SerializableTimeZone{Bias: -60,
			StandardTime: rule(0, "03:00:00", 5, time.October, time.Sunday),
			DaylightTime: rule(-60, "02:00:00", 5, time.March, time.Sunday)}},
		{"Europe/London", 2024, SerializableTimeZone{Bias: 0,
			StandardTime: rule(0, "02:00:00", 5, time.October, time.Sunday),
			DaylightTime: rule(-60, "01:00:00", 5, time.March, time.Sunday)}},
		// tzdata marks Irish winter as negative daylight time; EWS wants
		// GMT as standard time, like London.
		{"Europe/Dublin", 2024, SerializableTimeZone{Bias: 0,
			StandardTime: rule(0, "02:00:00", 5, time.October, time.Sunday),
			DaylightTime: rule(-60, "01:00:00", 5, time.March, time.Sunday)}},
		{"Australia/Sydney", 2025, SerializableTimeZone{Bias: -600,
			StandardTime: rule(0, "03:00:00", 1, time.April, time.Sunday),
			DaylightTime: rule(-60, "02:00:00", 1, time.October, time.Sunday)}},
		{"Asia/Tokyo", 2025, utcTimeZone()},
		{"Asia/Kolkata", 2025, func() SerializableTimeZone { z := utcTimeZone(); z.Bias = -330; return z }()},
		{"UTC", 2025, utcTimeZone()},
	}
	for _, c := range cases {
		t.Run(c.zone, func(t *testing.T) {
			got := NewSerializableTimeZone(mustLoad(t, c.zone), c.year)
			if c.zone == "Asia/Tokyo" {
				c.want.Bias = -540
			}
			assert.Equal(t, c.want, got)
		})
	}
}

// Every Windows zone's golden IANA zone, expressed as a rule and turned back
// into a Location, must give the same offset as tzdata at every hour of the
// year (for zones whose year fits the rule model: two transitions or none).
func TestSerializableTimeZoneRoundTripAllZones(t *testing.T) {
	const year = 2025
	for _, id := range freebusy.WindowsZoneIDs() {
		golden, ok := freebusy.WindowsToIANA(id)
		require.True(t, ok, id)
		loc := mustLoad(t, golden)
		tz := NewSerializableTimeZone(loc, year)
		if countTransitions(loc, year) > 2 {
			continue // Morocco's Ramadan: approximated on purpose
		}
		for _, name := range []string{"matched", "rules"} {
			var got *time.Location
			var err error
			if name == "matched" {
				got, err = tz.Location(year)
			} else if tz.HasDaylight() {
				got, err = ruleLocation(tz.normalized())
			} else {
				continue
			}
			require.NoError(t, err, golden)
			for h := 0; h < 365*24; h++ {
				at := time.Date(year, 1, 1, h, 0, 0, 0, time.UTC)
				_, o1 := at.In(loc).Zone()
				_, o2 := at.In(got).Zone()
				if o1 != o2 {
					t.Errorf("%s (%s) at %s: tzdata %d, %s location %d", golden, id, at.Format(time.RFC3339), o1, name, o2)
					break
				}
			}
		}
	}
}

func countTransitions(loc *time.Location, year int) int {
	n := 0
	t := time.Date(year, 1, 1, 0, 0, 0, 0, loc)
	end := time.Date(year+1, 1, 1, 0, 0, 0, 0, loc)
	for i := 0; i < 16; i++ {
		_, e := t.ZoneBounds()
		if e.IsZero() || !e.Before(end) {
			break
		}
		n++
		t = e
	}
	return n
}

// Source: docs/exchange.md §2.3 — the EWS docs PST example (pre-2007
// rule) matches America/Los_Angeles in 2006, but no zone in 2025: then the
// rule itself is evaluated, which puts 2025-03-20 in standard time although
// Los Angeles is already on daylight time.
func TestSerializableTimeZoneLocation(t *testing.T) {
	pst := SerializableTimeZone{Bias: 480,
		StandardTime: rule(0, "02:00:00", 5, time.October, time.Sunday),
		DaylightTime: rule(-60, "02:00:00", 1, time.April, time.Sunday)}
	loc, err := pst.Location(2006)
	require.NoError(t, err)
	assert.Equal(t, "America/Los_Angeles", loc.String())

	loc, err = pst.Location(2025)
	require.NoError(t, err)
	assert.NotEqual(t, "America/Los_Angeles", loc.String())
	_, off := time.Date(2025, 3, 20, 12, 0, 0, 0, loc).Zone()
	assert.Equal(t, -8*3600, off, "old US rule: still standard time on March 20")
	_, off = time.Date(2025, 4, 7, 12, 0, 0, 0, loc).Zone()
	assert.Equal(t, -7*3600, off)
	_, off = time.Date(2025, 10, 27, 12, 0, 0, 0, loc).Zone()
	assert.Equal(t, -8*3600, off, "last Sunday of October 2025 is the 26th")

	// DayOrder -1 means last, as 5 does (§2.3, exchangelib).
	cet := SerializableTimeZone{Bias: -60,
		StandardTime: rule(0, "03:00:00", -1, time.October, time.Sunday),
		DaylightTime: rule(-60, "02:00:00", -1, time.March, time.Sunday)}
	loc, err = cet.Location(2025)
	require.NoError(t, err)
	assert.Equal(t, "Europe/Berlin", loc.String())

	// The dummy zones real clients send for UTC (§2.2 client quirks).
	javaUTC := SerializableTimeZone{Bias: 0,
		StandardTime: rule(0, "02:00:00", 1, time.March, time.Sunday),
		DaylightTime: rule(0, "02:00:00", 1, time.October, time.Sunday)}
	loc, err = javaUTC.Location(2025)
	require.NoError(t, err)
	assert.Equal(t, time.UTC, loc)
	evoUTC := SerializableTimeZone{StandardTime: rule(0, "00:00:00", 0, 0, time.Sunday), DaylightTime: rule(0, "00:00:00", 0, 0, time.Sunday)}
	loc, err = evoUTC.Location(2025)
	require.NoError(t, err)
	assert.Equal(t, time.UTC, loc)

	ist := utcTimeZone()
	ist.Bias = -330
	loc, err = ist.Location(2025)
	require.NoError(t, err)
	_, off = time.Date(2025, 1, 1, 0, 0, 0, 0, loc).Zone()
	assert.Equal(t, 5*3600+1800, off)
	jst := utcTimeZone()
	jst.Bias = -540
	loc, err = jst.Location(2025)
	require.NoError(t, err)
	assert.Equal(t, "Etc/GMT-9", loc.String())
}

func TestSerializableTimeZoneValidate(t *testing.T) {
	bad := []struct {
		field string
		tz    SerializableTimeZone
	}{
		{"Bias", SerializableTimeZone{Bias: 2000}},
		{"StandardTime/DayOrder", SerializableTimeZone{StandardTime: SerializableTimeZoneTime{DayOrder: 6}}},
		{"DaylightTime/Month", SerializableTimeZone{DaylightTime: SerializableTimeZoneTime{Month: 13}}},
		{"DaylightTime/Time", SerializableTimeZone{DaylightTime: SerializableTimeZoneTime{Time: 25 * time.Hour}}},
		{"StandardTime/DayOfWeek", SerializableTimeZone{StandardTime: SerializableTimeZoneTime{DayOfWeek: 7}}},
		{"DaylightTime/Bias", SerializableTimeZone{Bias: 1440, DaylightTime: SerializableTimeZoneTime{Bias: 60}}},
	}
	for _, c := range bad {
		_, err := c.tz.Location(2025)
		var tze *TimeZoneError
		require.True(t, errors.As(err, &tze), c.field)
		assert.Equal(t, c.field, tze.Field)
		assert.ErrorIs(t, err, freebusy.ErrInvalid)
	}
}

// Source: docs/exchange.md §7 item 11 — date-times with and without
// offsets: "2012-05-16T08:00:00-04:00" is an instant; "2014-02-13T08:00:00"
// is a wall time in the request's zone.
func TestParseDateTime(t *testing.T) {
	ny := mustLoad(t, "America/New_York")
	cases := []struct {
		in     string
		loc    *time.Location
		want   time.Time
		offset bool
		out    string
	}{
		{"2012-05-16T08:00:00-04:00", ny, time.Date(2012, 5, 16, 12, 0, 0, 0, time.UTC), true, "2012-05-16T08:00:00-04:00"},
		{"2012-05-16T08:00:00-04:00", time.UTC, time.Date(2012, 5, 16, 12, 0, 0, 0, time.UTC), true, "2012-05-16T08:00:00-04:00"},
		{"2014-02-13T08:00:00", ny, time.Date(2014, 2, 13, 13, 0, 0, 0, time.UTC), false, "2014-02-13T08:00:00"},
		{"2014-02-13T08:00:00", time.UTC, time.Date(2014, 2, 13, 8, 0, 0, 0, time.UTC), false, "2014-02-13T08:00:00"},
		{"2006-10-16T06:00:00-07:00", nil, time.Date(2006, 10, 16, 13, 0, 0, 0, time.UTC), true, "2006-10-16T06:00:00-07:00"},
		{"2024-03-05T09:00:00Z", ny, time.Date(2024, 3, 5, 9, 0, 0, 0, time.UTC), true, "2024-03-05T09:00:00Z"},
		{"2019-03-15T12:00:00.0000000", nil, time.Date(2019, 3, 15, 12, 0, 0, 0, time.UTC), false, "2019-03-15T12:00:00"},
		{"2019-03-15T12:00:00.25+05:30", nil, time.Date(2019, 3, 15, 6, 30, 0, 250e6, time.UTC), true, "2019-03-15T12:00:00.25+05:30"},
		{"2014-02-13", ny, time.Date(2014, 2, 13, 5, 0, 0, 0, time.UTC), false, "2014-02-13T00:00:00"},
		{"2014-02-13T24:00:00", time.UTC, time.Date(2014, 2, 14, 0, 0, 0, 0, time.UTC), false, "2014-02-14T00:00:00"},
		{" 2014-02-13T08:00:00 ", time.UTC, time.Date(2014, 2, 13, 8, 0, 0, 0, time.UTC), false, "2014-02-13T08:00:00"},
	}
	for _, c := range cases {
		dt, err := parseDateTime(c.in)
		require.NoError(t, err, c.in)
		assert.True(t, c.want.Equal(dt.In(c.loc)), "%s: got %s", c.in, dt.In(c.loc))
		assert.Equal(t, c.offset, dt.HasOffset, c.in)
		assert.Equal(t, c.out, dt.String(), c.in)
	}
	for _, bad := range []string{"", "2014", "2014-02-30", "2014-13-01", "2014-02-13T25:00:00", "2014-02-13T08:00", "2014-02-13T08:00:00+5", "2014-02-13T08:00:00.", "2014-02-13T24:00:01", "2014-02-13T08:00:00Zjunk", "２０14-02-13"} {
		_, err := parseDateTime(bad)
		var pe *freebusy.ParseError
		assert.True(t, errors.As(err, &pe), "%q", bad)
	}
}

func TestDateTimeConstructors(t *testing.T) {
	ny := mustLoad(t, "America/New_York")
	at := time.Date(2024, 7, 1, 14, 30, 0, 0, time.UTC)
	assert.Equal(t, "2024-07-01T10:30:00", localDateTime(at, ny).String())
	assert.Equal(t, "2024-07-01T10:30:00-04:00", offsetDateTime(at.In(ny)).String())
	assert.True(t, at.Equal(localDateTime(at, ny).In(ny)))
	assert.True(t, at.Equal(offsetDateTime(at.In(ny)).In(nil)))
}
