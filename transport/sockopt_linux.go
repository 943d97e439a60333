//go:build linux

package transport

import (
	"syscall"
	"time"
)

// tcpUserTimeout is TCP_USER_TIMEOUT from linux/tcp.h (18 on every Linux
// architecture); the syscall package does not export it for all of them.
const tcpUserTimeout = 0x12

// userTimeoutControl returns a net.Dialer Control function that sets
// TCP_USER_TIMEOUT, so that the kernel aborts the connection when written
// data stays unacknowledged for d (gRFC A18; without it Linux retransmits
// for about 15 minutes, grpc-go #3206).
func userTimeoutControl(d time.Duration) func(network, address string, c syscall.RawConn) error {
	ms := int(d / time.Millisecond)
	return func(network, address string, c syscall.RawConn) error {
		if network != "tcp" && network != "tcp4" && network != "tcp6" {
			return nil
		}
		var serr error
		err := c.Control(func(fd uintptr) {
			serr = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_TCP, tcpUserTimeout, ms)
		})
		if err != nil {
			return err
		}
		return serr
	}
}
