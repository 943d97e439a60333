package notes

import (
	"encoding/binary"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/calbridge/calbridge/freebusy"
)

// schedListVector2 is §10 vector 2 of docs/notes.md:
// a SCHED_LIST with one SCHED_ENTRY, busy 2024-03-15 14:00-15:00Z, zero
// UNID, Attr=APPT.
var schedListVector2 = []byte{
	0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0x80, 0xE7, 0x4C, 0x00, 0xE1, 0x8A, 0x25, 0x00,
	0xC0, 0x65, 0x52, 0x00, 0xE1, 0x8A, 0x25, 0x00,
	0x08, 0x00, 0x00, 0x00,
}

// TestDecodeSchedListGolden decodes §10 vector 2 and maps it through the
// §1.3 policy.
func TestDecodeSchedListGolden(t *testing.T) {
	l, n, err := DecodeSchedList(schedListVector2)
	require.NoError(t, err)
	assert.Equal(t, len(schedListVector2), n)
	assert.False(t, l.Extended)
	require.Len(t, l.Entries, 1)
	e := l.Entries[0]
	assert.Equal(t, [16]byte{}, e.UNID)
	assert.Equal(t, SchedAttrAppt, e.Attr)
	assert.Equal(t, [2]uint32{0x004CE780, 0x00258AE1}, e.Interval.Lower.Innards)
	assert.Equal(t, [2]uint32{0x005265C0, 0x00258AE1}, e.Interval.Upper.Innards)

	busy, nonWork, err := BusyPolicy{}.Intervals(l, nil)
	require.NoError(t, err)
	assert.Empty(t, nonWork)
	assert.Equal(t, []freebusy.Interval{freebusy.NewInterval(
		time.Date(2024, 3, 15, 14, 0, 0, 0, time.UTC), time.Date(2024, 3, 15, 15, 0, 0, 0, time.UTC), freebusy.Busy)}, busy)

	out, err := l.AppendBinary(nil)
	require.NoError(t, err)
	assert.Equal(t, schedListVector2, out)
}

func entryAt(h1, h2 int, a SchedAttr) SchedEntry {
	p, _ := NewTimeDatePair(time.Date(2024, 3, 15, h1, 0, 0, 0, time.UTC), time.Date(2024, 3, 15, h2, 0, 0, 0, time.UTC))
	return SchedEntry{Interval: p, Attr: a}
}

func TestSchedListPolicy(t *testing.T) {
	l := SchedList{Entries: []SchedEntry{
		entryAt(0, 9, SchedAttrNonWork),
		entryAt(9, 10, SchedAttrAppt|SchedAttrForeignUNID),
		entryAt(10, 11, SchedAttrPenciled),
		entryAt(11, 12, SchedAttrNull),
		entryAt(17, 24, SchedAttrNonWork|SchedAttrRepeatEvent),
	}}
	busy, nonWork, err := BusyPolicy{}.Intervals(l, nil)
	require.NoError(t, err)
	require.Len(t, busy, 2)
	assert.Equal(t, freebusy.Busy, busy[0].Status)
	assert.Equal(t, freebusy.Tentative, busy[1].Status)
	require.Len(t, nonWork, 2, "NONWORK is working-hours metadata, not busy time")

	busy, _, err = BusyPolicy{PenciledAsFree: true}.Intervals(l, nil)
	require.NoError(t, err)
	assert.Len(t, busy, 1)

	l.Entries = append(l.Entries, SchedEntry{Attr: SchedAttrAppt}) // null range
	_, _, err = BusyPolicy{}.Intervals(l, nil)
	assert.ErrorIs(t, err, ErrNoInstant)
}

