package das

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/calbridge/calbridge/freebusy"
)

func readDASTestdata(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return data
}

func dasUTC(y int, mo time.Month, d, h, mi, s int) time.Time {
	return time.Date(y, mo, d, h, mi, s, 0, time.UTC)
}

// Golden vector: docs/notes.md §10 vector 4 and §2.2.3 —
// {"date":"2013-11-05","time":"22:00:00","utc":true} is 2013-11-05T22:00:00Z.
func TestDateTimeInstantGolden(t *testing.T) {
	tests := []struct {
		name string
		in   DateTime
		want time.Time
	}{
		{"§10 vector 4", DateTime{Date: "2013-11-05", Time: "22:00:00", UTC: true}, dasUTC(2013, 11, 5, 22, 0, 0)},
		{"leap day", DateTime{Date: "2024-02-29", Time: "23:59:59", UTC: true}, dasUTC(2024, 2, 29, 23, 59, 59)},
		{"year 0001", DateTime{Date: "0001-01-01", Time: "00:00:00", UTC: true}, dasUTC(1, 1, 1, 0, 0, 0)},
		// §2.2.6: IBM's sample clients read date+"T"+time as UTC.
		{"no utc key read as UTC", DateTime{Date: "2013-11-05", Time: "22:00:00"}, dasUTC(2013, 11, 5, 22, 0, 0)},
		// §2.2.3: the calendar variant carries tzid; resolved with tzdata
		// (New York is UTC-5 in November).
		{"tzid", DateTime{Date: "2013-11-05", Time: "17:00:00", TZID: "America/New_York"}, dasUTC(2013, 11, 5, 22, 0, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.in.Instant()
			require.NoError(t, err)
			assert.True(t, tt.want.Equal(got), "got %s", got)
			assert.Equal(t, time.UTC, got.Location())
		})
	}
}

func TestDateTimeInstantErrors(t *testing.T) {
	tests := []struct {
		name string
		in   DateTime
	}{
		{"utc and tzid", DateTime{Date: "2013-11-05", Time: "22:00:00", UTC: true, TZID: "Europe/Paris"}},
		{"unknown tzid", DateTime{Date: "2013-11-05", Time: "22:00:00", TZID: "Mars/Olympus"}},
		{"machine-local tzid", DateTime{Date: "2013-11-05", Time: "22:00:00", TZID: "Local"}},
		{"hyphenated time (the Ruby driver's bug, §2.2.6)", DateTime{Date: "2013-11-05", Time: "22-00-00", UTC: true}},
		{"short date", DateTime{Date: "2013-11-5", Time: "22:00:00", UTC: true}},
		{"fraction", DateTime{Date: "2013-11-05", Time: "22:00:00.000", UTC: true}},
		{"month 13", DateTime{Date: "2013-13-05", Time: "22:00:00", UTC: true}},
		{"February 29th of a common year", DateTime{Date: "2013-02-29", Time: "22:00:00", UTC: true}},
		{"24:00:00", DateTime{Date: "2013-11-05", Time: "24:00:00", UTC: true}},
		{"leap second", DateTime{Date: "2016-12-31", Time: "23:59:60", UTC: true}},
		{"signed field", DateTime{Date: "2013-+1-05", Time: "22:00:00", UTC: true}},
		{"minute 60", DateTime{Date: "2013-11-05", Time: "22:60:00", UTC: true}},
		{"day 0", DateTime{Date: "2013-11-00", Time: "22:00:00", UTC: true}},
		{"empty", DateTime{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.in.Instant()
			require.Error(t, err)
			var pe *freebusy.ParseError
			require.ErrorAs(t, err, &pe)
			assert.Equal(t, "DAS exDateTime", pe.Kind)
			assert.ErrorIs(t, err, freebusy.ErrInvalid)
		})
	}
}

func TestNewDateTimeTruncatesToUTCSeconds(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	require.NoError(t, err)
	in := time.Date(2013, 11, 5, 23, 0, 0, 900_000_000, paris)
	assert.Equal(t, DateTime{Date: "2013-11-05", Time: "22:00:00", UTC: true}, NewDateTime(in))
}

