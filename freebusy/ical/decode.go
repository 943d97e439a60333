package ical

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/calbridge/calbridge/freebusy"

	goical "github.com/emersion/go-ical"
)

// This file holds what the VFREEBUSY and VEVENT decoders share: reading a
// stream of VCALENDAR objects with go-ical, and locating problems by line
// number, which go-ical does not report.

// Causes carried by a *ParseError of Kind "iCalendar".
var (
	errNoCalendar   = errors.New("no VCALENDAR object")
	errUnclosed     = errors.New("component is not closed (input truncated?)")
	errDecoderPanic = errors.New("go-ical decoder failed on malformed input")
)

// maxInputBytes bounds what the decoders read: far more than any free/busy
// answer or personal calendar (100 attendees over 62 days is about 3 MB),
// small enough that hostile input cannot exhaust memory.
const maxInputBytes = 64 << 20

// readAllLimited reads r whole, up to maxInputBytes.
func readAllLimited(r io.Reader) ([]byte, error) {
	var buf bytes.Buffer
	if l, ok := r.(interface{ Len() int }); ok && l.Len() <= maxInputBytes {
		buf.Grow(l.Len() + bytes.MinRead) // bytes.Reader, strings.Reader, bytes.Buffer: one allocation
	}
	if _, err := buf.ReadFrom(io.LimitReader(r, maxInputBytes+1)); err != nil {
		return nil, err
	}
	data := buf.Bytes()
	if len(data) > maxInputBytes {
		return nil, &freebusy.ParseError{Kind: "iCalendar", Input: fmt.Sprintf("%d bytes", len(data)), Err: fmt.Errorf("input exceeds %d bytes", maxInputBytes)}
	}
	return data, nil
}

// decodeCalendars decodes every VCALENDAR object in data, in order, and
// calls visit with each. Syntax errors become a *ParseError of Kind
// "iCalendar" with the line of the offending content line.
func decodeCalendars(data []byte, visit func(cal *goical.Calendar) error) error {
	dec := goical.NewDecoder(bytes.NewReader(data))
	for n := 0; ; n++ {
		cal, err := safeDecode(dec)
		if err == io.EOF {
			// go-ical also reports io.EOF inside an unclosed component.
			if line, text, open := unclosedComponent(data); open {
				return &freebusy.ParseError{Kind: "iCalendar", Input: text, Line: line, Err: errUnclosed}
			}
			if n == 0 {
				return &freebusy.ParseError{Kind: "iCalendar", Err: errNoCalendar}
			}
			return nil
		}
		if err != nil {
			line, text := locateSyntaxError(data)
			return &freebusy.ParseError{Kind: "iCalendar", Input: text, Line: line, Err: err}
		}
		if err := visit(cal); err != nil {
			return err
		}
	}
}

// safeDecode runs go-ical's decoder, turning its panics into errors. At the
// commit we use, lineDecoder.decodeParam indexes past the end of a line that
// ends inside a parameter ("X;A=b") and panics on a character after a quoted
// parameter value ("X;A=\"b\"c:v"); a decoder must not crash on bad input, so
// the recover stays until go-ical returns errors there.
func safeDecode(dec *goical.Decoder) (cal *goical.Calendar, err error) {
	defer func() {
		if r := recover(); r != nil {
			cal, err = nil, fmt.Errorf("%w: %v", errDecoderPanic, r)
		}
	}()
	return dec.Decode()
}

// logicalLine is one unfolded content line and the 1-based physical line
// it starts on.
type logicalLine struct {
	text string
	line int
}

// forEachLogicalLine unfolds data the way go-ical does (a physical line
// starting with a space or tab continues the previous one; CRLF and LF both
// end a line) and calls fn with every non-empty logical line until fn
// returns false. It is used on error paths only.
func forEachLogicalLine(data []byte, fn func(l logicalLine) bool) {
	var cur strings.Builder
	curLine, physical := 0, 0
	flush := func() bool {
		if cur.Len() == 0 {
			return true
		}
		ok := fn(logicalLine{text: cur.String(), line: curLine})
		cur.Reset()
		return ok
	}
	for len(data) > 0 {
		physical++
		var l []byte
		l, data, _ = bytes.Cut(data, []byte{'\n'})
		l = bytes.TrimSuffix(l, []byte{'\r'})
		if len(l) > 0 && (l[0] == ' ' || l[0] == '\t') && curLine > 0 {
			cur.Write(l[1:])
			continue
		}
		if !flush() {
			return
		}
		cur.Write(l)
		curLine = physical
	}
	flush()
}

