// Package ical converts between calbridge's canonical free/busy model
// (package freebusy) and iCalendar (RFC 5545): it writes and reads
// VFREEBUSY objects, the free/busy answers of CalDAV servers, Domino DAS
// and calbridge peers, and it reads ordinary calendars (VEVENT) as busy
// time. It is the only calbridge package that imports go-ical
// (github.com/emersion/go-ical, imported as goical), which parses and
// writes the content lines; the value types and rules on top of it are
// calbridge's own.
//
// # VFREEBUSY
//
// EncodeVFreeBusy writes a batch of freebusy.Schedule values as one
// VCALENDAR with one VFREEBUSY (RFC 5545 §3.6.4) per schedule: the window as
// DTSTART and DTEND, the attendee as ATTENDEE, Schedule.AsOf as DTSTAMP
// (VFreeBusyOptions.Stamp when it is zero), and one FREEBUSY line per
// interval of the schedule's canonical form. ATTENDEE is always a valid URI
// (RFC 5545 §3.3.3, a mailto: of RFC 6068 for an address): a display name,
// as in "Zoë Ünal <zoe@example.com>", goes to its CN parameter (§3.2.2).
// Instants with fractions of a second are rounded outward, starts down and
// ends up, so that no busy time is lost and no period is empty (§3.3.9). DecodeVFreeBusy reads such
// objects back, one schedule per attendee, and accepts what other servers
// write (several periods per line, periods with a duration, FBTYPE
// missing, one VFREEBUSY per interval, no ATTENDEE at all; docs/peers.md
// §3-§4, docs/notes.md §2.2.4), counting what it reinterprets or drops in a
// VFreeBusyReport.
//
// Statuses map to FBTYPE (RFC 5545 §3.2.9) as docs/mapping.md §3.5 and §4
// list them:
//
//	Status            FREEBUSY parameters written           Read by other clients as
//	Busy              FBTYPE=BUSY                           BUSY
//	Tentative         FBTYPE=BUSY-TENTATIVE                 BUSY-TENTATIVE
//	OutOfOffice       FBTYPE=BUSY-UNAVAILABLE               BUSY-UNAVAILABLE
//	WorkingElsewhere  FBTYPE=FREE;X-CALBRIDGE-FBTYPE=       FREE
//	                  working-elsewhere
//	Unknown           FBTYPE=X-CALBRIDGE-UNKNOWN            BUSY (RFC 5545 §3.2.9)
//	Free              (no period: uncovered time is free)   FREE
//
// The two extensions are chosen for how they degrade. RFC 5545 §3.2.9 says
// an FBTYPE value a client does not recognise must be treated as BUSY.
// Unknown ("no data") must never read as free (docs/mapping.md §4.6;
// docs/peers.md §7 item 2 lists the peers that got this wrong), so it is an
// x-name FBTYPE: everyone else sees BUSY, the safe reading, and calbridge
// sees Unknown. WorkingElsewhere is available time
// (freebusy.Status.Available), so an x-name FBTYPE would hide it as BUSY;
// instead it is written as FREE, which is what Graph's availabilityView and
// [MS-OXCICAL]'s TRANSP export make of it, with an x-parameter that only
// calbridge reads (docs/mapping.md §4.3). Both survive a round trip through
// calbridge. Reading, an FBTYPE calbridge does not know is Busy and
// counted, never Free (docs/mapping.md §4.7); the spellings other Exchange
// bridges use for working elsewhere are recognised (docs/exchange.md §4.3).
//
// FBTYPE is always written, because Thunderbird shows "no information" when
// it is missing although RFC 5545 defaults it to BUSY (docs/peers.md §3.7).
// Periods are written one per FREEBUSY line in start/end form, in UTC,
// because several periods per line break some parsers (docs/peers.md §4),
// and lines are folded at 75 octets (RFC 5545 §3.1), which go-ical leaves
// to its callers. A failed schedule (Schedule.Err) is written as one
// Unknown period over its window, an X-CALBRIDGE-ERROR property that
// DecodeVFreeBusy turns back into the *freebusy.Error, and an RFC 5546
// REQUEST-STATUS for iTIP-aware clients (docs/mapping.md §6). Events and
// working hours are not carried (docs/mapping.md §4.9).
//
// # Calendars
//
// DecodeCalendar reads the VEVENT components (RFC 5545 §3.6.1) of a
// calendar export and returns its owner's busy time over a window, in
// canonical form, with a CalendarReport. A component's status follows
// Outlook's X-MICROSOFT-CDO-BUSYSTATUS first, then STATUS and TRANSP
// (docs/mapping.md §3.4, docs/exchange.md §4.2); CalendarOptions.Classify
// lets a caller (the Notes side, for X-LOTUS-APPTTYPE) change or skip each
// component. Recurrence is the recurrence set of RFC 5545 §3.8.5: DTSTART,
// every RRULE (all seven frequencies, BYSETPOS and WKST included) and
// every RDATE (DATE, DATE-TIME, or PERIOD with its own end or duration),
// minus every EXDATE and EXRULE (RFC 2445 §4.8.5.2); RECURRENCE-ID
// components replace the instance they name, and with RANGE=THISANDFUTURE
// apply their time shift, length and status to every later instance too
// (§3.8.4.4). An override without its master keeps its own RRULE and RDATE
// instances. Rules are expanded in the event's own zone, so a 09:00 meeting
// stays at 09:00 local time across DST changes, and a DAILY, WEEKLY or
// sub-daily rule without COUNT starts near the window rather than at a
// DTSTART years before it. TZIDs resolve to real tzdata: an IANA name, a
// Windows zone id (Outlook), or, failing those, a zone built from the
// file's VTIMEZONE rules; then, counted as recoveries, the same rules with
// an observance DTSTART written as a DATE, and the fixed offset a TZID such
// as "UTC+11" or "GMT-3" names. Only then does a TZID fall back, counted,
// to CalendarOptions.Location; never time.Local, and floating times are
// read in CalendarOptions.Location (UTC when nil).
//
// # What cannot be read
//
// Time the decoder knows an event takes but cannot place exactly is
// Unknown, never Free; a component with a property that cannot be read
// keeps everything else, its DTSTART instance at least; and the
// CalendarReport counts each such component (Degraded, or Invalid when
// nothing is left) with a *freebusy.ParseError in Problems naming the
// property, its line, and what was done. RFC 5545 §3.8.5 defines the
// recurrence set as the union of what RRULE and RDATE add minus what
// EXDATE removes, so:
//
//	Cannot be read                      Read as
//	DTSTART                             nothing: the component is Invalid
//	DTEND or DURATION                   each instance Unknown from its start
//	                                    to the end of its day
//	an RRULE part (UNTL=, BYDAY=XX)     the rule without that part; its
//	                                    instances (but DTSTART) Unknown
//	an RRULE (no FREQ, FREQ=SOMETIMES)  Unknown from DTSTART to UNTIL or the
//	                                    window's end (UnsupportedRecurrences)
//	an RDATE value                      Unknown over its date when that can
//	                                    be read, else from DTSTART on
//	an EXDATE value                     the instances that day Unknown when
//	                                    its date can be read, else ignored
//	an EXRULE or one of its parts       ignored, or the instances it may
//	                                    exclude Unknown
//	RECURRENCE-ID                       a separate event; the master keeps
//	                                    the instance
//
// An event that blocks no time (TRANSPARENT, CANCELLED) stays free in every
// case.
//
// # Limits and errors
//
// Input is read up to 64 MiB. One recurring event expands to at most
// CalendarOptions.MaxOccurrences instances in the window
// (DefaultMaxOccurrences) and skips at most 100 times as many before it;
// what a cap cuts off is Unknown, not free, and counted. Malformed input is
// a *freebusy.ParseError (matching freebusy.ErrInvalid) with the line of
// the problem where it can be found, so freebusy.ReasonOf classifies it as
// ReasonInvalid; a bad window is a *freebusy.QueryError. DecodeCalendar
// counts bad components in its report instead of failing the call, and
// neither decoder panics on any input (go-ical's panics are recovered).
package ical
