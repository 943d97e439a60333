package das

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/calbridge/calbridge/freebusy"
)

// newDASPair starts the real Handler over src on loopback and returns a
// Client talking to it. Goroutine leaks are checked after the server has
// closed.
func newDASPair(t *testing.T, src freebusy.Source, handlerOpts []HandlerOption, clientOpts ...ClientOption) (*Client, *httptest.Server) {
	t.Helper()
	ignore := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, ignore) })
	srv := httptest.NewServer(newHandler(t, src, handlerOpts...))
	t.Cleanup(srv.Close)
	c, err := NewClient(srv.URL, append([]ClientOption{WithHTTPClient(srv.Client())}, clientOpts...)...)
	require.NoError(t, err)
	return c, srv
}

func dasWindow() (time.Time, time.Time) {
	return dasUTC(2026, 3, 2, 0, 0, 0), dasUTC(2026, 3, 3, 0, 0, 0)
}

// The client against the handler: one schedule per attendee in query
// order, busy time busy, tentative and unknown time busy after the DAS
// round trip, a failure confined to its attendee.
func TestClientFreeBusyAgainstHandler(t *testing.T) {
	start, end := dasWindow()
	asOf := dasUTC(2026, 3, 1, 23, 50, 0)
	src := freebusy.SourceFunc(func(_ context.Context, q freebusy.Query) ([]freebusy.Schedule, error) {
		a := q.Attendees[0]
		switch a {
		case "ghost@example.com":
			return []freebusy.Schedule{freebusy.Failed(a, q.Start, q.End, freebusy.ReasonUnknownAttendee, nil)}, nil
		case "tentative@example.com":
			return []freebusy.Schedule{{Attendee: a, Start: q.Start, End: q.End, AsOf: asOf, Stale: true, Intervals: []freebusy.Interval{
				{Start: start.Add(9 * time.Hour), End: start.Add(10 * time.Hour), Status: freebusy.Tentative},
				{Start: start.Add(12 * time.Hour), End: start.Add(13 * time.Hour), Status: freebusy.Unknown},
			}}}, nil
		}
		return []freebusy.Schedule{{Attendee: a, Start: q.Start, End: q.End, AsOf: asOf, Intervals: []freebusy.Interval{
			{Start: start.Add(14 * time.Hour), End: start.Add(15 * time.Hour), Status: freebusy.Busy},
		}}}, nil
	})
	c, _ := newDASPair(t, src, nil)
	q := freebusy.Query{Attendees: []string{"jane@example.com", "ghost@example.com", "tentative@example.com"}, Start: start, End: end}
	scheds, err := c.FreeBusy(context.Background(), q)
	require.NoError(t, err)
	require.NoError(t, freebusy.CheckResult(q, scheds))

	assert.Nil(t, scheds[0].Err)
	assert.Equal(t, []freebusy.Interval{{Start: start.Add(14 * time.Hour), End: start.Add(15 * time.Hour), Status: freebusy.Busy}}, scheds[0].Intervals)
	assert.True(t, asOf.Equal(scheds[0].AsOf), "AsOf travels as Last-Modified")

	require.NotNil(t, scheds[1].Err)
	assert.ErrorIs(t, scheds[1].Err, freebusy.ErrUnknownAttendee, "400 Name not found")
	assert.Empty(t, scheds[1].Intervals)
	var dasErr *Error
	require.ErrorAs(t, scheds[1].Err, &dasErr)
	assert.Equal(t, MessageNameNotFound, dasErr.Message)

	assert.Equal(t, []freebusy.Interval{
		{Start: start.Add(9 * time.Hour), End: start.Add(10 * time.Hour), Status: freebusy.Busy},
		{Start: start.Add(12 * time.Hour), End: start.Add(13 * time.Hour), Status: freebusy.Busy},
	}, scheds[2].Intervals, "tentative and unknown are never free")
	assert.True(t, scheds[2].Stale, "stale travels as Warning 110")
	assert.False(t, scheds[0].Stale)
}

