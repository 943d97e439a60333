package freebusy_test

import (
	"context"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/require"

	"github.com/calbridge/calbridge/freebusy"
)

// TestScheduleBufferPieces: the pieces a buffer hands out are zero, have
// capacity equal to their length, do not overlap, and keep what was
// written into them when the buffer starts a larger array.
func TestScheduleBufferPieces(t *testing.T) {
	var b freebusy.ScheduleBuffer
	require.Nil(t, b.Intervals(0))
	require.Nil(t, b.Events(-1))
	require.Nil(t, b.Schedules(0))
	var pieces [][]freebusy.Interval
	for i := range 40 { // past several growths
		p := b.Intervals(i%7 + 1)
		require.Len(t, p, i%7+1)
		require.Equal(t, len(p), cap(p), "a piece is capped at its length")
		for k := range p {
			require.Zero(t, p[k])
			p[k] = freebusy.Interval{Start: time.Unix(int64(i), 0), End: time.Unix(int64(i+1), 0), Status: freebusy.Busy}
		}
		pieces = append(pieces, p)
	}
	// Appending to a piece allocates elsewhere: the next piece is intact.
	pieces[0] = append(pieces[0], freebusy.Interval{Status: freebusy.OutOfOffice})
	for i, p := range pieces[1:] {
		for _, iv := range p {
			require.Equal(t, int64(i+1), iv.Start.Unix(), "piece %d was overwritten", i+1)
			require.Equal(t, freebusy.Busy, iv.Status)
		}
	}
	ss, evs := b.Schedules(3), b.Events(5)
	require.Len(t, ss, 3)
	require.Len(t, evs, 5)
	require.Equal(t, 3, cap(ss))
	require.Equal(t, 5, cap(evs))
}

// TestScheduleBufferNil: a nil buffer allocates what it is asked for,
// holds nothing and resets to nothing, so that code written to fill a
// buffer works without one.
func TestScheduleBufferNil(t *testing.T) {
	var b *freebusy.ScheduleBuffer
	ivs, evs, ss := b.Intervals(3), b.Events(2), b.Schedules(4)
	require.Len(t, ivs, 3)
	require.Len(t, evs, 2)
	require.Len(t, ss, 4)
	require.Equal(t, 3, cap(ivs))
	require.Nil(t, b.Intervals(0))
	require.Nil(t, b.Events(0))
	require.Nil(t, b.Schedules(-1))
	require.NotSame(t, &b.Intervals(1)[0], &b.Intervals(1)[0], "every slice is new")
	b.Reset()
}

// TestScheduleBufferReset: after Reset the buffer hands out the same
// memory again, cleared, and serves a repeated answer without allocating.
func TestScheduleBufferReset(t *testing.T) {
	var b freebusy.ScheduleBuffer
	fe, wh := &freebusy.Error{}, &freebusy.WorkingHours{}
	fill := func() ([]freebusy.Schedule, []freebusy.Interval, []freebusy.Event) {
		ss, ivs, evs := b.Schedules(100), b.Intervals(4000), b.Events(500)
		for i := range ss {
			ss[i] = freebusy.Schedule{Attendee: "a", Err: fe, WorkingHours: wh}
		}
		for i := range ivs {
			ivs[i] = freebusy.Interval{Start: time.Unix(1, 0).In(time.Local), Status: freebusy.Tentative}
		}
		for i := range evs {
			evs[i] = freebusy.Event{Subject: "s", Private: true}
		}
		return ss, ivs, evs
	}
	fill()
	b.Reset()
	ss, ivs, evs := fill() // the arrays have settled
	b.Reset()
	for _, s := range ss {
		require.Zero(t, s, "Reset clears what was handed out")
	}
	for _, iv := range ivs {
		require.Zero(t, iv)
	}
	for _, e := range evs {
		require.Zero(t, e)
	}
	ss2, ivs2, evs2 := b.Schedules(100), b.Intervals(4000), b.Events(500)
	require.Same(t, &ss[0], &ss2[0], "the same array is handed out again")
	require.Same(t, &ivs[0], &ivs2[0])
	require.Same(t, &evs[0], &evs2[0])
	b.Reset()
	allocs := testing.AllocsPerRun(20, func() {
		fill()
		b.Reset()
	})
	require.Zero(t, allocs, "a buffer of settled size serves the answer without allocating")
}

