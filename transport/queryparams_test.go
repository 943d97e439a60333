package transport

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/calbridge/calbridge/freebusy"
)

// encodingJSONParams writes params as the client did before the
// hand-written appender: through encoding/json, by the encoder's value.
func encodingJSONParams(params any) ([]byte, error) {
	e := getEncoder()
	defer putEncoder(e)
	err := e.value(params)
	return bytes.Clone(e.buf), err
}

// clientParams returns the params the client writes for q under hops.
func clientParams(t testing.TB, q freebusy.Query, hops int) []byte {
	t.Helper()
	ctx := context.Background()
	if hops > 0 {
		ctx = freebusy.WithHops(ctx, hops)
	}
	b, err := encodingJSONParams(freeBusyParamsOf(ctx, q))
	require.NoError(t, err)
	return b
}

// assertFastMatchesGeneral checks that when the fast path reads params,
// the general path reads them too, into the same query and hop count.
func assertFastMatchesGeneral(t testing.TB, params []byte) (handled bool) {
	t.Helper()
	q, hops, ok := decodeQueryParams(params)
	if !ok {
		return false
	}
	want, wantHops, err := decodeQueryParamsGeneral(params)
	require.NoErrorf(t, err, "the fast path read %q, the general path refuses it", params)
	assert.Equalf(t, want, q, "query of %q", params)
	assert.Equalf(t, wantHops, hops, "hops of %q", params)
	return true
}

// queryParamsSeeds are real params: what the calbridge client writes for
// the week load and small queries, with and without hops, the PROTOCOL.md
// samples, and a stock encoder's spacing.
func queryParamsSeeds(t testing.TB) [][]byte {
	week, _ := weekLoad(3)
	return [][]byte{
		clientParams(t, week, 0),
		clientParams(t, week, 2),
		clientParams(t, testQuery(5), 0),
		[]byte(`{"attendees":["alice@example.com","nobody@example.com"],"start":"2026-03-02T00:00:00Z","end":"2026-03-03T00:00:00Z","granularityMinutes":30}`),
		[]byte(`{"attendees":["alice@example.com"],"start":"2026-03-03T00:00:00Z","end":"2026-03-02T00:00:00Z"}`),
		[]byte(`{"attendees": ["alice@example.com", "bob@example.com"], "start": "2026-03-02T09:00:00+01:00", "end": "2026-03-09T09:00:00.5-05:00", "granularityMinutes": 15, "detail": "status", "hops": 1}`),
		[]byte(`{"attendees":["a@x"],"start":"2026-03-02T00:00:00Z","end":"2026-03-03T00:00:00Z","hops":-2}`),
		[]byte(`{"Attendees":["a@x"],"attendees":["b@x"],"start":null}`),
	}
}

