package das

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/calbridge/calbridge/freebusy"
	"github.com/calbridge/calbridge/internal/sample"
	"github.com/calbridge/calbridge/notes"
)

// TestCalendarSourceBehindDAS serves the sample calendars through the DAS
// Handler and reads them back with the DAS Client: the data flow in which
// the gateway poses as a Domino server for Notes users' exports (the
// Notes half of examples/gateway). DAS has no statuses, so tentative time arrives as busy
// (docs/notes.md §2.2.3); unknown users arrive as unknown attendees.
func TestCalendarSourceBehindDAS(t *testing.T) {
	defer goleak.VerifyNone(t)
	src := loadSample(t)
	srv := httptest.NewServer(newHandler(t, src))
	defer srv.Close()
	client, err := NewClient(srv.URL, WithHTTPClient(srv.Client()))
	require.NoError(t, err)
	defer srv.Client().CloseIdleConnections()

	q := weekQuery("Jane Doe/Sales/Acme/US@Acme", "ana.souza@acme.example", "Nobody/Acme")
	want, err := src.FreeBusy(context.Background(), q)
	require.NoError(t, err)
	got, err := client.FreeBusy(context.Background(), q)
	require.NoError(t, err)
	require.NoError(t, freebusy.CheckResult(q, got))

	for i := range 2 {
		require.Nil(t, got[i].Err, q.Attendees[i])
		var busy []freebusy.Interval
		for _, x := range want[i].Intervals {
			x.Status = freebusy.Busy
			busy = append(busy, x)
		}
		assert.Equal(t, busy, got[i].Intervals, q.Attendees[i])
	}
	require.NotNil(t, got[2].Err)
	assert.Equal(t, freebusy.ReasonUnknownAttendee, got[2].Err.Reason)
}

func loadSample(t testing.TB, opts ...notes.Option) *notes.CalendarSource {
	t.Helper()
	src, err := notes.LoadCalendars(sample.NotesCalendars(), opts...)
	require.NoError(t, err)
	return src
}

func weekQuery(attendees ...string) freebusy.Query {
	return freebusy.Query{Attendees: attendees, Start: sample.WeekStart, End: sample.WeekEnd}
}
