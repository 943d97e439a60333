// Package linktest holds what the tests and benchmarks of the link's
// transports (transport and transport/natstransport) share: the query and
// the Source their calls use, the benchmark loops over a Source, and the
// process CPU time those benchmarks report beside wall time. Only tests
// import it (deps_test.go checks), so none of it reaches a program.
package linktest

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/calbridge/calbridge/freebusy"
)

// Start is the first instant of Query's day: Monday 2026-03-02, UTC.
var Start = time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)

// Query is an n-attendee query over Start's day. The attendees are
// usera@example.com to userz@example.com, then useraa@example.com,
// userab@example.com and so on: letters counted in bijective base 26, so
// that every n gives n distinct ASCII addresses.
func Query(n int) freebusy.Query {
	q := freebusy.Query{Start: Start, End: Start.Add(24 * time.Hour)}
	for i := range n {
		q.Attendees = append(q.Attendees, "user"+letters(i)+"@example.com")
	}
	return q
}

// letters returns the i-th (from 0) word of the sequence a, ..., z, aa,
// ab, ..., zz, aaa, ...
func letters(i int) string {
	var b []byte
	for i++; i > 0; i = (i - 1) / 26 {
		b = append(b, byte('a'+(i-1)%26))
	}
	slices.Reverse(b)
	return string(b)
}

// StaticSource answers every attendee with one busy hour at 09:00 and one
// tentative half hour at 14:00 of the query's first day; attendees
// starting with "nobody" fail as unknown, with the message "no such user".
var StaticSource = freebusy.SourceFunc(func(ctx context.Context, q freebusy.Query) ([]freebusy.Schedule, error) {
	out := make([]freebusy.Schedule, len(q.Attendees))
	for i, a := range q.Attendees {
		if strings.HasPrefix(a, "nobody") {
			out[i] = freebusy.Failed(a, q.Start, q.End, freebusy.ReasonUnknownAttendee, nil)
			out[i].Err.Message = "no such user"
			continue
		}
		day := q.Start.Truncate(24 * time.Hour)
		out[i] = freebusy.Schedule{Attendee: a, Start: q.Start, End: q.End, Intervals: []freebusy.Interval{
			{Start: day.Add(9 * time.Hour), End: day.Add(10 * time.Hour), Status: freebusy.Busy},
			{Start: day.Add(14 * time.Hour), End: day.Add(14*time.Hour + 30*time.Minute), Status: freebusy.Tentative},
		}}
	}
	return out, nil
})

// ReportCPU reports the process CPU time per operation since start (a
// ProcessCPU reading) as cpu-ns/op, which a busy shared machine distorts
// far less than wall time. Call it deferred, after the timer is reset.
func ReportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64(ProcessCPU()-start)/float64(b.N), "cpu-ns/op")
}

// Calls measures src answering q, one call after another, with
// allocations and CPU per call.
func Calls(b *testing.B, src freebusy.Source, q freebusy.Query) {
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	defer ReportCPU(b, ProcessCPU())
	for b.Loop() {
		if _, err := src.FreeBusy(ctx, q); err != nil {
			b.Fatal(err)
		}
	}
}

// ParallelCalls measures src answering q from GOMAXPROCS goroutines at
// once (b.RunParallel), with allocations and CPU per call.
func ParallelCalls(b *testing.B, src freebusy.Source, q freebusy.Query) {
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	defer ReportCPU(b, ProcessCPU())
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := src.FreeBusy(ctx, q); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
