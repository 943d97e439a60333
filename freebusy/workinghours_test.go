package freebusy

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var everyDay = []time.Weekday{time.Sunday, time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday}

func nineToFive(loc *time.Location) *WorkingHours {
	return &WorkingHours{Location: loc, Periods: []WorkingPeriod{{Days: everyDay, Start: 9 * time.Hour, End: 17 * time.Hour}}}
}

// TestWorkingHoursExpandAcrossDST checks the failure the old connector had
// (docs/notes.md §7.3, KB 915494: hard-coded DST tables shifted blocks by
// an hour): 09:00-17:00 local stays 09:00-17:00 local on the days before,
// of and after each change, so its UTC offset moves with the zone.
func TestWorkingHoursExpandAcrossDST(t *testing.T) {
	tests := []struct {
		zone    string
		day     string // the day of the change, local
		before  time.Duration
		after   time.Duration
		dayLong time.Duration // length of the local day of the change
	}{
		{"Europe/Berlin", "2024-03-31", time.Hour, 2 * time.Hour, 23 * time.Hour}, // spring forward 02:00 -> 03:00
		{"Europe/Berlin", "2024-10-27", 2 * time.Hour, time.Hour, 25 * time.Hour}, // fall back 03:00 -> 02:00
		{"America/New_York", "2024-03-10", -5 * time.Hour, -4 * time.Hour, 23 * time.Hour},
		{"America/New_York", "2024-11-03", -4 * time.Hour, -5 * time.Hour, 25 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.zone+" "+tt.day, func(t *testing.T) {
			loc := mustLoad(t, tt.zone)
			d, err := time.ParseInLocation("2006-01-02", tt.day, loc)
			require.NoError(t, err)
			prev := time.Date(d.Year(), d.Month(), d.Day()-1, 0, 0, 0, 0, loc)
			next := time.Date(d.Year(), d.Month(), d.Day()+1, 0, 0, 0, 0, loc)
			require.Equal(t, tt.dayLong, next.Sub(d), "tzdata sanity: the day of the change")

			got, err := nineToFive(loc).Expand(prev, time.Date(d.Year(), d.Month(), d.Day()+2, 0, 0, 0, 0, loc))
			require.NoError(t, err)
			require.Len(t, got, 3)
			offsets := []time.Duration{tt.before, tt.after, tt.after}
			for i, iv := range got {
				local := time.Date(d.Year(), d.Month(), d.Day()-1+i, 0, 0, 0, 0, time.UTC)
				wantStart := local.Add(9*time.Hour - offsets[i])
				assert.Equal(t, wantStart, iv.Start, "day %d start", i)
				assert.Equal(t, 8*time.Hour, iv.Duration(), "day %d: 8 working hours, even on a 23- or 25-hour day", i)
				assert.Equal(t, 9, iv.Start.In(loc).Hour(), "09:00 local stays 09:00 local")
				assert.Equal(t, 17, iv.End.In(loc).Hour())
				assert.Equal(t, time.UTC, iv.Start.Location())
				assert.Equal(t, Free, iv.Status)
			}
		})
	}
}

// TestWorkingHoursWholeDay checks 23- and 25-hour days: a 00:00-24:00
// period covers the real length of the local day.
func TestWorkingHoursWholeDay(t *testing.T) {
	tests := []struct {
		zone string
		day  string
		want time.Duration
	}{
		{"Europe/Berlin", "2024-03-31", 23 * time.Hour},
		{"Europe/Berlin", "2024-10-27", 25 * time.Hour},
		{"Europe/Berlin", "2024-06-01", 24 * time.Hour},
		{"America/New_York", "2024-03-10", 23 * time.Hour},
		{"America/New_York", "2024-11-03", 25 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.zone+" "+tt.day, func(t *testing.T) {
			loc := mustLoad(t, tt.zone)
			d, err := time.ParseInLocation("2006-01-02", tt.day, loc)
			require.NoError(t, err)
			w := &WorkingHours{Location: loc, Periods: []WorkingPeriod{{Days: []time.Weekday{d.Weekday()}, Start: 0, End: 24 * time.Hour}}}
			got, err := w.Expand(d.Add(-48*time.Hour), d.Add(72*time.Hour))
			require.NoError(t, err)
			require.Len(t, got, 1, "only the one weekday")
			assert.Equal(t, d.UTC(), got[0].Start)
			assert.Equal(t, tt.want, got[0].Duration())
		})
	}
}

