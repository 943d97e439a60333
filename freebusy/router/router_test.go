package router_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/calbridge/calbridge/exchange"
	"github.com/calbridge/calbridge/freebusy"
	"github.com/calbridge/calbridge/freebusy/directory"
	"github.com/calbridge/calbridge/freebusy/router"
	"github.com/calbridge/calbridge/notes"
)

var day = time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)

func query(attendees ...string) freebusy.Query {
	return freebusy.Query{Attendees: attendees, Start: day, End: day.Add(24 * time.Hour), Granularity: 15 * time.Minute}
}

var demo = []directory.Person{
	{ID: "ada", Side: "notes", Address: "CN=Ada Lovelace/OU=Research/O=Acme", Aliases: []string{"ada.lovelace@notes.acme.example"}},
	{ID: "alan", Side: "notes", Address: "CN=Alan Turing/OU=Research/O=Acme", Aliases: []string{"alan.turing@notes.acme.example"}},
	{ID: "grace", Side: "exchange", Address: "grace.hopper@exchange.acme.example",
		Aliases: []string{"/o=Acme/ou=Exchange Administrative Group (FYDIBOHF23SPDLT)/cn=Recipients/cn=ghopper"}},
	{ID: "edsger", Side: "exchange", Address: "edsger.dijkstra@exchange.acme.example"},
}

func demoDir(t testing.TB) *directory.Table {
	t.Helper()
	d, err := directory.New(demo, directory.WithNormalizer(notes.DirectoryKey), directory.WithNormalizer(exchange.DirectoryKey))
	require.NoError(t, err)
	return d
}

// call is one query a recorder saw.
type call struct {
	attendees []string
	hops      int
	deadline  time.Time
}

// recorder is a Source that answers every attendee with one busy hour,
// whose start says which side answered (09:00 notes, 14:00 exchange), and
// records the queries it is asked.
type recorder struct {
	hour  int
	mu    sync.Mutex
	calls []call
}

func (r *recorder) FreeBusy(ctx context.Context, q freebusy.Query) ([]freebusy.Schedule, error) {
	dl, _ := ctx.Deadline()
	r.mu.Lock()
	r.calls = append(r.calls, call{attendees: slices.Clone(q.Attendees), hops: freebusy.Hops(ctx), deadline: dl})
	r.mu.Unlock()
	out := make([]freebusy.Schedule, len(q.Attendees))
	at := q.Start.Add(time.Duration(r.hour) * time.Hour)
	for i, a := range q.Attendees {
		out[i] = freebusy.Schedule{Attendee: a, Start: q.Start, End: q.End,
			Intervals: []freebusy.Interval{{Start: at, End: at.Add(time.Hour), Status: freebusy.Busy}}}
	}
	return out, nil
}

func (r *recorder) seen() []call {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.calls)
}

func busyHour(s freebusy.Schedule) int {
	if len(s.Intervals) != 1 {
		return -1
	}
	return s.Intervals[0].Start.Hour()
}

