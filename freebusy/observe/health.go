package observe

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"
)

// ErrComponentName is matched (errors.Is) by the error Register returns for
// an empty name or one already registered.
var ErrComponentName = errors.New("observe: invalid component name")

// StateRegistered is the state of a component that has not been updated
// since Register; such a component is not ready.
const StateRegistered = "registered"

// Health collects the state of a program's components and answers health
// checks. It is safe for concurrent use; create it with NewHealth.
//
// As an http.Handler it answers GET and HEAD with the Summary as JSON,
// status 200 when the summary is ready and 503 Service Unavailable
// otherwise; other methods get 405.
type Health struct {
	cfg   healthConfig
	mu    sync.Mutex
	comps []*Component
	names map[string]bool
}

// Component is one registered part of a program. Its Update method is safe
// for concurrent use.
type Component struct {
	h    *Health
	name string
	// guarded by h.mu
	ready     bool
	state     string
	since     time.Time
	lastErr   string
	lastErrAt time.Time
}

// Summary is the state of a Health at one moment.
type Summary struct {
	// Ready is true when every component is ready (and when there are
	// none).
	Ready bool `json:"ready"`
	// Components are in the order they were registered.
	Components []ComponentStatus `json:"components"`
}

// ComponentStatus is one component's state in a Summary.
type ComponentStatus struct {
	// Name is the name it was registered under.
	Name string `json:"name"`
	// Ready and State are as last updated.
	Ready bool   `json:"ready"`
	State string `json:"state"`
	// Since is when Ready or State last changed (registration, at first).
	Since time.Time `json:"since"`
	// LastError is the text of the last non-nil error given to Update,
	// kept after the component recovers, and LastErrorAt when it was
	// given; both are empty when there was none.
	LastError   string    `json:"lastError,omitempty"`
	LastErrorAt time.Time `json:"lastErrorAt,omitzero"`
}

// NewHealth returns an empty Health. With WithLogger, every change of a
// component's readiness or state is logged once at Info level (component,
// ready, state, error).
func NewHealth(opts ...HealthOption) *Health {
	c := healthConfig{shared: defaults()}
	for _, o := range opts {
		if o != nil {
			o.applyHealth(&c)
		}
	}
	return &Health{cfg: c, names: map[string]bool{}}
}

// Register adds a component named name, not ready, in state
// StateRegistered. It fails with an error matching ErrComponentName when
// name is empty or already registered.
func (h *Health) Register(name string) (*Component, error) {
	if strings.TrimSpace(name) == "" {
		return nil, fmt.Errorf("%w: empty", ErrComponentName)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.names[name] {
		return nil, fmt.Errorf("%w: %q is already registered", ErrComponentName, name)
	}
	h.names[name] = true
	c := &Component{h: h, name: name, state: StateRegistered, since: h.cfg.now()}
	h.comps = append(h.comps, c)
	return c, nil
}

// Name returns the name the component was registered under.
func (c *Component) Name() string { return c.name }

// Update records the component's readiness and state. A non-nil err
// becomes its last error, with the time; a nil err keeps the last one, so
// that a status page still shows why a link went down after it came back.
// Since changes only when ready or state does.
func (c *Component) Update(ready bool, state string, err error) {
	h := c.h
	now := h.cfg.now()
	h.mu.Lock()
	changed := ready != c.ready || state != c.state
	if changed {
		c.ready, c.state, c.since = ready, state, now
	}
	if err != nil {
		c.lastErr, c.lastErrAt = err.Error(), now
	}
	h.mu.Unlock()
	if changed {
		fields := []zap.Field{zap.String("component", c.name), zap.Bool("ready", ready), zap.String("state", state)}
		if err != nil {
			fields = append(fields, zap.Error(err))
		}
		h.cfg.log.Info("component state changed", fields...)
	}
}

// Summary returns the state of every component.
func (h *Health) Summary() Summary {
	h.mu.Lock()
	defer h.mu.Unlock()
	s := Summary{Ready: true, Components: make([]ComponentStatus, len(h.comps))}
	for i, c := range h.comps {
		s.Components[i] = ComponentStatus{
			Name:        c.name,
			Ready:       c.ready,
			State:       c.state,
			Since:       c.since,
			LastError:   c.lastErr,
			LastErrorAt: c.lastErrAt,
		}
		s.Ready = s.Ready && c.ready
	}
	return s
}

// ServeHTTP answers a health check with the Summary as JSON.
func (h *Health) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "observe: method not allowed", http.StatusMethodNotAllowed)
		return
	}
	s := h.Summary()
	body, err := json.Marshal(s)
	if err != nil { // only for a time outside years 0 to 9999
		http.Error(w, "observe: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	if s.Ready {
		w.WriteHeader(http.StatusOK)
	} else {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	_, _ = w.Write(append(body, '\n'))
}
