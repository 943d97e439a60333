package transport

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/calbridge/calbridge/freebusy"
)

// The params of calbridge.freebusy (PROTOCOL.md "calbridge.freebusy"),
// read and written by hand. Through encoding/json a query costs a
// reflective decode of the params, a second one inside
// freebusy.Query.UnmarshalJSON and a third for "hops" on the server, and
// a reflective encode inside freebusy.Query.MarshalJSON on the client.
// The shapes clients actually send (calbridge's own client, and stock
// JSON encoders, compact or with spaces after ',' and ':') take the
// single pass below; anything else, malformed or merely unusual, is
// declined and goes through encoding/json, so that what a client gets
// back, error messages included, does not depend on which path read its
// query. TestQueryParamsMatchGeneralPath and FuzzQueryParams hold the two
// paths to the same queries; TestAppendQueryParams and
// FuzzQueryParamsAppend hold the writer to encoding/json's bytes.

// decodeFreeBusyParams decodes the params of calbridge.freebusy: the
// query and its hop count, or the error that makes them invalid params.
func decodeFreeBusyParams(params json.RawMessage) (freebusy.Query, int, error) {
	if q, hops, ok := decodeQueryParams(params); ok {
		return q, hops, nil
	}
	return decodeQueryParamsGeneral(params)
}

// decodeQueryParamsGeneral is decodeFreeBusyParams through encoding/json:
// the path for params the fast one declines, and the reference it must
// match.
func decodeQueryParamsGeneral(params json.RawMessage) (freebusy.Query, int, error) {
	var q freebusy.Query
	if err := decodeParams(params, freeBusyMembers(), &q); err != nil {
		return freebusy.Query{}, 0, err
	}
	hops, err := decodeHops(params)
	if err != nil {
		return freebusy.Query{}, 0, err
	}
	return q, hops, nil
}

// Members of calbridge.freebusy's params, as bits of a set: the fast path
// reads each at most once.
const (
	memberAttendees = 1 << iota
	memberStart
	memberEnd
	memberGranularity
	memberDetail
	memberHops
)

// Bounds on the digits of the numbers the fast path reads; longer numbers
// are declined. So few digits are exact in a float64 and an int on every
// platform, and every granularity they can write converts to a
// time.Duration without overflow, as freebusy.Query.UnmarshalJSON
// converts it (a billion minutes would not).
const (
	maxFastMinuteDigits = 6 // granularityMinutes: |n| ≤ 999999
	maxFastHopsDigits   = 9 // hops: n ≤ 999999999
)

// decodeQueryParams decodes the params of calbridge.freebusy as
// decodeParams with freeBusyMembers and then decodeHops would, in one
// pass over the object (two over the attendees: one to check and count
// them, one to cut them out), when params have a shape it knows to read
// exactly as they do: an object whose members are spelt exactly as
// PROTOCOL.md spells them, each at most once; strings without escapes and
// in valid UTF-8; attendees an array of strings; start and end strings
// that time.Time.UnmarshalJSON reads; granularityMinutes and hops
// integers of a few digits (hops not negative); detail one of the names
// freebusy.Detail reads; JSON whitespace between tokens. For anything
// else, valid or not, null members included, it returns ok false and a
// zero query: the caller then decodes params the general way, which
// decides what they mean or why they are refused.
func decodeQueryParams(params []byte) (q freebusy.Query, hops int, ok bool) {
	if hops, ok = readQueryParams(params, &q); !ok {
		return freebusy.Query{}, 0, false
	}
	return q, hops, true
}

