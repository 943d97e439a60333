package cache

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/calbridge/calbridge/freebusy"
)

// sampleEntries are entries the encoding must carry unchanged: every field
// of Entry set somewhere, every zone kind, odd instants.
func sampleEntries(t testing.TB) map[string]Entry {
	t.Helper()
	berlin, err := time.LoadLocation("Europe/Berlin")
	require.NoError(t, err)
	day := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	stored := time.Date(2026, 3, 2, 7, 59, 58, 123456789, time.UTC)
	return map[string]Entry{
		"zero": {},
		"data": {
			Intervals: []freebusy.Interval{
				{Start: day.Add(9 * time.Hour), End: day.Add(10 * time.Hour), Status: freebusy.Busy},
				{Start: day.Add(13 * time.Hour), End: day.Add(13*time.Hour + 30*time.Minute + 1), Status: freebusy.Tentative},
				{Start: day.Add(22 * time.Hour), End: day.Add(24 * time.Hour), Status: freebusy.OutOfOffice},
			},
			AsOf:   stored.Add(-time.Minute),
			Stored: stored,
		},
		"full detail": {
			Intervals: []freebusy.Interval{{Start: day.Add(9 * time.Hour), End: day.Add(10 * time.Hour), Status: freebusy.WorkingElsewhere}},
			Events: []freebusy.Event{
				{Start: day.Add(9 * time.Hour), End: day.Add(10 * time.Hour), Status: freebusy.Busy, ID: "AAMk=", Subject: "Standup ☕", Location: "Room 1", Meeting: true, Recurring: true, Exception: true, Reminder: true},
				{Start: day.Add(-time.Hour), End: day.Add(30 * time.Hour), Status: freebusy.OutOfOffice, Private: true},
				{Start: day.Add(12 * time.Hour), End: day.Add(12 * time.Hour), Status: freebusy.Free},
			},
			WorkingHours: &freebusy.WorkingHours{Location: berlin, Periods: []freebusy.WorkingPeriod{
				{Days: []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday}, Start: 9 * time.Hour, End: 17*time.Hour + 30*time.Minute},
				{Days: []time.Weekday{time.Saturday}, Start: 10 * time.Hour, End: 12 * time.Hour},
			}},
			AsOf:   stored,
			Stored: stored,
			Stale:  true,
		},
		"stale after a failed refresh": {
			Intervals: []freebusy.Interval{{Start: day, End: day.Add(24 * time.Hour), Status: freebusy.Unknown}},
			AsOf:      stored,
			Stored:    stored,
			Failure:   freebusy.ReasonThrottled,
			RetryAt:   stored.Add(time.Minute),
		},
		"utc and fixed zones": {
			WorkingHours: &freebusy.WorkingHours{Location: time.UTC, Periods: []freebusy.WorkingPeriod{{Days: []time.Weekday{time.Sunday}, Start: 0, End: 24 * time.Hour}}},
			Stored:       stored,
		},
		"fixed zone": {
			WorkingHours: &freebusy.WorkingHours{Location: time.FixedZone("+0530", 5*3600+1800)},
			Stored:       stored,
		},
		"no zone": {
			WorkingHours: &freebusy.WorkingHours{},
			Stored:       stored,
		},
		"negative": {
			Err:    &freebusy.Error{Attendee: "Ghost@Example.com", Reason: freebusy.ReasonUnknownAttendee, Message: "ErrorMailRecipientNotFound", RetryAfter: 1500 * time.Millisecond},
			Stored: stored,
		},
		"far instants": {
			AsOf:    time.Date(1, 1, 1, 0, 0, 0, 1, time.UTC),
			Stored:  time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC),
			RetryAt: time.Date(1969, 12, 31, 23, 59, 59, 0, time.UTC),
		},
	}
}

func TestEntryRoundTrip(t *testing.T) {
	for name, e := range sampleEntries(t) {
		b := AppendEntry(nil, e)
		assert.Equal(t, byte(EntryVersion), b[0], name)
		got, err := DecodeEntry(b)
		require.NoError(t, err, name)
		assert.Equal(t, e, got, name)
		// Appending keeps what dst held.
		b2 := AppendEntry([]byte("prefix"), e)
		assert.Equal(t, append([]byte("prefix"), b...), b2, name)
	}
}

// TestEntryRoundTripOfAnAbsorbedEntry: what the Source stores comes back
// the same from a shared tier.
func TestEntryRoundTripOfAnAbsorbedEntry(t *testing.T) {
	c, _ := newCache(t)
	paris, err := time.LoadLocation("Europe/Paris")
	require.NoError(t, err)
	j := &job{from: dayOf(monday), to: dayOf(monday) + 2, q: freebusy.Query{Start: monday, End: monday.Add(48 * time.Hour), Attendees: []string{"ada"}}}
	j.keys = []Key{{Attendee: "ada", Day: j.from}, {Attendee: "ada", Day: j.from + 1}}
	s := freebusy.Schedule{
		Attendee: "ada", Start: monday, End: monday.Add(48 * time.Hour), AsOf: monday.In(paris),
		Intervals: []freebusy.Interval{{Start: monday.Add(23 * time.Hour), End: monday.Add(25 * time.Hour), Status: freebusy.Busy}},
		Events:    []freebusy.Event{{Start: monday.Add(23 * time.Hour).In(paris), End: monday.Add(25 * time.Hour).In(paris), Status: freebusy.Busy, Subject: "Night shift"}},
	}
	res := map[Key]outcome{}
	items := c.absorb(nil, res, j, 0, s, time.Now().UTC())
	require.Len(t, items, 2)
	for _, it := range items {
		got, err := DecodeEntry(AppendEntry(nil, it.Entry))
		require.NoError(t, err)
		assert.Equal(t, it.Entry, got)
	}
}