// TestDecodeQueryParams: the fast path reads the shapes clients send as
// the general path does, and declines every shape it is not sure of.
func TestDecodeQueryParams(t *testing.T) {
	berlinWinter := time.FixedZone("", 3600)
	accepted := []struct {
		name, params string
		want         freebusy.Query
		hops         int
	}{
		{"empty object", `{}`, freebusy.Query{}, 0},
		{"spaces around everything", " \t{ }\r\n", freebusy.Query{}, 0},
		{"the calbridge client", `{"attendees":["a@x","b@x"],"start":"2026-03-02T00:00:00Z","end":"2026-03-03T00:00:00Z","granularityMinutes":30,"detail":"full","hops":2}`,
			freebusy.Query{Attendees: []string{"a@x", "b@x"}, Start: t0, End: t0.Add(24 * time.Hour), Granularity: 30 * time.Minute, Detail: freebusy.DetailFull}, 2},
		{"a stock encoder, members in another order", `{"end": "2026-03-03T00:00:00Z", "detail": "status", "attendees": [ "a@x" , "b@x" ], "start": "2026-03-02T00:00:00Z"}`,
			freebusy.Query{Attendees: []string{"a@x", "b@x"}, Start: t0, End: t0.Add(24 * time.Hour)}, 0},
		{"empty attendees are not nil", `{"attendees":[]}`, freebusy.Query{Attendees: []string{}}, 0},
		{"empty attendees with space", `{"attendees":[ ]}`, freebusy.Query{Attendees: []string{}}, 0},
		{"empty and blank attendee strings", `{"attendees":[""," "]}`, freebusy.Query{Attendees: []string{"", " "}}, 0},
		{"JSON's special characters inside strings", `{"attendees":["a,]}{[:b","Doe, John/ACME"]}`, freebusy.Query{Attendees: []string{"a,]}{[:b", "Doe, John/ACME"}}, 0},
		{"valid UTF-8", `{"attendees":["José Müller/ACME","日本","😀","` + "\u2028" + ` raw"]}`, freebusy.Query{Attendees: []string{"José Müller/ACME", "日本", "😀", "\u2028 raw"}}, 0},
		{"offsets and fractions", `{"start":"2026-03-02T01:00:00.123456789+01:00","end":"2026-03-02T00:00:00.5-00:30"}`,
			freebusy.Query{Start: time.Date(2026, 3, 2, 1, 0, 0, 123456789, berlinWinter), End: time.Date(2026, 3, 2, 0, 0, 0, 500000000, time.FixedZone("", -1800))}, 0},
		{"what time.Time reads besides RFC 3339", `{"start":"2026-03-02T0:00:00,5Z","end":"2026-03-02T00:00:00+24:00"}`,
			freebusy.Query{Start: t0.Add(time.Second / 2), End: time.Date(2026, 3, 2, 0, 0, 0, 0, time.FixedZone("", 24*3600))}, 0},
		{"granularity zero", `{"granularityMinutes":0}`, freebusy.Query{}, 0},
		{"granularity minus zero", `{"granularityMinutes":-0}`, freebusy.Query{}, 0},
		{"negative granularity, refused later by Validate", `{"granularityMinutes":-15}`, freebusy.Query{Granularity: -15 * time.Minute}, 0},
		{"largest granularity read", `{"granularityMinutes":999999}`, freebusy.Query{Granularity: 999999 * time.Minute}, 0},
		{"empty detail", `{"detail":""}`, freebusy.Query{}, 0},
		{"hops zero", `{"hops":0}`, freebusy.Query{}, 0},
		{"largest hops read", `{"hops":999999999}`, freebusy.Query{}, 999999999},
	}
	for _, tc := range accepted {
		t.Run(tc.name, func(t *testing.T) {
			q, hops, ok := decodeQueryParams([]byte(tc.params))
			require.True(t, ok, "declined")
			assert.Equal(t, tc.want.Attendees, q.Attendees)
			assert.Truef(t, tc.want.Start.Equal(q.Start), "start %v", q.Start)
			assert.Truef(t, tc.want.End.Equal(q.End), "end %v", q.End)
			_, wantOffset := tc.want.Start.Zone()
			_, offset := q.Start.Zone()
			assert.Equal(t, wantOffset, offset, "the offset written is kept")
			assert.Equal(t, tc.want.Granularity, q.Granularity)
			assert.Equal(t, tc.want.Detail, q.Detail)
			assert.Equal(t, tc.hops, hops)
			assert.True(t, assertFastMatchesGeneral(t, []byte(tc.params)))
		})
	}

	declined := []struct{ name, params string }{
		{"empty", ``},
		{"null", `null`},
		{"array", `[{}]`},
		{"unknown member", `{"atendees":["a@x"]}`},
		{"member in another case", `{"Attendees":["a@x"]}`},
		{"escaped member name", `{"\u0061ttendees":["a@x"]}`},
		{"non-ASCII member name folding to ASCII", `{"ſtart":"2026-03-02T00:00:00Z"}`},
		{"duplicate member", `{"attendees":["a@x"],"attendees":["b@x"]}`},
		{"escape in an attendee", `{"attendees":["a\"b"]}`},
		{"escaped solidus", `{"attendees":["a\/b"]}`},
		{"control character in a string", "{\"attendees\":[\"a\tb\"]}"},
		{"invalid UTF-8", "{\"attendees\":[\"a\xffb\"]}"},
		{"UTF-8 surrogate", "{\"attendees\":[\"\xed\xa0\x80\"]}"},
		{"null attendees", `{"attendees":null}`},
		{"null attendee", `{"attendees":["a@x",null]}`},
		{"attendees not strings", `{"attendees":[1]}`},
		{"attendees a string", `{"attendees":"a@x"}`},
		{"trailing comma in array", `{"attendees":["a@x",]}`},
		{"trailing comma in object", `{"attendees":["a@x"],}`},
		{"null start", `{"start":null}`},
		{"not a time", `{"start":"tomorrow"}`},
		{"time without zone", `{"start":"2026-03-02T00:00:00"}`},
		{"lower-case t and z, refused by time.Time", `{"start":"2026-03-02t00:00:00z"}`},
		{"fractional granularity", `{"granularityMinutes":7.5}`},
		{"exponent granularity", `{"granularityMinutes":3e1}`},
		{"long granularity", `{"granularityMinutes":1000000}`},
		{"leading zero", `{"granularityMinutes":030}`},
		{"granularity as a string", `{"granularityMinutes":"30"}`},
		{"null granularity", `{"granularityMinutes":null}`},
		{"unknown detail", `{"detail":"summary"}`},
		{"detail in capitals", `{"detail":"FULL"}`},
		{"detail as a number", `{"detail":1}`},
		{"negative hops", `{"hops":-1}`},
		{"minus zero hops", `{"hops":-0}`},
		{"fractional hops", `{"hops":1.0}`},
		{"long hops", `{"hops":1000000000}`},
		{"null hops", `{"hops":null}`},
		{"truncated", `{"attendees":["a@x"]`},
		{"truncated string", `{"attendees":["a@x`},
		{"trailing data", `{"attendees":["a@x"]}x`},
		{"two objects", `{}{}`},
		{"Unicode space", "\u00a0{}"},
		{"missing colon", `{"attendees" ["a@x"]}`},
	}
	for _, tc := range declined {
		t.Run("declines "+tc.name, func(t *testing.T) {
			_, _, ok := decodeQueryParams([]byte(tc.params))
			assert.False(t, ok)
		})
	}
}

