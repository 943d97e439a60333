package notes

import (
	"encoding/binary"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/calbridge/calbridge/freebusy"
)

func tdBytes(in0, in1 uint32) []byte {
	b := binary.LittleEndian.AppendUint32(nil, in0)
	return binary.LittleEndian.AppendUint32(b, in1)
}

func mustLoad(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	require.NoError(t, err, name)
	return loc
}

// TestTimeDateGoldenDecode decodes the golden vectors of
// docs/notes.md §4.4 (and §10 vector 1, with the
// erratum row).
func TestTimeDateGoldenDecode(t *testing.T) {
	tests := []struct {
		name     string
		in0, in1 uint32
		want     time.Time
		zone     Zone
	}{
		{
			// §4.4 row 1 (domino-jna InnardsConverter, libyal NSF format documentation) IBM example: 14:49:04 EST, DST observed.
			name: "IBM EST example",
			in0:  0x006CDCC0, in1: 0x852563FC,
			want: time.Date(1996, 12, 10, 19, 49, 4, 0, time.UTC),
			zone: Zone{Offset: -5 * time.Hour, DST: true},
		},
		{
			// §4.4 erratum row / §10 vector 1: the doc's Bombay hex decodes
			// to 09:14:00.04Z, not the 09:19:04Z the doc claims.
			name: "IBM Bombay example as documented (erratum)",
			in0:  0x0032B864, in1: 0x652563FC,
			want: time.Date(1996, 12, 10, 9, 14, 0, 40*int(time.Millisecond), time.UTC),
			zone: Zone{Offset: 5*time.Hour + 30*time.Minute},
		},
		{
			// §4.4 erratum row: the correct innards for 09:19:04Z.
			name: "Bombay corrected",
			in0:  0x00332F20, in1: 0x652563FC,
			want: time.Date(1996, 12, 10, 9, 19, 4, 0, time.UTC),
			zone: Zone{Offset: 5*time.Hour + 30*time.Minute},
		},
		{
			// §4.4 row 4 (derived): the Unix epoch.
			name: "epoch",
			in0:  0, in1: 0x00253D8C,
			want: time.Unix(0, 0).UTC(),
		},
		{
			// §4.4 row 5 (derived).
			name: "2024 zone bits 0",
			in0:  0x004FA6A0, in1: 0x00258AE1,
			want: time.Date(2024, 3, 15, 14, 30, 0, 0, time.UTC),
		},
		{
			// §4.4 row 6 (derived): same instant tagged CET.
			name: "2024 CET",
			in0:  0x004FA6A0, in1: 0xC1258AE1,
			want: time.Date(2024, 3, 15, 14, 30, 0, 0, time.UTC),
			zone: Zone{Offset: time.Hour, DST: true},
		},
		{
			// §4.4 row 7 (derived): same instant tagged US Eastern.
			name: "2024 US Eastern",
			in0:  0x004FA6A0, in1: 0x85258AE1,
			want: time.Date(2024, 3, 15, 14, 30, 0, 0, time.UTC),
			zone: Zone{Offset: -5 * time.Hour, DST: true},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			td, err := DecodeTimeDate(tdBytes(tt.in0, tt.in1))
			require.NoError(t, err)
			got, err := td.Time()
			require.NoError(t, err)
			assert.True(t, tt.want.Equal(got), "got %s want %s", got, tt.want)
			assert.Equal(t, time.UTC, got.Location())
			assert.Equal(t, tt.zone, td.Zone())
			// Re-encoding the instant with the same zone metadata gives the
			// same bytes.
			again, err := newTimeDateInZone(got, td.Zone())
			require.NoError(t, err)
			assert.Equal(t, td, again)
			b, err := again.MarshalBinary()
			require.NoError(t, err)
			assert.Equal(t, tdBytes(tt.in0, tt.in1), b)
		})
	}
	// §4.4 checks: 1996-12-10 19:49:04Z is Unix 850247344.
	td := TimeDate{Innards: [2]uint32{0x006CDCC0, 0x852563FC}}
	got, err := td.Time()
	require.NoError(t, err)
	assert.Equal(t, int64(850247344), got.Unix())
}

