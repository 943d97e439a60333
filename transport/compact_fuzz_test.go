package transport

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/calbridge/calbridge/freebusy"
)

// fuzzSchedules builds schedules from fuzzed values: every member of a
// Schedule gets a value, statuses, reasons, weekdays and zones included,
// valid or not, so that the two forms are compared on what the fuzzer
// finds and not only on what a source would send.
func fuzzSchedules(attendee, text string, start, step int64, nanos uint32, codes []byte, flags byte, retryMs int64, zone, reason uint8) []freebusy.Schedule {
	at := func(k int64) time.Time {
		return time.Unix(start+k*step, int64(nanos%1e9)+k).UTC()
	}
	s := freebusy.Schedule{Attendee: attendee, Start: at(0), End: at(int64(len(codes)) + 1)}
	if zone%5 == 2 && start > -62135596800+86400 && start < 253402300799-86400*2 && step < 3600 && step > -3600 {
		// A zone other than UTC, where its offset keeps every instant
		// inside the years RFC 3339 can write.
		s.Start = s.Start.In(berlin)
	}
	for i, c := range codes {
		k := int64(i)
		switch c % 3 {
		case 0:
			s.Intervals = append(s.Intervals, freebusy.Interval{Start: at(k), End: at(k + 1), Status: freebusy.Status(c / 3 % 7)})
		case 1:
			s.Events = append(s.Events, freebusy.Event{Start: at(k), End: at(k + 1), Status: freebusy.Status(c / 3 % 7),
				ID: text[:min(len(text), i)], Subject: text[min(len(text), i):], Location: strings.Repeat(attendee, i%2),
				Private: flags&1 != 0, Meeting: flags&2 != 0, Recurring: flags&4 != 0, Exception: flags&8 != 0, Reminder: flags&16 != 0})
			flags = flags>>1 | flags<<7
		case 2:
			if s.WorkingHours == nil {
				s.WorkingHours = &freebusy.WorkingHours{Location: [...]*time.Location{time.UTC, berlin, time.FixedZone("Nowhere/Land", 3600), time.Local, nil}[zone%5]}
			}
			days := make([]time.Weekday, c%4)
			for d := range days {
				days[d] = time.Weekday((int(c) + d) % 8) // 7 is not a weekday
			}
			from := time.Duration((step%86400+86400)%86400) * time.Second
			s.WorkingHours.Periods = append(s.WorkingHours.Periods, freebusy.WorkingPeriod{Days: days, Start: from, End: from + time.Duration(c)*time.Minute})
		}
	}
	if nanos%3 == 0 {
		s.AsOf = at(-1)
	}
	s.Stale = flags&32 != 0
	s.StaleReason = freebusy.Reason(reason % 10)
	if reason%4 == 1 {
		s.Err = &freebusy.Error{Attendee: attendee, Reason: freebusy.Reason(reason / 4 % 9), Message: text, RetryAfter: time.Duration(retryMs) * time.Millisecond / 3}
	}
	return []freebusy.Schedule{{Attendee: "first", Start: time.Unix(start/2, 0).UTC()}, s}
}

// FuzzCompactRoundTrip: for fuzzed schedules the compact form and the JSON
// form agree: both refuse them, or both read them back, and then equal.
func FuzzCompactRoundTrip(f *testing.F) {
	f.Add("alice@example.com", "Weekly sync", int64(1772409600), int64(1800), uint32(0), []byte{0, 1, 2, 9, 10, 11}, byte(0x1f), int64(1500), uint8(1), uint8(0))
	f.Add("CN=Jürgen Müller/O=Acme", "tab\there \"quoted\" \xff\u2028", int64(-1), int64(-7), uint32(999999999), []byte{3, 4, 5, 6, 7, 8, 20, 255}, byte(0), int64(-5), uint8(2), uint8(5))
	f.Add("", "", int64(253402300799), int64(1), uint32(1), []byte{}, byte(0xff), int64(1<<40), uint8(3), uint8(13))
	f.Add("x", "y", int64(-62167219200), int64(0), uint32(5), []byte{2, 5, 8, 11}, byte(0), int64(0), uint8(4), uint8(9))
	f.Fuzz(func(t *testing.T, attendee, text string, start, step int64, nanos uint32, codes []byte, flags byte, retryMs int64, zone, reason uint8) {
		if len(codes) > 64 {
			codes = codes[:64]
		}
		ss := fuzzSchedules(attendee, text, start, step, nanos, codes, flags, retryMs, zone, reason)
		want, jerr := viaJSON(t, ss)
		got, cerr := viaCompact(t, ss)
		if (jerr == nil) != (cerr == nil) {
			t.Fatalf("the forms disagree: JSON %v, compact %v", jerr, cerr)
		}
		if jerr == nil {
			require.Equal(t, want, got)
		}
	})
}