// TestQueryParamsMatchGeneralPath: on what clients send, the fast path
// reads what the general path reads, and decodeFreeBusyParams returns the
// general path's errors unchanged where the fast path declines.
func TestQueryParamsMatchGeneralPath(t *testing.T) {
	for _, params := range queryParamsSeeds(t) {
		assertFastMatchesGeneral(t, params)
	}
	week, _ := weekLoad(100)
	for _, hops := range []int{0, 1, 3} {
		params := clientParams(t, week, hops)
		require.True(t, assertFastMatchesGeneral(t, params), "the client's own params take the fast path")
		q, h, err := decodeFreeBusyParams(params)
		require.NoError(t, err)
		assert.Equal(t, week.Attendees, q.Attendees)
		assert.Equal(t, hops, h)
	}
	for _, bad := range []string{
		`{"attendees":["a@x"],"atendees":["b@x"]}`,
		`{"attendees":"a@x"}`,
		`{"start":"tomorrow"}`,
		`{"granularityMinutes":1e300}`,
		`{"hops":-2}`,
		`{"hops":1.5}`,
		`[1]`,
	} {
		_, _, wantErr := decodeQueryParamsGeneral([]byte(bad))
		require.Error(t, wantErr, bad)
		_, _, err := decodeFreeBusyParams([]byte(bad))
		assert.EqualError(t, err, wantErr.Error(), bad)
	}
}