// readQueryParams is decodeQueryParams, decoding into q, which it may
// leave half written when it declines.
func readQueryParams(b []byte, q *freebusy.Query) (hops int, ok bool) {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return 0, false
	}
	if i = skipSpace(b, i+1); i < len(b) && b[i] == '}' {
		return 0, skipSpace(b, i+1) == len(b)
	}
	var seen uint
	for {
		name, next, ok := plainString(b, i)
		if !ok {
			return 0, false
		}
		if i = skipSpace(b, next); i >= len(b) || b[i] != ':' {
			return 0, false
		}
		i = skipSpace(b, i+1)
		var member uint
		switch string(name) {
		case "attendees":
			member = memberAttendees
			q.Attendees, i, ok = plainStrings(b, i)
		case "start":
			member = memberStart
			q.Start, i, ok = rfc3339String(b, i)
		case "end":
			member = memberEnd
			q.End, i, ok = rfc3339String(b, i)
		case "granularityMinutes":
			member = memberGranularity
			var n int
			if n, i, ok = shortInt(b, i, maxFastMinuteDigits, true); ok {
				// freebusy.Query.UnmarshalJSON's conversion, on the same
				// float64: n has few enough digits to be exact in one.
				q.Granularity = time.Duration(math.Round(float64(n) * float64(time.Minute)))
			}
		case "detail":
			member = memberDetail
			var text []byte
			if text, i, ok = plainString(b, i); ok {
				ok = q.Detail.UnmarshalText(text) == nil
			}
		case hopsMember:
			member = memberHops
			hops, i, ok = shortInt(b, i, maxFastHopsDigits, false)
		}
		if member == 0 || !ok || seen&member != 0 {
			return 0, false
		}
		seen |= member
		if i = skipSpace(b, i); i >= len(b) {
			return 0, false
		}
		switch b[i] {
		case ',':
			i = skipSpace(b, i+1)
		case '}':
			return hops, skipSpace(b, i+1) == len(b)
		default:
			return 0, false
		}
	}
}

// plainString returns the contents of the JSON string starting at b[i]
// and the index just past it, when it holds no escape, no control
// character and only valid UTF-8: the strings encoding/json reads as
// their bytes, unchanged.
func plainString(b []byte, i int) (s []byte, next int, ok bool) {
	if i >= len(b) || b[i] != '"' {
		return nil, i, false
	}
	start := i + 1
	j := plainRun(b, start)
	for j < len(b) && b[j] >= utf8.RuneSelf {
		r, size := utf8.DecodeRune(b[j:])
		if r == utf8.RuneError && size == 1 {
			return nil, i, false // encoding/json would write U+FFFD for it
		}
		j = plainRun(b, j+size)
	}
	if j >= len(b) || b[j] != '"' {
		return nil, i, false // an escape, a control character or the end
	}
	return b[start:j], j + 1, true
}

// plainStrings reads the JSON array of plain strings (see plainString)
// starting at b[i], as encoding/json reads it into a []string: [] is an
// empty slice, not nil. The strings share one allocation, a copy of the
// array's text, rather than one each.
func plainStrings(b []byte, i int) (ss []string, next int, ok bool) {
	if i >= len(b) || b[i] != '[' {
		return nil, i, false
	}
	open := i
	n := 0
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == ']' {
		return []string{}, i + 1, true
	}
	for {
		if _, i, ok = plainString(b, i); !ok {
			return nil, i, false
		}
		n++
		if i = skipSpace(b, i); i >= len(b) {
			return nil, i, false
		}
		if b[i] == ']' {
			break
		}
		if b[i] != ',' {
			return nil, i, false
		}
		i = skipSpace(b, i+1)
	}
	next = i + 1
	// The array is valid and its strings have no escapes: its quotes
	// come in pairs, one pair per string.
	text := string(b[open:next])
	ss = make([]string, n)
	at := 0
	for k := range ss {
		at += strings.IndexByte(text[at:], '"') + 1
		end := at + strings.IndexByte(text[at:], '"')
		ss[k] = text[at:end]
		at = end + 1
	}
	return ss, next, true
}

// rfc3339String reads the JSON string starting at b[i] as
// time.Time.UnmarshalJSON reads it (encoding/json hands it the string's
// raw text), when it is a plain string and a valid time.
func rfc3339String(b []byte, i int) (t time.Time, next int, ok bool) {
	if _, next, ok = plainString(b, i); !ok {
		return t, i, false
	}
	if err := t.UnmarshalJSON(b[i:next]); err != nil {
		return time.Time{}, i, false
	}
	return t, next, true
}

