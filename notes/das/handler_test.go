package das

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/calbridge/calbridge/freebusy"
	"github.com/calbridge/calbridge/internal/config"
)

// dasWithNow fixes the clock of a Client or Handler under test.
func dasWithNow(t time.Time) Option {
	return commonOption(func(c *config.Common) { c.Now = func() time.Time { return t } })
}

// newHandler is NewHandler for options that are valid.
func newHandler(t testing.TB, src freebusy.Source, opts ...HandlerOption) *Handler {
	t.Helper()
	h, err := NewHandler(src, opts...)
	require.NoError(t, err)
	return h
}

// dasRecordingSource answers every attendee with sched(attendee, q) and
// records the queries it was asked.
type dasRecordingSource struct {
	mu      sync.Mutex
	queries []freebusy.Query
	sched   func(attendee string, q freebusy.Query) freebusy.Schedule
}

func (r *dasRecordingSource) FreeBusy(_ context.Context, q freebusy.Query) ([]freebusy.Schedule, error) {
	r.mu.Lock()
	r.queries = append(r.queries, q)
	r.mu.Unlock()
	out := make([]freebusy.Schedule, len(q.Attendees))
	for i, a := range q.Attendees {
		if r.sched != nil {
			out[i] = r.sched(a, q)
		} else {
			out[i] = freebusy.Schedule{Attendee: a, Start: q.Start, End: q.End}
		}
	}
	return out, nil
}

func (r *dasRecordingSource) last() freebusy.Query {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.queries[len(r.queries)-1]
}

func dasServe(t *testing.T, h http.Handler, target string) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, target, nil))
	return rec
}

// Golden vector: docs/notes.md §2.2.1, the root document. With the
// room feature off only busytime is listed.
func TestHandlerLinks(t *testing.T) {
	on := newHandler(t, &dasRecordingSource{}, WithRoomDirectories())
	rec := dasServe(t, on, "/api/freebusy")
	assert.Equal(t, http.StatusOK, rec.Code)
	assert.Equal(t, "application/json; charset=UTF-8", rec.Header().Get("Content-Type"))
	assert.JSONEq(t, string(readDASTestdata(t, "links.json")), rec.Body.String())

	off := newHandler(t, &dasRecordingSource{})
	rec = dasServe(t, off, "/api/freebusy/")
	assert.JSONEq(t, `{"links":[{"rel":"busytime","href":"/api/freebusy/busytime"}]}`, rec.Body.String())
	for _, p := range []string{"/api/freebusy/freerooms?site=x&start=2026-03-02T00:00:00Z&end=2026-03-02T01:00:00Z", "/api/freebusy/directories", "/api/freebusy/sites/x", "/api/other", "/"} {
		rec = dasServe(t, off, p)
		assert.Equal(t, http.StatusNotFound, rec.Code, p)
		assert.JSONEq(t, `{"code":404,"text":"Not Found","message":"Resource not found"}`, rec.Body.String(), p)
	}
}

func TestHandlerMethodNotAllowed(t *testing.T) {
	rec := httptest.NewRecorder()
	newHandler(t, &dasRecordingSource{}).ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/api/freebusy/busytime?name=a", strings.NewReader("x")))
	assert.Equal(t, http.StatusMethodNotAllowed, rec.Code)
	assert.Equal(t, "GET, HEAD", rec.Header().Get("Allow"))
	assert.JSONEq(t, `{"code":405,"text":"Method Not Allowed","message":"Method not allowed"}`, rec.Body.String())
}

