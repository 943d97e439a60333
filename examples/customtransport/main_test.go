package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/calbridge/calbridge/freebusy"
	"github.com/calbridge/calbridge/internal/sample"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestRun runs the program and checks what it prints against the sample
// calendars (internal/sample/calendars): Jane Doe's weekly 10:00-11:00 New
// York meeting, whose rule began in winter time on 4 March 2024, is
// 14:00-15:00 UTC (slots 28-29 of 30 minutes) on 11 March, the day after the
// US change to summer time, not 15:00 as a fixed offset would put it; Klaus
// Weber's 08:00-12:00 Berlin block is 07:00-11:00 UTC (slots 14-21).
func TestRun(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out bytes.Buffer
	require.NoError(t, run(ctx, &out))
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	require.Len(t, lines, 9, out.String())

	jane := strings.Repeat("0", 28) + "22" + strings.Repeat("0", 18)
	klaus := strings.Repeat("0", 14) + strings.Repeat("2", 8) + strings.Repeat("0", 26)
	assert.Equal(t, "  jane.doe@acme.example      "+jane, lines[1])
	assert.Equal(t, "  klaus.weber@acme.example   "+klaus, lines[2])
	assert.Equal(t, "  nobody@acme.example        no data: unknown-attendee", lines[3])
	// With the far half gone, every attendee still gets a row, with a
	// reason: never a blank (the old connector's silent failure).
	for _, l := range lines[6:] {
		assert.Contains(t, l, "no data: unavailable")
	}
}

// The carrier keeps the freebusy.Source contract whatever the far half does.
func TestCarrierContract(t *testing.T) {
	q := freebusy.Query{Attendees: []string{"a@x", "b@x"}, Start: sample.WeekStart, End: sample.WeekStart.Add(time.Hour)}
	for _, tc := range []struct {
		name   string
		far    http.HandlerFunc
		reason freebusy.Reason
	}{
		{"answers out of order", func(w http.ResponseWriter, r *http.Request) {
			_ = json.NewEncoder(w).Encode([]freebusy.Schedule{
				{Attendee: "b@x", Start: q.Start, End: q.End},
				{Attendee: "a@x", Start: q.Start, End: q.End},
			})
		}, freebusy.ReasonUnavailable},
		{"answers garbage", func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write([]byte("<html>proxy error</html>"))
		}, freebusy.ReasonUnavailable},
		{"bad gateway without a body", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusBadGateway)
		}, freebusy.ReasonUnavailable},
		{"refuses the query", serveCarrier(freebusy.SourceFunc(func(ctx context.Context, q freebusy.Query) ([]freebusy.Schedule, error) {
			return nil, freebusy.NewError("", freebusy.ReasonThrottled, nil)
		})).ServeHTTP, freebusy.ReasonThrottled},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(tc.far)
			defer srv.Close()
			c := &httpCarrier{url: srv.URL, client: srv.Client()}
			schedules, err := c.FreeBusy(context.Background(), q)
			assert.Nil(t, schedules)
			assert.Equal(t, tc.reason, freebusy.ReasonOf(err), "%v", err)
		})
	}
}

// A whole round trip keeps what freebusy's JSON carries: statuses, as-of
// time, the stale flag and per-attendee reasons.
func TestCarrierRoundTrip(t *testing.T) {
	asOf := sample.WeekStart.Add(-time.Hour)
	far := freebusy.SourceFunc(func(ctx context.Context, q freebusy.Query) ([]freebusy.Schedule, error) {
		return []freebusy.Schedule{
			{Attendee: q.Attendees[0], Start: q.Start, End: q.End, AsOf: asOf, Stale: true,
				Intervals: []freebusy.Interval{freebusy.NewInterval(q.Start, q.Start.Add(30*time.Minute), freebusy.Tentative)}},
			freebusy.Failed(q.Attendees[1], q.Start, q.End, freebusy.ReasonAccessDenied, nil),
		}, nil
	})
	srv := httptest.NewServer(serveCarrier(far))
	defer srv.Close()
	c := &httpCarrier{url: srv.URL, client: srv.Client()}
	q := freebusy.Query{Attendees: []string{"a@x", "b@x"}, Start: sample.WeekStart, End: sample.WeekStart.Add(time.Hour)}
	got, err := c.FreeBusy(context.Background(), q)
	require.NoError(t, err)
	require.Len(t, got, 2)
	assert.True(t, got[0].Stale)
	assert.True(t, asOf.Equal(got[0].AsOf))
	assert.Equal(t, freebusy.Tentative, got[0].StatusAt(q.Start))
	require.NotNil(t, got[1].Err)
	assert.Equal(t, freebusy.ReasonAccessDenied, got[1].Err.Reason)

	// An invalid query never leaves the process.
	_, err = c.FreeBusy(context.Background(), freebusy.Query{Start: q.Start, End: q.End})
	assert.ErrorIs(t, err, freebusy.ErrInvalidQuery)
}
