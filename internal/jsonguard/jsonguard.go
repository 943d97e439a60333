package jsonguard

import (
	"bytes"
	"errors"
	"strconv"
)

// Conditions of a *LimitError.
var (
	// ErrTooDeep: arrays and objects nest deeper than Limits.MaxDepth.
	ErrTooDeep = errors.New("jsonguard: JSON nested too deeply")
	// ErrTooManyElements: the document holds more than
	// Limits.MaxElements elements.
	ErrTooManyElements = errors.New("jsonguard: too many JSON elements")
)

// Limits bound a document. A zero or negative field sets no bound.
type Limits struct {
	// MaxDepth is the deepest nesting of arrays and objects allowed: 1
	// admits [1,2] and {"a":1} but not [[1]].
	MaxDepth int
	// MaxElements bounds the elements of all containers together,
	// counted as Check counts them: one per container opened and one per
	// comma between elements, so a container of n elements counts n (an
	// empty one counts 1) and a document counts about as many as it has
	// array elements and object members.
	MaxElements int
}

// LimitError reports a document beyond its Limits.
type LimitError struct {
	// Err is ErrTooDeep or ErrTooManyElements.
	Err error
	// Limit is the bound that was exceeded.
	Limit int
	// Offset is the byte offset at which it was exceeded.
	Offset int
}

// Error implements error.
func (e *LimitError) Error() string {
	return e.Err.Error() + " (limit " + strconv.Itoa(e.Limit) + ", at byte " + strconv.Itoa(e.Offset) + ")"
}

// Unwrap returns the condition.
func (e *LimitError) Unwrap() error { return e.Err }

// Check scans data once and returns a *LimitError at the first byte where
// it exceeds lim, or nil. Brackets, braces and commas inside strings do
// not count; an escaped quote does not end a string. Closing brackets never
// take the depth below zero, so stray closers cannot buy extra depth.
// Check stops at the first excess, so a document of a hundred thousand
// '[' costs MaxDepth+1 bytes of scanning. It allocates only its error.
func Check(data []byte, lim Limits) error {
	s := Scanner{Limits: lim}
	_, err := s.Write(data)
	return err
}

// Scanner checks a document as it arrives: it is an io.Writer to which
// the document is written in pieces of any size, for instance through
// io.TeeReader, so that a reader stops at the first excess instead of
// reading the whole body first. The zero value has no limits; set Limits
// before the first Write.
type Scanner struct {
	// Limits are the bounds to check.
	Limits Limits

	off      int  // bytes written before the current piece
	inString bool // the last piece ended inside a string...
	escaped  bool // ...right after a backslash
	depth    int
	elements int
	err      error
}

// Write scans p as the continuation of what was written before. It
// returns len(p) and nil while the document is within the limits, and
// otherwise the bytes of p before the excess and its *LimitError, whose
// Offset counts from the document's first byte; every later Write returns
// the same error.
func (s *Scanner) Write(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	// The state lives in locals while scanning and goes back on return.
	lim, depth, elements := s.Limits, s.depth, s.elements
	i := 0
	if s.inString {
		if s.escaped {
			i = 1 // the escaped byte
		}
		i, s.inString, s.escaped = skipString(p, i)
		i++
	}
	for ; i < len(p); i++ {
		switch p[i] {
		case '"':
			i, s.inString, s.escaped = skipString(p, i+1)
		case '[', '{':
			depth++
			if lim.MaxDepth > 0 && depth > lim.MaxDepth {
				s.err = &LimitError{Err: ErrTooDeep, Limit: lim.MaxDepth, Offset: s.off + i}
				return i, s.err
			}
			fallthrough
		case ',':
			elements++
			if lim.MaxElements > 0 && elements > lim.MaxElements {
				s.err = &LimitError{Err: ErrTooManyElements, Limit: lim.MaxElements, Offset: s.off + i}
				return i, s.err
			}
		case ']', '}':
			if depth > 0 {
				depth--
			}
		}
	}
	s.depth, s.elements = depth, elements
	s.off += len(p)
	return len(p), nil
}

// skipString finds the quote that closes a string whose rest starts at
// p[i]. It returns the quote's index, or len(p) with open set when p ends
// inside the string, and escaped set when p ends right after a backslash.
// Each byte is looked at a bounded number of times: the next quote is
// found once and reused while backslashes before it are skipped.
func skipString(p []byte, i int) (end int, open, escaped bool) {
	q := -1 // the next quote at or after i; len(p) when there is none
	for {
		if i > len(p) {
			return len(p), true, true // a backslash was the last byte
		}
		if q < i {
			q = len(p)
			if k := bytes.IndexByte(p[i:], '"'); k >= 0 {
				q = i + k
			}
		}
		k := bytes.IndexByte(p[i:q], '\\')
		if k < 0 {
			return q, q == len(p), false
		}
		i += k + 2 // the backslash and the byte it escapes
	}
}