// docs/notes.md §2.2.2: since defaults to now - 30 min, before to since
// + 30 days; days is an alternative to before, never both.
func TestHandlerBusyTimeWindow(t *testing.T) {
	now := dasUTC(2026, 3, 2, 12, 0, 0).Add(400 * time.Millisecond)
	since := dasUTC(2026, 3, 2, 11, 30, 0)
	tests := []struct {
		name       string
		query      string
		start, end time.Time
	}{
		{"defaults", "", since, since.Add(30 * 24 * time.Hour)},
		{"since only", "&since=2017-09-01T13:00:00Z", dasUTC(2017, 9, 1, 13, 0, 0), dasUTC(2017, 10, 1, 13, 0, 0)},
		{"since and before", "&since=2017-09-01T13:00:00Z&before=2017-09-02T13:00:00Z", dasUTC(2017, 9, 1, 13, 0, 0), dasUTC(2017, 9, 2, 13, 0, 0)},
		{"days", "&days=3", since, since.Add(72 * time.Hour)},
		{"before only", "&before=2026-03-03T00:00:00Z", since, dasUTC(2026, 3, 3, 0, 0, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := &dasRecordingSource{}
			rec := dasServe(t, newHandler(t, src, dasWithNow(now)), "/api/freebusy/busytime?name=jane"+tt.query)
			require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
			q := src.last()
			assert.Equal(t, []string{"jane"}, q.Attendees)
			assert.True(t, tt.start.Equal(q.Start), "start %s", q.Start)
			assert.True(t, tt.end.Equal(q.End), "end %s", q.End)
			bt, err := DecodeBusyTime(rec.Body)
			require.NoError(t, err)
			assert.Equal(t, NewDateTime(tt.start), bt.Start, "§2.2.3: start/end are the window used")
			assert.Equal(t, NewDateTime(tt.end), bt.End)
		})
	}
}

