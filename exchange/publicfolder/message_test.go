package publicfolder

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"testing"
	"time"

	"github.com/calbridge/calbridge/exchange"

	"github.com/calbridge/calbridge/freebusy"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func pfTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

func pfHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

func pfIv(start, end string, st freebusy.Status) freebusy.Interval {
	return freebusy.Interval{Start: pfTime(start), End: pfTime(end), Status: st}
}

// docs/exchange.md §7 item 1 and §1.3.
func TestPublicFolderMonthKey(t *testing.T) {
	tests := []struct {
		key   int32
		month string
	}{
		{32130, "2008-02-01T00:00:00Z"}, // spec 4.4 (Feb 2008), LE 82 7D 00 00
		{32387, "2024-03-01T00:00:00Z"},
		{32388, "2024-04-01T00:00:00Z"},
	}
	for _, tt := range tests {
		got, err := ParseMonthKey(tt.key)
		require.NoError(t, err)
		assert.Equal(t, pfTime(tt.month), got, "key %d", tt.key)
		assert.Equal(t, tt.key, MonthKey(pfTime(tt.month).Add(40*time.Hour)))
	}
	// §1.7: the month value for Feb 2008 as int32 LE.
	assert.Equal(t, pfHex("827D0000"), binary.LittleEndian.AppendUint32(nil, uint32(MonthKey(pfTime("2008-02-02T20:00:00Z")))))

	for _, bad := range []int32{2024 * 16, 2024*16 + 13, 2024*16 + 15, 1600*16 + 1, 10000*16 + 1, -5} {
		_, err := ParseMonthKey(bad)
		assert.ErrorIs(t, err, ErrMonthKey, "key %d", bad)
		assert.ErrorIs(t, err, freebusy.ErrInvalid)
	}
}

// docs/exchange.md §7 item 6 and §1.7 (published range, timestamp).
func TestMinutesSince1601(t *testing.T) {
	tests := []struct {
		at      string
		minutes int32
		le      string
	}{
		{"2024-03-01T00:00:00Z", 222562080, "2007440D"},
		{"2024-05-01T00:00:00Z", 222649920, "405E450D"},
		{"2008-02-01T00:00:00Z", 214104960, "80FBC20C"},
		{"1970-01-01T00:00:00Z", 194074560, ""},
	}
	for _, tt := range tests {
		got, err := MinutesSince1601(pfTime(tt.at))
		require.NoError(t, err)
		assert.Equal(t, tt.minutes, got, tt.at)
		assert.Equal(t, pfTime(tt.at), TimeFromMinutesSince1601(tt.minutes))
		if tt.le != "" {
			assert.Equal(t, pfHex(tt.le), binary.LittleEndian.AppendUint32(nil, uint32(got)), tt.at)
		}
	}
	_, err := MinutesSince1601(pfTime("2024-03-01T00:00:30Z"))
	assert.ErrorIs(t, err, ErrRange)
	_, err = MinutesSince1601(time.Date(1600, 12, 31, 0, 0, 0, 0, time.UTC))
	assert.ErrorIs(t, err, ErrRange)
	_, err = MinutesSince1601(time.Date(9000, 1, 1, 0, 0, 0, 0, time.UTC))
	assert.ErrorIs(t, err, ErrRange, "beyond int32 minutes")

	// §1.7: RangeTimestamp 2024-03-01T00:00Z.
	assert.Equal(t, uint64(133537248000000000), FileTime(pfTime("2024-03-01T00:00:00Z")))
	assert.Equal(t, pfTime("2024-03-01T00:00:00Z"), TimeFromFileTime(133537248000000000))
	assert.Equal(t, uint64(0), FileTime(time.Date(1500, 1, 1, 0, 0, 0, 0, time.UTC)))
	ts := time.Date(2024, 3, 1, 12, 34, 56, 789012300, time.UTC)
	assert.Equal(t, ts, TimeFromFileTime(FileTime(ts)))
}