// shortInt reads the JSON number starting at b[i] when it is an integer
// of at most digits digits, with a minus sign only when signed allows it:
// the numbers encoding/json reads exactly into an int and a float64 alike.
// Fractions and exponents are declined.
func shortInt(b []byte, i, digits int, signed bool) (n, next int, ok bool) {
	neg := false
	if signed && i < len(b) && b[i] == '-' {
		neg = true
		i++
	}
	start := i
	for i < len(b) && '0' <= b[i] && b[i] <= '9' && i-start < digits {
		n = 10*n + int(b[i]-'0')
		i++
	}
	switch {
	case i == start, // no digit
		b[start] == '0' && i > start+1, // a leading zero: not JSON
		i < len(b) && ('0' <= b[i] && b[i] <= '9' || b[i] == '.' || b[i] == 'e' || b[i] == 'E'):
		return 0, i, false
	}
	if neg {
		n = -n
	}
	return n, i, true
}

// params appends a request's params as value does, writing those of
// calbridge.freebusy by hand.
func (e *encoder) params(params any) error {
	var ok bool
	if e.buf, ok = appendFreeBusyParams(e.buf, params); ok {
		return nil
	}
	return e.value(params)
}

// appendFreeBusyParams appends params, the params of a request, as
// encoding/json writes them (encoder.value), when they are the params of
// calbridge.freebusy (freeBusyParamsOf) and appendQueryParams can write
// them. ok false leaves dst as it was, for encoding/json to write them.
func appendFreeBusyParams(dst []byte, params any) ([]byte, bool) {
	switch p := params.(type) {
	case freebusy.Query:
		return appendQueryParams(dst, &p, 0)
	case freeBusyParams:
		return appendQueryParams(dst, &p.q, p.hops)
	}
	return dst, false
}

// appendQueryParams appends q's params, with "hops" when hops > 0, byte
// for byte as freeBusyParams.MarshalJSON writes them through the client's
// encoder: freebusy.Query.MarshalJSON's object (json.Marshal, so with
// HTML escaping), then the hop count. Where encoding/json would fail (a
// time RFC 3339 cannot write, an undeclared detail) it returns dst as it
// was and false, so that the caller gets encoding/json's own error.
func appendQueryParams(dst []byte, q *freebusy.Query, hops int) ([]byte, bool) {
	n0 := len(dst)
	if q.Attendees == nil {
		dst = append(dst, `{"attendees":null`...)
	} else {
		dst = append(dst, `{"attendees":[`...)
		for k, a := range q.Attendees {
			if k > 0 {
				dst = append(dst, ',')
			}
			// json.Marshal escapes '<', '>' and '&'; a string without
			// them is written alike without HTML escaping, and faster.
			dst = appendJSONText(dst, a, hasHTMLSpecial(a))
		}
		dst = append(dst, ']')
	}
	var err error
	dst = append(dst, `,"start":`...)
	if dst, err = appendJSONTime(dst, q.Start); err != nil {
		return dst[:n0], false
	}
	dst = append(dst, `,"end":`...)
	if dst, err = appendJSONTime(dst, q.End); err != nil {
		return dst[:n0], false
	}
	if m := q.Granularity.Minutes(); m != 0 {
		dst = append(dst, `,"granularityMinutes":`...)
		dst = appendJSONFloat(dst, m)
	}
	switch q.Detail {
	case freebusy.DetailStatus:
	case freebusy.DetailFull:
		dst = append(dst, `,"detail":"full"`...)
	default:
		return dst[:n0], false // Detail.MarshalText refuses it
	}
	if hops > 0 {
		dst = append(dst, `,"`+hopsMember+`":`...)
		dst = strconv.AppendInt(dst, int64(hops), 10)
	}
	return append(dst, '}'), true
}

