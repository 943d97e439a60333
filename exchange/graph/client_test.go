package graph

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/calbridge/calbridge/internal/httptestutil"

	"github.com/calbridge/calbridge/freebusy"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

// graphFakeSource answers every attendee with one busy hour per day at a
// per-attendee offset, a tentative block crossing midnight every tenth
// day, and working hours; "nobody@..." is unknown.
type graphFakeSource struct {
	calls atomic.Int32
}

func (f *graphFakeSource) schedule(a string, start, end time.Time) freebusy.Schedule {
	if a == "nobody@contoso.com" {
		return freebusy.Failed(a, start, end, freebusy.ReasonUnknownAttendee, nil)
	}
	s := freebusy.Schedule{Attendee: a, Start: start, End: end, WorkingHours: &freebusy.WorkingHours{
		Location: time.UTC, Periods: []freebusy.WorkingPeriod{{Days: []time.Weekday{time.Monday}, Start: 9 * time.Hour, End: 17 * time.Hour}},
	}}
	offset := time.Duration(len(a)%8) * time.Hour
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for day := 0; day < 200; day++ {
		d := base.AddDate(0, 0, day)
		s.Intervals = append(s.Intervals, freebusy.Interval{Start: d.Add(8*time.Hour + offset), End: d.Add(9*time.Hour + offset), Status: freebusy.Busy})
		if day%10 == 0 {
			s.Intervals = append(s.Intervals, freebusy.Interval{Start: d.Add(22 * time.Hour), End: d.Add(26 * time.Hour), Status: freebusy.Tentative})
		}
	}
	_, _ = s.Normalize()
	return s
}

func (f *graphFakeSource) FreeBusy(_ context.Context, q freebusy.Query) ([]freebusy.Schedule, error) {
	f.calls.Add(1)
	out := make([]freebusy.Schedule, len(q.Attendees))
	for i, a := range q.Attendees {
		out[i] = f.schedule(a, q.Start, q.End)
	}
	return out, nil
}

func graphAttendees(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("user%02d@contoso.com", i)
	}
	return out
}

// graphLeakCheck verifies, after the test and its cleanups (servers
// closed), that no goroutine is left behind.
func graphLeakCheck(t *testing.T) {
	t.Helper()
	t.Cleanup(func() { goleak.VerifyNone(t) })
}

// graphServer serves h over loopback; the client uses the server's own
// HTTP client, whose idle connections Close shuts down.
func graphServer(t *testing.T, h http.Handler) (*httptest.Server, func(opts ...ClientOption) *Client) {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv, func(opts ...ClientOption) *Client {
		return newTestClient(t, append([]ClientOption{WithBaseURL(srv.URL), WithHTTPClient(srv.Client())}, opts...)...)
	}
}

// newTestClient is NewClient for options that must be valid.
func newTestClient(t testing.TB, opts ...ClientOption) *Client {
	t.Helper()
	c, err := NewClient(opts...)
	require.NoError(t, err)
	return c
}

// newTestHandler is NewHandler for options that must be valid.
func newTestHandler(t testing.TB, src freebusy.Source, opts ...HandlerOption) *Handler {
	t.Helper()
	h, err := NewHandler(src, opts...)
	require.NoError(t, err)
	return h
}

func TestGraphClientAgainstHandler(t *testing.T) {
	graphLeakCheck(t)
	src := &graphFakeSource{}
	var paths sync.Map
	handler := newTestHandler(t, src, WithLimits(freebusy.Limits{MaxWindow: 200 * 24 * time.Hour}))
	_, newClient := graphServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		paths.Store(r.URL.Path, true)
		assert.Equal(t, `outlook.timezone="UTC"`, r.Header.Get("Prefer"))
		handler.ServeHTTP(w, r)
	}))

	attendees := append(graphAttendees(44), "nobody@contoso.com")
	q := freebusy.Query{
		Attendees: attendees,
		Start:     time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC),
		End:       time.Date(2024, 4, 10, 0, 0, 0, 0, time.UTC), // 100 days: two pieces
	}
	c := newClient(WithLimits(freebusy.Limits{MaxWindow: 200 * 24 * time.Hour}), WithUser("room@contoso.com"))
	got, err := c.FreeBusy(context.Background(), q)
	require.NoError(t, err)
	require.NoError(t, freebusy.CheckResult(q, got))
	// 45 attendees in chunks of 20 = 3, times 2 window pieces.
	assert.Equal(t, int32(6), src.calls.Load())
	_, ok := paths.Load("/users/room@contoso.com/calendar/getSchedule")
	assert.True(t, ok, "WithUser posts to /users/{id}")

	for i, a := range attendees[:44] {
		want := src.schedule(a, q.Start, q.End)
		require.Nil(t, got[i].Err, a)
		assert.Equal(t, want.Intervals, got[i].Intervals, "%s: pieces re-joined", a)
		assert.Equal(t, want.WorkingHours.Periods, got[i].WorkingHours.Periods)
	}
	last := got[44]
	require.NotNil(t, last.Err)
	assert.ErrorIs(t, last.Err, freebusy.ErrUnknownAttendee)

	// /me by default.
	got, err = newClient().FreeBusy(context.Background(), freebusy.Query{Attendees: []string{"a@contoso.com"}, Start: q.Start, End: q.Start.Add(time.Hour)})
	require.NoError(t, err)
	assert.Nil(t, got[0].Err)
	_, ok = paths.Load("/me/calendar/getSchedule")
	assert.True(t, ok)
}

