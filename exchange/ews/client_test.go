package ews

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/calbridge/calbridge/exchange"
	"github.com/calbridge/calbridge/freebusy"
)

// newTestClient serves h over loopback and returns a Client for it; the
// server closes when the test ends.
func newTestClient(t *testing.T, h http.Handler, opts ...ClientOption) *Client {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	c, err := NewClient(srv.URL+"/EWS/Exchange.asmx", append([]ClientOption{WithHTTPClient(srv.Client())}, opts...)...)
	require.NoError(t, err)
	return c
}

func TestClientRoundTripThroughHandler(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) })
	berlin := mustLoad(t, "Europe/Berlin")
	start := utc(2024, 3, 25, 0, 0)
	want := map[string][]freebusy.Interval{
		"alice@example.com": {
			{Start: utc(2024, 3, 25, 8, 10), End: utc(2024, 3, 25, 9, 0), Status: freebusy.Busy},
			{Start: utc(2024, 3, 25, 9, 0), End: utc(2024, 3, 25, 10, 0), Status: freebusy.Tentative},
			{Start: utc(2024, 3, 26, 7, 0), End: utc(2024, 3, 26, 15, 0), Status: freebusy.WorkingElsewhere},
			{Start: utc(2024, 3, 27, 0, 0), End: utc(2024, 3, 28, 0, 0), Status: freebusy.OutOfOffice},
			{Start: utc(2024, 3, 29, 0, 0), End: utc(2024, 3, 30, 0, 0), Status: freebusy.Unknown},
		},
	}
	wh := &freebusy.WorkingHours{Location: berlin, Periods: []freebusy.WorkingPeriod{{Days: []time.Weekday{1, 2, 3, 4, 5}, Start: 9 * time.Hour, End: 17 * time.Hour}}}
	src := freebusy.SourceFunc(func(_ context.Context, q freebusy.Query) ([]freebusy.Schedule, error) {
		out := make([]freebusy.Schedule, len(q.Attendees))
		for i, a := range q.Attendees {
			if a == "ghost@example.com" {
				out[i] = freebusy.Failed(a, q.Start, q.End, freebusy.ReasonUnknownAttendee, nil)
				continue
			}
			out[i] = freebusy.Schedule{Attendee: a, Start: q.Start, End: q.End, Intervals: want[a], WorkingHours: wh}
		}
		return out, nil
	})
	c := newTestClient(t, newTestHandler(t, src))
	q := freebusy.Query{Attendees: []string{"alice@example.com", "ghost@example.com", "bob@example.com"}, Start: start, End: start.AddDate(0, 0, 7)}
	ss, err := c.FreeBusy(context.Background(), q)
	require.NoError(t, err)
	require.NoError(t, freebusy.CheckResult(q, ss))
	require.Nil(t, ss[0].Err)
	assert.Equal(t, want["alice@example.com"], ss[0].Intervals, "exact times survive (events, not slots)")
	require.NotNil(t, ss[0].WorkingHours)
	assert.Equal(t, "Europe/Berlin", ss[0].WorkingHours.Location.String())
	assert.Equal(t, wh.Periods, ss[0].WorkingHours.Periods)
	assert.ErrorIs(t, ss[1].Err, freebusy.ErrUnknownAttendee)
	assert.Nil(t, ss[2].Err)
	assert.Empty(t, ss[2].Intervals)
}