// hasHTMLSpecial reports whether s holds '<', '>' or '&', the bytes
// json.Marshal escapes for HTML. It tests eight bytes at a time, as
// plainRun does: '<' and '>' differ only in bit 1, so setting that bit in
// every byte and clearing '>' leaves a zero byte where either was, and
// clearing '&' one where it was; a word with a zero byte is found by the
// "Bit Twiddling Hacks" test plainRun uses.
func hasHTMLSpecial(s string) bool {
	const (
		ones  = 0x0101010101010101
		highs = 0x8080808080808080
	)
	i := 0
	for ; i+8 <= len(s); i += 8 {
		w := uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
			uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
		angle := (w | ones*2) ^ ones*'>'
		amp := w ^ ones*'&'
		if ((angle-ones)&^angle|(amp-ones)&^amp)&highs != 0 {
			return true
		}
	}
	for ; i < len(s); i++ {
		if c := s[i]; c == '<' || c == '>' || c == '&' {
			return true
		}
	}
	return false
}

// appendJSONFloat appends the finite f as encoding/json writes a float64:
// the shortest decimal that reads back as f, with an exponent only below
// 1e-6 or from 1e21 on, and that exponent without a leading zero.
func appendJSONFloat(dst []byte, f float64) []byte {
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	dst = strconv.AppendFloat(dst, f, format, -1, 64)
	if n := len(dst); format == 'e' && dst[n-4] == 'e' && dst[n-3] == '-' && dst[n-2] == '0' {
		dst[n-2] = dst[n-1] // e-07 is written e-7
		dst = dst[:n-1]
	}
	return dst
}

// The request line around the params. encoding/json spends several times
// longer on a 100-attendee request's envelope than the fast path spends
// on its params: it validates the whole line, then scans it again to copy
// the id and the params out. decodeRequest reads the envelope the client
// writes, {"jsonrpc":"2.0","id":N,"method":M,"params":P}, members in any
// order, in one pass. TestDecodeRequest and FuzzQueryParamsEnvelope hold
// it to encoding/json's reading.

// unmarshalRequest decodes a request line into req as json.Unmarshal
// does, with the same result and the same error.
func unmarshalRequest(line []byte, req *wireRequest) error {
	if r, ok := decodeRequest(line); ok {
		*req = r
		return nil
	}
	return json.Unmarshal(line, req)
}

// maxFastDepth bounds the nesting of the values decodeRequest copies
// (encoding/json allows 10000 levels); deeper values are declined, so
// that the recursion of skipPlainValue stays shallow.
const maxFastDepth = 32

// decodeRequest decodes the JSON-RPC request object line as
// json.Unmarshal decodes it into a wireRequest, when the line has a shape
// it knows to read exactly as encoding/json does: an object whose members
// are among "jsonrpc", "id", "method" and "params", spelt so, each at most
// once; "jsonrpc" and "method" plain strings (see plainString); "id" and
// "params" any JSON value whose strings have no escapes, nested at most
// maxFastDepth deep. Those two are copied raw, as json.RawMessage copies
// them. ok is false for anything else, valid or not: the caller then
// decodes the line with encoding/json, which decides what it means or
// why it is refused.
func decodeRequest(line []byte) (req wireRequest, ok bool) {
	b := line
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return wireRequest{}, false
	}
	// The members, as bits of a set, and the spans of the raw ones,
	// copied out once the line is known to be valid.
	const (
		hasJSONRPC = 1 << iota
		hasMethod
		hasID
		hasParams
	)
	var seen uint
	var id, params [2]int
	if i = skipSpace(b, i+1); i < len(b) && b[i] == '}' {
		return req, skipSpace(b, i+1) == len(b)
	}
	for {
		name, next, ok := plainString(b, i)
		if !ok {
			return wireRequest{}, false
		}
		if i = skipSpace(b, next); i >= len(b) || b[i] != ':' {
			return wireRequest{}, false
		}
		i = skipSpace(b, i+1)
		var member uint
		switch string(name) {
		case "jsonrpc":
			member = hasJSONRPC
			var s []byte
			if s, i, ok = plainString(b, i); ok {
				req.JSONRPC = wireName(s)
			}
		case "method":
			member = hasMethod
			var s []byte
			if s, i, ok = plainString(b, i); ok {
				req.Method = wireName(s)
			}
		case "id":
			member = hasID
			id[0] = i
			i, ok = skipPlainValue(b, i, 0)
			id[1] = i
		case "params":
			member = hasParams
			params[0] = i
			i, ok = skipPlainValue(b, i, 0)
			params[1] = i
		}
		if member == 0 || !ok || seen&member != 0 {
			return wireRequest{}, false
		}
		seen |= member
		if i = skipSpace(b, i); i >= len(b) {
			return wireRequest{}, false
		}
		if b[i] == '}' {
			break
		}
		if b[i] != ',' {
			return wireRequest{}, false
		}
		i = skipSpace(b, i+1)
	}
	if skipSpace(b, i+1) != len(b) {
		return wireRequest{}, false
	}
	// One copy for both raw members: the line's buffer is reused for the
	// next line, and the id outlives it in the call's response.
	if seen&(hasID|hasParams) != 0 {
		nid := id[1] - id[0]
		raw := make([]byte, nid+params[1]-params[0])
		if seen&hasID != 0 {
			req.ID = json.RawMessage(raw[:nid:nid])
			copy(req.ID, b[id[0]:id[1]])
		}
		if seen&hasParams != 0 {
			req.Params = json.RawMessage(raw[nid:])
			copy(req.Params, b[params[0]:params[1]])
		}
	}
	return req, true
}