// Golden vector: docs/notes.md §2.2.2 and §10 vector 5 — dates are
// exactly YYYY-MM-DDTHH:MM:SSZ; "...00.000Z" is "Unparseable date" on DAS.
func TestParseAndFormatTime(t *testing.T) {
	got, err := ParseTime("2017-09-01T13:00:00Z")
	require.NoError(t, err)
	assert.True(t, dasUTC(2017, 9, 1, 13, 0, 0).Equal(got))
	assert.Equal(t, "2017-09-01T13:00:00Z", FormatTime(dasUTC(2017, 9, 1, 13, 0, 0).Add(999*time.Millisecond)))

	for _, bad := range []string{"2017-09-01T13:00:00.000Z", "2017-09-01T13:00:00+02:00", "2017-09-01 13:00:00Z", "2017-09-01", ""} {
		_, err := ParseTime(bad)
		assert.ErrorIs(t, err, freebusy.ErrInvalid, bad)
	}
}

// Golden vector: docs/notes.md §2.2.3 and §2.2.6, the IBM developer
// guide JSON sample (PDF §3.2), abridged: window 2013-11-05 20:08:35Z to
// 2013-12-05 20:08:35Z, first element inverted (20:08:35 -> 20:05:00),
// then the daily non-working blocks. The decoder keeps periods as sent.
func TestDecodeBusyTimeIBMSample(t *testing.T) {
	bt, err := DecodeBusyTime(bytes.NewReader(readDASTestdata(t, "busytime-ibm-sample.json")))
	require.NoError(t, err)
	start, end, err := bt.Window()
	require.NoError(t, err)
	assert.True(t, dasUTC(2013, 11, 5, 20, 8, 35).Equal(start))
	assert.True(t, dasUTC(2013, 12, 5, 20, 8, 35).Equal(end))
	require.Len(t, bt.BusyTimes, 4)
	assert.Equal(t, DateTimeRange{
		Start: DateTime{Date: "2013-11-05", Time: "20:08:35", UTC: true},
		End:   DateTime{Date: "2013-11-05", Time: "20:05:00", UTC: true},
	}, bt.BusyTimes[0], "the inverted first period is kept by the decoder")
	ivs, err := bt.Intervals()
	require.NoError(t, err)
	assert.Equal(t, freebusy.Interval{Start: dasUTC(2013, 11, 5, 22, 0, 0), End: dasUTC(2013, 11, 6, 14, 0, 0), Status: freebusy.Busy}, ivs[1])
}

// docs/notes.md §2.2.3: busyTimes is omitted when there are no periods.
func TestDecodeBusyTimeWithoutBusyTimes(t *testing.T) {
	bt, err := DecodeBusyTime(strings.NewReader(`{"start":{"date":"2017-02-24","time":"00:00:00","utc":true},"end":{"date":"2017-02-25","time":"00:00:00","utc":true}}`))
	require.NoError(t, err)
	assert.Empty(t, bt.BusyTimes)
}

func TestDecodeBusyTimeErrors(t *testing.T) {
	const dt = `{"date":"2013-11-05","time":"22:00:00","utc":true}`
	tests := []struct {
		name   string
		in     string
		cause  error
		offset bool
	}{
		{"empty", ``, nil, false},
		{"syntax", `{"start":`, nil, false},
		{"trailing garbage", `{"start":` + dt + `,"end":` + dt + `} x`, nil, true},
		{"not an object", `[]`, nil, true},
		{"missing start", `{"end":` + dt + `}`, ErrMissingKey, false},
		{"null end", `{"start":` + dt + `,"end":null}`, ErrMissingKey, false},
		{"period without end", `{"start":` + dt + `,"end":` + dt + `,"busyTimes":[{"start":` + dt + `}]}`, ErrMissingKey, false},
		{"bad window date", `{"start":{"date":"2013-11-31","time":"22:00:00","utc":true},"end":` + dt + `}`, nil, false},
		{"bad period time", `{"start":` + dt + `,"end":` + dt + `,"busyTimes":[{"start":` + dt + `,"end":{"date":"2013-11-05","time":"25:00:00","utc":true}}]}`, nil, false},
		{"wrong type", `{"start":{"date":20131105,"time":"22:00:00"},"end":` + dt + `}`, nil, true},
		{"busyTimes not a list", `{"start":` + dt + `,"end":` + dt + `,"busyTimes":{}}`, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bt, err := DecodeBusyTime(strings.NewReader(tt.in))
			require.Error(t, err)
			assert.Nil(t, bt)
			var pe *freebusy.ParseError
			require.ErrorAs(t, err, &pe)
			assert.Equal(t, "DAS busytime", pe.Kind)
			assert.ErrorIs(t, err, freebusy.ErrInvalid)
			assert.Equal(t, freebusy.ReasonInvalid, freebusy.ReasonOf(err))
			if tt.cause != nil {
				assert.ErrorIs(t, err, tt.cause)
			}
			if tt.offset {
				assert.Positive(t, pe.Offset)
			}
		})
	}
}

