package natstransport

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/calbridge/calbridge/freebusy"
	"github.com/calbridge/calbridge/internal/sample"
	"github.com/calbridge/calbridge/transport"
)

// TestCompactAnswerRoundTrip: an answer written in the compact form reads
// back as the same schedules as its JSON form, framed as the package
// writes it or as another writer might (members reordered, spaces).
func TestCompactAnswerRoundTrip(t *testing.T) {
	out := richAnswer(t)
	body, err := appendCompactAnswer(nil, out)
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(string(body), `{"v":1,"compact":{"form":"compact1",`), "%s", body)

	got, fe, err := decodeAnswer(transport.CompactForm, body, DefaultMaxAnswerBytes, nil)
	require.NoError(t, err)
	require.Nil(t, fe)
	sameSchedules(t, out, got)
	var buf freebusy.ScheduleBuffer
	into, _, err := decodeAnswer(transport.CompactForm, body, DefaultMaxAnswerBytes, &buf)
	require.NoError(t, err)
	require.Equal(t, got, into, "decoded into a buffer as without one")
	assert.Equal(t, "Europe/Berlin", got[0].WorkingHours.Location.String())
	assert.Equal(t, freebusy.ReasonUnknownAttendee, got[1].Err.Reason)

	inner := strings.TrimSuffix(strings.TrimPrefix(string(body), compactAnswerPrefix), "}")
	for _, framed := range []string{
		`{"compact":` + inner + `,"v":1}`,
		`{ "v" : 1 , "compact" : ` + inner + ` }`,
	} {
		got, fe, err := decodeAnswer(transport.CompactForm, []byte(framed), DefaultMaxAnswerBytes, nil)
		require.NoError(t, err, framed)
		require.Nil(t, fe)
		sameSchedules(t, out, got)
	}

	// The compact form is under a fourth of the JSON for a week of busy
	// calendars.
	_, week := busyWeeks(t, 1)
	compact, err := appendCompactAnswer(nil, week)
	require.NoError(t, err)
	plain, err := encodeAnswer(week, nil)
	require.NoError(t, err)
	assert.Less(t, 4*len(compact), len(plain), "compact %d bytes, JSON %d", len(compact), len(plain))
}

// busyWeeks is the query and the answer of the gateway benchmarks' load
// (internal/sample: 100 attendees, a working week of back-to-back
// meetings), the same week repeated weeks times.
func busyWeeks(t testing.TB, weeks int) (freebusy.Query, []freebusy.Schedule) {
	t.Helper()
	q, _ := sample.Load100x7d(true)
	q.End = q.Start.AddDate(0, 0, 7*weeks)
	out := make([]freebusy.Schedule, len(q.Attendees))
	for m, a := range q.Attendees {
		s := freebusy.Schedule{Attendee: a, Start: q.Start, End: q.End}
		week := sample.LoadIntervals(m)
		for w := range weeks {
			for _, iv := range week {
				iv.Start, iv.End = iv.Start.AddDate(0, 0, 7*w), iv.End.AddDate(0, 0, 7*w)
				s.Intervals = append(s.Intervals, iv)
			}
		}
		_, err := s.Normalize()
		require.NoError(t, err)
		out[m] = s
	}
	return q, out
}

