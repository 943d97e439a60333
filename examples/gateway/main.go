// Command gateway runs a complete Notes <-> Exchange free/busy gateway in one
// process, on loopback, from embedded sample data: no Domino or Exchange
// server is needed.
//
// It wires the two halves of the gateway's data flow (see the package tour,
// go doc github.com/calbridge/calbridge):
//
//	Exchange user asks about Notes users:
//	  EWS client -> ews.Handler (Exchange half) -> transport.Client
//	    == JSON-RPC over TCP ==> transport.Server (Notes half) -> notes.CalendarSource
//
//	Notes user asks about Exchange users:
//	  DAS client -> das.Handler (Notes half) -> transport.Client
//	    == JSON-RPC over TCP ==> transport.Server (Exchange half) -> ews.Client
//	    -> a stand-in Exchange server (ews.Handler over sample Outlook calendars)
//
// Then it restarts the Notes half, as an outage would, and asks again with
// the same client objects: the Exchange half reconnects by itself (the old
// connector's KB Q201280 failure was that it did not).
//
// Usage:
//
//	go run ./examples/gateway [-day 2024-03-12] [-slot 30m] [-token secret]
package main

import (
	"context"
	"embed"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/calbridge/calbridge/exchange/ews"

	"github.com/calbridge/calbridge/internal/sample"

	"github.com/calbridge/calbridge/notes/das"

	"github.com/calbridge/calbridge/freebusy/ical"

	"github.com/calbridge/calbridge/freebusy"
	"github.com/calbridge/calbridge/notes"
	"github.com/calbridge/calbridge/transport"
)

//go:embed exchange-calendars/*.ics
var exchangeCalendars embed.FS

// config is what the flags set.
type config struct {
	// Day is the UTC day shown.
	Day time.Time
	// Slot is the grid's slot length.
	Slot time.Duration
	// Token is the shared secret between the two halves.
	Token string
}

func main() {
	day := flag.String("day", "2024-03-12", "UTC day to show (YYYY-MM-DD); the sample data covers 2024-03-11 to 2024-03-15")
	slot := flag.Duration("slot", 30*time.Minute, "slot length of the grid")
	token := flag.String("token", "gateway-demo", "shared token between the gateway halves")
	flag.Parse()
	d, err := time.Parse(time.DateOnly, *day)
	if err != nil {
		fmt.Fprintln(os.Stderr, "gateway: -day:", err)
		os.Exit(2)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := run(ctx, config{Day: d, Slot: *slot, Token: *token}, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "gateway:", err)
		os.Exit(1)
	}
}

