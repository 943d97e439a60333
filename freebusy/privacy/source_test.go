package privacy_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/calbridge/calbridge/freebusy"
	"github.com/calbridge/calbridge/freebusy/privacy"
)

var day = time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)

func at(h int) time.Time { return day.Add(time.Duration(h) * time.Hour) }

// detailed answers every attendee with a public meeting (9-10, busy), a
// private appointment shown as free (12-13) and a private out-of-office
// afternoon (15-17), with the intervals a backend would send: the private
// free item is not among them.
func detailed(q freebusy.Query) []freebusy.Schedule {
	out := make([]freebusy.Schedule, len(q.Attendees))
	for i, a := range q.Attendees {
		out[i] = freebusy.Schedule{
			Attendee: a, Start: q.Start, End: q.End,
			Intervals: []freebusy.Interval{
				{Start: at(9), End: at(10), Status: freebusy.Busy},
				{Start: at(15), End: at(17), Status: freebusy.OutOfOffice},
			},
			Events: []freebusy.Event{
				{Start: at(9), End: at(10), Status: freebusy.Busy, ID: "AAMk1", Subject: "Design review", Location: "Room 4", Meeting: true, Recurring: true},
				{Start: at(12), End: at(13), Status: freebusy.Free, ID: "AAMk2", Subject: "Doctor", Location: "Clinic", Private: true},
				{Start: at(15), End: at(17), Status: freebusy.OutOfOffice, ID: "AAMk3", Subject: "Interview", Location: "Elsewhere", Private: true, Reminder: true},
			},
		}
	}
	return out
}

// backend records the detail it was asked for and answers with answer,
// whatever was asked (a backend that sends more than asked).
type backend struct {
	mu      sync.Mutex
	details []freebusy.Detail
	answer  func(freebusy.Query) []freebusy.Schedule
	err     error
}

func (b *backend) FreeBusy(_ context.Context, q freebusy.Query) ([]freebusy.Schedule, error) {
	b.mu.Lock()
	b.details = append(b.details, q.Detail)
	b.mu.Unlock()
	if b.err != nil {
		return []freebusy.Schedule{{Attendee: "leak"}}, b.err
	}
	return b.answer(q), nil
}

var policy = privacy.Policy{
	Default:    privacy.LevelStatus,
	Requesters: map[string]privacy.Level{"svc-notes": privacy.LevelTimes, "helpdesk": privacy.LevelFull},
}

func ask(t *testing.T, src freebusy.Source, requester string, detail freebusy.Detail) freebusy.Schedule {
	t.Helper()
	ctx := context.Background()
	if requester != "" {
		ctx = privacy.WithRequester(ctx, requester)
	}
	got, err := src.FreeBusy(ctx, freebusy.Query{Attendees: []string{"ada@notes.acme.example"}, Start: day, End: day.Add(24 * time.Hour), Detail: detail})
	require.NoError(t, err)
	require.Len(t, got, 1)
	return got[0]
}

func TestDetailIsCappedBeforeTheBackend(t *testing.T) {
	for _, tc := range []struct {
		requester string
		asked     freebusy.Detail
		want      freebusy.Detail
	}{
		{"", freebusy.DetailFull, freebusy.DetailStatus},
		{"stranger", freebusy.DetailFull, freebusy.DetailStatus},
		{"HELPDESK", freebusy.DetailFull, freebusy.DetailStatus}, // exact match only
		{"svc-notes", freebusy.DetailFull, freebusy.DetailFull},
		{"helpdesk", freebusy.DetailFull, freebusy.DetailFull},
		{"helpdesk", freebusy.DetailStatus, freebusy.DetailStatus},
		{"helpdesk", freebusy.Detail(7), freebusy.DetailFull},
	} {
		b := &backend{answer: detailed}
		src, err := privacy.New(b, policy)
		require.NoError(t, err)
		ask(t, src, tc.requester, tc.asked)
		assert.Equal(t, []freebusy.Detail{tc.want}, b.details, "requester %q asking %v", tc.requester, tc.asked)
	}
}

func TestLevelStatusSendsNoEventsButPrivateTimeIsBusy(t *testing.T) {
	src, err := privacy.New(&backend{answer: detailed}, policy)
	require.NoError(t, err)
	got := ask(t, src, "", freebusy.DetailFull)
	assert.Nil(t, got.Events, "no event leaves at LevelStatus, even when the backend sends them")
	assert.Equal(t, []freebusy.Interval{
		{Start: at(9), End: at(10), Status: freebusy.Busy},
		{Start: at(12), End: at(13), Status: freebusy.Busy},
		{Start: at(15), End: at(17), Status: freebusy.OutOfOffice},
	}, got.Intervals, "the private item shown as free counts as busy")
}

