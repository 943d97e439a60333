package transport

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// docSession is one ```jsonrpc block of PROTOCOL.md: the lines in order,
// each sent (-->) or expected (<--).
type docSession struct {
	lines []docLine
}

type docLine struct {
	send bool
	text string
}

// parseDocSessions extracts the sample sessions from PROTOCOL.md.
func parseDocSessions(t *testing.T) []docSession {
	t.Helper()
	b, err := os.ReadFile("PROTOCOL.md")
	require.NoError(t, err)
	var out []docSession
	var cur *docSession
	for _, line := range strings.Split(string(b), "\n") {
		switch {
		case line == "```jsonrpc":
			out = append(out, docSession{})
			cur = &out[len(out)-1]
		case line == "```":
			cur = nil
		case cur != nil && strings.HasPrefix(line, "--> "):
			cur.lines = append(cur.lines, docLine{send: true, text: line[4:]})
		case cur != nil && strings.HasPrefix(line, "<-- "):
			cur.lines = append(cur.lines, docLine{text: line[4:]})
		case cur != nil && strings.TrimSpace(line) != "":
			t.Fatalf("PROTOCOL.md: unexpected line in a jsonrpc block: %q", line)
		}
	}
	return out
}

// TestProtocolDocSampleSession replays every sample session of
// PROTOCOL.md ("Sample sessions") against a real Server over loopback TCP
// and checks each reply, compared as JSON values, and that the connection
// is closed when the document says so.
func TestProtocolDocSampleSession(t *testing.T) {
	sessions := parseDocSessions(t)
	require.GreaterOrEqual(t, len(sessions), 9, "PROTOCOL.md lost its sample sessions")
	_, addr := startServer(t, staticSource, WithToken("s3cret"))
	for i, s := range sessions {
		nc, err := net.Dial("tcp", addr)
		require.NoError(t, err)
		require.NoError(t, nc.SetDeadline(time.Now().Add(5*time.Second)))
		br := bufio.NewReader(nc)
		var last any
		for _, l := range s.lines {
			if l.send {
				_, err := io.WriteString(nc, l.text+"\n")
				require.NoError(t, err)
				continue
			}
			got, err := br.ReadString('\n')
			require.NoErrorf(t, err, "session %d: waiting for %s", i+1, l.text)
			var want, have any
			require.NoErrorf(t, json.Unmarshal([]byte(l.text), &want), "session %d: the document's reply is not JSON: %s", i+1, l.text)
			require.NoError(t, json.Unmarshal([]byte(got), &have))
			assert.Equalf(t, want, have, "session %d: reply differs from PROTOCOL.md\ndoc:    %s\nserver: %s", i+1, l.text, strings.TrimSpace(got))
			last = have
		}
		if code := closingCode(last); code != 0 {
			_, err := br.ReadString('\n')
			assert.ErrorIsf(t, err, io.EOF, "session %d: the server must close the connection after error %d", i+1, code)
		}
		require.NoError(t, nc.Close())
	}
}

// closingCode returns the error code in reply (an object or a batch's
// array) after which PROTOCOL.md says the server closes the connection,
// or 0.
func closingCode(reply any) int {
	replies, ok := reply.([]any)
	if !ok {
		replies = []any{reply}
	}
	for _, r := range replies {
		m, _ := r.(map[string]any)
		switch c := errorCode(m); c {
		case CodeVersionMismatch, CodeUnauthorized, CodeParseError, CodeMessageTooLarge:
			return c
		}
	}
	return 0
}

func errorCode(resp map[string]any) int {
	e, ok := resp["error"].(map[string]any)
	if !ok {
		return 0
	}
	c, _ := e["code"].(float64)
	return int(c)
}

// docJSONBlocks returns the ```json blocks of PROTOCOL.md's section named
// title, in order.
func docJSONBlocks(t *testing.T, title string) []string {
	t.Helper()
	b, err := os.ReadFile("PROTOCOL.md")
	require.NoError(t, err)
	_, section, ok := strings.Cut(string(b), "\n## "+title+"\n")
	require.Truef(t, ok, "PROTOCOL.md lost its section %q", title)
	section, _, _ = strings.Cut(section, "\n## ")
	var out []string
	for {
		var block string
		if _, section, ok = strings.Cut(section, "\n```json\n"); !ok {
			return out
		}
		block, section, _ = strings.Cut(section, "\n```\n")
		out = append(out, block)
	}
}

// TestProtocolDocCompactExample: the worked example of PROTOCOL.md
// "Compact schedules" is right: its JSON form and its compact form read
// back as the same schedules, and the server writes the compact one, byte
// for byte (the document adds line breaks), from those schedules.
func TestProtocolDocCompactExample(t *testing.T) {
	blocks := docJSONBlocks(t, "Compact schedules")
	require.Len(t, blocks, 2, "the JSON form, then the compact form")
	var res freeBusyResult
	require.NoError(t, json.Unmarshal([]byte(blocks[0]), &res))
	toUTC(res.Schedules)
	require.Len(t, res.Schedules, 2)
	require.NotNil(t, res.Schedules[0].WorkingHours, "the example has every member")
	require.NotEmpty(t, res.Schedules[0].Events)

	var compact bytes.Buffer
	require.NoError(t, json.Compact(&compact, []byte(blocks[1])))
	got, err := DecodeCompactSchedules(compact.Bytes())
	require.NoError(t, err)
	assert.Equal(t, res.Schedules, got)

	written, err := AppendCompactSchedules(nil, res.Schedules)
	require.NoError(t, err)
	assert.Equal(t, compact.String(), string(written))
}
