package natstransport

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/calbridge/calbridge/freebusy"
)

func TestRequestRoundTrip(t *testing.T) {
	q := freebusy.Query{Attendees: []string{"a@example.com", "CN=Bob/O=Acme"}, Start: t0, End: t0.Add(48 * time.Hour), Granularity: 15 * time.Minute, Detail: freebusy.DetailFull}
	body, err := encodeRequest(q)
	require.NoError(t, err)
	r, err := decodeRequest(nats.Header{hdrHops: {"2"}, hdrTimeout: {"1500"}}, body)
	require.NoError(t, err)
	assert.Equal(t, q, r.q)
	assert.Equal(t, 2, r.hops)
	assert.Equal(t, 1500*time.Millisecond, r.timeout)

	// Instants with an offset arrive as UTC.
	r, err = decodeRequest(nil, []byte(`{"v":1,"attendees":["a"],"start":"2026-03-02T01:00:00+01:00","end":"2026-03-03T01:00:00+01:00"}`))
	require.NoError(t, err)
	assert.Equal(t, t0, r.q.Start)
	assert.Equal(t, time.UTC, r.q.Start.Location())
	assert.Zero(t, r.hops)
	assert.Zero(t, r.timeout)
}

func TestDecodeRequestErrors(t *testing.T) {
	for name, tc := range map[string]struct {
		hdr  nats.Header
		body string
		cond error
	}{
		"empty":           {nil, ``, ErrMalformed},
		"not an object":   {nil, `[1]`, ErrMalformed},
		"no version":      {nil, `{"attendees":["a"]}`, ErrVersion},
		"version 0":       {nil, `{"v":0}`, ErrVersion},
		"version string":  {nil, `{"v":"1"}`, ErrMalformed},
		"bad start":       {nil, `{"v":1,"start":"monday"}`, ErrMalformed},
		"bad granularity": {nil, `{"v":1,"granularityMinutes":1e300}`, ErrMalformed},
		"deep":            {nil, `{"v":1,"attendees":[{"a":1}]}`, ErrMalformed},
		"many elements":   {nil, `{"v":1,"attendees":[` + strings.Repeat(`"a",`, 5000) + `"a"]}`, ErrMalformed},
		"huge":            {nil, strings.Repeat(" ", maxRequestBytes+1), ErrTooLarge},
		"hops negative":   {nats.Header{hdrHops: {"-3"}}, `{"v":1}`, ErrMalformed},
		"hops huge":       {nats.Header{hdrHops: {"99999999999999999999"}}, `{"v":1}`, ErrMalformed},
		"timeout text":    {nats.Header{hdrTimeout: {"1s"}}, `{"v":1}`, ErrMalformed},
		"timeout a year":  {nats.Header{hdrTimeout: {"31536000000"}}, `{"v":1}`, ErrMalformed},
	} {
		_, err := decodeRequest(tc.hdr, []byte(tc.body))
		var de *DecodeError
		if assert.ErrorAs(t, err, &de, name) {
			assert.ErrorIs(t, err, tc.cond, name)
			assert.ErrorIs(t, err, freebusy.ErrInvalid, name)
			assert.Equal(t, "query", de.Message, name)
			assert.Less(t, len(err.Error()), 400, "%s: the error does not echo the input", name)
		}
	}
}

func TestAnswerRoundTrip(t *testing.T) {
	out := richAnswer(t)
	body, err := encodeAnswer(out, nil)
	require.NoError(t, err)
	got, fe, err := decodeAnswer("", body, DefaultMaxAnswerBytes, nil)
	require.NoError(t, err)
	require.Nil(t, fe)
	require.Len(t, got, 2)
	assert.Equal(t, out[0].Intervals, got[0].Intervals)
	assert.Equal(t, out[0].WorkingHours.Periods, got[0].WorkingHours.Periods)
	assert.Equal(t, "Europe/Berlin", got[0].WorkingHours.Location.String())
	assert.True(t, got[0].Stale)
	assert.Equal(t, freebusy.ReasonUnavailable, got[0].StaleReason)
	assert.True(t, out[0].AsOf.Equal(got[0].AsOf))
	assert.Equal(t, freebusy.ReasonUnknownAttendee, got[1].Err.Reason)

	body, err = encodeAnswer(nil, &freebusy.Error{Reason: freebusy.ReasonThrottled, Message: "later", RetryAfter: 250 * time.Millisecond})
	require.NoError(t, err)
	got, fe, err = decodeAnswer("", body, DefaultMaxAnswerBytes, nil)
	require.NoError(t, err)
	assert.Nil(t, got)
	assert.Equal(t, &freebusy.Error{Reason: freebusy.ReasonThrottled, Message: "later", RetryAfter: 250 * time.Millisecond}, fe)

	// An error that is not a *freebusy.Error crosses with its reason.
	body, err = encodeAnswer(nil, context.DeadlineExceeded)
	require.NoError(t, err)
	_, fe, err = decodeAnswer("", body, DefaultMaxAnswerBytes, nil)
	require.NoError(t, err)
	assert.Equal(t, freebusy.ReasonTimeout, fe.Reason)
}