// propName returns the upper-cased name of a logical content line, the
// length of the name as written (upper-casing invalid UTF-8 changes it), and
// whether the line has a name.
func propName(text string) (string, int, bool) {
	i := strings.IndexAny(text, ";:")
	if i <= 0 {
		return "", 0, false
	}
	return strings.ToUpper(text[:i]), i, true
}

// locateSyntaxError finds the first content line go-ical rejects, by
// feeding each logical line to go-ical on its own and checking BEGIN/END
// nesting. It returns 0 and "" when it cannot tell.
func locateSyntaxError(data []byte) (line int, text string) {
	var stack []string
	forEachLogicalLine(data, func(l logicalLine) bool {
		name, n, ok := propName(l.text)
		if !ok {
			line, text = l.line, l.text
			return false
		}
		value, ok := checkContentLine(l.text[n:])
		if !ok {
			line, text = l.line, l.text
			return false
		}
		switch name {
		case "BEGIN":
			if len(stack) == 0 && !strings.EqualFold(value, goical.CompCalendar) {
				line, text = l.line, l.text
				return false
			}
			stack = append(stack, value)
		case "END":
			if len(stack) == 0 || !strings.EqualFold(stack[len(stack)-1], value) {
				line, text = l.line, l.text
				return false
			}
			stack = stack[:len(stack)-1]
		default:
			if len(stack) == 0 {
				line, text = l.line, l.text
				return false
			}
		}
		return true
	})
	return line, text
}

// checkContentLine decodes one content line's parameters and value (the line
// without its name) with go-ical, and returns the value.
func checkContentLine(rest string) (string, bool) {
	mini := "BEGIN:VCALENDAR\r\nX" + rest + "\r\nEND:VCALENDAR\r\n"
	cal, err := safeDecode(goical.NewDecoder(strings.NewReader(mini)))
	if err != nil {
		return "", false
	}
	p := cal.Props.Get("X")
	if p == nil {
		return "", false
	}
	return p.Value, true
}

// unclosedComponent reports whether data ends inside a component, with the
// line of the innermost unclosed BEGIN. It scans octets only, so it is cheap
// enough to run on every successful decode.
func unclosedComponent(data []byte) (line int, text string, open bool) {
	var begins []int // physical lines of the open BEGINs
	var texts [][]byte
	physical := 0
	for len(data) > 0 {
		physical++
		var l []byte
		l, data, _ = bytes.Cut(data, []byte{'\n'})
		switch {
		case hasNamePrefix(l, "BEGIN"):
			begins = append(begins, physical)
			texts = append(texts, l)
		case hasNamePrefix(l, "END") && len(begins) > 0:
			begins, texts = begins[:len(begins)-1], texts[:len(texts)-1]
		}
	}
	if len(begins) == 0 {
		return 0, "", false
	}
	n := len(begins) - 1
	return begins[n], string(bytes.TrimRight(texts[n], "\r")), true
}

// hasNamePrefix reports whether line starts with the property name (any
// case) followed by ':' or ';'.
func hasNamePrefix(line []byte, name string) bool {
	if len(line) <= len(name) || !bytes.EqualFold(line[:len(name)], []byte(name)) {
		return false
	}
	c := line[len(name)]
	return c == ':' || c == ';'
}

// componentLine returns the physical line of the ordinal-th (0-based)
// component named comp directly inside a VCALENDAR, or of the propOrdinal-th
// property named prop inside it when prop is not empty. It returns 0 when
// not found. Error paths only.
func componentLine(data []byte, comp string, ordinal int, prop string, propOrdinal int) int {
	depth, seen, found := 0, -1, 0
	inside := false
	forEachLogicalLine(data, func(l logicalLine) bool {
		name, _, ok := propName(l.text)
		if !ok {
			return true
		}
		switch name {
		case "BEGIN":
			depth++
			if depth == 2 && strings.EqualFold(strings.TrimSpace(afterColon(l.text)), comp) {
				seen++
				inside = seen == ordinal
				if inside && prop == "" {
					found = l.line
					return false
				}
			}
		case "END":
			if depth == 2 && inside {
				return false
			}
			depth--
		default:
			if inside && depth == 2 && name == prop {
				if propOrdinal == 0 {
					found = l.line
					return false
				}
				propOrdinal--
			}
		}
		return true
	})
	return found
}

// afterColon returns what follows the first colon of a BEGIN or END line.
func afterColon(s string) string {
	if i := strings.IndexByte(s, ':'); i >= 0 {
		return s[i+1:]
	}
	return ""
}