func TestHandlerBusyTimeBadRequests(t *testing.T) {
	now := dasUTC(2026, 3, 2, 12, 0, 0)
	tests := []struct {
		name, query, message string
	}{
		{"missing name", "", "Missing name parameter"},
		{"blank name", "name=%20", "Missing name parameter"},
		// §2.2.2 / §10 vector 5: fractional seconds are refused.
		{"fractional since", "name=a&since=2017-09-01T13:00:00.000Z", `Unparseable date: "2017-09-01T13:00:00.000Z"`},
		{"offset before", "name=a&before=2017-09-01T13:00:00%2B02:00", `Unparseable date: "2017-09-01T13:00:00+02:00"`},
		{"before and days", "name=a&before=2026-03-05T00:00:00Z&days=2", "before and days are mutually exclusive"},
		{"days zero", "name=a&days=0", `Invalid days "0"`},
		{"days not a number", "name=a&days=two", `Invalid days "two"`},
		{"days huge", "name=a&days=99999999999", `Invalid days "99999999999"`},
		{"inverted", "name=a&since=2026-03-05T00:00:00Z&before=2026-03-04T00:00:00Z", "since is not before before"},
		{"format", "name=a&format=xml", `Unsupported format "xml"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := &dasRecordingSource{}
			rec := dasServe(t, newHandler(t, src, dasWithNow(now)), "/api/freebusy/busytime?"+tt.query)
			assert.Equal(t, http.StatusBadRequest, rec.Code)
			e, err := DecodeError(rec.Body)
			require.NoError(t, err)
			assert.Equal(t, &Error{Code: 400, Text: "Bad request", Message: tt.message}, e)
			assert.Empty(t, src.queries, "the source is not asked")
		})
	}

	// A window beyond the limits is refused before the source is asked.
	src := &dasRecordingSource{}
	rec := dasServe(t, newHandler(t, src, dasWithNow(now)), "/api/freebusy/busytime?name=a&days=90")
	assert.Equal(t, http.StatusBadRequest, rec.Code)
	assert.Contains(t, rec.Body.String(), "window too long")
	assert.Empty(t, src.queries)
}

// The handler's JSON is what DAS writes: exact keys, UTC whole seconds,
// busy periods only; Last-Modified carries the schedule's AsOf.
func TestHandlerBusyTimeJSON(t *testing.T) {
	asOf := dasUTC(2026, 3, 2, 11, 55, 0)
	src := &dasRecordingSource{sched: func(a string, q freebusy.Query) freebusy.Schedule {
		return freebusy.Schedule{Attendee: a, Start: q.Start, End: q.End, AsOf: asOf, Intervals: []freebusy.Interval{
			{Start: dasUTC(2026, 3, 2, 14, 0, 0), End: dasUTC(2026, 3, 2, 15, 0, 0), Status: freebusy.Busy},
			{Start: dasUTC(2026, 3, 2, 16, 0, 0), End: dasUTC(2026, 3, 2, 17, 0, 0), Status: freebusy.Tentative},
		}}
	}}
	target := "/api/freebusy/busytime?name=jane&since=2026-03-02T12:00:00Z&before=2026-03-03T12:00:00Z"
	rec := dasServe(t, newHandler(t, src), target)
	require.Equal(t, http.StatusOK, rec.Code)
	assert.Equal(t, "Mon, 02 Mar 2026 11:55:00 GMT", rec.Header().Get("Last-Modified"))
	assert.JSONEq(t, `{
		"start":{"date":"2026-03-02","time":"12:00:00","utc":true},
		"end":{"date":"2026-03-03","time":"12:00:00","utc":true},
		"busyTimes":[
			{"start":{"date":"2026-03-02","time":"14:00:00","utc":true},"end":{"date":"2026-03-02","time":"15:00:00","utc":true}},
			{"start":{"date":"2026-03-02","time":"16:00:00","utc":true},"end":{"date":"2026-03-02","time":"17:00:00","utc":true}}]}`,
		rec.Body.String())

	// WithTentativeAsFree: Notes' penciled-in semantics.
	rec = dasServe(t, newHandler(t, src, WithTentativeAsFree(true)), target)
	bt, err := DecodeBusyTime(rec.Body)
	require.NoError(t, err)
	assert.Len(t, bt.BusyTimes, 1)
}

// A name with a routing domain is looked up without it (KB Q271590).
func TestHandlerStripsRoutingDomain(t *testing.T) {
	src := &dasRecordingSource{}
	rec := dasServe(t, newHandler(t, src), "/api/freebusy/busytime?name="+url.QueryEscape("John Smith/Central/Microsoft@EXCHANGE"))
	require.Equal(t, http.StatusOK, rec.Code)
	assert.Equal(t, []string{"John Smith/Central/Microsoft"}, src.last().Attendees)

	rec = dasServe(t, newHandler(t, src), "/api/freebusy/busytime?name="+url.QueryEscape("jdoe@acme.example"))
	require.Equal(t, http.StatusOK, rec.Code)
	assert.Equal(t, []string{"jdoe@acme.example"}, src.last().Attendees, "Internet addresses are passed as they are")
}

// Status codes and error JSON by freebusy.Reason.
func TestHandlerBusyTimeErrors(t *testing.T) {
	tests := []struct {
		reason  freebusy.Reason
		retry   time.Duration
		code    int
		text    string
		message string
		header  string
	}{
		{freebusy.ReasonUnknownAttendee, 0, 400, "Bad request", "Name not found", ""},
		{freebusy.ReasonInvalid, 0, 400, "Bad request", "bad thing", ""},
		{freebusy.ReasonAccessDenied, 0, 403, "Forbidden", "bad thing", ""},
		{freebusy.ReasonThrottled, 1500 * time.Millisecond, 429, "Too Many Requests", "bad thing", "2"},
		{freebusy.ReasonUnavailable, 30 * time.Second, 503, "Service Unavailable", "bad thing", "30"},
		{freebusy.ReasonTimeout, 0, 504, "Gateway Timeout", "bad thing", ""},
		{freebusy.ReasonInternal, 0, 500, "Internal Server Error", "bad thing", ""},
	}
	for _, tt := range tests {
		t.Run(tt.reason.String(), func(t *testing.T) {
			src := &dasRecordingSource{sched: func(a string, q freebusy.Query) freebusy.Schedule {
				s := freebusy.Failed(a, q.Start, q.End, tt.reason, errors.New("bad thing"))
				s.Err.RetryAfter = tt.retry
				return s
			}}
			rec := dasServe(t, newHandler(t, src), "/api/freebusy/busytime?name=a")
			assert.Equal(t, tt.code, rec.Code)
			assert.Equal(t, tt.header, rec.Header().Get("Retry-After"))
			e, err := DecodeError(rec.Body)
			require.NoError(t, err)
			assert.Equal(t, &Error{Code: tt.code, Text: tt.text, Message: tt.message}, e)
		})
	}
}

// A Source that fails the whole query, or breaks the contract, is never
// answered as free time.
func TestHandlerSourceFailures(t *testing.T) {
	tests := []struct {
		name string
		src  freebusy.SourceFunc
		code int
	}{
		{"source error", func(context.Context, freebusy.Query) ([]freebusy.Schedule, error) {
			return nil, &freebusy.Error{Reason: freebusy.ReasonUnavailable, Message: "link down"}
		}, 503},
		{"deadline", func(ctx context.Context, q freebusy.Query) ([]freebusy.Schedule, error) {
			<-ctx.Done()
			return nil, ctx.Err()
		}, 504},
		{"wrong count", func(context.Context, freebusy.Query) ([]freebusy.Schedule, error) {
			return nil, nil
		}, 500},
		{"bad status", func(_ context.Context, q freebusy.Query) ([]freebusy.Schedule, error) {
			return []freebusy.Schedule{{Attendee: q.Attendees[0], Start: q.Start, End: q.End,
				Intervals: []freebusy.Interval{{Start: q.Start, End: q.End, Status: freebusy.Status(99)}}}}, nil
		}, 500},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := dasServe(t, newHandler(t, tt.src, WithSourceTimeout(20*time.Millisecond)), "/api/freebusy/busytime?name=a")
			assert.Equal(t, tt.code, rec.Code)
			_, err := DecodeError(rec.Body)
			assert.NoError(t, err)
		})
	}
}

func dasRoomDirectories() []RoomDirectory {
	return []RoomDirectory{{
		ID:          "CN=Zealand/O=Peaks!!names.nsf",
		DisplayName: "Peaks directory",
		Sites: []RoomSite{{
			DisplayName: "Boston Building 1",
			Rooms: []Room{
				{DisplayName: "Room 1001", DistinguishedName: "Room 1001/Boston Building 1", Email: "room1001@example.com", Capacity: 8},
				{DisplayName: "Room 1002", DistinguishedName: "Room 1002/Boston Building 1", Capacity: 12},
				{DisplayName: "Room 1003", DistinguishedName: "Room 1003/Boston Building 1", Capacity: 4},
				{DisplayName: "Room 1004", DistinguishedName: "Room 1004/Boston Building 1", Capacity: 20},
				{DisplayName: "Room 1005", DistinguishedName: "Room 1005/Boston Building 1", Capacity: 6},
			},
		}},
	}}
}

// Golden vector: docs/notes.md §2.2.5, the directory id escaped in the
// sites link exactly as in IBM's sample.
func TestHandlerDirectoriesAndSites(t *testing.T) {
	h := newHandler(t, &dasRecordingSource{}, WithRoomDirectories(dasRoomDirectories()...))
	rec := dasServe(t, h, "/api/freebusy/directories")
	require.Equal(t, http.StatusOK, rec.Code)
	assert.JSONEq(t, string(readDASTestdata(t, "directories.json")), rec.Body.String())

	rec = dasServe(t, h, "/api/freebusy/sites/CN%3DZealand%2FO%3DPeaks%21%21names.nsf")
	require.Equal(t, http.StatusOK, rec.Code)
	assert.JSONEq(t, string(readDASTestdata(t, "sites.json")), rec.Body.String())

	for _, p := range []string{"/api/freebusy/sites/CN%3DOther", "/api/freebusy/sites/CN=Zealand/O=Peaks!!names.nsf", "/api/freebusy/sites/"} {
		rec = dasServe(t, h, p)
		assert.Equal(t, http.StatusNotFound, rec.Code, p)
		assert.Contains(t, rec.Body.String(), "not found", p)
	}
}

// Free rooms are computed from the Source: rooms big enough whose window
// is entirely available; failed or unknown rooms are not free.
func TestHandlerFreeRooms(t *testing.T) {
	start, end := dasUTC(2026, 3, 2, 14, 0, 0), dasUTC(2026, 3, 2, 15, 0, 0)
	src := &dasRecordingSource{sched: func(a string, q freebusy.Query) freebusy.Schedule {
		s := freebusy.Schedule{Attendee: a, Start: q.Start, End: q.End}
		switch a {
		case "Room 1002/Boston Building 1":
			s.Intervals = []freebusy.Interval{{Start: start.Add(30 * time.Minute), End: end, Status: freebusy.Tentative}}
		case "Room 1004/Boston Building 1":
			s.Intervals = []freebusy.Interval{{Start: start, End: end, Status: freebusy.Unknown}}
		case "Room 1005/Boston Building 1":
			s = freebusy.Failed(a, q.Start, q.End, freebusy.ReasonAccessDenied, nil)
		}
		return s
	}}
	h := newHandler(t, src, WithRoomDirectories(dasRoomDirectories()...), WithLimits(freebusy.Limits{MaxAttendees: 2}))
	rec := dasServe(t, h, "/api/freebusy/freerooms?site=Boston+Building+1&start=2026-03-02T14:00:00Z&end=2026-03-02T15:00:00Z")
	require.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
	rooms, err := DecodeFreeRooms(rec.Body)
	require.NoError(t, err)
	assert.Equal(t, []Room{dasRoomDirectories()[0].Sites[0].Rooms[0]}, rooms.Rooms, "1001 free; 1002 tentative, 1004 unknown, 1005 failed; 1003 too small for the default 5")
	assert.Equal(t, []string{"room1001@example.com", "Room 1002/Boston Building 1"}, src.queries[0].Attendees, "email preferred, batches of MaxAttendees")
	assert.Len(t, src.queries, 2)

	rec = dasServe(t, h, "/api/freebusy/freerooms?site=boston+building+1&start=2026-03-02T14:00:00Z&end=2026-03-02T15:00:00Z&capacity=15")
	assert.JSONEq(t, `{"rooms":[]}`, rec.Body.String(), "only 1004 is big enough, and it is unknown; an empty list, not null")

	bad := []struct{ query, message string }{
		{"site=x&start=2026-03-02T14:00:00Z", "Missing site, start or end parameter"},
		{"site=x&start=2026-03-02T14:00:00.5Z&end=2026-03-02T15:00:00Z", `Unparseable date: "2026-03-02T14:00:00.5Z"`},
		{"site=x&start=2026-03-02T14:00:00Z&end=2026-03-02T15:00Z", `Unparseable date: "2026-03-02T15:00Z"`},
		{"site=x&start=2026-03-02T14:00:00Z&end=2026-03-02T15:00:00Z&capacity=-1", `Invalid capacity "-1"`},
	}
	for _, b := range bad {
		rec = dasServe(t, h, "/api/freebusy/freerooms?"+b.query)
		assert.Equal(t, http.StatusBadRequest, rec.Code, b.query)
		e, err := DecodeError(rec.Body)
		require.NoError(t, err)
		assert.Equal(t, b.message, e.Message, b.query)
	}
	rec = dasServe(t, h, "/api/freebusy/freerooms?site=Nowhere&start=2026-03-02T14:00:00Z&end=2026-03-02T15:00:00Z")
	assert.Equal(t, http.StatusNotFound, rec.Code)
	assert.Contains(t, rec.Body.String(), "Site not found", "§2.2.5: unknown site")

	failing := newHandler(t, freebusy.SourceFunc(func(context.Context, freebusy.Query) ([]freebusy.Schedule, error) {
		return nil, &freebusy.Error{Reason: freebusy.ReasonThrottled, RetryAfter: time.Minute}
	}), WithRoomDirectories(dasRoomDirectories()...))
	rec = dasServe(t, failing, "/api/freebusy/freerooms?site=Boston+Building+1&start=2026-03-02T14:00:00Z&end=2026-03-02T15:00:00Z")
	assert.Equal(t, http.StatusTooManyRequests, rec.Code)
	assert.Equal(t, "60", rec.Header().Get("Retry-After"))
}
