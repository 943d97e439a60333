package sample_test

import (
	"fmt"
	"io/fs"

	"github.com/calbridge/calbridge/internal/sample"
)

// The sample set: the manifest notes.LoadCalendars reads and one export per
// user.
func ExampleNotesCalendars() {
	names, err := fs.Glob(sample.NotesCalendars(), "*")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(names)
	fmt.Println(sample.WeekEnd.Sub(sample.WeekStart))
	// Output:
	// [ana-souza.ics calendars.json jane-doe.ics klaus-weber.ics priya-raman.ics]
	// 120h0m0s
}
