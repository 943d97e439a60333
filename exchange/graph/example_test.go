package graph_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"time"

	"github.com/calbridge/calbridge/exchange/graph"

	"github.com/calbridge/calbridge/freebusy"
)

// A Graph client talking to a Handler that poses as Microsoft Graph,
// answering from a canonical Source (here a fixed schedule; in a gateway,
// the Notes side). The data is the example of Microsoft Graph
// documentation "calendar: getSchedule" (docs/exchange.md §3.4).
func ExampleClient() {
	la, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		fmt.Println(err)
		return
	}
	at := func(h, m int) time.Time { return time.Date(2019, 3, 15, h, m, 0, 0, la) }
	busy := map[string][]freebusy.Interval{
		"adelev@contoso.com": {freebusy.NewInterval(at(12, 0), at(14, 0), freebusy.Busy)},
		"meganb@contoso.com": {
			freebusy.NewInterval(at(8, 30), at(9, 30), freebusy.Busy),
			freebusy.NewInterval(at(12, 0), at(14, 0), freebusy.Busy),
			freebusy.NewInterval(at(12, 0), at(13, 0), freebusy.Tentative),
			freebusy.NewInterval(at(16, 0), at(17, 0), freebusy.Tentative),
		},
	}
	src := freebusy.SourceFunc(func(_ context.Context, q freebusy.Query) ([]freebusy.Schedule, error) {
		out := make([]freebusy.Schedule, len(q.Attendees))
		for i, a := range q.Attendees {
			if ivs, ok := busy[a]; ok {
				out[i] = freebusy.Schedule{Attendee: a, Start: q.Start, End: q.End, Intervals: ivs}
			} else {
				out[i] = freebusy.Failed(a, q.Start, q.End, freebusy.ReasonUnknownAttendee, nil)
			}
		}
		return out, nil
	})
	handler, err := graph.NewHandler(src)
	if err != nil {
		fmt.Println(err)
		return
	}
	srv := httptest.NewServer(handler)
	defer srv.Close()

	client, err := graph.NewClient(graph.WithBaseURL(srv.URL), graph.WithHTTPClient(srv.Client()))
	if err != nil {
		fmt.Println(err)
		return
	}
	q := freebusy.Query{
		Attendees:   []string{"adelev@contoso.com", "meganb@contoso.com", "nobody@contoso.com"},
		Start:       at(9, 0).UTC(),
		End:         at(18, 0).UTC(),
		Granularity: time.Hour,
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	schedules, err := client.FreeBusy(ctx, q)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, s := range schedules {
		if s.Err != nil {
			fmt.Println(s.Attendee, s.Err.Reason)
			continue
		}
		view, _ := s.AvailabilityView(time.Hour, freebusy.ViewOptions{})
		fmt.Println(s.Attendee, view)
	}
	// Output:
	// adelev@contoso.com 000220000
	// meganb@contoso.com 200220010
	// nobody@contoso.com unknown-attendee
}

// EWS working hours of two periods a day and a short Friday become Graph's
// single period: every working day kept, the span most days share
// (docs/mapping.md §4.10).
func ExampleNewWorkingHours() {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		panic(err)
	}
	monThu := []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday}
	g := graph.NewWorkingHours(&freebusy.WorkingHours{Location: berlin, Periods: []freebusy.WorkingPeriod{
		{Days: monThu, Start: 8 * time.Hour, End: 12 * time.Hour},
		{Days: monThu, Start: 13 * time.Hour, End: 16*time.Hour + 30*time.Minute},
		{Days: []time.Weekday{time.Friday}, Start: 8 * time.Hour, End: 13 * time.Hour},
	}})
	fmt.Println(g.DaysOfWeek, g.StartTime, g.EndTime, g.TimeZone.Name)
	// Output:
	// [monday tuesday wednesday thursday friday] 08:00:00.0000000 16:30:00.0000000 W. Europe Standard Time
}
