package transport

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/calbridge/calbridge/freebusy"
)

// viaJSON sends ss through the JSON form, as a Client reads it from a
// server that does not speak the compact form.
func viaJSON(t testing.TB, ss []freebusy.Schedule) ([]freebusy.Schedule, error) {
	t.Helper()
	b, err := json.Marshal(freeBusyResult{Schedules: ss})
	if err != nil {
		return nil, err
	}
	var res freeBusyResult
	if err := json.Unmarshal(b, &res); err != nil {
		return nil, err
	}
	toUTC(res.Schedules)
	return res.Schedules, nil
}

// viaCompact sends ss through the compact form.
func viaCompact(t testing.TB, ss []freebusy.Schedule) ([]freebusy.Schedule, error) {
	t.Helper()
	b, err := AppendCompactSchedules(nil, ss)
	if err != nil {
		return nil, err
	}
	require.Truef(t, json.Valid(b), "the compact form must be valid JSON: %s", b)
	return decodeCompactSchedules(b, len(ss), nil)
}

// assertSameBothWays checks that ss reads back the same through both forms.
func assertSameBothWays(t *testing.T, ss []freebusy.Schedule) {
	t.Helper()
	want, err := viaJSON(t, ss)
	require.NoError(t, err)
	got, err := viaCompact(t, ss)
	require.NoError(t, err)
	assert.Equal(t, want, got)
}

var berlin = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		panic(err)
	}
	return loc
}()

// TestCompactMatchesJSONWeekLoad: the benchmark's week of 100 calendars
// reads back through the compact form exactly as through the JSON form.
func TestCompactMatchesJSONWeekLoad(t *testing.T) {
	_, ss := weekLoad(100)
	assertSameBothWays(t, ss)
	got, err := viaCompact(t, ss)
	require.NoError(t, err)
	assert.Equal(t, ss, got, "and as the source wrote it (it writes UTC)")
}

// namedSchedule is a test case: a schedule and what it shows.
type namedSchedule struct {
	name string
	s    freebusy.Schedule
}