func TestDecodeBusyTimeTooLarge(t *testing.T) {
	big := `{"start":{"date":"2013-11-05","time":"22:00:00","utc":true},"end":{"date":"2013-11-05","time":"22:00:00","utc":true},"x":"` +
		strings.Repeat("a", MaxDocumentBytes) + `"}`
	_, err := DecodeBusyTime(strings.NewReader(big))
	assert.ErrorIs(t, err, ErrTooLarge)
}

func TestDecodeBusyTimeReadError(t *testing.T) {
	boom := errors.New("boom")
	_, err := DecodeBusyTime(dasErrReader{boom})
	assert.ErrorIs(t, err, boom)
}

type dasErrReader struct{ err error }

func (r dasErrReader) Read([]byte) (int, error) { return 0, r.err }

func TestEncodeBusyTimeRoundTrip(t *testing.T) {
	in := readDASTestdata(t, "busytime-ibm-sample.json")
	bt, err := DecodeBusyTime(bytes.NewReader(in))
	require.NoError(t, err)
	var buf bytes.Buffer
	require.NoError(t, EncodeBusyTime(&buf, bt))
	assert.JSONEq(t, string(in), buf.String())
	again, err := DecodeBusyTime(&buf)
	require.NoError(t, err)
	assert.Equal(t, bt, again)

	buf.Reset()
	require.NoError(t, EncodeBusyTime(&buf, &BusyTime{Start: NewDateTime(dasUTC(2017, 2, 24, 0, 0, 0)), End: NewDateTime(dasUTC(2017, 2, 25, 0, 0, 0))}))
	assert.NotContains(t, buf.String(), "busyTimes", "§2.2.3: absent when there are no periods")
}

// Golden vector: docs/notes.md §2.2.3, errorResponse with the exact key
// names, as DAS answers a name it does not know (§2.2.2).
func TestDecodeErrorGolden(t *testing.T) {
	e, err := DecodeError(bytes.NewReader(readDASTestdata(t, "error-name-not-found.json")))
	require.NoError(t, err)
	assert.Equal(t, &Error{Code: 400, Text: "Bad request", Message: MessageNameNotFound}, e)
	assert.Equal(t, "das: error 400 Bad request: Name not found", e.Error())

	var buf bytes.Buffer
	require.NoError(t, EncodeError(&buf, e))
	assert.JSONEq(t, string(readDASTestdata(t, "error-name-not-found.json")), buf.String())

	full, err := DecodeError(strings.NewReader(`{"code":500,"text":"Internal Server Error","message":"m","data":"trace","type":"text"}`))
	require.NoError(t, err)
	assert.Equal(t, "trace", full.Data)
	assert.Equal(t, "text", full.Type)

	_, err = DecodeError(strings.NewReader(`{}`))
	assert.ErrorIs(t, err, ErrMissingKey)
	_, err = DecodeError(strings.NewReader(`<html>`))
	assert.ErrorIs(t, err, freebusy.ErrInvalid)
}

// Golden vectors: docs/notes.md §2.2.1 (root links) and §2.2.5
// (directories, sites, freerooms shapes and the escaped directory id).
func TestDecodeResourcesGolden(t *testing.T) {
	links, err := DecodeLinks(bytes.NewReader(readDASTestdata(t, "links.json")))
	require.NoError(t, err)
	assert.Equal(t, []Link{
		{Rel: "busytime", Href: "/api/freebusy/busytime"},
		{Rel: "freerooms", Href: "/api/freebusy/freerooms"},
		{Rel: "directories", Href: "/api/freebusy/directories"},
	}, links.Links)

	dirs, err := DecodeDirectories(bytes.NewReader(readDASTestdata(t, "directories.json")))
	require.NoError(t, err)
	require.Len(t, dirs.Directories, 1)
	assert.Equal(t, "/api/freebusy/sites/CN%3DZealand%2FO%3DPeaks%21%21names.nsf", dirs.Directories[0].Links[0].Href)

	sites, err := DecodeSites(bytes.NewReader(readDASTestdata(t, "sites.json")))
	require.NoError(t, err)
	assert.Equal(t, []Site{{DisplayName: "Boston Building 1"}}, sites.Sites)

	rooms, err := DecodeFreeRooms(bytes.NewReader(readDASTestdata(t, "freerooms.json")))
	require.NoError(t, err)
	assert.Equal(t, []Room{{DisplayName: "Room 1001", DistinguishedName: "Room 1001/Boston Building 1", Email: "room1001@example.com", Capacity: 8}}, rooms.Rooms)

	_, err = DecodeSites(strings.NewReader(`{"sites":"x"}`))
	assert.ErrorIs(t, err, freebusy.ErrInvalid)
}

