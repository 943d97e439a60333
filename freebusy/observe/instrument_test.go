package observe_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/calbridge/calbridge/freebusy"
	"github.com/calbridge/calbridge/freebusy/observe"
)

var people = []string{"ada.lovelace@notes.acme.example", "CN=Alan Turing/OU=Research/O=Acme", "grace.hopper@exchange.acme.example"}

func query() freebusy.Query {
	return freebusy.Query{Attendees: people, Start: day, End: day.Add(7 * 24 * time.Hour), Detail: freebusy.DetailFull}
}

// mixed answers the first attendee with data (stale), the second as
// unknown and the third as timed out.
func mixed(q freebusy.Query) []freebusy.Schedule {
	out := []freebusy.Schedule{
		{Attendee: q.Attendees[0], Start: q.Start, End: q.End, Stale: true,
			Intervals: []freebusy.Interval{{Start: q.Start, End: q.Start.Add(time.Hour), Status: freebusy.Busy}}},
		freebusy.Failed(q.Attendees[1], q.Start, q.End, freebusy.ReasonUnknownAttendee, fmt.Errorf("no such person %s", q.Attendees[1])),
		freebusy.Failed(q.Attendees[2], q.Start, q.End, freebusy.ReasonTimeout, nil),
	}
	return out
}

// assertNoPersonalData fails when any field of an entry names an attendee.
func assertNoPersonalData(t *testing.T, entries []observer.LoggedEntry) {
	t.Helper()
	for _, e := range entries {
		text := strings.ToLower(e.Message + fmt.Sprint(e.ContextMap()))
		for _, p := range people {
			assert.NotContains(t, text, strings.ToLower(p), "entry %q at %v names an attendee", e.Message, e.Level)
			local, _, _ := strings.Cut(strings.ToLower(p), "@")
			assert.NotContains(t, text, local, "entry %q at %v names an attendee", e.Message, e.Level)
		}
	}
}

func TestInstrumentLogsCountsAndOutcomes(t *testing.T) {
	core, logs := observer.New(zap.DebugLevel)
	rec := newRecorder()
	src, err := observe.Instrument(fixedSource(mixed, nil), "exchange",
		observe.WithLogger(zap.New(core)), observe.WithMetrics(rec), observe.WithClock(stepClock(250*time.Millisecond)))
	require.NoError(t, err)

	got, err := src.FreeBusy(context.Background(), query())
	require.NoError(t, err)
	assert.Equal(t, mixed(query()), got, "the answer passes unchanged")

	info := logs.FilterLevelExact(zap.InfoLevel).All()
	require.Len(t, info, 1)
	assert.Equal(t, "free/busy query", info[0].Message)
	assert.Equal(t, map[string]any{
		"source":    "exchange",
		"attendees": int64(3),
		"window":    7 * 24 * time.Hour,
		"detail":    "full",
		"duration":  250 * time.Millisecond,
		"outcomes":  map[string]any{"none": 1, "unknown-attendee": 1, "timeout": 1},
		"stale":     int64(1),
	}, info[0].ContextMap())
	assertNoPersonalData(t, info)

	debug := logs.FilterLevelExact(zap.DebugLevel).All()
	require.Len(t, debug, 1, "the attendees are logged at Debug level")
	assert.Equal(t, []any{people[0], people[1], people[2]}, debug[0].ContextMap()["attendees"])
	results, ok := debug[0].ContextMap()["results"].([]any)
	require.True(t, ok)
	require.Len(t, results, 3)
	assert.Equal(t, map[string]any{"attendee": people[0], "reason": "none", "stale": true}, results[0])
	assert.Equal(t, map[string]any{"attendee": people[1], "reason": "unknown-attendee", "error": "no such person " + people[1]}, results[1])

	assert.Equal(t, []queryCall{{"exchange", 250 * time.Millisecond, freebusy.ReasonNone}}, rec.queries)
	assert.Equal(t, map[freebusy.Reason]int{freebusy.ReasonNone: 1, freebusy.ReasonUnknownAttendee: 1, freebusy.ReasonTimeout: 1}, rec.outcomes)
}