func TestSplitGraphWindow(t *testing.T) {
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	const day = 24 * time.Hour
	tests := []struct {
		window time.Duration
		slot   time.Duration
		pieces int
	}{
		{time.Hour, 30 * time.Minute, 1},
		{10 * time.Minute, 30 * time.Minute, 1}, // shorter than a slot
		{61 * day, 30 * time.Minute, 1},
		{62 * day, 30 * time.Minute, 2}, // less than 62 days each
		{62*day - 20*time.Minute, 30 * time.Minute, 2},
		{124 * day, 1440 * time.Minute, 3},
		{100 * day, 7 * time.Minute, 2},
	}
	for _, tt := range tests {
		got := splitWindow(start, start.Add(tt.window), tt.slot)
		require.Len(t, got, tt.pieces, "%s in %s slots", tt.window, tt.slot)
		assert.Equal(t, start, got[0].Start)
		assert.Equal(t, start.Add(tt.window), got[len(got)-1].End)
		for i, p := range got {
			asked := p.AskEnd.Sub(p.Start)
			assert.Less(t, asked, MaxWindow, "every request is under Graph's limit")
			assert.GreaterOrEqual(t, asked, tt.slot, "every request asks at least one slot")
			assert.Zero(t, asked%tt.slot, "every request asks whole slots")
			assert.False(t, p.AskEnd.Before(p.End))
			if i > 0 {
				assert.Equal(t, got[i-1].End, p.Start)
			}
			if i < len(got)-1 {
				assert.Equal(t, p.End, p.AskEnd, "inner pieces are whole slots")
			}
		}
	}
}

// The last piece of a split window is never asked for less than one slot:
// a 62-day-less-20-minute window at 30-minute slots leaves a 10-minute
// tail, which is asked for as one whole slot, and the answer is clipped
// back to the query's end, so that time past it never shows.
func TestGraphClientAsksWholeSlots(t *testing.T) {
	graphLeakCheck(t)
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	end := start.Add(62*24*time.Hour - 20*time.Minute)
	tailStart := start.Add(62*24*time.Hour - 30*time.Minute)
	busy := []freebusy.Interval{
		{Start: tailStart.Add(5 * time.Minute), End: tailStart.Add(15 * time.Minute), Status: freebusy.Busy},         // crosses the end
		{Start: tailStart.Add(20 * time.Minute), End: tailStart.Add(25 * time.Minute), Status: freebusy.OutOfOffice}, // past the end
	}
	src := freebusy.SourceFunc(func(_ context.Context, q freebusy.Query) ([]freebusy.Schedule, error) {
		out := make([]freebusy.Schedule, len(q.Attendees))
		for i, a := range q.Attendees {
			out[i] = freebusy.Schedule{Attendee: a, Start: q.Start, End: q.End}
			for _, b := range busy {
				if c, ok := b.Clip(q.Start, q.End); ok {
					out[i].Intervals = append(out[i].Intervals, c)
					out[i].Events = append(out[i].Events, freebusy.Event{Start: b.Start, End: b.End, Status: b.Status, Subject: "s"})
				}
			}
		}
		return out, nil
	})
	handler := newTestHandler(t, src)
	var mu sync.Mutex
	var asked []freebusy.Query
	_, newClient := graphServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		require.NoError(t, err)
		req, err := DecodeGetScheduleRequest(bytes.NewReader(body))
		require.NoError(t, err)
		q, err := req.Query()
		require.NoError(t, err)
		mu.Lock()
		asked = append(asked, q)
		mu.Unlock()
		r.Body = io.NopCloser(bytes.NewReader(body))
		handler.ServeHTTP(w, r)
	}))
	q := freebusy.Query{Attendees: []string{"a@contoso.com"}, Start: start, End: end, Detail: freebusy.DetailFull}
	got, err := newClient().FreeBusy(context.Background(), q)
	require.NoError(t, err)
	require.NoError(t, freebusy.CheckResult(q, got))

	require.Len(t, asked, 2)
	slices.SortFunc(asked, func(a, b freebusy.Query) int { return a.Start.Compare(b.Start) })
	assert.Equal(t, tailStart, asked[1].Start)
	assert.Equal(t, tailStart.Add(30*time.Minute), asked[1].End, "the 10-minute tail is asked as one whole slot")
	for _, a := range asked {
		assert.GreaterOrEqual(t, a.End.Sub(a.Start), a.Slot())
		assert.Zero(t, a.End.Sub(a.Start)%a.Slot())
	}

	require.Nil(t, got[0].Err)
	assert.Equal(t, []freebusy.Interval{
		{Start: tailStart.Add(5 * time.Minute), End: end, Status: freebusy.Busy},
	}, got[0].Intervals, "clipped back to the query's end")
	require.Len(t, got[0].Events, 1, "an item wholly past the end is dropped")
	assert.Equal(t, freebusy.Busy, got[0].Events[0].Status)
}

