package ical

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/calbridge/calbridge/freebusy"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return data
}

func interval(start, end time.Time, s freebusy.Status) freebusy.Interval {
	return freebusy.Interval{Start: start, End: end, Status: s}
}

// The Domino DAS busytime sample of docs/notes.md §2.2.4, with the
// inverted first period of docs/notes.md §2.2.6: no ATTENDEE, no FBTYPE
// (BUSY), DTSTAMP as-of, and the inverted period dropped and counted.
func TestDecodeVFreeBusyDominoDAS(t *testing.T) {
	got, rep, err := DecodeVFreeBusy(bytes.NewReader(readTestdata(t, "domino-das.ics")))
	require.NoError(t, err)
	require.Len(t, got, 1)
	s := got[0]
	assert.Equal(t, "", s.Attendee)
	assert.Equal(t, utc(2013, 11, 5, 20, 13, 17), s.Start)
	assert.Equal(t, utc(2013, 12, 5, 20, 13, 17), s.End)
	assert.Equal(t, utc(2013, 11, 5, 20, 43, 17), s.AsOf)
	assert.Equal(t, []freebusy.Interval{
		interval(utc(2013, 11, 5, 22, 0, 0), utc(2013, 11, 6, 14, 0, 0), freebusy.Busy),
		interval(utc(2013, 11, 6, 17, 0, 0), utc(2013, 11, 6, 18, 0, 0), freebusy.Busy),
	}, s.Intervals)
	assert.Equal(t, VFreeBusyReport{Components: 1, Periods: 3, Normalize: freebusy.NormalizeReport{Inverted: 1}}, rep)
}

// Radicale writes one VFREEBUSY per busy occurrence, with the interval in
// DTSTART/DTEND and FBTYPE as a property (docs/peers.md §3.8); they are merged
// into one schedule whose window spans them.
func TestDecodeVFreeBusyRadicale(t *testing.T) {
	got, rep, err := DecodeVFreeBusy(bytes.NewReader(readTestdata(t, "radicale-per-interval.ics")))
	require.NoError(t, err)
	require.Len(t, got, 1)
	assert.Equal(t, utc(2024, 3, 1, 9, 0, 0), got[0].Start)
	assert.Equal(t, utc(2024, 3, 1, 14, 0, 0), got[0].End)
	assert.Equal(t, []freebusy.Interval{
		interval(utc(2024, 3, 1, 9, 0, 0), utc(2024, 3, 1, 10, 0, 0), freebusy.Busy),
		interval(utc(2024, 3, 1, 10, 0, 0), utc(2024, 3, 1, 11, 0, 0), freebusy.Tentative),
		interval(utc(2024, 3, 1, 13, 0, 0), utc(2024, 3, 1, 14, 0, 0), freebusy.OutOfOffice),
	}, got[0].Intervals)
	assert.Equal(t, 3, rep.Components)
	assert.Equal(t, 2, rep.Merged)
	assert.Equal(t, 3, rep.Periods)
}

