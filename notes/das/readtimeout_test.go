package das

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

func TestReadTimeoutOption(t *testing.T) {
	h := newHandler(t, &dasRecordingSource{})
	assert.Equal(t, DefaultReadTimeout, h.cfg.ReadTimeout)
	assert.Equal(t, 30*time.Second, DefaultReadTimeout, "the documented default")
	h = newHandler(t, &dasRecordingSource{}, WithReadTimeout(0))
	assert.Zero(t, h.cfg.ReadTimeout, "zero leaves the body to the server")
	_, err := NewHandler(&dasRecordingSource{}, WithReadTimeout(-time.Second))
	assert.ErrorIs(t, err, ErrInvalidOption)
	assert.ErrorContains(t, err, "das: WithReadTimeout")
}

// A request that carries a body gets a deadline for it, Now plus the read
// timeout; one without a body gets none (the server is already reading
// the connection, and a deadline would end the request's context).
func TestHandlerSetsTheBodyDeadline(t *testing.T) {
	now := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	h := newHandler(t, &dasRecordingSource{}, WithReadTimeout(7*time.Second))
	h.cfg.Now = func() time.Time { return now }

	w := httptestutil.NewDeadlineWriter()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, PathRoot, strings.NewReader("unasked for")))
	assert.Equal(t, http.StatusOK, w.Code)
	assert.Equal(t, []time.Time{now.Add(7 * time.Second)}, w.Deadlines)

	w = httptestutil.NewDeadlineWriter()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, PathRoot, nil))
	assert.Equal(t, http.StatusOK, w.Code)
	assert.Empty(t, w.Deadlines)
}

// Behind a real http.Server with no timeouts of its own, a GET whose body
// trickles would hold the connection while the server reads what the
// Handler left of the body; the Handler's deadline cuts it off, the answer
// goes out and the connection is closed. The test waits for that; it never
// sleeps.
func TestHandlerCutsOffATricklingBody(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) })
	srv := httptest.NewServer(newHandler(t, &dasRecordingSource{}, WithReadTimeout(50*time.Millisecond)))
	t.Cleanup(srv.Close)
	resp, br := httptestutil.Trickle(t, srv, "GET "+PathRoot+" HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nx")
	var err error
	_, err = io.Copy(io.Discard, resp.Body)
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	_, err = br.ReadByte()
	assert.ErrorIs(t, err, io.EOF, "and the server closes the connection")
}