func TestClientSplitsAttendeesAndWindows(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) })
	var mu sync.Mutex
	var queries []freebusy.Query
	var inFlight, maxInFlight atomic.Int32
	start := utc(2024, 1, 1, 0, 0)
	crossing := freebusy.Interval{Start: start.Add(62*24*time.Hour - time.Hour), End: start.Add(62*24*time.Hour + time.Hour), Status: freebusy.Busy}
	src := freebusy.SourceFunc(func(_ context.Context, q freebusy.Query) ([]freebusy.Schedule, error) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for {
			m := maxInFlight.Load()
			if n <= m || maxInFlight.CompareAndSwap(m, n) {
				break
			}
		}
		time.Sleep(5 * time.Millisecond)
		mu.Lock()
		queries = append(queries, q)
		mu.Unlock()
		out := make([]freebusy.Schedule, len(q.Attendees))
		for i, a := range q.Attendees {
			out[i] = freebusy.Schedule{Attendee: a, Start: q.Start, End: q.End, Intervals: []freebusy.Interval{crossing}}
		}
		return out, nil
	})
	c := newTestClient(t, newTestHandler(t, src), WithConcurrency(2))
	attendees := make([]string, 150)
	for i := range attendees {
		attendees[i] = "u" + strconv.Itoa(i) + "@example.com"
	}
	q := freebusy.Query{Attendees: attendees, Start: start, End: start.AddDate(0, 0, 130)}
	ss, err := c.FreeBusy(context.Background(), q)
	require.NoError(t, err)
	require.NoError(t, freebusy.CheckResult(q, ss))
	assert.Len(t, queries, 6, "2 attendee chunks x 3 window pieces")
	for _, sub := range queries {
		assert.LessOrEqual(t, len(sub.Attendees), 100)
		assert.LessOrEqual(t, sub.End.Sub(sub.Start), 62*24*time.Hour)
	}
	assert.LessOrEqual(t, maxInFlight.Load(), int32(2))
	for _, s := range ss {
		require.Nil(t, s.Err)
		assert.Equal(t, []freebusy.Interval{crossing}, s.Intervals, "the piece boundary is stitched away")
		assert.True(t, s.Start.Equal(q.Start) && s.End.Equal(q.End))
	}
}

// throttleOnce answers the first n requests with an ErrorServerBusy fault
// carrying a back-off hint (§2.7), then passes to h.
func throttleOnce(h http.Handler, n int32, backOff time.Duration) (http.Handler, *atomic.Int32) {
	var calls atomic.Int32
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) <= n {
			var buf bytes.Buffer
			_ = encodeSOAPFault(&buf, &SOAPFault{ResponseCode: exchange.CodeServerBusy, String: "The server cannot service this request right now. Try again later.", MessageXML: MessageXML{BackOff: backOff}}, false)
			w.Header().Set("Content-Type", "text/xml; charset=utf-8")
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = w.Write(buf.Bytes())
			return
		}
		h.ServeHTTP(w, r)
	}), &calls
}

func emptySource() freebusy.Source {
	return freebusy.SourceFunc(func(_ context.Context, q freebusy.Query) ([]freebusy.Schedule, error) {
		out := make([]freebusy.Schedule, len(q.Attendees))
		for i, a := range q.Attendees {
			out[i] = freebusy.Schedule{Attendee: a, Start: q.Start, End: q.End}
		}
		return out, nil
	})
}

func TestClientHonoursServerBusyBackOff(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) })
	q := freebusy.Query{Attendees: []string{"a@example.com"}, Start: utc(2024, 3, 5, 0, 0), End: utc(2024, 3, 6, 0, 0)}

	h, calls := throttleOnce(newTestHandler(t, emptySource()), 1, 80*time.Millisecond)
	c := newTestClient(t, h)
	began := time.Now()
	ss, err := c.FreeBusy(context.Background(), q)
	require.NoError(t, err)
	assert.Nil(t, ss[0].Err)
	assert.Equal(t, int32(2), calls.Load())
	assert.GreaterOrEqual(t, time.Since(began), 80*time.Millisecond, "waited the BackOffMilliseconds hint")

	// No retries allowed: the attendee is throttled, with the hint.
	h, _ = throttleOnce(newTestHandler(t, emptySource()), 5, 80*time.Millisecond)
	c = newTestClient(t, h, WithMaxRetries(0))
	ss, err = c.FreeBusy(context.Background(), q)
	require.NoError(t, err)
	assert.ErrorIs(t, ss[0].Err, freebusy.ErrThrottled)
	assert.Equal(t, 80*time.Millisecond, ss[0].Err.RetryAfter)

	// A hint longer than the deadline is not waited for.
	h, calls = throttleOnce(newTestHandler(t, emptySource()), 5, time.Hour)
	c = newTestClient(t, h)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	began = time.Now()
	ss, err = c.FreeBusy(ctx, q)
	require.NoError(t, err)
	assert.ErrorIs(t, ss[0].Err, freebusy.ErrThrottled)
	assert.Equal(t, time.Hour, ss[0].Err.RetryAfter)
	assert.Less(t, time.Since(began), 15*time.Second, "did not wait for a hint beyond the deadline")
	assert.Equal(t, int32(1), calls.Load())
}