// Every failure reason survives the trip through DAS status codes.
func TestClientReasonsThroughHandler(t *testing.T) {
	reasons := []freebusy.Reason{
		freebusy.ReasonUnknownAttendee, freebusy.ReasonInvalid, freebusy.ReasonAccessDenied,
		freebusy.ReasonThrottled, freebusy.ReasonUnavailable, freebusy.ReasonTimeout, freebusy.ReasonInternal,
	}
	src := freebusy.SourceFunc(func(_ context.Context, q freebusy.Query) ([]freebusy.Schedule, error) {
		var r freebusy.Reason
		_, _ = fmt.Sscanf(q.Attendees[0], "r%d", &r)
		s := freebusy.Failed(q.Attendees[0], q.Start, q.End, r, errors.New("backend said no"))
		s.Err.RetryAfter = 7 * time.Second
		return []freebusy.Schedule{s}, nil
	})
	c, _ := newDASPair(t, src, nil)
	start, end := dasWindow()
	q := freebusy.Query{Start: start, End: end}
	for _, r := range reasons {
		q.Attendees = append(q.Attendees, fmt.Sprintf("r%d", r))
	}
	scheds, err := c.FreeBusy(context.Background(), q)
	require.NoError(t, err)
	for i, r := range reasons {
		want := r
		if r == freebusy.ReasonInternal {
			want = freebusy.ReasonUnavailable // 500 is "the backend is not working"
		}
		require.NotNil(t, scheds[i].Err, r.String())
		assert.Equal(t, want, scheds[i].Err.Reason, r.String())
		assert.Equal(t, q.Attendees[i], scheds[i].Err.Attendee)
		if r == freebusy.ReasonThrottled || r == freebusy.ReasonUnavailable {
			assert.Equal(t, 7*time.Second, scheds[i].Err.RetryAfter, r.String())
		}
	}
}

// Status mapping against a raw server, for answers the Handler never
// gives but a real DAS server or a proxy may.
func TestClientStatusMapping(t *testing.T) {
	now := dasUTC(2026, 3, 2, 12, 0, 0)
	tests := []struct {
		name   string
		code   int
		header map[string]string
		body   string
		reason freebusy.Reason
		retry  time.Duration
	}{
		{"name not found", 400, nil, `{"code":400,"text":"Bad request","message":"Name not found"}`, freebusy.ReasonUnknownAttendee, 0},
		{"name not found, other case", 400, nil, `{"code":400,"text":"Bad request","message":"name NOT found "}`, freebusy.ReasonUnknownAttendee, 0},
		{"other 400", 400, nil, `{"code":400,"text":"Bad request","message":"Unparseable date"}`, freebusy.ReasonInvalid, 0},
		{"400 without JSON", 400, nil, `<html>`, freebusy.ReasonInvalid, 0},
		{"401", 401, nil, ``, freebusy.ReasonAccessDenied, 0},
		{"403", 403, nil, ``, freebusy.ReasonAccessDenied, 0},
		{"404 DAS not enabled", 404, nil, ``, freebusy.ReasonUnavailable, 0},
		{"408", 408, nil, ``, freebusy.ReasonTimeout, 0},
		{"429 seconds", 429, map[string]string{"Retry-After": "120"}, ``, freebusy.ReasonThrottled, 2 * time.Minute},
		{"429 date", 429, map[string]string{"Retry-After": "Mon, 02 Mar 2026 12:00:30 GMT"}, ``, freebusy.ReasonThrottled, 30 * time.Second},
		{"429 garbage", 429, map[string]string{"Retry-After": "soon"}, ``, freebusy.ReasonThrottled, 0},
		{"503", 503, map[string]string{"Retry-After": "5"}, ``, freebusy.ReasonUnavailable, 5 * time.Second},
		{"500", 500, nil, ``, freebusy.ReasonUnavailable, 0},
		{"502", 502, nil, ``, freebusy.ReasonUnavailable, 0},
		{"504", 504, nil, ``, freebusy.ReasonTimeout, 0},
		{"418", 418, nil, ``, freebusy.ReasonInternal, 0},
		{"200 not JSON", 200, nil, `<html>`, freebusy.ReasonInvalid, 0},
		{"200 missing window", 200, nil, `{}`, freebusy.ReasonInvalid, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ignore := goleak.IgnoreCurrent()
			defer goleak.VerifyNone(t, ignore)
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				for k, v := range tt.header {
					w.Header().Set(k, v)
				}
				w.WriteHeader(tt.code)
				_, _ = w.Write([]byte(tt.body))
			}))
			defer srv.Close()
			c, err := NewClient(srv.URL, WithHTTPClient(srv.Client()), dasWithNow(now))
			require.NoError(t, err)
			start, end := dasWindow()
			scheds, err := c.FreeBusy(context.Background(), freebusy.Query{Attendees: []string{"a"}, Start: start, End: end})
			require.NoError(t, err)
			require.NotNil(t, scheds[0].Err)
			assert.Equal(t, tt.reason, scheds[0].Err.Reason)
			assert.Equal(t, tt.retry, scheds[0].Err.RetryAfter)
			assert.Equal(t, "a", scheds[0].Err.Attendee)
		})
	}
}