func TestGraphClientConcurrencyLimit(t *testing.T) {
	graphLeakCheck(t)
	var inFlight, peak atomic.Int32
	handler := newTestHandler(t, &graphFakeSource{})
	_, newClient := graphServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		// Hold the first request until a second one runs beside it (or
		// two seconds pass), so that the peak does not depend on timing.
		for wait := time.Now().Add(2 * time.Second); peak.Load() < 2 && time.Now().Before(wait); {
			time.Sleep(time.Millisecond)
		}
		time.Sleep(5 * time.Millisecond)
		handler.ServeHTTP(w, r)
		inFlight.Add(-1)
	}))
	q := freebusy.Query{Attendees: graphAttendees(100), Start: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC)}
	got, err := newClient(WithConcurrency(2)).FreeBusy(context.Background(), q)
	require.NoError(t, err)
	require.NoError(t, freebusy.CheckResult(q, got))
	assert.LessOrEqual(t, peak.Load(), int32(2))
	assert.Equal(t, int32(2), peak.Load(), "five requests overlap up to the limit")
}

func TestGraphClientRetryAfter(t *testing.T) {
	graphLeakCheck(t)
	q := freebusy.Query{Attendees: []string{"a@contoso.com"}, Start: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC)}
	throttle := func(times int32, retryAfter string) (http.Handler, *atomic.Int32) {
		var n atomic.Int32
		h := newTestHandler(t, &graphFakeSource{})
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if n.Add(1) <= times {
				if retryAfter != "" {
					w.Header().Set("Retry-After", retryAfter)
				}
				writeError(w, http.StatusTooManyRequests, "TooManyRequests", "slow down", 0)
				return
			}
			h.ServeHTTP(w, r)
		}), &n
	}

	t.Run("honoured within the deadline", func(t *testing.T) {
		h, n := throttle(1, "1")
		_, newClient := graphServer(t, h)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		began := time.Now()
		got, err := newClient().FreeBusy(ctx, q)
		require.NoError(t, err)
		assert.Nil(t, got[0].Err)
		assert.Equal(t, int32(2), n.Load())
		assert.GreaterOrEqual(t, time.Since(began), time.Second, "waited Retry-After")
	})
	t.Run("beyond the deadline", func(t *testing.T) {
		h, n := throttle(1, "30")
		_, newClient := graphServer(t, h)
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_, err := newClient().FreeBusy(ctx, q)
		require.Error(t, err)
		assert.ErrorIs(t, err, freebusy.ErrThrottled)
		var fe *freebusy.Error
		require.ErrorAs(t, err, &fe)
		assert.Equal(t, 30*time.Second, fe.RetryAfter)
		var he *HTTPError
		require.ErrorAs(t, err, &he)
		assert.Equal(t, "TooManyRequests", he.Code)
		assert.Equal(t, int32(1), n.Load())
	})
	t.Run("retries run out", func(t *testing.T) {
		h, n := throttle(10, "0")
		_, newClient := graphServer(t, h)
		// Retry-After 0 and none at all wait the default second: keep the
		// retries at 1 so the test stays short.
		_, err := newClient(WithMaxRetries(1)).FreeBusy(context.Background(), q)
		assert.ErrorIs(t, err, freebusy.ErrThrottled)
		assert.Equal(t, int32(2), n.Load())
	})
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2024, 3, 5, 8, 0, 0, 0, time.UTC)
	assert.Equal(t, 7*time.Second, parseRetryAfter("7", now))
	assert.Equal(t, 90*time.Second, parseRetryAfter("Tue, 05 Mar 2024 08:01:30 GMT", now))
	for _, bad := range []string{"", "-1", "soon", "Tue, 05 Mar 2024 07:00:00 GMT", "999999999"} {
		assert.Zero(t, parseRetryAfter(bad, now), bad)
	}
}

