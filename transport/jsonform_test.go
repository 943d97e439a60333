package transport

import (
	"bytes"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/calbridge/calbridge/freebusy"
)

// encodingJSON is what the server wrote with encoding/json before the
// hand-written JSON form: freeBusyResult through the server's encoder.
func encodingJSON(ss []freebusy.Schedule) ([]byte, error) {
	e := getEncoder()
	defer putEncoder(e)
	err := e.value(freeBusyResult{Schedules: ss})
	return bytes.Clone(e.buf), err
}

// assertSameJSON checks that the hand-written JSON form is byte for byte
// what encoding/json writes, or fails where it fails.
func assertSameJSON(t *testing.T, ss []freebusy.Schedule) {
	t.Helper()
	want, werr := encodingJSON(ss)
	got, err := appendJSONResult(nil, ss)
	if werr != nil {
		assert.Error(t, err, "encoding/json refuses it: %v", werr)
		return
	}
	require.NoError(t, err)
	assert.Equal(t, string(want), string(got))
}

// TestJSONFormMatchesEncodingJSON: the JSON form the server writes by hand
// is the one encoding/json wrote, for the week load, every member and its
// edge values, the strings each escaping rule applies to, and what
// encoding/json refuses.
func TestJSONFormMatchesEncodingJSON(t *testing.T) {
	_, week := weekLoad(100)
	assertSameJSON(t, week)
	assertSameJSON(t, nil)
	assertSameJSON(t, []freebusy.Schedule{})
	w0 := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	html := "<b>Tom & Jerry</b> \b\f\x7f \u2028"
	odd := []namedSchedule{
		{"HTML and controls in every string", freebusy.Schedule{Attendee: html, Start: w0, End: w0,
			Events:       []freebusy.Event{{Start: w0, End: w0, ID: html, Subject: html, Location: html}},
			WorkingHours: &freebusy.WorkingHours{Location: time.FixedZone(html, 3600), Periods: []freebusy.WorkingPeriod{{Days: []time.Weekday{0, 6}, Start: 59 * time.Second, End: 24 * time.Hour}}},
			Err:          &freebusy.Error{Attendee: html, Reason: freebusy.ReasonInvalid, Message: html + "\xff"}}},
		{"zones at the edge of RFC 3339", freebusy.Schedule{Start: time.Date(2026, 3, 2, 0, 0, 0, 0, time.FixedZone("", 23*3600+59*60)), End: time.Date(2026, 3, 2, 0, 0, 0, 1, time.FixedZone("", -(23*3600+59*60+59)))}},
		{"zone over 24 hours", freebusy.Schedule{Start: time.Date(2026, 3, 2, 0, 0, 0, 0, time.FixedZone("", 24*3600))}},
		{"year 9999 in UTC but 10000 in its zone", freebusy.Schedule{Start: time.Date(9999, 12, 31, 23, 0, 0, 0, time.UTC).In(berlin)}},
		{"year 0 in its zone", freebusy.Schedule{Start: time.Date(0, 1, 1, 0, 30, 0, 0, time.UTC).In(time.FixedZone("", -3600))}},
		{"no periods", freebusy.Schedule{WorkingHours: &freebusy.WorkingHours{Location: berlin}}},
		{"negative retry hint", freebusy.Schedule{Err: &freebusy.Error{Reason: freebusy.ReasonThrottled, RetryAfter: -1500 * time.Microsecond}}},
	}
	for _, set := range [][]namedSchedule{edgeSchedules(), refusedSchedules(), odd} {
		for _, tc := range set {
			t.Run(tc.name, func(t *testing.T) {
				assertSameJSON(t, []freebusy.Schedule{tc.s})
				assertSameJSON(t, []freebusy.Schedule{{Attendee: "first"}, tc.s, {Attendee: "last"}})
			})
		}
	}
}

// FuzzJSONForm: for fuzzed schedules the hand-written JSON form is byte
// for byte what encoding/json writes, or both refuse them.
func FuzzJSONForm(f *testing.F) {
	f.Add("alice@example.com", "Weekly sync", int64(1772409600), int64(1800), uint32(0), []byte{0, 1, 2, 9, 10, 11}, byte(0x1f), int64(1500), uint8(1), uint8(0))
	f.Add("<a&b>", "tab\there \"quoted\" \xff\u2028\b", int64(-1), int64(-7), uint32(999999999), []byte{3, 4, 5, 6, 7, 8, 20, 255}, byte(0), int64(-5), uint8(2), uint8(5))
	f.Add("", "", int64(253402300799), int64(1), uint32(1), []byte{}, byte(0xff), int64(1<<40), uint8(3), uint8(13))
	f.Fuzz(func(t *testing.T, attendee, text string, start, step int64, nanos uint32, codes []byte, flags byte, retryMs int64, zone, reason uint8) {
		if len(codes) > 64 {
			codes = codes[:64]
		}
		ss := fuzzSchedules(attendee, text, start, step, nanos, codes, flags, retryMs, zone, reason)
		want, werr := encodingJSON(ss)
		got, err := appendJSONResult(nil, ss)
		if (werr == nil) != (err == nil) {
			t.Fatalf("encoding/json %v, by hand %v", werr, err)
		}
		if werr == nil && !bytes.Equal(want, got) {
			t.Fatalf("encoding/json\n%s\nby hand\n%s", want, got)
		}
	})
}