// FuzzQueryParams: whatever the bytes, the fast path does not panic, and
// what it reads the general path reads alike.
func FuzzQueryParams(f *testing.F) {
	for _, s := range queryParamsSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, params []byte) {
		assertFastMatchesGeneral(t, params)
	})
}

// appendQueryCases are queries whose params the client must write as
// encoding/json does: the week load, escapes, zones and fractions, every
// granularity shape, and what encoding/json refuses.
func appendQueryCases() []freebusy.Query {
	week, _ := weekLoad(100)
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		panic(err)
	}
	w0 := time.Date(2026, 3, 2, 9, 30, 0, 0, berlin)
	return []freebusy.Query{
		week,
		testQuery(5),
		{},
		{Attendees: []string{}},
		{Attendees: []string{"<b>Tom & Jerry</b>", "\u2028\u2029", "a\xffb\xc0", "quote\" back\\slash", "\x00\x1f\x7f\b\f\n\r\t", "José", "😀", ""}, Start: w0, End: w0.Add(time.Hour)},
		{Attendees: []string{"a@x"}, Start: time.Date(2026, 3, 2, 0, 0, 0, 1, ny), End: time.Date(2026, 3, 2, 0, 0, 0, 120000000, time.FixedZone("", -(23*3600+59*60)))},
		{Granularity: 30 * time.Minute, Detail: freebusy.DetailFull},
		{Granularity: time.Nanosecond},
		{Granularity: 90 * time.Second},
		{Granularity: -15 * time.Minute},
		{Granularity: time.Duration(1<<63 - 1)},
		{Granularity: time.Duration(-1 << 63)},
		{Granularity: 17 * time.Microsecond},
		{Detail: 2},
		{Start: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)},
		{End: time.Date(2026, 3, 2, 0, 0, 0, 0, time.FixedZone("", 24*3600))},
	}
}

// TestAppendQueryParams: the hand-written params are byte for byte what
// encoding/json writes, with and without hops, or are left to it where it
// fails; the client's request line is unchanged; and the server's fast
// path reads the params back.
func TestAppendQueryParams(t *testing.T) {
	for _, q := range appendQueryCases() {
		for _, hops := range []int{0, -1, 1, 1 << 40} {
			assertAppendMatches(t, q, hops)
		}
	}
	_, ok := appendFreeBusyParams(nil, &freebusy.Query{})
	assert.False(t, ok, "a pointer is left to encoding/json")

	// The request line, as the client's encoder writes it.
	week, _ := weekLoad(100)
	e := getEncoder()
	defer putEncoder(e)
	ctx := freebusy.WithHops(context.Background(), 2)
	require.NoError(t, e.request(42, methodFreeBusy, freeBusyParamsOf(ctx, week)))
	want := `{"jsonrpc":"2.0","id":42,"method":"calbridge.freebusy","params":` + string(clientParams(t, week, 2)) + "}\n"
	assert.Equal(t, want, string(e.buf))
	e.buf = e.buf[:0]
	err := e.request(43, methodFreeBusy, freebusy.Query{Detail: 7})
	_, wantErr := json.Marshal(freebusy.Query{Detail: 7})
	require.Error(t, wantErr)
	assert.EqualError(t, err, wantErr.Error(), "encoding/json's own error")
}

// TestHasHTMLSpecial: the word-at-a-time test finds '<', '>' and '&' at
// every position of a word and of the tail, among every other byte, and
// finds nothing else.
func TestHasHTMLSpecial(t *testing.T) {
	buf := make([]byte, 19)
	for fill := range 256 {
		for special := range 256 {
			for at := range buf {
				for k := range buf {
					buf[k] = byte(fill)
				}
				buf[at] = byte(special)
				s := string(buf)
				if got, want := hasHTMLSpecial(s), strings.ContainsAny(s, "<>&"); got != want {
					t.Fatalf("hasHTMLSpecial(%q) = %v, want %v", s, got, want)
				}
			}
		}
	}
}