func TestClientHTTPStatus(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) })
	q := freebusy.Query{Attendees: []string{"a@example.com"}, Start: utc(2024, 3, 5, 0, 0), End: utc(2024, 3, 6, 0, 0)}
	var calls atomic.Int32
	c := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) == 1 {
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusUnauthorized)
	}))
	ss, err := c.FreeBusy(context.Background(), q)
	require.NoError(t, err)
	assert.Equal(t, int32(2), calls.Load(), "503 is retried")
	assert.ErrorIs(t, ss[0].Err, freebusy.ErrAccessDenied)

	c = newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusBadGateway)
	}))
	_, err = c.FreeBusy(context.Background(), q)
	assert.ErrorIs(t, err, freebusy.ErrUnavailable, "nothing answered: the whole query fails")

	c = newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("<html>login</html>"))
	}))
	_, err = c.FreeBusy(context.Background(), q)
	assert.ErrorIs(t, err, freebusy.ErrUnavailable)
	var de *DecodeError
	assert.ErrorAs(t, err, &de)
}

func TestClientUnreachable(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) })
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	c, err := NewClient(url)
	require.NoError(t, err)
	_, err = c.FreeBusy(context.Background(), freebusy.Query{Attendees: []string{"a@x"}, Start: utc(2024, 3, 5, 0, 0), End: utc(2024, 3, 6, 0, 0)})
	assert.ErrorIs(t, err, freebusy.ErrUnavailable)
}

// At the caller's deadline the client returns what finished, with Timeout
// reasons for the rest.
func TestClientDeadlineReturnsWhatFinished(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) })
	src := freebusy.SourceFunc(func(ctx context.Context, q freebusy.Query) ([]freebusy.Schedule, error) {
		if q.Attendees[0] == "u100@example.com" {
			<-ctx.Done() // the second chunk never answers
			return nil, ctx.Err()
		}
		out := make([]freebusy.Schedule, len(q.Attendees))
		for i, a := range q.Attendees {
			out[i] = freebusy.Schedule{Attendee: a, Start: q.Start, End: q.End}
		}
		return out, nil
	})
	c := newTestClient(t, newTestHandler(t, src))
	attendees := make([]string, 150)
	for i := range attendees {
		attendees[i] = "u" + strconv.Itoa(i) + "@example.com"
	}
	// Long enough for the first chunk of 100 to finish under -race on a
	// loaded two-core machine (1.5 s was not, once).
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Second)
	defer cancel()
	began := time.Now()
	ss, err := c.FreeBusy(ctx, freebusy.Query{Attendees: attendees, Start: utc(2024, 3, 5, 0, 0), End: utc(2024, 3, 6, 0, 0)})
	require.NoError(t, err)
	assert.Less(t, time.Since(began), 10*time.Second, "returned at the deadline")
	require.Len(t, ss, 150)
	for i, s := range ss {
		if i < 100 {
			assert.Nil(t, s.Err, i)
		} else {
			assert.ErrorIs(t, s.Err, freebusy.ErrTimeout, i)
		}
	}

	// Nothing finished: the whole query times out.
	ctx2, cancel2 := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel2()
	_, err = c.FreeBusy(ctx2, freebusy.Query{Attendees: attendees[100:], Start: utc(2024, 3, 5, 0, 0), End: utc(2024, 3, 6, 0, 0)})
	assert.ErrorIs(t, err, freebusy.ErrTimeout)
}

func TestClientPartialPieces(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) })
	start := utc(2024, 1, 1, 0, 0)
	src := freebusy.SourceFunc(func(_ context.Context, q freebusy.Query) ([]freebusy.Schedule, error) {
		out := make([]freebusy.Schedule, len(q.Attendees))
		for i, a := range q.Attendees {
			if q.Start.After(start) {
				out[i] = freebusy.Failed(a, q.Start, q.End, freebusy.ReasonTimeout, nil)
				continue
			}
			out[i] = freebusy.Schedule{Attendee: a, Start: q.Start, End: q.End}
		}
		return out, nil
	})
	c := newTestClient(t, newTestHandler(t, src))
	q := freebusy.Query{Attendees: []string{"a@x"}, Start: start, End: start.AddDate(0, 0, 70)}
	ss, err := c.FreeBusy(context.Background(), q)
	require.NoError(t, err)
	require.Nil(t, ss[0].Err, "part answered: no error, the rest is no data")
	assert.Equal(t, []freebusy.Interval{{Start: start.AddDate(0, 0, 62), End: q.End, Status: freebusy.Unknown}}, ss[0].Intervals)
}

