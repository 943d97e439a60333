package transport

import (
	"strconv"
	"time"
)

// State is the connectivity state of a Client, after gRPC's
// "gRPC Connectivity Semantics and API" (docs/reconnect.md §2.1). Only Close
// leads to Shutdown; no error does, so a Client never wedges.
type State int

// The states.
const (
	// Idle: no connection and no attempt; the next call or Connect starts one.
	Idle State = iota
	// Connecting: a dial and handshake are in progress.
	Connecting
	// Ready: a connection has completed the handshake and carries calls.
	Ready
	// TransientFailure: the last attempt failed; the client is waiting out
	// its backoff before the next one. Fail-fast calls fail at once.
	TransientFailure
	// Shutdown: Close was called. It is the only terminal state.
	Shutdown
)

var stateNames = [...]string{
	Idle:             "idle",
	Connecting:       "connecting",
	Ready:            "ready",
	TransientFailure: "transient-failure",
	Shutdown:         "shutdown",
}

// String returns the state's name ("transient-failure").
func (s State) String() string {
	if s >= 0 && int(s) < len(stateNames) {
		return stateNames[s]
	}
	return "State(" + strconv.Itoa(int(s)) + ")"
}

// transitions is the one table of legal state changes. Shutdown is
// reachable from everywhere (Close) and leads nowhere; every other state
// leads back to Connecting, directly or through TransientFailure.
var transitions = [...][]State{
	Idle:             {Connecting, Shutdown},
	Connecting:       {Ready, TransientFailure, Shutdown},
	Ready:            {Connecting, TransientFailure, Shutdown},
	TransientFailure: {Connecting, Shutdown},
	Shutdown:         nil,
}

// legalTransition reports whether the state machine allows from -> to. The
// Client never makes any other transition; tests assert every observed
// StateChange against this table.
func legalTransition(from, to State) bool {
	if from < 0 || int(from) >= len(transitions) {
		return false
	}
	for _, s := range transitions[from] {
		if s == to {
			return true
		}
	}
	return false
}

// StateChange describes one transition, as passed to the callback set with
// WithStateCallback.
type StateChange struct {
	From, To State
	// Err is the error that caused the change (a failed attempt, a lost
	// connection), or nil.
	Err error
	// Addr is the server address concerned, when there is one.
	Addr string
	// At is when the change happened.
	At time.Time
}

// Stats is a snapshot of a Client's state and counters.
type Stats struct {
	// State is the current state.
	State State
	// LastError is the most recent connection error, kept after recovery
	// for diagnosis; nil if there never was one.
	LastError error
	// Addr is the address of the current (or last attempted) server.
	Addr string
	// Dials counts connection attempts (dial plus handshake).
	Dials uint64
	// DialFailures counts attempts that did not reach Ready.
	DialFailures uint64
	// Reconnects counts Ready states reached after the first one.
	Reconnects uint64
	// Retries counts call attempts after the first, transparent ones
	// excluded.
	Retries uint64
	// RetriesThrottled counts retries the retry budget refused.
	RetriesThrottled uint64
	// Calls counts calls made (not attempts).
	Calls uint64
	// CallFailures counts calls that returned an error.
	CallFailures uint64
	// InFlight is the number of calls in progress.
	InFlight int
	// Waiting is the number of calls waiting for a connection.
	Waiting int
}