// TestServerAnswersCompactWhenOffered: a worker answers in the compact
// form, and says so, only to a caller that offers it, and only when it
// has the form on; errors are always JSON.
func TestServerAnswersCompactWhenOffered(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ns := bubbleNATS(t)
		bubbleWorker(t, ns, staticSource)
		p := newRawPeer(t, pipeConn(t, ns))

		_, m := p.ask(nats.Header{hdrForms: {"json, " + transport.CompactForm}}, goodQuery)
		require.NotNil(t, m)
		assert.Equal(t, transport.CompactForm, m.Header.Get(hdrForm))
		assert.True(t, strings.HasPrefix(string(m.Data), compactAnswerPrefix), "%.80s", m.Data)
		out, fe := answerOf(t, m)
		require.Nil(t, fe)
		want, err := staticSource(context.Background(), freebusy.Query{Attendees: []string{"a@example.com"}, Start: t0, End: t0.Add(24 * time.Hour)})
		require.NoError(t, err)
		sameSchedules(t, want, out)

		for name, hdr := range map[string]nats.Header{
			"not offered":       nil,
			"another form only": {hdrForms: {"compact2"}},
		} {
			_, m := p.ask(hdr, goodQuery)
			require.NotNil(t, m, name)
			assert.Empty(t, m.Header.Values(hdrForm), name)
			assert.True(t, strings.HasPrefix(string(m.Data), `{"v":1,"schedules":[`), "%s: %.80s", name, m.Data)
			out, fe := answerOf(t, m)
			require.Nil(t, fe, name)
			sameSchedules(t, want, out)
		}

		_, m = p.ask(nats.Header{hdrForms: {transport.CompactForm}}, `{"v":1,"attendees":[]}`)
		require.NotNil(t, m)
		assert.Empty(t, m.Header.Values(hdrForm), "an error is JSON")
		_, fe = answerOf(t, m)
		require.NotNil(t, fe)
		assert.Equal(t, freebusy.ReasonInvalid, fe.Reason)
	})
	synctest.Test(t, func(t *testing.T) {
		ns := bubbleNATS(t)
		bubbleWorker(t, ns, staticSource, WithCompactSchedules(false))
		p := newRawPeer(t, pipeConn(t, ns))
		_, m := p.ask(nats.Header{hdrForms: {transport.CompactForm}}, goodQuery)
		require.NotNil(t, m)
		assert.Empty(t, m.Header.Values(hdrForm), "a worker with the form off answers JSON")
		out, fe := answerOf(t, m)
		require.Nil(t, fe)
		assert.Len(t, out, 1)
	})
}

// TestClientOffersCompact: a Client offers the compact form in every
// query unless it has it off, and reads answers in either form, so that
// it works with workers that predate the form as with new ones.
func TestClientOffersCompact(t *testing.T) {
	for _, tc := range []struct {
		name          string
		opts          []ClientOption
		workerCompact bool
		wantOffer     string
	}{
		{"new client, new worker", nil, true, transport.CompactForm},
		{"new client, old worker", nil, false, transport.CompactForm},
		{"client with the form off", []ClientOption{WithCompactSchedules(false)}, false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ns := bubbleNATS(t)
				nc := pipeConn(t, ns)
				offered := make(chan string, 4)
				_, err := nc.QueueSubscribe(DefaultSubject, DefaultQueueGroup, func(m *nats.Msg) {
					offered <- m.Header.Get(hdrForms)
					r, err := decodeRequest(m.Header, m.Data)
					if err != nil {
						return
					}
					out, _ := staticSource(context.Background(), r.q)
					hdr := nats.Header{hdrKind: {kindAnswer}}
					body, _ := encodeAnswer(out, nil) // a worker of before the form
					if tc.workerCompact {
						hdr.Set(hdrForm, transport.CompactForm)
						body, _ = appendCompactAnswer(nil, out)
					}
					_ = nc.PublishMsg(&nats.Msg{Subject: m.Reply, Header: hdr, Data: body})
				})
				require.NoError(t, err)
				synctest.Wait()
				c := bubbleClient(t, ns, tc.opts...)
				q := testQuery(3)
				got, err := c.FreeBusy(context.Background(), q)
				require.NoError(t, err)
				assert.Equal(t, tc.wantOffer, <-offered)
				want, err := staticSource(context.Background(), q)
				require.NoError(t, err)
				sameSchedules(t, want, got)
			})
		})
	}
}

