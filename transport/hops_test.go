package transport

import (
	"bufio"
	"context"
	"encoding/json"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/calbridge/calbridge/freebusy"
)

// hopsSource answers every attendee Busy and records the hop count of the
// context each call arrived with.
type hopsSource struct{ seen chan int }

func (s hopsSource) FreeBusy(ctx context.Context, q freebusy.Query) ([]freebusy.Schedule, error) {
	s.seen <- freebusy.Hops(ctx)
	out := make([]freebusy.Schedule, len(q.Attendees))
	for i, a := range q.Attendees {
		out[i] = freebusy.Schedule{Attendee: a, Start: q.Start, End: q.End}
	}
	return out, nil
}

// The client carries freebusy.Hops of its context, and the server puts it
// back on the context it gives its Source; a query without hops arrives
// with none.
func TestHopsCrossTheWire(t *testing.T) {
	src := hopsSource{seen: make(chan int, 4)}
	srv, err := NewServer(src)
	require.NoError(t, err)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(l) }()
	c, err := NewClient([]string{l.Addr().String()}, WithWaitForReady(true))
	require.NoError(t, err)
	defer func() {
		require.NoError(t, c.Close())
		require.NoError(t, srv.Close())
		<-served
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	q := freebusy.Query{Attendees: []string{"a@example.com"}, Start: time.Unix(0, 0), End: time.Unix(3600, 0)}
	for _, hops := range []int{0, 1, 7} {
		_, err := c.FreeBusy(freebusy.WithHops(ctx, hops), q)
		require.NoError(t, err)
		assert.Equal(t, hops, <-src.seen)
	}
}

func TestFreeBusyParamsJSON(t *testing.T) {
	q := freebusy.Query{Attendees: []string{"a@example.com"}, Start: time.Unix(0, 0).UTC(), End: time.Unix(3600, 0).UTC()}
	bare, err := json.Marshal(q)
	require.NoError(t, err)
	got, err := json.Marshal(freeBusyParamsOf(context.Background(), q))
	require.NoError(t, err)
	assert.JSONEq(t, string(bare), string(got), "no hops: the params are the bare query")

	got, err = json.Marshal(freeBusyParamsOf(freebusy.WithHops(context.Background(), 2), q))
	require.NoError(t, err)
	var members map[string]any
	require.NoError(t, json.Unmarshal(got, &members))
	assert.Equal(t, float64(2), members["hops"])
	require.NoError(t, decodeParams(got, freeBusyMembers(), new(freebusy.Query)))
	h, err := decodeHops(got)
	require.NoError(t, err)
	assert.Equal(t, 2, h)
}

func TestDecodeHops(t *testing.T) {
	for params, want := range map[string]int{
		`{"attendees":["a"]}`:             0,
		`{"attendees":["shops@x"]}`:       0,
		`{"hops":null}`:                   0,
		`{"hops":3}`:                      3,
		`{"HOPS":4}`:                      4,
		`{"\u0068ops":5}`:                 5,
		`{"attendees":["a\"b"],"hops":1}`: 1,
	} {
		got, err := decodeHops(json.RawMessage(params))
		require.NoError(t, err, params)
		assert.Equal(t, want, got, params)
	}
	for _, bad := range []string{`{"hops":-1}`, `{"hops":1.5}`, `{"hops":"1"}`, `{"hops":1e30}`} {
		_, err := decodeHops(json.RawMessage(bad))
		assert.Error(t, err, bad)
	}
}

// A stock client's bad hop count is refused as invalid params, and the
// call is not run.
func TestServerRefusesBadHops(t *testing.T) {
	src := hopsSource{seen: make(chan int, 1)}
	srv, err := NewServer(src)
	require.NoError(t, err)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(l) }()
	b, err := net.Dial("tcp", l.Addr().String())
	require.NoError(t, err)
	br := bufio.NewReader(b)
	defer func() { b.Close(); require.NoError(t, srv.Close()); <-served }()
	send := func(id int, method, params string) map[string]any {
		line := `{"jsonrpc":"2.0","id":` + strconv.Itoa(id) + `,"method":"` + method + `","params":` + params + "}\n"
		_, err := b.Write([]byte(line))
		require.NoError(t, err)
		reply, err := br.ReadBytes('\n')
		require.NoError(t, err)
		var resp map[string]any
		require.NoError(t, json.Unmarshal(reply, &resp))
		return resp
	}
	require.Contains(t, send(1, methodHello, `{"version":1}`), "result")
	resp := send(2, methodFreeBusy, `{"attendees":["a@x"],"start":"2026-03-02T00:00:00Z","end":"2026-03-03T00:00:00Z","hops":-2}`)
	require.Contains(t, resp, "error")
	assert.Equal(t, float64(CodeInvalidParams), resp["error"].(map[string]any)["code"])
	assert.Empty(t, src.seen, "the call is not run")
}