func TestEntryIsCompact(t *testing.T) {
	e := sampleEntries(t)["data"]
	assert.Less(t, len(AppendEntry(nil, e)), 50, "three intervals of one day, two instants")
}

// head returns the start of an encoding with the given flags (AsOf and
// Stored at the Unix epoch) followed by rest.
func head(flags byte, rest ...byte) []byte {
	return append([]byte{EntryVersion, flags, 0, 0, 0, 0}, rest...)
}

func TestDecodeEntryErrors(t *testing.T) {
	valid := AppendEntry(nil, sampleEntries(t)["full detail"])
	tests := map[string]struct {
		in      []byte
		version bool
		problem string
	}{
		"empty":              {in: nil, version: true},
		"future version":     {in: []byte{2, 0}, version: true},
		"unknown flags":      {in: []byte{1, 0x80}, problem: "unknown entry flags"},
		"truncated":          {in: valid[:len(valid)-1], problem: "truncated"},
		"trailing":           {in: append(append([]byte{}, valid...), 0), problem: "after the entry"},
		"nanoseconds":        {in: []byte{1, 0, 0, 0x80, 0x94, 0xeb, 0xdc, 0x03}, problem: "nanoseconds"},
		"instant too late":   {in: append([]byte{1, 0}, 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0), problem: "instant"},
		"overlong varint":    {in: []byte{1, 0, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01}, problem: "overflows"},
		"reason":             {in: head(0, 42), problem: "invalid reason"},
		"count":              {in: head(0, 0, 100), problem: "exceeds the input"},
		"status":             {in: head(0, 0, 1, 0, 0, 0, 0, 9), problem: "invalid status"},
		"event flags":        {in: head(0, 0, 0, 1, 0, 0, 0, 0, 3, 0x40, 0, 0, 0), problem: "unknown event flags"},
		"string length":      {in: head(0, 0, 0, 1, 0, 0, 0, 0, 3, 0, 9, 0, 0), problem: "string length"},
		"zone kind":          {in: head(entryHours, 0, 0, 0, 7), problem: "zone kind"},
		"unknown zone":       {in: head(entryHours, append([]byte{0, 0, 0, locName, 8}, "Mars/Oly"...)...), problem: "unknown time zone"},
		"zone offset":        {in: head(entryHours, 0, 0, 0, locFixed, 0, 0xff, 0xff, 0x7f, 0), problem: "zone offset"},
		"weekday":            {in: head(entryHours, 0, 0, 0, locUTC, 1, 1, 7, 0, 0), problem: "invalid weekday"},
		"duration":           {in: head(entryErr, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f), problem: "duration"},
		"zone name too long": {in: head(entryHours, append([]byte{0, 0, 0, locName, 0x80, 0x02}, make([]byte, 256)...)...), problem: "zone name"},
	}
	for name, tt := range tests {
		_, err := DecodeEntry(tt.in)
		require.Error(t, err, name)
		assert.ErrorIs(t, err, ErrBadEntry, name)
		if tt.version {
			var ve *EntryVersionError
			require.True(t, errors.As(err, &ve), name)
			assert.Contains(t, err.Error(), "version", name)
			continue
		}
		var fe *EntryFormatError
		require.True(t, errors.As(err, &fe), "%s: %v", name, err)
		assert.Contains(t, fe.Problem, tt.problem, name)
		assert.GreaterOrEqual(t, fe.Offset, 1, name)
		assert.Less(t, fe.Offset, max(len(tt.in), 2), name)
	}
}

// TestDecodeEntryEveryPrefix: every proper prefix of a valid encoding is
// an error, never a panic or a shorter entry.
func TestDecodeEntryEveryPrefix(t *testing.T) {
	for name, e := range sampleEntries(t) {
		b := AppendEntry(nil, e)
		for n := range len(b) {
			_, err := DecodeEntry(b[:n])
			assert.ErrorIs(t, err, ErrBadEntry, "%s[:%d]", name, n)
		}
	}
}

func FuzzDecodeEntry(f *testing.F) {
	for _, e := range sampleEntries(f) {
		f.Add(AppendEntry(nil, e))
	}
	f.Add([]byte{})
	f.Add([]byte{1, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := DecodeEntry(b)
		if err != nil {
			if !errors.Is(err, ErrBadEntry) {
				t.Fatalf("error %v does not match ErrBadEntry", err)
			}
			return
		}
		enc := AppendEntry(nil, e)
		again, err := DecodeEntry(enc)
		if err != nil {
			t.Fatalf("re-encoding of a decoded entry does not decode: %v", err)
		}
		assert.Equal(t, e, again)
		if enc2 := AppendEntry(nil, again); string(enc2) != string(enc) {
			t.Fatalf("encoding is not stable:\n%x\n%x", enc, enc2)
		}
	})
}

func BenchmarkDecodeEntry(b *testing.B) {
	enc := AppendEntry(nil, sampleEntries(b)["full detail"])
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeEntry(enc); err != nil {
			b.Fatal(err)
		}
	}
}
