package privacy_test

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/calbridge/calbridge/freebusy"
	"github.com/calbridge/calbridge/freebusy/privacy"
)

func Example() {
	start := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	backend := freebusy.SourceFunc(func(_ context.Context, q freebusy.Query) ([]freebusy.Schedule, error) {
		fmt.Println("backend asked for", q.Detail)
		return []freebusy.Schedule{{
			Attendee: q.Attendees[0], Start: q.Start, End: q.End,
			Intervals: []freebusy.Interval{{Start: start.Add(9 * time.Hour), End: start.Add(10 * time.Hour), Status: freebusy.Busy}},
			Events: []freebusy.Event{
				{Start: start.Add(9 * time.Hour), End: start.Add(10 * time.Hour), Status: freebusy.Busy, Subject: "Design review", Meeting: true},
				{Start: start.Add(12 * time.Hour), End: start.Add(13 * time.Hour), Status: freebusy.Free, Subject: "Doctor", Private: true},
			},
		}}, nil
	})

	var policy privacy.Policy
	if err := json.Unmarshal([]byte(`{"default":"status","requesters":{"helpdesk":"full"}}`), &policy); err != nil {
		fmt.Println(err)
		return
	}
	src, err := privacy.New(backend, policy)
	if err != nil {
		fmt.Println(err)
		return
	}
	q := freebusy.Query{Attendees: []string{"grace.hopper@exchange.acme.example"}, Start: start, End: start.Add(24 * time.Hour), Detail: freebusy.DetailFull}
	for _, who := range []string{"anonymous", "helpdesk"} {
		ctx := privacy.WithRequester(context.Background(), who) // set by the auth middleware
		got, err := src.FreeBusy(ctx, q)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(who+":", got[0].Intervals)
		for _, e := range got[0].Events {
			fmt.Printf("  %s-%s %v %q private=%v\n", e.Start.Format("15:04"), e.End.Format("15:04"), e.Status, e.Subject, e.Private)
		}
	}
	// Output:
	// backend asked for status
	// anonymous: [2026-03-02T09:00:00Z/2026-03-02T10:00:00Z busy 2026-03-02T12:00:00Z/2026-03-02T13:00:00Z busy]
	// backend asked for full
	// helpdesk: [2026-03-02T09:00:00Z/2026-03-02T10:00:00Z busy 2026-03-02T12:00:00Z/2026-03-02T13:00:00Z busy]
	//   09:00-10:00 busy "Design review" private=false
	//   12:00-13:00 busy "" private=true
}
