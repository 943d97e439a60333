package router_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/calbridge/calbridge/exchange"
	"github.com/calbridge/calbridge/freebusy"
	"github.com/calbridge/calbridge/freebusy/directory"
	"github.com/calbridge/calbridge/freebusy/router"
	"github.com/calbridge/calbridge/notes"
)

// instant answers every attendee free, at once: the benchmark measures the
// router's own work (directory lookups with both sides' normalizers,
// grouping, fan-out, renaming).
var instant = freebusy.SourceFunc(func(_ context.Context, q freebusy.Query) ([]freebusy.Schedule, error) {
	out := make([]freebusy.Schedule, len(q.Attendees))
	for i, a := range q.Attendees {
		out[i] = freebusy.Schedule{Attendee: a, Start: q.Start, End: q.End}
	}
	return out, nil
})

// BenchmarkRoute100: 100 attendees, half Notes names, half SMTP addresses
// of Exchange users.
func BenchmarkRoute100(b *testing.B) {
	people := make([]directory.Person, 100)
	attendees := make([]string, 100)
	for i := range people {
		if i%2 == 0 {
			people[i] = directory.Person{ID: fmt.Sprint(i), Side: "notes", Address: fmt.Sprintf("CN=User %d/OU=Research/O=Acme", i)}
			attendees[i] = fmt.Sprintf("User %d/Research/Acme@AcmeMail", i)
		} else {
			people[i] = directory.Person{ID: fmt.Sprint(i), Side: "exchange", Address: fmt.Sprintf("user%d@exchange.acme.example", i)}
			attendees[i] = fmt.Sprintf("SMTP:User%d@Exchange.Acme.example", i)
		}
	}
	dir, err := directory.New(people, directory.WithNormalizer(notes.DirectoryKey), directory.WithNormalizer(exchange.DirectoryKey))
	require.NoError(b, err)
	r, err := router.New(dir, map[string]freebusy.Source{"notes": instant, "exchange": instant})
	require.NoError(b, err)
	q := query(attendees...)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		out, err := r.FreeBusy(ctx, q)
		if err != nil || out[99].Err != nil {
			b.Fatal(err, out[99].Err)
		}
	}
}
