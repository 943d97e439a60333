package observe_test

import (
	"context"
	"testing"

	"github.com/calbridge/calbridge/freebusy"
	"github.com/calbridge/calbridge/freebusy/observe"
)

// BenchmarkInstrument measures what Instrument adds to a query of 100
// attendees with the default no-op logger and Nop metrics: the cost on the
// query path of a program that does not log.
func BenchmarkInstrument(b *testing.B) {
	q := query()
	q.Attendees = make([]string, 100)
	for i := range q.Attendees {
		q.Attendees[i] = "user" + string(rune('a'+i%26)) + string(rune('a'+i/26)) + "@x.example"
	}
	answer := mixed(freebusy.Query{Attendees: people, Start: q.Start, End: q.End})
	out := make([]freebusy.Schedule, 100)
	for i := range out {
		out[i] = answer[i%3]
	}
	backend := freebusy.SourceFunc(func(context.Context, freebusy.Query) ([]freebusy.Schedule, error) { return out, nil })
	src, err := observe.Instrument(backend, "bench", observe.WithMetrics(newRecorder()))
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := src.FreeBusy(ctx, q); err != nil {
			b.Fatal(err)
		}
	}
}
