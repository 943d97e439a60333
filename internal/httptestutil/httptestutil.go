// Package httptestutil holds the HTTP test fixtures that the side packages'
// tests share: a ResponseWriter that records read deadlines, a body that
// notes when it is first read, a server that never answers, and a client
// that sends part of a body and then nothing. Only tests import it
// (deps_test.go checks), so none of it reaches a program.
package httptestutil

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// Patience bounds the waits for what must happen: it is reached only when
// the code is wrong, never because a machine is loaded.
const Patience = 10 * time.Second

// DeadlineWriter is a ResponseWriter that takes read deadlines, as the
// server's does, and records them.
type DeadlineWriter struct {
	*httptest.ResponseRecorder
	Deadlines []time.Time
}

// NewDeadlineWriter returns a DeadlineWriter over a fresh recorder.
func NewDeadlineWriter() *DeadlineWriter {
	return &DeadlineWriter{ResponseRecorder: httptest.NewRecorder()}
}

// SetReadDeadline records t; http.ResponseController finds it.
func (w *DeadlineWriter) SetReadDeadline(t time.Time) error {
	w.Deadlines = append(w.Deadlines, t)
	return nil
}

// SpyBody is a request body that records how many deadlines W had been
// given when it was first read.
type SpyBody struct {
	io.Reader
	W *DeadlineWriter
	// AtFirstRead is len(W.Deadlines) at the first Read; WasRead reports
	// whether there was one.
	AtFirstRead int
	WasRead     bool
}

// Read implements io.Reader.
func (b *SpyBody) Read(p []byte) (int, error) {
	if !b.WasRead {
		b.WasRead, b.AtFirstRead = true, len(b.W.Deadlines)
	}
	return b.Reader.Read(p)
}

// Close implements io.Closer.
func (b *SpyBody) Close() error { return nil }

// HungServer starts a server that never answers: each request waits until
// the test ends or the client gives up. It is closed at cleanup.
func HungServer(t testing.TB) *httptest.Server {
	t.Helper()
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })
	return srv
}

// Trickle connects to srv, writes head (a request line, headers and the
// first bytes of a longer body) and then nothing, and reads the response.
// It returns the response and the connection's reader, so that the caller
// can check that the server then closes the connection. Every wait is
// bounded by Patience.
func Trickle(t testing.TB, srv *httptest.Server, head string) (*http.Response, *bufio.Reader) {
	t.Helper()
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	if err := conn.SetDeadline(time.Now().Add(Patience)); err != nil {
		t.Fatalf("deadline: %v", err)
	}
	if _, err := io.WriteString(conn, head); err != nil {
		t.Fatalf("write: %v", err)
	}
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("no answer to a body that stopped arriving: %v", err)
	}
	return resp, br
}
