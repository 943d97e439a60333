package das

import (
	"bytes"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/calbridge/calbridge/freebusy"
)

// Golden vector: docs/notes.md §2.2.6 and §10 vector 4 — the IBM JSON
// sample's inverted first block (20:08:35 -> 20:05:00) is dropped and
// counted; the non-working blocks are busy.
func TestBusyTimeScheduleIBMSample(t *testing.T) {
	bt, err := DecodeBusyTime(bytes.NewReader(readDASTestdata(t, "busytime-ibm-sample.json")))
	require.NoError(t, err)
	start, end := dasUTC(2013, 11, 5, 20, 8, 35), dasUTC(2013, 12, 5, 20, 8, 35)
	s, rep, err := bt.Schedule("jane@example.com", start, end)
	require.NoError(t, err)
	assert.Equal(t, 1, rep.Inverted)
	assert.Zero(t, rep.Uncovered)
	assert.Equal(t, "jane@example.com", s.Attendee)
	assert.Nil(t, s.Err)
	assert.Equal(t, []freebusy.Interval{
		{Start: dasUTC(2013, 11, 5, 22, 0, 0), End: dasUTC(2013, 11, 6, 14, 0, 0), Status: freebusy.Busy},
		{Start: dasUTC(2013, 11, 6, 17, 0, 0), End: dasUTC(2013, 11, 6, 18, 0, 0), Status: freebusy.Busy},
		{Start: dasUTC(2013, 11, 6, 22, 0, 0), End: dasUTC(2013, 11, 7, 14, 0, 0), Status: freebusy.Busy},
	}, s.Intervals)
	assert.Equal(t, freebusy.Free, s.StatusAt(dasUTC(2013, 11, 5, 20, 10, 0)), "time after the inverted block is free")
}

// docs/notes.md §2.2.6 (extlib README run): a whole weekend of
// non-working time, 2017-02-24T22:00 to 2017-02-27T14:00, arrives as one
// busy block.
func TestBusyTimeScheduleWeekendBlock(t *testing.T) {
	bt := &BusyTime{
		Start:     NewDateTime(dasUTC(2017, 2, 24, 0, 0, 0)),
		End:       NewDateTime(dasUTC(2017, 3, 1, 0, 0, 0)),
		BusyTimes: []DateTimeRange{{Start: NewDateTime(dasUTC(2017, 2, 24, 22, 0, 0)), End: NewDateTime(dasUTC(2017, 2, 27, 14, 0, 0))}},
	}
	s, _, err := bt.Schedule("a", dasUTC(2017, 2, 24, 0, 0, 0), dasUTC(2017, 3, 1, 0, 0, 0))
	require.NoError(t, err)
	assert.Equal(t, []freebusy.Interval{{Start: dasUTC(2017, 2, 24, 22, 0, 0), End: dasUTC(2017, 2, 27, 14, 0, 0), Status: freebusy.Busy}}, s.Intervals)
}

// Time asked about that DAS did not answer for is Unknown, never Free.
func TestBusyTimeScheduleUncovered(t *testing.T) {
	day := dasUTC(2026, 3, 2, 0, 0, 0)
	mk := func(ws, we time.Time) *BusyTime {
		return &BusyTime{Start: NewDateTime(ws), End: NewDateTime(we),
			BusyTimes: []DateTimeRange{{Start: NewDateTime(day.Add(10 * time.Hour)), End: NewDateTime(day.Add(11 * time.Hour))}}}
	}
	tests := []struct {
		name      string
		bt        *BusyTime
		want      []freebusy.Interval
		uncovered time.Duration
	}{
		{
			name: "DAS window starts late and ends early",
			bt:   mk(day.Add(8*time.Hour), day.Add(20*time.Hour)),
			want: []freebusy.Interval{
				{Start: day, End: day.Add(8 * time.Hour), Status: freebusy.Unknown},
				{Start: day.Add(10 * time.Hour), End: day.Add(11 * time.Hour), Status: freebusy.Busy},
				{Start: day.Add(20 * time.Hour), End: day.Add(24 * time.Hour), Status: freebusy.Unknown},
			},
			uncovered: 12 * time.Hour,
		},
		{
			name:      "DAS window elsewhere: everything unknown but the busy block",
			bt:        mk(day.Add(-48*time.Hour), day.Add(-24*time.Hour)),
			uncovered: 24 * time.Hour,
			want: []freebusy.Interval{
				{Start: day, End: day.Add(10 * time.Hour), Status: freebusy.Unknown},
				{Start: day.Add(10 * time.Hour), End: day.Add(11 * time.Hour), Status: freebusy.Busy},
				{Start: day.Add(11 * time.Hour), End: day.Add(24 * time.Hour), Status: freebusy.Unknown},
			},
		},
		{
			name:      "inverted DAS window answers for nothing",
			bt:        mk(day.Add(24*time.Hour), day),
			uncovered: 24 * time.Hour,
			want: []freebusy.Interval{
				{Start: day, End: day.Add(10 * time.Hour), Status: freebusy.Unknown},
				{Start: day.Add(10 * time.Hour), End: day.Add(11 * time.Hour), Status: freebusy.Busy},
				{Start: day.Add(11 * time.Hour), End: day.Add(24 * time.Hour), Status: freebusy.Unknown},
			},
		},
		{
			name: "DAS window wider than asked",
			bt:   mk(day.Add(-time.Hour), day.Add(25*time.Hour)),
			want: []freebusy.Interval{{Start: day.Add(10 * time.Hour), End: day.Add(11 * time.Hour), Status: freebusy.Busy}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, rep, err := tt.bt.Schedule("a", day, day.Add(24*time.Hour))
			require.NoError(t, err)
			assert.Equal(t, tt.want, s.Intervals)
			assert.Equal(t, tt.uncovered, rep.Uncovered)
		})
	}
}

