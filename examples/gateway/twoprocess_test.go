package main

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/calbridge/calbridge/internal/httptestutil"
)

// proc is the gateway binary running as one half.
type proc struct {
	cmd       *exec.Cmd
	http, rpc string
	done      chan struct{}
}

// startProc runs the binary and reads its "listening:" line.
func startProc(t *testing.T, bin string, args ...string) *proc {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Stderr = io.Discard
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	p := &proc{cmd: cmd, done: make(chan struct{})}
	lines := make(chan string, 1)
	go func() {
		defer close(p.done)
		sc := bufio.NewScanner(out)
		sent := false
		for sc.Scan() {
			if !sent && strings.HasPrefix(sc.Text(), "listening: ") {
				lines <- sc.Text()
				sent = true
			}
		}
		if !sent {
			close(lines)
		}
		_ = cmd.Wait()
	}()
	t.Cleanup(p.kill)
	select {
	case l, ok := <-lines:
		require.True(t, ok, "%s exited before listening", args)
		_, err := fmt.Sscanf(l, "listening: http %s rpc %s", &p.http, &p.rpc)
		require.NoError(t, err, l)
	case <-time.After(httptestutil.Patience):
		t.Fatalf("%v: no listening line", args)
	}
	return p
}

// kill ends the process (thawing it first) and waits for it.
func (p *proc) kill() {
	_ = p.cmd.Process.Signal(syscall.SIGCONT)
	_ = p.cmd.Process.Kill()
	<-p.done
}

// TestTwoProcessesQ201280 runs the halves as two processes and plays the
// KB Q201280 scenario across them: with the Exchange half killed, kept down
// or frozen, the Notes half answers at once with Unavailable reasons
// (never a blank, never a hang), and it recovers by itself when the
// Exchange half returns, with no restart of the Notes half.
func TestTwoProcessesQ201280(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the program")
	}
	bin := filepath.Join(t.TempDir(), "gateway")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Stderr = os.Stderr
	t0 := time.Now()
	require.NoError(t, build.Run())
	t.Logf("build %v", time.Since(t0))

	exchange := startProc(t, bin, "-role", "exchange", "-http", "127.0.0.1:0", "-rpc", "127.0.0.1:0")
	require.NotEqual(t, "-", exchange.rpc)
	notesHalf := startProc(t, bin, "-role", "notes", "-http", "127.0.0.1:0", "-rpc", exchange.rpc)
	base := "http://" + notesHalf.http
	defer http.DefaultClient.CloseIdleConnections()

	// Each ask uses a window of its own, so that the cache cannot answer it.
	week := 0
	ask := func() (int, string) {
		week++
		start := time.Now().UTC().AddDate(0, 0, 7*week).Format(time.DateOnly)
		end := time.Now().UTC().AddDate(0, 0, 7*week+7).Format(time.DateOnly)
		resp, err := http.Get(base + "/freebusy/grace.hopper@exchange.acme.example.vfb?start=" + start + "&end=" + end)
		require.NoError(t, err)
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode, resp.Header.Get("X-Calbridge-Reason")
	}
	waitHealth := func(want int) {
		t.Helper()
		// A bounded loop of requests; each waits up to a second for the
		// link when it is not ready, so the loop paces itself.
		for i := 0; i < 60; i++ {
			resp, err := http.Get(base + "/healthz")
			require.NoError(t, err)
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == want {
				return
			}
		}
		t.Fatalf("/healthz never answered %d", want)
	}

	waitHealth(http.StatusOK)
	code, _ := ask()
	require.Equal(t, http.StatusOK, code)

	// Killed: the next ask fails with a reason, and so do asks while the
	// half stays down.
	exchange.kill()
	code, reason := ask()
	assert.Equal(t, http.StatusServiceUnavailable, code)
	assert.Equal(t, "unavailable", reason)
	waitHealth(http.StatusServiceUnavailable)
	code, reason = ask()
	assert.Equal(t, http.StatusServiceUnavailable, code)
	assert.Equal(t, "unavailable", reason)
	// The Notes half's own users are still served.
	resp, _ := get(t, base+"/freebusy/ada.lovelace@notes.acme.example.vfb")
	assert.Equal(t, http.StatusOK, resp.StatusCode)

	// Back on the same address: the Notes half reconnects by itself.
	exchange = startProc(t, bin, "-role", "exchange", "-http", "127.0.0.1:0", "-rpc", exchange.rpc)
	waitHealth(http.StatusOK)
	code, _ = ask()
	assert.Equal(t, http.StatusOK, code)

	// Frozen (SIGSTOP): the connection stays open but nothing answers.
	// The ask waits until every thread of the process is stopped, read
	// from /proc, so that it cannot race the signal on a loaded machine.
	if runtime.GOOS != "linux" {
		return
	}
	require.NoError(t, exchange.cmd.Process.Signal(syscall.SIGSTOP))
	waitStopped(t, exchange.cmd.Process.Pid)
	t1 := time.Now()
	code, reason = ask()
	t.Logf("frozen ask: %d %s after %v", code, reason, time.Since(t1))
	assert.Contains(t, []int{http.StatusServiceUnavailable, http.StatusGatewayTimeout}, code)
	assert.Contains(t, []string{"unavailable", "timeout"}, reason)
	require.NoError(t, exchange.cmd.Process.Signal(syscall.SIGCONT))
	waitHealth(http.StatusOK)
	code, _ = ask()
	assert.Equal(t, http.StatusOK, code)
}

// waitStopped waits until every thread of process pid is in the stopped
// state ('T' in /proc/PID/task/TID/stat, proc(5)).
func waitStopped(t *testing.T, pid int) {
	t.Helper()
	deadline := time.Now().Add(httptestutil.Patience)
	for time.Now().Before(deadline) {
		tasks, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/stat", pid))
		require.NoError(t, err)
		stopped := len(tasks) > 0
		for _, f := range tasks {
			b, err := os.ReadFile(f)
			if err != nil {
				stopped = false
				break
			}
			// The state follows the parenthesised command name.
			rest := string(b[strings.LastIndexByte(string(b), ')')+1:])
			if f := strings.Fields(rest); len(f) == 0 || f[0] != "T" {
				stopped = false
				break
			}
		}
		if stopped {
			return
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatalf("process %d did not stop", pid)
}