// assertAppendMatches checks appendFreeBusyParams against encoding/json
// for q sent with hops, and the server's reading of the bytes.
func assertAppendMatches(t testing.TB, q freebusy.Query, hops int) {
	t.Helper()
	var params any = q
	if hops != 0 {
		params = freeBusyParams{q: q, hops: hops}
	}
	want, wantErr := encodingJSONParams(params)
	prefix := []byte("prefix")
	got, ok := appendFreeBusyParams(bytes.Clone(prefix), params)
	if wantErr != nil {
		assert.Falsef(t, ok, "encoding/json refuses %#v: %v", q, wantErr)
		assert.Equal(t, string(prefix), string(got), "dst is left as it was")
		return
	}
	require.Truef(t, ok, "declined %#v", q)
	require.Equal(t, string(prefix)+string(want), string(got))
	assertFastMatchesGeneral(t, want)
}

// FuzzQueryParamsAppend: for queries built from any attendees, instants,
// zones, granularity, detail and hop count, the hand-written params are
// encoding/json's bytes, or are left to it where it fails.
func FuzzQueryParamsAppend(f *testing.F) {
	f.Add("alice@example.com", "Doe, John/ACME", int64(1772409600), int64(0), int32(0), int64(7*24*time.Hour), int64(30*time.Minute), uint8(1), 0)
	f.Add("<b>&\u2028", "a\xffb", int64(-62135596800), int64(999999999), int32(-(23*3600 + 59*60)), int64(1), int64(time.Nanosecond), uint8(0), 3)
	f.Add("", "", int64(253402300799), int64(1), int32(3600), int64(-86400), int64(-90*time.Second), uint8(2), -1)
	f.Fuzz(func(t *testing.T, a1, a2 string, start, nsec int64, offset int32, window, granularity int64, detail uint8, hops int) {
		zone := time.UTC
		if offset != 0 {
			zone = time.FixedZone("", int(offset))
		}
		s := time.Unix(start, nsec).In(zone)
		q := freebusy.Query{Start: s, End: s.Add(time.Duration(window)), Granularity: time.Duration(granularity), Detail: freebusy.Detail(detail)}
		switch {
		case a1 == "" && a2 == "":
		case a2 == "":
			q.Attendees = []string{a1}
		default:
			q.Attendees = []string{a1, a2}
		}
		assertAppendMatches(t, q, hops)
	})
}

// weekParams returns the week load's 100-attendee query and its params,
// as the client writes them.
func weekParams(b *testing.B) (freebusy.Query, []byte) {
	week, _ := weekLoad(100)
	return week, clientParams(b, week, 0)
}

