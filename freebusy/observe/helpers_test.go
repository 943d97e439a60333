package observe_test

import (
	"context"
	"sync"
	"time"

	"github.com/calbridge/calbridge/freebusy"
	"github.com/calbridge/calbridge/freebusy/observe"
)

// day is the start of the test window.
var day = time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)

// stepClock returns a clock that starts at day and advances by step on
// every reading, so that durations are exact.
func stepClock(step time.Duration) func() time.Time {
	var mu sync.Mutex
	t := day
	return func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		now := t
		t = t.Add(step)
		return now
	}
}

// fixedSource answers with schedules built by answer, or err.
func fixedSource(answer func(q freebusy.Query) []freebusy.Schedule, err error) freebusy.Source {
	return freebusy.SourceFunc(func(_ context.Context, q freebusy.Query) ([]freebusy.Schedule, error) {
		if err != nil {
			return nil, err
		}
		return answer(q), nil
	})
}

// recorder is a Metrics that remembers every call.
type recorder struct {
	mu         sync.Mutex
	queries    []queryCall
	outcomes   map[freebusy.Reason]int
	cache      map[observe.CacheResult]int
	transports []string
}

type queryCall struct {
	source string
	d      time.Duration
	reason freebusy.Reason
}

func newRecorder() *recorder {
	return &recorder{outcomes: map[freebusy.Reason]int{}, cache: map[observe.CacheResult]int{}}
}

func (r *recorder) ObserveQuery(source string, d time.Duration, reason freebusy.Reason) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.queries = append(r.queries, queryCall{source, d, reason})
}

func (r *recorder) ObserveOutcome(_ string, reason freebusy.Reason, n int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.outcomes[reason] += n
}

func (r *recorder) ObserveCache(_ string, result observe.CacheResult, n int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.cache[result] += n
}

func (r *recorder) ObserveTransport(link, state string, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.transports = append(r.transports, link+":"+state)
}
