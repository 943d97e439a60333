package fanout_test

import (
	"context"
	"fmt"

	"github.com/calbridge/calbridge/freebusy"
	"github.com/calbridge/calbridge/internal/fanout"
)

// Three requests, two at a time; results land in their own slots, so no
// lock is needed. A context that ended before a request started would
// have sent that request to skip with the classified error instead.
func ExampleRun() {
	attendees := []string{"a@example.com", "b@example.com", "c@example.com"}
	answers := make([]string, len(attendees))
	fanout.Run(context.Background(), len(attendees), 2,
		func(i int) { answers[i] = "asked " + attendees[i] },
		func(i int, err *freebusy.Error) { answers[i] = err.Reason.String() })
	fmt.Println(answers)
	// Output:
	// [asked a@example.com asked b@example.com asked c@example.com]
}