// run starts everything, asks in both directions, restarts the Notes half,
// asks again, and shuts everything down.
func run(ctx context.Context, cfg config, w io.Writer) error {
	// The data behind each half.
	notesData, err := notes.LoadCalendars(sample.NotesCalendars())
	if err != nil {
		return fmt.Errorf("load Notes calendars: %w", err)
	}
	exchangeHandler, err := ews.NewHandler(calendarSource{fsys: exchangeCalendars})
	if err != nil {
		return err
	}
	exchangeStandIn, err := serveHTTP(exchangeHandler)
	if err != nil {
		return err
	}
	defer exchangeStandIn.Close()
	exchangeData, err := ews.NewClient(exchangeStandIn.url + "/EWS/Exchange.asmx")
	if err != nil {
		return err
	}

	// The Notes half's RPC service, answering from Notes calendars, and the
	// Exchange half's, answering from Exchange through EWS.
	notesHalf, err := startRPC(notesData, cfg.Token, "127.0.0.1:0")
	if err != nil {
		return err
	}
	defer func() { notesHalf.stop() }()
	exchangeHalf, err := startRPC(exchangeData, cfg.Token, "127.0.0.1:0")
	if err != nil {
		return err
	}
	defer exchangeHalf.stop()

	// Each half's client of the other. Waiting for ready lets a query that
	// arrives during a reconnect wait (within its deadline) instead of
	// failing at once.
	toNotes, err := transport.NewClient([]string{notesHalf.addr}, transport.WithToken(cfg.Token), transport.WithWaitForReady(true))
	if err != nil {
		return err
	}
	defer toNotes.Close()
	toExchange, err := transport.NewClient([]string{exchangeHalf.addr}, transport.WithToken(cfg.Token), transport.WithWaitForReady(true))
	if err != nil {
		return err
	}
	defer toExchange.Close()

	// The front doors: an EWS availability endpoint on the Exchange half
	// (an availability address space would point here) and a DAS endpoint
	// on the Notes half.
	ewsHandler, err := ews.NewHandler(toNotes)
	if err != nil {
		return err
	}
	ewsFront, err := serveHTTP(ewsHandler)
	if err != nil {
		return err
	}
	defer ewsFront.Close()
	dasHandler, err := das.NewHandler(toExchange)
	if err != nil {
		return err
	}
	dasFront, err := serveHTTP(dasHandler)
	if err != nil {
		return err
	}
	defer dasFront.Close()

	// The askers: any EWS client, and any DAS client.
	exchangeUser, err := ews.NewClient(ewsFront.url + "/EWS/Exchange.asmx")
	if err != nil {
		return err
	}
	notesUser, err := das.NewClient(dasFront.url)
	if err != nil {
		return err
	}

	start, end := cfg.Day.UTC(), cfg.Day.UTC().Add(24*time.Hour)
	notesPeople := freebusy.Query{Start: start, End: end, Granularity: cfg.Slot, Attendees: []string{
		"jane.doe@acme.example", "klaus.weber@acme.example", "priya.raman@acme.example", "ana.souza@acme.example", "nobody@acme.example",
	}}
	exchangePeople := freebusy.Query{Start: start, End: end, Granularity: cfg.Slot, Attendees: []string{
		"alex.wilber@contoso.example", "megan.bowen@contoso.example",
	}}

	fmt.Fprintf(w, "calbridge gateway demo, %s UTC, %s slots\n", cfg.Day.Format(time.DateOnly), cfg.Slot)
	fmt.Fprintln(w, legend)

	fmt.Fprintln(w, "\n1. An Exchange user asks about Notes users (EWS -> RPC -> Notes calendars):")
	if err := ask(ctx, w, exchangeUser, notesPeople); err != nil {
		return err
	}
	fmt.Fprintln(w, "\n2. A Notes user asks about Exchange users (DAS -> RPC -> EWS):")
	if err := ask(ctx, w, notesUser, exchangePeople); err != nil {
		return err
	}

	fmt.Fprintln(w, "\n3. The Notes half restarts; the same Exchange-half client reconnects by itself:")
	addr := notesHalf.addr
	notesHalf.stop()
	if err := waitForState(ctx, toNotes, transport.TransientFailure); err != nil {
		return err
	}
	fmt.Fprintf(w, "   Notes half down: Exchange half's link is %s\n", toNotes.State())
	if notesHalf, err = startRPC(notesData, cfg.Token, addr); err != nil {
		return err
	}
	if err := ask(ctx, w, exchangeUser, notesPeople); err != nil {
		return err
	}
	st := toNotes.Stats()
	fmt.Fprintf(w, "   link %s after %d reconnect(s)\n", st.State, st.Reconnects)
	return nil
}

const legend = "   legend: . free  t tentative  B busy  O out of office  w working elsewhere  ? no data"

// ask queries src and prints one grid row per attendee, with an hour ruler.
func ask(ctx context.Context, w io.Writer, src freebusy.Source, q freebusy.Query) error {
	schedules, err := src.FreeBusy(ctx, q)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "   %-30s %s\n", "", ruler(q))
	for _, s := range schedules {
		view, err := s.AvailabilityView(q.Slot(), freebusy.ViewOptions{})
		if err != nil {
			return err
		}
		row := strings.Map(gridChar, view)
		note := ""
		switch {
		case s.Err != nil:
			note = "  (" + s.Err.Reason.String() + ")"
		case s.Stale:
			note = "  (stale)"
		}
		fmt.Fprintf(w, "   %-30s %s%s\n", s.Attendee, row, note)
	}
	return nil
}

func gridChar(r rune) rune {
	switch r {
	case '0':
		return '.'
	case '1':
		return 't'
	case '2':
		return 'B'
	case '3':
		return 'O'
	}
	return '?'
}