// TestTimeDateGoldenEncode encodes instants in real tzdata zones and checks
// the §4.4 innards, including the erratum's 09:19:04Z => 0x00332F20 (§10
// vector 1) and the recommended standard-offset-plus-DST-bit zone encoding
// of §4.2.
func TestTimeDateGoldenEncode(t *testing.T) {
	tests := []struct {
		name     string
		at       time.Time
		in0, in1 uint32
	}{
		// §4.4 row 1 (domino-jna InnardsConverter, libyal NSF format documentation): EST in America/New_York (winter).
		{"IBM EST", time.Date(1996, 12, 10, 14, 49, 4, 0, mustLoad(t, "America/New_York")), 0x006CDCC0, 0x852563FC},
		// §4.4 erratum row: Asia/Kolkata (formerly Bombay), no DST.
		{"Bombay erratum", time.Date(1996, 12, 10, 14, 49, 4, 0, mustLoad(t, "Asia/Kolkata")), 0x00332F20, 0x652563FC},
		// §4.4 row 4: epoch in UTC.
		{"epoch", time.Unix(0, 0).UTC(), 0, 0x00253D8C},
		// §4.4 row 5.
		{"2024 UTC", time.Date(2024, 3, 15, 14, 30, 0, 0, time.UTC), 0x004FA6A0, 0x00258AE1},
		// §4.4 row 6: Europe/Berlin in March (standard time, DST observed).
		{"2024 CET", time.Date(2024, 3, 15, 15, 30, 0, 0, mustLoad(t, "Europe/Berlin")), 0x004FA6A0, 0xC1258AE1},
		// §4.4 row 7: US Eastern in March 2024, already on EDT; the zone
		// bits still carry the standard offset 5 west (§4.2).
		{"2024 US Eastern summer", time.Date(2024, 3, 15, 10, 30, 0, 0, mustLoad(t, "America/New_York")), 0x004FA6A0, 0x85258AE1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			td, err := NewTimeDate(tt.at)
			require.NoError(t, err)
			assert.Equal(t, [2]uint32{tt.in0, tt.in1}, td.Innards, "%08X/%08X", td.Innards[0], td.Innards[1])
		})
	}
}

func TestZoneOf(t *testing.T) {
	winter := time.Date(2024, 1, 15, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		zone string
		want Zone
	}{
		{"UTC", Zone{}},
		{"Europe/Berlin", Zone{Offset: time.Hour, DST: true}},
		{"America/New_York", Zone{Offset: -5 * time.Hour, DST: true}},
		{"Australia/Sydney", Zone{Offset: 10 * time.Hour, DST: true}},
		{"Asia/Kolkata", Zone{Offset: 5*time.Hour + 30*time.Minute}},
		{"Asia/Tokyo", Zone{Offset: 9 * time.Hour}},
		{"Europe/Dublin", Zone{Offset: 0, DST: true}}, // negative DST in tzdata
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, zoneOf(winter, mustLoad(t, tt.zone)), tt.zone)
	}
	assert.Equal(t, "+05:30", Zone{Offset: 5*time.Hour + 30*time.Minute}.String())
	assert.Equal(t, "-05:00 DST", Zone{Offset: -5 * time.Hour, DST: true}.String())
}

func TestTimeDateWildcards(t *testing.T) {
	// §4.1: ALLDAY in Innards[0] is a date-only value.
	d, err := NewDateOnly(2024, time.March, 15)
	require.NoError(t, err)
	assert.Equal(t, [2]uint32{allDay, 0x00258AE1}, d.Innards)
	assert.True(t, d.IsAllDay())
	assert.False(t, d.IsAnyDay())
	assert.False(t, d.HasInstant())
	assert.Equal(t, "2024-03-15", d.String())
	_, err = d.Time()
	assert.ErrorIs(t, err, ErrNoInstant)
	y, m, day, ok := d.Date()
	assert.True(t, ok)
	assert.Equal(t, []int{2024, 3, 15}, []int{y, int(m), day})
	_, ok = d.Clock()
	assert.False(t, ok)
	// A date-only value is midnight in the owner's zone.
	berlin := mustLoad(t, "Europe/Berlin")
	at, err := d.In(berlin)
	require.NoError(t, err)
	assert.Equal(t, time.Date(2024, 3, 14, 23, 0, 0, 0, time.UTC), at)

	// §4.1: ANYDAY in Innards[1] is a time-only value.
	tm, err := NewTimeOnly(9*time.Hour + 30*time.Minute)
	require.NoError(t, err)
	assert.Equal(t, [2]uint32{9*360000 + 30*6000, anyDay}, tm.Innards)
	assert.True(t, tm.IsAnyDay())
	assert.Equal(t, "T09:30:00.00", tm.String())
	clock, ok := tm.Clock()
	assert.True(t, ok)
	assert.Equal(t, 9*time.Hour+30*time.Minute, clock)
	_, _, _, ok = tm.Date()
	assert.False(t, ok)
	_, err = tm.In(berlin)
	assert.ErrorIs(t, err, ErrNoInstant)
	assert.Equal(t, Zone{}, tm.Zone())

	_, err = NewTimeOnly(24 * time.Hour)
	assert.ErrorIs(t, err, ErrTimeOfDay)
	_, err = NewTimeOnly(-time.Second)
	assert.ErrorIs(t, err, ErrTimeOfDay)

	// §4.1: the zeroed TIMEDATE is null (domino-jna InnardsConverter).
	var null TimeDate
	assert.True(t, null.IsZero())
	assert.Equal(t, "null", null.String())
	_, err = null.Time()
	assert.ErrorIs(t, err, ErrNoInstant)

	wild := TimeDate{Innards: [2]uint32{allDay, anyDay}}
	assert.Equal(t, "*", wild.String())
	_, err = wild.Time()
	assert.ErrorIs(t, err, ErrNoInstant)
}