// Dates go out exactly as YYYY-MM-DDTHH:MM:SSZ, widened to whole seconds
// (docs/notes.md §2.2.2, §10 vector 5); one request per attendee with
// the routing domain removed from Notes names (KB Q271590).
func TestClientRequestFormat(t *testing.T) {
	var mu sync.Mutex
	var raw []string
	src := &dasRecordingSource{}
	h := newHandler(t, src)
	ignore := goleak.IgnoreCurrent()
	defer goleak.VerifyNone(t, ignore)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		raw = append(raw, r.URL.Query().Get("name")+" "+r.URL.Query().Get("since")+" "+r.URL.Query().Get("before")+" "+r.Header.Get("Accept"))
		mu.Unlock()
		h.ServeHTTP(w, r)
	}))
	defer srv.Close()
	c, err := NewClient(srv.URL+"/api/freebusy/", WithHTTPClient(srv.Client()), WithConcurrency(1))
	require.NoError(t, err)
	q := freebusy.Query{
		Attendees: []string{"Jane Doe/Acme@AcmeMail", "jdoe@acme.example"},
		Start:     dasUTC(2017, 9, 1, 13, 0, 0).Add(250 * time.Millisecond),
		End:       dasUTC(2017, 9, 2, 13, 0, 0).Add(250 * time.Millisecond),
	}
	scheds, err := c.FreeBusy(context.Background(), q)
	require.NoError(t, err)
	assert.Equal(t, []string{
		"Jane Doe/Acme 2017-09-01T13:00:00Z 2017-09-02T13:00:01Z application/json",
		"jdoe@acme.example 2017-09-01T13:00:00Z 2017-09-02T13:00:01Z application/json",
	}, raw)
	assert.Equal(t, "Jane Doe/Acme@AcmeMail", scheds[0].Attendee, "the schedule names the attendee as asked")
	assert.True(t, q.Start.Equal(scheds[0].Start))
	assert.True(t, q.End.Equal(scheds[0].End))
	assert.Nil(t, scheds[0].Err)
}

// At most WithConcurrency requests are in flight, and each carries one
// attendee, as DAS requires.
func TestClientConcurrencyLimit(t *testing.T) {
	var inFlight, peak, calls atomic.Int32
	src := freebusy.SourceFunc(func(_ context.Context, q freebusy.Query) ([]freebusy.Schedule, error) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		calls.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(10 * time.Millisecond)
		if len(q.Attendees) != 1 {
			return nil, errors.New("more than one attendee per request")
		}
		return []freebusy.Schedule{{Attendee: q.Attendees[0], Start: q.Start, End: q.End}}, nil
	})
	c, _ := newDASPair(t, src, nil, WithConcurrency(3))
	start, end := dasWindow()
	q := freebusy.Query{Start: start, End: end}
	for i := range 10 {
		q.Attendees = append(q.Attendees, fmt.Sprintf("user%d@example.com", i))
	}
	scheds, err := c.FreeBusy(context.Background(), q)
	require.NoError(t, err)
	require.NoError(t, freebusy.CheckResult(q, scheds))
	for _, s := range scheds {
		assert.Nil(t, s.Err)
	}
	assert.Equal(t, int32(10), calls.Load())
	assert.LessOrEqual(t, peak.Load(), int32(3))
	assert.Positive(t, peak.Load())
}

