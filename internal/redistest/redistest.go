package redistest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Package is the Debian package that provides redis-server, named in the
// message of a test that cannot start it.
const Package = "redis-server"

// StartTimeout bounds how long Start and Restart wait for redis-server to
// say it accepts connections. It is generous: CI machines are loaded.
const StartTimeout = 30 * time.Second

// stopTimeout bounds how long Stop waits after SIGTERM before it kills.
const stopTimeout = 10 * time.Second

// readyLine is what redis-server logs once it accepts connections
// ("Ready to accept connections tcp" since Redis 7).
const readyLine = "Ready to accept connections"

// Options configure the server Start runs. The zero value runs one that
// needs no authentication.
type Options struct {
	// Password, when set, is the default user's password (requirepass):
	// clients must authenticate, with or without a user name.
	Password string
	// User and UserPassword, when User is set, create an ACL user with
	// every permission on every key and channel.
	User         string
	UserPassword string
	// Args are further redis-server arguments ("--maxmemory", "1mb").
	Args []string
}

// Server is a redis-server process started by Start. Its methods are safe
// for concurrent use.
type Server struct {
	t    testing.TB
	opts Options
	bin  string
	dir  string
	port int

	mu   sync.Mutex
	proc *process // nil while stopped
}

// process is one run of redis-server.
type process struct {
	cmd    *exec.Cmd
	out    *logWriter
	exited chan struct{} // closed when the process has exited
	err    error         // the exit status, set before exited is closed
}

// Start starts redis-server on a free loopback port and waits until it
// answers PING; it stops the server when the test ends. When redis-server
// is missing or does not start, it skips t, or fails it when the
// environment has CI=true.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	bin, err := findBinary()
	if err != nil {
		unavailable(t, err)
	}
	s := &Server{t: t, opts: opts, bin: bin, dir: t.TempDir()}
	t.Cleanup(s.Stop)
	// Another process may take the free port between our look and
	// redis-server's bind; a few tries make that harmless.
	for attempt := 0; ; attempt++ {
		s.port, err = freePort()
		if err == nil {
			err = s.start()
		}
		if err == nil {
			return s
		}
		if attempt == 2 || !errors.Is(err, errPortInUse) {
			unavailable(t, err)
		}
	}
}

// unavailable skips t, or fails it on CI, for a server that cannot run.
func unavailable(t testing.TB, err error) {
	t.Helper()
	msg := fmt.Sprintf("redistest: cannot run redis-server (Debian package %q: apt-get install -y %s): %v", Package, Package, err)
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
		return
	}
	t.Skip(msg)
}

// findBinary returns the path of redis-server.
func findBinary() (string, error) {
	if p, err := exec.LookPath("redis-server"); err == nil {
		return p, nil
	}
	for _, p := range []string{"/usr/bin/redis-server", "/usr/sbin/redis-server", "/usr/local/bin/redis-server"} {
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p, nil
		}
	}
	return "", errors.New("redis-server not found on PATH")
}

// freePort returns a loopback TCP port nobody listens on right now.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Addr returns the server's host:port.
func (s *Server) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)) }

// Port returns the server's port; it stays the same across Restart.
func (s *Server) Port() int { return s.port }

// URL returns a redis:// URL of the server, without credentials.
func (s *Server) URL() string { return "redis://" + s.Addr() }

// Running reports whether the server process is running.
func (s *Server) Running() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc == nil {
		return false
	}
	select {
	case <-s.proc.exited:
		return false
	default:
		return true
	}
}

// Stop stops the server (SIGTERM, then SIGKILL when it lingers) and waits
// for it to exit. Its data is gone: nothing is persisted. Stop on a
// stopped server does nothing.
func (s *Server) Stop() {
	s.mu.Lock()
	p := s.proc
	s.proc = nil
	s.mu.Unlock()
	if p == nil {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(stopTimeout):
		_ = p.cmd.Process.Kill()
		<-p.exited
	}
}

// Restart stops the server when it runs and starts it again on the same
// port, empty. It fails the test when the server does not come back.
func (s *Server) Restart() {
	s.t.Helper()
	s.Stop()
	if err := s.start(); err != nil {
		s.t.Fatalf("redistest: restart on port %d: %v", s.port, err)
	}
}

