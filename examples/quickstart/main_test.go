package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite testdata/output.golden")

// TestRun runs the quickstart and compares its output with the golden file.
// The golden file was checked by hand against the embedded calendars: see
// the facts asserted below.
func TestRun(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, run(&buf))
	golden := filepath.Join("testdata", "output.golden")
	if *update {
		require.NoError(t, os.WriteFile(golden, buf.Bytes(), 0o644))
	}
	want, err := os.ReadFile(golden)
	require.NoError(t, err)
	assert.Equal(t, string(want), buf.String())

	out := buf.String()
	// 09:00 New York stand-up, from a rule that started before the US DST
	// change: still 09:00 (13:00Z) this week.
	assert.Contains(t, out, "FREEBUSY;FBTYPE=BUSY:20260309T130000Z/20260309T133000Z")
	// Bob's 13:00 London planning is 09:00 New York this week (four hours
	// apart until Europe changes on 29 March).
	assert.Contains(t, out, "FREEBUSY;FBTYPE=BUSY:20260309T130000Z/20260309T170000Z")
	// Bob's all-day leave is a whole day in London.
	assert.Contains(t, out, "FREEBUSY;FBTYPE=BUSY-UNAVAILABLE:20260313T000000Z/20260314T000000Z")
	// Cancelled and transparent events block nothing.
	assert.NotContains(t, out, "20260312T190000Z/20260312T200000Z")
	assert.NotContains(t, out, "20260313T160000Z/20260313T170000Z")
	// The only hour inside all three working days is 12:00-13:00 New York;
	// Monday's is taken by Bob's planning.
	assert.Contains(t, out, "Tue 10 Mar 12:00 EDT - 13:00 EDT")
	// The VFREEBUSY is folded at 75 octets (RFC 5545 §3.1).
	_, ics, ok := strings.Cut(out, "BEGIN:VCALENDAR")
	require.True(t, ok)
	for _, line := range strings.Split(ics, "\r\n") {
		assert.LessOrEqual(t, len(line), 75, "line %q", line)
	}
}