// docs/exchange.md §7 items 2 and 3 ([MS-OXOPFFB] 4.4 and §1.7).
func TestDecodePublicFolderBlob(t *testing.T) {
	tests := []struct {
		name  string
		month int32
		blob  string
		want  []freebusy.Interval
	}{
		{"spec 4.4.1 one hour", 32130, "500A8C0A", []freebusy.Interval{pfIv("2008-02-02T20:00:00Z", "2008-02-02T21:00:00Z", freebusy.Busy)}},
		{"spec 4.4.2 back to back", 32130, "500AC80A", []freebusy.Interval{pfIv("2008-02-02T20:00:00Z", "2008-02-02T22:00:00Z", freebusy.Busy)}},
		{"unsigned minutes past 32767", 32387, "24AE60AE", []freebusy.Interval{pfIv("2024-03-31T23:00:00Z", "2024-04-01T00:00:00Z", freebusy.Busy)}},
		{"zero-length record dropped", 32388, "000000009C18F618", []freebusy.Interval{pfIv("2024-04-05T09:00:00Z", "2024-04-05T10:30:00Z", freebusy.Busy)}},
		{"inverted record dropped", 32388, "F6189C18", nil},
		{"trailing partial record ignored", 32130, "500A8C0A50", []freebusy.Interval{pfIv("2008-02-02T20:00:00Z", "2008-02-02T21:00:00Z", freebusy.Busy)}},
		{"empty blob", 32130, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeBlob(tt.month, pfHex(tt.blob), freebusy.Busy)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
	_, err := DecodeBlob(0, pfHex("500A8C0A"), freebusy.Busy)
	assert.ErrorIs(t, err, ErrMonthKey)
	_, err = DecodeBlob(32130, make([]byte, MaxBlobLen+4), freebusy.Busy)
	assert.ErrorIs(t, err, ErrTooLarge)
}

// Records must end within their month: minutes_in_month = days_in_month*1440
// (docs/exchange.md §1.4, §1.6).
func TestDecodePublicFolderBlobRecordPastMonth(t *testing.T) {
	tests := []struct {
		name  string
		month int32
		blob  string
		ok    bool
		index int
	}{
		{"March 2024 ends exactly at 44640", 32387, "24AE60AE", true, 0},
		{"March 2024 record to 65535 (audit case)", 32387, "24AEFFFF", false, 0},
		{"March 2024 one minute over", 32387, "9C18F61824AE61AE", false, 1},
		{"February 2024 leap month ends at 41760", 32386, "000020A3", true, 0},
		{"February 2024 one minute over", 32386, "000021A3", false, 0},
		{"February 2023 ends at 40320", 32370, "0000809D", true, 0},
		{"February 2023 leap day does not exist", 32370, "0000819D", false, 0},
		{"April 2024 (30 days) past 43200", 32388, "0000C1A8", false, 0},
		{"zero-length record beyond the month is still just dropped", 32388, "FFFFFFFF", true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ivs, err := DecodeBlob(tt.month, pfHex(tt.blob), freebusy.Busy)
			if tt.ok {
				require.NoError(t, err)
				base, err := ParseMonthKey(tt.month)
				require.NoError(t, err)
				for _, iv := range ivs {
					assert.False(t, iv.End.After(base.AddDate(0, 1, 0)), "interval %v runs past its month", iv)
				}
				return
			}
			var pe *Error
			require.ErrorAs(t, err, &pe)
			assert.ErrorIs(t, err, ErrRecordPastMonth)
			assert.ErrorIs(t, err, ErrInvalid)
			assert.Equal(t, tt.index, pe.Index)
			assert.Nil(t, ivs)
		})
	}

	m := &Message{
		PublishStart: 222562080, PublishEnd: 222649920, // 2024-03-01 to 2024-05-01 (§1.7)
		MonthsBusy:   []int32{32387},
		FreeBusyBusy: [][]byte{pfHex("24AEFFFF")},
	}
	_, err := Decode(m, DecodeOptions{})
	var pe *Error
	require.ErrorAs(t, err, &pe)
	assert.ErrorIs(t, err, ErrRecordPastMonth)
	assert.Equal(t, PidTagScheduleInfoFreeBusyBusy, pe.Tag)
	assert.Equal(t, 0, pe.Index)
}

// sampleSchedule holds the three events of docs/exchange.md §1.7: busy
// Mar 5, tentative across the Mar/Apr boundary, OOF Apr 10-12 2024.
func sampleSchedule() freebusy.Schedule {
	return freebusy.Schedule{
		Attendee: "danw@example.com",
		Start:    pfTime("2024-03-01T00:00:00Z"),
		End:      pfTime("2024-05-01T00:00:00Z"),
		Intervals: []freebusy.Interval{
			pfIv("2024-03-05T09:00:00Z", "2024-03-05T10:30:00Z", freebusy.Busy),
			pfIv("2024-03-31T23:00:00Z", "2024-04-01T01:00:00Z", freebusy.Tentative),
			pfIv("2024-04-10T00:00:00Z", "2024-04-12T00:00:00Z", freebusy.OutOfOffice),
		},
		AsOf: pfTime("2024-03-01T00:00:00Z"),
	}
}

// sampleMessage is the full property set of docs/exchange.md §1.7 (and
// §7 items 4 and 5: the tentative block split at the month boundary, merged
// holding busy and OOF but not tentative).
func sampleMessage() *Message {
	return &Message{
		Subject:           "USER-/CN=RECIPIENTS/CN=DANW",
		MessageClass:      "IPM.Post",
		EmailAddress:      "/o=Ximian XCS/ou=XCS/cn=Recipients/cn=danw",
		PublishStart:      222562080,
		PublishEnd:        222649920,
		RangeTimestamp:    133537248000000000,
		MonthsBusy:        []int32{32387},
		FreeBusyBusy:      [][]byte{pfHex("9C18F618")},
		MonthsTentative:   []int32{32387, 32388},
		FreeBusyTentative: [][]byte{pfHex("24AE60AE"), pfHex("00003C00")},
		MonthsAway:        []int32{32388},
		FreeBusyAway:      [][]byte{pfHex("A032E03D")},
		MonthsMerged:      []int32{32387, 32388},
		FreeBusyMerged:    [][]byte{pfHex("9C18F618"), pfHex("A032E03D")},
	}
}

// Golden: docs/exchange.md §1.7 full property set and §7 items 4, 5, 6
// and 7 (split at the month boundary, merged = busy + OOF without
// tentative, published range, subject from the DN).
func TestEncodePublicFolderGolden(t *testing.T) {
	s := sampleSchedule()
	got, err := Encode(&s, EncodeOptions{Owner: "/o=Ximian XCS/ou=XCS/cn=Recipients/cn=danw"})
	require.NoError(t, err)
	assert.Equal(t, sampleMessage(), got)
}

// Golden: docs/exchange.md §1.7 and §7 item 4 read back: the
// tentative block split at the month boundary is re-joined.
func TestDecodePublicFolderGolden(t *testing.T) {
	got, err := Decode(sampleMessage(), DecodeOptions{Attendee: "danw@example.com"})
	require.NoError(t, err)
	want := sampleSchedule()
	assert.Equal(t, want, got, "the split tentative block is re-joined")
}

// docs/exchange.md §1.7: back-to-back busy time is coalesced into one
// record ("+ busy 10:30-11:00 same day" → 9C 18 14 19).
func TestEncodePublicFolderCoalesces(t *testing.T) {
	s := freebusy.Schedule{
		Start: pfTime("2024-03-01T00:00:00Z"), End: pfTime("2024-05-01T00:00:00Z"),
		Intervals: []freebusy.Interval{
			pfIv("2024-03-05T09:00:00Z", "2024-03-05T10:30:00Z", freebusy.Busy),
			pfIv("2024-03-05T10:30:00Z", "2024-03-05T11:00:00Z", freebusy.Busy),
		},
	}
	m, err := Encode(&s, EncodeOptions{})
	require.NoError(t, err)
	assert.Equal(t, []int32{32387}, m.MonthsBusy)
	assert.Equal(t, [][]byte{pfHex("9C181419")}, m.FreeBusyBusy)
	assert.Nil(t, m.MonthsTentative, "Outlook style leaves empty pairs unset")
	assert.Nil(t, m.FreeBusyAway)
	assert.Empty(t, m.Subject)
	assert.Zero(t, m.RangeTimestamp)

	// [MS-OXOPFFB] 4.4.2: 12:00-13:00 and 13:00-14:00 PST on 2 Feb 2008.
	s = freebusy.Schedule{
		Start: pfTime("2008-02-01T00:00:00Z"), End: pfTime("2008-04-01T00:00:00Z"),
		Intervals: []freebusy.Interval{
			pfIv("2008-02-02T20:00:00Z", "2008-02-02T21:00:00Z", freebusy.Busy),
			pfIv("2008-02-02T21:00:00Z", "2008-02-02T22:00:00Z", freebusy.Busy),
		},
	}
	m, err = Encode(&s, EncodeOptions{EmptyPairs: true})
	require.NoError(t, err)
	assert.Equal(t, []int32{32130}, m.MonthsBusy)
	assert.Equal(t, [][]byte{pfHex("500AC80A")}, m.FreeBusyBusy)
	assert.Equal(t, int32(214104960), m.PublishStart)
	assert.NotNil(t, m.MonthsTentative, "Exchange style writes empty pairs")
	assert.Empty(t, m.MonthsTentative)
	assert.NotNil(t, m.FreeBusyAway)
}

func TestEncodePublicFolderEdges(t *testing.T) {
	window := func(ivs ...freebusy.Interval) freebusy.Schedule {
		return freebusy.Schedule{Start: pfTime("2024-01-01T00:00:00Z"), End: pfTime("2024-04-01T00:00:00Z"), Intervals: ivs}
	}
	t.Run("whole month spans", func(t *testing.T) {
		// Jan 31 12:00 to Mar 1 06:00: Jan tail, all of February (29 days
		// in 2024 = 41760 minutes), Mar head.
		s := window(pfIv("2024-01-31T12:00:00Z", "2024-03-01T06:00:00Z", freebusy.Busy))
		m, err := Encode(&s, EncodeOptions{})
		require.NoError(t, err)
		assert.Equal(t, []int32{2024*16 + 1, 2024*16 + 2, 2024*16 + 3}, m.MonthsBusy)
		want := [][]byte{
			AppendBlob(nil, []Block{{30*1440 + 720, 31 * 1440}}),
			AppendBlob(nil, []Block{{0, 29 * 1440}}),
			AppendBlob(nil, []Block{{0, 360}}),
		}
		assert.Equal(t, want, m.FreeBusyBusy)
		back, err := Decode(m, DecodeOptions{})
		require.NoError(t, err)
		assert.Equal(t, s.Intervals, back.Intervals)
	})
	t.Run("rounded outward to minutes", func(t *testing.T) {
		s := window(freebusy.Interval{Start: pfTime("2024-01-02T09:00:30Z"), End: pfTime("2024-01-02T09:59:01Z"), Status: freebusy.Busy})
		m, err := Encode(&s, EncodeOptions{})
		require.NoError(t, err)
		assert.Equal(t, [][]byte{AppendBlob(nil, []Block{{1440 + 540, 1440 + 600}})}, m.FreeBusyBusy)
	})
	t.Run("clipped to the published range", func(t *testing.T) {
		s := window(pfIv("2023-12-31T22:00:00Z", "2024-01-01T02:00:00Z", freebusy.OutOfOffice))
		m, err := Encode(&s, EncodeOptions{})
		require.NoError(t, err)
		assert.Equal(t, []int32{2024*16 + 1}, m.MonthsAway)
		assert.Equal(t, [][]byte{pfHex("0000" + "7800")}, m.FreeBusyAway)
	})
	t.Run("adjacent busy and oof join in merged only", func(t *testing.T) {
		s := window(pfIv("2024-01-02T09:00:00Z", "2024-01-02T10:00:00Z", freebusy.Busy), pfIv("2024-01-02T10:00:00Z", "2024-01-02T11:00:00Z", freebusy.OutOfOffice))
		m, err := Encode(&s, EncodeOptions{})
		require.NoError(t, err)
		assert.Equal(t, [][]byte{AppendBlob(nil, []Block{{1980, 2040}})}, m.FreeBusyBusy)
		assert.Equal(t, [][]byte{AppendBlob(nil, []Block{{2040, 2100}})}, m.FreeBusyAway)
		assert.Equal(t, [][]byte{AppendBlob(nil, []Block{{1980, 2100}})}, m.FreeBusyMerged)
	})
	t.Run("working elsewhere is published as free", func(t *testing.T) {
		s := window(pfIv("2024-01-02T09:00:00Z", "2024-01-02T17:00:00Z", freebusy.WorkingElsewhere))
		m, err := Encode(&s, EncodeOptions{})
		require.NoError(t, err)
		assert.Nil(t, m.MonthsBusy)
		assert.Nil(t, m.MonthsMerged)
		assert.Nil(t, m.MonthsTentative)
	})
	t.Run("unknown is refused by default", func(t *testing.T) {
		s := window(pfIv("2024-01-02T09:00:00Z", "2024-01-02T17:00:00Z", freebusy.Unknown))
		_, err := Encode(&s, EncodeOptions{})
		assert.ErrorIs(t, err, ErrUnknownTime)
		m, err := Encode(&s, EncodeOptions{UnknownAs: freebusy.Tentative})
		require.NoError(t, err)
		assert.Equal(t, []int32{2024*16 + 1}, m.MonthsTentative)
	})
	t.Run("errors", func(t *testing.T) {
		failed := freebusy.Failed("x", pfTime("2024-01-01T00:00:00Z"), pfTime("2024-02-01T00:00:00Z"), freebusy.ReasonTimeout, nil)
		_, err := Encode(&failed, EncodeOptions{})
		assert.ErrorIs(t, err, ErrInvalid)
		s := window()
		_, err = Encode(&s, EncodeOptions{Owner: "danw@example.com"})
		assert.ErrorIs(t, err, exchange.ErrInvalidAddress)
		_, err = Encode(&s, EncodeOptions{PublishStart: pfTime("2024-02-01T00:00:00Z"), PublishEnd: pfTime("2024-01-01T00:00:00Z")})
		assert.ErrorIs(t, err, ErrRange)
		_, err = Encode(&s, EncodeOptions{PublishStart: pfTime("2024-01-01T00:00:01Z"), PublishEnd: pfTime("2024-02-01T00:00:00Z")})
		assert.ErrorIs(t, err, ErrRange)
		// A schedule window off the minute is widened, not refused
		// (docs/mapping.md §4.8).
		odd := freebusy.Schedule{Start: pfTime("2024-01-01T00:00:30Z"), End: pfTime("2024-01-01T01:00:00.5Z")}
		m, err := Encode(&odd, EncodeOptions{})
		require.NoError(t, err)
		assert.Equal(t, mustMinutes(t, pfTime("2024-01-01T00:00:00Z")), m.PublishStart)
		assert.Equal(t, mustMinutes(t, pfTime("2024-01-01T01:01:00Z")), m.PublishEnd)
		bad := window(freebusy.Interval{Start: pfTime("2024-01-02T09:00:00Z"), End: pfTime("2024-01-02T10:00:00Z"), Status: freebusy.Status(42)})
		_, err = Encode(&bad, EncodeOptions{})
		assert.ErrorIs(t, err, freebusy.ErrInvalid)
	})
}

func TestDecodePublicFolderRules(t *testing.T) {
	base := func() *Message {
		return &Message{PublishStart: 222562080, PublishEnd: 222649920} // Mar 1 to May 1 2024
	}
	t.Run("outside the published range is unknown", func(t *testing.T) {
		m := sampleMessage()
		s, err := Decode(m, DecodeOptions{Start: pfTime("2024-02-20T00:00:00Z"), End: pfTime("2024-05-10T00:00:00Z")})
		require.NoError(t, err)
		assert.Equal(t, "/o=Ximian XCS/ou=XCS/cn=Recipients/cn=danw", s.Attendee)
		require.Len(t, s.Intervals, 5)
		assert.Equal(t, pfIv("2024-02-20T00:00:00Z", "2024-03-01T00:00:00Z", freebusy.Unknown), s.Intervals[0])
		assert.Equal(t, pfIv("2024-05-01T00:00:00Z", "2024-05-10T00:00:00Z", freebusy.Unknown), s.Intervals[4])
		assert.Equal(t, freebusy.Unknown, s.StatusAt(pfTime("2024-02-25T12:00:00Z")))
		assert.Equal(t, freebusy.Free, s.StatusAt(pfTime("2024-03-25T12:00:00Z")))
	})
	t.Run("absent and empty pairs", func(t *testing.T) {
		m := base()
		m.MonthsBusy, m.FreeBusyBusy = []int32{}, [][]byte{}
		m.MonthsAway, m.FreeBusyAway = []int32{32387}, [][]byte{{}}
		s, err := Decode(m, DecodeOptions{})
		require.NoError(t, err)
		assert.Empty(t, s.Intervals)
		assert.True(t, s.AsOf.IsZero())
	})
	t.Run("merged only reads as busy, away wins", func(t *testing.T) {
		m := base()
		m.MonthsMerged, m.FreeBusyMerged = []int32{32387}, [][]byte{AppendBlob(nil, []Block{{6300, 6420}})}
		m.MonthsAway, m.FreeBusyAway = []int32{32387}, [][]byte{AppendBlob(nil, []Block{{6360, 6420}})}
		s, err := Decode(m, DecodeOptions{})
		require.NoError(t, err)
		assert.Equal(t, []freebusy.Interval{
			pfIv("2024-03-05T09:00:00Z", "2024-03-05T10:00:00Z", freebusy.Busy),
			pfIv("2024-03-05T10:00:00Z", "2024-03-05T11:00:00Z", freebusy.OutOfOffice),
		}, s.Intervals)
	})
	t.Run("kopano zero-length record at month end", func(t *testing.T) {
		// §1.4: a block ending at 00:00 on the 1st is written as
		// [start, month max] plus [0, 0] in the next month.
		m := base()
		m.MonthsBusy = []int32{32387, 32388}
		m.FreeBusyBusy = [][]byte{pfHex("24AE60AE"), pfHex("00000000")}
		s, err := Decode(m, DecodeOptions{})
		require.NoError(t, err)
		assert.Equal(t, []freebusy.Interval{pfIv("2024-03-31T23:00:00Z", "2024-04-01T00:00:00Z", freebusy.Busy)}, s.Intervals)
	})
	t.Run("blocks outside the range are clipped", func(t *testing.T) {
		m := base()
		m.MonthsBusy = []int32{32386, 32389}
		m.FreeBusyBusy = [][]byte{pfHex("00003C00"), pfHex("00003C00")}
		s, err := Decode(m, DecodeOptions{Start: pfTime("2024-02-01T00:00:00Z"), End: pfTime("2024-06-01T00:00:00Z")})
		require.NoError(t, err)
		assert.Equal(t, []freebusy.Interval{
			pfIv("2024-02-01T00:00:00Z", "2024-03-01T00:00:00Z", freebusy.Unknown),
			pfIv("2024-05-01T00:00:00Z", "2024-06-01T00:00:00Z", freebusy.Unknown),
		}, s.Intervals)
	})
	errCases := []struct {
		name string
		edit func(m *Message)
		cond error
		tag  Tag
	}{
		{"unset range", func(m *Message) { m.PublishStart, m.PublishEnd = 0, 0 }, ErrRange, PidTagFreeBusyPublishStart},
		{"inverted range", func(m *Message) { m.PublishEnd = m.PublishStart - 1 }, ErrRange, PidTagFreeBusyPublishEnd},
		{"count mismatch", func(m *Message) { m.MonthsTentative = []int32{32387} }, ErrMismatch, PidTagScheduleInfoMonthsTentative},
		{"bad month", func(m *Message) {
			m.MonthsMerged, m.FreeBusyMerged = []int32{32387, 2024 * 16}, [][]byte{nil, nil}
		}, ErrMonthKey, PidTagScheduleInfoMonthsMerged},
		{"too many months", func(m *Message) {
			m.MonthsBusy, m.FreeBusyBusy = make([]int32, MaxMonths+1), make([][]byte, MaxMonths+1)
		}, ErrTooLarge, PidTagScheduleInfoMonthsBusy},
		{"too many records", func(m *Message) {
			blob := make([]byte, MaxBlobLen)
			const months = 48 // 48 full blobs exceed a million records
			m.MonthsBusy, m.FreeBusyBusy = make([]int32, months), make([][]byte, months)
			for i := range months {
				m.MonthsBusy[i], m.FreeBusyBusy[i] = int32((2024+i/12)*16+1+i%12), blob
			}
		}, ErrTooLarge, 0},
		{"blob too long", func(m *Message) {
			m.MonthsAway, m.FreeBusyAway = []int32{32387}, [][]byte{make([]byte, MaxBlobLen+1)}
		}, ErrTooLarge, PidTagScheduleInfoFreeBusyAway},
	}
	for _, tt := range errCases {
		t.Run(tt.name, func(t *testing.T) {
			m := base()
			tt.edit(m)
			_, err := Decode(m, DecodeOptions{})
			require.Error(t, err)
			assert.ErrorIs(t, err, tt.cond)
			assert.ErrorIs(t, err, ErrInvalid)
			var pe *Error
			require.True(t, errors.As(err, &pe))
			assert.Equal(t, tt.tag, pe.Tag)
		})
	}
}

// Encoding then decoding any canonical busy/tentative/OOF schedule on whole
// minutes gives it back.
func TestPublicFolderRoundTrip(t *testing.T) {
	s := freebusy.Schedule{
		Attendee: "a", Start: pfTime("2024-01-01T00:00:00Z"), End: pfTime("2025-01-01T00:00:00Z"),
	}
	at := s.Start
	statuses := []freebusy.Status{freebusy.Busy, freebusy.Tentative, freebusy.OutOfOffice}
	for i := 0; at.Before(s.End); i++ {
		st := statuses[i%3]
		end := at.Add(time.Duration(37+i%500) * time.Minute * 7)
		if end.After(s.End) {
			end = s.End
		}
		s.Intervals = append(s.Intervals, freebusy.Interval{Start: at, End: end, Status: st})
		at = end.Add(time.Duration(1+i%90) * time.Hour)
	}
	_, err := s.Normalize()
	require.NoError(t, err)
	m, err := Encode(&s, EncodeOptions{})
	require.NoError(t, err)
	assert.Len(t, m.MonthsMerged, 12)
	back, err := Decode(m, DecodeOptions{Attendee: "a"})
	require.NoError(t, err)
	assert.Equal(t, s.Intervals, back.Intervals)
}

func FuzzDecodePublicFolderBlob(f *testing.F) {
	f.Add(int32(32130), pfHex("500A8C0A"))
	f.Add(int32(32130), pfHex("500AC80A"))
	f.Add(int32(32387), pfHex("9C18F61824AE60AE"))
	f.Add(int32(32388), pfHex("00003C00A032E03D00000000"))
	f.Add(int32(32388), pfHex("FFFFFFFF0000"))
	f.Add(int32(0), []byte{})
	f.Fuzz(func(t *testing.T, month int32, blob []byte) {
		ivs, err := DecodeBlob(month, blob, freebusy.Busy)
		if err != nil {
			var pe *Error
			if !errors.As(err, &pe) || !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v is not a *Error", err)
			}
			return
		}
		if len(ivs) > len(blob)/4 {
			t.Fatalf("%d intervals from %d bytes", len(ivs), len(blob))
		}
		base, _ := ParseMonthKey(month)
		for _, x := range ivs {
			if !x.Start.Before(x.End) || x.Start.Before(base) || x.End.After(base.AddDate(0, 1, 0)) {
				t.Fatalf("interval %s out of bounds for month %d", x, month)
			}
		}
		// Whatever decodes re-encodes (within one published range covering
		// the month) and decodes the same.
		s := freebusy.Schedule{Start: base, End: base.AddDate(0, 3, 0), Intervals: ivs}
		if _, err := s.Normalize(); err != nil {
			t.Fatal(err)
		}
		m, err := Encode(&s, EncodeOptions{})
		if err != nil {
			if errors.Is(err, ErrRange) {
				return // the range is beyond int32 minutes (years past 5684)
			}
			t.Fatal(err)
		}
		back, err := Decode(m, DecodeOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(back.Intervals) != len(s.Intervals) {
			t.Fatalf("round trip: %d intervals, want %d", len(back.Intervals), len(s.Intervals))
		}
		for i := range s.Intervals {
			if !back.Intervals[i].Start.Equal(s.Intervals[i].Start) || !back.Intervals[i].End.Equal(s.Intervals[i].End) {
				t.Fatalf("round trip: %s, want %s", back.Intervals[i], s.Intervals[i])
			}
		}
	})
}

func mustMinutes(t *testing.T, at time.Time) int32 {
	t.Helper()
	m, err := MinutesSince1601(at)
	require.NoError(t, err)
	return m
}

// [MS-OXOPFFB] free/busy blocks are whole minutes: fractions and seconds
// round outward (start down, end up; docs/mapping.md §4.8), the same rule
// as the VFREEBUSY and DAS encoders, so a block shorter than a minute is a
// one-minute block, never an empty one, and no busy time reads free.
func TestEncodeSubMinuteRoundsOutward(t *testing.T) {
	at := func(s string) time.Time { return pfTime("2024-01-02T" + s + "Z") }
	s := freebusy.Schedule{Start: at("00:00:00"), End: at("12:00:00"), Intervals: []freebusy.Interval{
		{Start: at("09:00:00.2"), End: at("09:00:00.8"), Status: freebusy.Busy},
		{Start: at("10:00:59.999"), End: at("10:01:00.001"), Status: freebusy.Tentative},
	}}
	m, err := Encode(&s, EncodeOptions{})
	require.NoError(t, err)
	back, err := Decode(m, DecodeOptions{})
	require.NoError(t, err)
	assert.Equal(t, []freebusy.Interval{
		{Start: at("09:00:00"), End: at("09:01:00"), Status: freebusy.Busy},
		{Start: at("10:00:00"), End: at("10:02:00"), Status: freebusy.Tentative},
	}, back.Intervals)
}
