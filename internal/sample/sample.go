// Package sample holds the calendars that the tests, the Example functions
// and the example programs share. No library package imports it, so none of
// this data reaches a program that imports calbridge (deps_test.go checks).
package sample

import (
	"embed"
	"io/fs"
	"time"
)

//go:embed calendars
var calendars embed.FS

// NotesCalendars returns a small calendar set of four fictional Acme users
// in New York, Berlin, Bangalore and São Paulo, for the week of 2024-03-11
// (WeekStart to WeekEnd): Notes 9 exports with meetings, a weekly
// recurrence, an all-day event, penciled-in and tentative entries, an
// anniversary and a reminder, and the calendars.json manifest that
// notes.LoadCalendars reads.
func NotesCalendars() fs.FS {
	sub, err := fs.Sub(calendars, "calendars")
	if err != nil {
		// Unreachable: the directory is embedded at build time.
		return calendars
	}
	return sub
}

// The sample week: Monday 2024-03-11 00:00 UTC to Saturday 2024-03-16
// 00:00 UTC.
var (
	WeekStart = time.Date(2024, 3, 11, 0, 0, 0, 0, time.UTC)
	WeekEnd   = time.Date(2024, 3, 16, 0, 0, 0, 0, time.UTC)
)