// edgeSchedules cover each member of a Schedule, its zero value and its
// edge values.
func edgeSchedules() []namedSchedule {
	w0 := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	sub := w0.Add(-1500 * time.Millisecond)                   // before the base, with a fraction
	nanos := w0.Add(9*time.Hour + 1*time.Nanosecond)          // one nanosecond past
	almost := w0.Add(10*time.Hour - 1*time.Nanosecond)        // nine nines
	inBerlin := time.Date(2026, 3, 2, 9, 0, 0, 250e6, berlin) // another zone: read back in UTC
	fixed := time.Date(2026, 3, 2, 9, 0, 0, 0, time.FixedZone("", -5*3600))
	allFlags := freebusy.Event{Start: nanos, End: almost, Status: freebusy.WorkingElsewhere, ID: "id", Subject: "s", Location: "l", Private: true, Meeting: true, Recurring: true, Exception: true, Reminder: true}
	return []namedSchedule{
		{"zero schedule", freebusy.Schedule{}},
		{"window only", freebusy.Schedule{Attendee: "a@example.com", Start: w0, End: w0.Add(24 * time.Hour)}},
		{"every status", freebusy.Schedule{Attendee: "a", Start: w0, End: w0.Add(time.Hour), Intervals: []freebusy.Interval{
			{Start: w0, End: w0.Add(1), Status: freebusy.Unknown},
			{Start: w0.Add(1), End: w0.Add(2), Status: freebusy.Free},
			{Start: w0.Add(2), End: w0.Add(3), Status: freebusy.Tentative},
			{Start: w0.Add(3), End: w0.Add(4), Status: freebusy.Busy},
			{Start: w0.Add(4), End: w0.Add(5), Status: freebusy.OutOfOffice},
			{Start: w0.Add(5), End: w0.Add(6), Status: freebusy.WorkingElsewhere},
		}}},
		{"sub-second and negative offsets", freebusy.Schedule{Attendee: "a", Start: w0, End: w0.Add(time.Hour), AsOf: sub, Intervals: []freebusy.Interval{
			{Start: sub, End: nanos, Status: freebusy.Busy},
			{Start: almost, End: w0.Add(-1), Status: freebusy.Tentative}, // inverted: carried as is
			{Start: w0.Add(-999999999), End: w0.Add(-1e9 - 1), Status: freebusy.Busy},
		}}},
		{"other zones", freebusy.Schedule{Attendee: "a", Start: inBerlin, End: fixed, AsOf: inBerlin, Intervals: []freebusy.Interval{{Start: inBerlin, End: fixed, Status: freebusy.Busy}}, Events: []freebusy.Event{{Start: fixed, End: inBerlin, Status: freebusy.Busy}}}},
		{"extreme instants", freebusy.Schedule{Attendee: "a", Start: time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC), End: time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC), AsOf: time.Date(1, 1, 1, 0, 0, 0, 1, time.UTC)}},
		{"events", freebusy.Schedule{Attendee: "a", Start: w0, End: w0.Add(time.Hour), Events: []freebusy.Event{
			{Start: w0, End: w0.Add(time.Minute), Status: freebusy.Busy},
			allFlags,
			{Start: w0, End: w0, Status: freebusy.Free, Subject: "only a subject"},
			{Start: w0, End: w0, Status: freebusy.Tentative, Location: "only a location"},
			{Start: w0, End: w0, Status: freebusy.Busy, ID: "only an id", Meeting: true},
			{Start: w0, End: w0, Status: freebusy.Busy, Private: true},
			{Start: w0, End: w0, Status: freebusy.Busy, Recurring: true, Exception: true},
			{Start: w0, End: w0, Status: freebusy.Busy, Reminder: true},
		}}},
		{"strings", freebusy.Schedule{Attendee: "CN=Jürgen \"JJ\" Müller/O=Acme\\DE <j@x>", Events: []freebusy.Event{
			{Subject: "tab\there, newline\nthere, \x00\x1f control, \u2028\u2029 separators, 日本語, 😀, & < >", Location: "bad UTF-8: \xff\xfe end", ID: "\\u0041 is not an escape here"},
		}, Err: &freebusy.Error{Attendee: "ü\"\\", Reason: freebusy.ReasonInvalid, Message: "line1\nline2 \xc3"}}},
		{"working hours", freebusy.Schedule{Attendee: "a", WorkingHours: &freebusy.WorkingHours{Location: berlin, Periods: []freebusy.WorkingPeriod{
			{Days: []time.Weekday{time.Monday, time.Friday, time.Monday}, Start: 8*time.Hour + 30*time.Second, End: 24 * time.Hour},
			{Days: nil, Start: 0, End: time.Second},
			{Days: []time.Weekday{time.Sunday, time.Saturday}, Start: 22 * time.Hour, End: 23*time.Hour + 59*time.Minute + 59*time.Second},
		}}}},
		{"working hours without periods", freebusy.Schedule{Attendee: "a", WorkingHours: &freebusy.WorkingHours{Location: time.UTC}}},
		{"working hours with empty periods", freebusy.Schedule{Attendee: "a", WorkingHours: &freebusy.WorkingHours{Location: berlin, Periods: []freebusy.WorkingPeriod{}}}},
		{"stale", freebusy.Schedule{Attendee: "a", Stale: true}},
		{"stale with reason", freebusy.Schedule{Attendee: "a", Stale: true, StaleReason: freebusy.ReasonUnavailable}},
		{"reason without stale", freebusy.Schedule{Attendee: "a", StaleReason: freebusy.ReasonThrottled}},
		{"error", freebusy.Schedule{Attendee: "a", Err: &freebusy.Error{Attendee: "a", Reason: freebusy.ReasonThrottled, Message: "ErrorServerBusy", RetryAfter: 1500 * time.Millisecond}}},
		{"error rounding the hint up", freebusy.Schedule{Attendee: "a", Err: &freebusy.Error{Reason: freebusy.ReasonTimeout, RetryAfter: 1500 * time.Microsecond}}},
		{"error without a reason", freebusy.Schedule{Attendee: "a", Err: &freebusy.Error{}}},
		{"error with a cause", freebusy.Schedule{Attendee: "a", Err: freebusy.NewError("a", freebusy.ReasonAccessDenied, errors.New("no access"))}},
		{"every member", freebusy.Schedule{Attendee: "a", Start: w0, End: w0.Add(time.Hour), Intervals: []freebusy.Interval{{Start: w0, End: w0.Add(time.Hour), Status: freebusy.Busy}}, Events: []freebusy.Event{allFlags}, WorkingHours: &freebusy.WorkingHours{Location: berlin, Periods: []freebusy.WorkingPeriod{{Days: []time.Weekday{1}, Start: time.Hour, End: 2 * time.Hour}}}, AsOf: sub, Stale: true, StaleReason: freebusy.ReasonTimeout, Err: &freebusy.Error{Reason: freebusy.ReasonInternal}}},
	}
}

