package e2ebench

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/calbridge/calbridge/exchange/ews"
	"github.com/calbridge/calbridge/freebusy"
	"github.com/calbridge/calbridge/internal/sample"
	"github.com/calbridge/calbridge/transport"
)

// The path the benchmarks measure, for one mailbox over one morning: an
// EWS request over HTTP, the RPC link over loopback TCP, and the Source at
// the far end. Whatever crossed the link, the answer is what the Source
// said: busy 09:00-10:30, tentative 10:00-11:00, at 30 minutes.
func Example() {
	src := freebusy.SourceFunc(func(_ context.Context, q freebusy.Query) ([]freebusy.Schedule, error) {
		out := make([]freebusy.Schedule, len(q.Attendees))
		for i, a := range q.Attendees {
			out[i] = freebusy.Schedule{Attendee: a, Start: q.Start, End: q.End, Intervals: []freebusy.Interval{
				{Start: sample.Load100x7dStart.Add(9 * time.Hour), End: sample.Load100x7dStart.Add(10*time.Hour + 30*time.Minute), Status: freebusy.Busy},
				{Start: sample.Load100x7dStart.Add(10 * time.Hour), End: sample.Load100x7dStart.Add(11 * time.Hour), Status: freebusy.Tentative},
			}}
		}
		return out, nil
	})

	// The far half: the Source behind an RPC server.
	srv, err := transport.NewServer(src)
	if err != nil {
		fmt.Println(err)
		return
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println(err)
		return
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(l) }()
	defer func() { _ = srv.Close(); <-served }()

	// The near half: the EWS handler asking through the RPC client.
	link, err := transport.NewClient([]string{l.Addr().String()})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer link.Close()
	h, err := ews.NewHandler(link)
	if err != nil {
		fmt.Println(err)
		return
	}
	hs := httptest.NewServer(h)
	defer hs.Close()
	defer hs.Client().CloseIdleConnections()

	q := freebusy.Query{Attendees: []string{"jane@exchange.example.com"}, Start: sample.Load100x7dStart.Add(8 * time.Hour), End: sample.Load100x7dStart.Add(12 * time.Hour)}
	body := strings.Replace(string(sample.LoadRequest(q)), "<t:RequestedView>FreeBusyMerged", "<t:RequestedView>MergedOnly", 1)
	resp, err := hs.Client().Post(hs.URL+ewsPath, "text/xml; charset=utf-8", bytes.NewReader([]byte(body)))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	answer, err := ews.DecodeAvailabilityResponse(resp.Body)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(resp.StatusCode == http.StatusOK, answer.Responses[0].View.MergedFreeBusy)
	// Output:
	// true 00222100
}