func TestBusyTimeScheduleErrors(t *testing.T) {
	good := NewDateTime(dasUTC(2026, 3, 2, 0, 0, 0))
	bad := DateTime{Date: "2026-03-02", Time: "x", UTC: true}
	_, _, err := (&BusyTime{Start: good, End: good}).Schedule("a", dasUTC(2026, 3, 2, 0, 0, 0), dasUTC(2026, 3, 2, 0, 0, 0))
	assert.ErrorIs(t, err, freebusy.ErrEmptyWindow)
	_, _, err = (&BusyTime{Start: bad, End: good}).Schedule("a", dasUTC(2026, 3, 2, 0, 0, 0), dasUTC(2026, 3, 3, 0, 0, 0))
	assert.ErrorIs(t, err, freebusy.ErrInvalid)
	_, _, err = (&BusyTime{Start: good, End: good, BusyTimes: []DateTimeRange{{Start: good, End: bad}}}).Schedule("a", dasUTC(2026, 3, 2, 0, 0, 0), dasUTC(2026, 3, 3, 0, 0, 0))
	assert.ErrorIs(t, err, freebusy.ErrInvalid)
}

// The freebusy -> DAS rules of docs/mapping.md §3.7, one row per status.
func TestNewBusyTimeMapping(t *testing.T) {
	day := dasUTC(2026, 3, 2, 0, 0, 0)
	h := func(n int) time.Time { return day.Add(time.Duration(n) * time.Hour) }
	sched := freebusy.Schedule{
		Attendee: "a", Start: day, End: h(24),
		Intervals: []freebusy.Interval{
			{Start: h(1), End: h(2), Status: freebusy.Busy},
			{Start: h(2), End: h(3), Status: freebusy.OutOfOffice}, // joins the busy block
			{Start: h(4), End: h(5), Status: freebusy.Tentative},
			{Start: h(6), End: h(7), Status: freebusy.Unknown},
			{Start: h(8), End: h(9), Status: freebusy.WorkingElsewhere},
			{Start: h(10), End: h(11), Status: freebusy.Free},
		},
	}
	rng := func(a, b int) DateTimeRange {
		return DateTimeRange{Start: NewDateTime(h(a)), End: NewDateTime(h(b))}
	}
	tests := []struct {
		name string
		opt  BusyTimeOptions
		want []DateTimeRange
	}{
		{"default: tentative is busy (KB Q199643)", BusyTimeOptions{}, []DateTimeRange{rng(1, 3), rng(4, 5), rng(6, 7)}},
		{"explicit busy", BusyTimeOptions{TentativeAsFree: false}, []DateTimeRange{rng(1, 3), rng(4, 5), rng(6, 7)}},
		{"tentative as free (Notes penciled-in)", BusyTimeOptions{TentativeAsFree: true}, []DateTimeRange{rng(1, 3), rng(6, 7)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bt, rep, err := NewBusyTime(sched, tt.opt)
			require.NoError(t, err)
			assert.Equal(t, NewDateTime(day), bt.Start)
			assert.Equal(t, NewDateTime(h(24)), bt.End)
			assert.Equal(t, tt.want, bt.BusyTimes)
			assert.Equal(t, ScheduleReport{Tentative: 1, Unknown: 1, OutOfOffice: 1, WorkingElsewhere: 1}, rep)
		})
	}
}