// What did not finish by ctx's deadline gets ReasonTimeout; what did is
// kept; FreeBusy returns by the deadline.
func TestClientDeadline(t *testing.T) {
	release := make(chan struct{})
	src := freebusy.SourceFunc(func(ctx context.Context, q freebusy.Query) ([]freebusy.Schedule, error) {
		if strings.HasPrefix(q.Attendees[0], "slow") {
			select {
			case <-ctx.Done():
			case <-release:
			}
		}
		return []freebusy.Schedule{{Attendee: q.Attendees[0], Start: q.Start, End: q.End}}, nil
	})
	c, _ := newDASPair(t, src, nil, WithConcurrency(2))
	t.Cleanup(func() { close(release) })
	start, end := dasWindow()
	q := freebusy.Query{Attendees: []string{"fast", "slow1", "slow2", "slow3", "late"}, Start: start, End: end}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	began := time.Now()
	scheds, err := c.FreeBusy(ctx, q)
	require.NoError(t, err)
	assert.Less(t, time.Since(began), 5*time.Second, "returns at the deadline, not when the slow ones finish")
	require.NoError(t, freebusy.CheckResult(q, scheds))
	assert.Nil(t, scheds[0].Err)
	for _, s := range scheds[1:] {
		require.NotNil(t, s.Err, s.Attendee)
		assert.ErrorIs(t, s.Err, freebusy.ErrTimeout, s.Attendee)
	}
}

func TestClientQueryAndContextErrors(t *testing.T) {
	var calls atomic.Int32
	src := freebusy.SourceFunc(func(_ context.Context, q freebusy.Query) ([]freebusy.Schedule, error) {
		calls.Add(1)
		return []freebusy.Schedule{{Attendee: q.Attendees[0], Start: q.Start, End: q.End}}, nil
	})
	c, _ := newDASPair(t, src, nil)
	start, end := dasWindow()
	_, err := c.FreeBusy(context.Background(), freebusy.Query{Start: start, End: end})
	assert.ErrorIs(t, err, freebusy.ErrNoAttendees)
	_, err = c.FreeBusy(context.Background(), freebusy.Query{Attendees: []string{"a"}, Start: end, End: start})
	assert.ErrorIs(t, err, freebusy.ErrEmptyWindow)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	scheds, err := c.FreeBusy(ctx, freebusy.Query{Attendees: []string{"a"}, Start: start, End: end})
	assert.Nil(t, scheds)
	assert.Error(t, err)
	assert.Zero(t, calls.Load(), "nothing was sent")
}

// A server that is gone makes every attendee unavailable, not free.
func TestClientServerDown(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	defer goleak.VerifyNone(t, ignore)
	srv := httptest.NewServer(http.NotFoundHandler())
	hc := srv.Client()
	url := srv.URL
	srv.Close()
	c, err := NewClient(url, WithHTTPClient(hc))
	require.NoError(t, err)
	start, end := dasWindow()
	scheds, err := c.FreeBusy(context.Background(), freebusy.Query{Attendees: []string{"a", "b"}, Start: start, End: end})
	require.NoError(t, err)
	for _, s := range scheds {
		require.NotNil(t, s.Err)
		assert.Equal(t, freebusy.ReasonUnavailable, s.Err.Reason)
		assert.NotContains(t, s.Err.Message, "name=", "the URL names the attendee; the message does not repeat it")
		assert.Contains(t, s.Err.Message, "das: request failed")
	}
}