// Several periods per line, both period forms, folded input, foreign
// FBTYPE spellings, two components for one attendee (merged, case and
// mailto: ignored) and a failed attendee signalled by REQUEST-STATUS: the
// shapes of docs/peers.md §3.3 and §4 (values invented for the test).
func TestDecodeVFreeBusyMultiPeriod(t *testing.T) {
	got, rep, err := DecodeVFreeBusy(bytes.NewReader(readTestdata(t, "davmail-multi-period.ics")))
	require.NoError(t, err)
	require.Len(t, got, 2)
	alice := got[0]
	assert.Equal(t, "Alice@Example.com", alice.Attendee)
	assert.Equal(t, utc(2024, 3, 1, 0, 0, 0), alice.Start)
	assert.Equal(t, utc(2024, 3, 3, 0, 0, 0), alice.End)
	assert.Equal(t, utc(2024, 3, 1, 8, 15, 0), alice.AsOf, "latest DTSTAMP of the merged components")
	assert.Equal(t, []freebusy.Interval{
		interval(utc(2024, 3, 1, 9, 0, 0), utc(2024, 3, 1, 10, 0, 0), freebusy.Busy),
		interval(utc(2024, 3, 1, 11, 0, 0), utc(2024, 3, 1, 11, 30, 0), freebusy.Busy),
		interval(utc(2024, 3, 1, 12, 0, 0), utc(2024, 3, 1, 13, 0, 0), freebusy.Tentative),
		interval(utc(2024, 3, 1, 15, 0, 0), utc(2024, 3, 1, 15, 30, 0), freebusy.Busy),
		interval(utc(2024, 3, 1, 16, 0, 0), utc(2024, 3, 1, 18, 0, 0), freebusy.WorkingElsewhere),
		interval(utc(2024, 3, 1, 20, 0, 0), utc(2024, 3, 1, 21, 0, 0), freebusy.Busy),
		interval(utc(2024, 3, 2, 0, 0, 0), utc(2024, 3, 3, 0, 0, 0), freebusy.OutOfOffice),
	}, alice.Intervals)
	nobody := got[1]
	assert.Equal(t, "nobody@example.com", nobody.Attendee)
	require.NotNil(t, nobody.Err)
	assert.ErrorIs(t, nobody.Err, freebusy.ErrUnknownAttendee)
	assert.Equal(t, "Invalid calendar user", nobody.Err.Message)
	assert.Empty(t, nobody.Intervals)
	assert.Equal(t, VFreeBusyReport{Components: 3, Merged: 1, Periods: 7, UnknownTypes: 1}, rep)
}

// roundTripSchedules has every status, a failed schedule with a retry hint
// and a message that needs escaping, a stale schedule, and an attendee that
// is already a URI.
func roundTripSchedules() []freebusy.Schedule {
	start, end := utc(2026, 3, 2, 0, 0, 0), utc(2026, 3, 9, 0, 0, 0)
	asOf := utc(2026, 3, 1, 23, 59, 0)
	failed := freebusy.Failed("bob@example.com", start, end, freebusy.ReasonThrottled, errors.New("server busy; try again, later\r\nsecond line"))
	failed.Err.RetryAfter = 90 * time.Second
	failed.AsOf = asOf
	return []freebusy.Schedule{
		{
			Attendee: "alice@example.com", Start: start, End: end, AsOf: asOf,
			Intervals: []freebusy.Interval{
				interval(utc(2026, 3, 2, 9, 0, 0), utc(2026, 3, 2, 10, 0, 0), freebusy.Busy),
				interval(utc(2026, 3, 2, 10, 0, 0), utc(2026, 3, 2, 11, 0, 0), freebusy.Tentative),
				interval(utc(2026, 3, 3, 0, 0, 0), utc(2026, 3, 4, 0, 0, 0), freebusy.OutOfOffice),
				interval(utc(2026, 3, 4, 9, 0, 0), utc(2026, 3, 4, 17, 0, 0), freebusy.WorkingElsewhere),
				interval(utc(2026, 3, 6, 0, 0, 0), utc(2026, 3, 9, 0, 0, 0), freebusy.Unknown),
			},
		},
		failed,
		{
			Attendee: "urn:uuid:6f1c9a70-2c1e-4d8e-9a1e-3c2f6d3f0b11", Start: start, End: end, AsOf: asOf, Stale: true,
			Intervals: []freebusy.Interval{interval(utc(2026, 3, 5, 13, 0, 0), utc(2026, 3, 5, 13, 30, 0), freebusy.Busy)},
		},
	}
}