func TestLevelTimesKeepsTimesAndFlagsOnly(t *testing.T) {
	src, err := privacy.New(&backend{answer: detailed}, policy)
	require.NoError(t, err)
	got := ask(t, src, "svc-notes", freebusy.DetailFull)
	assert.Equal(t, []freebusy.Event{
		{Start: at(9), End: at(10), Status: freebusy.Busy, Meeting: true, Recurring: true},
		{Start: at(12), End: at(13), Status: freebusy.Busy, Private: true},
		{Start: at(15), End: at(17), Status: freebusy.OutOfOffice, Private: true, Reminder: true},
	}, got.Events)
	assert.Equal(t, freebusy.Busy, got.StatusAt(at(12)))
}

func TestLevelFullKeepsDetailsOfPublicItemsOnly(t *testing.T) {
	src, err := privacy.New(&backend{answer: detailed}, policy)
	require.NoError(t, err)
	got := ask(t, src, "helpdesk", freebusy.DetailFull)
	assert.Equal(t, []freebusy.Event{
		{Start: at(9), End: at(10), Status: freebusy.Busy, ID: "AAMk1", Subject: "Design review", Location: "Room 4", Meeting: true, Recurring: true},
		{Start: at(12), End: at(13), Status: freebusy.Busy, Private: true},
		{Start: at(15), End: at(17), Status: freebusy.OutOfOffice, Private: true, Reminder: true},
	}, got.Events, "private items keep no details, whatever the policy")
	assert.Len(t, got.Intervals, 3)

	// A requester allowed everything who asks for status gets status.
	got = ask(t, src, "helpdesk", freebusy.DetailStatus)
	assert.Nil(t, got.Events)
}

// The invariants over every level, query detail and requester: no subject,
// location or ID leaves unless the requester may see them and asked for
// them, never for a private item; every private item's time reads busy (or
// out of office), and at LevelTimes and above every item is still there.
func TestInvariants(t *testing.T) {
	for _, requester := range []string{"", "stranger", "svc-notes", "helpdesk"} {
		for _, d := range []freebusy.Detail{freebusy.DetailStatus, freebusy.DetailFull} {
			src, err := privacy.New(&backend{answer: detailed}, policy)
			require.NoError(t, err)
			got := ask(t, src, requester, d)
			full := requester == "helpdesk" && d == freebusy.DetailFull
			shown := (requester == "helpdesk" || requester == "svc-notes") && d == freebusy.DetailFull
			if shown {
				assert.Len(t, got.Events, 3, "%q %v: no item dropped", requester, d)
			} else {
				assert.Empty(t, got.Events, "%q %v", requester, d)
			}
			for _, e := range got.Events {
				if !full || e.Private {
					assert.Empty(t, e.Subject+e.Location+e.ID, "%q %v: %+v", requester, d, e)
				}
			}
			for _, e := range detailed(freebusy.Query{Attendees: []string{"x"}})[0].Events {
				if e.Private {
					for ts := e.Start; ts.Before(e.End); ts = ts.Add(15 * time.Minute) {
						assert.GreaterOrEqual(t, got.StatusAt(ts).Precedence(), freebusy.Busy.Precedence(), "%q %v at %v", requester, d, ts)
					}
				}
			}
		}
	}
}

// A cache behind the Source keeps its details: the backend's schedules are
// not modified.
func TestBackendAnswerIsNotModified(t *testing.T) {
	shared := detailed(freebusy.Query{Attendees: []string{"ada@notes.acme.example"}, Start: day, End: day.Add(24 * time.Hour)})
	b := &backend{answer: func(freebusy.Query) []freebusy.Schedule { return shared }}
	src, err := privacy.New(b, policy)
	require.NoError(t, err)
	ask(t, src, "", freebusy.DetailFull)
	ask(t, src, "svc-notes", freebusy.DetailFull)
	assert.Equal(t, detailed(freebusy.Query{Attendees: []string{"ada@notes.acme.example"}, Start: day, End: day.Add(24 * time.Hour)}), shared)
}

