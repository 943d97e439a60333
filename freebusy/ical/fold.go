package ical

import (
	"io"
)

// maxLineOctets is the longest content line RFC 5545 §3.1 allows, not
// counting the line break: "Lines of text SHOULD NOT be longer than 75
// octets".
const maxLineOctets = 75

// foldWriter folds the content lines written through it at 75 octets
// (RFC 5545 §3.1): a CRLF and a single space are inserted before the octet
// that would make a line longer, never inside a UTF-8 sequence. go-ical
// writes unfolded lines and leaves folding to its callers, and strict
// consumers reject lines over 75 octets.
//
// Lines already ending in CRLF or LF keep their ending; the folded
// continuation counts the leading space as its first octet, so no physical
// line exceeds 75 octets. Invalid UTF-8 is folded at whatever octet reaches
// the limit.
type foldWriter struct {
	w   io.Writer
	col int // octets on the current physical line
	buf []byte
}

func newFoldWriter(w io.Writer) *foldWriter { return &foldWriter{w: w} }

// Write folds p and writes it in one call to the underlying writer. It
// reports len(p) on success, as the io.Writer contract wants, although more
// octets were written.
func (f *foldWriter) Write(p []byte) (int, error) {
	b := f.buf[:0]
	col := f.col
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c == '\n':
			col = 0
		case c == '\r':
			// Part of the line break, not of the line.
		case c&0xC0 == 0x80:
			// UTF-8 continuation octet: folded only when invalid UTF-8 has
			// already filled the line.
			if col >= maxLineOctets {
				b = append(b, '\r', '\n', ' ')
				col = 1
			}
			col++
		default:
			if col+utf8SeqLen(c) > maxLineOctets && col > 0 {
				b = append(b, '\r', '\n', ' ')
				col = 1
			}
			col++
		}
		b = append(b, c)
	}
	f.buf, f.col = b, col
	if _, err := f.w.Write(b); err != nil {
		return 0, err
	}
	return len(p), nil
}

// utf8SeqLen returns the length of the UTF-8 sequence that lead octet c
// starts, or 1 for ASCII and invalid lead octets.
func utf8SeqLen(c byte) int {
	switch {
	case c >= 0xF0 && c < 0xF8:
		return 4
	case c >= 0xE0:
		if c >= 0xF8 {
			return 1
		}
		return 3
	case c >= 0xC0:
		return 2
	}
	return 1
}
