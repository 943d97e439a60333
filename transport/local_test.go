package transport

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/calbridge/calbridge/freebusy"
)

func TestLocal(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	require.NoError(t, err)
	kept := []freebusy.Schedule{{
		Attendee: "a@example.com", Start: t0, End: t0.Add(24 * time.Hour),
		Intervals:    []freebusy.Interval{{Start: t0.Add(9 * time.Hour), End: t0.Add(10 * time.Hour), Status: freebusy.Busy}},
		WorkingHours: &freebusy.WorkingHours{Location: berlin, Periods: []freebusy.WorkingPeriod{{Days: []time.Weekday{time.Monday}, Start: 9 * time.Hour, End: 17 * time.Hour}}},
	}, {
		Attendee: "b@example.com", Start: t0, End: t0.Add(24 * time.Hour),
		Err: &freebusy.Error{Attendee: "b@example.com", Reason: freebusy.ReasonUnknownAttendee},
	}}
	var seen freebusy.Query
	src := freebusy.SourceFunc(func(ctx context.Context, q freebusy.Query) ([]freebusy.Schedule, error) {
		seen = q
		return kept, nil
	})
	tr := NewLocal(src)
	q := freebusy.Query{Attendees: []string{"a@example.com", "b@example.com"}, Start: t0, End: t0.Add(24 * time.Hour)}
	got, err := tr.FreeBusy(context.Background(), q)
	require.NoError(t, err)
	assert.Equal(t, kept, got)

	// Neither side aliases the other's memory.
	q.Attendees[0] = "changed@example.com"
	assert.Equal(t, "a@example.com", seen.Attendees[0])
	got[0].Intervals[0].Status = freebusy.Free
	got[0].WorkingHours.Periods[0].Days[0] = time.Sunday
	got[1].Err.Reason = freebusy.ReasonInternal
	assert.Equal(t, freebusy.Busy, kept[0].Intervals[0].Status)
	assert.Equal(t, time.Monday, kept[0].WorkingHours.Periods[0].Days[0])
	assert.Equal(t, freebusy.ReasonUnknownAttendee, kept[1].Err.Reason)

	_, err = tr.FreeBusy(context.Background(), freebusy.Query{Start: t0, End: t0})
	assert.ErrorIs(t, err, freebusy.ErrInvalidQuery)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = tr.FreeBusy(ctx, testQuery(1))
	assert.ErrorIs(t, err, context.Canceled)

	require.NoError(t, tr.Close())
	require.NoError(t, tr.Close())
	_, err = tr.FreeBusy(context.Background(), testQuery(1))
	assert.ErrorIs(t, err, ErrClosed)
}

func TestLocalChecksTheSourceContract(t *testing.T) {
	tr := NewLocal(freebusy.SourceFunc(func(ctx context.Context, q freebusy.Query) ([]freebusy.Schedule, error) {
		return []freebusy.Schedule{{Attendee: "someone-else@example.com"}}, nil
	}))
	_, err := tr.FreeBusy(context.Background(), testQuery(1))
	assert.ErrorIs(t, err, freebusy.ErrInternal)
}

func TestLocalPassesSourceErrors(t *testing.T) {
	want := &freebusy.Error{Reason: freebusy.ReasonUnavailable}
	tr := NewLocal(freebusy.SourceFunc(func(ctx context.Context, q freebusy.Query) ([]freebusy.Schedule, error) {
		return nil, want
	}))
	_, err := tr.FreeBusy(context.Background(), testQuery(1))
	assert.Same(t, want, err)
}