// args returns the command line of redis-server.
func (s *Server) args() []string {
	a := []string{
		"--port", strconv.Itoa(s.port),
		"--bind", "127.0.0.1",
		"--dir", s.dir,
		"--save", "",
		"--appendonly", "no",
		"--daemonize", "no",
		"--logfile", "",
		"--loglevel", "notice",
	}
	if s.opts.Password != "" {
		a = append(a, "--requirepass", s.opts.Password)
	}
	if s.opts.User != "" {
		a = append(a, "--user", s.opts.User, "on", ">"+s.opts.UserPassword, "~*", "&*", "+@all")
	}
	return append(a, s.opts.Args...)
}

// errPortInUse is the cause of a start that failed because the port was
// taken.
var errPortInUse = errors.New("port in use")

// start runs redis-server and waits until it accepts connections and
// answers PING.
func (s *Server) start() error {
	out := &logWriter{ready: make(chan struct{})}
	cmd := exec.Command(s.bin, s.args()...)
	cmd.Dir = s.dir
	cmd.Stdout = out
	cmd.Stderr = out
	if err := cmd.Start(); err != nil {
		return err
	}
	p := &process{cmd: cmd, out: out, exited: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.exited)
	}()
	timer := time.NewTimer(StartTimeout)
	defer timer.Stop()
	select {
	case <-out.ready:
	case <-p.exited:
		log := out.String()
		if strings.Contains(log, "Address already in use") {
			return fmt.Errorf("%w: %d", errPortInUse, s.port)
		}
		return fmt.Errorf("redis-server exited (%v) before accepting connections: %s", p.err, tail(log))
	case <-timer.C:
		_ = cmd.Process.Kill()
		<-p.exited
		return fmt.Errorf("redis-server did not accept connections within %s: %s", StartTimeout, tail(out.String()))
	}
	if err := s.ping(); err != nil {
		_ = cmd.Process.Kill()
		<-p.exited
		return fmt.Errorf("redis-server does not answer PING: %w", err)
	}
	s.mu.Lock()
	s.proc = p
	s.mu.Unlock()
	return nil
}

// ping authenticates when the options ask for it and sends PING, speaking
// RESP directly (this package depends on no Redis client).
func (s *Server) ping() error {
	conn, err := net.DialTimeout("tcp", s.Addr(), 5*time.Second)
	if err != nil {
		return err
	}
	defer conn.Close()
	if err := conn.SetDeadline(time.Now().Add(10 * time.Second)); err != nil {
		return err
	}
	r := bufio.NewReader(conn)
	var cmds [][]string
	switch {
	case s.opts.User != "":
		cmds = append(cmds, []string{"AUTH", s.opts.User, s.opts.UserPassword})
	case s.opts.Password != "":
		cmds = append(cmds, []string{"AUTH", s.opts.Password})
	}
	cmds = append(cmds, []string{"PING"})
	for _, c := range cmds {
		if _, err := conn.Write(encodeCommand(c)); err != nil {
			return err
		}
		line, err := r.ReadString('\n')
		if err != nil {
			return err
		}
		if !strings.HasPrefix(line, "+") {
			return fmt.Errorf("%s: %s", c[0], strings.TrimSpace(line))
		}
	}
	return nil
}

// encodeCommand writes a command as a RESP array of bulk strings.
func encodeCommand(args []string) []byte {
	b := []byte("*" + strconv.Itoa(len(args)) + "\r\n")
	for _, a := range args {
		b = append(b, "$"+strconv.Itoa(len(a))+"\r\n"...)
		b = append(b, a...)
		b = append(b, "\r\n"...)
	}
	return b
}

// tail returns the last lines of a log, for an error message.
func tail(log string) string {
	lines := strings.Split(strings.TrimSpace(log), "\n")
	if len(lines) > 8 {
		lines = lines[len(lines)-8:]
	}
	return strings.Join(lines, " | ")
}

// logWriter keeps redis-server's output and closes ready when the server
// logs that it accepts connections.
type logWriter struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	ready chan struct{}
	seen  bool
}

func (w *logWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if !w.seen && bytes.Contains(w.buf.Bytes(), []byte(readyLine)) {
		w.seen = true
		close(w.ready)
	}
	// Keep the output bounded: only its end is ever shown.
	if w.buf.Len() > 64<<10 {
		rest := append([]byte(nil), w.buf.Bytes()[w.buf.Len()-16<<10:]...)
		w.buf.Reset()
		w.buf.Write(rest)
	}
	return len(p), nil
}

// String returns the output kept so far.
func (w *logWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}