func TestInstrumentWholeQueryFailure(t *testing.T) {
	core, logs := observer.New(zap.InfoLevel)
	rec := newRecorder()
	cause := &freebusy.Error{Attendee: strings.ToUpper(people[0]), Reason: freebusy.ReasonUnavailable, Message: "link to " + people[2] + " is down"}
	src, err := observe.Instrument(fixedSource(nil, fmt.Errorf("transport: %w", cause)), "rpc",
		observe.WithLogger(zap.New(core)), observe.WithMetrics(rec), observe.WithClock(stepClock(time.Second)))
	require.NoError(t, err)

	got, err := src.FreeBusy(context.Background(), query())
	require.ErrorIs(t, err, freebusy.ErrUnavailable, "the error passes unchanged")
	assert.Same(t, cause, errors.Unwrap(err))
	assert.Nil(t, got)

	assert.Zero(t, logs.FilterLevelExact(zap.InfoLevel).Len())
	warn := logs.FilterLevelExact(zap.WarnLevel).All()
	require.Len(t, warn, 1)
	fields := warn[0].ContextMap()
	assert.Equal(t, "unavailable", fields["reason"])
	assert.Equal(t, `transport: freebusy: "<attendee>": unavailable: link to <attendee> is down`, fields["error"])
	assert.Equal(t, map[string]any{"unavailable": 3}, fields["outcomes"])
	assertNoPersonalData(t, logs.All())

	assert.Equal(t, []queryCall{{"rpc", time.Second, freebusy.ReasonUnavailable}}, rec.queries)
	assert.Equal(t, map[freebusy.Reason]int{freebusy.ReasonUnavailable: 3}, rec.outcomes, "every attendee counts with the query's reason")
}

// At Info level nothing names a person, whatever the answer holds, and
// the Debug entry is not even built.
func TestInstrumentInfoLevelHasNoPersonalData(t *testing.T) {
	core, logs := observer.New(zap.InfoLevel)
	src, err := observe.Instrument(fixedSource(mixed, nil), "notes", observe.WithLogger(zap.New(core)))
	require.NoError(t, err)
	_, err = src.FreeBusy(context.Background(), query())
	require.NoError(t, err)
	require.Equal(t, 1, logs.Len())
	assertNoPersonalData(t, logs.All())
}

func TestInstrumentCountsUndeclaredReasonsAsInternal(t *testing.T) {
	rec := newRecorder()
	answer := func(q freebusy.Query) []freebusy.Schedule {
		out := mixed(q)
		out[1].Err.Reason = freebusy.Reason(200)
		out[2].Err.Reason = freebusy.ReasonNone // failed, whatever it says
		return out
	}
	src, err := observe.Instrument(fixedSource(answer, nil), "x", observe.WithMetrics(rec))
	require.NoError(t, err)
	_, err = src.FreeBusy(context.Background(), query())
	require.NoError(t, err)
	assert.Equal(t, map[freebusy.Reason]int{freebusy.ReasonNone: 1, freebusy.ReasonInternal: 2}, rec.outcomes)
}

func TestInstrumentRefusesBadArguments(t *testing.T) {
	_, err := observe.Instrument(nil, "x")
	assert.ErrorIs(t, err, observe.ErrInvalidOption)
	assert.ErrorContains(t, err, "nil source")
	_, err = observe.Instrument(fixedSource(mixed, nil), " ")
	assert.ErrorIs(t, err, observe.ErrInvalidOption)
	assert.ErrorContains(t, err, "empty name")
}

// Nil options mean the defaults and do not panic.
func TestInstrumentNilOptions(t *testing.T) {
	src, err := observe.Instrument(fixedSource(mixed, nil), "x", observe.WithLogger(nil), observe.WithMetrics(nil), observe.WithClock(nil), nil)
	require.NoError(t, err)
	got, err := src.FreeBusy(context.Background(), query())
	require.NoError(t, err)
	assert.Len(t, got, 3)
}

func TestInstrumentRedactsCaseInsensitively(t *testing.T) {
	core, logs := observer.New(zapcore.InfoLevel)
	q := freebusy.Query{Attendees: []string{"ab", "abc"}, Start: day, End: day.Add(time.Hour)}
	src, err := observe.Instrument(fixedSource(nil, errors.New("ABC, Ab and a b failed")), "x", observe.WithLogger(zap.New(core)))
	require.NoError(t, err)
	_, err = src.FreeBusy(context.Background(), q)
	require.Error(t, err)
	require.Equal(t, 1, logs.Len())
	assert.Equal(t, "<attendee>, <attendee> and a b failed", logs.All()[0].ContextMap()["error"], "the longest match wins")
}

func TestCacheResultString(t *testing.T) {
	assert.Equal(t, "hit", observe.CacheHit.String())
	assert.Equal(t, "miss", observe.CacheMiss.String())
	assert.Equal(t, "stale", observe.CacheStale.String())
	assert.Equal(t, "CacheResult(9)", observe.CacheResult(9).String())
}