// TestCompactMatchesJSONEveryField: every member of a Schedule, with its
// zero and edge values, reads back through the compact form as through the
// JSON form.
func TestCompactMatchesJSONEveryField(t *testing.T) {
	w0 := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	cases := edgeSchedules()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// Alone, and after a schedule that sets the base elsewhere.
			assertSameBothWays(t, []freebusy.Schedule{tc.s})
			assertSameBothWays(t, []freebusy.Schedule{{Attendee: "first", Start: w0.AddDate(3, 0, 0)}, tc.s})
		})
	}
	t.Run("no schedules", func(t *testing.T) { assertSameBothWays(t, []freebusy.Schedule{}) })
}

// TestCompactLargeCounts: counts far above a week's, with one
// allocation per slice.
func TestCompactLargeCounts(t *testing.T) {
	w0 := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	s := freebusy.Schedule{Attendee: "big", Start: w0, End: w0.AddDate(0, 0, 62)}
	for i := range 100000 {
		st := w0.Add(time.Duration(i) * time.Minute)
		s.Intervals = append(s.Intervals, freebusy.Interval{Start: st, End: st.Add(30 * time.Second), Status: freebusy.Status(i % 6)})
	}
	for i := range 20000 {
		st := w0.Add(time.Duration(i) * time.Hour)
		s.Events = append(s.Events, freebusy.Event{Start: st, End: st.Add(time.Hour), Status: freebusy.Busy, ID: strings.Repeat("x", i%50)})
	}
	assertSameBothWays(t, []freebusy.Schedule{s})
	b, err := AppendCompactSchedules(nil, []freebusy.Schedule{s})
	require.NoError(t, err)
	// A decoder of its own, warmed once, rather than the pool's: the race
	// detector makes sync.Pool drop entries at random.
	d := new(compactDecoder)
	decode := func() {
		d.data, d.pos = b, 0
		_, err := d.result(1)
		require.NoError(t, err)
	}
	decode()
	allocs := testing.AllocsPerRun(5, decode)
	assert.LessOrEqual(t, allocs, 4.0, "for 120000 items: the schedules, the intervals, the events and the strings, one allocation each")
}

// refusedSchedules are schedules the JSON form refuses to write.
func refusedSchedules() []namedSchedule {
	w0 := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	return []namedSchedule{
		{"undeclared interval status", freebusy.Schedule{Intervals: []freebusy.Interval{{Start: w0, End: w0, Status: 6}}}},
		{"undeclared event status", freebusy.Schedule{Events: []freebusy.Event{{Status: 200}}}},
		{"undeclared stale reason", freebusy.Schedule{StaleReason: 9}},
		{"undeclared error reason", freebusy.Schedule{Err: &freebusy.Error{Reason: 8}}},
		{"working hours without location", freebusy.Schedule{WorkingHours: &freebusy.WorkingHours{}}},
		{"working hours in time.Local", freebusy.Schedule{WorkingHours: &freebusy.WorkingHours{Location: time.Local}}},
		{"inverted period", freebusy.Schedule{WorkingHours: &freebusy.WorkingHours{Location: berlin, Periods: []freebusy.WorkingPeriod{{Start: 2 * time.Hour, End: time.Hour}}}}},
		{"period with a fraction", freebusy.Schedule{WorkingHours: &freebusy.WorkingHours{Location: berlin, Periods: []freebusy.WorkingPeriod{{Start: time.Millisecond, End: time.Hour}}}}},
		{"year 10000", freebusy.Schedule{Start: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}},
		{"year -1", freebusy.Schedule{AsOf: time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC)}},
	}
}

