package transport

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestLegalTransition pins the whole transition table: gRPC's connectivity
// semantics (docs/reconnect.md §2.1, §8.1) with Shutdown reachable only
// from Close and left never.
func TestLegalTransition(t *testing.T) {
	all := []State{Idle, Connecting, Ready, TransientFailure, Shutdown}
	legal := map[[2]State]bool{
		{Idle, Connecting}:             true,
		{Idle, Shutdown}:               true,
		{Connecting, Ready}:            true,
		{Connecting, TransientFailure}: true,
		{Connecting, Shutdown}:         true,
		{Ready, Connecting}:            true,
		{Ready, TransientFailure}:      true,
		{Ready, Shutdown}:              true,
		{TransientFailure, Connecting}: true,
		{TransientFailure, Shutdown}:   true,
	}
	for _, from := range all {
		for _, to := range all {
			assert.Equalf(t, legal[[2]State{from, to}], legalTransition(from, to), "%v -> %v", from, to)
		}
	}
	assert.False(t, legalTransition(State(-1), Idle))
	assert.False(t, legalTransition(State(9), Idle))
	assert.False(t, legalTransition(Idle, State(9)))
}

// TestNoWedgeState checks the never-wedge property on the table itself:
// from every state but Shutdown, Ready is reachable without Close.
func TestNoWedgeState(t *testing.T) {
	for _, from := range []State{Idle, Connecting, Ready, TransientFailure} {
		seen := map[State]bool{from: true}
		queue := []State{from}
		for len(queue) > 0 {
			s := queue[0]
			queue = queue[1:]
			for _, to := range []State{Idle, Connecting, Ready, TransientFailure} {
				if legalTransition(s, to) && !seen[to] {
					seen[to] = true
					queue = append(queue, to)
				}
			}
		}
		assert.Truef(t, seen[Ready] || from == Ready, "Ready unreachable from %v", from)
		assert.Truef(t, seen[Connecting], "Connecting unreachable from %v", from)
	}
}

func TestStateString(t *testing.T) {
	tests := map[State]string{
		Idle: "idle", Connecting: "connecting", Ready: "ready",
		TransientFailure: "transient-failure", Shutdown: "shutdown", State(7): "State(7)",
	}
	for s, want := range tests {
		assert.Equal(t, want, s.String())
	}
}
