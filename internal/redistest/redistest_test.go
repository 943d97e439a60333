package redistest

import (
	"bufio"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// send sends one command to addr without authenticating and returns the
// first line of the reply.
func send(t *testing.T, addr string, args ...string) (string, error) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	require.NoError(t, conn.SetDeadline(time.Now().Add(10*time.Second)))
	if _, err := conn.Write(encodeCommand(args)); err != nil {
		return "", err
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	return strings.TrimSpace(line), err
}

func TestStartStopRestart(t *testing.T) {
	s := Start(t, Options{})
	require.True(t, s.Running())
	assert.Equal(t, "redis://"+s.Addr(), s.URL())
	reply, err := send(t, s.Addr(), "SET", "k", "v")
	require.NoError(t, err)
	assert.Equal(t, "+OK", reply)
	reply, err = send(t, s.Addr(), "CONFIG", "GET", "appendonly")
	require.NoError(t, err)
	assert.Equal(t, "*2", reply, "a CONFIG GET reply")

	port := s.Port()
	s.Stop()
	assert.False(t, s.Running())
	_, err = send(t, s.Addr(), "PING")
	require.Error(t, err, "nothing listens while stopped")
	s.Stop() // idempotent

	s.Restart()
	assert.True(t, s.Running())
	assert.Equal(t, port, s.Port(), "the same port")
	reply, err = send(t, s.Addr(), "EXISTS", "k")
	require.NoError(t, err)
	assert.Equal(t, ":0", reply, "nothing persisted across the restart")
}

func TestPassword(t *testing.T) {
	s := Start(t, Options{Password: "s3cret"})
	reply, err := send(t, s.Addr(), "GET", "k")
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(reply, "-NOAUTH"), reply)
	s.Restart()
	require.NoError(t, s.ping(), "the restart authenticates its PING")
}

func TestACLUser(t *testing.T) {
	s := Start(t, Options{User: "gateway", UserPassword: "pw", Password: "other"})
	reply, err := send(t, s.Addr(), "AUTH", "gateway", "pw")
	require.NoError(t, err)
	assert.Equal(t, "+OK", reply)
	reply, err = send(t, s.Addr(), "AUTH", "gateway", "wrong")
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(reply, "-WRONGPASS"), reply)
}

func TestArgs(t *testing.T) {
	s := Start(t, Options{Args: []string{"--maxmemory", "1mb"}})
	reply, err := send(t, s.Addr(), "PING")
	require.NoError(t, err)
	assert.Equal(t, "+PONG", reply)
}

func TestEncodeCommand(t *testing.T) {
	assert.Equal(t, "*2\r\n$4\r\nAUTH\r\n$0\r\n\r\n", string(encodeCommand([]string{"AUTH", ""})))
}

func TestTail(t *testing.T) {
	var lines []string
	for i := range 20 {
		lines = append(lines, string(rune('a'+i)))
	}
	assert.Equal(t, "m | n | o | p | q | r | s | t", tail(strings.Join(lines, "\n")))
}

// recorder is a testing.TB that records Fatal and Skip instead of ending
// the test.
type recorder struct {
	testing.TB
	fatal, skip string
}

func (r *recorder) Helper()           {}
func (r *recorder) Fatal(args ...any) { r.fatal = args[0].(string) }
func (r *recorder) Skip(args ...any)  { r.skip = args[0].(string) }

func TestUnavailableSkipsOrFailsOnCI(t *testing.T) {
	t.Setenv("CI", "")
	r := &recorder{TB: t}
	unavailable(r, assert.AnError)
	assert.Empty(t, r.fatal)
	assert.Contains(t, r.skip, "apt-get install -y redis-server")

	t.Setenv("CI", "true")
	r = &recorder{TB: t}
	unavailable(r, assert.AnError)
	assert.Empty(t, r.skip)
	assert.Contains(t, r.fatal, `Debian package "redis-server"`)
	assert.Contains(t, r.fatal, assert.AnError.Error())
}
