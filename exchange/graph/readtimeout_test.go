package graph

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

// patience bounds waits for what must happen: reached only when the code
// is wrong, never by a loaded machine.
const patience = 10 * time.Second

// deadlineWriter is a ResponseWriter that takes read deadlines, as the
// server's does, and records them.
type deadlineWriter struct {
	*httptest.ResponseRecorder
	deadlines []time.Time
}

func (w *deadlineWriter) SetReadDeadline(t time.Time) error {
	w.deadlines = append(w.deadlines, t)
	return nil
}

// spyBody records how many deadlines had been set when it was first read.
type spyBody struct {
	io.Reader
	w       *deadlineWriter
	atFirst int
	read    bool
}

func (b *spyBody) Read(p []byte) (int, error) {
	if !b.read {
		b.read, b.atFirst = true, len(b.w.deadlines)
	}
	return b.Reader.Read(p)
}

func (b *spyBody) Close() error { return nil }

const scheduleBody = `{"schedules":["a@contoso.com"],"startTime":{"dateTime":"2024-01-01T08:00:00","timeZone":"UTC"},"endTime":{"dateTime":"2024-01-01T10:00:00","timeZone":"UTC"},"availabilityViewInterval":30}`

func TestReadTimeoutOption(t *testing.T) {
	h := newTestHandler(t, &graphFakeSource{})
	assert.Equal(t, DefaultReadTimeout, h.cfg.ReadTimeout)
	assert.Equal(t, 30*time.Second, DefaultReadTimeout, "the documented default")
	h = newTestHandler(t, &graphFakeSource{}, WithReadTimeout(0))
	assert.Zero(t, h.cfg.ReadTimeout, "zero leaves the body to the server")
	_, err := NewHandler(&graphFakeSource{}, WithReadTimeout(-time.Second))
	assert.ErrorIs(t, err, ErrInvalidOption)
	assert.ErrorContains(t, err, "graph: WithReadTimeout")
}

// The Handler gives the body its deadline, Now plus the read timeout,
// before it reads a byte of it.
func TestHandlerSetsTheBodyDeadlineFirst(t *testing.T) {
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	h := newTestHandler(t, &graphFakeSource{}, WithReadTimeout(7*time.Second))
	h.cfg.Now = func() time.Time { return now }
	w := &deadlineWriter{ResponseRecorder: httptest.NewRecorder()}
	r := httptest.NewRequest(http.MethodPost, "/me/calendar/getSchedule", nil)
	body := &spyBody{Reader: strings.NewReader(scheduleBody), w: w}
	r.Body = body
	h.ServeHTTP(w, r)
	assert.Equal(t, http.StatusOK, w.Code, w.Body.String())
	assert.Equal(t, []time.Time{now.Add(7 * time.Second)}, w.deadlines)
	assert.True(t, body.read)
	assert.Equal(t, 1, body.atFirst, "the deadline comes before the first read")
}

// A ResponseWriter that takes no deadlines (httptest.ResponseRecorder) is
// served as before.
func TestHandlerWithoutDeadlineSupport(t *testing.T) {
	h := newTestHandler(t, &graphFakeSource{}, WithReadTimeout(time.Nanosecond))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/me/calendar/getSchedule", strings.NewReader(scheduleBody)))
	assert.Equal(t, http.StatusOK, rec.Code, rec.Body.String())
}

// Behind a real http.Server with no timeouts of its own, a client that
// sends part of its body and then nothing is answered 408 at the
// Handler's deadline and its connection closed. The test waits for that;
// it never sleeps.
func TestHandlerCutsOffATricklingBody(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) })
	srv := httptest.NewServer(newTestHandler(t, &graphFakeSource{}, WithReadTimeout(50*time.Millisecond)))
	t.Cleanup(srv.Close)
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	require.NoError(t, conn.SetDeadline(time.Now().Add(patience)))
	_, err = io.WriteString(conn, "POST /me/calendar/getSchedule HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{")
	require.NoError(t, err)
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	require.NoError(t, err, "the Handler answers a body that stopped arriving")
	var e ErrorResponse
	require.NoError(t, decodeJSON(resp.Body, 1<<16, "error", &e))
	assert.Equal(t, http.StatusRequestTimeout, resp.StatusCode)
	assert.Contains(t, e.Error.Message, "did not arrive in time")
	_, err = br.ReadByte()
	assert.ErrorIs(t, err, io.EOF, "and the server closes the connection")
}
