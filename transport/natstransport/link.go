package natstransport

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"go.uber.org/zap"

	"github.com/calbridge/calbridge/transport"
)

// ErrNotConnected is the cause of the Unavailable error of a call made
// while the connection to NATS is down, when nats.go has no better one.
var ErrNotConnected = errors.New("natstransport: not connected to NATS")

// confirmTimeout bounds the round trip a Server makes to the NATS server
// before it reports Ready (see link.confirm).
const confirmTimeout = 5 * time.Second

// link follows a NATS connection's status as a transport.State: Connecting
// while nats.go makes its first attempt, Ready while connected,
// TransientFailure while disconnected and reconnecting, Shutdown once the
// connection is closed or the owner is. nats.go reports no individual
// reconnect attempt, so a reconnect goes from TransientFailure straight
// to Ready.
//
// nats.go drops status events a listener has not taken (its channel holds
// ten), so the events only wake the watcher, which reads the current
// status each time: whatever it missed, it ends on the latest.
type link struct {
	nc      *nats.Conn
	log     *zap.Logger
	onState func(transport.StateChange)
	// confirm, when set, runs before a connected status is reported as
	// Ready: a Server uses it to make sure the NATS server has its
	// subscription.
	confirm func(context.Context) error

	mu         sync.Mutex
	state      transport.State
	stateCh    chan struct{} // closed and replaced on every change
	lost       chan struct{} // closed and replaced whenever Ready ends
	lastErr    error
	reconnects uint64
	wasReady   bool

	events chan nats.Status
	retry  chan struct{} // a failed confirm asks for another refresh
	done   chan struct{}
}

func newLink(nc *nats.Conn, c *common, confirm func(context.Context) error) *link {
	l := &link{
		nc:      nc,
		log:     c.log,
		onState: c.onState,
		confirm: confirm,
		state:   transport.Connecting,
		stateCh: make(chan struct{}),
		lost:    make(chan struct{}),
		retry:   make(chan struct{}, 1),
		done:    make(chan struct{}),
	}
	l.events = nc.StatusChanged(nats.CONNECTED, nats.RECONNECTING, nats.DISCONNECTED, nats.CLOSED, nats.DRAINING_SUBS, nats.DRAINING_PUBS)
	l.refresh()
	go l.watch()
	return l
}

// stateOf maps a nats.go status.
func stateOf(s nats.Status) transport.State {
	switch s {
	case nats.CONNECTED:
		return transport.Ready
	case nats.CONNECTING:
		return transport.Connecting
	case nats.DISCONNECTED, nats.RECONNECTING:
		return transport.TransientFailure
	default: // CLOSED, and a connection draining on its way to CLOSED
		return transport.Shutdown
	}
}

// confirmRetryDelay spaces the round trips of a link whose confirm
// failed while the connection stayed up.
const confirmRetryDelay = 250 * time.Millisecond

func (l *link) watch() {
	defer close(l.done)
	for {
		select {
		case _, ok := <-l.events:
			if !ok {
				return
			}
		case <-l.retry:
		}
		l.refresh()
	}
}

// refresh sets the state from the connection's current status.
func (l *link) refresh() {
	to := stateOf(l.nc.Status())
	if to == transport.Ready && l.confirm != nil && l.State() != transport.Ready {
		ctx, cancel := context.WithTimeout(context.Background(), confirmTimeout)
		err := l.confirm(ctx)
		cancel()
		if err != nil {
			l.log.Debug("natstransport: connected, but the round trip to the NATS server failed", zap.Error(err))
			to = stateOf(l.nc.Status())
			if to == transport.Ready {
				// Still connected: no status event will come, so ask
				// for another refresh in a moment.
				time.AfterFunc(confirmRetryDelay, func() {
					select {
					case l.retry <- struct{}{}:
					default:
					}
				})
				return
			}
		}
	}
	var err error
	if to != transport.Ready {
		err = l.nc.LastError()
	}
	l.set(to, err)
}

// set makes a change of state, unless the link is shut down already.
func (l *link) set(to transport.State, err error) {
	l.mu.Lock()
	from := l.state
	if from == to || from == transport.Shutdown {
		l.mu.Unlock()
		return
	}
	l.state = to
	close(l.stateCh)
	l.stateCh = make(chan struct{})
	if from == transport.Ready {
		close(l.lost)
		l.lost = make(chan struct{})
	}
	if to == transport.TransientFailure {
		if err == nil {
			err = ErrNotConnected
		}
		l.lastErr = err
	}
	if to == transport.Ready {
		if l.wasReady {
			l.reconnects++
		}
		l.wasReady = true
	}
	l.mu.Unlock()

	addr := l.nc.ConnectedUrlRedacted()
	switch to {
	case transport.TransientFailure:
		l.log.Warn("natstransport: connection to NATS lost", zap.Stringer("from", from), zap.Error(err))
	default:
		l.log.Info("natstransport: connection state", zap.Stringer("from", from), zap.Stringer("to", to), zap.String("server", addr))
	}
	if l.onState != nil {
		l.onState(transport.StateChange{From: from, To: to, Err: err, Addr: addr, At: time.Now()})
	}
}

// State returns the current state.
func (l *link) State() transport.State {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.state
}

// lostCh returns the channel closed when the current Ready period ends.
func (l *link) lostCh() <-chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lost
}

// snapshot returns the state, last error and reconnect count.
func (l *link) snapshot() (transport.State, error, uint64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.state, l.lastErr, l.reconnects
}

// lastError returns the most recent connection error, or ErrNotConnected.
func (l *link) lastError() error {
	if err := l.nc.LastError(); err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.lastErr != nil {
		return l.lastErr
	}
	return ErrNotConnected
}

// waitForStateChange waits until the state differs from from, or ctx
// ends, and reports whether it changed.
func (l *link) waitForStateChange(ctx context.Context, from transport.State) bool {
	for {
		l.mu.Lock()
		if l.state != from {
			l.mu.Unlock()
			return true
		}
		ch := l.stateCh
		l.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return false
		}
	}
}

// stop ends the watcher and enters Shutdown. Call it once, after the
// connection is closed (or, for a caller's connection, when the owner
// stops using it).
func (l *link) stop() {
	l.nc.RemoveStatusListener(l.events)
	<-l.done
	l.set(transport.Shutdown, nil)
}
