package router_test

import (
	"context"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/calbridge/calbridge/freebusy"
	"github.com/calbridge/calbridge/freebusy/router"
	"github.com/calbridge/calbridge/transport"
)

// A query that has made the most hops allowed is refused, attendee by
// attendee, with ReasonInvalid and ErrLoop; no backend is asked.
func TestRefusesALoopingQuery(t *testing.T) {
	rec := &recorder{}
	r, err := router.New(demoDir(t), map[string]freebusy.Source{"notes": rec}, router.WithMaxHops(2))
	require.NoError(t, err)
	q := query("ada.lovelace@notes.acme.example", "nobody@x.example")
	out, err := r.FreeBusy(freebusy.WithHops(context.Background(), 2), q)
	require.NoError(t, err)
	require.NoError(t, freebusy.CheckResult(q, out))
	for _, s := range out {
		require.NotNil(t, s.Err)
		assert.Equal(t, freebusy.ReasonInvalid, s.Err.Reason)
		assert.False(t, s.Err.Reason.Temporary(), "nobody retries a loop")
		assert.ErrorIs(t, s.Err, router.ErrLoop)
	}
	assert.Empty(t, rec.seen())

	_, err = r.FreeBusy(freebusy.WithHops(context.Background(), 1), q)
	require.NoError(t, err)
	assert.Equal(t, 2, rec.seen()[0].hops, "one hop below the limit passes, and counts one more")
}

// everyoneRemote is a directory that puts everyone on the "remote" side:
// a gateway configured to forward every name to the other gateway.
var everyoneRemote = dirFunc(func(_ context.Context, a string) (string, string, error) {
	return "remote", a, nil
})

// counting wraps a Source and counts its calls.
type counting struct {
	n   atomic.Int32
	src func() freebusy.Source
}

func (c *counting) FreeBusy(ctx context.Context, q freebusy.Query) ([]freebusy.Schedule, error) {
	c.n.Add(1)
	return c.src().FreeBusy(ctx, q)
}

// Two routers pointed at each other in one process (transport.Local): the
// query ends with the loop reason after MaxHops hops.
func TestTwoRoutersInProcess(t *testing.T) {
	var a, b *router.Source
	toB := &counting{src: func() freebusy.Source { return transport.NewLocal(b) }}
	toA := &counting{src: func() freebusy.Source { return transport.NewLocal(a) }}
	var err error
	a, err = router.New(everyoneRemote, map[string]freebusy.Source{"remote": toB})
	require.NoError(t, err)
	b, err = router.New(everyoneRemote, map[string]freebusy.Source{"remote": toA})
	require.NoError(t, err)

	q := query("alice@x.example", "bob@x.example")
	out, err := a.FreeBusy(context.Background(), q)
	require.NoError(t, err)
	require.NoError(t, freebusy.CheckResult(q, out))
	for _, s := range out {
		require.NotNil(t, s.Err)
		assert.Equal(t, freebusy.ReasonInvalid, s.Err.Reason)
		assert.ErrorIs(t, s.Err, router.ErrLoop)
	}
	// A (0) -> B (1) -> A (2) -> B (3: refused).
	assert.Equal(t, int32(2), toB.n.Load())
	assert.Equal(t, int32(1), toA.n.Load())
}

// serve runs a transport server for src on loopback and returns its
// address and a stop function.
func serve(t *testing.T, src freebusy.Source) (string, func()) {
	t.Helper()
	srv, err := transport.NewServer(src)
	require.NoError(t, err)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(l) }()
	return l.Addr().String(), func() {
		assert.NoError(t, srv.Close())
		<-served
	}
}

// Two gateways in the shape of the real thing, each serving its router
// over the RPC transport and forwarding the other's attendees through a
// transport.Client: the hop count crosses the wire, the loop ends with
// ErrLoop at the first gateway (restored from the message), and only
// MaxHops hops are made.
func TestTwoGatewaysOverTheWire(t *testing.T) {
	var clientToA, clientToB *transport.Client
	toA := &counting{src: func() freebusy.Source { return clientToA }}
	toB := &counting{src: func() freebusy.Source { return clientToB }}
	a, err := router.New(everyoneRemote, map[string]freebusy.Source{"remote": toB})
	require.NoError(t, err)
	b, err := router.New(everyoneRemote, map[string]freebusy.Source{"remote": toA})
	require.NoError(t, err)
	addrA, stopA := serve(t, a)
	defer stopA()
	addrB, stopB := serve(t, b)
	defer stopB()
	clientToA, err = transport.NewClient([]string{addrA}, transport.WithWaitForReady(true))
	require.NoError(t, err)
	defer clientToA.Close()
	clientToB, err = transport.NewClient([]string{addrB}, transport.WithWaitForReady(true))
	require.NoError(t, err)
	defer clientToB.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	q := query("alice@x.example")
	out, err := clientToA.FreeBusy(ctx, q) // a caller asks gateway A over the wire
	require.NoError(t, err)
	require.Len(t, out, 1)
	require.NotNil(t, out[0].Err)
	assert.Equal(t, freebusy.ReasonInvalid, out[0].Err.Reason)
	assert.Equal(t, router.ErrLoop.Error(), out[0].Err.Message)

	direct, err := a.FreeBusy(ctx, q) // and in process, where the cause survives
	require.NoError(t, err)
	assert.ErrorIs(t, direct[0].Err, router.ErrLoop, "restored from the message a remote router sent")
	// Each query: A (0) -> B (1) -> A (2) -> B (3: refused).
	assert.Equal(t, int32(2*2), toB.n.Load())
	assert.Equal(t, int32(2*1), toA.n.Load())
}
