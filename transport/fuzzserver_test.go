package transport

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"sync"
	"testing"
	"time"
)

// captureConn is a net.Conn that records what the server writes.
type captureConn struct {
	net.Conn // nil: only the methods below are used
	mu       sync.Mutex
	out      bytes.Buffer
	closed   bool
}

func (c *captureConn) Write(b []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.out.Write(b)
}
func (c *captureConn) Close() error                     { c.mu.Lock(); c.closed = true; c.mu.Unlock(); return nil }
func (c *captureConn) SetWriteDeadline(time.Time) error { return nil }
func (c *captureConn) RemoteAddr() net.Addr             { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1} }

// checkReply reports whether v is a JSON-RPC 2.0 response object.
func checkReply(t *testing.T, v any, line []byte) {
	m, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("reply is not an object: %s", line)
	}
	if m["jsonrpc"] != "2.0" {
		t.Fatalf("reply without jsonrpc 2.0: %s", line)
	}
	if _, ok := m["id"]; !ok {
		t.Fatalf("reply without id: %s", line)
	}
	_, hasResult := m["result"]
	e, hasError := m["error"].(map[string]any)
	if hasResult == hasError {
		t.Fatalf("reply must have exactly one of result and error: %s", line)
	}
	if hasError {
		if _, ok := e["code"].(float64); !ok {
			t.Fatalf("error without numeric code: %s", line)
		}
	}
}

// FuzzServerMessage feeds arbitrary messages to a connection that has
// completed its handshake: the server must not panic, and everything it
// writes must be well-formed JSON-RPC 2.0 responses, one per line.
func FuzzServerMessage(f *testing.F) {
	for _, s := range []string{
		`{"jsonrpc":"2.0","id":1,"method":"calbridge.ping"}`,
		`{"jsonrpc":"2.0","id":"x","method":"calbridge.freebusy","params":{"attendees":["alice@example.com","nobody@example.com"],"start":"2026-03-02T00:00:00Z","end":"2026-03-03T00:00:00Z","granularityMinutes":30}}`,
		`{"jsonrpc":"2.0","id":2,"method":"calbridge.hello","params":{"version":2}}`,
		`[{"jsonrpc":"2.0","id":2,"method":"calbridge.ping"},{"jsonrpc":"2.0","method":"calbridge.ping"},5]`,
		`{"jsonrpc":"2.0","id":null,"method":"calbridge.freebusy","params":{"attendees":[]}}`,
		`{"jsonrpc":"2.0","method":"calbridge.freebusy","params":{"attendees":["a"],"start":"2026-03-02T00:00:00Z","end":"2026-03-03T00:00:00Z"}}`,
		`{"jsonrpc":"2.0","id":1,"method":`,
		`[]`,
		`"hello"`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		if len(bytes.TrimSpace(line)) == 0 || bytes.IndexByte(line, '\n') >= 0 {
			return // framing: the reader never hands these to handle
		}
		s := newServer(t, staticSource, WithServerCallTimeout(time.Second))
		nc := &captureConn{}
		sc := &serverConn{s: s, nc: nc, sem: make(chan struct{}, 4), helloDone: true}
		sc.ctx, sc.cancel = context.WithCancel(context.Background())
		defer sc.cancel()
		sc.handle(line)
		s.wg.Wait()
		nc.mu.Lock()
		out := nc.out.Bytes()
		nc.mu.Unlock()
		for _, reply := range bytes.Split(bytes.TrimSuffix(out, []byte("\n")), []byte("\n")) {
			if len(reply) == 0 {
				continue
			}
			var v any
			if err := json.Unmarshal(reply, &v); err != nil {
				t.Fatalf("server wrote invalid JSON %q for input %q", reply, line)
			}
			if arr, ok := v.([]any); ok {
				for _, r := range arr {
					checkReply(t, r, reply)
				}
				continue
			}
			checkReply(t, v, reply)
		}
	})
}