func TestGraphClientDeadline(t *testing.T) {
	graphLeakCheck(t)
	handler := newTestHandler(t, &graphFakeSource{})
	release := make(chan struct{})
	_, newClient := graphServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if bytes.Contains(body, []byte(`"slow@contoso.com"`)) {
			select {
			case <-r.Context().Done():
			case <-release:
			}
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		handler.ServeHTTP(w, r)
	}))
	defer close(release)

	// Chunk one (20 attendees, starting with the slow one) hangs; chunk
	// two answers. What did not finish gets ReasonTimeout per attendee.
	attendees := append([]string{"slow@contoso.com"}, graphAttendees(24)...)
	q := freebusy.Query{Attendees: attendees, Start: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC)}
	// The deadline leaves the fast chunk ample time even on a loaded machine.
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	got, err := newClient().FreeBusy(ctx, q)
	require.NoError(t, err)
	require.NoError(t, freebusy.CheckResult(q, got))
	for i, s := range got {
		if i < MaxSchedules {
			require.NotNil(t, s.Err, s.Attendee)
			assert.Equal(t, freebusy.ReasonTimeout, s.Err.Reason, s.Attendee)
			assert.Equal(t, s.Attendee, s.Err.Attendee)
		} else {
			assert.Nil(t, s.Err, s.Attendee)
		}
	}

	// Nothing answered at all: an error, not schedules.
	ctx2, cancel2 := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel2()
	_, err = newClient().FreeBusy(ctx2, freebusy.Query{Attendees: []string{"slow@contoso.com"}, Start: q.Start, End: q.End})
	assert.ErrorIs(t, err, freebusy.ErrTimeout)

	// Cancelled rather than timed out.
	ctx3, cancel3 := context.WithCancel(context.Background())
	cancel3()
	_, err = newClient().FreeBusy(ctx3, freebusy.Query{Attendees: []string{"a@contoso.com"}, Start: q.Start, End: q.End})
	assert.ErrorIs(t, err, freebusy.ErrUnavailable)
}

func TestGraphClientFailures(t *testing.T) {
	graphLeakCheck(t)
	q := freebusy.Query{Attendees: []string{"a@contoso.com"}, Start: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC)}
	status := func(code int, body string) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(code)
			_, _ = w.Write([]byte(body))
		})
	}
	tests := []struct {
		name string
		h    http.Handler
		want error
	}{
		{"forbidden", status(403, `{"error":{"code":"ErrorAccessDenied","message":"Access is denied."}}`), freebusy.ErrAccessDenied},
		{"bad request", status(400, `not json`), freebusy.ErrInvalid},
		{"gateway timeout", status(504, ``), freebusy.ErrTimeout},
		{"server error", status(500, ``), freebusy.ErrUnavailable},
		{"garbage body", status(200, `{"value":`), freebusy.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, newClient := graphServer(t, tt.h)
			_, err := newClient().FreeBusy(context.Background(), q)
			assert.ErrorIs(t, err, tt.want)
		})
	}

	t.Run("answers that do not match", func(t *testing.T) {
		_, newClient := graphServer(t, status(200, `{"value":[{"scheduleId":"someone-else@contoso.com","availabilityView":"0"}]}`))
		got, err := newClient().FreeBusy(context.Background(), q)
		require.NoError(t, err)
		require.NotNil(t, got[0].Err)
		assert.ErrorIs(t, got[0].Err, ErrMismatch)
	})
	t.Run("invalid query", func(t *testing.T) {
		_, err := newTestClient(t).FreeBusy(context.Background(), freebusy.Query{})
		assert.ErrorIs(t, err, freebusy.ErrInvalidQuery)
	})
	t.Run("unreachable", func(t *testing.T) {
		srv := httptest.NewServer(status(200, ""))
		url := srv.URL
		srv.Close()
		_, err := newTestClient(t, WithBaseURL(url), WithHTTPClient(&http.Client{Transport: &http.Transport{}})).FreeBusy(context.Background(), q)
		assert.ErrorIs(t, err, freebusy.ErrUnavailable)
		var fe *freebusy.Error
		require.True(t, errors.As(err, &fe))
		assert.Empty(t, fe.Attendee)
	})
}