// The encoder's output is pinned by a golden file, checked against RFC 5545
// (§3.1 folding, §3.6.4 required properties, §3.2.9 FBTYPE always present).
func TestEncodeVFreeBusyGolden(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, EncodeVFreeBusy(&buf, roundTripSchedules(), VFreeBusyOptions{Organizer: "carol@example.com", Method: "REPLY"}))
	golden := filepath.Join("testdata", "roundtrip.golden.ics")
	if *update {
		require.NoError(t, os.WriteFile(golden, buf.Bytes(), 0o644))
	}
	want, err := os.ReadFile(golden)
	require.NoError(t, err)
	assert.Equal(t, string(want), buf.String())

	out := buf.String()
	assertLinesFit(t, out)
	assert.True(t, strings.HasSuffix(out, "END:VCALENDAR\r\n"))
	unfolded := unfold(out)
	for _, line := range strings.Split(unfolded, "\r\n") {
		if strings.HasPrefix(line, "FREEBUSY") {
			assert.Contains(t, line, ";FBTYPE=", "FBTYPE must always be written")
			assert.Equal(t, 1, strings.Count(line, "/"), "one period per line: %s", line)
		}
	}
	assert.Equal(t, 3, strings.Count(unfolded, "BEGIN:VFREEBUSY\r\n"))
	assert.Contains(t, unfolded, "FREEBUSY;FBTYPE=FREE;X-CALBRIDGE-FBTYPE=working-elsewhere:20260304T090000Z/20260304T170000Z")
	assert.Contains(t, unfolded, "FREEBUSY;FBTYPE=X-CALBRIDGE-UNKNOWN:20260306T000000Z/20260309T000000Z")
	assert.Contains(t, unfolded, `X-CALBRIDGE-ERROR;X-CALBRIDGE-REASON=throttled;X-CALBRIDGE-RETRY-AFTER=PT90S:server busy\; try again\, later\nsecond line`)
	assert.Contains(t, unfolded, "REQUEST-STATUS:5.1;Service unavailable")
	assert.Contains(t, unfolded, "ATTENDEE:urn:uuid:6f1c9a70-2c1e-4d8e-9a1e-3c2f6d3f0b11")
	assert.Contains(t, unfolded, "ATTENDEE:mailto:alice@example.com")
}

func TestVFreeBusyRoundTrip(t *testing.T) {
	in := roundTripSchedules()
	var buf bytes.Buffer
	require.NoError(t, EncodeVFreeBusy(&buf, in, VFreeBusyOptions{}))
	got, rep, err := DecodeVFreeBusy(&buf)
	require.NoError(t, err)
	require.Len(t, got, len(in))
	assert.Equal(t, VFreeBusyReport{Components: 3, Periods: 7}, rep)
	for i := range in {
		want := in[i]
		if want.Err != nil {
			// The cause stays in process (see Error); reason, message
			// (line breaks as LF) and retry hint travel.
			want.Err = &freebusy.Error{Attendee: want.Attendee, Reason: want.Err.Reason, Message: "server busy; try again, later\nsecond line", RetryAfter: want.Err.RetryAfter}
			want.Intervals = nil
		}
		assert.Equal(t, want, got[i], "schedule %d", i)
	}
}

func TestEncodeVFreeBusyNormalizes(t *testing.T) {
	s := freebusy.Schedule{
		Attendee: "a@example.com", Start: utc(2026, 1, 1, 0, 0, 0), End: utc(2026, 1, 2, 0, 0, 0),
		Intervals: []freebusy.Interval{
			interval(utc(2026, 1, 1, 10, 0, 0), utc(2026, 1, 1, 12, 0, 0), freebusy.Tentative),
			interval(utc(2026, 1, 1, 11, 0, 0), utc(2026, 1, 1, 11, 30, 0), freebusy.Busy),
			interval(utc(2025, 12, 31, 23, 0, 0), utc(2026, 1, 1, 1, 0, 0), freebusy.Busy), // clipped
			interval(utc(2026, 1, 1, 13, 0, 0), utc(2026, 1, 1, 14, 0, 0), freebusy.Free),  // not written
		},
	}
	var buf bytes.Buffer
	require.NoError(t, EncodeVFreeBusy(&buf, []freebusy.Schedule{s}, VFreeBusyOptions{Stamp: utc(2026, 1, 1, 0, 0, 0)}))
	var fb []string
	for _, line := range strings.Split(unfold(buf.String()), "\r\n") {
		if strings.HasPrefix(line, "FREEBUSY") {
			fb = append(fb, line)
		}
	}
	assert.Equal(t, []string{
		"FREEBUSY;FBTYPE=BUSY:20260101T000000Z/20260101T010000Z",
		"FREEBUSY;FBTYPE=BUSY-TENTATIVE:20260101T100000Z/20260101T110000Z",
		"FREEBUSY;FBTYPE=BUSY:20260101T110000Z/20260101T113000Z",
		"FREEBUSY;FBTYPE=BUSY-TENTATIVE:20260101T113000Z/20260101T120000Z",
	}, fb)
	assert.Len(t, s.Intervals, 4, "the caller's schedule is not modified")
}