// TestCompactRefusesWhatJSONRefuses: the appender fails where
// encoding/json fails, so that a server answers both forms alike.
func TestCompactRefusesWhatJSONRefuses(t *testing.T) {
	for _, tc := range refusedSchedules() {
		t.Run(tc.name, func(t *testing.T) {
			_, jerr := json.Marshal(freeBusyResult{Schedules: []freebusy.Schedule{tc.s}})
			require.Error(t, jerr, "the JSON form refuses it")
			_, err := AppendCompactSchedules(nil, []freebusy.Schedule{tc.s})
			assert.Error(t, err)
		})
	}
	// And the decoder refuses what freebusy's UnmarshalJSON refuses.
	for _, tc := range []struct {
		name string
		s    freebusy.Schedule
	}{
		{"negative retry hint", freebusy.Schedule{Err: &freebusy.Error{Reason: freebusy.ReasonThrottled, RetryAfter: -time.Second}}},
		{"retry hint over a year", freebusy.Schedule{Err: &freebusy.Error{Reason: freebusy.ReasonThrottled, RetryAfter: 400 * 24 * time.Hour}}},
		{"zone that does not load", freebusy.Schedule{WorkingHours: &freebusy.WorkingHours{Location: time.FixedZone("Nowhere/Land", 3600)}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, jerr := viaJSON(t, []freebusy.Schedule{tc.s})
			require.Error(t, jerr, "the JSON form refuses it on reading")
			_, err := viaCompact(t, []freebusy.Schedule{tc.s})
			var ce *CompactError
			require.ErrorAs(t, err, &ce)
			assert.ErrorIs(t, err, ErrProtocol)
			assert.ErrorIs(t, err, freebusy.ErrInvalid, "the freebusy error behind it: %v", err)
		})
	}
}

