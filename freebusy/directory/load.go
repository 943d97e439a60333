package directory

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// readAll reads r up to maxBytes; more is an ErrTooLarge.
func readAll(r io.Reader, maxBytes int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxBytes+1))
	if err != nil {
		return nil, &EntryError{Entry: -1, Err: ErrSyntax, Cause: err}
	}
	if int64(len(data)) > maxBytes {
		return nil, &EntryError{Entry: -1, Err: ErrTooLarge, Cause: fmt.Errorf("more than %d bytes", maxBytes)}
	}
	return data, nil
}

// CSV columns.
const (
	colID          = "id"
	colSide        = "side"
	colAddress     = "address"
	colDisplayName = "displayname"
	colAliases     = "aliases"
)

// aliasSep separates the aliases of a CSV aliases field.
const aliasSep = ";"

// LoadCSV reads a directory in CSV (see the package documentation) and
// builds a Table of it. Errors are *EntryError values carrying the line:
// malformed CSV (ErrSyntax), a bad header (ErrColumn), and everything New
// refuses; or an invalid option (ErrInvalidOption).
func LoadCSV(r io.Reader, opts ...Option) (*Table, error) {
	return load(r, opts, parseCSV)
}

// load reads r within the size bound of opts, parses it with parse and
// builds the Table: the one path of LoadCSV and LoadJSON.
func load(r io.Reader, opts []Option, parse func([]byte) ([]Person, []int, error)) (*Table, error) {
	c, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	data, err := readAll(r, c.maxBytes)
	if err != nil {
		return nil, err
	}
	people, lines, err := parse(data)
	if err != nil {
		return nil, err
	}
	return build(people, lines, c.norms)
}

func parseCSV(data []byte) ([]Person, []int, error) {
	cr := csv.NewReader(bytes.NewReader(data))
	cr.Comment = '#'
	cr.TrimLeadingSpace = true
	cr.ReuseRecord = true
	syntax := func(err error) error {
		e := &EntryError{Entry: -1, Err: ErrSyntax, Cause: err}
		if pe, ok := errors.AsType[*csv.ParseError](err); ok {
			e.Line = pe.Line
			e.Cause = pe.Err
		}
		return e
	}
	header, err := cr.Read()
	if err == io.EOF {
		return nil, nil, &EntryError{Line: 1, Entry: -1, Err: ErrColumn, Cause: errors.New("no header")}
	}
	if err != nil {
		return nil, nil, syntax(err)
	}
	headerLine, _ := cr.FieldPos(0)
	cols := map[string]int{}
	for i, h := range header {
		name := strings.ToLower(strings.TrimSpace(h))
		switch name {
		case colID, colSide, colAddress, colDisplayName, colAliases:
		default:
			return nil, nil, &EntryError{Line: headerLine, Entry: -1, Field: h, Err: ErrColumn, Cause: errors.New("unknown column")}
		}
		if _, dup := cols[name]; dup {
			return nil, nil, &EntryError{Line: headerLine, Entry: -1, Field: h, Err: ErrColumn, Cause: errors.New("repeated column")}
		}
		cols[name] = i
	}
	for _, req := range []string{colID, colSide, colAddress} {
		if _, ok := cols[req]; !ok {
			return nil, nil, &EntryError{Line: headerLine, Entry: -1, Field: req, Err: ErrColumn, Cause: errors.New("required column missing")}
		}
	}
	field := func(rec []string, name string) string {
		if i, ok := cols[name]; ok {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	var people []Person
	var lines []int
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return people, lines, nil
		}
		if err != nil {
			return nil, nil, syntax(err)
		}
		line, _ := cr.FieldPos(0)
		p := Person{
			ID:          field(rec, colID),
			Side:        field(rec, colSide),
			Address:     field(rec, colAddress),
			DisplayName: field(rec, colDisplayName),
		}
		if a := field(rec, colAliases); a != "" {
			p.Aliases = strings.Split(a, aliasSep)
		}
		people = append(people, p)
		lines = append(lines, line)
	}
}

// LoadJSON reads a directory in JSON (see the package documentation) and
// builds a Table of it. Errors are *EntryError values carrying the line:
// malformed JSON, a document of another shape or an unknown member
// (ErrSyntax), and everything New refuses; or an invalid option
// (ErrInvalidOption).
func LoadJSON(r io.Reader, opts ...Option) (*Table, error) {
	return load(r, opts, parseJSON)
}

func parseJSON(data []byte) ([]Person, []int, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	lineAt := func(off int64) int {
		off = min(max(off, 0), int64(len(data)))
		return 1 + bytes.Count(data[:off], []byte{'\n'})
	}
	syntax := func(entry int, cause error) error {
		off := dec.InputOffset()
		if se, ok := errors.AsType[*json.SyntaxError](cause); ok {
			off = se.Offset
		}
		return &EntryError{Line: lineAt(off), Entry: entry, Err: ErrSyntax, Cause: cause}
	}
	expect := func(want json.Delim) error {
		tok, err := dec.Token()
		if err != nil {
			return syntax(-1, err)
		}
		if d, ok := tok.(json.Delim); !ok || d != want {
			return syntax(-1, fmt.Errorf("found %v where %q was expected", tok, want))
		}
		return nil
	}
	if err := expect('{'); err != nil {
		return nil, nil, err
	}
	var people []Person
	var lines []int
	seenPeople := false
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, nil, syntax(-1, err)
		}
		if key, _ := tok.(string); key != "people" || seenPeople {
			return nil, nil, syntax(-1, fmt.Errorf("unexpected member %q: the document has one member, \"people\"", tok))
		}
		seenPeople = true
		if err := expect('['); err != nil {
			return nil, nil, err
		}
		for dec.More() {
			start := dec.InputOffset()
			var p Person
			if err := dec.Decode(&p); err != nil {
				return nil, nil, syntax(len(people), err)
			}
			// The entry starts at the first byte after the separator.
			rest := data[start:]
			skip := len(rest) - len(bytes.TrimLeft(rest, ", \t\r\n"))
			people = append(people, p)
			lines = append(lines, lineAt(start+int64(skip)))
		}
		if err := expect(']'); err != nil {
			return nil, nil, err
		}
	}
	if err := expect('}'); err != nil {
		return nil, nil, err
	}
	if tok, err := dec.Token(); err != io.EOF {
		return nil, nil, syntax(-1, fmt.Errorf("data after the document: %v", tok))
	}
	if !seenPeople {
		return nil, nil, syntax(-1, errors.New("no \"people\" member"))
	}
	return people, lines, nil
}