// The response size cap holds: a longer answer fails its attendee.
func TestClientResponseCap(t *testing.T) {
	day := dasUTC(2026, 3, 2, 0, 0, 0)
	src := freebusy.SourceFunc(func(_ context.Context, q freebusy.Query) ([]freebusy.Schedule, error) {
		s := freebusy.Schedule{Attendee: q.Attendees[0], Start: q.Start, End: q.End}
		for i := range 100 {
			s.Intervals = append(s.Intervals, freebusy.Interval{Start: day.Add(time.Duration(2*i) * time.Minute), End: day.Add(time.Duration(2*i+1) * time.Minute), Status: freebusy.Busy})
		}
		return []freebusy.Schedule{s}, nil
	})
	c, _ := newDASPair(t, src, nil, WithMaxBodyBytes(2048))
	start, end := dasWindow()
	scheds, err := c.FreeBusy(context.Background(), freebusy.Query{Attendees: []string{"a"}, Start: start, End: end})
	require.NoError(t, err)
	require.NotNil(t, scheds[0].Err)
	assert.Equal(t, freebusy.ReasonInvalid, scheds[0].Err.Reason)
	assert.ErrorIs(t, scheds[0].Err, ErrTooLarge)
}

// AsOf: Last-Modified when given, else Date, else receipt time.
func TestClientAsOf(t *testing.T) {
	now := dasUTC(2026, 3, 2, 12, 0, 0)
	c, err := NewClient("https://d.example.com", dasWithNow(now))
	require.NoError(t, err)
	h := http.Header{}
	assert.True(t, now.Equal(c.asOf(h)))
	h.Set("Date", "Mon, 02 Mar 2026 11:59:00 GMT")
	assert.True(t, dasUTC(2026, 3, 2, 11, 59, 0).Equal(c.asOf(h)))
	h.Set("Last-Modified", "Mon, 02 Mar 2026 11:00:00 GMT")
	assert.True(t, dasUTC(2026, 3, 2, 11, 0, 0).Equal(c.asOf(h)))
	h.Set("Last-Modified", "yesterday")
	assert.True(t, dasUTC(2026, 3, 2, 11, 59, 0).Equal(c.asOf(h)))
}

func TestNewClientBaseURL(t *testing.T) {
	for _, bad := range []string{"", "domino.example.com", "ftp://domino.example.com", "https://", "https://d.example.com/?x=1", "http://[::1"} {
		_, err := NewClient(bad)
		assert.ErrorIs(t, err, ErrBadBaseURL, bad)
	}
	for in, want := range map[string]string{
		"https://d.example.com":                     "https://d.example.com",
		"https://d.example.com/":                    "https://d.example.com",
		"https://d.example.com/api/freebusy":        "https://d.example.com",
		"https://d.example.com/proxy/api/freebusy/": "https://d.example.com/proxy",
	} {
		c, err := NewClient(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, c.base, in)
	}
}

