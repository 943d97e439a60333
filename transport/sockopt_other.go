//go:build !linux

package transport

import (
	"syscall"
	"time"
)

// userTimeoutControl is a no-op outside Linux: TCP_USER_TIMEOUT is a Linux
// socket option; elsewhere heartbeats and TCP keepalive detect dead peers.
func userTimeoutControl(time.Duration) func(network, address string, c syscall.RawConn) error {
	return nil
}