func TestDecodeAnswerErrors(t *testing.T) {
	for name, tc := range map[string]struct {
		body string
		cond error
	}{
		"empty":          {``, ErrMalformed},
		"no version":     {`{"schedules":[]}`, ErrVersion},
		"version 2":      {`{"v":2,"schedules":[]}`, ErrVersion},
		"neither":        {`{"v":1}`, ErrMalformed},
		"no schedules":   {`{"v":1,"schedules":[]}`, ErrMalformed},
		"both":           {`{"v":1,"schedules":[],"error":{"reason":"internal"}}`, ErrMalformed},
		"bad reason":     {`{"v":1,"error":{"reason":"sulking"}}`, ErrMalformed},
		"bad retry":      {`{"v":1,"error":{"reason":"throttled","retryAfterMs":-5}}`, ErrMalformed},
		"bad status":     {`{"v":1,"schedules":[{"attendee":"a","intervals":[{"status":"sleepy"}]}]}`, ErrMalformed},
		"deep":           {`{"v":1,"schedules":[[[[[[[[[]]]]]]]]]}`, ErrMalformed},
		"trailing":       {`{"v":1,"schedules":[]} {}`, ErrMalformed},
		"over the limit": {`{"v":1,"schedules":[` + strings.Repeat(" ", 2048) + `]}`, ErrTooLarge},
	} {
		_, _, err := decodeAnswer("", []byte(tc.body), 2048, nil)
		var de *DecodeError
		if assert.ErrorAs(t, err, &de, name) {
			assert.ErrorIs(t, err, tc.cond, name)
			assert.Equal(t, "answer", de.Message, name)
		}
	}
	// A reason-less error still failed: it reads as internal.
	_, fe, err := decodeAnswer("", []byte(`{"v":1,"error":{"message":"?"}}`), 2048, nil)
	require.NoError(t, err)
	assert.Equal(t, freebusy.ReasonInternal, fe.Reason)
}

// FuzzDecodeRequest: a worker never panics on what arrives on its
// subject, and what it accepts survives a round trip.
func FuzzDecodeRequest(f *testing.F) {
	f.Add("", "", []byte(goodQuery))
	f.Add("2", "1500", []byte(`{"v":1,"attendees":["a","b"],"start":"2026-03-02T00:00:00+01:00","end":"2026-03-03T00:00:00Z","granularityMinutes":15,"detail":"full"}`))
	f.Add("-1", "x", []byte(`{"v":2}`))
	f.Add("", "", []byte(`{"v":1,"attendees":[[["a"]]],"granularityMinutes":1e308}`))
	f.Add("1", "", []byte(`{"v":1,"Attendees":["\u0061"],"V":3}`))
	f.Add("", "", []byte(`[{"v":1}]`))
	f.Fuzz(func(t *testing.T, hops, timeout string, body []byte) {
		hdr := nats.Header{}
		if hops != "" {
			hdr.Set(hdrHops, hops)
		}
		if timeout != "" {
			hdr.Set(hdrTimeout, timeout)
		}
		r, err := decodeRequest(hdr, body)
		if err != nil {
			var de *DecodeError
			if !assert.ErrorAs(t, err, &de) {
				t.Fatalf("untyped error %T: %v", err, err)
			}
			return
		}
		if r.hops < 0 || r.timeout < 0 {
			t.Fatalf("negative hops %d or timeout %v", r.hops, r.timeout)
		}
		if r.q.Start.Location() != time.UTC || r.q.End.Location() != time.UTC {
			t.Fatal("instants not UTC")
		}
		if r.q.Validate() != nil {
			return
		}
		again, err := encodeRequest(r.q)
		require.NoError(t, err)
		r2, err := decodeRequest(hdr, again)
		require.NoError(t, err)
		assert.Equal(t, r.q, r2.q)
	})
}

// FuzzDecodeReply: a client never panics on an answer, whatever a worker
// sends, and what it accepts survives a round trip.
func FuzzDecodeReply(f *testing.F) {
	out, _ := staticSource(context.Background(), freebusy.Query{Attendees: []string{"a@example.com", "nobody@example.com"}, Start: t0, End: t0.Add(24 * time.Hour)})
	good, _ := encodeAnswer(out, nil)
	f.Add(good)
	bad, _ := encodeAnswer(nil, &freebusy.Error{Reason: freebusy.ReasonThrottled, Message: "later", RetryAfter: time.Second})
	f.Add(bad)
	f.Add([]byte(`{"v":1,"schedules":[{"attendee":"a","start":"2026-03-02T00:00:00Z","end":"2026-03-03T00:00:00Z","workingHours":{"timeZone":"Europe/Berlin","periods":[{"days":["monday"],"start":"09:00","end":"17:00"}]},"events":[{"start":"2026-03-02T09:00:00Z","end":"2026-03-02T10:00:00Z","status":"busy","subject":"x"}]}]}`))
	f.Add([]byte(`{"v":1,"error":{"reason":"none"}}`))
	f.Add([]byte(`{"v":1,"schedules":null,"error":null}`))
	f.Add([]byte(`{"v":1,"schedules":[{"asOf":"2026-03-02T00:00:00Z","stale":true,"staleReason":"timeout"}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		schedules, fe, err := decodeAnswer("", body, DefaultMaxAnswerBytes, nil)
		if err != nil {
			var de *DecodeError
			if !assert.ErrorAs(t, err, &de) {
				t.Fatalf("untyped error %T: %v", err, err)
			}
			return
		}
		if (fe == nil) == (schedules == nil) {
			t.Fatalf("want exactly one of schedules and error, got %v and %v", schedules, fe)
		}
		if fe != nil && fe.Reason == freebusy.ReasonNone {
			t.Fatal("an error without a reason")
		}
		var again []byte
		if fe != nil {
			again, err = encodeAnswer(nil, fe)
		} else {
			again, err = encodeAnswer(schedules, nil)
		}
		require.NoError(t, err)
		s2, fe2, err := decodeAnswer("", again, DefaultMaxAnswerBytes, nil)
		require.NoError(t, err, "%s", again)
		a, _ := json.Marshal(schedules)
		b, _ := json.Marshal(s2)
		assert.JSONEq(t, string(a), string(b))
		assert.Equal(t, fe, fe2)
	})
}