func TestEncodeVFreeBusyErrors(t *testing.T) {
	start, end := utc(2026, 1, 1, 0, 0, 0), utc(2026, 1, 2, 0, 0, 0)
	stamp := VFreeBusyOptions{Stamp: start}
	tests := []struct {
		name      string
		schedules []freebusy.Schedule
		opt       VFreeBusyOptions
		check     func(t *testing.T, err error)
	}{
		{"empty batch", nil, stamp, func(t *testing.T, err error) { assert.ErrorIs(t, err, ErrNoSchedules) }},
		{"no stamp", []freebusy.Schedule{{Attendee: "a", Start: start, End: end}}, VFreeBusyOptions{}, func(t *testing.T, err error) {
			assert.ErrorIs(t, err, ErrNoStamp)
			assert.Contains(t, err.Error(), "schedule 0")
		}},
		{"inverted window", []freebusy.Schedule{{Attendee: "a", Start: end, End: start}}, stamp, func(t *testing.T, err error) {
			assert.ErrorIs(t, err, freebusy.ErrEmptyWindow)
		}},
		{"year 10000", []freebusy.Schedule{{Attendee: "a", Start: start, End: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}}, stamp, func(t *testing.T, err error) {
			var pe *freebusy.ParseError
			require.ErrorAs(t, err, &pe)
			assert.Equal(t, "DTEND", pe.Kind)
		}},
		{"line break in attendee", []freebusy.Schedule{{Attendee: "a\r\nX-EVIL:1", Start: start, End: end}}, stamp, func(t *testing.T, err error) {
			assert.ErrorIs(t, err, freebusy.ErrInvalid)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			err := EncodeVFreeBusy(&buf, tt.schedules, tt.opt)
			require.Error(t, err)
			tt.check(t, err)
		})
	}
	err := EncodeVFreeBusy(failingWriter{}, []freebusy.Schedule{{Attendee: "a", Start: start, End: end}}, stamp)
	assert.ErrorIs(t, err, errDiskFull)
}

const vfbHeader = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VFREEBUSY\r\n"
const vfbFooter = "END:VFREEBUSY\r\nEND:VCALENDAR\r\n"

// Bad input gets a *ParseError with the line of the offending content line.
func TestDecodeVFreeBusyErrors(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		kind  string
		line  int
		cause error
	}{
		{"empty input", "", "iCalendar", 0, errNoCalendar},
		{"blank lines only", "\r\n\r\n", "iCalendar", 0, errNoCalendar},
		{"not iCalendar", "hello world\r\n", "iCalendar", 1, nil},
		{"truncated", vfbHeader + "FREEBUSY:20240301T090000Z/PT1H\r\n", "iCalendar", 4, errUnclosed},
		{"mismatched END", vfbHeader + "END:VEVENT\r\nEND:VCALENDAR\r\n", "iCalendar", 5, nil},
		{"parameter without value (go-ical panics)", vfbHeader + "FREEBUSY;FBTYPE=BUSY\r\n" + vfbFooter, "iCalendar", 5, errDecoderPanic},
		{"junk after quoted parameter (go-ical panics)", vfbHeader + "FREEBUSY;FBTYPE=\"BUSY\"X:20240301T090000Z/PT1H\r\n" + vfbFooter, "iCalendar", 5, errDecoderPanic},
		{"floating period", vfbHeader + "UID:1\r\nFREEBUSY:20240301T090000/PT1H\r\n" + vfbFooter, "FREEBUSY", 6, errNotUTC},
		{"second period of a folded line", vfbHeader + "FREEBUSY:20240301T090000Z/PT1H,\r\n 20240301T100000Z/PT1X\r\n" + vfbFooter, "FREEBUSY", 5, errBadDuration},
		{"bad DTSTART", vfbHeader + "DTSTART:2024-03-01\r\n" + vfbFooter, "DTSTART", 5, nil},
		{"TZID=Local", vfbHeader + "DTSTART;TZID=Local:20240301T090000\r\n" + vfbFooter, "DTSTART", 5, nil},
		{"bad retry hint", vfbHeader + "X-CALBRIDGE-ERROR;X-CALBRIDGE-RETRY-AFTER=soon:x\r\n" + vfbFooter, "X-CALBRIDGE-ERROR", 5, errBadDuration},
		{"inverted window with data", vfbHeader + "DTSTART:20240302T000000Z\r\nDTEND:20240301T000000Z\r\nFREEBUSY:20240301T090000Z/PT1H\r\n" + vfbFooter, "VFREEBUSY", 4, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := DecodeVFreeBusy(strings.NewReader(tt.in))
			var pe *freebusy.ParseError
			require.ErrorAs(t, err, &pe)
			assert.Equal(t, tt.kind, pe.Kind)
			assert.Equal(t, tt.line, pe.Line, "line of %q", pe.Input)
			if tt.cause != nil {
				assert.ErrorIs(t, err, tt.cause)
			}
			assert.ErrorIs(t, err, freebusy.ErrInvalid)
			assert.Equal(t, freebusy.ReasonInvalid, freebusy.ReasonOf(err))
		})
	}
}