// FuzzDecodeBusyTime: the JSON busytime decoder never panics, returns a
// typed error for bad input, and what it accepts converts (or fails with a
// typed error) and re-encodes to an equal document.
func FuzzDecodeBusyTime(f *testing.F) {
	f.Add(readDASTestdata(f, "busytime-ibm-sample.json"))
	f.Add([]byte(`{"start":{"date":"2017-02-24","time":"22:00:00","utc":true},"end":{"date":"2017-02-27","time":"14:00:00","utc":true}}`))
	f.Add([]byte(`{"start":{"date":"2013-11-05","time":"17:00:00","tzid":"America/New_York"},"end":{"date":"2013-11-06","time":"00:00:00","utc":true},"busyTimes":[]}`))
	f.Add([]byte(`{"start":{"date":"2013-11-05","time":"22:00:00","utc":true},"end":null}`))
	f.Add([]byte(`{"code":400,"text":"Bad request","message":"Name not found"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		bt, err := DecodeBusyTime(bytes.NewReader(data))
		if err != nil {
			var pe *freebusy.ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("untyped error %T: %v", err, err)
			}
			return
		}
		ws, we, err := bt.Window()
		if err != nil {
			t.Fatalf("accepted document has a bad window: %v", err)
		}
		end := ws.Add(time.Hour)
		if we.After(ws) {
			end = we
		}
		s, _, err := bt.Schedule("fuzz", ws, end)
		if err != nil {
			t.Fatalf("accepted document does not convert: %v", err)
		}
		for _, iv := range s.Intervals {
			if iv.Empty() || iv.Start.Before(s.Start) || iv.End.After(s.End) {
				t.Fatalf("non-canonical interval %s in %s..%s", iv, s.Start, s.End)
			}
		}
		var buf bytes.Buffer
		if err := EncodeBusyTime(&buf, bt); err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		again, err := DecodeBusyTime(&buf)
		if err != nil {
			t.Fatalf("re-decode: %v", err)
		}
		if fmt.Sprint(again) != fmt.Sprint(bt) {
			t.Fatalf("round trip changed %v into %v", bt, again)
		}
	})
}

// benchBusyTime builds one user's 60-day answer with about ten blocks a day.
func dasBenchBusyTime(tb testing.TB) []byte {
	tb.Helper()
	start := dasUTC(2026, 1, 5, 0, 0, 0)
	bt := BusyTime{Start: NewDateTime(start), End: NewDateTime(start.AddDate(0, 0, 60))}
	for d := range 60 {
		day := start.AddDate(0, 0, d)
		for b := range 10 {
			s := day.Add(time.Duration(7*60+b*75) * time.Minute)
			bt.BusyTimes = append(bt.BusyTimes, DateTimeRange{Start: NewDateTime(s), End: NewDateTime(s.Add(45 * time.Minute))})
		}
	}
	var buf bytes.Buffer
	require.NoError(tb, EncodeBusyTime(&buf, &bt))
	return buf.Bytes()
}

// BenchmarkDASDecodeBusyTime: decode one user's 60-day busytime answer
// (about 10 blocks a day) and convert it to a canonical schedule.
func BenchmarkDASDecodeBusyTime(b *testing.B) {
	data := dasBenchBusyTime(b)
	start := dasUTC(2026, 1, 5, 0, 0, 0)
	end := start.AddDate(0, 0, 60)
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		bt, err := DecodeBusyTime(bytes.NewReader(data))
		if err != nil {
			b.Fatal(err)
		}
		s, _, err := bt.Schedule("jane", start, end)
		if err != nil || len(s.Intervals) != 600 {
			b.Fatalf("got %d intervals, %v", len(s.Intervals), err)
		}
	}
}
