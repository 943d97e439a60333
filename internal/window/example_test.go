package window_test

import (
	"fmt"
	"time"

	"github.com/calbridge/calbridge/internal/window"
)

// A 100-minute window in 30-minute slots, at most an hour per request: the
// last piece covers 40 minutes but asks for 60, whole slots, and the
// caller clips the answer back to End.
func ExampleSplit() {
	start := time.Date(2024, 3, 4, 9, 0, 0, 0, time.UTC)
	for _, p := range window.Split(start, start.Add(100*time.Minute), 30*time.Minute, time.Hour) {
		fmt.Println(p.Start.Format("15:04"), p.End.Format("15:04"), "ask to", p.AskEnd.Format("15:04"))
	}
	// Output:
	// 09:00 10:00 ask to 10:00
	// 10:00 10:40 ask to 11:00
}
