package ical

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// unfold reverses RFC 5545 §3.1 folding: CRLF followed by one space or tab
// is removed.
func unfold(s string) string {
	s = strings.ReplaceAll(s, "\r\n ", "")
	return strings.ReplaceAll(s, "\r\n\t", "")
}

func foldString(t *testing.T, in string) string {
	t.Helper()
	var out bytes.Buffer
	n, err := newFoldWriter(&out).Write([]byte(in))
	require.NoError(t, err)
	require.Equal(t, len(in), n)
	return out.String()
}

// assertLinesFit checks RFC 5545 §3.1: no line longer than 75 octets
// without its line break, and every line valid UTF-8 when the input was.
func assertLinesFit(t *testing.T, folded string) {
	t.Helper()
	for _, line := range strings.Split(folded, "\n") {
		line = strings.TrimSuffix(line, "\r")
		assert.LessOrEqual(t, len(line), maxLineOctets, "line %q", line)
		assert.True(t, utf8.ValidString(line), "line %q splits a UTF-8 sequence", line)
	}
}

func TestFoldWriter(t *testing.T) {
	exactly75 := "DESCRIPTION:" + strings.Repeat("x", 75-len("DESCRIPTION:"))
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"short line untouched", "UID:1\r\n", "UID:1\r\n"},
		{"exactly 75 octets untouched", exactly75 + "\r\n", exactly75 + "\r\n"},
		{"76 octets fold once", exactly75 + "y\r\n", exactly75 + "\r\n y\r\n"},
		{
			// The continuation's leading space counts: 74 more octets fit.
			"long line folds every 74 after the first 75",
			strings.Repeat("a", 75+74+1) + "\r\n",
			strings.Repeat("a", 75) + "\r\n " + strings.Repeat("a", 74) + "\r\n a\r\n",
		},
		{
			// "é" is two octets: it may not start at octet 75.
			"two-octet rune moves to the next line",
			strings.Repeat("a", 74) + "é\r\n",
			strings.Repeat("a", 74) + "\r\n é\r\n",
		},
		{
			"four-octet rune moves to the next line",
			strings.Repeat("a", 73) + "😀\r\n",
			strings.Repeat("a", 73) + "\r\n 😀\r\n",
		},
		{"LF line endings are kept", strings.Repeat("b", 76) + "\n", strings.Repeat("b", 75) + "\r\n b\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := foldString(t, tt.in)
			assert.Equal(t, tt.want, got)
			assert.Equal(t, tt.in, unfold(got))
			assertLinesFit(t, got)
		})
	}
}

// Folding state carries across writes: go-ical writes one line per call,
// but callers need not.
func TestFoldWriterAcrossWrites(t *testing.T) {
	in := "SUMMARY:" + strings.Repeat("ü", 60) + "\r\nUID:" + strings.Repeat("z", 100) + "\r\n"
	var out bytes.Buffer
	w := newFoldWriter(&out)
	for i := 0; i < len(in); i += 7 {
		_, err := w.Write([]byte(in[i:min(i+7, len(in))]))
		require.NoError(t, err)
	}
	assert.Equal(t, foldString(t, in), out.String())
	assert.Equal(t, in, unfold(out.String()))
	assertLinesFit(t, out.String())
}

type failingWriter struct{}

var errDiskFull = errors.New("disk full")

func (failingWriter) Write([]byte) (int, error) { return 0, errDiskFull }

func TestFoldWriterError(t *testing.T) {
	_, err := newFoldWriter(failingWriter{}).Write([]byte("UID:1\r\n"))
	assert.ErrorIs(t, err, errDiskFull)
}
