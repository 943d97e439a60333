// Command customtransport shows how to carry calbridge's free/busy queries
// between the two halves of a gateway over a transport of your own: here
// plain HTTP with JSON bodies (carrier.go), in place of the JSON-RPC link of
// package transport.
//
// A transport is nothing more than a freebusy.Source on the calling side
// and an adapter that serves a freebusy.Source on the answering side. The
// program runs both on loopback:
//
//	far half:  Notes calendar exports (notes.CalendarSource) served by the carrier
//	near half: the EWS handler (what Exchange's availability service calls)
//	           answering from the carrier's client
//
// then asks the near half with calbridge's own EWS client, as Exchange would,
// prints what came back, stops the far half and asks again: the answer
// still comes, with a reason per attendee instead of a blank.
//
//	go run ./examples/customtransport
//
// This carrier is deliberately small. For one built the same way to run in
// production, read package transport/natstransport: the same two pieces (a
// Client that is a freebusy.Source, a Server that serves one) over NATS,
// with a queue group of workers, heartbeats so that a dead worker costs a
// retry and not a deadline, the hop count that stops loops, bounded
// decoding, and the connection state a health page needs. examples/gateway
// selects it with "transport": "nats://...".
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/calbridge/calbridge/exchange/ews"
	"github.com/calbridge/calbridge/freebusy"
	"github.com/calbridge/calbridge/internal/sample"
	"github.com/calbridge/calbridge/notes"
)

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := run(ctx, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "customtransport:", err)
		os.Exit(1)
	}
}

// The people asked about: two Notes users by their SMTP addresses, as
// Exchange names them, and one address nobody has.
var attendees = []string{"jane.doe@acme.example", "klaus.weber@acme.example", "nobody@acme.example"}

func run(ctx context.Context, w io.Writer) error {
	notesCalendars, err := notes.LoadCalendars(sample.NotesCalendars())
	if err != nil {
		return err
	}

	// The far half: any freebusy.Source, served by the carrier.
	far, farURL, err := listen(serveCarrier(notesCalendars))
	if err != nil {
		return err
	}
	defer far.Close()

	// The near half: the EWS handler over the carrier's client.
	carrier := &httpCarrier{url: farURL, client: &http.Client{Timeout: 10 * time.Second}}
	handler, err := ews.NewHandler(carrier)
	if err != nil {
		return err
	}
	near, nearURL, err := listen(handler)
	if err != nil {
		return err
	}
	defer near.Close()

	// Exchange's side of the conversation.
	exchange, err := ews.NewClient(nearURL + "/EWS/Exchange.asmx")
	if err != nil {
		return err
	}
	q := freebusy.Query{
		Attendees:   attendees,
		Start:       sample.WeekStart,
		End:         sample.WeekStart.Add(24 * time.Hour),
		Granularity: 30 * time.Minute,
	}

	fmt.Fprintf(w, "EWS GetUserAvailability -> EWS handler -> HTTP/JSON carrier -> Notes calendars, %s (UTC)\n",
		q.Start.Format("Mon 2 Jan 2006"))
	if err := ask(ctx, w, exchange, q); err != nil {
		return err
	}

	fmt.Fprintln(w, "\nThe far half stops; the same question again:")
	if err := far.Close(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return ask(ctx, w, exchange, q)
}

// ask sends q through the whole chain and prints one line per attendee.
func ask(ctx context.Context, w io.Writer, src freebusy.Source, q freebusy.Query) error {
	schedules, err := src.FreeBusy(ctx, q)
	if err != nil {
		return err
	}
	for _, s := range schedules {
		if s.Err != nil {
			fmt.Fprintf(w, "  %-26s no data: %s\n", s.Attendee, s.Err.Reason)
			continue
		}
		view, err := s.AvailabilityView(q.Granularity, freebusy.ViewOptions{})
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "  %-26s %s\n", s.Attendee, view)
	}
	return nil
}

// listen serves h on a loopback port and returns the server and its URL.
func listen(h http.Handler) (*http.Server, string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return srv, "http://" + ln.Addr().String(), nil
}
