package redistest_test

import (
	"testing"

	"github.com/calbridge/calbridge/internal/redistest"
)

// A test starts its own redis-server, points its client at URL, and can
// take the server down and bring it back (empty) on the same port.
func ExampleStart() {
	_ = func(t *testing.T) {
		srv := redistest.Start(t, redistest.Options{Password: "secret"})
		url := "redis://:secret@" + srv.Addr() // what a client opens
		_ = url
		srv.Stop()    // Redis is down: the code under test must cope
		srv.Restart() // and back, empty, on the same port
	}
}
