package ews

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/calbridge/calbridge/internal/httptestutil"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

var readTimeoutNow = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func TestReadTimeoutOption(t *testing.T) {
	h, err := NewHandler(emptySource())
	require.NoError(t, err)
	assert.Equal(t, DefaultReadTimeout, h.cfg.ReadTimeout)
	assert.Equal(t, 30*time.Second, DefaultReadTimeout, "the documented default")
	ad, err := NewAutodiscoverHandler(testURL)
	require.NoError(t, err)
	assert.Equal(t, DefaultReadTimeout, ad.cfg.ReadTimeout)

	h, err = NewHandler(emptySource(), WithReadTimeout(0))
	require.NoError(t, err, "zero leaves the body to the server")
	assert.Zero(t, h.cfg.ReadTimeout)

	_, err = NewHandler(emptySource(), WithReadTimeout(-time.Second))
	assert.ErrorIs(t, err, ErrInvalidOption)
	assert.ErrorContains(t, err, "ews: WithReadTimeout")
	_, err = NewAutodiscoverHandler(testURL, WithReadTimeout(-time.Second))
	assert.ErrorIs(t, err, ErrInvalidOption)
}

// Both handlers give the body its deadline, Now plus the read timeout,
// before they read a byte of it.
func TestHandlersSetTheBodyDeadlineFirst(t *testing.T) {
	h, err := NewHandler(emptySource(), WithReadTimeout(7*time.Second))
	require.NoError(t, err)
	h.cfg.Now = func() time.Time { return readTimeoutNow }
	ad, err := NewAutodiscoverHandler(testURL, WithReadTimeout(7*time.Second))
	require.NoError(t, err)
	ad.cfg.Now = h.cfg.Now

	doc := encodeRequest(t, utcRequest(ViewFreeBusy, 30, readTimeoutNow, readTimeoutNow.Add(time.Hour), "a@example.com"))
	for name, handler := range map[string]http.Handler{"Handler": h, "AutodiscoverHandler": ad} {
		w := httptestutil.NewDeadlineWriter()
		r := httptest.NewRequest(http.MethodPost, "/", nil)
		body := &httptestutil.SpyBody{Reader: bytes.NewReader(doc), W: w}
		r.Body = body
		handler.ServeHTTP(w, r)
		assert.Equal(t, []time.Time{readTimeoutNow.Add(7 * time.Second)}, w.Deadlines, name)
		assert.True(t, body.WasRead, name)
		assert.Equal(t, 1, body.AtFirstRead, "%s: the deadline comes before the first read", name)
	}
}

// A ResponseWriter that takes no deadlines (httptest.ResponseRecorder)
// is served as before.
func TestHandlerWithoutDeadlineSupport(t *testing.T) {
	h := newTestHandler(t, &recordingSource{}, WithReadTimeout(time.Nanosecond))
	resp, err, code := serve(t, h, encodeRequest(t, utcRequest(ViewFreeBusy, 30, readTimeoutNow, readTimeoutNow.Add(time.Hour), "a@example.com")))
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, code)
	assert.Len(t, resp.Responses, 1)
}

// Behind a real http.Server with no timeouts of its own, a client that
// sends part of its body and then nothing is answered 408 at the
// handler's deadline and its connection closed. The test waits for that;
// it never sleeps.
func TestHandlersCutOffATricklingBody(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) })
	h := newTestHandler(t, emptySource(), WithReadTimeout(50*time.Millisecond))
	ad, err := NewAutodiscoverHandler(testURL, WithReadTimeout(50*time.Millisecond))
	require.NoError(t, err)
	for name, tc := range map[string]struct {
		handler http.Handler
		ct      string
	}{
		"Handler SOAP 1.1":    {h, "text/xml; charset=utf-8"},
		"Handler SOAP 1.2":    {h, "application/soap+xml; charset=utf-8"},
		"AutodiscoverHandler": {ad, "text/xml"},
	} {
		t.Run(name, func(t *testing.T) {
			srv := httptest.NewServer(tc.handler)
			t.Cleanup(srv.Close)
			status := trickle(t, srv, tc.ct)
			assert.Equal(t, http.StatusRequestTimeout, status)
		})
	}
}

// trickle sends the headers and the first byte of a 1000-byte body, then
// nothing, and returns the status of the answer, checking that the server
// closes the connection after it.
func trickle(t *testing.T, srv *httptest.Server, contentType string) int {
	t.Helper()
	resp, br := httptestutil.Trickle(t, srv, "POST /EWS/Exchange.asmx HTTP/1.1\r\nHost: x\r\nContent-Type: "+contentType+"\r\nContent-Length: 1000\r\n\r\n<")
	_, err := io.Copy(io.Discard, resp.Body)
	require.NoError(t, err)
	_, err = br.ReadByte()
	assert.ErrorIs(t, err, io.EOF, "and the server closes the connection")
	return resp.StatusCode
}
