package freebusy

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// day0 is the day most table tests happen on: the date of the derived EWS
// example in docs/exchange.md §2.6.
var day0 = time.Date(2024, 3, 5, 0, 0, 0, 0, time.UTC)

// tm returns day0 at "15:04" UTC; "d+1 15:04" is a day later.
func tm(t testing.TB, hm string) time.Time {
	t.Helper()
	days := 0
	if len(hm) > 4 && hm[0] == 'd' {
		var rest string
		days = int(hm[2] - '0')
		if hm[1] == '-' {
			days = -days
		}
		rest = hm[4:]
		hm = rest
	}
	c, err := time.Parse("15:04", hm)
	require.NoError(t, err, "test clock %q", hm)
	return day0.AddDate(0, 0, days).Add(time.Duration(c.Hour())*time.Hour + time.Duration(c.Minute())*time.Minute)
}

// span is an Interval from clock strings, for tables.
type span struct {
	from, to string
	status   Status
}

func spans(t testing.TB, ss ...span) []Interval {
	t.Helper()
	var out []Interval
	for _, s := range ss {
		out = append(out, Interval{Start: tm(t, s.from), End: tm(t, s.to), Status: s.status})
	}
	return out
}

func mustLoad(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	require.NoError(t, err, "tzdata for %s", name)
	return loc
}
