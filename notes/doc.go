// Package notes is calbridge's Lotus Notes / HCL Domino side: Notes names,
// the TIMEDATE binary format, what Notes busy time means in canonical
// terms, Notes calendars as a free/busy Source, free-time search, and the
// Domino Access Services (DAS) freebusy API as client and server. The
// reference for everything here is reference/notes-freebusy.md; doc
// comments cite its sections.
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
// resolved only one of the two (KB Q271590), and every lookup in this
// package accepts both. Bad names are *NameError values with a condition
// (ErrMixedLabels, ErrTooManyOrgUnits, ErrNameTooLong, ...).
//
// # TIMEDATE
//
// TimeDate is the 8-byte Notes TIMEDATE (§4): hundredths of a second since
// GMT midnight and a Julian day, plus the zone of origin (standard offset,
// east or west, DST observed) as metadata that never changes the instant.
// DecodeTimeDate and MarshalBinary convert bytes, NewTimeDate and
// TimeDate.Time convert time.Time values, NewDateOnly and NewTimeOnly build
// the ALLDAY and ANYDAY wildcard forms, and TimeDatePair is a
// TIMEDATE_PAIR range. The reference's §4.4 example for Bombay is wrong;
// see the erratum there and the tests.
//
// # Busy-time semantics
//
// BusyPolicy is the one table that maps Notes meaning to canonical
// statuses (§1.3, §6.1): schedule attributes (SchedAttr: APPT busy,
// PENCILED tentative or, as Notes shows it, free; NONWORK is working-hours
// metadata, never busy time), appointment types (AppointmentType:
// anniversaries and reminders block nothing, all-day events block the day
// in the owner's zone), and the reverse mapping for gateways writing busy
// time into Notes (Attr: Notes has no out-of-office). DecodeSchedList reads
// the raw SCHED_LIST entries the busytime system and calendar gateways
// exchange (§3.4), and BusyPolicy.Intervals maps them. Working hours come
// from the Calendar Profile (CalendarProfile: $AvailableDays, $Times1 to
// $Times7) in the zone of its Notes time-zone string (TimeZone:
// Z=..$DO=..$DL=..$ZN=..), which is mapped to an IANA zone; conversion is
// always tzdata's, never the string's DST rules, since hard-coded DST
// tables shifted the old connector's blocks by an hour (KB 915494).
//
// # Notes calendars and free time
//
// CalendarSource is a freebusy.Source over a set of Notes calendar exports
// (.ics files with X-LOTUS-APPTTYPE, TRANSP and the other X-LOTUS
// properties), one per user, loaded from any fs.FS by LoadCalendars and
// keyed by Notes name in any form and by Internet address. It decodes with
// freebusy.DecodeCalendar and BusyPolicy.Classify. SampleCalendars is an
// embedded set of four users that the examples use. FindFreeTime finds
// times when a group is free within everyone's working hours, first fit or
// all, as Notes' SchFreeTimeSearch and the Domino REST API's freetime
// query do.
//
// # Domino Access Services
//
// The DAS freebusy API (§2.1-§2.2) is Domino's HTTP interface to busy
// time: GET /api/freebusy/busytime?name=...&since=...&before=... answers
// one name at a time with a JSON list of busy ranges (or a VFREEBUSY with
// format=icalendar), plus free rooms, directories and sites. The DAS* types
// mirror its JSON documents field for field; DecodeBusyTime and
// EncodeBusyTime (and their iCalendar twins) are the codec; DASBusyTime
// converts to and from canonical schedules, with the losses DAS imposes
// (it has no statuses, so tentative time becomes busy or free by option,
// and it reports non-working time as busy). Client is a freebusy.Source
// that queries a Domino server, one request per attendee with bounded
// concurrency, names passed without their routing domain; Handler serves
// the same API from any freebusy.Source, so that Domino-side tools can ask
// the gateway about Exchange users, and is the Client's test double.
//
// # Conventions
//
// Errors are typed and match freebusy.ErrInvalid where they describe bad
// input; one attendee's failure is reported in that attendee's
// Schedule.Err and never fails the batch. Logging goes to a zap.Logger
// given with WithLogger (default: none), and names and schedules are
// logged at Debug level only.
package notes
