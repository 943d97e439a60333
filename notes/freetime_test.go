package notes

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/calbridge/calbridge/freebusy"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestFindFreeTimeSample searches the embedded sample set. On Wednesday
// 2024-03-13 the working hours of Jane (New York, 13:00-16:00Z and
// 17:00-21:00Z), Klaus (Berlin, 07:00-11:00Z and 12:00-15:30Z) and Ana (São
// Paulo, 11:00-15:00Z and 16:00-20:00Z) share 13:00-15:00Z, of which Jane is
// busy until 14:00 and Klaus from 14:30.
func TestFindFreeTimeSample(t *testing.T) {
	src := loadSample(t)
	group := []string{"jane.doe@acme.example", "Klaus Weber/Engineering/Acme/DE", "CN=Ana Souza/OU=Support/O=Acme/C=BR"}
	wed := FreeTimeRequest{Attendees: group, Start: utc(13, 0, 0), End: utc(14, 0, 0), Duration: 30 * time.Minute}

	tests := []struct {
		name string
		mod  func(r *FreeTimeRequest)
		want []freebusy.Interval
	}{
		{"all stretches", func(*FreeTimeRequest) {}, []freebusy.Interval{iv(13, 14, 0, 13, 14, 30, freebusy.Free)}},
		{"first fit is exactly the duration", func(r *FreeTimeRequest) { r.FirstFit = true; r.Duration = 20 * time.Minute },
			[]freebusy.Interval{iv(13, 14, 0, 13, 14, 20, freebusy.Free)}},
		{"an hour does not fit", func(r *FreeTimeRequest) { r.Duration = time.Hour }, nil},
		{"step grid", func(r *FreeTimeRequest) { r.Step = 25 * time.Minute; r.Duration = 5 * time.Minute },
			[]freebusy.Interval{iv(13, 14, 10, 13, 14, 30, freebusy.Free)}},
		{"outside working hours too, first fit", func(r *FreeTimeRequest) { r.IgnoreWorkingHours = true; r.FirstFit = true },
			[]freebusy.Interval{iv(13, 0, 0, 13, 0, 30, freebusy.Free)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := wed
			tt.mod(&r)
			got, err := FindFreeTime(context.Background(), src, r)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

// TestFindFreeTimeTentativeIsNotFree: penciled-in time is Tentative by
// default (notes-freebusy.md §1.3), so it is not offered; with
// PenciledAsFree, as Notes shows it, it is.
func TestFindFreeTimeTentativeIsNotFree(t *testing.T) {
	r := FreeTimeRequest{Attendees: []string{"Jane Doe/Sales/Acme/US"}, Start: utc(14, 13, 0), End: utc(14, 14, 0), Duration: 30 * time.Minute, FirstFit: true}
	got, err := FindFreeTime(context.Background(), loadSample(t), r)
	require.NoError(t, err)
	assert.Equal(t, []freebusy.Interval{iv(14, 13, 30, 14, 14, 0, freebusy.Free)}, got)

	got, err = FindFreeTime(context.Background(), loadSample(t, WithBusyPolicy(BusyPolicy{PenciledAsFree: true})), r)
	require.NoError(t, err)
	assert.Equal(t, []freebusy.Interval{iv(14, 13, 0, 14, 13, 30, freebusy.Free)}, got)
}

func TestFindFreeTimeErrors(t *testing.T) {
	src := loadSample(t)
	base := FreeTimeRequest{Attendees: []string{"jane.doe@acme.example"}, Start: utc(13, 0, 0), End: utc(14, 0, 0), Duration: 30 * time.Minute}

	r := base
	r.Attendees = append(r.Attendees, "Nobody/Acme", "CN=x/y")
	_, err := FindFreeTime(context.Background(), src, r)
	var fte *FreeTimeError
	require.ErrorAs(t, err, &fte)
	require.Len(t, fte.Errs, 2)
	assert.Equal(t, "Nobody/Acme", fte.Errs[0].Attendee)
	assert.ErrorIs(t, err, freebusy.ErrUnknownAttendee)
	assert.ErrorIs(t, err, freebusy.ErrInvalid)
	assert.Contains(t, err.Error(), "notes: free-time search")

	r = base
	r.Attendees = nil
	_, err = FindFreeTime(context.Background(), src, r)
	assert.ErrorIs(t, err, freebusy.ErrNoAttendees)

	r = base
	r.Duration = 0
	_, err = FindFreeTime(context.Background(), src, r)
	assert.ErrorIs(t, err, freebusy.ErrBadDuration)

	r = base
	r.End = r.Start
	_, err = FindFreeTime(context.Background(), src, r)
	assert.ErrorIs(t, err, freebusy.ErrInvalidQuery)

	boom := errors.New("backend down")
	failing := freebusy.SourceFunc(func(context.Context, freebusy.Query) ([]freebusy.Schedule, error) { return nil, boom })
	_, err = FindFreeTime(context.Background(), failing, base)
	assert.ErrorIs(t, err, boom)

	short := freebusy.SourceFunc(func(context.Context, freebusy.Query) ([]freebusy.Schedule, error) { return nil, nil })
	_, err = FindFreeTime(context.Background(), short, base)
	assert.ErrorIs(t, err, freebusy.ErrInternal, "a source that breaks its contract is caught")
}
