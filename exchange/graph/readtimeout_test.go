package graph

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/calbridge/calbridge/internal/httptestutil"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

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
	w := httptestutil.NewDeadlineWriter()
	r := httptest.NewRequest(http.MethodPost, "/me/calendar/getSchedule", nil)
	body := &httptestutil.SpyBody{Reader: strings.NewReader(scheduleBody), W: w}
	r.Body = body
	h.ServeHTTP(w, r)
	assert.Equal(t, http.StatusOK, w.Code, w.Body.String())
	assert.Equal(t, []time.Time{now.Add(7 * time.Second)}, w.Deadlines)
	assert.True(t, body.WasRead)
	assert.Equal(t, 1, body.AtFirstRead, "the deadline comes before the first read")
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
	resp, br := httptestutil.Trickle(t, srv, "POST /me/calendar/getSchedule HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{")
	var err error
	var e ErrorResponse
	require.NoError(t, decodeJSON(resp.Body, 1<<16, requestLimits, "error", &e))
	assert.Equal(t, http.StatusRequestTimeout, resp.StatusCode)
	assert.Contains(t, e.Error.Message, "did not arrive in time")
	_, err = br.ReadByte()
	assert.ErrorIs(t, err, io.EOF, "and the server closes the connection")
}