// BenchmarkDecodeQueryParams100 is the server's reading of a 100-attendee
// query's params, by the fast path and by the general path it replaces.
func BenchmarkDecodeQueryParams100(b *testing.B) {
	_, params := weekParams(b)
	b.Run("fast", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, _, ok := decodeQueryParams(params); !ok {
				b.Fatal("declined")
			}
		}
	})
	b.Run("general", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, _, err := decodeQueryParamsGeneral(params); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkAppendQueryParams100 is the client's writing of a
// 100-attendee query's params, by hand and by encoding/json.
func BenchmarkAppendQueryParams100(b *testing.B) {
	week, _ := weekParams(b)
	b.Run("hand", func(b *testing.B) {
		b.ReportAllocs()
		var buf []byte
		for b.Loop() {
			buf, _ = appendFreeBusyParams(buf[:0], week)
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		e := getEncoder()
		defer putEncoder(e)
		for b.Loop() {
			e.buf = e.buf[:0]
			if err := e.value(week); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkRequestEnvelope100 is the server's reading of a 100-attendee
// request line into its envelope, before the params are decoded, by the
// fast path and by encoding/json.
func BenchmarkRequestEnvelope100(b *testing.B) {
	_, params := weekParams(b)
	line := []byte(`{"jsonrpc":"2.0","id":12345,"method":"calbridge.freebusy","params":` + string(params) + `}`)
	b.Run("fast", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, ok := decodeRequest(line); !ok {
				b.Fatal("declined")
			}
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var req wireRequest
			if err := json.Unmarshal(line, &req); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// assertRequestMatches checks that when decodeRequest reads line,
// encoding/json reads it too, into the same request.
func assertRequestMatches(t testing.TB, line []byte) (handled bool) {
	t.Helper()
	got, ok := decodeRequest(line)
	if !ok {
		return false
	}
	var want wireRequest
	require.NoErrorf(t, json.Unmarshal(line, &want), "the fast path read %q, encoding/json refuses it", line)
	assert.Equalf(t, want, got, "request %q", line)
	// A notification's id is nil, a null id is "null": the server tells
	// them apart.
	assert.Equalf(t, want.ID == nil, got.ID == nil, "id of %q", line)
	assert.Equalf(t, want.Params == nil, got.Params == nil, "params of %q", line)
	return true
}

// requestSeeds are real request lines: what the calbridge client writes
// (hello, ping, free/busy), the PROTOCOL.md samples, a stock encoder's
// member order and spacing.
func requestSeeds(t testing.TB) [][]byte {
	e := getEncoder()
	defer putEncoder(e)
	week, _ := weekLoad(3)
	ctx := freebusy.WithHops(context.Background(), 1)
	var lines [][]byte
	for id, call := range []struct {
		method string
		params any
	}{
		{methodHello, helloParams{Version: ProtocolVersion, Token: "s3cret", Client: "calbridge-go", Forms: []string{CompactForm}}},
		{methodPing, nil},
		{methodFreeBusy, freeBusyParamsOf(context.Background(), week)},
		{methodFreeBusy, freeBusyParamsOf(ctx, testQuery(2))},
	} {
		e.buf = e.buf[:0]
		require.NoError(t, e.request(uint64(id+1), call.method, call.params))
		lines = append(lines, bytes.TrimSuffix(bytes.Clone(e.buf), []byte("\n")))
	}
	for _, s := range []string{
		`{"jsonrpc":"2.0","id":1,"method":"calbridge.hello","params":{"version":1,"token":"s3cret","client":"doc-example"}}`,
		`{"jsonrpc":"2.0","id":2,"method":"calbridge.ping"}`,
		`{"jsonrpc":"2.0","id":"q-4","method":"calbridge.freebusy","params":{"attendees":["alice@example.com"],"start":"2026-03-03T00:00:00Z","end":"2026-03-02T00:00:00Z"}}`,
		`{"jsonrpc": "2.0", "method": "calbridge.freebusy", "params": {"attendees": ["a@x"], "start": "2026-03-02T00:00:00Z", "end": "2026-03-03T00:00:00Z"}, "id": -1.5e3}`,
		`{"jsonrpc":"2.0","id":null,"method":"calbridge.ping","params":null}`,
		`{"jsonrpc":"2.0","method":"calbridge.subscribe","params":[true,false,{"a":[[]]},-0.0]}`,
	} {
		lines = append(lines, []byte(s))
	}
	return lines
}

// TestDecodeRequest: the fast envelope reads request lines as
// encoding/json does, declines the others with encoding/json's own
// result, and copies what it keeps out of the reused line buffer.
func TestDecodeRequest(t *testing.T) {
	for _, line := range requestSeeds(t) {
		assert.Truef(t, assertRequestMatches(t, line), "declined %s", line)
	}
	accepted := []struct {
		name, line string
		want       wireRequest
	}{
		{"empty object", `{}`, wireRequest{}},
		{"notification", `{"jsonrpc":"2.0","method":"m"}`, wireRequest{JSONRPC: "2.0", Method: "m"}},
		{"null id and params", `{"id":null,"params":null}`, wireRequest{ID: json.RawMessage("null"), Params: json.RawMessage("null")}},
		{"any id, as encoding/json copies it", `{"id":{"a":[1,"x"]}}`, wireRequest{ID: json.RawMessage(`{"a":[1,"x"]}`)}},
		{"raw UTF-8, valid or not, in the raw members", "{\"id\":\"\xff\",\"params\":[\"é\"]}", wireRequest{ID: json.RawMessage("\"\xff\""), Params: json.RawMessage(`["é"]`)}},
		{"spaces", " { \"id\" : 7 , \"method\" : \"m\" } \t", wireRequest{ID: json.RawMessage("7"), Method: "m"}},
		{"another version, refused by dispatch", `{"jsonrpc":"1.0"}`, wireRequest{JSONRPC: "1.0"}},
	}
	for _, tc := range accepted {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := decodeRequest([]byte(tc.line))
			require.True(t, ok, "declined")
			assert.Equal(t, tc.want, got)
			assert.True(t, assertRequestMatches(t, []byte(tc.line)))
		})
	}
	declined := []struct{ name, line string }{
		{"empty", ``},
		{"not an object", `[{"jsonrpc":"2.0"}]`},
		{"a number", `5`},
		{"unknown member", `{"jsonrpc":"2.0","id":1,"method":"m","extra":1}`},
		{"member in another case", `{"ID":1}`},
		{"duplicate member", `{"id":1,"id":2}`},
		{"method not a string", `{"method":7}`},
		{"null method", `{"method":null}`},
		{"escaped method", `{"method":"calbridge.p\u0069ng"}`},
		{"escape in params", `{"params":{"attendees":["a\"b"]}}`},
		{"escape in a params key", `{"params":{"\u0061ttendees":[]}}`},
		{"control character in params", "{\"params\":[\"a\tb\"]}"},
		{"invalid UTF-8 in the method", "{\"method\":\"\xff\"}"},
		{"bad number", `{"id":01}`},
		{"bad fraction", `{"id":1.}`},
		{"bad exponent", `{"id":1e}`},
		{"bad literal", `{"params":nul}`},
		{"too deep", `{"params":` + strings.Repeat("[", maxFastDepth+1) + strings.Repeat("]", maxFastDepth+1) + `}`},
		{"truncated", `{"jsonrpc":"2.0","id":2,"method":`},
		{"unclosed params", `{"params":{"a":1}`},
		{"trailing data", `{"id":1}]`},
		{"trailing comma", `{"id":1,}`},
	}
	for _, tc := range declined {
		t.Run("declines "+tc.name, func(t *testing.T) {
			_, ok := decodeRequest([]byte(tc.line))
			assert.False(t, ok)
			var want, got wireRequest
			wantErr := json.Unmarshal([]byte(tc.line), &want)
			err := unmarshalRequest([]byte(tc.line), &got)
			if wantErr != nil {
				assert.EqualError(t, err, wantErr.Error(), "encoding/json's own error")
			} else {
				assert.Equal(t, want, got)
			}
		})
	}
	ok := assertRequestMatches(t, []byte(`{"params":`+strings.Repeat("[", maxFastDepth)+strings.Repeat("]", maxFastDepth)+`}`))
	assert.True(t, ok, "maxFastDepth levels are read")

	// The raw members are copies: the server reuses the line's buffer.
	line := []byte(`{"id":1,"params":{}}`)
	req, ok := decodeRequest(line)
	require.True(t, ok)
	copy(line, bytes.Repeat([]byte("x"), len(line)))
	assert.Equal(t, `1`, string(req.ID))
	assert.Equal(t, `{}`, string(req.Params))
}

// FuzzQueryParamsEnvelope: whatever the line, the fast envelope does not
// panic, and what it reads encoding/json reads alike.
func FuzzQueryParamsEnvelope(f *testing.F) {
	for _, s := range requestSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		assertRequestMatches(t, line)
	})
}
