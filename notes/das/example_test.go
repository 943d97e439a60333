package das_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"time"

	"github.com/calbridge/calbridge/freebusy"
	"github.com/calbridge/calbridge/notes/das"
)

// dasExchangeSide stands in for the gateway's Exchange half: a Source that
// knows one user with a meeting and a tentative hold.
func dasExchangeSide() freebusy.Source {
	return freebusy.SourceFunc(func(_ context.Context, q freebusy.Query) ([]freebusy.Schedule, error) {
		out := make([]freebusy.Schedule, len(q.Attendees))
		for i, a := range q.Attendees {
			if a != "jane@example.com" {
				out[i] = freebusy.Failed(a, q.Start, q.End, freebusy.ReasonUnknownAttendee, nil)
				continue
			}
			day := q.Start.Truncate(24 * time.Hour)
			out[i] = freebusy.Schedule{Attendee: a, Start: q.Start, End: q.End, Intervals: []freebusy.Interval{
				{Start: day.Add(9 * time.Hour), End: day.Add(10 * time.Hour), Status: freebusy.Busy},
				{Start: day.Add(14 * time.Hour), End: day.Add(15 * time.Hour), Status: freebusy.Tentative},
			}}
		}
		return out, nil
	})
}

// The DAS client asking a DAS server (here the gateway's own Handler) about
// two people: one schedule each, in query order, the unknown name failed
// on its own.
func ExampleClient() {
	h, err := das.NewHandler(dasExchangeSide())
	if err != nil {
		fmt.Println(err)
		return
	}
	srv := httptest.NewServer(h)
	defer srv.Close()

	client, err := das.NewClient(srv.URL, das.WithHTTPClient(srv.Client()))
	if err != nil {
		fmt.Println(err)
		return
	}
	start := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	scheds, err := client.FreeBusy(context.Background(), freebusy.Query{
		Attendees: []string{"jane@example.com", "nobody@example.com"},
		Start:     start,
		End:       start.Add(24 * time.Hour),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, s := range scheds {
		if s.Err != nil {
			fmt.Println(s.Attendee, "failed:", s.Err.Reason)
			continue
		}
		for _, iv := range s.Intervals {
			fmt.Println(s.Attendee, iv.Start.Format("15:04"), iv.End.Format("15:04"), iv.Status)
		}
	}
	// Output:
	// jane@example.com 09:00 10:00 busy
	// jane@example.com 14:00 15:00 busy
	// nobody@example.com failed: unknown-attendee
}

// The Handler lets a Domino-side tool ask the gateway about Exchange users
// as if it were a DAS server. Tentative time goes out as busy: DAS cannot
// say tentative, and showing it as free was the old connector's complaint
// (Microsoft KB Q199643, docs/mapping.md §4.5).
func ExampleHandler() {
	h, err := das.NewHandler(dasExchangeSide())
	if err != nil {
		fmt.Println(err)
		return
	}
	req := httptest.NewRequest(http.MethodGet,
		"/api/freebusy/busytime?name=jane@example.com&since=2026-03-02T08:00:00Z&before=2026-03-02T12:00:00Z", nil)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	fmt.Println(rec.Code, rec.Header().Get("Content-Type"))
	_, _ = io.Copy(os.Stdout, rec.Body)

	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/freebusy/busytime?name=nobody@example.com", nil))
	fmt.Println(rec.Code)
	_, _ = io.Copy(os.Stdout, rec.Body)
	// Output:
	// 200 application/json; charset=UTF-8
	// {"start":{"date":"2026-03-02","time":"08:00:00","utc":true},"end":{"date":"2026-03-02","time":"12:00:00","utc":true},"busyTimes":[{"start":{"date":"2026-03-02","time":"09:00:00","utc":true},"end":{"date":"2026-03-02","time":"10:00:00","utc":true}}]}
	// 400
	// {"code":400,"text":"Bad request","message":"Name not found"}
}

// Decoding a busytime answer and converting it: the inverted first period
// DAS sends (docs/notes.md §2.2.6, IBM's own sample) is dropped and
// counted.
func ExampleDecodeBusyTime() {
	f, err := os.Open("testdata/busytime-ibm-sample.json")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer f.Close()
	bt, err := das.DecodeBusyTime(f)
	if err != nil {
		fmt.Println(err)
		return
	}
	start, end, _ := bt.Window()
	s, rep, err := bt.Schedule("jane", start, end)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("periods sent:", len(bt.BusyTimes), "inverted dropped:", rep.Inverted)
	fmt.Println("first:", s.Intervals[0])
	// Output:
	// periods sent: 4 inverted dropped: 1
	// first: 2013-11-05T22:00:00Z/2013-11-06T14:00:00Z busy
}

// WithTentativeAsFree serves tentative time as Notes itself sees
// penciled-in time: available, so it is left out of the busy periods
// (docs/mapping.md §4.4). The tentative hold at 14:00 disappears.
func ExampleWithTentativeAsFree() {
	h, err := das.NewHandler(dasExchangeSide(), das.WithTentativeAsFree(true))
	if err != nil {
		fmt.Println(err)
		return
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet,
		"/api/freebusy/busytime?name=jane@example.com&since=2026-03-02T08:00:00Z&before=2026-03-02T18:00:00Z", nil))
	bt, err := das.DecodeBusyTime(rec.Body)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, p := range bt.BusyTimes {
		fmt.Println(p.Start, "to", p.End)
	}
	// Output:
	// 2026-03-02 09:00:00Z to 2026-03-02 10:00:00Z
}

// Options a constructor cannot take make it fail at once, with an error
// matching ErrInvalidOption.
func ExampleNewClient_invalidOption() {
	_, err := das.NewClient("https://domino.example.com", das.WithConcurrency(0))
	fmt.Println(errors.Is(err, das.ErrInvalidOption))
	fmt.Println(err)
	// Output:
	// true
	// das: WithConcurrency: 0 is below 1: invalid option
}
