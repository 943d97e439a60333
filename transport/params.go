package transport

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/calbridge/calbridge/freebusy"
)

// Params are decoded strictly: a member the method does not know is an
// error, so that a misspelt "atendees" is refused rather than ignored.
// json.Decoder's DisallowUnknownFields does that at the cost of a copy and
// a second scan per call; knownMembers does it with one pass over the top
// level of the object, and falls back to the Decoder for keys with escapes.

var (
	queryMembers = sync.OnceValue(func() []string { return jsonMembers(reflect.TypeFor[freebusy.Query]()) })
	// freeBusyMembers are the members of calbridge.freebusy's params: the
	// query's and the hop count.
	freeBusyMembers = sync.OnceValue(func() []string { return append(slices.Clip(queryMembers()), hopsMember) })
	helloMembers    = sync.OnceValue(func() []string { return jsonMembers(reflect.TypeFor[helloParams]()) })
)

// jsonMembers lists the JSON member names of struct type t's fields.
func jsonMembers(t reflect.Type) []string {
	var out []string
	for f := range t.Fields() {
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch name {
		case "-":
			continue
		case "":
			name = f.Name
		}
		out = append(out, name)
	}
	return out
}

// decodeParams decodes the params object into v, refusing members not in
// known and anything but an object. Absent or null params decode as {}.
func decodeParams(params json.RawMessage, known []string, v any) error {
	params = bytes.TrimSpace(params)
	if len(params) == 0 || string(params) == "null" {
		return nil
	}
	if params[0] != '{' {
		return errors.New("params must be an object")
	}
	switch err := knownMembers(params, known); {
	case err == errEscapedKey:
		// Let encoding/json unescape the keys, then judge them as it
		// matches members. (DisallowUnknownFields cannot: freebusy.Query
		// decodes itself.)
		var members map[string]json.RawMessage
		if err := json.Unmarshal(params, &members); err != nil {
			return err
		}
		for key := range members {
			if !hasFoldedMember(known, key) {
				return fmt.Errorf("json: unknown field %q", key)
			}
		}
	case err != nil:
		return err
	}
	return json.Unmarshal(params, v)
}

// hasFoldedMember is hasMember for keys with escapes or non-ASCII runes,
// which may fold to an ASCII member ("\u212a" is the Kelvin sign, K).
func hasFoldedMember(known []string, key string) bool {
	for _, k := range known {
		if strings.EqualFold(k, key) {
			return true
		}
	}
	return false
}

var errEscapedKey = errors.New("escaped key")

// knownMembers checks the top-level member names of obj, a valid JSON
// object, against known, case-insensitively as encoding/json matches them.
func knownMembers(obj []byte, known []string) error {
	i := 1
	for {
		i = skipSpace(obj, i)
		if i >= len(obj) || obj[i] == '}' {
			return nil
		}
		if obj[i] == ',' {
			i = skipSpace(obj, i+1)
		}
		if i >= len(obj) || obj[i] != '"' {
			return errors.New("malformed object")
		}
		end := bytes.IndexByte(obj[i+1:], '"')
		if end < 0 {
			return errors.New("malformed object")
		}
		key := obj[i+1 : i+1+end]
		if !plainASCII(key) {
			return errEscapedKey // escapes or Unicode folding: let encoding/json judge
		}
		if !hasMember(known, key) {
			return fmt.Errorf("json: unknown field %q", key)
		}
		i = skipSpace(obj, i+end+2)
		if i >= len(obj) || obj[i] != ':' {
			return errors.New("malformed object")
		}
		i = skipValue(obj, skipSpace(obj, i+1))
	}
}

func plainASCII(key []byte) bool {
	for _, c := range key {
		if c == '\\' || c >= 0x80 {
			return false
		}
	}
	return true
}

func hasMember(known []string, key []byte) bool {
	for _, k := range known {
		if len(k) == len(key) && strings.EqualFold(k, string(key)) {
			return true
		}
	}
	return false
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipValue returns the index just past the JSON value starting at i.
func skipValue(b []byte, i int) int {
	depth := 0
	for ; i < len(b); i++ {
		switch b[i] {
		case '"':
			i++
			for i < len(b) && b[i] != '"' {
				if b[i] == '\\' {
					i++
				}
				i++
			}
			if depth == 0 {
				return i + 1
			}
		case '{', '[':
			depth++
		case '}', ']':
			if depth == 0 {
				return i // the end of the enclosing object
			}
			depth--
			if depth == 0 {
				return i + 1
			}
		case ',':
			if depth == 0 {
				return i
			}
		}
	}
	return i
}

// hopsMember is the optional member of calbridge.freebusy's params that
// carries the query's gateway hop count, freebusy.Hops (PROTOCOL.md
// "calbridge.freebusy").
const hopsMember = "hops"

// freeBusyParams are the params of calbridge.freebusy with a hop count:
// the query's members and "hops". A query that has made no hop is sent as
// the bare query, so that its params are what they were before hops.
type freeBusyParams struct {
	q    freebusy.Query
	hops int
}

// MarshalJSON writes the query's object with "hops" as its last member.
func (p freeBusyParams) MarshalJSON() ([]byte, error) {
	b, err := json.Marshal(p.q)
	if err != nil || p.hops <= 0 {
		return b, err
	}
	b = append(b[:len(b)-1], `,"`+hopsMember+`":`...) // b is an object: reopen it
	b = strconv.AppendInt(b, int64(p.hops), 10)
	return append(b, '}'), nil
}

// freeBusyParamsOf returns the params to send for q under ctx.
func freeBusyParamsOf(ctx context.Context, q freebusy.Query) any {
	if h := freebusy.Hops(ctx); h > 0 {
		return freeBusyParams{q: q, hops: h}
	}
	return q
}

// decodeHops returns the "hops" member of params that decodeParams has
// accepted: 0 when absent or null; a negative or non-integer count is an
// error. Params without the letters of "hops" in any case, nor an escape
// that could spell them, skip the decoding.
func decodeHops(params json.RawMessage) (int, error) {
	if !containsFold(params, hopsMember) && bytes.IndexByte(params, '\\') < 0 {
		return 0, nil
	}
	var p struct {
		Hops *int `json:"hops"`
	}
	if err := json.Unmarshal(params, &p); err != nil {
		return 0, err
	}
	if p.Hops == nil {
		return 0, nil
	}
	if *p.Hops < 0 {
		return 0, fmt.Errorf("hops %d is negative", *p.Hops)
	}
	return *p.Hops, nil
}

// containsFold reports whether b contains the ASCII lower-case word w in
// any case.
func containsFold(b []byte, w string) bool {
	for i := 0; i+len(w) <= len(b); i++ {
		j := 0
		for j < len(w) && b[i+j]|0x20 == w[j] {
			j++
		}
		if j == len(w) {
			return true
		}
	}
	return false
}