func TestRoutesEachAttendeeToItsSide(t *testing.T) {
	nsrc, xsrc := &recorder{hour: 9}, &recorder{hour: 14}
	r, err := router.New(demoDir(t), map[string]freebusy.Source{"notes": nsrc, "exchange": xsrc})
	require.NoError(t, err)
	q := query(
		"Grace.Hopper@Exchange.Acme.example",
		"Ada Lovelace/Research/Acme@AcmeMail",
		"nobody@acme.example",
		"/O=ACME/OU=EXCHANGE ADMINISTRATIVE GROUP (FYDIBOHF23SPDLT)/CN=RECIPIENTS/CN=GHOPPER",
		"alan.turing@notes.acme.example",
	)
	out, err := r.FreeBusy(freebusy.WithHops(context.Background(), 1), q)
	require.NoError(t, err)
	require.NoError(t, freebusy.CheckResult(q, out), "one schedule per attendee, in query order, named as asked")
	for i, want := range []int{14, 9, -1, 14, 9} {
		assert.Equal(t, want, busyHour(out[i]), "attendee %d answered by the right side", i)
		assert.Equal(t, q.Attendees[i], out[i].Attendee)
	}
	require.NotNil(t, out[2].Err, "an unknown attendee is never a blank row")
	assert.Equal(t, freebusy.ReasonUnknownAttendee, out[2].Err.Reason)
	assert.Equal(t, "nobody@acme.example", out[2].Err.Attendee)
	assert.ErrorIs(t, out[2].Err, directory.ErrNotFound)
	assert.True(t, out[2].Start.Equal(day) && out[2].End.Equal(day.Add(24*time.Hour)))

	// One backend query per side, by the person's Address, each person
	// once however many forms asked for them, one more hop.
	assert.Equal(t, []call{{attendees: []string{"CN=Ada Lovelace/OU=Research/O=Acme", "CN=Alan Turing/OU=Research/O=Acme"}, hops: 2}}, nsrc.seen())
	assert.Equal(t, []call{{attendees: []string{"grace.hopper@exchange.acme.example"}, hops: 2}}, xsrc.seen())
	out[0].Intervals[0].Status = freebusy.Free
	assert.Equal(t, freebusy.Busy, out[3].Intervals[0].Status, "two attendees for one person do not share slices")
}

// Per-attendee errors from a side come back under the attendee's name,
// with their reason, message and retry hint.
func TestSideSchedulesErrorsRenamed(t *testing.T) {
	x := freebusy.SourceFunc(func(ctx context.Context, q freebusy.Query) ([]freebusy.Schedule, error) {
		out := make([]freebusy.Schedule, len(q.Attendees))
		for i, a := range q.Attendees {
			out[i] = freebusy.Schedule{Attendee: a, Start: q.Start, End: q.End,
				Err: &freebusy.Error{Attendee: a, Reason: freebusy.ReasonThrottled, Message: "ErrorServerBusy", RetryAfter: time.Second}}
		}
		return out, nil
	})
	r, err := router.New(demoDir(t), map[string]freebusy.Source{"notes": &recorder{}, "exchange": x})
	require.NoError(t, err)
	out, err := r.FreeBusy(context.Background(), query("EDSGER.DIJKSTRA@exchange.acme.example"))
	require.NoError(t, err)
	require.NotNil(t, out[0].Err)
	assert.Equal(t, freebusy.Error{Attendee: "EDSGER.DIJKSTRA@exchange.acme.example", Reason: freebusy.ReasonThrottled, Message: "ErrorServerBusy", RetryAfter: time.Second}, *out[0].Err)
}

// A side that fails as a whole fails its own attendees only, with its
// reason; a side that breaks the Source contract fails them as Internal.
func TestSideFailureStaysOnItsSide(t *testing.T) {
	down := freebusy.SourceFunc(func(context.Context, freebusy.Query) ([]freebusy.Schedule, error) {
		return nil, &freebusy.Error{Reason: freebusy.ReasonUnavailable, Message: "link down", RetryAfter: 2 * time.Second, Cause: errors.New("dial tcp: refused")}
	})
	short := freebusy.SourceFunc(func(context.Context, freebusy.Query) ([]freebusy.Schedule, error) { return nil, nil })
	for name, tt := range map[string]struct {
		src    freebusy.Source
		reason freebusy.Reason
		msg    string
	}{
		"down":     {down, freebusy.ReasonUnavailable, "link down"},
		"contract": {short, freebusy.ReasonInternal, "source returned 0 schedules for 2 attendees"},
	} {
		r, err := router.New(demoDir(t), map[string]freebusy.Source{"notes": &recorder{hour: 9}, "exchange": tt.src})
		require.NoError(t, err)
		q := query("grace.hopper@exchange.acme.example", "ada.lovelace@notes.acme.example", "edsger.dijkstra@exchange.acme.example")
		out, err := r.FreeBusy(context.Background(), q)
		require.NoError(t, err, name)
		require.NoError(t, freebusy.CheckResult(q, out), name)
		assert.Equal(t, 9, busyHour(out[1]), name)
		for _, i := range []int{0, 2} {
			require.NotNil(t, out[i].Err, name)
			assert.Equal(t, tt.reason, out[i].Err.Reason, name)
			assert.Equal(t, tt.msg, out[i].Err.Message, name)
			assert.Equal(t, q.Attendees[i], out[i].Err.Attendee, name)
		}
		if name == "down" {
			assert.Equal(t, 2*time.Second, out[0].Err.RetryAfter)
			assert.ErrorContains(t, errors.Unwrap(out[0].Err), "link down")
		}
	}
}