func TestDecodeVFreeBusyFBTypes(t *testing.T) {
	tests := []struct {
		params string
		want   freebusy.Status
		counts int // UnknownTypes
	}{
		{"", freebusy.Busy, 0},
		{";FBTYPE=BUSY", freebusy.Busy, 0},
		{";FBTYPE=busy-tentative", freebusy.Tentative, 0},
		{";FBTYPE=BUSY-UNAVAILABLE", freebusy.OutOfOffice, 0},
		{";FBTYPE=X-CALBRIDGE-UNKNOWN", freebusy.Unknown, 0},
		{";FBTYPE=X-CALBRIDGE-WORKING-ELSEWHERE", freebusy.WorkingElsewhere, 0},
		{";FBTYPE=\"X-Working elsewhere\"", freebusy.WorkingElsewhere, 0},
		{";FBTYPE=FREE;X-CALBRIDGE-FBTYPE=working-elsewhere", freebusy.WorkingElsewhere, 0},
		{";FBTYPE=X-NEW-THING", freebusy.Busy, 1},
		{";FBTYPE=FREE;X-CALBRIDGE-FBTYPE=nonsense", freebusy.Free, 0},
	}
	for _, tt := range tests {
		t.Run(tt.params, func(t *testing.T) {
			in := vfbHeader + "DTSTART:20240301T000000Z\r\nDTEND:20240302T000000Z\r\nFREEBUSY" + tt.params + ":20240301T090000Z/PT1H\r\n" + vfbFooter
			got, rep, err := DecodeVFreeBusy(strings.NewReader(in))
			require.NoError(t, err)
			require.Len(t, got, 1)
			assert.Equal(t, tt.want, got[0].StatusAt(utc(2024, 3, 1, 9, 30, 0)))
			assert.Equal(t, tt.counts, rep.UnknownTypes)
		})
	}
}

func TestDecodeVFreeBusyRequestStatus(t *testing.T) {
	tests := []struct {
		status string
		want   freebusy.Reason
	}{
		{"2.0;Success", freebusy.ReasonNone},
		{"3.7;Invalid calendar user", freebusy.ReasonUnknownAttendee},
		{"3.8;No authority", freebusy.ReasonAccessDenied},
		{"5.3;No scheduling support for user", freebusy.ReasonUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.status, func(t *testing.T) {
			in := vfbHeader + "ATTENDEE:mailto:x@example.com\r\nREQUEST-STATUS:" + tt.status + "\r\n" + vfbFooter
			got, _, err := DecodeVFreeBusy(strings.NewReader(in))
			require.NoError(t, err)
			require.Len(t, got, 1)
			assert.Equal(t, tt.want, freebusy.ReasonOf(errOrNil(got[0].Err)))
		})
	}
}

func errOrNil(e *freebusy.Error) error {
	if e == nil {
		return nil
	}
	return e
}

