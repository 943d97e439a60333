package publicfolder

import (
	"context"
	"testing"
	"time"

	"github.com/calbridge/calbridge/freebusy"
	"github.com/calbridge/calbridge/internal/config"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestPublicFolderSource(t *testing.T) {
	defer goleak.VerifyNone(t)
	broken := sampleMessage()
	broken.MonthsBusy = append(broken.MonthsBusy, 32388) // one more month than blobs
	store := map[string]*Message{
		"danw@example.com":   sampleMessage(),
		"broken@example.com": broken,
	}
	lookup := func(ctx context.Context, a string) (*Message, error) {
		switch a {
		case "denied@example.com":
			return nil, freebusy.NewError(a, freebusy.ReasonAccessDenied, nil)
		case "slow@example.com":
			<-ctx.Done()
			return nil, ctx.Err()
		}
		return store[a], nil
	}
	src, err := NewSource(lookup, WithConcurrency(2))
	require.NoError(t, err)
	q := freebusy.Query{
		Attendees: []string{"danw@example.com", "nobody@example.com", "broken@example.com", "denied@example.com"},
		Start:     pfTime("2024-02-28T00:00:00Z"),
		End:       pfTime("2024-03-10T00:00:00Z"),
	}
	got, err := src.FreeBusy(context.Background(), q)
	require.NoError(t, err)
	require.NoError(t, freebusy.CheckResult(q, got))

	danw := got[0]
	require.Nil(t, danw.Err)
	assert.Equal(t, []freebusy.Interval{
		pfIv("2024-02-28T00:00:00Z", "2024-03-01T00:00:00Z", freebusy.Unknown),
		pfIv("2024-03-05T09:00:00Z", "2024-03-05T10:30:00Z", freebusy.Busy),
	}, danw.Intervals)
	assert.Equal(t, pfTime("2024-03-01T00:00:00Z"), danw.AsOf)
	assert.Equal(t, q.Start, danw.Start)

	for i, want := range []error{nil, freebusy.ErrUnknownAttendee, freebusy.ErrInvalid, freebusy.ErrAccessDenied} {
		if want == nil {
			continue
		}
		require.NotNil(t, got[i].Err, q.Attendees[i])
		assert.ErrorIs(t, got[i].Err, want, q.Attendees[i])
	}
	assert.ErrorIs(t, got[2].Err, ErrMismatch)

	t.Run("deadline", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		q := q
		q.Attendees = []string{"slow@example.com", "danw@example.com"}
		got, err := src.FreeBusy(ctx, q)
		require.NoError(t, err)
		require.NotNil(t, got[0].Err)
		assert.Equal(t, freebusy.ReasonTimeout, got[0].Err.Reason)
		assert.Nil(t, got[1].Err)

		q.Attendees = []string{"slow@example.com"}
		ctx2, cancel2 := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel2()
		_, err = src.FreeBusy(ctx2, q)
		assert.ErrorIs(t, err, freebusy.ErrTimeout, "nothing answered")
	})
	t.Run("misuse", func(t *testing.T) {
		_, err := NewSource(nil)
		require.Error(t, err, "a source needs a lookup")
		_, err = new(Source).FreeBusy(context.Background(), q)
		assert.ErrorIs(t, err, freebusy.ErrUnavailable, "the zero Source has no lookup")
		_, err = src.FreeBusy(context.Background(), freebusy.Query{})
		assert.ErrorIs(t, err, freebusy.ErrInvalidQuery)
	})
}

// NewSource refuses an option it cannot honour at once.
func TestNewSourceOptions(t *testing.T) {
	lookup := func(context.Context, string) (*Message, error) { return nil, nil }
	for name, opt := range map[string]Option{
		"zero concurrency":       WithConcurrency(0),
		"negative concurrency":   WithConcurrency(-3),
		"negative limits":        WithLimits(freebusy.Limits{MaxWindow: -time.Hour}),
		"inverted granularities": WithLimits(freebusy.Limits{MinGranularity: time.Hour, MaxGranularity: time.Minute}),
	} {
		t.Run(name, func(t *testing.T) {
			src, err := NewSource(lookup, opt)
			require.Error(t, err)
			assert.Nil(t, src)
			assert.ErrorIs(t, err, ErrInvalidOption)
			assert.ErrorIs(t, err, config.ErrInvalidOption)
			assert.Contains(t, err.Error(), "publicfolder: With")
		})
	}

	src, err := NewSource(lookup, nil, WithLogger(nil), WithConcurrency(3), WithLimits(freebusy.Limits{MaxAttendees: 2}))
	require.NoError(t, err, "nil options and a nil logger mean the defaults")
	assert.Equal(t, 3, src.cfg.Concurrency)
	_, err = src.FreeBusy(context.Background(), freebusy.Query{
		Attendees: []string{"a", "b", "c"}, Start: pfTime("2024-03-01T00:00:00Z"), End: pfTime("2024-03-02T00:00:00Z"),
	})
	assert.ErrorIs(t, err, freebusy.ErrTooManyAttendees, "WithLimits applies")
}