// TestCompactDecodeRefusesBadInput: every kind of bad input gets a
// *CompactError at the right place, never a panic.
func TestCompactDecodeRefusesBadInput(t *testing.T) {
	const ok = `{"form":"compact1","base":100,"schedules":[{"attendee":"a","start":0,"end":10,"intervals":[1,0,5,3]}]}`
	got, err := DecodeCompactSchedules([]byte(ok))
	require.NoError(t, err)
	require.Len(t, got, 1)
	assert.Equal(t, time.Unix(105, 0).UTC(), got[0].Intervals[0].End)

	for _, tc := range []struct {
		name, in, detail string
	}{
		{"empty", ``, `want "{\"form\":\"compact1\""`},
		{"JSON form", `{"schedules":[]}`, `want`},
		{"other form", `{"form":"compact2","base":0,"schedules":[]}`, `want`},
		{"no base", `{"form":"compact1","schedules":[]}`, `"schedules" before "base"`},
		{"no schedules", `{"form":"compact1","base":0}`, `no "schedules"`},
		{"twice", `{"form":"compact1","base":0,"schedules":[],"schedules":[]}`, `"schedules" twice`},
		{"trailing bytes", `{"form":"compact1","base":0,"schedules":[]}x`, `bytes after the result`},
		{"truncated", ok[:len(ok)-2], `want`},
		{"truncated in a count", ok[:len(ok)-5], `item count out of range`},
		{"base too far", `{"form":"compact1","base":999999999999,"schedules":[]}`, `base outside`},
		{"base too long", `{"form":"compact1","base":9999999999999,"schedules":[]}`, `number too long`},
		{"leading zero", `{"form":"compact1","base":01,"schedules":[]}`, `leading zero`},
		{"instant out of range", `{"form":"compact1","base":0,"schedules":[{"start":-62167219201}]}`, `instant outside`},
		{"instant exponent", `{"form":"compact1","base":0,"schedules":[{"start":1e3}]}`, `no exponent`},
		{"ten decimals", `{"form":"compact1","base":0,"schedules":[{"start":1.0000000001}]}`, `more than nine decimals`},
		{"bare point", `{"form":"compact1","base":0,"schedules":[{"start":1.}]}`, `want decimals`},
		{"count too large", `{"form":"compact1","base":0,"schedules":[{"intervals":[1000000,0,1,3]}]}`, `item count out of range`},
		{"negative count", `{"form":"compact1","base":0,"schedules":[{"intervals":[-1]}]}`, `item count out of range`},
		{"fewer intervals than count", `{"form":"compact1","base":0,"schedules":[{"intervals":[2,0,1,3,       ]}]}`, `want`},
		{"more intervals than count", `{"form":"compact1","base":0,"schedules":[{"intervals":[1,0,1,3,0,1,3]}]}`, `more intervals than their count`},
		{"bad status", `{"form":"compact1","base":0,"schedules":[{"intervals":[1,0,1,6]}]}`, `status digit`},
		{"two-digit status", `{"form":"compact1","base":0,"schedules":[{"intervals":[1,0,1,33]}]}`, `status digit`},
		{"event flags", `{"form":"compact1","base":0,"schedules":[{"events":[1,[0,1,3,32]]}]}`, `event flags`},
		{"event with four strings", `{"form":"compact1","base":0,"schedules":[{"events":[1,[0,1,3,0,"a","b","c","d"]]}]}`, `want ']'`},
		{"event string not a string", `{"form":"compact1","base":0,"schedules":[{"events":[1,[0,1,3,0,7]]}]}`, `want a string`},
		{"bad weekday", `{"form":"compact1","base":0,"schedules":[{"workingHours":["UTC",["17",0,60]]}]}`, `weekdays`},
		{"unknown zone", `{"form":"compact1","base":0,"schedules":[{"workingHours":["Mars/Olympus",["1",0,60]]}]}`, `unknown time zone`},
		{"Local zone", `{"form":"compact1","base":0,"schedules":[{"workingHours":["Local"]}]}`, `unknown time zone`},
		{"invalid period", `{"form":"compact1","base":0,"schedules":[{"workingHours":["UTC",["1",60,0]]}]}`, `working hours`},
		{"unknown reason", `{"form":"compact1","base":0,"schedules":[{"staleReason":"bored"}]}`, `reason`},
		{"stale not a boolean", `{"form":"compact1","base":0,"schedules":[{"stale":1}]}`, `true or false`},
		{"escaped key", `{"form":"compact1","base":0,"schedules":[{"\u0061ttendee":"a"}]}`, `plain ASCII`},
		{"control character", "{\"form\":\"compact1\",\"base\":0,\"schedules\":[{\"attendee\":\"a\x01\"}]}", `control character`},
		{"invalid UTF-8", "{\"form\":\"compact1\",\"base\":0,\"schedules\":[{\"attendee\":\"a\xff\"}]}", `invalid UTF-8`},
		{"invalid UTF-8 before an escape", "{\"form\":\"compact1\",\"base\":0,\"schedules\":[{\"attendee\":\"\xff\\n\"}]}", `invalid UTF-8`},
		{"bad escape", `{"form":"compact1","base":0,"schedules":[{"attendee":"\x"}]}`, `unknown escape`},
		{"bad unicode escape", `{"form":"compact1","base":0,"schedules":[{"attendee":"\u12G4"}]}`, `bad \u escape`},
		{"unterminated string", `{"form":"compact1","base":0,"schedules":[{"attendee":"abc`, `unterminated string`},
		{"unknown member too deep", `{"form":"compact1","base":0,"schedules":[{"x":` + strings.Repeat("[", 65) + strings.Repeat("]", 65) + `}]}`, `nested too deeply`},
		{"unknown member mismatched", `{"form":"compact1","base":0,"schedules":[{"x":[1,2}]}]}`, `want ',' or a closing bracket`},
		{"unknown member empty", `{"form":"compact1","base":0,"schedules":[{"x":}]}`, `want a value`},
		{"retry hint negative", `{"form":"compact1","base":0,"schedules":[{"error":{"reason":"throttled","retryAfterMs":-1}}]}`, `retryAfterMs`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeCompactSchedules([]byte(tc.in))
			var ce *CompactError
			require.ErrorAs(t, err, &ce)
			assert.Contains(t, err.Error(), tc.detail)
			assert.ErrorIs(t, err, ErrProtocol)
			assert.True(t, ce.Offset >= 0 && ce.Offset <= len(tc.in), "offset %d within the input", ce.Offset)
		})
	}
}