// TestCompactEndToEnd: a Client and a Server of this version speak the
// compact form to each other (seen by a listener on the Client's reply
// subjects), and the caller gets what the Source said.
func TestCompactEndToEnd(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ns := bubbleNATS(t)
		bubbleWorker(t, ns, staticSource)
		c := bubbleClient(t, ns)
		tap := pipeConn(t, ns)
		answers := make(chan *nats.Msg, 4)
		_, err := tap.ChanSubscribe(c.inbox+"*", answers)
		require.NoError(t, err)
		synctest.Wait()
		q := testQuery(4)
		got, err := c.FreeBusy(context.Background(), q)
		require.NoError(t, err)
		want, err := staticSource(context.Background(), q)
		require.NoError(t, err)
		sameSchedules(t, want, got)
		synctest.Wait()
		m := <-answers
		assert.Equal(t, kindAnswer, m.Header.Get(hdrKind))
		assert.Equal(t, transport.CompactForm, m.Header.Get(hdrForm))
	})
}

// TestBusyMonthFitsDefaultPayload: four weeks of 100 busy calendars (the
// gateway benchmarks' week, four times over) cross a NATS server with the
// default max_payload (1 MiB) in the compact form; in JSON they are too
// large, and the caller is told so.
func TestBusyMonthFitsDefaultPayload(t *testing.T) {
	ns := startNATS(t, 0)
	probe, err := nats.Connect(ns.ClientURL())
	require.NoError(t, err)
	require.Equal(t, int64(server.MAX_PAYLOAD_SIZE), probe.MaxPayload(), "the NATS server's default max_payload")
	probe.Close()
	q, want := busyWeeks(t, 4)
	plain, err := encodeAnswer(want, nil)
	require.NoError(t, err)
	require.Greater(t, len(plain), server.MAX_PAYLOAD_SIZE, "the weeks in JSON")
	src := freebusy.SourceFunc(func(context.Context, freebusy.Query) ([]freebusy.Schedule, error) { return want, nil })
	for _, compact := range []bool{true, false} {
		// A subject per round: the NATS server drops the last round's
		// worker when it sees its connection close, which may come after
		// this round's query.
		subject := WithSubject(Subject("month-compact-" + strconv.FormatBool(compact)))
		w, err := NewServer([]string{ns.ClientURL()}, src, WithCompactSchedules(compact), subject)
		require.NoError(t, err)
		c, err := NewClient([]string{ns.ClientURL()}, WithCompactSchedules(compact), WithMaxAttempts(1), subject)
		require.NoError(t, err)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		got, err := c.FreeBusy(ctx, q)
		cancel()
		if compact {
			require.NoError(t, err)
			sameSchedules(t, want, got)
		} else {
			require.Error(t, err)
			assert.Equal(t, freebusy.ReasonInternal, freebusy.ReasonOf(err), "%v", err)
			assert.Contains(t, err.Error(), "max_payload")
		}
		require.NoError(t, c.Close())
		require.NoError(t, w.Close())
	}
}

