package ews

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/calbridge/calbridge/internal/sample"
)

// TestHandlerBufferedSource: over a freebusy.BufferedSource the Handler
// asks FreeBusyInto, answers byte for byte as over the plain Source, and
// gives the buffer back (Reset, so the schedules it lent read as zero)
// only after the answer is written.
func TestHandlerBufferedSource(t *testing.T) {
	q, ss := sample.Load100x7d(true)
	body := sample.LoadRequest(q)
	post := func(h http.Handler) string {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/EWS/Exchange.asmx", bytes.NewReader(body)))
		require.Equal(t, http.StatusOK, rec.Code, "%.300s", rec.Body.String())
		return rec.Body.String()
	}
	want := post(newTestHandler(t, sample.LoadSource(ss)))
	src := &sample.Buffered{Src: sample.LoadSource(ss)}
	h := newTestHandler(t, src)
	for range 3 {
		require.Equal(t, want, post(h))
	}
	require.Equal(t, 3, src.Calls())
	require.True(t, src.AllReset(), "the buffer was reset after the answer")
}
