package transport

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
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
	helloMembers = sync.OnceValue(func() []string { return jsonMembers(reflect.TypeFor[helloParams]()) })
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
