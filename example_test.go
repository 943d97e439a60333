package calbridge_test

import (
	"context"
	"fmt"
	"net"
	"net/http/httptest"
	"time"

	"github.com/calbridge/calbridge/exchange/ews"

	"github.com/calbridge/calbridge/internal/sample"

	"github.com/calbridge/calbridge/freebusy"
	"github.com/calbridge/calbridge/notes"
	"github.com/calbridge/calbridge/transport"
)

// Example is the walk-through: an Exchange user asks about Notes users
// through both halves of a gateway. The Notes half serves the sample Notes
// calendars over the RPC transport; the Exchange half is an EWS endpoint
// whose Source is a transport client of the Notes half; an ordinary EWS
// client asks it. Each step is a freebusy.Source, so the pieces compose.
func Example() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	// Notes half: Notes calendar exports, served over the RPC transport.
	calendars, err := notes.LoadCalendars(sample.NotesCalendars())
	if err != nil {
		panic(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	notesHalf, err := transport.NewServer(calendars, transport.WithToken("s3cret"))
	if err != nil {
		panic(err)
	}
	go notesHalf.Serve(ln)
	defer notesHalf.Close()

	// Exchange half: a reconnecting client of the Notes half, served as an
	// EWS availability endpoint.
	toNotes, err := transport.NewClient([]string{ln.Addr().String()}, transport.WithToken("s3cret"))
	if err != nil {
		panic(err)
	}
	defer toNotes.Close()
	ewsHandler, err := ews.NewHandler(toNotes)
	if err != nil {
		panic(err)
	}
	ewsServer := httptest.NewServer(ewsHandler)
	defer ewsServer.Close()

	// Any EWS client can now ask about Notes users, by SMTP address.
	asker, err := ews.NewClient(ewsServer.URL + "/EWS/Exchange.asmx")
	if err != nil {
		panic(err)
	}
	day := time.Date(2024, 3, 12, 0, 0, 0, 0, time.UTC)
	schedules, err := asker.FreeBusy(ctx, freebusy.Query{
		Attendees:   []string{"jane.doe@acme.example", "klaus.weber@acme.example", "nobody@acme.example"},
		Start:       day,
		End:         day.Add(24 * time.Hour),
		Granularity: time.Hour,
	})
	if err != nil {
		panic(err)
	}
	for _, s := range schedules {
		view, _ := s.AvailabilityView(time.Hour, freebusy.ViewOptions{})
		if s.Err != nil {
			fmt.Println(s.Attendee, view, s.Err.Reason)
			continue
		}
		fmt.Println(s.Attendee, view)
	}
	// Jane (New York) has a roadmap review at 14:00 UTC and a call prep at
	// 14:00-15:30 EDT, which is 18:00-19:30 UTC two days after the DST
	// change; nobody@ is unknown, so no data (4), never free (0).

	// Output:
	// jane.doe@acme.example 000000000000002000220000
	// klaus.weber@acme.example 000000000000002000000000
	// nobody@acme.example 444444444444444444444444 unknown-attendee
}