// Client splits like the EWS client: a query over the default limits (a
// 70-day window, 101 attendees) is cut into requests Graph accepts (at
// most 20 schedules, under 62 days: docs/exchange.md §3.3) against a
// Handler with default limits, and only a query over 100 times the limits
// is refused.
func TestGraphClientSplitsBeyondDefaultLimits(t *testing.T) {
	graphLeakCheck(t)
	src := &graphFakeSource{}
	var mu sync.Mutex
	var asked []ScheduleRequest
	handler := newTestHandler(t, src)
	_, newClient := graphServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		require.NoError(t, err)
		req, err := DecodeGetScheduleRequest(bytes.NewReader(body))
		require.NoError(t, err)
		mu.Lock()
		asked = append(asked, *req)
		mu.Unlock()
		r.Body = io.NopCloser(bytes.NewReader(body))
		handler.ServeHTTP(w, r)
	}))
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name      string
		attendees int
		days      int
		requests  int
	}{
		{"70 days", 3, 70, 2},
		{"101 attendees", 101, 1, 6},
		{"101 attendees over 70 days", 101, 70, 12},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mu.Lock()
			asked = nil
			mu.Unlock()
			q := freebusy.Query{Attendees: graphAttendees(tt.attendees), Start: start, End: start.AddDate(0, 0, tt.days)}
			got, err := newClient().FreeBusy(context.Background(), q)
			require.NoError(t, err)
			require.NoError(t, freebusy.CheckResult(q, got))
			for i, a := range q.Attendees {
				require.Nil(t, got[i].Err, a)
				assert.Equal(t, src.schedule(a, q.Start, q.End).Intervals, got[i].Intervals, "%s: pieces re-joined", a)
			}
			mu.Lock()
			defer mu.Unlock()
			assert.Len(t, asked, tt.requests)
			for _, r := range asked {
				assert.LessOrEqual(t, len(r.Schedules), MaxSchedules)
			}
		})
	}

	_, err := newClient().FreeBusy(context.Background(), freebusy.Query{Attendees: graphAttendees(1), Start: start, End: start.AddDate(0, 0, 62*100+1)})
	assert.ErrorIs(t, err, freebusy.ErrWindowTooLong)
	_, err = newClient().FreeBusy(context.Background(), freebusy.Query{Attendees: graphAttendees(100*100 + 1), Start: start, End: start.Add(time.Hour)})
	assert.ErrorIs(t, err, freebusy.ErrTooManyAttendees)
}

// A hung server cannot hold a caller whose context has no deadline: the
// clients bound the call with WithCallTimeout and answer Timeout per
// attendee, as at any deadline.
func TestGraphClientBoundsCallsWithoutDeadline(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) }) // after the server has closed
	hung := httptestutil.HungServer(t)

	start := time.Date(2024, 3, 5, 0, 0, 0, 0, time.UTC)
	q := freebusy.Query{Attendees: []string{"a@example.com"}, Start: start, End: start.Add(24 * time.Hour)}
	graph := newTestClient(t, WithBaseURL(hung.URL), WithCallTimeout(150*time.Millisecond))
	for name, src := range map[string]freebusy.Source{"graph": graph} {
		began := time.Now()
		schedules, err := src.FreeBusy(context.Background(), q)
		took := time.Since(began)
		assert.Less(t, took, 5*time.Second, "%s: bounded by the call timeout", name)
		if err != nil {
			assert.ErrorIs(t, err, freebusy.ErrTimeout, name)
			continue
		}
		require.Len(t, schedules, 1, name)
		require.NotNil(t, schedules[0].Err, name)
		assert.ErrorIs(t, schedules[0].Err, freebusy.ErrTimeout, name)
	}
}