func TestSchedListExtendedRoundTrip(t *testing.T) {
	l := SchedList{ApplicationID: 2, Extended: true, Entries: []SchedEntry{entryAt(9, 10, SchedAttrAppt), entryAt(13, 14, SchedAttrPenciled)}}
	l.Entries[0].UNID[0], l.Entries[0].ApptUNID[15], l.Entries[1].UserAttr = 0xAB, 0xCD, 7
	b, err := l.AppendBinary(nil)
	require.NoError(t, err)
	assert.Len(t, b, schedListHeaderSize+2*schedEntryExtSize)
	// Two lists back to back: the byte count lets the caller walk on.
	b = append(b, schedListVector2...)
	got, n, err := DecodeSchedList(b)
	require.NoError(t, err)
	assert.Equal(t, l, got)
	second, _, err := DecodeSchedList(b[n:])
	require.NoError(t, err)
	assert.Len(t, second.Entries, 1)

	// A longer stride from a later version: extra bytes are skipped.
	wide := binary.LittleEndian.AppendUint32(nil, 1)
	wide = binary.LittleEndian.AppendUint16(wide, 0)
	wide = binary.LittleEndian.AppendUint16(wide, 80)
	wide = append(wide, schedListVector2[8:]...)
	wide = append(wide, make([]byte, 80-36)...)
	got, n, err = DecodeSchedList(wide)
	require.NoError(t, err)
	assert.Equal(t, 88, n)
	assert.True(t, got.Extended)
	assert.Equal(t, SchedAttrAppt, got.Entries[0].Attr)
}

func TestDecodeSchedListErrors(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		want error
	}{
		{"empty", nil, ErrSchedListTruncated},
		{"short header", schedListVector2[:7], ErrSchedListTruncated},
		{"short entry", schedListVector2[:40], ErrSchedListTruncated},
		{"stride 36 declared", append([]byte{1, 0, 0, 0, 0, 0, 36, 0}, schedListVector2[8:]...), ErrSchedListStride},
		{"too many", []byte{0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0}, ErrSchedListTooMany},
		{"bad time of day", func() []byte {
			b := append([]byte(nil), schedListVector2...)
			b[27] = 0x7F
			return b
		}(), ErrTimeOfDay},
	}
	for _, tt := range tests {
		_, n, err := DecodeSchedList(tt.in)
		assert.ErrorIs(t, err, tt.want, tt.name)
		assert.ErrorIs(t, err, freebusy.ErrInvalid, tt.name)
		assert.Zero(t, n)
		var se *SchedListError
		assert.ErrorAs(t, err, &se, tt.name)
	}
	_, err := SchedList{Entries: make([]SchedEntry, MaxSchedListEntries+1)}.AppendBinary(nil)
	assert.ErrorIs(t, err, ErrSchedListTooMany)
}

// FuzzDecodeSchedList checks that DecodeSchedList never panics, fails only
// with a *SchedListError, and that what it decodes re-encodes to the bytes
// it consumed (for the 36-byte form, whose every byte is kept).
func FuzzDecodeSchedList(f *testing.F) {
	f.Add(schedListVector2)
	ext, _ := SchedList{Extended: true, Entries: []SchedEntry{entryAt(9, 10, SchedAttrAppt)}}.AppendBinary(nil)
	f.Add(ext)
	f.Add([]byte{2, 0, 0, 0, 1, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		l, n, err := DecodeSchedList(b)
		if err != nil {
			if _, ok := err.(*SchedListError); !ok {
				t.Fatalf("%x: error %T is not a *SchedListError", b, err)
			}
			return
		}
		if n > len(b) {
			t.Fatalf("%x: consumed %d of %d bytes", b, n, len(b))
		}
		_, _, _ = BusyPolicy{}.Intervals(l, nil)
		if l.Extended {
			return
		}
		out, err := l.AppendBinary(nil)
		if err != nil {
			t.Fatal(err)
		}
		// Spare bytes 34-35 of each entry are not kept.
		for i := range l.Entries {
			off := schedListHeaderSize + i*schedEntrySize
			out[off+34], out[off+35] = b[off+34], b[off+35]
		}
		if string(out) != string(b[:n]) {
			t.Fatalf("%x re-encodes as %x", b[:n], out)
		}
	})
}
