package jsonguard

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCheck(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		lim  Limits
		want error
		at   int
	}{
		{"scalar", `"x"`, Limits{MaxDepth: 1, MaxElements: 1}, nil, 0},
		{"depth at limit", `[[1]]`, Limits{MaxDepth: 2}, nil, 0},
		{"depth over limit", `[[[1]]]`, Limits{MaxDepth: 2}, ErrTooDeep, 2},
		{"object depth", `{"a":{"b":{}}}`, Limits{MaxDepth: 2}, ErrTooDeep, 10},
		{"siblings do not add depth", `[[1],[2],[3]]`, Limits{MaxDepth: 2}, nil, 0},
		{"elements at limit", `[1,2,3]`, Limits{MaxElements: 3}, nil, 0},
		{"elements over limit", `[1,2,3,4]`, Limits{MaxElements: 3}, ErrTooManyElements, 6},
		{"empty containers count one each", `[[],{}]`, Limits{MaxElements: 4}, nil, 0},
		{"empty containers over limit", `[[],{}]`, Limits{MaxElements: 3}, ErrTooManyElements, 4},
		{"members count", `{"a":1,"b":2}`, Limits{MaxElements: 1}, ErrTooManyElements, 6},
		{"brackets in strings", `["[[[[,,,,{{{{"]`, Limits{MaxDepth: 1, MaxElements: 1}, nil, 0},
		{"escaped quote stays in the string", `["\"[[[["]`, Limits{MaxDepth: 1}, nil, 0},
		{"escaped backslash ends the string", `["\\",[[1]]]`, Limits{MaxDepth: 2}, ErrTooDeep, 7},
		{"stray closers buy no depth", `]]]]][[[`, Limits{MaxDepth: 2}, ErrTooDeep, 7},
		{"unterminated string", `["[[[[`, Limits{MaxDepth: 1}, nil, 0},
		{"trailing backslash", `["\`, Limits{MaxDepth: 1}, nil, 0},
		{"no limits", strings.Repeat("[", 1000), Limits{}, nil, 0},
		{"deep body", `{"schedules":` + strings.Repeat("[", 100_000), Limits{MaxDepth: 32}, ErrTooDeep, 44},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Check([]byte(tt.doc), tt.lim)
			assert.Equal(t, err, scanByteByByte([]byte(tt.doc), tt.lim), "the byte-by-byte scan agrees")
			if tt.want == nil {
				assert.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, tt.want)
			le, ok := errors.AsType[*LimitError](err)
			require.True(t, ok)
			assert.Equal(t, tt.at, le.Offset)
			assert.Contains(t, err.Error(), "jsonguard: ")
		})
	}
}

// scanByteByByte writes data to a Scanner one byte at a time.
func scanByteByByte(data []byte, lim Limits) error {
	s := Scanner{Limits: lim}
	for i := range data {
		if _, err := s.Write(data[i : i+1]); err != nil {
			return err
		}
	}
	return nil
}

func TestScannerKeepsItsError(t *testing.T) {
	s := Scanner{Limits: Limits{MaxDepth: 1}}
	for _, piece := range []string{`["[`, `\`, `\`, `"`} {
		n, err := s.Write([]byte(piece))
		require.NoError(t, err, "the quote after two backslashes ends the string")
		assert.Equal(t, len(piece), n)
	}
	n, err := s.Write([]byte(`,[`))
	require.ErrorIs(t, err, ErrTooDeep)
	assert.Equal(t, 1, n, "the bytes before the excess")
	le, ok := errors.AsType[*LimitError](err)
	require.True(t, ok)
	assert.Equal(t, 7, le.Offset, "counted from the document's start")
	_, again := s.Write([]byte(`]`))
	assert.Same(t, err, again)

	var zero Scanner
	_, err = zero.Write([]byte(strings.Repeat("[", 1000)))
	assert.NoError(t, err, "the zero value has no limits")

	// Written through io.TeeReader, the excess stops the read.
	sc := Scanner{Limits: Limits{MaxDepth: 32}}
	_, err = io.ReadAll(io.TeeReader(strings.NewReader(strings.Repeat("[", 100_000)), &sc))
	assert.ErrorIs(t, err, ErrTooDeep)
}

// shape measures a valid document with encoding/json's tokenizer, as an
// oracle for Check: the deepest nesting, and the elements as Check counts
// them (each container counts its elements, at least 1; an object's
// elements are its members, duplicates included).
func shape(t testing.TB, data []byte) (depth, elements int) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	type frame struct {
		object bool
		tokens int // values of an array; keys and values of an object
	}
	var stack []frame
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return depth, elements
		}
		require.NoError(t, err, "oracle on valid JSON")
		d, isDelim := tok.(json.Delim)
		if isDelim && (d == ']' || d == '}') {
			f := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			n := f.tokens
			if f.object {
				n /= 2
			}
			elements += max(1, n)
			continue
		}
		if n := len(stack); n > 0 {
			stack[n-1].tokens++
		}
		if isDelim {
			stack = append(stack, frame{object: d == '{'})
			depth = max(depth, len(stack))
		}
	}
}

func TestCheckAgreesWithDecoder(t *testing.T) {
	for _, doc := range []string{
		`{"value":[{"scheduleId":"a","scheduleItems":[{"start":{"dateTime":"x","timeZone":"UTC"}},{}],"workingHours":{"daysOfWeek":["monday","friday"]}}]}`,
		`[[],[[]],{},{"a":[1,2,{"b":"],\"["}]}]`,
		`{"a":1,"a":2}`,
		`7`,
	} {
		depth, elements := shape(t, []byte(doc))
		assert.NoError(t, Check([]byte(doc), Limits{MaxDepth: depth, MaxElements: elements}), doc)
		if depth > 1 {
			assert.ErrorIs(t, Check([]byte(doc), Limits{MaxDepth: depth - 1}), ErrTooDeep, doc)
		}
		if elements > 1 {
			assert.ErrorIs(t, Check([]byte(doc), Limits{MaxElements: elements - 1}), ErrTooManyElements, doc)
		}
	}
}

// FuzzCheck: Check never panics, and on valid JSON it admits exactly the
// documents within the limits the decoder's tokens measure.
func FuzzCheck(f *testing.F) {
	f.Add([]byte(`{"schedules":["a@x"],"startTime":{"dateTime":"2024-03-05T08:00:00","timeZone":"UTC"}}`), 3, 5)
	f.Add([]byte(`["\"[[",[[[]]],{"k":"\\"}]`), 2, 2)
	f.Add([]byte(`]]]]][[[`), 2, 8)
	f.Add([]byte(strings.Repeat("[", 100)), 32, 1000)
	f.Fuzz(func(t *testing.T, data []byte, maxDepth, maxElements int) {
		lim := Limits{MaxDepth: maxDepth, MaxElements: maxElements}
		err := Check(data, lim)
		// The same verdict when the document arrives in two pieces.
		split := len(data) / 3
		sc := Scanner{Limits: lim}
		_, err2 := sc.Write(data[:split])
		if err2 == nil {
			_, err2 = sc.Write(data[split:])
		}
		if (err == nil) != (err2 == nil) || err != nil && err.Error() != err2.Error() {
			t.Fatalf("split at %d: Check %v, Scanner %v", split, err, err2)
		}
		if err != nil {
			le, ok := errors.AsType[*LimitError](err)
			if !ok || (le.Err != ErrTooDeep && le.Err != ErrTooManyElements) || le.Offset < 0 || le.Offset >= len(data) {
				t.Fatalf("error %v is not a *LimitError within the input", err)
			}
		}
		if !json.Valid(data) {
			return
		}
		depth, elements := shape(t, data)
		within := (maxDepth <= 0 || depth <= maxDepth) && (maxElements <= 0 || elements <= maxElements)
		if within != (err == nil) {
			t.Fatalf("depth %d elements %d limits %+v: Check says %v", depth, elements, lim, err)
		}
	})
}

// BenchmarkCheck scans a 1 MiB getSchedule-like response.
func BenchmarkCheck(b *testing.B) {
	item := `{"isPrivate":false,"status":"busy","subject":"Weekly \"sync\" [team]","start":{"dateTime":"2024-03-05T08:00:00.0000000","timeZone":"UTC"},"end":{"dateTime":"2024-03-05T09:00:00.0000000","timeZone":"UTC"}}`
	var buf strings.Builder
	buf.WriteString(`{"value":[{"scheduleId":"a@contoso.com","availabilityView":"0000","scheduleItems":[`)
	for buf.Len() < 1<<20 {
		buf.WriteString(item)
		buf.WriteByte(',')
	}
	buf.WriteString(item + `]}]}`)
	data := []byte(buf.String())
	lim := Limits{MaxDepth: 32, MaxElements: 1 << 20}
	require.NoError(b, Check(data, lim))
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if err := Check(data, lim); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCheckDeep refuses a hundred thousand '['.
func BenchmarkCheckDeep(b *testing.B) {
	data := []byte(`{"schedules":` + strings.Repeat("[", 100_000) + `"a"` + strings.Repeat("]", 100_000) + `}`)
	lim := Limits{MaxDepth: 32, MaxElements: 1 << 20}
	b.ReportAllocs()
	for b.Loop() {
		if Check(data, lim) == nil {
			b.Fatal("deep document admitted")
		}
	}
}
