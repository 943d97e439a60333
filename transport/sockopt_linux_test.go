//go:build linux

package transport

import (
	"context"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDefaultDialerSetsTCPUserTimeout reads TCP_USER_TIMEOUT back from a
// socket opened by the default dialer (gRFC A18).
func TestDefaultDialerSetsTCPUserTimeout(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	nc, err := defaultDialer(7*time.Second).DialContext(context.Background(), "tcp", l.Addr().String())
	require.NoError(t, err)
	defer nc.Close()
	raw, err := nc.(*net.TCPConn).SyscallConn()
	require.NoError(t, err)
	var ms, keepalive int
	var gerr error
	require.NoError(t, raw.Control(func(fd uintptr) {
		ms, gerr = syscall.GetsockoptInt(int(fd), syscall.IPPROTO_TCP, tcpUserTimeout)
		if gerr == nil {
			keepalive, gerr = syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_KEEPALIVE)
		}
	}))
	require.NoError(t, gerr)
	assert.Equal(t, 7000, ms)
	assert.Equal(t, 1, keepalive)
}