// TestWorkingHoursAcrossLocalMidnight covers windows and shifts that cross
// local midnight: a night shift is two periods (22:00-24:00 and
// 00:00-06:00) that Expand joins into one stretch.
func TestWorkingHoursAcrossLocalMidnight(t *testing.T) {
	berlin := mustLoad(t, "Europe/Berlin")
	night := &WorkingHours{Location: berlin, Periods: []WorkingPeriod{
		{Days: everyDay, Start: 22 * time.Hour, End: 24 * time.Hour},
		{Days: everyDay, Start: 0, End: 6 * time.Hour},
	}}
	local := func(y int, m time.Month, d, h int) time.Time { return time.Date(y, m, d, h, 0, 0, 0, berlin) }
	tests := []struct {
		name       string
		start, end time.Time
		want       []Interval
	}{
		{"ordinary night", local(2024, 6, 7, 20), local(2024, 6, 8, 8),
			[]Interval{NewInterval(local(2024, 6, 7, 22), local(2024, 6, 8, 6), Free)}},
		{"fall-back night is 9 hours", local(2024, 10, 26, 20), local(2024, 10, 27, 8),
			[]Interval{NewInterval(local(2024, 10, 26, 22), local(2024, 10, 27, 6), Free)}},
		{"spring-forward night is 7 hours", local(2024, 3, 30, 20), local(2024, 3, 31, 8),
			[]Interval{NewInterval(local(2024, 3, 30, 22), local(2024, 3, 31, 6), Free)}},
		{"window starts after midnight", local(2024, 6, 8, 1), local(2024, 6, 8, 12),
			[]Interval{NewInterval(local(2024, 6, 8, 1), local(2024, 6, 8, 6), Free)}},
		{"window ends before midnight", local(2024, 6, 7, 12), local(2024, 6, 7, 23),
			[]Interval{NewInterval(local(2024, 6, 7, 22), local(2024, 6, 7, 23), Free)}},
		{"window of one hour inside", local(2024, 6, 8, 2), local(2024, 6, 8, 3),
			[]Interval{NewInterval(local(2024, 6, 8, 2), local(2024, 6, 8, 3), Free)}},
		{"window in the day gap", local(2024, 6, 8, 7), local(2024, 6, 8, 21), nil},
		{"empty window", local(2024, 6, 8, 2), local(2024, 6, 8, 2), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := night.Expand(tt.start, tt.end)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
	got, err := night.Expand(local(2024, 10, 26, 20), local(2024, 10, 27, 8))
	require.NoError(t, err)
	require.Len(t, got, 1)
	assert.Equal(t, 9*time.Hour, got[0].Duration())
	got, err = night.Expand(local(2024, 3, 30, 20), local(2024, 3, 31, 8))
	require.NoError(t, err)
	require.Len(t, got, 1)
	assert.Equal(t, 7*time.Hour, got[0].Duration())
}

// TestWorkingHoursUTCWindowCrossesLocalMidnight: a UTC window that starts on
// the previous local day (Tokyo is 9 hours ahead) still sees that day.
func TestWorkingHoursUTCWindowCrossesLocalMidnight(t *testing.T) {
	tokyo := mustLoad(t, "Asia/Tokyo")
	w := &WorkingHours{Location: tokyo, Periods: []WorkingPeriod{{Days: []time.Weekday{time.Tuesday}, Start: 9 * time.Hour, End: 18 * time.Hour}}}
	// 2024-03-04 (Monday) 20:00 UTC is Tuesday 05:00 in Tokyo.
	got, err := w.Expand(time.Date(2024, 3, 4, 20, 0, 0, 0, time.UTC), time.Date(2024, 3, 5, 20, 0, 0, 0, time.UTC))
	require.NoError(t, err)
	assert.Equal(t, []Interval{{Start: time.Date(2024, 3, 5, 0, 0, 0, 0, time.UTC), End: time.Date(2024, 3, 5, 9, 0, 0, 0, time.UTC), Status: Free}}, got)
}

func TestWorkingHoursWeekdaysAndOverlaps(t *testing.T) {
	w := &WorkingHours{Location: time.UTC, Periods: []WorkingPeriod{
		{Days: []time.Weekday{time.Monday, time.Wednesday}, Start: 9 * time.Hour, End: 12 * time.Hour},
		{Days: []time.Weekday{time.Monday}, Start: 11 * time.Hour, End: 13 * time.Hour}, // overlaps the first on Monday
		{Days: []time.Weekday{time.Monday}, Start: 13 * time.Hour, End: 14 * time.Hour}, // touches it
	}}
	mon := time.Date(2024, 3, 4, 0, 0, 0, 0, time.UTC)
	got, err := w.Expand(mon, mon.AddDate(0, 0, 7))
	require.NoError(t, err)
	assert.Equal(t, []Interval{
		{Start: mon.Add(9 * time.Hour), End: mon.Add(14 * time.Hour), Status: Free},
		{Start: mon.AddDate(0, 0, 2).Add(9 * time.Hour), End: mon.AddDate(0, 0, 2).Add(12 * time.Hour), Status: Free},
	}, got)
}

func TestWorkingHoursValidate(t *testing.T) {
	tests := []struct {
		name string
		w    WorkingHours
		ok   bool
	}{
		{"valid", *nineToFive(time.UTC), true},
		{"no periods", WorkingHours{Location: time.UTC}, true},
		{"no location", WorkingHours{Periods: nineToFive(time.UTC).Periods}, false},
		{"time.Local", WorkingHours{Location: time.Local}, false},
		{"start after end", WorkingHours{Location: time.UTC, Periods: []WorkingPeriod{{Days: everyDay, Start: 17 * time.Hour, End: 9 * time.Hour}}}, false},
		{"zero length", WorkingHours{Location: time.UTC, Periods: []WorkingPeriod{{Days: everyDay, Start: 9 * time.Hour, End: 9 * time.Hour}}}, false},
		{"negative start", WorkingHours{Location: time.UTC, Periods: []WorkingPeriod{{Days: everyDay, Start: -time.Hour, End: 9 * time.Hour}}}, false},
		{"past midnight", WorkingHours{Location: time.UTC, Periods: []WorkingPeriod{{Days: everyDay, Start: 22 * time.Hour, End: 25 * time.Hour}}}, false},
		{"fraction of a second", WorkingHours{Location: time.UTC, Periods: []WorkingPeriod{{Days: everyDay, Start: 9*time.Hour + time.Millisecond, End: 17 * time.Hour}}}, false},
		{"bad weekday", WorkingHours{Location: time.UTC, Periods: []WorkingPeriod{{Days: []time.Weekday{7}, Start: 9 * time.Hour, End: 17 * time.Hour}}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.w.Validate()
			_, expErr := tt.w.Expand(day0, day0.Add(24*time.Hour))
			if tt.ok {
				assert.NoError(t, err)
				assert.NoError(t, expErr)
				return
			}
			assert.ErrorIs(t, err, ErrBadWorkingHours)
			assert.ErrorIs(t, expErr, ErrBadWorkingHours)
			_, jsonErr := json.Marshal(tt.w)
			assert.Error(t, jsonErr, "invalid working hours are not written")
		})
	}
}

func TestWorkingHoursJSON(t *testing.T) {
	berlin := mustLoad(t, "Europe/Berlin")
	w := WorkingHours{Location: berlin, Periods: []WorkingPeriod{
		{Days: []time.Weekday{time.Monday, time.Friday}, Start: 8*time.Hour + 30*time.Minute, End: 17 * time.Hour},
		{Days: []time.Weekday{time.Saturday}, Start: 0, End: 24 * time.Hour},
	}}
	b, err := json.Marshal(w)
	require.NoError(t, err)
	assert.JSONEq(t, `{"timeZone":"Europe/Berlin","periods":[{"days":["monday","friday"],"start":"08:30","end":"17:00"},{"days":["saturday"],"start":"00:00","end":"24:00"}]}`, string(b))
	var back WorkingHours
	require.NoError(t, json.Unmarshal(b, &back))
	assert.Equal(t, "Europe/Berlin", back.Location.String())
	assert.Equal(t, w.Periods, back.Periods)

	require.NoError(t, json.Unmarshal([]byte(`{"timeZone":"UTC","periods":[{"days":["Monday"],"start":"09:00","end":"17:00"}]}`), &back))
	assert.Equal(t, []time.Weekday{time.Monday}, back.Periods[0].Days, "weekday names compare case-insensitively")

	withSeconds := WorkingHours{Location: time.UTC, Periods: []WorkingPeriod{{Days: []time.Weekday{time.Monday}, Start: 9*time.Hour + 30*time.Second, End: 24 * time.Hour}}}
	b, err = json.Marshal(withSeconds)
	require.NoError(t, err)
	assert.JSONEq(t, `{"timeZone":"UTC","periods":[{"days":["monday"],"start":"09:00:30","end":"24:00"}]}`, string(b))
	require.NoError(t, json.Unmarshal(b, &back))
	assert.Equal(t, withSeconds.Periods, back.Periods)

	for _, bad := range []string{"24:01", "24:00:01", "25:00", "09:60", "09:00:60", "9:00", "+9:00", " 9:00", "09-00", "09:00:", "-1:00", "ab:cd", ""} {
		err := json.Unmarshal([]byte(`{"timeZone":"UTC","periods":[{"days":["monday"],"start":"`+bad+`","end":"24:00"}]}`), &back)
		assert.ErrorIs(t, err, ErrBadWorkingHours, "clock %q", bad)
	}
	assert.ErrorIs(t, json.Unmarshal([]byte(`{"timeZone":"","periods":[]}`), &back), ErrBadWorkingHours)
}

func TestBadWorkingHoursIsInvalid(t *testing.T) {
	err := (&WorkingHours{}).Validate()
	assert.ErrorIs(t, err, ErrBadWorkingHours)
	assert.ErrorIs(t, err, ErrInvalid)
	assert.Equal(t, ReasonInvalid, ReasonOf(err))
	assert.Equal(t, "freebusy: invalid working hours: no location", err.Error())
}

// FuzzWorkingHoursJSON: UnmarshalJSON never panics, rejects with an error
// matching ErrBadWorkingHours or a JSON error, and what it accepts is valid
// and survives MarshalJSON and UnmarshalJSON unchanged.
func FuzzWorkingHoursJSON(f *testing.F) {
	f.Add([]byte(`{"timeZone":"Europe/Berlin","periods":[{"days":["monday","friday"],"start":"08:30","end":"17:00"}]}`))
	f.Add([]byte(`{"timeZone":"America/New_York","periods":[{"days":["Sunday"],"start":"00:00","end":"24:00"},{"days":[],"start":"09:00:30","end":"10:00"}]}`))
	f.Add([]byte(`{"timeZone":"UTC","periods":[]}`))
	f.Add([]byte(`{"timeZone":"Local","periods":[]}`))
	f.Add([]byte(`{"timeZone":"../../etc/passwd","periods":[]}`))
	f.Add([]byte(`{"timeZone":"UTC","periods":[{"days":["monday"],"start":"17:00","end":"09:00"}]}`))
	f.Add([]byte(`{"timeZone":"UTC","periods":[{"days":["monday"],"start":"+9:00","end":"24:00"}]}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var w WorkingHours
		if err := json.Unmarshal(data, &w); err != nil {
			return
		}
		if w.Location == nil {
			return // JSON null leaves the value alone
		}
		require.NoError(t, w.Validate())
		b, err := json.Marshal(w)
		require.NoError(t, err)
		var back WorkingHours
		require.NoError(t, json.Unmarshal(b, &back), "%s", b)
		assert.Equal(t, w.Location.String(), back.Location.String())
		assert.Equal(t, w.Periods, back.Periods)
	})
}

// Zones where the DST change skips midnight (America/Santiago on
// 2024-09-08, America/Havana on 2024-03-10, Atlantic/Azores on
// 2024-03-31 ... ): time.Date puts 00:00 of that day on the day before, and
// Expand once looped forever on it. Every day of the window must still get
// its working hours, at the right local times.
func TestWorkingHoursExpandSkippedMidnight(t *testing.T) {
	for _, tc := range []struct {
		zone string
		day  time.Time // a day whose midnight is skipped (in UTC, as a date)
	}{
		{"America/Santiago", time.Date(2024, 9, 8, 0, 0, 0, 0, time.UTC)},
		{"America/Havana", time.Date(2024, 3, 10, 0, 0, 0, 0, time.UTC)},
		{"America/Asuncion", time.Date(2023, 10, 1, 0, 0, 0, 0, time.UTC)},
		{"America/Sao_Paulo", time.Date(2018, 11, 4, 0, 0, 0, 0, time.UTC)},
	} {
		t.Run(tc.zone, func(t *testing.T) {
			loc := mustLoad(t, tc.zone)
			every := []time.Weekday{time.Sunday, time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday}
			wh := &WorkingHours{Location: loc, Periods: []WorkingPeriod{{Days: every, Start: 9 * time.Hour, End: 17 * time.Hour}}}
			start := time.Date(tc.day.Year(), tc.day.Month(), tc.day.Day()-1, 0, 0, 0, 0, loc)
			end := start.AddDate(0, 0, 3)
			done := make(chan []Interval, 1)
			go func() {
				ivs, err := wh.Expand(start, end)
				assert.NoError(t, err)
				done <- ivs
			}()
			var ivs []Interval
			select {
			case ivs = <-done:
			case <-time.After(5 * time.Second):
				t.Fatal("Expand did not return")
			}
			require.Len(t, ivs, 3, "one period a day for three days")
			for i, iv := range ivs {
				s, e := iv.Start.In(loc), iv.End.In(loc)
				assert.Equal(t, 9, s.Hour(), "day %d starts at 09:00 local", i)
				assert.Equal(t, 17, e.Hour(), "day %d ends at 17:00 local", i)
				assert.Equal(t, tc.day.AddDate(0, 0, i-1).Day(), s.Day(), "day %d is its own date", i)
			}
		})
	}
}

func TestStartOfDay(t *testing.T) {
	santiago := mustLoad(t, "America/Santiago")
	got := StartOfDay(2024, time.September, 8, santiago)
	assert.Equal(t, time.Date(2024, 9, 8, 4, 0, 0, 0, time.UTC), got.UTC(), "the day begins at 01:00 -03 when the clocks jump")
	assert.Equal(t, time.Date(2024, 9, 9, 3, 0, 0, 0, time.UTC), StartOfDay(2024, time.September, 9, santiago).UTC())
	apia := mustLoad(t, "Pacific/Apia")
	assert.Equal(t, StartOfDay(2011, time.December, 31, apia), StartOfDay(2011, time.December, 30, apia), "a skipped day starts where the next one does")
	berlin := mustLoad(t, "Europe/Berlin")
	assert.Equal(t, time.Date(2024, 3, 31, 0, 0, 0, 0, berlin), StartOfDay(2024, time.March, 31, berlin), "ordinary DST days begin at midnight")
}

func TestWorkingHoursExpandBoundsTheWindow(t *testing.T) {
	wh := &WorkingHours{Location: time.UTC, Periods: []WorkingPeriod{{Days: []time.Weekday{time.Monday}, Start: 9 * time.Hour, End: 17 * time.Hour}}}
	_, err := wh.Expand(time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC))
	assert.ErrorIs(t, err, ErrWindowTooLong)
	ivs, err := wh.Expand(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	require.NoError(t, err)
	assert.Len(t, ivs, 53, "Mondays of 2024")
}