// Attendees the directory puts on a side without a Source, or whose
// directory fails, get a reason of their own.
func TestDirectoryProblems(t *testing.T) {
	dir := dirFunc(func(_ context.Context, a string) (string, string, error) {
		switch a {
		case "orphan@x.example":
			return "lotus123", a, nil
		case "blank@x.example":
			return "notes", " ", nil
		case "ok@x.example":
			return "notes", a, nil
		}
		return "", "", &freebusy.Error{Reason: freebusy.ReasonUnavailable, Message: "ldap down"}
	})
	r, err := router.New(dir, map[string]freebusy.Source{"notes": &recorder{hour: 9}})
	require.NoError(t, err)
	out, err := r.FreeBusy(context.Background(), query("orphan@x.example", "blank@x.example", "ldap@x.example", "ok@x.example"))
	require.NoError(t, err)
	assert.Equal(t, freebusy.ReasonInternal, out[0].Err.Reason)
	assert.ErrorIs(t, out[0].Err, router.ErrNoSide)
	assert.ErrorIs(t, out[1].Err, router.ErrNoSide)
	assert.Equal(t, freebusy.ReasonUnavailable, out[2].Err.Reason)
	assert.Equal(t, "ldap down", out[2].Err.Message)
	assert.Equal(t, 9, busyHour(out[3]))
}

// dirFunc is a Resolver made of a function.
type dirFunc func(ctx context.Context, attendee string) (side, address string, err error)

func (f dirFunc) Resolve(ctx context.Context, attendee string) (side, address string, err error) {
	return f(ctx, attendee)
}

// Many attendees on one side go out in batches of at most WithMaxBatch,
// and come back in query order.
func TestBatches(t *testing.T) {
	people := make([]directory.Person, 250)
	attendees := make([]string, 250)
	for i := range people {
		attendees[i] = fmt.Sprintf("user%03d@x.example", i)
		people[i] = directory.Person{ID: fmt.Sprint(i), Side: "x", Address: attendees[i]}
	}
	dir, err := directory.New(people)
	require.NoError(t, err)
	rec := &recorder{hour: 9}
	r, err := router.New(dir, map[string]freebusy.Source{"x": rec},
		router.WithMaxBatch(100), router.WithLimits(freebusy.Limits{MaxAttendees: 500}))
	require.NoError(t, err)
	q := query(attendees...)
	out, err := r.FreeBusy(context.Background(), q)
	require.NoError(t, err)
	require.NoError(t, freebusy.CheckResult(q, out))
	var sizes []int
	var asked []string
	for _, c := range rec.seen() {
		sizes = append(sizes, len(c.attendees))
		asked = append(asked, c.attendees...)
	}
	slices.Sort(sizes)
	assert.Equal(t, []int{50, 100, 100}, sizes)
	assert.ElementsMatch(t, attendees, asked, "every attendee asked once")
	for i := range out {
		assert.Equal(t, 9, busyHour(out[i]))
	}

	many := make([]string, 501)
	for i := range many {
		many[i] = fmt.Sprintf("many%d@x.example", i)
	}
	_, err = r.FreeBusy(context.Background(), query(many...))
	assert.ErrorIs(t, err, freebusy.ErrTooManyAttendees, "the limits are the router's")
}

