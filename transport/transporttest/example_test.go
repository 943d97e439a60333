package transporttest_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	"github.com/calbridge/calbridge/freebusy"
	"github.com/calbridge/calbridge/transport"
	"github.com/calbridge/calbridge/transport/transporttest"
)

// busyAtNine answers every attendee with a busy hour from 09:00.
var busyAtNine = freebusy.SourceFunc(func(ctx context.Context, q freebusy.Query) ([]freebusy.Schedule, error) {
	out := make([]freebusy.Schedule, len(q.Attendees))
	for i, a := range q.Attendees {
		out[i] = freebusy.Schedule{Attendee: a, Start: q.Start, End: q.End, Intervals: []freebusy.Interval{
			{Start: q.Start.Add(9 * time.Hour), End: q.Start.Add(10 * time.Hour), Status: freebusy.Busy},
		}}
	}
	return out, nil
})

var day = time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)

// A client and server talking over the in-memory network: no ports, real
// deadlines. The client dials through the Network; the address is any
// host:port the listener was given.
func ExampleNetwork() {
	n := transporttest.NewNetwork()
	l, err := n.Listen("exchange-half:7000")
	if err != nil {
		panic(err)
	}
	srv, err := transport.NewServer(busyAtNine)
	if err != nil {
		panic(err)
	}
	go func() { _ = srv.Serve(l) }()
	defer srv.Close()

	c, err := transport.NewClient([]string{"exchange-half:7000"}, transport.WithDialer(n))
	if err != nil {
		panic(err)
	}
	defer c.Close()
	q := freebusy.Query{Attendees: []string{"ada@example.com"}, Start: day, End: day.Add(24 * time.Hour)}
	schedules, err := c.FreeBusy(context.Background(), q)
	if err != nil {
		panic(err)
	}
	fmt.Println(schedules[0].Attendee, schedules[0].StatusAt(day.Add(9*time.Hour+30*time.Minute)))
	// Output:
	// ada@example.com busy
}

// A proxy between client and server black-holes the link; the client's
// heartbeat notices, and once the fault is lifted the same client answers
// again.
func ExampleProxy() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	srv, err := transport.NewServer(busyAtNine)
	if err != nil {
		panic(err)
	}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()

	p, err := transporttest.NewProxy(ln.Addr().String())
	if err != nil {
		panic(err)
	}
	defer p.Close()

	c, err := transport.NewClient([]string{p.Addr()},
		// Short enough for an example, long enough that a loaded machine
		// neither misses a heartbeat nor times out a handshake to a
		// healthy server (the handshake timeout also keeps LastError the
		// heartbeat's while the client retries into the black hole).
		transport.WithHeartbeat(100*time.Millisecond, 500*time.Millisecond),
		transport.WithHandshakeTimeout(2*time.Second),
		transport.WithBackoff(transport.Backoff{BaseDelay: 20 * time.Millisecond, Multiplier: 1.6, Jitter: 0.2,
			MaxDelay: 200 * time.Millisecond, MinConnectTimeout: time.Second}))
	if err != nil {
		panic(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	q := freebusy.Query{Attendees: []string{"ada@example.com"}, Start: day, End: day.Add(24 * time.Hour)}

	_, err = c.FreeBusy(ctx, q)
	fmt.Println("before:", err)

	_ = p.SetFault(transporttest.Fault{BlackHole: true})
	for c.State() == transport.Ready && c.WaitForStateChange(ctx, transport.Ready) {
	}
	fmt.Println("heartbeat timeout:", errors.Is(c.Stats().LastError, transport.ErrHeartbeatTimeout))

	_ = p.SetFault(transporttest.Fault{})
	_, err = c.Call(ctx, q, transport.WaitForReady(true))
	fmt.Println("after healing:", err)
	// Output:
	// before: <nil>
	// heartbeat timeout: true
	// after healing: <nil>
}
