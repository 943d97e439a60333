package transport_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/calbridge/calbridge/freebusy"
	"github.com/calbridge/calbridge/transport"
)

// calendar is a tiny Source: everyone is busy from 09:00 to 10:00 UTC,
// except "nobody@example.com", who does not exist.
var calendar = freebusy.SourceFunc(func(ctx context.Context, q freebusy.Query) ([]freebusy.Schedule, error) {
	out := make([]freebusy.Schedule, len(q.Attendees))
	for i, a := range q.Attendees {
		if a == "nobody@example.com" {
			out[i] = freebusy.Failed(a, q.Start, q.End, freebusy.ReasonUnknownAttendee, nil)
			continue
		}
		nine := q.Start.Truncate(24 * time.Hour).Add(9 * time.Hour)
		out[i] = freebusy.Schedule{Attendee: a, Start: q.Start, End: q.End,
			Intervals: []freebusy.Interval{{Start: nine, End: nine.Add(time.Hour), Status: freebusy.Busy}}}
	}
	return out, nil
})

var day = time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)

func printSchedules(schedules []freebusy.Schedule) {
	for _, s := range schedules {
		if s.Err != nil {
			fmt.Printf("%s: %v\n", s.Attendee, s.Err.Reason)
			continue
		}
		fmt.Printf("%s: 09:30 %v, 11:00 %v\n", s.Attendee, s.StatusAt(day.Add(9*time.Hour+30*time.Minute)), s.StatusAt(day.Add(11*time.Hour)))
	}
}

// The in-process transport: a Source handed queries as a remote transport
// would, with the query validated and the answer copied.
func ExampleNewLocal() {
	tr := transport.NewLocal(calendar)
	defer tr.Close()
	schedules, err := tr.FreeBusy(context.Background(), freebusy.Query{
		Attendees: []string{"alice@example.com", "nobody@example.com"},
		Start:     day, End: day.Add(24 * time.Hour),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	printSchedules(schedules)
	// Output:
	// alice@example.com: 09:30 busy, 11:00 free
	// nobody@example.com: unknown-attendee
}

// A server and a client on loopback: the server answers from any Source;
// the client is a Source too, and reconnects by itself if the link breaks.
func ExampleClient() {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println(err)
		return
	}
	srv, err := transport.NewServer(calendar, transport.WithToken("s3cret"))
	if err != nil {
		fmt.Println(err)
		return
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(l) }()

	client, err := transport.NewClient([]string{l.Addr().String()}, transport.WithToken("s3cret"))
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	schedules, err := client.FreeBusy(ctx, freebusy.Query{
		Attendees: []string{"alice@example.com", "bob@example.com"},
		Start:     day, End: day.Add(24 * time.Hour),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	printSchedules(schedules)
	fmt.Println("state:", client.State())

	_ = client.Close()
	_ = srv.Shutdown(ctx)
	fmt.Println("serve:", <-served)
	// Output:
	// alice@example.com: 09:30 busy, 11:00 free
	// bob@example.com: 09:30 busy, 11:00 free
	// state: ready
	// serve: transport: server closed
}

// Fail fast: with no server, a call returns Unavailable at once, carrying
// the connection error, instead of hanging.
func ExampleClient_failFast() {
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := l.Addr().String()
	l.Close() // nothing listens there now

	client, _ := transport.NewClient([]string{addr})
	defer client.Close()
	_, err := client.FreeBusy(context.Background(), freebusy.Query{
		Attendees: []string{"alice@example.com"}, Start: day, End: day.Add(time.Hour),
	})
	fmt.Println(freebusy.ReasonOf(err), client.State())
	// Output:
	// unavailable transient-failure
}

// Options are checked when the client or server is made: a value an option
// cannot take fails the constructor at once, not every later call.
func ExampleNewClient_invalidOption() {
	_, err := transport.NewClient([]string{"127.0.0.1:7000"}, transport.WithMaxAttempts(0))
	fmt.Println(errors.Is(err, transport.ErrInvalidOption))
	_, err = transport.NewServer(calendar, transport.WithServerMaxInFlight(-1))
	fmt.Println(errors.Is(err, transport.ErrInvalidOption))
	// Output:
	// true
	// true
}

// The compact form is a codec of its own too: a transport other than the
// RPC link (a message queue, say) can carry schedules in it.
func ExampleAppendCompactSchedules() {
	ss := []freebusy.Schedule{{
		Attendee: "alice@example.com", Start: day, End: day.Add(24 * time.Hour),
		Intervals: []freebusy.Interval{{Start: day.Add(9 * time.Hour), End: day.Add(10 * time.Hour), Status: freebusy.Busy}},
	}}
	b, err := transport.AppendCompactSchedules(nil, ss)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(string(b))

	back, err := transport.DecodeCompactSchedules(b)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(back[0].Intervals[0])
	// Output:
	// {"form":"compact1","base":1772409600,"schedules":[{"attendee":"alice@example.com","start":0,"end":86400,"intervals":[1,32400,36000,3]}]}
	// 2026-03-02T09:00:00Z/2026-03-02T10:00:00Z busy
}

// A decoder is a decoder: bad input is a *CompactError, never a panic.
func ExampleDecodeCompactSchedules() {
	_, err := transport.DecodeCompactSchedules([]byte(`{"form":"compact1","base":0,"schedules":[{"intervals":[5,0,60,3]}]}`))
	var ce *transport.CompactError
	fmt.Println(errors.As(err, &ce), errors.Is(err, transport.ErrProtocol))
	fmt.Println(err)
	// Output:
	// true true
	// transport: invalid compact schedules at offset 56: item count out of range
}

// WithCompactSchedules(false) on either half keeps the link in the JSON
// form; the answers are the same.
func ExampleWithCompactSchedules() {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println(err)
		return
	}
	srv, err := transport.NewServer(calendar)
	if err != nil {
		fmt.Println(err)
		return
	}
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Serve(l) }()
	defer func() { _ = srv.Close(); <-done }()

	for _, on := range []bool{true, false} {
		c, err := transport.NewClient([]string{l.Addr().String()}, transport.WithCompactSchedules(on))
		if err != nil {
			fmt.Println(err)
			return
		}
		ss, err := c.FreeBusy(context.Background(), freebusy.Query{Attendees: []string{"alice@example.com"}, Start: day, End: day.Add(24 * time.Hour)})
		_ = c.Close()
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(on, ss[0].Intervals)
	}
	// Output:
	// true [2026-03-02T09:00:00Z/2026-03-02T10:00:00Z busy]
	// false [2026-03-02T09:00:00Z/2026-03-02T10:00:00Z busy]
}
