package transport

import (
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/calbridge/calbridge/freebusy"
)

// The appender and the decoder have a fast path for the common interval
// (whole seconds at most nine digits after the base) beside the general
// one. These tests hold both to one behaviour at the edges between them.

// TestCompactPlainIntervalEdges decodes intervals on both sides of the
// fast path's edges and checks each against what the form says it is.
func TestCompactPlainIntervalEdges(t *testing.T) {
	const maxBase = int64(maxInstant) - 999_999_999
	for _, tc := range []struct {
		name   string
		base   int64
		triple string // start,end,status after the count
		start  int64  // seconds from base; checked when ok
		nsec   int64
		end    int64
		status freebusy.Status
		ok     bool
	}{
		{name: "zero", triple: "0,0,0", ok: true, status: freebusy.Unknown},
		{name: "week", base: 1772409600, triple: "32400,604800,3", start: 32400, end: 604800, status: freebusy.Busy, ok: true},
		{name: "nine digits", triple: "999999999,999999999,5", start: 999_999_999, end: 999_999_999, status: freebusy.WorkingElsewhere, ok: true},
		{name: "ten digits", triple: "1000000000,1000000001,1", start: 1_000_000_000, end: 1_000_000_001, status: freebusy.Free, ok: true},
		{name: "negative", base: 100, triple: "-100,-1,2", start: -100, end: -1, status: freebusy.Tentative, ok: true},
		{name: "fraction", triple: "1.5,2,4", start: 1, nsec: 5e8, end: 2, status: freebusy.OutOfOffice, ok: true},
		{name: "fraction zero", triple: "1.0,2,4", start: 1, end: 2, status: freebusy.OutOfOffice, ok: true},
		{name: "last instant", base: maxBase, triple: "999999999,999999999,3", start: 999_999_999, end: 999_999_999, status: freebusy.Busy, ok: true},
		{name: "past the last instant", base: maxBase + 1, triple: "0,999999999,3"},
		{name: "leading zero", triple: "01,2,3"},
		{name: "exponent", triple: "1e3,2,3"},
		{name: "status six", triple: "1,2,6"},
		{name: "status two digits", triple: "1,2,33"},
		{name: "status missing", triple: "1,2,"},
		{name: "end missing", triple: "1,,3"},
		{name: "thirteen digits", triple: "1000000000000,1,3"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc := `{"form":"compact1","base":` + strconv.FormatInt(tc.base, 10) +
				`,"schedules":[{"start":0,"end":0,"intervals":[1,` + tc.triple + `]}]}`
			ss, err := DecodeCompactSchedules([]byte(doc))
			if !tc.ok {
				var ce *CompactError
				require.ErrorAs(t, err, &ce, "%s", doc)
				return
			}
			require.NoError(t, err, doc)
			require.Len(t, ss, 1)
			require.Len(t, ss[0].Intervals, 1)
			want := freebusy.Interval{
				Start:  time.Unix(tc.base+tc.start, tc.nsec).UTC(),
				End:    time.Unix(tc.base+tc.end, 0).UTC(),
				Status: tc.status,
			}
			assert.Equal(t, want, ss[0].Intervals[0])
			assert.Equal(t, 1, cap(ss[0].Intervals), "an interval slice is capped at its length")
		})
	}
}

// TestCompactPlainIntervalsRoundTrip writes intervals on both sides of the
// appender's fast path (before the base, nine and ten digits after it,
// fractions, another zone) and reads them back as the same instants.
func TestCompactPlainIntervalsRoundTrip(t *testing.T) {
	base := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	berlin, err := time.LoadLocation("Europe/Berlin")
	require.NoError(t, err)
	var ivs []freebusy.Interval
	for _, off := range []time.Duration{0, time.Second, 9 * time.Second, 10 * time.Second, 99 * time.Second,
		100 * time.Second, 604800 * time.Second, 999_999_999 * time.Second, 1_000_000_000 * time.Second,
		-time.Second, 1500 * time.Millisecond, time.Nanosecond} {
		for st := range freebusy.Status(6) {
			ivs = append(ivs, freebusy.Interval{Start: base.Add(off), End: base.Add(off + time.Hour).In(berlin), Status: st})
		}
	}
	ss := []freebusy.Schedule{{Attendee: "a", Start: base, End: base.Add(7 * 24 * time.Hour), Intervals: ivs}}
	data, err := AppendCompactSchedules(nil, ss)
	require.NoError(t, err)
	got, err := DecodeCompactSchedules(data)
	require.NoError(t, err)
	require.Len(t, got, 1)
	require.Len(t, got[0].Intervals, len(ivs))
	for i, iv := range got[0].Intervals {
		assert.True(t, iv.Start.Equal(ivs[i].Start) && iv.End.Equal(ivs[i].End), "interval %d: %v, want %v", i, iv, ivs[i])
		assert.Equal(t, ivs[i].Status, iv.Status, "interval %d", i)
		assert.Equal(t, time.UTC, iv.Start.Location(), "interval %d", i)
	}

	// A status the form has no digit for is refused on the fast path too.
	ss[0].Intervals = []freebusy.Interval{{Start: base, End: base.Add(time.Hour), Status: freebusy.Status(6)}}
	_, err = AppendCompactSchedules(nil, ss)
	var pe *freebusy.ParseError
	require.ErrorAs(t, err, &pe)
}