// TestScheduleBufferLetsGoOfHugeArrays: Reset keeps an array of an
// ordinary answer for the next one, but not one of over 8 MB, which one
// very large answer grew: the next answer gets a new array, and the old
// one is left to the garbage collector as it was.
func TestScheduleBufferLetsGoOfHugeArrays(t *testing.T) {
	var b freebusy.ScheduleBuffer
	huge := b.Intervals(8<<20/int(unsafe.Sizeof(freebusy.Interval{})) + 1)
	huge[0].Status = freebusy.Busy
	b.Reset()
	next := b.Intervals(10)
	require.NotSame(t, &huge[0], &next[0], "the huge array is not reused")
	require.Equal(t, freebusy.Busy, huge[0].Status, "nor cleared: it is dropped")

	ordinary := b.Events(1000)
	b.Reset()
	require.Same(t, &ordinary[0], &b.Events(1)[0], "an ordinary array is kept")
}

// bufferedSource answers from ss, taking its slices from the buffer when
// asked through FreeBusyInto, and counts how it was asked.
type bufferedSource struct {
	ss          []freebusy.Schedule
	plain, into int
}

func (s *bufferedSource) FreeBusy(ctx context.Context, q freebusy.Query) ([]freebusy.Schedule, error) {
	s.plain++
	return s.ss, nil
}

func (s *bufferedSource) FreeBusyInto(ctx context.Context, q freebusy.Query, buf *freebusy.ScheduleBuffer) ([]freebusy.Schedule, error) {
	s.into++
	out := buf.Schedules(len(s.ss))
	for i, src := range s.ss {
		out[i] = src
		out[i].Intervals = buf.Intervals(len(src.Intervals))
		copy(out[i].Intervals, src.Intervals)
	}
	return out, nil
}

// TestAnswerInto: a BufferedSource is asked through FreeBusyInto, a
// plain Source through FreeBusy without touching the buffer, and a nil
// buffer asks FreeBusy.
func TestAnswerInto(t *testing.T) {
	q := freebusy.Query{Attendees: []string{"ada@example.com"}, Start: onMarch5(8, 0), End: onMarch5(18, 0)}
	ss := []freebusy.Schedule{{Attendee: "ada@example.com", Start: q.Start, End: q.End,
		Intervals: []freebusy.Interval{{Start: onMarch5(9, 0), End: onMarch5(10, 0), Status: freebusy.Busy}}}}
	ctx := context.Background()

	bs := &bufferedSource{ss: ss}
	var buf freebusy.ScheduleBuffer
	got, err := freebusy.AnswerInto(ctx, bs, q, &buf)
	require.NoError(t, err)
	require.Equal(t, ss, got)
	require.Equal(t, 1, bs.into)
	require.Zero(t, bs.plain)
	buf.Reset()
	require.Zero(t, got[0].Attendee, "the answer was in the buffer")

	_, err = freebusy.AnswerInto(ctx, bs, q, nil)
	require.NoError(t, err)
	require.Equal(t, 1, bs.plain, "a nil buffer asks FreeBusy")

	var plainBuf freebusy.ScheduleBuffer
	plain := freebusy.SourceFunc(func(ctx context.Context, q freebusy.Query) ([]freebusy.Schedule, error) { return ss, nil })
	got, err = freebusy.AnswerInto(ctx, plain, q, &plainBuf)
	require.NoError(t, err)
	plainBuf.Reset()
	require.Equal(t, ss, got, "a plain Source does not use the buffer")
}