// FuzzCompactDecode: arbitrary bytes never panic the decoder, every
// refusal is a *CompactError, and whatever it accepts encodes again and
// reads back the same.
func FuzzCompactDecode(f *testing.F) {
	_, ss := weekLoad(3)
	week, err := AppendCompactSchedules(nil, ss)
	require.NoError(f, err)
	f.Add(week)
	for _, s := range []string{
		`{"form":"compact1","base":1772409600,"schedules":[{"attendee":"alice@example.com","start":0,"end":86400,"intervals":[2,32400,36000,3,50400,52200,2]}]}`,
		`{"form":"compact1","base":0,"schedules":[{"attendee":"a","start":-1.5,"end":0.000000001,"events":[1,[0,1,4,31,"id","s","l"]],"workingHours":["Europe/Berlin",["12345",28800,61200]],"asOf":-0.25,"stale":true,"staleReason":"unavailable","error":{"attendee":"a","reason":"throttled","message":"m\n\u00e9","retryAfterMs":1500}}]}`,
		`{"form":"compact1","later":{"a":[1,true,null,"x"]},"base":0,"schedules":[{"new":[[{}]]}]}`,
		`{"form":"compact1","base":0,"schedules":[]}`,
		`{"form":"compact1","base":0,"schedules":[{"intervals":[3,0,1]}]}`,
		`{"form":"compact1","base":0,"schedules":[{"x":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}]}`,
		`{"form":"compact1","base":0,"schedules":[{"attendee":"\ud83d\ude00\ud800"}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		ss, err := DecodeCompactSchedules(data)
		if err != nil {
			var ce *CompactError
			require.ErrorAs(t, err, &ce)
			assert.ErrorIs(t, err, ErrProtocol)
			return
		}
		b, err := AppendCompactSchedules(nil, ss)
		require.NoError(t, err, "what the decoder accepts, the appender writes")
		again, err := DecodeCompactSchedules(b)
		require.NoError(t, err)
		require.Equal(t, ss, again)
	})
}

// FuzzCompactDecodeInto holds DecodeCompactSchedulesInto to
// DecodeCompactSchedules: the same schedules or the same error, whether
// the buffer's memory is reused after a Reset or the buffer still lends
// an earlier answer, which must come through untouched.
func FuzzCompactDecodeInto(f *testing.F) {
	_, ss := weekLoad(3)
	week, err := AppendCompactSchedules(nil, ss)
	require.NoError(f, err)
	f.Add(week)
	f.Add([]byte(`{"form":"compact1","base":0,"schedules":[{"attendee":"a","intervals":[2,0,60,3,60,120,2],"events":[1,[0,60,3,0,"i","s","l"]]},{}]}`))
	f.Add([]byte(`{"form":"compact1","base":0,"schedules":[{"intervals":[2,0,60,3]}]}`))
	var buf freebusy.ScheduleBuffer
	f.Fuzz(func(t *testing.T, data []byte) {
		want, wantErr := DecodeCompactSchedules(data)
		decodeAsPlain := func() {
			got, err := DecodeCompactSchedulesInto(data, &buf)
			if wantErr != nil {
				require.EqualError(t, err, wantErr.Error())
				return
			}
			require.NoError(t, err)
			require.Equal(t, want, got)
		}

		// Reused memory: the buffer held the week and was Reset.
		buf.Reset()
		_, err := DecodeCompactSchedulesInto(week, &buf)
		require.NoError(t, err)
		buf.Reset()
		decodeAsPlain()

		// An earlier answer still lent out: it is left as it was.
		buf.Reset()
		first, err := DecodeCompactSchedulesInto(week, &buf)
		require.NoError(t, err)
		decodeAsPlain()
		require.Equal(t, ss, first)
	})
}