// TestCompactWorkingHoursNotShared: the working hours of the schedules of
// one result come from shared slabs; growing one schedule's periods or
// days must not change another's.
func TestCompactWorkingHoursNotShared(t *testing.T) {
	_, ss := weekLoad(8)
	data, err := AppendCompactSchedules(nil, ss)
	require.NoError(t, err)
	got, err := DecodeCompactSchedules(data)
	require.NoError(t, err)
	var with []*freebusy.WorkingHours
	for i := range got {
		if w := got[i].WorkingHours; w != nil {
			with = append(with, w)
		}
	}
	require.GreaterOrEqual(t, len(with), 2)
	for _, w := range with {
		assert.Equal(t, len(w.Periods), cap(w.Periods))
	}
	second := *with[1]
	secondDays := append([]time.Weekday(nil), second.Periods[0].Days...)
	w := with[0]
	w.Periods[0].Days = append(w.Periods[0].Days, time.Saturday)
	w.Periods = append(w.Periods, freebusy.WorkingPeriod{Days: []time.Weekday{time.Sunday}, Start: time.Hour, End: 2 * time.Hour})
	assert.Equal(t, second, *with[1])
	assert.Equal(t, secondDays, with[1].Periods[0].Days)
}

// FuzzCompactEventHead: what the fast path reads of an event's head, the
// general path reads the same way, to the same position.
func FuzzCompactEventHead(f *testing.F) {
	for _, s := range []string{
		"32400,36000,3,22]", "0,0,0,0,\"id\"]", "999999999,1,5,31]", "1,2,3,32]", "1,2,3,05]",
		"1,2,3,0", "01,2,3,0]", "1.5,2,3,0]", "1,2,6,0]", "1,2,3,-0]", "1,2,3,1e1]", "1,2,3,100]",
	} {
		f.Add([]byte(s), int64(1772409600))
	}
	f.Add([]byte("999999999,999999999,3,0]"), int64(maxInstant)-999_999_998)
	f.Fuzz(func(t *testing.T, head []byte, base int64) {
		if base < minInstant || base > maxInstant {
			return
		}
		d := &compactDecoder{data: head, base: base}
		var fast freebusy.Event
		next, ok := d.plainEventHead(&fast)
		if !ok {
			return
		}
		g := &compactDecoder{data: head, base: base}
		var general freebusy.Event
		require.NoError(t, g.generalEventHead(&general), "%q", head)
		require.Equal(t, general, fast, "%q", head)
		require.Equal(t, g.pos, next, "%q", head)
	})
}

func TestCompactPlainEventHeadDeclines(t *testing.T) {
	for _, head := range []string{"1,2,3,05]", "01,2,3,0]", "1.5,2,3,0]", "1,2,6,0]", "1,2,3,-0]", "1,2,3,32]", "1,2,3,0", "1,2,3,100]", "-1,2,3,0]"} {
		var ev freebusy.Event
		_, ok := (&compactDecoder{data: []byte(head), base: 1772409600}).plainEventHead(&ev)
		assert.False(t, ok, "%q is left to the general path", head)
	}
	for _, head := range []string{"32400,36000,3,22]", "0,0,0,0,", "999999999,1,5,31]", "1,2,3,9]"} {
		var ev freebusy.Event
		_, ok := (&compactDecoder{data: []byte(head), base: 1772409600}).plainEventHead(&ev)
		assert.True(t, ok, "%q takes the fast path", head)
	}
}

// TestPutUintAsStrconv: putUint writes what strconv does, for every
// number below 100,000, around every power of ten and for a spread of
// larger ones up to maxPlainOffset, and touches no byte past the ninth.
func TestPutUintAsStrconv(t *testing.T) {
	check := func(n uint64) {
		var b [12]byte
		for i := range b {
			b[i] = '#'
		}
		k := putUint(b[:], n)
		want := strconv.FormatUint(n, 10)
		if string(b[:k]) != want || b[9] != '#' {
			t.Fatalf("putUint(%d) wrote %q of %q, want %q", n, b[:k], b[:], want)
		}
	}
	for n := range uint64(100_000) {
		check(n)
	}
	for p := uint64(10); p <= maxPlainOffset+1; p *= 10 {
		for _, n := range []uint64{p - 1, p, p + 1, p*5 - 1} {
			if n <= maxPlainOffset {
				check(n)
			}
		}
	}
	for n := uint64(100_000); n <= maxPlainOffset; n += 9_999_991 / 7 {
		check(n)
	}
	check(maxPlainOffset)
}
