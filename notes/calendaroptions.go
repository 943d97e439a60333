package notes

import "time"

// calendarOptions are the knobs of CalendarSource (and of the free-time
// search when it builds one).
type calendarOptions struct {
	// policy maps Notes entries to statuses; the zero value is the default.
	policy BusyPolicy
	// maxOccurrences bounds recurrence expansion per calendar and query;
	// 0 means the decoder's default.
	maxOccurrences int
	// maxAge marks schedules Stale when their data is older; 0 never does.
	maxAge time.Duration
}

// WithBusyPolicy sets how CalendarSource maps Notes entries to statuses
// (see BusyPolicy; the zero value, the default, reports penciled-in time as
// Tentative).
func WithBusyPolicy(p BusyPolicy) Option {
	return optionFunc(func(o *options) { o.cal.policy = p })
}

// WithMaxOccurrences bounds how many occurrences of recurring events
// CalendarSource expands per attendee and query, so that a runaway RRULE
// cannot exhaust memory. The default, and values below 1, leave the bound to
// freebusy.DecodeCalendar.
func WithMaxOccurrences(n int) Option {
	return optionFunc(func(o *options) {
		if n < 0 {
			n = 0
		}
		o.cal.maxOccurrences = n
	})
}

// WithMaxAge makes CalendarSource mark a schedule Stale when its calendar
// export is older than d at query time (the old connector served stale data
// without saying so, notes-freebusy.md §7.3). The default, 0, never marks
// schedules stale.
func WithMaxAge(d time.Duration) Option {
	return optionFunc(func(o *options) { o.cal.maxAge = d })
}
