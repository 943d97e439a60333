package e2ebench

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/calbridge/calbridge/exchange/ews"
	"github.com/calbridge/calbridge/freebusy"
	"github.com/calbridge/calbridge/internal/sample"
	"github.com/calbridge/calbridge/transport"
)

// ewsPath is where the gateway's EWS handler listens, as Exchange's
// availability address space is told.
const ewsPath = "/EWS/Exchange.asmx"

// gateway is the answer path of an Exchange-facing gateway half, on
// loopback: an HTTP server running the EWS Handler, whose Source is a
// transport.Client dialing a transport.Server, whose Source is src.
type gateway struct {
	url    string
	client *http.Client
}

// startLink starts the RPC link to src on loopback: a transport.Server
// and a transport.Client dialing it. Both stop when tb ends, and the
// cleanup waits for every goroutine they started.
func startLink(tb testing.TB, src freebusy.Source) *transport.Client {
	tb.Helper()
	srv, err := transport.NewServer(src)
	require.NoError(tb, err)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(tb, err)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(l) }()
	link, err := transport.NewClient([]string{l.Addr().String()})
	require.NoError(tb, err)
	tb.Cleanup(func() {
		require.NoError(tb, link.Close())
		require.NoError(tb, srv.Close())
		require.ErrorIs(tb, <-served, transport.ErrServerClosed)
	})
	return link
}

// startGateway starts the path over src and stops it when tb ends,
// waiting for every goroutine it started.
func startGateway(tb testing.TB, src freebusy.Source) *gateway {
	tb.Helper()
	h, err := ews.NewHandler(startLink(tb, src))
	require.NoError(tb, err)
	hs := httptest.NewServer(h)
	tb.Cleanup(func() { // before the link's cleanup, registered earlier
		hs.Client().CloseIdleConnections()
		hs.Close()
	})
	return &gateway{url: hs.URL + ewsPath, client: hs.Client()}
}

// post sends one GetUserAvailability body and reads the whole answer into
// out, which is reset first.
func (g *gateway) post(ctx context.Context, body []byte, out *bytes.Buffer) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, g.url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "text/xml; charset=utf-8")
	resp, err := g.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	out.Reset()
	if _, err := out.ReadFrom(resp.Body); err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return errors.New("e2ebench: status " + resp.Status + ": " + string(out.Bytes()[:min(out.Len(), 300)]))
	}
	return nil
}

// handlerAnswer is the floor's answer: the EWS Handler over src in
// process, without the network.
func handlerAnswer(tb testing.TB, src freebusy.Source, body []byte) []byte {
	tb.Helper()
	h, err := ews.NewHandler(src)
	require.NoError(tb, err)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, ewsPath, bytes.NewReader(body)))
	require.Equal(tb, http.StatusOK, rec.Code, "%.300s", rec.Body.String())
	return rec.Body.Bytes()
}

// TestGatewayAnswersAsHandler: the answer that crossed the RPC link and
// HTTP is, byte for byte, the one the Handler gives over the same
// schedules in process, for canonical schedules and for raw ones.
func TestGatewayAnswersAsHandler(t *testing.T) {
	for _, canonical := range []bool{true, false} {
		q, ss := sample.Load100x7d(canonical)
		body := sample.LoadRequest(q)
		want := handlerAnswer(t, sample.LoadSource(ss), body)
		g := startGateway(t, sample.LoadSource(ss))
		var got bytes.Buffer
		require.NoError(t, g.post(context.Background(), body, &got))
		require.Equal(t, string(want), got.String(), "canonical=%v", canonical)
	}
}

// TestGatewayConcurrentAnswers: requests served at once through the
// gateway, each decoding the link's answer into a pooled
// freebusy.ScheduleBuffer, get the answer the Handler gives in process:
// no request sees another's schedules, and none sees its own after they
// went back to the pool (the race detector watches the buffers).
func TestGatewayConcurrentAnswers(t *testing.T) {
	q, ss := sample.Load100x7d(true)
	body := sample.LoadRequest(q)
	want := string(handlerAnswer(t, sample.LoadSource(ss), body))
	g := startGateway(t, sample.LoadSource(ss))
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var got bytes.Buffer
			for range 5 {
				if err := g.post(context.Background(), body, &got); err != nil {
					errs <- err
					return
				}
				if got.String() != want {
					errs <- errors.New("an answer differs from the Handler's in process")
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// BenchmarkGatewayEWS100x7d is an Exchange server's availability request
// for 100 mailboxes over one week (FreeBusyMerged at 30 minutes) through
// the gateway's answer path on loopback: HTTP to the EWS Handler, the RPC
// link (transport.Client to transport.Server over TCP), the in-memory
// Source, and back. Its floor is BenchmarkEWSHandler100x7d in
// exchange/ews. The whole answer is read into a reused buffer.
func BenchmarkGatewayEWS100x7d(b *testing.B) {
	q, ss := sample.Load100x7d(true)
	g := startGateway(b, sample.LoadSource(ss))
	body := sample.LoadRequest(q)
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	defer cancel()
	var out bytes.Buffer
	if err := g.post(ctx, body, &out); err != nil { // connect outside the timer
		b.Fatal(err)
	}
	size := out.Len()
	b.SetBytes(int64(size))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if err := g.post(ctx, body, &out); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(size), "answer-bytes")
}

// BenchmarkGatewayRPCLeg100x7d is the RPC leg of BenchmarkGatewayEWS100x7d
// alone: the EWS Handler's query (100 attendees, one week, 30-minute
// slots) from a transport.Client over loopback TCP to a transport.Server
// and the same in-memory Source, and its schedules back, decoded into a
// freebusy.ScheduleBuffer Reset after each call as the Handler does. With
// the HTTP leg below it splits the gap between the gateway and its floor.
func BenchmarkGatewayRPCLeg100x7d(b *testing.B) {
	q, ss := sample.Load100x7d(true)
	link := startLink(b, sample.LoadSource(ss))
	ctx := context.Background()
	var buf freebusy.ScheduleBuffer
	if _, err := link.FreeBusyInto(ctx, q, &buf); err != nil { // connect outside the timer
		b.Fatal(err)
	}
	buf.Reset()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		out, err := link.FreeBusyInto(ctx, q, &buf)
		if err != nil || len(out) != len(q.Attendees) {
			b.Fatal(err)
		}
		buf.Reset()
	}
}

// BenchmarkGatewayHTTPLeg100x7d is the HTTP leg of
// BenchmarkGatewayEWS100x7d alone: the same request posted over loopback
// to a handler that reads it and answers the same bytes, already encoded,
// with a Content-Length, as the EWS Handler does.
func BenchmarkGatewayHTTPLeg100x7d(b *testing.B) {
	q, ss := sample.Load100x7d(true)
	body := sample.LoadRequest(q)
	answer := handlerAnswer(b, sample.LoadSource(ss), body)
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.Copy(io.Discard, r.Body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "text/xml; charset=utf-8")
		w.Header().Set("Content-Length", strconv.Itoa(len(answer)))
		_, _ = w.Write(answer)
	}))
	b.Cleanup(func() {
		hs.Client().CloseIdleConnections()
		hs.Close()
	})
	g := &gateway{url: hs.URL + ewsPath, client: hs.Client()}
	ctx := context.Background()
	var out bytes.Buffer
	if err := g.post(ctx, body, &out); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(answer)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if err := g.post(ctx, body, &out); err != nil {
			b.Fatal(err)
		}
	}
}
