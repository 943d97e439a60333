// Package notes is calbridge's Lotus Notes / HCL Domino side: Notes names,
// the TIMEDATE binary format, what Notes busy time means in canonical
// terms, Calendar Profile working hours, Notes time-zone strings, and Notes
// calendar exports as a freebusy.Source. The Domino Access Services
// freebusy API, Domino's HTTP interface to busy time, is package
// notes/das.
//
// The formats are HCL's (the Notes C API Reference and its headers
// nsfdata.h, misc.h, global.h, names.h; the Domino Designer documentation);
// docs/notes.md collects what this package relies on, with what real
// servers do beyond the documentation, and docs/mapping.md the status
// mappings. Sections (§) without a document name refer to docs/notes.md.
//
// # Names
//
// ParseName reads a Notes name in every form users and directories write
// (§5): canonical (CN=Jane Doe/OU=Sales/O=Acme/C=US), abbreviated (Jane
// Doe/Sales/Acme/US), flat (Jane Doe), X.400 with G, I, S, Q, A and P, any
// of those with a routing domain (Jane Doe/Sales/Acme@AcmeMail), and
// Internet addresses. Name formats either form (Canonical, Abbreviated) and
// compares case-insensitively (Equal, EqualNames, Key). A name with and
// without @Domain is the same person: the old Exchange Calendar Connector
// resolved only one of the two (Microsoft KB Q271590), and every lookup in
// this package accepts both. Bad names are *NameError values with a
// condition (ErrMixedLabels, ErrTooManyOrgUnits, ErrNameTooLong, ...).
//
// # TIMEDATE
//
// TimeDate is the 8-byte Notes TIMEDATE (§4): hundredths of a second since
// GMT midnight and a Julian day, plus the zone of origin (standard offset,
// east or west, DST observed) as metadata that never changes the instant.
// DecodeTimeDate and MarshalBinary convert bytes, NewTimeDate and
// TimeDate.Time convert time.Time values, NewDateOnly and NewTimeOnly build
// the ALLDAY and ANYDAY wildcard forms, and TimeDatePair is a
// TIMEDATE_PAIR range. The IBM example for Bombay in the C API
// documentation is wrong; see the erratum in §4.4 and the tests.
//
// # Busy-time semantics
//
// BusyPolicy is the one table that maps Notes meaning to canonical
// statuses (§1.3, §6.1, docs/mapping.md §3.6): schedule attributes
// (SchedAttr: APPT busy, PENCILED tentative or, as Notes shows it, free;
// NONWORK is working-hours metadata, never busy time), appointment types
// (AppointmentType: anniversaries and reminders block nothing, all-day
// events block the day in the owner's zone), and the reverse mapping for
// gateways writing busy time into Notes (Attr: Notes has no out-of-office,
// docs/mapping.md §4.1). DecodeSchedList reads the raw SCHED_LIST entries
// the busytime system and calendar gateways exchange (§3.4), and
// BusyPolicy.Intervals maps them.
//
// # Working hours and time zones
//
// Working hours come from the Calendar Profile (CalendarProfile:
// $AvailableDays, $Times1 to $Times7, §3.7) in the zone of its Notes
// time-zone string (TimeZone: Z=..$DO=..$DL=..$ZN=.., §3.8), which is
// mapped to an IANA zone. Conversion is always tzdata's, never the
// string's DST rules: hard-coded DST tables shifted the old connector's
// blocks by an hour when the rules changed (Microsoft KB 915494).
//
// # Notes calendars as a Source
//
// CalendarSource is a freebusy.Source over a set of Notes calendar exports
// (.ics files with X-LOTUS-APPTTYPE, TRANSP and the other X-LOTUS
// properties, §6), one per user, loaded from any fs.FS by LoadCalendars and
// keyed by Notes name in any form and by Internet address. It decodes with
// ical.DecodeCalendar and BusyPolicy.Classify. As any Source, it answers
// freebusy.SearchFreeTime, which finds when a group can meet inside
// everyone's working hours, as Notes' SchFreeTimeSearch does (§3.2).
//
// # Conventions
//
// Errors are typed and match freebusy.ErrInvalid where they describe bad
// input; one attendee's failure is reported in that attendee's
// Schedule.Err and never fails the batch. LoadCalendars takes Option
// values; one given a value it cannot take makes it fail at once with an
// error matching ErrInvalidOption. Logging goes to a zap.Logger given with
// WithLogger (default: none), and names and schedules are logged at Debug
// level only.
package notes