func TestClientRejectsBadInput(t *testing.T) {
	for _, u := range []string{"", "ftp://x/ews", "/EWS/Exchange.asmx", "http://", "::"} {
		_, err := NewClient(u)
		assert.ErrorIs(t, err, freebusy.ErrInvalid, u)
	}
	c, err := NewClient("https://mail.example.com/EWS/Exchange.asmx")
	require.NoError(t, err)
	_, err = c.FreeBusy(context.Background(), freebusy.Query{Start: utc(2024, 3, 5, 0, 0), End: utc(2024, 3, 6, 0, 0)})
	assert.True(t, errors.Is(err, freebusy.ErrNoAttendees))
	_, err = c.FreeBusy(context.Background(), freebusy.Query{Attendees: []string{"a@x"}, Start: utc(2024, 3, 5, 0, 0), End: utc(2024, 3, 6, 0, 0), Granularity: time.Second})
	assert.True(t, errors.Is(err, freebusy.ErrBadGranularity))
}

// A plain HTTP 500 (no SOAP fault in it) is a server failure, a 500 with a
// fault is the fault.
func TestClientStatus500(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) })
	q := freebusy.Query{Attendees: []string{"a@example.com"}, Start: utc(2024, 3, 5, 0, 0), End: utc(2024, 3, 6, 0, 0)}
	c := newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "oops", http.StatusInternalServerError)
	}))
	_, err := c.FreeBusy(context.Background(), q)
	assert.ErrorIs(t, err, freebusy.ErrUnavailable)

	c = newTestClient(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusInternalServerError) // no Content-Type: still read the fault
		_ = encodeSOAPFault(w, &SOAPFault{ResponseCode: exchange.CodeInvalidRequest, String: "no"}, false)
	}))
	ss, err := c.FreeBusy(context.Background(), q)
	require.NoError(t, err)
	assert.ErrorIs(t, ss[0].Err, freebusy.ErrInvalid)
	var f *SOAPFault
	assert.ErrorAs(t, ss[0].Err, &f)
}

// Mailboxes the server throttles one by one (a per-mailbox ErrorServerBusy
// with BackOffMilliseconds, §2.7) are asked again after the hint.
func TestClientRetriesThrottledMailboxes(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) })
	var mu sync.Mutex
	var asked [][]string
	src := freebusy.SourceFunc(func(_ context.Context, q freebusy.Query) ([]freebusy.Schedule, error) {
		mu.Lock()
		asked = append(asked, q.Attendees)
		first := len(asked) == 1
		mu.Unlock()
		out := make([]freebusy.Schedule, len(q.Attendees))
		for i, a := range q.Attendees {
			out[i] = freebusy.Schedule{Attendee: a, Start: q.Start, End: q.End}
			if first && a == "b@example.com" {
				out[i] = freebusy.Schedule{Attendee: a, Start: q.Start, End: q.End, Err: &freebusy.Error{Attendee: a, Reason: freebusy.ReasonThrottled, RetryAfter: 50 * time.Millisecond}}
			}
		}
		return out, nil
	})
	c := newTestClient(t, newTestHandler(t, src))
	q := freebusy.Query{Attendees: []string{"a@example.com", "b@example.com", "c@example.com"}, Start: utc(2024, 3, 5, 0, 0), End: utc(2024, 3, 6, 0, 0)}
	ss, err := c.FreeBusy(context.Background(), q)
	require.NoError(t, err)
	for _, s := range ss {
		assert.Nil(t, s.Err, s.Attendee)
	}
	assert.Equal(t, [][]string{q.Attendees, {"b@example.com"}}, asked, "only the throttled mailbox is asked again")

	asked = nil
	c = newTestClient(t, newTestHandler(t, src), WithMaxRetries(0))
	ss, err = c.FreeBusy(context.Background(), q)
	require.NoError(t, err)
	assert.ErrorIs(t, ss[1].Err, freebusy.ErrThrottled)
	assert.Equal(t, 50*time.Millisecond, ss[1].Err.RetryAfter)
	assert.Len(t, asked, 1)
}