// wireName returns s as a string, without allocating for the version and
// the method names this package knows.
func wireName(s []byte) string {
	switch string(s) {
	case "2.0":
		return "2.0"
	case methodFreeBusy:
		return methodFreeBusy
	case methodPing:
		return methodPing
	case methodHello:
		return methodHello
	}
	return string(s)
}

// skipPlainValue returns the index just past the JSON value starting at
// b[i], when it is valid JSON whose strings have no escapes (any other
// byte but a control character is valid in a string, as encoding/json
// has it) and that nests at most maxFastDepth deep below depth.
func skipPlainValue(b []byte, i, depth int) (next int, ok bool) {
	if i >= len(b) {
		return i, false
	}
	switch c := b[i]; {
	case c == '"':
		j := plainRun(b, i+1)
		for j < len(b) && b[j] >= utf8.RuneSelf {
			j = plainRun(b, j+1)
		}
		if j >= len(b) || b[j] != '"' {
			return i, false
		}
		return j + 1, true
	case c == '{', c == '[':
		if depth >= maxFastDepth {
			return i, false
		}
		end := byte('}')
		if c == '[' {
			end = ']'
		}
		if i = skipSpace(b, i+1); i < len(b) && b[i] == end {
			return i + 1, true
		}
		for {
			if c == '{' {
				if _, i, ok = plainString(b, i); !ok {
					return i, false
				}
				if i = skipSpace(b, i); i >= len(b) || b[i] != ':' {
					return i, false
				}
				i = skipSpace(b, i+1)
			}
			if i, ok = skipPlainValue(b, i, depth+1); !ok {
				return i, false
			}
			if i = skipSpace(b, i); i >= len(b) {
				return i, false
			}
			if b[i] == end {
				return i + 1, true
			}
			if b[i] != ',' {
				return i, false
			}
			i = skipSpace(b, i+1)
		}
	case c == '-', '0' <= c && c <= '9':
		return skipNumber(b, i)
	}
	for _, lit := range [...]string{"true", "false", "null"} {
		if len(b)-i >= len(lit) && string(b[i:i+len(lit)]) == lit {
			return i + len(lit), true
		}
	}
	return i, false
}

// skipNumber returns the index just past the JSON number starting at
// b[i] (RFC 8259 section 6): -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?.
// What follows the number is the caller's to judge.
func skipNumber(b []byte, i int) (next int, ok bool) {
	digits := func(i int) int {
		for i < len(b) && '0' <= b[i] && b[i] <= '9' {
			i++
		}
		return i
	}
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i >= len(b) || b[i] < '0' || b[i] > '9':
		return i, false
	case b[i] == '0':
		i++
	default:
		i = digits(i)
	}
	if i < len(b) && b[i] == '.' {
		j := digits(i + 1)
		if j == i+1 {
			return i, false
		}
		i = j
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		j := digits(i)
		if j == i {
			return i, false
		}
		i = j
	}
	return i, true
}