// TestCompactSkipsUnknownMembers: members a later version may add are
// skipped, at the top and in schedules and errors, whatever their shape.
func TestCompactSkipsUnknownMembers(t *testing.T) {
	in := `{"form":"compact1","later":{"a":[1,-2.5e3,true,null,"x\"]"],"b":{}},"base":100,"schedules":[{"new":[],"attendee":"a","n2":{"k":[[],[{}]]},"start":0,"error":{"reason":"timeout","hint":"soon"}}],"tail":"x"}`
	require.True(t, json.Valid([]byte(in)))
	got, err := DecodeCompactSchedules([]byte(in))
	require.NoError(t, err)
	require.Len(t, got, 1)
	assert.Equal(t, "a", got[0].Attendee)
	assert.Equal(t, time.Unix(100, 0).UTC(), got[0].Start)
	assert.Equal(t, &freebusy.Error{Reason: freebusy.ReasonTimeout}, got[0].Err)
}

// TestCompactStringEscapes: escapes a stock JSON encoder may write read
// back as encoding/json reads them, lone surrogates included.
func TestCompactStringEscapes(t *testing.T) {
	for _, in := range []string{
		`"plain"`, `"\"\\\/\b\f\n\r\t"`, `"\u00e9\u65e5"`, `"\ud83d\ude00"`, `"\ud83d"`, `"\ude00x"`, `"\ud83d\u0041"`, `"\ud83d\ud83d\ude00"`, `"ok \u2028"`, `"日本"`,
	} {
		var want string
		require.NoError(t, json.Unmarshal([]byte(in), &want))
		doc := `{"form":"compact1","base":0,"schedules":[{"attendee":` + in + `}]}`
		got, err := DecodeCompactSchedules([]byte(doc))
		require.NoError(t, err, in)
		assert.Equal(t, want, got[0].Attendee, in)
	}
}

// TestPlainRun checks the word-at-a-time scan against the byte table, for
// every special byte at every position of a few words.
func TestPlainRun(t *testing.T) {
	for _, special := range []byte{'"', '\\', 0, 0x1f, 0x80, 0xff, 0xc3} {
		for n := 0; n < 20; n++ {
			for at := 0; at <= n; at++ {
				b := []byte(strings.Repeat("a~ !#[]{", 3)[:n])
				if at < n {
					b[at] = special
				}
				want := 0
				for want < len(b) && plainStringByte[b[want]] {
					want++
				}
				for from := 0; from <= want; from++ {
					require.Equalf(t, want, plainRun(b, from), "special %#x at %d of %d, from %d", special, at, n, from)
				}
			}
		}
	}
}

// TestCompactDecodeIntoReusesSchedules: DecodeCompactSchedulesInto, which
// is not told how many schedules to expect, still takes the result's
// schedules from the buffer (after reading them all, so that their number
// is known): after a Reset the next result lies in the same memory, and
// the decoder keeps no reference to a result once it has returned it.
func TestCompactDecodeIntoReusesSchedules(t *testing.T) {
	_, ss := weekLoad(30)
	data, err := AppendCompactSchedules(nil, ss)
	require.NoError(t, err)
	var buf freebusy.ScheduleBuffer
	first, err := DecodeCompactSchedulesInto(data, &buf)
	require.NoError(t, err)
	require.Equal(t, ss, first)
	require.Equal(t, len(ss), cap(first), "exactly as many schedules as read")
	buf.Reset()
	second, err := DecodeCompactSchedulesInto(data, &buf)
	require.NoError(t, err)
	require.Equal(t, ss, second)
	require.Same(t, &first[0], &second[0], "the buffer's schedules serve again")

	plain, err := DecodeCompactSchedules(data)
	require.NoError(t, err)
	require.Equal(t, ss, plain)
	require.Equal(t, len(ss), cap(plain), "without a buffer, one slice of the right size")
	require.NotSame(t, &plain[0], &second[0])

	d := compactDecoderPool.Get().(*compactDecoder)
	for _, s := range d.found[:cap(d.found)] {
		require.Zero(t, s.Attendee, "a pooled decoder holds no schedule of a result")
	}
	compactDecoderPool.Put(d)
}
