package transport

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/calbridge/calbridge/freebusy"
)

// Large results are written and read in two halves at once
// (appendCompactResult, decodeCompactSchedules). These tests hold the
// halves to what one goroutine does: the same bytes, the same schedules,
// the same errors, and a reading in one go whenever the halves do not
// meet.

// schedulesAt returns the offset just past the opening bracket of the
// schedules of the compact result b.
func schedulesAt(t *testing.T, b []byte) int {
	t.Helper()
	i := bytes.Index(b, []byte(`"schedules":[`))
	require.GreaterOrEqual(t, i, 0)
	return i + len(`"schedules":[`)
}

// readHalves runs the decoder's halves on the compact result b and
// reports what it read, whether the halves met, and where it stopped.
func readHalves(t *testing.T, b []byte, expect int) ([]freebusy.Schedule, bool, int) {
	t.Helper()
	d := &compactDecoder{data: b, pos: schedulesAt(t, b)}
	base := bytes.TrimPrefix(b, []byte(`{"form":"compact1","base":`))
	end := bytes.IndexByte(base, ',')
	require.Positive(t, end)
	for _, c := range base[:end] {
		d.base = d.base*10 + int64(c-'0')
	}
	out, ok := d.halves(expect)
	return out, ok, d.pos
}

func TestCompactHalvesReadTheSame(t *testing.T) {
	for _, n := range []int{2, 3, 17, 100} {
		_, ss := weekLoad(n)
		b, err := AppendCompactSchedules(nil, ss)
		require.NoError(t, err)
		one, err := decodeCompact(b, n, false)
		require.NoError(t, err)

		got, ok, end := readHalves(t, b, n)
		require.True(t, ok, "n=%d: the halves of our own writing meet", n)
		require.Equal(t, len(b)-len("}"), end, "n=%d: the halves end past the closing bracket", n)
		require.Equal(t, one, got, "n=%d", n)

		split, err := decodeCompact(b, n, true)
		require.NoError(t, err)
		require.Equal(t, one, split, "n=%d", n)
	}
}

// TestCompactHalvesDoNotMeet: a marker the halves cannot use is not
// believed: the result is read in one go, with its answer or its error.
func TestCompactHalvesDoNotMeet(t *testing.T) {
	_, ss := weekLoad(4)
	good, err := AppendCompactSchedules(nil, ss)
	require.NoError(t, err)
	body := string(good[schedulesAt(t, good) : len(good)-len("]}")])
	head := string(good[:schedulesAt(t, good)])
	for name, tc := range map[string]struct {
		in      string
		wantErr bool
	}{
		// The marker in a member after the schedules, past the middle:
		// the first half reaches the closing bracket before it.
		"after the schedules": {in: head + body + `],"later":[` + strings.Repeat("0,", 1<<16) + `{},{"attendee":1}]}`},
		// The marker inside a member a schedule does not know, past
		// the middle: the first half's schedule runs past it.
		"inside a schedule": {in: head + `{"x":[` + strings.Repeat("0,", 1<<16) + `{},{"attendee":1}]},` + body + `]}`},
		// A peer that writes the attendee last: no marker at all.
		"attendee last": {in: head + strings.ReplaceAll(body, `{"attendee":`, `{"x":0,"attendee":`) + `]}`},
		// Bad bytes in the second half, and in the first.
		"bad second half": {in: head + body[:len(body)-3] + `,7]}]}`, wantErr: true},
		"bad first half":  {in: head + `{"start":"x"},` + body + `]}`, wantErr: true},
	} {
		t.Run(name, func(t *testing.T) {
			in := []byte(tc.in)
			one, oneErr := decodeCompact(in, 0, false)
			require.Equal(t, tc.wantErr, oneErr != nil, "%v", oneErr)
			_, ok, _ := readHalves(t, in, 0)
			require.False(t, ok, "these halves must not meet")
			split, splitErr := decodeCompact(in, 0, true)
			require.Equal(t, one, split)
			if tc.wantErr {
				require.EqualError(t, splitErr, oneErr.Error(), "the error of one go")
			} else {
				require.NoError(t, splitErr)
			}
		})
	}
}

func TestCompactHalvesWriteTheSame(t *testing.T) {
	_, ss := weekLoad(12)
	want, err := AppendCompactSchedules([]byte("prefix"), ss)
	require.NoError(t, err)
	for h := 1; h < len(ss); h++ {
		got, err := appendCompactHalves([]byte("prefix"), ss, h)
		require.NoError(t, err)
		require.Equal(t, string(want), string(got), "h=%d", h)
	}
	// A result large enough goes through the halves, with the same bytes.
	_, big := weekLoad(100)
	items := 0
	for _, s := range big {
		items += len(s.Intervals) + len(s.Events)
	}
	require.GreaterOrEqual(t, items, splitEncodeItems, "the week of 100 is written in halves")
	want, err = AppendCompactSchedules(nil, big)
	require.NoError(t, err)
	got, err := appendCompactResult(nil, big)
	require.NoError(t, err)
	require.Equal(t, string(want), string(got))
}

// TestCompactHalvesWriteTheSameErrors: a schedule that cannot be written
// fails the result with the error one goroutine gives, whichever half it
// is in, and the first in order when both halves have one.
func TestCompactHalvesWriteTheSameErrors(t *testing.T) {
	_, clean := weekLoad(6)
	for _, bad := range [][]int{{1}, {4}, {0, 5}, {2, 3}} {
		ss := append([]freebusy.Schedule(nil), clean...)
		for _, i := range bad {
			s := ss[i]
			s.Intervals = append(append([]freebusy.Interval(nil), s.Intervals...),
				freebusy.Interval{Start: s.Start, End: s.Start.Add(time.Hour), Status: freebusy.Status(99)})
			ss[i] = s
		}
		_, want := AppendCompactSchedules(nil, ss)
		require.Error(t, want)
		for h := 1; h < len(ss); h++ {
			_, got := appendCompactHalves(nil, ss, h)
			require.EqualError(t, got, want.Error(), "bad=%v h=%d", bad, h)
		}
	}
}
