package httptestutil_test

import (
	"fmt"
	"net/http"
	"time"

	"github.com/calbridge/calbridge/internal/httptestutil"
)

// A handler that bounds its body read sets the deadline through
// http.ResponseController; the DeadlineWriter records it.
func ExampleDeadlineWriter() {
	w := httptestutil.NewDeadlineWriter()
	at := time.Date(2026, 3, 2, 9, 0, 30, 0, time.UTC)
	if err := http.NewResponseController(w).SetReadDeadline(at); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(w.Deadlines)
	// Output:
	// [2026-03-02 09:00:30 +0000 UTC]
}
