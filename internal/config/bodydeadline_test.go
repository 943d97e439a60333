package config

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/calbridge/calbridge/internal/httptestutil"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func fixedNow() time.Time { return time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC) }

func TestBoundBodySetsTheDeadlineBeforeTheBodyIsRead(t *testing.T) {
	c := Defaults()
	c.Now = fixedNow
	assert.Equal(t, DefaultReadTimeout, c.ReadTimeout)
	w := httptestutil.NewDeadlineWriter()
	r := httptest.NewRequest(http.MethodPost, "/", nil)
	body := &httptestutil.SpyBody{Reader: strings.NewReader("<doc/>"), W: w}
	r.Body = body
	timedOut := c.BoundBody(w, r)
	got, err := io.ReadAll(r.Body)
	require.NoError(t, err)
	assert.Equal(t, "<doc/>", string(got), "the body reads as before")
	assert.Equal(t, []time.Time{fixedNow().Add(DefaultReadTimeout)}, w.Deadlines)
	assert.Equal(t, 1, body.AtFirstRead, "the deadline is set before the first read")
	assert.False(t, timedOut())
}

func TestBoundBodySetsNothing(t *testing.T) {
	withServer := func(r *http.Request, rt time.Duration) *http.Request {
		return r.WithContext(context.WithValue(r.Context(), http.ServerContextKey, &http.Server{ReadTimeout: rt}))
	}
	post := func() *http.Request { return httptest.NewRequest(http.MethodPost, "/", strings.NewReader("x")) }
	tests := map[string]struct {
		timeout time.Duration
		req     *http.Request
		want    int
	}{
		"no body (the server is reading the connection)": {time.Second, httptest.NewRequest(http.MethodGet, "/", nil), 0},
		"zero timeout":               {0, post(), 0},
		"server ReadTimeout shorter": {time.Minute, withServer(post(), time.Second), 0},
		"server ReadTimeout equal":   {time.Minute, withServer(post(), time.Minute), 0},
		"server ReadTimeout longer":  {time.Second, withServer(post(), time.Minute), 1},
		"server without ReadTimeout": {time.Second, withServer(post(), 0), 1},
	}
	for name, tt := range tests {
		c := Defaults()
		c.Now = fixedNow
		c.SetReadTimeout("test", tt.timeout)
		require.NoError(t, c.Err())
		w := httptestutil.NewDeadlineWriter()
		timedOut := c.BoundBody(w, tt.req)
		assert.Len(t, w.Deadlines, tt.want, name)
		assert.False(t, timedOut(), name)
	}
}

// A ResponseWriter that cannot take deadlines serves as before.
func TestBoundBodyWithoutDeadlines(t *testing.T) {
	c := Defaults()
	r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader("body"))
	timedOut := c.BoundBody(httptest.NewRecorder(), r)
	got, err := io.ReadAll(r.Body)
	require.NoError(t, err)
	assert.Equal(t, "body", string(got))
	assert.False(t, timedOut())
}

type errBody struct{ err error }

func (b errBody) Read([]byte) (int, error) { return 0, b.err }
func (errBody) Close() error               { return nil }

func TestBoundBodyReportsDeadlines(t *testing.T) {
	for _, tt := range []struct {
		err  error
		want bool
	}{
		{&net.OpError{Op: "read", Net: "tcp", Err: os.ErrDeadlineExceeded}, true},
		{os.ErrDeadlineExceeded, true},
		{io.ErrUnexpectedEOF, false},
		{errors.New("connection reset"), false},
	} {
		c := Defaults()
		r := httptest.NewRequest(http.MethodPost, "/", nil)
		r.Body = errBody{tt.err}
		timedOut := c.BoundBody(httptest.NewRecorder(), r)
		_, err := r.Body.Read(make([]byte, 1))
		assert.ErrorIs(t, err, tt.err, "the error passes unchanged")
		assert.Equal(t, tt.want, timedOut(), "%v", tt.err)
	}
}

func TestSetReadTimeout(t *testing.T) {
	c := Defaults()
	c.SetReadTimeout("das", 0)
	assert.NoError(t, c.Err())
	assert.Zero(t, c.ReadTimeout, "zero means no deadline of the handler's")
	c.SetReadTimeout("das", -time.Second)
	assert.ErrorIs(t, c.Err(), ErrInvalidOption)
	assert.ErrorContains(t, c.Err(), "das: WithReadTimeout")
	assert.Zero(t, c.ReadTimeout, "an invalid value is not applied")
}

// Behind a real server, with no timeout of the server's own, a client
// that sends part of its body and then nothing is cut off at the deadline
// the handler set: the handler sees the timeout and answers, and the
// server closes the connection. The test waits for that, never sleeps.
func TestBoundBodyCutsOffATricklingClient(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) })
	c := Defaults()
	c.SetReadTimeout("test", 50*time.Millisecond)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		timedOut := c.BoundBody(w, r)
		_, err := io.ReadAll(r.Body)
		switch {
		case timedOut():
			http.Error(w, "too slow", http.StatusRequestTimeout)
		case err != nil:
			http.Error(w, err.Error(), http.StatusBadRequest)
		}
	}))
	t.Cleanup(srv.Close)

	resp, br := httptestutil.Trickle(t, srv, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n<")
	var err error
	_, err = io.Copy(io.Discard, resp.Body)
	require.NoError(t, err)
	assert.Equal(t, http.StatusRequestTimeout, resp.StatusCode)
	_, err = br.ReadByte()
	assert.ErrorIs(t, err, io.EOF, "and the server closes the connection")
}