// TestDecodeCompactAnswerErrors: what the form header and the body must
// agree on, and what a compact body must hold.
func TestDecodeCompactAnswerErrors(t *testing.T) {
	good, err := appendCompactAnswer(nil, richAnswer(t))
	require.NoError(t, err)
	inner := strings.TrimSuffix(strings.TrimPrefix(string(good), compactAnswerPrefix), "}")
	for name, tc := range map[string]struct {
		form, body string
		cond       error
		detail     string
	}{
		"unknown form":         {"compact9", string(good), ErrMalformed, `"compact9"`},
		"compact unannounced":  {"", string(good), ErrMalformed, hdrForm},
		"JSON announced":       {transport.CompactForm, `{"v":1,"schedules":[{"attendee":"a"}]}`, ErrMalformed, "nothing else"},
		"error announced":      {transport.CompactForm, `{"v":1,"error":{"reason":"internal"}}`, ErrMalformed, "nothing else"},
		"compact and error":    {transport.CompactForm, `{"error":{"reason":"internal"},"v":1,"compact":` + inner + `}`, ErrMalformed, "nothing else"},
		"later version":        {transport.CompactForm, `{"v":2,"compact":` + inner + `}`, ErrVersion, "version 2"},
		"no version":           {transport.CompactForm, `{"compact":` + inner + `}`, ErrVersion, `no "v"`},
		"not JSON":             {transport.CompactForm, `compact`, ErrMalformed, ""},
		"bad compact":          {transport.CompactForm, compactAnswerPrefix + `{"form":"compact1","base":"x"}}`, ErrMalformed, ""},
		"another compact form": {transport.CompactForm, compactAnswerPrefix + `{"form":"compact2","base":0,"schedules":[]}}`, ErrMalformed, ""},
		"no schedules":         {transport.CompactForm, compactAnswerPrefix + `{"form":"compact1","base":0,"schedules":[]}}`, ErrMalformed, "no schedules"},
		"trailing":             {transport.CompactForm, string(good) + `}`, ErrMalformed, ""},
		"over the limit":       {transport.CompactForm, string(good) + strings.Repeat(" ", DefaultMaxAnswerBytes), ErrTooLarge, ""},
	} {
		for _, buf := range []*freebusy.ScheduleBuffer{nil, new(freebusy.ScheduleBuffer)} {
			out, fe, err := decodeAnswer(tc.form, []byte(tc.body), DefaultMaxAnswerBytes, buf)
			assert.Nil(t, out, name)
			assert.Nil(t, fe, name)
			var de *DecodeError
			if assert.ErrorAs(t, err, &de, name) {
				assert.ErrorIs(t, err, tc.cond, name)
				assert.Equal(t, "answer", de.Message, name)
				assert.Contains(t, err.Error(), tc.detail, name)
				assert.Less(t, len(err.Error()), 400, "%s: the error does not echo the input", name)
			}
		}
	}
}

// TestOffers: the Calbridge-Forms header is a comma-separated list.
func TestOffers(t *testing.T) {
	for forms, want := range map[string]bool{
		"compact1":             true,
		" json , compact1 ":    true,
		"compact2,compact1":    true,
		"":                     false,
		"compact10":            false,
		"compact":              false,
		"json":                 false,
		"compact1;q=1":         false,
		strings.Repeat(",", 9): false,
	} {
		assert.Equal(t, want, offers(forms, transport.CompactForm), "%q", forms)
	}
}

// FuzzDecodeCompactReply: a client never panics on an answer announced
// in the compact form, whatever its body; it refuses it with a
// *DecodeError, or reads schedules that survive a round trip through the
// form, the same decoded into a buffer (reused from input to input) as
// without one.
func FuzzDecodeCompactReply(f *testing.F) {
	good, _ := appendCompactAnswer(nil, richAnswer(f))
	f.Add(good)
	inner := strings.TrimSuffix(strings.TrimPrefix(string(good), compactAnswerPrefix), "}")
	f.Add([]byte(`{"compact":` + inner + `,"v":1}`))
	f.Add([]byte(compactAnswerPrefix + `{"form":"compact1","base":0,"schedules":[]}}`))
	f.Add([]byte(`{"v":1,"compact":null}`))
	f.Add([]byte(`{"v":1,"compact":{"form":"compact1","base":1772409600,"schedules":[{"attendee":"a","start":0,"end":86400,"intervals":[1,0,3600,2]}]}}`))
	var buf freebusy.ScheduleBuffer
	f.Fuzz(func(t *testing.T, body []byte) {
		out, fe, err := decodeAnswer(transport.CompactForm, body, DefaultMaxAnswerBytes, nil)
		buf.Reset()
		into, feInto, errInto := decodeAnswer(transport.CompactForm, body, DefaultMaxAnswerBytes, &buf)
		require.Equal(t, err == nil, errInto == nil, "with a buffer as without: %v, %v", err, errInto)
		if err != nil {
			var de *DecodeError
			if !assert.ErrorAs(t, err, &de) {
				t.Fatalf("untyped error %T: %v", err, err)
			}
			return
		}
		require.Equal(t, out, into, "with a buffer as without")
		require.Equal(t, fe, feInto)
		if fe != nil || len(out) == 0 {
			t.Fatalf("a compact answer gave error %v and %d schedules", fe, len(out))
		}
		again, err := appendCompactAnswer(nil, out)
		require.NoError(t, err)
		out2, _, err := decodeAnswer(transport.CompactForm, again, DefaultMaxAnswerBytes, nil)
		require.NoError(t, err, "%s", again)
		sameSchedules(t, out, out2)
	})
}