func TestDecodeVFreeBusyReadError(t *testing.T) {
	_, _, err := DecodeVFreeBusy(errReader{})
	assert.ErrorIs(t, err, errDiskFull)
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errDiskFull }

// Folding (ours) and unfolding (go-ical's) agree on long non-ASCII lines:
// an attendee far longer than 75 octets, multi-byte runes at every offset,
// survives a round trip.
func TestVFreeBusyFoldRoundTrip(t *testing.T) {
	for pad := 0; pad < 4; pad++ {
		attendee := strings.Repeat("x", pad) + strings.Repeat("ünïcødé😀", 12) + "@example.com"
		s := freebusy.Schedule{Attendee: attendee, Start: utc(2026, 1, 1, 0, 0, 0), End: utc(2026, 1, 2, 0, 0, 0), AsOf: utc(2026, 1, 1, 0, 0, 0)}
		var buf bytes.Buffer
		require.NoError(t, EncodeVFreeBusy(&buf, []freebusy.Schedule{s}, VFreeBusyOptions{}))
		assertLinesFit(t, buf.String())
		got, _, err := DecodeVFreeBusy(&buf)
		require.NoError(t, err)
		require.Len(t, got, 1)
		assert.Equal(t, attendee, got[0].Attendee)

		// The address is percent-encoded ASCII in the value (RFC 6068
		// §2); a long display name keeps multi-byte runes on the line, in
		// CN, and must fold too.
		named := strings.Repeat("x", pad) + strings.Repeat("ünïcødé😀", 12) + " <z@example.com>"
		s.Attendee = named
		buf.Reset()
		require.NoError(t, EncodeVFreeBusy(&buf, []freebusy.Schedule{s}, VFreeBusyOptions{}))
		assertLinesFit(t, buf.String())
		got, _, err = DecodeVFreeBusy(&buf)
		require.NoError(t, err)
		require.Len(t, got, 1)
		assert.Equal(t, "z@example.com", got[0].Attendee)
	}
}

// Peer shapes the first decoder missed: Radicale-style one-interval
// components with DTSTART and DURATION (RFC 2445 allowed it), and Outlook's
// Windows zone ids in the window's TZID.
func TestDecodeVFreeBusyDurationAndWindowsZone(t *testing.T) {
	in := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\n" +
		"BEGIN:VFREEBUSY\r\nATTENDEE:mailto:a@example.com\r\nDTSTART;TZID=W. Europe Standard Time:20240305T090000\r\nDTEND;TZID=W. Europe Standard Time:20240305T180000\r\nEND:VFREEBUSY\r\n" +
		"BEGIN:VFREEBUSY\r\nATTENDEE:mailto:a@example.com\r\nDTSTART:20240305T100000Z\r\nDURATION:PT1H30M\r\nFBTYPE:BUSY-TENTATIVE\r\nEND:VFREEBUSY\r\n" +
		"BEGIN:VFREEBUSY\r\nATTENDEE:mailto:a@example.com\r\nDTSTART:20240305T120000Z\r\nFBTYPE:BUSY\r\nEND:VFREEBUSY\r\n" +
		"END:VCALENDAR\r\n"
	schedules, rep, err := DecodeVFreeBusy(strings.NewReader(in))
	require.NoError(t, err)
	require.Len(t, schedules, 1)
	s := schedules[0]
	assert.Equal(t, time.Date(2024, 3, 5, 8, 0, 0, 0, time.UTC), s.Start, "09:00 W. Europe is 08:00 UTC in March")
	assert.Equal(t, time.Date(2024, 3, 5, 17, 0, 0, 0, time.UTC), s.End)
	assert.Equal(t, []freebusy.Interval{{Start: time.Date(2024, 3, 5, 10, 0, 0, 0, time.UTC), End: time.Date(2024, 3, 5, 11, 30, 0, 0, time.UTC), Status: freebusy.Tentative}}, s.Intervals)
	assert.Equal(t, 1, rep.Incomplete, "the component with no end is counted, not silently lost")
}

func TestStatusCount(t *testing.T) {
	assert.True(t, freebusy.Status(statusCount-1).Valid(), "the last status is valid")
	assert.False(t, freebusy.Status(statusCount).Valid(), "statusCount is one past the last status")
}