// The room resources, client against handler (docs/notes.md §2.2.5).
func TestClientRoomResources(t *testing.T) {
	busy := dasUTC(2026, 3, 2, 14, 0, 0)
	src := freebusy.SourceFunc(func(_ context.Context, q freebusy.Query) ([]freebusy.Schedule, error) {
		out := make([]freebusy.Schedule, len(q.Attendees))
		for i, a := range q.Attendees {
			out[i] = freebusy.Schedule{Attendee: a, Start: q.Start, End: q.End}
			if a == "room1001@example.com" {
				out[i].Intervals = []freebusy.Interval{{Start: busy, End: busy.Add(time.Hour), Status: freebusy.Busy}}
			}
		}
		return out, nil
	})
	c, _ := newDASPair(t, src, []HandlerOption{WithRoomDirectories(dasRoomDirectories()...)})
	ctx := context.Background()

	links, err := c.Links(ctx)
	require.NoError(t, err)
	assert.Len(t, links.Links, 3)

	dirs, err := c.Directories(ctx)
	require.NoError(t, err)
	require.Len(t, dirs.Directories, 1)
	sites, err := c.Sites(ctx, dirs.Directories[0])
	require.NoError(t, err)
	assert.Equal(t, []Site{{DisplayName: "Boston Building 1"}}, sites.Sites)
	_, err = c.Sites(ctx, Directory{})
	assert.ErrorIs(t, err, freebusy.ErrInvalid)
	abs := Directory{Links: []Link{{Rel: "sites", Href: "https://elsewhere.example" + dirs.Directories[0].Links[0].Href}}}
	sites, err = c.Sites(ctx, abs)
	require.NoError(t, err, "an absolute link is followed on the client's own server")
	assert.Len(t, sites.Sites, 1)

	rooms, err := c.FreeRooms(ctx, FreeRoomsRequest{Site: "Boston Building 1", Start: busy, End: busy.Add(30 * time.Minute), Capacity: 6})
	require.NoError(t, err)
	var names []string
	for _, r := range rooms.Rooms {
		names = append(names, r.DisplayName)
	}
	assert.Equal(t, []string{"Room 1002", "Room 1004", "Room 1005"}, names, "1001 is busy, 1003 too small")

	_, err = c.FreeRooms(ctx, FreeRoomsRequest{Site: "Nowhere", Start: busy, End: busy.Add(time.Hour)})
	assert.Equal(t, freebusy.ReasonUnavailable, freebusy.ReasonOf(err), "404 Site not found")
	var dasErr *Error
	require.ErrorAs(t, err, &dasErr)
	assert.Equal(t, "Site not found", dasErr.Message)
}

// BusyTime returns DAS's answer unconverted, inverted period included
// (docs/notes.md §2.2.6).
func TestClientBusyTimeRaw(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	defer goleak.VerifyNone(t, ignore)
	sample := readDASTestdata(t, "busytime-ibm-sample.json")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		assert.Equal(t, PathBusyTime, r.URL.Path)
		_, _ = w.Write(sample)
	}))
	defer srv.Close()
	c, err := NewClient(srv.URL, WithHTTPClient(srv.Client()))
	require.NoError(t, err)
	bt, err := c.BusyTime(context.Background(), "jane", dasUTC(2013, 11, 5, 20, 8, 35), dasUTC(2013, 12, 5, 20, 8, 35))
	require.NoError(t, err)
	assert.Len(t, bt.BusyTimes, 4)

	scheds, err := c.FreeBusy(context.Background(), freebusy.Query{Attendees: []string{"jane"}, Start: dasUTC(2013, 11, 5, 20, 8, 35), End: dasUTC(2013, 12, 5, 20, 8, 35)})
	require.NoError(t, err)
	assert.Len(t, scheds[0].Intervals, 3, "the inverted first period is dropped")
}

// A cancelled ctx follows the one rule of an ended context: nothing more
// starts, and what had not started fails as unavailable, like the request
// that was running.
func TestClientCancelled(t *testing.T) {
	started := make(chan struct{}, 1)
	src := freebusy.SourceFunc(func(ctx context.Context, q freebusy.Query) ([]freebusy.Schedule, error) {
		started <- struct{}{}
		<-ctx.Done()
		return nil, ctx.Err()
	})
	c, _ := newDASPair(t, src, nil, WithConcurrency(1))
	start, end := dasWindow()
	q := freebusy.Query{Attendees: []string{"first", "second", "third"}, Start: start, End: end}
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-started
		cancel()
	}()
	scheds, err := c.FreeBusy(ctx, q)
	require.NoError(t, err)
	require.NoError(t, freebusy.CheckResult(q, scheds))
	for _, s := range scheds {
		require.NotNil(t, s.Err, s.Attendee)
		assert.Equal(t, freebusy.ReasonUnavailable, s.Err.Reason, s.Attendee)
		assert.Equal(t, s.Attendee, s.Err.Attendee)
	}
	assert.Empty(t, started, "only the first request was sent")
}