func TestTimeDateString(t *testing.T) {
	// §4.3 (HCL Notes C API Reference, ConvertTIMEDATEtoRFC3339Date): two-digit hundredths.
	td, err := NewTimeDate(time.Date(1985, 4, 12, 23, 20, 50, 520_000_000, time.UTC))
	require.NoError(t, err)
	assert.Equal(t, "1985-04-12T23:20:50.52Z", td.String())
	assert.Equal(t, "TIMEDATE(FFFFFFFE/00000000)", TimeDate{Innards: [2]uint32{0xFFFFFFFE, 0}}.String())
}

func TestTimeDateErrors(t *testing.T) {
	for _, n := range []int{0, 7, 9, 16} {
		_, err := DecodeTimeDate(make([]byte, n))
		assert.ErrorIs(t, err, ErrTimeDateLength, "len %d", n)
		assert.ErrorIs(t, err, freebusy.ErrInvalid)
	}
	_, err := DecodeTimeDate(tdBytes(ticksPerDay, 0x00258AE1))
	assert.ErrorIs(t, err, ErrTimeOfDay)
	var te *TimeDateError
	require.ErrorAs(t, err, &te)
	assert.Equal(t, "decode", te.Op)
	assert.Contains(t, err.Error(), "notes: TIMEDATE decode")

	// Offsets that the zone bits cannot hold (§4.2: jna throws).
	_, err = NewTimeDate(time.Date(2024, 3, 15, 0, 0, 0, 0, time.FixedZone("odd", 5*3600+20*60)))
	assert.ErrorIs(t, err, ErrZoneOffset)
	_, err = newTimeDateInZone(time.Now(), Zone{Offset: 16 * time.Hour})
	assert.ErrorIs(t, err, ErrZoneOffset)
	// Before Julian day 1 and beyond 24 bits of day number.
	_, err = NewTimeDate(time.Date(-4714, 1, 1, 0, 0, 0, 0, time.UTC))
	assert.ErrorIs(t, err, ErrDateRange)
	_, err = NewTimeDate(time.Date(50000, 1, 1, 0, 0, 0, 0, time.UTC))
	assert.ErrorIs(t, err, ErrDateRange)
	_, err = NewDateOnly(50000, 1, 1)
	assert.ErrorIs(t, err, ErrDateRange)

	// Julian day 0 names no instant: its GMT midnight would be the null
	// value (found by FuzzDecodeTimeDate).
	day0 := TimeDate{Innards: [2]uint32{0, eastBit}}
	assert.False(t, day0.HasInstant())
	_, err = day0.Time()
	assert.ErrorIs(t, err, ErrNoInstant)
	_, err = NewTimeDate(time.Date(-4713, 11, 24, 0, 0, 0, 0, time.UTC))
	assert.ErrorIs(t, err, ErrDateRange)
	day1, err := NewTimeDate(time.Date(-4713, 11, 25, 0, 0, 0, 0, time.UTC))
	require.NoError(t, err)
	assert.Equal(t, [2]uint32{0, 1}, day1.Innards)

	var td TimeDate
	assert.ErrorIs(t, td.UnmarshalBinary([]byte{1}), ErrTimeDateLength)
	require.NoError(t, td.UnmarshalBinary(tdBytes(0, 0x00253D8C)))
	assert.Equal(t, uint32(0x00253D8C), td.Innards[1])
}