func TestNewBusyTimeWidensToWholeSeconds(t *testing.T) {
	day := dasUTC(2026, 3, 2, 0, 0, 0)
	s := freebusy.Schedule{Attendee: "a", Start: day, End: day.Add(time.Hour), Intervals: []freebusy.Interval{
		{Start: day.Add(10*time.Minute + 300*time.Millisecond), End: day.Add(20*time.Minute + 1*time.Millisecond), Status: freebusy.Busy},
	}}
	bt, _, err := NewBusyTime(s, BusyTimeOptions{})
	require.NoError(t, err)
	require.Len(t, bt.BusyTimes, 1)
	assert.Equal(t, "00:10:00", bt.BusyTimes[0].Start.Time)
	assert.Equal(t, "00:20:01", bt.BusyTimes[0].End.Time)
}

// The rule of docs/mapping.md §4.8, as in every encoder: fractions round
// outward, so a sub-second busy block is a one-second period, never an
// empty one (DAS periods are whole seconds, docs/notes.md §2.2.3), the
// window widens the same way, and periods that widening makes overlap
// are joined instead of written overlapping.
func TestNewBusyTimeSubSecondRoundsOutward(t *testing.T) {
	day := dasUTC(2026, 3, 2, 9, 0, 0)
	ms := func(n int) time.Time { return day.Add(time.Duration(n) * time.Millisecond) }
	s := freebusy.Schedule{Attendee: "a", Start: ms(-500), End: ms(10_250), Intervals: []freebusy.Interval{
		{Start: ms(200), End: ms(800), Status: freebusy.Busy},
		{Start: ms(3_200), End: ms(4_500), Status: freebusy.Busy},
		{Start: ms(4_700), End: ms(5_500), Status: freebusy.OutOfOffice},
		{Start: ms(9_999), End: ms(10_250), Status: freebusy.Tentative},
	}}
	bt, _, err := NewBusyTime(s, BusyTimeOptions{})
	require.NoError(t, err)
	assert.Equal(t, "08:59:59", bt.Start.Time)
	assert.Equal(t, "09:00:11", bt.End.Time)
	var got []string
	for _, r := range bt.BusyTimes {
		got = append(got, r.Start.Time+"-"+r.End.Time)
	}
	assert.Equal(t, []string{"09:00:00-09:00:01", "09:00:03-09:00:06", "09:00:09-09:00:11"}, got)
}

func TestNewBusyTimeRefusesFailedAndInvalid(t *testing.T) {
	day := dasUTC(2026, 3, 2, 0, 0, 0)
	failed := freebusy.Failed("a", day, day.Add(time.Hour), freebusy.ReasonUnknownAttendee, nil)
	_, _, err := NewBusyTime(failed, BusyTimeOptions{})
	assert.ErrorIs(t, err, freebusy.ErrUnknownAttendee)

	_, _, err = NewBusyTime(freebusy.Schedule{Attendee: "a", Start: day, End: day}, BusyTimeOptions{})
	assert.ErrorIs(t, err, freebusy.ErrEmptyWindow)

	_, _, err = NewBusyTime(freebusy.Schedule{Attendee: "a", Start: day, End: day.Add(time.Hour),
		Intervals: []freebusy.Interval{{Start: day, End: day.Add(time.Minute), Status: freebusy.Status(42)}}}, BusyTimeOptions{})
	assert.ErrorIs(t, err, freebusy.ErrInvalid)
}

// Round trip freebusy -> DAS -> freebusy keeps busy time and turns every
// lossy status into what the table says.
func TestRoundTrip(t *testing.T) {
	day := dasUTC(2026, 3, 2, 0, 0, 0)
	in := freebusy.Schedule{Attendee: "a", Start: day, End: day.Add(24 * time.Hour), Intervals: []freebusy.Interval{
		{Start: day.Add(9 * time.Hour), End: day.Add(10 * time.Hour), Status: freebusy.Busy},
		{Start: day.Add(10 * time.Hour), End: day.Add(11 * time.Hour), Status: freebusy.Tentative},
		{Start: day.Add(13 * time.Hour), End: day.Add(14 * time.Hour), Status: freebusy.Unknown},
	}}
	bt, _, err := NewBusyTime(in, BusyTimeOptions{})
	require.NoError(t, err)
	out, _, err := bt.Schedule("a", in.Start, in.End)
	require.NoError(t, err)
	assert.Equal(t, []freebusy.Interval{
		{Start: day.Add(9 * time.Hour), End: day.Add(11 * time.Hour), Status: freebusy.Busy},
		{Start: day.Add(13 * time.Hour), End: day.Add(14 * time.Hour), Status: freebusy.Busy},
	}, out.Intervals)
}