// At most WithConcurrency backend queries run at once.
func TestConcurrencyLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var running, peak atomic.Int32
		release := make(chan struct{})
		src := freebusy.SourceFunc(func(ctx context.Context, q freebusy.Query) ([]freebusy.Schedule, error) {
			n := running.Add(1)
			defer running.Add(-1)
			for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
			}
			<-release
			return freebusy.FailAll(q, freebusy.ReasonAccessDenied, nil), nil
		})
		people := make([]directory.Person, 10)
		attendees := make([]string, 10)
		for i := range people {
			attendees[i] = fmt.Sprintf("u%d@x.example", i)
			people[i] = directory.Person{ID: attendees[i], Side: "x", Address: attendees[i]}
		}
		dir, err := directory.New(people)
		require.NoError(t, err)
		r, err := router.New(dir, map[string]freebusy.Source{"x": src}, router.WithMaxBatch(1), router.WithConcurrency(3))
		require.NoError(t, err)
		done := make(chan []freebusy.Schedule)
		go func() {
			out, err := r.FreeBusy(context.Background(), query(attendees...))
			assert.NoError(t, err)
			done <- out
		}()
		synctest.Wait()
		assert.Equal(t, int32(3), running.Load(), "three batches at once, the rest wait")
		close(release)
		out := <-done
		assert.Equal(t, int32(3), peak.Load())
		for _, s := range out {
			assert.Equal(t, freebusy.ReasonAccessDenied, s.Err.Reason)
		}
	})
}

// By the caller's deadline, less the reserve, the answer holds what
// finished; the rest carry Timeout, and the call is not an error. The
// fake clock of synctest measures when it returns.
func TestDeadlineBoundedBatch(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		stuck := make(chan struct{})
		sideDeadline := make(chan time.Time, 1)
		slow := freebusy.SourceFunc(func(ctx context.Context, q freebusy.Query) ([]freebusy.Schedule, error) {
			dl, _ := ctx.Deadline()
			sideDeadline <- dl
			<-stuck // ignores ctx: the router must not wait for it
			return nil, ctx.Err()
		})
		r, err := router.New(demoDir(t), map[string]freebusy.Source{"notes": &recorder{hour: 9}, "exchange": slow}, router.WithReserve(200*time.Millisecond))
		require.NoError(t, err)
		start := time.Now()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		q := query("ada.lovelace@notes.acme.example", "grace.hopper@exchange.acme.example", "nobody@x.example")
		out, err := r.FreeBusy(ctx, q)
		require.NoError(t, err, "a partial batch is never an error")
		assert.Equal(t, 10*time.Second-200*time.Millisecond, time.Since(start), "returns the reserve before the caller's deadline")
		assert.Equal(t, start.Add(10*time.Second-200*time.Millisecond), <-sideDeadline, "backends get the router's deadline")
		require.NoError(t, freebusy.CheckResult(q, out))
		assert.Equal(t, 9, busyHour(out[0]), "what finished is kept")
		require.NotNil(t, out[1].Err)
		assert.Equal(t, freebusy.ReasonTimeout, out[1].Err.Reason)
		assert.Equal(t, "grace.hopper@exchange.acme.example", out[1].Err.Attendee)
		assert.ErrorIs(t, out[1].Err, freebusy.ErrTimeout)
		assert.Equal(t, freebusy.ReasonUnknownAttendee, out[2].Err.Reason)
		close(stuck)
	})
}

