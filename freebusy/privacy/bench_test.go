package privacy_test

import (
	"context"
	"testing"
	"time"

	"github.com/calbridge/calbridge/freebusy"
	"github.com/calbridge/calbridge/freebusy/privacy"
)

// BenchmarkFilter measures the privacy filter on 100 schedules of three
// events each, one of them private and so merged into the intervals, at
// LevelTimes.
func BenchmarkFilter(b *testing.B) {
	q := freebusy.Query{Attendees: make([]string, 100), Start: day, End: day.Add(24 * time.Hour), Detail: freebusy.DetailFull}
	for i := range q.Attendees {
		q.Attendees[i] = "user" + string(rune('a'+i%26)) + string(rune('a'+i/26)) + "@x.example"
	}
	out := detailed(q)
	backend := freebusy.SourceFunc(func(context.Context, freebusy.Query) ([]freebusy.Schedule, error) { return out, nil })
	src, err := privacy.New(backend, policy)
	if err != nil {
		b.Fatal(err)
	}
	ctx := privacy.WithRequester(context.Background(), "svc-notes")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := src.FreeBusy(ctx, q); err != nil {
			b.Fatal(err)
		}
	}
}