// ruler labels the hours of q's window (UTC) above the grid's columns,
// wherever a label fits.
func ruler(q freebusy.Query) string {
	slots := int((q.End.Sub(q.Start) + q.Slot() - 1) / q.Slot())
	line := []byte(strings.Repeat(" ", slots))
	next := 0 // first column free for a label
	for i := 0; i < slots; i++ {
		t := q.Start.Add(time.Duration(i) * q.Slot()).UTC()
		if t.Minute() != 0 || t.Second() != 0 || i < next || i+2 > slots {
			continue
		}
		copy(line[i:], fmt.Sprintf("%02d", t.Hour()))
		next = i + 3
	}
	return strings.TrimRight(string(line), " ")
}

// waitForState waits until c reaches want.
func waitForState(ctx context.Context, c *transport.Client, want transport.State) error {
	for {
		s := c.State()
		if s == want {
			return nil
		}
		if !c.WaitForStateChange(ctx, s) {
			return fmt.Errorf("waiting for %s: %w", want, ctx.Err())
		}
	}
}

// rpcHalf is one running transport server.
type rpcHalf struct {
	addr string
	srv  *transport.Server
	done chan struct{}
}

func startRPC(src freebusy.Source, token, addr string) (*rpcHalf, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	srv, err := transport.NewServer(src, transport.WithToken(token))
	if err != nil {
		_ = l.Close()
		return nil, err
	}
	h := &rpcHalf{addr: l.Addr().String(), srv: srv, done: make(chan struct{})}
	go func() {
		defer close(h.done)
		_ = h.srv.Serve(l) // returns when stopped
	}()
	return h, nil
}

// stop shuts the server down, giving calls in flight a second to finish.
func (h *rpcHalf) stop() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := h.srv.Shutdown(ctx); err != nil {
		_ = h.srv.Close()
	}
	<-h.done
}

// httpServer is an HTTP server on a loopback port.
type httpServer struct {
	url string
	srv *http.Server
	ln  net.Listener
}

func serveHTTP(h http.Handler) (*httpServer, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	srv := &http.Server{
		Handler: h,
		// Every phase of a request is bounded, so that clients that are
		// slow, or slow on purpose, cannot hold connections, goroutines
		// and buffers: the headers must arrive within 5 s, the whole
		// request, body included, within 30 s (the handlers' own body
		// deadline, their WithReadTimeout, is 30 s too), and the answer
		// must be written within 60 s of the request's start, which
		// leaves the handlers time to ask their Source. A keep-alive
		// connection idle for 2 minutes is closed, and request headers
		// are capped at 64 KiB (Go's default is 1 MiB), ample for
		// authentication tokens.
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
	}
	s := &httpServer{url: "http://" + l.Addr().String(), srv: srv, ln: l}
	go func() { _ = s.srv.Serve(l) }()
	return s, nil
}

func (s *httpServer) Close() { _ = s.srv.Close() }

// calendarSource is the stand-in Exchange mailbox store: one Outlook .ics
// export per user, named <address>.ics.
type calendarSource struct{ fsys fs.FS }

func (c calendarSource) FreeBusy(ctx context.Context, q freebusy.Query) ([]freebusy.Schedule, error) {
	if err := q.Validate(); err != nil {
		return nil, err
	}
	out := make([]freebusy.Schedule, len(q.Attendees))
	for i, a := range q.Attendees {
		f, err := c.fsys.Open("exchange-calendars/" + strings.ToLower(a) + ".ics")
		if errors.Is(err, fs.ErrNotExist) || strings.ContainsAny(a, "/\\") {
			out[i] = freebusy.Failed(a, q.Start, q.End, freebusy.ReasonUnknownAttendee, nil)
			continue
		} else if err != nil {
			return nil, err
		}
		ivs, _, err := ical.DecodeCalendar(f, q.Start, q.End, ical.CalendarOptions{})
		f.Close()
		if err != nil {
			out[i] = freebusy.Failed(a, q.Start, q.End, freebusy.ReasonInvalid, err)
			continue
		}
		out[i] = freebusy.Schedule{Attendee: a, Start: q.Start.UTC(), End: q.End.UTC(), Intervals: ivs}
	}
	return out, nil
}