// The reserve is at most a quarter of the time left, and a context
// without a deadline gets none.
func TestReserveBounds(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var got []time.Time
		var mu sync.Mutex
		src := freebusy.SourceFunc(func(ctx context.Context, q freebusy.Query) ([]freebusy.Schedule, error) {
			dl, _ := ctx.Deadline()
			mu.Lock()
			got = append(got, dl)
			mu.Unlock()
			return freebusy.FailAll(q, freebusy.ReasonAccessDenied, nil), nil
		})
		r, err := router.New(demoDir(t), map[string]freebusy.Source{"notes": src, "exchange": src})
		require.NoError(t, err)
		start := time.Now()
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		_, err = r.FreeBusy(ctx, query("ada.lovelace@notes.acme.example"))
		require.NoError(t, err)
		_, err = r.FreeBusy(context.Background(), query("ada.lovelace@notes.acme.example"))
		require.NoError(t, err)
		r0, err := router.New(demoDir(t), map[string]freebusy.Source{"notes": src}, router.WithReserve(0))
		require.NoError(t, err)
		_, err = r0.FreeBusy(ctx, query("ada.lovelace@notes.acme.example"))
		require.NoError(t, err)
		require.Len(t, got, 3)
		assert.Equal(t, start.Add(75*time.Millisecond), got[0], "a quarter of 100 ms, below the 50 ms default")
		assert.True(t, got[1].IsZero(), "no deadline, none added")
		assert.Equal(t, start.Add(100*time.Millisecond), got[2], "no reserve")
	})
}

// A caller that cancels gets what finished and Unavailable for the rest.
func TestCancelledMidway(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		slow := freebusy.SourceFunc(func(ctx context.Context, q freebusy.Query) ([]freebusy.Schedule, error) {
			cancel()
			<-ctx.Done()
			return nil, ctx.Err()
		})
		r, err := router.New(demoDir(t), map[string]freebusy.Source{"notes": &recorder{hour: 9}, "exchange": slow}, router.WithConcurrency(1))
		require.NoError(t, err)
		out, err := r.FreeBusy(ctx, query("ada.lovelace@notes.acme.example", "grace.hopper@exchange.acme.example"))
		require.NoError(t, err)
		assert.Equal(t, 9, busyHour(out[0]))
		assert.Equal(t, freebusy.ReasonUnavailable, out[1].Err.Reason)
	})
}

func TestRefusesWholeQuery(t *testing.T) {
	rec := &recorder{}
	r, err := router.New(demoDir(t), map[string]freebusy.Source{"notes": rec})
	require.NoError(t, err)
	_, err = r.FreeBusy(context.Background(), freebusy.Query{Attendees: []string{"a@x"}, Start: day, End: day})
	assert.ErrorIs(t, err, freebusy.ErrEmptyWindow)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	out, err := r.FreeBusy(ctx, query("ada.lovelace@notes.acme.example"))
	assert.Nil(t, out)
	assert.Equal(t, freebusy.ReasonUnavailable, freebusy.ReasonOf(err), "a context ended before the query started")
	assert.Empty(t, rec.seen())
}

func TestNewRefuses(t *testing.T) {
	src := map[string]freebusy.Source{"notes": &recorder{}}
	_, err := router.New(nil, src)
	assert.ErrorContains(t, err, "router: nil directory")
	_, err = router.New(demoDir(t), nil)
	assert.ErrorContains(t, err, "router: no sides")
	_, err = router.New(demoDir(t), map[string]freebusy.Source{"notes": nil})
	assert.ErrorContains(t, err, "router: nil source")
	for _, opt := range []router.Option{
		router.WithConcurrency(0), router.WithMaxBatch(0), router.WithMaxHops(0), router.WithReserve(-time.Second),
		router.WithLimits(freebusy.Limits{MaxAttendees: -1}),
	} {
		_, err := router.New(demoDir(t), src, opt)
		assert.ErrorIs(t, err, router.ErrInvalidOption)
		assert.True(t, strings.HasPrefix(err.Error(), "router: "), err.Error())
	}
	_, err = router.New(demoDir(t), src, router.WithLogger(nil), nil)
	assert.NoError(t, err, "a nil logger or option is harmless")
}
