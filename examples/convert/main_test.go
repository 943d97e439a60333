package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func convert(t *testing.T, input string, args ...string) (out, report string, err error) {
	t.Helper()
	data, rerr := os.ReadFile(input)
	require.NoError(t, rerr)
	var o, e bytes.Buffer
	err = run(args, bytes.NewReader(data), &o, &e)
	return o.String(), e.String(), err
}

// testdata/mixed.ics holds one of each status (RFC 5545 FBTYPEs and
// calbridge's X- extensions of freebusy/ical/doc.go); each target keeps or
// loses them as docs/mapping.md §3-§4 says, and convert says which.
func TestLossesAreReported(t *testing.T) {
	mixed := filepath.Join("testdata", "mixed.ics")
	for _, tc := range []struct {
		to        string
		lost      []string
		lossless  bool
		outSubstr string
	}{
		{to: "vfreebusy", lossless: true, outSubstr: "FREEBUSY;FBTYPE=BUSY-TENTATIVE:20260302T100000Z/20260302T103000Z"},
		{to: "graph", lossless: true, outSubstr: `"availabilityView"`},
		{to: "ews", lossless: true, outSubstr: `<t:BusyType>Tentative</t:BusyType>`},
		{to: "das", lost: []string{
			"tentative written as busy for 30m0s (DAS has busy time only",
			"out-of-office written as busy for 2h0m0s (DAS has busy time only",
			"unknown written as busy for 1h0m0s (no word for \"no data\"",
			"working-elsewhere written as free for 2h0m0s (no word for working elsewhere",
		}, outSubstr: `"busyTimes"`},
		{to: "publicfolder", lost: []string{
			"unknown written as busy for 1h0m0s",
			"working-elsewhere written as free for 2h0m0s",
		}, outSubstr: `"MonthsTentative"`},
	} {
		t.Run(tc.to, func(t *testing.T) {
			out, report, err := convert(t, mixed, "-from", "vfreebusy", "-to", tc.to)
			require.NoError(t, err, report)
			assert.Contains(t, out, tc.outSubstr)
			if tc.lossless {
				assert.Contains(t, report, "wrote "+tc.to+": nothing lost")
				assert.NotContains(t, report, "lost:")
			}
			for _, l := range tc.lost {
				assert.Contains(t, report, "lost: ada.lovelace@notes.acme.example: "+l)
			}
			assert.Equal(t, len(tc.lost), strings.Count(report, "lost: "), report)
		})
	}
}

// The IBM DAS sample (docs/notes.md §2.2.6) begins with an inverted
// period: convert drops it and says so.
func TestDASSample(t *testing.T) {
	out, report, err := convert(t, filepath.Join("..", "..", "notes", "das", "testdata", "busytime-ibm-sample.json"),
		"-from", "das", "-to", "vfreebusy", "-attendee", "ada.lovelace@notes.acme.example")
	require.NoError(t, err)
	assert.Contains(t, report, "1 intervals ended before they started and were dropped")
	assert.Contains(t, out, "FREEBUSY;FBTYPE=BUSY:20131106T170000Z/20131106T180000Z")
	assert.Equal(t, 3, strings.Count(out, "FREEBUSY;"))
}

// A Notes calendar export becomes busy time in the asked window; the weekly
// 10:00 New York meeting whose rule began in winter time stays at 10:00
// local (14:00 UTC) after the 10 March 2024 change.
func TestCalendarToDAS(t *testing.T) {
	out, _, err := convert(t, filepath.Join("..", "..", "internal", "sample", "calendars", "jane-doe.ics"),
		"-from", "ics", "-to", "das", "-attendee", "jane.doe@acme.example",
		"-start", "2024-03-11T00:00:00Z", "-end", "2024-03-12T00:00:00Z", "-zone", "America/New_York")
	require.NoError(t, err)
	assert.Contains(t, out, `{"start":{"date":"2024-03-11","time":"14:00:00","utc":true},"end":{"date":"2024-03-11","time":"15:00:00","utc":true}}`)
}

// An EWS response lists no addresses and no window: convert asks for them,
// then reads it.
func TestEWSInput(t *testing.T) {
	in := filepath.Join("..", "..", "exchange", "ews", "testdata", "response-2013-naive.xml")
	_, _, err := convert(t, in, "-from", "ews", "-to", "vfreebusy")
	var ue usageError
	require.True(t, errors.As(err, &ue), "%v", err)

	out, report, err := convert(t, in, "-from", "ews", "-to", "vfreebusy",
		"-attendee", "a@x", "-start", "2014-02-13T00:00:00Z", "-end", "2014-02-14T00:00:00Z")
	require.NoError(t, err, report)
	assert.Contains(t, out, "ATTENDEE:mailto:a@x")
}

// EWS output in every view reads back; a view EWS does not have is a
// usage error.
func TestEWSOutput(t *testing.T) {
	mixed := filepath.Join("testdata", "mixed.ics")
	for _, view := range []string{"FreeBusy", "FreeBusyMerged", "Detailed", "DetailedMerged"} {
		out, report, err := convert(t, mixed, "-from", "vfreebusy", "-to", "ews", "-view", view)
		require.NoError(t, err, view)
		assert.Contains(t, out, "<t:FreeBusyViewType>", view)
		assert.Contains(t, report, "wrote ews: nothing lost", view)
	}
	out, report, err := convert(t, mixed, "-from", "vfreebusy", "-to", "ews", "-view", "MergedOnly")
	require.NoError(t, err)
	assert.Contains(t, out, "<t:MergedFreeBusy>")
	assert.NotContains(t, report, "nothing lost", "merged digits are coarser than the intervals")
	_, _, err = convert(t, mixed, "-from", "vfreebusy", "-to", "ews", "-view", "Everything")
	var ue usageError
	assert.True(t, errors.As(err, &ue), "%v", err)
}

func TestUsage(t *testing.T) {
	mixed := filepath.Join("testdata", "mixed.ics")
	for _, args := range [][]string{
		{},
		{"-from", "vfreebusy"},
		{"-from", "nope", "-to", "das"},
		{"-from", "vfreebusy", "-to", "ics"}, // calendars are read, never written
		{"-from", "vfreebusy", "-to", "das", "extra"},
		{"-from", "ics", "-to", "das", "-start", "yesterday"},
		{"-from", "ics", "-to", "das", "-attendee", "a@x"}, // no window
	} {
		_, _, err := convert(t, mixed, args...)
		var ue usageError
		assert.True(t, errors.As(err, &ue), "%q: %v", args, err)
	}
	// Bad input is an error naming the format, not a panic.
	var e bytes.Buffer
	err := run([]string{"-from", "vfreebusy", "-to", "das"}, strings.NewReader("BEGIN:VCALENDAR\r\nnot ical"), &bytes.Buffer{}, &e)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "reading vfreebusy")
}