// TestClientFreeBusyInto: a Client decodes compact answers into the
// caller's buffer, whose memory serves again after a Reset; JSON answers
// do not use it.
func TestClientFreeBusyInto(t *testing.T) {
	q, week := busyWeeks(t, 1)
	q.Attendees, week = q.Attendees[:20], week[:20]
	src := freebusy.SourceFunc(func(context.Context, freebusy.Query) ([]freebusy.Schedule, error) { return week, nil })
	for _, compact := range []bool{true, false} {
		synctest.Test(t, func(t *testing.T) {
			ns := bubbleNATS(t)
			bubbleWorker(t, ns, src, WithCompactSchedules(compact))
			c := bubbleClient(t, ns)
			ctx := context.Background()
			var buf freebusy.ScheduleBuffer
			first, err := c.FreeBusyInto(ctx, q, &buf)
			require.NoError(t, err)
			sameSchedules(t, week, first)
			second, err := c.FreeBusyInto(ctx, q, &buf)
			require.NoError(t, err)
			require.NotSame(t, &first[0], &second[0], "without a Reset, other memory")
			sameSchedules(t, week, first)

			buf.Reset()
			third, err := c.FreeBusyInto(ctx, q, &buf)
			require.NoError(t, err)
			buf.Reset()
			fourth, err := c.FreeBusyInto(ctx, q, &buf)
			require.NoError(t, err)
			sameSchedules(t, week, fourth)
			if compact {
				require.Same(t, &third[0], &fourth[0], "after a Reset, the buffer's schedules")
				require.Same(t, &third[0].Intervals[0], &fourth[0].Intervals[0], "and its intervals")
				buf.Reset()
				require.Zero(t, fourth[0].Attendee, "the answer was in the buffer")
			} else {
				buf.Reset()
				sameSchedules(t, week, fourth)
			}
		})
	}
	_, err := (&Client{}).FreeBusyInto(context.Background(), freebusy.Query{}, nil)
	var qe *freebusy.QueryError
	require.ErrorAs(t, err, &qe, "an invalid query is refused before anything is sent")
}

// TestCompactEncodeError: schedules a worker cannot write (a status
// outside the enum) fail the call as internal in either form, and the
// worker stays up for the next query.
func TestCompactEncodeError(t *testing.T) {
	bad := freebusy.SourceFunc(func(ctx context.Context, q freebusy.Query) ([]freebusy.Schedule, error) {
		out, err := staticSource(ctx, q)
		if q.Attendees[0] == "bad@example.com" {
			out[0].Intervals[0].Status = 42
		}
		return out, err
	})
	for _, compact := range []bool{true, false} {
		synctest.Test(t, func(t *testing.T) {
			ns := bubbleNATS(t)
			bubbleWorker(t, ns, bad, WithCompactSchedules(compact))
			c := bubbleClient(t, ns, WithCompactSchedules(compact))
			q := testQuery(1)
			q.Attendees = []string{"bad@example.com"}
			_, err := c.FreeBusy(context.Background(), q)
			require.Error(t, err, "compact %v", compact)
			assert.Equal(t, freebusy.ReasonInternal, freebusy.ReasonOf(err), "compact %v: %v", compact, err)
			assert.Contains(t, err.Error(), "cannot encode the answer", "compact %v", compact)
			out, err := c.FreeBusy(context.Background(), testQuery(1))
			require.NoError(t, err, "compact %v", compact)
			assert.Len(t, out, 1)
		})
	}
}