func TestPrivateItemsAreClippedToTheWindow(t *testing.T) {
	s := freebusy.Schedule{Attendee: "a", Start: at(10), End: at(12), Events: []freebusy.Event{
		{Start: at(8), End: at(11), Status: freebusy.Tentative, Private: true},
		{Start: at(13), End: at(14), Status: freebusy.Free, Private: true}, // outside
	}}
	got := privacy.Filter(s, privacy.LevelTimes)
	assert.Equal(t, []freebusy.Interval{{Start: at(10), End: at(11), Status: freebusy.Busy}}, got.Intervals)
	assert.Len(t, got.Events, 2, "events outside the window are not dropped either")
}

func TestFailedSchedulesAndErrors(t *testing.T) {
	failed := freebusy.Failed("a", day, at(24), freebusy.ReasonTimeout, nil)
	failed.Events = []freebusy.Event{{Start: at(1), End: at(2), Subject: "x"}}
	got := privacy.Filter(failed, privacy.LevelFull)
	assert.Nil(t, got.Events)
	assert.Nil(t, got.Intervals, "a failed schedule gains no intervals")
	assert.Equal(t, freebusy.ReasonTimeout, got.Err.Reason)

	down := &freebusy.Error{Reason: freebusy.ReasonUnavailable}
	src, err := privacy.New(&backend{err: down}, policy)
	require.NoError(t, err)
	out, err := src.FreeBusy(context.Background(), freebusy.Query{Attendees: []string{"a"}, Start: day, End: at(1)})
	assert.Same(t, down, err)
	assert.Nil(t, out, "nothing of a failed call leaves")
}

// Undeclared statuses from the backend cannot be normalized; the private
// time is still busy.
func TestPrivateTimeWithUnnormalizableIntervals(t *testing.T) {
	s := freebusy.Schedule{Attendee: "a", Start: day, End: at(24),
		Intervals: []freebusy.Interval{{Start: at(1), End: at(2), Status: freebusy.Status(99)}},
		Events:    []freebusy.Event{{Start: at(3), End: at(4), Status: freebusy.Status(98), Private: true}},
	}
	got := privacy.Filter(s, privacy.LevelStatus)
	assert.Equal(t, freebusy.Busy, got.StatusAt(at(3)))
	assert.Len(t, got.Intervals, 2)
}

func TestNewRefusesBadArguments(t *testing.T) {
	_, err := privacy.New(nil, policy)
	assert.ErrorIs(t, err, privacy.ErrInvalidOption)
	_, err = privacy.New(&backend{}, privacy.Policy{Default: 9})
	assert.ErrorIs(t, err, privacy.ErrInvalidPolicy)
	_, err = privacy.New(&backend{}, privacy.Policy{Requesters: map[string]privacy.Level{"": privacy.LevelFull}})
	assert.ErrorIs(t, err, privacy.ErrInvalidPolicy)
	_, err = privacy.New(&backend{}, privacy.Policy{Requesters: map[string]privacy.Level{"x": 3}})
	assert.ErrorIs(t, err, privacy.ErrInvalidPolicy)
	_, err = privacy.New(&backend{answer: detailed}, policy, privacy.WithLogger(nil), nil)
	assert.NoError(t, err)
}

// The policy is copied: changing the caller's map later changes nothing.
func TestNewCopiesThePolicy(t *testing.T) {
	p := privacy.Policy{Requesters: map[string]privacy.Level{"x": privacy.LevelStatus}}
	b := &backend{answer: detailed}
	src, err := privacy.New(b, p)
	require.NoError(t, err)
	p.Requesters["x"] = privacy.LevelFull
	assert.Empty(t, ask(t, src, "x", freebusy.DetailFull).Events)
}

func TestRequesterContext(t *testing.T) {
	_, ok := privacy.RequesterFrom(context.Background())
	assert.False(t, ok)
	id, ok := privacy.RequesterFrom(privacy.WithRequester(context.Background(), "ada"))
	assert.True(t, ok)
	assert.Equal(t, "ada", id)
	assert.Equal(t, privacy.LevelFull, policy.LevelFor(privacy.WithRequester(context.Background(), "helpdesk")))
	assert.Equal(t, privacy.LevelStatus, policy.LevelFor(privacy.WithRequester(context.Background(), "")))
	assert.Equal(t, privacy.LevelTimes, privacy.Policy{Default: privacy.LevelTimes}.LevelFor(context.Background()))
}
