package router_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/calbridge/calbridge/exchange"
	"github.com/calbridge/calbridge/freebusy"
	"github.com/calbridge/calbridge/freebusy/directory"
	"github.com/calbridge/calbridge/freebusy/router"
	"github.com/calbridge/calbridge/notes"
)

// busyAt is a stand-in for a side's Source: everyone it is asked about is
// busy for an hour from the given hour, and says so under the name it was
// asked by.
func busyAt(hour int, side string) freebusy.Source {
	return freebusy.SourceFunc(func(ctx context.Context, q freebusy.Query) ([]freebusy.Schedule, error) {
		out := make([]freebusy.Schedule, len(q.Attendees))
		for i, a := range q.Attendees {
			fmt.Printf("%s side asked for %s\n", side, a)
			at := q.Start.Add(time.Duration(hour) * time.Hour)
			out[i] = freebusy.Schedule{Attendee: a, Start: q.Start, End: q.End,
				Intervals: []freebusy.Interval{{Start: at, End: at.Add(time.Hour), Status: freebusy.Busy}}}
		}
		return out, nil
	})
}

// A router in front of both sides: each attendee goes to its side under
// the address that side understands, and comes back under the name it was
// asked by, in query order; a name nobody has is UnknownAttendee.
func Example() {
	dir, err := directory.New([]directory.Person{
		{ID: "ada", Side: "notes", Address: "CN=Ada Lovelace/OU=Research/O=Acme", Aliases: []string{"ada.lovelace@notes.acme.example"}},
		{ID: "grace", Side: "exchange", Address: "grace.hopper@exchange.acme.example"},
	}, directory.WithNormalizer(notes.DirectoryKey), directory.WithNormalizer(exchange.DirectoryKey))
	if err != nil {
		fmt.Println(err)
		return
	}
	r, err := router.New(dir, map[string]freebusy.Source{
		"notes":    busyAt(9, "notes"),
		"exchange": busyAt(14, "exchange"),
	}, router.WithConcurrency(1))
	if err != nil {
		fmt.Println(err)
		return
	}
	day := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	out, err := r.FreeBusy(context.Background(), freebusy.Query{
		Attendees: []string{"Ada Lovelace/Research/Acme@AcmeMail", "nobody@acme.example", "SMTP:Grace.Hopper@exchange.acme.example"},
		Start:     day, End: day.Add(24 * time.Hour),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, s := range out {
		if s.Err != nil {
			fmt.Printf("%s: %v\n", s.Attendee, s.Err.Reason)
			continue
		}
		fmt.Printf("%s: busy from %s\n", s.Attendee, s.Intervals[0].Start.Format("15:04"))
	}
	// Output:
	// notes side asked for CN=Ada Lovelace/OU=Research/O=Acme
	// exchange side asked for grace.hopper@exchange.acme.example
	// Ada Lovelace/Research/Acme@AcmeMail: busy from 09:00
	// nobody@acme.example: unknown-attendee
	// SMTP:Grace.Hopper@exchange.acme.example: busy from 14:00
}

// Gateways pointed at each other end the loop: a query that has made the
// most hops allowed fails attendee by attendee with ErrLoop.
func ExampleErrLoop() {
	dir, _ := directory.New([]directory.Person{{ID: "a", Side: "remote", Address: "a@x.example"}})
	r, _ := router.New(dir, map[string]freebusy.Source{"remote": busyAt(9, "remote")})
	day := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	ctx := freebusy.WithHops(context.Background(), router.DefaultMaxHops)
	out, _ := r.FreeBusy(ctx, freebusy.Query{Attendees: []string{"a@x.example"}, Start: day, End: day.Add(time.Hour)})
	fmt.Println(out[0].Err.Reason, errors.Is(out[0].Err, router.ErrLoop))
	// Output:
	// invalid true
}
