// Package freebusy is calbridge's canonical free/busy model: the hub that the
// Notes and Exchange sides and every transport speak. It imports nothing but
// the standard library; the iCalendar codecs (VFREEBUSY and calendar
// decoding) are in package freebusy/ical.
//
// Sections (§) name the document they are in: the project's notes under
// docs/ (docs/mapping.md for the status mappings, docs/exchange.md and
// docs/notes.md for the wire formats) or an RFC.
//
// # The model
//
// Instants are UTC time.Time values and intervals are half-open [Start,
// End). Conversion to and from time zones happens at the edges, with real
// tzdata (time.LoadLocation, through LoadZone's cache; never hand-written
// DST tables, never time.Local). A Query names attendees and a window; a
// Source answers it with one Schedule per attendee, in query order, each
// carrying its own outcome (data, working hours, as-of time, staleness, or
// a typed *Error), so one attendee's failure never fails the batch.
//
// A Status says what is known about a stretch of time: Free, Tentative,
// Busy, OutOfOffice, WorkingElsewhere, or Unknown ("no data", the zero
// value). Inside a schedule's window, time no interval covers is Free and
// time the source knows nothing about is an explicit Unknown interval.
// Normalize brings intervals into canonical form: UTC, sorted, clipped to
// the window, overlaps resolved by Precedence (OutOfOffice > Busy >
// Tentative > WorkingElsewhere > Free > Unknown, so Unknown remains only
// where nothing is known), Free dropped, equal neighbours joined.
// Inverted intervals are dropped and counted by default (see
// InvertedPolicy); nothing is dropped without a count in NormalizeReport.
// IsCanonical tells, in one pass, whether intervals are already in that
// form, as every Source of this module returns them; Normalize and
// AvailabilityView then skip the sort, so an answer path normalizes each
// schedule at most once.
//
// A program that answers query after query (a gateway's EWS or Graph
// handler) can lend each answer a ScheduleBuffer through AnswerInto: a
// BufferedSource, such as transport.Client, then takes the answer's
// schedules, intervals and events from the buffer, whose memory serves the
// next answer once it is Reset, instead of allocating them every time.
//
// # Operations
//
//   - AvailabilityView renders intervals as the EWS MergedFreeBusy / Graph
//     availabilityView digit string; ParseAvailabilityView reads one back.
//   - MergeGroup merges several attendees into the schedule of the group.
//   - FindFreeTime finds when a group can meet in their schedules, inside
//     the working hours of those who have them (WorkingHours.Expand)
//     unless FreeTimeRequest.IgnoreWorkingHours is set. SearchFreeTime
//     asks a Source for the schedules first, as Notes' SchFreeTimeSearch
//     does (docs/notes.md §3.2); both take the same FreeTimeRequest.
//
// When several statuses must become one, because a view slot holds several
// or several attendees are merged, the first of OutOfOffice, Busy,
// Tentative, Unknown, WorkingElsewhere, Free that is present wins. Busy
// kinds win because taken time is taken whatever else is known; Unknown
// comes next because time that is free only in part, or only for some, can
// not be promised. A slot or group instant is therefore Free only when it is
// known to be free throughout and for everyone. (Inside one schedule,
// Normalize ranks an explicit Free above Unknown instead: there, a source
// that says "free" for a stretch it also calls unknown has spoken.)
//
// # Cross-format status map
//
// Every protocol has fewer statuses than the model, so every edge loses
// something. The losses are rules, listed here once and implemented by the
// converters of the side packages (and of freebusy/ical for RFC 5545);
// docs/mapping.md gives each format's vocabulary (§3) and each rule with
// its reasons (§4), from docs/exchange.md §2.6, §3.2, §4.3, §6 and
// docs/notes.md §1.3, §2.2.
//
//	Status            EWS BusyType      EWS     Graph status      Graph   RFC 5545 FBTYPE         Notes busytime    DAS busyTimes      Public-folder pair
//	                                    merged                    view    (VFREEBUSY)             attribute         (written; read:    (PidTagScheduleInfo...)
//	                                    digit                     digit                                             all Busy [d])
//	Free              Free              0       free              0       no period               no entry          no period          none
//	Tentative         Tentative         1       tentative         1       BUSY-TENTATIVE          PENCILED 0x01 [c] busy, or none [d]  0x6851/0x6852
//	Busy              Busy              2       busy              2       BUSY                    APPT 0x08         busy               0x6853/0x6854 + merged
//	OutOfOffice       OOF               3       oof               3       BUSY-UNAVAILABLE        APPT 0x08 [a]     busy [a]           0x6855/0x6856 + merged
//	WorkingElsewhere  WorkingElsewhere  0 [b]   workingElsewhere  0 [b]   FREE + X-CALBRIDGE-     no entry [b]      no period [b]      none: free [b]
//	                  (Exchange 2013+)                                    FBTYPE=working-elsewhere
//	Unknown           NoData            4       unknown           4 [e]   X-CALBRIDGE-UNKNOWN [e] none: per-user    busy [d][e]        outside the published
//	                                                                                              error [e]                            range [e]
//
// Merged is the 0x684F/0x6850 pair, busy and out-of-office together.
//
// The rules behind the marks:
//
//   - [a] Notes has no out-of-office status: OutOfOffice is written as an
//     ordinary busy entry (APPT), and nothing read from Notes is ever
//     OutOfOffice (docs/notes.md §1.1, §1.3; docs/mapping.md §4.1).
//   - [b] Graph reports WorkingElsewhere as 0 in availabilityView ("0 = free
//     or working elsewhere", docs/exchange.md §3.2), and EWS documents no
//     merged digit for it (docs/exchange.md §2.6), so AvailabilityView
//     writes '0' unless ViewOptions.WorkingElsewhereDigit says otherwise,
//     and a '0' reads back as Free. WorkingElsewhere is available time, so
//     every format without a word for it (Notes busytime, DAS, public
//     folders) writes it as free; RFC 5545 has none either, so
//     freebusy/ical writes FBTYPE=FREE with the refining parameter
//     X-CALBRIDGE-FBTYPE=working-elsewhere, which other clients ignore and
//     calbridge reads back losslessly (docs/mapping.md §4.2, §4.3).
//   - [c] Notes treats penciled-in as free (SCHED_ATTR_PENCILED does not
//     block time, docs/notes.md §1.1). calbridge keeps the information:
//     PENCILED reads as Tentative and Tentative is written as PENCILED,
//     unless the Notes side is configured to read penciled-in as Free
//     (Notes' own view). The old connector sent Exchange tentative time to
//     Notes as free, "by design" (KB Q199643); users booked over it
//     (docs/mapping.md §4.4).
//   - [d] DAS drops FBTYPE: Domino DAS builds busyTimes from an internal
//     VFREEBUSY and writes every period as plain busy time
//     (docs/notes.md §2.2.3), so everything read from DAS is Busy, and
//     non-working time arrives merged into it (docs/notes.md §2.2.6).
//     Writing DAS, every busy kind becomes a busy period: Tentative by
//     default (or omitted, by option), OutOfOffice as busy, and Unknown as
//     busy, because DAS's only other answer is free. A DAS period that ends
//     before it starts (the IBM sample, docs/notes.md §2.2.6) is dropped
//     and counted (docs/mapping.md §4.5).
//   - [e] Unknown is never Free. No mapping turns "no data" into free time:
//     EWS and calbridge views write digit 4 (Graph documents no digit for
//     it; calbridge writes EWS's); an FBTYPE no client knows must be read
//     as BUSY (RFC 5545 §3.2.9), so the X-CALBRIDGE-UNKNOWN period reads as
//     busy elsewhere and as Unknown in calbridge; a failed schedule also
//     carries X-CALBRIDGE-ERROR. Notes has no "no data" entry: a failed
//     schedule becomes a per-user error (the Notes UI shows "no
//     information"), and Unknown time inside a schedule becomes busy time
//     for DAS [d]. The public-folder format has no "no data" inside its
//     published range, so publishing Unknown time there is an error unless
//     the caller picks a status for it; time outside the range reads back
//     as Unknown. An unrecognised BusyType, status or FBTYPE reads as
//     Unknown or Busy, and a bad view digit is an error, never Free
//     (docs/mapping.md §4.6, §4.7).
//
// Merging precedence for one schedule is the documented Exchange slot
// ranking, OOF > Busy > Tentative > Free (docs/exchange.md §6, CDO
// BusyStatus remarks), with WorkingElsewhere placed between Tentative and
// Free (available, but more than plain free) and Unknown below all
// (docs/mapping.md §5).
package freebusy
