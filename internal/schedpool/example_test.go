package schedpool_test

import (
	"context"
	"fmt"
	"time"

	"github.com/calbridge/calbridge/freebusy"
	"github.com/calbridge/calbridge/internal/schedpool"
)

// A handler takes a buffer per request and puts it back once its answer
// is written.
func Example() {
	src := freebusy.SourceFunc(func(ctx context.Context, q freebusy.Query) ([]freebusy.Schedule, error) {
		return []freebusy.Schedule{{Attendee: q.Attendees[0], Start: q.Start, End: q.End}}, nil
	})
	start := time.Date(2024, 3, 11, 8, 0, 0, 0, time.UTC)
	q := freebusy.Query{Attendees: []string{"ada@example.com"}, Start: start, End: start.Add(time.Hour)}

	buf := schedpool.Get()
	defer schedpool.Put(buf) // after the answer is written
	ss, err := freebusy.AnswerInto(context.Background(), src, q, buf)
	fmt.Println(len(ss), ss[0].Attendee, err)
	// Output: 1 ada@example.com <nil>
}