// An event that spans a window piece boundary comes back whole from both
// pieces (§2.2 TimeWindow) and is kept once.
func TestClientStitchesDetailedEvents(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) })
	start := utc(2024, 1, 1, 0, 0)
	boundary := start.Add(62 * 24 * time.Hour)
	ev := freebusy.Event{Start: boundary.Add(-time.Hour), End: boundary.Add(time.Hour), Status: freebusy.Busy, Subject: "Offsite", ID: "AAMk="}
	src := &recordingSource{
		ivs:    map[string][]freebusy.Interval{"a@x": {{Start: ev.Start, End: ev.End, Status: freebusy.Busy}}},
		events: map[string][]freebusy.Event{"a@x": {ev}},
	}
	c := newTestClient(t, newTestHandler(t, src, WithDetails(true)))
	ss, err := c.FreeBusy(context.Background(), freebusy.Query{Attendees: []string{"a@x"}, Start: start, End: start.AddDate(0, 0, 100), Detail: freebusy.DetailFull})
	require.NoError(t, err)
	assert.Len(t, src.queries, 2)
	require.Nil(t, ss[0].Err)
	require.Len(t, ss[0].Events, 1)
	assert.Equal(t, "Offsite", ss[0].Events[0].Subject)
	assert.Equal(t, []freebusy.Interval{{Start: ev.Start, End: ev.End, Status: freebusy.Busy}}, ss[0].Intervals)
}

// No request is shorter than one MergedFreeBusy interval: EWS refuses such
// a window with ErrorInvalidMergedFreeBusyInterval (docs/exchange.md
// §2.2, §2.8 "window ≥ interval"), and so does Handler. A short last piece,
// or a whole query shorter than its slot, asks up to the next slot boundary
// and the answer is clipped back, so the stitched schedule stays exact.
func TestClientNeverAsksLessThanOneSlot(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) })
	start := utc(2024, 1, 1, 0, 0)
	tests := []struct {
		name   string
		end    time.Time
		slot   time.Duration
		pieces int
		busy   []freebusy.Interval // what the source has
		want   []freebusy.Interval // the stitched answer
	}{
		{
			name: "62 days + 10 min at 30 min", end: start.Add(62*24*time.Hour + 10*time.Minute), slot: 30 * time.Minute, pieces: 2,
			busy: []freebusy.Interval{{Start: start.Add(62*24*time.Hour + 5*time.Minute), End: start.Add(62*24*time.Hour + 25*time.Minute), Status: freebusy.Busy}},
			want: []freebusy.Interval{{Start: start.Add(62*24*time.Hour + 5*time.Minute), End: start.Add(62*24*time.Hour + 10*time.Minute), Status: freebusy.Busy}},
		},
		{
			name: "10 min query at 30 min", end: start.Add(10 * time.Minute), slot: 30 * time.Minute, pieces: 1,
			busy: []freebusy.Interval{{Start: start.Add(5 * time.Minute), End: start.Add(20 * time.Minute), Status: freebusy.Tentative}},
			want: []freebusy.Interval{{Start: start.Add(5 * time.Minute), End: start.Add(10 * time.Minute), Status: freebusy.Tentative}},
		},
		{
			name: "busy only after the end is not reported", end: start.Add(62*24*time.Hour + 10*time.Minute), slot: 60 * time.Minute, pieces: 2,
			busy: []freebusy.Interval{{Start: start.Add(62*24*time.Hour + 15*time.Minute), End: start.Add(62*24*time.Hour + 45*time.Minute), Status: freebusy.Busy}},
			want: nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var mu sync.Mutex
			var asked []freebusy.Query
			src := freebusy.SourceFunc(func(_ context.Context, q freebusy.Query) ([]freebusy.Schedule, error) {
				mu.Lock()
				asked = append(asked, q)
				mu.Unlock()
				out := make([]freebusy.Schedule, len(q.Attendees))
				for i, a := range q.Attendees {
					out[i] = freebusy.Schedule{Attendee: a, Start: q.Start, End: q.End, Intervals: tt.busy}
				}
				return out, nil
			})
			c := newTestClient(t, newTestHandler(t, src))
			q := freebusy.Query{Attendees: []string{"a@example.com"}, Start: start, End: tt.end, Granularity: tt.slot}
			ss, err := c.FreeBusy(context.Background(), q)
			require.NoError(t, err)
			require.NoError(t, freebusy.CheckResult(q, ss))
			require.Nil(t, ss[0].Err)
			assert.Len(t, asked, tt.pieces, "every piece reached the source")
			for _, sub := range asked {
				assert.GreaterOrEqual(t, sub.End.Sub(sub.Start), tt.slot, "request %s to %s", sub.Start, sub.End)
				assert.LessOrEqual(t, sub.End.Sub(sub.Start), 62*24*time.Hour)
			}
			assert.True(t, ss[0].Start.Equal(start) && ss[0].End.Equal(tt.end))
			assert.Equal(t, tt.want, ss[0].Intervals, "no Unknown span, nothing past the end")
		})
	}
}