// TestTimeDatePairGolden decodes the interval of §10 vector 2 (a SCHED_ENTRY
// busy 2024-03-15 14:00-15:00Z, docs/notes.md §10) from its bytes.
func TestTimeDatePairGolden(t *testing.T) {
	raw := []byte{
		0x80, 0xE7, 0x4C, 0x00, 0xE1, 0x8A, 0x25, 0x00,
		0xC0, 0x65, 0x52, 0x00, 0xE1, 0x8A, 0x25, 0x00,
	}
	p, err := DecodeTimeDatePair(raw)
	require.NoError(t, err)
	assert.Equal(t, [2]uint32{0x004CE780, 0x00258AE1}, p.Lower.Innards)
	assert.Equal(t, [2]uint32{0x005265C0, 0x00258AE1}, p.Upper.Innards)
	iv, err := p.Interval(nil, freebusy.Busy)
	require.NoError(t, err)
	assert.Equal(t, freebusy.NewInterval(time.Date(2024, 3, 15, 14, 0, 0, 0, time.UTC), time.Date(2024, 3, 15, 15, 0, 0, 0, time.UTC), freebusy.Busy), iv)
	assert.Equal(t, "2024-03-15T14:00:00.00Z/2024-03-15T15:00:00.00Z", p.String())

	again, err := NewTimeDatePair(iv.Start, iv.End)
	require.NoError(t, err)
	b, err := again.MarshalBinary()
	require.NoError(t, err)
	assert.Equal(t, raw, b)

	_, err = DecodeTimeDatePair(raw[:15])
	assert.ErrorIs(t, err, ErrTimeDateLength)
	bad := append([]byte(nil), raw...)
	bad[11] = 0x7F // Upper time of day 0x7FFFFFFF is out of range
	bad[8], bad[9], bad[10] = 0xFF, 0xFF, 0xFF
	_, err = DecodeTimeDatePair(bad)
	assert.ErrorIs(t, err, ErrTimeOfDay)
}

func TestTimeDatePairDateOnly(t *testing.T) {
	// A date-only pair covers whole days in the owner's zone.
	lo, err := NewDateOnly(2024, time.March, 15)
	require.NoError(t, err)
	hi, err := NewDateOnly(2024, time.March, 15)
	require.NoError(t, err)
	ny := mustLoad(t, "America/New_York")
	start, end, err := TimeDatePair{Lower: lo, Upper: hi}.Range(ny)
	require.NoError(t, err)
	assert.Equal(t, time.Date(2024, 3, 15, 4, 0, 0, 0, time.UTC), start)
	assert.Equal(t, time.Date(2024, 3, 16, 4, 0, 0, 0, time.UTC), end)

	// Across the US DST change the day is 23 hours long, from tzdata.
	lo, _ = NewDateOnly(2024, time.March, 10)
	start, end, err = TimeDatePair{Lower: lo, Upper: lo}.Range(ny)
	require.NoError(t, err)
	assert.Equal(t, 23*time.Hour, end.Sub(start))

	tm, _ := NewTimeOnly(time.Hour)
	_, _, err = TimeDatePair{Lower: tm, Upper: tm}.Range(ny)
	assert.ErrorIs(t, err, ErrNoInstant)
	_, err = TimeDatePair{Lower: lo, Upper: tm}.Interval(ny, freebusy.Busy)
	assert.ErrorIs(t, err, ErrNoInstant)
}

func TestTimeDateRoundTripProperty(t *testing.T) {
	zones := []string{"UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Adelaide", "Pacific/Chatham"}
	start := time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC)
	for i, z := range zones {
		loc := mustLoad(t, z)
		for k := range 200 {
			at := start.Add(time.Duration(k)*5003*time.Hour + time.Duration(i)*37*time.Minute + time.Duration(k)*10*time.Millisecond).In(loc)
			td, err := NewTimeDate(at)
			if err != nil {
				// Chatham's +12:45 standard offset is encodable; only
				// historical LMT offsets are not.
				assert.ErrorIs(t, err, ErrZoneOffset, "%s %s", z, at)
				continue
			}
			b, err := td.MarshalBinary()
			require.NoError(t, err)
			back, err := DecodeTimeDate(b)
			require.NoError(t, err)
			got, err := back.Time()
			require.NoError(t, err)
			assert.True(t, at.Equal(got), "%s: %s != %s", z, at, got)
		}
	}
}

func TestTimeDatePairInverted(t *testing.T) {
	lower, err := NewTimeDate(time.Date(2024, 3, 5, 15, 0, 0, 0, time.UTC))
	require.NoError(t, err)
	upper, err := NewTimeDate(time.Date(2024, 3, 5, 14, 0, 0, 0, time.UTC))
	require.NoError(t, err)
	_, _, err = TimeDatePair{Lower: lower, Upper: upper}.Range(nil)
	assert.ErrorIs(t, err, ErrInvertedPair)
	assert.ErrorIs(t, err, freebusy.ErrInvalid)
	_, err = TimeDatePair{Lower: upper, Upper: lower}.Interval(nil, freebusy.Busy)
	assert.NoError(t, err, "the right way round is fine")
}
