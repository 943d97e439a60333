package linktest_test

import (
	"context"
	"fmt"
	"time"

	"github.com/calbridge/calbridge/internal/linktest"
)

// The query and the answer a transport's tests send across their link.
func ExampleStaticSource() {
	q := linktest.Query(2)
	q.Attendees = append(q.Attendees, "nobody@example.com")
	ss, err := linktest.StaticSource.FreeBusy(context.Background(), q)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, s := range ss {
		if s.Err != nil {
			fmt.Println(s.Attendee, s.Err.Reason, s.Err.Message)
			continue
		}
		for _, iv := range s.Intervals {
			fmt.Println(s.Attendee, iv.Start.Format(time.Kitchen), iv.End.Format(time.Kitchen), iv.Status)
		}
	}
	// Output:
	// usera@example.com 9:00AM 10:00AM busy
	// usera@example.com 2:00PM 2:30PM tentative
	// userb@example.com 9:00AM 10:00AM busy
	// userb@example.com 2:00PM 2:30PM tentative
	// nobody@example.com unknown-attendee no such user
}
