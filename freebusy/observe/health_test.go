package observe_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/calbridge/calbridge/freebusy/observe"
)

func TestHealthRegister(t *testing.T) {
	h := observe.NewHealth()
	c, err := h.Register("transport")
	require.NoError(t, err)
	assert.Equal(t, "transport", c.Name())
	_, err = h.Register("transport")
	assert.ErrorIs(t, err, observe.ErrComponentName)
	assert.ErrorContains(t, err, `"transport" is already registered`)
	_, err = h.Register("")
	assert.ErrorIs(t, err, observe.ErrComponentName)
}

func TestHealthSummary(t *testing.T) {
	clock := stepClock(time.Minute) // day, day+1m, ...
	h := observe.NewHealth(observe.WithClock(clock))
	assert.Equal(t, observe.Summary{Ready: true, Components: []observe.ComponentStatus{}}, h.Summary(), "nothing to wait for")

	link, err := h.Register("rpc") // at day
	require.NoError(t, err)
	backend, err := h.Register("ews") // at day+1m
	require.NoError(t, err)
	s := h.Summary()
	assert.False(t, s.Ready, "registered components are not ready")
	assert.Equal(t, observe.ComponentStatus{Name: "rpc", State: observe.StateRegistered, Since: day}, s.Components[0])

	link.Update(true, "ready", nil)    // day+2m
	backend.Update(true, "ready", nil) // day+3m
	assert.True(t, h.Summary().Ready)

	down := errors.New("dial tcp 127.0.0.1:7400: connection refused")
	link.Update(false, "transient-failure", down) // day+4m
	link.Update(false, "transient-failure", nil)  // day+5m: no change
	s = h.Summary()
	assert.False(t, s.Ready)
	assert.Equal(t, observe.ComponentStatus{
		Name: "rpc", State: "transient-failure", Since: day.Add(4 * time.Minute),
		LastError: down.Error(), LastErrorAt: day.Add(4 * time.Minute),
	}, s.Components[0])
	assert.Equal(t, observe.ComponentStatus{Name: "ews", Ready: true, State: "ready", Since: day.Add(3 * time.Minute)}, s.Components[1])

	link.Update(true, "ready", nil) // day+6m
	s = h.Summary()
	assert.True(t, s.Ready)
	assert.Equal(t, observe.ComponentStatus{
		Name: "rpc", Ready: true, State: "ready", Since: day.Add(6 * time.Minute),
		LastError: down.Error(), LastErrorAt: day.Add(4 * time.Minute),
	}, s.Components[0], "the last error stays after recovery")
}

func TestHealthLogsChangesOnce(t *testing.T) {
	core, logs := observer.New(zap.InfoLevel)
	h := observe.NewHealth(observe.WithLogger(zap.New(core)))
	c, err := h.Register("rpc")
	require.NoError(t, err)
	c.Update(false, "connecting", nil)
	c.Update(false, "connecting", nil)
	c.Update(false, "transient-failure", errors.New("refused"))
	require.Equal(t, 2, logs.Len())
	assert.Equal(t, map[string]any{"component": "rpc", "ready": false, "state": "transient-failure", "error": "refused"}, logs.All()[1].ContextMap())
}

func TestHealthHandler(t *testing.T) {
	h := observe.NewHealth(observe.WithClock(stepClock(time.Second)))
	c, err := h.Register("rpc")
	require.NoError(t, err)

	get := func(method string) *httptest.ResponseRecorder {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(method, "/healthz", nil))
		return w
	}
	w := get(http.MethodGet)
	assert.Equal(t, http.StatusServiceUnavailable, w.Code)
	assert.Equal(t, "application/json", w.Header().Get("Content-Type"))
	assert.Equal(t, "no-store", w.Header().Get("Cache-Control"))
	assert.JSONEq(t, `{"ready":false,"components":[{"name":"rpc","ready":false,"state":"registered","since":"2026-03-02T00:00:00Z"}]}`, w.Body.String())

	c.Update(true, "ready", errors.New("earlier failure"))
	w = get(http.MethodGet)
	assert.Equal(t, http.StatusOK, w.Code)
	var s observe.Summary
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &s))
	assert.Equal(t, h.Summary(), s, "the body is the summary")
	assert.Equal(t, "earlier failure", s.Components[0].LastError)

	assert.Equal(t, http.StatusOK, get(http.MethodHead).Code)
	w = get(http.MethodPost)
	assert.Equal(t, http.StatusMethodNotAllowed, w.Code)
	assert.Equal(t, "GET, HEAD", w.Header().Get("Allow"))
}

// Updates and summaries from many goroutines are safe (run with -race).
func TestHealthConcurrentUse(t *testing.T) {
	h := observe.NewHealth()
	var wg sync.WaitGroup
	for i := range 4 {
		c, err := h.Register(string(rune('a' + i)))
		require.NoError(t, err)
		wg.Go(func() {
			for j := range 100 {
				c.Update(j%2 == 0, "s", nil)
				_ = h.Summary()
			}
		})
	}
	wg.Wait()
	assert.Len(t, h.Summary().Components, 4)
}
