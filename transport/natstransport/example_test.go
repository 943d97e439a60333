package natstransport_test

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/calbridge/calbridge/freebusy"
	"github.com/calbridge/calbridge/transport/natstransport"
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

// startNATS runs a NATS server in the process, for the examples only: a
// deployment points the transport at the NATS servers it already runs.
func startNATS() (url string, stop func()) {
	ns, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: server.RANDOM_PORT, NoLog: true, NoSigs: true})
	if err != nil {
		panic(err)
	}
	go ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		panic("NATS server not ready")
	}
	return ns.ClientURL(), func() { ns.Shutdown(); ns.WaitForShutdown() }
}

// The two halves of a gateway over NATS: workers of the Exchange half
// serve its calendars on the half's subject (start as many as the load
// needs: they share the queries), and the Notes half asks through a
// Client, which is a freebusy.Source like any other.
func Example() {
	url, stop := startNATS()
	defer stop()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	subject := natstransport.WithSubject(natstransport.Subject("exchange"))

	// The Exchange half: a worker.
	worker, err := natstransport.NewServer([]string{url}, calendar, subject, natstransport.WithConcurrency(32))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer worker.Shutdown(ctx)

	// The Notes half: the client.
	client, err := natstransport.NewClient([]string{url}, subject)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer client.Close()
	fmt.Println("worker", worker.State(), "client", client.State())

	schedules, err := client.FreeBusy(ctx, freebusy.Query{
		Attendees: []string{"alice@example.com", "nobody@example.com"},
		Start:     day, End: day.Add(24 * time.Hour),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, s := range schedules {
		if s.Err != nil {
			fmt.Printf("%s: %v\n", s.Attendee, s.Err.Reason)
			continue
		}
		fmt.Printf("%s: 09:30 %v, 11:00 %v\n", s.Attendee, s.StatusAt(day.Add(9*time.Hour+30*time.Minute)), s.StatusAt(day.Add(11*time.Hour)))
	}
	// Output:
	// worker ready client ready
	// alice@example.com: 09:30 busy, 11:00 free
	// nobody@example.com: unknown-attendee
}

// With no worker listening on the subject, a call fails at once as
// unavailable: the NATS server says that no one would answer.
func ExampleClient_FreeBusy_noWorker() {
	url, stop := startNATS()
	defer stop()
	client, err := natstransport.NewClient([]string{url}, natstransport.WithSubject(natstransport.Subject("exchange")))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer client.Close()
	_, err = client.FreeBusy(context.Background(), freebusy.Query{Attendees: []string{"alice@example.com"}, Start: day, End: day.Add(time.Hour)})
	fmt.Println(freebusy.ReasonOf(err))
	fmt.Println(err)
	// Output:
	// unavailable
	// freebusy: unavailable: natstransport: no worker listens on calbridge.exchange.freebusy
}

func ExampleSubject() {
	fmt.Println(natstransport.Subject("exchange"))
	fmt.Println(natstransport.Subject("notes"))
	// Output:
	// calbridge.exchange.freebusy
	// calbridge.notes.freebusy
}

// A handler that answers query after query lends each answer a
// freebusy.ScheduleBuffer: the Client decodes the worker's compact answer
// into it, and the next answer, after a Reset, reuses its memory.
func ExampleClient_FreeBusyInto() {
	url, stop := startNATS()
	defer stop()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	worker, err := natstransport.NewServer([]string{url}, calendar)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer worker.Shutdown(ctx)
	client, err := natstransport.NewClient([]string{url})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer client.Close()

	var buf freebusy.ScheduleBuffer
	q := freebusy.Query{Attendees: []string{"alice@example.com"}, Start: day, End: day.Add(24 * time.Hour)}
	for range 2 {
		schedules, err := freebusy.AnswerInto(ctx, client, q, &buf)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(schedules[0].Attendee, schedules[0].StatusAt(day.Add(9*time.Hour)))
		buf.Reset() // once the answer is written: the schedules are gone
	}
	// Output:
	// alice@example.com busy
	// alice@example.com busy
}
