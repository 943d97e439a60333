package das

import (
	"bytes"
	"math/rand/v2"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/calbridge/calbridge/freebusy"
)

// dasWeek returns a raw week of calendar intervals for the answer-path
// tests: every status, overlapping and out of order, some edges at
// fractions of a second (as a Source converting from another format may
// hand them over), some touching.
func dasWeek(seed uint64, start time.Time) []freebusy.Interval {
	rng := rand.New(rand.NewPCG(seed, 99))
	var ivs []freebusy.Interval
	for d := range 5 {
		at := start.AddDate(0, 0, d).Add(8 * time.Hour)
		for range 12 {
			length := time.Duration(15+rng.IntN(6)*15) * time.Minute
			s := at
			if rng.IntN(4) == 0 {
				s = s.Add(time.Duration(rng.IntN(int(time.Second)))) // a fraction of a second
			}
			e := s.Add(length)
			if rng.IntN(4) == 0 {
				e = e.Add(-time.Duration(rng.IntN(int(time.Second))))
			}
			ivs = append(ivs, freebusy.Interval{Start: s, End: e, Status: freebusy.Status(rng.IntN(6))})
			at = at.Add(length + time.Duration(rng.IntN(4)-2)*15*time.Minute)
		}
	}
	rng.Shuffle(len(ivs), func(i, j int) { ivs[i], ivs[j] = ivs[j], ivs[i] })
	return ivs
}

// oldBusyTime is NewBusyTime's periods as they were computed before the
// single pass: normalize, map, round outward, normalize again over the
// rounded window.
func oldBusyTime(t *testing.T, s freebusy.Schedule, opt BusyTimeOptions) []freebusy.Interval {
	t.Helper()
	norm, _, err := freebusy.Normalize(s.Intervals, s.Start, s.End, freebusy.NormalizeOptions{})
	require.NoError(t, err)
	var busy []freebusy.Interval
	for _, iv := range norm {
		switch iv.Status {
		case freebusy.Tentative:
			if opt.TentativeAsFree {
				continue
			}
		case freebusy.WorkingElsewhere, freebusy.Free:
			continue
		}
		iv.Status = freebusy.Busy
		busy = append(busy, iv.RoundOutward(time.Second))
	}
	w := freebusy.Interval{Start: s.Start, End: s.End}.RoundOutward(time.Second)
	out, _, err := freebusy.Normalize(busy, w.Start, w.End, freebusy.NormalizeOptions{})
	require.NoError(t, err)
	return out
}

// TestNewBusyTimeJoinsAsNormalize: on raw weeks with sub-second edges and
// a window that starts and ends inside a second, the one-pass join gives
// the periods the second normalization gave, with and without
// TentativeAsFree; rounding never lets periods touch.
func TestNewBusyTimeJoinsAsNormalize(t *testing.T) {
	start := time.Date(2024, 3, 4, 0, 0, 0, 250_000_000, time.UTC)
	for seed := range uint64(50) {
		s := freebusy.Schedule{Attendee: "jane", Start: start, End: start.AddDate(0, 0, 5).Add(-time.Millisecond), Intervals: dasWeek(seed, start)}
		for _, opt := range []BusyTimeOptions{{}, {TentativeAsFree: true}} {
			bt, _, err := NewBusyTime(s, opt)
			require.NoError(t, err)
			want := oldBusyTime(t, s, opt)
			require.Len(t, bt.BusyTimes, len(want), "seed %d", seed)
			for i, iv := range want {
				assert.Equal(t, NewDateTime(iv.Start), bt.BusyTimes[i].Start, "seed %d period %d", seed, i)
				assert.Equal(t, NewDateTime(iv.End), bt.BusyTimes[i].End, "seed %d period %d", seed, i)
			}
		}
	}
}

// TestHandlerAnswerGolden: busytime answers, JSON and iCalendar, are byte
// for byte those of the handler before it joined rounded periods in one
// pass and wrote from pooled buffers (testdata/answer-week.golden was
// written by that code).
func TestHandlerAnswerGolden(t *testing.T) {
	want, err := os.ReadFile("testdata/answer-week.golden")
	require.NoError(t, err)
	assert.Equal(t, string(want), string(dasGoldenAnswers(t)))
}

// dasGoldenAnswers is the busytime answer for a raw week, as JSON and as
// iCalendar, with tentative time busy and free.
func dasGoldenAnswers(t *testing.T) []byte {
	t.Helper()
	start := time.Date(2024, 3, 4, 0, 0, 0, 0, time.UTC)
	src := &dasRecordingSource{sched: func(a string, q freebusy.Query) freebusy.Schedule {
		return freebusy.Schedule{Attendee: a, Start: q.Start, End: q.End, AsOf: start, Intervals: dasWeek(7, start)}
	}}
	var out bytes.Buffer
	for _, tentativeAsFree := range []bool{false, true} {
		h := newHandler(t, src, WithTentativeAsFree(tentativeAsFree), dasWithNow(start))
		for _, format := range []string{"json", "icalendar"} {
			rec := dasServe(t, h, "/api/freebusy/busytime?name=jane&since=2024-03-04T00:00:00Z&before=2024-03-09T00:00:00Z&format="+format)
			require.Equal(t, 200, rec.Code, rec.Body.String())
			out.WriteString("== " + format + "\n")
			out.Write(rec.Body.Bytes())
		}
	}
	return out.Bytes()
}

// TestJoinRounded: periods that rounding to whole seconds makes overlap or
// touch are joined; others are kept apart.
func TestJoinRounded(t *testing.T) {
	at := func(h, m, s, ns int) time.Time { return time.Date(2024, 3, 4, h, m, s, ns, time.UTC) }
	busy := func(a, b time.Time) freebusy.Interval {
		return freebusy.Interval{Start: a, End: b, Status: freebusy.Busy}
	}
	got := joinRounded([]freebusy.Interval{
		busy(at(9, 0, 0, 0), at(9, 59, 59, 500_000_000)),           // ends 10:00:00, touching the next
		busy(at(10, 0, 0, 0), at(10, 30, 0, 400_000_000)),          // ends 10:30:01
		busy(at(10, 30, 0, 700_000_000), at(11, 0, 0, 0)),          // starts 10:30:00: overlaps
		busy(at(11, 0, 1, 0), at(11, 30, 0, 0)),                    // a whole second later: apart
		busy(at(12, 0, 0, 1), at(12, 0, 0, 2)),                     // a nanosecond becomes a second
		busy(at(12, 0, 1, 999_999_999), at(12, 0, 2, 999_999_999)), // 12:00:01-12:00:03, touching the one before
	})
	assert.Equal(t, []freebusy.Interval{
		busy(at(9, 0, 0, 0), at(11, 0, 0, 0)),
		busy(at(11, 0, 1, 0), at(11, 30, 0, 0)),
		busy(at(12, 0, 0, 0), at(12, 0, 3, 0)),
	}, got)
	assert.Empty(t, joinRounded(nil))
}
